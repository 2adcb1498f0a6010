//! `git-tracks-models`: a git checkout that a `models/` link would break.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::git::{GitState, Unusable};
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
`comfydoctor undo` restores the previous state.\n\nWhen git cannot be asked (no `git` on PATH, a \
repository owned by another user that git refuses as \"dubious ownership\", a damaged `.git`), the \
checkout cannot be protected: `fix` refuses to make the link for that install and says how to \
make git usable (install it, `git config --global --add safe.directory <path>`, repair the \
repository), unless `fix --no-git-protection` is given.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, _: Option<&GlobalState>) -> Option<Finding> {
    if inspection.protection_lost.is_some() {
        return None; // `git-protection-lost` reports it, and its fix restores the protection
    }
    if inspection.models_is_global {
        return None; // never linked: git keeps its real models/ folder as it is
    }
    if let Some(u) = inspection.git.unusable(&inspection.install.root) {
        // Not an info line: `fix` refuses to link such a checkout, and a link made anyway (or by
        // another tool) leaves it unprotected. `fix` itself cannot repair git, so no fix text.
        return Some(Finding::new(CHECK.id, Severity::Warning, unusable_message(&u), None));
    }
    match &inspection.git {
        GitState::NotARepo | GitState::GitMissing | GitState::Error(_) => None,
        GitState::Repo(repo) if repo.protected() => None,
        GitState::Repo(repo) => Some(Finding::new(
            CHECK.id,
            Severity::Warning,
            format!(
                "git tracks {} under models/ and no sparse-checkout rule keeps models/ out: a models link breaks `git pull`",
                crate::wording::count(repo.tracked, "path", "paths")
            ),
            Some("mark models/ skip-worktree, exclude /models/ from the sparse checkout".into()),
        )),
    }
}

/// What the finding says about a checkout git cannot be asked about: why, what a link does to
/// it, and what to do.
pub fn unusable_message(u: &Unusable) -> String {
    format!(
        "{}: this git checkout cannot be protected, so with models/ a link it is unprotected (git shows the tracked models/ files deleted, `git pull` aborts, `git reset --hard` replaces the link); {}, then run `comfydoctor fix` again",
        u.why, u.remedy
    )
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
            ("no git", GitState::GitMissing, Some(Severity::Warning)),
            ("git failed", GitState::Error("git ls-files failed: boom".into()), Some(Severity::Warning)),
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
    fn a_missing_or_failing_git_says_why_and_what_to_do() {
        let dubious = "git ls-files failed: fatal: detected dubious ownership in repository at '/c'\nTo add an exception for this directory, call:\n\n\tgit config --global --add safe.directory /c";
        for (name, git, why, remedy) in [
            ("no git", GitState::GitMissing, "no `git` on PATH", "install git".to_string()),
            (
                "dubious ownership",
                GitState::Error(dubious.into()),
                "belongs to another user",
                format!(
                    "`git config --global --add safe.directory {}`",
                    crate::plan::quote(std::path::Path::new("/c"))
                ),
            ),
            (
                "corrupt",
                GitState::Error("git ls-files failed: fatal: index file corrupt\nmore".into()),
                "git ls-files failed: fatal: index file corrupt:",
                "repair the repository".to_string(),
            ),
        ] {
            let f = fired(&CHECK, ID, &with_git(git));
            assert_eq!(f.severity, Severity::Warning, "{name}");
            assert!(f.message.contains(why) && f.message.contains(&remedy), "{name}: {}", f.message);
            assert!(f.message.contains("unprotected") && !f.message.contains('\n'), "{name}: {}", f.message);
            assert_eq!(f.fix, None, "{name}: fix cannot repair git");
        }
    }

    #[test]
    fn an_unprotected_checkout_counts_tracked_paths() {
        let f = fired(&CHECK, ID, &with_git(git_repo(12, 12, false)));
        assert!(f.message.starts_with("git tracks 12 paths under models/"), "{}", f.message);
        assert_eq!(f.fix.as_deref(), Some("mark models/ skip-worktree, exclude /models/ from the sparse checkout"));
    }

    #[test]
    fn silent_on_the_install_whose_models_is_the_global_folder() {
        let mut owner = with_git(git_repo(12, 12, false));
        owner.models_is_global = true;
        assert!(run(&CHECK, &owner).is_none());
    }

    #[test]
    fn fires_whatever_models_is() {
        for (name, models) in models_states() {
            let i = Inspection { git: git_repo(1, 1, false), ..inspection(models) };
            assert!(run(&CHECK, &i).is_some(), "{name}");
        }
    }
}
