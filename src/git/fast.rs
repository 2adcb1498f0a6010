//! The launch-script hook's fast path: answers "is this checkout protected?" from git's own
//! files, without starting `git`, for the one shape comfydoctor's migration leaves: a plain
//! checkout (`.git` a folder at the install root) whose config sets `core.sparseCheckout`,
//! whose `info/sparse-checkout` keeps `/models/` out and whose index marks every tracked
//! `models/` path skip-worktree.
//!
//! It only ever says "protected". Whatever is not exactly as expected is a [`Doubt`] and the
//! caller asks `git` ([`super::inspect_with_git`]), so the fast path can never call a checkout
//! healthy that `git ls-files` would show unprotected, nor hide an error git would report:
//! - any `GIT_*` variable in the environment (it could point git at another index, config or
//!   work tree);
//! - a `.git` file (linked worktree, submodule) or a `.git` link, a `commondir` file;
//! - the folder or its `.git` owned by another user (git may refuse it as "dubious ownership");
//! - no `git` on `PATH` (git's answer would be "no git");
//! - a `.git` folder git would not recognise (`HEAD`, `objects/`, `refs/`);
//! - config it does not fully understand: continuation lines, includes, extensions other than
//!   `worktreeConfig`, `core.worktree`, `core.bare`, `core.ignorecase`, a repository format
//!   above 1, `index.sparse`, a quoted or escaped value of a key it reads;
//! - `core.sparseCheckout` not true, a sparse-checkout file that does not exclude `/models/`;
//! - an index it does not read ([`crate::git_index::IndexDoubt`]), or a tracked `models/` path
//!   without the skip-worktree bit.

use std::path::Path;

use super::{GitModels, sparse_excludes_models};
use crate::git_index;

/// Why the fast path did not answer; the caller then runs `git`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doubt(pub String);

fn doubt<T>(why: impl Into<String>) -> Result<T, Doubt> {
    Err(Doubt(why.into()))
}

/// The protected state of the checkout at `root` (git folder `git_dir`), read from git's files.
pub fn protected_checkout(root: &Path, git_dir: &Path) -> Result<GitModels, Doubt> {
    if !cfg!(unix) {
        return doubt("the fast path reads ownership the Unix way only");
    }
    if let Some((name, _)) = std::env::vars_os().find(|(k, _)| changes_git(&k.to_string_lossy())) {
        return doubt(format!("{} is set", name.to_string_lossy()));
    }
    let dot_git = root.join(".git");
    match std::fs::symlink_metadata(&dot_git) {
        Ok(m) if m.is_dir() && git_dir == dot_git => {}
        _ => return doubt("not a plain .git folder"),
    }
    if git_dir.join("commondir").exists() {
        return doubt("a linked worktree's git folder");
    }
    owned_by_us(root)?;
    owned_by_us(git_dir)?;
    if !git_on_path() {
        return doubt("no git on PATH");
    }
    looks_like_git_dir(git_dir)?;
    let mut cfg = Config::default();
    cfg.read(&git_dir.join("config"), true)?;
    if cfg.worktree_config {
        // `git sparse-checkout set` turns this on and writes core.sparseCheckout there.
        cfg.read(&git_dir.join("config.worktree"), false)?;
    }
    if cfg.sparse_checkout != Some(true) {
        return doubt("core.sparseCheckout is not true");
    }
    let sparse = std::fs::read_to_string(git_dir.join("info").join("sparse-checkout"))
        .map_err(|e| Doubt(format!("sparse-checkout file: {e}")))?;
    if !sparse_excludes_models(&sparse) {
        return doubt("the sparse-checkout file does not exclude /models/");
    }
    let entries = git_index::read(&git_dir.join("index")).map_err(|e| Doubt(e.to_string()))?;
    let (mut tracked, mut not_skipped) = (0, 0);
    for (skipped, _) in git_index::tagged_under(&entries, b"models") {
        tracked += 1;
        not_skipped += usize::from(!skipped);
    }
    let models = GitModels { git_dir: git_dir.to_path_buf(), tracked, not_skipped, sparse_excludes_models: true };
    if !models.protected() {
        return doubt("a tracked models/ path is not skip-worktree");
    }
    Ok(models)
}

/// Whether an environment variable may change what `git ls-files` reads or how it matches:
/// every `GIT_*` one except those about networking, identities, editors and pagers.
fn changes_git(name: &str) -> bool {
    const HARMLESS: &[&str] = &[
        "GIT_SSL_",
        "GIT_HTTP_",
        "GIT_CURL_",
        "GIT_PROXY_",
        "GIT_SSH",
        "GIT_ASKPASS",
        "GIT_TERMINAL_PROMPT",
        "GIT_AUTHOR_",
        "GIT_COMMITTER_",
        "GIT_EDITOR",
        "GIT_SEQUENCE_EDITOR",
        "GIT_PAGER",
        "GIT_MERGE_",
    ];
    name.starts_with("GIT_") && !HARMLESS.iter().any(|h| name.starts_with(h))
}

#[cfg(unix)]
fn owned_by_us(path: &Path) -> Result<(), Doubt> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).map_err(|e| Doubt(format!("{}: {e}", path.display())))?;
    if m.uid() == rustix::process::geteuid().as_raw() {
        Ok(())
    } else {
        doubt(format!("{} belongs to another user", path.display()))
    }
}

#[cfg(not(unix))]
fn owned_by_us(_path: &Path) -> Result<(), Doubt> {
    doubt("ownership is not read here")
}

/// Whether `git` would be found on `PATH` (an executable file named `git` in one of its folders).
fn git_on_path() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| {
                std::fs::metadata(dir.join("git")).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
        })
    }
    #[cfg(not(unix))]
    false
}

/// What git checks before it takes a folder for a repository: `HEAD` naming a ref or a commit,
/// `objects/` and `refs/`.
fn looks_like_git_dir(git_dir: &Path) -> Result<(), Doubt> {
    let head = crate::platform::read_bounded(&git_dir.join("HEAD"), 4096).map_err(|e| Doubt(format!("HEAD: {e}")))?;
    let head = String::from_utf8_lossy(&head);
    let head = head.trim_end();
    let ok = head.strip_prefix("ref: ").is_some_and(|r| r.starts_with("refs/"))
        || (head.len() == 40 && head.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok || !git_dir.join("objects").is_dir() || !git_dir.join("refs").is_dir() {
        return doubt("not a git folder git would recognise");
    }
    Ok(())
}

/// The few settings the fast path depends on, from `config` (and `config.worktree`).
#[derive(Debug, Default)]
struct Config {
    sparse_checkout: Option<bool>,
    worktree_config: bool,
}

impl Config {
    /// Reads one config file, refusing anything it does not fully understand. `main` is the
    /// repository's own `config` (where `extensions` may appear).
    fn read(&mut self, path: &Path, main: bool) -> Result<(), Doubt> {
        let bytes =
            crate::platform::read_bounded(path, 1 << 20).map_err(|e| Doubt(format!("{}: {e}", path.display())))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Doubt("config is not UTF-8".into()))?;
        self.parse(text, main)
    }

    fn parse(&mut self, text: &str, main: bool) -> Result<(), Doubt> {
        let mut section = String::new();
        for raw in text.lines() {
            let mut line = raw.trim();
            if line.ends_with('\\') {
                return doubt("a config continuation line");
            }
            if line.starts_with('[') {
                let Some(end) = line.find(']') else {
                    return doubt("a config section header without ]");
                };
                let head = &line[1..end];
                // `[name "sub"]` or the old `[name.sub]`: only sub-section-less names matter here.
                section = if head.contains('"') || head.contains('.') || head.contains(' ') {
                    let name = head.split(['"', '.', ' ']).next().unwrap_or("").to_ascii_lowercase();
                    if matches!(name.as_str(), "include" | "includeif") {
                        return doubt("a config include");
                    }
                    format!("{name}.*")
                } else {
                    head.to_ascii_lowercase()
                };
                if matches!(section.as_str(), "include" | "includeif") {
                    return doubt("a config include");
                }
                line = line[end + 1..].trim();
            }
            let line = strip_comment(line);
            if line.is_empty() {
                continue;
            }
            let (key, value) = match line.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim())),
                None => (line.to_ascii_lowercase(), None),
            };
            self.setting(&section, &key, value, main)?;
        }
        Ok(())
    }

    fn setting(&mut self, section: &str, key: &str, value: Option<&str>, main: bool) -> Result<(), Doubt> {
        let read = |v: Option<&str>| -> Result<bool, Doubt> {
            match v.map(str::to_ascii_lowercase).as_deref() {
                None | Some("true" | "yes" | "on" | "1") => Ok(true),
                Some("false" | "no" | "off" | "0" | "") => Ok(false),
                Some(other) => doubt(format!("a config value {other:?} not read here")),
            }
        };
        match (section, key) {
            ("core", "sparsecheckout") => self.sparse_checkout = Some(read(value)?),
            ("core", "repositoryformatversion") if !matches!(value, Some("0" | "1")) => {
                return doubt("a repository format version other than 0 or 1");
            }
            ("core", "bare" | "ignorecase") if read(value)? => return doubt(format!("core.{key} is true")),
            ("core", "worktree") => return doubt("core.worktree is set"),
            ("index", "sparse") if read(value)? => return doubt("index.sparse is true"),
            ("extensions", "worktreeconfig") if main => self.worktree_config = read(value)?,
            ("extensions", _) => return doubt(format!("extensions.{key}")),
            (s, _) if s.starts_with("extensions") => return doubt("an extensions sub-section"),
            _ => {}
        }
        Ok(())
    }
}

/// A config line without its `#`/`;` comment, when no quote could hide one.
fn strip_comment(line: &str) -> &str {
    match line.find(['#', ';']) {
        Some(i) if !line[..i].contains('"') => line[..i].trim(),
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    fn parse(text: &str) -> Result<Config, String> {
        let mut c = Config::default();
        c.parse(text, true).map_err(|d| d.0)?;
        Ok(c)
    }

    #[test]
    fn reads_what_git_sparse_checkout_writes() {
        let c = parse("[core]\n\trepositoryformatversion = 0\n\tbare = false\n[extensions]\n\tworktreeConfig = true\n")
            .unwrap();
        assert!(c.worktree_config);
        let c = parse("[core]\n\tsparseCheckout = true\n\tsparseCheckoutCone = false\n").unwrap();
        assert_eq!(c.sparse_checkout, Some(true));
        let c = parse("[core] sparsecheckout ; no value means true\n").unwrap();
        assert_eq!(c.sparse_checkout, Some(true));
        let c = parse("[core]\nsparseCheckout = true\n[core]\nsparseCheckout = false\n").unwrap();
        assert_eq!(c.sparse_checkout, Some(false), "the last one wins");
        let c = parse("[core \"x\"]\nsparseCheckout = true\n[remote \"origin\"]\nurl = \"a#b\"\n").unwrap();
        assert_eq!(c.sparse_checkout, None, "a sub-section is another setting");
    }

    #[test]
    fn git_variables_that_point_elsewhere_are_doubts() {
        for v in ["GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_CONFIG_GLOBAL", "GIT_TEST_SPLIT_INDEX"] {
            assert!(super::changes_git(v), "{v}");
        }
        for v in ["GIT_SSL_CAINFO", "GIT_EDITOR", "GIT_AUTHOR_NAME", "PATH", "HOME"] {
            assert!(!super::changes_git(v), "{v}");
        }
    }

    #[test]
    fn anything_not_understood_is_a_doubt() {
        for text in [
            "[include]\npath = other\n",
            "[includeIf \"gitdir:~/x\"]\npath = other\n",
            "[core]\nworktree = /elsewhere\n",
            "[core]\nbare = true\n",
            "[core]\nignorecase = true\n",
            "[core]\nrepositoryformatversion = 2\n",
            "[extensions]\nobjectFormat = sha256\n",
            "[index]\nsparse = true\n",
            "[core]\nsparseCheckout = \"true\"\n",
            "[alias]\nx = !echo \\\n  more\n",
            "[core\n",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
