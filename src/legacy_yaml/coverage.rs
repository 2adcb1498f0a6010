//! Which YAML entries a `models/` link to the global folder makes redundant.
//!
//! An entry is only redundant when ComfyUI would find the very same folder through its own
//! `models/<dir>` mapping for that key; anything else (a renamed folder, an unknown key a
//! custom node may read, a folder elsewhere) must survive the migration.

use std::path::{Path, PathBuf};

use super::pathx::{normpath, relative_under, same_name};
use super::{Coverage, LegacyYaml, YamlEntry};

/// ComfyUI's folder keys and the `models/` subfolders it maps for each (`folder_paths.py`).
pub const FOLDER_KEYS: &[(&str, &[&str])] = &[
    ("checkpoints", &["checkpoints"]),
    ("configs", &["configs"]),
    ("loras", &["loras"]),
    ("vae", &["vae"]),
    ("text_encoders", &["text_encoders", "clip"]),
    ("diffusion_models", &["unet", "diffusion_models"]),
    ("clip_vision", &["clip_vision"]),
    ("style_models", &["style_models"]),
    ("embeddings", &["embeddings"]),
    ("diffusers", &["diffusers"]),
    ("vae_approx", &["vae_approx"]),
    ("controlnet", &["controlnet", "t2i_adapter"]),
    ("gligen", &["gligen"]),
    ("upscale_models", &["upscale_models"]),
    ("hypernetworks", &["hypernetworks"]),
    ("photomaker", &["photomaker"]),
    ("classifiers", &["classifiers"]),
    ("model_patches", &["model_patches"]),
    ("audio_encoders", &["audio_encoders"]),
    ("latent_upscale_models", &["latent_upscale_models"]),
    ("background_removal", &["background_removal"]),
    ("frame_interpolation", &["frame_interpolation"]),
    ("geometry_estimation", &["geometry_estimation"]),
    ("optical_flow", &["optical_flow"]),
    ("detection", &["detection"]),
];

/// The key ComfyUI files a YAML key under: its legacy aliases `unet` and `clip` are renamed
/// before registration. Unknown keys are returned unchanged.
pub fn comfy_key(key: &str) -> &str {
    match key {
        "unet" => "diffusion_models",
        "clip" => "text_encoders",
        other => other,
    }
}

/// The `models/` subfolders ComfyUI maps for a YAML key; empty for keys it does not know.
pub fn comfy_dirs_for_key(key: &str) -> &'static [&'static str] {
    let key = comfy_key(key);
    FOLDER_KEYS.iter().find(|(k, _)| *k == key).map(|(_, dirs)| *dirs).unwrap_or(&[])
}

fn absolute_normal(path: &Path) -> PathBuf {
    normpath(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

pub fn classify(entry: &YamlEntry, global: &Path) -> Coverage {
    let key = entry.key.as_str();
    if key == "custom_nodes" {
        return uncovered("custom_nodes is not a model folder; the models link does not serve it");
    }
    let dirs = comfy_dirs_for_key(key);
    let global = absolute_normal(global);
    let path = normpath(&entry.path);
    let Some(rel) = relative_under(&path, &global) else {
        return uncovered(format!("outside the global folder {}", global.display()));
    };
    if dirs.is_empty() {
        // A custom node's own key (ComfyDock listed every subfolder as `<key>: <key>/`): nodes
        // register such keys as `models/<key>`, which the link serves.
        if let [name] = rel.as_slice()
            && same_name(name, std::ffi::OsStr::new(key))
        {
            return Coverage::Covered { dir: key.to_string() };
        }
        return uncovered(format!("unknown key `{key}`: ComfyUI maps no models/ folder for it"));
    }
    if let [name] = rel.as_slice()
        && let Some(dir) = dirs.iter().find(|d| same_name(name, std::ffi::OsStr::new(d)))
    {
        return Coverage::Covered { dir: (*dir).to_string() };
    }
    let mapped = dirs.iter().map(|d| format!("models/{d}")).collect::<Vec<_>>().join(", ");
    if rel.is_empty() {
        return uncovered(format!("the global folder itself, not a `{key}` subfolder (ComfyUI maps {mapped})"));
    }
    uncovered(format!("{} is not a folder ComfyUI maps for `{key}` (it maps {mapped})", path.display()))
}

fn uncovered(reason: impl Into<String>) -> Coverage {
    Coverage::Uncovered { reason: reason.into() }
}

pub fn infer_global(yaml: &LegacyYaml) -> Option<PathBuf> {
    let mut found: Option<PathBuf> = None;
    for section in &yaml.sections {
        let Some(base) = &section.base_path else {
            continue;
        };
        let all_covered = !section.entries.is_empty()
            && section.entries.iter().all(|e| matches!(classify(e, base), Coverage::Covered { .. }));
        if !all_covered {
            continue;
        }
        match &found {
            None => found = Some(base.clone()),
            Some(previous) if relative_under(base, previous).is_some_and(|r| r.is_empty()) => {}
            Some(_) => return None,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, path: &str) -> YamlEntry {
        YamlEntry { section: "s".into(), key: key.into(), path: path.into(), is_default: false, line: 1 }
    }

    fn covered(dir: &str) -> Coverage {
        Coverage::Covered { dir: dir.into() }
    }

    #[cfg(unix)]
    #[test]
    fn classify_cases() {
        let g = Path::new("/g/models/");
        assert_eq!(classify(&entry("loras", "/g/models/loras"), g), covered("loras"));
        assert_eq!(classify(&entry("loras", "/g/models/loras/"), g), covered("loras"));
        assert_eq!(classify(&entry("unet", "/g/models/diffusion_models"), g), covered("diffusion_models"));
        assert_eq!(classify(&entry("diffusion_models", "/g/models/unet"), g), covered("unet"));
        assert_eq!(classify(&entry("clip", "/g/models/clip"), g), covered("clip"));
        assert_eq!(classify(&entry("controlnet", "/g/models/t2i_adapter"), g), covered("t2i_adapter"));
        // A custom node's own key, as ComfyDock listed every global subfolder.
        assert_eq!(classify(&entry("ipadapter", "/g/models/ipadapter/"), g), covered("ipadapter"));
        for (key, path) in [
            ("loras", "/g/models/lora"),
            ("loras", "/g/models/loras/sub"),
            ("loras", "/g/models"),
            ("loras", "/elsewhere/loras"),
            ("loras", "/g/modelsx/loras"),
            ("vae", "/g/models/loras"),
            ("custom_nodes", "/g/models/custom_nodes"),
            ("ipadapter", "/g/models/ipadapter/sub"),
            ("ultralytics_bbox", "/g/models/ultralytics/bbox"),
            ("ipadapter", "/elsewhere/ipadapter"),
            ("Loras", "/g/models/loras"),
        ] {
            assert!(matches!(classify(&entry(key, path), g), Coverage::Uncovered { .. }), "{key} {path}");
        }
    }

    #[test]
    fn table_lookups() {
        assert_eq!(comfy_dirs_for_key("clip"), &["text_encoders", "clip"]);
        assert_eq!(comfy_dirs_for_key("unet"), &["unet", "diffusion_models"]);
        assert!(comfy_dirs_for_key("custom_nodes").is_empty());
        assert_eq!(FOLDER_KEYS.len(), 25);
    }
}
