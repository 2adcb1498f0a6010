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
use crate::output;
use crate::pipeline;
use crate::plan::{Action, InstallPlan, describe};
use crate::progress;
use crate::prompt;
use crate::report::{self, InstallReport, Scan};
use crate::wording;
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
    if !settings.dry_run {
        crate::ctrl_c::install(dirs.clone(), target.invocation.clone());
    }
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

    let mut planned = plan_all(&scan, settings);
    let steps: usize = planned.groups.values().flatten().map(|p| p.steps.len()).sum();
    let json = target.format == report::ReportFormat::Json;
    if planned.groups.is_empty() && !planned.held_back && !planned.refused {
        // Nothing to plan: say so in one line rather than print an empty report.
        if json {
            print_doc(settings, planned.docs, Vec::new(), &scan);
        } else if !target.quiet {
            nothing_to_fix(&scan, &target.report_context());
        }
        return Ok(scan.exit_code());
    }
    if settings.dry_run {
        if json {
            print_doc(settings, planned.docs, Vec::new(), &scan);
        } else {
            println!("Dry run: {} planned, nothing changed.", wording::count(steps, "step", "steps"));
            if steps > 0 {
                println!("To apply: `{}`", target.invocation.command("fix", &[]));
            }
        }
        return Ok(if planned.refused {
            ExitCode::Failure
        } else if steps > 0 {
            ExitCode::Findings
        } else {
            scan.exit_code()
        });
    }

    let mut runs = Vec::new();
    let failed = execute_all(&planned.groups, settings, &mut runs, &mut planned.docs)?;
    // Nothing ran: the scan made before planning is still the state (the launch-script hook on
    // a healthy install inspects once).
    let after = if planned.groups.is_empty() { scan } else { pipeline::collect_report(target)? };
    if json {
        print_doc(settings, planned.docs, runs, &after);
    } else {
        let table = report::table(&after, &target.report_context());
        if !table.is_empty() {
            print!("{table}");
        }
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
    /// Each install's plan and what became of it, for `--format json`.
    docs: Vec<output::FixInstallDoc>,
}

/// `fix --format json`: the plans, the runs, and the report.
fn print_doc(settings: &FixSettings, installs: Vec<output::FixInstallDoc>, runs: Vec<output::FixRunDoc>, after: &Scan) {
    let doc = output::FixDoc {
        schema: output::SCHEMA_VERSION,
        command: "fix".into(),
        dry_run: settings.dry_run,
        installs,
        runs,
        report: report::doc(after),
    };
    print!("{}", output::to_json(&doc));
}

/// One install's plan as `fix --format json` gives it.
fn install_doc(
    report: &InstallReport,
    plan: Option<&InstallPlan>,
    status: &str,
    reason: Option<String>,
) -> output::FixInstallDoc {
    let install = &report.inspection.install;
    output::FixInstallDoc {
        name: install.name.clone(),
        path: install.root.display().to_string(),
        status: status.into(),
        steps: plan.map(|p| p.steps.iter().map(step_doc).collect()).unwrap_or_default(),
        notes: plan.map(|p| p.notes.iter().chain(&p.alerts).cloned().collect()).unwrap_or_default(),
        applied: 0,
        reason,
    }
}

fn step_doc(step: &crate::plan::Step) -> output::StepDoc {
    let kind = serde_json::to_value(&step.action)
        .ok()
        .and_then(|v| v.get("action").and_then(|a| a.as_str()).map(str::to_string))
        .unwrap_or_default();
    output::StepDoc { check: step.check, action: kind, command: describe(&step.action) }
}

/// Plans every install in turn, printing each plan and asking where the settings say so. A
/// [`View`] carries what earlier plans will have changed, so the plan shown is the plan executed.
fn plan_all(scan: &Scan, settings: &FixSettings) -> Planned {
    let stamp = compact_stamp();
    let mut view = View::default();
    let mut planned = Planned { groups: BTreeMap::new(), held_back: false, refused: false, docs: Vec::new() };
    let json = settings.target.format == report::ReportFormat::Json;
    for report in plan_order(scan) {
        if !report.findings.iter().any(|f| f.fix.is_some()) {
            continue;
        }
        let install = &report.inspection.install;
        let snapshot = view.clone();
        let plan_with = |strategy: Strategy, view: &mut View| {
            let mut ctx = Ctx {
                strategy,
                stamp: &stamp,
                backup_root: unused_backup_root(&install.root, &stamp),
                journal_dir: install.journal_dir(),
                view,
                git_protection: settings.git_protection,
            };
            fixes::plan_install(&report.inspection, &report.findings, &mut ctx)
        };
        // The strategy question, where there is one, comes after the plan it decides: the
        // merge plan is shown first, and a backup answer plans (and shows) again.
        let asked = asks_strategy(report, settings);
        let first = settings.strategy.unwrap_or(Strategy::Merge);
        let mut plan = match plan_with(first, &mut view) {
            Ok(plan) => plan,
            Err(fixes::Refusal(why)) => {
                eprintln!("comfydoctor: {}: not fixed: {why}", install.name);
                planned.docs.push(install_doc(report, None, "refused", Some(why.to_string())));
                planned.refused = true;
                continue;
            }
        };
        // A question is never asked about steps the user has not seen, even with --quiet.
        let will_ask = settings.asks() && !plan.steps.is_empty();
        let not_applied = !settings.dry_run && settings.consent == Consent::No && plan.needs_confirmation;
        if json {
            // Under JSON there is no prompt (`--yes` or `--dry-run` is required): the plan is
            // in the document, with what became of it.
            let status = if settings.dry_run {
                "planned"
            } else if not_applied {
                "not-applied"
            } else {
                "applied"
            };
            planned.docs.push(install_doc(report, Some(&plan), status, None));
        } else if !settings.target.quiet || settings.dry_run || will_ask {
            print_plan(report, &plan, not_applied.then_some("not applied: it needs a confirmation"));
        }
        if plan.steps.is_empty() {
            continue;
        }
        if asked {
            match ask_strategy(report) {
                None => {
                    view = snapshot;
                    planned.held_back = true;
                    continue;
                }
                Some(Strategy::Merge) => {}
                Some(other) => {
                    view = snapshot.clone();
                    plan = match plan_with(other, &mut view) {
                        Ok(plan) => plan,
                        Err(fixes::Refusal(why)) => {
                            eprintln!("comfydoctor: {}: not fixed: {why}", install.name);
                            view = snapshot;
                            planned.refused = true;
                            continue;
                        }
                    };
                    println!("With backup instead:");
                    print_plan(report, &plan, None);
                    if plan.steps.is_empty() {
                        continue;
                    }
                }
            }
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

/// Whether the strategy is asked for this install: no `--strategy`, a terminal, and user data
/// in the way of the link. Otherwise merge (or the flag's).
fn asks_strategy(report: &InstallReport, settings: &FixSettings) -> bool {
    settings.strategy.is_none() && settings.asks() && report.findings.iter().any(fixes::asks_strategy)
}

/// Asks merge or backup, after the merge plan was shown; `None` when the user aborts.
fn ask_strategy(report: &InstallReport) -> Option<Strategy> {
    let install = &report.inspection.install;
    let in_the_way: Vec<_> = report.findings.iter().filter(|f| fixes::asks_strategy(f)).collect();
    for f in &in_the_way {
        eprintln!("{}: {}", install.name, f.message);
    }
    let relink = in_the_way.iter().any(|f| f.check == CheckId::LinkWrongTarget);
    prompt::strategy(&install.name, relink)
}

/// `Nothing to fix: 3 installs healthy`, and what is left that no fix changes.
fn nothing_to_fix(scan: &Scan, ctx: &report::ReportContext) {
    let healthy = scan.installs.iter().filter(|i| i.verdict() == report::Verdict::Healthy).count();
    let n = scan.installs.len();
    if healthy == n {
        println!("Nothing to fix: {} healthy.", wording::count(n, "install", "installs"));
    } else {
        println!(
            "Nothing to fix: {} healthy; the findings of the other {} have no automatic fix:",
            wording::count(healthy, "install", "installs"),
            n - healthy
        );
        print!("{}", report::table(scan, &report::ReportContext { quiet: true, ..ctx.clone() }));
    }
}

/// Whether a shown plan may run: a dry run and `--yes` approve; a terminal asks for every
/// install; without one, only plans that touch no user data go ahead.
fn approve(name: &str, plan: &InstallPlan, settings: &FixSettings) -> bool {
    if settings.dry_run {
        return true;
    }
    match settings.consent {
        Consent::Yes => true,
        Consent::Ask if plan.steps.len() == 1 => prompt::confirm(&format!("Apply this step to {name}?")),
        Consent::Ask => prompt::confirm(&format!("Apply these {} to {name}?", steps(plan.steps.len()))),
        Consent::No if !plan.needs_confirmation => true,
        Consent::No => {
            eprintln!(
                "comfydoctor: {name}: not applied: {} that move or back up user data {} a confirmation, and there is no terminal to ask on. To apply {}: `{}`",
                steps(plan.steps.len()),
                if plan.steps.len() == 1 { "needs" } else { "need" },
                if plan.steps.len() == 1 { "it" } else { "them" },
                settings
                    .target
                    .invocation
                    .command("fix", &attach_words(settings, "--yes").iter().map(String::as_str).collect::<Vec<_>>())
            );
            false
        }
    }
}

/// `--attach[=NAME]` as given (the hint must attach what this run was asked to), then `extra`.
fn attach_words(settings: &FixSettings, extra: &str) -> Vec<String> {
    let mut words: Vec<String> = match &settings.target.attach {
        crate::config::Attach::None => Vec::new(),
        crate::config::Attach::All => vec!["--attach".into()],
        crate::config::Attach::Named(names) => names.iter().map(|n| format!("--attach={n}")).collect(),
    };
    words.push(extra.into());
    words
}

/// Runs each group as one journaled run; true when some install stopped.
fn execute_all(
    groups: &BTreeMap<PathBuf, Vec<InstallPlan>>,
    settings: &FixSettings,
    runs: &mut Vec<output::FixRunDoc>,
    docs: &mut [output::FixInstallDoc],
) -> Result<bool> {
    let json = settings.target.format == report::ReportFormat::Json;
    let quiet = settings.target.quiet || json;
    let mut failed = false;
    for (dir, plans) in groups {
        let total = plans.iter().map(|p| p.steps.len()).sum();
        let reporter = progress::reporter(progress::Display::detect(quiet), total);
        let mut opts = ExecOptions::new(dir).with_reporter(reporter);
        opts.lock_wait = settings.wait;
        let report = execute::execute(plans, &opts)?;
        drop(opts);
        let undo = undo_hint(dir, &settings.target.invocation);
        if json {
            for (plan, outcome) in plans.iter().zip(&report.installs) {
                let path = plan.install.display().to_string();
                if let Some(doc) = docs.iter_mut().find(|d| d.path == path) {
                    doc.applied = outcome.applied;
                    if let Some(stop) = &outcome.stopped {
                        doc.status = "stopped".into();
                        doc.reason = Some(format!(
                            "stopped at step {} ({}): {}",
                            stop.step + 1,
                            stop.path.display(),
                            stop.message
                        ));
                    }
                }
            }
            if let Some(id) = &report.run_id {
                runs.push(output::FixRunDoc {
                    run_id: id.clone(),
                    journal: dir.display().to_string(),
                    undo: undo.clone(),
                });
            }
        } else if quiet {
            // The launch-script hook: one line per install changed.
            for (plan, outcome) in plans.iter().zip(&report.installs) {
                if outcome.stopped.is_none() && outcome.applied > 0 {
                    println!("{}", quiet_line(plan, outcome.applied, &undo));
                }
                for alert in &plan.alerts {
                    println!("warning: {alert}");
                }
            }
        }
        if !report.succeeded() {
            failed = true;
            print_stops(plans, &report);
        } else if let (Some(id), false) = (&report.run_id, quiet) {
            println!("Applied as run {id}; `{undo}` reverses it.\n");
        }
    }
    Ok(failed)
}

/// `comfydoctor undo <folder>` for the run journaled in `dir`: the workspace (or install) whose
/// `.comfydoctor` it is, so it undoes that run from anywhere.
/// The PATH as the user typed it when it names that folder.
fn undo_hint(dir: &Path, typed: &report::Invocation) -> String {
    let owner = dir.parent().unwrap_or(dir);
    let path = typed
        .paths
        .iter()
        .find(|p| crate::platform::normalize(p) == owner)
        .map(|p| report::shell_path(p))
        .unwrap_or_else(|| report::shell_path(owner));
    format!("comfydoctor undo {path}")
}

/// `comfydoctor: legacy: models/ linked to ~/ws/models (6 steps; undo: comfydoctor undo ~/ws)`.
fn quiet_line(plan: &InstallPlan, applied: usize, undo: &str) -> String {
    use crate::link_style::resolved_from;
    let models = plan.install.join("models");
    let linked = plan.steps.iter().find_map(|s| match &s.action {
        Action::CreateLink { link, target } if *link == models => Some(resolved_from(link, target)),
        Action::ReplaceLink { link, new_target, .. } if *link == models => Some(resolved_from(link, new_target)),
        _ => None,
    });
    let name = install_name(&plan.install);
    let what = match linked {
        Some(global) => format!("models/ linked to {}", display_path(&global)),
        None => "fixed".to_string(),
    };
    format!("comfydoctor: {name}: {what} ({}; undo: {undo})", steps(applied))
}

/// An install's name as the report gives it: its environment's folder name in a workspace.
fn install_name(root: &Path) -> String {
    let env = root.parent();
    match (root.file_name(), env.and_then(Path::parent).and_then(Path::file_name)) {
        (Some(n), Some(envs)) if n == "ComfyUI" && envs == "environments" => {
            env.and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        }
        _ => display_path(root),
    }
}

fn steps(n: usize) -> String {
    wording::count(n, "step", "steps")
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
    let mut opts = ExecOptions::new(dir).with_reporter(progress::reporter(
        progress::Display::detect(settings.target.quiet),
        run.plans.iter().map(|p| p.steps.len()).sum(),
    ));
    opts.lock_wait = settings.wait;
    let inv = &settings.target.invocation;
    let (yes, interactive) = (settings.consent == Consent::Yes, settings.consent == Consent::Ask);
    if run.state() == RunState::UndoIncomplete {
        // Half undone: the only way forward is to finish the undo.
        let go = !settings.dry_run
            && (yes || (interactive && prompt::confirm(&format!("Finish undoing run {} in {where_}?", run.run_id))));
        if !go {
            eprintln!(
                "comfydoctor: the undo of run {} in {where_} was interrupted; to finish it: `{}`",
                run.run_id,
                inv.undo(&[])
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
            "comfydoctor: run {} in {where_} was interrupted; `{}` offers to finish or roll it back",
            run.run_id,
            inv.command("fix", &[])
        );
        None
    } else if yes {
        Some(true)
    } else if interactive {
        eprintln!("comfydoctor: run {} in {where_} was interrupted.", run.run_id);
        prompt::resume_or_rollback(&run.run_id)
    } else {
        eprintln!(
            "comfydoctor: run {} in {where_} was interrupted; to finish it: `{}`; to roll it back: `{}`",
            run.run_id,
            inv.command("fix", &["--yes"]),
            inv.undo(&[])
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
            eprintln!(
                "comfydoctor: rolled back interrupted run {} ({})",
                run.run_id,
                wording::count(report.undone, "action", "actions")
            );
            if let Some((_, stop)) = report.stopped {
                eprintln!("comfydoctor: rollback stopped at {}: {}", stop.path.display(), stop.message);
                return Ok(Settled::Stop(ExitCode::Failure));
            }
        }
        None => return Ok(Settled::Stop(ExitCode::Findings)),
    }
    Ok(Settled::Done)
}

fn print_plan(report: &InstallReport, plan: &InstallPlan, label: Option<&str>) {
    let install = &report.inspection.install;
    match label {
        Some(l) => println!("{} ({}), {l}:", install.name, display_path(&install.root)),
        None => println!("{} ({}):", install.name, display_path(&install.root)),
    }
    for (i, step) in plan.steps.iter().enumerate() {
        println!("  {:>3}. {}", i + 1, describe(&step.action));
    }
    for note in &plan.notes {
        println!("       note: {note}");
    }
    for alert in &plan.alerts {
        println!("    warning: {alert}");
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
            None => format!(
                "Nothing changed for this install: the {} already applied {} rolled back",
                steps(rb.undone),
                if rb.undone == 1 { "was" } else { "were" }
            ),
            Some(rs) => {
                format!(
                    "Rolling it back stopped too, at step {} ({}): {}. Still applied: {} {}; `comfydoctor undo` reverses them once that is fixed",
                    rs.step + 1,
                    rs.path.display(),
                    rs.message,
                    wording::noun(rb.left.len(), "step", "steps"),
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

/// `<root>/models.comfydoctor-backup-<stamp>`, or with `-2`, `-3`, ... when an earlier run of
/// the same second made that one (`guard` migrates right after the updater).
fn unused_backup_root(root: &Path, stamp: &str) -> PathBuf {
    let base = root.join(format!("models.comfydoctor-backup-{stamp}"));
    if std::fs::symlink_metadata(&base).is_err() {
        return base;
    }
    (2..)
        .map(|n| root.join(format!("models.comfydoctor-backup-{stamp}-{n}")))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .unwrap_or(base)
}

/// `20261124T150102Z`: sorts as text, safe in file names everywhere.
fn compact_stamp() -> String {
    crate::execute::journal::utc_now().chars().filter(|c| c.is_ascii_alphanumeric()).take(15).collect::<String>() + "Z"
}
