//! The Windows link decisions, kept free of OS calls so they are compiled and tested on every
//! platform: which link kind to make, how to recover from a failed creation or replacement, and
//! what an OS error code means for the user. `windows.rs` supplies the real [`WinOps`]; the tests
//! here drive the same logic with an in-memory fake, because CI cannot make junctions (Wine).

// On Unix only the tests and the pure helpers reach parts of this module.
#![cfg_attr(not(windows), allow(dead_code))]

use std::io;
use std::path::{Path, PathBuf};

use super::{LinkError, LinkKind};

/// Windows error codes this layer turns into advice (winerror.h).
pub mod code {
    pub const ERROR_INVALID_FUNCTION: i32 = 1;
    pub const ERROR_ACCESS_DENIED: i32 = 5;
    pub const ERROR_SHARING_VIOLATION: i32 = 32;
    pub const ERROR_LOCK_VIOLATION: i32 = 33;
    pub const ERROR_NOT_SUPPORTED: i32 = 50;
    pub const ERROR_FILE_EXISTS: i32 = 80;
    pub const ERROR_ALREADY_EXISTS: i32 = 183;
    pub const ERROR_FILENAME_EXCED_RANGE: i32 = 206;
    pub const ERROR_PRIVILEGE_NOT_HELD: i32 = 1314;
    pub const ERROR_INVALID_REPARSE_DATA: i32 = 4392;
}

/// Unix errno values with a user-facing meaning here (same on Linux and macOS).
mod errno {
    pub const EBUSY: i32 = 16;
    pub const ETXTBSY: i32 = 26;
}

/// What the volume holding a path can store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    /// "NTFS", "ReFS", "FAT32", "exFAT", ...
    pub fs_name: String,
    /// The volume's FILE_SUPPORTS_REPARSE_POINTS flag.
    pub supports_reparse_points: bool,
}

impl VolumeInfo {
    /// FAT and exFAT cannot hold a junction or a symlink; checking the name as well as the flag
    /// guards against drivers that report flags loosely.
    pub fn can_hold_links(&self) -> bool {
        let fat = matches!(
            self.fs_name.to_ascii_uppercase().as_str(),
            "FAT" | "FAT12" | "FAT16" | "FAT32" | "EXFAT" | "VFAT"
        );
        self.supports_reparse_points && !fat
    }
}

/// What the filesystem type (or, on Windows, the volume checks) alone says about a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Links,
    NoLinks {
        fs: String,
        why: String,
    },
    /// The type does not decide (a share, FUSE, unknown): probe.
    Probe {
        fs: String,
    },
}

/// The OS operations the Windows link logic needs; the seam that lets it run against a fake.
pub trait WinOps {
    /// The volume holding `path`, or `None` when it cannot be asked (then creation is attempted
    /// and its error code interpreted instead).
    fn volume(&self, path: &Path) -> Option<VolumeInfo>;
    /// Whether `path` lies on a network share (UNC path or mapped drive).
    fn is_network(&self, path: &Path) -> bool;
    /// Whether this process may create symlinks (Developer Mode or elevation).
    fn can_symlink(&self) -> bool;
    /// Whether anything exists at `path` itself, not following a link.
    fn exists(&self, path: &Path) -> bool;
    /// The link at `path` as (kind, raw target, is a folder link), or `None` if it is no link.
    fn read_link(&self, path: &Path) -> Option<(LinkKind, PathBuf, bool)>;
    /// Makes a junction; like `junction::create` it may leave an empty folder when it fails.
    fn create_junction(&self, target: &Path, link: &Path) -> io::Result<()>;
    fn create_symlink(&self, target: &Path, link: &Path, dir: bool) -> io::Result<()>;
    /// Removes the link at `path` itself.
    fn remove_link(&self, path: &Path) -> io::Result<()>;
    /// Removes `path` only if it is a real, empty folder.
    fn remove_empty_dir(&self, path: &Path) -> io::Result<()>;
    /// Renames a link itself (never what it points at) to a name nothing holds.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
}

/// Junction targets must be absolute, and `junction::create` would resolve a relative one against
/// the current folder; a link's relative target means its own folder, so resolve it there.
pub fn absolute_target(target: &Path, link: &Path) -> PathBuf {
    if target.is_absolute() {
        return super::normalize(target);
    }
    let base = link.parent().unwrap_or(Path::new(""));
    super::normalize(&base.join(target))
}

/// Picks the link kind for `target` (already absolute) before anything is touched, so a refusal
/// leaves the disk as it was.
pub fn choose_kind(ops: &dyn WinOps, target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    let link_dir = link.parent().unwrap_or(link);
    if ops.volume(link_dir).is_some_and(|v| !v.can_hold_links()) {
        return Err(LinkError::Unsupported { link: link.to_path_buf() });
    }
    if ops.is_network(target) {
        return if ops.can_symlink() {
            Ok(LinkKind::Symlink)
        } else {
            Err(LinkError::NetworkTarget { target: target.to_path_buf() })
        };
    }
    Ok(LinkKind::Junction)
}

/// Turns a failed creation into the error that names what the user can do about it.
pub fn classify_create_error(err: io::Error, target: &Path, link: &Path, network_target: bool) -> LinkError {
    use code::*;
    let link_buf = link.to_path_buf();
    match err.raw_os_error() {
        _ if err.kind() == io::ErrorKind::AlreadyExists => LinkError::Exists { link: link_buf },
        Some(ERROR_FILE_EXISTS | ERROR_ALREADY_EXISTS) => LinkError::Exists { link: link_buf },
        Some(ERROR_INVALID_REPARSE_DATA) => LinkError::NetworkTarget { target: target.to_path_buf() },
        Some(ERROR_PRIVILEGE_NOT_HELD) if network_target => LinkError::NetworkTarget { target: target.to_path_buf() },
        Some(ERROR_PRIVILEGE_NOT_HELD) => LinkError::Privilege { link: link_buf },
        // What FSCTL_SET_REPARSE_POINT and CreateSymbolicLinkW report on FAT/exFAT.
        Some(ERROR_INVALID_FUNCTION | ERROR_NOT_SUPPORTED) => LinkError::Unsupported { link: link_buf },
        _ => LinkError::Io { link: link_buf, source: err },
    }
}

/// Makes one link of the chosen kind, removing the empty folder a failed junction leaves behind.
fn make(ops: &dyn WinOps, kind: LinkKind, target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    let made = match kind {
        LinkKind::Junction => ops.create_junction(target, link),
        LinkKind::Symlink => ops.create_symlink(target, link, true),
    };
    match made {
        Ok(()) => Ok(kind),
        Err(e) => {
            let err = classify_create_error(e, target, link, ops.is_network(target));
            if kind == LinkKind::Junction && !matches!(err, LinkError::Exists { .. }) {
                let _ = ops.remove_empty_dir(link);
            }
            Err(err)
        }
    }
}

pub fn create_dir_link(ops: &dyn WinOps, target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    if ops.exists(link) {
        return Err(LinkError::Exists { link: link.to_path_buf() });
    }
    let target = absolute_target(target, link);
    let kind = choose_kind(ops, &target, link)?;
    make(ops, kind, &target, link)
}

/// The sibling names a replacement of `link` uses: the new link is made as `new`, the old one
/// waits as `old` while the new one takes its place. Fixed names (one run at a time holds an
/// install), so a replacement killed part-way is found by [`settle_replace`] in any later run.
pub fn side_names(link: &Path) -> (PathBuf, PathBuf) {
    let name = link.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    (link.with_file_name(format!(".{name}.comfydoctor-new")), link.with_file_name(format!(".{name}.comfydoctor-old")))
}

/// Windows cannot rename a link over another, so the swap takes four steps, each leaving a state
/// [`settle_replace`] can settle if the process dies there: (1) the new link is made as the `new`
/// side name, (2) the old link is renamed to the `old` side name, (3) the new one is renamed into
/// place, (4) the old one is removed. A failure puts the old link back, so the install is never
/// left without its models; a file ComfyUI holds open fails step 2 or 3 with nothing changed.
pub fn replace_dir_link(ops: &dyn WinOps, target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    settle_replace(ops, link)?;
    let old = ops.read_link(link);
    if old.is_none() && ops.exists(link) {
        return Err(LinkError::Exists { link: link.to_path_buf() });
    }
    let target = absolute_target(target, link);
    let kind = choose_kind(ops, &target, link)?;
    if old.is_none() {
        return make(ops, kind, &target, link);
    }
    let (new, aside) = side_names(link);
    make(ops, kind, &target, &new)?;
    let io = |at: &Path, source: io::Error| LinkError::Io { link: at.to_path_buf(), source };
    if let Err(e) = ops.rename(link, &aside) {
        let _ = ops.remove_link(&new);
        return Err(io(link, e));
    }
    if let Err(e) = ops.rename(&new, link) {
        let back = ops.rename(&aside, link);
        let _ = ops.remove_link(&new);
        return Err(match back {
            Ok(()) => io(link, e),
            Err(b) => io(
                link,
                io::Error::other(format!(
                    "{e}; putting back the previous link (now {}) failed too: {b}",
                    aside.display()
                )),
            ),
        });
    }
    // The new link is in place; an old one left behind here is a stray link the next settle
    // removes.
    let _ = ops.remove_link(&aside);
    Ok(kind)
}

/// Settles a replacement killed part-way through [`replace_dir_link`]: with the link gone and
/// the old one aside (killed between steps 2 and 3), the old one goes back, so the replacement
/// did not happen and the journal's step runs again or needs no undo; with the link in place, a
/// leftover side link is removed (the step happened, or never began). Only links are removed,
/// and a side name holding anything else is left alone (the next step then refuses to use it).
pub fn settle_replace(ops: &dyn WinOps, link: &Path) -> Result<(), LinkError> {
    let (new, aside) = side_names(link);
    let io = |at: &Path, source: io::Error| LinkError::Io { link: at.to_path_buf(), source };
    if !ops.exists(link) && ops.read_link(&aside).is_some() {
        ops.rename(&aside, link).map_err(|e| io(link, e))?;
    }
    for side in [&new, &aside] {
        if ops.read_link(side).is_some() {
            ops.remove_link(side).map_err(|e| io(side, e))?;
        } else {
            // A junction killed mid-creation: an empty folder before its reparse point.
            let _ = ops.remove_empty_dir(side);
        }
    }
    Ok(())
}

/// Re-creates a moved link. A symlink that cannot be re-made for lack of privilege becomes a
/// junction to the same folder, which needs none and resolves identically from its new place.
pub fn create_link_like(
    ops: &dyn WinOps,
    raw_target: &Path,
    link: &Path,
    kind: LinkKind,
    target_is_dir: bool,
) -> Result<LinkKind, LinkError> {
    if ops.exists(link) {
        return Err(LinkError::Exists { link: link.to_path_buf() });
    }
    match kind {
        LinkKind::Junction => make(ops, kind, &absolute_target(raw_target, link), link),
        LinkKind::Symlink => match ops.create_symlink(raw_target, link, target_is_dir) {
            Ok(()) => Ok(LinkKind::Symlink),
            Err(e) if e.raw_os_error() == Some(code::ERROR_PRIVILEGE_NOT_HELD) && target_is_dir => {
                let target = absolute_target(raw_target, link);
                match choose_kind(ops, &target, link)? {
                    LinkKind::Junction => make(ops, LinkKind::Junction, &target, link),
                    LinkKind::Symlink => Err(LinkError::Privilege { link: link.to_path_buf() }),
                }
            }
            Err(e) => Err(classify_create_error(e, raw_target, link, false)),
        },
    }
}

/// Advice for OS errors a user can fix by acting, keyed by raw code (Windows codes when
/// `windows`, errno otherwise).
pub fn describe_os_error(code: i32, windows: bool) -> Option<&'static str> {
    if windows {
        use code::*;
        match code {
            ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION => Some(
                "a file is in use by another program: close ComfyUI (and anything else using these models) and retry",
            ),
            ERROR_ACCESS_DENIED => Some(
                "access denied: a file may be in use or read-only; close ComfyUI and retry, or check the folder's permissions",
            ),
            ERROR_FILENAME_EXCED_RANGE => {
                Some("the path is too long: enable Win32 long paths (LongPathsEnabled) or use a shorter folder")
            }
            ERROR_PRIVILEGE_NOT_HELD => {
                Some("not allowed to create a symlink: enable Developer Mode or run as administrator")
            }
            ERROR_INVALID_REPARSE_DATA => Some(
                "a junction cannot point at a network share: use a local folder, or enable Developer Mode so a symlink can be made",
            ),
            _ => None,
        }
    } else {
        match code {
            errno::EBUSY | errno::ETXTBSY => {
                Some("the file or folder is busy (in use, or a mount point): close ComfyUI and retry")
            }
            _ => None,
        }
    }
}

/// Drops the `\\?\` prefix `fs::canonicalize` adds on Windows, so canonical paths compare with
/// what users type and what links store. Returns `None` when the verbatim form must stay: a
/// volume GUID path, or a name Win32 would alter (trailing dot or space).
pub fn strip_verbatim(s: &str) -> Option<String> {
    let plain = if let Some(rest) = s.strip_prefix(r"\\?\UNC\") {
        format!(r"\\{rest}")
    } else if let Some(rest) = s.strip_prefix(r"\\?\") {
        let b = rest.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            rest.to_string()
        } else {
            return None;
        }
    } else {
        return None;
    };
    let needs_verbatim = plain
        .split('\\')
        .skip(1)
        .any(|c| !c.is_empty() && (c.ends_with('.') || c.ends_with(' ')) && c != "." && c != "..");
    (!needs_verbatim).then_some(plain)
}

/// Whether a Windows path string names a network share by its form (`\\server\share`,
/// `\\?\UNC\...`); mapped drives need an OS call on top.
pub fn is_unc(s: &str) -> bool {
    let s = s.replace('/', "\\");
    if let Some(rest) = s.strip_prefix(r"\\?\").or_else(|| s.strip_prefix(r"\\.\")) {
        return rest.len() >= 4 && rest[..4].eq_ignore_ascii_case(r"UNC\");
    }
    s.starts_with(r"\\") && s.len() > 2
}

/// Compares Windows paths the way NTFS does for names: case-insensitively, with either slash,
/// with or without `\\?\`, ignoring a trailing separator.
pub fn windows_paths_equal(a: &str, b: &str) -> bool {
    fn fold(s: &str) -> String {
        let s = s.replace('/', "\\");
        let mut s = strip_verbatim(&s).unwrap_or(s);
        while s.ends_with('\\') && !(s.len() == 3 && s.as_bytes()[1] == b':') && s.len() > 1 {
            s.pop();
        }
        s.to_lowercase()
    }
    fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone, PartialEq)]
    enum Node {
        Dir,
        Link(LinkKind, PathBuf),
    }

    /// An in-memory volume: a map of paths to nodes, plus switches for the OS answers and for
    /// failing creations with a given Windows error code.
    #[derive(Default)]
    struct Fake {
        nodes: RefCell<BTreeMap<PathBuf, Node>>,
        fs_name: Option<&'static str>,
        network_prefix: Option<&'static str>,
        can_symlink: bool,
        fail_junction: Option<i32>,
        /// Fail only the junction creation whose target is this path.
        fail_junction_to: Option<PathBuf>,
        fail_symlink: Option<i32>,
        fail_remove: Option<i32>,
        /// Fail renames whose source is this path with this code.
        fail_rename: Option<(PathBuf, i32)>,
    }

    impl Fake {
        fn ntfs() -> Self {
            Fake { fs_name: Some("NTFS"), ..Fake::default() }
        }
        fn get(&self, s: &str) -> Option<Node> {
            self.nodes.borrow().get(&p(s)).cloned()
        }
        fn put(&self, s: &str, n: Node) {
            self.nodes.borrow_mut().insert(p(s), n);
        }
    }

    impl WinOps for Fake {
        fn volume(&self, _: &Path) -> Option<VolumeInfo> {
            self.fs_name.map(|n| VolumeInfo { fs_name: n.into(), supports_reparse_points: n == "NTFS" || n == "ReFS" })
        }
        fn is_network(&self, path: &Path) -> bool {
            self.network_prefix.is_some_and(|n| path.starts_with(p(n)))
        }
        fn can_symlink(&self) -> bool {
            self.can_symlink
        }
        fn exists(&self, p: &Path) -> bool {
            self.nodes.borrow().contains_key(p)
        }
        fn read_link(&self, p: &Path) -> Option<(LinkKind, PathBuf, bool)> {
            match self.nodes.borrow().get(p) {
                Some(Node::Link(k, t)) => Some((*k, t.clone(), true)),
                _ => None,
            }
        }
        fn create_junction(&self, target: &Path, link: &Path) -> io::Result<()> {
            if self.exists(link) {
                return Err(io::Error::from_raw_os_error(code::ERROR_ALREADY_EXISTS));
            }
            // Like junction::create: the folder comes first, then the reparse point.
            self.nodes.borrow_mut().insert(link.into(), Node::Dir);
            let fail = self.fail_junction.filter(|_| self.fail_junction_to.as_deref().is_none_or(|t| t == target));
            if let Some(c) = fail {
                return Err(io::Error::from_raw_os_error(c));
            }
            assert!(target.is_absolute(), "junction target must be absolute");
            self.nodes.borrow_mut().insert(link.into(), Node::Link(LinkKind::Junction, target.into()));
            Ok(())
        }
        fn create_symlink(&self, target: &Path, link: &Path, _dir: bool) -> io::Result<()> {
            if let Some(c) = self.fail_symlink {
                return Err(io::Error::from_raw_os_error(c));
            }
            self.nodes.borrow_mut().insert(link.into(), Node::Link(LinkKind::Symlink, target.into()));
            Ok(())
        }
        fn remove_link(&self, p: &Path) -> io::Result<()> {
            if let Some(c) = self.fail_remove {
                return Err(io::Error::from_raw_os_error(c));
            }
            self.nodes.borrow_mut().remove(p);
            Ok(())
        }
        fn remove_empty_dir(&self, p: &Path) -> io::Result<()> {
            let mut nodes = self.nodes.borrow_mut();
            let holds = nodes.keys().any(|k| k != p && k.starts_with(p));
            if nodes.get(p) == Some(&Node::Dir) && !holds {
                nodes.remove(p);
            }
            Ok(())
        }
        fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            if let Some((_, c)) = self.fail_rename.as_ref().filter(|(f, _)| f == from) {
                return Err(io::Error::from_raw_os_error(*c));
            }
            let mut nodes = self.nodes.borrow_mut();
            assert!(!nodes.contains_key(to), "rename over {}", to.display());
            let node = nodes.remove(from).ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
            nodes.insert(to.into(), node);
            Ok(())
        }
    }

    /// Test paths are Unix-style; under Windows they need a drive to be absolute.
    fn p(s: &str) -> PathBuf {
        if cfg!(windows) && s.starts_with('/') { PathBuf::from(format!("C:{s}")) } else { PathBuf::from(s) }
    }

    const LINK: &str = "/c/comfy/models";
    const GLOBAL: &str = "/d/models";

    #[test]
    fn local_target_gets_a_junction() {
        let ops = Fake::ntfs();
        let kind = create_dir_link(&ops, &p(GLOBAL), &p(LINK)).unwrap();
        assert_eq!(kind, LinkKind::Junction);
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p(GLOBAL))));
    }

    #[test]
    fn relative_target_is_made_absolute_against_the_links_folder() {
        let ops = Fake::ntfs();
        create_dir_link(&ops, &p("../shared/./models"), &p(LINK)).unwrap();
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p("/c/shared/models"))));
    }

    #[test]
    fn network_target_gets_a_symlink_when_allowed() {
        let ops = Fake { network_prefix: Some("/net"), can_symlink: true, ..Fake::ntfs() };
        let kind = create_dir_link(&ops, &p("/net/share/models"), &p(LINK)).unwrap();
        assert_eq!(kind, LinkKind::Symlink);
    }

    #[test]
    fn network_target_without_symlink_privilege_is_refused_untouched() {
        let ops = Fake { network_prefix: Some("/net"), ..Fake::ntfs() };
        let err = create_dir_link(&ops, &p("/net/share/models"), &p(LINK));
        assert!(matches!(err, Err(LinkError::NetworkTarget { ref target }) if target == &p("/net/share/models")));
        assert!(ops.nodes.borrow().is_empty());
    }

    #[test]
    fn fat_and_exfat_volumes_are_unsupported() {
        for fs in ["FAT32", "exFAT", "FAT"] {
            let ops = Fake { fs_name: Some(fs), ..Fake::default() };
            let err = create_dir_link(&ops, &p(GLOBAL), &p(LINK));
            assert!(matches!(err, Err(LinkError::Unsupported { .. })), "{fs}");
            assert!(ops.nodes.borrow().is_empty());
        }
        let ntfs_without_flag = VolumeInfo { fs_name: "NTFS".into(), supports_reparse_points: false };
        assert!(!ntfs_without_flag.can_hold_links());
    }

    #[test]
    fn existing_path_is_refused() {
        let ops = Fake::ntfs();
        ops.put(LINK, Node::Dir);
        let err = create_dir_link(&ops, &p(GLOBAL), &p(LINK));
        assert!(matches!(err, Err(LinkError::Exists { .. })));
        assert_eq!(ops.get(LINK), Some(Node::Dir), "must not be cleaned up");
    }

    #[test]
    fn failed_junction_leaves_no_empty_folder() {
        let ops = Fake { fail_junction: Some(code::ERROR_NOT_SUPPORTED), ..Fake::ntfs() };
        let err = create_dir_link(&ops, &p(GLOBAL), &p(LINK));
        assert!(matches!(err, Err(LinkError::Unsupported { .. })));
        assert_eq!(ops.get(LINK), None);
    }

    #[test]
    fn error_codes_map_to_actionable_errors() {
        let t = &p(GLOBAL);
        let l = &p(LINK);
        let c = |code, net| classify_create_error(io::Error::from_raw_os_error(code), t, l, net);
        assert!(matches!(c(code::ERROR_PRIVILEGE_NOT_HELD, false), LinkError::Privilege { .. }));
        assert!(matches!(c(code::ERROR_PRIVILEGE_NOT_HELD, true), LinkError::NetworkTarget { .. }));
        assert!(matches!(c(code::ERROR_INVALID_REPARSE_DATA, false), LinkError::NetworkTarget { .. }));
        assert!(matches!(c(code::ERROR_INVALID_FUNCTION, false), LinkError::Unsupported { .. }));
        assert!(matches!(c(code::ERROR_ALREADY_EXISTS, false), LinkError::Exists { .. }));
        assert!(matches!(c(code::ERROR_SHARING_VIOLATION, false), LinkError::Io { .. }));
        let exists = io::Error::from(io::ErrorKind::AlreadyExists);
        assert!(matches!(classify_create_error(exists, t, l, false), LinkError::Exists { .. }));
    }

    #[test]
    fn replace_swaps_the_target() {
        let ops = Fake::ntfs();
        ops.put(LINK, Node::Link(LinkKind::Junction, p("/old")));
        let kind = replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).unwrap();
        assert_eq!(kind, LinkKind::Junction);
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p(GLOBAL))));
    }

    #[test]
    fn replace_restores_the_old_junction_when_creation_fails() {
        let ops = Fake {
            fail_junction: Some(code::ERROR_SHARING_VIOLATION),
            fail_junction_to: Some(p(GLOBAL)),
            ..Fake::ntfs()
        };
        ops.put(LINK, Node::Link(LinkKind::Junction, p("/old")));
        let err = replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).unwrap_err();
        assert!(matches!(err, LinkError::Io { .. }));
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p("/old"))));
    }

    /// What the volume holds besides the link itself: side names left behind.
    fn sides(ops: &Fake) -> Vec<Option<Node>> {
        let (new, old) = side_names(&p(LINK));
        vec![ops.nodes.borrow().get(&new).cloned(), ops.nodes.borrow().get(&old).cloned()]
    }

    #[test]
    fn replace_that_cannot_make_the_new_link_changes_nothing() {
        for code in [code::ERROR_SHARING_VIOLATION, code::ERROR_ACCESS_DENIED] {
            let ops = Fake { fail_junction: Some(code), ..Fake::ntfs() };
            ops.put(LINK, Node::Link(LinkKind::Junction, p("/old")));
            assert!(replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).is_err());
            assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p("/old"))));
            assert_eq!(sides(&ops), vec![None, None], "no side name left (not even an empty folder)");
        }
    }

    #[test]
    fn replace_whose_renames_fail_keeps_the_old_link() {
        let (new, _) = side_names(&p(LINK));
        // Step 2 (the old link is in use) and step 3 (the new one cannot take its place).
        for from in [p(LINK), new] {
            let ops = Fake { fail_rename: Some((from.clone(), code::ERROR_SHARING_VIOLATION)), ..Fake::ntfs() };
            ops.put(LINK, Node::Link(LinkKind::Junction, p("/old")));
            let err = replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).unwrap_err();
            assert!(matches!(err, LinkError::Io { .. }), "{from:?}: {err}");
            assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p("/old"))), "{from:?}");
            assert_eq!(sides(&ops), vec![None, None], "{from:?}");
        }
    }

    /// A replacement killed after each of its steps: the next settle leaves either the old link
    /// (killed before the new one took its place) or the new one, and no side name.
    #[test]
    fn a_replacement_killed_after_any_step_is_settled() {
        let (new, old) = side_names(&p(LINK));
        let j = |t: &str| Node::Link(LinkKind::Junction, p(t));
        type Case = (&'static str, Vec<(PathBuf, Node)>, Node);
        let cases: Vec<Case> = vec![
            ("killed mid-creation", vec![(p(LINK), j("/old")), (new.clone(), Node::Dir)], j("/old")),
            ("after step 1", vec![(p(LINK), j("/old")), (new.clone(), j(GLOBAL))], j("/old")),
            ("after step 2", vec![(old.clone(), j("/old")), (new.clone(), j(GLOBAL))], j("/old")),
            ("after step 3", vec![(p(LINK), j(GLOBAL)), (old.clone(), j("/old"))], j(GLOBAL)),
        ];
        for (what, nodes, settled) in cases {
            let ops = Fake::ntfs();
            for (path, node) in nodes {
                ops.nodes.borrow_mut().insert(path, node);
            }
            settle_replace(&ops, &p(LINK)).unwrap();
            assert_eq!(ops.get(LINK), Some(settled), "{what}");
            assert_eq!(sides(&ops), vec![None, None], "{what}");
            // And the replacement then runs (again) to the end.
            replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).unwrap();
            assert_eq!(ops.get(LINK), Some(j(GLOBAL)), "{what}: replaced afterwards");
            assert_eq!(sides(&ops), vec![None, None], "{what}: replaced afterwards");
        }
    }

    #[test]
    fn settle_leaves_a_real_folder_under_a_side_name_alone() {
        let (new, _) = side_names(&p(LINK));
        let ops = Fake::ntfs();
        ops.put(LINK, Node::Link(LinkKind::Junction, p("/old")));
        ops.nodes.borrow_mut().insert(new.join("model.safetensors"), Node::Dir);
        ops.nodes.borrow_mut().insert(new.clone(), Node::Dir);
        settle_replace(&ops, &p(LINK)).unwrap();
        assert_eq!(ops.nodes.borrow().get(&new), Some(&Node::Dir), "a folder that holds something stays");
        assert!(ops.nodes.borrow().contains_key(&new.join("model.safetensors")));
        // The replacement refuses to use the name rather than touch what it holds.
        assert!(replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).is_err());
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p("/old"))));
    }

    #[test]
    fn replace_refuses_before_touching_when_the_new_kind_is_impossible() {
        let ops = Fake { network_prefix: Some("/net"), ..Fake::ntfs() };
        ops.put(LINK, Node::Link(LinkKind::Junction, p("/old")));
        let err = replace_dir_link(&ops, &p("/net/s/models"), &p(LINK));
        assert!(matches!(err, Err(LinkError::NetworkTarget { .. })));
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p("/old"))));
    }

    #[test]
    fn replace_refuses_a_real_folder_and_survives_a_failed_removal_of_the_old_link() {
        let ops = Fake::ntfs();
        ops.put(LINK, Node::Dir);
        assert!(matches!(replace_dir_link(&ops, &p(GLOBAL), &p(LINK)), Err(LinkError::Exists { .. })));

        // Step 4 fails: the new link is in place, the old one waits under its side name until
        // the next settle removes it.
        let ops = Fake { fail_remove: Some(code::ERROR_SHARING_VIOLATION), ..Fake::ntfs() };
        ops.put(LINK, Node::Link(LinkKind::Junction, p("/old")));
        replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).unwrap();
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p(GLOBAL))));
        assert_eq!(sides(&ops), vec![None, Some(Node::Link(LinkKind::Junction, p("/old")))]);
        let ops = Fake { fail_remove: None, nodes: ops.nodes, ..Fake::ntfs() };
        settle_replace(&ops, &p(LINK)).unwrap();
        assert_eq!(sides(&ops), vec![None, None]);
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p(GLOBAL))));
    }

    #[test]
    fn replace_of_a_missing_link_creates_it() {
        let ops = Fake::ntfs();
        replace_dir_link(&ops, &p(GLOBAL), &p(LINK)).unwrap();
        assert!(ops.read_link(&p(LINK)).is_some());
    }

    #[test]
    fn unprivileged_symlink_copy_becomes_a_junction() {
        let ops = Fake { fail_symlink: Some(code::ERROR_PRIVILEGE_NOT_HELD), ..Fake::ntfs() };
        let kind = create_link_like(&ops, &p("../loras"), &p(LINK), LinkKind::Symlink, true).unwrap();
        assert_eq!(kind, LinkKind::Junction);
        assert_eq!(ops.get(LINK), Some(Node::Link(LinkKind::Junction, p("/c/loras"))));
        let file_link = create_link_like(&ops, &p("x.bin"), &p("/c/f"), LinkKind::Symlink, false);
        assert!(matches!(file_link, Err(LinkError::Privilege { .. })));
    }

    #[test]
    fn io_error_advice() {
        for c in [code::ERROR_SHARING_VIOLATION, code::ERROR_LOCK_VIOLATION] {
            assert!(describe_os_error(c, true).unwrap().contains("close ComfyUI"));
        }
        assert!(describe_os_error(code::ERROR_FILENAME_EXCED_RANGE, true).unwrap().contains("long paths"));
        assert_eq!(describe_os_error(2, true), None);
        assert!(describe_os_error(errno::ETXTBSY, false).is_some());
        assert_eq!(describe_os_error(code::ERROR_SHARING_VIOLATION, false), None);
    }

    #[test]
    fn verbatim_prefixes_are_stripped_only_when_safe() {
        assert_eq!(strip_verbatim(r"\\?\C:\ai\models").as_deref(), Some(r"C:\ai\models"));
        assert_eq!(strip_verbatim(r"\\?\UNC\nas\share\models").as_deref(), Some(r"\\nas\share\models"));
        assert_eq!(strip_verbatim(r"\\?\Volume{1234}\models"), None);
        assert_eq!(strip_verbatim(r"\\?\C:\ai\trailing."), None);
        assert_eq!(strip_verbatim(r"C:\ai"), None);
    }

    #[test]
    fn unc_forms() {
        assert!(is_unc(r"\\nas\share\models"));
        assert!(is_unc(r"\\?\UNC\nas\share"));
        assert!(is_unc("//nas/share"));
        assert!(!is_unc(r"\\?\C:\models"));
        assert!(!is_unc(r"C:\models"));
        assert!(!is_unc(r"\models"));
    }

    #[test]
    fn windows_path_comparison() {
        assert!(windows_paths_equal(r"C:\AI\Models", r"c:\ai\models\"));
        assert!(windows_paths_equal(r"\\?\C:\ai\models", "C:/ai/models"));
        assert!(windows_paths_equal(r"\\?\UNC\NAS\share", r"\\nas\share"));
        assert!(windows_paths_equal(r"C:\", r"c:\"));
        assert!(!windows_paths_equal(r"C:\", r"C:"));
        assert!(!windows_paths_equal(r"C:\ai\models", r"D:\ai\models"));
    }

    #[test]
    fn absolute_targets_are_folded() {
        assert_eq!(absolute_target(&p("/d/x/../models"), &p(LINK)), p("/d/models"));
    }
}
