//! The read-only pipeline every command starts with: discover → inspect → resolve the global
//! folder → check. It never writes; `fix` runs it again after executing to report the result.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::checks;
use crate::config::Target;
use crate::inspect::{self, GlobalState, ModelsState};
use crate::legacy_yaml;
use crate::report::{self, InstallReport, Scan};
use crate::workspace::{self, DiscoveryError, display_path};

/// Runs discovery, inspection and every selected check. Reads only.
pub fn collect(target: &Target) -> Result<Scan, DiscoveryError> {
    collect_found(target, workspace::discover(&target.paths, target.max_depth)?)
}

/// Inspection and checks of installs already discovered (`fix` locks their journal folders in
/// between, so nothing it inspects is being changed by another run).
pub fn collect_found(target: &Target, found: workspace::Discovery) -> Result<Scan, DiscoveryError> {
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
    let mut inspections: Vec<_> =
        found.installs.iter().map(|i| inspect::inspect_install(i, target.wants_git())).collect();
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
