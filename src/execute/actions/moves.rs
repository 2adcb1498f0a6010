//! `Move`: one `rename` when both ends are on one filesystem, else a verified copy followed by
//! removal of the source (`transfer`), journaled in between so a crash can be finished.

use std::fs;
use std::io;
use std::path::Path;

use crate::execute::durable::sync_parent;
use crate::execute::journal::{LinkedName, StepDetail};
use crate::execute::step::{
    Env, Fail, OnCopied, StepError, io_step, kind_tag, mismatch, read, want_missing, want_parent_dir,
};
use crate::execute::transfer;
use crate::platform::{self, Entry};

/// Whether `dest` is what was moved there: the kind recorded when the move started, or, for an
/// older journal without it, anything at all.
fn holds_what_moved(dest: &Entry, source_kind: Option<&str>) -> bool {
    match source_kind {
        Some(k) => kind_tag(dest) == Some(k),
        None => !matches!(dest, Entry::Missing),
    }
}

/// Moves `from` to `to`: one `rename` when both are on one filesystem, else a verified copy.
fn move_path(from: &Path, to: &Path, env: &Env, on_copied: OnCopied) -> Result<StepDetail, Fail> {
    let source_kind = kind_tag(&read(from)?).map(str::to_owned);
    match fs::rename(from, to) {
        Ok(()) => {
            sync_parent(to);
            sync_parent(from);
            Ok(StepDetail { source_kind, ..StepDetail::default() })
        }
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => transfer::cross_device_move(from, to, env, on_copied),
        Err(e) => Err(io_step(from, &format!("cannot move to {}", to.display()), e).into()),
    }
}

/// The kind of the source, recorded when the move starts so a half-done move can be told from
/// a different thing put at its destination later.
/// For a move across filesystems, also its files with other names (see [`linked_names`]).
pub fn start_detail(from: &Path, to: &Path) -> StepDetail {
    StepDetail {
        source_kind: platform::entry(from).ok().as_ref().and_then(kind_tag).map(str::to_owned),
        linked: linked_names(from, to),
        ..StepDetail::default()
    }
}

/// The files at or below `from` that have other names (a link count above one), with their
/// (device, inode), when `from` and `to`'s folder lie on different filesystems: there the move
/// copies, and a name left behind (a duplicate set aside, a file outside the move) keeps the
/// original inode, which the undo joins again. Empty for a move by rename (the inode moves).
fn linked_names(from: &Path, to: &Path) -> Vec<LinkedName> {
    let dev_of = |p: &Path, follow: bool| platform::file_key(p, follow).map(|k| k.dev);
    let (from_dev, to_dev) = (dev_of(from, false), to.ancestors().skip(1).find_map(|a| dev_of(a, true)));
    if from_dev.is_none() || from_dev == to_dev {
        return Vec::new();
    }
    walkdir::WalkDir::new(from)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let k = platform::file_key_from(e.path(), &e.metadata().ok()?)?;
            let rel = e.path().strip_prefix(from).ok()?.to_path_buf();
            (k.links > 1).then_some(LinkedName { rel, dev: k.dev, ino: k.ino })
        })
        .collect()
}

pub fn precondition(from: &Path, to: &Path) -> Result<(), StepError> {
    // Anything present moves (a socket or pipe by rename only: no copy exists of it).
    if read(from)? == Entry::Missing {
        return Err(mismatch(from, "something to move", &Entry::Missing));
    }
    want_missing(to)?;
    want_parent_dir(to)
}

pub fn apply(from: &Path, to: &Path, env: &Env, on_copied: OnCopied) -> Result<StepDetail, Fail> {
    move_path(from, to, env, on_copied)
}

pub fn took_effect(from: &Path, to: &Path, started: &StepDetail) -> Result<Option<StepDetail>, StepError> {
    let kind_ok = holds_what_moved(&read(to)?, started.source_kind.as_deref());
    Ok((matches!(read(from)?, Entry::Missing) && kind_ok).then(|| started.clone()))
}

pub fn undo_took_effect(from: &Path, to: &Path) -> Result<bool, StepError> {
    Ok(!matches!(read(from)?, Entry::Missing) && matches!(read(to)?, Entry::Missing))
}

pub fn undo(from: &Path, to: &Path, detail: &StepDetail, env: &Env, on_copied: OnCopied) -> Result<(), Fail> {
    let dest = read(to)?;
    if !holds_what_moved(&dest, detail.source_kind.as_deref()) {
        return Err(mismatch(to, "what was moved there", &dest).into());
    }
    want_missing(from)?;
    want_parent_dir(from)?;
    move_path(to, from, env, on_copied)?;
    Ok(())
}
