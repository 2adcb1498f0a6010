//! `placeholder-only`: a real `models/` holding nothing but what a fresh ComfyUI clone ships.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection, ModelsState};

pub const CHECK: Check = Check {
    id: CheckId::PlaceholderOnly,
    severity: Severity::Warning,
    summary: "models is a real folder holding only ComfyUI's stock files",
    explain: "A fresh ComfyUI clone has a real models/ folder with 0-byte put_*_here \
placeholders and 11 stock YAML files in models/configs. Nothing user-made is there, but the \
install does not see the shared models.\n\nFix (no prompt needed): merge the stock configs into \
the global folder when absent there (identical copies are dropped), remove the 0-byte \
placeholders and the then-empty folders, and link models/ to the global folder.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let ModelsState::RealDir(tree) = &inspection.models else {
        return None;
    };
    if !tree.stock_only {
        return None;
    }
    let (mut empty, mut content) = (0, 0);
    for (_, len) in tree.files() {
        if len == 0 {
            empty += 1;
        } else {
            content += 1;
        }
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Warning,
        format!(
            "models/ is a real folder holding only ComfyUI's stock files ({empty} placeholder(s), {content} stock file(s) with content)"
        ),
        Some(format!("merge stock files, remove placeholders, {}", super::link_missing::link_fix(global))),
    ))
}
