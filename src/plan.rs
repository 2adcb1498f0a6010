//! The plan: a closed list of small, typed actions. Plans are data: printed for a dry run,
//! journaled before execution, reversed by `undo`. Only `execute` turns them into disk writes.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::platform::LinkKind;

/// One change on disk. Every variant is reversible from what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Create one folder; its parent exists. Undo: remove it if still empty.
    MakeDir { path: PathBuf },
    /// Rename `from` to `to` (file, folder or link, never followed); `to` must not exist. Across
    /// filesystems: copy under a temporary name, fsync, verify, rename into place, then remove the
    /// source. Undo: move back.
    Move { from: PathBuf, to: PathBuf },
    /// Hard-link file `from` at `to` (same filesystem); `to` must not exist. Undo: remove `to`.
    HardLink { from: PathBuf, to: PathBuf },
    /// Copy file `from` to `to` via a temporary name, verified, then renamed into place; the
    /// source is left alone. Undo: remove `to` if it still matches `from`.
    CopyVerify { from: PathBuf, to: PathBuf },
    /// Remove a 0-byte file (a placeholder). Undo: recreate it empty.
    RemovePlaceholder { path: PathBuf },
    /// Remove an empty folder. Undo: recreate it.
    RemoveEmptyDir { path: PathBuf },
    /// Create a folder link (symlink / junction) at `link` to `target`. Undo: remove the link.
    CreateLink { link: PathBuf, target: PathBuf },
    /// Point the existing folder link `link` at `new_target` instead of `old_target` (raw).
    /// Undo: point it back.
    ReplaceLink { link: PathBuf, old_target: PathBuf, new_target: PathBuf },
    /// Create a link with exactly this raw target (a nested link moved or unfolded).
    /// Undo: remove it.
    CreateLinkLike { link: PathBuf, raw_target: PathBuf, kind: LinkKind, target_is_dir: bool },
    /// Remove a link (never its target), recording its raw target. Undo: re-create it.
    RemoveLink { link: PathBuf, raw_target: PathBuf, kind: LinkKind, target_is_dir: bool },
    /// Write a new file atomically (temporary name in the same folder, fsync, rename); `path`
    /// must not exist. Undo: remove it if its bytes are still these.
    WriteFile { path: PathBuf, contents: String },
}

/// One step: an action and the sentence shown to the user for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: Action,
    /// Which check's fix planned it (a check ID).
    pub check: String,
}

/// What `fix` will do to one install, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallPlan {
    pub install: PathBuf,
    pub steps: Vec<Step>,
    /// Lines shown before the confirmation: conflicts, what becomes invisible, totals.
    pub notes: Vec<String>,
    /// Whether the plan touches user data, so it needs a confirmation (or `--yes`).
    pub needs_confirmation: bool,
}
