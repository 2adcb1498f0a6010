//! `comfydoctor backups [--prune]`: lists every backup folder `fix` made beside each install,
//! with its size and, per file, whether the global folder holds the same bytes (at the same
//! path, elsewhere, or not at all); `--prune` deletes the proved duplicates (journaled, not
//! undoable) and the folders that leaves empty, and lists what needs a decision.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::backups::{self, BackupFolder, GlobalIndex, Twin};
use crate::commands::{lifecycle, locking};
use crate::config::{BackupsSettings, Consent};
use crate::error::Result;
use crate::execute::{self, ExecOptions};
use crate::exit_codes::ExitCode;
use crate::inspect::human_bytes;
use crate::pipeline;
use crate::plan::{InstallPlan, describe};
use crate::prompt;
use crate::wording;
use crate::workspace::{self, display_path};

pub fn run(settings: &BackupsSettings) -> Result<ExitCode> {
    let target = &settings.target;
    let found = workspace::discover(&target.paths, target.max_depth)?;
    let dirs = lifecycle::journal_dirs(&found);
    let _locks = if settings.prune { locking::lock_all(&dirs, settings.wait)? } else { Vec::new() };
    let scan = pipeline::collect_found(target, found)?;
    let mut indexes: BTreeMap<PathBuf, GlobalIndex> = BTreeMap::new();
    let mut surveyed: Vec<(&crate::workspace::Install, Vec<BackupFolder>)> = Vec::new();
    for report in &scan.installs {
        let install = &report.inspection.install;
        let folders = backups::folders_of(&install.root);
        if folders.is_empty() {
            continue;
        }
        let Some(global) = report.inspection.global.as_ref().map(|g| g.dir.path.clone()) else {
            eprintln!(
                "comfydoctor: {}: the global models folder is unknown, so its backups cannot be compared; pass --models-dir DIR",
                install.name
            );
            continue;
        };
        let index = indexes.entry(global.clone()).or_insert_with(|| GlobalIndex::new(&global));
        surveyed.push((install, folders.iter().map(|f| backups::survey(f, index)).collect()));
    }
    if target.format == crate::report::ReportFormat::Json {
        // A listing only: `--prune` with JSON is refused when the flags are read.
        print!("{}", crate::output::to_json(&doc(&surveyed)));
        return Ok(ExitCode::Healthy);
    }
    if surveyed.is_empty() {
        if !target.quiet {
            println!("No backup folders ({}*) beside any install.", backups::PREFIX);
        }
        return Ok(ExitCode::Healthy);
    }
    let mut undecided = 0usize;
    for (install, folders) in &surveyed {
        for f in folders {
            undecided += f.files.len() - f.proved().count();
            if target.quiet && !settings.prune {
                continue;
            }
            print_folder(&install.name, f);
        }
    }
    if !settings.prune {
        let proved: u64 = surveyed.iter().flat_map(|(_, fs)| fs).flat_map(|f| f.proved()).map(|b| b.len).sum();
        if !target.quiet {
            println!(
                "{} in files the global folder holds too: `{}` deletes them (not undoable).",
                human_bytes(proved),
                target.invocation.command("backups", &["--prune"])
            );
        }
        return Ok(ExitCode::Healthy);
    }

    // --prune: not while a run is half done (its backup folders may be half filled).
    let yes: &[&str] = if settings.consent == Consent::Yes { &["--prune", "--yes"] } else { &["--prune"] };
    let again = target.invocation.command("backups", yes);
    if !lifecycle::none_unfinished(&dirs, &again, &target.invocation)? {
        return Ok(ExitCode::Failure);
    }
    // One plan per install, grouped by journal folder.
    let mut groups: BTreeMap<PathBuf, Vec<InstallPlan>> = BTreeMap::new();
    let (mut files, mut bytes) = (0usize, 0u64);
    for (install, folders) in &surveyed {
        let plan = backups::prune_plan(&install.root, folders);
        if plan.steps.is_empty() {
            continue;
        }
        for step in &plan.steps {
            if let crate::plan::Action::DeleteDuplicate { len, .. } = &step.action {
                files += 1;
                bytes += len;
            }
            if !target.quiet {
                println!("  {}", describe(&step.action));
            }
        }
        groups.entry(install.journal_dir()).or_default().push(plan);
    }
    if groups.is_empty() {
        println!("Nothing to prune: no backup file is proved identical to a file of the global folder.");
        return Ok(if undecided > 0 { ExitCode::Findings } else { ExitCode::Healthy });
    }
    let question = format!(
        "Delete {}, freeing {} ({bytes} bytes)? Deletions are not undoable",
        wording::count(files, "backup file", "backup files"),
        human_bytes(bytes)
    );
    let go = match settings.consent {
        Consent::Yes => true,
        Consent::Ask => prompt::confirm(&question),
        Consent::No => {
            eprintln!(
                "comfydoctor: {question}: that needs a confirmation; nothing deleted. Run `{}` to delete them",
                target.invocation.command("backups", &["--prune", "--yes"])
            );
            false
        }
    };
    if !go {
        return Ok(ExitCode::Findings);
    }
    let mut failed = false;
    let mut freed = 0u64;
    for (dir, plans) in &groups {
        let mut opts = ExecOptions::new(dir);
        opts.lock_wait = settings.wait;
        let report = execute::execute(plans, &opts)?;
        for (plan, o) in plans.iter().zip(&report.installs) {
            freed += plan
                .steps
                .iter()
                .take(o.applied)
                .filter_map(|s| match &s.action {
                    crate::plan::Action::DeleteDuplicate { len, .. } => Some(*len),
                    _ => None,
                })
                .sum::<u64>();
            if let Some(stop) = &o.stopped {
                failed = true;
                eprintln!(
                    "comfydoctor: {}: stopped at step {} ({}): {}",
                    display_path(&o.install),
                    stop.step + 1,
                    stop.path.display(),
                    stop.message
                );
            }
        }
        if let Some(id) = &report.run_id {
            println!("Deleted as run {id} (journaled; deletions are not undoable).");
        }
    }
    println!("Freed {} ({freed} bytes).", human_bytes(freed));
    if undecided > 0 {
        println!(
            "{} kept: {} a decision (listed above).",
            wording::count(undecided, "file", "files"),
            if undecided == 1 { "it needs" } else { "they need" }
        );
    }
    Ok(if failed {
        ExitCode::Failure
    } else if undecided > 0 {
        ExitCode::Findings
    } else {
        ExitCode::Healthy
    })
}

fn print_folder(name: &str, f: &BackupFolder) {
    let (mut same, mut elsewhere) = (0, 0);
    let mut decide = Vec::new();
    for b in &f.files {
        match &b.twin {
            Twin::SamePath(_) => same += 1,
            Twin::Elsewhere(_) => elsewhere += 1,
            Twin::None => decide.push(format!("{}: not in the global folder with these bytes", b.rel.display())),
            Twin::NotAFile(what) => decide.push(format!("{}: {what}", b.rel.display())),
        }
    }
    println!(
        "{name}: {} ({}, {}): {same} identical at the same path in the global folder, {elsewhere} identical elsewhere in it, {} {} a decision",
        display_path(&f.path),
        human_bytes(f.bytes()),
        wording::count(f.files.len(), "file", "files"),
        decide.len(),
        if decide.len() == 1 { "needs" } else { "need" }
    );
    for b in &f.files {
        if let Twin::Elsewhere(t) = &b.twin {
            println!("  {}: same bytes as {}", b.rel.display(), display_path(t));
        }
    }
    for d in decide {
        println!("  needs a decision: {d}");
    }
}

/// `backups --format json`.
fn doc(surveyed: &[(&crate::workspace::Install, Vec<BackupFolder>)]) -> crate::output::BackupsDoc {
    use crate::output::{BackupFileDoc, BackupFolderDoc, BackupsDoc, SCHEMA_VERSION};
    let file = |f: &backups::BackupFile| {
        let (twin, detail) = match &f.twin {
            Twin::SamePath(p) => ("same-path", Some(p.display().to_string())),
            Twin::Elsewhere(p) => ("elsewhere", Some(p.display().to_string())),
            Twin::None => ("none", None),
            Twin::NotAFile(why) => ("not-a-file", Some(why.clone())),
        };
        BackupFileDoc {
            path: crate::output::slashed(&f.rel),
            bytes: f.len,
            twin: twin.into(),
            detail,
            sha256: f.sha256.clone(),
        }
    };
    let folders: Vec<BackupFolderDoc> = surveyed
        .iter()
        .flat_map(|(install, folders)| {
            folders.iter().map(|f| BackupFolderDoc {
                install: install.name.clone(),
                path: f.path.display().to_string(),
                bytes: f.bytes(),
                files: f.files.iter().map(file).collect(),
            })
        })
        .collect();
    let prunable_bytes = surveyed.iter().flat_map(|(_, fs)| fs).flat_map(|f| f.proved()).map(|b| b.len).sum();
    BackupsDoc { schema: SCHEMA_VERSION, command: "backups".into(), folders, prunable_bytes }
}
