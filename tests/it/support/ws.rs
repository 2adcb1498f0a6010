//! [`Ws`], a temporary ComfyDock workspace.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use super::STANDARD_SUBFOLDERS;
use super::files::{make_comfyui, mkdir, write};
use super::inventory::{Content, Inventory, content_except, lstat_inventory};
use super::run::{Home, bin, run_json_cmd};
use super::stock::stock_tsv;

/// A temporary ComfyDock workspace.
///
/// Layout: `<base>/<name>` is the workspace (`.metadata/workspace.json`, `environments/`),
/// `<base>/outside` holds what must only be read (old link targets, nested link targets), and
/// `<base>/stock.tsv` the stock list override when one is set. The global folder is `<ws>/models`
/// unless it was put on another filesystem. `base` is also the HOME and the current folder of
/// [`Ws::cmd`].
pub struct Ws {
    _tmp: tempfile::TempDir,
    _other_fs: Option<tempfile::TempDir>,
    /// The temporary folder holding everything (workspace, outside, stock list); canonical on
    /// Unix, so paths the binary reports compare equal.
    pub base: PathBuf,
    pub root: PathBuf,
    pub outside: PathBuf,
    pub global: PathBuf,
    stock_tsv: Option<PathBuf>,
}

impl Default for Ws {
    fn default() -> Self {
        Self::new()
    }
}

impl Ws {
    /// A workspace `<base>/ws` whose workspace.json names `<ws>/models`, and that folder with
    /// every standard subfolder, so only the finding under test fires.
    pub fn new() -> Ws {
        Ws::named("ws")
    }

    /// The same with the workspace at `<base>/<name>` (spaces welcome).
    pub fn named(name: &str) -> Ws {
        let ws = Ws::empty(name);
        let global = ws.global.to_str().expect("temp path is UTF-8").to_string();
        ws.write_workspace_json(&serde_json::json!({
            "version": 1,
            "active_environment": "",
            "global_model_directory": {
                "path": global,
                "added_at": "2025-01-01T00:00:00Z",
                "last_sync": "2025-01-01T00:00:00Z"
            }
        }));
        ws.complete_global();
        ws
    }

    /// A workspace whose workspace.json names `models` (relative) and whose global folder does
    /// not exist yet.
    pub fn bare() -> Ws {
        let ws = Ws::empty("ws");
        ws.write_global_path("models");
        ws
    }

    /// `<base>/<name>` with only `environments/` (and `<base>/outside`): no workspace.json, no
    /// global folder.
    pub fn empty(name: &str) -> Ws {
        let tmp = tempfile::Builder::new().prefix("comfydoctor-test").tempdir().expect("tempdir");
        #[cfg(unix)]
        let base = tmp.path().canonicalize().expect("canonicalize tempdir");
        #[cfg(not(unix))]
        let base = tmp.path().to_path_buf();
        let root = base.join(name);
        let outside = base.join("outside");
        mkdir(root.join("environments"));
        mkdir(&outside);
        Ws { _tmp: tmp, _other_fs: None, global: root.join("models"), base, root, outside, stock_tsv: None }
    }

    /// A workspace whose global folder lies on another filesystem (`/dev/shm`), with every
    /// standard subfolder; `None` (with a printed reason) when no such filesystem is at hand.
    #[cfg(unix)]
    pub fn on_other_fs() -> Option<Ws> {
        use std::os::unix::fs::MetadataExt;
        let shm = Path::new("/dev/shm");
        let mut ws = Ws::bare();
        let (Ok(a), Ok(b)) = (std::fs::metadata(&ws.base), std::fs::metadata(shm)) else {
            eprintln!("SKIPPED: /dev/shm is not available, no second filesystem to test on");
            return None;
        };
        if a.dev() == b.dev() {
            eprintln!("SKIPPED: /dev/shm is on the same filesystem as the temp folder");
            return None;
        }
        let dir = match tempfile::Builder::new().prefix("cdfix-global").tempdir_in(shm) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("SKIPPED: cannot create a folder in /dev/shm: {e}");
                return None;
            }
        };
        ws.global = dir.path().canonicalize().unwrap().join("models");
        ws._other_fs = Some(dir);
        ws.complete_global();
        let g = ws.global.to_str().unwrap().to_string();
        ws.write_global_path(&g);
        Some(ws)
    }

    /// Elsewhere the tests have no second filesystem they can count on.
    #[cfg(not(unix))]
    pub fn on_other_fs() -> Option<Ws> {
        eprintln!("SKIPPED: no second filesystem to test on (the other-filesystem tests use /dev/shm)");
        None
    }

    /// Creates the global folder with every standard subfolder.
    pub fn complete_global(&self) {
        for d in STANDARD_SUBFOLDERS {
            mkdir(self.global.join(d));
        }
    }

    pub fn workspace_json(&self) -> PathBuf {
        self.root.join(".metadata").join("workspace.json")
    }

    pub fn write_workspace_json(&self, value: &Value) {
        write(self.workspace_json(), serde_json::to_string_pretty(value).unwrap());
    }

    /// A ComfyDock workspace.json whose global folder is `global` (as written: may be relative).
    pub fn write_global_path(&self, global: &str) {
        self.write_workspace_json(&serde_json::json!({
            "version": 1,
            "active_environment": "",
            "global_model_directory": {"path": global, "added_at": "2025-01-01T00:00:00Z", "last_sync": "2025-01-01T00:00:00Z"}
        }));
    }

    /// `environments/<name>` with `.cec/` and a ComfyUI folder (no `models`); returns `ComfyUI/`.
    pub fn env(&self, name: &str) -> PathBuf {
        let env = self.root.join("environments").join(name);
        mkdir(env.join(".cec"));
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

    /// An environment whose `models` is a relative link to the global folder, as ComfyDock makes
    /// (a junction, absolute, on Windows).
    pub fn healthy_env(&self, name: &str) -> PathBuf {
        let comfy = self.env(name);
        super::files::symlink("../../../models", comfy.join("models"));
        comfy
    }

    /// Replaces the stock file list with these (path relative to `models/`, content) pairs.
    pub fn set_stock(&mut self, files: &[(&str, &[u8])]) {
        let path = self.base.join("stock.tsv");
        write(&path, stock_tsv(files.iter().copied()));
        self.stock_tsv = Some(path);
    }

    pub fn journal_dir(&self) -> PathBuf {
        self.root.join(".comfydoctor")
    }

    /// The binary with a clean environment, HOME and the current folder set to `base`, the stock
    /// list of [`Ws::set_stock`] when there is one, and a time limit.
    pub fn cmd(&self) -> Command {
        let mut cmd = bin();
        cmd.home(&self.base).current_dir(&self.base).timeout(Duration::from_secs(120));
        if let Some(tsv) = &self.stock_tsv {
            cmd.env("COMFYDOCTOR_STOCK_TSV", tsv);
        }
        cmd
    }

    /// `scan --format json <ws> ARGS` with [`Ws::cmd`]; (exit code, JSON).
    pub fn scan_json(&self, args: &[&str]) -> (i32, Value) {
        let mut cmd = self.cmd();
        cmd.args(["scan", "--format", "json"]).arg(&self.root).args(args);
        run_json_cmd(&mut cmd)
    }

    /// Roots whose files make up the content inventory: the temp folder and, when it is
    /// elsewhere, the global folder.
    pub fn content_roots(&self) -> Vec<PathBuf> {
        let mut roots = vec![self.base.clone()];
        if !self.global.starts_with(&self.base) {
            roots.push(self.global.clone());
        }
        roots
    }

    /// The content inventory, leaving out the tool's own journal folder (its files change
    /// with every run; they are not user data).
    pub fn content(&self) -> Content {
        let journal = self.journal_dir();
        content_except(&self.content_roots(), &|p: &Path| p.starts_with(&journal))
    }

    /// Everything there is, with stamps (the temp folder, and the global folder when elsewhere).
    pub fn everything(&self) -> Inventory {
        let mut inv = lstat_inventory(&self.base, true);
        if !self.global.starts_with(&self.base) {
            for (k, v) in lstat_inventory(&self.global, true) {
                inv.insert(PathBuf::from("<global>").join(k), v);
            }
        }
        inv
    }

    /// Everything but the given installs' environment folders, the global folder and the
    /// journal folder, with stamps: what `fix` must never change. The workspace root itself is
    /// left out too (the journal folder appears in it).
    pub fn untouchable(&self, comfy_roots: &[&Path]) -> Inventory {
        let mut excluded: Vec<PathBuf> = comfy_roots.iter().map(|c| c.parent().unwrap().to_path_buf()).collect();
        excluded.push(self.global.clone());
        excluded.push(self.journal_dir());
        lstat_inventory(&self.base, true)
            .into_iter()
            .filter(|(k, _)| {
                let abs = self.base.join(k);
                abs != self.root && abs != self.base && !excluded.iter().any(|e| abs.starts_with(e))
            })
            .collect()
    }
}
