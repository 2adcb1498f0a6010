//! `git-protection-lost`: an updater that ignores git's protection (libgit2: pygit2, the Windows
//! portable build's `update_comfyui.bat`) updated a linked checkout and wrote through the link.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection};
use crate::protection::ProtectionLost;
use crate::wording::short_list;

pub const CHECK: Check = Check {
    id: CheckId::GitProtectionLost,
    severity: Severity::Error,
    summary: "an updater ignored git's protection of the models link and wrote through it",
    explain: "Updaters built on libgit2 (pygit2: the Windows portable build's update_comfyui.bat, \
which runs update.py) ignore the skip-worktree bits and the sparse checkout that keep git away \
from a models/ link. On an update they stash the tracked models/ files as deleted, clear every \
skip-worktree bit (git status stays dirty, every later update stashes again), write placeholders \
and new stock folders through the link into the global folder, and overwrite stock configs there \
with upstream's bytes. It shows as: the sparse rule for /models/ is still set, the bits are not, \
and models/ is still the link.\n\nFix: remove the 0-byte placeholders the updater wrote into the \
global folder (those the journal of the last run did not see there), mark the tracked models/ \
paths skip-worktree again (git status is clean), and leave the updater's stash alone but say what \
it holds. A stock file of the global folder that now holds upstream's bytes is named, with the \
sha256 the journal recorded for it before; its earlier bytes are not restored (comfydoctor never \
kept them). Update with `comfydoctor guard PATH -- UPDATER` (examples/update_comfyui_comfydoctor.bat) \
to keep the updater away from the global folder.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, _: Option<&GlobalState>) -> Option<Finding> {
    let lost = inspection.protection_lost.as_ref()?;
    Some(Finding::new(CHECK.id, Severity::Error, message(lost), Some(fix_text(lost))))
}

fn message(lost: &ProtectionLost) -> String {
    let mut parts = vec![format!(
        "an updater that ignores git's protection (libgit2, e.g. update_comfyui.bat) wrote through the models link: {} of {} lost skip-worktree and git shows them deleted",
        lost.unskipped,
        crate::wording::count(lost.tracked, "tracked models/ path", "tracked models/ paths")
    )];
    if !lost.written_placeholders.is_empty() {
        parts.push(format!(
            "it wrote {} into the global folder ({})",
            crate::wording::count(lost.written_placeholders.len(), "placeholder", "placeholders"),
            short_list(&lost.written_placeholders)
        ));
    }
    if !lost.overwritten.is_empty() {
        parts.push(overwritten_text(lost));
    }
    if let Some((subject, paths)) = &lost.stash {
        parts.push(format!("its stash \"{subject}\" holds {}", crate::wording::count(paths.len(), "path", "paths")));
    }
    parts.join("; ")
}

/// The stock files of the global folder that now hold upstream's bytes, with what the journal
/// knew of them.
pub fn overwritten_text(lost: &ProtectionLost) -> String {
    let named: Vec<String> = lost
        .overwritten
        .iter()
        .map(|o| match &o.before {
            Some((sha, size)) if o.was_stock => {
                format!(
                    "{} (before: a stock version, sha256 {sha}, {size} bytes, so no edit was lost unless made since)",
                    o.path
                )
            }
            Some((sha, size)) => format!("{} (before: sha256 {sha}, {size} bytes)", o.path),
            None => format!("{} (no earlier record)", o.path),
        })
        .collect();
    format!("it overwrote {} with upstream's bytes", named.join(", "))
}

fn fix_text(lost: &ProtectionLost) -> String {
    let mut s = String::new();
    if !lost.written_placeholders.is_empty() {
        s.push_str("remove the placeholders it wrote, ");
    }
    s.push_str("mark models/ skip-worktree again; the stash is left alone");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::*;
    use crate::protection::Overwritten;

    fn lost() -> ProtectionLost {
        ProtectionLost {
            tracked: 4,
            unskipped: 4,
            global: global_path(),
            written_placeholders: vec!["checkpoints/put_checkpoints_here".into()],
            overwritten: vec![Overwritten {
                path: "configs/v1.yaml".into(),
                before: Some(("ab12".into(), 17)),
                was_stock: false,
            }],
            record: Some(("run".into(), "t".into())),
            stash: Some(("WIP on master: x".into(), vec![("D".into(), "models/a".into())])),
        }
    }

    #[test]
    fn silent_without_the_facts() {
        assert!(fires_on(&CHECK, Some(global_ok())).is_empty());
    }

    #[test]
    fn an_error_that_names_what_the_updater_did() {
        let i = Inspection { protection_lost: Some(lost()), ..healthy() };
        let f = fired(&CHECK, CheckId::GitProtectionLost, &i);
        assert_eq!(f.severity, Severity::Error);
        for part in [
            "4 of 4 tracked",
            "put_checkpoints_here",
            "configs/v1.yaml (before: sha256 ab12, 17 bytes)",
            "WIP on master",
        ] {
            assert!(f.message.contains(part), "{part}: {}", f.message);
        }
        assert!(f.fix.as_deref().unwrap().contains("stash is left alone"));
    }

    #[test]
    fn without_a_record_it_says_so() {
        let mut l = lost();
        l.overwritten[0].before = None;
        l.written_placeholders.clear();
        let f = fired(&CHECK, CheckId::GitProtectionLost, &Inspection { protection_lost: Some(l), ..healthy() });
        assert!(f.message.contains("configs/v1.yaml (no earlier record)"), "{}", f.message);
        assert!(!f.message.contains("placeholder"), "{}", f.message);
    }
}
