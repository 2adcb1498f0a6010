//! The actions of an install's later life: `SetDetached` (the detach record beside the
//! journals) and `DeleteDuplicate` (a backup file proved identical to the global folder's copy,
//! deleted by `backups --prune`).

use std::fs;
use std::path::Path;

use crate::execute::atomic::write_atomic;
use crate::execute::durable::sync_parent;
use crate::execute::journal::StepDetail;
use crate::execute::step::{Env, Fail, StepError, io_step, mismatch, read, refuse, want_parent_dir};
use crate::platform::Entry;
use crate::state::{self, Detached};

pub mod set_detached {
    use super::*;

    /// The journal folder the record sits in.
    fn journal_dir(record: &Path) -> &Path {
        record.parent().unwrap_or(record)
    }

    /// The record's entries now (a missing file holds none).
    fn current(path: &Path) -> Result<Vec<Detached>, StepError> {
        match fs::read_to_string(path) {
            Ok(text) => {
                state::parse(&text).map_err(|e| refuse(path, format!("the detach record cannot be read ({e})")))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io_step(path, "cannot read", e)),
        }
    }

    fn holds(path: &Path, install: &Path, entry: Option<&Detached>) -> Result<bool, StepError> {
        Ok(state::find(&current(path)?, install, journal_dir(path)) == entry)
    }

    fn set(path: &Path, install: &Path, entry: Option<&Detached>, env: &Env) -> Result<(), StepError> {
        let list = state::with(&current(path)?, install, journal_dir(path), entry);
        write_atomic(path, state::render(&list).as_bytes(), env.tag)
    }

    pub fn precondition(path: &Path, install: &Path, was: Option<&Detached>) -> Result<(), StepError> {
        want_parent_dir(path)?;
        if holds(path, install, was)? {
            Ok(())
        } else {
            Err(refuse(path, format!("its entry for {} changed since the plan was made", install.display())))
        }
    }

    pub fn apply(
        path: &Path,
        install: &Path,
        now: Option<&Detached>,
        was: Option<&Detached>,
        env: &Env,
    ) -> Result<StepDetail, Fail> {
        precondition(path, install, was)?;
        set(path, install, now, env)?;
        Ok(StepDetail::default())
    }

    pub fn took_effect(path: &Path, install: &Path, now: Option<&Detached>) -> Result<Option<StepDetail>, StepError> {
        Ok(holds(path, install, now)?.then(StepDetail::default))
    }

    pub fn undo_took_effect(path: &Path, install: &Path, was: Option<&Detached>) -> Result<bool, StepError> {
        holds(path, install, was)
    }

    pub fn undo(
        path: &Path,
        install: &Path,
        now: Option<&Detached>,
        was: Option<&Detached>,
        env: &Env,
    ) -> Result<(), Fail> {
        if !holds(path, install, now)? {
            return Err(
                refuse(path, format!("its entry for {} changed since it was written", install.display())).into()
            );
        }
        set(path, install, was, env)?;
        Ok(())
    }
}

pub mod delete_duplicate {
    use super::*;

    /// A regular file (never a link) of exactly `len` bytes.
    fn want_file(path: &Path, len: u64, what: &str) -> Result<(), StepError> {
        match read(path)? {
            Entry::File { len: l } if l == len => Ok(()),
            Entry::File { .. } => Err(refuse(path, format!("{what} no longer has the size that was compared"))),
            other => Err(mismatch(path, &format!("{what} (a regular file, not a link)"), &other)),
        }
    }

    fn hash(path: &Path) -> Result<String, StepError> {
        crate::digest::sha256_file(path).map(|(_, h)| h).map_err(|e| io_step(path, "cannot read to compare", e))
    }

    pub fn precondition(path: &Path, twin: &Path, len: u64) -> Result<(), StepError> {
        want_file(path, len, "the backup file")?;
        want_file(twin, len, "its twin in the global folder")
    }

    /// Re-hashes both files right before the deletion: only bytes proved to be in the global
    /// folder at this moment go.
    pub fn apply(path: &Path, twin: &Path, len: u64, sha256: &str) -> Result<StepDetail, Fail> {
        precondition(path, twin, len)?;
        if crate::platform::one_file(path, twin) {
            return Err(refuse(
                path,
                "it is the same file as its twin (a hard link); deleting it frees nothing".into(),
            )
            .into());
        }
        let (a, b) = (hash(path)?, hash(twin)?);
        if a != sha256 {
            return Err(refuse(path, "its bytes changed since they were compared".into()).into());
        }
        if b != sha256 {
            return Err(refuse(twin, "the global folder's copy changed since it was compared".into()).into());
        }
        fs::remove_file(path).map_err(|e| io_step(path, "cannot delete", e))?;
        sync_parent(path);
        Ok(StepDetail { len: Some(len), sha256: Some(a), ..StepDetail::default() })
    }

    pub fn took_effect(path: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(matches!(read(path)?, Entry::Missing).then(StepDetail::default))
    }

    pub fn undo_took_effect(path: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(path)?, Entry::File { .. }))
    }

    /// A deletion is not undone: the bytes are in the global folder (`twin`), which is where the
    /// message points.
    pub fn undo(path: &Path, twin: &Path) -> Result<(), Fail> {
        Err(refuse(
            path,
            format!("was deleted as a proved duplicate of {}; deletions are not undoable (copy that file back if you want it)", twin.display()),
        )
        .into())
    }
}

/// Undoes a migration's git protection for a detached checkout: the skip-worktree bits under
/// `models/` cleared, then the sparse checkout set back to the patterns it had before (or
/// disabled, when it had none). Undo writes the git files back byte for byte and sets the bits
/// again, as `GitSparseCheckout`'s undo does.
pub mod git_unprotect {
    use super::*;
    use crate::execute::actions::git::{digest, git, restore, set_skip_worktree, skipped_count, unchanged, want_repo};
    use crate::git::Access;
    use crate::plan::SavedFile;

    pub fn precondition(repo: &Path, saved: &[SavedFile]) -> Result<(), StepError> {
        want_repo(repo)?;
        match unchanged(saved)? {
            None => Ok(()),
            Some(changed) => {
                Err(refuse(changed, "git's sparse-checkout settings changed since the plan was made".into()))
            }
        }
    }

    pub fn apply(
        repo: &Path,
        unskip: &[String],
        patterns: Option<&[String]>,
        saved: &[SavedFile],
    ) -> Result<StepDetail, Fail> {
        precondition(repo, saved)?;
        if !unskip.is_empty() {
            set_skip_worktree(repo, unskip, false)?;
        }
        match patterns {
            None => {
                git(repo, &["sparse-checkout", "disable"], None, Access::Write)?;
            }
            Some(p) => {
                let mut args = vec!["sparse-checkout", "set", "--no-cone"];
                args.extend(p.iter().map(String::as_str));
                git(repo, &args, None, Access::Write)?;
            }
        }
        Ok(StepDetail { sha256: Some(digest(saved)?), ..StepDetail::default() })
    }

    /// Done when git's files are no longer as planned (the git command ran) and no bit is left.
    pub fn took_effect(repo: &Path, unskip: &[String], saved: &[SavedFile]) -> Result<Option<StepDetail>, StepError> {
        if unchanged(saved)?.is_none() || skipped_count(repo, unskip)? > 0 {
            return Ok(None);
        }
        Ok(Some(StepDetail { sha256: Some(digest(saved)?), ..StepDetail::default() }))
    }

    pub fn undo_took_effect(repo: &Path, unskip: &[String], saved: &[SavedFile]) -> Result<bool, StepError> {
        Ok(unchanged(saved)?.is_none() && skipped_count(repo, unskip)? == unskip.len())
    }

    pub fn undo(
        repo: &Path,
        unskip: &[String],
        saved: &[SavedFile],
        detail: &StepDetail,
        env: &Env,
    ) -> Result<(), Fail> {
        if let Some(d) = &detail.sha256
            && digest(saved)? != *d
        {
            return Err(refuse(
                &saved.first().map(|s| s.path.clone()).unwrap_or_default(),
                "git's sparse-checkout settings were changed after comfydoctor set them; restore them by hand".into(),
            )
            .into());
        }
        restore(saved, env.tag)?;
        if !unskip.is_empty() {
            set_skip_worktree(repo, unskip, true)?;
        }
        Ok(())
    }
}
