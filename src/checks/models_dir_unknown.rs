//! `models-dir-unknown`: nothing says where the global models folder is.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection};

pub const CHECK: Check = Check {
    id: CheckId::ModelsDirUnknown,
    severity: Severity::Error,
    summary: "the global models folder is not known, so the link checks cannot run",
    explain: "comfydoctor links every install's models/ to one global models folder. It takes that \
folder from --models-dir, else COMFYDOCTOR_MODELS_DIR, else the workspace's \
.metadata/workspace.json (global_model_directory.path), else the base_path that every legacy \
extra_model_paths.yaml agrees on. None of them said anything, so the checks that compare against \
the global folder (link-wrong-target, global-missing, global-layout) were not run.\n\n\
Fix: none automatic; tell comfydoctor the folder with one of the sources above.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(_: &Inspection, _: Option<&GlobalState>) -> Option<Finding> {
    None
}

/// The finding for one install, naming every way to set the folder.
pub fn finding(inspection: &Inspection) -> Finding {
    let ws_hint = match &inspection.install.workspace {
        Some(ws) => {
            format!(", or set global_model_directory.path in {}", ws.join(".metadata").join("workspace.json").display())
        }
        None => String::new(),
    };
    Finding::new(
        CHECK.id,
        Severity::Error,
        format!("the global models folder is unknown: pass `--models-dir DIR` or set COMFYDOCTOR_MODELS_DIR{ws_hint}"),
        None,
    )
}
