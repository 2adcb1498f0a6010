//! The git side of the executor: `GitSkipWorktree` and `GitSparseCheckout`. Git is asked
//! through its own binary (`crate::git::run`); undo restores the exact bytes of the files git
//! changed, never re-checking-out the work tree (that would write through the `models` link
//! into the global folder).

use std::fs;
use std::path::Path;

use crate::execute::atomic::write_atomic;
use crate::execute::journal::StepDetail;
use crate::execute::step::{Env, Fail, StepError, io_step, mismatch, read, refuse};
use crate::git::{self, Access};
use crate::plan::SavedFile;
use crate::platform::Entry;

fn git_err(repo: &Path, what: &str, detail: impl std::fmt::Display) -> StepError {
    StepError { path: repo.to_path_buf(), message: format!("{}: git {what} failed: {detail}", repo.display()) }
}

/// Runs `git -C repo args...` through [`git::run`]; a failure is a step error naming the repo.
pub(super) fn git(repo: &Path, args: &[&str], stdin: Option<&[u8]>, access: Access) -> Result<Vec<u8>, StepError> {
    let what = args.first().copied().unwrap_or("");
    let out = git::run(repo, args, stdin, access).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            git_err(repo, what, format!("cannot run git ({e}); install git or skip this check"))
        }
        _ => git_err(repo, what, e),
    })?;
    if !out.status.success() {
        return Err(git_err(repo, what, String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}

fn nul_list(paths: &[String]) -> Vec<u8> {
    let mut buf = Vec::new();
    for p in paths {
        buf.extend_from_slice(p.as_bytes());
        buf.push(0);
    }
    buf
}

/// How many of `paths` have the skip-worktree bit.
pub(super) fn skipped_count(repo: &Path, paths: &[String]) -> Result<usize, StepError> {
    if paths.is_empty() {
        return Ok(0);
    }
    let mut args = vec!["ls-files", "-t", "-z", "--"];
    args.extend(paths.iter().map(String::as_str));
    let out = git(repo, &args, None, Access::Read)?;
    Ok(git::ls_files_tagged(&out).filter(|(skipped, _)| *skipped).count())
}

pub(super) fn set_skip_worktree(repo: &Path, paths: &[String], on: bool) -> Result<(), StepError> {
    let flag = if on { "--skip-worktree" } else { "--no-skip-worktree" };
    git(repo, &["update-index", flag, "-z", "--stdin"], Some(&nul_list(paths)), Access::Write)?;
    Ok(())
}

/// Sets the sparse checkout. `sparse.expectFilesOutsideOfPatterns` comes first: without it git
/// sees the tracked files through the `models` link, clears their skip-worktree bits and then
/// reports them deleted (git 2.38+). It lives in the config a checkout shares with its
/// worktrees, so it is set only when not already true: the step of a second worktree then
/// leaves that file to the step that saved it (see `fixes::View::git_saves`).
fn sparse_set(repo: &Path, patterns: &[String]) -> Result<(), StepError> {
    let set = git(repo, &["config", "--bool", "sparse.expectFilesOutsideOfPatterns"], None, Access::Read)
        .is_ok_and(|o| String::from_utf8_lossy(&o).trim() == "true");
    if !set {
        git(repo, &["config", "sparse.expectFilesOutsideOfPatterns", "true"], None, Access::Write)?;
    }
    let mut args = vec!["sparse-checkout", "set", "--no-cone"];
    args.extend(patterns.iter().map(String::as_str));
    git(repo, &args, None, Access::Write)?;
    Ok(())
}

/// Whether the sparse-checkout file lists exactly these patterns.
fn sparse_is(repo_saved: &[SavedFile], patterns: &[String]) -> bool {
    repo_saved.iter().filter(|s| s.path.ends_with("info/sparse-checkout")).all(|s| {
        fs::read_to_string(&s.path)
            .is_ok_and(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).eq(patterns.iter().map(String::as_str)))
    })
}

fn current(path: &Path) -> Result<Option<String>, StepError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| StepError { path: path.to_path_buf(), message: format!("{}: not text", path.display()) }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_step(path, "cannot read", e)),
    }
}

/// Whether every saved file still holds what was saved.
pub(super) fn unchanged(saved: &[SavedFile]) -> Result<Option<&Path>, StepError> {
    for s in saved {
        if current(&s.path)? != s.contents {
            return Ok(Some(&s.path));
        }
    }
    Ok(None)
}

/// A digest of the saved files' current bytes, so undo can tell whether anyone edited them.
pub(super) fn digest(saved: &[SavedFile]) -> Result<String, StepError> {
    let mut h = crate::digest::Hasher::new();
    for s in saved {
        match current(&s.path)? {
            Some(t) => {
                h.update(b"1");
                h.update(&(t.len() as u64).to_le_bytes());
                h.update(t.as_bytes());
            }
            None => h.update(b"0"),
        }
    }
    Ok(h.hex())
}

/// Writes every saved file back (or removes one that did not exist).
pub(super) fn restore(saved: &[SavedFile], tag: &str) -> Result<(), StepError> {
    for s in saved {
        match &s.contents {
            Some(text) => write_atomic(&s.path, text.as_bytes(), tag)?,
            None => match fs::remove_file(&s.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_step(&s.path, "cannot remove", e)),
            },
        }
    }
    Ok(())
}

pub(super) fn want_repo(repo: &Path) -> Result<(), StepError> {
    match read(&repo.join(".git"))? {
        Entry::Dir | Entry::File { .. } => Ok(()),
        other => Err(mismatch(&repo.join(".git"), "a git checkout", &other)),
    }
}

pub mod skip_worktree {
    use super::*;

    pub fn precondition(repo: &Path) -> Result<(), StepError> {
        want_repo(repo)
    }

    pub fn apply(repo: &Path, paths: &[String]) -> Result<StepDetail, Fail> {
        set_skip_worktree(repo, paths, true)?;
        Ok(StepDetail::default())
    }

    pub fn took_effect(repo: &Path, paths: &[String]) -> Result<Option<StepDetail>, StepError> {
        Ok((skipped_count(repo, paths)? == paths.len()).then(StepDetail::default))
    }

    pub fn undo_took_effect(repo: &Path, paths: &[String]) -> Result<bool, StepError> {
        Ok(skipped_count(repo, paths)? == 0)
    }

    pub fn undo(repo: &Path, paths: &[String]) -> Result<(), Fail> {
        Ok(set_skip_worktree(repo, paths, false)?)
    }
}

pub mod sparse_checkout {
    use super::*;

    pub fn precondition(repo: &Path, saved: &[SavedFile]) -> Result<(), StepError> {
        want_repo(repo)?;
        match unchanged(saved)? {
            None => Ok(()),
            Some(changed) => {
                Err(refuse(changed, "git's sparse-checkout settings changed since the plan was made".into()))
            }
        }
    }

    /// Records a digest of what git wrote, so the undo can tell whether anyone edited it since.
    pub fn apply(repo: &Path, patterns: &[String], saved: &[SavedFile]) -> Result<StepDetail, Fail> {
        sparse_set(repo, patterns)?;
        Ok(StepDetail { sha256: Some(digest(saved)?), ..StepDetail::default() })
    }

    pub fn took_effect(patterns: &[String], saved: &[SavedFile]) -> Result<Option<StepDetail>, StepError> {
        if sparse_is(saved, patterns) {
            Ok(Some(StepDetail { sha256: Some(digest(saved)?), ..StepDetail::default() }))
        } else {
            Ok(None)
        }
    }

    pub fn undo_took_effect(saved: &[SavedFile]) -> Result<bool, StepError> {
        Ok(unchanged(saved)?.is_none())
    }

    pub fn undo(saved: &[SavedFile], detail: &StepDetail, env: &Env) -> Result<(), Fail> {
        if detail.sha256.is_some() && digest(saved)? != detail.sha256.clone().unwrap_or_default() {
            return Err(refuse(
                &saved.first().map(|s| s.path.clone()).unwrap_or_default(),
                "git's sparse-checkout settings were changed after comfydoctor set them; restore them by hand".into(),
            )
            .into());
        }
        restore(saved, env.tag)?;
        Ok(())
    }
}

/// `GitNoSkipWorktree`: git looks at the tracked `models/` paths again (`guard`, once `models/`
/// is a real folder holding what the index has).
pub mod no_skip_worktree {
    use super::*;

    pub fn apply(repo: &Path, paths: &[String]) -> Result<StepDetail, Fail> {
        set_skip_worktree(repo, paths, false)?;
        Ok(StepDetail::default())
    }

    pub fn took_effect(repo: &Path, paths: &[String]) -> Result<Option<StepDetail>, StepError> {
        Ok((skipped_count(repo, paths)? == 0).then(StepDetail::default))
    }

    pub fn undo_took_effect(repo: &Path, paths: &[String]) -> Result<bool, StepError> {
        Ok(skipped_count(repo, paths)? == paths.len())
    }

    pub fn undo(repo: &Path, paths: &[String]) -> Result<(), Fail> {
        Ok(set_skip_worktree(repo, paths, true)?)
    }
}

/// `GitSparseDisable`: the sparse checkout off and its `/models/` rules gone, as in a checkout
/// that was never migrated. Never while `models` is a link: git would fill the folder it
/// leads to.
pub mod sparse_disable {
    use super::*;

    fn is_models_rule(line: &str) -> bool {
        matches!(line.trim(), "!/models/" | "!/models" | "!/models/*" | "!models/")
    }

    fn sparse_file(saved: &[SavedFile]) -> Option<&Path> {
        saved.iter().map(|s| s.path.as_path()).find(|p| p.ends_with("info/sparse-checkout"))
    }

    pub fn apply(repo: &Path, saved: &[SavedFile], env: &Env) -> Result<StepDetail, Fail> {
        let models = repo.join("models");
        if let Entry::Link(_) = read(&models)? {
            return Err(
                refuse(&models, "models is still a link: git would write into the folder it leads to".into()).into()
            );
        }
        git(repo, &["sparse-checkout", "disable"], None, Access::Write)?;
        if let Some(file) = sparse_file(saved)
            && let Some(text) = current(file)?
        {
            let kept: Vec<&str> = text.lines().filter(|l| !is_models_rule(l)).collect();
            let only_all =
                kept.iter().map(|l| l.trim()).filter(|l| !l.is_empty() && !l.starts_with('#')).all(|l| l == "/*");
            if only_all {
                fs::remove_file(file).map_err(|e| io_step(file, "cannot remove", e))?;
            } else {
                let mut out = kept.join("\n");
                out.push('\n');
                write_atomic(file, out.as_bytes(), env.tag)?;
            }
        }
        Ok(StepDetail { sha256: Some(digest(saved)?), ..StepDetail::default() })
    }

    pub fn took_effect(repo: &Path, saved: &[SavedFile]) -> Result<Option<StepDetail>, StepError> {
        let enabled = git(repo, &["config", "--bool", "core.sparseCheckout"], None, Access::Read)
            .is_ok_and(|o| String::from_utf8_lossy(&o).trim() == "true");
        let rule_left = match sparse_file(saved) {
            Some(file) => current(file)?.is_some_and(|t| t.lines().any(is_models_rule)),
            None => false,
        };
        if enabled || rule_left {
            Ok(None)
        } else {
            Ok(Some(StepDetail { sha256: Some(digest(saved)?), ..StepDetail::default() }))
        }
    }
}
