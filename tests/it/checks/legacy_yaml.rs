//! `legacy-yaml`: an `extra_model_paths.yaml` beside the install; scan (present, absent, elsewhere,
//! unparseable), inference of the global folder from it, and the fix (remove when all is served,
//! rewrite when some is, undo restores the bytes).

use std::fs;
use std::path::Path;

use crate::support::*;
use comfydoctor::legacy_yaml;

// ---------------------------------------------------------------- scan

#[test]
fn legacy_yaml_fires_when_present_and_is_silent_when_absent() {
    let ws = Ws::new();
    let with = ws.env("with");
    write(with.join("models/checkpoints/put_checkpoints_here"), "");
    write(
        with.join("extra_model_paths.yaml"),
        format!("comfyui:\n  base_path: {}\n  checkpoints: checkpoints/\n", ws.global.display()),
    );
    let without = ws.env("without");
    write(without.join("models/checkpoints/put_checkpoints_here"), "");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "with"), s(&["placeholder-only", "legacy-yaml"]));
    assert_eq!(ids(&json, "without"), s(&["placeholder-only"]));
    let (_, json) = ws.scan_json(&["--check", "legacy-yaml"]);
    assert_eq!(ids(&json, "with"), s(&["legacy-yaml"]));
    assert_eq!(ids(&json, "without"), Vec::<String>::new());
}

#[test]
fn legacy_yaml_is_silent_when_the_file_is_elsewhere() {
    let ws = Ws::new();
    let comfy = ws.env("nested");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    write(comfy.join("custom_nodes/foo/extra_model_paths.yaml"), "a:\n  base_path: /x\n");
    write(comfy.join("extra_model_paths.yaml.example"), "a:\n  base_path: /x\n");
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "nested"), s(&["placeholder-only"]));
}

// ---------------------------------------------------------------- through the binary: inference, errors, fix and undo

/// A standalone ComfyUI at `<tmp>/ComfyUI` with `models/` real and holding one model.
fn standalone(tmp: &Path) -> std::path::PathBuf {
    let comfy = tmp.join("ComfyUI");
    make_comfyui(&comfy);
    write(comfy.join("models/loras/mine.safetensors"), "lora bytes");
    comfy
}

fn comfydock_yaml(base: &Path, extra: &str) -> String {
    let mut s = format!("comfyui:\n  base_path: {}\n  is_default: true\n", base.display());
    for k in ["checkpoints", "loras", "vae", "embeddings", "controlnet", "upscale_models"] {
        s.push_str(&format!("  {k}: {k}/\n"));
    }
    s.push_str(extra);
    s
}

fn run(tmp: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.home(tmp).current_dir(tmp).args(args);
    output(&mut cmd)
}

#[test]
fn the_global_folder_is_inferred_from_a_comfydock_yaml() {
    let tmp = tempdir();
    let global = tmp.path().join("shared models");
    fs::create_dir_all(global.join("loras")).unwrap();
    let comfy = standalone(tmp.path());
    write(comfy.join(legacy_yaml::FILE_NAME), comfydock_yaml(&global, "  ipadapter: ipadapter/\n"));
    let (code, json) = run_json_cmd(bin().home(tmp.path()).args(["scan", "--format", "json"]).arg(&comfy));
    assert_eq!(code, 1);
    assert_eq!(json["models_dir"], global.display().to_string());
    let name = json["installs"][0]["name"].as_str().unwrap().to_string();
    assert_eq!(ids(&json, &name), s(&["global-layout", "models-dir-real", "legacy-yaml"]), "{json:#}");
    let f = finding(&json, &name, "legacy-yaml");
    assert!(f["message"].as_str().unwrap().contains("7 of 7"), "{f}");
}

#[test]
fn an_unparseable_yaml_is_an_error_naming_the_line_and_is_never_touched() {
    needs_links!();
    let tmp = tempdir();
    let global = tmp.path().join("g");
    fs::create_dir_all(&global).unwrap();
    let comfy = standalone(tmp.path());
    let bad = "comfyui:\n  base_path: /x\n  loras: [a, b]\n";
    write(comfy.join(legacy_yaml::FILE_NAME), bad);
    let g = global.to_str().unwrap();
    let (code, out, _) = run(tmp.path(), &["scan", comfy.to_str().unwrap(), "--models-dir", g]);
    assert_eq!(code, 1);
    assert!(out.contains("extra_model_paths.yaml:3:"), "{out}");
    let (code, _, err) = run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap(), "--models-dir", g]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(fs::read_to_string(comfy.join(legacy_yaml::FILE_NAME)).unwrap(), bad);
    assert!(fs::symlink_metadata(comfy.join("models")).unwrap().file_type().is_symlink());
}

#[test]
fn a_served_yaml_is_backed_up_and_removed_and_undo_restores_it() {
    needs_links!();
    let tmp = tempdir();
    let global = tmp.path().join("g");
    fs::create_dir_all(&global).unwrap();
    let comfy = standalone(tmp.path());
    let text = comfydock_yaml(&global, "");
    write(comfy.join(legacy_yaml::FILE_NAME), &text);
    let (code, out, err) = run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!comfy.join(legacy_yaml::FILE_NAME).exists());
    let backups: Vec<_> = fs::read_dir(&comfy)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("extra_model_paths.yaml.comfydoctor-backup-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(fs::read_to_string(backups[0].path()).unwrap(), text);
    assert_eq!(fs::read_to_string(global.join("loras/mine.safetensors")).unwrap(), "lora bytes");

    let (code, _, err) = run(tmp.path(), &["undo", "--yes", comfy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(comfy.join(legacy_yaml::FILE_NAME)).unwrap(), text);
    assert_eq!(fs::read_to_string(comfy.join("models/loras/mine.safetensors")).unwrap(), "lora bytes");
}

#[test]
fn a_partly_served_yaml_is_rewritten_with_the_same_paths_for_what_the_link_does_not_serve() {
    needs_links!();
    let tmp = tempdir();
    let global = tmp.path().join("g");
    fs::create_dir_all(&global).unwrap();
    let comfy = standalone(tmp.path());
    let a1111 = tmp.path().join("webui");
    let text = format!(
        "{}a111:\n  base_path: {}\n  checkpoints: models/Stable-diffusion\n  loras: |\n    models/Lora\n    models/LyCORIS\n",
        comfydock_yaml(&global, "  custom_nodes: /opt/nodes\n"),
        a1111.display()
    );
    let yaml_path = comfy.join(legacy_yaml::FILE_NAME);
    write(&yaml_path, &text);
    let before = legacy_yaml::read_file(&yaml_path).unwrap();
    let (code, out, err) =
        run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap(), "--models-dir", global.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let after = legacy_yaml::read_file(&yaml_path).unwrap();
    let kept: Vec<_> = after.entries().map(|e| (e.key.clone(), e.path.clone())).collect();
    let uncovered: Vec<_> = before
        .entries()
        .filter(|e| matches!(legacy_yaml::classify(e, &global), legacy_yaml::Coverage::Uncovered { .. }))
        .map(|e| (e.key.clone(), e.path.clone()))
        .collect();
    assert_eq!(kept, uncovered);
    assert_eq!(kept.len(), 4, "{kept:?}");
    // Every path the original registered is still served: by the link, or by the new file.
    let models = fs::canonicalize(comfy.join("models")).unwrap();
    for e in before.entries() {
        let served_by_link = e.path.parent().is_some_and(|p| fs::canonicalize(p).ok() == Some(models.clone()));
        assert!(served_by_link || kept.contains(&(e.key.clone(), e.path.clone())), "{e:?} lost");
    }
    let (code, _, err) = run(tmp.path(), &["undo", "--yes", comfy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(&yaml_path).unwrap(), text);
}

#[test]
fn a_yaml_whose_base_path_is_not_the_chosen_global_folder_keeps_its_entries() {
    needs_links!();
    let tmp = tempdir();
    let global = tmp.path().join("g");
    let other = tmp.path().join("old-store");
    fs::create_dir_all(&global).unwrap();
    fs::create_dir_all(&other).unwrap();
    let comfy = standalone(tmp.path());
    let text = comfydock_yaml(&other, "");
    write(comfy.join(legacy_yaml::FILE_NAME), &text);
    let g = global.to_str().unwrap();
    let (_, out, _) = run(tmp.path(), &["scan", comfy.to_str().unwrap(), "--models-dir", g]);
    assert!(out.contains("differs from the global models folder"), "{out}");
    let (code, out, err) = run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap(), "--models-dir", g]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(fs::read_to_string(comfy.join(legacy_yaml::FILE_NAME)).unwrap(), text, "left alone");
}

// ---------------------------------------------------------------- issue 19: YAML as ComfyUI reads it

fn yaml_backups(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("extra_model_paths.yaml.comfydoctor-backup-"))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Item 2: ComfyUI reads the YAML next to `os.path.realpath(main.py)` and resolves a relative
/// `base_path` from that folder. Reached through a link, the install's global folder is the one
/// beside the real folder; the migration keeps every model and the YAML is removed as served.
#[test]
fn a_linked_comfyui_folder_resolves_the_yaml_from_its_real_folder() {
    needs_links!();
    for (name, base, link_depth) in
        [("relative", "../shared", 1), ("dot relative", "./../shared/", 1), ("link to a link", "../shared", 2)]
    {
        let tmp = tempdir();
        let real = tmp.path().join("real/ComfyUI");
        make_comfyui(&real);
        write(real.join("models/loras/mine.safetensors"), "lora bytes");
        let shared = tmp.path().join("real/shared");
        write(shared.join("checkpoints/big.safetensors"), "ckpt bytes");
        write(
            real.join(legacy_yaml::FILE_NAME),
            format!(
                "comfyui:\n  base_path: {base}\n  is_default: true\n  checkpoints: checkpoints/\n  loras: loras/\n"
            ),
        );
        // The link sits one folder deeper than the real install: `../shared` next to it is empty.
        let mut comfy = tmp.path().join("links/deeper/ComfyUI");
        symlink(&real, &comfy);
        if link_depth == 2 {
            let outer = tmp.path().join("links/again/ComfyUI");
            symlink(&comfy, &outer);
            comfy = outer;
        }
        let (code, json) = run_json_cmd(bin().home(tmp.path()).args(["scan", "--format", "json"]).arg(&comfy));
        assert_eq!(code, 1, "{name}");
        assert_eq!(
            fs::canonicalize(json["models_dir"].as_str().unwrap()).ok(),
            fs::canonicalize(&shared).ok(),
            "{name}: {json:#}"
        );
        let (code, out, err) = run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(!real.join(legacy_yaml::FILE_NAME).exists(), "{name}: served entries only, removed");
        assert_eq!(yaml_backups(&real).len(), 1, "{name}: backed up beside the file ComfyUI reads");
        assert!(
            !tmp.path().join("links/shared").exists() && !tmp.path().join("links/deeper/shared").exists(),
            "{name}"
        );
        assert_eq!(
            fs::read_to_string(real.join("models/checkpoints/big.safetensors")).unwrap(),
            "ckpt bytes",
            "{name}"
        );
        assert_eq!(fs::read_to_string(shared.join("loras/mine.safetensors")).unwrap(), "lora bytes", "{name}");
        let (code, out, _) = run(tmp.path(), &["scan", comfy.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {out}");
    }
}

/// Item 6: ComfyUI reads the default YAML only when `os.path.isfile` holds; anything else by
/// that name is skipped, so it is no finding and is left alone.
#[test]
fn a_yaml_path_that_is_not_a_file_is_absent() {
    needs_links!();
    for kind in ["folder", "dangling link", "link to a folder", "fifo"] {
        let tmp = tempdir();
        let global = tmp.path().join("g");
        fs::create_dir_all(&global).unwrap();
        let comfy = standalone(tmp.path());
        let path = comfy.join(legacy_yaml::FILE_NAME);
        match kind {
            "folder" => fs::create_dir(&path).unwrap(),
            "dangling link" => symlink(tmp.path().join("gone.yaml"), &path),
            "link to a folder" => symlink(&global, &path),
            _ => {
                if !mkfifo(&path) {
                    continue;
                }
            }
        }
        let g = global.to_str().unwrap();
        let (_, json) =
            run_json_cmd(bin().home(tmp.path()).args(["scan", "--format", "json", "--models-dir", g]).arg(&comfy));
        let name = json["installs"][0]["name"].as_str().unwrap().to_string();
        assert!(!ids(&json, &name).contains(&"legacy-yaml".to_string()), "{kind}: {json:#}");
        let (code, out, err) = run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap(), "--models-dir", g]);
        assert_eq!(code, 0, "{kind}: {out}{err}");
        assert!(fs::symlink_metadata(&path).is_ok(), "{kind}: left alone");
    }
    // A link to a real file is read through, as Python's open does.
    let tmp = tempdir();
    let comfy = standalone(tmp.path());
    write(tmp.path().join("elsewhere.yaml"), "a:\n  loras: /data/loras\n");
    symlink(tmp.path().join("elsewhere.yaml"), comfy.join(legacy_yaml::FILE_NAME));
    let (_, json) = run_json_cmd(
        bin().home(tmp.path()).args(["scan", "--format", "json", "--models-dir"]).arg(tmp.path().join("g")).arg(&comfy),
    );
    let name = json["installs"][0]["name"].as_str().unwrap().to_string();
    assert!(ids(&json, &name).contains(&"legacy-yaml".to_string()), "{json:#}");
}

/// Item 7: a file without a YAML mapping makes ComfyUI fail at start (`for c in None`). It is
/// an error finding saying so; `fix --yes` backs it up and removes it, and the next scan is clean.
#[test]
fn an_empty_yaml_is_an_error_and_fix_removes_it_once() {
    needs_links!();
    for (name, text) in [
        ("empty", ""),
        ("comments only", "# nothing yet\n# really\n"),
        ("blank lines", "\n\n"),
        ("null", "~\n"),
        ("marker only", "---\n"),
    ] {
        let tmp = tempdir();
        let global = tmp.path().join("g");
        fs::create_dir_all(&global).unwrap();
        let comfy = standalone(tmp.path());
        write(comfy.join(legacy_yaml::FILE_NAME), text);
        let g = global.to_str().unwrap();
        let (code, json) =
            run_json_cmd(bin().home(tmp.path()).args(["scan", "--format", "json", "--models-dir", g]).arg(&comfy));
        assert_ne!(code, 0, "{name}");
        let install = json["installs"][0]["name"].as_str().unwrap().to_string();
        let f = finding(&json, &install, "legacy-yaml");
        assert_eq!(f["severity"], "error", "{name}: {f}");
        assert!(f["message"].as_str().unwrap().contains("ComfyUI fails to start on it"), "{name}: {f}");
        let (code, out, err) = run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap(), "--models-dir", g]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(!comfy.join(legacy_yaml::FILE_NAME).exists(), "{name}");
        let backups = yaml_backups(&comfy);
        assert_eq!(backups.len(), 1, "{name}");
        assert_eq!(fs::read_to_string(&backups[0]).unwrap(), text, "{name}");
        let (code, out, _) = run(tmp.path(), &["scan", comfy.to_str().unwrap(), "--models-dir", g]);
        assert_eq!(code, 0, "{name}: {out}");
    }
}

/// Item 8: a custom node's key is served only when its node registers `models/<key>` itself
/// (the documented table); any other key stays in the file, as written.
#[test]
fn custom_node_keys_stay_unless_their_node_registers_models_key() {
    needs_links!();
    let tmp = tempdir();
    let global = tmp.path().join("g");
    fs::create_dir_all(global.join("LLM")).unwrap();
    let comfy = standalone(tmp.path());
    let yaml_path = comfy.join(legacy_yaml::FILE_NAME);
    write(&yaml_path, comfydock_yaml(&global, "  ipadapter: ipadapter/\n  LLM: LLM\n  ultralytics: ultralytics/\n"));
    let before = legacy_yaml::read_file(&yaml_path).unwrap();
    // The ComfyDock shape with node keys still names the global folder.
    let (_, json) = run_json_cmd(bin().home(tmp.path()).args(["scan", "--format", "json"]).arg(&comfy));
    assert_eq!(json["models_dir"], global.display().to_string());
    let (code, out, err) = run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let after = legacy_yaml::read_file(&yaml_path).unwrap();
    let kept: Vec<(String, std::path::PathBuf)> = after.entries().map(|e| (e.key.clone(), e.path.clone())).collect();
    assert_eq!(
        kept,
        [("LLM".to_string(), global.join("LLM")), ("ultralytics".to_string(), global.join("ultralytics"))]
    );
    let text = fs::read_to_string(&yaml_path).unwrap();
    assert!(text.contains("\n  LLM: LLM\n") && text.contains("\n  ultralytics: ultralytics/\n"), "as written:\n{text}");
    for e in before.entries().filter(|e| e.key == "LLM" || e.key == "ultralytics") {
        assert!(kept.contains(&(e.key.clone(), e.path.clone())), "{e:?} lost");
    }
}

/// Item 3: the kept entries keep `$VAR` and `~` as written, so a variable only the launcher sets
/// still works after a run without it.
#[test]
fn kept_entries_keep_launcher_variables_through_the_binary() {
    needs_links!();
    let tmp = tempdir();
    let global = tmp.path().join("g");
    fs::create_dir_all(&global).unwrap();
    let comfy = standalone(tmp.path());
    let yaml_path = comfy.join(legacy_yaml::FILE_NAME);
    let extra =
        "shared:\n  base_path: $COMFY_SHARED/sd\n  checkpoints: checkpoints\nhome:\n  base_path: ~/AI\n  vae: vae\n";
    write(&yaml_path, format!("{}{extra}", comfydock_yaml(&global, "")));
    let (code, out, err) =
        run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap(), "--models-dir", global.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let text = fs::read_to_string(&yaml_path).unwrap();
    assert!(text.ends_with(extra), "kept as written:\n{text}");
    let launcher = |name: &str| (name == "COMFY_SHARED").then(|| "/mnt/shared".to_string());
    let after = legacy_yaml::parse_str(&text, &yaml_path, Some(Path::new("/home/user")), &launcher).unwrap();
    let paths: Vec<_> = after.entries().map(|e| e.path.clone()).collect();
    assert_eq!(paths, [Path::new("/mnt/shared/sd/checkpoints"), Path::new("/home/user/AI/vae")]);
}

/// Item 11: the rewritten file keeps the original's owner, group and mode (as root the atomic
/// write would make it `root:root 0644`), and `undo` puts the original back as it was.
#[test]
#[cfg(unix)] // owners and modes
fn a_rewritten_yaml_keeps_owner_and_mode_and_undo_restores_the_original() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempdir();
    let global = tmp.path().join("g");
    fs::create_dir_all(&global).unwrap();
    let comfy = standalone(tmp.path());
    let yaml_path = comfy.join(legacy_yaml::FILE_NAME);
    let text = comfydock_yaml(&global, "other:\n  base_path: /opt/other\n  checkpoints: ckpt\n");
    write(&yaml_path, &text);
    fs::set_permissions(&yaml_path, fs::Permissions::from_mode(0o600)).unwrap();
    if std::os::unix::fs::chown(&yaml_path, Some(1000), Some(1000)).is_err() {
        eprintln!("SKIPPED: not root, cannot give the YAML to uid 1000");
        return;
    }
    let meta = |p: &Path| {
        let m = fs::metadata(p).unwrap();
        (m.uid(), m.gid(), m.mode() & 0o7777)
    };
    let (code, out, err) =
        run(tmp.path(), &["fix", "--yes", comfy.to_str().unwrap(), "--models-dir", global.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let rewritten = fs::read_to_string(&yaml_path).unwrap();
    assert_ne!(rewritten, text, "rewritten, not removed");
    assert!(rewritten.contains("/opt/other"), "{rewritten}");
    assert_eq!(meta(&yaml_path), (1000, 1000, 0o600), "the rewritten file");
    let backups = yaml_backups(&comfy);
    assert_eq!(backups.len(), 1);
    assert_eq!(meta(&backups[0]), (1000, 1000, 0o600), "the backup");

    let (code, _, err) = run(tmp.path(), &["undo", "--yes", comfy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(&yaml_path).unwrap(), text);
    assert_eq!(meta(&yaml_path), (1000, 1000, 0o600), "the original after undo");
    assert!(yaml_backups(&comfy).is_empty());
}

/// A standalone install whose YAML names its own `models/` (the one place the global folder is
/// named): that folder is the global one, the install is healthy, and the file stays, so the
/// next scan still knows the global folder.
#[test]
fn a_yaml_naming_the_installs_own_models_folder_stays() {
    let ws = Ws::bare();
    let comfy = ws.base.join("ComfyUI");
    make_comfyui(&comfy);
    write(comfy.join("models/checkpoints/m.safetensors"), bytes(1));
    let yaml = comfy.join("extra_model_paths.yaml");
    let text = format!(
        "comfyui:\n  base_path: {}\n  is_default: true\n  checkpoints: checkpoints/\n  loras: loras/\n",
        comfy.join("models").display()
    );
    write(&yaml, &text);
    let at = |args: &[&str]| {
        let mut cmd = ws.cmd();
        cmd.args(args).arg(&comfy);
        run_cmd(cmd)
    };
    let out = at(&["scan", "--format", "json"]);
    assert_eq!(out.code, 0, "healthy: {}", out.stdout);
    let json = parse_json(&out.stdout);
    let f = &json["installs"][0]["findings"];
    let checks: Vec<&str> = f.as_array().unwrap().iter().map(|f| f["check"].as_str().unwrap()).collect();
    assert!(checks.iter().all(|c| *c == "legacy-yaml" || *c == "global-layout"), "{checks:?}");
    at(&["fix", "--yes"]).expect(0, "fix");
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), text, "the file stays as it was");
    assert!(!is_link(&comfy.join("models")));
    at(&["scan"]).expect(0, "the global folder is still known");
}
