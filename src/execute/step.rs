//! What every action shares: the error that stops an install's plan at one step, the context a
//! step runs in, and the careful reads (never following links) its checks are made of.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::ExecError;
use super::progress::Progress;
use crate::platform::{self, Entry};

/// A step that cannot run: the path at fault and a message naming it.
#[derive(Debug)]
pub(crate) struct StepError {
    pub path: PathBuf,
    pub message: String,
}

/// A step that cannot run, or a failure that ends the run (the journal, a failpoint).
#[derive(Debug)]
pub(crate) enum Fail {
    Step(StepError),
    Fatal(ExecError),
}

impl From<StepError> for Fail {
    fn from(e: StepError) -> Fail {
        Fail::Step(e)
    }
}

impl From<ExecError> for Fail {
    fn from(e: ExecError) -> Fail {
        Fail::Fatal(e)
    }
}

/// What an apply or undo needs besides its action: the run's temporary-name tag, where copy
/// progress goes, and the files this executor call already copied across filesystems.
pub(crate) struct Env<'a> {
    pub tag: &'a str,
    pub progress: Option<&'a dyn Progress>,
    /// Source (device, inode) → (first copy, its sha256): `transfer` hard-links another name of
    /// the same file to that copy instead of copying it again, so a hard-link group stays one.
    pub copied: RefCell<HashMap<(u64, u64), (PathBuf, String)>>,
}

/// Called once a cross-filesystem move's verified copy is in place (the journal records it).
pub(crate) type OnCopied<'a> = &'a mut dyn FnMut() -> Result<(), Fail>;

pub(crate) fn io_step(path: &Path, what: &str, e: io::Error) -> StepError {
    // A file held open by a running ComfyUI (Windows sharing violation) and the like get a hint.
    let hint = platform::describe_io_error(&e).map(|h| format!(" ({h})")).unwrap_or_default();
    StepError { path: path.to_path_buf(), message: format!("{}: {what}: {e}{hint}", path.display()) }
}

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

/// The kind of an entry as the journal records it (`StepDetail::source_kind`).
pub(crate) fn kind_tag(e: &Entry) -> Option<&'static str> {
    match e {
        Entry::File { .. } => Some("file"),
        Entry::Dir => Some("dir"),
        Entry::Link(_) => Some("link"),
        Entry::Other => Some("other"),
        Entry::Missing => None,
    }
}

pub(crate) fn read(path: &Path) -> Result<Entry, StepError> {
    platform::entry(path).map_err(|e| io_step(path, "cannot read", e))
}

/// A file's text (lossy), empty when it does not exist.
pub(crate) fn read_text(path: &Path) -> Result<String, StepError> {
    match fs::read(path) {
        Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(io_step(path, "cannot read", e)),
    }
}

pub(crate) fn mismatch(path: &Path, expected: &str, found: &Entry) -> StepError {
    StepError {
        path: path.to_path_buf(),
        message: format!(
            "{}: expected {expected}, found {}; it changed since the plan was made, so nothing more was done to this install (run the command again to plan anew)",
            path.display(),
            kind_name(found)
        ),
    }
}

pub(crate) fn refuse(path: &Path, why: String) -> StepError {
    StepError { path: path.to_path_buf(), message: format!("{}: {why}; left as it is", path.display()) }
}

pub(crate) fn want_missing(path: &Path) -> Result<(), StepError> {
    match read(path)? {
        Entry::Missing => Ok(()),
        other => Err(mismatch(path, "nothing there", &other)),
    }
}

pub(crate) fn want_parent_dir(path: &Path) -> Result<(), StepError> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    // The parent may itself be a link to a folder (e.g. the global models folder).
    if parent.is_dir() { Ok(()) } else { Err(mismatch(parent, "a folder", &read(parent)?)) }
}

pub(crate) fn is_empty_dir(path: &Path) -> Result<bool, StepError> {
    Ok(fs::read_dir(path).map_err(|e| io_step(path, "cannot list", e))?.next().is_none())
}
