//! Folders: `MakeDir` and `RemoveEmptyDir`. Neither ever removes a folder that holds anything:
//! removal is non-recursive, so it fails by itself if something appeared inside.

use std::fs;
use std::path::Path;

use super::restore_meta;
use crate::execute::durable::sync_parent;
use crate::execute::journal::StepDetail;
use crate::execute::step::{
    Fail, StepError, io_step, is_empty_dir, mismatch, read, refuse, want_missing, want_parent_dir,
};
use crate::platform::{self, Entry};

pub mod make_dir {
    use super::*;

    pub fn precondition(path: &Path) -> Result<(), StepError> {
        want_missing(path)?;
        want_parent_dir(path)
    }

    pub fn apply(path: &Path) -> Result<StepDetail, Fail> {
        fs::create_dir(path).map_err(|e| io_step(path, "cannot create folder", e))?;
        // As root, a new folder in the user's tree is the user's, with the parent's mode.
        platform::owner::inherit_from_parent(path);
        sync_parent(path);
        Ok(StepDetail::default())
    }

    pub fn took_effect(path: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(matches!(read(path)?, Entry::Dir).then(StepDetail::default))
    }

    pub fn undo_took_effect(path: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(path)?, Entry::Missing))
    }

    pub fn undo(path: &Path) -> Result<(), Fail> {
        match read(path)? {
            Entry::Dir if is_empty_dir(path)? => {
                fs::remove_dir(path).map_err(|e| io_step(path, "cannot remove folder", e))?;
            }
            Entry::Dir => {
                let why = format!("the folder it made is no longer empty: it holds {}", some_names(path));
                return Err(refuse(path, why).into());
            }
            other => return Err(mismatch(path, "the folder it made", &other).into()),
        }
        Ok(())
    }
}

/// The first few names in folder `path` (sorted), and how many more: what keeps it from going.
fn some_names(path: &Path) -> String {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = fs::read_dir(path)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    let more = names.len().saturating_sub(SHOWN);
    names.truncate(SHOWN);
    let mut s = names.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

pub mod remove_empty_dir {
    use super::*;

    pub fn precondition(path: &Path) -> Result<(), StepError> {
        match read(path)? {
            Entry::Dir if is_empty_dir(path)? => Ok(()),
            Entry::Dir => Err(StepError {
                path: path.to_path_buf(),
                message: format!(
                    "{}: expected an empty folder, but something was put in it; it changed since the plan was made, so nothing more was done to this install (run the command again to plan anew)",
                    path.display()
                ),
            }),
            other => Err(mismatch(path, "an empty folder", &other)),
        }
    }

    pub fn apply(path: &Path) -> Result<StepDetail, Fail> {
        // Non-recursive: fails by itself if anything appeared inside.
        fs::remove_dir(path).map_err(|e| io_step(path, "cannot remove folder", e))?;
        sync_parent(path);
        Ok(StepDetail::default())
    }

    pub fn took_effect(path: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(matches!(read(path)?, Entry::Missing).then(StepDetail::default))
    }

    pub fn undo_took_effect(path: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(path)?, Entry::Dir))
    }

    pub fn undo(path: &Path, detail: &StepDetail) -> Result<(), Fail> {
        want_missing(path)?;
        want_parent_dir(path)?;
        fs::create_dir(path).map_err(|e| io_step(path, "cannot recreate folder", e))?;
        restore_meta(path, detail);
        Ok(())
    }
}
