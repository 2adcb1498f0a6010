//! Everything that reads, makes or removes a link goes through here.
//!
//! Unix uses symlinks. Windows uses directory junctions (no privilege needed, local targets only,
//! absolute), which std reports as a symlink that is not a directory. Callers see one [`Entry`]
//! type and never ask std about links themselves. Only the executor calls the writing functions.

use std::io;
use std::path::{Path, PathBuf};

mod decide;
pub mod fstype;
pub mod owner;
#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

/// How a link was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Symlink,
    Junction,
}

/// A link as found on disk, without following it for anything but `resolved`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    pub kind: LinkKind,
    /// The target exactly as stored in the link (may be relative to the link's folder).
    pub raw_target: PathBuf,
    /// The fully resolved target, or `None` when the link dangles (or loops).
    pub resolved: Option<PathBuf>,
    /// Whether the resolved target is a folder.
    pub target_is_dir: bool,
}

/// What a path is, read without following a link at the path itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Missing,
    File {
        len: u64,
    },
    Dir,
    Link(LinkInfo),
    /// A socket, FIFO, device, or a reparse point that is not a junction or symlink.
    Other,
}

/// Errors of link creation, each with the reason a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{link}: already exists")]
    Exists { link: PathBuf },
    #[error(
        "{target}: a junction cannot point at a network share; use a local folder, or enable Developer Mode so a symlink can be made"
    )]
    NetworkTarget { target: PathBuf },
    #[error(
        "{link}: this volume (FAT32/exFAT?) supports neither junctions nor symlinks; move the install to an NTFS volume"
    )]
    Unsupported { link: PathBuf },
    #[error("{link}: not allowed to create a symlink here; enable Developer Mode or run as administrator")]
    Privilege { link: PathBuf },
    #[error("{link}: {source}")]
    Io {
        link: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Reads what `path` is without following a link there.
pub fn entry(path: &Path) -> io::Result<Entry> {
    imp::entry(path)
}

/// Whether an error says a chain of links loops (ELOOP; Windows: ERROR_CANT_RESOLVE_FILENAME).
/// `ErrorKind::FilesystemLoop` cannot be named on stable Rust, so the OS codes are compared.
pub fn is_loop_error(e: &io::Error) -> bool {
    const CODES: &[i32] = if cfg!(windows) {
        &[1921]
    } else if cfg!(any(target_os = "macos", target_os = "ios", target_os = "freebsd")) {
        &[62]
    } else {
        &[40]
    };
    e.raw_os_error().is_some_and(|c| CODES.contains(&c))
}

/// Reads a small file whole, refusing one larger than `limit` bytes with
/// `ErrorKind::FileTooLarge` (read up to one byte past the limit, so a file that grows while it is
/// read is caught too). For files the tool reads on every run (configs, git's small files).
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(io::ErrorKind::FileTooLarge, format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// Resolves links and `..`, giving a path comparable with others (no `\\?\` prefix on Windows).
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    imp::canonicalize(path)
}

/// A file's identity: its volume and its number there (device and inode on Unix, volume serial
/// and file index on Windows), and how many names it has (hard links).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileKey {
    pub dev: u64,
    pub ino: u64,
    pub links: u64,
}

impl FileKey {
    /// What names one file: (volume, file number).
    pub fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
}

/// The identity of what `path` names (of the link itself unless `follow`); `None` when it cannot
/// be read. On Windows this opens the entry (std has no stable file index), so callers ask only
/// where identity matters: hard links, one file under two names.
pub fn file_key(path: &Path, follow: bool) -> Option<FileKey> {
    imp::file_key(path, follow)
}

/// [`file_key`] of the entry (not followed) whose metadata is `meta`: free on Unix, where the
/// metadata holds it; an open of `path` on Windows.
pub fn file_key_from(path: &Path, meta: &std::fs::Metadata) -> Option<FileKey> {
    imp::file_key_from(path, meta)
}

/// Whether two paths name the same folder once links and `..` are resolved. A path that does not
/// exist (yet) is resolved through its deepest existing ancestor.
pub fn same_dir(a: &Path, b: &Path) -> bool {
    let (ra, rb) = (resolve_lenient(a), resolve_lenient(b));
    imp::paths_equal(&ra, &rb) || same_file(&ra, &rb)
}

/// Whether two existing folders are one, by file identity (two stats, no path resolved); on
/// Windows, where a share may answer no identity, by their resolved paths first.
pub fn same_existing_dir(a: &Path, b: &Path) -> bool {
    if cfg!(windows) { same_dir(a, b) } else { same_file(a, b) }
}

/// Same volume and file number, links followed: the definitive answer where both exist,
/// whatever the spelling or case.
pub fn same_file(a: &Path, b: &Path) -> bool {
    matches!((file_key(a, true), file_key(b, true)), (Some(a), Some(b)) if a.id() == b.id())
}

/// Two names of one file (a hard link), links not followed: removing one frees nothing.
pub fn one_file(a: &Path, b: &Path) -> bool {
    matches!((file_key(a, false), file_key(b, false)), (Some(a), Some(b)) if a.id() == b.id())
}

/// Whether `inner` lies inside (or is) `outer`, after resolving both as far as they exist.
pub fn is_within(inner: &Path, outer: &Path) -> bool {
    let inner = resolve_lenient(inner);
    let outer = resolve_lenient(outer);
    let mut cur = Some(inner.as_path());
    while let Some(p) = cur {
        if imp::paths_equal(p, &outer) {
            return true;
        }
        cur = p.parent();
    }
    false
}

/// Canonicalizes the deepest existing ancestor of `path` and appends the rest lexically, so a
/// folder about to be created compares right with existing ones (on macOS `/tmp/new` must match
/// `/private/tmp/new`; a missing path must not fall back to a differently spelled form).
pub fn resolve_lenient(path: &Path) -> PathBuf {
    use std::path::Component;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(d) => d.join(path),
            Err(_) => return normalize(path),
        }
    };
    // `..` is resolved physically inside the existing part (by canonicalize) and lexically in the
    // missing rest, which has no links to follow.
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(mut resolved) = canonicalize(existing) {
            for c in rest.iter().rev() {
                match c {
                    Component::ParentDir => {
                        resolved.pop();
                    }
                    Component::CurDir => {}
                    other => resolved.push(other.as_os_str()),
                }
            }
            return resolved;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return normalize(&abs),
        }
    }
}

/// Whether names in the folder `dir` match without regard to case, as on FAT, exFAT, and by
/// default NTFS and APFS (or a Linux `casefold` folder). Two names that differ only in case are
/// then one entry: a merge must treat them as a conflict, never write one over the other.
///
/// Read-only: one name of `dir`'s listing (`names`) is looked up with its case flipped; an
/// answer for a spelling the listing does not hold means the folder folded it. A folder with no
/// name to try asks the folder above (same volume); with none anywhere, the platform's default.
/// On Windows the answer is yes without looking: NTFS folds case unless a folder was set
/// otherwise (for WSL), and taking a folder as folding only ever turns an overwrite into a
/// reported conflict.
pub fn case_insensitive(dir: &Path, names: &[std::ffi::OsString]) -> Option<bool> {
    if cfg!(windows) {
        return Some(true);
    }
    let listed: std::collections::HashSet<&std::ffi::OsStr> = names.iter().map(|n| n.as_os_str()).collect();
    for name in names {
        let Some(flipped) = name.to_str().and_then(flip_case) else { continue };
        if listed.contains(std::ffi::OsStr::new(&flipped)) {
            continue;
        }
        return match std::fs::symlink_metadata(dir.join(&flipped)) {
            Ok(_) => Some(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Some(false),
            Err(_) => continue,
        };
    }
    None
}

/// The platform's usual answer where no folder could be asked (see [`case_insensitive`]).
pub const CASE_INSENSITIVE_DEFAULT: bool = cfg!(any(windows, target_os = "macos"));

/// `name` with the case of every cased letter flipped, when that changes it.
fn flip_case(name: &str) -> Option<String> {
    let flipped: String = name
        .chars()
        .flat_map(|c| {
            let up: Vec<char> = c.to_uppercase().collect();
            if up.len() == 1 && up[0] != c { up } else { c.to_lowercase().collect() }
        })
        .collect();
    (flipped != name).then_some(flipped)
}

/// Advice for an OS error a user can resolve, above all a file in use (Windows sharing or lock
/// violation: "close ComfyUI and retry"); `None` when the error speaks for itself.
pub fn describe_io_error(err: &io::Error) -> Option<&'static str> {
    decide::describe_os_error(err.raw_os_error()?, cfg!(windows))
}

/// Makes `path` absolute against the current folder and folds `.` and `..` lexically.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Creates a folder link at `link` pointing at `target` (a symlink on Unix, a junction on
/// Windows). Fails if `link` exists. On Windows a relative target is taken relative to the link's
/// folder (junctions store absolute targets only), a network target gets a directory symlink when
/// the process may create one, and each refusal is a [`LinkError`] naming what to do instead.
pub fn create_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    imp::create_dir_link(target, link)
}

/// Replaces the folder link at `link` so it points at `target`; atomic on Unix (a new link under a
/// temporary name renamed over the old one). Windows cannot rename over a link: there the old one
/// is removed and, should the new one fail, put back. Anything other than a link at `link` is
/// refused with [`LinkError::Exists`].
pub fn replace_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    imp::replace_dir_link(target, link)
}

/// Settles a link replacement killed part-way (Windows swaps a junction in four steps; Unix
/// may leave its new link under the side name): afterwards `link` holds the old link or the new
/// one, and no side name is left. The executor calls it before judging a started replacement.
pub fn settle_replace(link: &Path) -> Result<(), LinkError> {
    imp::settle_replace(link)
}

/// Removes the link at `link` (never what it points at). Fails if `link` is not a link.
pub fn remove_link(link: &Path) -> io::Result<()> {
    imp::remove_link(link)
}

/// Re-creates a link with the given raw target, as found by [`entry`]; used to move nested links.
pub fn create_link_like(
    raw_target: &Path,
    link: &Path,
    kind: LinkKind,
    target_is_dir: bool,
) -> Result<LinkKind, LinkError> {
    imp::create_link_like(raw_target, link, kind, target_is_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_case_flips_cased_letters_only() {
        for (name, flipped) in
            [("Foo.safetensors", Some("fOO.SAFETENSORS")), ("123_-.", None), ("ß", None), ("Ärger", Some("äRGER"))]
        {
            assert_eq!(flip_case(name).as_deref(), flipped, "{name}");
        }
    }

    /// File identity is what hard-link groups, the size line and "one file under two names"
    /// rest on, on every platform (on Windows it needs an open handle; Wine runs this too).
    #[test]
    fn file_keys_tell_names_of_one_file_from_equal_files() {
        let t = tempfile::tempdir().unwrap();
        let (a, b, c, d) = (t.path().join("a"), t.path().join("b"), t.path().join("c"), t.path().join("d"));
        std::fs::write(&a, b"same bytes").unwrap();
        std::fs::hard_link(&a, &b).unwrap();
        std::fs::write(&c, b"same bytes").unwrap();
        std::fs::create_dir(&d).unwrap();
        let (ka, kb, kc) = (file_key(&a, false).unwrap(), file_key(&b, true).unwrap(), file_key(&c, false).unwrap());
        assert_eq!((ka.dev, ka.ino), (kb.dev, kb.ino), "two names of one file");
        assert_eq!((ka.links, kc.links), (2, 1));
        assert_ne!(ka.ino, kc.ino, "equal bytes, another file");
        assert_eq!(ka.dev, kc.dev, "one volume");
        let meta = std::fs::symlink_metadata(&b).unwrap();
        assert_eq!(file_key_from(&b, &meta), Some(kb));
        assert!(same_file(&a, &b) && !same_file(&a, &c));
        assert!(file_key(&d, false).is_some(), "a folder has one too");
        assert!(same_existing_dir(&d, &t.path().join("d/../d")));
        assert_eq!(file_key(&t.path().join("missing"), false), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_is_asked_through_one_of_its_names() {
        let t = tempfile::tempdir().unwrap();
        // Nothing to ask in an empty folder, nor with names that have no case.
        assert_eq!(case_insensitive(t.path(), &[]), None);
        std::fs::write(t.path().join("123"), b"").unwrap();
        assert_eq!(case_insensitive(t.path(), &["123".into()]), None);
        // Linux test folders tell the cases apart; a listed flipped spelling is no answer.
        std::fs::write(t.path().join("Foo"), b"").unwrap();
        std::fs::write(t.path().join("fOO"), b"").unwrap();
        std::fs::write(t.path().join("bar"), b"").unwrap();
        let names = ["Foo".into(), "fOO".into(), "bar".into()];
        assert_eq!(case_insensitive(t.path(), &names), Some(false));
    }
}
