//! `global-layout`: the global folder lacks some of ComfyUI's standard subfolders.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalKind, GlobalState, Inspection};
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::GlobalLayout,
    severity: Severity::Info,
    summary: "the global models folder lacks some of ComfyUI's standard subfolders",
    explain: "A fresh ComfyUI has one subfolder per model kind (checkpoints, loras, vae, ...). \
Some custom nodes and model downloaders expect them to exist. This is informational: ComfyUI \
itself works without them.\n\nFix: create the missing subfolders (empty).",
    needs_global: true,
    about_global: true,
    run,
};

fn run(_: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let global = global?;
    let GlobalKind::Dir { missing_subfolders } = &global.kind else {
        return None;
    };
    if missing_subfolders.is_empty() {
        return None;
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Info,
        format!(
            "{} lacks {} of ComfyUI's {} standard subfolders: {}",
            display_path(&global.dir.path),
            missing_subfolders.len(),
            crate::stock::standard_subfolders().len(),
            missing_subfolders.join(", ")
        ),
        Some("create the missing subfolders".into()),
    ))
}
