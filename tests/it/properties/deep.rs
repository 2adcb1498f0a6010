//! The deep inventory the properties compare: per path (links never followed) its kind, size,
//! content hash, link target, owner, mode, inode and allocated blocks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::support::sha256_hex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File { size: u64, sha: String },
    Link(PathBuf),
    Other,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: Kind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// (device, inode)
    pub ino: (u64, u64),
    pub nlink: u64,
    /// `st_blocks` (512-byte units).
    pub blocks: u64,
}

/// `<label>/<relative path>` → what is there.
pub type Deep = BTreeMap<PathBuf, Entry>;

/// The deep inventory of each (label, root), leaving out paths `skip` names (and what is
/// under them).
pub fn deep(roots: &[(&str, &Path)], skip: &dyn Fn(&Path) -> bool) -> Deep {
    let mut out = Deep::new();
    for (label, root) in roots {
        if fs::symlink_metadata(root).is_err() {
            continue;
        }
        let walk = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name();
        for e in walk.into_iter().filter_entry(|e| !skip(e.path())) {
            let Ok(e) = e else { continue };
            let Ok(md) = fs::symlink_metadata(e.path()) else { continue };
            let ft = md.file_type();
            let kind = if ft.is_symlink() {
                Kind::Link(fs::read_link(e.path()).unwrap_or_default())
            } else if ft.is_dir() {
                Kind::Dir
            } else if ft.is_file() {
                let sha = fs::read(e.path()).map(|b| sha256_hex(&b)).unwrap_or_else(|err| format!("unreadable: {err}"));
                Kind::File { size: md.len(), sha }
            } else {
                Kind::Other
            };
            let rel = e.path().strip_prefix(root).unwrap();
            out.insert(
                Path::new(label).join(rel),
                Entry {
                    kind,
                    mode: md.mode(),
                    uid: md.uid(),
                    gid: md.gid(),
                    ino: (md.dev(), md.ino()),
                    nlink: md.nlink(),
                    blocks: md.blocks(),
                },
            );
        }
    }
    out
}

/// Content hash → how many distinct inodes hold those (non-empty) bytes: hard links count once.
pub fn content(inv: &Deep) -> BTreeMap<String, usize> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeMap::new();
    for e in inv.values() {
        if let Kind::File { size, sha } = &e.kind
            && *size > 0
            && seen.insert(e.ino)
        {
            *out.entry(sha.clone()).or_default() += 1;
        }
    }
    out
}

/// The hard-link groups: sets of two or more paths that are one inode.
pub fn link_groups(inv: &Deep) -> BTreeSet<Vec<PathBuf>> {
    let mut by_ino: BTreeMap<(u64, u64), Vec<PathBuf>> = BTreeMap::new();
    for (p, e) in inv {
        if matches!(e.kind, Kind::File { .. }) {
            by_ino.entry(e.ino).or_default().push(p.clone());
        }
    }
    by_ino.into_values().filter(|v| v.len() > 1).collect()
}

/// Differences of paths, kinds, sizes, hashes, link targets, owner and mode (`with_owner_mode`),
/// hard-link groups and sparseness (a file's blocks must not grow past twice, plus 64 KiB).
pub fn differences(before: &Deep, after: &Deep, with_owner_mode: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (p, b) in before {
        let Some(a) = after.get(p) else {
            out.push(format!("gone: {} ({})", p.display(), kind(&b.kind)));
            continue;
        };
        if a.kind != b.kind {
            out.push(format!("changed: {}: {} -> {}", p.display(), kind(&b.kind), kind(&a.kind)));
        }
        let is_link = matches!(b.kind, Kind::Link(_));
        if with_owner_mode && !is_link && a.mode != b.mode {
            out.push(format!("mode: {}: {:o} -> {:o}", p.display(), b.mode, a.mode));
        }
        if with_owner_mode && (a.uid, a.gid) != (b.uid, b.gid) {
            out.push(format!("owner: {}: {}:{} -> {}:{}", p.display(), b.uid, b.gid, a.uid, a.gid));
        }
        if matches!(b.kind, Kind::File { .. }) && a.blocks > (b.blocks * 2).max(b.blocks + 128) {
            out.push(format!("sparseness: {}: {} -> {} blocks", p.display(), b.blocks, a.blocks));
        }
    }
    for (p, a) in after {
        if !before.contains_key(p) {
            out.push(format!("new: {} ({})", p.display(), kind(&a.kind)));
        }
    }
    let (gb, ga) = (link_groups(before), link_groups(after));
    for g in gb.difference(&ga) {
        out.push(format!("hard-link group broken: {}", show(g)));
    }
    for g in ga.difference(&gb) {
        out.push(format!("hard-link group new: {}", show(g)));
    }
    out
}

fn show(g: &[PathBuf]) -> String {
    g.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" = ")
}

fn kind(k: &Kind) -> String {
    match k {
        Kind::Dir => "folder".into(),
        Kind::File { size, sha } => format!("file {size} B {}", &sha[..sha.len().min(10)]),
        Kind::Link(t) => format!("link -> {}", t.display()),
        Kind::Other => "other".into(),
    }
}

/// One line per path, for a failure message: kind, mode, owner, and inode when linked twice.
pub fn render(inv: &Deep) -> String {
    let mut s = String::new();
    for (p, e) in inv {
        let name = p.display().to_string();
        let name = if name.len() > 110 {
            format!("{}…({} B)", name.chars().take(90).collect::<String>(), name.len())
        } else {
            name
        };
        let _ = write!(s, "  {name}  {}  {:o} {}:{}", kind(&e.kind), e.mode & 0o7777, e.uid, e.gid);
        if e.nlink > 1 && !matches!(e.kind, Kind::Dir) {
            let _ = write!(s, "  inode {}", e.ino.1);
        }
        if matches!(e.kind, Kind::File { size, .. } if size >= crate::properties::shape::SPARSE_LEN) {
            let _ = write!(s, "  blocks {}", e.blocks);
        }
        s.push('\n');
    }
    s
}
