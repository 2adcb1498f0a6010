//! A `fix` killed after each action in turn (debug-build failpoints) loses nothing, and either
//! the next `fix --yes` completes it or `undo` restores every install.
#![cfg(unix)]

mod fix_support;

use std::path::PathBuf;

use fix_support::*;

const FAILPOINT_EXIT: i32 = 99;

/// Two installs fixed in one run: a real `models/` (new file, identical duplicate, conflict,
/// placeholder, plain subfolder, nested link) and one without `models`.
fn same_fs_case() -> Option<(Ws, Vec<PathBuf>)> {
    let ws = Ws::new();
    Some(build(ws))
}

/// The same with the global folder on another filesystem (verified copies, `copied` records).
fn other_fs_case() -> Option<(Ws, Vec<PathBuf>)> {
    Ws::on_other_fs().map(build)
}

fn build(ws: Ws) -> (Ws, Vec<PathBuf>) {
    let real = ws.env("real");
    let m = real.join("models");
    write(&m.join("checkpoints/new.safetensors"), &bytes(1));
    write(&m.join("checkpoints/dup.safetensors"), &bytes(2));
    write(&ws.global.join("checkpoints/dup.safetensors"), &bytes(2));
    write(&m.join("loras/clash.safetensors"), &bytes(3));
    write(&ws.global.join("loras/clash.safetensors"), &bytes(4));
    write(&m.join("loras/put_loras_here"), b"");
    write(&m.join("mine/deep/x.pt"), &bytes(5));
    write(&ws.outside.join("styles/s.safetensors"), &bytes(6));
    link("../../../../../../outside/styles", &m.join("vae/styles"));
    let missing = ws.env("missing");
    (ws, vec![real, missing])
}

fn plan_len(make: fn() -> Option<(Ws, Vec<PathBuf>)>) -> Option<usize> {
    let (ws, _) = make()?;
    let out = fix(&ws, &["--dry-run"]);
    out.expect(1, "dry run");
    let n = out.steps();
    assert!((3..=40).contains(&n), "unexpected plan size {n}:\n{}", out.stdout);
    Some(n)
}

/// Kills the run at `point`, checks nothing is lost, then finishes it (`fix --yes`) or rolls it
/// back (`undo`) and checks the contract of each. Returns whether the failpoint was reached: an
/// `after-copied` point exists only for actions that copy across filesystems, so a run that
/// never reaches it completes normally.
fn interrupt_then(make: fn() -> Option<(Ws, Vec<PathBuf>)>, point: &str, finish: bool) -> bool {
    let Some((ws, comfys)) = make() else { return false };
    let refs: Vec<&std::path::Path> = comfys.iter().map(PathBuf::as_path).collect();
    let b = before(&ws, &refs);
    let what = format!("{point} then {}", if finish { "fix --yes" } else { "undo" });

    let out = fix_interrupted(&ws, point, &[]);
    if point.starts_with("after-copied") && out.code == 0 {
        return false;
    }
    out.expect(FAILPOINT_EXIT, &format!("{point}: the failpoint must end the run"));
    assert_nothing_lost(&b.content, &ws.content(), &format!("{point}: right after the crash"));
    assert_same(&b.untouchable, &ws.untouchable(&refs), &format!("{point}: outside, right after the crash"));

    if finish {
        let out = fix(&ws, &["--yes"]);
        out.expect(0, &what);
        assert_kept(&ws, &refs, &b, &what);
        for c in &refs {
            assert_linked(&ws, c);
        }
        scan(&ws).expect(0, &format!("{what}: scan"));
        // The finished run is one run: undo reverses all of it.
        undo(&ws).expect(0, &format!("{what}: undo"));
        assert_restored(&ws, &refs, &b, &format!("{what}, undo"));
    } else {
        undo(&ws).expect(0, &what);
        assert_restored(&ws, &refs, &b, &what);
        // And the install can be fixed from there.
        fix(&ws, &["--yes"]).expect(0, &format!("{what}: fix again"));
        assert_kept(&ws, &refs, &b, &format!("{what}, fix again"));
    }
    true
}

/// Runs every point of every mode; returns how many points were reached per mode.
fn every_point(make: fn() -> Option<(Ws, Vec<PathBuf>)>, modes: &[&str]) -> Vec<usize> {
    let Some(steps) = plan_len(make) else { return vec![] };
    let mut reached = vec![0; modes.len()];
    for n in 1..=steps {
        for (i, mode) in modes.iter().enumerate() {
            let point = format!("{mode}:{n}");
            let a = interrupt_then(make, &point, true);
            let b = interrupt_then(make, &point, false);
            assert_eq!(a, b, "{point} reached only once out of two identical runs");
            reached[i] += usize::from(a);
        }
    }
    reached
}

#[test]
fn killed_after_each_action_then_finished_or_undone() {
    every_point(same_fs_case, &["after", "before-done"]);
}

#[test]
fn killed_before_each_action_then_finished_or_undone() {
    every_point(same_fs_case, &["before"]);
}

#[test]
fn killed_at_each_point_of_cross_filesystem_moves() {
    let reached = every_point(other_fs_case, &["after", "before", "before-done", "after-copied"]);
    if let [after, before, before_done, copied] = reached[..] {
        assert!(after == before && before == before_done && after >= 3, "{reached:?}");
        // Two moves cross filesystems: checkpoints/new.safetensors and the folder mine/.
        assert_eq!(copied, 2, "after-copied points reached: {reached:?}");
    }
}

#[test]
fn an_interrupted_run_without_yes_is_left_alone() {
    let (ws, comfys) = same_fs_case().unwrap();
    let refs: Vec<&std::path::Path> = comfys.iter().map(PathBuf::as_path).collect();
    let b = before(&ws, &refs);
    fix_interrupted(&ws, "after:3", &[]).expect(FAILPOINT_EXIT, "failpoint");
    let all = ws.everything();
    let out = fix(&ws, &[]);
    out.expect(1, "fix without --yes after an interruption");
    assert!(out.stderr.contains("--yes") && out.stderr.contains("undo"), "must say both ways out:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "fix without --yes must not touch an interrupted run");
    let out = fix(&ws, &["--dry-run"]);
    out.expect(1, "dry run after an interruption");
    assert_same(&all, &ws.everything(), "a dry run must not touch an interrupted run");
    scan(&ws);
    assert_same(&all, &ws.everything(), "scan must not touch an interrupted run");
    fix(&ws, &["--yes"]).expect(0, "finish");
    assert_kept(&ws, &refs, &b, "finished");
}
