//! Questions to the user (dialoguer on stderr). Only asked when stdin and stderr are terminals;
//! otherwise callers never block and say how to allow the change (`--yes`).

use std::io::IsTerminal;

use dialoguer::{Confirm, Select, theme::SimpleTheme};

use crate::fixes::Strategy;

/// Whether questions can be asked at all.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Yes/no, defaulting to no, answered with Enter (a single key would leave the Enter that
/// follows it to answer the next question). An I/O error (closed terminal) counts as no.
pub fn confirm(question: &str) -> bool {
    Confirm::with_theme(&SimpleTheme)
        .with_prompt(question)
        .default(false)
        .wait_for_newline(true)
        .interact()
        .unwrap_or_else(|e| {
            on_error(e);
            false
        })
}

/// A prompt ended by Ctrl-C (the terminal library raises SIGINT for it): the handler in
/// `ctrl_c` ends the process, so wait for it rather than carry on to the next question.
fn on_error(e: dialoguer::Error) {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
}

/// One of `items`; `None` when the user aborts (Esc, q).
pub fn pick(question: &str, items: &[String]) -> Option<usize> {
    select(Select::with_theme(&SimpleTheme).with_prompt(question).items(items).default(0))
}

fn select(s: Select<'_>) -> Option<usize> {
    s.interact_opt().unwrap_or_else(|e| {
        on_error(e);
        None
    })
}

/// Merge or backup, defaulting to merge; `None` when the user aborts. `relink`: the models are
/// behind a link to another folder (which is only ever read), not in a real folder.
pub fn strategy(install: &str, relink: bool) -> Option<Strategy> {
    // Each item fits an 80-column terminal: a wrapped item is not redrawn cleanly.
    let items = if relink {
        [
            "merge: copy or hard-link its models into the global folder (it is only read)",
            "backup: only re-point the link; ComfyUI no longer sees the old folder",
        ]
    } else {
        [
            "merge: move every file into the global folder (conflicts go to a backup)",
            "backup: rename models/ to a backup name, then link",
        ]
    };
    select(
        Select::with_theme(&SimpleTheme)
            .with_prompt(format!("{install}: merge (the plan above) or backup?"))
            .items(items)
            .default(0),
    )
    .map(|i| if i == 0 { Strategy::Merge } else { Strategy::Backup })
}

/// Finish or roll back an interrupted run; `None` to stop here.
pub fn resume_or_rollback(run: &str) -> Option<bool> {
    let items = ["finish it (continue where it stopped)", "roll it back (undo what it did)", "stop here"];
    select(Select::with_theme(&SimpleTheme).with_prompt(format!("run {run} was interrupted")).items(items).default(0))
        .and_then(|i| match i {
            0 => Some(true),
            1 => Some(false),
            _ => None,
        })
}
