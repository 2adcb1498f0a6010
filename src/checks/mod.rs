//! The check set. Each check is a pure function of an [`Inspection`]; one file per check, named
//! by its ID. IDs, severities and the JSON they end up in are part of the CLI contract.

use serde::Serialize;

use crate::inspect::{GlobalState, Inspection};

mod git_tracks_models;
mod global_layout;
mod global_missing;
mod legacy_yaml;
mod link_broken;
mod link_missing;
mod link_wrong_target;
mod models_dir_real;
mod models_dir_unknown;
mod models_not_dir;
mod placeholder_only;
#[cfg(test)]
mod test_support;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One thing wrong (or worth knowing) about one install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    /// What `comfydoctor fix` would do, in one sentence; `None` when nothing.
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(check: &'static str, severity: Severity, message: impl Into<String>, fix: Option<String>) -> Self {
        Finding { check, severity, message: message.into(), fix }
    }
}

/// A check: its contract (ID, one-line summary, explanation) and its logic.
pub struct Check {
    pub id: &'static str,
    pub summary: &'static str,
    /// What it means, why it matters, what the fix does.
    pub explain: &'static str,
    /// Whether it needs the global folder; without one it yields to `models-dir-unknown`.
    pub needs_global: bool,
    pub run: fn(&Inspection, Option<&GlobalState>) -> Option<Finding>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// Every check, in report order: the global folder, then `models`, then the YAML, then git.
pub const ALL: &[&Check] = &[
    &models_dir_unknown::CHECK,
    &global_missing::CHECK,
    &global_layout::CHECK,
    &link_missing::CHECK,
    &link_broken::CHECK,
    &link_wrong_target::CHECK,
    &models_not_dir::CHECK,
    &placeholder_only::CHECK,
    &models_dir_real::CHECK,
    &legacy_yaml::CHECK,
    &git_tracks_models::CHECK,
];

/// Checks about the global folder itself rather than one install.
pub fn is_global_check(id: &str) -> bool {
    id == global_missing::CHECK.id || id == global_layout::CHECK.id
}

pub fn find(id: &str) -> Option<&'static Check> {
    ALL.iter().copied().find(|c| c.id == id)
}

/// Runs the selected checks on one install. Checks that need an unknown global folder are
/// replaced by one `models-dir-unknown` finding.
pub fn run(inspection: &Inspection, selected: &[&'static Check]) -> Vec<Finding> {
    let global = inspection.global.as_ref();
    let mut findings = Vec::new();
    let mut global_needed = false;
    for check in selected {
        if check.id == models_dir_unknown::CHECK.id {
            continue;
        }
        if check.needs_global && global.is_none() {
            global_needed = true;
            continue;
        }
        findings.extend((check.run)(inspection, global));
    }
    if global.is_none() && (global_needed || selected.iter().any(|c| c.id == models_dir_unknown::CHECK.id)) {
        findings.insert(0, models_dir_unknown::finding(inspection));
    }
    findings
}
