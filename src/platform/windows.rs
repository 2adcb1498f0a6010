//! Windows: directory junctions (to be completed by the platform issue).

use std::fs;
use std::io;
use std::os::windows::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use super::{Entry, LinkError, LinkInfo, LinkKind};

pub fn entry(path: &Path) -> io::Result<Entry> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entry::Missing),
        Err(e) => return Err(e),
    };
    let ft = meta.file_type();
    Ok(if ft.is_symlink() {
        let kind = if ft.is_symlink_dir() && junction::exists(path).is_ok() && junction::get_target(path).is_ok() {
            LinkKind::Junction
        } else {
            LinkKind::Symlink
        };
        let raw_target = match kind {
            LinkKind::Junction => junction::get_target(path)?,
            LinkKind::Symlink => fs::read_link(path)?,
        };
        let resolved = canonicalize(path).ok();
        let target_is_dir = resolved.as_deref().is_some_and(Path::is_dir);
        Entry::Link(LinkInfo { kind, raw_target, resolved, target_is_dir })
    } else if ft.is_dir() {
        Entry::Dir
    } else if ft.is_file() {
        Entry::File { len: meta.len() }
    } else {
        Entry::Other
    })
}

pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    let p = fs::canonicalize(path)?;
    let s = p.to_string_lossy();
    Ok(if let Some(rest) = s.strip_prefix(r"\\?\UNC\") {
        PathBuf::from(format!(r"\\{rest}"))
    } else if let Some(rest) = s.strip_prefix(r"\\?\") {
        PathBuf::from(rest)
    } else {
        p
    })
}

pub fn paths_equal(a: &Path, b: &Path) -> bool {
    a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase()
}

pub fn create_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    if fs::symlink_metadata(link).is_ok() {
        return Err(LinkError::Exists { link: link.to_path_buf() });
    }
    junction::create(target, link).map_err(|source| LinkError::Io { link: link.to_path_buf(), source })?;
    Ok(LinkKind::Junction)
}

pub fn replace_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    remove_link(link).map_err(|source| LinkError::Io { link: link.to_path_buf(), source })?;
    create_dir_link(target, link)
}

pub fn remove_link(link: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(link)?;
    if !meta.file_type().is_symlink() {
        return Err(io::Error::other(format!("{}: not a link, refusing to remove it", link.display())));
    }
    if meta.file_type().is_symlink_dir() { fs::remove_dir(link) } else { fs::remove_file(link) }
}

pub fn create_link_like(
    raw_target: &Path,
    link: &Path,
    kind: LinkKind,
    target_is_dir: bool,
) -> Result<LinkKind, LinkError> {
    if fs::symlink_metadata(link).is_ok() {
        return Err(LinkError::Exists { link: link.to_path_buf() });
    }
    let io_err = |source| LinkError::Io { link: link.to_path_buf(), source };
    match (kind, target_is_dir) {
        (LinkKind::Junction, _) => junction::create(raw_target, link).map_err(io_err).map(|_| LinkKind::Junction),
        (LinkKind::Symlink, true) => {
            std::os::windows::fs::symlink_dir(raw_target, link).map_err(io_err).map(|_| LinkKind::Symlink)
        }
        (LinkKind::Symlink, false) => {
            std::os::windows::fs::symlink_file(raw_target, link).map_err(io_err).map(|_| LinkKind::Symlink)
        }
    }
}
