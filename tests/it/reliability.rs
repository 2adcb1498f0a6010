//! "Nothing lost, nothing hidden" on hostile input: the failure classes and bad inputs listed in
//! `docs/reliability.md`, each a table of variants driven through the binary.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::*;

/// Every path below `root` (not following links), for "a refused run changes nothing".
fn tree(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        walkdir::WalkDir::new(root).follow_links(false).into_iter().map(|e| e.unwrap().into_path()).collect();
    out.sort();
    out
}

// ------------------------------------------------------------------ workspace.json

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
        let ws = Ws::new();
        ws.env("a");
        fs::write(ws.workspace_json(), text).unwrap();
        let before = tree(&ws.base);
        for args in [&["--yes"][..], &[][..]] {
            let sub = if args.is_empty() { "scan" } else { "fix" };
            let out = run(&ws, sub, args);
            assert_eq!(out.code, 2, "{text} with {sub}: {out:?}");
            assert!(out.stderr.contains("workspace.json") && out.stderr.contains(field), "{text}: {}", out.stderr);
            assert_eq!(out.stdout, "", "{text}");
        }
        assert_eq!(tree(&ws.base), before, "{text}: a refused run changes nothing");
    }
}

#[test]
fn a_null_or_absent_global_model_directory_is_not_an_error() {
    for text in [r#"{"global_model_directory": null}"#, r#"{"version": 1}"#, r#"{"global_model_directory": {}}"#] {
        let ws = Ws::new();
        ws.env("a");
        fs::write(ws.workspace_json(), text).unwrap();
        let out = scan(&ws);
        assert_ne!(out.code, 2, "{text}: {out:?}");
    }
}

#[test]
fn an_oversized_workspace_json_is_refused_not_read() {
    let ws = Ws::new();
    ws.env("a");
    // Valid JSON with 50 MB of padding: refused by its size, never parsed.
    let mut text = String::from(r#"{"global_model_directory": {"path": "/nowhere"}, "pad": ""#);
    text.push_str(&" ".repeat(50 << 20));
    text.push_str("\"}");
    fs::write(ws.workspace_json(), text).unwrap();
    let out = scan(&ws);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("workspace.json") && out.stderr.contains("limit"), "{}", out.stderr);
}
