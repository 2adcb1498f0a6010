//! `global-layout`: the global folder lacks some of ComfyUI's standard subfolders; scan, and the
//! fix (the subfolders made, no prompt needed) with its undo.

use std::fs;

use crate::support::*;

// ---------------------------------------------------------------- scan

#[test]
fn global_layout_names_the_missing_subfolders_once() {
    needs_links!();
    let ws = Ws::new();
    fs::remove_dir(ws.global.join("gligen")).unwrap();
    fs::remove_dir(ws.global.join("photomaker")).unwrap();
    ws.healthy_env("a");
    ws.healthy_env("b");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(ids(&json, "a"), s(&["global-layout"]));
    assert_eq!(ids(&json, "b"), Vec::<String>::new());
    let msg = finding(&json, "a", "global-layout")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("gligen") && msg.contains("photomaker"), "{msg}");
    assert!(!msg.contains("checkpoints"), "{msg}");
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn global_layout_gets_its_missing_subfolders() {
    needs_links!();
    let ws = Ws::bare();
    mkdir(ws.global.join("checkpoints"));
    write(ws.global.join("checkpoints/a.safetensors"), bytes(1));
    let c = ws.env("e");
    symlink(&ws.global, c.join("models"));
    let s = run(&ws, "scan", &["--format", "json"]);
    assert!(s.stdout.contains("global-layout"), "scan:\n{}", s.stdout);
    let global_before = lstat_inventory(&ws.global, false);
    let b = before(&ws, &[&c]);

    fix(&ws, &[]).expect(0, "fix (no prompt needed)");
    for sub in STANDARD_SUBFOLDERS {
        assert!(ws.global.join(sub).is_dir(), "standard subfolder {sub} not created");
    }
    assert_kept(&ws, &[&c], &b, "global-layout fix");
    let s = run(&ws, "scan", &["--format", "json"]);
    s.expect(0, "scan");
    assert!(!s.stdout.contains("global-layout"), "global-layout still reported:\n{}", s.stdout);
    let settled = ws.everything();
    fix(&ws, &["--yes"]).expect(0, "second fix");
    assert_same(&settled, &ws.everything(), "second fix --yes must change nothing");
    undo(&ws).expect(0, "undo");
    assert_same(&global_before, &lstat_inventory(&ws.global, false), "undo of global-layout");
}
