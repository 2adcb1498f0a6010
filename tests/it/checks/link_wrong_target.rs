//! `link-wrong-target`: `models` links to a folder other than the global one; scan (and the links
//! that reach the global folder another way), the merge and backup fixes, and what fix refuses.

use crate::support::*;
use std::fs;

// ---------------------------------------------------------------- scan

#[test]
fn link_wrong_target_fires_on_a_link_to_another_folder() {
    needs_links!();
    let ws = Ws::new();
    fs::create_dir_all(ws.root.join("old-models/loras")).unwrap();
    let comfy = ws.env("elsewhere");
    symlink("../../../old-models", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "elsewhere"), s(&["link-wrong-target"]));
    let f = finding(&json, "elsewhere", "link-wrong-target");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("old-models"), "{f:#}");
}

#[test]
fn link_wrong_target_fires_on_a_link_to_a_subfolder_of_the_global_folder() {
    needs_links!();
    let ws = Ws::new();
    let comfy = ws.env("sub");
    symlink(ws.global.join("checkpoints"), comfy.join("models"));
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "sub"), s(&["link-wrong-target"]));
}

#[test]
fn links_that_reach_the_global_folder_another_way_are_healthy() {
    needs_links!();
    let ws = Ws::new();
    // absolute target
    let abs = ws.env("absolute");
    symlink(&ws.global, abs.join("models"));
    // through a link to the global folder
    symlink("models", ws.root.join("models-alias"));
    let alias = ws.env("alias");
    symlink("../../../models-alias", alias.join("models"));
    // with `..` detours and a trailing slash
    let detour = ws.env("detour");
    symlink("../../../environments/../models/", detour.join("models"));
    // a chain of links
    symlink(ws.root.join("models-alias"), ws.root.join("models-alias2"));
    let chain = ws.env("chain");
    symlink(ws.root.join("models-alias2"), chain.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    for name in ["absolute", "alias", "detour", "chain"] {
        assert_eq!(ids(&json, name), Vec::<String>::new(), "{name}: {json:#}");
    }
}

#[test]
fn a_global_folder_named_through_a_link_is_not_a_wrong_target() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("good");
    symlink(&ws.global, ws.base.join("global-alias"));
    let alias = ws.base.join("global-alias");
    // --models-dir through the link
    let (code, json) = ws.scan_json(&["--models-dir", alias.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
    // workspace.json through the link
    ws.write_workspace_json(&serde_json::json!({"global_model_directory": {"path": alias.to_str().unwrap()}}));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
    // a path with `..` in it
    let dotted = ws.root.join("environments/../models");
    let (code, json) = ws.scan_json(&["--models-dir", dotted.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn link_wrong_target_merge_brings_everything_without_touching_the_old_target() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old-models");
    write(old.join("loras/only-old.safetensors"), bytes(1));
    write(old.join("checkpoints/sub/deep.ckpt"), bytes(2));
    write(old.join("checkpoints/same.safetensors"), bytes(3));
    write(ws.global.join("checkpoints/same.safetensors"), bytes(3));
    write(old.join("vae/clash.safetensors"), bytes(4));
    write(ws.global.join("vae/clash.safetensors"), bytes(5));
    write(old.join("my-folder/notes.txt"), bytes(6));
    write(old.join("loras/put_loras_here"), b"");
    write(ws.outside.join("style-store/style.safetensors"), bytes(7));
    symlink("../../style-store", old.join("loras/styles"));
    symlink(&old, c.join("models"));

    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let g = &ws.global;
        assert_eq!(read(&g.join("loras/only-old.safetensors")), bytes(1));
        assert_eq!(read(&g.join("checkpoints/sub/deep.ckpt")), bytes(2));
        assert_eq!(read(&g.join("vae/clash.safetensors")), bytes(5), "the global file must win a conflict");
        assert_eq!(read(&g.join("my-folder/notes.txt")), bytes(6));
        // Same filesystem: hard links, so no byte is stored twice.
        let (moved, kept) = (g.join("loras/only-old.safetensors"), old.join("loras/only-old.safetensors"));
        assert!(
            same_file::is_same_file(&moved, &kept).unwrap(),
            "{} is a hard link of {}",
            moved.display(),
            kept.display()
        );
        // The nested link comes over as a link with an absolute target.
        let t = raw_target(&g.join("loras/styles"));
        assert!(t.is_absolute(), "nested link target not absolute: {}", t.display());
        assert_eq!(t.canonicalize().unwrap(), ws.outside.join("style-store"));
        // The old target is only read (also checked by the untouchable inventory).
        assert!(old.join("loras/only-old.safetensors").is_file());
    });
}

#[test]
fn link_wrong_target_backup_only_repoints() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old-models");
    write(old.join("loras/only-old.safetensors"), bytes(1));
    symlink(&old, c.join("models"));
    let global_before = lstat_inventory(&ws.global, true);
    let b = before(&ws, &[&c]);

    fix(&ws, &["--yes", "--strategy", "backup"]).expect(0, "fix --yes --strategy backup");
    assert_linked(&ws, &c);
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "global folder under --strategy backup");
    assert_same(&b.untouchable, &ws.untouchable(&[&c]), "old target under --strategy backup");
    assert_nothing_lost(&b.content, &ws.content(), "--strategy backup");
    scan(&ws).expect(0, "scan");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "undo of --strategy backup");
}

#[test]
fn link_wrong_target_whose_subfolder_is_a_link_over_an_existing_global_folder() {
    needs_links!();
    // The old target's loras/ is itself a link to a store; the global folder has loras/ already.
    // Everything ComfyUI listed under loras must stay listed.
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old-models");
    write(ws.outside.join("lora-store/a.safetensors"), bytes(1));
    write(ws.outside.join("lora-store/sub/b.safetensors"), bytes(2));
    symlink("../lora-store", old.join("loras"));
    write(old.join("checkpoints/c.safetensors"), bytes(3));
    write(ws.global.join("loras/g.safetensors"), bytes(4));
    symlink(&old, c.join("models"));
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
}

#[test]
fn refuses_a_global_folder_inside_the_old_link_target() {
    needs_links!();
    // models -> <outside>/old, and the global folder is configured as <ComfyUI>/models/shared,
    // which is <outside>/old/shared: re-pointing models there would make the link its own path.
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old");
    write(old.join("checkpoints/a.safetensors"), bytes(1));
    mkdir(old.join("shared"));
    symlink(&old, c.join("models"));
    ws.write_global_path("environments/e/ComfyUI/models/shared");
    let all = ws.everything();
    let b = before(&ws, &[&c]);
    let out = fix(&ws, &["--yes"]);
    assert_nothing_lost(&b.content, &ws.content(), "global inside the old target");
    assert_ne!(out.code, 0, "must not succeed:\n{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("inside"), "clear message expected:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "a refused run must write nothing");
}
