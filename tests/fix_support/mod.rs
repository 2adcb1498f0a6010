//! Shared helpers for the `fix` / `undo` / interruption tests: a temporary ComfyDock workspace
//! builder, lstat and content inventories, an emulation of what ComfyUI lists, and run helpers
//! that drive the real binary with a clean environment.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

#[path = "../common/mod.rs"]
mod common;

/// ComfyUI's standard subfolders of `models/` (as a fresh clone has them).
pub use common::STANDARD_SUBFOLDERS as STANDARD;

/// ComfyUI's folder keys and the folders under `models/` each one reads (`diffusers` lists
/// folders, not files, and is left out).
pub const KEYS: &[(&str, &[&str])] = &[
    ("checkpoints", &["checkpoints"]),
    ("configs", &["configs"]),
    ("loras", &["loras"]),
    ("vae", &["vae"]),
    ("text_encoders", &["text_encoders", "clip"]),
    ("diffusion_models", &["unet", "diffusion_models"]),
    ("clip_vision", &["clip_vision"]),
    ("style_models", &["style_models"]),
    ("embeddings", &["embeddings"]),
    ("vae_approx", &["vae_approx"]),
    ("controlnet", &["controlnet", "t2i_adapter"]),
    ("gligen", &["gligen"]),
    ("upscale_models", &["upscale_models"]),
    ("hypernetworks", &["hypernetworks"]),
    ("photomaker", &["photomaker"]),
    ("classifiers", &["classifiers"]),
    ("model_patches", &["model_patches"]),
    ("audio_encoders", &["audio_encoders"]),
];

pub const MODEL_EXTENSIONS: &[&str] = &["ckpt", "pt", "pt2", "bin", "pth", "safetensors", "pkl", "sft"];

// ---------------------------------------------------------------------------------------------
// Workspace builder
// ---------------------------------------------------------------------------------------------

/// A temporary ComfyDock workspace.
///
/// Layout: `<tmp>/ws` is the workspace (`.metadata/workspace.json`, `environments/`),
/// `<tmp>/outside` holds what must only be read (old link targets, nested link targets), and
/// `<tmp>/stock.tsv` the stock list override when one is set. The global folder is `<ws>/models`
/// unless it was put on another filesystem.
pub struct Ws {
    _tmp: tempfile::TempDir,
    _shm: Option<tempfile::TempDir>,
    /// The temporary folder holding everything (workspace, outside, stock list).
    pub base: PathBuf,
    pub root: PathBuf,
    pub outside: PathBuf,
    pub global: PathBuf,
    stock_tsv: Option<PathBuf>,
}

impl Ws {
    /// A workspace whose global folder `<ws>/models` exists with every standard subfolder, so
    /// only the finding under test fires.
    pub fn new() -> Ws {
        let ws = Ws::bare();
        for sub in STANDARD {
            mkdir(&ws.global.join(sub));
        }
        ws
    }

    /// A workspace whose global folder (`<ws>/models`) does not exist yet.
    pub fn bare() -> Ws {
        let tmp = tempfile::Builder::new().prefix("cdfix").tempdir().expect("tempdir");
        let base = tmp.path().canonicalize().expect("canonicalize tempdir");
        let root = base.join("ws");
        let outside = base.join("outside");
        mkdir(&root.join(".metadata"));
        mkdir(&root.join("environments"));
        mkdir(&outside);
        let ws = Ws { _tmp: tmp, _shm: None, global: root.join("models"), base, root, outside, stock_tsv: None };
        ws.write_workspace_json("models");
        ws
    }

    /// A workspace whose global folder lies on another filesystem (`/dev/shm`), with every
    /// standard subfolder; `None` (with a printed reason) when no such filesystem is at hand.
    pub fn on_other_fs() -> Option<Ws> {
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
        ws._shm = Some(dir);
        for sub in STANDARD {
            mkdir(&ws.global.join(sub));
        }
        let g = ws.global.to_str().unwrap().to_string();
        ws.write_workspace_json(&g);
        Some(ws)
    }

    pub fn write_workspace_json(&self, global: &str) {
        let json = serde_json::json!({
            "version": 1,
            "active_environment": "",
            "global_model_directory": {"path": global, "added_at": "2025-01-01T00:00:00Z", "last_sync": "2025-01-01T00:00:00Z"}
        });
        write(&self.root.join(".metadata/workspace.json"), serde_json::to_string_pretty(&json).unwrap().as_bytes());
    }

    /// Creates environment `name` (`.cec/`, `ComfyUI/` with the three marker files, no
    /// `models`) and returns its ComfyUI folder.
    pub fn env(&self, name: &str) -> PathBuf {
        let env = self.root.join("environments").join(name);
        mkdir(&env.join(".cec"));
        let comfy = env.join("ComfyUI");
        for f in ["main.py", "folder_paths.py", "nodes.py"] {
            write(&comfy.join(f), format!("# {f}\n").as_bytes());
        }
        comfy
    }

    /// Replaces the stock file list with these (path relative to `models/`, content) pairs.
    pub fn set_stock(&mut self, files: &[(&str, &[u8])]) {
        let mut tsv = String::from("path\tsize\tsha256\n");
        for (rel, bytes) in files {
            writeln!(tsv, "models/{rel}\t{}\t{}", bytes.len(), sha256_hex(bytes)).unwrap();
        }
        let path = self.base.join("stock.tsv");
        write(&path, tsv.as_bytes());
        self.stock_tsv = Some(path);
    }

    pub fn journal_dir(&self) -> PathBuf {
        self.root.join(".comfydoctor")
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

    /// Everything there is, with mtimes (the temp folder, and the global folder when elsewhere).
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
    /// journal folder, with mtimes: what `fix` must never change. The workspace root itself is
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

// ---------------------------------------------------------------------------------------------
// File helpers
// ---------------------------------------------------------------------------------------------

pub fn mkdir(path: &Path) {
    std::fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
}

pub fn write(path: &Path, bytes: &[u8]) {
    if let Some(p) = path.parent() {
        mkdir(p);
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// A symlink at `at` with this raw target (parents created).
pub fn link(target: impl AsRef<Path>, at: &Path) {
    if let Some(p) = at.parent() {
        mkdir(p);
    }
    symlink(target.as_ref(), at).unwrap_or_else(|e| panic!("symlink {}: {e}", at.display()));
}

/// Distinct, deterministic content for test model number `n`.
pub fn bytes(n: u32) -> Vec<u8> {
    format!("model-{n}-").repeat(1 + (n as usize % 7)).into_bytes()
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub fn raw_target(path: &Path) -> PathBuf {
    std::fs::read_link(path).unwrap_or_else(|e| panic!("readlink {}: {e}", path.display()))
}

pub fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

pub fn exists_nofollow(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `models.comfydoctor-backup-<UTC stamp>` folders (or files) in a ComfyUI folder.
pub fn backups(comfy: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(comfy)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("models.comfydoctor-backup-"))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Whether a backup name ends in a compact UTC stamp such as `20261124T150102Z`.
pub fn has_utc_stamp(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    let Some(stamp) = name.strip_prefix("models.comfydoctor-backup-") else { return false };
    let b = stamp.as_bytes();
    b.len() == 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
}

// ---------------------------------------------------------------------------------------------
// lstat inventory
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File(u64),
    Link(PathBuf),
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub mtime: Option<(i64, i64)>,
}

/// Relative path (the root itself is `""`) → what `lstat` says. Links are never followed.
pub type Inventory = BTreeMap<PathBuf, Node>;

pub fn lstat_inventory(root: &Path, mtimes: bool) -> Inventory {
    let mut inv = Inventory::new();
    if exists_nofollow(root) {
        walk_lstat(root, Path::new(""), mtimes, &mut inv);
    }
    inv
}

fn walk_lstat(abs: &Path, rel: &Path, mtimes: bool, inv: &mut Inventory) {
    let meta = std::fs::symlink_metadata(abs).unwrap_or_else(|e| panic!("lstat {}: {e}", abs.display()));
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
    let mtime = mtimes.then(|| (meta.mtime(), meta.mtime_nsec()));
    let is_dir = kind == Kind::Dir;
    inv.insert(rel.to_path_buf(), Node { kind, mtime });
    if is_dir {
        let mut names: Vec<OsString> =
            std::fs::read_dir(abs).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>();
        names.sort();
        for n in names {
            walk_lstat(&abs.join(&n), &rel.join(&n), mtimes, inv);
        }
    }
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

// ---------------------------------------------------------------------------------------------
// Content inventory
// ---------------------------------------------------------------------------------------------

/// sha256 → how many non-empty regular files hold those bytes (links never followed).
pub type Content = BTreeMap<String, usize>;

pub fn content(roots: &[PathBuf]) -> Content {
    content_except(roots, &|_| false)
}

pub fn content_except(roots: &[PathBuf], skip: &dyn Fn(&Path) -> bool) -> Content {
    let mut out = Content::new();
    for root in roots {
        for e in walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_entry(|e| !skip(e.path())) {
            let e = e.unwrap();
            if e.file_type().is_file() && e.metadata().unwrap().len() > 0 {
                let mut h = Sha256::new();
                let mut f = std::fs::File::open(e.path()).unwrap();
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

// ---------------------------------------------------------------------------------------------
// What ComfyUI lists
// ---------------------------------------------------------------------------------------------

/// (folder key, path relative to the key's folder) of every model ComfyUI would list for the
/// install at `comfy`: `os.walk(..., followlinks=True)` over each key's folders under
/// `<comfy>/models`, keeping names whose lowercased extension is a model one (`.yaml` for
/// `configs`). A dangling link keeps showing, as in ComfyUI. Loops are guarded: a link to the
/// folder being walked or one of its ancestors is not entered, nor a folder already on the path.
pub type Listing = BTreeSet<(String, PathBuf)>;

pub fn comfy_listing(comfy: &Path) -> Listing {
    let mut out = Listing::new();
    let models = comfy.join("models");
    for (key, dirs) in KEYS {
        for d in *dirs {
            let top = models.join(d);
            let Ok(canon) = top.canonicalize() else { continue };
            if !canon.is_dir() {
                continue;
            }
            walk_listing(key, &top, Path::new(""), &mut vec![canon], &mut out);
        }
    }
    out
}

fn walk_listing(key: &str, dir: &Path, rel: &Path, chain: &mut Vec<PathBuf>, out: &mut Listing) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut names: Vec<OsString> = rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let r = rel.join(&name);
        if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            let Ok(canon) = path.canonicalize() else { continue };
            let current = chain.last().unwrap();
            if current.starts_with(&canon) || chain.contains(&canon) || chain.len() > 40 {
                continue;
            }
            chain.push(canon);
            walk_listing(key, &path, &r, chain, out);
            chain.pop();
        } else {
            let ext = Path::new(&name).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            let listed = if key == "configs" { ext == "yaml" } else { MODEL_EXTENSIONS.contains(&ext.as_str()) };
            if listed {
                out.insert((key.to_string(), r));
            }
        }
    }
}

/// What was listed before is listed after (same key, same name).
#[track_caller]
pub fn assert_still_listed(before: &Listing, after: &Listing, what: &str) {
    let missing: Vec<String> =
        before.difference(after).take(20).map(|(k, p)| format!("{k}: {}", p.display())).collect();
    assert!(missing.is_empty(), "{what}: ComfyUI no longer lists: {}", missing.join(", "));
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    #[track_caller]
    pub fn expect(&self, code: i32, what: &str) -> &Out {
        assert_eq!(self.code, code, "{what}: exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }

    /// The number of plan steps printed (`  12. mv ...` lines).
    pub fn steps(&self) -> usize {
        self.stdout
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                let digits = t.bytes().take_while(u8::is_ascii_digit).count();
                digits > 0 && t[digits..].starts_with(". ") && l.len() > t.len()
            })
            .count()
    }
}

/// The binary with a clean environment: no variable that would redirect it, no stdin.
pub fn command(ws: &Ws) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_comfydoctor"));
    cmd.env_remove("COMFYDOCTOR_MODELS_DIR")
        .env_remove("COMFYDOCK_HOME")
        .env_remove("COMFYGIT_HOME")
        .env_remove("COMFYDOCTOR_FAILPOINT")
        .env_remove("COMFYDOCTOR_STOCK_TSV")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .current_dir(&ws.base)
        .timeout(Duration::from_secs(120));
    if let Some(tsv) = &ws.stock_tsv {
        cmd.env("COMFYDOCTOR_STOCK_TSV", tsv);
    }
    cmd
}

pub fn run_cmd(mut cmd: assert_cmd::Command) -> Out {
    let o = cmd.output().expect("run comfydoctor");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// `comfydoctor <sub> <ws root> <args...>`.
pub fn run(ws: &Ws, sub: &str, args: &[&str]) -> Out {
    let mut cmd = command(ws);
    cmd.arg(sub).arg(&ws.root).args(args);
    run_cmd(cmd)
}

pub fn fix(ws: &Ws, args: &[&str]) -> Out {
    run(ws, "fix", args)
}

pub fn scan(ws: &Ws) -> Out {
    run(ws, "scan", &[])
}

pub fn undo(ws: &Ws) -> Out {
    run(ws, "undo", &[])
}

/// `fix --yes` that ends at the given failpoint (`after:3`, ...).
pub fn fix_interrupted(ws: &Ws, failpoint: &str, args: &[&str]) -> Out {
    let mut cmd = command(ws);
    cmd.env("COMFYDOCTOR_FAILPOINT", failpoint).arg("fix").arg(&ws.root).arg("--yes").args(args);
    run_cmd(cmd)
}

// ---------------------------------------------------------------------------------------------
// The whole contract for one case
// ---------------------------------------------------------------------------------------------

/// What is checked before and after a run.
pub struct Before {
    pub listings: Vec<Listing>,
    pub content: Content,
    pub installs: Vec<Inventory>,
    pub untouchable: Inventory,
}

pub fn before(ws: &Ws, comfys: &[&Path]) -> Before {
    Before {
        listings: comfys.iter().map(|c| comfy_listing(c)).collect(),
        content: ws.content(),
        installs: comfys.iter().map(|c| lstat_inventory(c.parent().unwrap(), false)).collect(),
        untouchable: ws.untouchable(comfys),
    }
}

/// After a `fix`: every model still listed, no content lost, nothing outside touched.
#[track_caller]
pub fn assert_kept(ws: &Ws, comfys: &[&Path], b: &Before, what: &str) {
    for (c, listing) in comfys.iter().zip(&b.listings) {
        assert_still_listed(listing, &comfy_listing(c), &format!("{what} ({})", c.display()));
    }
    assert_nothing_lost_or_touched(ws, comfys, b, what);
}

/// No content lost, and nothing outside the installs and the global folder touched.
#[track_caller]
fn assert_nothing_lost_or_touched(ws: &Ws, comfys: &[&Path], b: &Before, what: &str) {
    assert_nothing_lost(&b.content, &ws.content(), what);
    assert_same(
        &b.untouchable,
        &ws.untouchable(comfys),
        &format!("{what}: outside the installs and the global folder"),
    );
}

/// After an `undo`: each install is back as it was (paths, kinds, sizes, link targets), no
/// content lost, nothing outside touched.
#[track_caller]
pub fn assert_restored(ws: &Ws, comfys: &[&Path], b: &Before, what: &str) {
    for (c, inv) in comfys.iter().zip(&b.installs) {
        assert_same(inv, &lstat_inventory(c.parent().unwrap(), false), &format!("{what}: install {}", c.display()));
    }
    assert_nothing_lost_or_touched(ws, comfys, b, what);
}

/// Each install's `models` is a link to the global folder.
#[track_caller]
pub fn assert_linked(ws: &Ws, comfy: &Path) {
    let models = comfy.join("models");
    assert!(is_link(&models), "{} is not a link", models.display());
    assert_eq!(
        models.canonicalize().unwrap(),
        ws.global.canonicalize().unwrap(),
        "{} links elsewhere ({})",
        models.display(),
        raw_target(&models).display()
    );
}

/// The full contract for a case: `fix <args>` (normally `--yes`) exits 0 keeping every listing and
/// all content and touching nothing outside; each install is linked; `scan` exits 0; a second
/// `fix --yes` changes nothing (exits 0, inventory with mtimes equal); `undo` restores each
/// install. `check` runs after the first fix for case-specific assertions.
#[track_caller]
pub fn full_cycle(ws: &Ws, comfys: &[&Path], args: &[&str], check: impl FnOnce(&Out)) {
    let b = before(ws, comfys);
    let fix_args = args;
    let out = fix(ws, fix_args);
    out.expect(0, "fix --yes");
    assert_kept(ws, comfys, &b, "after fix --yes");
    for c in comfys {
        assert_linked(ws, c);
    }
    check(&out);
    scan(ws).expect(0, "scan after fix --yes");

    let settled = ws.everything();
    fix(ws, fix_args).expect(0, "second fix --yes");
    assert_same(&settled, &ws.everything(), "second fix --yes must change nothing");

    undo(ws).expect(0, "undo");
    assert_restored(ws, comfys, &b, "after undo");
}
