//! `link-missing`: the install has no `models` entry at all.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection, ModelsState};
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::LinkMissing,
    severity: Severity::Error,
    summary: "the install has no models folder or link at all",
    explain: "ComfyUI looks for models under <ComfyUI>/models. Without it, ComfyUI lists no \
models (and recreates an empty folder on start).\n\nFix: create models as a link to the global \
models folder (a symlink on Linux/macOS, a junction on Windows). The symlink is relative (e.g. \
../../../models) when the install and the global folder share the workspace root, so the \
workspace can be moved, renamed or mounted at another path (a container's /workspace) and stay \
healthy; --link-style relative|absolute|auto or link_style in <workspace>/.comfydoctor/config.json \
chooses otherwise. Windows junctions are always absolute: the OS stores no other kind.",
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

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{Inspection, ModelsState};

    const ID: CheckId = CheckId::LinkMissing;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn fires_only_when_models_is_missing() {
        for global in [Some(global_ok()), None] {
            assert_eq!(fires_on(&CHECK, global), ["missing"]);
        }
    }

    #[test]
    fn names_the_models_path_and_the_link_to_make() {
        let f = fired(&CHECK, ID, &inspection(ModelsState::Missing));
        assert_eq!(f.severity, Severity::Error);
        assert_names(&f.message, &root().join("models"));
        let fix = f.fix.expect("a fix");
        assert!(fix.starts_with("link models/ → "), "{fix}");
        assert_names(&fix, &global_path());
    }

    #[test]
    fn without_a_global_folder_the_fix_asks_to_set_it() {
        let f = fired(&CHECK, ID, &Inspection { global: None, ..inspection(ModelsState::Missing) });
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.fix.as_deref(), Some("link models/ to the global models folder (set it first)"));
    }
}
