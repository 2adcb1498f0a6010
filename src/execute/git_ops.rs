//! The git side of the executor: skip-worktree bits, the sparse checkout, and small text files
//! in `.git`. Git is asked through its own binary so its locking and formats stay its business;
//! undo restores the exact bytes of the files git changed, never re-checking-out the work tree
//! (that would write through the `models` link into the global folder).

use std::fs;
use std::io::Write;
use std::path::Path;

use super::StepError;
use super::copy::io_step;
use crate::git::{self, Access};
use crate::plan::SavedFile;

fn git_err(repo: &Path, what: &str, detail: impl std::fmt::Display) -> StepError {
    StepError { path: repo.to_path_buf(), message: format!("{}: git {what} failed: {detail}", repo.display()) }
}

/// Runs `git -C repo args...` through [`git::run`]; a failure is a step error naming the repo.
fn git(repo: &Path, args: &[&str], stdin: Option<&[u8]>, access: Access) -> Result<Vec<u8>, StepError> {
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
/// reports them deleted (git 2.38+).
pub(super) fn sparse_set(repo: &Path, patterns: &[String]) -> Result<(), StepError> {
    git(repo, &["config", "sparse.expectFilesOutsideOfPatterns", "true"], None, Access::Write)?;
    let mut args = vec!["sparse-checkout", "set", "--no-cone"];
    args.extend(patterns.iter().map(String::as_str));
    git(repo, &args, None, Access::Write)?;
    Ok(())
}

/// Whether the sparse-checkout file lists exactly these patterns.
pub(super) fn sparse_is(repo_saved: &[SavedFile], patterns: &[String]) -> bool {
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
pub(super) fn restore(saved: &[SavedFile]) -> Result<(), StepError> {
    for s in saved {
        match &s.contents {
            Some(text) => write_text(&s.path, text)?,
            None => match fs::remove_file(&s.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_step(&s.path, "cannot remove", e)),
            },
        }
    }
    Ok(())
}

/// Replaces a small text file atomically (temporary beside it, fsync, rename).
pub(super) fn write_text(path: &Path, text: &str) -> Result<(), StepError> {
    let tmp = path.with_file_name(format!(
        ".{}.comfydoctor-tmp",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    ));
    let mut f = fs::File::create(&tmp).map_err(|e| io_step(&tmp, "cannot create", e))?;
    f.write_all(text.as_bytes()).and_then(|_| f.sync_all()).map_err(|e| io_step(&tmp, "cannot write", e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| io_step(path, "cannot rename into place", e))
}

/// What `AppendLine` adds to a file holding `before`: a separating newline if the file does not
/// end with one, then the line and a newline.
pub(super) fn appended(before: &str, line: &str) -> String {
    let sep = if before.is_empty() || before.ends_with('\n') { "" } else { "\n" };
    format!("{sep}{line}\n")
}

/// Whether `text` already holds `line` as a whole line.
pub(super) fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l.trim_end_matches('\r') == line)
}
