//! Facts about what a fresh ComfyUI clone ships in `models/`, and which names are disposable.
//!
//! The list comes from ComfyUI's repository (path, size, sha256). It is embedded as data, never
//! as ComfyUI's own bytes: a file is "stock" only when its relative path, size and hash all match.

use std::path::Path;
use std::sync::OnceLock;

/// One file a fresh ComfyUI clone holds under `models/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockFile {
    /// Path relative to `models/`, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

struct Row {
    path: &'static str,
    size: u64,
    sha256: &'static str,
}

const EMBEDDED: &[Row] = &[
    Row {
        path: "audio_encoders/put_audio_encoder_models_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "checkpoints/put_checkpoints_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "clip/put_clip_or_text_encoder_models_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "clip_vision/put_clip_vision_models_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "configs/anything_v3.yaml",
        size: 1933,
        sha256: "8d81ca32367c7b3a809e02c4259504aa8d77a2694b52e7b793f9695e6cc75107",
    },
    Row {
        path: "configs/v1-inference.yaml",
        size: 1873,
        sha256: "20b7f0acae54d1f88384a6ca15b5d62c0ee4fbbca07ff72f3761fe936083210d",
    },
    Row {
        path: "configs/v1-inference_clip_skip_2.yaml",
        size: 1933,
        sha256: "8d81ca32367c7b3a809e02c4259504aa8d77a2694b52e7b793f9695e6cc75107",
    },
    Row {
        path: "configs/v1-inference_clip_skip_2_fp16.yaml",
        size: 1956,
        sha256: "5de4cdd258908cac4d9d6d3250cdd9c6feb2f0ccff745e3e3195b25bd6a3af71",
    },
    Row {
        path: "configs/v1-inference_fp16.yaml",
        size: 1896,
        sha256: "25727b19592d3c5ab44299089bae95d6989e98a222228f4dc0ee5c6200188fc0",
    },
    Row {
        path: "configs/v1-inpainting-inference.yaml",
        size: 1992,
        sha256: "6a180ba807940815028e48e41cdd0fb3c10d0d2b2a32249c023b2d4c9bf45c5c",
    },
    Row {
        path: "configs/v2-inference-v.yaml",
        size: 1815,
        sha256: "72b092aadfe146f5d3f395a720c0aa3b2354b2095e3f10dc18f0e9716d286dcb",
    },
    Row {
        path: "configs/v2-inference-v_fp32.yaml",
        size: 1816,
        sha256: "6b8ed358d0197cc4f631199dd7107955a0e7772aa17a140c8422f08f60042df5",
    },
    Row {
        path: "configs/v2-inference.yaml",
        size: 1789,
        sha256: "ec4094bd36ef558cd9d52c9985471ac91d2c0c5bd071717411a4ccd5adf4f311",
    },
    Row {
        path: "configs/v2-inference_fp32.yaml",
        size: 1790,
        sha256: "54c86f69043e2dda671c89bce2e8aa59d535b01ffb436faf5597ca75c85ceaff",
    },
    Row {
        path: "configs/v2-inpainting-inference.yaml",
        size: 4450,
        sha256: "821a51ee6a8f3a62e7f2002557fcb4f4ae97a2ab3cb3fb85942897d536fa8b2c",
    },
    Row {
        path: "controlnet/put_controlnets_and_t2i_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "diffusers/put_diffusers_models_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "diffusion_models/put_diffusion_model_files_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "embeddings/put_embeddings_or_textual_inversion_concepts_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "gligen/put_gligen_models_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "hypernetworks/put_hypernetworks_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "loras/put_loras_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "model_patches/put_model_patches_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "photomaker/put_photomaker_models_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "style_models/put_t2i_style_model_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "text_encoders/put_text_encoder_files_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "unet/put_unet_files_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "upscale_models/put_esrgan_and_other_upscale_models_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "vae/put_vae_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
    Row {
        path: "vae_approx/put_taesd_encoder_pth_and_taesd_decoder_pth_here",
        size: 0,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
];

/// Environment variable (debug builds only) naming a TSV (`path\tsize\tsha256`, header line first)
/// that replaces the embedded list. Tests use it to build stock trees without ComfyUI's bytes.
pub const TEST_OVERRIDE_ENV: &str = "COMFYDOCTOR_STOCK_TSV";

/// The stock file list in force.
pub fn stock_files() -> &'static [StockFile] {
    static LIST: OnceLock<Vec<StockFile>> = OnceLock::new();
    LIST.get_or_init(|| {
        #[cfg(debug_assertions)]
        if let Some(path) = std::env::var_os(TEST_OVERRIDE_ENV)
            && let Ok(text) = std::fs::read_to_string(path)
        {
            return parse_tsv(&text);
        }
        EMBEDDED
            .iter()
            .map(|r| StockFile { path: r.path.to_string(), size: r.size, sha256: r.sha256.to_string() })
            .collect()
    })
}

/// Parses the TSV form of the list (header line, then `path size sha256`; a leading `models/` is
/// dropped so both the shared file and test files read the same).
pub fn parse_tsv(text: &str) -> Vec<StockFile> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let path = cols.next()?.trim();
            let size = cols.next()?.trim().parse().ok()?;
            let sha256 = cols.next()?.trim().to_ascii_lowercase();
            let path = path.strip_prefix("models/").unwrap_or(path).to_string();
            Some(StockFile { path, size, sha256 })
        })
        .collect()
}

/// Whether the file at `path` holds the bytes of stock file `stock` (its path and size already
/// matched). Hashed at most once per file per run: the answer is remembered by the file's
/// identity (device, inode, size, change and modification times, from `meta` when the caller
/// has it), so a file seen again (a second scan in the same run, a hard-linked clone) is not
/// read again. A file that changes gets a new identity (its ctime moves) and is hashed again.
pub fn matches(path: &Path, stock: &StockFile, meta: Option<&std::fs::Metadata>) -> bool {
    let id = file_identity(path, meta);
    if let Some(id) = &id
        && let Some(&known) = hash_cache().lock().unwrap_or_else(|e| e.into_inner()).get(id)
    {
        return known;
    }
    let got = platform_read_matches(path, stock);
    if let Some(id) = id {
        hash_cache().lock().unwrap_or_else(|e| e.into_inner()).insert(id, got);
    }
    got
}

/// Reads at most the stock size (plus one byte, so a file that grew is caught) and compares.
fn platform_read_matches(path: &Path, stock: &StockFile) -> bool {
    crate::platform::read_bounded(path, stock.size)
        .is_ok_and(|bytes| bytes.len() as u64 == stock.size && crate::digest::sha256_bytes(&bytes) == stock.sha256)
}

/// (device, inode, size, ctime, mtime); `None` where the platform has no inode numbers.
type FileIdentity = (u64, u64, u64, i64, i64, i64, i64);

#[cfg(unix)]
fn file_identity(path: &Path, meta: Option<&std::fs::Metadata>) -> Option<FileIdentity> {
    use std::os::unix::fs::MetadataExt;
    let owned;
    let m = match meta {
        Some(m) => m,
        None => {
            owned = std::fs::symlink_metadata(path).ok()?;
            &owned
        }
    };
    Some((m.dev(), m.ino(), m.size(), m.ctime(), m.ctime_nsec(), m.mtime(), m.mtime_nsec()))
}

#[cfg(not(unix))]
fn file_identity(_path: &Path, _meta: Option<&std::fs::Metadata>) -> Option<FileIdentity> {
    None
}

fn hash_cache() -> &'static std::sync::Mutex<std::collections::HashMap<FileIdentity, bool>> {
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<FileIdentity, bool>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The stock entry with this relative path (`/`-separated), if any.
pub fn stock_file(rel: &str) -> Option<&'static StockFile> {
    stock_files().iter().find(|f| f.path == rel)
}

/// Names that carry no data whatever their folder: ComfyUI's `put_*_here` markers and the marker
/// files other tools and OSes leave behind. Only a 0-byte one is ever removed; a non-empty one is
/// merged like any other file.
pub fn is_placeholder_name(name: &str) -> bool {
    (name.starts_with("put_") && name.ends_with("_here"))
        || matches!(name, ".gitkeep" | ".gitignore" | "Put models here.txt" | ".DS_Store")
}

/// ComfyUI's standard subfolders of `models/`, as a fresh clone creates them.
pub fn standard_subfolders() -> Vec<&'static str> {
    let mut dirs: Vec<&'static str> = EMBEDDED.iter().filter_map(|r| r.path.split_once('/').map(|(d, _)| d)).collect();
    dirs.dedup();
    dirs
}

/// Extensions ComfyUI lists as models (compared lowercased).
pub const MODEL_EXTENSIONS: &[&str] = &["ckpt", "pt", "pt2", "bin", "pth", "safetensors", "pkl", "sft"];

/// Whether ComfyUI would list this file as a model (by extension; `configs` lists `.yaml`).
pub fn is_model_file(rel: &Path) -> bool {
    let ext = rel.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    MODEL_EXTENSIONS.contains(&ext.as_str()) || (ext == "yaml" && rel.starts_with("configs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_names() {
        assert!(is_placeholder_name("put_checkpoints_here"));
        assert!(is_placeholder_name(".gitkeep"));
        assert!(is_placeholder_name("Put models here.txt"));
        assert!(!is_placeholder_name("model.safetensors"));
        assert!(!is_placeholder_name("put_here.ckpt"));
    }

    #[test]
    fn standard_subfolders_are_unique_and_complete() {
        let dirs = standard_subfolders();
        assert_eq!(dirs.len(), 20);
        assert!(dirs.contains(&"configs") && dirs.contains(&"unet") && dirs.contains(&"vae_approx"));
    }

    #[test]
    fn tsv_round_trip() {
        let list = parse_tsv("path\tsize\tsha256\nmodels/configs/a.yaml\t3\tABC\n");
        assert_eq!(list, vec![StockFile { path: "configs/a.yaml".into(), size: 3, sha256: "abc".into() }]);
    }
}
