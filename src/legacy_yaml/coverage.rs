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

/// Custom-node keys whose node registers `models/<key>` itself when the YAML does not name the
/// key, so a link of `models/` serves `<global>/<key>`. Only nodes whose code says so are listed;
/// any other unknown key is kept, since a node may read it from the YAML alone (`LLM`, ...).
///
/// - `ipadapter`: ComfyUI_IPAdapter_plus (`IPAdapterPlus.py`): `if "ipadapter" not in
///   folder_paths.folder_names_and_paths: current_paths = [os.path.join(folder_paths.models_dir,
///   "ipadapter")]`. When the YAML names the key, the node uses the YAML's paths only.
pub const NODE_KEYS: &[&str] = &["ipadapter"];

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
    // ComfyUI-Manager downloads below `download_model_base`, and into `models_dir` without it:
    // the global folder itself is what a models/ link gives it.
    if key == "download_model_base" && rel.is_empty() {
        return Coverage::Covered { dir: ".".into() };
    }
    if dirs.is_empty() {
        if !NODE_KEYS.contains(&key) {
            return uncovered(format!(
                "unknown key `{key}`: ComfyUI maps no models/ folder for it, and no known node registers models/{key} itself"
            ));
        }
        if let [name] = rel.as_slice()
            && same_name(name, std::ffi::OsStr::new(key))
        {
            return Coverage::Covered { dir: key.to_string() };
        }
        return uncovered(format!("{} is not models/{key}, the folder its node registers", path.display()));
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

/// File-level coverage: a node key counts as served only when every entry of that key is, since
/// the node registers `models/<key>` only when the YAML does not name the key at all.
pub fn coverage(yaml: &LegacyYaml, global: &Path) -> Vec<Coverage> {
    let entries: Vec<&YamlEntry> = yaml.entries().collect();
    let mut out: Vec<Coverage> = entries.iter().map(|e| classify(e, global)).collect();
    for key in NODE_KEYS {
        let of_key = |e: &&YamlEntry| comfy_key(&e.key) == *key;
        let any_kept = entries.iter().zip(&out).any(|(e, c)| of_key(e) && matches!(c, Coverage::Uncovered { .. }));
        if !any_kept {
            continue;
        }
        for (e, c) in entries.iter().zip(out.iter_mut()) {
            if of_key(e) && matches!(c, Coverage::Covered { .. }) {
                *c = uncovered(format!(
                    "`{key}` keeps other folders in the YAML, so its node will not add models/{key}: this one must stay too"
                ));
            }
        }
    }
    out
}

/// Whether an entry has the identity shape `<base>/<dir>` ComfyDock wrote: a folder ComfyUI maps
/// for a standard key, or `<base>/<key>` for any other key (it listed every global subfolder).
fn identity_shape(entry: &YamlEntry, base: &Path) -> bool {
    if matches!(classify(entry, base), Coverage::Covered { .. }) {
        return true;
    }
    let rel = relative_under(&normpath(&entry.path), &absolute_normal(base));
    comfy_dirs_for_key(&entry.key).is_empty()
        && entry.key != "custom_nodes"
        && matches!(rel.as_deref(), Some([name]) if same_name(name, std::ffi::OsStr::new(&entry.key)))
}

pub fn infer_global(yaml: &LegacyYaml) -> Option<PathBuf> {
    let mut found: Option<PathBuf> = None;
    for section in &yaml.sections {
        let Some(base) = &section.base_path else {
            continue;
        };
        let standard = section.entries.iter().any(|e| matches!(classify(e, base), Coverage::Covered { .. }));
        if !standard || !section.entries.iter().all(|e| identity_shape(e, base)) {
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

/// ComfyUI's search list per folder key after reading `yaml`, for an install whose models
/// folder is `models_dir`: each known key starts with its `models/<dir>` folders, then every
/// entry goes through `folder_paths.add_model_folder_path` (legacy names mapped; an
/// `is_default` path is put first, or moved first when already listed; others are appended
/// unless listed). A name found in several folders loads from the first.
pub fn search_paths(yaml: &LegacyYaml, models_dir: &Path) -> Vec<(String, Vec<PathBuf>)> {
    let mut lists: Vec<(String, Vec<PathBuf>)> = FOLDER_KEYS
        .iter()
        .map(|(key, dirs)| (key.to_string(), dirs.iter().map(|d| models_dir.join(d)).collect()))
        .collect();
    for entry in yaml.entries() {
        add_model_folder_path(&mut lists, comfy_key(&entry.key), &entry.path, entry.is_default);
    }
    lists
}

/// `folder_paths.add_model_folder_path`.
pub(super) fn add_model_folder_path(lists: &mut Vec<(String, Vec<PathBuf>)>, key: &str, path: &Path, first: bool) {
    let Some((_, paths)) = lists.iter_mut().find(|(k, _)| k == key) else {
        lists.push((key.to_string(), vec![path.to_path_buf()]));
        return;
    };
    match paths.iter().position(|p| p == path) {
        Some(i) if first && i != 0 => {
            let p = paths.remove(i);
            paths.insert(0, p);
        }
        Some(_) => {}
        None if first => paths.insert(0, path.to_path_buf()),
        None => paths.push(path.to_path_buf()),
    }
}

#[cfg(test)]
// Most of these cases use Unix paths; elsewhere their helpers go unused.
#[cfg_attr(not(unix), allow(dead_code, unused_imports))]
mod tests {
    use super::*;

    fn entry(key: &str, path: &str) -> YamlEntry {
        YamlEntry {
            section: "s".into(),
            key: key.into(),
            path: path.into(),
            is_default: false,
            line: 1,
            raw: path.into(),
        }
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
            ("LLM", "/g/models/LLM"),
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

    /// Item 8: only node keys whose node registers `models/<key>` itself are served, and only
    /// when the YAML does not keep other folders for that key.
    #[cfg(unix)]
    #[test]
    fn custom_node_keys_file_level() {
        let g = Path::new("/g");
        let file = |text: &str| {
            crate::legacy_yaml::parse_str(text, Path::new("/c/extra_model_paths.yaml"), None, &|_| None).expect("valid")
        };
        for (name, text, want) in [
            ("ipadapter alone", "s:\n  base_path: /g\n  ipadapter: ipadapter/\n", vec![true]),
            ("LLM is unknown", "s:\n  base_path: /g\n  LLM: LLM\n", vec![false]),
            ("ultralytics is unknown", "s:\n  base_path: /g\n  ultralytics: ultralytics\n", vec![false]),
            (
                "ipadapter with another folder",
                "s:\n  base_path: /g\n  ipadapter: |\n    ipadapter\n    /nas/ipadapter\n",
                vec![false, false],
            ),
            (
                "ipadapter kept elsewhere in the file",
                "s:\n  base_path: /g\n  ipadapter: ipadapter\nt:\n  ipadapter: /nas/ip\n",
                vec![false, false],
            ),
            ("standard keys unaffected", "s:\n  base_path: /g\n  loras: loras\n  LLM: LLM\n", vec![true, false]),
        ] {
            let got: Vec<bool> =
                coverage(&file(text), g).iter().map(|c| matches!(c, Coverage::Covered { .. })).collect();
            assert_eq!(got, want, "{name}");
        }
        // ComfyDock listed every global subfolder: the shape still names the global folder.
        let shape = file("s:\n  base_path: /g\n  loras: loras\n  LLM: LLM\n  ipadapter: ipadapter\n");
        assert_eq!(infer_global(&shape), Some(PathBuf::from("/g")));
        assert_eq!(infer_global(&file("s:\n  base_path: /g\n  LLM: LLM\n")), None, "no standard key");
        assert_eq!(infer_global(&file("s:\n  base_path: /g\n  loras: loras\n  LLM: other\n")), None);
    }
}
