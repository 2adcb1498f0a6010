//! `comfydoctor detach`: scan, plan the detach of every install linked to the global folder
//! (`crate::detach`), show it, confirm, execute (journaled, undoable), then say what is left.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::commands::{lifecycle, locking};
use crate::config::{Consent, DetachSettings};
use crate::detach::{self, Request};
use crate::error::Result;
use crate::execute::{self, ExecOptions};
use crate::exit_codes::ExitCode;
use crate::inspect::ModelsState;
use crate::pipeline;
use crate::plan::{InstallPlan, describe};
use crate::prompt;
use crate::workspace::{self, display_path};

pub fn run(settings: &DetachSettings) -> Result<ExitCode> {
    let target = &settings.target;
    let found = workspace::discover(&target.paths, target.max_depth)?;
    let dirs = lifecycle::journal_dirs(&found);
    let _locks = locking::lock_all(&dirs, settings.wait)?;
    let scan = pipeline::collect_found(target, found)?;
    let inv = &target.invocation;
    // `--copy`/`--copy-all` as typed, for the commands suggested.
    let copy_flags: Vec<String> = match &settings.copies {
        detach::Copies::None => Vec::new(),
        detach::Copies::All => vec!["--copy-all".into()],
        detach::Copies::Some(keys) => keys.iter().map(|k| format!("--copy={}", k.display())).collect(),
    };
    let with_copies = |extra: &[&str]| -> String {
        let words: Vec<&str> = copy_flags.iter().map(String::as_str).chain(extra.iter().copied()).collect();
        inv.command("detach", &words)
    };
    let yes: &[&str] = if settings.consent == Consent::Yes { &["--yes"] } else { &[] };
    if !lifecycle::none_unfinished(&dirs, &with_copies(yes), inv)? {
        return Ok(ExitCode::Failure);
    }
    let at = execute::journal::utc_now();
    let stamp: String = at.chars().filter(|c| c.is_ascii_alphanumeric()).take(15).collect::<String>() + "Z";
    let mut runs_of: BTreeMap<PathBuf, Vec<execute::journal::JournalRun>> = BTreeMap::new();
    let (mut groups, mut held_back, mut refused) = (BTreeMap::<PathBuf, Vec<InstallPlan>>::new(), false, false);
    let mut planned_any = false;
    for report in &scan.installs {
        let inspection = &report.inspection;
        let install = &inspection.install;
        // A workspace given whole: only the installs linked to the global folder are detached.
        if !matches!(inspection.models, ModelsState::Link(_)) && !named(settings, install) {
            continue;
        }
        let dir = install.journal_dir();
        let runs = match runs_of.get(&dir) {
            Some(r) => r,
            None => {
                let r = execute::journal::read_all(&dir)
                    .map_err(|source| execute::ExecError::JournalRead { path: dir.clone(), source })?;
                runs_of.entry(dir.clone()).or_insert(r)
            }
        };
        let req = Request { copies: &settings.copies, journal_dir: &dir, at: &at, stamp: &stamp, runs };
        let plan = match detach::plan(inspection, &req) {
            Ok(p) => p,
            Err(detach::Refusal(why)) => {
                eprintln!("comfydoctor: {}: not detached: {why}", install.name);
                refused = true;
                continue;
            }
        };
        planned_any = true;
        if !target.quiet || settings.dry_run || settings.consent == Consent::Ask {
            println!("{} ({}):", install.name, display_path(&install.root));
            for (i, step) in plan.steps.iter().enumerate() {
                println!("  {:>3}. {}", i + 1, describe(&step.action));
            }
            for note in &plan.notes {
                println!("       note: {note}");
            }
            println!();
        }
        if settings.dry_run {
            continue;
        }
        let go = match settings.consent {
            Consent::Yes => true,
            Consent::Ask => prompt::confirm(&format!(
                "Detach {} ({})?",
                install.name,
                crate::wording::count(plan.steps.len(), "step", "steps")
            )),
            Consent::No => {
                eprintln!(
                    "comfydoctor: {}: detaching needs a confirmation; nothing changed. Run `{}` to apply it",
                    install.name,
                    with_copies(&["--yes"])
                );
                false
            }
        };
        if go {
            groups.entry(dir).or_default().push(plan);
        } else {
            held_back = true;
        }
    }
    if !planned_any && !refused {
        println!("Nothing to detach: no install links to the global folder.");
        return Ok(ExitCode::Healthy);
    }
    if settings.dry_run {
        println!("Dry run: nothing changed.");
        return Ok(if refused { ExitCode::Failure } else { ExitCode::Healthy });
    }
    let mut failed = false;
    for (dir, plans) in &groups {
        let total = plans.iter().map(|p| p.steps.len()).sum();
        let display = crate::progress::Display::detect(target.quiet);
        let mut opts = ExecOptions::new(dir).with_reporter(crate::progress::reporter(display, total));
        opts.progress = !target.quiet;
        opts.lock_wait = settings.wait;
        let report = execute::execute(plans, &opts)?;
        for o in &report.installs {
            if let Some(stop) = &o.stopped {
                failed = true;
                eprintln!(
                    "comfydoctor: {}: stopped at step {} ({}): {}. Its steps already applied were rolled back",
                    display_path(&o.install),
                    stop.step + 1,
                    stop.path.display(),
                    stop.message
                );
            } else if !target.quiet {
                let here = crate::report::Invocation { paths: vec![o.install.clone()], ..inv.clone() };
                println!(
                    "Detached {}; `{}` links it again.",
                    display_path(&o.install),
                    here.command("fix", &["--attach"])
                );
            }
        }
        if let (Some(id), false) = (&report.run_id, target.quiet) {
            println!("Applied as run {id}; `{}` reverses it.", lifecycle::invocation_at(dir, inv).undo(&[]));
        }
    }
    Ok(if failed || refused {
        ExitCode::Failure
    } else if held_back {
        ExitCode::Findings
    } else {
        ExitCode::Healthy
    })
}

/// Whether the user named this install itself (not a workspace or a folder to search).
fn named(settings: &DetachSettings, install: &workspace::Install) -> bool {
    settings.target.paths.iter().any(|p| *p == install.root || install.root.parent() == Some(p.as_path()))
}
