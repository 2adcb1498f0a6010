//! Taking the run locks before anything is read, for the commands that change things.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Result;
use crate::execute::ExecError;
use crate::execute::lock::{self, LockFailure, RunLock};
use crate::workspace::display_path;

/// Locks every existing journal folder among `dirs`, waiting up to `wait` for another run (and
/// saying so on stderr); a folder that does not exist yet is left alone, so a run that does
/// nothing writes nothing.
pub fn lock_all(dirs: &[PathBuf], wait: Duration) -> Result<Vec<RunLock>> {
    let mut locks = Vec::new();
    for dir in dirs {
        let say = |pid: Option<u32>| {
            let who = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
            eprintln!(
                "comfydoctor: another comfydoctor run{who} is changing {}; waiting up to {} s for it",
                display_path(dir),
                wait.as_secs_f32()
            );
        };
        match lock::acquire_existing(dir, wait, &say) {
            Ok(Some(l)) => locks.push(l),
            Ok(None) => {}
            Err(LockFailure::Busy(lock, pid)) => return Err(ExecError::Locked { lock, pid }.into()),
            Err(LockFailure::Io(path, source)) => return Err(ExecError::Journal { path, source }.into()),
        }
    }
    Ok(locks)
}
