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

#[cfg(unix)]
/// A standalone ComfyUI at `<tmp>/ComfyUI` with `models/` real and holding one model.
fn standalone(tmp: &Path) -> std::path::PathBuf {
    let comfy = tmp.join("ComfyUI");
    make_comfyui(&comfy);
    write(comfy.join("models/loras/mine.safetensors"), "lora bytes");
    comfy
}

#[cfg(unix)]
fn comfydock_yaml(base: &Path, extra: &str) -> String {
    let mut s = format!("comfyui:\n  base_path: {}\n  is_default: true\n", base.display());
    for k in ["checkpoints", "loras", "vae", "embeddings", "controlnet", "upscale_models"] {
        s.push_str(&format!("  {k}: {k}/\n"));
    }
    s.push_str(extra);
    s
}

#[cfg(unix)]
fn run(tmp: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.env("HOME", tmp).current_dir(tmp).args(args);
    output(&mut cmd)
}

#[cfg(unix)]
#[test]
fn the_global_folder_is_inferred_from_a_comfydock_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let global = tmp.path().join("shared models");
    fs::create_dir_all(global.join("loras")).unwrap();
    let comfy = standalone(tmp.path());
    write(comfy.join(legacy_yaml::FILE_NAME), comfydock_yaml(&global, "  ipadapter: ipadapter/\n"));
    let (code, json) = run_json_cmd(bin().env("HOME", tmp.path()).args(["scan", "--format", "json"]).arg(&comfy));
    assert_eq!(code, 1);
    assert_eq!(json["models_dir"], global.display().to_string());
    let name = json["installs"][0]["name"].as_str().unwrap().to_string();
    assert_eq!(ids(&json, &name), s(&["global-layout", "models-dir-real", "legacy-yaml"]), "{json:#}");
    let f = finding(&json, &name, "legacy-yaml");
    assert!(f["message"].as_str().unwrap().contains("7 of 7"), "{f}");
}

#[cfg(unix)]
#[test]
fn an_unparseable_yaml_is_an_error_naming_the_line_and_is_never_touched() {
    let tmp = tempfile::tempdir().unwrap();
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

#[cfg(unix)]
#[test]
fn a_served_yaml_is_backed_up_and_removed_and_undo_restores_it() {
    let tmp = tempfile::tempdir().unwrap();
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

    let (code, _, err) = run(tmp.path(), &["undo", comfy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(comfy.join(legacy_yaml::FILE_NAME)).unwrap(), text);
    assert_eq!(fs::read_to_string(comfy.join("models/loras/mine.safetensors")).unwrap(), "lora bytes");
}

#[cfg(unix)]
#[test]
fn a_partly_served_yaml_is_rewritten_with_the_same_paths_for_what_the_link_does_not_serve() {
    let tmp = tempfile::tempdir().unwrap();
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
    let (code, _, err) = run(tmp.path(), &["undo", comfy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(&yaml_path).unwrap(), text);
}

#[cfg(unix)]
#[test]
fn a_yaml_whose_base_path_is_not_the_chosen_global_folder_keeps_its_entries() {
    let tmp = tempfile::tempdir().unwrap();
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
