//! An emulation of what ComfyUI lists for an install: its folder keys, the folders under
//! `models/` each one reads, and which file names it keeps. The table is checked against the
//! fact file `fixtures/comfyui-folder-keys.tsv` (taken from ComfyUI's `folder_paths.py`) by
//! `harness::the_folder_key_table_matches_the_fact_file`, never against the product's code.

use std::collections::{BTreeMap, BTreeSet};
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
/// in ComfyUI.
///
/// Loops: `os.walk(followlinks=True)` keeps no record of what it visited; it descends through a
/// link to an ancestor again and again until the system refuses the path (`ELOOP` after 40
/// links in one path on Linux, or `ENAMETOOLONG`), and lists every name once per repetition. The
/// emulation lists each name up to the first repetition: a folder is not entered again while the
/// walk is inside it (same canonical path on the walk's path). So a link `loras/up -> ..` lists
/// `up/checkpoints/x.safetensors` under `loras` (ComfyUI does too), but not `up/loras/up/...`.
/// The depth at which the system stops ComfyUI depends on how many links the absolute path
/// already holds (a linked `models/` is one more), so the repetitions are no stable fact to
/// compare before and after a migration; the first pass is.
pub type Listing = BTreeSet<(String, PathBuf)>;

/// Every listed name (as [`comfy_listing`]) and whether ComfyUI could read its bytes: the path
/// opens and reads to the end (a dangling link, a loop or an unreadable file is listed but not
/// readable).
pub type View = BTreeMap<(String, PathBuf), bool>;

pub fn comfy_listing(comfy: &Path) -> Listing {
    comfy_view_with(comfy, false).into_keys().collect()
}

/// [`comfy_listing`] with, for each name, whether its bytes can be read.
pub fn comfy_view(comfy: &Path) -> View {
    comfy_view_with(comfy, true)
}

fn comfy_view_with(comfy: &Path, read: bool) -> View {
    let mut out = View::new();
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
            walk_listing(key, *listed, read, &top, Path::new(""), &mut vec![canon], &mut out);
        }
    }
    out
}

fn walk_listing(
    key: &str,
    listed: Listed,
    read: bool,
    dir: &Path,
    rel: &Path,
    chain: &mut Vec<PathBuf>,
    out: &mut View,
) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut names: Vec<OsString> = rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let r = rel.join(&name);
        if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            let Ok(canon) = path.canonicalize() else { continue };
            if chain.contains(&canon) || chain.len() > 40 {
                continue;
            }
            chain.push(canon);
            walk_listing(key, listed, read, &path, &r, chain, out);
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
                let readable = read && readable(&path);
                out.insert((key.to_string(), r), readable);
            }
        }
    }
}

/// Whether a listed path opens and reads to the end (links followed).
fn readable(path: &Path) -> bool {
    std::fs::File::open(path).and_then(|mut f| std::io::copy(&mut f, &mut std::io::sink())).is_ok()
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

/// For each name ComfyUI lists for the install at `comfy`: the sha256 of the bytes it loads
/// (`None`: listed, not loadable, e.g. a dangling link) and whether its path passes through a
/// folder link inside `models/` (a second name for files reached another way too). A name of a
/// key with several folders loads from the first folder that has it (ComfyUI's `get_full_path`).
pub type NamedBytes = BTreeMap<(String, PathBuf), (Option<String>, bool)>;

pub fn listed_bytes(comfy: &Path) -> NamedBytes {
    let models = comfy.join("models");
    comfy_listing(comfy)
        .into_iter()
        .map(|(key, rel)| {
            let dirs = KEYS.iter().find(|(k, _, _)| *k == key).map(|(_, d, _)| *d).unwrap_or(&[]);
            let found = dirs.iter().map(|d| models.join(d)).find(|d| std::fs::metadata(d.join(&rel)).is_ok());
            let hash = found.as_ref().and_then(|d| std::fs::read(d.join(&rel)).ok()).map(|b| super::sha256_hex(&b));
            let via_link = found.is_some_and(|d| {
                let mut cur = d.clone();
                rel.parent().into_iter().flat_map(|p| p.iter()).any(|c| {
                    cur.push(c);
                    std::fs::symlink_metadata(&cur).is_ok_and(|m| m.file_type().is_symlink())
                })
            });
            ((key, rel), (hash, via_link))
        })
        .collect()
}

/// What was listed before is listed after, except a second name reached through a folder link
/// (a loop, or a link into the global folder, which the migration cannot keep without making a
/// loop in the shared folder) whose bytes are still listed under another name.
#[track_caller]
pub fn assert_still_listed_or_aliased(before: &NamedBytes, comfy: &Path, what: &str) {
    let after = listed_bytes(comfy);
    let listed_hashes: BTreeSet<&String> = after.values().filter_map(|(h, _)| h.as_ref()).collect();
    let missing: Vec<String> = before
        .iter()
        .filter(|(name, _)| !after.contains_key(*name))
        .filter(|(_, (hash, via_link))| !(*via_link && hash.as_ref().is_some_and(|h| listed_hashes.contains(h))))
        .take(20)
        .map(|((k, p), _)| format!("{k}: {}", p.display()))
        .collect();
    assert!(missing.is_empty(), "{what}: ComfyUI no longer lists: {}", missing.join(", "));
}
