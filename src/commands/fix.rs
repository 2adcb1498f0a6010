//! `comfydoctor fix`: scan, plan every fix, show it, confirm, execute (journaled), scan again.
//!
//! All installs are planned before anything runs; a [`View`] carries what earlier plans will
//! have changed, so the plan shown is the plan executed. Installs that share a journal folder
//! (one workspace) run as one journaled run, so `undo` reverses the whole `fix`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checks::CheckId;
use crate::commands::locking;
use crate::config::{Consent, FixSettings};
use crate::error::{Error, Result};
use crate::execute::journal::RunState;
use crate::execute::{self, ExecError, ExecOptions};
use crate::exit_codes::ExitCode;
use crate::fixes::{self, Ctx, Strategy, View};
use crate::pipeline;
use crate::plan::{InstallPlan, describe};
use crate::prompt;
use crate::report::{self, InstallReport, Scan};
use crate::workspace::{self, display_path};

pub fn run(settings: &FixSettings) -> Result<ExitCode> {
    // A run that had to wait for a first-ever lock plans again (see `ExecError::PlanStale`);
    // after one such wait the journal folder exists and is locked before inspecting.
    for _ in 0..3 {
        match run_locked(settings) {
            Err(Error::Exec(ExecError::PlanStale)) => {
                eprintln!("comfydoctor: another comfydoctor run changed these installs meanwhile; planning again");
            }
            other => return other,
        }
    }
    run_locked(settings)
}

fn run_locked(settings: &FixSettings) -> Result<ExitCode> {
    let target = &settings.target;
    let found = workspace::discover(&target.paths, target.max_depth)?;
    let dirs: Vec<PathBuf> = unique(found.installs.iter().map(|i| i.journal_dir()));
    // Before anything is inspected: what is planned is then what is executed.
    let _locks = locking::lock_all(&dirs, settings.wait)?;
    let mut scan = pipeline::collect_found(target, found)?;

    // An interrupted run comes first: finishing or rolling it back changes what is on disk.
    let mut resumed = false;
    for dir in &dirs {
        match settle_unfinished(dir, settings)? {
            Settled::Nothing => {}
            Settled::Done => resumed = true,
            Settled::Stop(code) => return Ok(code),
        }
    }
    if resumed {
        scan = pipeline::collect(target)?;
    }

    let planned = plan_all(&scan, settings);
    if settings.dry_run {
        let steps: usize = planned.groups.values().flatten().map(|p| p.steps.len()).sum();
        println!("Dry run: {steps} step(s) planned, nothing changed.");
        return Ok(if planned.refused {
            ExitCode::Failure
        } else if steps > 0 {
            ExitCode::Findings
        } else {
            scan.exit_code()
        });
    }

    let failed = execute_all(&planned.groups, settings)?;
    // Nothing ran: the scan made before planning is still the state (the launch-script hook on
    // a healthy install inspects once).
    let after = if planned.groups.is_empty() { scan } else { pipeline::collect_report(target)? };
    let table = report::table(&after, target.quiet);
    if !table.is_empty() {
        print!("{table}");
    }
    Ok(if failed || planned.refused {
        ExitCode::Failure
    } else if planned.held_back {
        ExitCode::Findings
    } else {
        after.exit_code()
    })
}

/// The approved plans of one `fix`, grouped by journal folder (one journaled run each).
struct Planned {
    groups: BTreeMap<PathBuf, Vec<InstallPlan>>,
    /// An install was declined, or needs `--yes`.
    held_back: bool,
    /// An install cannot be fixed as it is (the reason is printed).
    refused: bool,
}

/// Plans every install in turn, printing each plan and asking where the settings say so. A
/// [`View`] carries what earlier plans will have changed, so the plan shown is the plan executed.
fn plan_all(scan: &Scan, settings: &FixSettings) -> Planned {
    let stamp = compact_stamp();
    let mut view = View::default();
    let mut planned = Planned { groups: BTreeMap::new(), held_back: false, refused: false };
    for report in plan_order(scan) {
        if !report.findings.iter().any(|f| f.fix.is_some()) {
            continue;
        }
        let install = &report.inspection.install;
        let Some(strategy) = choose_strategy(report, settings) else {
            planned.held_back = true;
            continue;
        };
        let snapshot = view.clone();
        let mut ctx = Ctx {
            strategy,
            stamp: &stamp,
            backup_root: install.root.join(format!("models.comfydoctor-backup-{stamp}")),
            journal_dir: install.journal_dir(),
            view: &mut view,
            git_protection: settings.git_protection,
        };
        let plan = match fixes::plan_install(&report.inspection, &report.findings, &mut ctx) {
            Ok(plan) => plan,
            Err(fixes::Refusal(why)) => {
                eprintln!("comfydoctor: {}: not fixed: {why}", install.name);
                planned.refused = true;
                continue;
            }
        };
        // A question is never asked about steps the user has not seen, even with --quiet.
        let will_ask = settings.asks() && !plan.steps.is_empty();
        if !settings.target.quiet || settings.dry_run || will_ask {
            print_plan(report, &plan);
        }
        if plan.steps.is_empty() {
            continue;
        }
        if !approve(&install.name, &plan, settings) {
            view = snapshot;
            planned.held_back = true;
            continue;
        }
        planned.groups.entry(install.journal_dir()).or_default().push(plan);
    }
    planned
}

/// The order installs are planned in: one whose `models/` a link of the global folder points
/// into goes before the installs that will merge into that link's place. Its plan resolves the
/// link (the global folder gets a real folder there), so theirs merge into a real folder, never
/// through a link into another install. Otherwise (and in a cycle) the order found.
fn plan_order(scan: &Scan) -> Vec<&InstallReport> {
    let mut left: Vec<&InstallReport> = scan.installs.iter().collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = (0..left.len())
            .find(|&i| {
                !left
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && fixes::merges_through(&left[i].inspection, &other.inspection))
            })
            .unwrap_or(0);
        order.push(left.remove(ready));
    }
    order
}

/// The strategy for one install: the flag's, else asked where user data is in the way (on a
/// terminal), else merge. `None` when the user aborts the question.
fn choose_strategy(report: &InstallReport, settings: &FixSettings) -> Option<Strategy> {
    if let Some(s) = settings.strategy {
        return Some(s);
    }
    let in_the_way: Vec<_> = report.findings.iter().filter(|f| fixes::asks_strategy(f)).collect();
    if !settings.asks() || in_the_way.is_empty() {
        return Some(Strategy::Merge);
    }
    let install = &report.inspection.install;
    for f in &in_the_way {
        eprintln!("{}: {}", install.name, f.message);
    }
    let relink = in_the_way.iter().any(|f| f.check == CheckId::LinkWrongTarget);
    prompt::strategy(&install.name, relink)
}

/// Whether a shown plan may run: a dry run and `--yes` approve; a terminal asks for every
/// install; without one, only plans that touch no user data go ahead.
fn approve(name: &str, plan: &InstallPlan, settings: &FixSettings) -> bool {
    if settings.dry_run {
        return true;
    }
    match settings.consent {
        Consent::Yes => true,
        Consent::Ask => prompt::confirm(&format!("Apply these {} step(s) to {name}?", plan.steps.len())),
        Consent::No if !plan.needs_confirmation => true,
        Consent::No => {
            eprintln!(
                "comfydoctor: {name}: {} step(s) move or back up user data and need a confirmation; nothing applied. Run `comfydoctor fix --yes` to apply them",
                plan.steps.len()
            );
            false
        }
    }
}

/// Runs each group as one journaled run; true when some install stopped.
fn execute_all(groups: &BTreeMap<PathBuf, Vec<InstallPlan>>, settings: &FixSettings) -> Result<bool> {
    let quiet = settings.target.quiet;
    let mut failed = false;
    for (dir, plans) in groups {
        let mut opts = ExecOptions::new(dir).with_reporter(crate::progress::bars(!quiet));
        opts.progress = !quiet;
        opts.lock_wait = settings.wait;
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
            print_stops(plans, &report);
        } else if let (Some(id), false) = (&report.run_id, quiet) {
            println!("Applied as run {id}; `comfydoctor undo` reverses it.\n");
        }
    }
    Ok(failed)
}

/// What became of an unfinished run found before planning.
enum Settled {
    Nothing,
    Done,
    Stop(ExitCode),
}

/// An interrupted run (or undo) in `dir` is dealt with before anything else: finished (the
/// default, and what `--yes` does) or rolled back; without a terminal and `--yes`, only advice.
fn settle_unfinished(dir: &Path, settings: &FixSettings) -> Result<Settled> {
    let Some(run) = execute::find_unfinished(dir)? else {
        return Ok(Settled::Nothing);
    };
    let where_ = display_path(dir);
    let mut opts = ExecOptions::new(dir).with_reporter(crate::progress::bars(true));
    opts.lock_wait = settings.wait;
    let (yes, interactive) = (settings.consent == Consent::Yes, settings.consent == Consent::Ask);
    if run.state() == RunState::UndoIncomplete {
        // Half undone: the only way forward is to finish the undo.
        let go = !settings.dry_run
            && (yes || (interactive && prompt::confirm(&format!("Finish undoing run {} in {where_}?", run.run_id))));
        if !go {
            eprintln!(
                "comfydoctor: the undo of run {} in {where_} was interrupted; run `comfydoctor undo` to finish it",
                run.run_id
            );
            return Ok(Settled::Stop(ExitCode::Findings));
        }
        let report = execute::undo(Some(&run.run_id), &opts)?;
        if let Some((_, stop)) = report.stopped {
            eprintln!("comfydoctor: undo stopped at {}: {}", stop.path.display(), stop.message);
            return Ok(Settled::Stop(ExitCode::Failure));
        }
        eprintln!("comfydoctor: finished undoing run {}", run.run_id);
        return Ok(Settled::Done);
    }
    let finish = if settings.dry_run {
        eprintln!(
            "comfydoctor: run {} in {where_} was interrupted; `comfydoctor fix` will offer to finish or roll it back",
            run.run_id
        );
        None
    } else if yes {
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
                print_stops(&run.plans, &report);
                return Ok(Settled::Stop(ExitCode::Failure));
            }
            eprintln!("comfydoctor: finished interrupted run {}", run.run_id);
        }
        Some(false) => {
            let report = execute::rollback(&run, &opts)?;
            eprintln!("comfydoctor: rolled back interrupted run {} ({} action(s))", run.run_id, report.undone);
            if let Some((_, stop)) = report.stopped {
                eprintln!("comfydoctor: rollback stopped at {}: {}", stop.path.display(), stop.message);
                return Ok(Settled::Stop(ExitCode::Failure));
            }
        }
        None => return Ok(Settled::Stop(ExitCode::Findings)),
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

/// Why each stopped install stopped, and what its rollback left: nothing, or the steps still
/// applied (each one listed) for `comfydoctor undo` to reverse.
fn print_stops(plans: &[InstallPlan], report: &execute::RunReport) {
    for (i, o) in report.installs.iter().enumerate() {
        let Some(stop) = &o.stopped else { continue };
        let rb = &o.rollback;
        let after = match &rb.stopped {
            None if rb.undone == 0 => "Nothing changed for this install".to_string(),
            None => {
                format!("Nothing changed for this install: the {} step(s) already applied were rolled back", rb.undone)
            }
            Some(rs) => {
                format!(
                    "Rolling it back stopped too, at step {} ({}): {}. Still applied: step(s) {}; `comfydoctor undo` reverses them once that is fixed",
                    rs.step + 1,
                    rs.path.display(),
                    rs.message,
                    rb.left.iter().map(|j| (j + 1).to_string()).collect::<Vec<_>>().join(", ")
                )
            }
        };
        eprintln!(
            "comfydoctor: {}: stopped at step {} ({}): {}. {after}",
            display_path(&o.install),
            stop.step + 1,
            stop.path.display(),
            stop.message
        );
        if let Some(plan) = plans.get(i).filter(|_| rb.stopped.is_some()) {
            for &j in &rb.left {
                if let Some(step) = plan.steps.get(j) {
                    eprintln!("  still applied: {:>3}. {}", j + 1, describe(&step.action));
                }
            }
        }
        for note in &rb.notes {
            eprintln!("note: {note}");
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
