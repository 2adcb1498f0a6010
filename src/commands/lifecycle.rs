//! What `detach` and `backups --prune` share: the journal folders of the installs found, and the
//! refusal to act while a run there is half done.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::execute;
use crate::report::Invocation;
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

/// The command line `typed`, aimed at the workspace (or install) whose journal folder `dir` is:
/// its PATH as typed when one names it, else that folder; the other flags kept. For the
/// commands a run in `dir` suggests (`undo`, finishing a run).
pub fn invocation_at(dir: &Path, typed: &Invocation) -> Invocation {
    let owner = dir.parent().unwrap_or(dir);
    let path = typed
        .paths
        .iter()
        .find(|p| crate::platform::normalize(p) == owner)
        .cloned()
        .unwrap_or_else(|| owner.to_path_buf());
    Invocation { paths: vec![path], ..typed.clone() }
}

/// `false` (after saying why and what to run) when a run in one of `dirs` was interrupted: what
/// it left half done must be finished or rolled back before `then` (the command to run again,
/// as printed) plans anything.
pub fn none_unfinished(dirs: &[PathBuf], then: &str, typed: &Invocation) -> Result<bool> {
    for dir in dirs {
        if let Some(run) = execute::find_unfinished(dir)? {
            let at = invocation_at(dir, typed);
            eprintln!(
                "comfydoctor: run {} in {} was interrupted; run `{}` to finish it or `{}` to roll it back, then `{then}` again",
                run.run_id,
                display_path(dir),
                at.command("fix", &["--yes"]),
                at.undo(&[])
            );
            return Ok(false);
        }
    }
    Ok(true)
}
