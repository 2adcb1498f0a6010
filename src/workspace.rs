//! Finding installs and the global models folder they should link to.
//!
//! A PATH can be a ComfyDock/ComfyGit workspace, one environment, a ComfyUI folder, or any folder
//! to search. Installs found inside a workspace take its global folder; the precedence of the
//! other sources is decided in [`resolve_models_dirs`].

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::exit_codes::ErrorKind;
use crate::platform;

/// Why the installs or their global folder could not be found.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(
        "{path}: no such file or folder (check the spelling, or run `comfydoctor scan` with no PATH to use the default workspace)"
    )]
    PathNotFound { path: PathBuf },

    #[error(
        "{path}: not a folder; pass a ComfyDock workspace, an environment, a ComfyUI folder, or a folder to search"
    )]
    PathNotDir { path: PathBuf },

    #[error("no ComfyUI install found; looked in: {looked}. Pass the folder that holds it: `comfydoctor scan PATH`")]
    NoInstalls { looked: String },

    #[error(
        "{path}: cannot read the workspace file: {reason}. Repair or move the file, or pass `--models-dir DIR` and the install folder"
    )]
    WorkspaceJson { path: PathBuf, reason: String },

    #[error(
        "{path}: cannot use comfydoctor's workspace config: {reason}. Repair or remove the file, or pass `--link-style`"
    )]
    LinkConfig { path: PathBuf, reason: String },
}

impl DiscoveryError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DiscoveryError::PathNotFound { .. } | DiscoveryError::PathNotDir { .. } => ErrorKind::Usage,
            DiscoveryError::NoInstalls { .. }
            | DiscoveryError::WorkspaceJson { .. }
            | DiscoveryError::LinkConfig { .. } => ErrorKind::Config,
        }
    }
}

type Result<T, E = DiscoveryError> = std::result::Result<T, E>;

/// Folders a search never descends into: model stores, VCS data, virtualenvs, node trees.
const PRUNED: &[&str] = &["models", ".git", ".venv", "venv", "custom_nodes", "node_modules"];

/// Files and folders that mark a ComfyUI checkout; three of them make one.
const COMFY_MARKERS: &[&str] = &["main.py", "folder_paths.py", "nodes.py", "comfy", "comfy_extras"];

/// The name of the folder that holds journals and the run lock.
pub const JOURNAL_DIR: &str = ".comfydoctor";

/// One ComfyUI install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// The environment name inside a workspace, else the ComfyUI folder's path as shown.
    pub name: String,
    /// The ComfyUI folder (holds `main.py` and `models`), absolute.
    pub root: PathBuf,
    /// The workspace root when the install is one of its environments.
    pub workspace: Option<PathBuf>,
}

impl Install {
    pub fn models_path(&self) -> PathBuf {
        self.root.join("models")
    }

    /// Where this install's journal (and lock) live: `<workspace>/.comfydoctor/`, or beside the
    /// ComfyUI folder when there is no workspace. Runs over installs of one workspace share it,
    /// so one `undo` reverses a whole `fix`.
    pub fn journal_dir(&self) -> PathBuf {
        match &self.workspace {
            Some(ws) => ws.join(JOURNAL_DIR),
            None => self.root.parent().unwrap_or(&self.root).join(JOURNAL_DIR),
        }
    }
}

/// Where the global models folder came from; shown so users know what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelsDirSource {
    Flag,
    Env,
    WorkspaceJson(PathBuf),
    WorkspaceDefault(PathBuf),
    LegacyYaml,
    ExistingLinks,
    /// `workspace.json` names a folder that is gone because the workspace was moved (or is seen
    /// at another path, as in a container): the same folder at the workspace's new place
    /// (`link_style::relocated`). `was` is what the file says.
    WorkspaceMoved {
        file: PathBuf,
        was: PathBuf,
    },
}

impl fmt::Display for ModelsDirSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelsDirSource::Flag => write!(f, "--models-dir"),
            ModelsDirSource::Env => write!(f, "COMFYDOCTOR_MODELS_DIR"),
            ModelsDirSource::WorkspaceJson(p) => write!(f, "{}", p.display()),
            ModelsDirSource::WorkspaceDefault(_) => write!(f, "ComfyDock's default"),
            ModelsDirSource::LegacyYaml => write!(f, "extra_model_paths.yaml"),
            ModelsDirSource::ExistingLinks => write!(f, "the existing models links"),
            ModelsDirSource::WorkspaceMoved { file, was } => {
                write!(f, "{} (it names {}, gone since the workspace moved)", file.display(), was.display())
            }
        }
    }
}

/// A global models folder and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelsDir {
    pub path: PathBuf,
    pub source: ModelsDirSource,
}

/// What discovery found under the given PATHs.
#[derive(Debug, Default)]
pub struct Discovery {
    pub installs: Vec<Install>,
    /// Folders that look like installs but are not counted, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Folders discovery could not read (so could not look into), with the reason. Always
    /// reported: an install may be hiding there.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Where discovery looked, for the "nothing found" message.
    pub looked: Vec<PathBuf>,
}

/// Whether `dir` is a ComfyDock/ComfyGit workspace root.
pub fn is_workspace(dir: &Path) -> bool {
    dir.join(".metadata").join("workspace.json").is_file() || dir.join("environments").is_dir()
}

/// Whether `dir` is a ComfyUI checkout (three markers or more).
pub fn is_comfyui(dir: &Path) -> bool {
    COMFY_MARKERS.iter().filter(|m| dir.join(m).exists()).count() >= 3
}

/// Discovers installs under the given paths (already made absolute), or the default places.
pub fn discover(paths: &[PathBuf], max_depth: usize) -> Result<Discovery> {
    let mut found = Discovery::default();
    if paths.is_empty() {
        for dir in default_roots() {
            found.looked.push(dir.clone());
            if dir.is_dir() {
                discover_one(&dir, max_depth, &mut found);
                if !found.installs.is_empty() {
                    break;
                }
            }
        }
    } else {
        for path in paths {
            match std::fs::metadata(path) {
                Err(_) => return Err(DiscoveryError::PathNotFound { path: path.clone() }),
                Ok(m) if !m.is_dir() => return Err(DiscoveryError::PathNotDir { path: path.clone() }),
                Ok(_) => {}
            }
            found.looked.push(path.clone());
            discover_one(path, max_depth, &mut found);
        }
    }
    let mut seen = BTreeSet::new();
    found.installs.retain(|i| seen.insert(platform::canonicalize(&i.root).unwrap_or_else(|_| i.root.clone())));
    Ok(found)
}

/// `$COMFYDOCK_HOME`, `$COMFYGIT_HOME`, the current folder, `~/comfydock`, `~/comfygit`.
fn default_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for var in ["COMFYDOCK_HOME", "COMFYGIT_HOME"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            roots.push(platform::normalize(Path::new(&v)));
        }
    }
    if let Ok(cwd) = std::env::current_dir() {
        roots.push(cwd);
    }
    if let Some(home) = home_dir() {
        roots.push(home.join("comfydock"));
        roots.push(home.join("comfygit"));
    }
    roots
}

fn discover_one(path: &Path, max_depth: usize, found: &mut Discovery) {
    if is_workspace(path) {
        discover_workspace(path, found);
    } else if is_comfyui(path) {
        add_install(path, found);
    } else if is_comfyui(&path.join("ComfyUI")) {
        add_install(&path.join("ComfyUI"), found);
    } else {
        search(path, max_depth, found);
    }
}

/// Environments of a workspace: `environments/<name>/ComfyUI`, counted only with `.cec/`.
fn discover_workspace(ws: &Path, found: &mut Discovery) {
    let envs_dir = ws.join("environments");
    let read = match std::fs::read_dir(&envs_dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            found.unreadable.push((envs_dir, unreadable_reason(&e)));
            return;
        }
    };
    let mut envs: Vec<PathBuf> = read.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    envs.sort();
    for env in envs {
        let comfy = env.join("ComfyUI");
        if let Err(e) = std::fs::read_dir(&env) {
            found.unreadable.push((env, unreadable_reason(&e)));
        } else if !env.join(".cec").is_dir() {
            found.skipped.push((env, lacks(&comfy, "no .cec/ folder: not a ComfyDock environment")));
        } else if !comfy.is_dir() {
            found.skipped.push((env, "no ComfyUI/ folder".into()));
        } else {
            add_install(&comfy, found);
        }
    }
}

fn search(root: &Path, max_depth: usize, found: &mut Discovery) {
    let mut walker =
        walkdir::WalkDir::new(root).follow_links(false).max_depth(max_depth).sort_by_file_name().into_iter();
    while let Some(item) = walker.next() {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                if let Some(path) = e.path() {
                    let reason = e.io_error().map(unreadable_reason).unwrap_or_else(|| e.to_string());
                    found.unreadable.push((path.to_path_buf(), reason));
                }
                continue;
            }
        };
        if !item.file_type().is_dir() {
            continue;
        }
        let path = item.path();
        if item.depth() > 0 && PRUNED.iter().any(|p| item.file_name() == *p) {
            walker.skip_current_dir();
            continue;
        }
        if item.depth() > 0 && is_workspace(path) {
            discover_workspace(path, found);
            walker.skip_current_dir();
        } else if is_comfyui(path) {
            add_install(path, found);
            walker.skip_current_dir();
        } else if let Some(missing) = almost_comfyui(path) {
            found.skipped.push((path.to_path_buf(), missing));
        }
    }
}

/// Why a folder could not be read, for people.
fn unreadable_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".into(),
        _ => format!("cannot be read: {e}"),
    }
}

/// An almost-install: some of ComfyUI's markers but not enough. Says which ones it lacks.
fn almost_comfyui(dir: &Path) -> Option<String> {
    let (have, lack): (Vec<&str>, Vec<&str>) = COMFY_MARKERS.iter().copied().partition(|m| dir.join(m).exists());
    (have.len() == 2 || have == ["folder_paths.py"])
        .then(|| format!("not a ComfyUI folder: has {} but lacks {} (3 are needed)", have.join(", "), lack.join(", ")))
}

/// `reason`, plus what the environment's ComfyUI folder lacks when it lacks something too.
fn lacks(comfy: &Path, reason: &str) -> String {
    match almost_comfyui(comfy) {
        Some(more) if comfy.is_dir() => format!("{reason}; its ComfyUI/ is {more}"),
        _ if !comfy.is_dir() => format!("{reason}, and no ComfyUI/ folder"),
        _ => reason.to_string(),
    }
}

/// Adds a ComfyUI folder, attaching the workspace it belongs to (`<ws>/environments/<env>/ComfyUI`)
/// and honouring ComfyDock's `.cec/` rule there.
fn add_install(root: &Path, found: &mut Discovery) {
    let env = root.parent();
    let ws = env
        .and_then(Path::parent)
        .filter(|p| p.file_name().is_some_and(|n| n == "environments"))
        .and_then(Path::parent);
    let in_workspace = ws.filter(|ws| is_workspace(ws) && root.file_name().is_some_and(|n| n == "ComfyUI"));
    if let (Some(ws), Some(env)) = (in_workspace, env) {
        if !env.join(".cec").is_dir() {
            found.skipped.push((env.to_path_buf(), "no .cec/ folder: not a ComfyDock environment".into()));
            return;
        }
        let name = env.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        found.installs.push(Install { name, root: root.to_path_buf(), workspace: Some(ws.to_path_buf()) });
    } else {
        found.installs.push(Install { name: display_path(root), root: root.to_path_buf(), workspace: None });
    }
}

/// The most of `workspace.json` that is read: ComfyDock's is a few hundred bytes, and the file is
/// read on every launch (the hook), so a runaway file is refused rather than parsed.
pub const WORKSPACE_JSON_LIMIT: u64 = 1 << 20;

/// `global_model_directory.path` of a workspace, if it says one. A file that cannot be read, does
/// not parse, is too large, or holds the key with another type than ComfyDock writes is an error
/// naming the file and the field: guessing would merge models into the wrong folder.
pub fn workspace_models_dir(ws: &Path) -> Result<Option<ModelsDir>> {
    let file = ws.join(".metadata").join("workspace.json");
    let fail = |reason: String| DiscoveryError::WorkspaceJson { path: file.clone(), reason };
    let bytes = match platform::read_bounded(&file, WORKSPACE_JSON_LIMIT) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            return Err(fail(format!(
                "larger than comfydoctor reads (limit {} MiB); ComfyDock writes a few hundred bytes",
                WORKSPACE_JSON_LIMIT >> 20
            )));
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
    let serde_json::Value::Object(top) = &json else {
        return Err(fail(format!("should hold a JSON object, found {}", json_kind(&json))));
    };
    let gmd = match top.get("global_model_directory") {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Object(gmd)) => gmd,
        Some(other) => {
            return Err(fail(format!(
                "global_model_directory should be an object with a \"path\", found {}",
                json_kind(other)
            )));
        }
    };
    match gmd.get("path") {
        Some(serde_json::Value::String(p)) if !p.is_empty() => {
            let p = Path::new(p);
            let path = if p.is_absolute() { p.to_path_buf() } else { platform::normalize(&ws.join(p)) };
            if let Some((_, moved)) = crate::link_style::relocated(&path, ws) {
                return Ok(Some(ModelsDir {
                    path: moved,
                    source: ModelsDirSource::WorkspaceMoved { file, was: path },
                }));
            }
            Ok(Some(ModelsDir { path, source: ModelsDirSource::WorkspaceJson(file) }))
        }
        Some(serde_json::Value::Null) | None => Ok(None),
        Some(other) => Err(fail(format!("global_model_directory.path should be a string, found {other}"))),
    }
}

fn json_kind(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".into(),
        serde_json::Value::Bool(b) => format!("the boolean {b}"),
        serde_json::Value::Number(n) => format!("the number {n}"),
        serde_json::Value::String(_) => "a string".into(),
        serde_json::Value::Array(_) => "a list".into(),
        serde_json::Value::Object(_) => "an object".into(),
    }
}

/// The user's home folder.
pub fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// A path for people: the home folder shown as `~`.
pub fn display_path(path: &Path) -> String {
    if let Some(home) = home_dir()
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return if rest.as_os_str().is_empty() {
            "~".into()
        } else {
            format!("~{}{}", std::path::MAIN_SEPARATOR, rest.display())
        };
    }
    path.display().to_string()
}

/// Picks each install's global folder: `override_dir` (flag or environment variable) >
/// the workspace's `global_model_directory.path` > the folder all legacy YAML files agree on >
/// ComfyDock's default `<workspace>/models` when the workspace has a `workspace.json` > the
/// folder every install's `models` link points at, when all are links (after a migration the
/// link is the record).
/// `inferred[i]` is what install `i`'s YAML implies; `linked[i]` where its `models` link points.
pub fn resolve_models_dirs(
    installs: &[Install],
    override_dir: Option<&ModelsDir>,
    inferred: &[Option<PathBuf>],
    linked: &[Option<PathBuf>],
) -> Result<Vec<Option<ModelsDir>>> {
    let from_yaml = agreed(inferred).map(|path| ModelsDir { path, source: ModelsDirSource::LegacyYaml });
    // Links only confirm a migration already done: never a guess that would move data.
    let all_linked = linked.iter().all(Option::is_some);
    let from_links =
        agreed(linked).filter(|_| all_linked).map(|path| ModelsDir { path, source: ModelsDirSource::ExistingLinks });
    let mut out = Vec::with_capacity(installs.len());
    for install in installs {
        if let Some(dir) = override_dir {
            out.push(Some(dir.clone()));
            continue;
        }
        let mut chosen = None;
        if let Some(ws) = &install.workspace {
            chosen = workspace_models_dir(ws)?;
        }
        if chosen.is_none() {
            chosen = from_yaml.clone();
        }
        if chosen.is_none()
            && let Some(ws) =
                install.workspace.as_ref().filter(|ws| ws.join(".metadata").join("workspace.json").is_file())
        {
            chosen = Some(ModelsDir { path: ws.join("models"), source: ModelsDirSource::WorkspaceDefault(ws.clone()) });
        }
        out.push(chosen.or_else(|| from_links.clone()));
    }
    Ok(out)
}

/// The one folder all the given paths name (after resolving), or `None` when there is none or
/// they disagree.
fn agreed(paths: &[Option<PathBuf>]) -> Option<PathBuf> {
    let mut found: Option<&PathBuf> = None;
    for p in paths.iter().flatten() {
        match found {
            None => found = Some(p),
            Some(a) if platform::same_dir(a, p) => {}
            Some(_) => return None,
        }
    }
    found.cloned()
}
