//! The commands `backups`, `detach`, `guard` and `undo`'s refusals suggest run as printed
//! (issue 11: "every hint it prints runs as printed"): each is taken from the output and run
//! through `sh -c` as `interaction` does, in a workspace with a space in its name and with
//! `--models-dir` typed; and what they print has real plurals.
#![cfg(unix)]

use std::path::PathBuf;

use crate::interaction::{hint, hints, run_printed};
use crate::support::*;

/// `comfydoctor <sub> ARGS --models-dir <global> <ws root>`, as a user types it.
fn typed(ws: &Ws, sub: &str, args: &[&str]) -> Out {
    let mut cmd = ws.cmd();
    cmd.arg(sub).args(args).arg("--models-dir").arg(&ws.global).arg(&ws.root);
    run_cmd(cmd)
}

#[track_caller]
fn real_plurals(out: &Out, what: &str) {
    for bad in ["(s)", "(ies)", "(es)"] {
        assert!(
            !out.stdout.contains(bad) && !out.stderr.contains(bad),
            "{what} prints {bad}:\n{}{}",
            out.stdout,
            out.stderr
        );
    }
}

/// Every hint of `out` carries the workspace as typed (`~/'my ws'`) and, when it takes it,
/// `--models-dir`.
#[track_caller]
fn carries_the_path(out: &Out, what: &str) {
    let all: Vec<String> = hints(&out.stdout).into_iter().chain(hints(&out.stderr)).collect();
    assert!(!all.is_empty(), "{what}: no hint:\n{}{}", out.stdout, out.stderr);
    for h in &all {
        assert!(h.contains("~/'my ws"), "{what}: `{h}` names no PATH");
        if !h.starts_with("comfydoctor undo") {
            assert!(h.contains("--models-dir ~/'my ws/models'"), "{what}: `{h}` drops --models-dir");
        }
    }
}

fn run_id(out: &Out) -> String {
    let line = out.stdout.lines().find(|l| l.starts_with("Applied as run ")).expect("a run id in the output");
    line["Applied as run ".len()..].split(';').next().unwrap().trim().to_string()
}

/// A model over 1 MiB (backups look at nothing smaller).
fn model(n: u8) -> Vec<u8> {
    vec![n; 1024 * 1024 + 7]
}

/// Two installs holding the same model, migrated by one `fix --yes`: the second's copy is set
/// aside in its backup folder as identical to the global folder's. Returns the run's id.
fn duplicated() -> (Ws, PathBuf, PathBuf, String) {
    let ws = Ws::named("my ws");
    let a = ws.env("a");
    let b = ws.env("b");
    write(a.join("models/checkpoints/m.safetensors"), model(7));
    write(b.join("models/checkpoints/m.safetensors"), model(7));
    let out = typed(&ws, "fix", &["--yes"]);
    out.expect(0, "migrate both");
    assert_eq!(backups(&b).len(), 1, "the duplicate is set aside");
    (ws, a, b, run_id(&out))
}

#[test]
fn backups_hints_run_as_printed_and_a_prune_makes_the_older_run_impossible_to_undo() {
    let (ws, a, b, fix_run) = duplicated();
    let out = typed(&ws, "backups", &[]);
    out.expect(0, "backups");
    real_plurals(&out, "backups");
    carries_the_path(&out, "backups");
    assert!(out.stdout.contains("(1.0 MiB, 1 file)"), "{}", out.stdout);

    let out = run_printed(&ws, &hint(&out.stdout, "comfydoctor backups --prune"));
    out.expect(1, "the printed prune, no terminal");
    real_plurals(&out, "backups --prune");
    carries_the_path(&out, "backups --prune");
    assert!(out.stderr.contains("Delete 1 backup file,"), "{}", out.stderr);
    let out = run_printed(&ws, &hint(&out.stderr, "comfydoctor backups --prune --yes"));
    out.expect(0, "the printed prune --yes");
    assert!(out.stdout.contains("Freed"), "{}", out.stdout);
    assert!(backups(&b).is_empty(), "pruned");
    assert_linked(&ws, &a);
    assert_linked(&ws, &b);

    // The prune deleted what the fix's undo would move back: no command can undo the fix, so
    // none is offered, and `--with-newer` is refused before anything changes.
    let state = ws.everything();
    for args in [&["--yes", "--run", &fix_run][..], &["--yes", "--run", &fix_run, "--with-newer"]] {
        let out = run(&ws, "undo", args);
        out.expect(2, &format!("undo {args:?}"));
        let err = &out.stderr;
        assert!(err.contains(&format!("run {fix_run} cannot be undone any more")), "{err}");
        assert!(err.contains("`backups --prune`") && err.contains("deletions are not undoable"), "{err}");
        assert!(err.contains("their bytes are there"), "says where the bytes are: {err}");
        assert!(!err.contains("--with-newer") && hints(err).is_empty(), "offers no command that cannot work: {err}");
        assert_same(&state, &ws.everything(), &format!("undo {args:?} changed nothing"));
    }
}

#[test]
fn the_newer_runs_refusal_names_commands_that_run_as_printed() {
    let ws = Ws::empty("my ws");
    ws.write_global_path("models");
    let mut ids = Vec::new();
    let mut comfys = Vec::new();
    for (n, name) in ["a", "b"].iter().enumerate() {
        let comfy = ws.env(name);
        write(comfy.join(format!("models/loras/{n}.safetensors")), bytes(n as u32));
        comfys.push(comfy);
    }
    let b = before(&ws, &[&comfys[0], &comfys[1]]);
    // One run each: the second moves its model into the folder the first made.
    for comfy in &comfys {
        let mut cmd = ws.cmd();
        cmd.args(["fix", "--yes"]).arg(comfy);
        let out = run_cmd(cmd);
        out.expect(0, "fix");
        ids.push(run_id(&out));
    }
    let out = run(&ws, "undo", &["--run", &ids[0]]);
    out.expect(2, "undo of the older run");
    let printed = hints(&out.stderr);
    assert_eq!(printed.len(), 3, "newer run, the run, both at once:\n{}", out.stderr);
    for h in &printed {
        assert!(h.ends_with(" --yes ~/'my ws'"), "`{h}`: no terminal, so --yes; and the PATH");
    }
    // Newest first, as printed.
    run_printed(&ws, &printed[0]).expect(0, "the printed undo of the newer run");
    run_printed(&ws, &printed[1]).expect(0, "the printed undo of the older run");
    assert_restored(&ws, &[&comfys[0], &comfys[1]], &b, "both undone by printed commands");
}

#[test]
fn detach_hints_run_as_printed() {
    let ws = Ws::named("my ws");
    let a = ws.env("a");
    write(a.join("models/checkpoints/a.safetensors"), bytes(1));
    typed(&ws, "fix", &["--yes"]).expect(0, "migrate");

    let out = typed(&ws, "detach", &["--copy", "checkpoints/a.safetensors"]);
    out.expect(1, "detach, no terminal");
    real_plurals(&out, "detach");
    carries_the_path(&out, "detach");
    let yes = hint(&out.stderr, "comfydoctor detach");
    assert!(yes.contains("--copy=checkpoints/a.safetensors") && yes.contains("--yes"), "{yes}");
    let out = run_printed(&ws, &yes);
    out.expect(0, "the printed detach --yes");
    real_plurals(&out, "detach --yes");
    assert!(!is_link(&a.join("models")) && a.join("models/checkpoints/a.safetensors").is_file());
    let attach = hint(&out.stdout, "comfydoctor fix --attach");
    let undo = hint(&out.stdout, "comfydoctor undo");
    assert!(undo.ends_with("~/'my ws'"), "{undo}");

    // Its undo, as printed (no terminal: the printed `--yes` form), puts the link back.
    let out = run_printed(&ws, &undo);
    out.expect(1, "the printed undo, no terminal");
    run_printed(&ws, &hint(&out.stderr, "comfydoctor undo --yes")).expect(0, "the printed undo --yes");
    assert_linked(&ws, &a);

    // Detached again, `fix --attach` as printed (then its printed `--yes`) links it again.
    run_printed(&ws, &yes).expect(0, "detach again");
    let out = run_printed(&ws, &attach);
    out.expect(1, "the printed fix --attach, no terminal");
    // Its own hint keeps `--attach`, or it would leave the detached install alone.
    run_printed(&ws, &hint(&out.stderr, "comfydoctor fix --attach --yes")).expect(0, "the printed fix --attach --yes");
    assert_linked(&ws, &a);
}

#[test]
fn interrupted_run_hints_of_guard_backups_and_detach_run_as_printed() {
    let (ws, _, b, _) = duplicated();
    let c = ws.env("c");
    write(c.join("models/loras/c.safetensors"), bytes(3));
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_FAILPOINT", "after:2").args(["fix", "--yes", "--models-dir"]).arg(&ws.global).arg(&ws.root);
    assert_eq!(run_cmd(cmd).code, 99, "the failpoint ends the run");

    for (sub, args) in [("backups", &["--prune", "--yes"][..]), ("detach", &["--yes"][..])] {
        let out = typed(&ws, sub, args);
        out.expect(2, sub);
        carries_the_path(&out, sub);
        let again = hints(&out.stderr).pop().unwrap();
        assert!(again.starts_with(&format!("comfydoctor {sub} {}", args.join(" "))), "then the command again: {again}");
        real_plurals(&out, sub);
    }
    let mut cmd = ws.cmd();
    cmd.arg("guard").arg("--models-dir").arg(&ws.global).arg(&ws.root).args(["--", "true"]);
    let out = run_cmd(cmd);
    out.expect(2, "guard over an interrupted run");
    carries_the_path(&out, "guard");
    run_printed(&ws, &hint(&out.stderr, "comfydoctor fix --yes")).expect(0, "the printed fix --yes finishes it");
    assert_linked(&ws, &c);
    assert_eq!(backups(&b).len(), 1);
}
