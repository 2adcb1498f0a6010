//! Link style: the `models` links `fix` makes are relative where the install and the global
//! folder share the workspace root, so the workspace can be moved, reached through a second path
//! (a linked parent, a bind mount) and stays healthy without a `fix`; `--link-style` and the
//! workspace config's `link_style` override; both styles are healthy to `scan`.

use std::path::{Path, PathBuf};

use crate::support::*;

/// A workspace with two installs, one without `models` and one with ComfyUI's placeholders, and
/// models in the global folder.
fn two_installs() -> (Ws, PathBuf, PathBuf) {
    let ws = Ws::new();
    let a = ws.env("a");
    let b = ws.env("b");
    write(b.join("models/checkpoints/put_checkpoints_here"), "");
    write(ws.global.join("checkpoints/sd15.safetensors"), bytes(1));
    write(ws.global.join("loras/style.safetensors"), bytes(2));
    write(ws.global.join("text_encoders/t5.safetensors"), bytes(3));
    (ws, a, b)
}

/// `comfydoctor <sub> <path> ARGS` with the workspace's environment.
fn at(ws: &Ws, sub: &str, path: &Path, args: &[&str]) -> Out {
    let mut cmd = ws.cmd();
    cmd.arg(sub).arg(path).args(args);
    run_cmd(cmd)
}

fn scan_json_at(ws: &Ws, path: &Path) -> (i32, serde_json::Value) {
    let mut cmd = ws.cmd();
    cmd.args(["scan", "--format", "json"]).arg(path);
    run_json_cmd(&mut cmd)
}

#[test]
fn fix_makes_relative_links_inside_the_workspace() {
    needs_links!();
    let (ws, a, b) = two_installs();
    full_cycle(&ws, &[&a, &b], &["--yes"], |out| {
        if cfg!(unix) {
            assert!(out.stdout.contains("ln -s '../../../models'"), "{}", out.stdout);
        }
    });
    // full_cycle undid it; once more, to look at the links.
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    for c in [&a, &b] {
        assert_stored_target(&c.join("models"), PathBuf::from("../../../models"));
    }
}

#[test]
#[cfg(unix)] // a junction stores an absolute target: there a moved workspace is workspace-moved's to repair
fn a_relative_link_survives_moving_the_whole_workspace() {
    needs_links!();
    let (ws, a, b) = two_installs();
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    let listings = [comfy_listing(&a), comfy_listing(&b)];
    assert!(listings[0].len() >= 3, "{:?}", listings[0]);

    // workspace.json names the old place (ComfyDock writes absolute paths): it must not matter.
    let moved = ws.base.join("moved workspace");
    std::fs::rename(&ws.root, &moved).unwrap();
    let (code, json) = scan_json_at(&ws, &moved);
    assert_eq!(code, 0, "{json:#}");
    for name in ["a", "b"] {
        assert_eq!(problem_ids(&json, name), Vec::<String>::new(), "{json:#}");
    }
    let info = finding(&json, "a", "workspace-moved");
    assert_eq!(info["severity"], "info");
    assert!(info["message"].as_str().unwrap().contains("workspace.json"), "{info:#}");
    assert_eq!(json["models_dir"], moved.join("models").to_str().unwrap(), "{json:#}");
    for (name, before) in ["a", "b"].iter().zip(&listings) {
        let comfy = moved.join("environments").join(name).join("ComfyUI");
        assert_eq!(&comfy_listing(&comfy), before, "ComfyUI's listing of {name} after the move");
    }
    // Nothing to do there.
    let everything = lstat_inventory(&ws.base, true);
    at(&ws, "fix", &moved, &["--yes"]).expect(0, "fix --yes after the move");
    assert_same(&everything, &lstat_inventory(&ws.base, true), "fix after the move changes nothing");
}

#[test]
fn the_same_workspace_through_a_linked_parent() {
    needs_links!();
    let (ws, a, b) = two_installs();
    let alias = ws.base.join("alias");
    symlink(&ws.root, &alias);
    // Fixed through the second path: the targets come from the real paths.
    at(&ws, "fix", &alias, &["--yes"]).expect(0, "fix --yes through the alias");
    for c in [&a, &b] {
        assert_stored_target(&c.join("models"), PathBuf::from("../../../models"));
    }
    for path in [&ws.root, &alias] {
        at(&ws, "scan", path, &[]).expect(0, "scan");
    }
    let through = alias.join("environments/a/ComfyUI");
    assert_eq!(comfy_listing(&through), comfy_listing(&a));
}

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn the_same_workspace_through_a_bind_mount() {
    needs_links!();
    let (ws, a, _b) = two_installs();
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    let before = comfy_listing(&a);
    let mnt = ws.base.join("container").join("workspace");
    mkdir(&mnt);
    let ok = std::process::Command::new("mount")
        .arg("--bind")
        .arg(&ws.root)
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: mount --bind is not permitted here");
        return;
    }
    let _guard = Mounted(mnt.clone());
    // As a container sees it: the workspace at another path, workspace.json naming the host's.
    let (code, json) = scan_json_at(&ws, &mnt);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(comfy_listing(&mnt.join("environments/a/ComfyUI")), before);
}

#[test]
fn link_style_absolute_from_the_flag_or_the_workspace_config() {
    needs_links!();
    let (ws, a, _b) = two_installs();
    fix(&ws, &["--yes", "--link-style", "absolute"]).expect(0, "fix --link-style absolute");
    assert_eq!(raw_target(&a.join("models")), ws.global);
    // Both styles are healthy.
    scan(&ws).expect(0, "scan of absolute links");
    undo(&ws).expect(0, "undo");

    write(ws.journal_dir().join("config.json"), r#"{"link_style": "absolute"}"#);
    fix(&ws, &["--yes"]).expect(0, "fix with the config's absolute");
    assert_eq!(raw_target(&a.join("models")), ws.global);
    undo(&ws).expect(0, "undo");
    // The flag wins over the config.
    fix(&ws, &["--yes", "--link-style", "auto"]).expect(0, "fix --link-style auto");
    assert_stored_target(&a.join("models"), PathBuf::from("../../../models"));
}

#[test]
fn a_config_that_cannot_be_used_is_a_configuration_error_naming_the_file() {
    let (ws, _a, _b) = two_installs();
    let config = ws.journal_dir().join("config.json");
    for text in [r#"{"link_style": "sideways"}"#, "not json"] {
        write(&config, text);
        let out = fix(&ws, &["--yes"]);
        out.expect(2, text);
        assert!(out.stderr.contains(config.to_str().unwrap()), "{}", out.stderr);
    }
}

#[test]
fn a_global_folder_outside_the_workspace_gets_an_absolute_link_unless_relative_is_asked() {
    needs_links!();
    let ws = Ws::new();
    let a = ws.env("a");
    let outside = ws.outside.join("models");
    mkdir(outside.join("checkpoints"));
    let dir = outside.to_str().unwrap();
    fix(&ws, &["--yes", "--models-dir", dir]).expect(0, "fix --models-dir outside");
    assert_eq!(raw_target(&a.join("models")), outside);
    undo(&ws).expect(0, "undo");
    fix(&ws, &["--yes", "--models-dir", dir, "--link-style", "relative"]).expect(0, "fix relative");
    assert_stored_target(&a.join("models"), PathBuf::from("../../../../outside/models"));
    at(&ws, "scan", &ws.root, &["--models-dir", dir]).expect(0, "scan");
}
