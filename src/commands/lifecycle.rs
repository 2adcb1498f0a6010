//! What `detach` and `backups --prune` share: the journal folders of the installs found, and the
//! refusal to act while a run there is half done.

use std::path::PathBuf;

use crate::error::Result;
use crate::execute;
use crate::workspace::{Discovery, display_path};

/// The journal folders of the installs found, each once, in the order found.
pub fn journal_dirs(found: &Discovery) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for d in found.installs.iter().map(|i| i.journal_dir()) {
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs
}

/// `false` (after saying why and what to run) when a run in one of `dirs` was interrupted: what
/// it left half done must be finished or rolled back before `then` plans anything.
pub fn none_unfinished(dirs: &[PathBuf], then: &str) -> Result<bool> {
    for dir in dirs {
        if let Some(run) = execute::find_unfinished(dir)? {
            eprintln!(
                "comfydoctor: run {} in {} was interrupted; run `comfydoctor fix` to finish it or `comfydoctor undo` to roll it back, then {then}",
                run.run_id,
                display_path(dir)
            );
            return Ok(false);
        }
    }
    Ok(true)
}
