//! An emulation of what ComfyUI lists for an install: its folder keys, the folders under
//! `models/` each one reads, and which file names it keeps. The table is checked against the
//! fact file `fixtures/comfyui-folder-keys.tsv` (taken from ComfyUI's `folder_paths.py`) by
//! `harness::the_folder_key_table_matches_the_fact_file`, never against the product's code.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Which entries of a key's folders ComfyUI lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// Files with a model extension ([`MODEL_EXTENSIONS`]), compared lowercased.
    Models,
    /// Files ending in `.yaml` (`configs`).
    Yaml,
    /// Subfolders are the entries (`diffusers`); the emulation lists no files for it.
    Folders,
    /// Files without an extension: `classifiers` registers the set `{""}`, and ComfyUI keeps a
    /// name when `os.path.splitext(name)[1].lower()` is in the set.
    NoExtension,
}

/// ComfyUI's folder keys, the folders under `models/` each one reads (in search order), and
/// what it lists there; the order of `folder_names_and_paths`.
pub const KEYS: &[(&str, &[&str], Listed)] = &[
    ("checkpoints", &["checkpoints"], Listed::Models),
    ("configs", &["configs"], Listed::Yaml),
    ("loras", &["loras"], Listed::Models),
    ("vae", &["vae"], Listed::Models),
    ("text_encoders", &["text_encoders", "clip"], Listed::Models),
    ("diffusion_models", &["unet", "diffusion_models"], Listed::Models),
    ("clip_vision", &["clip_vision"], Listed::Models),
    ("style_models", &["style_models"], Listed::Models),
    ("embeddings", &["embeddings"], Listed::Models),
    ("diffusers", &["diffusers"], Listed::Folders),
    ("vae_approx", &["vae_approx"], Listed::Models),
    ("controlnet", &["controlnet", "t2i_adapter"], Listed::Models),
    ("gligen", &["gligen"], Listed::Models),
    ("upscale_models", &["upscale_models"], Listed::Models),
    ("hypernetworks", &["hypernetworks"], Listed::Models),
    ("photomaker", &["photomaker"], Listed::Models),
    ("classifiers", &["classifiers"], Listed::NoExtension),
    ("model_patches", &["model_patches"], Listed::Models),
    ("audio_encoders", &["audio_encoders"], Listed::Models),
    ("latent_upscale_models", &["latent_upscale_models"], Listed::Models),
    ("background_removal", &["background_removal"], Listed::Models),
    ("frame_interpolation", &["frame_interpolation"], Listed::Models),
    ("geometry_estimation", &["geometry_estimation"], Listed::Models),
    ("optical_flow", &["optical_flow"], Listed::Models),
    ("detection", &["detection"], Listed::Models),
];

/// ComfyUI's `supported_pt_extensions`, without the dot.
pub const MODEL_EXTENSIONS: &[&str] = &["ckpt", "pt", "pt2", "bin", "pth", "safetensors", "pkl", "sft"];

/// (folder key, path relative to the key's folder) of every model ComfyUI would list for the
/// install at `comfy`: `os.walk(..., followlinks=True)` over each key's folders under
/// `<comfy>/models`, keeping the names [`KEYS`] says it keeps. A dangling link keeps showing, as
/// in ComfyUI. Loops are guarded: a link to the folder being walked or one of its ancestors is not
/// entered, nor a folder already on the path.
pub type Listing = BTreeSet<(String, PathBuf)>;

pub fn comfy_listing(comfy: &Path) -> Listing {
    let mut out = Listing::new();
    let models = comfy.join("models");
    for (key, dirs, listed) in KEYS {
        if *listed == Listed::Folders {
            continue;
        }
        for d in *dirs {
            let top = models.join(d);
            let Ok(canon) = top.canonicalize() else { continue };
            if !canon.is_dir() {
                continue;
            }
            walk_listing(key, *listed, &top, Path::new(""), &mut vec![canon], &mut out);
        }
    }
    out
}

fn walk_listing(key: &str, listed: Listed, dir: &Path, rel: &Path, chain: &mut Vec<PathBuf>, out: &mut Listing) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut names: Vec<OsString> = rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let r = rel.join(&name);
        if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            let Ok(canon) = path.canonicalize() else { continue };
            let current = chain.last().unwrap();
            if current.starts_with(&canon) || chain.contains(&canon) || chain.len() > 40 {
                continue;
            }
            chain.push(canon);
            walk_listing(key, listed, &path, &r, chain, out);
            chain.pop();
        } else {
            let ext = py_splitext_ext(&name.to_string_lossy());
            let keep = match listed {
                Listed::Models => MODEL_EXTENSIONS.iter().any(|e| ext == format!(".{e}")),
                Listed::Yaml => ext == ".yaml",
                Listed::Folders => false,
                Listed::NoExtension => ext.is_empty(),
            };
            if keep {
                out.insert((key.to_string(), r));
            }
        }
    }
}

/// `os.path.splitext(name)[1].lower()`: from the last dot on, unless every dot before it leads
/// the name (`.hidden` has no extension, `a.b.` has `.`).
pub fn py_splitext_ext(name: &str) -> String {
    let stem_start = name.len() - name.trim_start_matches('.').len();
    match name[stem_start..].rfind('.') {
        Some(i) => name[stem_start + i..].to_lowercase(),
        None => String::new(),
    }
}

/// What was listed before is listed after (same key, same name).
#[track_caller]
pub fn assert_still_listed(before: &Listing, after: &Listing, what: &str) {
    let missing: Vec<String> =
        before.difference(after).take(20).map(|(k, p)| format!("{k}: {}", p.display())).collect();
    assert!(missing.is_empty(), "{what}: ComfyUI no longer lists: {}", missing.join(", "));
}
