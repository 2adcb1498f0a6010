//! The plan: a closed list of small, typed actions. Plans are data: printed for a dry run,
//! journaled before execution, reversed by `undo`. Only `execute` turns them into disk writes.

mod describe;

use std::path::PathBuf;

pub use describe::{describe, quote};

use serde::{Deserialize, Serialize};

use crate::platform::LinkKind;

/// One change on disk. Every variant is reversible from what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Create one folder; its parent exists. Undo: remove it if still empty.
    MakeDir {
        #[serde(with = "path_serde")]
        path: PathBuf,
    },
    /// Rename `from` to `to` (file, folder or link, never followed); `to` must not exist. Across
    /// filesystems: copy under a temporary name, fsync, verify, rename into place, then remove the
    /// source. Undo: move back.
    Move {
        #[serde(with = "path_serde")]
        from: PathBuf,
        #[serde(with = "path_serde")]
        to: PathBuf,
    },
    /// Hard-link file `from` at `to` (same filesystem); `to` must not exist. Undo: remove `to`.
    HardLink {
        #[serde(with = "path_serde")]
        from: PathBuf,
        #[serde(with = "path_serde")]
        to: PathBuf,
    },
    /// Copy file `from` to `to` via a temporary name, verified, then renamed into place; the
    /// source is left alone. Undo: remove `to` if it still matches `from`.
    CopyVerify {
        #[serde(with = "path_serde")]
        from: PathBuf,
        #[serde(with = "path_serde")]
        to: PathBuf,
    },
    /// Remove a 0-byte file (a placeholder). Undo: recreate it empty.
    RemovePlaceholder {
        #[serde(with = "path_serde")]
        path: PathBuf,
    },
    /// Remove an empty folder. Undo: recreate it.
    RemoveEmptyDir {
        #[serde(with = "path_serde")]
        path: PathBuf,
    },
    /// Create a folder link (symlink / junction) at `link` to `target`. Undo: remove the link.
    CreateLink {
        #[serde(with = "path_serde")]
        link: PathBuf,
        #[serde(with = "path_serde")]
        target: PathBuf,
    },
    /// Point the existing folder link `link` at `new_target` instead of `old_target` (raw).
    /// Undo: point it back.
    ReplaceLink {
        #[serde(with = "path_serde")]
        link: PathBuf,
        #[serde(with = "path_serde")]
        old_target: PathBuf,
        #[serde(with = "path_serde")]
        new_target: PathBuf,
    },
    /// Create a link with exactly this raw target (a nested link moved or unfolded).
    /// Undo: remove it.
    CreateLinkLike {
        #[serde(with = "path_serde")]
        link: PathBuf,
        #[serde(with = "path_serde")]
        raw_target: PathBuf,
        kind: LinkKind,
        target_is_dir: bool,
    },
    /// Remove a link (never its target), recording its raw target. Undo: re-create it.
    RemoveLink {
        #[serde(with = "path_serde")]
        link: PathBuf,
        #[serde(with = "path_serde")]
        raw_target: PathBuf,
        kind: LinkKind,
        target_is_dir: bool,
    },
    /// Remove a file that is one of ComfyUI's stock files and identical to the global folder's
    /// copy. Its bytes are kept in the plan (so in the journal): undo writes them back.
    RemoveStockFile {
        #[serde(with = "path_serde")]
        path: PathBuf,
        contents: String,
    },
    /// Append one line to a text file (creating it if absent), e.g. `.git/info/exclude`.
    /// Undo: cut the appended bytes off again, if they are still the file's tail.
    AppendLine {
        #[serde(with = "path_serde")]
        path: PathBuf,
        line: String,
    },
    /// `git update-index --skip-worktree` for these tracked paths (relative to `repo`).
    /// Undo: `--no-skip-worktree` for the same paths.
    GitSkipWorktree {
        #[serde(with = "path_serde")]
        repo: PathBuf,
        paths: Vec<String>,
    },
    /// `git sparse-checkout set --no-cone <patterns>`. `saved` holds the git files it changes,
    /// as they were when planned (`None`: absent); undo writes them back byte for byte, without
    /// touching the work tree.
    GitSparseCheckout {
        #[serde(with = "path_serde")]
        repo: PathBuf,
        patterns: Vec<String>,
        saved: Vec<SavedFile>,
    },
    /// `git update-index --no-skip-worktree` for these tracked paths (relative to `repo`): git
    /// looks at the work tree again (`guard`, before an updater runs on a real `models/`).
    /// Undo: `--skip-worktree` for the same paths.
    GitNoSkipWorktree {
        #[serde(with = "path_serde")]
        repo: PathBuf,
        paths: Vec<String>,
    },
    /// `git sparse-checkout disable`, then the sparse-checkout file without its `/models/` rules
    /// (removed when nothing but `/*` is left): git's state as an unmigrated checkout has it.
    /// `saved` holds the git files it changes, as planned; undo writes them back byte for byte.
    GitSparseDisable {
        #[serde(with = "path_serde")]
        repo: PathBuf,
        saved: Vec<SavedFile>,
    },
    /// Write a new file atomically (temporary name in the same folder, fsync, rename); `path`
    /// must not exist. Undo: remove it if its bytes are still these.
    WriteFile {
        #[serde(with = "path_serde")]
        path: PathBuf,
        contents: String,
        /// Permission bits, owner and group to give the new file (Unix), those of the file it
        /// replaces: written as root it would be `root:root 0644`, which the user can no longer
        /// edit. `None` (older journals, Windows): as the atomic write leaves it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uid: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gid: Option<u32>,
    },
    /// Replace the detach record of `install` in the state file `path` (see `state`): the entry
    /// `was` becomes `now` (`None`: no entry). Undo: back to `was`.
    SetDetached {
        #[serde(with = "path_serde")]
        path: PathBuf,
        #[serde(with = "path_serde")]
        install: PathBuf,
        now: Option<crate::state::Detached>,
        was: Option<crate::state::Detached>,
    },
    /// Take a migration's git protection back for a detached checkout: `--no-skip-worktree` for
    /// `unskip`, then `git sparse-checkout set --no-cone <patterns>` (the patterns from before
    /// the migration) or `git sparse-checkout disable` (`None`: there were none). `saved` holds
    /// the git files it changes as they were when planned; undo writes them back and sets the
    /// bits again.
    GitUnprotect {
        #[serde(with = "path_serde")]
        repo: PathBuf,
        unskip: Vec<String>,
        patterns: Option<Vec<String>>,
        saved: Vec<SavedFile>,
    },
    /// Delete a backup file proved identical (`len` bytes, full SHA-256 `sha256`) to `twin`, a
    /// regular file of the global folder; both are re-hashed right before. Not undoable: the
    /// journal keeps what was deleted and the hash that proved it.
    DeleteDuplicate {
        #[serde(with = "path_serde")]
        path: PathBuf,
        #[serde(with = "path_serde")]
        twin: PathBuf,
        len: u64,
        sha256: String,
    },
}

/// A small file's bytes as they were before an action, for an exact undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFile {
    #[serde(with = "path_serde")]
    pub path: PathBuf,
    pub contents: Option<String>,
}

/// One step: an action and the sentence shown to the user for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: Action,
    /// Which check's fix planned it (a check ID).
    pub check: crate::check_id::CheckId,
}

/// What `fix` will do to one install, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallPlan {
    #[serde(with = "path_serde")]
    pub install: PathBuf,
    pub steps: Vec<Step>,
    /// Lines shown before the confirmation: conflicts, what becomes invisible, totals.
    pub notes: Vec<String>,
    /// Whether the plan touches user data, so it needs a confirmation (or `--yes`).
    pub needs_confirmation: bool,
    /// What the plan deliberately changes in what ComfyUI lists, announced in `notes`.
    #[serde(default)]
    pub view: ViewChanges,
    /// The global models folder the install links to, for the view check of every install that
    /// sees it; `None` in plans that do not touch it.
    #[serde(default, with = "opt_path_serde", skip_serializing_if = "Option::is_none")]
    pub global: Option<PathBuf>,
    /// For a git checkout: what the global folder holds, once this plan is done, at the paths
    /// git tracks under `models/` (`git-protection-lost` compares it with what an updater left).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_stock: Option<GlobalStock>,
    /// Lines `fix` prints even with `--quiet` (a stock file an updater overwrote).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    /// The first half of a `comfydoctor guard`: the link stood aside for an updater, whose
    /// changes cannot be undone, so `undo` refuses the run (`fix` links the checkout again).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guard: bool,
}

/// The global folder's files at the paths a checkout's index tracks under `models/`, recorded
/// in the journal: an updater that writes through the link later is measured against it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalStock {
    /// Relative to `models/` (`/`-separated); absent paths are not listed.
    pub files: Vec<StockSeen>,
}

/// One file of the global folder at a tracked `models/` path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockSeen {
    pub path: String,
    pub size: u64,
    /// `None` for a file too big to hash (no stock file is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Its bytes are no stock version comfydoctor or the checkout's git knows (an edit).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
}

/// `Option<PathBuf>` in the form of [`path_serde`].
mod opt_path_serde {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Wrapped(#[serde(with = "super::path_serde")] PathBuf);

    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        path.clone().map(Wrapped).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

/// Names ComfyUI lists that a plan changes on purpose, so the executor's check of the view after
/// an install's steps tells a planned change from a planner bug. Paths are relative to `models/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewChanges {
    /// An entry moved under another name, because the global folder holds something of another
    /// type under its own (a folder against a file): `from` is found at `to` afterwards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<Renamed>,
    /// Names that will show the global folder's version: the install's differs and waits in the
    /// backup folder (a conflict, listed in the plan's notes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shadowed: Vec<RelPath>,
    /// Names the user chose to stop seeing (the backup strategy keeps them out of ComfyUI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<RelPath>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renamed {
    #[serde(with = "path_serde")]
    pub from: PathBuf,
    #[serde(with = "path_serde")]
    pub to: PathBuf,
}

/// A path relative to `models/` (or to the global folder: the same names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelPath(#[serde(with = "path_serde")] pub PathBuf);

pub use crate::path_serde;

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal written before `WriteFile` had a mode and owner still reads (and undoes).
    #[test]
    fn an_older_write_file_reads_without_mode_or_owner() {
        let a: Action =
            serde_json::from_str(r#"{"action":"write_file","path":"/x/y.yaml","contents":"a: b\n"}"#).unwrap();
        assert_eq!(
            a,
            Action::WriteFile { path: "/x/y.yaml".into(), contents: "a: b\n".into(), mode: None, uid: None, gid: None }
        );
        let json = serde_json::to_string(&a).unwrap();
        assert!(!json.contains("mode"), "{json}");
    }
}
