//! `comfydoctor guard` (issue 17): an updater run with the `models` link out of its way, on a
//! checkout migrated by the binary. The updater is real: libgit2 through pygit2 (installed from
//! PyPI into a virtual environment under `target/`, see [`pygit2_python`]) driven by
//! `tests/pygit2_update.py` as the Windows portable build's `update.py` drives it, and the git
//! command line (`git pull --ff-only`). Upstream's commit changes `main.py`, adds
//! `models/newdir/put_new_here` and changes a stock config that the user had edited in the
//! global folder. Also: the exit code passes through, and a guard killed at any point (during
//! the updater, or at each step of the unlinking) is finished by the next `fix --yes`.
//!
//! The fixture and the pygit2 set-up are shared with `checks::git_protection_lost` (the same
//! update without `guard`, then repaired by the hook).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::*;

/// The config upstream changes (and the user edited in the global folder).
pub const EDITED: &str = "configs/v1-inference.yaml";
pub const USER_EDIT: &str = "# the user's own settings\nmodel:\n  target: mine.Model\n";

/// A migrated ComfyUI checkout with its upstream and global folder.
pub struct Update {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub upstream: PathBuf,
    pub clone: PathBuf,
    pub global: PathBuf,
    tsv: PathBuf,
}

impl Update {
    /// Upstream with a ComfyUI-like tree (tracked `models/` despite `/models/` in .gitignore),
    /// a clone of it, and a global folder where the user edited one stock config; then
    /// `comfydoctor fix --yes` migrates the clone (the edit is kept, the stock version goes to
    /// the backup folder, the journal records the edit).
    pub fn migrated() -> Update {
        assert!(has_git(), "the guard tests need `git` on PATH");
        let tmp = tempfile::Builder::new().prefix("comfydoctor-guard").tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let stock = StockTree::new();
        let upstream = git_upstream(&root, &stock);
        let clone = root.join("ComfyUI");
        git(&root, &["clone", "-q", upstream.to_str().unwrap(), clone.to_str().unwrap()]);
        let global = root.join("global");
        for d in STANDARD_SUBFOLDERS {
            fs::create_dir_all(global.join(d)).unwrap();
        }
        write(global.join(EDITED), USER_EDIT);
        write(global.join("checkpoints/model.safetensors"), bytes(4096));
        let tsv = stock.write_tsv(&root.join("stock.tsv"));
        let u = Update { _tmp: tmp, root, upstream, clone, global, tsv };
        let out = u.run(&["fix", "--yes"], true);
        assert_eq!(out.0, 0, "migration failed\n{}\n{}", out.1, out.2);
        assert!(out.1.contains("edited stock file"), "the migration says the edit could be overwritten:\n{}", out.1);
        u.assert_linked();
        assert_eq!(u.status(), "");
        u
    }

    /// Runs the binary with `args`, then the clone as PATH (when `with_path`) and the global
    /// folder, in a clean environment.
    pub fn cmd(&self, args: &[&str], with_path: bool) -> assert_cmd::Command {
        let mut cmd = bin();
        cmd.home(&self.root)
            .env("COMFYDOCTOR_STOCK_TSV", &self.tsv)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("COMFYDOCTOR_MODELS_DIR", &self.global)
            .current_dir(&self.root)
            .args(args);
        if with_path {
            cmd.arg(&self.clone);
        }
        cmd
    }

    pub fn run(&self, args: &[&str], with_path: bool) -> (i32, String, String) {
        output(&mut self.cmd(args, with_path))
    }

    /// `comfydoctor guard <clone> -- COMMAND...`
    pub fn guard(&self, command: &[&str]) -> (i32, String, String) {
        let mut cmd = self.cmd(&["guard"], true);
        cmd.arg("--").args(command);
        output(&mut cmd)
    }

    /// Upstream changes `main.py` and the edited config, and adds `models/newdir/put_new_here`.
    pub fn upstream_commit(&self) {
        write(self.upstream.join("main.py"), "# main.py v2\n");
        write(self.upstream.join("models/newdir/put_new_here"), "");
        let cfg = self.upstream.join("models").join(EDITED);
        let mut text = fs::read_to_string(&cfg).unwrap();
        text.push_str("# upstream edit\n");
        write(&cfg, text);
        commit_all(&self.upstream, "update");
    }

    pub fn upstream_config(&self) -> Vec<u8> {
        read(&self.upstream.join("models").join(EDITED))
    }

    pub fn assert_linked(&self) {
        let link = self.clone.join("models");
        let meta = fs::symlink_metadata(&link).unwrap();
        assert!(meta.file_type().is_symlink(), "models is not a link");
        assert_eq!(fs::canonicalize(&link).unwrap(), fs::canonicalize(&self.global).unwrap());
    }

    pub fn status(&self) -> String {
        git(&self.clone, &["status", "--porcelain"])
    }

    /// Tracked `models/` paths without the skip-worktree bit.
    pub fn unskipped(&self) -> Vec<String> {
        git(&self.clone, &["ls-files", "-t", "--", "models"])
            .lines()
            .filter(|l| !l.starts_with("S "))
            .map(String::from)
            .collect()
    }

    pub fn main_py(&self) -> String {
        fs::read_to_string(self.clone.join("main.py")).unwrap()
    }

    /// Every regular file of the global folder: relative path → bytes.
    pub fn global_files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        for e in walkdir::WalkDir::new(&self.global).follow_links(false) {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(&self.global).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(e.path()).unwrap());
            }
        }
        out
    }

    /// The common assertions after a guarded update: every file of the global folder kept its
    /// bytes (and nothing was added but folders), the update is applied, git is clean and
    /// protected, the link is back, and upstream's version of the edited config waits in the
    /// backup folder.
    #[track_caller]
    pub fn assert_guarded(&self, before: &BTreeMap<String, Vec<u8>>, out: &(i32, String, String)) {
        assert_eq!(out.0, 0, "guard failed\nstdout:\n{}\nstderr:\n{}", out.1, out.2);
        assert_eq!(&self.global_files(), before, "every file of the global folder keeps its bytes");
        assert_eq!(self.main_py(), "# main.py v2\n", "the update is applied");
        assert_eq!(self.status(), "", "git status after the guarded update");
        assert_eq!(self.unskipped(), Vec::<String>::new(), "every tracked models/ path is skip-worktree again");
        self.assert_linked();
        assert!(self.global.join("newdir").is_dir(), "upstream's new folder is in the global folder");
        let upstream = self.upstream_config();
        let kept: Vec<PathBuf> = backups(&self.clone)
            .into_iter()
            .map(|b| b.join(EDITED))
            .filter(|p| p.is_file() && read(p) == upstream)
            .collect();
        assert_eq!(kept.len(), 1, "upstream's version of the edited config is kept in a backup folder");
        let (code, json) = run_json_cmd(&mut self.cmd(&["scan", "--format", "json"], true));
        assert_eq!(code, 0, "scan after the guarded update: {json:#}");
    }
}

/// The Python of a virtual environment with pygit2, made once under `target/pygit2-venv` (by
/// `.ci/run`, or here on first use, from PyPI). `COMFYDOCTOR_PYGIT2_PYTHON` names another.
/// `None` (printed loudly) when it cannot be had and this is not CI; on CI a failure.
pub fn pygit2_python() -> Option<PathBuf> {
    static PY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let got = PY.get_or_init(provision);
    match got {
        Ok(p) => Some(p.clone()),
        Err(why) if std::env::var_os("CI").is_some() => panic!("pygit2 is needed on CI: {why}"),
        Err(why) => {
            eprintln!("\n!!!!!!!! SKIPPED: a real-libgit2 test: {why}");
            eprintln!(
                "!!!!!!!! install it with: python3 -m venv target/pygit2-venv && target/pygit2-venv/bin/pip install pygit2==1.21.0\n"
            );
            None
        }
    }
}

fn imports_pygit2(python: &Path) -> bool {
    std::process::Command::new(python).args(["-c", "import pygit2"]).output().is_ok_and(|o| o.status.success())
}

fn provision() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("COMFYDOCTOR_PYGIT2_PYTHON") {
        let p = PathBuf::from(p);
        return if imports_pygit2(&p) { Ok(p) } else { Err(format!("{} cannot import pygit2", p.display())) };
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pygit2-venv");
    let python = venv_bin(&venv, "python");
    if imports_pygit2(&python) {
        return Ok(python);
    }
    // One test process makes it; others (nextest runs one process a test) wait for the lock.
    fs::create_dir_all(venv.parent().unwrap()).map_err(|e| e.to_string())?;
    let lock = fs::File::create(venv.with_extension("lock")).map_err(|e| e.to_string())?;
    lock.lock().map_err(|e| e.to_string())?;
    if imports_pygit2(&python) {
        return Ok(python);
    }
    let step = |cmd: &mut std::process::Command, what: &str| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
        }
    };
    step(
        std::process::Command::new(if cfg!(windows) { "python" } else { "python3" }).arg("-m").arg("venv").arg(&venv),
        "python3 -m venv",
    )?;
    step(
        std::process::Command::new(venv_bin(&venv, "pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pygit2==1.21.0",
        ]),
        "pip install pygit2==1.21.0",
    )?;
    if imports_pygit2(&python) { Ok(python) } else { Err("pygit2 installed but cannot be imported".into()) }
}

/// A program of a virtual environment: `bin/<name>` on Unix, `Scripts\\<name>.exe` on Windows.
fn venv_bin(venv: &Path, name: &str) -> PathBuf {
    if cfg!(windows) { venv.join("Scripts").join(format!("{name}.exe")) } else { venv.join("bin").join(name) }
}

/// The updater command: pygit2 driven as `update.py` drives it.
pub fn pygit2_updater(python: &Path, clone: &Path) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pygit2_update.py");
    vec![python.display().to_string(), script.display().to_string(), clone.display().to_string()]
}

#[test]
fn guard_a_pygit2_update_keeps_every_global_byte_and_a_clean_checkout() {
    needs_links!();
    let Some(python) = pygit2_python() else { return };
    let u = Update::migrated();
    u.upstream_commit();
    let before = u.global_files();
    let cmd = pygit2_updater(&python, &u.clone);
    let out = u.guard(&cmd.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.1.contains("fast-forwarded") || out.2.contains("fast-forwarded"),
        "the updater ran:\n{}\n{}",
        out.1,
        out.2
    );
    u.assert_guarded(&before, &out);
    assert_eq!(read(&u.global.join(EDITED)), USER_EDIT.as_bytes(), "the user's edit survives");
}

#[test]
fn guard_a_git_pull() {
    needs_links!();
    let u = Update::migrated();
    u.upstream_commit();
    let before = u.global_files();
    let clone = u.clone.display().to_string();
    let out = u.guard(&["git", "-C", &clone, "pull", "-q", "--ff-only"]);
    u.assert_guarded(&before, &out);
}

#[test]
fn the_exit_code_of_the_command_passes_through_and_the_link_comes_back() {
    needs_links!();
    let u = Update::migrated();
    let before = u.global_files();
    let m = u.clone.join("models").display().to_string();
    let while_unlinked = format!("test -d '{m}' && ! test -L '{m}' && test -f '{m}/checkpoints/put_checkpoints_here'");
    for (command, code) in [
        (vec!["sh", "-c", "exit 7"], 7),
        (vec!["sh", "-c", while_unlinked.as_str()], 0),
        (vec!["sh", "-c", "kill -TERM $$"], 128 + 15),
        (vec!["/nonexistent/updater"], 127),
    ]
    .into_iter()
    .filter(|(c, _)| cfg!(unix) || !c.concat().contains("kill"))
    // POSIX signals
    {
        let out = u.guard(&command);
        assert_eq!(out.0, code, "{command:?}\nstdout:\n{}\nstderr:\n{}", out.1, out.2);
        u.assert_linked();
        assert_eq!(u.global_files(), before, "{command:?}");
        assert_eq!(u.status(), "", "{command:?}");
        assert_eq!(u.unskipped(), Vec::<String>::new(), "{command:?}");
    }
}

#[test]
#[cfg(unix)] // the updater kills guard with a POSIX signal
fn a_guard_killed_while_the_command_runs_is_finished_by_the_next_fix() {
    needs_links!();
    let u = Update::migrated();
    u.upstream_commit();
    let before = u.global_files();
    let clone = u.clone.display().to_string();
    // The updater pulls, then kills its parent (guard) before guard can link again.
    let script = format!("git -C '{clone}' pull -q --ff-only && kill -KILL $PPID");
    let mut cmd = u.cmd(&["guard"], true);
    cmd.args(["--", "sh", "-c", &script]);
    let out = run_cmd(cmd);
    assert_eq!(out.code, -1, "guard was killed\n{}\n{}", out.stdout, out.stderr);
    assert!(!is_link(&u.clone.join("models")), "killed: models/ is the real folder guard made");
    let fix = u.run(&["fix", "--yes", "--quiet"], true);
    assert_eq!(fix.0, 0, "the hook finishes the guard\n{}\n{}", fix.1, fix.2);
    u.assert_guarded(&before, &(0, String::new(), String::new()));
}

#[test]
fn a_guard_killed_at_any_step_of_the_unlinking_is_finished_by_the_next_fix() {
    needs_links!();
    // Step N of the unlinking run, for every N until the run has fewer steps.
    for n in 1.. {
        let u = Update::migrated();
        let before = u.global_files();
        let mut cmd = u.cmd(&["guard"], true);
        cmd.env("COMFYDOCTOR_FAILPOINT", format!("after:{n}")).args(["--", "sh", "-c", "exit 0"]);
        let (code, out, err) = output(&mut cmd);
        if code != 99 {
            assert_eq!(code, 0, "after:{n} not reached, so guard ran through\n{out}\n{err}");
            assert!(n > 5, "the unlinking has more than a few steps");
            break;
        }
        let fix = u.run(&["fix", "--yes", "--quiet"], true);
        assert_eq!(fix.0, 0, "after:{n}: the hook finishes the guard\n{}\n{}", fix.1, fix.2);
        u.assert_linked();
        assert_eq!(u.global_files(), before, "after:{n}");
        assert_eq!(u.status(), "", "after:{n}");
        assert_eq!(u.unskipped(), Vec::<String>::new(), "after:{n}");
        assert!(backups(&u.clone).len() <= 2, "after:{n}: {:?}", backups(&u.clone));
    }
}

#[test]
fn guard_leaves_an_install_that_is_not_linked_alone_and_runs_the_command() {
    needs_links!();
    let u = Update::migrated();
    let (code, _, err) = u.run(&["undo", "--yes"], true);
    assert_eq!(code, 0, "{err}");
    assert!(!is_link(&u.clone.join("models")));
    let out = u.guard(&["sh", "-c", "exit 3"]);
    assert_eq!(out.0, 3, "{}\n{}", out.1, out.2);
    assert!(out.2.contains("left as it is"), "{}", out.2);
    assert!(!is_link(&u.clone.join("models")), "guard does not migrate what was not migrated");
}

#[test]
fn undo_takes_back_the_relinking_but_refuses_the_unlinking_around_an_update() {
    needs_links!();
    let u = Update::migrated();
    u.upstream_commit();
    let clone = u.clone.display().to_string();
    let out = u.guard(&["git", "-C", &clone, "pull", "-q", "--ff-only"]);
    assert_eq!(out.0, 0, "{}\n{}", out.1, out.2);
    // The newest run is the migration after the update: an ordinary run, undone exactly.
    let (code, _, err) = u.run(&["undo", "--yes"], true);
    assert_eq!(code, 0, "{err}");
    assert!(!is_link(&u.clone.join("models")));
    // The next is the unlinking before the update: refused, nothing changed, no undo left half done.
    let (code, _, err) = u.run(&["undo", "--yes"], true);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("comfydoctor guard") && err.contains("nothing was done"), "{err}");
    let fix = u.run(&["fix", "--yes", "--quiet"], true);
    assert_eq!(fix.0, 0, "fix is not blocked by a half-done undo\n{}\n{}", fix.1, fix.2);
    u.assert_linked();
    assert_eq!(u.status(), "");
}

#[test]
fn the_example_shell_updater_pulls_under_guard() {
    needs_links!();
    let u = Update::migrated();
    u.upstream_commit();
    let before = u.global_files();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_comfydoctor")).parent().unwrap().to_path_buf();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/update_comfyui.sh");
    let mut sh = assert_cmd::Command::new("sh");
    sh.arg(&script)
        .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()))
        .env("COMFYUI_DIR", &u.clone)
        .home(&u.root)
        .env("COMFYDOCTOR_MODELS_DIR", &u.global)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("PYTHON");
    let out = output(&mut sh);
    u.assert_guarded(&before, &out);
}

#[test]
fn guard_repairs_a_checkout_an_earlier_unguarded_update_damaged_before_unlinking() {
    needs_links!();
    let u = Update::migrated();
    let before = u.global_files();
    // libgit2's marks, made by hand: a placeholder written through the link, the bits cleared.
    write(u.global.join("loras/put_loras_here"), "");
    let files = git(&u.clone, &["ls-files", "models"]);
    let mut args = vec!["update-index", "--no-skip-worktree"];
    args.extend(files.lines());
    git(&u.clone, &args);
    u.upstream_commit();
    let clone = u.clone.display().to_string();
    let out = u.guard(&["git", "-C", &clone, "pull", "-q", "--ff-only"]);
    assert!(!u.global.join("loras/put_loras_here").exists(), "the written placeholder is gone");
    u.assert_guarded(&before, &out);
}

/// Two environments of one ComfyDock workspace, clones of one upstream, and a third that is no
/// git checkout: one guard stands both links aside, one command updates both, both come back.
#[test]
fn guard_a_workspace_of_several_checkouts() {
    needs_links!();
    assert!(has_git());
    let mut ws = Ws::new();
    let stock = StockTree::new();
    let files: Vec<(&str, &[u8])> = stock.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    ws.set_stock(&files);
    let upstream = git_upstream(&ws.base, &stock);
    let mut clones = Vec::new();
    for name in ["a", "b"] {
        let env = ws.root.join("environments").join(name);
        mkdir(env.join(".cec"));
        let comfy = env.join("ComfyUI");
        git(&ws.base, &["clone", "-q", upstream.to_str().unwrap(), comfy.to_str().unwrap()]);
        clones.push(comfy);
    }
    let plain = ws.healthy_env("plain");
    let git_env = |cmd: &mut assert_cmd::Command| {
        cmd.env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_CONFIG_GLOBAL", "/dev/null");
    };
    let mut fix = ws.cmd();
    git_env(&mut fix);
    fix.args(["fix", "--yes"]).arg(&ws.root);
    let (code, out, err) = output(&mut fix);
    assert_eq!(code, 0, "{out}\n{err}");

    write(upstream.join("main.py"), "# v2\n");
    write(upstream.join("models/newdir/put_new_here"), "");
    commit_all(&upstream, "update");
    let global_before = lstat_inventory(&ws.global, false);
    let script =
        clones.iter().map(|c| format!("git -C '{}' pull -q --ff-only", c.display())).collect::<Vec<_>>().join(" && ");
    let mut guard = ws.cmd();
    git_env(&mut guard);
    guard.arg("guard").arg(&ws.root).args(["--", "sh", "-c", &script]);
    let (code, out, err) = output(&mut guard);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("plain: left as it is"), "{err}");
    for c in &clones {
        assert_eq!(fs::read_to_string(c.join("main.py")).unwrap(), "# v2\n");
        assert!(is_link(&c.join("models")), "{}", c.display());
        assert_eq!(git(c, &["status", "--porcelain"]), "", "{}", c.display());
    }
    assert!(is_link(&plain.join("models")));
    let mut after = lstat_inventory(&ws.global, false);
    after.retain(|k, _| !k.starts_with("newdir"));
    assert_eq!(after, global_before, "the global folder is as it was, but for upstream's new folder");
}

#[test]
fn a_checkout_linked_elsewhere_is_refused_and_the_command_does_not_run() {
    needs_links!();
    let u = Update::migrated();
    let elsewhere = u.root.join("elsewhere");
    mkdir(&elsewhere);
    fs::remove_file(u.clone.join("models")).unwrap();
    symlink(&elsewhere, u.clone.join("models"));
    let marker = u.root.join("ran");
    let out = u.guard(&["touch", marker.to_str().unwrap()]);
    assert_eq!(out.0, 2, "{}\n{}", out.1, out.2);
    assert!(out.2.contains("not to the global folder") && out.2.contains("comfydoctor fix"), "{}", out.2);
    assert!(!marker.exists(), "COMMAND did not run");
    assert_eq!(fs::read_link(u.clone.join("models")).unwrap(), elsewhere, "nothing changed");
}
