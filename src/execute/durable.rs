//! Making a new directory entry survive a power cut, for the journal and for every action: an
//! fsynced file is not enough until its folder is synced too.

use std::path::Path;

/// Makes a new directory entry durable. Best effort: not every platform can open a folder.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// [`sync_dir`] of the folder holding `path`.
pub(crate) fn sync_parent(path: &Path) {
    if let Some(p) = path.parent() {
        sync_dir(p);
    }
}
