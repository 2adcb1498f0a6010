//! `link-wrong-target`: `models` links to an existing folder other than the global one.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection, ModelsState};
use crate::platform;
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::LinkWrongTarget,
    severity: Severity::Warning,
    summary: "models links to a folder other than the global models folder",
    explain: "The install sees the models of another folder, not the shared ones. This happens \
when the global folder moved, or another tool linked the install elsewhere.\n\nFix: with \
--strategy merge (default), first bring every entry of the old target that the global folder \
lacks into the global folder (hard links on one filesystem, verified copies otherwise; the old \
target is only read), then re-point the link atomically. With --strategy backup, only re-point \
the link and list what ComfyUI will no longer see.",
    needs_global: true,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let (ModelsState::Link(link), Some(global)) = (&inspection.models, global) else {
        return None;
    };
    let target = link.resolved.as_ref().filter(|_| link.target_is_dir)?;
    if platform::same_dir(target, &global.dir.path) {
        return None;
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Warning,
        format!(
            "models links to {}, not to the global models folder {}",
            display_path(target),
            display_path(&global.dir.path)
        ),
        Some(format!("merge what {} holds into the global folder, then re-point the link", display_path(target))),
    ))
}
