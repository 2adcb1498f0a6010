//! Issue 10, cases 6 and 9 and "a refused run leaves no trace": the executor's preflight (run as
//! another user, so permissions bite even though the tests run as root), the rollback of an
//! install whose step stops half-way, and owner and mode kept through `sudo fix` / `undo`. Every
//! assertion is about the filesystem afterwards.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use comfydoctor::execute::journal::RunState;
use comfydoctor::execute::{
    ExecError, ExecOptions, FailAt, Failpoint, execute, find_unfinished, list_runs, resume, undo,
};
use comfydoctor::plan::{Action, InstallPlan};

use crate::support::{ENV_CLEARED, Home, Ws, lstat_inventory, mkdir, plan, tempdir, write};

const USER: u32 = 1000;

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Whether the binary can be run as uid 1000 here (root, and `setpriv` present); prints why not.
fn can_switch_user(test: &str) -> bool {
    if !is_root() {
        eprintln!("SKIPPED {test}: not running as root, cannot run the binary as another user");
        return false;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED {test}: no setpriv to run the binary as another user");
        return false;
    }
    true
}

/// `comfydoctor <args>` run as uid/gid 1000 (no other groups), with the clean environment of
/// `Ws::cmd`; (exit code, stderr).
fn run_as_user(ws: &Ws, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new("setpriv");
    cmd.args([format!("--reuid={USER}"), format!("--regid={USER}"), "--clear-groups".into()])
        .arg(env!("CARGO_BIN_EXE_comfydoctor"))
        .args(args)
        .home(&ws.base)
        .env("NO_COLOR", "1")
        .current_dir(&ws.base);
    for var in ENV_CLEARED {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("run setpriv");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn run_as_root(ws: &Ws, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_comfydoctor"));
    cmd.args(args).home(&ws.base).env("NO_COLOR", "1").current_dir(&ws.base);
    for var in ENV_CLEARED {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("run comfydoctor");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn chown_tree(root: &Path, uid: u32) {
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        std::os::unix::fs::lchown(e.path(), Some(uid), Some(uid)).unwrap();
    }
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// A workspace whose global folder exists but is empty (so `fix` plans the 20 standard
/// subfolders first) and one install `a` with models in `models/`; returns its `ComfyUI/`.
fn workspace_with_models() -> (Ws, PathBuf) {
    let ws = Ws::empty("ws");
    mkdir(&ws.global);
    ws.write_global_path(ws.global.to_str().unwrap());
    let comfy = ws.env("a");
    let m = comfy.join("models");
    write(m.join("checkpoints/a.safetensors"), b"model A");
    write(m.join("checkpoints/put_checkpoints_here"), b"");
    write(m.join("loras/c.safetensors"), b"lora C");
    write(m.join("loras/pack/b.safetensors"), b"lora B");
    // The temporary folder is root's 0700: let the other user in.
    chmod(&ws.base, 0o755);
    (ws, comfy)
}

/// Case 9 and the refused run: the binary run as uid 1000 on a tree it cannot fully change
/// exits 2 and leaves no trace at all: every file where it was, the global folder as it was
/// (no new subfolders), no `.comfydoctor/` (journal, lock).
#[test]
fn a_run_refused_for_permissions_leaves_no_trace() {
    if !can_switch_user("a_run_refused_for_permissions_leaves_no_trace") {
        return;
    }
    // (name, how the tree is made unchangeable for uid 1000, the path the refusal names)
    type Setup = fn(&Ws, &Path) -> PathBuf;
    let cases: &[(&str, Setup)] = &[
        ("chmod 000 subfolder in models/", |ws, comfy| {
            chown_tree(&ws.root, USER);
            let locked = comfy.join("models/loras/pack");
            chmod(&locked, 0o000);
            locked
        }),
        ("read-only install of another user", |ws, comfy| {
            // The workspace and global folder are the user's; the install is root's.
            chown_tree(&ws.root, USER);
            chown_tree(comfy.parent().unwrap(), 0);
            comfy.join("models/checkpoints")
        }),
    ];
    for (name, setup) in cases {
        let (ws, comfy) = workspace_with_models();
        let named = setup(&ws, &comfy);
        let before = lstat_inventory(&ws.base, true);
        let (code, stderr) = run_as_user(&ws, &["fix", ws.root.to_str().unwrap(), "--yes", "--quiet"]);
        chmod(&comfy.join("models/loras/pack"), 0o755); // so the inventory can look inside
        let mut after = lstat_inventory(&ws.base, true);
        after.insert(
            PathBuf::from("ws/environments/a/ComfyUI/models/loras/pack"),
            before[Path::new("ws/environments/a/ComfyUI/models/loras/pack")].clone(),
        );
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(named.to_str().unwrap()), "{name}: the refusal names {}: {stderr}", named.display());
        // Refused by the planner (it saw the unreadable folder) or by the preflight: either way
        // the message says why, how to fix it, and that nothing changed.
        let lower = stderr.to_lowercase();
        assert!(lower.contains("permission") && lower.contains("chmod "), "{name}: {stderr}");
        assert!(lower.contains("nothing changed") || lower.contains("nothing was changed"), "{name}: {stderr}");
        assert_eq!(after, before, "{name}: something changed");
        assert_eq!(fs::read_dir(&ws.global).unwrap().count(), 0, "{name}: new global subfolders");
        assert!(!ws.journal_dir().exists(), "{name}: a journal folder was made");
    }
}

fn opts(journal: &Path) -> ExecOptions {
    let mut o = ExecOptions::new(journal);
    o.failpoint = None;
    o.progress = false;
    o.lock_wait = Duration::from_millis(300);
    o
}

/// An install whose plan does three things, then meets a step whose precondition no longer
/// holds; and a second install that is fine.
fn half_way(t: &Path, last: &str) -> Vec<InstallPlan> {
    let m = t.join("install/models");
    let g = t.join("global");
    write(m.join("checkpoints/a.safetensors"), b"model A");
    write(m.join("checkpoints/put_checkpoints_here"), b"");
    write(m.join("vae/v.pt"), b"vae");
    mkdir(&g);
    let failing = match last {
        // Someone wrote into the placeholder after the plan was made.
        "placeholder written to" => {
            write(m.join("vae/put_vae_here"), b"oops");
            Action::RemovePlaceholder { path: m.join("vae/put_vae_here") }
        }
        // Something appeared at a move's destination after the plan was made.
        "destination taken" => {
            write(g.join("vae"), b"other");
            Action::Move { from: m.join("vae"), to: g.join("vae") }
        }
        other => panic!("{other}"),
    };
    vec![
        plan(
            &t.join("install"),
            vec![
                Action::MakeDir { path: g.join("checkpoints") },
                Action::Move { from: m.join("checkpoints/a.safetensors"), to: g.join("checkpoints/a.safetensors") },
                Action::RemovePlaceholder { path: m.join("checkpoints/put_checkpoints_here") },
                failing,
                Action::RemoveEmptyDir { path: m.join("checkpoints") },
            ],
        ),
        plan(&t.join("other"), vec![Action::MakeDir { path: t.join("other_dir") }]),
    ]
}

/// Case 9 through the library: an install's step stops after three done steps; they are rolled
/// back at once, so the install is exactly as before, and the run reads complete (the other
/// install went on), never interrupted.
#[test]
fn a_step_that_stops_half_way_leaves_the_install_as_it_was() {
    for last in ["placeholder written to", "destination taken"] {
        let tmp = tempdir();
        let (t, journal) = (tmp.path().join("t"), tmp.path().join("j"));
        mkdir(&t);
        let plans = half_way(&t, last);
        let before = lstat_inventory(&t, true);
        let r = execute(&plans, &opts(&journal)).unwrap();
        let o = &r.installs[0];
        assert_eq!(o.stopped.as_ref().map(|s| s.step), Some(3), "{last}: {o:?}");
        assert_eq!((o.applied, o.rollback.undone), (0, 3), "{last}: {o:?}");
        assert!(o.rollback.stopped.is_none() && o.rollback.left.is_empty(), "{last}: {o:?}");
        assert!(r.installs[1].stopped.is_none() && t.join("other_dir").is_dir(), "{last}");
        fs::remove_dir(t.join("other_dir")).unwrap();
        let mut after = lstat_inventory(&t, true);
        // The folders that lost and regained an entry have new mtimes; nothing else may differ.
        for k in ["", "install/models/checkpoints", "global"] {
            after.get_mut(Path::new(k)).unwrap().stamp = before[Path::new(k)].stamp.clone();
        }
        assert_eq!(after, before, "{last}: the install is not as it was");
        assert_eq!(list_runs(&journal).unwrap()[0].state, RunState::Complete, "{last}");
        assert!(find_unfinished(&journal).unwrap().is_none(), "{last}");
    }
}

/// Every install of the run stopped and was rolled back: the run reads "rolled back", and
/// `undo` has nothing to do (it must not pick that run over an earlier one).
#[test]
fn a_fully_rolled_back_run_is_not_undone_again() {
    let tmp = tempdir();
    let (t, journal) = (tmp.path().join("t"), tmp.path().join("j"));
    mkdir(&t);
    let mut plans = half_way(&t, "placeholder written to");
    plans.truncate(1);
    let before = lstat_inventory(&t, false);
    let r = execute(&plans, &opts(&journal)).unwrap();
    assert_eq!(r.installs[0].rollback.undone, 3);
    assert_eq!(lstat_inventory(&t, false), before);
    assert_eq!(list_runs(&journal).unwrap()[0].state, RunState::RolledBack);
    assert!(find_unfinished(&journal).unwrap().is_none());
    assert!(matches!(undo(None, &opts(&journal)), Err(ExecError::NothingToUndo { .. })));
}

/// A crash in the middle of the rollback (after its first undo) leaves an interrupted run; the
/// resume finishes the rollback, and the install is as before.
#[test]
fn a_rollback_killed_half_way_is_finished_by_the_resume() {
    let tmp = tempdir();
    let (t, journal) = (tmp.path().join("t"), tmp.path().join("j"));
    mkdir(&t);
    let mut plans = half_way(&t, "placeholder written to");
    plans.truncate(1);
    let before = lstat_inventory(&t, false);
    let mut o = opts(&journal);
    // Three forward actions, then the rollback's first undo (action 4) is done, and it dies.
    o.failpoint = Some(Failpoint { at: FailAt::After, n: 4, exit: false });
    assert!(matches!(execute(&plans, &o), Err(ExecError::Failpoint(_))));
    assert_ne!(lstat_inventory(&t, false), before);
    let run = find_unfinished(&journal).unwrap().expect("an interrupted run");
    let r = resume(&run, &opts(&journal)).unwrap();
    assert!(r.installs[0].stopped.is_some());
    assert_eq!(r.installs[0].rollback.undone, 2, "{r:?}");
    assert_eq!(lstat_inventory(&t, false), before);
    assert!(find_unfinished(&journal).unwrap().is_none());
}

/// path → (mode, uid, gid) of everything under `root`, links not followed, the journal folder
/// left out.
fn owners(root: &Path, skip: &Path) -> BTreeMap<PathBuf, (u32, u32, u32)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| !e.path().starts_with(skip))
        .map(|e| {
            let m = e.path().symlink_metadata().unwrap();
            (e.path().to_path_buf(), (m.mode() & 0o7777, m.uid(), m.gid()))
        })
        .collect()
}

/// Case 6: `sudo fix` then `undo` (by root, or by the workspace's owner) on a tree owned by uid
/// 1000 with folders 2775 and files 664/600 leaves every path's owner, group and mode as it
/// was; what `fix` made (global subfolders, the journal folder, journal and lock) is the user's.
#[test]
fn sudo_fix_and_undo_keep_owner_and_mode() {
    if !can_switch_user("sudo_fix_and_undo_keep_owner_and_mode") {
        return;
    }
    for undo_as_user in [false, true] {
        let (ws, comfy) = workspace_with_models();
        chown_tree(&ws.root, USER);
        for e in walkdir::WalkDir::new(&ws.root) {
            let e = e.unwrap();
            chmod(e.path(), if e.file_type().is_dir() { 0o2775 } else { 0o664 });
        }
        chmod(&comfy.join("models/loras/c.safetensors"), 0o600);
        chmod(&comfy.join("models/checkpoints/put_checkpoints_here"), 0o600);
        let before = owners(&ws.root, &ws.journal_dir());
        let root = ws.root.to_str().unwrap();

        let (code, stderr) = run_as_root(&ws, &["fix", root, "--yes", "--quiet"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(comfy.join("models").symlink_metadata().unwrap().file_type().is_symlink());
        for d in ["checkpoints", "loras", "vae"] {
            let m = ws.global.join(d).metadata().unwrap();
            assert_eq!((m.mode() & 0o7777, m.uid(), m.gid()), (0o2775, USER, USER), "new global/{d}");
        }
        let j = ws.journal_dir();
        let mut made = vec![j.clone(), j.join("lock")];
        made.extend(fs::read_dir(&j).unwrap().map(|e| e.unwrap().path()));
        for p in &made {
            assert_eq!(p.metadata().unwrap().uid(), USER, "{} is not the user's", p.display());
        }

        let (code, stderr) = if undo_as_user {
            run_as_user(&ws, &["undo", "--yes", root])
        } else {
            run_as_root(&ws, &["undo", "--yes", root])
        };
        assert_eq!(code, 0, "undo (as user: {undo_as_user}): {stderr}");
        assert_eq!(owners(&ws.root, &ws.journal_dir()), before, "undo as user: {undo_as_user}");
    }
}
