//! The errors that end a whole run, in a file of their own so the step code can carry them
//! (see `step::Fail`) without importing the orchestration that reports them.

use std::path::{Path, PathBuf};

use super::depends::Dependent;
use super::journal::RunState;
use crate::wording::shell_word;

/// Errors that end a whole run (not a single install's plan, which stops with a `Stop`).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(
        "another comfydoctor run{} is changing these installs (lock {}); wait for it to finish and run the command again, or wait longer with `--wait SECONDS`",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        lock.display()
    )]
    Locked { lock: PathBuf, pid: Option<u32> },
    /// The lock was taken only after waiting for another run, so the plan may be stale; nothing
    /// was done. The command plans again.
    #[error("another comfydoctor run changed these installs while this one was planning; nothing was done, plan again")]
    PlanStale,
    #[error("{}: cannot write the journal: {source}; stopped so every change stays undoable", path.display())]
    Journal {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot read the journal: {source}", path.display())]
    JournalRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the journal does not match its plan ({what}); it was edited or is damaged", path.display())]
    JournalCorrupt { path: PathBuf, what: String },
    #[error("no run `{id}` in {}; `{}` shows the runs", dir.display(), undo_command(dir, &["--list"]))]
    NoSuchRun { id: String, dir: PathBuf },
    #[error("nothing to undo in {}", dir.display())]
    NothingToUndo { dir: PathBuf },
    #[error("run {id} was already undone")]
    AlreadyUndone { id: String },
    #[error("run {id} is {state} and cannot be resumed{}", match state {
        RunState::UndoIncomplete => format!("; `{}` finishes undoing it", undo_command(dir, &["--run", id])),
        _ => String::new(),
    })]
    NotResumable { id: String, state: RunState, dir: PathBuf },
    /// Newer runs still in effect rely on what run `id` made (newest first); nothing was done.
    /// `dir`: the journal folder, for the commands the message suggests.
    #[error("{}", newer_message(id, dependents, &|extra| undo_command(dir, extra)))]
    NewerRunsDepend { id: String, dependents: Vec<Dependent>, dir: PathBuf },
    /// A `backups --prune` run: its deletions are not undoable.
    #[error(
        "run {id} deleted backup files proved identical to the global folder's; deletions are not undoable (the bytes are in the global folder). `{}` shows the other runs",
        undo_command(dir, &["--list"])
    )]
    NotUndoable { id: String, dir: PathBuf },
    /// The run is the first half of a `comfydoctor guard` (see `InstallPlan::guard`).
    #[error(
        "run {id} stood the models link aside for an update (comfydoctor guard); the update cannot be undone, so neither can this run nor the runs before it; nothing was done. The run after it (or `{}`) links the checkout again",
        command("fix", dir, &[])
    )]
    GuardRun { id: String, dir: PathBuf },
    #[error("simulated crash ({0}, test failpoint)")]
    Failpoint(String),
}

impl ExecError {
    pub fn kind(&self) -> crate::exit_codes::ErrorKind {
        use crate::exit_codes::ErrorKind;
        match self {
            ExecError::NoSuchRun { .. }
            | ExecError::NothingToUndo { .. }
            | ExecError::AlreadyUndone { .. }
            | ExecError::NotResumable { .. }
            | ExecError::NewerRunsDepend { .. }
            | ExecError::GuardRun { .. }
            | ExecError::NotUndoable { .. } => ErrorKind::Usage,
            ExecError::Locked { .. }
            | ExecError::Journal { .. }
            | ExecError::JournalRead { .. }
            | ExecError::JournalCorrupt { .. }
            | ExecError::Failpoint(_)
            | ExecError::PlanStale => ErrorKind::Failure,
        }
    }
}

/// `comfydoctor <sub> <extra…> <owner>` for the workspace (or install) whose journal folder
/// `dir` is, shell-quoted, so it runs as printed from anywhere.
fn command(sub: &str, dir: &Path, extra: &[&str]) -> String {
    let owner = dir.parent().unwrap_or(dir);
    let mut words = vec!["comfydoctor".to_string(), sub.to_string()];
    words.extend(extra.iter().map(|w| shell_word(w)));
    words.push(shell_word(&owner.to_string_lossy()));
    words.join(" ")
}

fn undo_command(dir: &Path, extra: &[&str]) -> String {
    command("undo", dir, extra)
}

/// Names the newer runs and why, and the commands that undo them and run `id` in order, each
/// from `undo(extra flags)` (the command layer renders them with the PATH and flags typed).
/// When one of them is a `backups --prune` run, no command can: it says so and why.
pub fn newer_message(id: &str, dependents: &[Dependent], undo: &dyn Fn(&[&str]) -> String) -> String {
    let pruned: Vec<&Dependent> = dependents.iter().filter(|d| d.deletes).collect();
    if !pruned.is_empty() {
        let mut s = format!(
            "run {id} cannot be undone any more: {} deleted backup files its undo would need, and deletions are not undoable:",
            if pruned.len() == 1 {
                "a newer `backups --prune` run".to_string()
            } else {
                format!("{} newer `backups --prune` runs", pruned.len())
            }
        );
        for d in &pruned {
            s.push_str(&format!(
                "\n  run {}: deleted {}, and undoing run {id} would have to {}{}",
                d.run_id,
                d.path.display(),
                d.undo,
                if d.made == d.path { String::new() } else { format!(" at {}", d.made.display()) }
            ));
        }
        s.push_str(&format!(
            "\nNothing was changed. The prune deleted only files proved identical to a file of the global folder, so their bytes are there, and what run {id} moved into the global folder stays in use."
        ));
        return s;
    }
    let mut s = format!(
        "run {id} cannot be undone on its own: {} on what it made, and undoing it first would take that from under them:",
        if dependents.len() == 1 {
            "1 newer run relies".to_string()
        } else {
            format!("{} newer runs rely", dependents.len())
        }
    );
    for d in dependents {
        let through = if d.path == d.made { String::new() } else { format!(" (through {})", d.path.display()) };
        s.push_str(&format!(
            "\n  run {}: relies on {}{through}, and undoing run {id} would {}",
            d.run_id,
            d.made.display(),
            d.undo
        ));
    }
    s.push_str("\nNothing was changed. Undo them first, newest first:");
    for d in dependents {
        s.push_str(&format!("\n  `{}`", undo(&["--run", &d.run_id])));
    }
    s.push_str(&format!("\n  `{}`\nor all at once: `{}`", undo(&["--run", id]), undo(&["--run", id, "--with-newer"])));
    s
}
