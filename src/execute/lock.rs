//! One run at a time per journal folder: two runs moving the same models at once would each see
//! the other's half-done steps as broken preconditions (or worse, race on the same paths).
//!
//! The lock is an advisory exclusive lock on `<journal dir>/lock`, released when the process
//! ends however it ends, so a killed run never leaves a stale lock behind. The file itself is
//! never removed: removing it would let a third run lock a fresh file while the second still
//! holds the old one.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const LOCK_FILE: &str = "lock";

/// Held while a run, resume or undo writes; dropping it unlocks.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Why the lock could not be had.
#[derive(Debug)]
pub enum LockFailure {
    /// Another run held it for the whole wait.
    Busy(PathBuf),
    Io(PathBuf, io::Error),
}

/// Creates the journal folder and lock file if needed and takes the lock, retrying for `wait`
/// so a run that is just finishing does not make the next one fail.
pub fn acquire(dir: &Path, wait: Duration) -> Result<RunLock, LockFailure> {
    let path = dir.join(LOCK_FILE);
    let (dir_was, lock_was) = (dir.exists(), path.exists());
    fs::create_dir_all(dir).map_err(|e| LockFailure::Io(dir.to_path_buf(), e))?;
    // Made as root, the journal folder and lock belong to the workspace's owner, who must be
    // able to run `undo` later without root.
    let home = dir.parent().unwrap_or(dir);
    if !dir_was {
        crate::platform::owner::give_to_owner_of(dir, home);
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| LockFailure::Io(path.clone(), e))?;
    if !lock_was {
        crate::platform::owner::give_to_owner_of(&path, home);
    }
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(TryLockError::WouldBlock) => return Err(LockFailure::Busy(path)),
            Err(TryLockError::Error(e)) => return Err(LockFailure::Io(path, e)),
        }
    }
    // Who holds it, for a person looking at a stuck run; only written while we hold the lock.
    let mut f = &file;
    let _ = file.set_len(0);
    let _ = writeln!(f, "{}", std::process::id());
    Ok(RunLock { file, path })
}
