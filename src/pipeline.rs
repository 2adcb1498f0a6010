//! The read-only pipeline every command starts with: discover → inspect → resolve the global
//! folder → check. It never writes; `fix` runs it again after executing to report the result.
//!
//! Installs are inspected in parallel (scoped threads, one per core, each taking the next
//! install in turn); results keep discovery order, so the report is the same as one thread's.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::checks;
use crate::config::Target;
use crate::inspect::{self, Detail, GlobalState, ModelsState};
use crate::legacy_yaml;
use crate::report::{self, InstallReport, Scan};
use crate::workspace::{self, DiscoveryError, display_path};

/// Runs discovery, inspection and every selected check, keeping every entry of a real
/// `models/` (what a planner needs). Reads only.
pub fn collect(target: &Target) -> Result<Scan, DiscoveryError> {
    collect_found(target, workspace::discover(&target.paths, target.max_depth)?)
}

/// [`collect`] for a report only (`scan`, the report after a `fix`): a real `models/` holding
/// user data is counted, not kept ([`Detail::Report`]), so memory does not grow with its files.
/// Never plan from its result (the planner refuses such trees).
pub fn collect_report(target: &Target) -> Result<Scan, DiscoveryError> {
    collect_found_with(target, workspace::discover(&target.paths, target.max_depth)?, Detail::Report)
}

/// Inspection and checks of installs already discovered (`fix` locks their journal folders in
/// between, so nothing it inspects is being changed by another run).
pub fn collect_found(target: &Target, found: workspace::Discovery) -> Result<Scan, DiscoveryError> {
    collect_found_with(target, found, Detail::Full)
}

fn collect_found_with(target: &Target, found: workspace::Discovery, detail: Detail) -> Result<Scan, DiscoveryError> {
    if target.verbose {
        for (path, why) in &found.skipped {
            eprintln!("skipped {}: {why}", display_path(path));
        }
    }
    // Never silent: an install may be hiding in a folder that cannot be read.
    for (path, why) in &found.unreadable {
        eprintln!("comfydoctor: skipped {}: {why}", display_path(path));
    }
    if found.installs.is_empty() {
        let looked: Vec<String> = found.looked.iter().map(|p| display_path(p)).collect();
        return Err(DiscoveryError::NoInstalls { looked: looked.join(", ") });
    }
    let with_git = target.wants_git();
    let mut inspections = par_map(&found.installs, |i| inspect::inspect_install_with(i, with_git, detail));
    let inferred: Vec<Option<PathBuf>> = inspections
        .iter()
        .map(|i| i.yaml.as_ref().and_then(|y| y.as_ref().ok()).and_then(legacy_yaml::infer_global))
        .collect();
    let linked: Vec<Option<PathBuf>> = inspections
        .iter()
        .map(|i| match &i.models {
            ModelsState::Link(l) if l.target_is_dir => l.resolved.clone(),
            _ => None,
        })
        .collect();
    let records = crate::state::lookup_all(&found.installs.iter().collect::<Vec<_>>());
    for (inspection, record) in inspections.iter_mut().zip(records) {
        inspection.detached = record;
    }
    let dirs = workspace::resolve_models_dirs(&found.installs, target.models_dir.as_ref(), &inferred, &linked)?;
    let mut globals: HashMap<PathBuf, GlobalState> = HashMap::new();
    for (inspection, dir) in inspections.iter_mut().zip(dirs) {
        inspection.global =
            dir.map(|d| globals.entry(d.path.clone()).or_insert_with(|| inspect::inspect_global(&d)).clone());
        inspection.models_is_global = matches!(inspection.models, ModelsState::RealDir(_))
            && inspection
                .global
                .as_ref()
                .is_some_and(|g| crate::platform::same_existing_dir(&inspection.install.models_path(), &g.dir.path));
    }
    inspect::links::fill(&mut inspections, target.link_style)
        .map_err(|p| DiscoveryError::LinkConfig { path: p.path, reason: p.reason })?;
    // A global folder's own findings are reported once, on the first install that uses it.
    let mut reported = HashSet::new();
    let installs = inspections
        .into_iter()
        .map(|inspection| {
            let mut findings = checks::run(&inspection, &target.checks);
            checks::detached::hold(
                &mut findings,
                inspection.detached.is_some(),
                target.attach.applies(&inspection.install),
            );
            if let Some(g) = &inspection.global
                && !reported.insert(g.dir.path.clone())
            {
                findings.retain(|f| !checks::check(f.check).about_global);
            }
            InstallReport { inspection, findings }
        })
        .collect();
    Ok(Scan { installs, sizes: None, skipped: report::skipped(&found.skipped, &found.unreadable) })
}

/// Threads for inspection: `COMFYDOCTOR_THREADS` when set to a positive number (tests compare
/// one thread with many), else one per core.
fn threads() -> usize {
    std::env::var("COMFYDOCTOR_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f` over `items` on up to one thread per core, results in the order of `items`. Each thread
/// takes the next unclaimed item, so one slow install (a big `models/`) does not hold up a
/// fixed share of the others.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads().min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break out };
                        out.push((i, f(item)));
                    }
                })
            })
            .collect();
        // A panic in a worker is a bug: re-raise it here rather than lose installs.
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::par_map;

    #[test]
    fn par_map_keeps_order() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(par_map(&items, |x| x * 2), items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(par_map(&[] as &[u32], |x| *x).is_empty());
    }
}
