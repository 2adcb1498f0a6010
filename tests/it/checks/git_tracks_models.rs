//! `git-tracks-models` with real git: fires while the index tracks `models/` unprotected, is silent
//! once the paths are skip-worktree and a sparse-checkout rule keeps `/models/` out, and turns into
//! a warning when there is no `git` to ask. Then the fix (issue 5: a linked `models/` must not
//! break updating a ComfyUI checkout): an "upstream" with tracked `models/` placeholders and stock
//! configs, a clone migrated by `comfydoctor fix --yes`, then upstream changes pulled; and undo.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::*;

// ---------------------------------------------------------------- scan

/// A workspace with environment `env` whose ComfyUI folder is a git checkout tracking
/// `models/` (placeholders and a config), then `models/` replaced by a link to the global folder.
fn linked_checkout() -> (Ws, PathBuf) {
    assert!(has_git(), "the git tests need `git` on PATH");
    let ws = Ws::new();
    let comfy = ws.env("env");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), b"");
    write(comfy.join("models/configs/v1-inference.yaml"), b"model: {}\n");
    write(comfy.join(".gitignore"), b"/models/\n");
    git(&comfy, &["init", "-q"]);
    git(&comfy, &["add", "-A", "-f"]);
    git(&comfy, &["commit", "-qm", "upstream"]);
    fs::remove_dir_all(comfy.join("models")).unwrap();
    symlink("../../../models", comfy.join("models"));
    (ws, comfy)
}

fn protect(comfy: &Path) {
    let files = git(comfy, &["ls-files", "models"]);
    let mut args = vec!["update-index", "--skip-worktree"];
    args.extend(files.lines());
    git(comfy, &args);
    git(comfy, &["sparse-checkout", "set", "--no-cone", "/*", "!/models/"]);
}

#[test]
fn fires_when_the_index_tracks_models() {
    needs_links!();
    let (ws, _) = linked_checkout();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "env"), s(&["git-tracks-models"]));
    let f = finding(&json, "env", "git-tracks-models");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("2 paths"), "{f:#}");
    assert!(f["fix"].is_string());
}

#[test]
fn fires_on_a_fresh_clone_with_a_real_models_folder() {
    needs_links!();
    assert!(has_git());
    let ws = Ws::new();
    let comfy = ws.env("env");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), b"");
    git(&comfy, &["init", "-q"]);
    git(&comfy, &["add", "-A"]);
    git(&comfy, &["commit", "-qm", "upstream"]);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "env"), s(&["placeholder-only", "git-tracks-models"]));
}

#[test]
fn silent_after_skip_worktree_and_sparse_checkout() {
    needs_links!();
    let (ws, comfy) = linked_checkout();
    protect(&comfy);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "env"), Vec::<String>::new());
    // The link survived the git commands.
    assert!(fs::symlink_metadata(comfy.join("models")).unwrap().file_type().is_symlink());
}

#[test]
fn skip_worktree_alone_is_not_enough() {
    needs_links!();
    let (ws, comfy) = linked_checkout();
    let files = git(&comfy, &["ls-files", "models"]);
    let mut args = vec!["update-index", "--skip-worktree"];
    args.extend(files.lines());
    git(&comfy, &args);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "env"), s(&["git-tracks-models"]));
}

#[test]
fn a_sparse_rule_that_lets_models_back_in_fires_again() {
    needs_links!();
    let (ws, comfy) = linked_checkout();
    protect(&comfy);
    let sparse = comfy.join(".git/info/sparse-checkout");
    let mut rules = fs::read_to_string(&sparse).unwrap();
    rules.push_str("/models/\n");
    fs::write(&sparse, rules).unwrap();
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "env"), s(&["git-tracks-models"]));
}

#[test]
fn a_repository_that_does_not_track_models_is_silent() {
    needs_links!();
    assert!(has_git());
    let ws = Ws::new();
    let comfy = ws.healthy_env("env");
    git(&comfy, &["init", "-q"]);
    git(&comfy, &["add", "main.py", "nodes.py"]);
    git(&comfy, &["commit", "-qm", "no models"]);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "env"), Vec::<String>::new());
}

#[test]
fn without_git_on_path_it_is_a_warning_that_says_what_to_do() {
    needs_links!();
    let (ws, _) = linked_checkout();
    let empty_path = tempdir();
    let mut cmd = ws.cmd();
    cmd.env("PATH", empty_path.path()).args(["scan", "--format", "json"]).arg(&ws.root);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!(code, 1, "an unprotectable checkout is a warning: {json:#}");
    assert_eq!(ids(&json, "env"), s(&["git-tracks-models"]));
    let f = finding(&json, "env", "git-tracks-models");
    assert_eq!(f["severity"], "warning");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("no `git` on PATH") && msg.contains("install git"), "{f:#}");
    assert!(msg.contains("unprotected"), "{f:#}");
    assert_eq!(json["summary"]["warnings"], 1);
}

#[test]
fn without_git_on_path_a_folder_that_is_no_checkout_says_nothing() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("env");
    let empty_path = tempdir();
    let mut cmd = ws.cmd();
    cmd.env("PATH", empty_path.path()).args(["scan", "--format", "json"]).arg(&ws.root);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!(code, 0);
    assert_eq!(ids(&json, "env"), Vec::<String>::new());
}

#[test]
fn a_linked_worktree_is_inspected_through_its_git_file() {
    needs_links!();
    let (ws, comfy) = linked_checkout();
    // A second checkout of the same repository, as `git worktree add` makes it (a `.git` file).
    let env2 = ws.root.join("environments/env2");
    fs::create_dir_all(env2.join(".cec")).unwrap();
    git(&comfy, &["worktree", "add", "-q", env2.join("ComfyUI").to_str().unwrap()]);
    assert!(env2.join("ComfyUI/.git").is_file());
    let (_, json) = ws.scan_json(&[]);
    // The checkout holds the committed (made-up, so non-stock) config.
    assert_eq!(ids(&json, "env2"), s(&["models-dir-real", "git-tracks-models"]));
}

#[test]
fn scan_leaves_the_repositories_untouched() {
    needs_links!();
    let (ws, comfy) = linked_checkout();
    let (ws2, comfy2) = linked_checkout();
    protect(&comfy2);
    let _ = comfy;
    for w in [&ws, &ws2] {
        let before = lstat_inventory(&w.base, true);
        let (code, _, _) = output(w.cmd().arg("scan").arg(&w.root));
        assert!(code == 0 || code == 1);
        let (code, _, _) = output(w.cmd().args(["scan", "--check", "git-tracks-models"]).arg(&w.root));
        assert!(code == 0 || code == 1);
        assert_same(&before, &lstat_inventory(&w.base, true), "nothing may change");
    }
}

// ---------------------------------------------------------------- fix, updates of the checkout, and undo

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
        cmd.home(&self.root)
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

    let global_before = lstat_inventory(&r.global, true);
    r.upstream_update();
    git(&r.clone, &["pull", "-q", "--ff-only"]);
    assert_eq!(fs::read_to_string(r.clone.join("main.py")).unwrap(), "# main.py v2\n");
    r.assert_linked();
    assert_same(&global_before, &lstat_inventory(&r.global, true), "nothing may change");
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
    let global_before = lstat_inventory(&r.global, true);
    git(&r.clone, &["checkout", "-q", "HEAD~1"]);
    r.assert_linked();
    assert_eq!(r.status(), "");
    git(&r.clone, &["checkout", "-q", "master"]);
    r.assert_linked();
    assert_eq!(r.status(), "");
    assert_same(&global_before, &lstat_inventory(&r.global, true), "nothing may change");
}

#[test]
fn updater_damage_is_repaired_by_the_hook_without_touching_the_global_folder() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    r.fix();
    let global_before = lstat_inventory(&r.global, true);

    // An updater replaced the link by a fresh stock models/ folder.
    fs::remove_file(r.clone.join("models")).unwrap();
    StockTree::new().materialize(&r.clone.join("models"));
    let (code, out, err) = r.cmd(&["fix", "--yes", "--quiet"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(!out.is_empty(), "--quiet still prints one line per applied step");
    r.assert_linked();
    assert_same(&global_before, &lstat_inventory(&r.global, true), "nothing may change");
    assert_eq!(r.status(), "");

    // An updater deleted the link.
    fs::remove_file(r.clone.join("models")).unwrap();
    let (code, _, err) = r.cmd(&["fix", "--yes", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    r.assert_linked();
    assert_same(&global_before, &lstat_inventory(&r.global, true), "nothing may change");

    // Healthy: the hook is silent and writes nothing.
    let before = lstat_inventory(&r.root, true);
    let (code, out, _) = r.cmd(&["fix", "--yes", "--quiet"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_same(&before, &lstat_inventory(&r.root, true), "nothing may change");
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
    let models_before = lstat_inventory(&r.clone.join("models"), true);
    let flags_before = git(&r.clone, &["ls-files", "-t", "models"]);

    r.fix();
    assert!(git(&r.clone, &["ls-files", "-t", "models"]).lines().all(|l| l.starts_with("S ")));
    let mut undo = bin();
    undo.home(&r.root).env("GIT_CONFIG_GLOBAL", "/dev/null").arg("undo").arg("--yes").arg(&r.clone);
    let (code, out, err) = output(&mut undo);
    assert_eq!(code, 0, "{out}{err}");

    let after: Vec<_> = files.iter().map(|f| read(f)).collect();
    assert_eq!(before, after, "git files restored byte for byte");
    assert_eq!(git(&r.clone, &["ls-files", "-t", "models"]), flags_before);
    let models_after = lstat_inventory(&r.clone.join("models"), true);
    let strip = |m: Inventory| -> Vec<(PathBuf, Kind, u64)> {
        m.into_iter().map(|(p, n)| (p, n.kind, n.stamp.expect("stamped inventory").size)).collect()
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
    let before = lstat_inventory(&r.root, true);
    let (code, out, err) = r.cmd(&["fix", "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("staged changes under models/"), "{err}");
    assert!(err.contains("git -C"), "says how to unstage: {err}");
    assert_same(&before, &lstat_inventory(&r.root, true), "nothing may change");
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

/// A ComfyDock environment: the checkout also holds ComfyDock's `extra_model_paths.yaml`
/// (which ComfyUI's `.gitignore` ignores). The migration backs it up beside it; the backup is
/// excluded too, so `git status` stays clean.
#[test]
fn a_retired_yaml_leaves_a_clean_status() {
    if skip_without_git() {
        return;
    }
    let r = Repo::new();
    // ComfyUI's own `.gitignore` has this line; here it stands in info/exclude.
    let exclude = r.clone.join(".git/info/exclude");
    let mut text = fs::read_to_string(&exclude).unwrap_or_default();
    text.push_str("extra_model_paths.yaml\n");
    write(&exclude, text);
    let yaml = format!("comfyui:\n  base_path: {}\n  checkpoints: checkpoints/\n  loras: loras/\n", r.global.display());
    write(r.clone.join("extra_model_paths.yaml"), yaml);
    assert_eq!(r.status(), "");
    r.fix();
    r.assert_linked();
    assert!(!r.clone.join("extra_model_paths.yaml").exists());
    assert_eq!(backups_of_yaml(&r.clone), 1);
    assert_eq!(r.status(), "");
    assert_eq!(r.scan_code(), 0);
}

fn backups_of_yaml(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref().unwrap().file_name().to_string_lossy().starts_with("extra_model_paths.yaml.comfydoctor-backup-")
        })
        .count()
}

// ---------------------------------------------------------------- git that cannot be used (issue 19, item 4)

/// `git status` as the user sees it (success, stdout and stderr), trusting the repository
/// whoever owns it, so a test can tell the checkout was left as it was.
fn status_raw(dir: &Path) -> (bool, String, String) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "safe.directory=*", "status", "--porcelain"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .output()
        .expect("git runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Makes git unusable for the install; returns the PATH to run the binary with (`None`: the
/// test's own), or `None` from the outer option when the case cannot be set up here.
type Breaker = fn(&Repo) -> Option<Option<PathBuf>>;

fn no_git_on_path(r: &Repo) -> Option<Option<PathBuf>> {
    let dir = r.root.join("no-git-bin");
    fs::create_dir_all(&dir).unwrap();
    Some(Some(dir))
}

/// The checkout belongs to another user (uid 1000): run as root, git refuses it ("dubious
/// ownership") unless it is listed in `safe.directory`.
fn dubious_ownership(r: &Repo) -> Option<Option<PathBuf>> {
    let chowned = std::process::Command::new("chown").args(["-R", "1000"]).arg(&r.clone).status();
    if !chowned.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: cannot chown (not root)");
        return None;
    }
    let ls = std::process::Command::new("git")
        .arg("-C")
        .arg(&r.clone)
        .args(["ls-files", "models"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("SUDO_UID")
        .output()
        .unwrap();
    if ls.status.success() {
        eprintln!("SKIPPED: this git (or user) does not refuse a repository owned by another user");
        return None;
    }
    assert!(String::from_utf8_lossy(&ls.stderr).contains("dubious ownership"));
    Some(None)
}

fn truncated_index(r: &Repo) -> Option<Option<PathBuf>> {
    let index = r.clone.join(".git/index");
    let bytes = fs::read(&index).unwrap();
    fs::write(&index, &bytes[..20]).unwrap();
    Some(None)
}

/// A damaged `HEAD` inside a folder that is itself a git repository: git must not answer for
/// the outer repository (which tracks nothing under this `models/`).
fn garbage_head_inside_another_repo(r: &Repo) -> Option<Option<PathBuf>> {
    git(&r.root, &["init", "-q"]);
    fs::write(r.clone.join(".git/HEAD"), "garbage\n").unwrap();
    Some(None)
}

const UNUSABLE: &[(&str, Breaker, &str)] = &[
    ("no git on PATH", no_git_on_path, "install git"),
    ("dubious ownership", dubious_ownership, "git config --global --add safe.directory"),
    ("truncated index", truncated_index, "repair the repository"),
    ("garbage HEAD inside another repository", garbage_head_inside_another_repo, "repair the repository"),
];

impl Repo {
    fn cmd_with_path(&self, path: Option<&Path>, args: &[&str]) -> (i32, String, String) {
        let mut cmd = bin();
        cmd.home(&self.root)
            .env("COMFYDOCTOR_STOCK_TSV", &self.tsv)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("SUDO_UID")
            .current_dir(&self.root)
            .args(args)
            .arg(&self.clone)
            .arg("--models-dir")
            .arg(&self.global);
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        output(&mut cmd)
    }
}

#[test]
fn a_checkout_git_cannot_protect_is_refused_and_left_as_it_was() {
    if skip_without_git() {
        return;
    }
    for &(name, breaker, remedy) in UNUSABLE {
        let r = Repo::new();
        let Some(path) = breaker(&r) else { continue };
        let path = path.as_deref();

        let (code, out, _) = r.cmd_with_path(path, &["scan", "--format", "json"]);
        let json = parse_json(&out);
        assert_eq!(code, 1, "{name}: {json:#}");
        let f = finding(&json, "~/ComfyUI", "git-tracks-models");
        assert_eq!(f["severity"], "warning", "{name}: {f:#}");
        assert!(f["message"].as_str().unwrap().contains(remedy), "{name}: {f:#}");

        let models_before = lstat_inventory(&r.clone.join("models"), true);
        let status_before = status_raw(&r.clone);
        let (code, out, err) = r.cmd_with_path(path, &["fix", "--yes"]);
        assert_eq!(code, 2, "{name}: refused\nstdout:\n{out}\nstderr:\n{err}");
        assert!(err.contains("not fixed") && err.contains(remedy), "{name}: says why and how: {err}");
        assert!(err.contains("--no-git-protection"), "{name}: names the way out: {err}");
        assert!(fs::symlink_metadata(r.clone.join("models")).unwrap().is_dir(), "{name}: models/ untouched");
        assert_same(&models_before, &lstat_inventory(&r.clone.join("models"), true), name);
        assert_eq!(status_raw(&r.clone), status_before, "{name}: git status unchanged");

        let (code, out, err) = r.cmd_with_path(path, &["fix", "--yes", "--no-git-protection"]);
        assert_eq!(code, 1, "{name}: linked, the warning stays\nstdout:\n{out}\nstderr:\n{err}");
        r.assert_linked();
        assert!(out.contains("unprotected"), "{name}: the report says so: {out}");
    }
}

#[test]
fn no_git_protection_is_documented() {
    let (code, out, _) = output(bin().args(["fix", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("--no-git-protection"), "{out}");
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("--no-git-protection"));
}

// ---------------------------------------------------------------- a checkout and its worktree (issue 19, item 5)

/// A workspace whose environment `envs[0]` is a clone of an upstream with tracked stock
/// `models/`, and whose `envs[1]` is a `git worktree add` of that clone (branch `wt` tracking
/// `origin/master`); returns the two ComfyUI folders, the clone first. Installs are planned in
/// name order, so `["env2", "env"]` plans the worktree first.
fn checkout_and_worktree(envs: [&str; 2]) -> (Ws, PathBuf, [PathBuf; 2]) {
    let mut ws = Ws::new();
    let stock = StockTree::new();
    let files: Vec<(&str, &[u8])> = stock.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    ws.set_stock(&files);
    let upstream = ws.base.join("upstream");
    make_comfyui(&upstream);
    stock.materialize(&upstream.join("models"));
    write(upstream.join(".gitignore"), "/models/\n");
    git(&ws.base, &["init", "-q", "-b", "master", upstream.to_str().unwrap()]);
    git(&upstream, &["add", "-A"]);
    git(&upstream, &["add", "-f", "models"]);
    git(&upstream, &["commit", "-q", "-m", "initial"]);
    let mut comfys = Vec::new();
    for env in envs {
        let dir = ws.root.join("environments").join(env);
        write(dir.join(".cec/.complete"), "");
        comfys.push(dir.join("ComfyUI"));
    }
    git(&ws.base, &["clone", "-q", upstream.to_str().unwrap(), comfys[0].to_str().unwrap()]);
    git(&comfys[0], &["worktree", "add", "-q", "--track", "-b", "wt", comfys[1].to_str().unwrap(), "origin/master"]);
    assert!(comfys[1].join(".git").is_file());
    let [a, b]: [PathBuf; 2] = comfys.try_into().unwrap();
    (ws, upstream, [a, b])
}

/// Every git file the protection of the checkout or its worktree may change.
fn worktree_git_files(main: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let common = main.join(".git");
    let wt = common.join("worktrees/ComfyUI");
    ["config", "config.worktree", "index", "info/exclude", "info/sparse-checkout"]
        .iter()
        .map(|f| common.join(f))
        .chain(["config.worktree", "index", "info/sparse-checkout"].iter().map(|f| wt.join(f)))
        .map(|p| {
            let bytes = fs::read(&p).ok();
            (p, bytes)
        })
        .collect()
}

#[test]
fn a_checkout_and_its_worktree_are_protected_in_one_run() {
    if skip_without_git() {
        return;
    }
    for envs in [["env", "env2"], ["env2", "env"]] {
        checkout_and_worktree_protected(envs);
    }
}

fn checkout_and_worktree_protected(envs: [&str; 2]) {
    let (ws, upstream, comfys) = checkout_and_worktree(envs);
    let out = fix(&ws, &["--yes"]);
    assert_eq!(out.code, 0, "one run\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    let exclude = fs::read_to_string(comfys[0].join(".git/info/exclude")).unwrap();
    assert_eq!(exclude.lines().filter(|l| *l == "/models").count(), 1, "{exclude}");
    for c in &comfys {
        assert_linked(&ws, c);
        assert_eq!(git(c, &["status", "--porcelain"]), "", "{}", c.display());
        let flags = git(c, &["ls-files", "-t", "models"]);
        assert!(!flags.is_empty() && flags.lines().all(|l| l.starts_with("S ")), "{}: {flags}", c.display());
    }
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");

    // Upstream changes a stock config and adds a folder under models/; both pull it.
    let global_before = lstat_inventory(&ws.global, true);
    write(upstream.join("main.py"), "# main.py v2\n");
    write(upstream.join("models/newdir/put_new_here"), "");
    let cfg = upstream.join("models/configs/v1-inference.yaml");
    let text = fs::read_to_string(&cfg).unwrap() + "# upstream edit\n";
    write(&cfg, text);
    git(&upstream, &["add", "-A"]);
    git(&upstream, &["add", "-f", "models"]);
    git(&upstream, &["commit", "-q", "-m", "update"]);
    for c in &comfys {
        git(c, &["pull", "-q", "--ff-only"]);
        assert_eq!(fs::read_to_string(c.join("main.py")).unwrap(), "# main.py v2\n");
        assert_linked(&ws, c);
        assert_eq!(git(c, &["status", "--porcelain"]), "", "{} after the pull", c.display());
    }
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "nothing may change");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
}

#[test]
fn undo_takes_back_a_checkout_and_its_worktree() {
    if skip_without_git() {
        return;
    }
    for envs in [["env", "env2"], ["env2", "env"]] {
        undo_takes_back(envs);
    }
}

fn undo_takes_back(envs: [&str; 2]) {
    let (ws, _, comfys) = checkout_and_worktree(envs);
    let before = worktree_git_files(&comfys[0]);
    let flags_before: Vec<String> = comfys.iter().map(|c| git(c, &["ls-files", "-t", "models"])).collect();
    fix(&ws, &["--yes"]).expect(0, "fix");
    undo(&ws).expect(0, "undo");
    let after = worktree_git_files(&comfys[0]);
    for ((path, b), (_, a)) in before.iter().zip(&after) {
        if path.ends_with("index") {
            continue; // git rewrites the index; its flags are compared below
        }
        assert_eq!(b, a, "{} restored byte for byte", path.display());
    }
    let flags_after: Vec<String> = comfys.iter().map(|c| git(c, &["ls-files", "-t", "models"])).collect();
    assert_eq!(flags_before, flags_after);
    for c in &comfys {
        assert!(fs::symlink_metadata(c.join("models")).unwrap().is_dir(), "{}", c.display());
        assert_eq!(git(c, &["status", "--porcelain"]), "", "{}", c.display());
    }
}
