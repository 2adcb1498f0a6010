//! `workspace-moved`: absolute links left behind by a moved workspace. `scan` says the workspace
//! was moved (once per install, naming the old and the new place); `fix` re-points every install
//! in one run, relatively, so the next move keeps them; ComfyUI's listing is as before the move.

use std::path::{Path, PathBuf};

use crate::support::*;

fn scan_json_at(ws: &Ws, path: &Path) -> (i32, serde_json::Value) {
    let mut cmd = ws.cmd();
    cmd.args(["scan", "--format", "json"]).arg(path);
    run_json_cmd(&mut cmd)
}

fn at(ws: &Ws, sub: &str, path: &Path, args: &[&str]) -> Out {
    let mut cmd = ws.cmd();
    cmd.arg(sub).arg(path).args(args);
    run_cmd(cmd)
}

/// Two installs linked with absolute links (as older comfydoctor and ComfyDock made them), then
/// the whole workspace moved: (ws, new root, listings before the move).
fn moved_with_absolute_links() -> (Ws, PathBuf, Vec<Listing>) {
    let ws = Ws::new();
    let a = ws.env("a");
    let b = ws.env("b");
    write(ws.global.join("checkpoints/sd15.safetensors"), bytes(1));
    write(ws.global.join("loras/style.safetensors"), bytes(2));
    fix(&ws, &["--yes", "--link-style", "absolute"]).expect(0, "fix --link-style absolute");
    assert_eq!(raw_target(&a.join("models")), ws.global);
    let listings = vec![comfy_listing(&a), comfy_listing(&b)];
    let new_root = ws.base.join("renamed");
    std::fs::rename(&ws.root, &new_root).unwrap();
    (ws, new_root, listings)
}

#[test]
fn workspace_moved_is_reported_for_every_install() {
    needs_links!();
    let (ws, new_root, _) = moved_with_absolute_links();
    let (code, json) = scan_json_at(&ws, &new_root);
    assert_eq!(code, 1);
    for name in ["a", "b"] {
        assert_eq!(problem_ids(&json, name), s(&["workspace-moved"]), "link-broken yields: {json:#}");
        let f = finding(&json, name, "workspace-moved");
        assert_eq!(f["severity"], "error");
        let msg = f["message"].as_str().unwrap();
        // HOME is the temp folder, so paths show as `~/...`.
        assert!(
            msg.starts_with("the workspace was moved from ~/ws to ~/renamed: models links to ~/ws/models"),
            "{msg}"
        );
        assert!(msg.ends_with("the global models folder is now ~/renamed/models"), "{msg}");
        assert!(msg.contains("all 2 installs"), "{msg}");
    }
}

#[test]
fn workspace_moved_fix_repoints_every_install_relatively() {
    needs_links!();
    let (ws, new_root, listings) = moved_with_absolute_links();
    // Asked for: without a terminal and without --yes nothing changes.
    let before = lstat_inventory(&ws.base, true);
    at(&ws, "fix", &new_root, &[]).expect(1, "fix without --yes");
    assert_same(&before, &lstat_inventory(&ws.base, true), "fix without --yes");

    at(&ws, "fix", &new_root, &["--yes"]).expect(0, "fix --yes");
    for (name, listing) in ["a", "b"].iter().zip(&listings) {
        let comfy = new_root.join("environments").join(name).join("ComfyUI");
        assert_stored_target(&comfy.join("models"), PathBuf::from("../../../models"));
        assert_eq!(&comfy_listing(&comfy), listing, "{name}: ComfyUI's listing as before the move");
    }
    at(&ws, "scan", &new_root, &[]).expect(0, "scan after fix");
    // undo points them back where they pointed.
    at(&ws, "undo", &new_root, &["--yes"]).expect(0, "undo");
    let a = new_root.join("environments/a/ComfyUI");
    assert_eq!(raw_target(&a.join("models")), ws.global);
    // Fixed again, the next move keeps them.
    at(&ws, "fix", &new_root, &["--yes"]).expect(0, "fix --yes again");
    let again = ws.base.join("moved again");
    std::fs::rename(&new_root, &again).unwrap();
    at(&ws, "scan", &again, &[]).expect(0, "scan after a second move");
}

#[test]
fn a_link_elsewhere_that_dangles_is_link_broken_not_a_move() {
    needs_links!();
    let ws = Ws::new();
    let a = ws.env("a");
    // The old root still exists: the folder was removed there, not moved.
    symlink(ws.outside.join("models"), a.join("models"));
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(problem_ids(&json, "a"), s(&["link-broken"]));
}

/// A workspace moved while workspace.json still names the old place (only an info finding): an
/// install that is not linked yet is linked by the fix its own finding names, whichever it is.
#[test]
fn an_unlinked_install_of_a_moved_workspace_is_linked_as_usual() {
    needs_links!();
    type Build = fn(&Path);
    let variants: &[(&str, Build)] = &[
        ("link-missing", |_| {}),
        ("placeholder-only", |c| write(c.join("models/checkpoints/put_checkpoints_here"), "")),
        ("models-dir-real", |c| write(c.join("models/loras/mine.safetensors"), bytes(3))),
        ("models-not-dir", |c| write(c.join("models"), "not a folder")),
    ];
    for (check, build) in variants {
        let ws = Ws::new();
        write(ws.global.join("checkpoints/sd15.safetensors"), bytes(1));
        let new_root = ws.base.join("renamed");
        std::fs::rename(&ws.root, &new_root).unwrap();
        let c = new_root.join("environments/n/ComfyUI");
        make_comfyui(&c);
        write(new_root.join("environments/n/.cec/.complete"), "");
        build(&c);
        let (_, json) = scan_json_at(&ws, &new_root);
        let got = ids(&json, "n");
        assert!(got.contains(&check.to_string()) && got.contains(&"workspace-moved".to_string()), "{check}: {got:?}");
        let journal = |p: &Path| p.ends_with(".comfydoctor");
        let before = content_except(std::slice::from_ref(&ws.base), &journal);
        at(&ws, "fix", &new_root, &["--yes"]).expect(0, check);
        assert!(is_link(&c.join("models")), "{check}: linked");
        assert_eq!(std::fs::canonicalize(c.join("models")).unwrap(), new_root.join("models"), "{check}");
        let after = content_except(std::slice::from_ref(&ws.base), &journal);
        assert_nothing_lost(&before, &after, check);
    }
}
