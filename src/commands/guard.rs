//! `comfydoctor guard [PATH] -- COMMAND [ARGS...]`: run an updater with the `models` link out of
//! its way, for updaters that ignore git's protection of the link (libgit2: the Windows
//! portable build's `update_comfyui.bat`) and for every other one alike.
//!
//! 1. Before: every install under PATH that is a migrated git checkout (`models` links to the
//!    global folder, git tracks `models/`) gets `models/` back as a real folder written from the
//!    git objects as the index has it, the skip-worktree bits cleared and the sparse checkout off
//!    (`fixes::guard`): what git and libgit2 expect. The global folder is not touched. One
//!    journaled run per journal folder, without the view check (hiding the global folder while
//!    the updater runs is the point).
//! 2. COMMAND runs with the terminal inherited; guard outlives Ctrl-C (COMMAND gets it).
//! 3. After: an ordinary `fix --yes` of those installs (merge strategy): stock files merged into
//!    the global folder only where absent, identical ones dropped, a changed stock file whose
//!    global copy differs (an edit) kept in the backup folder, never written over; then the link
//!    and git's protection again. Journaled as its own run, with the view check.
//!
//! The lock of every journal folder is held from before step 1 to after step 3, so no `fix` (a
//! launch hook) relinks while the updater runs. Killed at any point, the next `fix` finishes the
//! job: an interrupted step-1 run is resumed, and a checkout left unlinked (killed during
//! COMMAND or before step 3) is an unmigrated checkout, which `fix` migrates; step 3's run is
//! resumed like any other.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use crate::checks::CheckId;
use crate::commands::locking;
use crate::config::{Consent, FixSettings, GuardSettings, Target};
use crate::error::Result;
use crate::execute::{self, ExecOptions};
use crate::fixes::{self, Ctx, Strategy, View};
use crate::pipeline;
use crate::plan::{InstallPlan, describe};
use crate::platform;
use crate::workspace::{self, ModelsDir, ModelsDirSource, display_path};

/// Exit code when comfydoctor itself failed (COMMAND not run, or not linked again).
const FAILED: i32 = 2;

/// Runs the guard; returns the process exit code.
pub fn run(settings: &GuardSettings) -> Result<i32> {
    let target = &settings.target;
    let quiet = target.quiet;
    let found = workspace::discover(&target.paths, target.max_depth)?;
    let mut dirs: Vec<PathBuf> = found.installs.iter().map(|i| i.journal_dir()).collect();
    dirs.dedup();
    let _locks = locking::lock_all(&dirs, settings.wait)?;
    for dir in &dirs {
        if let Some(run) = execute::find_unfinished(dir)? {
            eprintln!(
                "comfydoctor guard: run {} in {} was interrupted; run `{}` to finish it first. COMMAND did not run",
                run.run_id,
                display_path(dir),
                crate::commands::lifecycle::invocation_at(dir, &target.invocation).command("fix", &["--yes"])
            );
            return Ok(FAILED);
        }
    }
    let mut scan = pipeline::collect_found(target, found)?;

    // A checkout an unguarded update damaged is repaired first (the placeholders that update
    // wrote into the global folder are only known while the link is there).
    let damaged: Vec<PathBuf> = scan
        .installs
        .iter()
        .filter(|r| r.findings.iter().any(|f| f.check == CheckId::GitProtectionLost))
        .map(|r| r.inspection.install.root.clone())
        .collect();
    if !damaged.is_empty() {
        let repair = FixSettings {
            target: Target { paths: damaged, ..target.clone() },
            strategy: Some(Strategy::Merge),
            consent: Consent::Yes,
            dry_run: false,
            wait: settings.wait,
            git_protection: true,
        };
        crate::commands::fix::run(&repair)?;
        scan = pipeline::collect(target)?;
    }

    // Plan every install before anything changes: one that cannot be guarded stops them all.
    let stamp =
        crate::execute::journal::utc_now().chars().filter(|c| c.is_ascii_alphanumeric()).take(15).collect::<String>()
            + "Z";
    let mut view = View::default();
    let mut groups: BTreeMap<PathBuf, Vec<InstallPlan>> = BTreeMap::new();
    let mut guarded: Vec<(PathBuf, PathBuf)> = Vec::new();
    for report in &scan.installs {
        let inspection = &report.inspection;
        let install = &inspection.install;
        if let Some(why) = fixes::guard::skip_reason(inspection) {
            if !quiet {
                eprintln!("comfydoctor guard: {}: left as it is: {why}", install.name);
            }
            continue;
        }
        if let Some(why) = fixes::guard::refusal(inspection) {
            let here = crate::report::Invocation { paths: vec![install.root.clone()], ..target.invocation.clone() };
            eprintln!(
                "comfydoctor guard: {}: cannot be guarded: {why}; run `{}` first. COMMAND did not run",
                install.name,
                here.command("fix", &[])
            );
            return Ok(FAILED);
        }
        let mut ctx = Ctx {
            strategy: Strategy::Merge,
            stamp: &stamp,
            backup_root: install.root.join(format!("models.comfydoctor-backup-{stamp}")),
            journal_dir: install.journal_dir(),
            view: &mut view,
            git_protection: true,
        };
        match fixes::guard::plan(inspection, &mut ctx) {
            Ok(plan) => {
                let global = plan.global.clone().unwrap_or_default();
                guarded.push((install.root.clone(), global));
                groups.entry(install.journal_dir()).or_default().push(plan);
            }
            Err(fixes::Refusal(why)) => {
                eprintln!("comfydoctor guard: {}: cannot be guarded: {why}. COMMAND did not run", install.name);
                return Ok(FAILED);
            }
        }
    }

    // 1. Unlink.
    let mut unlinked_all = true;
    for (dir, plans) in &groups {
        let mut opts = ExecOptions::new(dir);
        opts.progress = false;
        opts.lock_wait = settings.wait;
        opts.view_check = false;
        let report = execute::execute(plans, &opts)?;
        for (plan, outcome) in plans.iter().zip(&report.installs) {
            match &outcome.stopped {
                None if !quiet => {
                    eprintln!(
                        "comfydoctor guard: {}: models/ unlinked for the update ({}, run {}); the global folder is untouched",
                        display_path(&plan.install),
                        crate::wording::count(outcome.applied, "step", "steps"),
                        report.run_id.as_deref().unwrap_or("-")
                    );
                    for note in plan.notes.iter().filter(|n| n.contains("edited stock file")) {
                        eprintln!("  note: {note}");
                    }
                }
                None => {}
                Some(stop) => {
                    unlinked_all = false;
                    let step = plan.steps.get(stop.step).map(|s| describe(&s.action)).unwrap_or_default();
                    eprintln!(
                        "comfydoctor guard: {}: could not unlink, stopped at step {} ({step}): {}; its steps were rolled back",
                        display_path(&plan.install),
                        stop.step + 1,
                        stop.message
                    );
                }
            }
        }
    }

    // The journal folders made by this run are held too, until the links are back.
    let _more_locks = locking::lock_all(&dirs, settings.wait)?;

    // 2. The updater, unless unlinking failed somewhere (it would write through that link).
    let code = if unlinked_all {
        run_command(&settings.command)
    } else {
        eprintln!("comfydoctor guard: COMMAND did not run");
        None
    };

    // 3. Link again, and check that every guarded install is linked.
    let relinked = relink(settings, &guarded);
    match (code, relinked) {
        (Some(c), true) => Ok(c),
        (_, false) => {
            eprintln!(
                "comfydoctor guard: not every install is linked again; `{}` finishes the job (the launch hook does it)",
                settings.target.invocation.command("fix", &["--yes"])
            );
            Ok(FAILED)
        }
        (None, true) => Ok(FAILED),
    }
}

/// Runs COMMAND with the terminal inherited and returns its exit code (128 + the signal when a
/// signal ended it, 127 when it could not start). Ctrl-C, SIGTERM and SIGHUP reach COMMAND and
/// end it; guard ignores them meanwhile, so it always links again.
fn run_command(command: &[std::ffi::OsString]) -> Option<i32> {
    let (program, args) = command.split_first()?;
    // A second handler cannot be set (tests call this once per process); ignoring the error
    // only means the default handling stays.
    let _ = ctrlc::set_handler(|| {});
    match Command::new(program).args(args).status() {
        Ok(status) => Some(exit_code(status)),
        Err(e) => {
            eprintln!("comfydoctor guard: cannot run {}: {e}", program.to_string_lossy());
            Some(127)
        }
    }
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    if let Some(c) = status.code() {
        return c;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    FAILED
}

/// Migrates the guarded installs again: `fix --yes` (merge) of each, with the global folder it
/// was linked to named, since the link that said so is gone. True when each is linked again.
fn relink(settings: &GuardSettings, guarded: &[(PathBuf, PathBuf)]) -> bool {
    let mut by_global: BTreeMap<&PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for (root, global) in guarded {
        by_global.entry(global).or_default().push(root.clone());
    }
    for (global, roots) in by_global {
        let target = Target {
            paths: roots,
            models_dir: Some(ModelsDir { path: global.clone(), source: ModelsDirSource::Flag }),
            max_depth: settings.target.max_depth,
            checks: settings.target.checks.clone(),
            verbose: false,
            quiet: settings.target.quiet,
            link_style: settings.target.link_style,
            attach: Default::default(),
            invocation: settings.target.invocation.clone(),
            format: settings.target.format,
        };
        let fix = FixSettings {
            target,
            strategy: Some(Strategy::Merge),
            consent: Consent::Yes,
            dry_run: false,
            wait: settings.wait,
            git_protection: true,
        };
        if let Err(e) = crate::commands::fix::run(&fix) {
            eprintln!("comfydoctor guard: linking again failed: {e}");
        }
    }
    guarded.iter().all(|(root, global)| {
        matches!(platform::entry(&root.join("models")), Ok(platform::Entry::Link(l))
            if l.resolved.as_deref().is_some_and(|t| platform::same_dir(t, global)))
    })
}
