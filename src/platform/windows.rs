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

use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::Storage::FileSystem::{
    FindClose, FindFirstFileW, GetDriveTypeW, GetVolumeInformationW, GetVolumePathNameW, WIN32_FIND_DATAW,
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
    // std calls every name-surrogate reparse point a symlink; the tag tells a junction from a
    // symlink (and from anything else). It is read from the directory listing, because
    // `junction::get_target` opens the link without sharing and fails while another process holds
    // it open; its answer is then replaced by std's reading of the same reparse data.
    let kind = match reparse_tag(path) {
        Some(IO_REPARSE_TAG_MOUNT_POINT) => LinkKind::Junction,
        Some(IO_REPARSE_TAG_SYMLINK) => LinkKind::Symlink,
        Some(_) => return Ok(Entry::Other),
        None if junction::get_target(path).is_ok() => LinkKind::Junction,
        None => LinkKind::Symlink,
    };
    let raw_target = match kind {
        LinkKind::Junction => match junction::get_target(path) {
            Ok(t) => t,
            Err(_) => strip_verbatim_path(fs::read_link(path)?),
        },
        LinkKind::Symlink => match fs::read_link(path) {
            Ok(t) => t,
            Err(_) => return Ok(Entry::Other),
        },
    };
    let resolved = canonicalize(path).ok();
    let target_is_dir = resolved.as_deref().is_some_and(Path::is_dir);
    Ok(Entry::Link(LinkInfo { kind, raw_target, resolved, target_is_dir }))
}

const IO_REPARSE_TAG_MOUNT_POINT: u32 = 0xA000_0003;
const IO_REPARSE_TAG_SYMLINK: u32 = 0xA000_000C;
const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;

/// The reparse tag of `path` itself, read without opening it.
fn reparse_tag(path: &Path) -> Option<u32> {
    let name = wide(verbatim_if_long(path).as_os_str());
    // SAFETY: `name` is NUL-terminated and `data` is a plain out-struct; the handle is closed.
    unsafe {
        let mut data: WIN32_FIND_DATAW = std::mem::zeroed();
        let h = FindFirstFileW(name.as_ptr(), &mut data);
        if h == INVALID_HANDLE_VALUE {
            return None;
        }
        FindClose(h);
        (data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT != 0).then_some(data.dwReserved0)
    }
}

/// Win32 calls that std does not wrap need the `\\?\` form past MAX_PATH.
fn verbatim_if_long(path: &Path) -> PathBuf {
    let s = path.as_os_str();
    if s.len() < 248 || !path.is_absolute() || path.to_string_lossy().starts_with(r"\\") {
        return path.to_path_buf();
    }
    let mut v = std::ffi::OsString::from(r"\\?\");
    v.push(super::normalize(path).as_os_str());
    PathBuf::from(v)
}

fn strip_verbatim_path(p: PathBuf) -> PathBuf {
    match p.to_str().and_then(decide::strip_verbatim) {
        Some(plain) => PathBuf::from(plain),
        None => p,
    }
}

/// A mapped drive canonicalizes to its `\\?\UNC\` form, so both spellings of a share compare
/// equal once the prefix is stripped.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    Ok(strip_verbatim_path(fs::canonicalize(path)?))
}

pub fn paths_equal(a: &Path, b: &Path) -> bool {
    decide::windows_paths_equal(&a.to_string_lossy(), &b.to_string_lossy())
}

pub fn file_key_from(path: &Path, _meta: &fs::Metadata) -> Option<super::FileKey> {
    file_key(path, false)
}

/// From `GetFileInformationByHandle` on the entry opened for no access at all (so a file ComfyUI
/// holds open still answers); a folder needs backup semantics to be opened, a link not to be
/// followed needs `OPEN_REPARSE_POINT`. Some network and user-mode filesystems answer a file
/// index of 0 for everything: no identity then, rather than every file being one.
pub fn file_key(path: &Path, follow: bool) -> Option<super::FileKey> {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT, FILE_SHARE_DELETE,
        FILE_SHARE_READ, FILE_SHARE_WRITE, GetFileInformationByHandle,
    };
    let flags = FILE_FLAG_BACKUP_SEMANTICS | if follow { 0 } else { FILE_FLAG_OPEN_REPARSE_POINT };
    let file = fs::OpenOptions::new()
        .access_mode(0)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(flags)
        .open(path)
        .ok()?;
    // SAFETY: `file` is an open handle for the duration of the call; `info` is plain data the
    // call fills in.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    if unsafe { GetFileInformationByHandle(file.as_raw_handle() as _, &mut info) } == 0 {
        return None;
    }
    let ino = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    (ino != 0).then(|| super::FileKey {
        dev: u64::from(info.dwVolumeSerialNumber),
        ino,
        links: u64::from(info.nNumberOfLinks),
    })
}

pub fn create_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    decide::create_dir_link(&RealOps, target, link)
}

pub fn replace_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    decide::replace_dir_link(&RealOps, target, link)
}

pub fn settle_replace(link: &Path) -> Result<(), LinkError> {
    decide::settle_replace(&RealOps, link)
}

pub fn remove_link(link: &Path) -> io::Result<()> {
    match entry(link)? {
        Entry::Link(_) => RealOps.remove_link(link),
        _ => Err(io::Error::other(format!("{}: not a link, refusing to remove it", link.display()))),
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
/// What the volume checks say about a `models` link in `dir` to `target` (for
/// `fstype::link_support`): the same decision `create_dir_link` takes, made before planning.
pub fn link_verdict(dir: &Path, target: &Path) -> decide::Verdict {
    use decide::Verdict;
    let target = decide::absolute_target(target, &dir.join("models"));
    match decide::choose_kind(&RealOps, &target, &dir.join("models")) {
        Ok(_) => Verdict::Links,
        Err(LinkError::Unsupported { .. }) => Verdict::NoLinks {
            fs: RealOps.volume(dir).map(|v| v.fs_name).unwrap_or_else(|| "this volume".into()),
            why: "the volume supports neither junctions nor symlinks".into(),
        },
        Err(LinkError::NetworkTarget { .. }) => Verdict::NoLinks {
            fs: "a network share (the global folder's)".into(),
            why: "a junction cannot point at a network share, and this process may not create symlinks (enable Developer Mode)".into(),
        },
        Err(_) => Verdict::Links,
    }
}

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
            Prefix::Disk(_) | Prefix::VerbatimDisk(_) | Prefix::UNC(..) | Prefix::VerbatimUNC(..) => {
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
        let is_dir = fs::symlink_metadata(path).ok()?.file_type().is_symlink_dir();
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

    /// MoveFileExW on a junction or directory symlink moves the link itself.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        if fs::symlink_metadata(to).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        fs::rename(from, to)
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

#[cfg(test)]
mod tests {
    use super::super::{
        canonicalize as canon, create_dir_link, describe_io_error, entry, remove_link, replace_dir_link, same_dir,
    };
    use super::*;

    /// CI runs these under Wine, which cannot create junctions (ERROR_NOT_SUPPORTED); tests that
    /// need one return early with a line the CI script counts.
    fn junctions_work(test: &str) -> bool {
        let t = tempfile::tempdir().unwrap();
        let probe = t.path().join("probe");
        let ok = junction::create(t.path(), &probe).is_ok();
        if !ok {
            eprintln!("{test}: skipped: wine cannot create junctions");
        }
        ok
    }

    fn tmp() -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let root = canon(t.path()).unwrap();
        (t, root)
    }

    #[test]
    fn entry_of_plain_things() {
        let (_t, root) = tmp();
        fs::create_dir(root.join("dir")).unwrap();
        fs::write(root.join("file"), b"123").unwrap();
        assert_eq!(entry(&root.join("missing")).unwrap(), Entry::Missing);
        assert_eq!(entry(&root.join("dir")).unwrap(), Entry::Dir);
        assert_eq!(entry(&root.join("file")).unwrap(), Entry::File { len: 3 });
    }

    #[test]
    fn canonicalize_has_no_verbatim_prefix_and_compares_case_insensitively() {
        let (t, root) = tmp();
        assert!(!root.to_string_lossy().starts_with(r"\\?\"), "{root:?}");
        let upper = PathBuf::from(t.path().to_string_lossy().to_uppercase());
        assert!(same_dir(&upper, t.path()));
        assert!(same_dir(&root.join("Not").join("Yet"), &upper.join("not/yet")));
    }

    #[test]
    fn long_paths_are_read_and_canonicalized() {
        let (_t, root) = tmp();
        let mut deep = root.clone();
        while deep.as_os_str().len() < 300 {
            deep.push("a-rather-long-folder-name-for-model-subfolders");
        }
        // Wine 8 answers ERROR_MORE_DATA for some long-path calls where Windows succeeds.
        let wine_limit = |e: &io::Error| {
            let hit = e.raw_os_error() == Some(234);
            if hit {
                eprintln!("long_paths_are_read_and_canonicalized: skipped: wine long-path limit");
            }
            hit
        };
        if let Err(e) = fs::create_dir_all(&deep) {
            assert!(wine_limit(&e), "{e}");
            return;
        }
        assert_eq!(entry(&deep).unwrap(), Entry::Dir);
        let c = match canon(&deep) {
            Ok(c) => c,
            Err(e) => {
                assert!(wine_limit(&e), "{e}");
                return;
            }
        };
        assert!(paths_equal(&c, &deep), "{c:?}");
    }

    #[test]
    fn network_forms_are_recognised() {
        let (_t, root) = tmp();
        assert!(RealOps.is_network(Path::new(r"\\nas\share\models")));
        assert!(RealOps.is_network(Path::new(r"\\?\UNC\nas\share\models")));
        assert!(!RealOps.is_network(&root));
    }

    #[test]
    fn a_file_in_use_is_explained() {
        use std::os::windows::fs::OpenOptionsExt;
        let (_t, root) = tmp();
        let f = root.join("model.safetensors");
        fs::write(&f, b"x").unwrap();
        let _held = fs::OpenOptions::new().read(true).share_mode(0).open(&f).unwrap();
        let err = fs::OpenOptions::new().read(true).open(&f).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(decide::code::ERROR_SHARING_VIOLATION));
        assert!(describe_io_error(&err).unwrap().contains("close ComfyUI"));
    }

    #[test]
    fn remove_link_refuses_a_real_folder() {
        let (_t, root) = tmp();
        let dir = root.join("models");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("m.ckpt"), b"x").unwrap();
        assert!(remove_link(&dir).is_err());
        assert!(dir.join("m.ckpt").is_file());
    }

    /// Where junctions cannot be made (Wine, FAT), a failed creation must not leave the empty
    /// folder `junction::create` makes first.
    #[test]
    fn failed_junction_leaves_nothing_behind() {
        let (_t, root) = tmp();
        fs::create_dir(root.join("global")).unwrap();
        let link = root.join("models");
        match create_dir_link(&root.join("global"), &link) {
            Ok(kind) => assert_eq!(kind, LinkKind::Junction),
            Err(e) => {
                assert!(matches!(e, LinkError::Unsupported { .. }), "{e}");
                assert_eq!(entry(&link).unwrap(), Entry::Missing);
            }
        }
    }

    #[test]
    fn junction_entry_create_replace_remove() {
        if !junctions_work("junction_entry_create_replace_remove") {
            return;
        }
        let (_t, root) = tmp();
        let (a, b) = (root.join("a"), root.join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(b.join("keep.safetensors"), b"x").unwrap();
        let link = root.join("comfy").join("models");
        fs::create_dir(root.join("comfy")).unwrap();

        // Relative targets mean the link's own folder, not the current one.
        assert_eq!(create_dir_link(Path::new(r"..\a"), &link).unwrap(), LinkKind::Junction);
        let Entry::Link(info) = entry(&link).unwrap() else { panic!("not a link") };
        assert_eq!(info.kind, LinkKind::Junction);
        assert!(info.raw_target.is_absolute());
        assert!(paths_equal(info.resolved.as_deref().unwrap(), &a));
        assert!(info.target_is_dir);

        assert_eq!(replace_dir_link(&b, &link).unwrap(), LinkKind::Junction);
        assert!(same_dir(&link, &b));

        remove_link(&link).unwrap();
        assert_eq!(entry(&link).unwrap(), Entry::Missing);
        assert!(b.join("keep.safetensors").is_file(), "target must survive");
    }

    #[test]
    fn dangling_junction_is_a_link_without_resolution() {
        if !junctions_work("dangling_junction_is_a_link_without_resolution") {
            return;
        }
        let (_t, root) = tmp();
        let target = root.join("gone");
        fs::create_dir(&target).unwrap();
        let link = root.join("models");
        create_dir_link(&target, &link).unwrap();
        fs::remove_dir(&target).unwrap();
        let Entry::Link(info) = entry(&link).unwrap() else { panic!("not a link") };
        assert_eq!(info.kind, LinkKind::Junction);
        assert_eq!(info.resolved, None);
        remove_link(&link).unwrap();
        assert_eq!(entry(&link).unwrap(), Entry::Missing);
    }
}
