//! The workspace's own state beside the journals: which installs were detached from the global
//! folder (`comfydoctor detach`), so the launch-script hook (`fix --yes --quiet`) leaves them
//! alone. One small JSON file, `<journal folder>/detached.json`:
//!
//! ```json
//! {"schema": 1, "detached": [{"install": "/abs/ComfyUI", "at": "2026-12-03T14:00:00Z", "run": "..."}]}
//! ```
//!
//! This module only reads and renders the file; the executor's `SetDetached` action is the one
//! writer (journaled and undoable like every change).

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::path_serde;
use crate::platform;

/// The file's name inside the journal folder.
pub const FILE: &str = "detached.json";

/// One detached install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detached {
    /// The ComfyUI folder, absolute.
    #[serde(with = "path_serde")]
    pub install: PathBuf,
    /// When it was detached (UTC).
    pub at: String,
    /// The migration run whose link it replaced, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_by: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    schema: u32,
    #[serde(default)]
    detached: Vec<Detached>,
}

/// Where the record of a journal folder lives.
pub fn path(journal_dir: &Path) -> PathBuf {
    journal_dir.join(FILE)
}

/// Parses the file's text (empty text: nothing detached).
pub fn parse(text: &str) -> Result<Vec<Detached>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str::<StateFile>(text).map(|f| f.detached).map_err(|e| e.to_string())
}

/// The file's text for this list.
pub fn render(list: &[Detached]) -> String {
    let file = StateFile { schema: 1, detached: list.to_vec() };
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// Reads the record of a journal folder; a missing file records nothing.
pub fn read(journal_dir: &Path) -> io::Result<Vec<Detached>> {
    let file = path(journal_dir);
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            parse(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", file.display())))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The entry for `install` in `list`, the record of the journal folder `dir`.
pub fn find<'a>(list: &'a [Detached], install: &Path, dir: &Path) -> Option<&'a Detached> {
    list.iter().find(|d| same_install(&d.install, install, dir))
}

/// `list` with the entry for `install` replaced by `entry` (removed when `None`).
pub fn with(list: &[Detached], install: &Path, dir: &Path, entry: Option<&Detached>) -> Vec<Detached> {
    let mut out: Vec<Detached> = list.iter().filter(|d| !same_install(&d.install, install, dir)).cloned().collect();
    out.extend(entry.cloned());
    out
}

/// Whether the entry recorded as `recorded` names `install`. The record sits in the workspace's
/// journal folder `dir` and names installs by absolute path; a workspace moved, renamed or seen
/// at another path (a container's bind mount) keeps its detached installs detached: an entry
/// also names the install whose path inside the workspace ends the recorded path.
fn same_install(recorded: &Path, install: &Path, dir: &Path) -> bool {
    if recorded == install || platform::normalize(recorded) == platform::normalize(install) {
        return true;
    }
    let base = dir.parent().unwrap_or(dir);
    install.strip_prefix(base).is_ok_and(|rel| !rel.as_os_str().is_empty() && recorded.ends_with(rel))
}

/// The detach record of each install, read once per journal folder. A record that cannot be
/// read counts as every install of that folder detached: `fix` must not re-link an install
/// the user detached because a file could not be read (the warning says which file).
pub fn lookup_all(installs: &[&crate::workspace::Install]) -> Vec<Option<Detached>> {
    let mut cache: std::collections::HashMap<PathBuf, Result<Vec<Detached>, String>> = Default::default();
    installs
        .iter()
        .map(|i| {
            let dir = i.journal_dir();
            let list = cache.entry(dir.clone()).or_insert_with(|| {
                read(&dir).map_err(|e| {
                    eprintln!(
                        "comfydoctor: {}: cannot read the detach record ({e}); its installs are treated as detached. Repair or remove the file",
                        path(&dir).display()
                    );
                    e.to_string()
                })
            });
            match list {
                Ok(list) => find(list, &i.root, &dir).cloned(),
                Err(_) => Some(Detached { install: i.root.clone(), at: "unknown".into(), migrated_by: None }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(p: &str) -> Detached {
        Detached { install: PathBuf::from(p), at: "2026-12-03T14:00:00Z".into(), migrated_by: None }
    }

    #[test]
    fn round_trip_and_replace() {
        let list = vec![d("/w/a/ComfyUI"), d("/w/b/ComfyUI")];
        let text = render(&list);
        assert_eq!(parse(&text).unwrap(), list);
        assert_eq!(parse("").unwrap(), Vec::new());
        let dir = Path::new("/w/.comfydoctor");
        let gone = with(&list, Path::new("/w/a/ComfyUI"), dir, None);
        assert_eq!(gone, vec![d("/w/b/ComfyUI")]);
        assert_eq!(find(&gone, Path::new("/w/a/ComfyUI"), dir), None);
        let back = with(&gone, Path::new("/w/a/ComfyUI"), dir, Some(&d("/w/a/ComfyUI")));
        assert!(find(&back, Path::new("/w/a/ComfyUI"), dir).is_some());
        assert!(parse("{not json").is_err());
    }

    /// The workspace moved, renamed, or mounted elsewhere: its record still names its installs,
    /// and only them.
    #[test]
    fn a_moved_workspace_keeps_its_detached_installs() {
        let list = vec![d("/home/me/comfydock/environments/a/ComfyUI")];
        for base in ["/mnt/new/comfydock", "/workspace", "/home/me/renamed"] {
            let dir = Path::new(base).join(".comfydoctor");
            let a = Path::new(base).join("environments/a/ComfyUI");
            let b = Path::new(base).join("environments/b/ComfyUI");
            assert!(find(&list, &a, &dir).is_some(), "{base}");
            assert!(find(&list, &b, &dir).is_none(), "{base}");
            assert!(with(&list, &a, &dir, None).is_empty(), "{base}: replaced, not doubled");
        }
        // The workspace's own folder is no install of it.
        assert!(find(&list, Path::new("/workspace"), Path::new("/workspace/.comfydoctor")).is_none());
    }
}
