//! Questions to the user (dialoguer on stderr). Only asked when stdin and stderr are terminals;
//! otherwise callers never block and say how to allow the change (`--yes`).

use std::io::IsTerminal;

use dialoguer::{Confirm, Select, theme::SimpleTheme};

use crate::fixes::Strategy;

/// Whether questions can be asked at all.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Yes/no, defaulting to no. An I/O error (closed terminal) counts as no.
pub fn confirm(question: &str) -> bool {
    Confirm::with_theme(&SimpleTheme).with_prompt(question).default(false).interact().unwrap_or(false)
}

/// Merge or backup, defaulting to merge; `None` when the user aborts. `relink`: the models are
/// behind a link to another folder (which is only ever read), not in a real folder.
pub fn strategy(install: &str, relink: bool) -> Option<Strategy> {
    let items = if relink {
        [
            "merge: bring what the old folder holds into the global folder (hard links or verified copies; the old folder is only read)",
            "backup: only re-point the link; the old folder stays as it is and ComfyUI no longer sees it",
        ]
    } else {
        [
            "merge: move every file into the global folder (duplicates and conflicts are kept in a backup folder)",
            "backup: rename the current models folder to a backup name, then link",
        ]
    };
    Select::with_theme(&SimpleTheme)
        .with_prompt(format!("{install}: how should the models already there be handled?"))
        .items(items)
        .default(0)
        .interact_opt()
        .ok()
        .flatten()
        .map(|i| if i == 0 { Strategy::Merge } else { Strategy::Backup })
}

/// Finish or roll back an interrupted run; `None` to stop here.
pub fn resume_or_rollback(run: &str) -> Option<bool> {
    let items = ["finish it (continue where it stopped)", "roll it back (undo what it did)", "stop here"];
    Select::with_theme(&SimpleTheme)
        .with_prompt(format!("run {run} was interrupted"))
        .items(items)
        .default(0)
        .interact_opt()
        .ok()
        .flatten()
        .and_then(|i| match i {
            0 => Some(true),
            1 => Some(false),
            _ => None,
        })
}
