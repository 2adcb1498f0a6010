//! `global-missing`: the global models folder does not exist or is not a folder.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalKind, GlobalState, Inspection};
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::GlobalMissing,
    severity: Severity::Error,
    summary: "the global models folder does not exist or is not a folder",
    explain: "Every install's models/ should link to the global models folder, so it must exist. \
When it is missing, links to it dangle and ComfyUI lists no models at all.\n\n\
Fix: create the folder (after asking; --yes accepts) and ComfyUI's standard subfolders in it. \
When the path exists but is a file, nothing is changed: move the file away or choose another \
folder with --models-dir.",
    needs_global: true,
    about_global: true,
    run,
};

fn run(_: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let global = global?;
    let shown = display_path(&global.dir.path);
    match global.kind {
        GlobalKind::Missing => Some(Finding::new(
            CHECK.id,
            Severity::Error,
            format!("global models folder {shown} (from {}) does not exist", global.dir.source),
            Some(format!("create {shown} and ComfyUI's standard subfolders")),
        )),
        GlobalKind::NotDir => Some(Finding::new(
            CHECK.id,
            Severity::Error,
            format!("global models folder {shown} (from {}) is not a folder", global.dir.source),
            None,
        )),
        GlobalKind::Dir { .. } => None,
    }
}
