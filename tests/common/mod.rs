//! Shared helpers of the integration tests: temporary ComfyDock workspaces, links, stock trees, an
//! lstat inventory of a folder, and ways to run the binary with a clean environment.
//!
//! Every test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Variables of the user's environment that change what the binary does; cleared in every child.
pub const ENV_CLEARED: &[&str] = &[
    "COMFYDOCTOR_MODELS_DIR",
    "COMFYDOCK_HOME",
    "COMFYGIT_HOME",
    "COMFYDOCTOR_STOCK_TSV",
    "CLICOLOR_FORCE",
    "CLICOLOR",
    "COLUMNS",
];

/// ComfyUI's standard subfolders of `models/` (a global folder holding all of them is complete).
pub const STANDARD_SUBFOLDERS: &[&str] = &[
    "audio_encoders",
    "checkpoints",
    "clip",
    "clip_vision",
    "configs",
    "controlnet",
    "diffusers",
    "diffusion_models",
    "embeddings",
    "gligen",
    "hypernetworks",
    "loras",
    "model_patches",
    "photomaker",
    "style_models",
    "text_encoders",
    "unet",
    "upscale_models",
    "vae",
    "vae_approx",
];

/// Every check ID of the contract, in report order.
pub const ALL_CHECK_IDS: &[&str] = &[
    "models-dir-unknown",
    "global-missing",
    "global-layout",
    "global-link-broken",
    "link-missing",
    "link-broken",
    "link-wrong-target",
    "models-not-dir",
    "placeholder-only",
    "models-dir-real",
    "legacy-yaml",
    "git-tracks-models",
];

/// The binary with a clean environment: none of [`ENV_CLEARED`], no colours, `git` kept quiet.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("comfydoctor").expect("binary built");
    for var in ENV_CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs `cmd`, returning the exit code, stdout and stderr.
pub fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("binary runs");
    let code = out.status.code().expect("exited normally (no signal)");
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Parses the stdout of `scan --format json`, panicking with the text when it is not JSON.
pub fn parse_json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"))
}

/// Runs `comfydoctor scan --format json ARGS` with a clean environment; (exit code, JSON).
pub fn run_json<I, S>(args: I) -> (i32, Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = bin();
    cmd.arg("scan").arg("--format").arg("json").args(args);
    run_json_cmd(&mut cmd)
}

/// Runs a prepared command that prints JSON; (exit code, JSON). Checks the JSON shape too.
pub fn run_json_cmd(cmd: &mut Command) -> (i32, Value) {
    let (code, stdout, stderr) = output(cmd);
    assert!(code == 0 || code == 1, "scan failed with {code}; stderr:\n{stderr}\nstdout:\n{stdout}");
    let json = parse_json(&stdout);
    assert_shape(&json);
    (code, json)
}

/// Asserts the schema-1 shape of a scan document and that the summary adds up.
pub fn assert_shape(json: &Value) {
    assert_eq!(json["schema"], 1, "schema: {json:#}");
    assert!(json["models_dir"].is_string() || json["models_dir"].is_null(), "models_dir: {json:#}");
    let installs = json["installs"].as_array().unwrap_or_else(|| panic!("installs is no array: {json:#}"));
    let (mut errors, mut warnings, mut infos) = (0, 0, 0);
    for install in installs {
        assert!(install["name"].is_string(), "install name: {install:#}");
        assert!(install["path"].is_string(), "install path: {install:#}");
        let findings = install["findings"].as_array().unwrap_or_else(|| panic!("findings: {install:#}"));
        for f in findings {
            let check = f["check"].as_str().unwrap_or_else(|| panic!("check: {f:#}"));
            assert!(ALL_CHECK_IDS.contains(&check), "unknown check ID {check}");
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "message: {f:#}");
            assert!(f["fix"].is_string() || f["fix"].is_null(), "fix: {f:#}");
            match f["severity"].as_str() {
                Some("error") => errors += 1,
                Some("warning") => warnings += 1,
                Some("info") => infos += 1,
                other => panic!("severity {other:?} in {f:#}"),
            }
        }
    }
    let summary = &json["summary"];
    assert_eq!(summary["installs"], installs.len(), "summary.installs: {json:#}");
    assert_eq!(summary["errors"], errors, "summary.errors: {json:#}");
    assert_eq!(summary["warnings"], warnings, "summary.warnings: {json:#}");
    assert_eq!(summary["infos"], infos, "summary.infos: {json:#}");
}

/// The install named `name` in a scan document.
pub fn install<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["installs"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == name))
        .unwrap_or_else(|| panic!("no install named {name}: {json:#}"))
}

/// The install names of a scan document, in report order.
pub fn names(json: &Value) -> Vec<String> {
    json["installs"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_string()).collect()
}

/// The check IDs of one install, in report order.
pub fn ids(json: &Value, name: &str) -> Vec<String> {
    install(json, name)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect()
}

/// The check IDs of one install that are errors or warnings.
pub fn problem_ids(json: &Value, name: &str) -> Vec<String> {
    install(json, name)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect()
}

/// The single finding `check` of install `name` (panics when there is not exactly one).
pub fn finding<'a>(json: &'a Value, name: &str, check: &str) -> &'a Value {
    let found: Vec<&Value> =
        install(json, name)["findings"].as_array().unwrap().iter().filter(|f| f["check"] == check).collect();
    assert_eq!(found.len(), 1, "expected one {check} finding on {name}: {json:#}");
    found[0]
}

/// Every install name → its check IDs.
pub fn all_ids(json: &Value) -> BTreeMap<String, Vec<String>> {
    names(json).into_iter().map(|n| (n.clone(), ids(json, &n))).collect()
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Writes `bytes` to `path`, creating its parents.
pub fn write(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) {
    let path = path.as_ref();
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, bytes).unwrap();
}

/// Makes `dir` a ComfyUI folder: `main.py`, `folder_paths.py`, `nodes.py`, `comfy/`, `comfy_extras/`.
pub fn make_comfyui(dir: &Path) {
    fs::create_dir_all(dir.join("comfy")).unwrap();
    fs::create_dir_all(dir.join("comfy_extras")).unwrap();
    for f in ["main.py", "folder_paths.py", "nodes.py"] {
        write(dir.join(f), format!("# {f}\n"));
    }
}

/// A folder link at `link` pointing at `target` (stored as given: may be relative).
#[cfg(unix)]
pub fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    let link = link.as_ref();
    if let Some(parent) = link.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    std::os::unix::fs::symlink(target.as_ref(), link).unwrap();
}

/// A temporary ComfyDock workspace at `<tmp>/ws`: `.metadata/workspace.json` naming `<ws>/models`,
/// and that folder with every standard subfolder. `tmp` is also the HOME of [`Ws::cmd`].
pub struct Ws {
    pub tmp: TempDir,
    pub root: PathBuf,
}

impl Default for Ws {
    fn default() -> Self {
        Self::new()
    }
}

impl Ws {
    pub fn new() -> Self {
        Self::named("ws")
    }

    /// A workspace whose folder is `<tmp>/<name>` (spaces welcome).
    pub fn named(name: &str) -> Self {
        let ws = Self::empty(name);
        let global = ws.global();
        ws.write_workspace_json(&serde_json::json!({
            "version": 1,
            "active_environment": "",
            "global_model_directory": {
                "path": global.to_str().expect("temp path is UTF-8"),
                "added_at": "2025-01-01T00:00:00Z",
                "last_sync": "2025-01-01T00:00:00Z"
            }
        }));
        ws.complete_global();
        ws
    }

    /// `<tmp>/<name>` with only `environments/`: no workspace.json, no global folder.
    pub fn empty(name: &str) -> Self {
        let tmp = tempfile::Builder::new().prefix("comfydoctor-test").tempdir().unwrap();
        let root = tmp.path().join(name);
        fs::create_dir_all(root.join("environments")).unwrap();
        Ws { tmp, root }
    }

    /// `<ws>/models`, the folder workspace.json names.
    pub fn global(&self) -> PathBuf {
        self.root.join("models")
    }

    /// Creates the global folder with every standard subfolder.
    pub fn complete_global(&self) {
        for d in STANDARD_SUBFOLDERS {
            fs::create_dir_all(self.global().join(d)).unwrap();
        }
    }

    pub fn workspace_json(&self) -> PathBuf {
        self.root.join(".metadata").join("workspace.json")
    }

    pub fn write_workspace_json(&self, value: &Value) {
        write(self.workspace_json(), serde_json::to_string_pretty(value).unwrap());
    }

    /// `environments/<name>` with `.cec/` and a ComfyUI folder (no `models`); returns `ComfyUI/`.
    pub fn env(&self, name: &str) -> PathBuf {
        let env = self.root.join("environments").join(name);
        fs::create_dir_all(env.join(".cec")).unwrap();
        write(env.join(".cec").join(".complete"), "");
        let comfy = env.join("ComfyUI");
        make_comfyui(&comfy);
        comfy
    }

    /// An environment folder without `.cec/` (ComfyDock does not count it); returns `ComfyUI/`.
    pub fn env_without_cec(&self, name: &str) -> PathBuf {
        let comfy = self.root.join("environments").join(name).join("ComfyUI");
        make_comfyui(&comfy);
        comfy
    }

    /// An environment whose `models` is a relative link to the global folder, as ComfyDock makes.
    #[cfg(unix)]
    pub fn healthy_env(&self, name: &str) -> PathBuf {
        let comfy = self.env(name);
        symlink("../../../models", comfy.join("models"));
        comfy
    }

    /// The binary with a clean environment, HOME and the current folder set to the temp root.
    pub fn cmd(&self) -> Command {
        let mut cmd = bin();
        cmd.env("HOME", self.tmp.path()).current_dir(self.tmp.path());
        cmd
    }

    /// `scan --format json <ws> ARGS` with [`Ws::cmd`]; (exit code, JSON).
    pub fn scan_json(&self, args: &[&str]) -> (i32, Value) {
        let mut cmd = self.cmd();
        cmd.args(["scan", "--format", "json"]).arg(&self.root).args(args);
        run_json_cmd(&mut cmd)
    }
}

/// A stock tree made of generated content: what a fresh clone's `models/` would hold, with the
/// TSV that tells a debug binary (through `COMFYDOCTOR_STOCK_TSV`) these files are stock.
pub struct StockTree {
    /// (path relative to `models/`, bytes)
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for StockTree {
    fn default() -> Self {
        Self::new()
    }
}

impl StockTree {
    /// Three "configs" of generated YAML plus 0-byte placeholders in three folders.
    pub fn new() -> Self {
        let mut files = Vec::new();
        for (i, name) in ["v1-inference.yaml", "v2-inference.yaml", "anything_v3.yaml"].iter().enumerate() {
            let mut text = format!("# generated stock config {name}\nmodel:\n  target: stock.Model{i}\n");
            for k in 0..(20 + i * 7) {
                text.push_str(&format!("  param_{k}: {}\n", k * 31 + i));
            }
            files.push((format!("configs/{name}"), text.into_bytes()));
        }
        for p in ["checkpoints/put_checkpoints_here", "loras/put_loras_here", "vae/put_vae_here"] {
            files.push((p.to_string(), Vec::new()));
        }
        StockTree { files }
    }

    /// The TSV form: header, then `models/<path>\t<size>\t<sha256>`.
    pub fn tsv(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut out = String::from("path\tsize\tsha256\n");
        for (path, bytes) in &self.files {
            let hash: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!("models/{path}\t{}\t{hash}\n", bytes.len()));
        }
        out
    }

    /// Writes the TSV to `path` and returns it.
    pub fn write_tsv(&self, path: &Path) -> PathBuf {
        write(path, self.tsv());
        path.to_path_buf()
    }

    /// Writes every file under `models`.
    pub fn materialize(&self, models: &Path) {
        fs::create_dir_all(models).unwrap();
        for (path, bytes) in &self.files {
            write(models.join(path), bytes);
        }
    }

    /// The relative paths of the configs (files with content).
    pub fn configs(&self) -> Vec<&str> {
        self.files.iter().filter(|(_, b)| !b.is_empty()).map(|(p, _)| p.as_str()).collect()
    }
}

/// What `lstat` says about one path: kind, size, permission bits, mtime, link target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: &'static str,
    pub size: u64,
    pub mode: u32,
    pub mtime: Option<std::time::SystemTime>,
    pub link_target: Option<PathBuf>,
}

/// An lstat inventory of `root` and everything under it, links never followed. Two equal
/// inventories mean nothing was created, removed, renamed, re-pointed, resized or touched.
pub fn inventory(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()));
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            "link"
        } else if ft.is_dir() {
            "dir"
        } else if ft.is_file() {
            "file"
        } else {
            "other"
        };
        let link_target = ft.is_symlink().then(|| fs::read_link(&path).unwrap());
        if ft.is_dir() {
            for e in fs::read_dir(&path).unwrap() {
                stack.push(e.unwrap().path());
            }
        }
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        out.insert(rel, Node { kind, size: meta.len(), mode: mode(&meta), mtime: meta.modified().ok(), link_target });
    }
    out
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

/// Asserts two inventories are equal, naming the first differences.
pub fn assert_same_inventory(before: &BTreeMap<PathBuf, Node>, after: &BTreeMap<PathBuf, Node>) {
    if before == after {
        return;
    }
    let mut diffs = Vec::new();
    for (p, n) in before {
        match after.get(p) {
            None => diffs.push(format!("removed: {}", p.display())),
            Some(m) if m != n => diffs.push(format!("changed: {}: {n:?} -> {m:?}", p.display())),
            _ => {}
        }
    }
    for p in after.keys().filter(|p| !before.contains_key(*p)) {
        diffs.push(format!("created: {}", p.display()));
    }
    panic!("the filesystem changed:\n{}", diffs.join("\n"));
}

/// Runs `git` in `dir` with a fixed identity and no user/system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether a `git` binary is available (the git tests need one; CI installs it).
pub fn has_git() -> bool {
    std::process::Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success())
}
