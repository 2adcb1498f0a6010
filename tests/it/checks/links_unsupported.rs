//! `links-unsupported`: an install whose folder cannot hold the `models` link. Through the test
//! seam (`COMFYDOCTOR_TEST_FSTYPE`, a fake `statfs`) on every machine, and on a real exFAT (or
//! FAT) image mounted by the test where the machine permits: a clear finding, the asked fallback
//! `extra_model_paths.yaml` read back by the project's own ComfyUI-exact reader with every folder
//! key resolving to the global folder, `undo`, and the link once the filesystem can hold one.

use std::path::{Path, PathBuf};

use comfydoctor::legacy_yaml;

use crate::support::*;

const SEAM: &str = "COMFYDOCTOR_TEST_FSTYPE";

/// `comfydoctor <sub> <ws> ARGS` as if every folder were on `fstype`.
fn on(ws: &Ws, fstype: &str, sub: &str, args: &[&str]) -> Out {
    let mut cmd = ws.cmd();
    cmd.env(SEAM, fstype).arg(sub).arg(&ws.root).args(args);
    run_cmd(cmd)
}

fn scan_on(ws: &Ws, fstype: &str) -> (i32, serde_json::Value) {
    let mut cmd = ws.cmd();
    cmd.env(SEAM, fstype).args(["scan", "--format", "json"]).arg(&ws.root);
    run_json_cmd(&mut cmd)
}

/// Asserts the file at `yaml` is comfydoctor's fallback and that ComfyUI, reading it, searches
/// `global` first for every folder key (the test's own key table, not the product's), and that
/// ComfyUI-Manager's `download_model_base` is the global folder.
#[track_caller]
fn assert_fallback_serves(yaml: &Path, global: &Path, comfy: &Path) {
    let parsed = legacy_yaml::read_file(yaml).expect("the fallback parses as ComfyUI reads it");
    assert!(legacy_yaml::is_fallback(&parsed), "{}", parsed.source);
    assert!(parsed.source.starts_with(legacy_yaml::FALLBACK_MARKER), "{}", parsed.source);
    let lists = legacy_yaml::search_paths(&parsed, &comfy.join("models"));
    for (key, dirs, _) in KEYS {
        let (_, paths) = lists.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no key {key}"));
        for (i, d) in dirs.iter().enumerate() {
            assert_eq!(paths[i], global.join(d), "{key}: search order {paths:?}");
        }
    }
    let manager: Vec<_> = parsed.entries().filter(|e| e.key == "download_model_base").map(|e| &e.path).collect();
    assert_eq!(manager, [&global.to_path_buf()]);
}

#[test]
fn links_unsupported_is_a_clear_error_and_the_link_checks_yield() {
    let ws = Ws::new();
    let fresh = ws.env("fresh");
    write(fresh.join("models/checkpoints/put_checkpoints_here"), "");
    ws.env("bare");
    for fstype in ["vfat", "0x4d44", "exfat", "0x2011bab0"] {
        let (code, json) = scan_on(&ws, fstype);
        assert_eq!(code, 1, "{fstype}");
        for name in ["fresh", "bare"] {
            assert_eq!(ids(&json, name), s(&["links-unsupported"]), "{fstype}: {json:#}");
            let f = finding(&json, name, "links-unsupported");
            assert_eq!(f["severity"], "error");
            let msg = f["message"].as_str().unwrap();
            assert!(msg.contains("FAT") && msg.contains("cannot link"), "{msg}");
            assert!(f["fix"].as_str().unwrap().contains("extra_model_paths.yaml"), "{f:#}");
        }
    }
    // Without the seam, this machine's filesystem holds links: the usual findings.
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "fresh"), s(&["placeholder-only"]));
}

#[test]
fn links_unsupported_fallback_is_asked_written_read_back_and_undone() {
    let ws = Ws::new();
    let comfy = ws.env("stick");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    write(comfy.join("models/loras/mine.safetensors"), bytes(7));
    write(ws.global.join("checkpoints/sd15.safetensors"), bytes(1));
    let yaml = comfy.join("extra_model_paths.yaml");
    let before = ws.everything();
    let listed = comfy_listing(&comfy);

    // Never silent: without a terminal and without --yes nothing is written.
    let out = on(&ws, "vfat", "fix", &[]);
    out.expect(1, "fix without --yes");
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_same(&before, &ws.everything(), "fix without --yes");

    let out = on(&ws, "vfat", "fix", &["--yes"]);
    out.expect(0, "fix --yes writes the fallback");
    assert!(out.stdout.contains("extra_model_paths.yaml"), "{}", out.stdout);
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
    assert_fallback_serves(&yaml, &ws.global, &comfy);
    // models/ is as it was: its own files stay listed beside the global folder's.
    assert_eq!(comfy_listing(&comfy), listed);
    assert!(!is_link(&comfy.join("models")));

    let (code, json) = scan_on(&ws, "vfat");
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "stick"), s(&["links-unsupported"]), "legacy-yaml leaves its own fallback: {json:#}");
    assert_eq!(finding(&json, "stick", "links-unsupported")["severity"], "info");
    // A second fix changes nothing.
    let settled = ws.everything();
    on(&ws, "vfat", "fix", &["--yes"]).expect(0, "second fix");
    assert_same(&settled, &ws.everything(), "second fix --yes");

    on(&ws, "vfat", "undo", &["--yes"]).expect(0, "undo");
    assert!(!yaml.exists(), "undo removes the fallback");
}

#[test]
fn links_unsupported_fallback_is_retired_once_a_link_can_live_there() {
    needs_links!();
    let ws = Ws::new();
    let comfy = ws.env("stick");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    write(ws.global.join("checkpoints/sd15.safetensors"), bytes(1));
    on(&ws, "exfat", "fix", &["--yes"]).expect(0, "fallback");
    let yaml = comfy.join("extra_model_paths.yaml");
    assert!(yaml.is_file());
    // The install now sits where links work (the seam is off): the link is made and the
    // fallback, fully served by it, is backed up and removed.
    let out = fix(&ws, &["--yes"]);
    out.expect(0, "fix where links work");
    assert_linked(&ws, &comfy);
    assert!(!yaml.exists(), "{}", out.stdout);
    scan(&ws).expect(0, "scan");
}

#[test]
fn links_unsupported_never_touches_another_yaml() {
    let ws = Ws::new();
    let comfy = ws.env("stick");
    let yaml = comfy.join("extra_model_paths.yaml");
    let text = format!("comfyui:\n  base_path: {}\n  checkpoints: checkpoints/\n", ws.global.display());
    write(&yaml, &text);
    let (_, json) = scan_on(&ws, "vfat");
    let f = finding(&json, "stick", "links-unsupported");
    assert!(f["fix"].is_null(), "{f:#}");
    assert!(f["message"].as_str().unwrap().contains("writes no fallback"), "{f:#}");
    on(&ws, "vfat", "fix", &["--yes"]);
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), text);
}

// ---------------------------------------------------------------- a real FAT/exFAT filesystem

#[test]
fn links_unsupported_on_a_real_fat_or_exfat_image() {
    let ws = Ws::new();
    let Some(stick) = mount_stick(&ws.base) else { return };
    // A portable ComfyUI on the stick, the global folder on the machine's disk.
    let comfy = stick.mnt.join("ComfyUI");
    make_comfyui(&comfy);
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    write(ws.global.join("checkpoints/sd15.safetensors"), bytes(1));
    let g = ws.global.to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let mut cmd = ws.cmd();
        cmd.args(args).arg(&comfy).args(["--models-dir", &g]);
        run_cmd(cmd)
    };
    let out = run(&["scan", "--format", "json"]);
    let json = parse_json(&out.stdout);
    let name = names(&json).remove(0);
    assert_eq!(ids(&json, &name), s(&["links-unsupported"]), "{json:#}\n{}", out.stderr);
    let msg = finding(&json, &name, "links-unsupported")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("FAT") || msg.contains("FUSE"), "{msg}");
    // The scan's probe left nothing behind.
    let leftovers: Vec<_> = std::fs::read_dir(&comfy)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("link-probe"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let out = run(&["fix", "--yes"]);
    out.expect(0, "fix --yes on the stick");
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
    assert_fallback_serves(&comfy.join("extra_model_paths.yaml"), &ws.global, &comfy);
    run(&["scan"]).expect(0, "scan with the fallback in place");
    // Without --models-dir, the fallback itself names the global folder.
    let mut cmd = ws.cmd();
    cmd.arg("scan").arg(&comfy);
    run_cmd(cmd).expect(0, "scan without --models-dir");
    drop(stick);
}

/// The other way round: the installs on the machine's disk, the global folder on an exFAT drive
/// (files, but no links). A link the merge would make there (a nested link of `models/`, a folder
/// link unfolded, a link out of an old target) is set aside in the backup folder and announced,
/// instead of failing at its step; every file still moves, nothing is lost, undo is exact.
#[test]
fn a_global_folder_that_holds_no_links_sets_the_installs_links_aside() {
    let base = tempdir();
    let Some(stick) = mount_stick(base.path()) else { return };
    type Build = fn(&Ws, &Path) -> PathBuf;
    let variants: &[(&str, Build, &[&str])] = &[
        (
            "a link inside models/ to another of its files",
            |ws, _| {
                let a = ws.env("a");
                write(a.join("models/checkpoints/real.safetensors"), bytes(1));
                symlink("../checkpoints/real.safetensors", a.join("models/loras/alias.safetensors"));
                a
            },
            &["loras/alias.safetensors"],
        ),
        (
            "a folder link out of models/, the global folder lacking that folder",
            |ws, _| {
                let a = ws.env("a");
                write(ws.outside.join("shared/s.safetensors"), bytes(2));
                symlink(ws.outside.join("shared"), a.join("models/loras/shared"));
                a
            },
            &["loras/shared"],
        ),
        (
            "a folder link over a folder the global folder has (it would be unfolded)",
            |ws, g| {
                let a = ws.env("a");
                write(ws.outside.join("vae/v.safetensors"), bytes(3));
                symlink(ws.outside.join("vae"), a.join("models/vae/more"));
                write(g.join("vae/more/g.safetensors"), bytes(4));
                a
            },
            &["vae/more"],
        ),
        (
            "a dangling link",
            |ws, _| {
                let a = ws.env("a");
                write(a.join("models/checkpoints/m.safetensors"), bytes(5));
                symlink("/nowhere/gone.safetensors", a.join("models/checkpoints/gone.safetensors"));
                a
            },
            &["checkpoints/gone.safetensors"],
        ),
        (
            "a link in a link's old target",
            |ws, _| {
                let a = ws.env("a");
                let old = ws.outside.join("old-models");
                write(old.join("checkpoints/o.safetensors"), bytes(6));
                symlink("o.safetensors", old.join("checkpoints/o-alias.safetensors"));
                symlink(&old, a.join("models"));
                a
            },
            &["checkpoints/o-alias.safetensors"],
        ),
    ];
    for (n, (what, build, set_aside)) in variants.iter().enumerate() {
        let ws = Ws::named(&format!("ws{n}"));
        let global = stick.mnt.join(format!("g{n}/models"));
        mkdir(&global);
        let comfy = build(&ws, &global);
        let g = global.to_str().unwrap();
        let roots = vec![ws.base.clone(), global.clone()];
        let journal = ws.journal_dir();
        let content = || content_except(&roots, &|p: &Path| p.starts_with(&journal));
        let before = content();
        let listed = listed_bytes(&comfy);
        let dry = fix(&ws, &["--dry-run", "--models-dir", g]);
        assert!(dry.stdout.contains("which holds no links"), "{what}: the plan says so:\n{}", dry.stdout);
        let out = fix(&ws, &["--yes", "--models-dir", g]);
        assert_eq!(out.code, 0, "{what}: no step fails:\n{}\n{}", out.stdout, out.stderr);
        assert!(is_link(&comfy.join("models")), "{what}: linked");
        assert_nothing_lost(&before, &content(), what);
        for (key, rel) in listed.keys() {
            let name = format!("{key}/{}", rel.display());
            let hidden = set_aside.iter().any(|s| name == *s || name.starts_with(&format!("{s}/")));
            assert_eq!(comfy.join("models").join(&name).exists(), !hidden, "{what}: {name} loads unless set aside");
        }
        run(&ws, "undo", &["--yes"]).expect(0, what);
        assert_eq!(content(), before, "{what}: undo");
        assert_eq!(listed_bytes(&comfy), listed, "{what}: undo lists what was listed");
    }
}
