//! `comfydoctor detach` (issue 15): a migrated install gets a real `models/` of its own again —
//! ComfyUI's stock layout, the stock configs copied from the global folder, the models chosen
//! with `--copy` — while the others keep their link and the global folder is only read. Then
//! `fix` leaves it alone (the launch-script hook too) until `--attach`; `undo` puts the link back;
//! the YAML the migration set aside comes back; a git checkout keeps a clean `git status`.

use std::path::{Path, PathBuf};

use crate::support::*;

const CONFIG_A: &[u8] = b"model:\n  target: stock.A\n";
const CONFIG_B: &[u8] = b"model:\n  target: stock.B\n";

/// Two installs migrated by `fix --yes`: `a` held `checkpoints/a.safetensors`, `b` held
/// `loras/b.safetensors`; the global folder holds both and the stock configs.
fn migrated() -> (Ws, PathBuf, PathBuf) {
    let mut ws = Ws::new();
    ws.set_stock(&[
        ("configs/a.yaml", CONFIG_A),
        ("configs/b.yaml", CONFIG_B),
        ("checkpoints/put_checkpoints_here", b""),
    ]);
    let a = ws.env("a");
    let b = ws.env("b");
    write(a.join("models/checkpoints/a.safetensors"), bytes(1));
    write(a.join("models/configs/a.yaml"), CONFIG_A);
    write(a.join("models/configs/b.yaml"), CONFIG_B);
    write(a.join("models/checkpoints/put_checkpoints_here"), b"");
    write(b.join("models/loras/b.safetensors"), bytes(2));
    fix(&ws, &["--yes"]).expect(0, "migration");
    assert_linked(&ws, &a);
    assert_linked(&ws, &b);
    (ws, a, b)
}

fn detach(ws: &Ws, paths: &[&Path], args: &[&str]) -> Out {
    let mut cmd = ws.cmd();
    cmd.arg("detach").args(paths).args(args);
    run_cmd(cmd)
}

fn key(k: &str, p: &str) -> (String, PathBuf) {
    (k.to_string(), PathBuf::from(p))
}

#[test]
fn a_detached_install_runs_alone_while_the_others_keep_their_link() {
    needs_links!();
    let (ws, a, b) = migrated();
    let global_before = lstat_inventory(&ws.global, true);
    let b_listing = comfy_listing(&b);
    let out = detach(&ws, &[&a], &["--yes", "--copy", "checkpoints/a.safetensors"]);
    out.expect(0, "detach --yes --copy");
    assert!(out.stdout.contains("Applied as run"), "{}", out.stdout);

    let m = a.join("models");
    assert!(!is_link(&m) && m.is_dir(), "a real models/ folder");
    assert_eq!(read(&m.join("checkpoints/a.safetensors")), bytes(1));
    assert_eq!(read(&m.join("configs/a.yaml")), CONFIG_A);
    assert_eq!(read(&m.join("configs/b.yaml")), CONFIG_B);
    assert_eq!(read(&m.join("checkpoints/put_checkpoints_here")), b"");
    for d in STANDARD_SUBFOLDERS {
        assert!(m.join(d).is_dir(), "stock subfolder {d}");
    }
    // What ComfyUI lists for it: exactly what was chosen, plus the stock configs.
    let want: std::collections::BTreeSet<_> =
        [key("checkpoints", "a.safetensors"), key("configs", "a.yaml"), key("configs", "b.yaml")].into();
    assert_eq!(comfy_listing(&a), want);
    // The other install and the global folder are as they were.
    assert_linked(&ws, &b);
    assert_eq!(comfy_listing(&b), b_listing);
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "the global folder is only read");

    // scan: an info finding, nothing to fix, exit 0.
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "a"), s(&["detached"]));
    assert_eq!(finding(&json, "a", "detached")["severity"], "info");
    assert!(finding(&json, "a", "detached")["fix"].is_null());
}

#[test]
fn fix_leaves_a_detached_install_alone_until_attach() {
    needs_links!();
    let (ws, a, _b) = migrated();
    detach(&ws, &[&a], &["--yes"]).expect(0, "detach");
    // The launch-script hook names the install by path: still no re-link.
    let mut cmd = ws.cmd();
    cmd.args(["fix", "--yes", "--quiet"]).arg(&a);
    let out = run_cmd(cmd);
    out.expect(0, "the hook on a detached install");
    assert_eq!(out.stdout, "", "silent");
    fix(&ws, &["--yes"]).expect(0, "fix of the whole workspace");
    assert!(!is_link(&a.join("models")), "not linked again");

    // --attach=NAME of another install does not attach this one.
    fix(&ws, &["--yes", "--attach=b"]).expect(0, "attach another");
    assert!(!is_link(&a.join("models")));

    fix(&ws, &["--yes", "--attach"]).expect(0, "fix --attach");
    assert_linked(&ws, &a);
    let record = std::fs::read_to_string(ws.journal_dir().join("detached.json")).unwrap();
    assert!(!record.contains(a.to_str().unwrap()), "the record is forgotten: {record}");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ids(&json, "a").is_empty(), "{json:#}");
    // From now on the hook repairs it like any linked install.
    std::fs::remove_file(a.join("models")).unwrap();
    fix(&ws, &["--yes", "--quiet"]).expect(0, "hook repairs");
    assert_linked(&ws, &a);
}

#[test]
fn attach_by_name() {
    needs_links!();
    let (ws, a, b) = migrated();
    detach(&ws, &[&a, &b], &["--yes"]).expect(0, "detach both");
    fix(&ws, &["--yes", "--attach=a"]).expect(0, "attach a");
    assert_linked(&ws, &a);
    assert!(!is_link(&b.join("models")), "b stays detached");
}

#[test]
fn undo_puts_the_link_back() {
    needs_links!();
    let (ws, a, b) = migrated();
    let before = comfy_listing(&a);
    let global_before = lstat_inventory(&ws.global, true);
    detach(&ws, &[&a], &["--yes", "--copy-all"]).expect(0, "detach --copy-all");
    assert!(comfy_listing(&a).contains(&key("loras", "b.safetensors")), "--copy-all copies everything");
    undo(&ws).expect(0, "undo the detach");
    assert_linked(&ws, &a);
    assert_linked(&ws, &b);
    assert_eq!(comfy_listing(&a), before);
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "global untouched by detach and undo");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ids(&json, "a").is_empty(), "not detached any more: {json:#}");
}

#[test]
fn without_a_terminal_or_yes_and_in_a_dry_run_nothing_changes() {
    needs_links!();
    let (ws, a, _b) = migrated();
    let everything = ws.everything();
    let out = detach(&ws, &[&a], &[]);
    out.expect(1, "no terminal, no --yes");
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    detach(&ws, &[&a], &["--dry-run"]).expect(0, "dry run");
    assert_same(&everything, &ws.everything(), "nothing changed");
}

#[test]
fn a_path_not_in_the_global_folder_is_refused() {
    needs_links!();
    let (ws, a, _b) = migrated();
    let everything = ws.everything();
    let out = detach(&ws, &[&a], &["--yes", "--copy", "checkpoints/nope.safetensors"]);
    out.expect(2, "unknown --copy path");
    assert!(out.stderr.contains("not in the global folder"), "{}", out.stderr);
    let out = detach(&ws, &[&a], &["--yes", "--copy", "../outside"]);
    out.expect(2, "a path out of the global folder");
    assert_same(&everything, &ws.everything(), "nothing changed");
}

#[test]
fn the_yaml_the_migration_set_aside_comes_back() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("y");
    write(c.join("models/checkpoints/y.safetensors"), bytes(3));
    let yaml = format!("comfyui:\n  base_path: {}\n  checkpoints: checkpoints/\n", ws.global.display());
    write(c.join("extra_model_paths.yaml"), &yaml);
    fix(&ws, &["--yes"]).expect(0, "migration");
    assert!(!c.join("extra_model_paths.yaml").exists(), "the migration set it aside");
    detach(&ws, &[&c], &["--yes"]).expect(0, "detach");
    assert_eq!(read(&c.join("extra_model_paths.yaml")), yaml.as_bytes());
    undo(&ws).expect(0, "undo");
    assert!(!c.join("extra_model_paths.yaml").exists());
    assert_linked(&ws, &c);
}

/// A workspace whose environment `name` is a git checkout tracking a placeholder and a config
/// under `models/`, as ComfyUI's repository does.
fn checkout(name: &str) -> (Ws, PathBuf) {
    let ws = Ws::new();
    let comfy = ws.env(name);
    write(comfy.join("models/checkpoints/put_checkpoints_here"), b"");
    write(comfy.join("models/configs/v1-inference.yaml"), b"model: {}\n");
    write(comfy.join(".gitignore"), b"/models/\n");
    git(&comfy, &["init", "-q"]);
    git(&comfy, &["add", "-A", "-f"]);
    git(&comfy, &["commit", "-qm", "upstream"]);
    (ws, comfy)
}

#[test]
fn a_git_checkout_keeps_a_clean_status() {
    needs_links!();
    assert!(has_git(), "the git tests need `git` on PATH");
    let (ws, comfy) = checkout("g");
    fix(&ws, &["--yes"]).expect(0, "migration with git protection");
    assert_eq!(git(&comfy, &["status", "--porcelain"]), "", "clean after the migration");
    detach(&ws, &[&comfy], &["--yes"]).expect(0, "detach");
    assert!(!is_link(&comfy.join("models")));
    assert_eq!(read(&comfy.join("models/configs/v1-inference.yaml")), b"model: {}\n");
    assert_eq!(git(&comfy, &["status", "--porcelain"]), "", "clean after the detach");
    // The migration's protection is taken back: git tracks models/ as before it.
    let tags = git(&comfy, &["ls-files", "-t", "models"]);
    assert!(tags.lines().all(|l| l.starts_with("H ")), "no skip-worktree bit left:\n{tags}");
    assert_ne!(git_ok(&comfy, &["config", "--bool", "core.sparseCheckout"]).trim(), "true", "sparse checkout off");
    // An upstream change under models/ now reaches the detached install.
    write(comfy.join("models/configs/v1-inference.yaml"), b"model: {changed: 1}\n");
    assert_eq!(git(&comfy, &["status", "--porcelain"]), " M models/configs/v1-inference.yaml\n");
    git(&comfy, &["checkout", "--", "models"]);
    undo(&ws).expect(0, "undo");
    assert_linked(&ws, &comfy);
    assert_eq!(git(&comfy, &["status", "--porcelain"]), "", "clean after the undo");
    let tags = git(&comfy, &["ls-files", "-t", "models"]);
    assert!(tags.lines().all(|l| l.starts_with("S ")), "protected again:\n{tags}");
}

/// `git config` may exit 1 for an unset key: its output either way.
fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_checkout_protected_by_hand_keeps_its_protection_and_a_clean_status() {
    needs_links!();
    assert!(has_git());
    let (ws, comfy) = checkout("h");
    std::fs::remove_dir_all(comfy.join("models")).unwrap();
    symlink("../../../models", comfy.join("models"));
    let files = git(&comfy, &["ls-files", "models"]);
    let mut args = vec!["update-index", "--skip-worktree"];
    args.extend(files.lines());
    git(&comfy, &args);
    git(&comfy, &["sparse-checkout", "set", "--no-cone", "/*", "!/models/"]);
    write(comfy.join(".git/info/exclude"), b"/models\n");
    assert_eq!(git(&comfy, &["status", "--porcelain"]), "");
    detach(&ws, &[&comfy], &["--yes"]).expect(0, "detach (no migration run in the journal)");
    assert!(!is_link(&comfy.join("models")));
    assert_eq!(read(&comfy.join("models/configs/v1-inference.yaml")), b"model: {}\n", "the index's bytes");
    assert_eq!(git(&comfy, &["status", "--porcelain"]), "", "clean after the detach");
    undo(&ws).expect(0, "undo");
    assert!(is_link(&comfy.join("models")));
    // Without `sparse.expectFilesOutsideOfPatterns` (protected by hand), git itself cleared the
    // skip-worktree bits of the files it found in the real folder; the next `fix` protects the
    // checkout again.
    fix(&ws, &["--yes"]).expect(0, "fix after the undo");
    assert_eq!(git(&comfy, &["status", "--porcelain"]), "");
}

/// The view check runs on a detach too: a plan that does not announce what the install stops
/// seeing is stopped after its last step and rolled back (the link is back, nothing lost).
#[test]
fn the_view_check_stops_a_detach_that_hides_unannounced_names() {
    needs_links!();
    use comfydoctor::config::{Attach, Target};
    use comfydoctor::detach::{Copies, Request};
    let (ws, a, _b) = migrated();
    let target = Target {
        paths: vec![ws.root.clone()],
        models_dir: None,
        max_depth: 4,
        checks: comfydoctor::checks::CheckId::ALL.to_vec(),
        verbose: false,
        quiet: true,
        attach: Attach::None,
        link_style: None,
        invocation: Default::default(),
        format: Default::default(),
    };
    let scan = comfydoctor::pipeline::collect(&target).unwrap();
    let report = scan.installs.iter().find(|r| r.inspection.install.root == a).unwrap();
    let runs = comfydoctor::execute::journal::read_all(&ws.journal_dir()).unwrap();
    let req = Request { copies: &Copies::None, journal_dir: &ws.journal_dir(), at: "now", stamp: "X", runs: &runs };
    let mut plan = comfydoctor::detach::plan(&report.inspection, &req).unwrap();
    assert!(plan.view.hidden.iter().any(|h| h.0 == Path::new("checkpoints/a.safetensors")), "{:?}", plan.view);
    plan.view.hidden.clear();
    let mut opts = comfydoctor::execute::ExecOptions::new(ws.journal_dir());
    opts.failpoint = None;
    let out = comfydoctor::execute::execute(&[plan], &opts).unwrap();
    let stop = out.installs[0].stopped.as_ref().expect("the view check stops it");
    assert!(stop.message.contains(&native("checkpoints/a.safetensors")), "{}", stop.message);
    assert_linked(&ws, &a);
}
