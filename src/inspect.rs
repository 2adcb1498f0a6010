//! Reads each install once into plain data, so checks and planners never touch the disk.

use std::path::{Path, PathBuf};

use crate::git::{self, GitState};
use crate::legacy_yaml::{self, LegacyYaml, YamlError};
use crate::platform::{self, Entry, LinkInfo};
use crate::stock;
use crate::workspace::{Install, ModelsDir};

pub mod links;

/// What an install's `models` entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelsState {
    Missing,
    RealDir(DirTree),
    Link(LinkInfo),
    /// A file or anything else that is not a folder; the text says what.
    NotDir(String),
}

/// One entry under a real `models/`, relative to it. Links are recorded, never followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub rel: PathBuf,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File { len: u64 },
    Link(LinkInfo),
    Other,
}

/// A real `models/` folder: every entry (metadata only, parents before children) and whether it
/// holds nothing but ComfyUI's stock files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirTree {
    pub entries: Vec<TreeEntry>,
    /// True when every file is stock (placeholder or stock config) and there is no link.
    pub stock_only: bool,
    /// The first entry that is not stock, for the message.
    pub first_user_entry: Option<PathBuf>,
    /// Entries that could not be read (the walk went on).
    pub unreadable: Vec<String>,
    /// Set by a report walk ([`Detail::Report`]) of a folder holding user data: its files were
    /// counted, not kept, so `entries` holds only its links and the files over
    /// [`crate::sizes::MIN_FILE_BYTES`] (models, few; what the size line weighs). A planner never
    /// sees such a tree.
    pub counted: Option<FileCount>,
}

/// Files of a real `models/` counted by a report walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileCount {
    pub files: u64,
    pub bytes: u64,
}

impl DirTree {
    /// Number of files and their bytes, whichever walk read the tree.
    pub fn file_totals(&self) -> (u64, u64) {
        match self.counted {
            Some(c) => (c.files, c.bytes),
            None => self.files().fold((0, 0), |(n, b), (_, len)| (n + 1, b + len)),
        }
    }

    /// Whether every entry is kept (a planner needs that; a report walk keeps only links and big files of a
    /// folder holding user data).
    pub fn is_complete(&self) -> bool {
        self.counted.is_none()
    }

    pub fn files(&self) -> impl Iterator<Item = (&Path, u64)> {
        self.entries.iter().filter_map(|e| match e.kind {
            EntryKind::File { len } => Some((e.rel.as_path(), len)),
            _ => None,
        })
    }

    pub fn links(&self) -> impl Iterator<Item = (&Path, &LinkInfo)> {
        self.entries.iter().filter_map(|e| match &e.kind {
            EntryKind::Link(l) => Some((e.rel.as_path(), l)),
            _ => None,
        })
    }
}

/// The global models folder as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalState {
    pub dir: ModelsDir,
    pub kind: GlobalKind,
    /// Links inside it that ComfyUI cannot follow, relative to it, in walk order.
    pub bad_links: Vec<BadLink>,
    /// Every link inside it (relative path, as found), so a merge can tell which of them point
    /// into the folder it is about to move.
    pub links: Vec<(PathBuf, LinkInfo)>,
}

/// A link in the global folder that ComfyUI would list but cannot load, or walk forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLink {
    pub rel: PathBuf,
    pub raw_target: PathBuf,
    pub problem: LinkProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// The target does not exist: the name shows in ComfyUI's lists, then fails to load.
    Dangling,
    /// The link resolves to itself, or to a folder that holds it: following links, ComfyUI's
    /// walk goes round it until the path is too long.
    Loop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobalKind {
    Missing,
    NotDir,
    Dir { missing_subfolders: Vec<String> },
}

/// Everything the checks know about one install.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub install: Install,
    pub models: ModelsState,
    /// `extra_model_paths.yaml` next to `main.py`, when present.
    pub yaml: Option<Result<LegacyYaml, YamlError>>,
    pub git: GitState,
    /// The global folder this install should link to; `None` when unknown.
    pub global: Option<GlobalState>,
    /// `models/` is a real folder that is the global folder itself (one install's `models/`
    /// chosen as the shared one): ComfyUI there already sees every shared model, and there is
    /// nothing to link or protect. Set by the pipeline.
    pub models_is_global: bool,
    /// Where and how the `models` link can be made (`inspect::links`, filled by the pipeline).
    pub link: links::LinkPlace,
    /// The record `comfydoctor detach` left for this install (`state`), set by the pipeline.
    pub detached: Option<crate::state::Detached>,
    /// A run of `fix` (or an undo) over this install that stopped part-way and whose process is
    /// gone (`run-interrupted`).
    pub unfinished_run: Option<UnfinishedRun>,
    /// A linked checkout whose protection an updater took away (`git-protection-lost`).
    pub protection_lost: Option<crate::protection::ProtectionLost>,
}

/// An interrupted run found in an install's journal folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedRun {
    pub run_id: String,
    pub started_at: String,
    /// The folder whose `.comfydoctor` holds the journal (the workspace, or the install).
    pub owner: PathBuf,
    /// Its undo was interrupted (only `undo` finishes it).
    pub undo: bool,
}

/// The interrupted run that covers `install`, unless its process still runs (holds the lock).
pub fn unfinished_run(install: &Install) -> Option<UnfinishedRun> {
    let dir = install.journal_dir();
    let (installs, run) = unfinished_in(&dir)?;
    // A run still going holds the lock: it is running, not interrupted (asked only when there
    // is an unfinished run, the rare case).
    if !installs.contains(&install.root) || crate::execute::lock::holder(&dir).is_some() {
        return None;
    }
    Some(run)
}

/// A journal folder's interrupted run, read once per state of the folder: the installs of a
/// workspace share it, and parsing its journals per install would make every scan (and the
/// launch-script hook) pay for it several times. The cache key is every journal's name, length
/// and mtime, so an appended record reads it again.
fn unfinished_in(dir: &Path) -> Option<(Vec<PathBuf>, UnfinishedRun)> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    type Key = Vec<(std::ffi::OsString, u64, Option<std::time::SystemTime>)>;
    type Found = Option<(Vec<PathBuf>, UnfinishedRun)>;
    static CACHE: Mutex<Option<HashMap<PathBuf, (Key, Found)>>> = Mutex::new(None);
    let read = std::fs::read_dir(dir).ok()?;
    let mut key: Key = read
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((e.file_name(), m.len(), m.modified().ok()))
        })
        .collect();
    key.sort();
    if let Ok(cache) = CACHE.lock()
        && let Some((k, found)) = cache.as_ref().and_then(|c| c.get(dir))
        && *k == key
    {
        return found.clone();
    }
    let found = crate::execute::find_unfinished(dir).ok().flatten().map(|run| {
        let installs = run.plans.iter().map(|p| p.install.clone()).collect();
        let info = UnfinishedRun {
            run_id: run.run_id.clone(),
            started_at: run.started_at.clone(),
            owner: dir.parent().unwrap_or(dir).to_path_buf(),
            undo: run.state() == crate::execute::journal::RunState::UndoIncomplete,
        };
        (installs, info)
    });
    if let Ok(mut cache) = CACHE.lock() {
        cache.get_or_insert_with(HashMap::new).insert(dir.to_path_buf(), (key, found.clone()));
    }
    found
}

/// Reads an install, without its global folder (that needs every install's YAML first).
pub fn inspect_install(install: &Install, with_git: bool) -> Inspection {
    inspect_install_with(install, with_git, Detail::Full)
}

/// [`inspect_install`], keeping as much of a real `models/` as `detail` says.
pub fn inspect_install_with(install: &Install, with_git: bool, detail: Detail) -> Inspection {
    let models_path = install.models_path();
    let models = match platform::entry(&models_path) {
        Ok(Entry::Missing) => ModelsState::Missing,
        Ok(Entry::Dir) => ModelsState::RealDir(read_tree_with(&models_path, detail)),
        Ok(Entry::Link(info)) => ModelsState::Link(info),
        Ok(Entry::File { len }) => ModelsState::NotDir(format!("a regular file of {len} bytes")),
        Ok(Entry::Other) => ModelsState::NotDir("a special file".into()),
        Err(e) => ModelsState::NotDir(format!("unreadable ({e})")),
    };
    let yaml_path = yaml_path(&install.root);
    // ComfyUI reads the file only when `os.path.isfile` holds: a folder, a dangling link or a
    // special file by that name is skipped, so it is absent for us too.
    let is_file = std::fs::metadata(&yaml_path).is_ok_and(|m| m.is_file());
    let yaml = is_file.then(|| legacy_yaml::read_file(&yaml_path));
    let git = if with_git { git::inspect(&install.root) } else { GitState::NotARepo };
    let unfinished_run = unfinished_run(install);
    let protection_lost = crate::protection::inspect(install, &models, &git);
    Inspection {
        install: install.clone(),
        models,
        yaml,
        git,
        global: None,
        models_is_global: false,
        link: Default::default(),
        detached: None,
        unfinished_run,
        protection_lost,
    }
}

/// Where ComfyUI looks for the YAML: `os.path.join(os.path.dirname(os.path.realpath(main.py)),
/// FILE_NAME)`. Through a linked install folder (or a linked `main.py`) that is the real folder,
/// and relative paths inside the file resolve from there.
fn yaml_path(root: &Path) -> PathBuf {
    let main = root.join("main.py");
    // `main.py` itself a link: its target's folder. Otherwise the install folder's real path,
    // resolved through the folders above it, which installs of one workspace share.
    let real = match std::fs::symlink_metadata(&main) {
        Ok(m) if m.file_type().is_symlink() => {
            platform::canonicalize(&main).ok().and_then(|m| m.parent().map(Path::to_path_buf))
        }
        _ => None,
    }
    .or_else(|| real_path(root).ok());
    real.unwrap_or_else(|| root.to_path_buf()).join(legacy_yaml::FILE_NAME)
}

/// `canonicalize` of a folder, remembering the answers for the folders above it: a folder that
/// is no link has the real path of its parent plus its name. Installs of one workspace share
/// all but their last two or three folders, so each of those is looked at once per run, not
/// once per install (`realpath` reads every component). Only plain absolute paths take this
/// way; anything else (`..`, a relative path, a prefix) is canonicalized as a whole.
fn real_path(path: &Path) -> std::io::Result<PathBuf> {
    use std::collections::HashMap;
    use std::path::Component;
    use std::sync::{Mutex, OnceLock};
    static KNOWN: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    let plain = path.is_absolute() && path.components().skip(1).all(|c| matches!(c, Component::Normal(_)));
    let (Some(parent), Some(name), true) = (path.parent(), path.file_name(), plain) else {
        return platform::canonicalize(path);
    };
    let known = KNOWN.get_or_init(Default::default);
    if let Some(p) = known.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
        return Ok(p.clone());
    }
    let meta = std::fs::symlink_metadata(path)?;
    let real = if meta.file_type().is_symlink() {
        platform::canonicalize(path)?
    } else if parent.parent().is_none() {
        path.to_path_buf()
    } else {
        real_path(parent)?.join(name)
    };
    known.lock().unwrap_or_else(|e| e.into_inner()).insert(path.to_path_buf(), real.clone());
    Ok(real)
}

/// Reads the global folder's state, walking it once for links (entry types come from the
/// folder listing; only links are looked at further, nothing is hashed).
pub fn inspect_global(dir: &ModelsDir) -> GlobalState {
    let kind = match std::fs::metadata(&dir.path) {
        Err(_) => GlobalKind::Missing,
        Ok(m) if !m.is_dir() => GlobalKind::NotDir,
        Ok(_) => GlobalKind::Dir {
            missing_subfolders: stock::standard_subfolders()
                .into_iter()
                .filter(|d| !dir.path.join(d).is_dir())
                .map(String::from)
                .collect(),
        },
    };
    let (links, bad_links) = if matches!(kind, GlobalKind::Dir { .. }) { links(&dir.path) } else { Default::default() };
    GlobalState { dir: dir.clone(), kind, bad_links, links }
}

/// Every link below `root` and those of them ComfyUI cannot follow.
fn links(root: &Path) -> (Vec<(PathBuf, LinkInfo)>, Vec<BadLink>) {
    let mut all = Vec::new();
    let mut out = Vec::new();
    // The root itself may be a link (a global folder on another disk): follow it, never below.
    let base = platform::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    for item in walkdir::WalkDir::new(&base).follow_links(false).sort_by_file_name().min_depth(1) {
        let Ok(item) = item else { continue };
        if !item.path_is_symlink() && !item.file_type().is_dir() {
            continue;
        }
        let Ok(Entry::Link(info)) = platform::entry(item.path()) else { continue };
        let rel = item.path().strip_prefix(&base).unwrap_or(item.path()).to_path_buf();
        all.push((rel.clone(), info.clone()));
        let problem = match &info.resolved {
            None if std::fs::symlink_metadata(item.path()).is_ok()
                && std::fs::metadata(item.path()).is_err_and(|e| platform::is_loop_error(&e)) =>
            {
                LinkProblem::Loop
            }
            None => LinkProblem::Dangling,
            // A folder link to the folder that holds it (or above): an endless walk.
            Some(t) if info.target_is_dir && item.path().parent().is_some_and(|p| platform::is_within(p, t)) => {
                LinkProblem::Loop
            }
            Some(_) => continue,
        };
        out.push(BadLink { rel, raw_target: info.raw_target, problem });
    }
    (all, out)
}

/// How much of a real `models/` an inspection keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every entry, parents before children: what a planner needs to move each of them.
    Full,
    /// What a report shows: the stock verdict, the first user entry, links and unreadable
    /// entries; files are counted (number and bytes) instead of kept once the folder is known
    /// to hold user data, so memory does not grow with the number of files.
    Report,
}

/// Walks a real `models/` keeping every entry (see [`read_tree_with`]).
pub fn read_tree(root: &Path) -> DirTree {
    read_tree_with(root, Detail::Full)
}

/// Walks a real `models/` (metadata only; links are recorded, not followed). Entry types come
/// from the folder listing; only files (for their size) and links (for their target) are looked
/// at further. A file is hashed only when its path and size match a stock config, at most once
/// per file per run ([`stock::matches`]), and no file is checked against the stock list once an
/// earlier entry decided the verdict.
pub fn read_tree_with(root: &Path, detail: Detail) -> DirTree {
    match detail {
        Detail::Full => read_tree_full(root),
        Detail::Report => read_tree_report(root),
    }
}

fn read_tree_full(root: &Path) -> DirTree {
    let mut tree = DirTree {
        entries: Vec::new(),
        stock_only: true,
        first_user_entry: None,
        unreadable: Vec::new(),
        counted: None,
    };
    let walker = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name().min_depth(1);
    for item in walker {
        let item = match item {
            Ok(i) => i,
            Err(e) => {
                // What cannot be read cannot be proven stock.
                tree.unreadable.push(e.to_string());
                if tree.stock_only {
                    tree.stock_only = false;
                    tree.first_user_entry = e.path().and_then(|p| p.strip_prefix(root).ok()).map(Path::to_path_buf);
                }
                continue;
            }
        };
        let rel = item.path().strip_prefix(root).unwrap_or(item.path()).to_path_buf();
        let ft = item.file_type();
        let mut meta = None;
        let kind = if item.path_is_symlink() {
            link_kind(item.path())
        } else if ft.is_dir() {
            dir_kind(item.path())
        } else if ft.is_file() {
            meta = item.metadata().ok();
            EntryKind::File { len: meta.as_ref().map_or(0, |m| m.len()) }
        } else {
            EntryKind::Other
        };
        if tree.stock_only && !is_stock(item.path(), &rel, &kind, meta.as_ref()) {
            tree.stock_only = false;
            tree.first_user_entry = Some(rel.clone());
        }
        tree.entries.push(TreeEntry { rel, kind });
    }
    tree
}

/// A link found by the walk, as the platform reads it.
fn link_kind(path: &Path) -> EntryKind {
    match platform::entry(path) {
        Ok(Entry::Link(info)) => EntryKind::Link(info),
        // A junction on Windows can read as a folder to walkdir; platform decides.
        Ok(Entry::Dir) => EntryKind::Dir,
        _ => EntryKind::Other,
    }
}

/// A folder found by the walk. On Unix the listing's type is final (a link is never typed as a
/// folder); Windows reports junctions as symlinks, but the platform has the last word there.
fn dir_kind(path: &Path) -> EntryKind {
    if cfg!(windows)
        && let Ok(Entry::Link(info)) = platform::entry(path)
    {
        return EntryKind::Link(info);
    }
    EntryKind::Dir
}

/// The report walk: unsorted listings streamed one folder at a time (memory grows with depth,
/// not with entries), the first user entry taken as the smallest in walk order (a sorted walk
/// meets entries in `Path` order, components compared in turn), entries kept only while the
/// folder is still all stock (links always), files otherwise counted.
fn read_tree_report(root: &Path) -> DirTree {
    let mut w = ReportWalk {
        tree: DirTree {
            entries: Vec::new(),
            stock_only: true,
            first_user_entry: None,
            unreadable: Vec::new(),
            counted: None,
        },
        files: 0,
        bytes: 0,
    };
    let mut rel = PathBuf::new();
    w.dir(root, &mut rel);
    let mut tree = w.tree;
    tree.entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    if !tree.stock_only {
        tree.counted = Some(FileCount { files: w.files, bytes: w.bytes });
    }
    tree
}

struct ReportWalk {
    tree: DirTree,
    files: u64,
    bytes: u64,
}

impl ReportWalk {
    /// Records a user entry (or an unreadable one): the verdict is "user data", and the first
    /// such entry in walk order is the one named.
    fn user_entry(&mut self, rel: &Path) {
        if self.tree.stock_only {
            self.tree.stock_only = false;
            // Only links and big files are kept from here on (the rest is counted).
            self.tree.entries.retain(|e| kept_when_counted(&e.kind));
        }
        if self.tree.first_user_entry.as_deref().is_none_or(|f| rel < f) {
            self.tree.first_user_entry = Some(rel.to_path_buf());
        }
    }

    fn unreadable(&mut self, path: &Path, rel: &Path, e: &std::io::Error) {
        self.tree.unreadable.push(format!("IO error for operation on {}: {e}", path.display()));
        self.user_entry(rel);
    }

    fn dir(&mut self, path: &Path, rel: &mut PathBuf) {
        let list = match std::fs::read_dir(path) {
            Ok(l) => l,
            Err(e) => return self.unreadable(path, rel, &e),
        };
        for item in list {
            let item = match item {
                Ok(i) => i,
                Err(e) => return self.unreadable(path, rel, &e),
            };
            rel.push(item.file_name());
            let child = item.path();
            let mut meta = None;
            let kind = match item.file_type() {
                Ok(ft) if ft.is_symlink() => link_kind(&child),
                Ok(ft) if ft.is_dir() => dir_kind(&child),
                Ok(ft) if ft.is_file() => {
                    meta = item.metadata().ok();
                    EntryKind::File { len: meta.as_ref().map_or(0, |m| m.len()) }
                }
                Ok(_) => EntryKind::Other,
                Err(e) => {
                    self.unreadable(&child, &rel.clone(), &e);
                    rel.pop();
                    continue;
                }
            };
            // Once a user entry is known, only an entry before it in walk order can change
            // which one is named: later ones are not checked (nor hashed).
            let decided = self.tree.first_user_entry.as_deref().is_some_and(|f| f < rel.as_path());
            let stock = decided || is_stock(&child, rel, &kind, meta.as_ref());
            if !stock {
                self.user_entry(&rel.clone());
            }
            if let EntryKind::File { len } = kind {
                self.files += 1;
                self.bytes += len;
            }
            let is_dir = matches!(kind, EntryKind::Dir);
            if self.tree.stock_only || kept_when_counted(&kind) {
                self.tree.entries.push(TreeEntry { rel: rel.clone(), kind });
            }
            if is_dir {
                self.dir(&child, rel);
            }
            rel.pop();
        }
    }
}

/// What a report walk keeps of a folder holding user data: links (the checks look at them) and
/// files over the size line's threshold (it compares them); not the many small files.
fn kept_when_counted(kind: &EntryKind) -> bool {
    match kind {
        EntryKind::Link(_) => true,
        EntryKind::File { len } => *len > crate::sizes::MIN_FILE_BYTES,
        _ => false,
    }
}

/// Relative path with `/` separators, as the stock list spells it.
pub fn slash_path(rel: &Path) -> String {
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Whether one entry of `models/` is something a fresh clone (or an OS) put there. `path` is
/// the entry on disk, `meta` its metadata when the walk read it (a stock config's identity for
/// the hash cache).
fn is_stock(path: &Path, rel: &Path, kind: &EntryKind, meta: Option<&std::fs::Metadata>) -> bool {
    match kind {
        EntryKind::Dir => true,
        EntryKind::File { len } => {
            let name = rel.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            if stock::is_placeholder_name(&name) && (*len == 0 || !name.starts_with("put_")) {
                return true;
            }
            // Name and size first: only a file that matches both is hashed.
            match stock::stock_file(&slash_path(rel)) {
                Some(s) if s.size == *len => stock::matches(path, s, meta),
                _ => false,
            }
        }
        EntryKind::Link(_) | EntryKind::Other => false,
    }
}

/// Human size: `1.5 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

#[cfg(test)]
// Most of these cases use Unix paths; elsewhere their helpers go unused.
#[cfg_attr(not(unix), allow(dead_code, unused_imports))]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    /// What a report shows of a tree: verdict, first user entry, counts, links, unreadable.
    type Shown = (bool, Option<PathBuf>, (u64, u64), Vec<(PathBuf, PathBuf)>, usize);

    fn shown(t: &DirTree) -> Shown {
        let links = t.links().map(|(r, l)| (r.to_path_buf(), l.raw_target.clone())).collect();
        (t.stock_only, t.first_user_entry.clone(), t.file_totals(), links, t.unreadable.len())
    }

    /// The report walk (unsorted, counting) shows what the full walk (sorted, keeping) shows.
    #[cfg(unix)]
    #[test]
    fn the_report_walk_shows_what_the_full_walk_shows() {
        type Build = fn(&Path);
        let cases: &[(&str, Build)] = &[
            ("empty", |_| {}),
            ("stock only", |r| {
                write(r, "checkpoints/put_checkpoints_here", b"");
                write(r, "loras/.gitkeep", b"");
                std::fs::create_dir_all(r.join("vae/deep/er")).unwrap();
            }),
            ("a user file last", |r| {
                write(r, "checkpoints/put_checkpoints_here", b"");
                write(r, "vae/z/last.safetensors", b"xyz");
            }),
            ("user files everywhere, first one deep", |r| {
                write(r, "a/b/c/first.bin", b"1");
                write(r, "a/c.bin", b"22");
                write(r, "b.bin", b"333");
                for i in 0..50 {
                    write(r, &format!("m/{}/{i}.pt", i % 7), &vec![b'x'; i]);
                }
            }),
            ("a stock name of the wrong size, and of the right size with other bytes", |r| {
                write(r, "configs/v1-inference.yaml", b"short");
                write(r, "configs/v2-inference.yaml", &vec![b'#'; 1789]);
            }),
            ("a non-empty put_ placeholder", |r| write(r, "loras/put_loras_here", b"data")),
            ("links only", |r| {
                std::os::unix::fs::symlink("../elsewhere", r.join("x")).unwrap();
                write(r, "d/put_d_here", b"");
                std::os::unix::fs::symlink("/nowhere", r.join("d/y")).unwrap();
            }),
            ("a user file before a link", |r| {
                write(r, "0.bin", b"0");
                std::os::unix::fs::symlink("0.bin", r.join("z")).unwrap();
            }),
        ];
        for (name, build) in cases {
            let t = tempfile::tempdir().unwrap();
            let root = t.path().join("models");
            std::fs::create_dir(&root).unwrap();
            build(&root);
            let full = read_tree_with(&root, Detail::Full);
            let report = read_tree_with(&root, Detail::Report);
            assert_eq!(shown(&report), shown(&full), "{name}");
            assert_eq!(report.is_complete(), full.stock_only, "{name}: only a user tree is counted");
            if full.stock_only {
                assert_eq!(report.entries, full.entries, "{name}: a stock tree is kept whole");
            }
        }
    }
}
