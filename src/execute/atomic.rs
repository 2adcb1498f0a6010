//! The one atomic writer: new bytes go to a temporary name beside the file, are fsynced, and are
//! renamed into place, so a reader (or a crash) sees the old file or the new one, never half.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::durable::sync_parent;
use super::step::{StepError, io_step, mismatch, read};
use crate::platform::Entry;

/// `.<name>.comfydoctor-tmp-<tag>` beside `dest`: hidden, recognisable, and the same name for
/// a retry of the same run so a resume reuses (overwrites) what a killed attempt left.
pub(crate) fn temp_path(dest: &Path, tag: &str) -> PathBuf {
    let parent = dest.parent().unwrap_or(Path::new("."));
    let mut name = OsString::from(".");
    name.push(dest.file_name().unwrap_or_default());
    name.push(format!(".comfydoctor-tmp-{tag}"));
    parent.join(name)
}

/// Writes `contents` to [`temp_path`]`(path, tag)`, fsyncs, renames it over `path` and syncs the
/// folder. A temporary name taken by anything but a plain file (a leftover of this run) refuses.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], tag: &str) -> Result<(), StepError> {
    let tmp = temp_path(path, tag);
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
