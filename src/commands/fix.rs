//! `comfydoctor fix`: scan, plan every fix, show it, confirm, execute (journaled), scan again.
//!
//! All installs are planned before anything runs; a [`View`] carries what earlier plans will
//! have changed, so the plan shown is the plan executed. Installs that share a journal folder
//! (one workspace) run as one journaled run, so `undo` reverses the whole `fix`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::FixArgs;
use crate::commands::scan;
use crate::config::Target;
use crate::error::Result;
use crate::execute::journal::RunState;
use crate::execute::{self, ExecOptions};
use crate::exit_codes;
use crate::fixes::{self, Ctx, Strategy, View};
use crate::plan::{InstallPlan, describe};
use crate::prompt;
use crate::report::{self, InstallReport};
use crate::workspace::{Install, display_path};

/// Where an install's journal (and lock) live: `<workspace>/.comfydoctor/`, or beside the
/// ComfyUI folder when there is no workspace.
pub fn journal_dir(install: &Install) -> PathBuf {
    match &install.workspace {
        Some(ws) => ws.join(".comfydoctor"),
        None => install.root.parent().unwrap_or(&install.root).join(".comfydoctor"),
    }
}

/// Checks whose fix moves or replaces user data, so the strategy question applies.
const STRATEGY_CHECKS: &[&str] = &["models-dir-real", "link-wrong-target"];

pub fn run(args: &FixArgs) -> Result<i32> {
    let target = Target::from_args(&args.target)?;
    let interactive = !args.yes && prompt::interactive();
    let quiet = target.quiet;
    let mut scan_result = scan::collect(&target)?;

    // An interrupted run comes first: finishing or rolling it back changes what is on disk.
    let dirs: Vec<PathBuf> = unique(scan_result.installs.iter().map(|i| journal_dir(&i.inspection.install)));
    let mut resumed = false;
    for dir in &dirs {
        match settle_unfinished(dir, args, interactive)? {
            Settled::Nothing => {}
            Settled::Done => resumed = true,
            Settled::Stop(code) => return Ok(code),
        }
    }
    if resumed {
        scan_result = scan::collect(&target)?;
    }

    let stamp = compact_stamp();
    let mut view = View::default();
    let mut groups: BTreeMap<PathBuf, Vec<InstallPlan>> = BTreeMap::new();
    let mut held_back = false;
    let mut refused = false;
    for report in &scan_result.installs {
        if !report.findings.iter().any(|f| f.fix.is_some()) {
            continue;
        }
        let install = &report.inspection.install;
        let dir = journal_dir(install);
        let strategy = match args.strategy {
            Some(s) => s,
            None if interactive
                && !args.dry_run
                && report.findings.iter().any(|f| STRATEGY_CHECKS.contains(&f.check)) =>
            {
                for f in report.findings.iter().filter(|f| STRATEGY_CHECKS.contains(&f.check)) {
                    eprintln!("{}: {}", install.name, f.message);
                }
                let relink = report.findings.iter().any(|f| f.check == "link-wrong-target");
                match prompt::strategy(&install.name, relink) {
                    Some(s) => s,
                    None => {
                        held_back = true;
                        continue;
                    }
                }
            }
            None => Strategy::Merge,
        };
        let snapshot = view.clone();
        let mut ctx = Ctx {
            strategy,
            stamp: &stamp,
            backup_root: install.root.join(format!("models.comfydoctor-backup-{stamp}")),
            journal_dir: dir.clone(),
            view: &mut view,
        };
        let plan = match fixes::plan_install(&report.inspection, &report.findings, &mut ctx) {
            Ok(plan) => plan,
            Err(fixes::Refusal(why)) => {
                eprintln!("comfydoctor: {}: not fixed: {why}", install.name);
                refused = true;
                continue;
            }
        };
        // A question is never asked about steps the user has not seen, even with --quiet.
        // Interactive runs confirm every install; otherwise only what touches user data waits.
        let will_ask = interactive && !args.dry_run && !plan.steps.is_empty();
        if !quiet || args.dry_run || will_ask {
            print_plan(report, &plan);
        }
        if plan.steps.is_empty() {
            continue;
        }
        if (plan.needs_confirmation || will_ask) && !args.yes && !args.dry_run {
            let approved = interactive
                && prompt::confirm(&format!("Apply these {} step(s) to {}?", plan.steps.len(), install.name));
            if !approved {
                if !interactive {
                    eprintln!(
                        "comfydoctor: {}: {} step(s) move or back up user data and need a confirmation; nothing applied. Run `comfydoctor fix --yes` to apply them",
                        install.name,
                        plan.steps.len()
                    );
                }
                view = snapshot;
                held_back = true;
                continue;
            }
        }
        groups.entry(dir).or_default().push(plan);
    }

    if args.dry_run {
        let planned: usize = groups.values().flatten().map(|p| p.steps.len()).sum();
        println!("Dry run: {planned} step(s) planned, nothing changed.");
        return Ok(if refused {
            exit_codes::USAGE_OR_FAILURE
        } else if planned > 0 {
            exit_codes::FINDINGS
        } else {
            scan_result.exit_code()
        });
    }

    let mut failed = false;
    for (dir, plans) in &groups {
        let mut opts = ExecOptions::new(dir).with_reporter(crate::progress::bars(!quiet));
        opts.progress = !quiet;
        let report = execute::execute(plans, &opts)?;
        for (plan, outcome) in plans.iter().zip(&report.installs) {
            if quiet {
                for step in plan.steps.iter().take(outcome.applied) {
                    println!("{}", describe(&step.action));
                }
            }
        }
        if !report.succeeded() {
            failed = true;
            print_stops(&report);
        } else if let (Some(id), false) = (&report.run_id, quiet) {
            println!("Applied as run {id}; `comfydoctor undo` reverses it.\n");
        }
    }

    let after = scan::collect(&target)?;
    let table = report::table(&after, quiet);
    if !table.is_empty() {
        print!("{table}");
    }
    Ok(if failed || refused {
        exit_codes::USAGE_OR_FAILURE
    } else if held_back {
        exit_codes::FINDINGS
    } else {
        after.exit_code()
    })
}

/// What became of an unfinished run found before planning.
enum Settled {
    Nothing,
    Done,
    Stop(i32),
}

/// An interrupted run (or undo) in `dir` is dealt with before anything else: finished (the
/// default, and what `--yes` does) or rolled back; without a terminal and `--yes`, only advice.
fn settle_unfinished(dir: &std::path::Path, args: &FixArgs, interactive: bool) -> Result<Settled> {
    let Some(run) = execute::find_unfinished(dir)? else {
        return Ok(Settled::Nothing);
    };
    let where_ = display_path(dir);
    let opts = ExecOptions::new(dir).with_reporter(crate::progress::bars(true));
    if run.state() == RunState::UndoIncomplete {
        // Half undone: the only way forward is to finish the undo.
        let go = !args.dry_run
            && (args.yes
                || (interactive && prompt::confirm(&format!("Finish undoing run {} in {where_}?", run.run_id))));
        if !go {
            eprintln!(
                "comfydoctor: the undo of run {} in {where_} was interrupted; run `comfydoctor undo` to finish it",
                run.run_id
            );
            return Ok(Settled::Stop(exit_codes::FINDINGS));
        }
        let report = execute::undo(Some(&run.run_id), &opts)?;
        if let Some((_, stop)) = report.stopped {
            eprintln!("comfydoctor: undo stopped at {}: {}", stop.path.display(), stop.message);
            return Ok(Settled::Stop(exit_codes::USAGE_OR_FAILURE));
        }
        eprintln!("comfydoctor: finished undoing run {}", run.run_id);
        return Ok(Settled::Done);
    }
    let finish = if args.dry_run {
        eprintln!(
            "comfydoctor: run {} in {where_} was interrupted; `comfydoctor fix` will offer to finish or roll it back",
            run.run_id
        );
        None
    } else if args.yes {
        Some(true)
    } else if interactive {
        eprintln!("comfydoctor: run {} in {where_} was interrupted.", run.run_id);
        prompt::resume_or_rollback(&run.run_id)
    } else {
        eprintln!(
            "comfydoctor: run {} in {where_} was interrupted; run `comfydoctor fix --yes` to finish it, or `comfydoctor undo` to roll it back",
            run.run_id
        );
        None
    };
    match finish {
        Some(true) => {
            let report = execute::resume(&run, &opts)?;
            if !report.succeeded() {
                print_stops(&report);
                return Ok(Settled::Stop(exit_codes::USAGE_OR_FAILURE));
            }
            eprintln!("comfydoctor: finished interrupted run {}", run.run_id);
        }
        Some(false) => {
            let report = execute::rollback(&run, &opts)?;
            eprintln!("comfydoctor: rolled back interrupted run {} ({} action(s))", run.run_id, report.undone);
            if let Some((_, stop)) = report.stopped {
                eprintln!("comfydoctor: rollback stopped at {}: {}", stop.path.display(), stop.message);
                return Ok(Settled::Stop(exit_codes::USAGE_OR_FAILURE));
            }
        }
        None => return Ok(Settled::Stop(exit_codes::FINDINGS)),
    }
    Ok(Settled::Done)
}

fn print_plan(report: &InstallReport, plan: &InstallPlan) {
    let install = &report.inspection.install;
    println!("{} ({}):", install.name, display_path(&install.root));
    for (i, step) in plan.steps.iter().enumerate() {
        println!("  {:>3}. {}", i + 1, describe(&step.action));
    }
    for note in &plan.notes {
        println!("       note: {note}");
    }
    if plan.steps.is_empty() && plan.notes.is_empty() {
        println!("       nothing to do");
    }
    println!();
}

fn print_stops(report: &execute::RunReport) {
    for o in &report.installs {
        if let Some(stop) = &o.stopped {
            eprintln!(
                "comfydoctor: {}: stopped at step {} ({}): {}. Steps before it are applied and journaled; `comfydoctor undo` reverses them",
                display_path(&o.install),
                stop.step + 1,
                stop.path.display(),
                stop.message
            );
        }
    }
}

fn unique(items: impl Iterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// `20261124T150102Z`: sorts as text, safe in file names everywhere.
fn compact_stamp() -> String {
    crate::execute::journal::utc_now().chars().filter(|c| c.is_ascii_alphanumeric()).take(15).collect::<String>() + "Z"
}
