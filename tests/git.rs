//! `git-tracks-models` with real git: fires while the index tracks `models/` unprotected, is silent
//! once the paths are skip-worktree and a sparse-checkout rule keeps `/models/` out, and turns into
//! an info line when there is no `git` to ask.
#![cfg(unix)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

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
    let (ws, _) = linked_checkout();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "env"), s(&["git-tracks-models"]));
    let f = finding(&json, "env", "git-tracks-models");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("2 path(s)"), "{f:#}");
    assert!(f["fix"].is_string());
}

#[test]
fn fires_on_a_fresh_clone_with_a_real_models_folder() {
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
fn without_git_on_path_it_is_an_info_line() {
    let (ws, _) = linked_checkout();
    let empty_path = tempfile::tempdir().unwrap();
    let mut cmd = ws.cmd();
    cmd.env("PATH", empty_path.path()).args(["scan", "--format", "json"]).arg(&ws.root);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!(code, 0, "infos do not count: {json:#}");
    assert_eq!(ids(&json, "env"), s(&["git-tracks-models"]));
    let f = finding(&json, "env", "git-tracks-models");
    assert_eq!(f["severity"], "info");
    assert!(f["message"].as_str().unwrap().contains("git"), "{f:#}");
    assert_eq!(json["summary"]["infos"], 1);
}

#[test]
fn without_git_on_path_a_folder_that_is_no_checkout_says_nothing() {
    let ws = Ws::new();
    ws.healthy_env("env");
    let empty_path = tempfile::tempdir().unwrap();
    let mut cmd = ws.cmd();
    cmd.env("PATH", empty_path.path()).args(["scan", "--format", "json"]).arg(&ws.root);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!(code, 0);
    assert_eq!(ids(&json, "env"), Vec::<String>::new());
}

#[test]
fn a_linked_worktree_is_inspected_through_its_git_file() {
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
    let (ws, comfy) = linked_checkout();
    let (ws2, comfy2) = linked_checkout();
    protect(&comfy2);
    let _ = comfy;
    for w in [&ws, &ws2] {
        let before = inventory(w.tmp.path());
        let (code, _, _) = output(w.cmd().arg("scan").arg(&w.root));
        assert!(code == 0 || code == 1);
        let (code, _, _) = output(w.cmd().args(["scan", "--check", "git-tracks-models"]).arg(&w.root));
        assert!(code == 0 || code == 1);
        assert_same_inventory(&before, &inventory(w.tmp.path()));
    }
}
