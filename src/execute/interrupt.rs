//! Ctrl-C during a run. The executor's only part in it: it names the temporary copies it is
//! writing ([`track`]), and a copy checks for a pending interrupt between chunks
//! ([`checkpoint`]). On an interrupt the temporaries are removed before the process ends, so
//! nothing half-written stays in the global folder; everything else is left as a kill would
//! leave it, which the journal is made for (the next `fix` finishes the run or `undo` rolls it
//! back). Whoever installs the signal handler calls [`request`] and sets what ends the process
//! ([`set_exit`]): the CLI restores the terminal, says how to go on, and exits 130.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::platform::{self, Entry};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static FINISHING: AtomicBool = AtomicBool::new(false);
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static EXIT: Mutex<Option<fn() -> !>> = Mutex::new(None);

/// How long an interrupt waits for a running copy to reach its next chunk (and stop writing)
/// before removing its temporary anyway.
const WAIT_FOR_COPY: Duration = Duration::from_secs(2);

/// A temporary copy being written; untracked when dropped (renamed into place or removed).
pub(crate) struct Tracked(PathBuf);

pub(crate) fn track(tmp: &Path) -> Tracked {
    if let Ok(mut t) = TEMPS.lock() {
        t.push(tmp.to_path_buf());
    }
    Tracked(tmp.to_path_buf())
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Ok(mut t) = TEMPS.lock()
            && let Some(i) = t.iter().rposition(|p| *p == self.0)
        {
            t.remove(i);
        }
    }
}

/// What ends the process once the temporaries are gone (default: exit 130).
pub fn set_exit(exit: fn() -> !) {
    if let Ok(mut e) = EXIT.lock() {
        *e = Some(exit);
    }
}

/// Called from the signal handler's thread. With no copy running, finishes at once; otherwise
/// lets the copy stop at its next chunk (on its own thread, so nothing is written after its
/// temporary is removed), or finishes after [`WAIT_FOR_COPY`].
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
    let start = Instant::now();
    while start.elapsed() < WAIT_FOR_COPY && TEMPS.lock().is_ok_and(|t| !t.is_empty()) {
        std::thread::sleep(Duration::from_millis(10));
        if FINISHING.load(Ordering::SeqCst) {
            // The copying thread is ending the process.
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
    finish();
}

/// Between two chunks of a copy: ends the process here when an interrupt is pending.
pub(crate) fn checkpoint() {
    if REQUESTED.load(Ordering::Relaxed) {
        finish();
    }
}

fn finish() -> ! {
    if FINISHING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let temps = TEMPS.lock().map(|t| t.clone()).unwrap_or_default();
    for tmp in temps {
        remove_temp(&tmp);
    }
    let exit = EXIT.lock().ok().and_then(|e| *e);
    match exit {
        Some(exit) => exit(),
        None => std::process::exit(130),
    }
}

/// Ends the process now with `code`, after removing the temporary copies being written, as an
/// interrupt does: for an output that was closed (a pager or `head` quit), which must leave
/// nothing half-written behind either. Everything else is left as a kill would leave it.
pub fn abandon(code: i32) -> ! {
    FINISHING.store(true, Ordering::SeqCst);
    let temps = TEMPS.lock().map(|t| t.clone()).unwrap_or_default();
    for tmp in temps {
        remove_temp(&tmp);
    }
    std::process::exit(code)
}

/// A temporary is this run's own copy (the source is still whole): a file is removed, a folder
/// with what is in it; never through a link.
fn remove_temp(tmp: &Path) {
    match platform::entry(tmp) {
        Ok(Entry::File { .. }) => {
            let _ = std::fs::remove_file(tmp);
        }
        Ok(Entry::Dir) => {
            let _ = std::fs::remove_dir_all(tmp);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracked_temporary_is_untracked_when_dropped() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t");
        {
            let _t = track(&p);
            assert!(TEMPS.lock().unwrap().contains(&p));
        }
        assert!(!TEMPS.lock().unwrap().contains(&p));
    }

    #[test]
    fn remove_temp_takes_files_and_folders_never_through_links() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        remove_temp(&f);
        assert!(!f.exists());
        let dir = d.path().join("d");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a"), b"a").unwrap();
        remove_temp(&dir);
        assert!(!dir.exists());
        #[cfg(unix)]
        {
            let keep = d.path().join("keep");
            std::fs::create_dir(&keep).unwrap();
            std::fs::write(keep.join("k"), b"k").unwrap();
            let link = d.path().join("l");
            std::os::unix::fs::symlink(&keep, &link).unwrap();
            remove_temp(&link);
            assert!(keep.join("k").exists() && link.is_symlink());
        }
    }
}
