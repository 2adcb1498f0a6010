//! Builders for the checks' unit tests: one fake install at a fixed path, its `models` entry in
//! every state, a global folder, a YAML file and git, all built in memory. Nothing here reads or
//! writes the disk (the YAML is parsed from a string), so the paths need not exist.

use std::path::{Path, PathBuf};

use super::finding::{Check, Finding};
use crate::check_id::CheckId;
use crate::git::{GitModels, GitState};
use crate::inspect::{DirTree, EntryKind, GlobalKind, GlobalState, Inspection, ModelsState, TreeEntry};
use crate::legacy_yaml::{self, LegacyYaml, YamlError};
use crate::platform::{LinkInfo, LinkKind};
use crate::workspace::{Install, ModelsDir, ModelsDirSource};

/// The fake workspace root: `/ws` (`C:\ws` on Windows, where `/ws` is not absolute).
pub fn ws() -> PathBuf {
    if cfg!(windows) { PathBuf::from(r"C:\ws") } else { PathBuf::from("/ws") }
}

/// The install's ComfyUI folder: `<ws>/environments/a/ComfyUI`.
pub fn root() -> PathBuf {
    ws().join("environments").join("a").join("ComfyUI")
}

/// The global models folder every test install should link to: `<ws>/models`.
pub fn global_path() -> PathBuf {
    ws().join("models")
}

/// Some other folder a link may point at: `<ws>/old-models`.
pub fn elsewhere() -> PathBuf {
    ws().join("old-models")
}

/// The workspace's `.metadata/workspace.json`, the global folder's source in these tests.
pub fn workspace_json() -> PathBuf {
    ws().join(".metadata").join("workspace.json")
}

/// Environment `a` of the workspace.
pub fn install() -> Install {
    Install { name: "a".into(), root: root(), workspace: Some(ws()) }
}

/// The same folder found outside any workspace.
pub fn standalone_install() -> Install {
    Install { name: root().display().to_string(), root: root(), workspace: None }
}

fn link_kind() -> LinkKind {
    if cfg!(windows) { LinkKind::Junction } else { LinkKind::Symlink }
}

/// A link to an existing folder.
pub fn dir_link(target: &Path) -> LinkInfo {
    LinkInfo { kind: link_kind(), raw_target: target.into(), resolved: Some(target.into()), target_is_dir: true }
}

/// A dangling link, its target stored as `raw`.
pub fn broken_link(raw: &Path) -> LinkInfo {
    LinkInfo { kind: link_kind(), raw_target: raw.into(), resolved: None, target_is_dir: false }
}

/// A link to an existing regular file.
pub fn file_link(target: &Path) -> LinkInfo {
    LinkInfo { kind: link_kind(), raw_target: target.into(), resolved: Some(target.into()), target_is_dir: false }
}

fn dir(rel: &str) -> TreeEntry {
    TreeEntry { rel: rel.into(), kind: EntryKind::Dir }
}

fn file(rel: &str, len: u64) -> TreeEntry {
    TreeEntry { rel: rel.into(), kind: EntryKind::File { len } }
}

/// A fresh clone's `models/`: one 0-byte placeholder and one stock config with content.
pub fn stock_tree() -> DirTree {
    DirTree {
        entries: vec![
            dir("checkpoints"),
            file("checkpoints/put_checkpoints_here", 0),
            dir("configs"),
            file("configs/v1-inference.yaml", 1873),
        ],
        stock_only: true,
        first_user_entry: None,
        unreadable: Vec::new(),
        counted: None,
    }
}

/// A `models/` holding user data: a placeholder, a 2 GiB checkpoint, a 1 KiB LoRA and a nested
/// link `loras/shared` → `<elsewhere>/loras`.
pub fn user_tree() -> DirTree {
    DirTree {
        entries: vec![
            dir("checkpoints"),
            file("checkpoints/put_checkpoints_here", 0),
            file("checkpoints/sd15.safetensors", 2 * 1024 * 1024 * 1024),
            dir("loras"),
            file("loras/mine.safetensors", 1024),
            TreeEntry { rel: "loras/shared".into(), kind: EntryKind::Link(dir_link(&elsewhere().join("loras"))) },
        ],
        stock_only: false,
        first_user_entry: Some("checkpoints/sd15.safetensors".into()),
        unreadable: Vec::new(),
        counted: None,
    }
}

/// Every state `models` can be in, each with a name for table-driven tests:
/// `missing`, `healthy-link` (to [`global_path`]), `broken-link`, `wrong-target-link` (to
/// [`elsewhere`]), `file-link`, `stock-dir`, `user-dir`, `not-dir`.
pub fn models_states() -> Vec<(&'static str, ModelsState)> {
    vec![
        ("missing", ModelsState::Missing),
        ("healthy-link", ModelsState::Link(dir_link(&global_path()))),
        ("broken-link", ModelsState::Link(broken_link(&ws().join("gone")))),
        ("wrong-target-link", ModelsState::Link(dir_link(&elsewhere()))),
        ("file-link", ModelsState::Link(file_link(&ws().join("models.zip")))),
        ("stock-dir", ModelsState::RealDir(stock_tree())),
        ("user-dir", ModelsState::RealDir(user_tree())),
        ("not-dir", ModelsState::NotDir("a regular file of 12 bytes".into())),
    ]
}

/// The global folder at [`global_path`], from the workspace's `workspace.json`.
pub fn global(kind: GlobalKind) -> GlobalState {
    GlobalState {
        dir: ModelsDir { path: global_path(), source: ModelsDirSource::WorkspaceJson(workspace_json()) },
        kind,
        bad_links: Vec::new(),
        links: Vec::new(),
    }
}

/// A global folder with every standard subfolder.
pub fn global_ok() -> GlobalState {
    global(GlobalKind::Dir { missing_subfolders: Vec::new() })
}

/// A global folder lacking the given standard subfolders.
pub fn global_lacking(missing: &[&str]) -> GlobalState {
    global(GlobalKind::Dir { missing_subfolders: missing.iter().map(|s| s.to_string()).collect() })
}

/// The install with `models` in the given state, a healthy global folder, no YAML, no git.
/// Vary the rest with struct update: `Inspection { global: None, ..inspection(m) }`.
pub fn inspection(models: ModelsState) -> Inspection {
    Inspection {
        install: install(),
        models,
        yaml: None,
        git: GitState::NotARepo,
        global: Some(global_ok()),
        models_is_global: false,
        link: Default::default(),
        detached: None,
        unfinished_run: None,
        protection_lost: None,
    }
}

/// A healthy install: `models` links to the global folder.
pub fn healthy() -> Inspection {
    inspection(ModelsState::Link(dir_link(&global_path())))
}

/// Where the install's `extra_model_paths.yaml` is.
pub fn yaml_path() -> PathBuf {
    root().join(legacy_yaml::FILE_NAME)
}

/// `extra_model_paths.yaml` with this text, parsed (from memory) as if read from [`yaml_path`],
/// with no home folder and an empty environment.
pub fn yaml(text: &str) -> Option<Result<LegacyYaml, YamlError>> {
    Some(legacy_yaml::parse_str(text, &yaml_path(), None, &|_| None))
}

/// A ComfyDock-style section: `base_path: <base>` with `checkpoints` and `loras` under it.
pub fn comfydock_section(name: &str, base: &Path) -> String {
    format!("{name}:\n  base_path: '{}'\n  checkpoints: checkpoints/\n  loras: loras/\n", base.display())
}

/// A git checkout whose index tracks `tracked` paths under `models/`.
pub fn git_repo(tracked: usize, not_skipped: usize, sparse_excludes_models: bool) -> GitState {
    GitState::Repo(GitModels { git_dir: root().join(".git"), tracked, not_skipped, sparse_excludes_models })
}

/// Runs one check on an inspection, with the inspection's own global folder.
pub fn run(check: &Check, inspection: &Inspection) -> Option<Finding> {
    (check.run)(inspection, inspection.global.as_ref())
}

/// Runs one check and asserts it fired as `id` (the kebab-case ID); returns the finding.
#[track_caller]
pub fn fired(check: &Check, id: CheckId, inspection: &Inspection) -> Finding {
    let finding = run(check, inspection).unwrap_or_else(|| panic!("{id} stayed silent on {inspection:#?}"));
    assert_eq!(finding.check, id);
    finding
}

/// The names of the [`models_states`] on which the check fires, with this global folder.
pub fn fires_on(check: &Check, global: Option<GlobalState>) -> Vec<&'static str> {
    models_states()
        .into_iter()
        .filter(|(_, models)| {
            run(check, &Inspection { global: global.clone(), ..inspection(models.clone()) }).is_some()
        })
        .map(|(name, _)| name)
        .collect()
}

/// Asserts that `text` names `path`, as the report shows it (`~` for the home folder) or as is.
#[track_caller]
pub fn assert_names(text: &str, path: &Path) {
    let (shown, plain) = (crate::workspace::display_path(path), path.display().to_string());
    assert!(text.contains(&shown) || text.contains(&plain), "{text:?} does not name {plain}");
}
