//! `comfydoctor undo`: reverse the last (or a chosen) `fix` run from its journal, like `fix`:
//! it shows what it will reverse (as shell steps, newest first), asks (or takes `--yes`),
//! `--dry-run` changes nothing, and without a terminal and `--yes` it changes nothing and exits 1.
//! It is scoped to the PATHs given (default: the places `scan` looks); several journals there →
//! a terminal picks one, a script is asked for a PATH.

use std::path::{Path, PathBuf};

use crate::config::{Consent, UndoSettings};
use crate::error::{Error, Result};
use crate::execute::journal::{self, JournalRun, RunState, RunSummary};
use crate::execute::lock;
use crate::execute::{self, ExecError, ExecOptions};
use crate::exit_codes::ExitCode;
use crate::output;
use crate::plan::{Action, describe, quote};
use crate::progress;
use crate::prompt;
use crate::report::Invocation;
use crate::report::ReportFormat;
use crate::wording;
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

/// Where the runs were looked for, for "nothing to undo" messages.
fn looked(dirs: &[PathBuf], settings: &UndoSettings) -> String {
    match dirs {
        [] if settings.paths.is_empty() => "here".into(),
        [] => format!("under {}", settings.paths.iter().map(|p| display_path(p)).collect::<Vec<_>>().join(", ")),
        [one] => format!("in {}", display_path(one.parent().unwrap_or(one))),
        many => format!("in {} workspaces", many.len()),
    }
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
    let json = settings.format == ReportFormat::Json;
    if settings.list {
        if json {
            print!("{}", output::to_json(&list_doc(&runs)));
        } else {
            print!("{}", list_table(&runs, settings.format == ReportFormat::Markdown));
        }
        return Ok(ExitCode::Healthy);
    }
    let chosen = match &settings.run {
        Some(id) => match runs.iter().find(|(_, r)| &r.run_id == id) {
            Some(found) => found.clone(),
            None => {
                return Err(Error::Usage(format!(
                    "no run `{id}` found {}; `{}` shows the runs",
                    looked(&dirs, settings),
                    settings.invocation.undo(&["--list"])
                )));
            }
        },
        None => match choose_newest(&runs, &dirs, settings)? {
            Choice::One(found) => found,
            Choice::Nothing(why) => return Err(Error::Usage(format!("nothing to undo: {why}"))),
            Choice::Stop(code) => return Ok(code),
        },
    };
    let (dir, run) = (&chosen.0, &chosen.1);
    if run.deletes {
        // The executor refuses too; said before any step is shown as if it could be reversed.
        return Err(ExecError::NotUndoable { id: run.run_id.clone(), dir: dir.clone() }.into());
    }
    let preview = execute::preview_undo(Some(&run.run_id), dir, settings.with_newer)?;
    let here = Invocation { paths: vec![dir.parent().unwrap_or(dir).to_path_buf()], ..Invocation::default() };
    // A prune among them cannot be undone, `--with-newer` or not.
    let pruned = preview.dependents.iter().any(|d| d.deletes);
    if !preview.dependents.is_empty() && (!settings.with_newer || pruned) {
        // The executor refuses too (under the lock); said here before anything else, with
        // commands that run as printed (`--yes` when this undo needed it).
        let undo = |extra: &[&str]| {
            let yes: &[&str] = if settings.consent == Consent::Ask { &[] } else { &["--yes"] };
            here.undo(&[extra, yes].concat())
        };
        return Err(Error::Usage(execute::newer_message(&run.run_id, &preview.dependents, &undo)));
    }
    let mut chain: Vec<String> = preview.dependents.iter().map(|d| d.run_id.clone()).collect();
    chain.push(run.run_id.clone());
    let lines = reverse_lines(dir, &chain)?;
    let mut doc = output::UndoDoc {
        schema: output::SCHEMA_VERSION,
        command: "undo".into(),
        dry_run: settings.dry_run,
        run_id: run.run_id.clone(),
        started_at: run.started_at.clone(),
        workspace: dir.parent().unwrap_or(dir).display().to_string(),
        steps: lines.clone(),
        undone: Vec::new(),
        stopped: None,
        left_behind: preview.left_behind.iter().map(|p| p.display().to_string()).collect(),
    };
    let print_doc = |doc: &output::UndoDoc| print!("{}", output::to_json(doc));
    if !json {
        println!(
            "Undo of run {} (started {}) in {} reverses {}, newest first:",
            run.run_id,
            run.started_at,
            display_path(dir.parent().unwrap_or(dir)),
            wording::count(lines.len(), "step", "steps")
        );
        for (i, line) in lines.iter().enumerate() {
            println!("  {:>3}. {line}", i + 1);
        }
        println!();
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
    let mut flags: Vec<&str> = vec!["--run", &run.run_id];
    if settings.with_newer {
        flags.push("--with-newer");
    }
    if settings.dry_run {
        if json {
            print_doc(&doc);
        } else {
            println!("Dry run: nothing changed. To undo it: `{}`", here.undo(&flags));
        }
        return Ok(ExitCode::Healthy);
    }
    let go = match settings.consent {
        Consent::Yes => true,
        Consent::Ask => prompt::confirm(&format!("Undo these {}?", wording::count(lines.len(), "step", "steps"))),
        Consent::No => {
            flags.insert(0, "--yes");
            eprintln!(
                "comfydoctor: not undone: an undo needs a confirmation and there is no terminal to ask on. To undo it: `{}`",
                here.undo(&flags)
            );
            return Ok(ExitCode::Findings);
        }
    };
    if !go {
        println!("Nothing undone.");
        return Ok(ExitCode::Findings);
    }
    crate::ctrl_c::install(vec![dir.clone()], here.clone());
    let mut opts =
        ExecOptions::new(dir).with_reporter(progress::reporter(progress::Display::detect(false), lines.len()));
    opts.lock_wait = settings.wait;
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
                "comfydoctor: undo of run {} stopped at {}: {}. Fix that, then run `{}` again",
                report.run_id,
                stop.path.display(),
                stop.message,
                here.undo(&["--run", &report.run_id])
            );
            if json {
                doc.stopped = Some(format!("{}: {}", stop.path.display(), stop.message));
                print_doc(&doc);
            }
            return Ok(ExitCode::Failure);
        }
        doc.undone.push(output::UndoneDoc { run_id: report.run_id.clone(), actions: report.undone });
        if json {
            continue;
        }
        println!("Undid run {} ({} reversed).", report.run_id, wording::count(report.undone, "action", "actions"));
    }
    if json {
        print_doc(&doc);
    }
    Ok(ExitCode::Healthy)
}

enum Choice {
    One((PathBuf, RunSummary)),
    Nothing(String),
    Stop(ExitCode),
}

/// The newest run not yet undone. Runs in several journal folders: a terminal picks one, a
/// script is told to pass a PATH (exit 2).
fn choose_newest(runs: &[(PathBuf, RunSummary)], dirs: &[PathBuf], settings: &UndoSettings) -> Result<Choice> {
    let mut newest: Vec<&(PathBuf, RunSummary)> = Vec::new();
    // A prune run (`backups --prune`) deletes for good: never the one plain `undo` picks.
    for entry in runs.iter().filter(|(_, r)| r.state.undoable() && !r.deletes) {
        if !newest.iter().any(|n| n.0 == entry.0) {
            newest.push(entry);
        }
    }
    match newest.as_slice() {
        [] if runs.is_empty() => {
            return Ok(Choice::Nothing(format!("no run of `comfydoctor fix` is recorded {}", looked(dirs, settings))));
        }
        [] => {
            let n = runs.len();
            let all = if n == 1 { "the one run".to_string() } else { format!("all {n} runs") };
            return Ok(Choice::Nothing(format!(
                "{all} recorded {} {} already undone (or rolled back); `{}` lists them",
                looked(dirs, settings),
                if n == 1 { "is" } else { "are" },
                settings.invocation.undo(&["--list"])
            )));
        }
        [one] => return Ok(Choice::One((*one).clone())),
        _ => {}
    }
    let items: Vec<String> = newest
        .iter()
        .map(|(d, r)| {
            format!("{}: run {} ({}, {})", display_path(d.parent().unwrap_or(d)), r.run_id, r.started_at, r.state)
        })
        .collect();
    if settings.consent == Consent::Ask
        && let Some(i) = prompt::pick("Runs to undo were found in several places; which one?", &items)
    {
        return Ok(Choice::One(newest[i].clone()));
    }
    if settings.consent == Consent::Ask {
        println!("Nothing undone.");
        return Ok(Choice::Stop(ExitCode::Findings));
    }
    let mut msg = String::from("runs to undo were found in several places; pass the one to undo as PATH:");
    // The flags the script gave come along, so each line runs as it meant.
    let flags: Vec<&str> = [(settings.consent == Consent::Yes, "--yes"), (settings.dry_run, "--dry-run")]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect();
    for (d, _) in &newest {
        let ws = Invocation { paths: vec![d.parent().unwrap_or(d).to_path_buf()], ..Invocation::default() };
        msg.push_str(&format!("\n  {}", ws.undo(&flags)));
    }
    Err(Error::Usage(msg))
}

/// `undo --list --format json`.
fn list_doc(runs: &[(PathBuf, RunSummary)]) -> output::RunListDoc {
    let runs = runs
        .iter()
        .map(|(dir, r)| output::RunDoc {
            run_id: r.run_id.clone(),
            journal: r.journal.display().to_string(),
            started_at: r.started_at.clone(),
            state: r.state.to_string(),
            running_pid: lock::holder(dir).filter(|_| r.state == RunState::Interrupted),
            installs: r.installs.iter().map(|p| p.display().to_string()).collect(),
            actions_done: r.actions_done,
            actions_planned: r.actions_planned,
            deletes: r.deletes,
        })
        .collect();
    output::RunListDoc { schema: output::SCHEMA_VERSION, command: "undo --list".into(), runs }
}

/// `undo --list`: one row per run, newest first, laid out as `scan`'s table is (to the
/// terminal's width, or as Markdown); the installs column is the one that wraps.
fn list_table(runs: &[(PathBuf, RunSummary)], markdown: bool) -> String {
    use crate::render::{Column, markdown_table, terminal_table};
    if runs.is_empty() {
        return "No runs recorded.\n".into();
    }
    let columns = [
        Column { header: "Run", wraps: false },
        Column { header: "Started", wraps: false },
        Column { header: "State", wraps: false },
        Column { header: "Actions", wraps: false },
        Column { header: "Installs", wraps: true },
    ];
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|(dir, r)| {
            // An unfinished run whose process still holds the lock is running, not interrupted.
            let state = match lock::holder(dir) {
                Some(pid) if r.state == RunState::Interrupted => format!("running (pid {pid})"),
                _ => r.state.to_string(),
            };
            let installs = r.installs.iter().map(|p| display_path(p)).collect::<Vec<_>>().join(", ");
            vec![
                r.run_id.clone(),
                r.started_at.clone(),
                state,
                format!("{}/{}", r.actions_done, r.actions_planned),
                installs,
            ]
        })
        .collect();
    if markdown {
        markdown_table(&columns, &rows)
    } else {
        terminal_table(&columns, &rows, crate::term::stdout_width())
    }
}

/// The shell steps that reverse the runs in `chain` (newest run first), each run's steps in
/// effect newest first.
fn reverse_lines(dir: &Path, chain: &[String]) -> Result<Vec<String>> {
    let all = journal::read_all(dir).map_err(|source| ExecError::Journal { path: dir.to_path_buf(), source })?;
    let mut lines = Vec::new();
    for id in chain {
        let Some(run) = all.iter().find(|r| &r.run_id == id) else { continue };
        lines.extend(run_reverse_lines(run));
    }
    Ok(lines)
}

fn run_reverse_lines(run: &JournalRun) -> Vec<String> {
    let folded = run.fold();
    let mut in_effect: Vec<(usize, usize)> = folded.in_effect().collect();
    in_effect.reverse();
    in_effect
        .into_iter()
        .filter_map(|(i, j)| run.plans.get(i).and_then(|p| p.steps.get(j)))
        .map(|s| undo_line(&s.action))
        .collect()
}

/// One action's reversal as a shell line (cmd.exe forms on Windows, as `describe` does).
pub fn undo_line(action: &Action) -> String {
    let q = |p: &Path| quote(p);
    let win = cfg!(windows);
    match action {
        Action::MakeDir { path } => format!("rmdir {}", q(path)),
        Action::Move { from, to } if win => format!("move {} {}", q(to), q(from)),
        Action::Move { from, to } => format!("mv {} {}", q(to), q(from)),
        Action::HardLink { to, .. } if win => format!("del {}  & rem a second name; the file stays", q(to)),
        Action::HardLink { to, .. } => format!("rm {}  # a second name; the file stays", q(to)),
        Action::CopyVerify { to, .. } if win => format!("del {}  & rem the copy; the original stays", q(to)),
        Action::CopyVerify { to, .. } => format!("rm {}  # the copy; the original stays", q(to)),
        Action::RemovePlaceholder { path } if win => format!("type nul > {}", q(path)),
        Action::RemovePlaceholder { path } => format!("touch {}  # 0-byte placeholder", q(path)),
        Action::RemoveEmptyDir { path } => format!("mkdir {}", q(path)),
        Action::CreateLink { link, .. } if win => format!("rmdir {}  & rem the link only", q(link)),
        Action::CreateLink { link, .. } => format!("rm {}  # the link only", q(link)),
        Action::ReplaceLink { link, old_target, .. } if win => {
            format!("rmdir {l} && mklink /J {l} {}", q(old_target), l = q(link))
        }
        Action::ReplaceLink { link, old_target, .. } => format!("ln -sfn {} {}", q(old_target), q(link)),
        other => format!("undo: {}", describe(other)),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn reversals_read_as_the_commands_that_undo_each_step() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(undo_line(&Action::Move { from: p("/a/it's"), to: p("/g/x") }), r"mv '/g/x' '/a/it'\''s'");
        assert_eq!(undo_line(&Action::MakeDir { path: p("/g/d") }), "rmdir '/g/d'");
        assert_eq!(undo_line(&Action::RemoveEmptyDir { path: p("/m/d") }), "mkdir '/m/d'");
        assert_eq!(
            undo_line(&Action::CreateLink { link: p("/c/models"), target: p("/g") }),
            "rm '/c/models'  # the link only"
        );
        assert_eq!(
            undo_line(&Action::ReplaceLink { link: p("/c/models"), old_target: p("../old"), new_target: p("/g") }),
            "ln -sfn '../old' '/c/models'"
        );
        let line = undo_line(&Action::AppendLine { path: p("/r/.git/info/exclude"), line: "/models".into() });
        assert!(line.starts_with("undo: echo '/models' >> "), "{line}");
    }
}
