//! Who may do what, and who owns what: the preflight's permission checks (with the effective
//! ids, as the kernel decides, not from mode bits) and keeping owner and mode when the tool runs
//! as root. Unix only; elsewhere every check passes and nothing is changed, so Windows relies on
//! the errors of the actions themselves.

use std::path::Path;

/// Read permission, for [`may_access`].
pub const READ: u8 = 4;
/// Write permission.
pub const WRITE: u8 = 2;
/// Search (folders) or execute permission.
pub const EXEC: u8 = 1;

/// Permission bits, owner and group of an entry, as `lstat` reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Permission bits including setuid, setgid and sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Whether this process may access `path` for every bit of `bits` ([`READ`] | [`WRITE`] |
/// [`EXEC`]), asked of the kernel with the effective ids (`faccessat(AT_EACCESS)`), so root,
/// ACLs and read-only mounts count. Links are followed. An error other than a refusal (the path
/// vanished, say) reads as allowed: the action's own precondition reports it better.
pub fn may_access(path: &Path, bits: u8) -> bool {
    imp::may_access(path, bits)
}

/// Whether the effective user is root, whose new entries must be handed to the user.
pub fn is_root() -> bool {
    imp::is_root()
}

/// The effective user id, for messages (`None` where there is none).
pub fn euid() -> Option<u32> {
    imp::euid()
}

/// Mode, owner and group of `path` itself (not following a link); `None` where unknown.
pub fn owner_of(path: &Path) -> Option<Owner> {
    imp::owner_of(path)
}

/// Puts `owner` on `path` (owner and group first: a change of owner may clear setgid; then the
/// mode, never on a link). Best effort: a user who is not root may not give a file away, and a
/// restored model must not fail over its mode.
pub fn set_owner(path: &Path, owner: Owner) {
    imp::set_owner(path, owner)
}

/// As root, gives a new entry the owner and group of `folder` (where it lives), so the user who
/// owns the workspace can still change it (undo, a download into a new subfolder). Links get
/// only the owner; a non-root run changes nothing (its entries are the user's already).
pub fn give_to_owner_of(path: &Path, folder: &Path) {
    if !is_root() {
        return;
    }
    if let Some(f) = imp::owner_following(folder) {
        imp::chown_only(path, f.uid, f.gid);
    }
}

/// As root, gives a folder just made the owner, group and permission bits (setgid included) of
/// its parent, as a folder made there by the parent's owner would have in a shared tree.
pub fn inherit_from_parent(path: &Path) {
    if !is_root() {
        return;
    }
    if let Some(p) = path.parent().and_then(imp::owner_following) {
        set_owner(path, p);
    }
}

#[cfg(unix)]
mod imp {
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    use rustix::fs::{Access, AtFlags, CWD, accessat};
    use rustix::io::Errno;

    use super::{EXEC, Owner, READ, WRITE};

    pub fn may_access(path: &Path, bits: u8) -> bool {
        let mut a = Access::empty();
        for (bit, flag) in [(READ, Access::READ_OK), (WRITE, Access::WRITE_OK), (EXEC, Access::EXEC_OK)] {
            if bits & bit != 0 {
                a |= flag;
            }
        }
        !matches!(accessat(CWD, path, a, AtFlags::EACCESS), Err(Errno::ACCESS | Errno::PERM | Errno::ROFS))
    }

    pub fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    pub fn euid() -> Option<u32> {
        Some(rustix::process::geteuid().as_raw())
    }

    fn of(m: &fs::Metadata) -> Owner {
        Owner { mode: m.mode() & 0o7777, uid: m.uid(), gid: m.gid() }
    }

    pub fn owner_of(path: &Path) -> Option<Owner> {
        fs::symlink_metadata(path).ok().map(|m| of(&m))
    }

    pub fn owner_following(path: &Path) -> Option<Owner> {
        fs::metadata(path).ok().map(|m| of(&m))
    }

    pub fn chown_only(path: &Path, uid: u32, gid: u32) {
        let _ = std::os::unix::fs::lchown(path, Some(uid), Some(gid));
    }

    pub fn set_owner(path: &Path, owner: Owner) {
        let Some(now) = owner_of(path) else { return };
        if (now.uid, now.gid) != (owner.uid, owner.gid) {
            chown_only(path, owner.uid, owner.gid);
        }
        let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link && owner_of(path).map(|o| o.mode) != Some(owner.mode) {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(owner.mode));
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::path::Path;

    use super::Owner;

    pub fn may_access(_path: &Path, _bits: u8) -> bool {
        true
    }

    pub fn is_root() -> bool {
        false
    }

    pub fn euid() -> Option<u32> {
        None
    }

    pub fn owner_of(_path: &Path) -> Option<Owner> {
        None
    }

    pub fn owner_following(_path: &Path) -> Option<Owner> {
        None
    }

    pub fn chown_only(_path: &Path, _uid: u32, _gid: u32) {}

    pub fn set_owner(_path: &Path, _owner: Owner) {}
}
