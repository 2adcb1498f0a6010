//! The one atomic writer: new bytes go to a temporary name beside the file, are fsynced, and are
//! renamed into place, so a reader (or a crash) sees the old file or the new one, never half.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::durable::sync_parent;
use super::step::{StepError, io_step, mismatch, read};
use crate::digest::Hasher;
use crate::platform::Entry;

/// `.cdtmp-<12 hex>` beside `dest`, the hex from sha256 of `tag` and `dest`'s name: hidden,
/// recognisable, fixed-length (a 255-byte name still has a temporary name that fits NAME_MAX),
/// and the same for a retry of the same run so a resume or undo finds (and reuses) what a killed
/// attempt left. 48 bits keep two names of one folder and run apart.
pub(crate) fn temp_path(dest: &Path, tag: &str) -> PathBuf {
    let parent = dest.parent().unwrap_or(Path::new("."));
    let mut h = Hasher::new();
    h.update(tag.as_bytes());
    h.update(&[0]);
    h.update(dest.file_name().unwrap_or_default().as_encoded_bytes());
    let hex = h.hex();
    parent.join(format!("{TEMP_PREFIX}{}", &hex[..12]))
}

/// How every temporary name of this tool starts.
const TEMP_PREFIX: &str = ".cdtmp-";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_short_stable_and_distinct() {
        let long = "x".repeat(255);
        let dest = Path::new("/g/checkpoints").join(&long);
        let t = temp_path(&dest, "run1");
        let name = t.file_name().unwrap().len();
        assert_eq!(name, TEMP_PREFIX.len() + 12);
        assert_eq!(t.parent(), dest.parent());
        assert_eq!(t, temp_path(&dest, "run1"), "a retry finds the same name");
        assert_ne!(t, temp_path(&dest, "run1-undo"));
        assert_ne!(t, temp_path(&Path::new("/g/checkpoints").join("y"), "run1"));
    }
}
