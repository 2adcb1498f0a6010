//! `workspace-moved`: the workspace was moved (renamed, or is seen at another path, as in a
//! container): every install's `models` link points at the same folder, which is gone, and the
//! workspace holds that folder at its new place; or `workspace.json` still names the old place.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection, links::WorkspaceMove};
use crate::platform;
use crate::workspace::{ModelsDirSource, display_path};

pub const CHECK: Check = Check {
    id: CheckId::WorkspaceMoved,
    severity: Severity::Error,
    summary: "the workspace was moved: every install's models link points at the old place",
    explain: "An absolute link names one path. When the workspace folder is moved or renamed, \
reached from a container where it is mounted at another path (/workspace), or from another \
machine over a share, every install's models link dangles at once. comfydoctor says the \
workspace was moved when every install of the workspace links to the same missing folder, that \
folder's old root is gone too, and the workspace holds a folder of that name (the global models \
folder) at its new place. A workspace.json that still names the old place is read as the folder \
at the new place (an info line says so; comfydoctor does not edit ComfyDock's file).\n\nFix \
(asked; --yes takes it): one `fix` re-points every install's link to the global folder at the \
new place. New links are relative where the install and the global folder share the workspace \
root (see --link-style), so a later move or mount keeps them working; Windows junctions stay \
absolute, as the OS requires.",
    needs_global: true,
    about_global: false,
    run,
};

/// The move, when this install's link is one of those left behind and the folder at the new
/// place is the global folder (otherwise `link-broken` re-points it to the global folder).
pub fn applies<'a>(inspection: &'a Inspection, global: Option<&GlobalState>) -> Option<&'a WorkspaceMove> {
    let global = global?;
    inspection.link.moved.as_ref().filter(|m| platform::same_dir(&m.new_target, &global.dir.path))
}

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    if let Some(m) = applies(inspection, global) {
        let all = if m.installs > 1 {
            format!(" (as do all {} installs of the workspace)", m.installs)
        } else {
            String::new()
        };
        return Some(Finding::new(
            CHECK.id,
            Severity::Error,
            format!(
                "the workspace was moved from {} to {}: models links to {}, which is gone{all}; the global models folder is now {}",
                display_path(&m.old_root),
                display_path(&m.new_root),
                display_path(&m.old_target),
                display_path(&m.new_target)
            ),
            Some(format!("re-point the link to {}", display_path(&m.new_target))),
        ));
    }
    let global = global?;
    let ModelsDirSource::WorkspaceMoved { file, was } = &global.dir.source else { return None };
    Some(Finding::new(
        CHECK.id,
        Severity::Info,
        format!(
            "{} names the global models folder {}, which is gone: the workspace was moved, so {} is used; update global_model_directory.path there (comfydoctor leaves ComfyDock's file alone)",
            display_path(file),
            display_path(was),
            display_path(&global.dir.path)
        ),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::test_support::*;
    use crate::checks::{CheckId, Severity};
    use crate::inspect::links::{LinkPlace, WorkspaceMove};
    use crate::inspect::{Inspection, ModelsState};

    const ID: CheckId = CheckId::WorkspaceMoved;

    fn moved(new_target: std::path::PathBuf) -> Inspection {
        let old = std::path::PathBuf::from(if cfg!(windows) { r"C:\old" } else { "/old" });
        let m = WorkspaceMove {
            old_root: old.clone(),
            new_root: ws(),
            old_target: old.join("models"),
            new_target,
            installs: 2,
        };
        Inspection {
            link: LinkPlace { moved: Some(m), ..Default::default() },
            ..inspection(ModelsState::Link(broken_link(&old.join("models"))))
        }
    }

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
        assert_eq!(ID.as_str(), "workspace-moved");
    }

    #[test]
    fn silent_without_a_move() {
        for global in [Some(global_ok()), None] {
            assert!(fires_on(&CHECK, global).is_empty());
        }
    }

    #[test]
    fn a_move_to_the_global_folder_is_reported_and_link_broken_yields() {
        let i = moved(global_path());
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.starts_with("the workspace was moved from "), "{}", f.message);
        assert!(f.message.contains("as do all 2 installs"), "{}", f.message);
        assert_names(&f.fix.unwrap(), &global_path());
        let ids: Vec<CheckId> = crate::checks::run(&i, &CheckId::ALL).iter().map(|f| f.check).collect();
        assert_eq!(ids, [ID]);
    }

    #[test]
    fn a_move_elsewhere_than_the_global_folder_is_link_broken() {
        let i = moved(elsewhere());
        assert_eq!(run(&CHECK, &i), None);
        let ids: Vec<CheckId> = crate::checks::run(&i, &CheckId::ALL).iter().map(|f| f.check).collect();
        assert_eq!(ids, [CheckId::LinkBroken]);
    }
}
