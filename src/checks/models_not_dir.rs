//! `models-not-dir`: `models` is a file, a link to a file, or something else that is no folder.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
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

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{Inspection, ModelsState};

    const ID: CheckId = CheckId::ModelsNotDir;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn fires_on_a_file_and_on_a_link_to_a_file() {
        for global in [Some(global_ok()), None] {
            assert_eq!(fires_on(&CHECK, global), ["file-link", "not-dir"]);
        }
    }

    #[test]
    fn says_what_models_is() {
        for (what, expected) in [
            ("a regular file of 12 bytes", "models is a regular file of 12 bytes, not a folder"),
            ("a special file", "models is a special file, not a folder"),
        ] {
            let f = fired(&CHECK, ID, &inspection(ModelsState::NotDir(what.into())));
            assert_eq!(f.severity, Severity::Error);
            assert_eq!(f.message, expected);
        }
    }

    #[test]
    fn a_link_to_a_file_names_the_file() {
        let zip = ws().join("models.zip");
        let f = fired(&CHECK, ID, &inspection(ModelsState::Link(file_link(&zip))));
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.starts_with("models is a link to the file "), "{}", f.message);
        assert_names(&f.message, &zip);
    }

    #[test]
    fn the_fix_renames_then_links_to_the_global_folder() {
        let f = fired(&CHECK, ID, &inspection(ModelsState::NotDir("a special file".into())));
        let fix = f.fix.expect("a fix");
        assert!(fix.starts_with("rename it to a backup name, then link models/ → "), "{fix}");
        assert_names(&fix, &global_path());
        let i = Inspection { global: None, ..inspection(ModelsState::NotDir("a special file".into())) };
        assert!(fired(&CHECK, ID, &i).fix.expect("a fix").ends_with("(set it first)"));
    }
}
