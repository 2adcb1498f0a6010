//! `link-missing`: an install without a `models` entry; scan, and the fix (a link to the global
//! folder) through the whole fix/undo cycle.

use crate::support::*;

// ---------------------------------------------------------------- scan

#[test]
fn link_missing_fires_when_there_is_no_models_entry() {
    let ws = Ws::new();
    ws.env("bare");
    let (_, json) = ws.scan_json(&[]);
    let f = finding(&json, "bare", "link-missing");
    assert_eq!(f["severity"], "error");
    assert!(f["fix"].as_str().unwrap().contains("link models/"), "{f:#}");
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn link_missing_creates_the_link() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    write(ws.global.join("loras/shared.safetensors"), bytes(1));
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
    // After undo there is no models entry again.
    assert!(!exists_nofollow(&c.join("models")));
}
