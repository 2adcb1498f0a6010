//! `link-broken`: `models` is a link whose target does not exist.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection, ModelsState};

pub const CHECK: Check = Check {
    id: CheckId::LinkBroken,
    severity: Severity::Error,
    summary: "models is a link whose target does not exist",
    explain: "A dangling models link makes ComfyUI list no models, and some ComfyUI versions \
crash while building the model list. Usually the global folder was moved or renamed, or an \
updater removed it.\n\nFix: point the link at the global models folder (the old link is removed; \
links hold no data).",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let ModelsState::Link(link) = &inspection.models else {
        return None;
    };
    if link.resolved.is_some() {
        return None;
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Error,
        format!("models links to {}, which does not exist", link.raw_target.display()),
        Some(super::link_missing::link_fix(global)),
    ))
}
