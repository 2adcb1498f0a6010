//! "Nothing lost, nothing hidden" on hostile input: the failure classes and bad inputs of
//! `docs/reliability.md`, each a table of variants driven through the binary on the workspace
//! shape the issue's repros use (`ws()`: one environment `a`, global folder `$W/global`).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The issue's `ws()`: a ComfyDock workspace whose `workspace.json` names the global folder.
struct Repro {
    _tmp: TempDir,
    w: PathBuf,
    g: PathBuf,
    c: PathBuf,
}

impl Repro {
    fn new() -> Repro {
        let tmp = TempDir::new().unwrap();
        let w = tmp.path().join("ws");
        let g = w.join("global");
        let c = env(&w, "a");
        fs::create_dir_all(&g).unwrap();
        fs::create_dir_all(w.join(".metadata")).unwrap();
        let json = serde_json::json!({"global_model_directory": {"path": g}});
        fs::write(w.join(".metadata/workspace.json"), json.to_string()).unwrap();
        Repro { _tmp: tmp, w, g, c }
    }

    fn workspace_json(&self) -> PathBuf {
        self.w.join(".metadata/workspace.json")
    }

    fn cmd(&self, args: &[&str]) -> Run {
        let mut cmd = Command::cargo_bin("comfydoctor").unwrap();
        for var in ["COMFYDOCTOR_MODELS_DIR", "COMFYDOCK_HOME", "COMFYGIT_HOME", "COMFYDOCTOR_STOCK_TSV", "COLUMNS"] {
            cmd.env_remove(var);
        }
        cmd.env("NO_COLOR", "1").env("HOME", &self.w).current_dir(&self.w).args(args).arg(&self.w);
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code().expect("no signal"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A ComfyDock environment `<w>/environments/<name>` with its `.cec/` and a ComfyUI folder.
fn env(w: &Path, name: &str) -> PathBuf {
    let e = w.join("environments").join(name);
    let c = e.join("ComfyUI");
    for d in [e.join(".cec"), c.join("comfy"), c.join("comfy_extras")] {
        fs::create_dir_all(d).unwrap();
    }
    for f in ["main.py", "folder_paths.py", "nodes.py"] {
        fs::write(c.join(f), "").unwrap();
    }
    c
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Every path below `root` (not following links), for "nothing changed" assertions.
fn tree(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        walkdir::WalkDir::new(root).follow_links(false).into_iter().map(|e| e.unwrap().into_path()).collect();
    out.sort();
    out
}

// ------------------------------------------------------------------ workspace.json, bad input

#[test]
fn workspace_json_of_the_wrong_shape_is_a_configuration_error_naming_file_and_field() {
    let cases: &[(&str, &str)] = &[
        (r#"{"global_model_directory": 42}"#, "global_model_directory"),
        (r#"{"global_model_directory": "/models"}"#, "global_model_directory"),
        (r#"{"global_model_directory": ["/models"]}"#, "global_model_directory"),
        (r#"{"global_model_directory": true}"#, "global_model_directory"),
        (r#"{"global_model_directory": {"path": 42}}"#, "global_model_directory.path"),
        (r#"{"global_model_directory": {"path": ["/m"]}}"#, "global_model_directory.path"),
        (r#"{"global_model_directory": {"path": {"x": 1}}}"#, "global_model_directory.path"),
        (r#"[{"global_model_directory": {"path": "/m"}}]"#, "JSON object"),
        (r#"42"#, "JSON object"),
    ];
    for (text, field) in cases {
        let r = Repro::new();
        fs::write(r.workspace_json(), text).unwrap();
        let before = tree(&r.w);
        for args in [&["scan"][..], &["fix", "--yes"][..]] {
            let run = r.cmd(args);
            assert_eq!(run.code, 2, "{text} with {args:?}: {run:?}");
            assert!(run.stderr.contains("workspace.json") && run.stderr.contains(field), "{text}: {}", run.stderr);
            assert_eq!(run.stdout, "", "{text}");
        }
        assert_eq!(tree(&r.w), before, "{text}: a refused run changes nothing");
    }
}

#[test]
fn a_null_or_absent_global_model_directory_is_not_an_error() {
    for text in [r#"{"global_model_directory": null}"#, r#"{"version": 1}"#, r#"{"global_model_directory": {}}"#] {
        let r = Repro::new();
        fs::write(r.workspace_json(), text).unwrap();
        let run = r.cmd(&["scan"]);
        assert_ne!(run.code, 2, "{text}: {run:?}");
    }
}

#[test]
fn an_oversized_workspace_json_is_refused_not_read() {
    let r = Repro::new();
    // Valid JSON, 50 MB of padding: it must be refused by size, not parsed.
    let mut text = String::from(r#"{"global_model_directory": {"path": "/nowhere"}, "pad": ""#);
    text.push_str(&" ".repeat(50 << 20));
    text.push_str("\"}");
    fs::write(r.workspace_json(), text).unwrap();
    let run = r.cmd(&["scan"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("workspace.json") && run.stderr.contains("limit"), "{}", run.stderr);
    let _ = (&r.g, &r.c);
}

// ------------------------------------------------------------------ global-link-broken

#[cfg(unix)]
#[test]
fn global_link_broken_reports_dangling_and_looping_links_in_the_global_folder() {
    use std::os::unix::fs::symlink;
    // (link inside the global folder, its raw target, problem word in the message)
    let cases: &[(&str, &str, &str)] = &[
        ("checkpoints/gone.safetensors", "/nowhere/gone.safetensors", "target missing"),
        ("loras/rel-gone.safetensors", "../missing/x.safetensors", "target missing"),
        ("loras/self.safetensors", "self.safetensors", "loops"),
        ("loras/up", "..", "loops"),
        ("loras/deep/root", "../../", "loops"),
    ];
    for (rel, target, word) in cases {
        let r = Repro::new();
        fs::create_dir_all(r.c.join("models")).unwrap();
        fs::remove_dir(r.c.join("models")).unwrap();
        symlink(&r.g, r.c.join("models")).unwrap();
        let link = r.g.join(rel);
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        symlink(target, &link).unwrap();
        let run = r.cmd(&["scan", "--check", "global-link-broken"]);
        assert_eq!(run.code, 1, "{rel}: {run:?}");
        assert!(run.stdout.contains("global-link-broken") && run.stdout.contains(word), "{rel}: {}", run.stdout);
        assert!(run.stdout.contains(rel), "{rel}: {}", run.stdout);
        // The finding is an error, and fix has nothing automatic to do about it.
        let fix = r.cmd(&["fix", "--yes"]);
        assert_eq!(fix.code, 1, "{rel}: {fix:?}");
        assert_eq!(fs::read_link(&link).unwrap(), Path::new(target), "{rel}: the link is left alone");
    }
}

#[cfg(unix)]
#[test]
fn a_dangling_link_in_models_is_migrated_and_then_reported() {
    use std::os::unix::fs::symlink;
    let r = Repro::new();
    let m = r.c.join("models");
    fs::create_dir_all(m.join("vae")).unwrap();
    // A dangling link file still shows in ComfyUI's list, so it must keep showing.
    symlink("/nowhere/gone.safetensors", m.join("vae/gone.safetensors")).unwrap();
    let fix = r.cmd(&["fix", "--yes"]);
    assert_eq!(fix.code, 1, "{fix:?}");
    assert_eq!(fs::read_link(r.g.join("vae/gone.safetensors")).unwrap(), Path::new("/nowhere/gone.safetensors"));
    assert!(fix.stdout.contains("global-link-broken"), "{}", fix.stdout);
    let scan = r.cmd(&["scan", "--format", "json"]);
    assert_eq!(scan.code, 1, "a broken model is never healthy: {scan:?}");
}
