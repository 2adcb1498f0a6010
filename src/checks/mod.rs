//! The check set. Each check is a pure function of an [`Inspection`]; one file per check, named
//! by its ID. IDs, severities and the JSON they end up in are part of the CLI contract.
//!
//! [`check`] maps every [`CheckId`] to its check with an exhaustive `match`, and `fixes::fix` does
//! the same for its fix, so a new ID cannot compile without both.

pub use crate::check_id::{CheckId, UnknownCheckId};
use crate::inspect::Inspection;
pub use finding::{Check, Finding, Severity};

pub mod detached;
mod finding;
pub mod git_protection_lost;
mod git_tracks_models;
mod global_layout;
mod global_link_broken;
mod global_missing;
mod legacy_yaml;
mod link_broken;
mod link_missing;
mod link_wrong_target;
pub mod links_unsupported;
mod models_dir_real;
mod models_dir_unknown;
mod models_not_dir;
mod placeholder_only;
mod run_interrupted;
#[cfg(test)]
mod test_support;
pub mod workspace_moved;

/// The check behind an ID.
pub fn check(id: CheckId) -> &'static Check {
    match id {
        CheckId::ModelsDirUnknown => &models_dir_unknown::CHECK,
        CheckId::GlobalMissing => &global_missing::CHECK,
        CheckId::GlobalLayout => &global_layout::CHECK,
        CheckId::GlobalLinkBroken => &global_link_broken::CHECK,
        CheckId::LinkMissing => &link_missing::CHECK,
        CheckId::WorkspaceMoved => &workspace_moved::CHECK,
        CheckId::LinkBroken => &link_broken::CHECK,
        CheckId::LinkWrongTarget => &link_wrong_target::CHECK,
        CheckId::ModelsNotDir => &models_not_dir::CHECK,
        CheckId::PlaceholderOnly => &placeholder_only::CHECK,
        CheckId::ModelsDirReal => &models_dir_real::CHECK,
        CheckId::LinksUnsupported => &links_unsupported::CHECK,
        CheckId::LegacyYaml => &legacy_yaml::CHECK,
        CheckId::GitTracksModels => &git_tracks_models::CHECK,
        CheckId::Detached => &detached::CHECK,
        CheckId::RunInterrupted => &run_interrupted::CHECK,
        CheckId::GitProtectionLost => &git_protection_lost::CHECK,
    }
}

/// Every check, in report order.
pub fn all() -> impl Iterator<Item = &'static Check> {
    CheckId::ALL.into_iter().map(check)
}

/// Runs the selected checks on one install. Checks that need an unknown global folder are
/// replaced by one `models-dir-unknown` finding.
pub fn run(inspection: &Inspection, selected: &[CheckId]) -> Vec<Finding> {
    let global = inspection.global.as_ref();
    let mut findings = Vec::new();
    let mut global_needed = false;
    for check in selected.iter().map(|&id| check(id)) {
        if check.id == CheckId::ModelsDirUnknown {
            continue;
        }
        if check.needs_global && global.is_none() {
            global_needed = true;
            continue;
        }
        findings.extend((check.run)(inspection, global));
    }
    links_unsupported::drop_what_needs_a_link(inspection, &mut findings);
    if global.is_none() && (global_needed || selected.contains(&CheckId::ModelsDirUnknown)) {
        findings.insert(0, models_dir_unknown::finding(inspection));
    }
    findings
}
