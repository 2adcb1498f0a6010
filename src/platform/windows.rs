//! Windows: directory junctions, with a directory symlink only where a junction cannot work (a
//! network target) and the process may make one. The decisions live in `decide.rs`; this file
//! only answers its questions with real OS calls.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf, Prefix};
use std::sync::OnceLock;

use windows_sys::Win32::Storage::FileSystem::{
    GetDriveTypeW, GetVolumeInformationW, GetVolumePathNameW,
};

use super::decide::{self, VolumeInfo, WinOps};
use super::{Entry, LinkError, LinkInfo, LinkKind};

pub fn entry(path: &Path) -> io::Result<Entry> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entry::Missing),
        Err(e) => return Err(e),
    };
    let ft = meta.file_type();
    if !ft.is_symlink() {
        return Ok(if ft.is_dir() {
            Entry::Dir
        } else if ft.is_file() {
            Entry::File { len: meta.len() }
        } else {
            Entry::Other
        });
    }
    // std calls every name-surrogate reparse point a symlink. `junction::get_target` succeeds only
    // for a mount-point tag (a junction), `read_link` for a real symlink; anything else is Other.
    let (kind, raw_target) = match junction::get_target(path) {
        Ok(t) => (LinkKind::Junction, t),
        Err(_) => match fs::read_link(path) {
            Ok(t) => (LinkKind::Symlink, t),
            Err(_) => return Ok(Entry::Other),
        },
    };
    let resolved = canonicalize(path).ok();
    let target_is_dir = resolved.as_deref().is_some_and(Path::is_dir);
    Ok(Entry::Link(LinkInfo {
        kind,
        raw_target,
        resolved,
        target_is_dir,
    }))
}

/// A mapped drive canonicalizes to its `\\?\UNC\` form, so both spellings of a share compare
/// equal once the prefix is stripped.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    let p = fs::canonicalize(path)?;
    Ok(match p.to_str().and_then(decide::strip_verbatim) {
        Some(plain) => PathBuf::from(plain),
        None => p,
    })
}

pub fn paths_equal(a: &Path, b: &Path) -> bool {
    decide::windows_paths_equal(&a.to_string_lossy(), &b.to_string_lossy())
}

/// Std offers no stable file identity on Windows; canonical paths already decide.
pub fn same_file(_a: &Path, _b: &Path) -> bool {
    false
}

pub fn create_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    decide::create_dir_link(&RealOps, target, link)
}

pub fn replace_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    decide::replace_dir_link(&RealOps, target, link)
}

pub fn remove_link(link: &Path) -> io::Result<()> {
    match entry(link)? {
        Entry::Link(_) => RealOps.remove_link(link),
        _ => Err(io::Error::other(format!(
            "{}: not a link, refusing to remove it",
            link.display()
        ))),
    }
}

pub fn create_link_like(
    raw_target: &Path,
    link: &Path,
    kind: LinkKind,
    target_is_dir: bool,
) -> Result<LinkKind, LinkError> {
    decide::create_link_like(&RealOps, raw_target, link, kind, target_is_dir)
}

/// The live answers to `decide`'s questions.
struct RealOps;

const DRIVE_REMOTE: u32 = 4;
const FILE_SUPPORTS_REPARSE_POINTS: u32 = 0x80;

fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

fn from_wide(buf: &[u16]) -> String {
    let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    String::from_utf16_lossy(&buf[..end])
}

/// The root of the volume holding `path` (`C:\`, `\\server\share\`, or a mounted folder).
fn volume_root(path: &Path) -> Option<Vec<u16>> {
    let abs = super::normalize(path);
    let name = wide(abs.as_os_str());
    let mut buf = vec![0u16; name.len().max(260) + 1];
    // SAFETY: `name` is NUL-terminated; `buf` is writable for the length passed.
    let ok = unsafe { GetVolumePathNameW(name.as_ptr(), buf.as_mut_ptr(), buf.len() as u32) };
    if ok != 0 {
        let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
        buf.truncate(end + 1);
        return Some(buf);
    }
    // Fall back to the drive or share named by the path itself.
    match abs.components().next()? {
        Component::Prefix(p) => match p.kind() {
            Prefix::Disk(_)
            | Prefix::VerbatimDisk(_)
            | Prefix::UNC(..)
            | Prefix::VerbatimUNC(..) => {
                let mut root = p.as_os_str().to_os_string();
                root.push("\\");
                Some(wide(&root))
            }
            _ => None,
        },
        _ => None,
    }
}

impl WinOps for RealOps {
    fn volume(&self, path: &Path) -> Option<VolumeInfo> {
        let root = volume_root(path)?;
        let mut fs_name = [0u16; 64];
        let mut flags = 0u32;
        // SAFETY: `root` is NUL-terminated; the out-pointers are valid or null where optional.
        let ok = unsafe {
            GetVolumeInformationW(
                root.as_ptr(),
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut flags,
                fs_name.as_mut_ptr(),
                fs_name.len() as u32,
            )
        };
        (ok != 0).then(|| VolumeInfo {
            fs_name: from_wide(&fs_name),
            supports_reparse_points: flags & FILE_SUPPORTS_REPARSE_POINTS != 0,
        })
    }

    fn is_network(&self, path: &Path) -> bool {
        if decide::is_unc(&path.to_string_lossy()) {
            return true;
        }
        // A mapped drive letter looks local; only the drive type tells.
        volume_root(path).is_some_and(|root| {
            // SAFETY: `root` is NUL-terminated.
            unsafe { GetDriveTypeW(root.as_ptr()) == DRIVE_REMOTE }
        })
    }

    /// Tried once per process: making a throwaway symlink is the only reliable test (Developer
    /// Mode, elevation and group policy all play in).
    fn can_symlink(&self) -> bool {
        static CAN: OnceLock<bool> = OnceLock::new();
        *CAN.get_or_init(|| {
            let dir = std::env::temp_dir();
            let probe = dir.join(format!("comfydoctor-symlink-probe-{}", std::process::id()));
            let ok = std::os::windows::fs::symlink_dir(&dir, &probe).is_ok();
            if ok {
                let _ = fs::remove_dir(&probe);
            }
            ok
        })
    }

    fn exists(&self, path: &Path) -> bool {
        fs::symlink_metadata(path).is_ok()
    }

    fn read_link(&self, path: &Path) -> Option<(LinkKind, PathBuf, bool)> {
        let is_dir = fs::symlink_metadata(path)
            .ok()?
            .file_type()
            .is_symlink_dir();
        match entry(path).ok()? {
            Entry::Link(info) => Some((info.kind, info.raw_target, is_dir)),
            _ => None,
        }
    }

    fn create_junction(&self, target: &Path, link: &Path) -> io::Result<()> {
        junction::create(target, link)
    }

    fn create_symlink(&self, target: &Path, link: &Path, dir: bool) -> io::Result<()> {
        if dir {
            std::os::windows::fs::symlink_dir(target, link)
        } else {
            std::os::windows::fs::symlink_file(target, link)
        }
    }

    /// RemoveDirectoryW on a junction or directory symlink removes the link, never the target's
    /// contents; a file symlink is a file.
    fn remove_link(&self, path: &Path) -> io::Result<()> {
        if fs::symlink_metadata(path)?.file_type().is_symlink_file() {
            fs::remove_file(path)
        } else {
            fs::remove_dir(path)
        }
    }

    fn remove_empty_dir(&self, path: &Path) -> io::Result<()> {
        let meta = fs::symlink_metadata(path)?;
        if meta.is_dir() && !meta.file_type().is_symlink() {
            // remove_dir fails on a non-empty folder, which is exactly the guard wanted.
            fs::remove_dir(path)
        } else {
            Ok(())
        }
    }
}
