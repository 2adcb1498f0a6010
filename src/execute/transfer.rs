//! Moves and copies that must survive a crash or a full disk without ComfyUI ever listing a
//! truncated model: bytes go to a temporary name in the destination folder, each stretch is
//! read back and compared with what was read from the source as it is written, the copy is
//! fsynced, and only a verified copy is renamed into place. A source is removed only after
//! that, and only with non-recursive deletes. Used by `CopyVerify` and by a `Move` that crosses
//! filesystems.
//!
//! The source is read once. A `CopyVerify` hashes it as it goes (its journal entry records the
//! SHA-256 for undo); a `Move` records no digest and computes none. For files of more than a few
//! MiB the read-back comparison and the hashing run on a second thread, a stretch behind the
//! copy.
//!
//! A copy keeps what the user had: holes of sparse files stay holes (Linux `SEEK_DATA`), and a
//! file with several names is copied once per executor call, its other names hard-linked to
//! that copy (`Env::copied`; a resumed run starts with an empty memory, so it copies again:
//! more space, nothing lost). It refuses a file another process holds open ([`inuse`]), and a
//! copy that fails removes its own temporary.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::atomic::temp_path;
use super::durable::sync_dir;
use super::inuse::{self, Open};
use super::journal::StepDetail;
use super::progress::Meter;
use super::step::{Env, Fail, OnCopied, StepError, io_step, kind_name};
use crate::digest::{BUF, Hasher, sha256_file as hash_file};
use crate::platform::{self, Entry, LinkKind};

/// A file's identity for hard-link groups and the open-file probe: (volume, file number).
type Key = (u64, u64);

/// The key of the file at `path` whose metadata is `m`, and whether other names may share its
/// bytes (only those are remembered for linking).
fn key_of(path: &Path, m: &Metadata) -> (Option<Key>, bool) {
    match platform::file_key_from(path, m) {
        Some(k) => (Some(k.id()), k.links > 1),
        None => (None, false),
    }
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(f, buf, off)
}

#[cfg(windows)]
fn read_at(f: &File, buf: &mut [u8], off: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(f, buf, off)
}

#[cfg(unix)]
fn write_all_at(f: &File, buf: &[u8], off: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, buf, off)
}

#[cfg(windows)]
fn write_all_at(f: &File, mut buf: &[u8], mut off: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(f, buf, off)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                buf = &buf[n..];
                off += n as u64;
            }
        }
    }
    Ok(())
}

/// The next stretch of data at or after `pos` in `f` (of length `len`), as `(start, end)`, or
/// `None` when only a hole is left. Linux asks the filesystem (`SEEK_DATA`/`SEEK_HOLE`), so a
/// sparse model's holes are skipped instead of written out; a filesystem that cannot tell
/// reports everything as data.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn next_data(f: &File, pos: u64, len: u64) -> io::Result<Option<(u64, u64)>> {
    use rustix::fs::{SeekFrom, seek};
    use rustix::io::Errno;
    // ENXIO: no data at or after the offset (a hole up to the end).
    let seek_to = |whence: SeekFrom| -> io::Result<Option<u64>> {
        match seek(f, whence) {
            Ok(off) => Ok(Some(off)),
            Err(Errno::NXIO) => Ok(None),
            Err(e) => Err(e.into()),
        }
    };
    let start = match seek_to(SeekFrom::Data(pos)) {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(None),
        // The filesystem cannot tell holes: everything is data.
        Err(e) if e.raw_os_error() == Some(Errno::INVAL.raw_os_error()) => return Ok(Some((pos, len))),
        Err(e) => return Err(e),
    };
    if start >= len {
        return Ok(None);
    }
    let end = seek_to(SeekFrom::Hole(start))?.unwrap_or(len).min(len);
    Ok(Some((start, end.max(start + 1).min(len))))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn next_data(_f: &File, pos: u64, len: u64) -> io::Result<Option<(u64, u64)>> {
    Ok((pos < len).then_some((pos, len)))
}

/// Feeds `n` zero bytes (a hole) to the hasher, so the digest is that of the file's content.
fn hash_zeros(h: &mut Hasher, mut n: u64) {
    static ZEROS: [u8; 1 << 16] = [0; 1 << 16];
    while n > 0 {
        let k = n.min(ZEROS.len() as u64) as usize;
        h.update(&ZEROS[..k]);
        n -= k as u64;
    }
}

fn changed_while_copying(from: &Path, tmp: &Path) -> StepError {
    StepError {
        path: tmp.to_path_buf(),
        message: format!(
            "{}: the copy of {} does not match it (changed while copying, or a bad disk); the source is untouched",
            tmp.display(),
            from.display()
        ),
    }
}

/// Refuses `tmp` when anything but a plain file (a leftover of this run) holds the name.
fn want_free_temp(tmp: &Path) -> Result<(), StepError> {
    match platform::entry(tmp).map_err(|e| io_step(tmp, "cannot read", e))? {
        Entry::Missing | Entry::File { .. } => Ok(()),
        other => Err(StepError {
            path: tmp.to_path_buf(),
            message: format!(
                "{}: the temporary name is taken by {}; remove or rename it",
                tmp.display(),
                kind_name(&other)
            ),
        }),
    }
}

/// Copies file `from` to `tmp` (new, or a leftover regular file of the same run), hashing what
/// it reads, and verifies each stretch as it goes: written, read back from `tmp` and compared
/// byte for byte with what was read from the source. The source is read once; its digest (the
/// one the journal records) is computed on a second thread while the next stretch is copied,
/// so hashing costs no wall time where a core is free. Holes stay holes (only data extents are
/// written, then the length is set) and are hashed as zeros. Keeps permissions and mtime so the
/// copy looks like the original to ComfyUI and to backup tools; fsyncs before returning.
///
/// Why not `copy_file_range`: the bytes would never reach this process, so the copy could only
/// be verified by reading the source a second time; and between the filesystems a move crosses
/// here (a disk and tmpfs, two local filesystems) Linux refuses it since 5.19 (`EXDEV`) and
/// falls back to the same read and write this loop does.
fn copy_verified(from: &Path, tmp: &Path, meter: &Meter, hash: Digest) -> Result<(u64, String), StepError> {
    let src = File::open(from).map_err(|e| io_step(from, "cannot open", e))?;
    let meta = src.metadata().map_err(|e| io_step(from, "cannot stat", e))?;
    let len = meta.len();
    let dst = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|e| io_step(tmp, "cannot create", e))?;
    let (_none, no_free) = std::sync::mpsc::channel::<Vec<u8>>();
    let want = if len > PIPELINE_MIN {
        // A second thread reads each written stretch back, compares it and (for a digest)
        // hashes it, in order, while this one copies the next: where a core is free, the
        // verification costs no wall time.
        std::thread::scope(|s| {
            let (to_check, checking) = std::sync::mpsc::sync_channel::<Chunk>(2);
            let (returned, free) = std::sync::mpsc::channel::<Vec<u8>>();
            let dst = &dst;
            let checker = s.spawn(move || -> Result<String, StepError> {
                let mut h = (hash == Digest::Compute).then(Hasher::new);
                let mut back = vec![0u8; BUF];
                let mut failed = None;
                for chunk in checking {
                    match chunk {
                        Chunk::Data(buf, n, pos) => {
                            if failed.is_none() {
                                failed = check_back(dst, &mut back[..n], &buf[..n], pos, from, tmp).err();
                            }
                            if let Some(h) = &mut h {
                                h.update(&buf[..n]);
                            }
                            let _ = returned.send(buf);
                        }
                        Chunk::Zeros(n) => {
                            if let Some(h) = &mut h {
                                hash_zeros(h, n);
                            }
                        }
                    }
                }
                match failed {
                    Some(e) => Err(e),
                    None => Ok(h.map(Hasher::hex).unwrap_or_default()),
                }
            });
            let mut feed = |c: Chunk| {
                let _ = to_check.send(c);
                None
            };
            let res = copy_stretches(&src, dst, from, tmp, len, meter, false, &mut feed, &free);
            // The checker ends when the channel closes.
            drop(to_check);
            let checked = checker.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            res.and(checked)
        })?
    } else {
        let mut h = (hash == Digest::Compute).then(Hasher::new);
        let mut feed = |c: Chunk| match c {
            Chunk::Data(buf, n, _) => {
                if let Some(h) = &mut h {
                    h.update(&buf[..n]);
                }
                Some(buf)
            }
            Chunk::Zeros(n) => {
                if let Some(h) = &mut h {
                    hash_zeros(h, n);
                }
                None
            }
        };
        copy_stretches(&src, &dst, from, tmp, len, meter, true, &mut feed, &no_free)?;
        h.map(Hasher::hex).unwrap_or_default()
    };
    dst.set_len(len).map_err(|e| io_step(tmp, "cannot write (disk full?)", e))?;
    let _ = dst.set_permissions(meta.permissions());
    keep_owner(from, tmp);
    if let Ok(m) = meta.modified() {
        let _ = dst.set_modified(m);
    }
    dst.sync_all().map_err(|e| io_step(tmp, "cannot flush to disk", e))?;
    // Written to while copied: what was read may be a mix of old and new bytes.
    let now = src.metadata().map_err(|e| io_step(from, "cannot stat", e))?;
    if now.len() != len || now.modified().ok() != meta.modified().ok() {
        return Err(changed_while_copying(from, tmp));
    }
    let got = dst.metadata().map_err(|e| io_step(tmp, "cannot stat", e))?;
    if got.len() != len {
        return Err(changed_while_copying(from, tmp));
    }
    Ok((len, want))
}

/// Whether a copy computes the source's SHA-256. A move needs none (each stretch is compared
/// with what was read, and the journal records no digest for it); `CopyVerify` records one for
/// its undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Digest {
    Compute,
    Skip,
}

/// Files above this size are verified (and hashed) on a second thread while the next stretch
/// is copied.
const PIPELINE_MIN: u64 = 4 * BUF as u64;

/// A piece of the source, in order: bytes read (buffer, length, offset), or a hole of that
/// many zeros.
enum Chunk {
    Data(Vec<u8>, usize, u64),
    Zeros(u64),
}

/// Reads back `want.len()` bytes of the copy at `pos` and compares them with what was written.
fn check_back(dst: &File, back: &mut [u8], want: &[u8], pos: u64, from: &Path, tmp: &Path) -> Result<(), StepError> {
    read_exact_at(dst, back, pos).map_err(|e| io_step(tmp, "cannot read back", e))?;
    if back != want {
        return Err(changed_while_copying(from, tmp));
    }
    Ok(())
}

/// The copy loop of [`copy_verified`]: data extents read into a buffer (the one `feed` gave
/// back, or one returned through `free`), written at the same offset, read back and compared
/// here when `check` (else by whoever `feed` hands them to), then handed to `feed` in order.
#[allow(clippy::too_many_arguments)]
fn copy_stretches(
    src: &File,
    dst: &File,
    from: &Path,
    tmp: &Path,
    len: u64,
    meter: &Meter,
    check: bool,
    feed: &mut dyn FnMut(Chunk) -> Option<Vec<u8>>,
    free: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<(), StepError> {
    let size = BUF.min(len as usize).max(1);
    let mut back = if check { vec![0u8; size] } else { Vec::new() };
    let mut spare: Option<Vec<u8>> = None;
    let mut pos = 0;
    while pos < len {
        let Some((start, end)) = next_data(src, pos, len).map_err(|e| io_step(from, "cannot read", e))? else {
            break;
        };
        if start > pos {
            feed(Chunk::Zeros(start - pos));
            meter.inc(start - pos);
        }
        pos = start;
        while pos < end {
            let mut buf = spare.take().or_else(|| free.try_recv().ok()).unwrap_or_else(|| vec![0u8; size]);
            let want = (end - pos).min(buf.len() as u64) as usize;
            let n = read_at(src, &mut buf[..want], pos).map_err(|e| io_step(from, "cannot read", e))?;
            if n == 0 {
                return Err(changed_while_copying(from, tmp)); // it shrank
            }
            write_all_at(dst, &buf[..n], pos).map_err(|e| io_step(tmp, "cannot write (disk full?)", e))?;
            if check {
                check_back(dst, &mut back[..n], &buf[..n], pos, from, tmp)?;
            }
            spare = feed(Chunk::Data(buf, n, pos));
            pos += n as u64;
            meter.inc(n as u64);
        }
    }
    if len > pos {
        feed(Chunk::Zeros(len - pos));
        meter.inc(len - pos);
    }
    Ok(())
}

fn read_exact_at(f: &File, mut buf: &mut [u8], mut off: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(f, buf, off)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                off += n as u64;
            }
        }
    }
    Ok(())
}

/// Makes `to` another name of `earlier`, a copy made by this executor call of the same source
/// file, when it still looks like that source (length and mtime, which the copy took over) and
/// sits on `to`'s filesystem. `false`: copy instead.
fn link_to_copy(earlier: &Path, src: &Metadata, to: &Path) -> bool {
    let Ok(m) = fs::symlink_metadata(earlier) else {
        return false;
    };
    let same = m.is_file() && m.len() == src.len() && m.modified().ok() == src.modified().ok();
    same && fs::hard_link(earlier, to).is_ok()
}

/// Refuses to copy across filesystems while another process holds one of `files` open (see
/// [`inuse`]); one scan for all of them.
fn refuse_if_open(files: &[(PathBuf, Key)]) -> Result<(), StepError> {
    let keys: Vec<Key> = files.iter().map(|(_, k)| *k).collect();
    let Open::By(key, who) = inuse::find_open(&keys) else {
        return Ok(());
    };
    let file = files.iter().find(|(_, k)| *k == key).map(|(p, _)| p.clone()).unwrap_or_default();
    Err(StepError {
        path: file.clone(),
        message: format!(
            "{}: open in {name} (pid {pid}), which may still be writing it; a copy to another filesystem now would miss what it writes later, so nothing was moved; close {name} (pid {pid}) and run the command again",
            file.display(),
            name = who.name,
            pid = who.pid
        ),
    })
}

/// One entry of a tree to copy, relative to its root ("" is the root).
#[derive(Debug, Clone)]
enum Node {
    Dir,
    /// `key` where the platform has one; `shared` when other names may hold the same bytes.
    File {
        len: u64,
        key: Option<Key>,
        shared: bool,
    },
    Link {
        raw: PathBuf,
        kind: LinkKind,
        target_is_dir: bool,
    },
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
            Entry::File { len } => {
                let m = fs::symlink_metadata(&p).map_err(|e| io_step(&p, "cannot stat", e))?;
                let (key, shared) = key_of(&p, &m);
                Node::File { len, key, shared }
            }
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
/// is never touched. Refused while another process holds `from` open.
pub(crate) fn copy_file_into_place(from: &Path, to: &Path, env: &Env) -> Result<(u64, String), StepError> {
    let meta = fs::symlink_metadata(from).map_err(|e| io_step(from, "cannot stat", e))?;
    if let (Some(k), _) = key_of(from, &meta) {
        refuse_if_open(&[(from.to_path_buf(), k)])?;
    }
    place_file(from, &meta, to, env, Digest::Compute)
}

/// Renames a verified copy into place, refusing when something already answers to `to`: on a
/// volume that matches names without case, `foo` may be another spelling of an existing `Foo`
/// (rename(2) would replace it), so no copy ever lands over an entry.
fn rename_new(tmp: &Path, to: &Path) -> Result<(), StepError> {
    if fs::symlink_metadata(to).is_ok() {
        let taken = io::Error::new(
            io::ErrorKind::AlreadyExists,
            "an entry already answers to this name (perhaps spelled in another case)",
        );
        return Err(io_step(to, "will not rename the verified copy over it", taken));
    }
    fs::rename(tmp, to).map_err(|e| io_step(to, "cannot rename the verified copy into place", e))
}

/// [`copy_file_into_place`] once the open-file check is done: a hard link to this call's copy of
/// the same source when there is one, else a verified copy, remembered when the source has
/// other names. A failed copy leaves no temporary file behind.
///
/// With [`Digest::Skip`] the returned digest is empty (as it is in `env.copied` for a copy
/// made that way); with [`Digest::Compute`] a hard link to such a copy is hashed once, from
/// the copy.
fn place_file(from: &Path, meta: &Metadata, to: &Path, env: &Env, hash: Digest) -> Result<(u64, String), StepError> {
    // Looked up whatever the link count is now: the other names may have moved already.
    let (key, shared) = key_of(from, meta);
    let parent = to.parent().unwrap_or(Path::new("."));
    if let Some(k) = key {
        let earlier = env.copied.borrow().get(&k).cloned();
        if let Some((at, sha)) = earlier
            && link_to_copy(&at, meta, to)
        {
            sync_dir(parent);
            if sha.is_empty() && hash == Digest::Compute {
                // The earlier copy was a move's, made without a digest: hash the copy itself
                // (the source's bytes, already verified against it).
                let (_, sha) = hash_file(to).map_err(|e| io_step(to, "cannot read", e))?;
                return Ok((meta.len(), sha));
            }
            return Ok((meta.len(), sha));
        }
    }
    no_space(parent, meta.len())?;
    let tmp = temp_path(to, env.tag);
    want_free_temp(&tmp)?;
    let _tracked = super::interrupt::track(&tmp); // removed on Ctrl-C
    let meter = Meter::start(env.progress, from, meta.len());
    let res = copy_verified(from, &tmp, &meter, hash).and_then(|r| {
        rename_new(&tmp, to)?;
        Ok(r)
    });
    meter.finish();
    let (len, sha) = res.inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    sync_dir(parent);
    if let Some(k) = key.filter(|_| shared) {
        env.copied.borrow_mut().insert(k, (to.to_path_buf(), sha.clone()));
    }
    Ok((len, sha))
}

/// Moves across filesystems. `on_copied` runs once the verified copy is in place at `to` and
/// before the first source entry is removed (the journal records it, so a crash in between can
/// be finished by [`finish_copied_move`]).
pub(crate) fn cross_device_move(from: &Path, to: &Path, env: &Env, on_copied: OnCopied) -> Result<StepDetail, Fail> {
    let nodes = scan(from)?;
    let needed: u64 = nodes
        .iter()
        .map(|(_, n)| match n {
            Node::File { len, .. } => *len,
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
    let open: Vec<(PathBuf, Key)> = nodes
        .iter()
        .filter_map(|(rel, n)| match n {
            Node::File { key: Some(k), .. } => Some((join_rel(from, rel), *k)),
            _ => None,
        })
        .collect();
    refuse_if_open(&open)?;
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
            let meta = fs::symlink_metadata(from).map_err(|e| io_step(from, "cannot stat", e))?;
            place_file(from, &meta, to, env, Digest::Skip)?;
            on_copied()?;
            remove_tree(from, &nodes, None)?;
            "file"
        }
        Node::Dir => {
            let tmp = temp_path(to, env.tag);
            let _tracked = super::interrupt::track(&tmp); // removed on Ctrl-C
            let meter = Meter::start(env.progress, from, needed);
            let mut firsts = HashMap::new();
            let res = copy_tree(from, &tmp, &nodes, env, &mut firsts, &meter).and_then(|()| rename_new(&tmp, to));
            meter.finish();
            if let Err(e) = res {
                remove_partial_tree(&tmp, &nodes);
                return Err(e.into());
            }
            sync_dir(parent);
            let mut copied = env.copied.borrow_mut();
            for (k, (rel, sha)) in firsts {
                copied.insert(k, (join_rel(to, &rel), sha));
            }
            drop(copied);
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

/// Removes what a failed folder copy made under its temporary name, children first with
/// non-recursive deletes of the entries the copy writes; anything else found there stays.
/// Nothing is done unless the temporary name is a real folder (never through a link).
fn remove_partial_tree(tmp: &Path, nodes: &[(PathBuf, Node)]) {
    if !matches!(platform::entry(tmp), Ok(Entry::Dir)) {
        return;
    }
    for (rel, node) in nodes.iter().rev() {
        let p = join_rel(tmp, rel);
        let _ = match node {
            Node::Dir => fs::remove_dir(&p),
            Node::File { .. } => fs::remove_file(&p),
            Node::Link { .. } => platform::remove_link(&p),
        };
    }
}

/// Copies the tree `nodes` of `from` into `tmp`. A file whose source was already copied (in this tree: `firsts`, rel path and sha by key; or earlier in this executor
/// call: `env.copied`) becomes a hard link to that copy.
fn copy_tree(
    from: &Path,
    tmp: &Path,
    nodes: &[(PathBuf, Node)],
    env: &Env,
    firsts: &mut HashMap<Key, (PathBuf, String)>,
    meter: &Meter,
) -> Result<(), StepError> {
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
            Node::File { len, key, shared } => {
                // Looked up whatever the link count is now: the other names may have moved already.
                if let Some(k) = *key {
                    let earlier = match firsts.get(&k) {
                        Some((r, sha)) => Some((join_rel(tmp, r), sha.clone())),
                        None => env.copied.borrow().get(&k).cloned(),
                    };
                    if let Some((at, _)) = earlier {
                        let meta = fs::symlink_metadata(&src).map_err(|e| io_step(&src, "cannot stat", e))?;
                        if matches!(existing, Entry::File { .. }) {
                            // An unverified leftover of a killed attempt of this run.
                            fs::remove_file(&dst).map_err(|e| io_step(&dst, "cannot remove", e))?;
                        }
                        if link_to_copy(&at, &meta, &dst) {
                            meter.inc(*len);
                            continue;
                        }
                    }
                }
                let (_, sha) = copy_verified(&src, &dst, meter, Digest::Skip)?;
                if let Some(k) = key.filter(|_| *shared) {
                    firsts.entry(k).or_insert((rel.clone(), sha));
                }
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
                keep_owner(&join_rel(from, rel), &dst);
            }
        }
    }
    // Folder permissions last: a read-only source folder must not stop its own copy.
    for (rel, node) in nodes.iter().rev() {
        if matches!(node, Node::Dir)
            && let Ok(m) = fs::symlink_metadata(join_rel(from, rel))
        {
            let _ = fs::set_permissions(join_rel(tmp, rel), m.permissions());
            keep_owner(&join_rel(from, rel), &join_rel(tmp, rel));
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
            (Node::File { len, .. }, Entry::File { len: now_len }) => {
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileExt, MetadataExt};

    fn env(tag: &str) -> Env<'_> {
        Env { tag, progress: None, copied: Default::default() }
    }

    #[test]
    fn a_sparse_copy_keeps_its_holes_and_hashes_them_as_zeros() {
        let d = tempfile::tempdir().unwrap();
        let (from, to) = (d.path().join("sparse"), d.path().join("copy"));
        let f = File::create(&from).unwrap();
        f.set_len(8 << 20).unwrap();
        f.write_all_at(b"data in the middle", 3 << 20).unwrap();
        drop(f);
        let (len, sha) = copy_file_into_place(&from, &to, &env("t")).unwrap();
        let content = fs::read(&from).unwrap();
        assert_eq!(len, 8 << 20);
        assert_eq!(sha, crate::digest::sha256_bytes(&content));
        assert!(fs::read(&to).unwrap() == content);
        let src_blocks = fs::metadata(&from).unwrap().blocks();
        if src_blocks * 512 < 1 << 20 {
            assert!(fs::metadata(&to).unwrap().blocks() <= src_blocks.max(8) * 2, "holes were written out");
        }
        // A file that ends in data, and one that is all hole.
        fs::write(&from, b"plain").unwrap();
        let to2 = d.path().join("copy2");
        assert_eq!(copy_file_into_place(&from, &to2, &env("t")).unwrap().1, crate::digest::sha256_bytes(b"plain"));
        File::create(&from).unwrap().set_len(1 << 20).unwrap();
        let to3 = d.path().join("copy3");
        let (_, sha) = copy_file_into_place(&from, &to3, &env("t")).unwrap();
        assert_eq!(sha, crate::digest::sha256_bytes(&vec![0u8; 1 << 20]));
        assert_eq!(fs::metadata(&to3).unwrap().len(), 1 << 20);
    }

    /// Both ways of copying (verified inline below the pipeline size, by the checker thread
    /// above it), with and without a digest, give the source's bytes and its SHA-256.
    #[test]
    fn every_copy_path_gives_the_same_bytes_and_digest() {
        let d = tempfile::tempdir().unwrap();
        let from = d.path().join("src");
        let meter = Meter::start(None, &from, 0);
        for (i, len) in [0usize, 1, BUF - 1, BUF, 4 * BUF + 1, 9 << 20].into_iter().enumerate() {
            let mut content: Vec<u8> = (0..len).map(|k| (k * 31 + k / 4096) as u8).collect();
            let f = File::create(&from).unwrap();
            f.set_len(len as u64).unwrap();
            // Data with a hole in the middle for the big ones.
            if len > 2 * BUF {
                content[BUF..2 * BUF].fill(0);
                write_all_at(&f, &content[..BUF], 0).unwrap();
                write_all_at(&f, &content[2 * BUF..], 2 * BUF as u64).unwrap();
            } else {
                write_all_at(&f, &content, 0).unwrap();
            }
            drop(f);
            for hash in [Digest::Compute, Digest::Skip] {
                let to = d.path().join(format!("copy{i}-{hash:?}"));
                let (got_len, sha) = copy_verified(&from, &to, &meter, hash).unwrap();
                assert_eq!(got_len, len as u64);
                assert!(fs::read(&to).unwrap() == content, "{len} bytes, {hash:?}");
                match hash {
                    Digest::Compute => assert_eq!(sha, crate::digest::sha256_bytes(&content), "{len}"),
                    Digest::Skip => assert!(sha.is_empty()),
                }
            }
        }
    }

    #[test]
    fn a_failed_copy_leaves_no_temporary_behind() {
        let d = tempfile::tempdir().unwrap();
        let from = d.path().join("f");
        fs::write(&from, b"bytes").unwrap();
        // The rename into place fails: a non-empty folder holds the destination name.
        let to = d.path().join("busy");
        fs::create_dir(&to).unwrap();
        fs::write(to.join("x"), b"").unwrap();
        assert!(copy_file_into_place(&from, &to, &env("t")).is_err());
        assert!(!temp_path(&to, "t").exists());
        assert_eq!(fs::read(&from).unwrap(), b"bytes");

        // The same for a folder: its partial copy goes, the source stays.
        let tree = d.path().join("tree");
        fs::create_dir_all(tree.join("sub")).unwrap();
        fs::write(tree.join("sub/a"), b"a").unwrap();
        std::os::unix::fs::symlink("sub/a", tree.join("l")).unwrap();
        let nodes = scan(&tree).unwrap();
        let tmp = temp_path(&to, "t");
        let e = env("t");
        let mut firsts = HashMap::new();
        copy_tree(&tree, &tmp, &nodes, &e, &mut firsts, &Meter::start(None, &tree, 0)).unwrap();
        assert!(tmp.join("sub/a").is_file());
        remove_partial_tree(&tmp, &nodes);
        assert!(!tmp.exists() && !tmp.is_symlink());
        assert_eq!(fs::read(tree.join("sub/a")).unwrap(), b"a");
    }

    #[test]
    fn a_second_name_of_a_copied_file_becomes_a_hard_link_to_the_copy() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        fs::write(&a, b"shared").unwrap();
        fs::hard_link(&a, &b).unwrap();
        let e = env("t");
        let (ca, cb) = (d.path().join("ca"), d.path().join("cb"));
        let sa = copy_file_into_place(&a, &ca, &e).unwrap();
        let sb = copy_file_into_place(&b, &cb, &e).unwrap();
        assert_eq!(sa, sb);
        let (ma, mb) = (fs::metadata(&ca).unwrap(), fs::metadata(&cb).unwrap());
        assert_eq!(ma.ino(), mb.ino());
        assert_ne!(ma.ino(), fs::metadata(&a).unwrap().ino());
        // A copy changed since (another mtime) is not linked to: copied afresh.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        File::options().write(true).open(&ca).unwrap().set_modified(later).unwrap();
        let cc = d.path().join("cc");
        copy_file_into_place(&a, &cc, &e).unwrap();
        assert_ne!(fs::metadata(&cc).unwrap().ino(), ma.ino());
        assert_eq!(fs::read(&cc).unwrap(), b"shared");
    }
}

/// As root, a copy keeps its source's owner and group (and so its mode, set again after the
/// change of owner, which may clear setgid): the user can still change what was theirs.
fn keep_owner(from: &Path, to: &Path) {
    if platform::owner::is_root()
        && let Some(o) = platform::owner::owner_of(from)
    {
        platform::owner::set_owner(to, o);
    }
}
