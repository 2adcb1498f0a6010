//! Two inventories of folders: the lstat inventory (what is there: kinds, sizes, link targets and,
//! when asked, permission bits and mtimes) and the content inventory (which bytes are there).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::files::{exists_nofollow, raw_target};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File(u64),
    Link(PathBuf),
    Other,
}

/// What `lstat` says about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    /// `st_size`, permission bits and mtime; only in an inventory taken with `stamps`.
    pub stamp: Option<Stamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mode: u32,
    pub mtime: Option<SystemTime>,
}

impl Node {
    /// The raw target of a link, `None` for anything else.
    pub fn link_target(&self) -> Option<PathBuf> {
        match &self.kind {
            Kind::Link(t) => Some(t.clone()),
            _ => None,
        }
    }
}

/// Relative path (the root itself is `""`) → what `lstat` says. Links are never followed.
pub type Inventory = BTreeMap<PathBuf, Node>;

/// The lstat inventory of `root` and everything under it (empty when `root` does not exist).
/// With `stamps`, two equal inventories mean nothing was created, removed, renamed, re-pointed,
/// resized, re-permissioned or touched; without, only the shape (paths, kinds, file sizes, link
/// targets) is compared.
pub fn lstat_inventory(root: &Path, stamps: bool) -> Inventory {
    let mut inv = Inventory::new();
    if exists_nofollow(root) {
        walk_lstat(root, Path::new(""), stamps, &mut inv);
    }
    inv
}

fn walk_lstat(abs: &Path, rel: &Path, stamps: bool, inv: &mut Inventory) {
    let meta = fs::symlink_metadata(abs).unwrap_or_else(|e| panic!("lstat {}: {e}", abs.display()));
    let ft = meta.file_type();
    let kind = if ft.is_symlink() {
        Kind::Link(raw_target(abs))
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File(meta.len())
    } else {
        Kind::Other
    };
    let stamp = stamps.then(|| Stamp { size: meta.len(), mode: mode(&meta), mtime: meta.modified().ok() });
    let is_dir = kind == Kind::Dir;
    inv.insert(rel.to_path_buf(), Node { kind, stamp });
    if is_dir {
        let mut names: Vec<OsString> = fs::read_dir(abs).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        for n in names {
            walk_lstat(&abs.join(&n), &rel.join(&n), stamps, inv);
        }
    }
}

#[cfg(unix)]
fn mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::MetadataExt;
    meta.mode()
}

#[cfg(not(unix))]
fn mode(meta: &fs::Metadata) -> u32 {
    u32::from(meta.permissions().readonly())
}

/// Panics with a readable difference when two inventories differ.
#[track_caller]
pub fn assert_same(before: &Inventory, after: &Inventory, what: &str) {
    if before == after {
        return;
    }
    let mut diff = String::new();
    let mut shown = 0;
    for (k, v) in before {
        match after.get(k) {
            None => writeln!(diff, "  gone:    {} ({:?})", k.display(), v.kind).unwrap(),
            Some(w) if w != v => writeln!(diff, "  changed: {} {v:?} -> {w:?}", k.display()).unwrap(),
            _ => continue,
        }
        shown += 1;
        if shown > 30 {
            break;
        }
    }
    for (k, v) in after {
        if !before.contains_key(k) && shown <= 30 {
            writeln!(diff, "  new:     {} ({:?})", k.display(), v.kind).unwrap();
            shown += 1;
        }
    }
    panic!("{what}: inventories differ:\n{diff}");
}

/// sha256 → how many non-empty regular files hold those bytes (links never followed).
pub type Content = BTreeMap<String, usize>;

pub fn content_except(roots: &[PathBuf], skip: &dyn Fn(&Path) -> bool) -> Content {
    let mut out = Content::new();
    for root in roots {
        for e in walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_entry(|e| !skip(e.path())) {
            let e = e.unwrap();
            if e.file_type().is_file() && e.metadata().unwrap().len() > 0 {
                let mut h = Sha256::new();
                let mut f = fs::File::open(e.path()).unwrap();
                std::io::copy(&mut f, &mut h).unwrap();
                let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
                *out.entry(hex).or_default() += 1;
            }
        }
    }
    out
}

/// Every content of `before` is still there at least as many times.
#[track_caller]
pub fn assert_nothing_lost(before: &Content, after: &Content, what: &str) {
    let lost: Vec<String> = before
        .iter()
        .filter(|(h, n)| after.get(*h).copied().unwrap_or(0) < **n)
        .map(|(h, n)| format!("{}.. x{n} (now {})", &h[..12], after.get(h).copied().unwrap_or(0)))
        .collect();
    assert!(lost.is_empty(), "{what}: content lost: {}", lost.join(", "));
}
