//! One run at a time per journal folder: two runs moving the same models at once would each see
//! the other's half-done steps as broken preconditions (or worse, race on the same paths).
//!
//! The lock is an advisory exclusive lock on `<journal dir>/lock`, released when the process
//! ends however it ends, so a killed run never leaves a stale lock behind. The file itself is
//! never removed: removing it would let a third run lock a fresh file while the second still
//! holds the old one.
//!
//! `fix` and `undo` take it before they read anything (an existing journal folder is locked
//! before the installs are inspected), so a run never plans from a state another run is still
//! changing, and never mistakes a live run's journal for an interrupted one. Within one process
//! the lock is re-entrant: the executor's own acquisition while the command holds it is a no-op.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Locks this process holds: the locked file, and how many guards share it.
static HELD: Mutex<Option<HashMap<PathBuf, (File, usize)>>> = Mutex::new(None);

fn held<T>(f: impl FnOnce(&mut HashMap<PathBuf, (File, usize)>) -> T) -> T {
    let mut g = HELD.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(HashMap::new))
}

pub const LOCK_FILE: &str = "lock";

/// Held while a run, resume or undo reads and writes; dropping the last guard unlocks.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    /// Whether taking it had to wait for another process: what it saw before may be stale.
    pub waited: bool,
}

impl RunLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let last = held(|h| match h.get_mut(&self.path) {
            Some((_, n)) if *n > 1 => {
                *n -= 1;
                None
            }
            _ => h.remove(&self.path),
        });
        if let Some((file, _)) = last {
            let _ = file.unlock();
        }
    }
}

/// Why the lock could not be had.
#[derive(Debug)]
pub enum LockFailure {
    /// Another run held it for the whole wait; its pid when it wrote one.
    Busy(PathBuf, Option<u32>),
    Io(PathBuf, io::Error),
}

/// Who holds it, for the next run's message and a person looking at a stuck run; only written
/// while we hold the lock.
fn write_pid(file: &File) {
    let mut f = file;
    let _ = file.set_len(0);
    let _ = writeln!(f, "{}", std::process::id());
}

/// The pid of the run holding a lock file: on Linux the kernel's own table (`/proc/locks`),
/// which is right even for a run that has not written its pid yet; else the pid the holder
/// wrote into the file once it began to change things.
fn holder_pid(path: &Path) -> Option<u32> {
    kernel_holder(path).or_else(|| {
        let mut text = String::new();
        File::open(path).ok()?.take(32).read_to_string(&mut text).ok()?;
        text.trim().parse().ok()
    })
}

#[cfg(target_os = "linux")]
fn kernel_holder(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).ok()?;
    let (major, minor) = (rustix::fs::major(m.dev()), rustix::fs::minor(m.dev()));
    let want = format!("{major:02x}:{minor:02x}:{}", m.ino());
    let mut table = String::new();
    File::open("/proc/locks").ok()?.take(1 << 20).read_to_string(&mut table).ok()?;
    // "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"
    table.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let at = f.iter().position(|x| x.matches(':').count() == 2 && x.ends_with(&format!(":{}", m.ino())))?;
        let dev_ino = f[at];
        let same = dev_ino.eq_ignore_ascii_case(&want) || {
            let p: Vec<&str> = dev_ino.split(':').collect();
            u32::from_str_radix(p[0], 16).ok() == Some(major) && u32::from_str_radix(p[1], 16).ok() == Some(minor)
        };
        if same { f.get(at.checked_sub(1)?)?.parse().ok() } else { None }
    })
}

#[cfg(not(target_os = "linux"))]
fn kernel_holder(_: &Path) -> Option<u32> {
    None
}

/// The pid of the process that holds the lock of `dir` now, if another one does (for showing a
/// live run as running, not interrupted). Never waits, never creates anything.
pub fn holder(dir: &Path) -> Option<u32> {
    let path = dir.join(LOCK_FILE);
    if held(|h| h.contains_key(&path)) {
        return None;
    }
    let file = File::open(&path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => Some(holder_pid(&path).unwrap_or(0)),
        Err(TryLockError::Error(_)) => None,
    }
}

/// Takes the lock of an existing journal folder (waiting up to `wait`, calling `on_wait` once
/// with the holder's pid when it has to); `None` when the folder does not exist, since then no
/// run has ever written there and nothing is created for a run that may do nothing.
pub fn acquire_existing(
    dir: &Path,
    wait: Duration,
    on_wait: &dyn Fn(Option<u32>),
) -> Result<Option<RunLock>, LockFailure> {
    if !dir.is_dir() {
        return Ok(None);
    }
    acquire_with(dir, wait, on_wait, false).map(Some)
}

/// Creates the journal folder and lock file if needed and takes the lock, retrying for `wait`
/// so a run that is just finishing does not make the next one fail.
pub fn acquire(dir: &Path, wait: Duration) -> Result<RunLock, LockFailure> {
    acquire_with(dir, wait, &|_| {}, true)
}

/// `record`: write our pid into the file (for a person, and for other systems than Linux, whose
/// kernel does not tell): only once the run is about to change things, so a run that reads
/// and finds nothing to do writes nothing.
fn acquire_with(
    dir: &Path,
    wait: Duration,
    on_wait: &dyn Fn(Option<u32>),
    record: bool,
) -> Result<RunLock, LockFailure> {
    let path = dir.join(LOCK_FILE);
    let reentered = held(|h| {
        let (file, n) = h.get_mut(&path)?;
        *n += 1;
        if record {
            write_pid(file);
        }
        Some(())
    });
    if reentered.is_some() {
        return Ok(RunLock { path, waited: false });
    }
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
    let mut waited = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                if !waited {
                    on_wait(holder_pid(&path));
                    waited = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(TryLockError::WouldBlock) => {
                let pid = holder_pid(&path);
                return Err(LockFailure::Busy(path, pid));
            }
            Err(TryLockError::Error(e)) => return Err(LockFailure::Io(path, e)),
        }
    }
    if record {
        write_pid(&file);
    }
    held(|h| h.insert(path.clone(), (file, 1)));
    Ok(RunLock { path, waited })
}
