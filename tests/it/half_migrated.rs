//! Installs another tool (or a person, or an interrupted run) half-migrated: a `models` link that
//! already points at the global folder is a done step, and the rest of the migration (the legacy
//! YAML, git's protection) is planned on top of it.

use std::fs;

use crate::support::*;

/// ComfyGit's own `create_symlink` leaves exactly this: the right link, the old YAML beside it.
#[test]
fn a_correct_link_with_a_legacy_yaml_beside_it_is_finished() {
    needs_links!();
    // (what the link's raw target looks like, the YAML's text)
    type Yaml = fn(&Ws) -> String;
    let cases: &[(&str, Yaml)] = &[
        ("absolute link, ComfyDock YAML", |ws| {
            format!(
                "comfyui:\n  base_path: {}\n  is_default: true\n  checkpoints: checkpoints/\n  loras: loras/\n",
                ws.global.display()
            )
        }),
        ("absolute link, one key without a slash", |ws| {
            format!("c:\n  base_path: {}\n  checkpoints: checkpoints\n", ws.global.display())
        }),
    ];
    for (what, yaml) in cases {
        let ws = Ws::new();
        let c = ws.env("a");
        write(ws.global.join("checkpoints/m.safetensors"), bytes(1));
        symlink(&ws.global, c.join("models"));
        write(c.join("extra_model_paths.yaml"), yaml(&ws));
        let listed = comfy_listing(&c);
        let out = fix(&ws, &["--yes"]);
        assert_eq!(out.code, 0, "{what}: {out:?}");
        assert!(!c.join("extra_model_paths.yaml").exists(), "{what}: the served YAML is backed up and removed");
        assert_eq!(backups(&c).len(), 0, "{what}: no models backup");
        assert_eq!(comfy_listing(&c), listed, "{what}: ComfyUI lists the same");
        fix(&ws, &["--yes", "--quiet"]).expect(0, what);
        undo(&ws).expect(0, what);
        assert_eq!(fs::read_to_string(c.join("extra_model_paths.yaml")).unwrap(), yaml(&ws), "{what}: undo");
    }
}

/// A git checkout whose `models` link is already right gets git's protection.
#[test]
fn a_correct_link_in_a_git_checkout_gets_protected() {
    needs_links!();
    assert!(has_git(), "the git tests need `git` on PATH");
    let ws = Ws::new();
    let c = ws.env("a");
    write(c.join("models/checkpoints/put_checkpoints_here"), b"");
    write(c.join(".gitignore"), b"/models/\n");
    git(&c, &["init", "-q"]);
    git(&c, &["add", "-A", "-f"]);
    git(&c, &["commit", "-qm", "upstream"]);
    fs::remove_dir_all(c.join("models")).unwrap();
    symlink(&ws.global, c.join("models"));
    let out = fix(&ws, &["--yes"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(git(&c, &["status", "--porcelain"]), "", "git status is clean once protected");
    assert!(git(&c, &["ls-files", "-v", "models"]).lines().all(|l| l.starts_with("S ")), "skip-worktree set");
    scan(&ws).expect(0, "scan after");
}
