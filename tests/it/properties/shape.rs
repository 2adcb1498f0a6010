//! The generated workspace: a [`Shape`] (what proptest generates and shrinks) and [`build`],
//! which makes it on disk with the [`Ws`] helper.
//!
//! A shape is a few installs sharing one global folder, and a list of [`Item`]s, each one
//! small thing a user or a tool leaves in a `models/` folder or in the global folder. Most
//! items are ordinary (model files, subfolders, placeholders, stock configs, the same file on
//! both sides); some are hostile (links of every kind, loops, type clashes, hard links, sparse
//! files, long and non-UTF-8 names). Items are applied in order; one that does not fit what is
//! already there (its folder is a file or a link, its name is taken) is skipped, so every
//! generated shape builds. The classes can be switched off with `PROP_EXCLUDE` (see
//! [`excluded`]) while a class that fails every run is being fixed.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use proptest::prelude::*;

use crate::support::{StockTree, Ws, symlink};

/// Folders under `models/` the items use: stock keys (two of them aliases), a folder-listing key,
/// the no-extension key and one folder ComfyUI does not know.
pub const TOPS: &[&str] =
    &["checkpoints", "loras", "vae", "configs", "clip", "unet", "diffusers", "classifiers", "mystuff"];
const SUBS: &[&str] = &["sub", "pack", "a b"];
const STEMS: &[&str] = &["m", "pack", "x", "Model A"];
/// Extensions ComfyUI lists (per key) and some it does not.
const EXTS: &[&str] = &[".safetensors", ".ckpt", ".pt", ".yaml", ".txt", ".json", ""];
const FILE_MODES: &[Mode] = &[Mode(0o644), Mode(0o600), Mode(0o664)];
const DIR_MODES: &[Mode] = &[Mode(0o755), Mode(0o2775)];
pub const INSTALL_NAMES: &[&str] = &["a", "b", "c"];
/// Size of a generated sparse file.
pub const SPARSE_LEN: u64 = 1 << 20;

/// Permission bits, shown in octal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mode(pub u32);

impl fmt::Debug for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0o{:o}", self.0)
    }
}

/// A path relative to a `models/` folder (or the global folder), as bytes (names need not be
/// UTF-8). Shown escaped.
#[derive(Clone, PartialEq, Eq)]
pub struct Rel(pub Vec<u8>);

impl fmt::Debug for Rel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = if self.0.len() > 60 {
            format!("{}…<{} bytes>", String::from_utf8_lossy(&self.0[..40]), self.0.len())
        } else {
            self.0.escape_ascii().to_string()
        };
        write!(f, "{shown:?}")
    }
}

impl Rel {
    pub fn path(&self) -> PathBuf {
        PathBuf::from(OsStr::from_bytes(&self.0))
    }
    fn top(&self) -> &str {
        let end = self.0.iter().position(|b| *b == b'/').unwrap_or(self.0.len());
        std::str::from_utf8(&self.0[..end]).unwrap_or("")
    }
    fn is_long(&self) -> bool {
        self.path().components().any(|c| c.as_os_str().len() > 100)
    }
    fn is_non_utf8(&self) -> bool {
        std::str::from_utf8(&self.0).is_err()
    }
}

/// Deterministic content: `len` bytes from `seed` (few seeds, so equal content happens).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Data {
    pub seed: u8,
    pub len: u16,
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data{}x{}", self.seed, self.len)
    }
}

impl Data {
    pub fn bytes(&self) -> Vec<u8> {
        let s = usize::from(self.seed);
        (0..usize::from(self.len)).map(|i| (s * 37 + i * 7 + i / 251 + 1) as u8).collect()
    }
    /// Other bytes of the same length (a conflicting version).
    fn other(&self) -> Data {
        Data { seed: self.seed.wrapping_add(100), len: self.len }
    }
}

/// Which tree an item goes into; an install index is taken modulo the number of installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    Install(u8),
    Global,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopKind {
    /// `top/self.safetensors -> self.safetensors`
    SelfLink,
    /// `top/here -> .`
    Dot,
    /// `top/up -> ..` (to `models/`)
    Parent,
    /// `top/p1.safetensors -> p2.safetensors` and back.
    Pair,
    /// `top/comfy -> <the ComfyUI folder>`
    Install,
}

/// What a link in an install's `models/` points at. Targets that do not exist yet are made
/// (a file with content, or a folder with one model file), except for `Dangling` and loops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTo {
    /// A file or folder of the same `models/`.
    Internal {
        target: Rel,
        dir: bool,
    },
    /// A file or folder of another install's `models/` (the same one when there is one install).
    OtherInstall {
        inst: u8,
        target: Rel,
        dir: bool,
    },
    /// A file or folder of the global folder.
    Global {
        target: Rel,
        dir: bool,
    },
    /// A file or folder outside every install and the global folder.
    Outside {
        dir: bool,
    },
    Dangling,
    Loop(LoopKind),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    File {
        at: At,
        path: Rel,
        data: Data,
        mode: Mode,
    },
    /// An empty folder (and its parents).
    Dir {
        at: At,
        path: Rel,
    },
    /// `put_<top>_here`, 0 bytes.
    Placeholder {
        at: At,
        top: usize,
    },
    /// A file of the stock tree; `edited`: the user changed it.
    Stock {
        at: At,
        idx: usize,
        edited: bool,
    },
    /// The same path in an install and in the global folder, with equal or different bytes.
    Twin {
        inst: u8,
        path: Rel,
        data: Data,
        same: bool,
    },
    /// A type clash: the install has a folder `top/pack` (with a model in it) where the global
    /// folder has a file, or the install has a file `top/m.safetensors` where the global folder
    /// has a folder (with a model in it).
    Clash {
        inst: u8,
        top: usize,
        install_dir: bool,
        data: Data,
    },
    Link {
        inst: u8,
        path: Rel,
        to: LinkTo,
        abs: bool,
    },
    /// The global folder's `top` is a link back to the install's `models/<top>`, which holds
    /// the only copy of a model.
    GlobalBack {
        inst: u8,
        top: usize,
        data: Data,
    },
    /// A file and a hard link to it: at `other` in the same install, or (same filesystem only)
    /// at `other` in the global folder.
    HardLink {
        inst: u8,
        path: Rel,
        other: Rel,
        in_global: bool,
        data: Data,
    },
    /// A 1 MiB file holding only `data` at its start.
    Sparse {
        at: At,
        path: Rel,
        data: Data,
    },
}

impl Item {
    /// The class name used by `PROP_EXCLUDE` (long and non-UTF-8 names are classes of their
    /// own, whatever item holds them).
    pub fn class(&self) -> &'static str {
        match self {
            Item::File { .. } => "file",
            Item::Dir { .. } => "dir",
            Item::Placeholder { .. } => "placeholder",
            Item::Stock { .. } => "stock",
            Item::Twin { .. } => "twin",
            Item::Clash { .. } => "clash",
            Item::Link { to, .. } => match to {
                LinkTo::Internal { .. } => "link-internal",
                LinkTo::OtherInstall { .. } => "link-other-install",
                LinkTo::Global { .. } => "link-global",
                LinkTo::Outside { .. } => "link-outside",
                LinkTo::Dangling => "link-dangling",
                LinkTo::Loop(_) => "loop",
            },
            Item::GlobalBack { .. } => "global-back",
            Item::HardLink { .. } => "hardlink",
            Item::Sparse { .. } => "sparse",
        }
    }

    fn rels(&self) -> Vec<&Rel> {
        match self {
            Item::File { path, .. } | Item::Dir { path, .. } | Item::Twin { path, .. } | Item::Sparse { path, .. } => {
                vec![path]
            }
            Item::Link { path, to, .. } => match to {
                LinkTo::Internal { target, .. }
                | LinkTo::OtherInstall { target, .. }
                | LinkTo::Global { target, .. } => vec![path, target],
                _ => vec![path],
            },
            Item::HardLink { path, other, .. } => vec![path, other],
            _ => vec![],
        }
    }

    /// Whether `PROP_EXCLUDE` leaves this item out.
    pub fn excluded(&self, ex: &[String]) -> bool {
        let has = |c: &str| ex.iter().any(|e| e == c);
        has(self.class())
            || (has("long-name") && self.rels().iter().any(|r| r.is_long()))
            || (has("non-utf8") && self.rels().iter().any(|r| r.is_non_utf8()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Models {
    /// A real `models/` folder (the items go there).
    Real,
    /// No `models/` at all.
    Missing,
    /// Already a link to the global folder.
    Linked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    /// `<ws>/models` with every standard subfolder.
    Complete,
    /// Named in workspace.json but not there (items in it make it partial).
    Missing,
    /// On another filesystem (`/dev/shm`), complete.
    OtherFs,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    pub global: Global,
    /// Per install: its `models/`, and the mode of its folders.
    pub installs: Vec<(Models, Mode)>,
    pub items: Vec<Item>,
    /// Everything in the installs' `models/` and in the global folder belongs to uid/gid 1000.
    pub owner_1000: bool,
}

/// The classes `PROP_EXCLUDE` (comma-separated) switches off. Item classes: see
/// [`Item::class`]; plus `long-name`, `non-utf8`, `other-fs` (the global folder stays on the
/// same filesystem), `owner` (no chown), `modes` (folders 755, files 644), `several-installs`
/// (only the first install).
pub fn excluded() -> Vec<String> {
    std::env::var("PROP_EXCLUDE")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

// ---------------------------------------------------------------- strategies

fn name() -> impl Strategy<Value = Vec<u8>> {
    let ext = prop::sample::select(EXTS);
    prop_oneof![
        12 => (prop::sample::select(STEMS), ext.clone()).prop_map(|(s, e)| format!("{s}{e}").into_bytes()),
        // Long names: the whole name is `len` bytes (255 is the limit of most filesystems).
        1 => (prop::sample::select(&[100usize, 200, 240, 255][..]), ext.clone()).prop_map(|(len, e)| {
            let mut n = vec![b'L'; len - e.len()];
            n.extend_from_slice(e.as_bytes());
            n
        }),
        // Not UTF-8 (Latin-1 bytes), as a Unix file name may be.
        // (Where the filesystem refuses them, APFS, a UTF-8 name stands in.)
        1 => ext.prop_map(|e| {
            let mut n = if crate::support::byte_names_supported() { b"mod\xe8le-\xff".to_vec() } else { b"mod-le".to_vec() };
            n.extend_from_slice(e.as_bytes());
            n
        }),
    ]
}

fn top() -> impl Strategy<Value = usize> {
    0..TOPS.len()
}

fn join(parts: &[&[u8]]) -> Rel {
    Rel(parts.join(&b'/'))
}

/// `top/[sub/]name`.
fn file_rel() -> impl Strategy<Value = Rel> {
    (top(), prop::option::weighted(0.3, prop::sample::select(SUBS)), name()).prop_map(|(t, sub, n)| {
        let t = TOPS[t].as_bytes();
        match sub {
            Some(s) => join(&[t, s.as_bytes(), &n]),
            None => join(&[t, &n]),
        }
    })
}

/// `top/sub` or `top/sub/sub`.
fn dir_rel() -> impl Strategy<Value = Rel> {
    (top(), prop::sample::select(SUBS), prop::option::weighted(0.2, prop::sample::select(SUBS))).prop_map(
        |(t, s, s2)| match s2 {
            Some(s2) => join(&[TOPS[t].as_bytes(), s.as_bytes(), s2.as_bytes()]),
            None => join(&[TOPS[t].as_bytes(), s.as_bytes()]),
        },
    )
}

fn data() -> impl Strategy<Value = Data> {
    (0u8..6, prop_oneof![3 => 1u16..64, 2 => 64u16..1024, 1 => 1024u16..4096])
        .prop_map(|(seed, len)| Data { seed, len })
}

fn at() -> impl Strategy<Value = At> {
    prop_oneof![3 => (0u8..3).prop_map(At::Install), 1 => Just(At::Global)]
}

fn link_to() -> impl Strategy<Value = LinkTo> {
    prop_oneof![
        3 => (file_rel(), any::<bool>()).prop_map(|(t, dir)| LinkTo::Internal { target: t, dir }),
        2 => (0u8..3, file_rel(), any::<bool>()).prop_map(|(inst, t, dir)| LinkTo::OtherInstall { inst, target: t, dir }),
        2 => (file_rel(), any::<bool>()).prop_map(|(t, dir)| LinkTo::Global { target: t, dir }),
        1 => any::<bool>().prop_map(|dir| LinkTo::Outside { dir }),
        1 => Just(LinkTo::Dangling),
        1 => prop::sample::select(&[LoopKind::SelfLink, LoopKind::Dot, LoopKind::Parent, LoopKind::Pair, LoopKind::Install][..])
            .prop_map(LinkTo::Loop),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let inst = 0u8..3;
    prop_oneof![
        10 => (at(), file_rel(), data(), prop::sample::select(FILE_MODES)).prop_map(|(at, path, data, mode)| Item::File { at, path, data, mode }),
        2 => (at(), dir_rel()).prop_map(|(at, path)| Item::Dir { at, path }),
        // Where a fresh clone has them: not in `classifiers`, which lists files without an
        // extension (a placeholder there would be a listed name).
        2 => (at(), top().prop_filter("no placeholder in classifiers", |t| TOPS[*t] != "classifiers")).prop_map(|(at, top)| Item::Placeholder { at, top }),
        2 => (at(), 0..StockTree::new().files.len(), prop::bool::weighted(0.3)).prop_map(|(at, idx, edited)| Item::Stock { at, idx, edited }),
        3 => (inst.clone(), file_rel(), data(), any::<bool>()).prop_map(|(inst, path, data, same)| Item::Twin { inst, path, data, same }),
        2 => (inst.clone(), top(), any::<bool>(), data()).prop_map(|(inst, top, install_dir, data)| Item::Clash { inst, top, install_dir, data }),
        6 => (inst.clone(), file_rel(), link_to(), any::<bool>()).prop_map(|(inst, path, to, abs)| Item::Link { inst, path, to, abs }),
        1 => (inst.clone(), top(), data()).prop_map(|(inst, top, data)| Item::GlobalBack { inst, top, data }),
        2 => (inst.clone(), file_rel(), file_rel(), any::<bool>(), data()).prop_map(|(inst, path, other, in_global, data)| Item::HardLink { inst, path, other, in_global, data }),
        1 => (at(), file_rel(), data()).prop_map(|(at, path, data)| Item::Sparse { at, path, data }),
    ]
}

fn install() -> impl Strategy<Value = (Models, Mode)> {
    (
        prop_oneof![8 => Just(Models::Real), 1 => Just(Models::Missing), 1 => Just(Models::Linked)],
        prop::sample::select(DIR_MODES),
    )
}

/// Workspaces of one to three installs and up to 12 items.
pub fn shape() -> impl Strategy<Value = Shape> {
    (
        prop_oneof![6 => Just(Global::Complete), 1 => Just(Global::Missing), 2 => Just(Global::OtherFs)],
        prop_oneof![5 => prop::collection::vec(install(), 1), 4 => prop::collection::vec(install(), 2), 1 => prop::collection::vec(install(), 3)],
        prop::collection::vec(item(), 0..=12),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(global, installs, items, owner_1000)| Shape { global, installs, items, owner_1000 })
}

// ---------------------------------------------------------------- building

/// A built shape: the workspace and each install's ComfyUI folder.
pub struct Built {
    pub ws: Ws,
    pub comfys: Vec<PathBuf>,
}

/// Makes `shape` on disk (leaving out the classes of [`excluded`]).
pub fn build(shape: &Shape) -> Built {
    let ex = excluded();
    let has = |c: &str| ex.iter().any(|e| e == c);
    let mut ws = match shape.global {
        Global::Complete => Ws::new(),
        Global::Missing => Ws::bare(),
        Global::OtherFs if has("other-fs") => Ws::new(),
        Global::OtherFs => Ws::on_other_fs().unwrap_or_default(),
    };
    let stock = StockTree::new();
    let stock_files: Vec<(&str, &[u8])> = stock.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    ws.set_stock(&stock_files);
    let installs = if has("several-installs") { &shape.installs[..1] } else { &shape.installs[..] };
    let mut comfys = Vec::new();
    for (i, (models, _)) in installs.iter().enumerate() {
        let c = ws.env(INSTALL_NAMES[i]);
        match models {
            Models::Real => fs::create_dir(c.join("models")).unwrap(),
            Models::Missing => {}
            Models::Linked => symlink(&ws.global, c.join("models")),
        }
        comfys.push(c);
    }
    let b = Builder { ws: &ws, comfys: &comfys, stock: &stock, no_modes: has("modes") };
    for (n, item) in shape.items.iter().enumerate() {
        if !item.excluded(&ex) {
            b.apply(n, item);
        }
    }
    for (c, (models, mode)) in comfys.iter().zip(installs) {
        if *models == Models::Real {
            if shape.owner_1000 && !has("owner") {
                chown_tree(&c.join("models"));
            }
            if !has("modes") {
                set_dir_modes(&c.join("models"), mode.0);
            }
        }
    }
    if shape.owner_1000 && !has("owner") && ws.global.is_dir() {
        chown_tree(&ws.global);
    }
    Built { ws, comfys }
}

struct Builder<'a> {
    ws: &'a Ws,
    comfys: &'a [PathBuf],
    stock: &'a StockTree,
    no_modes: bool,
}

impl Builder<'_> {
    /// The `models/` of install `i` (modulo their number), when it is a real folder.
    fn models(&self, i: u8) -> Option<PathBuf> {
        let c = &self.comfys[usize::from(i) % self.comfys.len()];
        let m = c.join("models");
        fs::symlink_metadata(&m).is_ok_and(|md| md.is_dir()).then_some(m)
    }

    fn root(&self, at: At) -> Option<PathBuf> {
        match at {
            At::Install(i) => self.models(i),
            At::Global => Some(self.ws.global.clone()),
        }
    }

    fn apply(&self, n: usize, item: &Item) {
        match item {
            Item::File { at, path, data, mode } => {
                if let Some(r) = self.root(*at) {
                    file(&r, &path.path(), &data.bytes(), if self.no_modes { 0o644 } else { mode.0 });
                }
            }
            Item::Dir { at, path } => {
                if let Some(r) = self.root(*at) {
                    dir(&r, &path.path());
                }
            }
            Item::Placeholder { at, top } => {
                if let Some(r) = self.root(*at) {
                    let t = TOPS[*top];
                    file(&r, &Path::new(t).join(format!("put_{t}_here")), b"", 0o644);
                }
            }
            Item::Stock { at, idx, edited } => {
                if let Some(r) = self.root(*at) {
                    let (p, bytes) = &self.stock.files[*idx];
                    let mut bytes = bytes.clone();
                    if *edited {
                        bytes.extend_from_slice(b"# edited by the user\n");
                    }
                    file(&r, Path::new(p), &bytes, 0o644);
                }
            }
            Item::Twin { inst, path, data, same } => {
                if let Some(m) = self.models(*inst) {
                    let other = if *same { *data } else { data.other() };
                    if file(&m, &path.path(), &data.bytes(), 0o644) {
                        file(&self.ws.global, &path.path(), &other.bytes(), 0o644);
                    }
                }
            }
            Item::Clash { inst, top, install_dir, data } => {
                if let Some(m) = self.models(*inst) {
                    let t = Path::new(TOPS[*top]);
                    let (dir_side, file_side, name) = if *install_dir {
                        (&m, &self.ws.global, "pack")
                    } else {
                        (&self.ws.global, &m, "m.safetensors")
                    };
                    let inner = t.join(name).join("inner.safetensors");
                    if file(dir_side, &inner, &data.bytes(), 0o644) {
                        file(file_side, &t.join(name), &data.other().bytes(), 0o644);
                    }
                }
            }
            Item::Link { inst, path, to, abs } => {
                if let Some(m) = self.models(*inst) {
                    self.link(n, &m, *inst, path, to, *abs);
                }
            }
            Item::GlobalBack { inst, top, data } => {
                if let Some(m) = self.models(*inst) {
                    let t = TOPS[*top];
                    if file(&m, &Path::new(t).join(format!("mine{n}.safetensors")), &data.bytes(), 0o644) {
                        let g = self.ws.global.join(t);
                        let _ = fs::create_dir_all(&self.ws.global);
                        if fs::symlink_metadata(&g).is_err() || fs::remove_dir(&g).is_ok() {
                            symlink(m.join(t), g);
                        }
                    }
                }
            }
            Item::HardLink { inst, path, other, in_global, data } => {
                if let Some(m) = self.models(*inst) {
                    let to_root = if *in_global { self.ws.global.clone() } else { m.clone() };
                    let (a, b) = (m.join(path.path()), to_root.join(other.path()));
                    if file(&m, &path.path(), &data.bytes(), 0o644) && free(&to_root, &other.path()) {
                        let _ = fs::hard_link(&a, &b);
                    }
                }
            }
            Item::Sparse { at, path, data } => {
                if let Some(r) = self.root(*at)
                    && file(&r, &path.path(), b"", 0o644)
                {
                    let mut f = fs::OpenOptions::new().write(true).open(r.join(path.path())).unwrap();
                    f.write_all(&data.bytes()[..usize::from(data.len.min(16))]).unwrap();
                    f.seek(SeekFrom::Start(SPARSE_LEN / 2)).unwrap();
                    f.write_all(&[data.seed; 8]).unwrap();
                    f.set_len(SPARSE_LEN).unwrap();
                }
            }
        }
    }

    fn link(&self, n: usize, m: &Path, inst: u8, path: &Rel, to: &LinkTo, abs: bool) {
        let here = m.join(path.path());
        // (absolute target, relative form when it differs)
        let target: PathBuf = match to {
            LinkTo::Internal { target, dir } => {
                made_target(m, &target.path(), *dir, n);
                m.join(target.path())
            }
            LinkTo::OtherInstall { inst: other, target, dir } => {
                let i = if self.comfys.len() > 1 && other % self.comfys.len() as u8 == inst % self.comfys.len() as u8 {
                    other + 1
                } else {
                    *other
                };
                let Some(om) = self.models(i) else { return };
                made_target(&om, &target.path(), *dir, n);
                om.join(target.path())
            }
            LinkTo::Global { target, dir } => {
                made_target(&self.ws.global, &target.path(), *dir, n);
                self.ws.global.join(target.path())
            }
            LinkTo::Outside { dir } => {
                let t = self.ws.outside.join(format!("o{n}"));
                if *dir {
                    file(
                        &t,
                        Path::new(&format!("s{n}.safetensors")),
                        &Data { seed: 5, len: 40 + n as u16 }.bytes(),
                        0o644,
                    );
                    t
                } else {
                    file(
                        &self.ws.outside,
                        Path::new(&format!("o{n}.safetensors")),
                        &Data { seed: 4, len: 40 + n as u16 }.bytes(),
                        0o644,
                    );
                    self.ws.outside.join(format!("o{n}.safetensors"))
                }
            }
            LinkTo::Dangling => here.with_file_name(format!("gone{n}.safetensors")),
            LinkTo::Loop(kind) => {
                let t = m.join(path.top());
                let _ = fs::create_dir_all(&t);
                match kind {
                    LoopKind::SelfLink => {
                        let l = t.join("self.safetensors");
                        place_link(m, &l, if abs { l.clone() } else { "self.safetensors".into() });
                    }
                    LoopKind::Dot => place_link(m, &t.join("here"), if abs { t.clone() } else { ".".into() }),
                    LoopKind::Parent => place_link(m, &t.join("up"), if abs { m.to_path_buf() } else { "..".into() }),
                    LoopKind::Pair => {
                        let (p1, p2) = (t.join("p1.safetensors"), t.join("p2.safetensors"));
                        place_link(m, &p1, if abs { p2.clone() } else { "p2.safetensors".into() });
                        place_link(m, &p2, if abs { p1.clone() } else { "p1.safetensors".into() });
                    }
                    LoopKind::Install => {
                        let c = m.parent().unwrap();
                        place_link(m, &t.join("comfy"), if abs { c.to_path_buf() } else { relative(&t, c) });
                    }
                }
                return;
            }
        };
        let raw = if abs { target.clone() } else { relative(here.parent().unwrap(), &target) };
        place_link(m, &here, raw);
    }
}

/// Makes a link target that is not there yet: a file, or a folder holding one model file.
fn made_target(root: &Path, rel: &Path, dir: bool, n: usize) {
    let d = Data { seed: 3, len: 50 + n as u16 };
    if dir {
        let rel = rel.parent().filter(|p| p.components().count() > 0).unwrap_or(rel);
        if free(root, rel) {
            file(root, &rel.join(format!("t{n}.safetensors")), &d.bytes(), 0o644);
        }
    } else {
        file(root, rel, &d.bytes(), 0o644);
    }
}

/// Whether `root/rel` can be made: every folder on the way is a real folder or can be made
/// (none is a file or a link), and the name itself is free. Makes the folders.
fn free(root: &Path, rel: &Path) -> bool {
    let mut p = root.to_path_buf();
    let parts: Vec<Component> = rel.components().collect();
    let Some((_, dirs)) = parts.split_last() else { return false };
    if fs::create_dir_all(root).is_err() {
        return false;
    }
    for c in dirs {
        p.push(c);
        match fs::symlink_metadata(&p) {
            Ok(md) if md.is_dir() => {}
            Ok(_) => return false,
            Err(_) => {
                if fs::create_dir(&p).is_err() {
                    return false;
                }
            }
        }
    }
    fs::symlink_metadata(root.join(rel)).is_err()
}

/// A file `root/rel` with these bytes and mode; false when it cannot be made there.
fn file(root: &Path, rel: &Path, bytes: &[u8], mode: u32) -> bool {
    if !free(root, rel) {
        return false;
    }
    let p = root.join(rel);
    if fs::write(&p, bytes).is_err() {
        return false;
    }
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    true
}

fn dir(root: &Path, rel: &Path) -> bool {
    free(root, rel) && fs::create_dir(root.join(rel)).is_ok()
}

fn place_link(root: &Path, link: &Path, raw: PathBuf) {
    if let Ok(rel) = link.strip_prefix(root)
        && free(root, rel)
    {
        let _ = std::os::unix::fs::symlink(raw, link);
    }
}

/// `to` as seen from the folder `from` (both absolute, no links on the way): `../..` then the rest.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// Every folder under `root` (not through links), and `root` itself, gets `mode`.
fn set_dir_modes(root: &Path, mode: u32) {
    for e in walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_map(Result::ok) {
        if e.file_type().is_dir() {
            let _ = fs::set_permissions(e.path(), fs::Permissions::from_mode(mode));
        }
    }
}

/// Everything under `root` (and `root`) to uid/gid 1000, links themselves not followed.
/// Without the privilege (not root) this changes nothing.
fn chown_tree(root: &Path) {
    for e in walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_map(Result::ok) {
        let _ = std::os::unix::fs::lchown(e.path(), Some(1000), Some(1000));
    }
}
