//! `extra_model_paths.yaml`, resolved exactly as ComfyUI's loader would (see domain.md §2).
//!
//! STUB: the API is fixed here; the implementation comes with the YAML issue.

use std::path::{Path, PathBuf};

/// The file name ComfyUI reads next to `main.py`.
pub const FILE_NAME: &str = "extra_model_paths.yaml";

/// One path ComfyUI would register: `(folder key, absolute path, is_default)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlEntry {
    pub section: String,
    pub key: String,
    /// Absolute, normalised, as ComfyUI would join it.
    pub path: PathBuf,
    pub is_default: bool,
    /// 1-based line of the key in the file.
    pub line: usize,
}

/// One top-level section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// `base_path` after expansion and resolution against the YAML's folder.
    pub base_path: Option<PathBuf>,
    pub is_default: bool,
    pub line: usize,
    pub entries: Vec<YamlEntry>,
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyYaml {
    pub path: PathBuf,
    pub sections: Vec<Section>,
}

impl LegacyYaml {
    pub fn entries(&self) -> impl Iterator<Item = &YamlEntry> {
        self.sections.iter().flat_map(|s| s.entries.iter())
    }
}

/// Why a file could not be read the way ComfyUI reads it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
}

/// Whether a registered path is served by `models/` once it links to the global folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// `<global>/<dir>` where ComfyUI maps `dir` for this key.
    Covered {
        dir: String,
    },
    Uncovered {
        reason: String,
    },
}

/// Reads and resolves a file with the process environment and home folder.
pub fn read_file(path: &Path) -> Result<LegacyYaml, YamlError> {
    let _ = std::fs::metadata(path).map_err(|e| YamlError::Io { path: path.to_path_buf(), message: e.to_string() })?;
    Ok(LegacyYaml { path: path.to_path_buf(), sections: Vec::new() })
}

/// Classifies one entry against the global folder.
pub fn classify(entry: &YamlEntry, global: &Path) -> Coverage {
    let _ = (entry, global);
    Coverage::Uncovered { reason: "not implemented".into() }
}

/// The global folder this file implies: the `base_path` of a section whose entries are all
/// covered for it (the identity shape ComfyDock wrote).
pub fn infer_global(yaml: &LegacyYaml) -> Option<PathBuf> {
    let _ = yaml;
    None
}

/// The text of a new file that keeps only the uncovered entries (resolving to the same paths),
/// with a header comment naming the backup; `None` when every entry is covered.
pub fn rewrite_uncovered(yaml: &LegacyYaml, global: &Path, backup_name: &str) -> Option<String> {
    let _ = (yaml, global, backup_name);
    None
}
