//! Whether a folder can hold the `models` link at all: the filesystem type first (Linux `statfs`
//! magic numbers, macOS `f_fstypename`, Windows the volume checks of `decide`), and where the
//! type does not tell (network shares, FUSE, anything unknown) one probe link under a temporary,
//! clearly disposable name (`.comfydoctor-link-probe-<pid>-<n>`, a dangling link), removed at
//! once. The probe is the only write outside the executor, so it lives here, in the platform
//! layer, and touches nothing but its own name.
//!
//! The verdicts are pure ([`verdict_for_magic`], [`verdict_for_name`]) so they are tested with a
//! fake `statfs` on every machine; `COMFYDOCTOR_TEST_FSTYPE` (a test seam, like
//! `COMFYDOCTOR_FAILPOINT`) makes [`link_support`] answer as if every folder were on that
//! filesystem type (a name such as `vfat`, or a Linux magic number such as `0x4d44`).

use std::io;
use std::path::Path;

/// The test seam's variable.
pub const TEST_FSTYPE_ENV: &str = "COMFYDOCTOR_TEST_FSTYPE";

/// Whether a link can be made in a folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LinkSupport {
    /// Links can be made there (by its filesystem type, a probe, or a link already there).
    #[default]
    Yes,
    /// No link can be made: the filesystem (as named for people) and why.
    No { fs: String, why: String },
    /// Could not be told (the probe was refused for permissions, the folder cannot be read);
    /// the link step will say what is wrong.
    Unknown { why: String },
}

pub use super::decide::Verdict;

/// Linux `statfs(2)` `f_type` values (linux/magic.h and the drivers).
pub mod magic {
    pub const MSDOS: i64 = 0x4d44;
    pub const EXFAT: i64 = 0x2011_BAB0;
    pub const CIFS: i64 = 0xFF53_4D42;
    pub const SMB2: i64 = 0xFE53_4D42;
    pub const SMB: i64 = 0x517B;
    pub const NFS: i64 = 0x6969;
    pub const FUSE: i64 = 0x6573_5546;
    pub const V9FS: i64 = 0x0102_1997;
    pub const EXT4: i64 = 0xEF53;
    pub const XFS: i64 = 0x5846_5342;
    pub const BTRFS: i64 = 0x9123_683E;
    pub const TMPFS: i64 = 0x0102_1994;
    pub const ZFS: i64 = 0x2FC1_2FC1;
    pub const OVERLAYFS: i64 = 0x794C_7630;
    pub const F2FS: i64 = 0xF2F5_2010;
    pub const RAMFS: i64 = 0x8584_58F6;
    pub const REISERFS: i64 = 0x5265_4973;
    pub const JFS: i64 = 0x3153_464A;
    pub const BCACHEFS: i64 = 0xCA45_1A4E;
    pub const NTFS3: i64 = 0x7366_746E;
    pub const NILFS: i64 = 0x3434;
    pub const CEPH: i64 = 0x00C3_6400;
    pub const ECRYPTFS: i64 = 0xF15F;
}

const FAT_WHY: &str = "FAT and exFAT store no symbolic links (nor junctions)";

/// The verdict for a Linux `f_type`. FAT and exFAT can never hold a link; the common local
/// filesystems always can; shares and FUSE depend on the server or driver, so they are probed.
pub fn verdict_for_magic(f_type: i64) -> Verdict {
    // `f_type` is a signed long on some targets: compare the low 32 bits.
    let t = f_type & 0xFFFF_FFFF;
    let no = |fs: &str| Verdict::NoLinks { fs: fs.into(), why: FAT_WHY.into() };
    let probe = |fs: &str| Verdict::Probe { fs: fs.into() };
    match t {
        magic::MSDOS => no("FAT (vfat)"),
        magic::EXFAT => no("exFAT"),
        magic::CIFS | magic::SMB2 | magic::SMB => probe("an SMB/CIFS network share"),
        magic::NFS => probe("an NFS share"),
        magic::FUSE => probe("a FUSE filesystem"),
        magic::V9FS => probe("a 9p share"),
        magic::CEPH => probe("CephFS"),
        magic::EXT4
        | magic::XFS
        | magic::BTRFS
        | magic::TMPFS
        | magic::ZFS
        | magic::OVERLAYFS
        | magic::F2FS
        | magic::RAMFS
        | magic::REISERFS
        | magic::JFS
        | magic::BCACHEFS
        | magic::NTFS3
        | magic::NILFS
        | magic::ECRYPTFS => Verdict::Links,
        other => probe(&format!("a filesystem of type {other:#x}")),
    }
}

/// The verdict for a filesystem type name (macOS `f_fstypename`, Windows volume names, the
/// test seam).
pub fn verdict_for_name(name: &str) -> Verdict {
    let lower = name.to_ascii_lowercase();
    let no = |fs: &str| Verdict::NoLinks { fs: fs.into(), why: FAT_WHY.into() };
    match lower.as_str() {
        "msdos" | "vfat" | "fat" | "fat12" | "fat16" | "fat32" => no("FAT (vfat)"),
        "exfat" => no("exFAT"),
        "apfs" | "hfs" | "ext2" | "ext3" | "ext4" | "xfs" | "btrfs" | "tmpfs" | "zfs" | "ntfs" | "refs" | "ufs" => {
            Verdict::Links
        }
        "smbfs" | "cifs" | "smb2" | "smb3" => Verdict::Probe { fs: "an SMB/CIFS network share".into() },
        "nfs" => Verdict::Probe { fs: "an NFS share".into() },
        n if n.starts_with("fuse") || n.starts_with("osxfuse") || n.starts_with("macfuse") => {
            Verdict::Probe { fs: format!("a FUSE filesystem ({name})") }
        }
        _ => Verdict::Probe { fs: format!("a filesystem of type {name}") },
    }
}

/// The seam's value, when set: a magic number (`0x4d44`, `19780`) or a type name.
fn test_verdict() -> Option<Verdict> {
    let v = std::env::var(TEST_FSTYPE_ENV).ok().filter(|v| !v.is_empty())?;
    let num = v.strip_prefix("0x").map(|h| i64::from_str_radix(h, 16)).unwrap_or_else(|| v.parse::<i64>());
    Some(match num {
        Ok(n) => verdict_for_magic(n),
        Err(_) => verdict_for_name(&v),
    })
}

/// Whether a folder link can be made in `dir` (the folder that would hold `models`) pointing at
/// `target`. On Unix `target` plays no part (a symlink may name anything); on Windows a junction
/// cannot point at a network share unless a symlink can be made instead.
pub fn link_support(dir: &Path, target: &Path) -> LinkSupport {
    let verdict = match test_verdict() {
        Some(v) => Ok(v),
        None => imp_verdict(dir, target),
    };
    match verdict {
        Ok(Verdict::Links) => LinkSupport::Yes,
        Ok(Verdict::NoLinks { fs, why }) => LinkSupport::No { fs, why },
        Ok(Verdict::Probe { fs }) => probe(dir, &fs),
        Err(e) => LinkSupport::Unknown { why: format!("cannot ask the filesystem of {}: {e}", dir.display()) },
    }
}

#[cfg(target_os = "linux")]
fn imp_verdict(dir: &Path, _target: &Path) -> io::Result<Verdict> {
    let st = rustix::fs::statfs(dir)?;
    #[allow(clippy::unnecessary_cast)]
    Ok(verdict_for_magic(st.f_type as i64))
}

#[cfg(all(unix, not(target_os = "linux"), any(target_os = "macos", target_os = "ios", target_os = "freebsd")))]
fn imp_verdict(dir: &Path, _target: &Path) -> io::Result<Verdict> {
    let st = rustix::fs::statfs(dir)?;
    let name: Vec<u8> = st.f_fstypename.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    Ok(verdict_for_name(&String::from_utf8_lossy(&name)))
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos", target_os = "ios", target_os = "freebsd"))))]
fn imp_verdict(_dir: &Path, _target: &Path) -> io::Result<Verdict> {
    Ok(Verdict::Probe { fs: "this filesystem".into() })
}

#[cfg(windows)]
fn imp_verdict(dir: &Path, target: &Path) -> io::Result<Verdict> {
    Ok(super::windows::link_verdict(dir, target))
}

/// Makes one dangling link under a fresh temporary name in `dir`, reads it back and removes it.
/// A refusal the filesystem gives (not supported, not permitted on a share) means no link can
/// live there; a refusal for permissions or a read-only folder says nothing about links.
#[cfg(unix)]
fn probe(dir: &Path, fs: &str) -> LinkSupport {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let target = Path::new("comfydoctor-link-probe");
    for _ in 0..8 {
        let name =
            format!(".comfydoctor-link-probe-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let probe = dir.join(name);
        match std::os::unix::fs::symlink(target, &probe) {
            Ok(()) => {
                let read_back = std::fs::read_link(&probe);
                // Only what was just made under this fresh name is removed, and only as a link.
                let _ = super::remove_link(&probe);
                return match read_back {
                    Ok(t) if t == target => LinkSupport::Yes,
                    Ok(t) => LinkSupport::No {
                        fs: fs.into(),
                        why: format!("a test link came back pointing at {} instead of what it was given", t.display()),
                    },
                    Err(e) => {
                        LinkSupport::No { fs: fs.into(), why: format!("a test link could not be read back ({e})") }
                    }
                };
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return judge_refusal(fs, &e),
        }
    }
    LinkSupport::Unknown { why: format!("no free name for a test link in {}", dir.display()) }
}

#[cfg(windows)]
fn probe(_dir: &Path, fs: &str) -> LinkSupport {
    LinkSupport::Unknown { why: format!("{fs}: the volume did not say whether it holds junctions") }
}

/// What a failed probe means. EPERM is what FAT-like drivers and some shares answer for
/// `symlink(2)`; ENOSYS/EOPNOTSUPP/EINVAL/EIO are "this filesystem cannot". EACCES and EROFS are
/// about the folder, not links.
#[cfg(unix)]
pub fn judge_refusal(fs: &str, e: &io::Error) -> LinkSupport {
    match e.kind() {
        io::ErrorKind::PermissionDenied if e.raw_os_error() == Some(13) => {
            LinkSupport::Unknown { why: format!("a test link was refused for permissions ({e})") }
        }
        io::ErrorKind::ReadOnlyFilesystem => LinkSupport::Unknown { why: format!("the folder is read-only ({e})") },
        _ => LinkSupport::No { fs: fs.into(), why: format!("a test link could not be made there ({e})") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake `statfs`: each magic number as the kernel reports it, signed or not.
    #[test]
    fn magic_numbers_decide_fat_local_and_shares() {
        for (f_type, want) in [
            (magic::MSDOS, "no"),
            (magic::EXFAT, "no"),
            (magic::EXFAT - (1 << 32), "no"),
            (magic::CIFS, "probe"),
            (magic::CIFS - (1 << 32), "probe"),
            (magic::SMB2, "probe"),
            (magic::NFS, "probe"),
            (magic::FUSE, "probe"),
            (magic::V9FS, "probe"),
            (0x1234_5678, "probe"),
            (magic::EXT4, "links"),
            (magic::XFS, "links"),
            (magic::BTRFS, "links"),
            (magic::TMPFS, "links"),
            (magic::OVERLAYFS, "links"),
        ] {
            let got = match verdict_for_magic(f_type) {
                Verdict::Links => "links",
                Verdict::NoLinks { .. } => "no",
                Verdict::Probe { .. } => "probe",
            };
            assert_eq!(got, want, "{f_type:#x}");
        }
        let Verdict::NoLinks { fs, why } = verdict_for_magic(magic::EXFAT) else { panic!() };
        assert_eq!(fs, "exFAT");
        assert!(why.contains("no symbolic links"), "{why}");
    }

    /// macOS `f_fstypename` values and Windows volume names.
    #[test]
    fn type_names_decide_the_same() {
        for (name, want) in [
            ("msdos", "no"),
            ("exfat", "no"),
            ("FAT32", "no"),
            ("exFAT", "no"),
            ("apfs", "links"),
            ("hfs", "links"),
            ("NTFS", "links"),
            ("smbfs", "probe"),
            ("nfs", "probe"),
            ("macfuse", "probe"),
            ("fuse.sshfs", "probe"),
            ("weird", "probe"),
        ] {
            let got = match verdict_for_name(name) {
                Verdict::Links => "links",
                Verdict::NoLinks { .. } => "no",
                Verdict::Probe { .. } => "probe",
            };
            assert_eq!(got, want, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_probe_leaves_nothing_behind() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(probe(t.path(), "test"), LinkSupport::Yes);
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn refusals_tell_no_links_from_no_permission() {
        let e = |code| io::Error::from_raw_os_error(code);
        // EPERM (FAT drivers), ENOSYS (exfat-fuse), EOPNOTSUPP: no link can live there.
        for code in [1, 38, 95] {
            assert!(matches!(judge_refusal("x", &e(code)), LinkSupport::No { .. }), "{code}");
        }
        // EACCES, EROFS: about the folder.
        for code in [13, 30] {
            assert!(matches!(judge_refusal("x", &e(code)), LinkSupport::Unknown { .. }), "{code}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_local_temp_folder_holds_links() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(link_support(t.path(), t.path()), LinkSupport::Yes);
    }
}
