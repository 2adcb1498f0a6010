//! `comfydoctor undo`: reverse the last (or a chosen) `fix` run from its journal.

use std::path::PathBuf;

use crate::config::UndoSettings;
use crate::error::{Error, Result};
use crate::execute::journal::RunState;
use crate::execute::lock;
use crate::execute::{self, ExecError, ExecOptions};
use crate::exit_codes::ExitCode;
use crate::workspace::{self, JOURNAL_DIR, display_path};

/// Journal folders of the installs under the given PATHs (or the default places), plus a
/// `.comfydoctor` folder given directly.
pub(crate) fn journal_dirs(settings: &UndoSettings) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in &settings.paths {
        if p.file_name().is_some_and(|n| n == JOURNAL_DIR) && p.is_dir() {
            dirs.push(p.clone());
        } else if workspace::is_workspace(p) {
            dirs.push(p.join(JOURNAL_DIR));
        }
    }
    if dirs.is_empty() {
        let found = workspace::discover(&settings.paths, settings.max_depth)?;
        for install in &found.installs {
            let dir = install.journal_dir();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs.retain(|d| d.is_dir());
    Ok(dirs)
}

pub fn run(settings: &UndoSettings) -> Result<ExitCode> {
    let dirs = journal_dirs(settings)?;
    // A listing only reads, and shows a live run as running; an undo waits for it.
    let _locks = if settings.list { Vec::new() } else { super::locking::lock_all(&dirs, settings.wait)? };
    let mut runs = Vec::new();
    for dir in &dirs {
        for run in execute::list_runs(dir)? {
            runs.push((dir.clone(), run));
        }
    }
    runs.sort_by(|a, b| b.1.started_at.cmp(&a.1.started_at));
    if settings.list {
        if runs.is_empty() {
            println!("No runs recorded.");
        }
        for (dir, r) in &runs {
            // An unfinished run whose process still holds the lock is running, not interrupted.
            let state = match lock::holder(dir) {
                Some(pid) if r.state == RunState::Interrupted => format!("running (pid {pid})"),
                _ => r.state.to_string(),
            };
            println!(
                "{}  {}  {:<15}  {}/{} action(s)  {}",
                r.run_id,
                r.started_at,
                state,
                r.actions_done,
                r.actions_planned,
                r.installs.iter().map(|p| display_path(p)).collect::<Vec<_>>().join(", ")
            );
        }
        return Ok(ExitCode::Healthy);
    }
    let chosen = match &settings.run {
        Some(id) => runs.iter().find(|(_, r)| &r.run_id == id),
        None => runs.iter().find(|(_, r)| r.state.undoable()),
    };
    let Some((dir, run)) = chosen else {
        return Err(match &settings.run {
            Some(id) => Error::Usage(format!("no run `{id}` found; `comfydoctor undo --list` shows the runs")),
            None => Error::Usage("nothing to undo: no run of `comfydoctor fix` is recorded here".into()),
        });
    };
    let mut opts = ExecOptions::new(dir).with_reporter(crate::progress::bars(true));
    opts.lock_wait = settings.wait;
    let preview = execute::preview_undo(Some(&run.run_id), dir, settings.with_newer)?;
    if !preview.dependents.is_empty() && !settings.with_newer {
        // The executor refuses too (under the lock); said here before anything else.
        return Err(ExecError::NewerRunsDepend { id: run.run_id.clone(), dependents: preview.dependents }.into());
    }
    if !preview.left_behind.is_empty() {
        eprintln!(
            "note: the undo of run {} leaves behind these entries, added since inside folders it made; those folders stay too, and the undo stops at the first of them (move these out first to undo it completely):",
            run.run_id
        );
        for p in &preview.left_behind {
            eprintln!("  {}", display_path(p));
        }
    }
    let reports = if settings.with_newer {
        execute::undo_with_newer(Some(&run.run_id), &opts)?
    } else {
        vec![execute::undo(Some(&run.run_id), &opts)?]
    };
    for report in &reports {
        for note in &report.notes {
            eprintln!("note: {note}");
        }
        if let Some((_, stop)) = &report.stopped {
            eprintln!(
                "comfydoctor: undo of run {} stopped at {}: {}. Fix that, then run `comfydoctor undo --run {}` again",
                report.run_id,
                stop.path.display(),
                stop.message,
                report.run_id
            );
            return Ok(ExitCode::Failure);
        }
        println!("Undid run {} ({} action(s) reversed).", report.run_id, report.undone);
    }
    Ok(ExitCode::Healthy)
}
