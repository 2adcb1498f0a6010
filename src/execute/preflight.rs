//! The preflight (GNU Stow's rule: check everything, then act): before an install's first
//! action, everything its steps need that can be known without writing. Every source it reads
//! is readable, every folder that gains or loses an entry is writable, both as the kernel
//! decides for this process's effective ids (a `chmod 000` folder, a tree owned by another
//! user, a read-only mount), and the bytes copied across filesystems fit there. A failure stops
//! the install before its first action, so nothing is written at all, not even the journal,
//! where otherwise the install would stop half-way and roll back.
//!
//! It reads metadata only (`faccessat`, `lstat`, folder listings of moved trees), never file
//! contents. Sources the plan itself makes on the way are not there yet and are left to each
//! step's precondition.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::Stop;
use crate::plan::{Action, InstallPlan, quote};
use crate::platform::owner::{EXEC, READ, WRITE, euid, may_access};

/// Checks install `plan` before its first action; the first problem found, by step.
pub(super) fn check(plan: &InstallPlan) -> Result<(), Stop> {
    let mut p = Preflight::default();
    for (j, step) in plan.steps.iter().enumerate() {
        p.step(j, &step.action)?;
    }
    p.space()
}

/// Bytes bound for one destination filesystem, and where to ask for its free space.
struct Bound {
    step: usize,
    at: PathBuf,
    bytes: u64,
}

#[derive(Default)]
struct Preflight {
    /// (path, bits) already found allowed: twenty folders made in one parent cost one call.
    allowed: HashSet<(PathBuf, u8)>,
    /// Destination filesystem (device; `None` where unknown) → bytes to be copied there.
    bound: BTreeMap<Option<u64>, Bound>,
    /// Files counted once per (device, inode): a hard-linked pair is copied once.
    counted: HashSet<(u64, u64)>,
}

impl Preflight {
    fn step(&mut self, j: usize, action: &Action) -> Result<(), Stop> {
        match action {
            Action::Move { from, to } => {
                if fs::symlink_metadata(from).is_err() {
                    return Ok(()); // made by an earlier step, or gone: its precondition says
                }
                let dest = existing_ancestor(to.parent().unwrap_or(to));
                let cross = matches!((dev_of(from, false), dev_of(&dest, true)), (Some(a), Some(b)) if a != b);
                self.changes(j, from)?;
                self.changes(j, to)?;
                self.source_tree(j, from, cross)?;
                if cross {
                    let bytes = self.tree_bytes(from);
                    self.bind(j, &dest, bytes);
                }
            }
            Action::HardLink { from, to } => {
                self.read(j, from, READ, "to link it")?;
                self.changes(j, to)?;
            }
            Action::CopyVerify { from, to } => {
                self.read(j, from, READ, "to copy it")?;
                self.changes(j, to)?;
                let bytes = self.tree_bytes(from);
                self.bind(j, &existing_ancestor(to.parent().unwrap_or(to)), bytes);
            }
            Action::RemoveStockFile { path, .. } => {
                self.read(j, path, READ, "to compare it before removing it")?;
                self.changes(j, path)?;
            }
            Action::RemoveEmptyDir { path } => {
                self.read(j, path, READ | EXEC, "to see that it is empty")?;
                self.changes(j, path)?;
            }
            Action::AppendLine { path, .. } => {
                self.read(j, path, READ, "to add a line to it")?;
                self.changes(j, path)?;
            }
            Action::RemovePlaceholder { path }
            | Action::MakeDir { path }
            | Action::WriteFile { path, .. }
            | Action::CreateLink { link: path, .. }
            | Action::CreateLinkLike { link: path, .. }
            | Action::ReplaceLink { link: path, .. }
            | Action::RemoveLink { link: path, .. } => self.changes(j, path)?,
            Action::SetDetached { path, .. } => self.changes(j, path)?,
            Action::DeleteDuplicate { path, twin, .. } => {
                self.read(j, path, READ, "to compare it before deleting it")?;
                self.read(j, twin, READ, "to compare it with the backup file")?;
                self.changes(j, path)?;
            }
            // git checks its own files and says what is wrong.
            Action::GitSkipWorktree { .. }
            | Action::GitSparseCheckout { .. }
            | Action::GitUnprotect { .. }
            | Action::GitNoSkipWorktree { .. }
            | Action::GitSparseDisable { .. } => {}
        }
        Ok(())
    }

    /// The folder holding `path` gains or loses an entry: it must be writable and searchable.
    /// A folder the plan makes first is judged by its nearest existing ancestor.
    fn changes(&mut self, j: usize, path: &Path) -> Result<(), Stop> {
        let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        let dir = existing_ancestor(parent);
        self.need(j, &dir, WRITE | EXEC, "to add or remove entries in it")
    }

    /// An existing source the step reads.
    fn read(&mut self, j: usize, path: &Path, bits: u8, why: &str) -> Result<(), Stop> {
        if fs::symlink_metadata(path).is_err() {
            return Ok(());
        }
        self.need(j, path, bits, why)
    }

    /// A source that is moved: a file must be readable (a copy reads it); a folder must be
    /// writable itself (rename(2) rewrites its `..`) and its whole tree readable and searchable,
    /// and writable too when it crosses filesystems (the source is emptied after the copy).
    /// Links are moved as links, never followed.
    fn source_tree(&mut self, j: usize, from: &Path, cross: bool) -> Result<(), Stop> {
        let Ok(meta) = fs::symlink_metadata(from) else { return Ok(()) };
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        if !meta.is_dir() {
            return self.need(j, from, READ, "to move it");
        }
        self.need(j, from, READ | WRITE | EXEC, "to move it")?;
        let sub = if cross { READ | WRITE | EXEC } else { READ | EXEC };
        for entry in walkdir::WalkDir::new(from).min_depth(1).follow_links(false) {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let at = e.path().unwrap_or(from).to_path_buf();
                    return self.need(j, &at, READ | EXEC, "to move what it holds");
                }
            };
            let ft = entry.file_type();
            if ft.is_dir() {
                self.need(j, entry.path(), sub, "to move what it holds")?;
            } else if ft.is_file() {
                self.need(j, entry.path(), READ, "to move it")?;
            }
        }
        Ok(())
    }

    /// Bytes a copy of `from` (file or tree) takes: allocated size (a sparse file needs only its
    /// data), each hard-linked file once.
    fn tree_bytes(&mut self, from: &Path) -> u64 {
        let mut total = 0;
        for entry in walkdir::WalkDir::new(from).follow_links(false).into_iter().flatten() {
            let Ok(m) = entry.metadata() else { continue };
            if !m.is_file() {
                continue;
            }
            if let Some(id) = file_id(entry.path(), &m)
                && !self.counted.insert(id)
            {
                continue;
            }
            total += allocated(&m);
        }
        total
    }

    fn bind(&mut self, j: usize, dest: &Path, bytes: u64) {
        let b =
            self.bound.entry(dev_of(dest, true)).or_insert_with(|| Bound { step: j, at: dest.to_path_buf(), bytes: 0 });
        b.bytes += bytes;
    }

    /// Every filesystem receiving copies has room for all of them (ahead of the per-copy check
    /// in the transfer, which would only stop half-way).
    fn space(&self) -> Result<(), Stop> {
        for b in self.bound.values() {
            let Ok(avail) = fs4::available_space(&b.at) else { continue };
            if b.bytes > avail {
                return Err(Stop {
                    step: b.step,
                    path: b.at.clone(),
                    message: format!(
                        "{}: not enough free space: {} bytes are copied there, {avail} available; free some space, or choose a models folder on the same disk",
                        b.at.display(),
                        b.bytes
                    ),
                });
            }
        }
        Ok(())
    }

    fn need(&mut self, j: usize, path: &Path, bits: u8, why: &str) -> Result<(), Stop> {
        if self.allowed.contains(&(path.to_path_buf(), bits)) {
            return Ok(());
        }
        if may_access(path, bits) {
            self.allowed.insert((path.to_path_buf(), bits));
            return Ok(());
        }
        Err(refusal(j, path, bits, why))
    }
}

/// Names the path, the permissions missing (each asked on its own) and the fix.
fn refusal(j: usize, path: &Path, bits: u8, why: &str) -> Stop {
    let missing: Vec<(u8, &str, char)> = [(READ, "read", 'r'), (WRITE, "write", 'w'), (EXEC, "search", 'x')]
        .into_iter()
        .filter(|(b, _, _)| bits & b != 0 && !may_access(path, *b))
        .collect();
    // Each bit alone may pass while the set does not (a race): then name them all.
    let missing = if missing.is_empty() {
        [(READ, "read", 'r'), (WRITE, "write", 'w'), (EXEC, "search", 'x')]
            .into_iter()
            .filter(|(b, _, _)| bits & b != 0)
            .collect()
    } else {
        missing
    };
    let names: Vec<&str> = missing.iter().map(|m| m.1).collect();
    let letters: String = missing.iter().map(|m| m.2).collect();
    let who = euid().map(|u| format!("user {u}")).unwrap_or_else(|| "this user".into());
    let folder = if fs::metadata(path).is_ok_and(|m| m.is_dir()) { "folder's" } else { "file's" };
    Stop {
        step: j,
        path: path.to_path_buf(),
        message: format!(
            "{}: no {} permission for {who} ({why}); run as the {folder} owner, or `chmod u+{letters} {}`",
            path.display(),
            list(&names),
            quote(path)
        ),
    }
}

/// `read`, `read and write`, `read, write and search`.
fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `path`, or its nearest ancestor that exists (a folder the plan makes is judged by it).
fn existing_ancestor(path: &Path) -> PathBuf {
    let mut cur = path;
    loop {
        if fs::symlink_metadata(cur).is_ok() {
            return cur.to_path_buf();
        }
        match cur.parent() {
            Some(p) if !p.as_os_str().is_empty() => cur = p,
            _ => return path.to_path_buf(),
        }
    }
}

/// The filesystem holding `path` (following a link there when `follow`); `None` where unknown.
fn dev_of(path: &Path, follow: bool) -> Option<u64> {
    crate::platform::file_key(path, follow).map(|k| k.dev)
}

/// The identity of a file with other names (hard links); `None` for a file with one name.
fn file_id(path: &Path, m: &fs::Metadata) -> Option<(u64, u64)> {
    crate::platform::file_key_from(path, m).filter(|k| k.links > 1).map(|k| k.id())
}

fn allocated(m: &fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        m.len().min(m.blocks().saturating_mul(512))
    }
    #[cfg(not(unix))]
    {
        m.len()
    }
}
