//! `link-broken`: `models` is a dangling link or a link loop; scan, and the fix (the link replaced)
//! through the whole fix/undo cycle.

use std::path::Path;

use crate::support::*;

// ---------------------------------------------------------------- scan

#[test]
fn link_broken_fires_on_a_dangling_link() {
    needs_links!();
    let ws = Ws::new();
    let comfy = ws.env("broken");
    symlink("../../../models-moved-away", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "broken"), s(&["link-broken"]));
    let f = finding(&json, "broken", "link-broken");
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("models-moved-away"), "{f:#}");
}

#[test]
fn link_broken_fires_on_a_link_loop() {
    needs_links!();
    let ws = Ws::new();
    let comfy = ws.env("loop");
    symlink("models", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "loop"), s(&["link-broken"]));
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn link_broken_is_replaced() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    symlink("../../../models-moved-away", c.join("models"));
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
    assert_stored_target(&c.join("models"), Path::new("../../../models-moved-away"));
}
