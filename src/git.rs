//! What git knows about an install's `models/`, read with one `git` call per checkout, or
//! without any on the fast path ([`fast`]): a plain checkout whose index, config and
//! sparse-checkout file read as comfydoctor's migration leaves them is answered from those files;
//! anything else (and any doubt) asks `git`.
//!
//! ComfyUI's repository tracks `models/`; once `models/` is a link, `git pull` aborts unless the
//! tracked paths are skip-worktree and a sparse-checkout rule keeps `/models/` out (checked by hand
//! with git 2.47: without both, `git status` shows the tracked files deleted and `git pull` aborts).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Git's view of an install's `models/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitState {
    /// No `.git` at the install root.
    NotARepo,
    /// A checkout, but no `git` binary to ask.
    GitMissing,
    /// `git` failed; the message says why.
    Error(String),
    Repo(GitModels),
}

/// Why git cannot protect a checkout, and what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// One line, e.g. "no `git` on PATH".
    pub why: String,
    /// The exact remedy, e.g. "install git (or put it on PATH)".
    pub remedy: String,
}

impl GitState {
    /// Why git cannot be used for the checkout at `root` (`None`: no checkout, or git answers).
    /// Without git's answer the tool cannot tell what the index tracks, nor protect it, so a
    /// `models/` link would leave every tracked file reported deleted and break `git pull`.
    pub fn unusable(&self, root: &Path) -> Option<Unusable> {
        let quoted = crate::plan::quote(root);
        match self {
            GitState::NotARepo | GitState::Repo(_) => None,
            GitState::GitMissing => {
                Some(Unusable { why: "no `git` on PATH".into(), remedy: "install git (or put it on PATH)".into() })
            }
            GitState::Error(e) if e.contains("dubious ownership") => {
                // Git names the folder it checked (a worktree's or the repository's); say that one.
                let cmd = e
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("git config --global --add safe.directory "))
                    .map(|p| format!("git config --global --add safe.directory {}", crate::plan::quote(Path::new(p))))
                    .unwrap_or_else(|| format!("git config --global --add safe.directory {quoted}"));
                Some(Unusable {
                    why: "git refuses the repository: it belongs to another user (dubious ownership)".into(),
                    remedy: format!("if you trust it, run `{cmd}`"),
                })
            }
            GitState::Error(e) => Some(Unusable {
                why: e.lines().next().unwrap_or("git failed").to_string(),
                remedy: format!("repair the repository until `git -C {quoted} status` works"),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitModels {
    /// The repository's git folder (resolved from a `.git` file for worktrees).
    pub git_dir: PathBuf,
    /// Tracked paths under `models/`.
    pub tracked: usize,
    /// Tracked paths under `models/` without the skip-worktree bit.
    pub not_skipped: usize,
    /// Whether `info/sparse-checkout` holds a rule that excludes `/models/`.
    pub sparse_excludes_models: bool,
}

impl GitModels {
    /// Whether a link at `models/` survives `git pull` and `git checkout`.
    pub fn protected(&self) -> bool {
        self.tracked == 0 || (self.not_skipped == 0 && self.sparse_excludes_models)
    }
}

/// The git folder of a work tree rooted at `root`: `.git` itself, or where a `.git` file points.
pub fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let meta = std::fs::symlink_metadata(&dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
    let target = Path::new(target);
    Some(if target.is_absolute() { target.to_path_buf() } else { root.join(target) })
}

/// Reads the git state of the install at `root`.
pub fn inspect(root: &Path) -> GitState {
    let Some(git_dir) = git_dir(root) else {
        return GitState::NotARepo;
    };
    if let Ok(models) = fast::protected_checkout(root, &git_dir) {
        return GitState::Repo(models);
    }
    inspect_with_git(root, git_dir)
}

/// [`inspect`] by asking `git ls-files` (what the fast path falls back to).
pub fn inspect_with_git(root: &Path, git_dir: PathBuf) -> GitState {
    let output = match run(root, &["ls-files", "-t", "-z", "--", "models"], None, Access::Read) {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return GitState::GitMissing,
        Err(e) => return GitState::Error(format!("cannot run git: {e}")),
    };
    if !output.status.success() {
        let msg = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return GitState::Error(format!("git ls-files failed: {msg}"));
    }
    let (tracked, not_skipped) = count_tags(&output.stdout);
    let sparse_excludes_models = std::fs::read_to_string(git_dir.join("info").join("sparse-checkout"))
        .map(|t| sparse_excludes_models(&t))
        .unwrap_or(false);
    GitState::Repo(GitModels { git_dir, tracked, not_skipped, sparse_excludes_models })
}

pub mod fast;

/// Whether a git call may change the repository. Reads ask git to take no optional locks (an
/// index refresh), so looking never blocks, or is blocked by, the user's own git commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Runs `git -C root args...`, feeding `stdin` when given, with stdout and stderr captured: the
/// one way this tool runs git (asking git's own binary keeps its locking and formats its business).
///
/// Git searches no folder above `root` (`GIT_CEILING_DIRECTORIES`): with a damaged `.git` at
/// `root`, git would otherwise answer for an enclosing repository (a dotfiles repository in the
/// home folder), which tracks nothing under this `models/`, and the checkout would look safe.
pub fn run(root: &Path, args: &[&str], stdin: Option<&[u8]>, access: Access) -> io::Result<Output> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(root).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let real = crate::platform::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if let Some(parent) = real.parent() {
        cmd.env("GIT_CEILING_DIRECTORIES", parent);
    }
    if access == Access::Read {
        cmd.env("GIT_OPTIONAL_LOCKS", "0");
    }
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn()?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The pipe closes at the end of this block, so git sees the end of its input.
        pipe.write_all(bytes)?;
    }
    child.wait_with_output()
}

/// The records of `git ls-files -t -z` output: whether each is tagged `S` (skip-worktree), and
/// its path (empty if the record has none).
pub fn ls_files_tagged(out: &[u8]) -> impl Iterator<Item = (bool, &[u8])> {
    out.split(|b| *b == 0).filter(|r| !r.is_empty()).map(|r| (r.starts_with(b"S "), r.get(2..).unwrap_or_default()))
}

/// Counts `git ls-files -t -z` records: all of them, and those not tagged `S` (skip-worktree).
fn count_tags(out: &[u8]) -> (usize, usize) {
    let recs: Vec<_> = ls_files_tagged(out).collect();
    (recs.len(), recs.iter().filter(|(skipped, _)| !skipped).count())
}

/// Whether non-cone sparse-checkout patterns exclude `/models/` (a later `!` rule wins).
pub fn sparse_excludes_models(patterns: &str) -> bool {
    let mut excluded = false;
    for line in patterns.lines().map(str::trim) {
        match line {
            "!/models/" | "!/models" | "!/models/*" | "!models/" => excluded = true,
            "/models/" | "/models" | "/models/*" | "models/" => excluded = false,
            _ => {}
        }
    }
    excluded
}

/// Git's shared folder (`commondir` of a linked worktree), where `config` and `info/exclude` live.
///
/// Normalized (`.git/worktrees/<name>/../..` is `.git`), so the paths planned for a checkout and
/// for its worktrees compare equal and shared files are planned once.
pub fn common_dir(git_dir: &Path) -> PathBuf {
    match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(t) => {
            let p = Path::new(t.trim());
            crate::platform::normalize(&if p.is_absolute() { p.to_path_buf() } else { git_dir.join(p) })
        }
        Err(_) => git_dir.to_path_buf(),
    }
}

/// Runs a read-only git query in `root`; `None` when git fails or is absent.
pub fn query(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = run(root, args, None, Access::Read).ok()?;
    out.status.success().then_some(out.stdout)
}

/// Tracked paths under `models/` without the skip-worktree bit, as git spells them.
pub fn unskipped_models_paths(root: &Path) -> Vec<Vec<u8>> {
    let out = query(root, &["ls-files", "-t", "-z", "--", "models"]).unwrap_or_default();
    ls_files_tagged(&out).filter(|(skipped, path)| !skipped && !path.is_empty()).map(|(_, p)| p.to_vec()).collect()
}

/// Paths under `models/` with staged changes (the index differs from HEAD).
pub fn staged_models_paths(root: &Path) -> Vec<String> {
    query(root, &["diff", "--cached", "--name-only", "-z", "--", "models"])
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|r| !r.is_empty())
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect()
}

/// The id of the empty blob: a 0-byte tracked file (a placeholder).
pub const EMPTY_BLOB: &str = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

/// One entry of the index under `models/`, as `git ls-files -s` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// `100644`, `100755`, `120000` (a link), `160000` (a submodule).
    pub mode: String,
    pub oid: String,
    /// As git spells it, from the repository root (`models/...`).
    pub path: String,
    pub skip_worktree: bool,
}

/// Every index entry under `models/` (stage 0), with its skip-worktree bit; `None` when git
/// fails. Two reads: `ls-files -s` (mode, blob) and `ls-files -t` (the bit).
pub fn models_index(root: &Path) -> Option<Vec<IndexEntry>> {
    let staged = query(root, &["ls-files", "-s", "-z", "--", "models"])?;
    let tagged = query(root, &["ls-files", "-t", "-z", "--", "models"])?;
    let skipped: std::collections::HashSet<&[u8]> =
        ls_files_tagged(&tagged).filter(|(s, _)| *s).map(|(_, p)| p).collect();
    let mut out = Vec::new();
    for rec in staged.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let text = String::from_utf8_lossy(rec);
        let Some((meta, path)) = text.split_once('\t') else { continue };
        let mut parts = meta.split(' ');
        let (Some(mode), Some(oid), Some(stage)) = (parts.next(), parts.next(), parts.next()) else { continue };
        if stage != "0" {
            continue;
        }
        let skip_worktree = skipped.contains(path.as_bytes());
        out.push(IndexEntry { mode: mode.into(), oid: oid.into(), path: path.into(), skip_worktree });
    }
    Some(out)
}

/// The bytes of blob `oid`.
pub fn blob(root: &Path, oid: &str) -> Option<Vec<u8>> {
    query(root, &["cat-file", "blob", oid])
}

/// The blob id git would give each file's bytes (its filters applied, as for a checkout's own
/// files); `None` when git fails. Paths must not hold a newline.
pub fn blob_ids(root: &Path, files: &[PathBuf]) -> Option<Vec<String>> {
    if files.is_empty() {
        return Some(Vec::new());
    }
    let mut input = String::new();
    for f in files {
        input.push_str(&f.to_string_lossy());
        input.push('\n');
    }
    let out = run(root, &["hash-object", "--stdin-paths"], Some(input.as_bytes()), Access::Read).ok()?;
    if !out.status.success() {
        return None;
    }
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).collect();
    (ids.len() == files.len()).then_some(ids)
}

/// Which of these object ids the repository holds (a version of some file git has seen).
pub fn known_objects(root: &Path, oids: &[String]) -> Vec<bool> {
    if oids.is_empty() {
        return Vec::new();
    }
    let input = oids.iter().map(|o| format!("{o}\n")).collect::<String>();
    let Ok(out) = run(root, &["cat-file", "--batch-check"], Some(input.as_bytes()), Access::Read) else {
        return vec![false; oids.len()];
    };
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect();
    oids.iter().enumerate().map(|(i, _)| lines.get(i).is_some_and(|l| !l.ends_with(" missing"))).collect()
}

/// The newest stash entry (`stash@{0}`): its subject and the paths it holds with their status
/// letter (`D`, `M`, `A`, ...); `None` when there is no stash. Read only: the stash is the user's.
pub fn newest_stash(root: &Path) -> Option<(String, Vec<(String, String)>)> {
    let list = query(root, &["stash", "list", "--format=%s"])?;
    let subject = String::from_utf8_lossy(&list).lines().next()?.to_string();
    let show = query(root, &["stash", "show", "--name-status", "--no-renames", "stash@{0}"]).unwrap_or_default();
    let paths = String::from_utf8_lossy(&show)
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(s, p)| (s.to_string(), p.to_string())))
        .collect();
    Some((subject, paths))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert_eq!(count_tags(b"H models/a\0S models/b\0"), (2, 1));
        assert_eq!(count_tags(b""), (0, 0));
    }

    #[test]
    fn sparse_rules() {
        assert!(sparse_excludes_models("/*\n!/models/\n"));
        assert!(!sparse_excludes_models("/*\n"));
        assert!(!sparse_excludes_models("/*\n!/models/\n/models/\n"));
    }
}
