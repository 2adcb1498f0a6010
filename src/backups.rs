//! What `fix` set aside, and which of it the global folder already holds: the survey behind
//! `comfydoctor backups` and the plan of `--prune`.
//!
//! A backup file is proved identical to a file of the global folder when both are regular files
//! (no link anywhere on the global file's path below the global folder: a link's target can
//! change under it), of the same size, with the same full SHA-256. Sizes are compared first, so
//! only candidates are hashed, each file at most once. The executor hashes both again right
//! before deleting (`Action::DeleteDuplicate`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::checks::CheckId;
use crate::plan::{Action, InstallPlan, Step};
use crate::platform;

/// How backup folders are named: `models.comfydoctor-backup-<UTC time>`.
pub const PREFIX: &str = "models.comfydoctor-backup-";

/// What the global folder holds for one backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Twin {
    /// The same bytes at the same relative path.
    SamePath(PathBuf),
    /// The same bytes under another name (found by hash).
    Elsewhere(PathBuf),
    /// Not the same bytes anywhere: the user decides.
    None,
    /// A link, a special file or an unreadable file: never deleted; the user decides.
    NotAFile(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// Relative to the backup folder.
    pub rel: PathBuf,
    pub len: u64,
    /// SHA-256, when it was computed (only for files with a same-size candidate).
    pub sha256: Option<String>,
    pub twin: Twin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFolder {
    pub path: PathBuf,
    pub files: Vec<BackupFile>,
    /// Folders inside (relative), parents before children.
    pub dirs: Vec<PathBuf>,
}

impl BackupFolder {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.len).sum()
    }

    pub fn proved(&self) -> impl Iterator<Item = &BackupFile> {
        self.files.iter().filter(|f| matches!(f.twin, Twin::SamePath(_) | Twin::Elsewhere(_)))
    }
}

/// The backup folders of one install's folder, oldest first (their names sort by time).
pub fn folders_of(root: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(root) else { return Vec::new() };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX))
        // A real folder only: a link by that name is not ours to walk.
        .filter(|e| std::fs::symlink_metadata(e.path()).is_ok_and(|m| m.is_dir()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// The regular files of a global folder, by size, hashed on demand (each at most once).
pub struct GlobalIndex {
    base: PathBuf,
    by_len: HashMap<u64, Vec<PathBuf>>,
    hashes: HashMap<PathBuf, Option<String>>,
}

impl GlobalIndex {
    /// Walks the global folder once (links are not followed, and what is behind one is not
    /// indexed).
    pub fn new(global: &Path) -> GlobalIndex {
        let base = platform::canonicalize(global).unwrap_or_else(|_| global.to_path_buf());
        let mut by_len: HashMap<u64, Vec<PathBuf>> = HashMap::new();
        for item in walkdir::WalkDir::new(&base).follow_links(false).sort_by_file_name().min_depth(1) {
            let Ok(item) = item else { continue };
            if !item.file_type().is_file() || item.path_is_symlink() {
                continue;
            }
            let Ok(m) = item.metadata() else { continue };
            let rel = item.path().strip_prefix(&base).unwrap_or(item.path()).to_path_buf();
            by_len.entry(m.len()).or_default().push(rel);
        }
        GlobalIndex { base, by_len, hashes: HashMap::new() }
    }

    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Whether `rel` is a regular file of this size, reached without a link (it is indexed).
    fn holds(&self, rel: &Path, len: u64) -> bool {
        self.by_len.get(&len).is_some_and(|v| v.iter().any(|r| r == rel))
    }

    fn hash(&mut self, rel: &Path) -> Option<String> {
        let path = self.base.join(rel);
        self.hashes
            .entry(rel.to_path_buf())
            .or_insert_with(|| crate::digest::sha256_file(&path).ok().map(|(_, h)| h))
            .clone()
    }

    /// A file of the global folder with these bytes: at `rel` if it is there, else any other.
    pub fn twin(&mut self, rel: &Path, len: u64, sha: &mut Option<String>, path: &Path) -> Twin {
        let Some(candidates) = self.by_len.get(&len).cloned() else { return Twin::None };
        let mut mine = || -> Option<String> {
            if sha.is_none() {
                *sha = crate::digest::sha256_file(path).ok().map(|(_, h)| h);
            }
            sha.clone()
        };
        if self.holds(rel, len) {
            let Some(m) = mine() else { return Twin::NotAFile("cannot be read".into()) };
            if self.hash(rel).as_ref() == Some(&m) {
                return Twin::SamePath(self.base.join(rel));
            }
        }
        for c in candidates.iter().filter(|c| c.as_path() != rel) {
            let Some(m) = mine() else { return Twin::NotAFile("cannot be read".into()) };
            if self.hash(c).as_ref() == Some(&m) {
                return Twin::Elsewhere(self.base.join(c));
            }
        }
        Twin::None
    }
}

/// Surveys one backup folder against the global folder.
pub fn survey(folder: &Path, index: &mut GlobalIndex) -> BackupFolder {
    let mut out = BackupFolder { path: folder.to_path_buf(), files: Vec::new(), dirs: Vec::new() };
    for item in walkdir::WalkDir::new(folder).follow_links(false).sort_by_file_name().min_depth(1) {
        let item = match item {
            Ok(i) => i,
            Err(e) => {
                let rel = e.path().and_then(|p| p.strip_prefix(folder).ok()).map(Path::to_path_buf).unwrap_or_default();
                out.files.push(BackupFile { rel, len: 0, sha256: None, twin: Twin::NotAFile(e.to_string()) });
                continue;
            }
        };
        let rel = item.path().strip_prefix(folder).unwrap_or(item.path()).to_path_buf();
        let ft = item.file_type();
        if item.path_is_symlink() {
            out.files.push(BackupFile { rel, len: 0, sha256: None, twin: Twin::NotAFile("a link".into()) });
        } else if ft.is_dir() {
            out.dirs.push(rel);
        } else if ft.is_file() {
            let len = item.metadata().map(|m| m.len()).unwrap_or(0);
            let mut sha = None;
            let twin = match index.twin(&rel, len, &mut sha, item.path()) {
                Twin::SamePath(t) | Twin::Elsewhere(t) if crate::platform::one_file(item.path(), &t) => Twin::NotAFile(
                    format!("another name of {} (a hard link): deleting it would free nothing", t.display()),
                ),
                other => other,
            };
            out.files.push(BackupFile { rel, len, sha256: sha, twin });
        } else {
            out.files.push(BackupFile { rel, len: 0, sha256: None, twin: Twin::NotAFile("a special file".into()) });
        }
    }
    out
}

/// The prune plan of one install: every proved file deleted, then every folder that leaves
/// empty (deepest first, the backup folder itself included).
pub fn prune_plan(install_root: &Path, folders: &[BackupFolder]) -> InstallPlan {
    let mut steps = Vec::new();
    let check = CheckId::ModelsDirReal; // the fix that made these backup folders
    for f in folders {
        let mut deleted: BTreeSet<PathBuf> = BTreeSet::new();
        for b in f.proved() {
            let twin = match &b.twin {
                Twin::SamePath(t) | Twin::Elsewhere(t) => t.clone(),
                _ => continue,
            };
            let Some(sha256) = b.sha256.clone() else { continue };
            steps.push(Step {
                action: Action::DeleteDuplicate { path: f.path.join(&b.rel), twin, len: b.len, sha256 },
                check,
            });
            deleted.insert(b.rel.clone());
        }
        // A folder is emptied when everything under it goes.
        let mut kept_under: BTreeMap<PathBuf, bool> = BTreeMap::new();
        for b in &f.files {
            if !deleted.contains(&b.rel) {
                for a in b.rel.ancestors().skip(1) {
                    kept_under.insert(a.to_path_buf(), true);
                }
            }
        }
        let mut dirs: Vec<&PathBuf> = f.dirs.iter().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for d in dirs {
            if !kept_under.contains_key(d.as_path()) {
                steps.push(Step { action: Action::RemoveEmptyDir { path: f.path.join(d) }, check });
            }
        }
        if !kept_under.contains_key(Path::new("")) && f.files.iter().all(|b| deleted.contains(&b.rel)) {
            steps.push(Step { action: Action::RemoveEmptyDir { path: f.path.clone() }, check });
        }
    }
    InstallPlan {
        install: install_root.to_path_buf(),
        steps,
        notes: Vec::new(),
        needs_confirmation: true,
        view: Default::default(),
        global: None,
        global_stock: None,
        alerts: Vec::new(),
        guard: false,
    }
}

#[cfg(test)]
// Most of these cases use Unix paths; elsewhere their helpers go unused.
#[cfg_attr(not(unix), allow(dead_code, unused_imports))]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn emptied_folders_go_deepest_first_and_kept_ones_stay() {
        let f = BackupFolder {
            path: PathBuf::from("/b"),
            files: vec![
                BackupFile {
                    rel: "a/x".into(),
                    len: 1,
                    sha256: Some("h".into()),
                    twin: Twin::SamePath("/g/a/x".into()),
                },
                BackupFile {
                    rel: "c/d/y".into(),
                    len: 1,
                    sha256: Some("h".into()),
                    twin: Twin::Elsewhere("/g/y".into()),
                },
                BackupFile { rel: "k/z".into(), len: 1, sha256: None, twin: Twin::None },
            ],
            dirs: vec!["a".into(), "c".into(), "c/d".into(), "k".into()],
        };
        let plan = prune_plan(Path::new("/i"), &[f]);
        let got: Vec<String> = plan.steps.iter().map(|s| crate::plan::describe(&s.action)).collect();
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got[0].starts_with("rm '/b/a/x'") && got[1].starts_with("rm '/b/c/d/y'"), "{got:#?}");
        assert_eq!(got[2..], ["rmdir '/b/c/d'  # empty", "rmdir '/b/a'  # empty", "rmdir '/b/c'  # empty"]);
    }
}
