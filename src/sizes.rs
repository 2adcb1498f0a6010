//! The size line of `scan`: for installs with a real `models/`, how many bytes are also in the
//! global folder or in another install — what migrating (`fix`) and then `backups --prune`
//! would free.
//!
//! It counts what those commands will actually free, file by file: a file of an install is a
//! duplicate when the global folder holds the same bytes at the same relative path (`fix` then
//! sets the install's copy aside as an identical duplicate, and `--prune` proves and deletes
//! it), or, when the global folder has nothing there, when an install scanned before it holds
//! the same bytes there (that one moves in first). Only files over 1 MiB are looked at; sizes
//! are compared first and only equal sizes are hashed (full SHA-256, each file once). A second
//! name of the same file (a hard link) frees nothing and is not counted; a global file reached
//! through a link is no proof (`--prune` does not trust it either).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::inspect::{ModelsState, human_bytes};
use crate::report::Scan;

/// Files at or below this size are not looked at.
pub const MIN_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Sizes {
    pub min_file_bytes: u64,
    /// Bytes migrating and pruning would free, over every install.
    pub reclaimable_bytes: u64,
    /// Files counted in it.
    pub files: usize,
    /// Installs with a real `models/`, in scan order.
    pub installs: Vec<InstallSize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct InstallSize {
    pub name: String,
    pub path: String,
    pub duplicate_bytes: u64,
    pub files: usize,
}

/// Measures the scan's installs (reads and hashes files; `scan` skips it with `--quiet`).
pub fn measure(scan: &Scan) -> Sizes {
    let mut out = Sizes { min_file_bytes: MIN_FILE_BYTES, ..Sizes::default() };
    let mut hashes: HashMap<PathBuf, Option<String>> = HashMap::new();
    // (global folder, relative path) → the file whose bytes end up there first.
    let mut first: HashMap<(PathBuf, PathBuf), PathBuf> = HashMap::new();
    for report in &scan.installs {
        let i = &report.inspection;
        let ModelsState::RealDir(tree) = &i.models else { continue };
        let mut line = InstallSize {
            name: i.install.name.clone(),
            path: i.install.root.display().to_string(),
            duplicate_bytes: 0,
            files: 0,
        };
        let models = i.install.models_path();
        let global = i.global.as_ref().map(|g| g.dir.path.clone());
        for (rel, len) in tree.files() {
            if len <= MIN_FILE_BYTES {
                continue;
            }
            let mine = models.join(rel);
            let reference = match &global {
                Some(g) => match global_file(g, rel) {
                    GlobalFile::File(p) => Some(p),
                    GlobalFile::NoProof => continue,
                    GlobalFile::Missing => {
                        let key = (g.clone(), rel.to_path_buf());
                        match first.get(&key) {
                            Some(p) => Some(p.clone()),
                            None => {
                                first.insert(key, mine.clone());
                                None
                            }
                        }
                    }
                },
                None => None,
            };
            let Some(reference) = reference else { continue };
            if same_bytes(&mine, &reference, len, &mut hashes) {
                line.duplicate_bytes += len;
                line.files += 1;
            }
        }
        out.reclaimable_bytes += line.duplicate_bytes;
        out.files += line.files;
        out.installs.push(line);
    }
    out
}

enum GlobalFile {
    File(PathBuf),
    Missing,
    /// Something is there but cannot prove anything: a link on the way, or not a file.
    NoProof,
}

/// What the global folder holds at `rel`, without trusting links below it.
fn global_file(global: &Path, rel: &Path) -> GlobalFile {
    let base = crate::platform::canonicalize(global).unwrap_or_else(|_| global.to_path_buf());
    let mut at = base.clone();
    let parts: Vec<_> = rel.components().collect();
    for (n, c) in parts.iter().enumerate() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Err(_) => return GlobalFile::Missing,
            Ok(m) if m.file_type().is_symlink() => return GlobalFile::NoProof,
            Ok(m) if n + 1 == parts.len() => {
                return if m.is_file() { GlobalFile::File(at) } else { GlobalFile::NoProof };
            }
            Ok(m) if !m.is_dir() => return GlobalFile::NoProof,
            Ok(_) => {}
        }
    }
    GlobalFile::NoProof
}

fn same_bytes(a: &Path, b: &Path, len: u64, hashes: &mut HashMap<PathBuf, Option<String>>) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) else { return false };
    if ma.len() != len || mb.len() != len {
        return false;
    }
    let key = |p: &Path, m: &std::fs::Metadata| crate::platform::file_key_from(p, m).map(|k| k.id());
    if key(a, &ma).is_some_and(|k| Some(k) == key(b, &mb)) {
        return false; // one file under two names: nothing to free
    }
    let mut h = |p: &Path| {
        hashes.entry(p.to_path_buf()).or_insert_with(|| crate::digest::sha256_file(p).ok().map(|(_, h)| h)).clone()
    };
    matches!((h(a), h(b)), (Some(x), Some(y)) if x == y)
}

/// The table's footer line, empty when there is nothing to free.
/// The footer line (none when nothing would be freed); `fix` and `prune` are the commands to
/// paste, with the PATHs and flags of the report.
pub fn footer(sizes: &Sizes, fix: &str, prune: &str) -> Option<String> {
    if sizes.reclaimable_bytes == 0 {
        return None;
    }
    let per: Vec<String> = sizes
        .installs
        .iter()
        .filter(|i| i.duplicate_bytes > 0)
        .map(|i| format!("{} {}", i.name, human_bytes(i.duplicate_bytes)))
        .collect();
    Some(format!(
        "Duplicates: {} ({} bytes) in {} over 1 MiB are also in the global folder or another install ({}); `{fix}` then `{prune}` frees them.",
        human_bytes(sizes.reclaimable_bytes),
        sizes.reclaimable_bytes,
        crate::wording::count(sizes.files, "file", "files"),
        per.join(", ")
    ))
}
