//! `link-wrong-target`: `models` links to an existing folder other than the global one.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
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

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{GlobalKind, Inspection, ModelsState};

    const ID: CheckId = CheckId::LinkWrongTarget;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn fires_only_on_a_link_to_another_folder() {
        assert_eq!(fires_on(&CHECK, Some(global_ok())), ["wrong-target-link"]);
    }

    #[test]
    fn silent_without_a_global_folder() {
        assert!(fires_on(&CHECK, None).is_empty());
    }

    #[test]
    fn names_both_folders() {
        let f = fired(&CHECK, ID, &inspection(ModelsState::Link(dir_link(&elsewhere()))));
        assert_eq!(f.severity, Severity::Warning);
        assert_names(&f.message, &elsewhere());
        assert_names(&f.message, &global_path());
        let fix = f.fix.expect("a fix");
        assert_names(&fix, &elsewhere());
        assert!(fix.ends_with("then re-point the link"), "{fix}");
    }

    #[test]
    fn the_global_folder_spelled_differently_is_the_right_target() {
        for target in [
            ws().join("environments").join("..").join("models"),
            ws().join(".").join("models"),
            global_path().join("checkpoints").join(".."),
        ] {
            let i = inspection(ModelsState::Link(dir_link(&target)));
            assert_eq!(run(&CHECK, &i), None, "{}", target.display());
        }
    }

    #[test]
    fn a_subfolder_of_the_global_folder_is_a_wrong_target() {
        let target = global_path().join("checkpoints");
        let f = fired(&CHECK, ID, &inspection(ModelsState::Link(dir_link(&target))));
        assert_names(&f.message, &target);
    }

    #[test]
    fn compares_with_the_global_path_whatever_its_state() {
        for kind in
            [GlobalKind::Missing, GlobalKind::NotDir, GlobalKind::Dir { missing_subfolders: vec!["vae".into()] }]
        {
            let g = Some(global(kind));
            let right = Inspection { global: g.clone(), ..inspection(ModelsState::Link(dir_link(&global_path()))) };
            assert_eq!(run(&CHECK, &right), None);
            let wrong = Inspection { global: g, ..inspection(ModelsState::Link(dir_link(&elsewhere()))) };
            assert_eq!(fired(&CHECK, ID, &wrong).severity, Severity::Warning);
        }
    }
}
