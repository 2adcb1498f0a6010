//! `detached`: the info finding `comfydoctor detach` leaves behind (its record in
//! `.comfydoctor/detached.json`), and how it holds back the checks that would link the install
//! again — in `scan`, in `fix`, and with `--check ID` — until `fix --attach`. The detach itself
//! is tested in `tests/it/detach.rs`.

use std::path::PathBuf;

use crate::support::*;

/// A workspace with install `d` migrated, then detached.
fn detached() -> (Ws, PathBuf) {
    let ws = Ws::new();
    let c = ws.env("d");
    write(c.join("models/checkpoints/d.safetensors"), bytes(1));
    fix(&ws, &["--yes"]).expect(0, "migrate");
    let mut cmd = ws.cmd();
    cmd.args(["detach", "--yes"]).arg(&c);
    run_cmd(cmd).expect(0, "detach");
    (ws, c)
}

#[test]
fn silent_without_a_record() {
    let ws = Ws::new();
    let c = ws.env("d");
    write(c.join("models/checkpoints/d.safetensors"), bytes(1));
    let (_, json) = ws.scan_json(&[]);
    assert!(!ids(&json, "d").contains(&"detached".to_string()));
    assert!(ids(&json, "d").contains(&"models-dir-real".to_string()));
}

#[test]
fn fires_as_info_and_holds_back_the_link_checks() {
    needs_links!();
    let (ws, _) = detached();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "d"), s(&["detached"]));
    let f = finding(&json, "d", "detached");
    assert_eq!(f["severity"], "info");
    assert!(f["message"].as_str().unwrap().contains("detached from the global folder"), "{f:#}");
    // Selecting a held check alone does not slip past the record.
    let (code, json) = ws.scan_json(&["--check", "placeholder-only"]);
    assert_eq!(code, 0, "{json:#}");
    assert!(ids(&json, "d").is_empty(), "{json:#}");
}

#[test]
fn fix_with_check_does_not_relink_either() {
    needs_links!();
    let (ws, c) = detached();
    fix(&ws, &["--yes", "--check", "placeholder-only"]).expect(0, "fix --check");
    assert!(!is_link(&c.join("models")));
}

#[test]
fn attach_relinks_and_forgets_the_record_and_undo_brings_it_back() {
    needs_links!();
    let (ws, c) = detached();
    let out = fix(&ws, &["--yes", "--attach=d"]);
    out.expect(0, "attach");
    assert_linked(&ws, &c);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0);
    assert!(ids(&json, "d").is_empty(), "{json:#}");
    undo(&ws).expect(0, "undo the attach");
    assert!(!is_link(&c.join("models")), "detached again");
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "d"), s(&["detached"]));
}

#[test]
fn an_unreadable_record_keeps_the_installs_detached() {
    needs_links!();
    let (ws, c) = detached();
    write(ws.journal_dir().join("detached.json"), b"{ not json");
    let out = fix(&ws, &["--yes"]);
    assert!(out.stderr.contains("detached.json"), "{}", out.stderr);
    assert!(!is_link(&c.join("models")), "not re-linked on a damaged record");
}

#[test]
fn explain_names_the_way_back() {
    let out = run_cmd({
        let mut c = bin();
        c.args(["explain", "detached"]);
        c
    });
    out.expect(0, "explain");
    assert!(out.stdout.contains("--attach"), "{}", out.stdout);
}

/// The record names installs by absolute path; a workspace moved (or mounted at another path)
/// keeps them detached: the launch hook leaves the install alone, and `--attach` still finds it.
#[test]
fn a_moved_workspace_keeps_its_install_detached() {
    needs_links!();
    let (ws, c) = detached();
    let moved = ws.base.join("moved elsewhere");
    std::fs::rename(&ws.root, &moved).unwrap();
    let c = moved.join(c.strip_prefix(&ws.root).unwrap());
    let at = |args: &[&str]| {
        let mut cmd = ws.cmd();
        cmd.args(args).arg(&moved);
        run_cmd(cmd)
    };
    let out = at(&["scan", "--format", "json"]);
    let json = parse_json(&out.stdout);
    assert_eq!(ids(&json, "d"), s(&["detached"]), "{json:#}");
    at(&["fix", "--yes", "--quiet"]).expect(0, "the launch hook after the move");
    assert!(!is_link(&c.join("models")), "the hook re-linked a detached install");
    assert!(c.join("models/checkpoints").is_dir());
    at(&["fix", "--yes", "--attach=d"]).expect(0, "attach after the move");
    assert!(is_link(&c.join("models")));
}
