//! `comfydoctor undo`: reverse the last (or a chosen) `fix` run from its journal.

use std::path::PathBuf;

use crate::cli::UndoArgs;
use crate::commands::fix::journal_dir;
use crate::error::{Error, Result};
use crate::execute::{self, ExecOptions};
use crate::exit_codes;
use crate::platform;
use crate::workspace::{self, display_path};

/// Journal folders of the installs under the given PATHs (or the default places), plus a
/// `.comfydoctor` folder given directly.
fn journal_dirs(args: &UndoArgs) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = args.paths.iter().map(|p| platform::normalize(p)).collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in &paths {
        if p.file_name().is_some_and(|n| n == ".comfydoctor") && p.is_dir() {
            dirs.push(p.clone());
        } else if workspace::is_workspace(p) {
            dirs.push(p.join(".comfydoctor"));
        }
    }
    if dirs.is_empty() {
        let found = workspace::discover(&paths, args.max_depth)?;
        for install in &found.installs {
            let dir = journal_dir(install);
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs.retain(|d| d.is_dir());
    Ok(dirs)
}

pub fn run(args: &UndoArgs) -> Result<i32> {
    let dirs = journal_dirs(args)?;
    let mut runs = Vec::new();
    for dir in &dirs {
        for run in execute::list_runs(dir)? {
            runs.push((dir.clone(), run));
        }
    }
    runs.sort_by(|a, b| b.1.started_at.cmp(&a.1.started_at));
    if args.list {
        if runs.is_empty() {
            println!("No runs recorded.");
        }
        for (_, r) in &runs {
            println!(
                "{}  {}  {:<15}  {}/{} action(s)  {}",
                r.run_id,
                r.started_at,
                r.state.to_string(),
                r.actions_done,
                r.actions_planned,
                r.installs.iter().map(|p| display_path(p)).collect::<Vec<_>>().join(", ")
            );
        }
        return Ok(exit_codes::HEALTHY);
    }
    let chosen = match &args.run {
        Some(id) => runs.iter().find(|(_, r)| &r.run_id == id),
        None => runs.iter().find(|(_, r)| r.state != crate::execute::journal::RunState::Undone),
    };
    let Some((dir, run)) = chosen else {
        return Err(match &args.run {
            Some(id) => Error::Usage(format!("no run `{id}` found; `comfydoctor undo --list` shows the runs")),
            None => Error::Usage("nothing to undo: no run of `comfydoctor fix` is recorded here".into()),
        });
    };
    let report = execute::undo(Some(&run.run_id), &ExecOptions::new(dir).with_reporter(crate::progress::bars(true)))?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    if let Some((_, stop)) = &report.stopped {
        eprintln!(
            "comfydoctor: undo of run {} stopped at {}: {}. Fix that, then run `comfydoctor undo` again",
            report.run_id,
            stop.path.display(),
            stop.message
        );
        return Ok(exit_codes::USAGE_OR_FAILURE);
    }
    println!("Undid run {} ({} action(s) reversed).", report.run_id, report.undone);
    Ok(exit_codes::HEALTHY)
}
