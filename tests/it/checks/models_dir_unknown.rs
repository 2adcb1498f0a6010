//! `models-dir-unknown`: no global folder is known (no flag, variable or workspace.json, and the
//! links do not agree); it replaces the checks that need the global folder and has no fix.

use std::fs;

use crate::support::*;

// ---------------------------------------------------------------- scan

#[test]
fn models_dir_unknown_replaces_the_checks_that_need_the_global_folder() {
    let ws = Ws::empty("ws"); // environments/ only: no workspace.json
    ws.env("a");
    let b = ws.env("b");
    write(b.join("models/checkpoints/put_checkpoints_here"), "");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "a"), s(&["models-dir-unknown", "link-missing"]));
    assert_eq!(ids(&json, "b"), s(&["models-dir-unknown", "placeholder-only"]));
    assert_eq!(finding(&json, "a", "models-dir-unknown")["severity"], "error");
    assert!(json["models_dir"].is_null(), "{json:#}");
    for name in ["a", "b"] {
        assert!(install(&json, name)["models_dir"].is_null(), "{json:#}");
    }
}

#[test]
fn links_that_all_agree_name_the_global_folder_when_nothing_else_does() {
    needs_links!();
    // After a migration the link is the record: a healthy linked install is not an error.
    let ws = Ws::empty("ws");
    fs::create_dir_all(ws.root.join("somewhere")).unwrap();
    let comfy = ws.env("linked");
    symlink("../../../somewhere", comfy.join("models"));
    let (code, json) = ws.scan_json(&["--check", "link-wrong-target", "--check", "models-dir-unknown"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "linked"), s(&[]));
    let somewhere = fs::canonicalize(ws.root.join("somewhere")).unwrap();
    assert_eq!(json["models_dir"], somewhere.display().to_string());
}

#[test]
fn links_that_disagree_leave_the_global_folder_unknown() {
    needs_links!();
    let ws = Ws::empty("ws");
    for (env, dir) in [("one", "a"), ("two", "b")] {
        fs::create_dir_all(ws.root.join(dir)).unwrap();
        symlink(format!("../../../{dir}"), ws.env(env).join("models"));
    }
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "one"), s(&["models-dir-unknown"]));
    assert_eq!(ids(&json, "two"), s(&["models-dir-unknown"]));
}

#[test]
fn a_link_does_not_name_the_global_folder_while_another_install_holds_data() {
    needs_links!();
    // Inferring from links never decides where another install's data would be merged.
    let ws = Ws::empty("ws");
    fs::create_dir_all(ws.root.join("somewhere")).unwrap();
    symlink("../../../somewhere", ws.env("linked").join("models"));
    write(ws.env("real").join("models/loras/mine.safetensors"), "data");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "linked"), s(&["models-dir-unknown"]));
    assert_eq!(ids(&json, "real"), s(&["models-dir-unknown", "models-dir-real"]));
}

#[test]
fn a_standalone_comfyui_has_an_unknown_global_folder() {
    let tmp = tempdir();
    for name in ["one", "two"] {
        make_comfyui(&tmp.path().join(name).join("ComfyUI"));
    }
    let (code, json) = run_json([tmp.path()]);
    assert_eq!(code, 1);
    let all = all_ids(&json);
    assert_eq!(all.len(), 2, "{json:#}");
    for ids in all.values() {
        assert_eq!(ids, &s(&["models-dir-unknown", "link-missing"]));
    }
}

#[test]
fn json_fix_is_null_when_there_is_nothing_to_do() {
    let ws = Ws::empty("ws");
    ws.env("a");
    let (_, json) = ws.scan_json(&[]);
    assert!(finding(&json, "a", "models-dir-unknown")["fix"].is_null(), "{json:#}");
}
