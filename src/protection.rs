//! What an updater that ignores git's protection of a linked `models/` left behind (read only;
//! the facts `git-protection-lost` reports and its fix repairs).
//!
//! libgit2 (pygit2, the Windows portable build's `update_comfyui.bat`) ignores the skip-worktree
//! bits and the sparse checkout: on an update it stashes the tracked `models/` files as deleted,
//! clears every bit, and checks the new tree out *through the link* into the global folder
//! (placeholders, new stock folders, and stock configs with upstream's bytes). The sign it leaves:
//! the sparse rule that keeps `/models/` out is still there, the bits are not, and `models` is
//! still a link. The journal of the last run that recorded the global folder (`GlobalStock`)
//! tells which placeholders were there before and what each stock file held.

use std::path::{Path, PathBuf};

use crate::git::{self, GitState, IndexEntry};
use crate::inspect::ModelsState;
use crate::plan::GlobalStock;
use crate::stock;
use crate::workspace::Install;

/// Files larger than this at a tracked path are not hashed (no stock file comes near it).
pub const HASH_LIMIT: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionLost {
    /// Tracked `models/` paths, and those of them without the skip-worktree bit (git shows
    /// them deleted: the checkout sees a link where they were).
    pub tracked: usize,
    pub unskipped: usize,
    /// The folder `models` links to.
    pub global: PathBuf,
    /// 0-byte placeholders at tracked paths of the global folder that were not there when the
    /// recorded run looked (relative to `models/`, `/`-separated).
    pub written_placeholders: Vec<String>,
    /// Stock files of the global folder that now hold upstream's bytes (the index's blob) where
    /// the record knew other bytes, or where there is no record.
    pub overwritten: Vec<Overwritten>,
    /// The run whose journal recorded the global folder, and when; `None`: no record.
    pub record: Option<(String, String)>,
    /// The newest stash: its subject and paths (status letter, path).
    pub stash: Option<(String, Vec<(String, String)>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overwritten {
    /// Relative to `models/`, `/`-separated.
    pub path: String,
    /// What the record says it held: (sha256, size); `None` without a record of it.
    pub before: Option<(String, u64)>,
    /// The record knew those bytes as a stock version (no edit of the user's, as of then).
    pub was_stock: bool,
}

/// The facts, when the install is a linked git checkout that lost its protection; `None`
/// otherwise (and then nothing is read beyond what inspection already had).
pub fn inspect(install: &Install, models: &ModelsState, git_state: &GitState) -> Option<ProtectionLost> {
    let (GitState::Repo(repo), ModelsState::Link(link)) = (git_state, models) else { return None };
    if repo.tracked == 0 || repo.not_skipped == 0 || !repo.sparse_excludes_models {
        return None;
    }
    let global = link.resolved.clone().filter(|_| link.target_is_dir)?;
    let root = &install.root;
    let entries = git::models_index(root)?;
    let record = newest_record(&install.journal_dir(), root);
    let seen = |rel: &str| record.as_ref().and_then(|(_, _, g)| g.files.iter().find(|f| f.path == rel));

    let mut written_placeholders = Vec::new();
    let mut candidates: Vec<(&IndexEntry, String, PathBuf)> = Vec::new();
    for e in entries.iter().filter(|e| e.mode == "100644" || e.mode == "100755") {
        let Some(rel) = e.path.strip_prefix("models/") else { continue };
        let at = global.join(rel);
        let Ok(meta) = std::fs::symlink_metadata(&at) else { continue };
        if !meta.is_file() {
            continue;
        }
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if e.oid == git::EMPTY_BLOB && meta.len() == 0 && stock::is_placeholder_name(name) {
            if seen(rel).is_none() {
                written_placeholders.push(rel.to_string());
            }
        } else if e.oid != git::EMPTY_BLOB && meta.len() <= HASH_LIMIT {
            candidates.push((e, rel.to_string(), at));
        }
    }
    let files: Vec<PathBuf> = candidates.iter().map(|c| c.2.clone()).collect();
    let ids = git::blob_ids(root, &files).unwrap_or_default();
    let mut overwritten = Vec::new();
    for ((entry, rel, at), id) in candidates.iter().zip(ids) {
        if id != entry.oid {
            continue; // not upstream's bytes: the updater did not write it (or the user since)
        }
        let before = seen(rel).and_then(|f| f.sha256.clone().map(|h| (h, f.size)));
        let was_stock = seen(rel).is_some_and(|f| !f.edited);
        let changed = match (&before, &record) {
            (Some((h, _)), _) => crate::digest::sha256_file(at).is_ok_and(|(_, now)| &now != h),
            // Recorded as absent: the updater added a stock file, it overwrote nothing.
            (None, Some(_)) => false,
            (None, None) => true,
        };
        if changed {
            overwritten.push(Overwritten { path: rel.clone(), before, was_stock });
        }
    }
    Some(ProtectionLost {
        tracked: repo.tracked,
        unskipped: repo.not_skipped,
        global,
        written_placeholders,
        overwritten,
        record: record.map(|(id, at, _)| (id, at)),
        stash: git::newest_stash(root),
    })
}

/// The newest journal run in `dir` with a record of the global folder for the install at `root`.
fn newest_record(dir: &Path, root: &Path) -> Option<(String, String, GlobalStock)> {
    let runs = crate::execute::journal::read_all(dir).ok()?;
    runs.into_iter().find_map(|r| {
        let plan = r.plans.iter().find(|p| crate::platform::same_dir(&p.install, root) || p.install == root)?;
        plan.global_stock.clone().map(|g| (r.run_id.clone(), r.started_at.clone(), g))
    })
}
