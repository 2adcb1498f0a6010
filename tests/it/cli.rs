//! The other subcommands (`checks`, `explain`, `completions`), the README's `scan` of the demo
//! workspace, and snapshots of the human output.

use crate::support::*;

#[cfg(unix)]
fn demo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("demo-workspace")
}

// ---------------------------------------------------------------- checks, explain, completions

#[test]
fn checks_lists_every_id_once() {
    let (code, stdout, stderr) = output(bin().arg("checks"));
    assert_eq!(code, 0, "{stderr}");
    let listed: Vec<&str> = stdout.lines().map(|l| l.split_whitespace().next().unwrap_or("")).collect();
    assert_eq!(listed, ALL_CHECK_IDS, "{stdout}");
    for line in stdout.lines() {
        assert!(line.split_whitespace().count() > 2, "no description: {line}");
    }
    insta::assert_snapshot!("checks", stdout);
}

#[test]
fn explain_knows_every_check() {
    for id in ALL_CHECK_IDS {
        let (code, stdout, stderr) = output(bin().args(["explain", id]));
        assert_eq!(code, 0, "{id}: {stderr}");
        assert!(stdout.starts_with(&format!("{id}: ")), "{id}: {stdout}");
        assert!(stdout.contains("Fix"), "{id} says nothing about its fix: {stdout}");
        assert!(stdout.lines().count() >= 3, "{stdout}");
    }
}

#[test]
fn explain_an_unknown_id_is_a_usage_error() {
    let (code, stdout, stderr) = output(bin().args(["explain", "not-a-check"]));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not-a-check"), "{stderr}");
}

#[test]
fn completions_bash_prints_a_script() {
    let (code, stdout, stderr) = output(bin().args(["completions", "bash"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("_comfydoctor()"), "no bash function");
    assert!(stdout.contains("complete -F _comfydoctor"), "not registered");
    for word in ["scan", "checks", "explain", "--models-dir", "--max-depth", "--check", "--format"] {
        assert!(stdout.contains(word), "{word} missing from the bash completions");
    }
}

#[test]
fn completions_for_the_other_shells() {
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, _) = output(bin().args(["completions", shell]));
        assert_eq!(code, 0, "{shell}");
        assert!(stdout.contains("comfydoctor") && stdout.contains("models-dir"), "{shell}");
    }
    let (code, _, _) = output(bin().args(["completions", "tcsh"]));
    assert_eq!(code, 2, "an unknown shell is a usage error");
}

#[test]
fn scan_help_documents_the_exit_codes() {
    let (code, stdout, _) = output(bin().args(["scan", "--help"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("Exit codes") && stdout.contains("--models-dir"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    let ws = Ws::new();
    ws.env("bare");
    let esc = |cmd: &mut assert_cmd::Command| {
        let (code, stdout, _) = output(cmd);
        assert_eq!(code, 1);
        stdout.contains('\x1b')
    };
    assert!(!esc(ws.cmd().env_remove("NO_COLOR").arg("scan").arg(&ws.root)), "no colour into a pipe");
    assert!(esc(ws.cmd().args(["--color", "always", "scan"]).arg(&ws.root)), "--color always");
    assert!(!esc(ws.cmd().env_remove("NO_COLOR").args(["scan", "--color", "never"]).arg(&ws.root)));
    assert!(esc(ws.cmd().env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1").arg("scan").arg(&ws.root)));
    // JSON never carries colour codes.
    assert!(!esc(ws.cmd().args(["--color", "always", "scan", "--format", "json"]).arg(&ws.root)));
}

// ---------------------------------------------------------------- the README's demo workspace

#[cfg(unix)]
#[test]
fn readme_scan_of_the_demo_workspace_json() {
    let home = tempdir();
    let before = lstat_inventory(&demo(), true);
    let mut cmd = bin();
    cmd.home(home.path()).current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "scan",
        "fixtures/demo-workspace",
        "--format",
        "json",
    ]);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!(code, 1);
    assert_eq!(names(&json), s(&["bare", "broken", "elsewhere", "fresh", "healthy", "legacy"]), "scratch is skipped");
    assert_eq!(problem_ids(&json, "bare"), s(&["link-missing"]));
    assert_eq!(problem_ids(&json, "broken"), s(&["link-broken"]));
    assert_eq!(problem_ids(&json, "elsewhere"), s(&["link-wrong-target"]));
    assert_eq!(problem_ids(&json, "fresh"), s(&["placeholder-only"]));
    assert_eq!(problem_ids(&json, "legacy"), s(&["models-dir-real", "legacy-yaml"]));
    assert_eq!(ids(&json, "healthy"), Vec::<String>::new());
    // The demo's global folder lacks most standard subfolders: one info line, on the first install.
    assert_eq!(ids(&json, "bare"), s(&["global-layout", "link-missing"]));
    assert_eq!(json["summary"], serde_json::json!({"installs": 6, "errors": 2, "warnings": 4, "infos": 1}));
    let global = std::fs::canonicalize(json["models_dir"].as_str().unwrap()).unwrap();
    assert_eq!(global, std::fs::canonicalize(demo().join("models")).unwrap());
    assert_same(&before, &lstat_inventory(&demo(), true), "nothing may change");
}

#[cfg(unix)]
#[test]
fn readme_scan_of_the_demo_workspace_table() {
    let home = tempdir();
    let before = lstat_inventory(&demo(), true);
    let mut cmd = bin();
    cmd.home(home.path()).current_dir(env!("CARGO_MANIFEST_DIR")).args(["scan", "fixtures/demo-workspace"]);
    let (code, stdout, stderr) = output(&mut cmd);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, "");
    for id in ["link-missing", "link-broken", "link-wrong-target", "placeholder-only", "models-dir-real", "legacy-yaml"]
    {
        assert!(stdout.contains(id), "{id} missing:\n{stdout}");
    }
    assert!(!stdout.contains("scratch"), "{stdout}");
    assert!(stdout.contains("[✓] healthy: healthy"), "{stdout}");
    assert!(stdout.contains("6 installs scanned: 2 errors, 4 warnings, 1 info; 1 of 6 healthy."), "{stdout}");
    assert!(stdout.contains("`comfydoctor fix --dry-run fixtures/demo-workspace`"), "{stdout}");

    // -v names the skipped environment on stderr.
    let mut cmd = bin();
    cmd.home(home.path()).current_dir(env!("CARGO_MANIFEST_DIR")).args(["scan", "-v", "fixtures/demo-workspace"]);
    let (code, _, stderr) = output(&mut cmd);
    assert_eq!(code, 1);
    assert!(stderr.contains("scratch"), "{stderr}");
    assert_same(&before, &lstat_inventory(&demo(), true), "nothing may change");
}

// ---------------------------------------------------------------- snapshots of the output

/// A small workspace whose output is the same on every machine: HOME is the temp folder, so every
/// path shows as `~/ws/...`.
#[cfg(unix)]
fn snapshot_workspace() -> Ws {
    let ws = Ws::new();
    ws.env("bare");
    let fresh = ws.env("fresh");
    for p in ["checkpoints/put_checkpoints_here", "loras/put_loras_here"] {
        write(fresh.join("models").join(p), "");
    }
    ws.healthy_env("good");
    std::fs::remove_dir(ws.global.join("gligen")).unwrap();
    ws
}

#[cfg(unix)]
#[test]
fn table_snapshot() {
    let ws = snapshot_workspace();
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.contains(ws.base.to_str().unwrap()), "paths should show as ~: {stdout}");
    insta::assert_snapshot!("table", stdout);

    let (code, stdout, _) = output(ws.cmd().arg("scan").arg("--quiet").arg(&ws.root));
    assert_eq!(code, 1);
    insta::assert_snapshot!("table_quiet", stdout);
}

#[cfg(unix)]
#[test]
fn json_snapshot() {
    let ws = snapshot_workspace();
    let (code, stdout, _) = output(ws.cmd().args(["scan", "--format", "json"]).arg(&ws.root));
    assert_eq!(code, 1);
    let tmp = ws.base.to_str().unwrap();
    let canonical = std::fs::canonicalize(&ws.base).unwrap();
    let stdout = stdout.replace(tmp, "[TMP]").replace(canonical.to_str().unwrap(), "[TMP]");
    assert_shape(&parse_json(&stdout));
    insta::assert_snapshot!("json", stdout);
}
