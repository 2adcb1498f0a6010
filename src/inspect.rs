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
}

impl DirTree {
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
    let models_path = install.models_path();
    let models = match platform::entry(&models_path) {
        Ok(Entry::Missing) => ModelsState::Missing,
        Ok(Entry::Dir) => ModelsState::RealDir(read_tree(&models_path)),
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
    let real = platform::canonicalize(&root.join("main.py"))
        .ok()
        .and_then(|m| m.parent().map(Path::to_path_buf))
        .or_else(|| platform::canonicalize(root).ok());
    real.unwrap_or_else(|| root.to_path_buf()).join(legacy_yaml::FILE_NAME)
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

/// Walks a real `models/` (metadata only; links are recorded, not followed). Hashing happens
/// only for files whose path and size match a stock config, and stops at the first non-stock entry.
pub fn read_tree(root: &Path) -> DirTree {
    let mut tree = DirTree { entries: Vec::new(), stock_only: true, first_user_entry: None, unreadable: Vec::new() };
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
        let kind = if item.path_is_symlink() {
            match platform::entry(item.path()) {
                Ok(Entry::Link(info)) => EntryKind::Link(info),
                // A junction on Windows can read as a folder to walkdir; platform decides.
                Ok(Entry::Dir) => EntryKind::Dir,
                _ => EntryKind::Other,
            }
        } else if item.file_type().is_dir() {
            // Windows junctions are reported by std as symlinks, so walkdir never enters them.
            match platform::entry(item.path()) {
                Ok(Entry::Link(info)) => EntryKind::Link(info),
                _ => EntryKind::Dir,
            }
        } else if item.file_type().is_file() {
            EntryKind::File { len: item.metadata().map(|m| m.len()).unwrap_or(0) }
        } else {
            EntryKind::Other
        };
        if tree.stock_only && !is_stock(root, &rel, &kind) {
            tree.stock_only = false;
            tree.first_user_entry = Some(rel.clone());
        }
        tree.entries.push(TreeEntry { rel, kind });
    }
    tree
}

/// Relative path with `/` separators, as the stock list spells it.
pub fn slash_path(rel: &Path) -> String {
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Whether one entry of `models/` is something a fresh clone (or an OS) put there.
fn is_stock(root: &Path, rel: &Path, kind: &EntryKind) -> bool {
    match kind {
        EntryKind::Dir => true,
        EntryKind::File { len } => {
            let name = rel.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            if stock::is_placeholder_name(&name) && (*len == 0 || !name.starts_with("put_")) {
                return true;
            }
            match stock::stock_file(&slash_path(rel)) {
                Some(s) if s.size == *len => {
                    crate::digest::sha256_file(&root.join(rel)).is_ok_and(|(_, h)| h == s.sha256)
                }
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
