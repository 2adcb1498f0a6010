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
