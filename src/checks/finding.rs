//! What a check is and what it finds: the contract every `checks/<id>.rs` fills in. Apart from
//! `mod.rs`, which lists the checks, so that a check's file depends on this contract and on the
//! inspection only, never on the list it is part of.

use serde::Serialize;

use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub check: CheckId,
    pub severity: Severity,
    pub message: String,
    /// What `comfydoctor fix` would do, in one sentence; `None` when nothing.
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(check: CheckId, severity: Severity, message: impl Into<String>, fix: Option<String>) -> Self {
        Finding { check, severity, message: message.into(), fix }
    }
}

/// A check: its contract (ID, usual severity, one-line summary, explanation) and its logic.
pub struct Check {
    pub id: CheckId,
    /// The severity its finding usually has (some findings say more or less, e.g. a YAML that
    /// does not parse is an error).
    pub severity: Severity,
    pub summary: &'static str,
    /// What it means, why it matters, what the fix does.
    pub explain: &'static str,
    /// Whether it needs the global folder; without one it yields to `models-dir-unknown`.
    pub needs_global: bool,
    /// Whether it is about the global folder itself (reported once, not per install).
    pub about_global: bool,
    pub run: fn(&Inspection, Option<&GlobalState>) -> Option<Finding>,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id.as_str())
    }
}
