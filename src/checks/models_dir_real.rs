//! `models-dir-real`: a real `models/` folder holding user data.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection, ModelsState, human_bytes};
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::ModelsDirReal,
    severity: Severity::Warning,
    summary: "models is a real folder holding models or other user files",
    explain: "The install keeps its own models instead of the shared ones, so they use disk \
twice and other installs cannot see them.\n\nFix: with --strategy merge (default), move every \
entry to the same relative path in the global folder: identical duplicates are dropped, \
different files with the same name go to a backup folder and are reported as conflicts, nested \
links move as links (or are unfolded over an existing folder); then link models/. With \
--strategy backup, rename models/ to models.comfydoctor-backup-<time> and link; the prompt lists \
what ComfyUI will no longer see. Every change is journaled and `comfydoctor undo` reverses it.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let ModelsState::RealDir(tree) = &inspection.models else {
        return None;
    };
    if tree.stock_only || inspection.models_is_global {
        return None;
    }
    let (files, bytes) = tree.file_totals();
    let mut message = format!(
        "models/ is a real folder holding {}, {}",
        crate::wording::count(files, "file", "files"),
        human_bytes(bytes)
    );
    let links: Vec<String> =
        tree.links().map(|(rel, l)| format!("{} → {}", rel.display(), l.raw_target.display())).collect();
    if !links.is_empty() {
        message.push_str(&format!(
            "; {}: {}",
            crate::wording::count(links.len(), "nested link", "nested links"),
            links.join(", ")
        ));
    }
    if !tree.unreadable.is_empty() {
        message.push_str(&format!("; {} unreadable", crate::wording::count(tree.unreadable.len(), "entry", "entries")));
    }
    let fix = match global {
        Some(g) => format!("merge into {} (or back up), then link", display_path(&g.dir.path)),
        None => "merge into the global folder (or back up), then link".into(),
    };
    Some(Finding::new(CHECK.id, Severity::Warning, message, Some(fix)))
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::{DirTree, Inspection, ModelsState};

    const ID: CheckId = CheckId::ModelsDirReal;

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn fires_only_on_a_real_folder_with_user_data() {
        for global in [Some(global_ok()), None] {
            assert_eq!(fires_on(&CHECK, global), ["user-dir"]);
        }
    }

    #[test]
    fn silent_on_the_install_whose_models_is_the_global_folder() {
        let owner = Inspection { models_is_global: true, ..inspection(ModelsState::RealDir(user_tree())) };
        assert_eq!((CHECK.run)(&owner, owner.global.as_ref()), None);
    }

    #[test]
    fn counts_files_and_bytes_and_names_nested_links() {
        let f = fired(&CHECK, ID, &inspection(ModelsState::RealDir(user_tree())));
        assert_eq!(f.severity, Severity::Warning);
        // 0 + 2 GiB + 1 KiB in three files (the placeholder counts too).
        assert!(f.message.starts_with("models/ is a real folder holding 3 files, 2.0 GiB"), "{}", f.message);
        assert!(f.message.contains("; 1 nested link: "), "{}", f.message);
        assert_names(&f.message, &elsewhere().join("loras"));
        assert!(!f.message.contains("unreadable"), "{}", f.message);
    }

    #[test]
    fn reports_unreadable_entries() {
        let tree = DirTree { unreadable: vec!["a: permission denied".into(), "b: gone".into()], ..user_tree() };
        let f = fired(&CHECK, ID, &inspection(ModelsState::RealDir(tree)));
        assert!(f.message.ends_with("; 2 entries unreadable"), "{}", f.message);
    }

    #[test]
    fn a_folder_whose_only_user_entry_is_unreadable_still_fires() {
        let tree = DirTree {
            entries: Vec::new(),
            stock_only: false,
            first_user_entry: Some("secret".into()),
            unreadable: vec!["secret: permission denied".into()],
            counted: None,
        };
        let f = fired(&CHECK, ID, &inspection(ModelsState::RealDir(tree)));
        assert_eq!(f.message, "models/ is a real folder holding 0 files, 0 bytes; 1 entry unreadable");
    }

    #[test]
    fn the_fix_names_the_global_folder_when_known() {
        let fix = fired(&CHECK, ID, &inspection(ModelsState::RealDir(user_tree()))).fix.expect("a fix");
        assert_names(&fix, &global_path());
        let i = Inspection { global: None, ..inspection(ModelsState::RealDir(user_tree())) };

        assert_eq!(fired(&CHECK, ID, &i).fix.as_deref(), Some("merge into the global folder (or back up), then link"));
    }
}
