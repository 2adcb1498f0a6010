//! `global-missing`: the global models folder does not exist or is not a folder.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
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

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{GlobalKind, Inspection};

    const ID: CheckId = CheckId::GlobalMissing;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
        assert!(crate::checks::check(CHECK.id).about_global);
    }

    #[test]
    fn fires_on_a_missing_folder_or_a_file_whatever_models_is() {
        let all: Vec<_> = models_states().into_iter().map(|(name, _)| name).collect();
        for (kind, fires) in [
            (GlobalKind::Missing, true),
            (GlobalKind::NotDir, true),
            (GlobalKind::Dir { missing_subfolders: Vec::new() }, false),
            (GlobalKind::Dir { missing_subfolders: vec!["vae".into()] }, false),
        ] {
            let expected = if fires { all.clone() } else { Vec::new() };
            assert_eq!(fires_on(&CHECK, Some(global(kind.clone()))), expected, "{kind:?}");
        }
        assert!(fires_on(&CHECK, None).is_empty());
    }

    #[test]
    fn a_missing_folder_is_created() {
        let i = Inspection { global: Some(global(GlobalKind::Missing)), ..healthy() };
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.ends_with("does not exist"), "{}", f.message);
        assert_names(&f.message, &global_path());
        // The source says which setting to change.
        assert_names(&f.message, &workspace_json());
        let fix = f.fix.expect("a fix");
        assert!(fix.starts_with("create "), "{fix}");
        assert_names(&fix, &global_path());
    }

    #[test]
    fn a_file_in_its_place_is_left_alone() {
        let i = Inspection { global: Some(global(GlobalKind::NotDir)), ..healthy() };
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.ends_with("is not a folder"), "{}", f.message);
        assert_names(&f.message, &global_path());
        assert_names(&f.message, &workspace_json());
        assert_eq!(f.fix, None);
    }
}
