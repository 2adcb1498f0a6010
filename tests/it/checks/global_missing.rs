//! `global-missing`: the global folder does not exist or is not a folder; scan, and the fix
//! (created only with `--yes`; a file in its place is left alone).

use std::fs;

use crate::support::*;

// ---------------------------------------------------------------- scan

#[test]
fn global_missing_fires_once_per_global_folder() {
    let ws = Ws::new();
    fs::remove_dir_all(&ws.global).unwrap();
    ws.env("a");
    ws.env("b");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "link-missing"]));
    assert_eq!(ids(&json, "b"), s(&["link-missing"]));
    assert_eq!(finding(&json, "a", "global-missing")["severity"], "error");
}

#[test]
fn global_missing_fires_when_the_global_folder_is_a_file() {
    let ws = Ws::new();
    fs::remove_dir_all(&ws.global).unwrap();
    write(&ws.global, b"oops");
    let comfy = ws.env("a");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "placeholder-only"]));
    assert!(finding(&json, "a", "global-missing")["message"].as_str().unwrap().contains("not a folder"));
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn global_missing_is_created_with_yes_and_not_without() {
    needs_links!();
    let ws = Ws::bare();
    let c = ws.env("e");
    let all = ws.everything();
    let out = fix(&ws, &[]);
    out.expect(1, "fix without --yes when the global folder is missing");
    assert!(out.stderr.contains("--yes"), "must say how to allow it:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "fix without --yes must write nothing");
    assert!(!ws.journal_dir().exists());

    full_cycle(&ws, &[&c], &["--yes"], |_| {
        for sub in STANDARD_SUBFOLDERS {
            assert!(ws.global.join(sub).is_dir(), "standard subfolder {sub} not created");
        }
    });
}

#[test]
fn a_global_path_that_is_a_file_is_left_alone() {
    let ws = Ws::bare();
    write(&ws.global, b"not a folder");
    let c = ws.env("e");
    write(c.join("models/checkpoints/mine.safetensors"), bytes(1));
    let all = ws.everything();
    let out = fix(&ws, &["--yes"]);
    out.expect(1, "fix --yes when the global path is a file");
    assert!(out.stdout.contains("not a folder"), "the reason must be shown:\n{}", out.stdout);
    assert_same(&all, &ws.everything(), "nothing can be fixed, so nothing is written");
}
