//! A `fix` killed after each action in turn (debug-build failpoints) loses nothing, and either
//! the next `fix --yes` completes it or `undo` restores every install.

use std::path::PathBuf;

use crate::support::*;

const FAILPOINT_EXIT: i32 = 99;

/// Three installs fixed in one run: a real `models/` (new file, identical duplicate,
/// placeholder, plain subfolder, nested link), one without `models`, and one linked to an old
/// folder holding a model (hard link or verified copy).
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
    write(m.join("checkpoints/new.safetensors"), bytes(1));
    write(m.join("checkpoints/dup.safetensors"), bytes(2));
    write(ws.global.join("checkpoints/dup.safetensors"), bytes(2));
    write(m.join("checkpoints/put_checkpoints_here"), b"");
    write(m.join("mine/deep/x.pt"), bytes(5));
    write(ws.outside.join("styles/s.safetensors"), bytes(6));
    symlink("../../../../../../outside/styles", m.join("vae/styles"));
    let missing = ws.env("missing");
    let wrong = ws.env("wrong");
    write(ws.outside.join("old/loras/old.safetensors"), bytes(7));
    symlink(ws.outside.join("old"), wrong.join("models"));
    (ws, vec![real, missing, wrong])
}

/// A missing global folder (created with its subfolders), a `models` that is a file, and a
/// fresh clone's placeholders.
fn global_missing_case() -> Option<(Ws, Vec<PathBuf>)> {
    let ws = Ws::bare();
    let file = ws.env("file");
    write(file.join("models"), b"not a folder");
    let fresh = ws.env("fresh");
    write(fresh.join("models/checkpoints/put_checkpoints_here"), b"");
    write(fresh.join("models/loras/.gitkeep"), b"");
    Some((ws, vec![file, fresh]))
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
fn interrupt_then(make: fn() -> Option<(Ws, Vec<PathBuf>)>, point: &str, finish: bool, thorough: bool) -> bool {
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
        if thorough {
            // The finished run is one run: undo reverses all of it.
            undo(&ws).expect(0, &format!("{what}: undo"));
            assert_restored(&ws, &refs, &b, &format!("{what}, undo"));
        }
    } else {
        undo(&ws).expect(0, &what);
        assert_restored(&ws, &refs, &b, &what);
        if thorough {
            // And the install can be fixed from there.
            fix(&ws, &["--yes"]).expect(0, &format!("{what}: fix again"));
            assert_kept(&ws, &refs, &b, &format!("{what}, fix again"));
        }
    }
    true
}

/// Runs every point of every mode, finishing with `fix --yes` or `undo` in turn (so each action
/// gets both over two modes); `both` runs both ways at every point. Returns how many points
/// were reached per mode.
fn every_point(make: fn() -> Option<(Ws, Vec<PathBuf>)>, modes: &[&str], both: bool) -> Vec<usize> {
    let Some(steps) = plan_len(make) else { return vec![] };
    let mut reached = vec![0; modes.len()];
    for n in 1..=steps {
        for (i, mode) in modes.iter().enumerate() {
            let point = format!("{mode}:{n}");
            let finish = (n + i) % 2 == 0;
            let thorough = n % 4 == i % 4;
            let a = interrupt_then(make, &point, finish, thorough);
            if both {
                let b = interrupt_then(make, &point, !finish, thorough);
                assert_eq!(a, b, "{point} reached only once out of two identical runs");
            }
            reached[i] += usize::from(a);
        }
    }
    for (mode, n) in modes.iter().zip(&reached) {
        if *mode != "after-copied" {
            assert_eq!(*n, steps, "{mode}: every one of the {steps} actions must have the point");
        }
    }
    reached
}

#[test]
fn killed_after_each_action_then_finished_or_undone() {
    needs_links!();
    every_point(same_fs_case, &["after", "before-done"], false);
}

#[test]
fn killed_while_creating_the_global_folder_then_finished_or_undone() {
    needs_links!();
    every_point(global_missing_case, &["after"], false);
}

#[test]
fn killed_before_each_action_then_finished_or_undone() {
    needs_links!();
    every_point(same_fs_case, &["before"], true);
}

#[test]
fn killed_at_each_point_of_cross_filesystem_moves() {
    let reached = every_point(other_fs_case, &["after", "before", "before-done", "after-copied"], false);
    if let [after, before, before_done, copied] = reached[..] {
        assert!(after == before && before == before_done && after >= 3, "{reached:?}");
        // Two moves cross filesystems: checkpoints/new.safetensors and the folder mine/ (the
        // old link target is copied, not moved, and has no `copied` record).
        assert_eq!(copied, 2, "after-copied points reached: {reached:?}");
    }
}

#[test]
fn an_interrupted_run_without_yes_is_left_alone() {
    needs_links!();
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

/// `undo` itself killed at each point: the next `undo` finishes restoring.
fn undo_interrupted(point: &str) -> bool {
    let (ws, comfys) = same_fs_case().unwrap();
    let refs: Vec<&std::path::Path> = comfys.iter().map(PathBuf::as_path).collect();
    let b = before(&ws, &refs);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_FAILPOINT", point).arg("undo").arg("--yes").arg(&ws.root);
    let out = run_cmd(cmd);
    if out.code == 0 {
        return false; // past the end of the run
    }
    out.expect(FAILPOINT_EXIT, &format!("undo at {point}"));
    assert_nothing_lost(&b.content, &ws.content(), &format!("undo killed at {point}"));
    undo(&ws).expect(0, &format!("undo after an undo killed at {point}"));
    assert_restored(&ws, &refs, &b, &format!("undo after an undo killed at {point}"));
    true
}

#[test]
fn undo_killed_at_each_action_then_undone_again() {
    needs_links!();
    let steps = plan_len(same_fs_case).unwrap();
    for n in 1..=steps {
        for mode in ["after", "before"] {
            if mode == "before" && n % 3 != 1 {
                continue;
            }
            let point = format!("{mode}:{n}");
            assert!(undo_interrupted(&point), "{point} was never reached: undo reverses every action");
        }
    }
}

#[test]
fn after_an_interrupted_undo_the_advice_of_fix_works() {
    needs_links!();
    let (ws, comfys) = same_fs_case().unwrap();
    let refs: Vec<&std::path::Path> = comfys.iter().map(PathBuf::as_path).collect();
    let b = before(&ws, &refs);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_FAILPOINT", "after:2").arg("undo").arg("--yes").arg(&ws.root);
    run_cmd(cmd).expect(FAILPOINT_EXIT, "undo killed");
    let advice = fix(&ws, &[]);
    advice.expect(1, "fix without --yes after an interrupted undo");
    if advice.stderr.contains("fix --yes") {
        // The advice names `fix --yes`, so it must work.
        fix(&ws, &["--yes"]).expect(0, "fix --yes, as advised");
        assert_kept(&ws, &refs, &b, "fix --yes after an interrupted undo");
        scan(&ws).expect(0, "scan");
    } else {
        assert!(advice.stderr.contains("undo"), "no way out named:\n{}", advice.stderr);
    }
}
