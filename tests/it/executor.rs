//! The executor on real temporary folders: every assertion is about what is on disk.
//!
//! One suite for every platform: the fixtures' folder links are made through the product's
//! platform layer (junctions on Windows). Where no link can be made (Wine), the fixtures and
//! plans leave the links out and everything else still runs: moves, copies, the journal,
//! interruption at every point, resume, rollback and undo. Unix-only: non-UTF-8 names, flock(1),
//! and the second filesystem (tmpfs) of the cross-device tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use comfydoctor::execute::journal::RunState;
use comfydoctor::execute::{
    self, ExecError, ExecOptions, FailAt, Failpoint, execute, find_unfinished, list_runs, resume, rollback, undo,
};
use comfydoctor::plan::{Action, InstallPlan};
use comfydoctor::platform::LinkKind;
use sha2::{Digest, Sha256};

use crate::support::{dir_link, links_supported, needs_links, plan, tempdir};

/// The kind of link [`dir_link`] makes.
const LINK_KIND: LinkKind = if cfg!(windows) { LinkKind::Junction } else { LinkKind::Symlink };

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Dir,
    File { len: u64, sha: String },
    Link(PathBuf),
}

/// lstat inventory of a tree: relative path → kind, size, hash, raw link target (with the
/// root's own path replaced, so two identical trees in different folders compare equal), and,
/// when asked, the mtime.
fn inventory(root: &Path, mtimes: bool) -> BTreeMap<PathBuf, (Item, Option<i64>)> {
    let mut out = BTreeMap::new();
    walk(root, root, mtimes, &mut out);
    out
}

fn walk(root: &Path, p: &Path, mtimes: bool, out: &mut BTreeMap<PathBuf, (Item, Option<i64>)>) {
    let Ok(meta) = fs::symlink_metadata(p) else {
        return;
    };
    let rel = p.strip_prefix(root).unwrap().to_path_buf();
    let mt = mtimes.then(|| {
        let since = meta.modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap();
        since.as_nanos() as i64
    });
    if meta.file_type().is_symlink() {
        let raw = fs::read_link(p).unwrap();
        let raw = match raw.strip_prefix(root) {
            Ok(r) => Path::new("<root>").join(r),
            Err(_) => raw,
        };
        out.insert(rel, (Item::Link(raw), mt));
    } else if meta.is_dir() {
        out.insert(rel, (Item::Dir, mt));
        for e in fs::read_dir(p).unwrap() {
            walk(root, &e.unwrap().path(), mtimes, out);
        }
    } else {
        let sha = format!("{:x}", Sha256::digest(fs::read(p).unwrap()));
        out.insert(rel, (Item::File { len: meta.len(), sha }, mt));
    }
}

fn write(p: &Path, bytes: &[u8]) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

fn opts(journal: &Path) -> ExecOptions {
    let mut o = ExecOptions::new(journal);
    // Hand-made action sequences, not migrations: what ComfyUI lists is not theirs to keep.
    o.view_check = false;
    o.failpoint = None;
    o.progress = false;
    o.lock_wait = Duration::from_millis(300);
    o
}

/// A small install and global folder with one of everything the actions touch.
fn fixture(t: &Path) {
    let m = t.join("install/models");
    write(&m.join("checkpoints/a.safetensors"), b"model bytes A");
    write(&m.join("checkpoints/put_checkpoints_here"), b"");
    write(&m.join("vae/v.pt"), b"vae bytes");
    write(&m.join("vae/sub/deep.bin"), b"deep");
    fs::create_dir_all(m.join("empty")).unwrap();
    fs::create_dir_all(t.join("global/loras")).unwrap();
    write(&t.join("global/loras/l.safetensors"), b"lora");
    if links_supported() {
        dir_link("../checkpoints", m.join("vae/sub/rel_link"));
        dir_link(t.join("global"), t.join("linkdir"));
    }
}

/// The actions that make, move or remove a link; left out where no link can be made.
const LINK_ACTIONS: &[&str] = &["move_link", "create_link", "replace_link", "create_link_like", "remove_link"];

/// One plan per action kind, each valid on a fresh fixture.
fn single_actions(t: &Path) -> Vec<(&'static str, Action)> {
    let m = t.join("install/models");
    let all = vec![
        ("make_dir", Action::MakeDir { path: t.join("global/new") }),
        ("move_file", Action::Move { from: m.join("checkpoints/a.safetensors"), to: t.join("global/a.safetensors") }),
        ("move_dir", Action::Move { from: m.join("vae"), to: t.join("global/vae") }),
        ("move_link", Action::Move { from: t.join("linkdir"), to: t.join("linkdir2") }),
        (
            "hard_link",
            Action::HardLink { from: m.join("checkpoints/a.safetensors"), to: t.join("global/a_hl.safetensors") },
        ),
        (
            "copy_verify",
            Action::CopyVerify { from: m.join("checkpoints/a.safetensors"), to: t.join("global/a_copy.safetensors") },
        ),
        ("remove_placeholder", Action::RemovePlaceholder { path: m.join("checkpoints/put_checkpoints_here") }),
        ("remove_empty_dir", Action::RemoveEmptyDir { path: m.join("empty") }),
        ("create_link", Action::CreateLink { link: t.join("newlink"), target: t.join("global") }),
        (
            "replace_link",
            Action::ReplaceLink {
                link: t.join("linkdir"),
                old_target: t.join("global"),
                new_target: t.join("global/loras"),
            },
        ),
        (
            "create_link_like",
            Action::CreateLinkLike {
                link: t.join("ll"),
                raw_target: PathBuf::from("global/loras"),
                kind: LINK_KIND,
                target_is_dir: true,
            },
        ),
        (
            "remove_link",
            Action::RemoveLink {
                link: t.join("linkdir"),
                raw_target: t.join("global"),
                kind: LINK_KIND,
                target_is_dir: true,
            },
        ),
        (
            "write_file",
            Action::WriteFile {
                path: t.join("install/extra_model_paths.yaml"),
                contents: "comfyui:\n  base_path: x\n".into(),
                mode: None,
                uid: None,
                gid: None,
            },
        ),
    ];
    all.into_iter().filter(|(name, _)| links_supported() || !LINK_ACTIONS.contains(name)).collect()
}

struct Dirs {
    _tmp: crate::support::TempDir,
    tree: PathBuf,
    journal: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempdir();
    let tree = tmp.path().join("t");
    let journal = tmp.path().join("j");
    fs::create_dir(&tree).unwrap();
    Dirs { tree, journal, _tmp: tmp }
}

#[test]
fn every_action_applies_and_undo_restores_the_inventory() {
    let probe = dirs();
    let names: Vec<_> = single_actions(&probe.tree).into_iter().map(|(n, _)| n).collect();
    for name in names {
        let d = dirs();
        fixture(&d.tree);
        let action = single_actions(&d.tree).into_iter().find(|(n, _)| *n == name).unwrap().1;
        let before = inventory(&d.tree, false);
        let o = opts(&d.journal);
        let report = execute(&[plan(&d.tree.join("install"), vec![action])], &o).unwrap();
        assert!(report.succeeded(), "{name}: {report:?}");
        assert_eq!(report.installs[0].applied, 1, "{name}");
        let after = inventory(&d.tree, false);
        assert_ne!(before, after, "{name} changed nothing");
        let runs = list_runs(&d.journal).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].state, RunState::Complete, "{name}");

        let u = undo(None, &o).unwrap();
        assert!(u.stopped.is_none(), "{name}: {u:?}");
        assert_eq!(u.undone, 1, "{name}");
        assert_eq!(inventory(&d.tree, false), before, "{name}: undo did not restore");
        assert_eq!(list_runs(&d.journal).unwrap()[0].state, RunState::Undone);
        assert!(matches!(undo(Some(&u.run_id), &o), Err(ExecError::AlreadyUndone { .. })));
        assert!(matches!(undo(None, &o), Err(ExecError::NothingToUndo { .. })));
    }
}

/// A migration-shaped plan: move the real content out, drop placeholders, link `models/`.
fn migration(t: &Path) -> Vec<InstallPlan> {
    let m = t.join("install/models");
    let g = t.join("global");
    vec![plan(
        &t.join("install"),
        vec![
            Action::MakeDir { path: g.join("checkpoints") },
            Action::Move { from: m.join("checkpoints/a.safetensors"), to: g.join("checkpoints/a.safetensors") },
            Action::RemovePlaceholder { path: m.join("checkpoints/put_checkpoints_here") },
            Action::RemoveEmptyDir { path: m.join("checkpoints") },
            Action::Move { from: m.join("vae"), to: g.join("vae") },
            Action::RemoveEmptyDir { path: m.join("empty") },
            Action::RemoveEmptyDir { path: m.clone() },
            Action::CreateLink { link: m.clone(), target: g.clone() },
            Action::WriteFile {
                path: t.join("install/note.txt"),
                contents: "migrated\n".into(),
                mode: None,
                uid: None,
                gid: None,
            },
        ]
        .into_iter()
        .filter(|a| links_supported() || !matches!(a, Action::CreateLink { .. }))
        .collect(),
    )]
}

/// The number of steps of [`migration`] here.
fn migration_steps() -> usize {
    if links_supported() { 9 } else { 8 }
}

#[test]
fn whole_migration_applies_and_undoes() {
    let d = dirs();
    fixture(&d.tree);
    let before = inventory(&d.tree, false);
    let o = opts(&d.journal);
    let r = execute(&migration(&d.tree), &o).unwrap();
    assert!(r.succeeded(), "{r:?}");
    let m = d.tree.join("install/models");
    if links_supported() {
        assert!(fs::symlink_metadata(&m).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(m.join("checkpoints/a.safetensors")).unwrap(), b"model bytes A");
    } else {
        assert_eq!(fs::read(d.tree.join("global/checkpoints/a.safetensors")).unwrap(), b"model bytes A");
    }
    let u = undo(None, &o).unwrap();
    assert!(u.stopped.is_none(), "{u:?}");
    assert_eq!(u.undone, migration_steps());
    assert_eq!(inventory(&d.tree, false), before);
}

#[test]
fn failed_precondition_stops_that_install_only_and_touches_nothing_further() {
    let d = dirs();
    fixture(&d.tree);
    let m = d.tree.join("install/models");
    // Not a placeholder any more: someone wrote into it.
    write(&m.join("checkpoints/put_checkpoints_here"), b"oops");
    let first = plan(
        &d.tree.join("install"),
        vec![
            Action::MakeDir { path: d.tree.join("global/x") },
            Action::RemovePlaceholder { path: m.join("checkpoints/put_checkpoints_here") },
            Action::MakeDir { path: d.tree.join("global/y") },
        ],
    );
    let second = plan(&d.tree.join("other"), vec![Action::MakeDir { path: d.tree.join("global/z") }]);
    let r = execute(&[first, second], &opts(&d.journal)).unwrap();
    assert!(!r.succeeded());
    let stop = r.installs[0].stopped.as_ref().unwrap();
    assert_eq!(stop.step, 1);
    assert_eq!(stop.path, m.join("checkpoints/put_checkpoints_here"));
    assert!(stop.message.contains("put_checkpoints_here"), "{stop:?}");
    // The step before the stop is rolled back at once: nothing changed for this install.
    assert_eq!(r.installs[0].applied, 0);
    assert_eq!(r.installs[0].rollback.undone, 1);
    assert!(r.installs[0].rollback.stopped.is_none() && r.installs[0].rollback.left.is_empty());
    assert!(!d.tree.join("global/x").exists());
    assert!(!d.tree.join("global/y").exists());
    assert_eq!(fs::read(m.join("checkpoints/put_checkpoints_here")).unwrap(), b"oops");
    assert!(r.installs[1].stopped.is_none());
    assert!(d.tree.join("global/z").is_dir());
    // The stop is in the journal; the run is complete (not interrupted).
    let runs = list_runs(&d.journal).unwrap();
    assert_eq!(runs[0].state, RunState::Complete);
    assert!(find_unfinished(&d.journal).unwrap().is_none());
}

/// Windows: a model ComfyUI holds open (Python opens files without `FILE_SHARE_DELETE`) cannot be
/// moved. The install stops at that file with "close ComfyUI and retry", and what moved before it
/// is moved back: nothing half-moved. (Wine enforces share modes too, so this runs there.)
#[cfg(windows)]
#[test]
fn a_model_held_open_stops_the_install_with_close_comfyui_and_nothing_half_moved() {
    use std::os::windows::fs::OpenOptionsExt;
    let d = dirs();
    fixture(&d.tree);
    let m = d.tree.join("install/models");
    let before = inventory(&d.tree, false);
    // FILE_SHARE_READ | FILE_SHARE_WRITE, as Python's open() shares it: no FILE_SHARE_DELETE.
    let held = fs::OpenOptions::new().read(true).share_mode(0x1 | 0x2).open(m.join("vae/v.pt")).unwrap();
    let steps = vec![
        Action::Move { from: m.join("checkpoints/a.safetensors"), to: d.tree.join("global/a.safetensors") },
        Action::Move { from: m.join("vae/v.pt"), to: d.tree.join("global/v.pt") },
        Action::MakeDir { path: d.tree.join("global/after") },
    ];
    let r = execute(&[plan(&d.tree.join("install"), steps)], &opts(&d.journal)).unwrap();
    drop(held);
    let stop = r.installs[0].stopped.as_ref().unwrap_or_else(|| panic!("not stopped: {r:?}"));
    assert_eq!((stop.step, stop.path.as_path()), (1, m.join("vae/v.pt").as_path()), "{stop:?}");
    assert!(stop.message.contains("close ComfyUI"), "{stop:?}");
    assert_eq!((r.installs[0].applied, r.installs[0].rollback.undone), (0, 1), "{r:?}");
    assert_eq!(inventory(&d.tree, false), before, "the first move is moved back");
    assert!(find_unfinished(&d.journal).unwrap().is_none());
}

#[test]
fn move_onto_an_existing_destination_is_refused() {
    let d = dirs();
    fixture(&d.tree);
    let m = d.tree.join("install/models");
    write(&d.tree.join("global/a.safetensors"), b"other");
    let before = inventory(&d.tree, false);
    let r = execute(
        &[plan(
            &d.tree.join("install"),
            vec![Action::Move { from: m.join("checkpoints/a.safetensors"), to: d.tree.join("global/a.safetensors") }],
        )],
        &opts(&d.journal),
    )
    .unwrap();
    assert_eq!(r.installs[0].stopped.as_ref().unwrap().path, d.tree.join("global/a.safetensors"));
    assert_eq!(inventory(&d.tree, false), before);
    // Refused before the first action: nothing written at all.
    assert!(!d.journal.exists());
    assert!(r.journal.is_none());
}

#[test]
fn noop_and_dry_runs_write_nothing() {
    let d = dirs();
    fixture(&d.tree);
    let root = d.tree.parent().unwrap().to_path_buf();
    let before = inventory(&root, true);
    let o = opts(&d.journal);
    let r = execute(&[plan(&d.tree.join("install"), vec![])], &o).unwrap();
    assert!(r.run_id.is_none() && r.journal.is_none());
    let mut dry = o.clone();
    dry.dry_run = true;
    let r = execute(&migration(&d.tree), &dry).unwrap();
    assert!(r.dry_run && r.journal.is_none());
    assert_eq!(inventory(&root, true), before);
    assert!(list_runs(&d.journal).unwrap().is_empty());
    assert!(find_unfinished(&d.journal).unwrap().is_none());
    assert!(!d.journal.exists());
}

#[cfg(unix)] // flock(1) holds the lock from another process
#[test]
fn a_second_concurrent_run_fails_cleanly() {
    // util-linux's flock(1); macOS has none.
    if !std::process::Command::new("sh").args(["-c", "command -v flock"]).output().is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: no flock(1) to hold the lock from another process");
        return;
    }
    let d = dirs();
    fixture(&d.tree);
    // Another process holds the lock (within one process the lock is re-entrant).
    fs::create_dir_all(&d.journal).unwrap();
    let lock_file = d.journal.join("lock");
    fs::write(&lock_file, "").unwrap();
    // One process from the lock to the end: the shell takes the lock on its fd 9, then becomes
    // `sleep`, so killing it releases the lock.
    let mut holder = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec 9>>\"$1\"; flock -x 9; echo held; exec sleep 30")
        .arg("sh")
        .arg(&lock_file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("flock(1) runs");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(holder.stdout.take().unwrap()), &mut line).unwrap();
    let before = inventory(&d.tree, false);
    let err = execute(&migration(&d.tree), &opts(&d.journal)).unwrap_err();
    assert!(matches!(err, ExecError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("another comfydoctor run"));
    assert!(err.to_string().contains("pid"), "names the holder: {err}");
    assert_eq!(comfydoctor::exit_codes::ExitCode::from(comfydoctor::error::Error::from(err).kind()).code(), 2);
    assert_eq!(inventory(&d.tree, false), before);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(execute(&migration(&d.tree), &opts(&d.journal)).unwrap().succeeded());
}

fn all_failpoints(steps: usize) -> Vec<Failpoint> {
    let mut v = Vec::new();
    for n in 1..=steps {
        for at in [FailAt::Before, FailAt::BeforeDone, FailAt::After] {
            v.push(Failpoint { at, n, exit: false });
        }
    }
    v
}

#[test]
fn interrupted_at_every_point_resumes_or_rolls_back() {
    let reference = dirs();
    fixture(&reference.tree);
    let before = inventory(&reference.tree, false);
    assert!(execute(&migration(&reference.tree), &opts(&reference.journal)).unwrap().succeeded());
    let done = inventory(&reference.tree, false);
    let steps = migration(&reference.tree)[0].steps.len();

    for fp in all_failpoints(steps) {
        for finish in ["resume", "rollback"] {
            let d = dirs();
            fixture(&d.tree);
            let mut o = opts(&d.journal);
            o.failpoint = Some(fp);
            let err = execute(&migration(&d.tree), &o).unwrap_err();
            assert!(matches!(err, ExecError::Failpoint(_)), "{fp:?}: {err}");
            let run = find_unfinished(&d.journal).unwrap().expect("interrupted run");
            assert_eq!(run.state(), RunState::Interrupted);
            let o = opts(&d.journal);
            if finish == "resume" {
                let r = resume(&run, &o).unwrap();
                assert!(r.succeeded(), "{fp:?}: {r:?}");
                assert_eq!(r.installs[0].applied, steps);
                assert_eq!(inventory(&d.tree, false), done, "{fp:?} resume");
                assert_eq!(list_runs(&d.journal).unwrap()[0].state, RunState::Complete);
            } else {
                let u = rollback(&run, &o).unwrap();
                assert!(u.stopped.is_none(), "{fp:?}: {u:?}");
                assert_eq!(inventory(&d.tree, false), before, "{fp:?} rollback");
                assert_eq!(list_runs(&d.journal).unwrap()[0].state, RunState::Undone);
            }
            assert!(find_unfinished(&d.journal).unwrap().is_none());
        }
    }
}

#[test]
fn interrupted_undo_is_finished_by_undo_again() {
    for n in 1..=migration_steps() {
        for at in [FailAt::Before, FailAt::BeforeDone, FailAt::After] {
            let d = dirs();
            fixture(&d.tree);
            let before = inventory(&d.tree, false);
            assert!(execute(&migration(&d.tree), &opts(&d.journal)).unwrap().succeeded());
            let mut o = opts(&d.journal);
            o.failpoint = Some(Failpoint { at, n, exit: false });
            assert!(matches!(undo(None, &o), Err(ExecError::Failpoint(_))));
            let run = find_unfinished(&d.journal).unwrap().unwrap();
            assert_eq!(run.state(), RunState::UndoIncomplete);
            assert!(matches!(resume(&run, &opts(&d.journal)), Err(ExecError::NotResumable { .. })));
            let u = undo(None, &opts(&d.journal)).unwrap();
            assert!(u.stopped.is_none(), "{n} {at:?}: {u:?}");
            assert_eq!(inventory(&d.tree, false), before, "{n} {at:?}");
        }
    }
}

#[test]
fn undo_refuses_to_remove_a_copy_that_changed_or_is_the_only_one() {
    let d = dirs();
    fixture(&d.tree);
    let m = d.tree.join("install/models");
    let to = d.tree.join("global/a_copy.safetensors");
    let o = opts(&d.journal);
    execute(
        &[plan(
            &d.tree.join("install"),
            vec![Action::CopyVerify { from: m.join("checkpoints/a.safetensors"), to: to.clone() }],
        )],
        &o,
    )
    .unwrap();
    // The source is gone: the copy is now the only one.
    fs::rename(m.join("checkpoints/a.safetensors"), d.tree.join("elsewhere")).unwrap();
    let u = undo(None, &o).unwrap();
    let (_, stop) = u.stopped.unwrap();
    assert_eq!(stop.path, to);
    assert!(to.exists());
    assert_eq!(list_runs(&d.journal).unwrap()[0].state, RunState::UndoIncomplete);
    // Put it back and the undo goes through.
    fs::rename(d.tree.join("elsewhere"), m.join("checkpoints/a.safetensors")).unwrap();
    assert!(undo(None, &o).unwrap().stopped.is_none());
    assert!(!to.exists());
}

#[cfg(unix)] // names that are not Unicode exist only there
#[test]
fn non_utf8_names_round_trip_through_the_journal() {
    use std::os::unix::ffi::OsStrExt;
    if !crate::support::byte_names_work() {
        return;
    }
    let d = dirs();
    let odd = std::ffi::OsStr::from_bytes(b"mod\xffel.safetensors");
    let from = d.tree.join(odd);
    fs::write(&from, b"x").unwrap();
    fs::create_dir(d.tree.join("g")).unwrap();
    let to = d.tree.join("g").join(odd);
    let before = inventory(&d.tree, false);
    let o = opts(&d.journal);
    let action = Action::Move { from: from.clone(), to: to.clone() };
    assert!(execute::describe(&action).starts_with("mv '"));
    assert!(execute(&[plan(&d.tree, vec![action.clone()])], &o).unwrap().succeeded());
    assert!(to.exists() && !from.exists());
    let runs = list_runs(&d.journal).unwrap();
    let run = comfydoctor::execute::journal::JournalRun::read(&runs[0].journal).unwrap();
    assert_eq!(run.plans[0].steps[0].action, action);
    assert!(undo(None, &o).unwrap().stopped.is_none());
    assert_eq!(inventory(&d.tree, false), before);
}

#[test]
fn five_thousand_files_move_in_one_step() {
    let d = dirs();
    let src = d.tree.join("many");
    fs::create_dir(&src).unwrap();
    for i in 0..5000 {
        fs::write(src.join(format!("f{i:04}.bin")), i.to_string()).unwrap();
    }
    let before = inventory(&src, false);
    let o = opts(&d.journal);
    let to = d.tree.join("moved");
    let r = execute(&[plan(&d.tree, vec![Action::Move { from: src.clone(), to: to.clone() }])], &o).unwrap();
    assert!(r.succeeded());
    assert_eq!(inventory(&to, false), before);
    assert!(!src.exists());
}

/// A folder on another filesystem than the temp dir (tmpfs `/dev/shm`), or `None` with a
/// message when there is none.
#[cfg(unix)]
fn other_device(than: &Path) -> Option<tempfile::TempDir> {
    use std::os::unix::fs::MetadataExt;
    let shm = Path::new("/dev/shm");
    let dev = |p: &Path| fs::metadata(p).map(|m| m.dev()).ok();
    if shm.is_dir() && dev(shm).is_some() && dev(shm) != dev(than) {
        tempfile::tempdir_in(shm).ok()
    } else {
        eprintln!("skipped: no /dev/shm on a different device than {}", than.display());
        None
    }
}

/// A folder with nested links (relative, absolute, dangling) and a non-UTF-8 name.
#[cfg(unix)]
fn odd_tree(dir: &Path) {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;
    write(&dir.join("a.safetensors"), &vec![7u8; 300 << 10]);
    write(&dir.join("sub/b.pt"), b"bbb");
    write(&dir.join("sub").join(OsStr::from_bytes(b"n\xffme.bin")), b"odd");
    fs::create_dir_all(dir.join("sub/empty")).unwrap();
    symlink("../a.safetensors", dir.join("sub/rel")).unwrap();
    symlink("/nonexistent/dangling", dir.join("dangling")).unwrap();
    symlink(dir.join("sub"), dir.join("abs")).unwrap();
}

#[cfg(unix)]
#[test]
fn cross_device_moves_copy_verify_and_remove_the_source() {
    let d = dirs();
    let Some(shm) = other_device(&d.tree) else {
        return;
    };
    let src = d.tree.join("tree");
    odd_tree(&src);
    write(&d.tree.join("single.bin"), b"single file");
    std::os::unix::fs::symlink("tree/sub", d.tree.join("lnk")).unwrap();
    let tree_before = inventory(&src, false);
    let all_before = inventory(&d.tree, false);
    let o = opts(&d.journal);
    let dst = shm.path().join("tree");
    let plans = [plan(
        &d.tree,
        vec![
            Action::Move { from: src.clone(), to: dst.clone() },
            Action::Move { from: d.tree.join("single.bin"), to: shm.path().join("single.bin") },
            Action::Move { from: d.tree.join("lnk"), to: shm.path().join("lnk") },
        ],
    )];
    let r = execute(&plans, &o).unwrap();
    assert!(r.succeeded(), "{r:?}");
    assert!(!src.exists());
    // Links stay links with their raw targets (the absolute one still names the old place).
    let mut moved = inventory(&dst, false);
    let abs = moved.remove(Path::new("abs")).unwrap();
    let mut want = tree_before.clone();
    want.remove(Path::new("abs"));
    assert_eq!(moved, want);
    assert_eq!(abs.0, Item::Link(src.join("sub")));
    assert_eq!(fs::read(shm.path().join("single.bin")).unwrap(), b"single file");
    assert_eq!(fs::read_link(shm.path().join("lnk")).unwrap(), Path::new("tree/sub"));
    // No temporary left anywhere.
    let names: Vec<_> = fs::read_dir(shm.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 3, "{names:?}");

    let u = undo(None, &o).unwrap();
    assert!(u.stopped.is_none(), "{u:?}");
    assert_eq!(inventory(&d.tree, false), all_before);
    assert_eq!(fs::read_dir(shm.path()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn cross_device_move_killed_anywhere_resumes_or_rolls_back() {
    let probe = dirs();
    let Some(_shm) = other_device(&probe.tree) else {
        return;
    };
    for at in [FailAt::Before, FailAt::AfterCopied, FailAt::BeforeDone, FailAt::After] {
        for finish in ["resume", "rollback"] {
            let d = dirs();
            let shm = other_device(&d.tree).unwrap();
            let src = d.tree.join("tree");
            odd_tree(&src);
            let before_src = inventory(&src, false);
            let before = inventory(&d.tree, false);
            let dst = shm.path().join("tree");
            let plans = [plan(&d.tree, vec![Action::Move { from: src.clone(), to: dst.clone() }])];
            let mut o = opts(&d.journal);
            o.failpoint = Some(Failpoint { at, n: 1, exit: false });
            assert!(matches!(execute(&plans, &o), Err(ExecError::Failpoint(_))));
            if at == FailAt::AfterCopied {
                // The copy is complete at its place; the source is all still there.
                assert_eq!(inventory(&src, false), before_src);
            }
            let run = find_unfinished(&d.journal).unwrap().unwrap();
            let o = opts(&d.journal);
            if finish == "resume" {
                assert!(resume(&run, &o).unwrap().succeeded());
                assert!(!src.exists(), "{at:?}");
                let mut got = inventory(&dst, false);
                let mut want = before_src.clone();
                got.remove(Path::new("abs"));
                want.remove(Path::new("abs"));
                assert_eq!(got, want, "{at:?}");
            } else {
                let u = rollback(&run, &o).unwrap();
                assert!(u.stopped.is_none(), "{at:?} {u:?}");
                assert_eq!(inventory(&d.tree, false), before, "{at:?}");
                assert_eq!(fs::read_dir(shm.path()).unwrap().count(), 0, "{at:?}");
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn cross_device_five_thousand_files() {
    let d = dirs();
    let Some(shm) = other_device(&d.tree) else {
        return;
    };
    let src = d.tree.join("many");
    fs::create_dir(&src).unwrap();
    for i in 0..5000 {
        fs::write(src.join(format!("f{i:04}.bin")), i.to_string()).unwrap();
    }
    let before = inventory(&src, false);
    let to = shm.path().join("many");
    let r =
        execute(&[plan(&d.tree, vec![Action::Move { from: src.clone(), to: to.clone() }])], &opts(&d.journal)).unwrap();
    assert!(r.succeeded());
    assert_eq!(inventory(&to, false), before);
    assert!(!src.exists());
}

#[test]
fn journal_records_header_steps_and_completion() {
    let d = dirs();
    fixture(&d.tree);
    let r = execute(&migration(&d.tree), &opts(&d.journal)).unwrap();
    let text = fs::read_to_string(r.journal.as_ref().unwrap()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["record"], "header");
    assert_eq!(lines[0]["run_id"], r.run_id.clone().unwrap().as_str());
    assert_eq!(lines[0]["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(lines[1]["state"], "started");
    assert_eq!(lines[2]["state"], "done");
    assert_eq!(lines.last().unwrap()["record"], "complete");
    assert_eq!(lines.len(), 1 + 2 * migration_steps() + 1);
    assert!(d.journal.join("lock").exists());
    let _ = execute::quote(Path::new("x"));
}

#[test]
fn resume_keeps_an_install_that_had_stopped_stopped() {
    let d = dirs();
    fixture(&d.tree);
    let missing = d.tree.join("nope");
    let mut plans = vec![plan(&d.tree.join("broken"), vec![Action::RemoveEmptyDir { path: missing.clone() }])];
    plans.extend(migration(&d.tree));
    let mut o = opts(&d.journal);
    o.failpoint = Some(Failpoint { at: FailAt::After, n: 2, exit: false });
    assert!(execute(&plans, &o).is_err());
    let run = find_unfinished(&d.journal).unwrap().unwrap();
    let r = resume(&run, &opts(&d.journal)).unwrap();
    let stop = r.installs[0].stopped.as_ref().unwrap();
    assert_eq!(stop.path, missing);
    assert!(r.installs[1].stopped.is_none());
    assert_eq!(r.installs[1].applied, migration_steps());
}

/// The view check: a plan that would hide a model, lose one, or show other bytes under its name
/// (a planner bug, made here by hand) is rolled back by the executor, which says which names.
#[test]
fn view_check_rolls_back_a_plan_that_would_hide_a_model() {
    // Without its link the migration hides every model: nothing to check it against.
    needs_links!();
    // `migration()` with one step wrong: (the step's index, the wrong step, a name it hides).
    type Bug = fn(&Path) -> (usize, Action, &'static str);
    let bugs: &[(&str, Bug)] = &[
        ("a model moved aside", |t| {
            let from = t.join("install/models/checkpoints/a.safetensors");
            (1, Action::Move { from, to: t.join("aside.safetensors") }, "checkpoints/a.safetensors")
        }),
        ("a link made to the wrong folder", |t| {
            let (link, target) = (t.join("install/models"), t.join("global/checkpoints"));
            (7, Action::CreateLink { link, target }, "vae/v.pt")
        }),
    ];
    // The control: the same plan without the wrong step passes the check.
    let d = dirs();
    fixture(&d.tree);
    let mut o = opts(&d.journal);
    o.view_check = true;
    let mut p = migration(&d.tree).remove(0);
    p.global = Some(d.tree.join("global"));
    assert!(execute(&[p], &o).unwrap().succeeded(), "a right migration passes the view check");
    for (what, bug) in bugs {
        let d = dirs();
        fixture(&d.tree);
        let before = inventory(&d.tree, false);
        let mut o = opts(&d.journal);
        o.view_check = true;
        let (at, wrong, name) = bug(&d.tree);
        let mut p = migration(&d.tree).remove(0);
        p.steps[at].action = wrong;
        p.global = Some(d.tree.join("global"));
        let r = execute(&[p], &o).unwrap();
        let out = &r.installs[0];
        let stop = out.stopped.as_ref().unwrap_or_else(|| panic!("{what}: the view check let it pass: {r:?}"));
        assert!(stop.message.contains(name) && stop.message.contains("comfydoctor bug"), "{what}: {}", stop.message);
        assert_eq!(out.applied, 0, "{what}: rolled back");
        assert!(out.rollback.stopped.is_none(), "{what}: {:?}", out.rollback);
        assert_eq!(inventory(&d.tree, false), before, "{what}: the tree is as it was");
    }
}
