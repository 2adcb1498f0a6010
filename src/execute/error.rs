//! The errors that end a whole run, in a file of their own so the step code can carry them
//! (see `step::Fail`) without importing the orchestration that reports them.

use std::path::PathBuf;

use super::depends::Dependent;
use super::journal::RunState;

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
    #[error("no run `{id}` in {}; `comfydoctor undo --list` shows the runs", dir.display())]
    NoSuchRun { id: String, dir: PathBuf },
    #[error("nothing to undo in {}", dir.display())]
    NothingToUndo { dir: PathBuf },
    #[error("run {id} was already undone")]
    AlreadyUndone { id: String },
    #[error("run {id} is {state} and cannot be resumed; run `comfydoctor undo` to finish undoing it")]
    NotResumable { id: String, state: RunState },
    /// Newer runs still in effect rely on what run `id` made (newest first); nothing was done.
    #[error("{}", newer_message(id, dependents))]
    NewerRunsDepend { id: String, dependents: Vec<Dependent> },
    /// A `backups --prune` run: its deletions are not undoable.
    #[error(
        "run {id} deleted backup files proved identical to the global folder's; deletions are not undoable (the bytes are in the global folder). `comfydoctor undo --list` shows the other runs"
    )]
    NotUndoable { id: String },
    /// The run is the first half of a `comfydoctor guard` (see `InstallPlan::guard`).
    #[error(
        "run {id} stood the models link aside for an update (comfydoctor guard); the update cannot be undone, so neither can this run nor the runs before it; nothing was done. The run after it (or `comfydoctor fix`) links the checkout again"
    )]
    GuardRun { id: String },
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

/// Names the newer runs and why, and the commands that undo them and run `id` in order.
fn newer_message(id: &str, dependents: &[Dependent]) -> String {
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
        s.push_str(&format!("\n  comfydoctor undo --run {}", d.run_id));
    }
    s.push_str(&format!("\n  comfydoctor undo --run {id}\nor all at once: comfydoctor undo --run {id} --with-newer"));
    s
}
