//! Each action's three checks (is the disk still what the plan assumed, did a half-done attempt
//! already take effect, may it be reversed) and its forward and backward application.

use std::fs::{self, File};
use std::io;
use std::path::Path;

use super::copy::{self, io_step};
use super::git_ops;
use super::{Fail, StepError};
use crate::execute::journal::{StepDetail, sync_dir};
use crate::plan::Action;
use crate::platform::{self, Entry, LinkInfo};

pub(crate) fn kind_name(e: &Entry) -> &'static str {
    match e {
        Entry::Missing => "nothing",
        Entry::File { len: 0 } => "an empty file",
        Entry::File { .. } => "a file",
        Entry::Dir => "a folder",
        Entry::Link(_) => "a link",
        Entry::Other => "a special file",
    }
}

fn kind_tag(e: &Entry) -> Option<&'static str> {
    match e {
        Entry::File { .. } => Some("file"),
        Entry::Dir => Some("dir"),
        Entry::Link(_) => Some("link"),
        Entry::Other => Some("other"),
        Entry::Missing => None,
    }
}

fn read(path: &Path) -> Result<Entry, StepError> {
    platform::entry(path).map_err(|e| io_step(path, "cannot read", e))
}

fn mismatch(path: &Path, expected: &str, found: &Entry) -> StepError {
    StepError {
        path: path.to_path_buf(),
        message: format!(
            "{}: expected {expected}, found {}; it changed since the plan was made, so nothing more was done to this install (run the command again to plan anew)",
            path.display(),
            kind_name(found)
        ),
    }
}

fn points_at(info: &LinkInfo, target: &Path) -> bool {
    info.raw_target == target || info.resolved.as_deref().is_some_and(|r| platform::same_dir(r, target))
}

fn is_link_to(e: &Entry, target: &Path) -> bool {
    matches!(e, Entry::Link(info) if points_at(info, target))
}

fn is_link_raw(e: &Entry, raw: &Path) -> bool {
    matches!(e, Entry::Link(info) if info.raw_target == raw)
}

fn want_missing(path: &Path) -> Result<(), StepError> {
    match read(path)? {
        Entry::Missing => Ok(()),
        other => Err(mismatch(path, "nothing there", &other)),
    }
}

fn want_parent_dir(path: &Path) -> Result<(), StepError> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    // The parent may itself be a link to a folder (e.g. the global models folder).
    if parent.is_dir() { Ok(()) } else { Err(mismatch(parent, "a folder", &read(parent)?)) }
}

fn is_empty_dir(path: &Path) -> Result<bool, StepError> {
    Ok(fs::read_dir(path).map_err(|e| io_step(path, "cannot list", e))?.next().is_none())
}

/// The kind of a `Move`'s source, recorded when it starts so a half-done move can be told
/// from a different thing put at its destination later.
pub(super) fn start_detail(action: &Action) -> StepDetail {
    match action {
        Action::Move { from, .. } => StepDetail {
            source_kind: platform::entry(from).ok().as_ref().and_then(kind_tag).map(str::to_owned),
            ..StepDetail::default()
        },
        _ => StepDetail::default(),
    }
}

/// Whether the disk is still what the plan assumed right before this action.
pub(super) fn precondition(action: &Action) -> Result<(), StepError> {
    match action {
        Action::MakeDir { path } => {
            want_missing(path)?;
            want_parent_dir(path)
        }
        Action::Move { from, to } => {
            // Anything present moves (a socket or pipe by rename only: no copy exists of it).
            if read(from)? == Entry::Missing {
                return Err(mismatch(from, "something to move", &Entry::Missing));
            }
            want_missing(to)?;
            want_parent_dir(to)
        }
        Action::HardLink { from, to } | Action::CopyVerify { from, to } => {
            match read(from)? {
                Entry::File { .. } => {}
                other => return Err(mismatch(from, "a file", &other)),
            }
            want_missing(to)?;
            want_parent_dir(to)
        }
        Action::RemovePlaceholder { path } => match read(path)? {
            Entry::File { len: 0 } => Ok(()),
            other => Err(mismatch(path, "an empty placeholder file", &other)),
        },
        Action::RemoveEmptyDir { path } => match read(path)? {
            Entry::Dir if is_empty_dir(path)? => Ok(()),
            Entry::Dir => Err(StepError {
                path: path.clone(),
                message: format!(
                    "{}: expected an empty folder, but something was put in it; it changed since the plan was made, so nothing more was done to this install (run the command again to plan anew)",
                    path.display()
                ),
            }),
            other => Err(mismatch(path, "an empty folder", &other)),
        },
        Action::CreateLink { link, .. } | Action::CreateLinkLike { link, .. } => {
            want_missing(link)?;
            want_parent_dir(link)
        }
        Action::ReplaceLink { link, old_target, .. } => {
            let e = read(link)?;
            if is_link_to(&e, old_target) {
                Ok(())
            } else {
                Err(mismatch(link, &format!("a link to {}", old_target.display()), &e))
            }
        }
        Action::RemoveLink { link, raw_target, .. } => {
            let e = read(link)?;
            if is_link_raw(&e, raw_target) {
                Ok(())
            } else {
                Err(mismatch(link, &format!("a link to {}", raw_target.display()), &e))
            }
        }
        Action::WriteFile { path, .. } => {
            want_missing(path)?;
            want_parent_dir(path)
        }
        Action::RemoveStockFile { path, contents } => {
            if fs::read(path).ok().as_deref() == Some(contents.as_bytes()) {
                Ok(())
            } else {
                Err(mismatch(path, "the stock file the plan saw", &read(path)?))
            }
        }
        Action::AppendLine { path, line } => {
            want_parent_dir(path)?;
            match read(path)? {
                Entry::Missing => Ok(()),
                Entry::File { .. } if !git_ops::has_line(&read_text(path)?, line) => Ok(()),
                Entry::File { .. } => Err(refuse(path, format!("it already holds the line `{line}`"))),
                other => Err(mismatch(path, "a text file", &other)),
            }
        }
        Action::GitSkipWorktree { repo, .. } => want_repo(repo),
        Action::GitSparseCheckout { repo, saved, .. } => {
            want_repo(repo)?;
            match git_ops::unchanged(saved)? {
                None => Ok(()),
                Some(changed) => {
                    Err(refuse(changed, "git's sparse-checkout settings changed since the plan was made".into()))
                }
            }
        }
    }
}

fn want_repo(repo: &Path) -> Result<(), StepError> {
    match read(&repo.join(".git"))? {
        Entry::Dir | Entry::File { .. } => Ok(()),
        other => Err(mismatch(&repo.join(".git"), "a git checkout", &other)),
    }
}

fn read_text(path: &Path) -> Result<String, StepError> {
    match fs::read(path) {
        Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(io_step(path, "cannot read", e)),
    }
}

#[cfg(unix)]
fn file_id(path: &Path) -> io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::symlink_metadata(path)?;
    Ok((m.dev(), m.ino()))
}

/// What an undo of a just-made (or found) file needs to recognise it.
fn file_detail(to: &Path) -> Result<StepDetail, StepError> {
    let (len, sha) = copy::hash_file(to).map_err(|e| io_step(to, "cannot read", e))?;
    #[allow(unused_mut)]
    let mut d = StepDetail { len: Some(len), sha256: Some(sha), ..StepDetail::default() };
    #[cfg(unix)]
    if let Ok((dev, ino)) = file_id(to) {
        d.dev = Some(dev);
        d.ino = Some(ino);
    }
    Ok(d)
}

fn hardlink_detail(to: &Path) -> Result<StepDetail, StepError> {
    #[cfg(unix)]
    {
        let (dev, ino) = file_id(to).map_err(|e| io_step(to, "cannot stat", e))?;
        Ok(StepDetail { dev: Some(dev), ino: Some(ino), ..StepDetail::default() })
    }
    #[cfg(not(unix))]
    file_detail(to)
}

fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        matches!((file_id(a), file_id(b)), (Ok(x), Ok(y)) if x == y)
    }
    #[cfg(not(unix))]
    {
        matches!((copy::hash_file(a), copy::hash_file(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// For a step that started but has no `done` record: `Some(detail)` when its effect is fully in
/// place (so it counts as done), `None` when it did not happen (so it may be redone).
pub(super) fn took_effect(action: &Action, started: &StepDetail) -> Result<Option<StepDetail>, StepError> {
    Ok(match action {
        Action::MakeDir { path } => matches!(read(path)?, Entry::Dir).then(StepDetail::default),
        Action::Move { from, to } => {
            let dest = read(to)?;
            let kind_ok = match &started.source_kind {
                Some(k) => kind_tag(&dest) == Some(k.as_str()),
                None => !matches!(dest, Entry::Missing),
            };
            (matches!(read(from)?, Entry::Missing) && kind_ok).then(|| started.clone())
        }
        Action::HardLink { from, to } => {
            if matches!(read(to)?, Entry::File { .. }) && same_file(from, to) {
                Some(hardlink_detail(to)?)
            } else {
                None
            }
        }
        Action::CopyVerify { from, to } => {
            if matches!(read(to)?, Entry::File { .. }) {
                let d = file_detail(to)?;
                let src = copy::hash_file(from).ok();
                (src.as_ref().map(|(l, s)| (Some(*l), Some(s.clone()))) == Some((d.len, d.sha256.clone()))).then_some(d)
            } else {
                None
            }
        }
        Action::RemovePlaceholder { path } | Action::RemoveEmptyDir { path } => {
            matches!(read(path)?, Entry::Missing).then(StepDetail::default)
        }
        Action::CreateLink { link, target } => is_link_to(&read(link)?, target).then(StepDetail::default),
        Action::ReplaceLink { link, old_target, new_target } => {
            let e = read(link)?;
            (is_link_to(&e, new_target) && !is_link_to(&e, old_target)).then(StepDetail::default)
        }
        Action::CreateLinkLike { link, raw_target, .. } => {
            is_link_raw(&read(link)?, raw_target).then(StepDetail::default)
        }
        Action::RemoveLink { link, .. } => matches!(read(link)?, Entry::Missing).then(StepDetail::default),
        Action::WriteFile { path, contents } => {
            (fs::read(path).ok().as_deref() == Some(contents.as_bytes())).then(StepDetail::default)
        }
        Action::RemoveStockFile { path, .. } => matches!(read(path)?, Entry::Missing).then(StepDetail::default),
        Action::AppendLine { path, line } => {
            let text = read_text(path)?;
            text.ends_with(&format!("{line}\n"))
                .then(|| StepDetail { len: Some((text.len() - line.len() - 1) as u64), ..StepDetail::default() })
        }
        Action::GitSkipWorktree { repo, paths } => {
            (git_ops::skipped_count(repo, paths)? == paths.len()).then(StepDetail::default)
        }
        Action::GitSparseCheckout { saved, patterns, .. } => {
            if git_ops::sparse_is(saved, patterns) {
                Some(StepDetail { sha256: Some(git_ops::digest(saved)?), ..StepDetail::default() })
            } else {
                None
            }
        }
    })
}

fn link_err(path: &Path, e: platform::LinkError) -> StepError {
    StepError { path: path.to_path_buf(), message: e.to_string() }
}

fn sync_parent(path: &Path) {
    if let Some(p) = path.parent() {
        sync_dir(p);
    }
}

/// Moves `from` to `to`: one `rename` when both are on one filesystem, else a verified copy.
pub(super) fn move_path(
    from: &Path,
    to: &Path,
    tag: &str,
    progress: bool,
    on_copied: &mut dyn FnMut() -> Result<(), Fail>,
) -> Result<StepDetail, Fail> {
    let source_kind = kind_tag(&read(from)?).map(str::to_owned);
    match fs::rename(from, to) {
        Ok(()) => {
            sync_parent(to);
            sync_parent(from);
            Ok(StepDetail { source_kind, ..StepDetail::default() })
        }
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            copy::cross_device_move(from, to, tag, progress, on_copied)
        }
        Err(e) => Err(io_step(from, &format!("cannot move to {}", to.display()), e).into()),
    }
}

/// Writes `contents` to a temporary beside `path`, fsyncs, then renames it into place.
fn write_atomic(path: &Path, contents: &[u8], tag: &str) -> Result<(), StepError> {
    use std::io::Write;
    let tmp = copy::temp_path(path, tag);
    match read(&tmp)? {
        Entry::Missing | Entry::File { .. } => {}
        other => return Err(mismatch(&tmp, "a free temporary name", &other)),
    }
    let mut f = File::create(&tmp).map_err(|e| io_step(&tmp, "cannot create", e))?;
    f.write_all(contents).and_then(|_| f.sync_all()).map_err(|e| io_step(&tmp, "cannot write", e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| io_step(path, "cannot rename into place", e))?;
    sync_parent(path);
    Ok(())
}

pub(super) struct Env<'a> {
    pub tag: &'a str,
    pub progress: bool,
}

/// Applies the action; its precondition was checked just before.
pub(super) fn apply(
    action: &Action,
    env: &Env,
    on_copied: &mut dyn FnMut() -> Result<(), Fail>,
) -> Result<StepDetail, Fail> {
    let none = StepDetail::default();
    match action {
        Action::MakeDir { path } => {
            fs::create_dir(path).map_err(|e| io_step(path, "cannot create folder", e))?;
            sync_parent(path);
            Ok(none)
        }
        Action::Move { from, to } => move_path(from, to, env.tag, env.progress, on_copied),
        Action::HardLink { from, to } => {
            fs::hard_link(from, to)
                .map_err(|e| io_step(to, &format!("cannot hard-link {} here", from.display()), e))?;
            sync_parent(to);
            Ok(hardlink_detail(to)?)
        }
        Action::CopyVerify { from, to } => {
            let (len, sha) = copy::copy_file_into_place(from, to, env.tag, env.progress)?;
            let mut d = file_detail_quick(to);
            d.len = Some(len);
            d.sha256 = Some(sha);
            Ok(d)
        }
        Action::RemovePlaceholder { path } => {
            // Checked again right here: only an empty file may be removed.
            match read(path)? {
                Entry::File { len: 0 } => {}
                other => return Err(mismatch(path, "an empty placeholder file", &other).into()),
            }
            fs::remove_file(path).map_err(|e| io_step(path, "cannot remove", e))?;
            sync_parent(path);
            Ok(none)
        }
        Action::RemoveEmptyDir { path } => {
            // Non-recursive: fails by itself if anything appeared inside.
            fs::remove_dir(path).map_err(|e| io_step(path, "cannot remove folder", e))?;
            sync_parent(path);
            Ok(none)
        }
        Action::CreateLink { link, target } => {
            platform::create_dir_link(target, link).map_err(|e| link_err(link, e))?;
            sync_parent(link);
            Ok(none)
        }
        Action::ReplaceLink { link, new_target, .. } => {
            platform::replace_dir_link(new_target, link).map_err(|e| link_err(link, e))?;
            sync_parent(link);
            Ok(none)
        }
        Action::CreateLinkLike { link, raw_target, kind, target_is_dir } => {
            platform::create_link_like(raw_target, link, *kind, *target_is_dir).map_err(|e| link_err(link, e))?;
            sync_parent(link);
            Ok(none)
        }
        Action::RemoveLink { link, .. } => {
            platform::remove_link(link).map_err(|e| io_step(link, "cannot remove link", e))?;
            sync_parent(link);
            Ok(none)
        }
        Action::WriteFile { path, contents } => {
            write_atomic(path, contents.as_bytes(), env.tag)?;
            Ok(none)
        }
        Action::RemoveStockFile { path, contents } => {
            // Checked again right here: only the exact stock bytes (kept in the journal) go.
            if fs::read(path).ok().as_deref() != Some(contents.as_bytes()) {
                return Err(mismatch(path, "the stock file the plan saw", &read(path)?).into());
            }
            fs::remove_file(path).map_err(|e| io_step(path, "cannot remove", e))?;
            sync_parent(path);
            Ok(none)
        }
        Action::AppendLine { path, line } => {
            let existed = !matches!(read(path)?, Entry::Missing);
            let before = read_text(path)?;
            git_ops::write_text(path, &(before.clone() + &git_ops::appended(&before, line)))?;
            sync_parent(path);
            Ok(StepDetail {
                len: Some(before.len() as u64),
                source_kind: (!existed).then(|| "missing".to_string()),
                ..StepDetail::default()
            })
        }
        Action::GitSkipWorktree { repo, paths } => {
            git_ops::set_skip_worktree(repo, paths, true)?;
            Ok(none)
        }
        Action::GitSparseCheckout { repo, patterns, saved } => {
            git_ops::sparse_set(repo, patterns)?;
            Ok(StepDetail { sha256: Some(git_ops::digest(saved)?), ..StepDetail::default() })
        }
    }
}

fn file_detail_quick(to: &Path) -> StepDetail {
    #[allow(unused_mut)]
    let mut d = StepDetail::default();
    #[cfg(unix)]
    if let Ok((dev, ino)) = file_id(to) {
        d.dev = Some(dev);
        d.ino = Some(ino);
    }
    #[cfg(not(unix))]
    let _ = to;
    d
}

fn refuse(path: &Path, why: String) -> StepError {
    StepError { path: path.to_path_buf(), message: format!("{}: {why}; left as it is", path.display()) }
}

/// Whether a half-done undo already restored the state before the action.
pub(super) fn undo_took_effect(action: &Action) -> Result<bool, StepError> {
    Ok(match action {
        Action::MakeDir { path }
        | Action::WriteFile { path, .. }
        | Action::HardLink { to: path, .. }
        | Action::CopyVerify { to: path, .. }
        | Action::CreateLink { link: path, .. }
        | Action::CreateLinkLike { link: path, .. } => matches!(read(path)?, Entry::Missing),
        Action::Move { from, to } => !matches!(read(from)?, Entry::Missing) && matches!(read(to)?, Entry::Missing),
        Action::RemovePlaceholder { path } => matches!(read(path)?, Entry::File { len: 0 }),
        Action::RemoveEmptyDir { path } => matches!(read(path)?, Entry::Dir),
        Action::ReplaceLink { link, old_target, new_target } => {
            let e = read(link)?;
            is_link_to(&e, old_target) && !is_link_to(&e, new_target)
        }
        Action::RemoveLink { link, raw_target, .. } => is_link_raw(&read(link)?, raw_target),
        Action::RemoveStockFile { path, contents } => fs::read(path).ok().as_deref() == Some(contents.as_bytes()),
        Action::AppendLine { path, line } => !git_ops::has_line(&read_text(path)?, line),
        Action::GitSkipWorktree { repo, paths } => git_ops::skipped_count(repo, paths)? == 0,
        Action::GitSparseCheckout { saved, .. } => git_ops::unchanged(saved)?.is_none(),
    })
}

/// Checks that the action's result is still there untouched, then reverses it.
pub(super) fn apply_undo(
    action: &Action,
    detail: &StepDetail,
    env: &Env,
    on_copied: &mut dyn FnMut() -> Result<(), Fail>,
) -> Result<(), Fail> {
    match action {
        Action::MakeDir { path } => match read(path)? {
            Entry::Dir if is_empty_dir(path)? => {
                fs::remove_dir(path).map_err(|e| io_step(path, "cannot remove folder", e))?;
            }
            Entry::Dir => {
                return Err(refuse(path, "the folder it made is no longer empty".into()).into());
            }
            other => return Err(mismatch(path, "the folder it made", &other).into()),
        },
        Action::Move { from, to } => {
            let dest = read(to)?;
            let kind_ok = match &detail.source_kind {
                Some(k) => kind_tag(&dest) == Some(k.as_str()),
                None => !matches!(dest, Entry::Missing),
            };
            if !kind_ok {
                return Err(mismatch(to, "what was moved there", &dest).into());
            }
            want_missing(from)?;
            want_parent_dir(from)?;
            move_path(to, from, env.tag, env.progress, on_copied)?;
        }
        Action::HardLink { from, to } => {
            let e = read(to)?;
            if !matches!(e, Entry::File { .. }) {
                return Err(mismatch(to, "the hard link it made", &e).into());
            }
            #[cfg(unix)]
            let same = {
                let to_id = file_id(to).map_err(|e| io_step(to, "cannot stat", e))?;
                Some(to_id) == detail.dev.zip(detail.ino) && file_id(from).ok() == Some(to_id)
            };
            #[cfg(not(unix))]
            let same = {
                let h = copy::hash_file(to).map_err(|e| io_step(to, "cannot read", e))?;
                Some(&h.1) == detail.sha256.as_ref()
                    && copy::hash_file(from).ok().map(|x| x.1).as_ref() == detail.sha256.as_ref()
            };
            if !same {
                return Err(refuse(
                    to,
                    format!("no longer the same file as {} (it would be the only copy)", from.display()),
                )
                .into());
            }
            fs::remove_file(to).map_err(|e| io_step(to, "cannot remove", e))?;
        }
        Action::CopyVerify { from, to } => {
            let e = read(to)?;
            if !matches!(e, Entry::File { .. }) {
                return Err(mismatch(to, "the copy it made", &e).into());
            }
            let want = (detail.len, detail.sha256.clone());
            let got = copy::hash_file(to).map_err(|e| io_step(to, "cannot read", e))?;
            if (Some(got.0), Some(got.1)) != want {
                return Err(refuse(to, "its bytes changed since it was copied".into()).into());
            }
            let src = copy::hash_file(from).ok();
            if src.map(|(l, s)| (Some(l), Some(s))) != Some(want) {
                return Err(refuse(
                    to,
                    format!("its source {} is gone or changed, so this may be the only copy", from.display()),
                )
                .into());
            }
            fs::remove_file(to).map_err(|e| io_step(to, "cannot remove", e))?;
        }
        Action::RemovePlaceholder { path } => {
            want_missing(path)?;
            want_parent_dir(path)?;
            File::create_new(path).map_err(|e| io_step(path, "cannot recreate", e))?;
        }
        Action::RemoveEmptyDir { path } => {
            want_missing(path)?;
            want_parent_dir(path)?;
            fs::create_dir(path).map_err(|e| io_step(path, "cannot recreate folder", e))?;
        }
        Action::CreateLink { link, target } => {
            let e = read(link)?;
            if !is_link_to(&e, target) {
                return Err(mismatch(link, &format!("a link to {}", target.display()), &e).into());
            }
            platform::remove_link(link).map_err(|e| io_step(link, "cannot remove link", e))?;
        }
        Action::ReplaceLink { link, old_target, new_target } => {
            let e = read(link)?;
            if !is_link_to(&e, new_target) {
                return Err(mismatch(link, &format!("a link to {}", new_target.display()), &e).into());
            }
            platform::replace_dir_link(old_target, link).map_err(|e| link_err(link, e))?;
        }
        Action::CreateLinkLike { link, raw_target, .. } => {
            let e = read(link)?;
            if !is_link_raw(&e, raw_target) {
                return Err(mismatch(link, &format!("a link to {}", raw_target.display()), &e).into());
            }
            platform::remove_link(link).map_err(|e| io_step(link, "cannot remove link", e))?;
        }
        Action::RemoveLink { link, raw_target, kind, target_is_dir } => {
            want_missing(link)?;
            platform::create_link_like(raw_target, link, *kind, *target_is_dir).map_err(|e| link_err(link, e))?;
        }
        Action::WriteFile { path, contents } => {
            let e = read(path)?;
            if !matches!(e, Entry::File { .. }) {
                return Err(mismatch(path, "the file it wrote", &e).into());
            }
            if fs::read(path).ok().as_deref() != Some(contents.as_bytes()) {
                return Err(refuse(path, "it was edited since it was written".into()).into());
            }
            fs::remove_file(path).map_err(|e| io_step(path, "cannot remove", e))?;
        }
        Action::RemoveStockFile { path, contents } => {
            want_missing(path)?;
            want_parent_dir(path)?;
            git_ops::write_text(path, contents)?;
        }
        Action::AppendLine { path, line } => {
            let text = read_text(path)?;
            let keep = detail.len.unwrap_or(0) as usize;
            let tail = text.get(keep..).unwrap_or("");
            if tail.trim_start_matches('\n') != format!("{line}\n") {
                return Err(refuse(path, format!("the line `{line}` is no longer its last line")).into());
            }
            if keep == 0 && detail.source_kind.as_deref() == Some("missing") {
                fs::remove_file(path).map_err(|e| io_step(path, "cannot remove", e))?;
            } else {
                git_ops::write_text(path, &text[..keep])?;
            }
        }
        Action::GitSkipWorktree { repo, paths } => git_ops::set_skip_worktree(repo, paths, false)?,
        Action::GitSparseCheckout { saved, .. } => {
            if detail.sha256.is_some() && git_ops::digest(saved)? != detail.sha256.clone().unwrap_or_default() {
                return Err(refuse(
                    &saved.first().map(|s| s.path.clone()).unwrap_or_default(),
                    "git's sparse-checkout settings were changed after comfydoctor set them; restore them by hand"
                        .into(),
                )
                .into());
            }
            git_ops::restore(saved)?;
        }
    }
    if let Some(p) = action_path(action).parent() {
        sync_dir(p);
    }
    Ok(())
}

fn action_path(action: &Action) -> &Path {
    match action {
        Action::MakeDir { path }
        | Action::RemovePlaceholder { path }
        | Action::RemoveEmptyDir { path }
        | Action::WriteFile { path, .. }
        | Action::RemoveStockFile { path, .. }
        | Action::AppendLine { path, .. } => path,
        Action::GitSkipWorktree { repo, .. } | Action::GitSparseCheckout { repo, .. } => repo,
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
pub(super) fn leftover_temp(action: &Action, tag: &str) -> Option<std::path::PathBuf> {
    let dest = match action {
        Action::Move { to, .. } | Action::CopyVerify { to, .. } => to,
        Action::WriteFile { path, .. } => path,
        _ => return None,
    };
    let tmp = copy::temp_path(dest, tag);
    (!matches!(platform::entry(&tmp), Ok(Entry::Missing) | Err(_))).then_some(tmp)
}
