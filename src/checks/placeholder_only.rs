//! `placeholder-only`: a real `models/` holding nothing but what a fresh ComfyUI clone ships.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection, ModelsState};

pub const CHECK: Check = Check {
    id: CheckId::PlaceholderOnly,
    severity: Severity::Warning,
    summary: "models is a real folder holding only ComfyUI's stock files",
    explain: "A fresh ComfyUI clone has a real models/ folder with 0-byte put_*_here \
placeholders and 11 stock YAML files in models/configs. Nothing user-made is there, but the \
install does not see the shared models.\n\nFix (no prompt needed): merge the stock configs into \
the global folder when absent there (identical copies are dropped), remove the 0-byte \
placeholders and the then-empty folders, and link models/ to the global folder.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let ModelsState::RealDir(tree) = &inspection.models else {
        return None;
    };
    if !tree.stock_only || inspection.models_is_global {
        return None;
    }
    let (mut empty, mut content) = (0, 0);
    for (_, len) in tree.files() {
        if len == 0 {
            empty += 1;
        } else {
            content += 1;
        }
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Warning,
        format!(
            "models/ is a real folder holding only ComfyUI's stock files ({}, {} with content)",
            crate::wording::count(empty, "placeholder", "placeholders"),
            crate::wording::count(content, "stock file", "stock files")
        ),
        Some(format!("merge stock files, remove placeholders, {}", super::link_missing::link_fix(global))),
    ))
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{DirTree, Inspection, ModelsState};

    const ID: CheckId = CheckId::PlaceholderOnly;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn fires_only_on_a_real_folder_of_stock_files() {
        for global in [Some(global_ok()), None] {
            assert_eq!(fires_on(&CHECK, global), ["stock-dir"]);
        }
    }

    #[test]
    fn silent_on_the_install_whose_models_is_the_global_folder() {
        let owner = Inspection { models_is_global: true, ..inspection(ModelsState::RealDir(stock_tree())) };
        assert_eq!((CHECK.run)(&owner, owner.global.as_ref()), None);
    }

    #[test]
    fn counts_placeholders_and_stock_files() {
        let f = fired(&CHECK, ID, &inspection(ModelsState::RealDir(stock_tree())));
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.message,
            "models/ is a real folder holding only ComfyUI's stock files (1 placeholder, 1 stock file with content)"
        );
    }

    #[test]
    fn the_fix_links_to_the_global_folder() {
        let fix = fired(&CHECK, ID, &inspection(ModelsState::RealDir(stock_tree()))).fix.expect("a fix");
        assert!(fix.starts_with("merge stock files, remove placeholders, link models/ → "), "{fix}");
        assert_names(&fix, &global_path());
        let i = Inspection { global: None, ..inspection(ModelsState::RealDir(stock_tree())) };
        assert!(fired(&CHECK, ID, &i).fix.expect("a fix").ends_with("(set it first)"));
    }

    #[test]
    fn an_empty_real_folder_counts_as_stock() {
        let empty = DirTree {
            entries: Vec::new(),
            stock_only: true,
            first_user_entry: None,
            unreadable: Vec::new(),
            counted: None,
        };
        let f = fired(&CHECK, ID, &inspection(ModelsState::RealDir(empty)));
        assert!(f.message.ends_with("(0 placeholders, 0 stock files with content)"), "{}", f.message);
    }
}
