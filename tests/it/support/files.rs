//! File helpers: writing, reading, links, test content, backups, and `git`.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A temporary folder named by its canonical path on Unix (macOS's temp folder lies behind the
/// `/var` → `/private/var` link, and the binary reports resolved paths); removed on drop.
pub struct TempDir {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempDir {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub fn tempdir() -> TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    #[cfg(unix)]
    let path = dir.path().canonicalize().expect("canonical temporary folder");
    #[cfg(not(unix))]
    let path = dir.path().to_path_buf();
    TempDir { _dir: dir, path }
}

pub fn mkdir(path: impl AsRef<Path>) {
    let path = path.as_ref();
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
}

/// Writes `bytes` to `path`, creating its parents.
pub fn write(path: impl AsRef<Path>, bytes: impl AsRef<[u8]>) {
    let path = path.as_ref();
    if let Some(parent) = path.parent() {
        mkdir(parent);
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// A link at `link` with this raw target (parents created). On Unix a symlink stored as given
/// (may be relative); on Windows what a user's tools make there: a junction (absolute, as
/// Windows stores it) when the target is a folder or missing, a file symlink when it is a file.
/// A test that makes links starts with [`super::needs_links`], since Wine makes neither.
pub fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    let link = link.as_ref();
    if let Some(parent) = link.parent() {
        mkdir(parent);
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(target.as_ref(), link).unwrap_or_else(|e| panic!("symlink {}: {e}", link.display()));
    #[cfg(not(unix))]
    {
        let resolved = link.parent().unwrap_or(Path::new("")).join(target.as_ref());
        if resolved.is_file() {
            std::os::windows::fs::symlink_file(&resolved, link)
                .unwrap_or_else(|e| panic!("file symlink {}: {e} (needs Developer Mode)", link.display()));
        } else {
            comfydoctor::platform::create_dir_link(target.as_ref(), link)
                .unwrap_or_else(|e| panic!("junction {}: {e}", link.display()));
        }
    }
}

/// Makes `dir` a ComfyUI folder: `main.py`, `folder_paths.py`, `nodes.py`, `comfy/`, `comfy_extras/`.
pub fn make_comfyui(dir: &Path) {
    mkdir(dir.join("comfy"));
    mkdir(dir.join("comfy_extras"));
    for f in ["main.py", "folder_paths.py", "nodes.py"] {
        write(dir.join(f), format!("# {f}\n"));
    }
}

/// Distinct, deterministic content for test model number `n`.
pub fn bytes(n: u32) -> Vec<u8> {
    format!("model-{n}-").repeat(1 + (n as usize % 7)).into_bytes()
}

pub fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The link's target as stored; on Windows without the `\\?\` prefix std reports for junctions,
/// so it compares with the paths the tests build.
pub fn raw_target(path: &Path) -> PathBuf {
    let target = fs::read_link(path).unwrap_or_else(|e| panic!("readlink {}: {e}", path.display()));
    #[cfg(not(unix))]
    if let Some(plain) = target.to_str().and_then(|t| t.strip_prefix(r"\\?\")) {
        return PathBuf::from(plain);
    }
    target
}

/// Asserts the link at `link` stores `want` (relative to the link's folder when relative). A
/// junction stores only absolute targets, so on Windows the absolute path `want` names is
/// expected instead: the same folder, reached the way Windows can.
#[track_caller]
pub fn assert_stored_target(link: &Path, want: impl AsRef<Path>) {
    let want = want.as_ref().to_path_buf();
    #[cfg(not(unix))]
    let want = comfydoctor::platform::normalize(&link.parent().unwrap_or(Path::new("")).join(want));
    assert_eq!(raw_target(link), want, "the target {} stores", link.display());
}

pub fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

pub fn exists_nofollow(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// A relative path as the binary prints it for people: `/` written as the platform's separator.
pub fn native(rel: &str) -> String {
    rel.replace('/', std::path::MAIN_SEPARATOR_STR)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `v` as owned strings.
pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// `models.comfydoctor-backup-<UTC stamp>` folders (or files) in a ComfyUI folder.
pub fn backups(comfy: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(comfy)
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

/// The single backup of a ComfyUI folder, whose name carries a UTC stamp.
#[track_caller]
pub fn only_backup(comfy: &Path) -> PathBuf {
    let b = backups(comfy);
    assert_eq!(b.len(), 1, "expected one backup in {}: {b:?}", comfy.display());
    assert!(has_utc_stamp(b[0].file_name().unwrap()), "backup name without a UTC stamp: {}", b[0].display());
    b[0].clone()
}

/// No 0-byte `put_*` placeholder under `dir` (walked without following links).
#[track_caller]
pub fn no_placeholders_under(dir: &Path) {
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy();
        assert!(
            !(e.file_type().is_file() && name.starts_with("put_") && e.metadata().unwrap().len() == 0),
            "0-byte placeholder kept: {}",
            e.path().display()
        );
    }
}

/// Makes a FIFO at `path`; false (with a printed reason) when `mkfifo` is not available.
pub fn mkfifo(path: &Path) -> bool {
    let ok = std::process::Command::new("mkfifo").arg(path).status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: mkfifo not available");
    }
    ok
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
