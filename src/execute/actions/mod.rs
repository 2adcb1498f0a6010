//! Each action's behaviours, by family: a family file holds, per action, its precondition,
//! apply, took_effect, undo_took_effect and undo side by side. This file only dispatches, one
//! call per arm.

mod copy;
mod dir;
mod file;
mod git;
mod lifecycle;
mod link;
mod moves;

use std::path::{Path, PathBuf};

use super::atomic::temp_path;
use super::durable::sync_parent;
use super::journal::StepDetail;
use super::step::{Env, Fail, OnCopied, StepError};
use crate::plan::Action;
use crate::platform::{self, Entry};

/// What a step records when it starts, before it touches the disk (a `Move`'s source kind).
pub(super) fn start_detail(action: &Action) -> StepDetail {
    match action {
        Action::Move { from, to } => moves::start_detail(from, to),
        // Recorded before the entry goes, so even an undo after a crash mid-step has it.
        Action::RemovePlaceholder { path } | Action::RemoveEmptyDir { path } | Action::RemoveStockFile { path, .. } => {
            entry_meta(path)
        }
        _ => StepDetail::default(),
    }
}

/// Mode, owner, group and (files) mtime of an entry about to be removed (Unix; empty elsewhere).
fn entry_meta(path: &Path) -> StepDetail {
    let mut d = StepDetail::default();
    if let Some(o) = platform::owner::owner_of(path) {
        d.mode = Some(o.mode);
        d.uid = Some(o.uid);
        d.gid = Some(o.gid);
    }
    if let Ok(m) = std::fs::symlink_metadata(path)
        && m.is_file()
        && let Ok(t) = m.modified()
        && let Ok(since) = t.duration_since(std::time::UNIX_EPOCH)
    {
        d.mtime_ns = i64::try_from(since.as_nanos()).ok();
    }
    d
}

/// Puts back on a recreated entry what [`entry_meta`] recorded: mtime first (a file must still
/// be writable for it), then owner and mode. Best effort, and nothing for an older journal.
fn restore_meta(path: &Path, d: &StepDetail) {
    if let Some(ns) = d.mtime_ns.and_then(|n| u64::try_from(n).ok())
        && let Ok(f) = std::fs::OpenOptions::new().write(true).open(path)
    {
        let _ = f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns));
    }
    if let (Some(mode), Some(uid), Some(gid)) = (d.mode, d.uid, d.gid) {
        platform::owner::set_owner(path, platform::owner::Owner { mode, uid, gid });
    }
}

/// Whether the disk is still what the plan assumed right before this action.
pub(super) fn precondition(action: &Action) -> Result<(), StepError> {
    match action {
        Action::MakeDir { path } => dir::make_dir::precondition(path),
        Action::RemoveEmptyDir { path } => dir::remove_empty_dir::precondition(path),
        Action::Move { from, to } => moves::precondition(from, to),
        Action::HardLink { from, to } => copy::hard_link::precondition(from, to),
        Action::CopyVerify { from, to } => copy::copy_verify::precondition(from, to),
        Action::CreateLink { link, .. } => link::create_link::precondition(link),
        Action::ReplaceLink { link, old_target, .. } => link::replace_link::precondition(link, old_target),
        Action::CreateLinkLike { link, .. } => link::create_link_like::precondition(link),
        Action::RemoveLink { link, raw_target, .. } => link::remove_link::precondition(link, raw_target),
        Action::RemovePlaceholder { path } => file::remove_placeholder::precondition(path),
        Action::RemoveStockFile { path, contents } => file::remove_stock_file::precondition(path, contents),
        Action::WriteFile { path, .. } => file::write_file::precondition(path),
        Action::AppendLine { path, line } => file::append_line::precondition(path, line),
        Action::GitSkipWorktree { repo, .. } => git::skip_worktree::precondition(repo),
        Action::GitSparseCheckout { repo, saved, .. } => git::sparse_checkout::precondition(repo, saved),
        Action::SetDetached { path, install, was, .. } => {
            lifecycle::set_detached::precondition(path, install, was.as_ref())
        }
        Action::DeleteDuplicate { path, twin, len, .. } => lifecycle::delete_duplicate::precondition(path, twin, *len),
        Action::GitUnprotect { repo, saved, .. } => lifecycle::git_unprotect::precondition(repo, saved),
        Action::GitNoSkipWorktree { repo, .. } => git::skip_worktree::precondition(repo),
        Action::GitSparseDisable { repo, saved } => git::sparse_checkout::precondition(repo, saved),
    }
}

/// Applies the action; its precondition was checked just before.
pub(super) fn apply(action: &Action, env: &Env, on_copied: OnCopied) -> Result<StepDetail, Fail> {
    match action {
        Action::MakeDir { path } => dir::make_dir::apply(path),
        Action::RemoveEmptyDir { path } => dir::remove_empty_dir::apply(path),
        Action::Move { from, to } => moves::apply(from, to, env, on_copied),
        Action::HardLink { from, to } => copy::hard_link::apply(from, to),
        Action::CopyVerify { from, to } => copy::copy_verify::apply(from, to, env),
        Action::CreateLink { link, target } => link::create_link::apply(link, target),
        Action::ReplaceLink { link, new_target, .. } => link::replace_link::apply(link, new_target),
        Action::CreateLinkLike { link, raw_target, kind, target_is_dir } => {
            link::create_link_like::apply(link, raw_target, *kind, *target_is_dir)
        }
        Action::RemoveLink { link, .. } => link::remove_link::apply(link),
        Action::RemovePlaceholder { path } => file::remove_placeholder::apply(path),
        Action::RemoveStockFile { path, contents } => file::remove_stock_file::apply(path, contents),
        Action::WriteFile { path, contents, mode, uid, gid } => {
            file::write_file::apply(path, contents, (*mode, *uid, *gid), env)
        }
        Action::AppendLine { path, line } => file::append_line::apply(path, line, env),
        Action::GitSkipWorktree { repo, paths } => git::skip_worktree::apply(repo, paths),
        Action::GitSparseCheckout { repo, patterns, saved } => git::sparse_checkout::apply(repo, patterns, saved),
        Action::SetDetached { path, install, now, was } => {
            lifecycle::set_detached::apply(path, install, now.as_ref(), was.as_ref(), env)
        }
        Action::DeleteDuplicate { path, twin, len, sha256 } => {
            lifecycle::delete_duplicate::apply(path, twin, *len, sha256)
        }
        Action::GitUnprotect { repo, unskip, patterns, saved } => {
            lifecycle::git_unprotect::apply(repo, unskip, patterns.as_deref(), saved)
        }
        Action::GitNoSkipWorktree { repo, paths } => git::no_skip_worktree::apply(repo, paths),
        Action::GitSparseDisable { repo, saved } => git::sparse_disable::apply(repo, saved, env),
    }
}

/// For a step that started but has no `done` record: `Some(detail)` when its effect is fully in
/// place (so it counts as done), `None` when it did not happen (so it may be redone).
pub(super) fn took_effect(action: &Action, started: &StepDetail) -> Result<Option<StepDetail>, StepError> {
    match action {
        Action::MakeDir { path } => dir::make_dir::took_effect(path),
        Action::RemoveEmptyDir { path } => dir::remove_empty_dir::took_effect(path),
        Action::Move { from, to } => moves::took_effect(from, to, started),
        Action::HardLink { from, to } => copy::hard_link::took_effect(from, to),
        Action::CopyVerify { from, to } => copy::copy_verify::took_effect(from, to),
        Action::CreateLink { link, target } => link::create_link::took_effect(link, target),
        Action::ReplaceLink { link, old_target, new_target } => {
            link::replace_link::took_effect(link, old_target, new_target)
        }
        Action::CreateLinkLike { link, raw_target, .. } => link::create_link_like::took_effect(link, raw_target),
        Action::RemoveLink { link, .. } => link::remove_link::took_effect(link),
        Action::RemovePlaceholder { path } => file::remove_placeholder::took_effect(path),
        Action::RemoveStockFile { path, .. } => file::remove_stock_file::took_effect(path),
        Action::WriteFile { path, contents, mode, uid, gid } => {
            file::write_file::took_effect(path, contents, (*mode, *uid, *gid))
        }
        Action::AppendLine { path, line } => file::append_line::took_effect(path, line),
        Action::GitSkipWorktree { repo, paths } => git::skip_worktree::took_effect(repo, paths),
        Action::GitSparseCheckout { patterns, saved, .. } => git::sparse_checkout::took_effect(patterns, saved),
        Action::SetDetached { path, install, now, .. } => {
            lifecycle::set_detached::took_effect(path, install, now.as_ref())
        }
        Action::DeleteDuplicate { path, .. } => lifecycle::delete_duplicate::took_effect(path),
        Action::GitUnprotect { repo, unskip, saved, .. } => lifecycle::git_unprotect::took_effect(repo, unskip, saved),
        Action::GitNoSkipWorktree { repo, paths } => git::no_skip_worktree::took_effect(repo, paths),
        Action::GitSparseDisable { repo, saved } => git::sparse_disable::took_effect(repo, saved),
    }
}

/// Whether a half-done undo already restored the state before the action.
pub(super) fn undo_took_effect(action: &Action) -> Result<bool, StepError> {
    match action {
        Action::MakeDir { path } => dir::make_dir::undo_took_effect(path),
        Action::RemoveEmptyDir { path } => dir::remove_empty_dir::undo_took_effect(path),
        Action::Move { from, to } => moves::undo_took_effect(from, to),
        Action::HardLink { to, .. } => copy::hard_link::undo_took_effect(to),
        Action::CopyVerify { to, .. } => copy::copy_verify::undo_took_effect(to),
        Action::CreateLink { link, .. } => link::create_link::undo_took_effect(link),
        Action::ReplaceLink { link, old_target, new_target } => {
            link::replace_link::undo_took_effect(link, old_target, new_target)
        }
        Action::CreateLinkLike { link, .. } => link::create_link_like::undo_took_effect(link),
        Action::RemoveLink { link, raw_target, .. } => link::remove_link::undo_took_effect(link, raw_target),
        Action::RemovePlaceholder { path } => file::remove_placeholder::undo_took_effect(path),
        Action::RemoveStockFile { path, contents } => file::remove_stock_file::undo_took_effect(path, contents),
        Action::WriteFile { path, .. } => file::write_file::undo_took_effect(path),
        Action::AppendLine { path, line } => file::append_line::undo_took_effect(path, line),
        Action::GitSkipWorktree { repo, paths } => git::skip_worktree::undo_took_effect(repo, paths),
        Action::GitSparseCheckout { saved, .. } | Action::GitSparseDisable { saved, .. } => {
            git::sparse_checkout::undo_took_effect(saved)
        }
        Action::GitNoSkipWorktree { repo, paths } => git::no_skip_worktree::undo_took_effect(repo, paths),
        Action::SetDetached { path, install, was, .. } => {
            lifecycle::set_detached::undo_took_effect(path, install, was.as_ref())
        }
        Action::DeleteDuplicate { path, .. } => lifecycle::delete_duplicate::undo_took_effect(path),
        Action::GitUnprotect { repo, unskip, saved, .. } => {
            lifecycle::git_unprotect::undo_took_effect(repo, unskip, saved)
        }
    }
}

/// Checks that the action's result is still there untouched, then reverses it.
pub(super) fn apply_undo(action: &Action, detail: &StepDetail, env: &Env, on_copied: OnCopied) -> Result<(), Fail> {
    match action {
        Action::MakeDir { path } => dir::make_dir::undo(path),
        Action::RemoveEmptyDir { path } => dir::remove_empty_dir::undo(path, detail),
        Action::Move { from, to } => moves::undo(from, to, detail, env, on_copied),
        Action::HardLink { from, to } => copy::hard_link::undo(from, to, detail),
        Action::CopyVerify { from, to } => copy::copy_verify::undo(from, to, detail),
        Action::CreateLink { link, target } => link::create_link::undo(link, target),
        Action::ReplaceLink { link, old_target, new_target } => link::replace_link::undo(link, old_target, new_target),
        Action::CreateLinkLike { link, raw_target, .. } => link::create_link_like::undo(link, raw_target),
        Action::RemoveLink { link, raw_target, kind, target_is_dir } => {
            link::remove_link::undo(link, raw_target, *kind, *target_is_dir)
        }
        Action::RemovePlaceholder { path } => file::remove_placeholder::undo(path, detail),
        Action::RemoveStockFile { path, contents } => file::remove_stock_file::undo(path, contents, env, detail),
        Action::WriteFile { path, contents, .. } => file::write_file::undo(path, contents),
        Action::AppendLine { path, line } => file::append_line::undo(path, line, detail, env),
        Action::GitSkipWorktree { repo, paths } => git::skip_worktree::undo(repo, paths),
        Action::GitSparseCheckout { saved, .. } | Action::GitSparseDisable { saved, .. } => {
            git::sparse_checkout::undo(saved, detail, env)
        }
        Action::GitNoSkipWorktree { repo, paths } => git::no_skip_worktree::undo(repo, paths),
        Action::SetDetached { path, install, now, was } => {
            lifecycle::set_detached::undo(path, install, now.as_ref(), was.as_ref(), env)
        }
        Action::DeleteDuplicate { path, twin, .. } => lifecycle::delete_duplicate::undo(path, twin),
        Action::GitUnprotect { repo, unskip, saved, .. } => {
            lifecycle::git_unprotect::undo(repo, unskip, saved, detail, env)
        }
    }?;
    sync_parent(action_path(action));
    Ok(())
}

/// The entry whose folder an undo syncs.
fn action_path(action: &Action) -> &Path {
    match action {
        Action::MakeDir { path }
        | Action::RemovePlaceholder { path }
        | Action::RemoveEmptyDir { path }
        | Action::WriteFile { path, .. }
        | Action::RemoveStockFile { path, .. }
        | Action::AppendLine { path, .. }
        | Action::SetDetached { path, .. }
        | Action::DeleteDuplicate { path, .. } => path,
        Action::GitSkipWorktree { repo, .. }
        | Action::GitSparseCheckout { repo, .. }
        | Action::GitUnprotect { repo, .. }
        | Action::GitNoSkipWorktree { repo, .. }
        | Action::GitSparseDisable { repo, .. } => repo,
        Action::Move { to, .. } | Action::HardLink { to, .. } | Action::CopyVerify { to, .. } => to,
        Action::CreateLink { link, .. }
        | Action::ReplaceLink { link, .. }
        | Action::CreateLinkLike { link, .. }
        | Action::RemoveLink { link, .. } => link,
    }
}

/// Temporary files a killed attempt of this step may have left (a partial copy of a file whose
/// source is still in place). Only plain files under this run's own temporary name are
/// returned; a partial folder copy is reported, not removed.
pub(super) fn leftover_temp(action: &Action, tag: &str) -> Option<PathBuf> {
    let dest = match action {
        Action::Move { to, .. } | Action::CopyVerify { to, .. } => to,
        Action::WriteFile { path, .. } => path,
        _ => return None,
    };
    let tmp = temp_path(dest, tag);
    (!matches!(platform::entry(&tmp), Ok(Entry::Missing) | Err(_))).then_some(tmp)
}
