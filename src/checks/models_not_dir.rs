//! `models-not-dir`: `models` is a file, a link to a file, or something else that is no folder.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection, ModelsState};

pub const CHECK: Check = Check {
    id: CheckId::ModelsNotDir,
    severity: Severity::Error,
    summary: "models is a regular file or something else that is not a folder",
    explain: "ComfyUI needs models to be a folder. A file there (often left by a failed copy or \
a zip tool) hides every model.\n\nFix: rename the file to a backup name beside it (nothing is \
deleted), then create the link.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let what = match &inspection.models {
        ModelsState::NotDir(what) => what.clone(),
        ModelsState::Link(l) if l.resolved.is_some() && !l.target_is_dir => {
            format!("a link to the file {}", l.raw_target.display())
        }
        _ => return None,
    };
    Some(Finding::new(
        CHECK.id,
        Severity::Error,
        format!("models is {what}, not a folder"),
        Some(format!("rename it to a backup name, then {}", super::link_missing::link_fix(global))),
    ))
}
