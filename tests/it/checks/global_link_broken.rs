//! `global-link-broken`: a link inside the global folder that dangles or loops is an error
//! finding (ComfyUI lists the name and cannot load it), and no fix touches it.

use std::fs;
use std::path::Path;

use crate::support::*;

#[test]
fn global_link_broken_reports_dangling_and_looping_links() {
    needs_links!();
    // (link inside the global folder, its raw target, the word the message uses)
    let cases: &[(&str, &str, &str)] = &[
        ("checkpoints/gone.safetensors", "/nowhere/gone.safetensors", "target missing"),
        ("loras/rel-gone.safetensors", "../missing/x.safetensors", "target missing"),
        ("loras/self.safetensors", "self.safetensors", "loops"),
        ("loras/up", "..", "loops"),
        ("loras/deep/root", "../../", "loops"),
    ];
    for (rel, target, word) in cases {
        let ws = Ws::new();
        let c = ws.env("a");
        symlink(&ws.global, c.join("models"));
        let link = ws.global.join(rel);
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        symlink(target, &link);
        let out = run(&ws, "scan", &["--check", "global-link-broken"]);
        assert_eq!(out.code, 1, "{rel}: {out:?}");
        assert!(out.stdout.contains("global-link-broken") && out.stdout.contains(word), "{rel}: {}", out.stdout);
        assert!(out.stdout.contains(rel), "{rel}: {}", out.stdout);
        let fixed = fix(&ws, &["--yes"]);
        assert_eq!(fixed.code, 1, "{rel}: {fixed:?}");
        assert_eq!(fs::read_link(&link).unwrap(), Path::new(target), "{rel}: the link is left alone");
    }
}

#[test]
fn global_link_broken_after_a_dangling_link_is_migrated() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("a");
    // A dangling link file still shows in ComfyUI's list, so it keeps showing, and is reported.
    symlink("/nowhere/gone.safetensors", c.join("models/vae/gone.safetensors"));
    let out = fix(&ws, &["--yes"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(fs::read_link(ws.global.join("vae/gone.safetensors")).unwrap(), Path::new("/nowhere/gone.safetensors"));
    assert!(out.stdout.contains("global-link-broken"), "{}", out.stdout);
    assert_eq!(scan(&ws).code, 1, "a broken model is never healthy");
}
