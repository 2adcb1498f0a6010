//! `global-layout`: the global folder lacks some of ComfyUI's standard subfolders.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
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

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{GlobalKind, Inspection};

    const ID: CheckId = CheckId::GlobalLayout;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
        assert!(crate::checks::check(CHECK.id).about_global);
    }

    #[test]
    fn fires_only_on_a_folder_lacking_subfolders() {
        for (global, fires) in [
            (Some(global_lacking(&["vae"])), true),
            (Some(global_ok()), false),
            (Some(global(GlobalKind::Missing)), false),
            (Some(global(GlobalKind::NotDir)), false),
            (None, false),
        ] {
            let i = Inspection { global: global.clone(), ..healthy() };
            assert_eq!(run(&CHECK, &i).is_some(), fires, "{global:?}");
        }
    }

    #[test]
    fn independent_of_the_models_state() {
        assert_eq!(fires_on(&CHECK, Some(global_lacking(&["vae"]))).len(), models_states().len());
    }

    #[test]
    fn names_the_folder_and_what_it_lacks() {
        let i = Inspection { global: Some(global_lacking(&["vae", "loras"])), ..healthy() };
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.severity, Severity::Info);
        assert_names(&f.message, &global_path());
        let standard = crate::stock::standard_subfolders().len();
        assert!(
            f.message.ends_with(&format!("lacks 2 of ComfyUI's {standard} standard subfolders: vae, loras")),
            "{}",
            f.message
        );
        assert_eq!(f.fix.as_deref(), Some("create the missing subfolders"));
    }
}
