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

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::git::GitState;
    use crate::inspect::Inspection;

    const ID: CheckId = CheckId::GitTracksModels;

    fn with_git(git: GitState) -> Inspection {
        Inspection { git, ..healthy() }
    }

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn silent_outside_a_checkout_whatever_models_is() {
        for global in [Some(global_ok()), None] {
            assert!(fires_on(&CHECK, global).is_empty());
        }
    }

    #[test]
    fn severity_by_git_state() {
        for (name, git, severity) in [
            ("not a repo", GitState::NotARepo, None),
            ("no git", GitState::GitMissing, Some(Severity::Info)),
            ("git failed", GitState::Error("git ls-files failed: boom".into()), Some(Severity::Info)),
            ("tracks nothing", git_repo(0, 0, false), None),
            ("skip-worktree and sparse rule", git_repo(12, 0, true), None),
            ("fresh clone", git_repo(12, 12, false), Some(Severity::Warning)),
            ("skip-worktree, no sparse rule", git_repo(12, 0, false), Some(Severity::Warning)),
            ("sparse rule, some not skipped", git_repo(12, 3, true), Some(Severity::Warning)),
        ] {
            let got = run(&CHECK, &with_git(git));
            assert_eq!(got.as_ref().map(|f| f.severity), severity, "{name}");
            if let Some(f) = got {
                assert_eq!(f.check, ID, "{name}");
            }
        }
    }

    #[test]
    fn a_missing_or_failing_git_skips_the_check() {
        let f = fired(&CHECK, ID, &with_git(GitState::GitMissing));
        assert_eq!(f.message, "git checkout, but no `git` on PATH: check skipped");
        assert_eq!(f.fix, None);
        let f = fired(&CHECK, ID, &with_git(GitState::Error("git ls-files failed: boom".into())));
        assert_eq!(f.message, "check skipped: git ls-files failed: boom");
        assert_eq!(f.fix, None);
    }

    #[test]
    fn an_unprotected_checkout_counts_tracked_paths() {
        let f = fired(&CHECK, ID, &with_git(git_repo(12, 12, false)));
        assert!(f.message.starts_with("git tracks 12 path(s) under models/"), "{}", f.message);
        assert_eq!(f.fix.as_deref(), Some("mark models/ skip-worktree, exclude /models/ from the sparse checkout"));
    }

    #[test]
    fn fires_whatever_models_is() {
        for (name, models) in models_states() {
            let i = Inspection { git: git_repo(1, 1, false), ..inspection(models) };
            assert!(run(&CHECK, &i).is_some(), "{name}");
        }
    }
}
