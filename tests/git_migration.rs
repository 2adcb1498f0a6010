//! Issue 5: a linked `models/` must not break updating a ComfyUI checkout. Real git, real
//! repositories made in the test: an "upstream" with tracked `models/` placeholders and stock
//! configs, a clone migrated by `comfydoctor fix --yes`, then upstream changes pulled.
#![cfg(unix)]

mod common;

use std::fs;
use std::path::PathBuf;

use common::*;

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    upstream: PathBuf,
    clone: PathBuf,
    global: PathBuf,
    tsv: PathBuf,
}

impl Repo {
    /// Upstream with a ComfyUI-like tree (models/ tracked despite `/models/` in .gitignore,
    /// as ComfyUI's own repository does), a clone of it, and a complete global folder.
    fn new() -> Repo {
        let tmp = tempfile::Builder::new().prefix("comfydoctor-git").tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let upstream = root.join("upstream");
        make_comfyui(&upstream);
        let stock = StockTree::new();
        stock.materialize(&upstream.join("models"));
        write(upstream.join(".gitignore"), "/models/\n__pycache__/\n");
        git(&root, &["init", "-q", "-b", "master", upstream.to_str().unwrap()]);
        git(&upstream, &["add", "-A"]);
        git(&upstream, &["add", "-f", "models"]);
        git(&upstream, &["commit", "-q", "-m", "initial"]);
        let clone = root.join("ComfyUI");
        git(&root, &["clone", "-q", upstream.to_str().unwrap(), clone.to_str().unwrap()]);
        let global = root.join("global");
        for d in STANDARD_SUBFOLDERS {
            fs::create_dir_all(global.join(d)).unwrap();
        }
        let tsv = stock.write_tsv(&root.join("stock.tsv"));
        Repo { _tmp: tmp, root, upstream, clone, global, tsv }
    }

    fn cmd(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = bin();
        cmd.env("HOME", &self.root)
            .env("COMFYDOCTOR_STOCK_TSV", &self.tsv)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .current_dir(&self.root)
            .args(args)
            .arg(&self.clone)
            .arg("--models-dir")
            .arg(&self.global);
        output(&mut cmd)
    }

    fn fix(&self) {
        let (code, out, err) = self.cmd(&["fix", "--yes"]);
        assert_eq!(code, 0, "fix failed\nstdout:\n{out}\nstderr:\n{err}");
    }

    fn scan_code(&self) -> i32 {
        self.cmd(&["scan"]).0
    }

    /// Upstream changes `main.py`, a stock config, and adds `models/newdir/put_new_here`.
    fn upstream_update(&self) {
        write(self.upstream.join("main.py"), "# main.py v2\n");
        write(self.upstream.join("models/newdir/put_new_here"), "");
        let cfg = self.upstream.join("models/configs/v1-inference.yaml");
        let mut text = fs::read_to_string(&cfg).unwrap();
        text.push_str("# upstream edit\n");
        write(&cfg, text);
        git(&self.upstream, &["add", "-A"]);
        git(&self.upstream, &["add", "-f", "models"]);
        git(&self.upstream, &["commit", "-q", "-m", "update"]);
    }

    fn assert_linked(&self) {
        let link = self.clone.join("models");
        let meta = fs::symlink_metadata(&link).unwrap();
        assert!(meta.file_type().is_symlink(), "models is no longer a link");
        assert_eq!(fs::canonicalize(&link).unwrap(), fs::canonicalize(&self.global).unwrap());
    }

    fn status(&self) -> String {
        git(&self.clone, &["status", "--porcelain"])
    }
}

fn skip_without_git() -> bool {
    if has_git() {
        return false;
    }
    eprintln!("skipped: no git on PATH");
    true
}

#[test]
fn pull_after_migration_succeeds_and_writes_nothing_into_the_global_folder() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    assert_eq!(r.scan_code(), 1);
    r.fix();
    r.assert_linked();
    assert_eq!(r.status(), "", "git status after the migration");
    assert_eq!(r.scan_code(), 0);
    // The stock configs moved into the (empty) global folder: nothing lost.
    for cfg in StockTree::new().configs() {
        assert!(r.global.join(cfg).is_file(), "{cfg} not in the global folder");
    }

    let global_before = inventory(&r.global);
    r.upstream_update();
    git(&r.clone, &["pull", "-q", "--ff-only"]);
    assert_eq!(fs::read_to_string(r.clone.join("main.py")).unwrap(), "# main.py v2\n");
    r.assert_linked();
    assert_same_inventory(&global_before, &inventory(&r.global));
    assert_eq!(r.status(), "", "git status after the pull");
    assert_eq!(r.scan_code(), 0, "scan after the pull");
}

#[test]
fn checkout_of_an_older_commit_and_back_keeps_the_link() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    r.upstream_update();
    git(&r.clone, &["pull", "-q", "--ff-only"]);
    r.fix();
    let global_before = inventory(&r.global);
    git(&r.clone, &["checkout", "-q", "HEAD~1"]);
    r.assert_linked();
    assert_eq!(r.status(), "");
    git(&r.clone, &["checkout", "-q", "master"]);
    r.assert_linked();
    assert_eq!(r.status(), "");
    assert_same_inventory(&global_before, &inventory(&r.global));
}

#[test]
fn updater_damage_is_repaired_by_the_hook_without_touching_the_global_folder() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    r.fix();
    let global_before = inventory(&r.global);

    // An updater replaced the link by a fresh stock models/ folder.
    fs::remove_file(r.clone.join("models")).unwrap();
    StockTree::new().materialize(&r.clone.join("models"));
    let (code, out, err) = r.cmd(&["fix", "--yes", "--quiet"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(!out.is_empty(), "--quiet still prints one line per applied step");
    r.assert_linked();
    assert_same_inventory(&global_before, &inventory(&r.global));
    assert_eq!(r.status(), "");

    // An updater deleted the link.
    fs::remove_file(r.clone.join("models")).unwrap();
    let (code, _, err) = r.cmd(&["fix", "--yes", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    r.assert_linked();
    assert_same_inventory(&global_before, &inventory(&r.global));

    // Healthy: the hook is silent and writes nothing.
    let before = inventory(&r.root);
    let (code, out, _) = r.cmd(&["fix", "--yes", "--quiet"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_same_inventory(&before, &inventory(&r.root));
}

#[test]
fn undo_restores_git_state_exclude_and_the_models_folder() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    let git_dir = r.clone.join(".git");
    let files = ["config", "info/exclude", "info/sparse-checkout", "config.worktree"];
    let read = |f: &str| fs::read(git_dir.join(f)).ok();
    let before: Vec<_> = files.iter().map(|f| read(f)).collect();
    let models_before = inventory(&r.clone.join("models"));
    let flags_before = git(&r.clone, &["ls-files", "-t", "models"]);

    r.fix();
    assert!(git(&r.clone, &["ls-files", "-t", "models"]).lines().all(|l| l.starts_with("S ")));
    let mut undo = bin();
    undo.env("HOME", &r.root).env("GIT_CONFIG_GLOBAL", "/dev/null").arg("undo").arg(&r.clone);
    let (code, out, err) = output(&mut undo);
    assert_eq!(code, 0, "{out}{err}");

    let after: Vec<_> = files.iter().map(|f| read(f)).collect();
    assert_eq!(before, after, "git files restored byte for byte");
    assert_eq!(git(&r.clone, &["ls-files", "-t", "models"]), flags_before);
    let models_after = inventory(&r.clone.join("models"));
    let strip = |m: std::collections::BTreeMap<PathBuf, Node>| -> Vec<(PathBuf, &'static str, u64)> {
        m.into_iter().map(|(p, n)| (p, n.kind, n.size)).collect()
    };
    assert_eq!(strip(models_before), strip(models_after));
    assert_eq!(r.status(), "");
}

#[test]
fn existing_sparse_patterns_are_kept() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    write(r.upstream.join("docs/readme.txt"), "docs");
    git(&r.upstream, &["add", "-A"]);
    git(&r.upstream, &["commit", "-q", "-m", "docs"]);
    git(&r.clone, &["pull", "-q", "--ff-only"]);
    git(&r.clone, &["sparse-checkout", "set", "--no-cone", "/*", "!/docs/"]);
    assert!(!r.clone.join("docs").exists());
    r.fix();
    let patterns = fs::read_to_string(r.clone.join(".git/info/sparse-checkout")).unwrap();
    let lines: Vec<&str> = patterns.lines().collect();
    assert_eq!(lines, ["/*", "!/docs/", "!/models/"]);
    assert!(!r.clone.join("docs").exists());
    assert_eq!(r.status(), "");
}

#[test]
fn staged_changes_under_models_are_refused_with_nothing_changed() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    write(r.clone.join("models/loras/put_loras_here"), "now with content");
    git(&r.clone, &["add", "-f", "models/loras/put_loras_here"]);
    let before = inventory(&r.root);
    let (code, out, err) = r.cmd(&["fix", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("staged changes under models/"), "{err}");
    assert!(err.contains("git -C"), "says how to unstage: {err}");
    assert_same_inventory(&before, &inventory(&r.root));
}

#[test]
fn without_git_the_git_fix_is_skipped_and_explained() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    let empty = r.root.join("no-git-bin");
    fs::create_dir_all(&empty).unwrap();
    let mut cmd = bin();
    cmd.env("HOME", &r.root)
        .env("PATH", &empty)
        .env("COMFYDOCTOR_STOCK_TSV", &r.tsv)
        .args(["fix", "--yes"])
        .arg(&r.clone)
        .arg("--models-dir")
        .arg(&r.global);
    let (code, out, err) = output(&mut cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no `git` on PATH"), "{out}");
    r.assert_linked();
}

#[test]
fn a_repository_without_info_folder_gets_one_and_a_clean_status() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    fs::remove_dir_all(r.clone.join(".git/info")).unwrap();
    r.fix();
    r.assert_linked();
    let exclude = fs::read_to_string(r.clone.join(".git/info/exclude")).unwrap();
    assert!(exclude.lines().any(|l| l == "/models"), "{exclude}");
    assert_eq!(r.status(), "");
    assert_eq!(r.scan_code(), 0);
}
