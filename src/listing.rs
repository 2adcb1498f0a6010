//! What ComfyUI lists for one `models/` folder, and whether a migration kept it.
//!
//! The executor lists an install's `models/` before its steps and again, through the new link,
//! after them; [`compare`] names every file ComfyUI could see before and cannot see now (or sees
//! as other bytes). This is the product's own re-implementation of ComfyUI's walk
//! (`os.walk(..., followlinks=True)`, `../shared/domain.md` §1); the tests' oracle is written
//! separately on purpose.
//!
//! Every file is recorded, whatever its extension (ComfyUI's per-key filters only list fewer, and
//! non-model files are the user's too), except 0-byte placeholders, which are disposable by design.
//! `.git` folders, which ComfyUI skips, are walked too: stricter, never looser.
//! Metadata only: contents are never read, so a copy is trusted by its length (it was verified
//! when made).
//!
//! Cost: ~3.5 µs per file (about 280,000 files/s) on the 2-core dev machine while it was busy
//! (load 6–9), ~2.2 µs at best, for 20,000 files in 50 folders with a warm cache; a bare
//! `read_dir` + `stat` walk of the same tree takes ~1.4 µs. Measured with
//! `cargo run --release --example listing_cost`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// What stands behind one listed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file (reached through any links). `dev`/`ino` are 0 where the platform gives no cheap
    /// file identity (Windows); then only `len` identifies it.
    File { dev: u64, ino: u64, len: u64 },
    /// A link whose target is missing. ComfyUI still lists the name (and fails to load it).
    Dangling,
    /// A link that cannot be resolved (a cycle of links), or a folder link back onto the path
    /// walked so far or above `models/`: not entered, since `os.walk` would repeat names forever.
    Loop,
    /// A folder that cannot be listed or a file that cannot be looked at, with the OS's reason.
    Unreadable(String),
}

impl Entry {
    fn same_kind(&self, other: &Entry) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// How many of each were found, for reports and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub files: usize,
    pub dangling: usize,
    pub loops: usize,
    pub unreadable: usize,
    /// 0-byte placeholder files left out of the listing.
    pub placeholders: usize,
    /// Folders listed, `models/` included.
    pub dirs: usize,
}

/// Everything ComfyUI could list under one `models/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Path relative to `models/` → what is behind it. Folders appear only when they are
    /// themselves a problem (`Loop`, `Unreadable`).
    pub entries: BTreeMap<PathBuf, Entry>,
    /// Why `models/` itself could not be listed (a dangling link, a loop, unreadable); `None`
    /// when it was listed or does not exist (then ComfyUI lists nothing either).
    pub root: Option<Entry>,
    pub counts: Counts,
}

/// Lists `models` (a real folder or a link to one) the way ComfyUI walks it. Never fails: what
/// cannot be read is recorded as such, so a check after a migration sees it as a problem.
pub fn list(models: &Path) -> Listing {
    let mut out = Walk::default();
    let root_canon = match fs::canonicalize(models) {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // A missing `models/` lists nothing; a link to nowhere is worth naming.
            let dangling = fs::symlink_metadata(models).is_ok();
            return Listing { root: dangling.then_some(Entry::Dangling), ..Listing::default() };
        }
        Err(e) => return Listing { root: Some(broken(&e)), ..Listing::default() },
    };
    if !root_canon.is_dir() {
        return Listing::default();
    }
    let mut chain: Vec<PathBuf> = Vec::new();
    let mut stack =
        vec![Frame { path: models.to_path_buf(), rel: PathBuf::new(), canon: root_canon.clone(), depth: 0 }];
    while let Some(frame) = stack.pop() {
        // Depth-first: the chain is this folder's canonical ancestors, then itself.
        chain.truncate(frame.depth);
        chain.push(frame.canon.clone());
        list_dir(&frame, &root_canon, &chain, &mut stack, &mut out);
    }
    // Collected, then sorted once: cheaper than keeping a map sorted while walking.
    Listing { entries: out.found.into_iter().collect(), root: out.root, counts: out.counts }
}

#[derive(Default)]
struct Walk {
    found: Vec<(PathBuf, Entry)>,
    root: Option<Entry>,
    counts: Counts,
}

struct Frame {
    /// Path to read, as reached (through links).
    path: PathBuf,
    /// Relative to `models/`.
    rel: PathBuf,
    /// Canonical path, for the loop guard.
    canon: PathBuf,
    depth: usize,
}

fn list_dir(frame: &Frame, root_canon: &Path, chain: &[PathBuf], stack: &mut Vec<Frame>, out: &mut Walk) {
    let read = match fs::read_dir(&frame.path) {
        Ok(r) => r,
        Err(e) => return unreadable_dir(frame, &e, out),
    };
    out.counts.dirs += 1;
    for dirent in read {
        let dirent = match dirent {
            Ok(d) => d,
            Err(e) => return unreadable_dir(frame, &e, out),
        };
        let name = dirent.file_name();
        let rel = frame.rel.join(&name);
        // The type comes from readdir where the filesystem gives it: real folders cost no stat.
        let ft = match dirent.file_type() {
            Ok(t) => t,
            Err(e) => {
                record(out, rel, Entry::Unreadable(e.to_string()));
                continue;
            }
        };
        if ft.is_dir() {
            let canon = frame.canon.join(&name);
            stack.push(Frame { path: dirent.path(), rel, canon, depth: frame.depth + 1 });
            continue;
        }
        let path = dirent.path();
        let meta = if ft.is_symlink() { fs::metadata(&path) } else { dirent.metadata() };
        let meta = match meta {
            Ok(m) => m,
            // A plain file removed since readdir is not listed any more: not a broken link.
            Err(e) if !ft.is_symlink() && e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                record(out, rel, broken(&e));
                continue;
            }
        };
        if !meta.is_dir() {
            if meta.len() == 0 && name.to_str().is_some_and(crate::stock::is_placeholder_name) {
                out.counts.placeholders += 1;
            } else {
                record(out, rel, file_entry(&meta));
            }
            continue;
        }
        // A link to a folder: entered unless it leads back onto the chain below `models/` or
        // above it. ComfyUI walks each key's folder on its own, with no memory of what it saw,
        // so a link back to `models/` itself (or to the key folder's parent) is walked once
        // more; that first pass is what it lists for sure, and it must list it after too.
        match fs::canonicalize(&path) {
            Ok(canon) if chain[1..].contains(&canon) || (root_canon.starts_with(&canon) && canon != root_canon) => {
                record(out, rel, Entry::Loop)
            }
            Ok(canon) => stack.push(Frame { path, rel, canon, depth: frame.depth + 1 }),
            Err(e) => record(out, rel, broken(&e)),
        }
    }
}

fn unreadable_dir(frame: &Frame, e: &io::Error, out: &mut Walk) {
    if frame.depth == 0 {
        out.root = Some(Entry::Unreadable(e.to_string()));
    } else {
        record(out, frame.rel.clone(), Entry::Unreadable(e.to_string()));
    }
}

fn record(out: &mut Walk, rel: PathBuf, entry: Entry) {
    let c = &mut out.counts;
    match entry {
        Entry::File { .. } => c.files += 1,
        Entry::Dangling => c.dangling += 1,
        Entry::Loop => c.loops += 1,
        Entry::Unreadable(_) => c.unreadable += 1,
    }
    out.found.push((rel, entry));
}

/// Why a name could not be followed.
fn broken(e: &io::Error) -> Entry {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Entry::Dangling,
        _ if is_loop_error(e) => Entry::Loop,
        _ => Entry::Unreadable(e.to_string()),
    }
}

fn is_loop_error(e: &io::Error) -> bool {
    crate::platform::is_loop_error(e)
}

#[cfg(unix)]
fn file_entry(m: &Metadata) -> Entry {
    use std::os::unix::fs::MetadataExt;
    Entry::File { dev: m.dev(), ino: m.ino(), len: m.len() }
}

/// The file index needs an open handle per file on Windows (std's accessor is unstable): the
/// length alone identifies the bytes there.
#[cfg(not(unix))]
fn file_entry(m: &Metadata) -> Entry {
    Entry::File { dev: 0, ino: 0, len: m.len() }
}

/// What went wrong with one name ComfyUI listed before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not listed any more.
    Lost,
    Dangling,
    Loop,
    Unreadable,
    /// Listed, with bytes of another length.
    OtherBytes,
}

/// One name ComfyUI listed before and does not show the same way after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewProblem {
    /// The name as listed before, relative to `models/`.
    pub path: PathBuf,
    pub kind: ProblemKind,
    pub was: Entry,
    /// What was found after (`None`: nothing).
    pub now: Option<Entry>,
    /// Where `now` was looked up: `path` itself, its planned new name, or the folder (`""` for
    /// `models/` itself) that hides it.
    pub at: PathBuf,
}

impl fmt::Display for ViewProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = if self.at == self.path {
            String::new()
        } else if self.path.starts_with(&self.at) {
            match self.at.as_os_str().is_empty() {
                true => " (through models/)".to_string(),
                false => format!(" (through {}/)", self.at.display()),
            }
        } else {
            format!(" (at its new name {})", self.at.display())
        };
        write!(f, "{}: ", self.path.display())?;
        match (&self.kind, &self.now) {
            (ProblemKind::Lost, _) => write!(f, "listed before, gone after{place}"),
            (ProblemKind::Dangling, _) => write!(f, "now a dangling link{place}"),
            (ProblemKind::Loop, _) => write!(f, "now a link loop{place}"),
            (ProblemKind::Unreadable, Some(Entry::Unreadable(why))) => write!(f, "now unreadable{place}: {why}"),
            (ProblemKind::Unreadable, _) => write!(f, "now unreadable{place}"),
            (ProblemKind::OtherBytes, now) => {
                let len = |e: Option<&Entry>| match e {
                    Some(Entry::File { len, .. }) => *len,
                    _ => 0,
                };
                write!(f, "now other bytes{place} ({} bytes, was {})", len(now.as_ref()), len(Some(&self.was)))
            }
        }
    }
}

/// Every name of `before` that `after` no longer shows as it was. `renamed` holds the planned
/// renames `(from, to)` relative to `models/` (a file, or a folder and so all names under it):
/// the bytes once at `from` must then be at `to`, and a renamed file's old name must still be
/// listed, with any bytes (the global folder's version of the clashing name).
///
/// Bytes are matched by identity: the same (dev, ino), else the same length (a verified copy, or
/// a duplicate the planner proved); contents are not re-read, by design. A name already broken
/// before (dangling, looping, unreadable) is fine while it stays so, or gets better.
pub fn compare(before: &Listing, after: &Listing, renamed: &[(PathBuf, PathBuf)]) -> Vec<ViewProblem> {
    let renames: HashMap<&Path, &Path> = renamed.iter().rev().map(|(f, t)| (f.as_path(), t.as_path())).collect();
    let mut problems = Vec::new();
    for (path, was) in &before.entries {
        match rename_target(path, &renames) {
            Some(to) => {
                problems.extend(check(path, was, &to, after, Bytes::Same));
                if renames.contains_key(path.as_path()) {
                    // The old name stays listed; other bytes there are expected.
                    problems.extend(check(path, was, path, after, Bytes::Any));
                }
            }
            None => problems.extend(check(path, was, path, after, Bytes::Same)),
        }
    }
    problems
}

/// Where a planned rename puts `path`: the rename of the name itself or of a folder above it.
fn rename_target(path: &Path, renames: &HashMap<&Path, &Path>) -> Option<PathBuf> {
    path.ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find_map(|a| renames.get(a).map(|to| to.join(path.strip_prefix(a).unwrap_or(Path::new("")))))
}

/// Whether a file found after must hold the bytes listed before.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bytes {
    Same,
    Any,
}

/// Whether `was` (listed at `path` before) is shown at `at` after.
fn check(path: &Path, was: &Entry, at: &Path, after: &Listing, bytes: Bytes) -> Option<ViewProblem> {
    let problem = |kind, now: Option<&Entry>, at: &Path| {
        Some(ViewProblem { path: path.to_path_buf(), kind, was: was.clone(), now: now.cloned(), at: at.to_path_buf() })
    };
    let Some(now) = after.entries.get(at) else {
        // A folder unreadable before may now list its files: that is no loss.
        if !matches!(was, Entry::File { .. }) && has_under(after, at) {
            return None;
        }
        // Gone, or hidden by a broken folder (or `models/`) above it: name the cause.
        let hidden = at.ancestors().skip(1).find_map(|a| match after.entries.get(a) {
            Some(e @ (Entry::Loop | Entry::Dangling | Entry::Unreadable(_))) => Some((a, e)),
            _ if a.as_os_str().is_empty() => after.root.as_ref().map(|e| (a, e)),
            _ => None,
        });
        return match hidden {
            Some((a, e)) => problem(broken_kind(e), Some(e), a),
            None => problem(ProblemKind::Lost, None, at),
        };
    };
    match (was, now) {
        (Entry::File { dev: d0, ino: i0, len: l0 }, Entry::File { dev: d1, ino: i1, len: l1 }) => {
            let same_inode = (*d0, *i0) != (0, 0) && (d0, i0) == (d1, i1);
            if bytes == Bytes::Any || same_inode || l0 == l1 {
                None
            } else {
                problem(ProblemKind::OtherBytes, Some(now), at)
            }
        }
        (_, Entry::File { .. }) => None,
        (was, now) if !matches!(was, Entry::File { .. }) && was.same_kind(now) => None,
        (_, now) => problem(broken_kind(now), Some(now), at),
    }
}

/// Whether anything is listed below `dir` (paths sort by component, so a folder's names follow it).
fn has_under(listing: &Listing, dir: &Path) -> bool {
    use std::ops::Bound::{Excluded, Unbounded};
    listing.entries.range::<Path, _>((Excluded(dir), Unbounded)).next().is_some_and(|(p, _)| p.starts_with(dir))
}

fn broken_kind(e: &Entry) -> ProblemKind {
    match e {
        Entry::File { .. } => ProblemKind::OtherBytes,
        Entry::Dangling => ProblemKind::Dangling,
        Entry::Loop => ProblemKind::Loop,
        Entry::Unreadable(_) => ProblemKind::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn file(ino: u64, len: u64) -> Entry {
        Entry::File { dev: 1, ino, len }
    }

    fn listing(entries: &[(&str, Entry)]) -> Listing {
        Listing { entries: entries.iter().map(|(k, e)| (p(k), e.clone())).collect(), ..Listing::default() }
    }

    fn write(path: &Path, len: usize) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, vec![b'x'; len]).unwrap();
    }

    /// Kind of each listed name, for tables that do not care about inode numbers.
    fn kinds(l: &Listing) -> Vec<(String, String)> {
        l.entries
            .iter()
            .map(|(k, e)| {
                let kind = match e {
                    Entry::File { len, .. } => format!("file {len}"),
                    Entry::Dangling => "dangling".into(),
                    Entry::Loop => "loop".into(),
                    Entry::Unreadable(_) => "unreadable".into(),
                };
                (k.to_string_lossy().replace('\\', "/"), kind)
            })
            .collect()
    }

    fn expect(rows: &[(&str, &str)]) -> Vec<(String, String)> {
        rows.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn a_real_folder_lists_every_file_but_empty_placeholders() {
        let t = tempfile::tempdir().unwrap();
        let m = t.path().join("models");
        write(&m.join("loras/a.safetensors"), 3);
        write(&m.join("configs/x.yaml"), 5);
        write(&m.join("loras/put_loras_here"), 0);
        write(&m.join("checkpoints/.gitkeep"), 0);
        write(&m.join("vae/put_vae_here"), 7); // a placeholder name with content is the user's
        write(&m.join("notes.txt"), 0); // empty but not a placeholder name
        write(&m.join("loras/deep/er/b.bin"), 2);
        fs::create_dir_all(m.join("empty")).unwrap();
        let l = list(&m);
        assert_eq!(
            kinds(&l),
            expect(&[
                ("configs/x.yaml", "file 5"),
                ("loras/a.safetensors", "file 3"),
                ("loras/deep/er/b.bin", "file 2"),
                ("notes.txt", "file 0"),
                ("vae/put_vae_here", "file 7"),
            ])
        );
        assert_eq!(l.root, None);
        assert_eq!(l.counts, Counts { files: 5, placeholders: 2, dirs: 8, ..Counts::default() });
    }

    #[test]
    fn missing_models_lists_nothing() {
        let t = tempfile::tempdir().unwrap();
        let l = list(&t.path().join("models"));
        assert_eq!(l, Listing::default());
    }

    #[cfg(unix)]
    mod unix {
        use super::*;
        use std::os::unix::fs::{PermissionsExt, symlink};

        fn ln(target: &str, link: &Path) {
            fs::create_dir_all(link.parent().unwrap()).unwrap();
            symlink(target, link).unwrap();
        }

        /// A folder the test cannot list even after chmod 000 means it runs as root.
        fn chmod_denies(dir: &Path, mode: u32) -> bool {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode)).unwrap();
            let denied =
                fs::read_dir(dir).is_err() || fs::read_dir(dir).unwrap().any(|e| e.unwrap().metadata().is_err());
            if !denied {
                eprintln!("skipped: running with privileges that ignore mode {mode:o}");
            }
            denied
        }

        #[test]
        fn a_link_to_a_folder_lists_like_the_folder() {
            let t = tempfile::tempdir().unwrap();
            let g = t.path().join("global");
            write(&g.join("loras/a.safetensors"), 3);
            write(&g.join("loras/put_loras_here"), 0);
            let m = t.path().join("models");
            symlink(&g, &m).unwrap();
            assert_eq!(list(&m), list(&g));
            assert_eq!(kinds(&list(&m)), expect(&[("loras/a.safetensors", "file 3")]));
        }

        /// (links to make, relative target → link under models/; expected listing)
        #[test]
        fn links_inside_models_are_followed_or_named() {
            type Case =
                (&'static str, &'static [(&'static str, &'static str)], &'static [(&'static str, &'static str)]);
            let cases: &[Case] = &[
                ("file link", &[("../checkpoints/real.ckpt", "loras/alias.ckpt")], &[("loras/alias.ckpt", "file 4")]),
                (
                    "link to a link to a file",
                    &[("../checkpoints/real.ckpt", "loras/a1"), ("a1", "loras/a2")],
                    &[("loras/a1", "file 4"), ("loras/a2", "file 4")],
                ),
                ("folder link", &[("../checkpoints", "loras/pack")], &[("loras/pack/real.ckpt", "file 4")]),
                (
                    "link to a folder link",
                    &[("../checkpoints", "loras/p1"), ("p1", "loras/p2")],
                    &[("loras/p1/real.ckpt", "file 4"), ("loras/p2/real.ckpt", "file 4")],
                ),
                (
                    "folder link outside models",
                    &[("../../../../outside", "loras/ext")],
                    &[("loras/ext/o.pt", "file 6")],
                ),
                ("dangling", &[("../nowhere.ckpt", "loras/gone.ckpt")], &[("loras/gone.ckpt", "dangling")]),
                (
                    "dangling through a file",
                    &[("../checkpoints/real.ckpt/x", "loras/bad")],
                    &[("loras/bad", "dangling")],
                ),
                (
                    "dangling placeholder name",
                    &[("nowhere", "loras/put_loras_here")],
                    &[("loras/put_loras_here", "dangling")],
                ),
                // Walked once more, as ComfyUI's walk of `loras` does; then it is a loop.
                (
                    "link to ..",
                    &[("..", "loras/up")],
                    &[("loras/up/checkpoints/real.ckpt", "file 4"), ("loras/up/loras/up", "loop")],
                ),
                ("link to its own folder", &[(".", "loras/here")], &[("loras/here", "loop")]),
                ("link to itself", &[("self", "loras/self")], &[("loras/self", "loop")]),
                (
                    "two links at each other",
                    &[("b", "loras/a"), ("a", "loras/b")],
                    &[("loras/a", "loop"), ("loras/b", "loop")],
                ),
                ("link above models", &[("../../..", "loras/top")], &[("loras/top", "loop")]),
                (
                    "folders linking into each other",
                    &[("../y", "x/to_y"), ("../x", "y/to_x")],
                    &[("x/to_y/to_x", "loop"), ("y/to_x/to_y", "loop")],
                ),
            ];
            for (what, links, want) in cases {
                let t = tempfile::tempdir().unwrap();
                let m = t.path().join("ws/env/models");
                write(&m.join("checkpoints/real.ckpt"), 4);
                write(&t.path().join("outside/o.pt"), 6);
                fs::create_dir_all(m.join("loras")).unwrap();
                fs::create_dir_all(m.join("x")).unwrap();
                fs::create_dir_all(m.join("y")).unwrap();
                for (target, link) in *links {
                    ln(target, &m.join(link));
                }
                let mut got = kinds(&list(&m));
                got.retain(|(k, _)| k != "checkpoints/real.ckpt");
                assert_eq!(got, expect(want), "{what}");
            }
        }

        #[test]
        fn a_file_link_and_a_hard_link_share_the_inode() {
            let t = tempfile::tempdir().unwrap();
            let m = t.path().join("models");
            write(&m.join("checkpoints/real.ckpt"), 4);
            fs::hard_link(m.join("checkpoints/real.ckpt"), m.join("checkpoints/hard.ckpt")).unwrap();
            ln("../checkpoints/real.ckpt", &m.join("loras/alias.ckpt"));
            let l = list(&m);
            let ids: Vec<_> = l.entries.values().collect();
            assert_eq!(ids.len(), 3);
            assert!(ids.iter().all(|e| *e == ids[0]), "{ids:?}");
            assert!(matches!(ids[0], Entry::File { ino, .. } if *ino != 0));
        }

        #[test]
        fn broken_roots_are_named() {
            let t = tempfile::tempdir().unwrap();
            let dangling = t.path().join("dangling");
            symlink(t.path().join("nowhere"), &dangling).unwrap();
            let looping = t.path().join("looping");
            symlink(&looping, &looping).unwrap();
            let a_file = t.path().join("a_file");
            write(&a_file, 3);
            assert_eq!(list(&dangling).root, Some(Entry::Dangling));
            assert_eq!(list(&looping).root, Some(Entry::Loop));
            assert_eq!(list(&a_file), Listing::default());
        }

        #[test]
        fn unreadable_folders_and_files_are_named() {
            let t = tempfile::tempdir().unwrap();
            let m = t.path().join("models");
            write(&m.join("loras/locked/a.safetensors"), 3);
            write(&m.join("loras/nox/b.safetensors"), 3);
            write(&m.join("vae/ok.pt"), 2);
            let locked = chmod_denies(&m.join("loras/locked"), 0o000);
            let nox = chmod_denies(&m.join("loras/nox"), 0o444);
            let l = list(&m);
            let root_denied = chmod_denies(&m, 0o000);
            let root = list(&m);
            for d in [&m, &m.join("loras/locked"), &m.join("loras/nox")] {
                fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
            }
            if !(locked && nox && root_denied) {
                return;
            }
            assert_eq!(
                kinds(&l),
                expect(&[
                    ("loras/locked", "unreadable"),
                    ("loras/nox/b.safetensors", "unreadable"),
                    ("vae/ok.pt", "file 2")
                ])
            );
            assert!(matches!(&l.entries[&p("loras/locked")], Entry::Unreadable(why) if why.contains("ermission")));
            assert!(matches!(root.root, Some(Entry::Unreadable(_))));
            assert!(root.entries.is_empty());
        }

        /// The whole check on disk: a move to a global folder on the same filesystem, a copy
        /// (other inode, same length) and a rename pass; a dropped or truncated file does not.
        #[test]
        fn a_migration_on_disk_keeps_the_view() {
            let t = tempfile::tempdir().unwrap();
            let m = t.path().join("models");
            let g = t.path().join("global");
            write(&m.join("loras/moved.safetensors"), 3);
            write(&m.join("loras/copied.safetensors"), 4);
            write(&m.join("loras/clash.safetensors"), 5);
            write(&g.join("loras/clash.safetensors"), 9);
            let before = list(&m);
            fs::rename(m.join("loras/moved.safetensors"), g.join("loras/moved.safetensors")).unwrap();
            fs::copy(m.join("loras/copied.safetensors"), g.join("loras/copied.safetensors")).unwrap();
            fs::rename(m.join("loras/clash.safetensors"), g.join("loras/clash (1).safetensors")).unwrap();
            fs::rename(&m, t.path().join("backup")).unwrap();
            symlink(&g, &m).unwrap();
            let renamed = [(p("loras/clash.safetensors"), p("loras/clash (1).safetensors"))];
            assert_eq!(compare(&before, &list(&m), &renamed), vec![]);
            assert_eq!(compare(&before, &list(&m), &[]).len(), 1, "the clash without its rename");

            fs::remove_file(g.join("loras/moved.safetensors")).unwrap();
            fs::write(g.join("loras/copied.safetensors"), b"x").unwrap();
            let got: Vec<String> = compare(&before, &list(&m), &renamed).iter().map(|p| p.to_string()).collect();
            assert_eq!(
                got,
                [
                    format!("{}: now other bytes (1 bytes, was 4)", p("loras/copied.safetensors").display()),
                    format!("{}: listed before, gone after", p("loras/moved.safetensors").display()),
                ]
            );
        }
    }

    #[test]
    fn compare_names_each_problem() {
        let unreadable = || Entry::Unreadable("Permission denied".into());
        // (what, before, after, expected problems as (path, kind, at))
        type Case = (&'static str, Vec<(&'static str, Entry)>, Listing, Vec<(&'static str, ProblemKind, &'static str)>);
        let x = "loras/x.safetensors";
        let cases: Vec<Case> = vec![
            ("same inode", vec![(x, file(1, 34))], listing(&[(x, file(1, 34))]), vec![]),
            ("a copy: other inode, same length", vec![(x, file(1, 34))], listing(&[(x, file(2, 34))]), vec![]),
            ("same inode, grown", vec![(x, file(1, 34))], listing(&[(x, file(1, 40))]), vec![]),
            (
                "other bytes",
                vec![(x, file(1, 34))],
                listing(&[(x, file(2, 12))]),
                vec![(x, ProblemKind::OtherBytes, x)],
            ),
            (
                "no identity (Windows) is no inode match",
                vec![(x, Entry::File { dev: 0, ino: 0, len: 34 })],
                listing(&[(x, Entry::File { dev: 0, ino: 0, len: 12 })]),
                vec![(x, ProblemKind::OtherBytes, x)],
            ),
            ("gone", vec![(x, file(1, 34))], listing(&[]), vec![(x, ProblemKind::Lost, x)]),
            (
                "now dangling",
                vec![(x, file(1, 34))],
                listing(&[(x, Entry::Dangling)]),
                vec![(x, ProblemKind::Dangling, x)],
            ),
            ("now a loop", vec![(x, file(1, 34))], listing(&[(x, Entry::Loop)]), vec![(x, ProblemKind::Loop, x)]),
            (
                "now unreadable",
                vec![(x, file(1, 34))],
                listing(&[(x, unreadable())]),
                vec![(x, ProblemKind::Unreadable, x)],
            ),
            (
                "hidden by an unreadable folder",
                vec![(x, file(1, 34))],
                listing(&[("loras", unreadable())]),
                vec![(x, ProblemKind::Unreadable, "loras")],
            ),
            (
                "hidden by a looping folder",
                vec![("loras/pack/x.pt", file(1, 34))],
                listing(&[("loras/pack", Entry::Loop)]),
                vec![("loras/pack/x.pt", ProblemKind::Loop, "loras/pack")],
            ),
            (
                "hidden by a dangling models/",
                vec![(x, file(1, 34))],
                Listing { root: Some(Entry::Dangling), ..Listing::default() },
                vec![(x, ProblemKind::Dangling, "")],
            ),
            (
                "a file became a folder",
                vec![(x, file(1, 34))],
                listing(&[("loras/x.safetensors/y", file(1, 34))]),
                vec![(x, ProblemKind::Lost, x)],
            ),
            ("additions are fine", vec![], listing(&[(x, file(1, 34)), ("new.pt", file(3, 1))]), vec![]),
            ("still dangling", vec![(x, Entry::Dangling)], listing(&[(x, Entry::Dangling)]), vec![]),
            ("dangling, now a file", vec![(x, Entry::Dangling)], listing(&[(x, file(1, 34))]), vec![]),
            ("dangling, now gone", vec![(x, Entry::Dangling)], listing(&[]), vec![(x, ProblemKind::Lost, x)]),
            (
                "dangling, now a loop",
                vec![(x, Entry::Dangling)],
                listing(&[(x, Entry::Loop)]),
                vec![(x, ProblemKind::Loop, x)],
            ),
            ("still a loop", vec![("loras/up", Entry::Loop)], listing(&[("loras/up", Entry::Loop)]), vec![]),
            (
                "still unreadable",
                vec![("loras", unreadable())],
                listing(&[("loras", Entry::Unreadable("other".into()))]),
                vec![],
            ),
            ("unreadable folder, now listed", vec![("loras", unreadable())], listing(&[(x, file(1, 34))]), vec![]),
            (
                "unreadable folder, now empty",
                vec![("loras", unreadable())],
                listing(&[]),
                vec![("loras", ProblemKind::Lost, "loras")],
            ),
        ];
        for (what, before, after, want) in cases {
            let before = listing(&before);
            let got: Vec<_> = compare(&before, &after, &[]).into_iter().map(|p| (p.path, p.kind, p.at)).collect();
            let want: Vec<_> = want.into_iter().map(|(a, k, at)| (p(a), k, p(at))).collect();
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn compare_follows_planned_renames() {
        let (x, x1, a, a1) =
            ("loras/x.safetensors", "loras/x (1).safetensors", "loras/pack/a.pt", "loras/pack (1)/a.pt");
        let file_rename = [(p(x), p(x1))];
        let folder_rename = [(p("loras/pack"), p("loras/pack (1)"))];
        let before = listing(&[(x, file(1, 34)), (a, file(5, 7))]);
        // A file renamed: `a` stays where it was.
        let with_a = |rows: &[(&str, Entry)]| listing(&[rows, &[(a, file(5, 7))]].concat());
        type Case<'a> =
            (&'static str, Listing, &'a [(PathBuf, PathBuf)], Vec<(&'static str, ProblemKind, &'static str)>);
        let cases: Vec<Case> = vec![
            ("moved to its new name", with_a(&[(x, file(2, 12)), (x1, file(1, 34))]), &file_rename, vec![]),
            ("copied to its new name", with_a(&[(x, file(2, 12)), (x1, file(9, 34))]), &file_rename, vec![]),
            ("not at its new name", with_a(&[(x, file(2, 12))]), &file_rename, vec![(x, ProblemKind::Lost, x1)]),
            (
                "other bytes at its new name",
                with_a(&[(x, file(2, 12)), (x1, file(9, 35))]),
                &file_rename,
                vec![(x, ProblemKind::OtherBytes, x1)],
            ),
            ("its old name gone", with_a(&[(x1, file(1, 34))]), &file_rename, vec![(x, ProblemKind::Lost, x)]),
            (
                "its old name dangling",
                with_a(&[(x, Entry::Dangling), (x1, file(1, 34))]),
                &file_rename,
                vec![(x, ProblemKind::Dangling, x)],
            ),
            (
                "a folder renamed, a global file at its old name",
                listing(&[(x, file(1, 34)), ("loras/pack", file(8, 3)), (a1, file(5, 7))]),
                &folder_rename,
                vec![],
            ),
            (
                "a folder renamed, its file not there",
                listing(&[(x, file(1, 34)), ("loras/pack", file(8, 3))]),
                &folder_rename,
                vec![(a, ProblemKind::Lost, a1)],
            ),
        ];
        for (what, after, renamed, want) in cases {
            let got: Vec<_> = compare(&before, &after, renamed).into_iter().map(|p| (p.path, p.kind, p.at)).collect();
            let want: Vec<_> = want.into_iter().map(|(a, k, at)| (p(a), k, p(at))).collect();
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn problems_read_as_sentences() {
        let x = p("loras").join("x.safetensors");
        let problem = |kind, now, at: PathBuf| ViewProblem { path: x.clone(), kind, was: file(1, 34), now, at };
        let cases = [
            (problem(ProblemKind::Lost, None, x.clone()), format!("{}: listed before, gone after", x.display())),
            (
                problem(ProblemKind::Dangling, Some(Entry::Dangling), x.clone()),
                format!("{}: now a dangling link", x.display()),
            ),
            (problem(ProblemKind::Loop, Some(Entry::Loop), x.clone()), format!("{}: now a link loop", x.display())),
            (
                problem(ProblemKind::OtherBytes, Some(file(2, 12)), x.clone()),
                format!("{}: now other bytes (12 bytes, was 34)", x.display()),
            ),
            (
                problem(ProblemKind::Unreadable, Some(Entry::Unreadable("Permission denied".into())), p("loras")),
                format!("{}: now unreadable (through loras/): Permission denied", x.display()),
            ),
            (
                problem(ProblemKind::Dangling, Some(Entry::Dangling), PathBuf::new()),
                format!("{}: now a dangling link (through models/)", x.display()),
            ),
            (
                problem(ProblemKind::Lost, None, p("loras").join("x (1).safetensors")),
                format!(
                    "{}: listed before, gone after (at its new name {})",
                    x.display(),
                    p("loras").join("x (1).safetensors").display()
                ),
            ),
        ];
        for (problem, want) in cases {
            assert_eq!(problem.to_string(), want);
        }
    }
}
