//! Unix: symlinks for everything.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Entry, LinkError, LinkInfo, LinkKind};

pub fn entry(path: &Path) -> io::Result<Entry> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entry::Missing),
        Err(e) => return Err(e),
    };
    let ft = meta.file_type();
    Ok(if ft.is_symlink() {
        let raw_target = fs::read_link(path)?;
        let resolved = fs::canonicalize(path).ok();
        let target_is_dir = resolved.as_deref().is_some_and(Path::is_dir);
        Entry::Link(LinkInfo {
            kind: LinkKind::Symlink,
            raw_target,
            resolved,
            target_is_dir,
        })
    } else if ft.is_dir() {
        Entry::Dir
    } else if ft.is_file() {
        Entry::File { len: meta.len() }
    } else {
        Entry::Other
    })
}

pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(path)
}

/// Exact comparison, except on macOS where the default volume is case-insensitive.
pub fn paths_equal(a: &Path, b: &Path) -> bool {
    if cfg!(target_os = "macos") {
        a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase()
    } else {
        a == b
    }
}

/// Same device and inode: the definitive answer where both exist, whatever the spelling or case.
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

pub fn create_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    if fs::symlink_metadata(link).is_ok() {
        return Err(LinkError::Exists {
            link: link.to_path_buf(),
        });
    }
    symlink(target, link).map_err(|source| LinkError::Io {
        link: link.to_path_buf(),
        source,
    })?;
    Ok(LinkKind::Symlink)
}

/// The new link is made under a temporary sibling name and renamed over the old one, so the path
/// always holds a valid link. Anything at `link` other than a link is refused: rename(2) would
/// silently replace a file.
pub fn replace_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    match fs::symlink_metadata(link) {
        Ok(m) if !m.file_type().is_symlink() => {
            return Err(LinkError::Exists {
                link: link.to_path_buf(),
            });
        }
        _ => {}
    }
    let parent = link.parent().unwrap_or(Path::new("."));
    let name = link
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(
        ".{name}.comfydoctor-new-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_file(&tmp);
    symlink(target, &tmp).map_err(|source| LinkError::Io {
        link: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, link).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        LinkError::Io {
            link: link.to_path_buf(),
            source,
        }
    })?;
    Ok(LinkKind::Symlink)
}

pub fn remove_link(link: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(link)?;
    if !meta.file_type().is_symlink() {
        return Err(io::Error::other(format!(
            "{}: not a link, refusing to remove it",
            link.display()
        )));
    }
    fs::remove_file(link)
}

pub fn create_link_like(
    raw_target: &Path,
    link: &Path,
    _kind: LinkKind,
    _target_is_dir: bool,
) -> Result<LinkKind, LinkError> {
    if fs::symlink_metadata(link).is_ok() {
        return Err(LinkError::Exists {
            link: link.to_path_buf(),
        });
    }
    symlink(raw_target, link).map_err(|source| LinkError::Io {
        link: link.to_path_buf(),
        source,
    })?;
    Ok(LinkKind::Symlink)
}
