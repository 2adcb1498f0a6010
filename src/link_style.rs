//! How a `models` link names the global folder, and where a moved workspace went.
//!
//! A relative link (`../../../models`) keeps working when the whole workspace is moved, renamed,
//! bind-mounted into a container at another path, or reached through a second path; an absolute
//! one dangles in all of those. So on Unix a link is relative when the install and the global
//! folder lie in the same workspace root ([`LinkStyle::Auto`], the default), or whenever they
//! share any folder below `/` ([`LinkStyle::Relative`]); absolute otherwise or on request.
//! Windows junctions store absolute targets only, so there every link is absolute.
//!
//! The relative target is computed from the real paths of both ends (links on the way resolved,
//! the global folder's own entry kept, so a global folder that is itself a link is still reached
//! through it), because the kernel resolves a relative link from the folder that really holds it.
//! Healthy is decided elsewhere by where a link resolves, never by its text: both styles are.

use std::path::{Component, Path, PathBuf};

use crate::platform;

/// `--link-style` and the workspace config's `link_style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkStyle {
    /// Relative when the install and the global folder share the workspace root, else absolute.
    #[default]
    Auto,
    /// Relative whenever the two share a folder below `/` (the drive on Windows).
    Relative,
    /// Always the global folder's absolute path.
    Absolute,
}

impl LinkStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStyle::Auto => "auto",
            LinkStyle::Relative => "relative",
            LinkStyle::Absolute => "absolute",
        }
    }
}

/// The workspace config file, in the journal folder (`<workspace>/.comfydoctor/config.json`, or
/// beside a standalone ComfyUI folder): `{"link_style": "relative"}`.
pub const CONFIG_FILE: &str = "config.json";

/// The most of the config file that is read (it holds a line or two).
const CONFIG_LIMIT: u64 = 64 * 1024;

/// The config file's `link_style`, if it has one. `Err` names what is wrong, for a configuration
/// error naming the file.
pub fn read_config(journal_dir: &Path) -> Result<Option<LinkStyle>, (PathBuf, String)> {
    let file = journal_dir.join(CONFIG_FILE);
    let fail = |reason: String| (file.clone(), reason);
    let bytes = match platform::read_bounded(&file, CONFIG_LIMIT) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(e.to_string())),
    };
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
    let serde_json::Value::Object(top) = &json else {
        return Err(fail("should hold a JSON object, e.g. {\"link_style\": \"relative\"}".into()));
    };
    match top.get("link_style") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => serde_json::from_value::<LinkStyle>(v.clone())
            .map(Some)
            .map_err(|_| fail(format!("link_style is {v}; use \"auto\", \"relative\" or \"absolute\""))),
    }
}

/// Where a path really is: its folder with links resolved, its own name kept (so a link at the
/// end is not followed). A missing folder resolves through its deepest existing ancestor.
pub fn real_location(path: &Path) -> PathBuf {
    let abs = platform::normalize(path);
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => platform::resolve_lenient(parent).join(name),
        _ => abs,
    }
}

/// `to` spelled relative to the folder `from` (both absolute, normalised), or `None` when they
/// share nothing below the root (or lie on different drives).
pub fn relative_path(from: &Path, to: &Path) -> Option<PathBuf> {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Below the root: at least one normal folder in common.
    if !a[..common].iter().any(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Some(out)
}

/// The target to store in a new `models` link at `link` to `global`: relative or absolute as
/// `style` and `scope` (the workspace root, or the folder holding a standalone install) decide,
/// with a note when a relative link was asked for and cannot be made.
pub fn target_for(link: &Path, global: &Path, style: LinkStyle, scope: &Path) -> (PathBuf, Option<String>) {
    let absolute = global.to_path_buf();
    if cfg!(windows) {
        let note = (style == LinkStyle::Relative)
            .then(|| "the link is absolute: Windows junctions store absolute targets only".to_string());
        return (absolute, note);
    }
    if style == LinkStyle::Absolute {
        return (absolute, None);
    }
    let from = real_location(link).parent().map(Path::to_path_buf).unwrap_or_default();
    let to = real_location(global);
    if style == LinkStyle::Auto {
        let scope = platform::resolve_lenient(scope);
        if !(to.starts_with(&scope) && from.starts_with(&scope)) {
            return (absolute, None);
        }
    }
    match relative_path(&from, &to) {
        Some(rel) => (rel, None),
        None => (
            absolute,
            Some(format!(
                "the link is absolute: {} and {} share no folder below the root",
                from.display(),
                to.display()
            )),
        ),
    }
}

/// Where a link at `link` storing `target` leads, spelled absolute: a relative target is taken
/// from the link's real folder, as the kernel does.
pub fn resolved_from(link: &Path, target: &Path) -> PathBuf {
    if target.is_absolute() {
        return target.to_path_buf();
    }
    let dir = real_location(link).parent().map(Path::to_path_buf).unwrap_or_default();
    platform::normalize(&platform::resolve_lenient(&dir).join(target))
}

/// Where a folder that no longer exists went, when the workspace that held it moved to
/// `new_root`: the deepest missing ancestor `old_root` of `old` whose counterpart
/// `new_root/<rest>` is an existing folder. Returns (`old_root`, the folder at the new place).
/// `None` when `old` exists, or no missing ancestor has such a counterpart.
pub fn relocated(old: &Path, new_root: &Path) -> Option<(PathBuf, PathBuf)> {
    let old = platform::normalize(old);
    if std::fs::symlink_metadata(&old).is_ok() {
        return None;
    }
    for anc in old.ancestors().skip(1) {
        if anc.parent().is_none() {
            break;
        }
        if std::fs::symlink_metadata(anc).is_ok() {
            // An existing folder on the way: whatever was below it was removed, not moved.
            return None;
        }
        let rest = old.strip_prefix(anc).ok()?;
        let candidate = new_root.join(rest);
        if candidate.is_dir() && !platform::same_dir(anc, new_root) {
            return Some((anc.to_path_buf(), candidate));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[cfg(unix)]
    #[test]
    fn relative_paths_between_folders() {
        for (from, to, want) in [
            ("/ws/environments/a/ComfyUI", "/ws/models", Some("../../../models")),
            ("/ws/a", "/ws/a/models", Some("models")),
            ("/ws/a", "/ws/a", Some(".")),
            ("/ws/a/b", "/ws/c/d", Some("../../c/d")),
            ("/home/me/ws", "/mnt/disk/models", None),
            ("/a", "/b", None),
        ] {
            assert_eq!(relative_path(&p(from), &p(to)), want.map(p), "{from} -> {to}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_style_and_the_scope_decide() {
        let t = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(t.path()).unwrap();
        let ws = base.join("ws");
        let comfy = ws.join("environments/a/ComfyUI");
        std::fs::create_dir_all(&comfy).unwrap();
        std::fs::create_dir_all(ws.join("models")).unwrap();
        std::fs::create_dir_all(base.join("outside/models")).unwrap();
        let link = comfy.join("models");
        let inside = ws.join("models");
        let outside = base.join("outside/models");
        let t = |g: &Path, s| target_for(&link, g, s, &ws).0;
        assert_eq!(t(&inside, LinkStyle::Auto), p("../../../models"));
        assert_eq!(t(&inside, LinkStyle::Relative), p("../../../models"));
        assert_eq!(t(&inside, LinkStyle::Absolute), inside);
        assert_eq!(t(&outside, LinkStyle::Auto), outside, "outside the workspace root: absolute");
        assert_eq!(t(&outside, LinkStyle::Relative), p("../../../../outside/models"));
    }

    /// Real paths of both ends: the install reached through a linked parent still gets the
    /// target that is right from the folder that really holds the link.
    #[cfg(unix)]
    #[test]
    fn relative_targets_come_from_real_paths() {
        let t = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(t.path()).unwrap();
        let ws = base.join("real-ws");
        std::fs::create_dir_all(ws.join("environments/a/ComfyUI")).unwrap();
        std::fs::create_dir_all(ws.join("models")).unwrap();
        std::os::unix::fs::symlink(&ws, base.join("alias")).unwrap();
        let via = base.join("alias");
        let (rel, _) =
            target_for(&via.join("environments/a/ComfyUI/models"), &ws.join("models"), LinkStyle::Auto, &via);
        assert_eq!(rel, p("../../../models"));
        // A global folder that is itself a link is reached through it, not through its target.
        std::fs::create_dir_all(base.join("disk/models")).unwrap();
        std::fs::remove_dir(ws.join("models")).unwrap();
        std::os::unix::fs::symlink(base.join("disk/models"), ws.join("models")).unwrap();
        let (rel, _) = target_for(&ws.join("environments/a/ComfyUI/models"), &ws.join("models"), LinkStyle::Auto, &ws);
        assert_eq!(rel, p("../../../models"));
    }

    #[cfg(unix)]
    #[test]
    fn a_moved_workspace_is_found_by_its_missing_root() {
        let t = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(t.path()).unwrap();
        let new = base.join("moved");
        std::fs::create_dir_all(new.join("models")).unwrap();
        assert_eq!(relocated(&base.join("old/models"), &new), Some((base.join("old"), new.join("models"))));
        assert_eq!(
            relocated(&base.join("gone/deeper/old/models"), &new),
            Some((base.join("gone/deeper/old"), new.join("models")))
        );
        // The old root still exists: the folder was removed there, not moved.
        std::fs::create_dir_all(base.join("kept")).unwrap();
        assert_eq!(relocated(&base.join("kept/models"), &new), None);
        // No counterpart at the new place.
        assert_eq!(relocated(&base.join("old/other"), &new), None);
        // The folder itself exists: nothing moved.
        assert_eq!(relocated(&new.join("models"), &new), None);
    }

    #[test]
    fn the_config_file_is_read_and_checked() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(read_config(t.path()), Ok(None));
        for (text, want) in [
            (r#"{"link_style": "relative"}"#, Ok(Some(LinkStyle::Relative))),
            (r#"{"link_style": "absolute", "other": 1}"#, Ok(Some(LinkStyle::Absolute))),
            (r#"{"link_style": "auto"}"#, Ok(Some(LinkStyle::Auto))),
            (r#"{}"#, Ok(None)),
        ] {
            std::fs::write(t.path().join(CONFIG_FILE), text).unwrap();
            assert_eq!(read_config(t.path()), want, "{text}");
        }
        for text in [r#"{"link_style": "sideways"}"#, r#"{"link_style": 3}"#, "[1]", "not json"] {
            std::fs::write(t.path().join(CONFIG_FILE), text).unwrap();
            let (file, why) = read_config(t.path()).unwrap_err();
            assert_eq!(file, t.path().join(CONFIG_FILE));
            assert!(!why.is_empty(), "{text}");
        }
    }
}
