//! `link-missing`: the install has no `models` entry at all.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection, ModelsState};
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::LinkMissing,
    severity: Severity::Error,
    summary: "the install has no models folder or link at all",
    explain: "ComfyUI looks for models under <ComfyUI>/models. Without it, ComfyUI lists no \
models (and recreates an empty folder on start).\n\nFix: create models as a link to the global \
models folder (a symlink on Linux/macOS, a junction on Windows).",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    if inspection.models != ModelsState::Missing {
        return None;
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Error,
        format!("{} does not exist", display_path(&inspection.install.models_path())),
        Some(link_fix(global)),
    ))
}

/// "link models/ → <global>", shared by the checks whose fix is to make the link.
pub fn link_fix(global: Option<&GlobalState>) -> String {
    match global {
        Some(g) => format!("link models/ → {}", display_path(&g.dir.path)),
        None => "link models/ to the global models folder (set it first)".into(),
    }
}
