//! Moves and copies that must survive a crash or a full disk without ComfyUI ever listing a
//! truncated model: bytes go to a temporary name in the destination folder, are fsynced and
//! read back, and only a verified copy is renamed into place. A source is removed only after
//! that, and only with non-recursive deletes. Used by `CopyVerify` and by a `Move` that crosses
//! filesystems.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::atomic::temp_path;
use super::durable::sync_dir;
use super::journal::StepDetail;
use super::progress::{Meter, Progress};
use super::step::{Fail, OnCopied, StepError, io_step, kind_name};
use crate::digest::{BUF, Hasher, sha256_file as hash_file};
use crate::platform::{self, Entry, LinkKind};

/// Copies file `from` to `tmp` (new, or a leftover regular file of the same run), fsyncs it,
/// reads it back and compares with the source's hash. Keeps permissions and mtime so the copy
/// looks like the original to ComfyUI and to backup tools.
fn copy_verified(from: &Path, tmp: &Path, meter: &Meter) -> Result<(u64, String), StepError> {
    match platform::entry(tmp).map_err(|e| io_step(tmp, "cannot read", e))? {
        Entry::Missing | Entry::File { .. } => {}
        other => {
            return Err(StepError {
                path: tmp.to_path_buf(),
                message: format!(
                    "{}: the temporary name is taken by {}; remove or rename it",
                    tmp.display(),
                    kind_name(&other)
                ),
            });
        }
    }
    let mut src = File::open(from).map_err(|e| io_step(from, "cannot open", e))?;
    let meta = src.metadata().map_err(|e| io_step(from, "cannot stat", e))?;
    let mut dst = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|e| io_step(tmp, "cannot create", e))?;
    let mut h = Hasher::new();
    let mut buf = vec![0u8; BUF];
    let mut len = 0u64;
    loop {
        let n = src.read(&mut buf).map_err(|e| io_step(from, "cannot read", e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        dst.write_all(&buf[..n]).map_err(|e| io_step(tmp, "cannot write (disk full?)", e))?;
        len += n as u64;
        meter.inc(n as u64);
    }
    let _ = dst.set_permissions(meta.permissions());
    if let Ok(m) = meta.modified() {
        let _ = dst.set_modified(m);
    }
    dst.sync_all().map_err(|e| io_step(tmp, "cannot flush to disk", e))?;
    drop(dst);
    let want = h.hex();
    let (got_len, got) = hash_file(tmp).map_err(|e| io_step(tmp, "cannot read back", e))?;
    if got_len != len || got != want || len != meta.len() {
        return Err(StepError {
            path: tmp.to_path_buf(),
            message: format!(
                "{}: the copy of {} does not match it (changed while copying, or a bad disk); the source is untouched",
                tmp.display(),
                from.display()
            ),
        });
    }
    Ok((len, want))
}

/// One entry of a tree to copy, relative to its root ("" is the root).
#[derive(Debug, Clone)]
enum Node {
    Dir,
    File { len: u64 },
    Link { raw: PathBuf, kind: LinkKind, target_is_dir: bool },
}

fn join_rel(root: &Path, rel: &Path) -> PathBuf {
    if rel.as_os_str().is_empty() { root.to_path_buf() } else { root.join(rel) }
}

/// Lists a tree parents-first without following links; refuses special files, which have no
/// safe copy.
fn scan(root: &Path) -> Result<Vec<(PathBuf, Node)>, StepError> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let p = join_rel(root, &rel);
        let node = match platform::entry(&p).map_err(|e| io_step(&p, "cannot read", e))? {
            Entry::Dir => Node::Dir,
            Entry::File { len } => Node::File { len },
            Entry::Link(info) => {
                Node::Link { raw: info.raw_target, kind: info.kind, target_is_dir: info.target_is_dir }
            }
            Entry::Missing => continue,
            Entry::Other => {
                return Err(StepError {
                    path: p.clone(),
                    message: format!(
                        "{}: a socket, pipe or device cannot be moved across filesystems; move it out of the way by hand",
                        p.display()
                    ),
                });
            }
        };
        if matches!(node, Node::Dir) {
            let mut children: Vec<OsString> = fs::read_dir(&p)
                .map_err(|e| io_step(&p, "cannot list", e))?
                .map(|e| e.map(|e| e.file_name()))
                .collect::<Result<_, _>>()
                .map_err(|e| io_step(&p, "cannot list", e))?;
            children.sort();
            for c in children.into_iter().rev() {
                stack.push(rel.join(c));
            }
        }
        out.push((rel, node));
    }
    Ok(out)
}

fn no_space(dest_dir: &Path, needed: u64) -> Result<(), StepError> {
    let avail = match fs4::available_space(dest_dir) {
        Ok(a) => a,
        Err(_) => return Ok(()), // unknown: the copy itself fails cleanly if the disk fills
    };
    if needed > avail {
        return Err(StepError {
            path: dest_dir.to_path_buf(),
            message: format!(
                "{}: not enough free space: {needed} bytes needed, {avail} available; free some space or choose a models folder on the same disk",
                dest_dir.display()
            ),
        });
    }
    Ok(())
}

/// Copies file `from` to `to` (which does not exist) through a verified temporary; the source
/// is never touched.
pub(crate) fn copy_file_into_place(
    from: &Path,
    to: &Path,
    tag: &str,
    progress: Option<&dyn Progress>,
) -> Result<(u64, String), StepError> {
    let len = fs::symlink_metadata(from).map_err(|e| io_step(from, "cannot stat", e))?.len();
    let parent = to.parent().unwrap_or(Path::new("."));
    no_space(parent, len)?;
    let tmp = temp_path(to, tag);
    let meter = Meter::start(progress, from, len);
    let res = copy_verified(from, &tmp, &meter);
    meter.finish();
    let (len, sha) = res?;
    fs::rename(&tmp, to).map_err(|e| io_step(to, "cannot rename the verified copy into place", e))?;
    sync_dir(parent);
    Ok((len, sha))
}

/// Moves across filesystems. `on_copied` runs once the verified copy is in place at `to` and
/// before the first source entry is removed (the journal records it, so a crash in between can
/// be finished by [`finish_copied_move`]).
pub(crate) fn cross_device_move(
    from: &Path,
    to: &Path,
    tag: &str,
    progress: Option<&dyn Progress>,
    on_copied: OnCopied,
) -> Result<StepDetail, Fail> {
    let nodes = scan(from)?;
    let needed: u64 = nodes
        .iter()
        .map(|(_, n)| match n {
            Node::File { len } => *len,
            _ => 0,
        })
        .sum();
    let parent = to.parent().unwrap_or(Path::new("."));
    no_space(parent, needed)?;
    let Some((_, root)) = nodes.first().cloned() else {
        return Err(StepError {
            path: from.to_path_buf(),
            message: format!("{}: vanished before it could be moved", from.display()),
        }
        .into());
    };
    let source_kind = match root {
        Node::Link { raw, kind, target_is_dir } => {
            platform::create_link_like(&raw, to, kind, target_is_dir)
                .map_err(|e| StepError { path: to.to_path_buf(), message: e.to_string() })?;
            sync_dir(parent);
            on_copied()?;
            platform::remove_link(from).map_err(|e| io_step(from, "cannot remove link", e))?;
            "link"
        }
        Node::File { .. } => {
            copy_file_into_place(from, to, tag, progress)?;
            on_copied()?;
            remove_tree(from, &nodes, None)?;
            "file"
        }
        Node::Dir => {
            let tmp = temp_path(to, tag);
            let meter = Meter::start(progress, from, needed);
            let res = copy_tree(from, &tmp, &nodes, &meter);
            meter.finish();
            res?;
            fs::rename(&tmp, to).map_err(|e| io_step(to, "cannot rename the verified copy into place", e))?;
            sync_dir(parent);
            on_copied()?;
            remove_tree(from, &nodes, None)?;
            "dir"
        }
    };
    if let Some(p) = from.parent() {
        sync_dir(p);
    }
    Ok(StepDetail { source_kind: Some(source_kind.into()), copied: true, ..StepDetail::default() })
}

fn copy_tree(from: &Path, tmp: &Path, nodes: &[(PathBuf, Node)], meter: &Meter) -> Result<(), StepError> {
    for (rel, node) in nodes {
        let src = join_rel(from, rel);
        let dst = join_rel(tmp, rel);
        let existing = platform::entry(&dst).map_err(|e| io_step(&dst, "cannot read", e))?;
        match node {
            Node::Dir => match existing {
                Entry::Missing => fs::create_dir(&dst).map_err(|e| io_step(&dst, "cannot create folder", e))?,
                Entry::Dir => {} // left by a killed attempt of this same run
                other => return Err(taken(&dst, &other)),
            },
            Node::File { .. } => {
                copy_verified(&src, &dst, meter)?;
            }
            Node::Link { raw, kind, target_is_dir } => {
                match existing {
                    Entry::Missing => {}
                    Entry::Link(info) if info.raw_target == *raw => continue,
                    Entry::Link(_) => {
                        platform::remove_link(&dst).map_err(|e| io_step(&dst, "cannot remove link", e))?
                    }
                    other => return Err(taken(&dst, &other)),
                }
                platform::create_link_like(raw, &dst, *kind, *target_is_dir)
                    .map_err(|e| StepError { path: dst.clone(), message: e.to_string() })?;
            }
        }
    }
    // Folder permissions last: a read-only source folder must not stop its own copy.
    for (rel, node) in nodes.iter().rev() {
        if matches!(node, Node::Dir)
            && let Ok(m) = fs::symlink_metadata(join_rel(from, rel))
        {
            let _ = fs::set_permissions(join_rel(tmp, rel), m.permissions());
        }
        if matches!(node, Node::Dir) {
            sync_dir(&join_rel(tmp, rel));
        }
    }
    Ok(())
}

fn taken(p: &Path, e: &Entry) -> StepError {
    StepError {
        path: p.to_path_buf(),
        message: format!("{}: expected to be free for the copy, found {}", p.display(), kind_name(e)),
    }
}

/// Removes a moved source children-first with non-recursive deletes. With `verify_against`, an
/// entry goes only if its counterpart there holds the same bytes (or link target): that is
/// the resume of a run killed while removing, when nothing in memory vouches for the copy.
/// Without it, a file goes only if its length is still what was copied.
fn remove_tree(from: &Path, nodes: &[(PathBuf, Node)], verify_against: Option<&Path>) -> Result<(), StepError> {
    for (rel, node) in nodes.iter().rev() {
        let p = join_rel(from, rel);
        let now = platform::entry(&p).map_err(|e| io_step(&p, "cannot read", e))?;
        match (node, now) {
            (_, Entry::Missing) => {}
            (Node::File { len }, Entry::File { len: now_len }) => {
                if *len != now_len {
                    return Err(StepError {
                        path: p.clone(),
                        message: format!(
                            "{}: changed while being moved ({len} → {now_len} bytes); kept, copy it by hand",
                            p.display()
                        ),
                    });
                }
                if let Some(other) = verify_against {
                    let q = join_rel(other, rel);
                    let a = hash_file(&p).map_err(|e| io_step(&p, "cannot read", e))?;
                    let b = hash_file(&q).ok();
                    if b.as_ref() != Some(&a) {
                        return Err(StepError {
                            path: p.clone(),
                            message: format!("{}: its copy {} is missing or differs; kept", p.display(), q.display()),
                        });
                    }
                }
                fs::remove_file(&p).map_err(|e| io_step(&p, "cannot remove", e))?;
            }
            (Node::Link { raw, .. }, Entry::Link(info)) if info.raw_target == *raw => {
                if let Some(other) = verify_against {
                    let q = join_rel(other, rel);
                    match platform::entry(&q) {
                        Ok(Entry::Link(i)) if i.raw_target == *raw => {}
                        _ => {
                            return Err(StepError {
                                path: p.clone(),
                                message: format!(
                                    "{}: its copy {} is missing or differs; kept",
                                    p.display(),
                                    q.display()
                                ),
                            });
                        }
                    }
                }
                platform::remove_link(&p).map_err(|e| io_step(&p, "cannot remove link", e))?;
            }
            (Node::Dir, Entry::Dir) => {
                fs::remove_dir(&p)
                    .map_err(|e| io_step(&p, "cannot remove folder (something new appeared in it?)", e))?;
            }
            (_, other) => {
                return Err(StepError {
                    path: p.clone(),
                    message: format!("{}: changed while being moved (now {}); kept", p.display(), kind_name(&other)),
                });
            }
        }
    }
    Ok(())
}

/// Finishes a cross-filesystem move that was killed after its copy was in place: removes what
/// is left of the source, each entry only if `to` holds the same.
pub(crate) fn finish_copied_move(from: &Path, to: &Path) -> Result<(), StepError> {
    if matches!(platform::entry(to).map_err(|e| io_step(to, "cannot read", e))?, Entry::Missing) {
        return Err(StepError {
            path: to.to_path_buf(),
            message: format!(
                "{}: the copy made by the interrupted move is gone; {} is kept as it is",
                to.display(),
                from.display()
            ),
        });
    }
    let nodes = scan(from)?;
    remove_tree(from, &nodes, Some(to))
}
