//! `link-broken`: `models` is a link whose target does not exist.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
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
    if link.resolved.is_some() || super::workspace_moved::applies(inspection, global).is_some() {
        return None;
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Error,
        format!("models links to {}, which does not exist", link.raw_target.display()),
        Some(super::link_missing::link_fix(global)),
    ))
}

#[cfg(test)]
mod tests {
    use crate::checks::CheckId;
    use std::path::Path;

    use super::CHECK;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{Inspection, ModelsState};

    const ID: CheckId = CheckId::LinkBroken;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn fires_only_on_a_dangling_link() {
        for global in [Some(global_ok()), None] {
            assert_eq!(fires_on(&CHECK, global), ["broken-link"]);
        }
    }

    #[test]
    fn names_the_stored_target_and_the_global_folder() {
        let gone = ws().join("gone");
        let f = fired(&CHECK, ID, &inspection(ModelsState::Link(broken_link(&gone))));
        assert_eq!(f.severity, Severity::Error);
        assert_names(&f.message, &gone);
        assert!(f.message.ends_with("which does not exist"), "{}", f.message);
        assert_names(&f.fix.expect("a fix"), &global_path());
    }

    #[test]
    fn a_relative_target_is_shown_as_stored() {
        let raw = Path::new("..").join("..").join("models");
        let f = fired(&CHECK, ID, &inspection(ModelsState::Link(broken_link(&raw))));
        assert_eq!(f.message, format!("models links to {}, which does not exist", raw.display()));
    }

    #[test]
    fn a_dangling_link_to_the_global_folder_is_still_broken() {
        // The global folder was removed: the link names it but resolves to nothing.
        let i = Inspection {
            global: Some(global(crate::inspect::GlobalKind::Missing)),
            ..inspection(ModelsState::Link(broken_link(&global_path())))
        };
        assert_eq!(fired(&CHECK, ID, &i).severity, Severity::Error);
    }

    #[test]
    fn without_a_global_folder_the_fix_asks_to_set_it() {
        let i = Inspection { global: None, ..inspection(ModelsState::Link(broken_link(&ws().join("gone")))) };
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.fix.as_deref(), Some("link models/ to the global models folder (set it first)"));
    }
}
