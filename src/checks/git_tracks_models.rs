//! `git-tracks-models`: a git checkout that a `models/` link would break.

use super::{Check, CheckId, Finding, Severity};
use crate::git::GitState;
use crate::inspect::{GlobalState, Inspection};

pub const CHECK: Check = Check {
    id: CheckId::GitTracksModels,
    severity: Severity::Warning,
    summary: "the install is a git checkout whose index tracks models/, so a link breaks git pull",
    explain: "ComfyUI's repository tracks models/ (placeholders and stock configs). Once models/ \
is a link, `git pull` aborts (\"untracked working tree files would be overwritten\" or \"beyond a \
symbolic link\"), and some update scripts delete the link.\n\nFix (after the link is in place): \
mark the tracked models/ paths skip-worktree, add a non-cone sparse-checkout rule that keeps \
everything but /models/ (merged with existing rules), and add /models to .git/info/exclude. \
`comfydoctor undo` restores the previous state.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, _: Option<&GlobalState>) -> Option<Finding> {
    match &inspection.git {
        GitState::NotARepo => None,
        GitState::GitMissing => {
            Some(Finding::new(CHECK.id, Severity::Info, "git checkout, but no `git` on PATH: check skipped", None))
        }
        GitState::Error(e) => Some(Finding::new(CHECK.id, Severity::Info, format!("check skipped: {e}"), None)),
        GitState::Repo(repo) if repo.protected() => None,
        GitState::Repo(repo) => Some(Finding::new(
            CHECK.id,
            Severity::Warning,
            format!(
                "git tracks {} path(s) under models/ and no sparse-checkout rule keeps models/ out: a models link breaks `git pull`",
                repo.tracked
            ),
            Some("mark models/ skip-worktree, exclude /models/ from the sparse checkout".into()),
        )),
    }
}
