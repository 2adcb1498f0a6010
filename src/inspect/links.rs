//! What the inspection knows about the `models` link to be made: whether the install's folder can
//! hold one (its filesystem), which style it gets (flag, workspace config, default), and whether
//! the workspace was moved under existing absolute links. Filled in once every install's global
//! folder is known (`fill`), because a move is a fact about all installs of a workspace together.

use std::path::PathBuf;

use super::{Inspection, ModelsState};
use crate::link_style::{self, LinkStyle};
use crate::platform::{self, fstype::LinkSupport};

/// See the module text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkPlace {
    pub support: LinkSupport,
    pub style: LinkStyle,
    /// Where the style came from, for the plan's note: `--link-style`, the config file, or
    /// `None` for the default.
    pub style_from: Option<String>,
    pub moved: Option<WorkspaceMove>,
}

/// Every install of a workspace links to the same folder, which is gone, and the workspace
/// holds a folder of that name at its new place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceMove {
    /// Where the workspace was (no longer exists).
    pub old_root: PathBuf,
    pub new_root: PathBuf,
    /// What the links point at (absolute, as they resolve lexically).
    pub old_target: PathBuf,
    /// The same folder at the workspace's new place.
    pub new_target: PathBuf,
    /// How many installs' links point there.
    pub installs: usize,
}

/// The workspace config file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub path: PathBuf,
    pub reason: String,
}

/// Fills [`Inspection::link`] for every install: style (flag > workspace config > default),
/// filesystem support (only where a link would be made: a `models` that is a link already
/// shows links work there), and a moved workspace.
pub fn fill(inspections: &mut [Inspection], flag: Option<LinkStyle>) -> Result<(), ConfigProblem> {
    for i in inspections.iter_mut() {
        let (style, from) = match flag {
            Some(s) => (s, Some("--link-style".to_string())),
            None => match link_style::read_config(&i.install.journal_dir()) {
                Ok(Some(s)) => (s, Some(i.install.journal_dir().join(link_style::CONFIG_FILE).display().to_string())),
                Ok(None) => (LinkStyle::Auto, None),
                Err((path, reason)) => return Err(ConfigProblem { path, reason }),
            },
        };
        let support = match (&i.models, &i.global) {
            (ModelsState::Link(_), _) => LinkSupport::Yes,
            (_, Some(g)) => platform::fstype::link_support(&i.install.root, &g.dir.path),
            (_, None) => LinkSupport::Yes,
        };
        i.link = LinkPlace { support, style, style_from: from, moved: None };
    }
    let workspaces: Vec<PathBuf> = {
        let mut w: Vec<PathBuf> = inspections.iter().filter_map(|i| i.install.workspace.clone()).collect();
        w.sort();
        w.dedup();
        w
    };
    for ws in workspaces {
        let members: Vec<usize> = (0..inspections.len())
            .filter(|&k| inspections[k].install.workspace.as_deref() == Some(ws.as_path()))
            .collect();
        let targets: Vec<Option<PathBuf>> = members.iter().map(|&k| dangling_target(&inspections[k])).collect();
        let Some(Some(first)) = targets.first() else { continue };
        if !targets.iter().all(|t| t.as_ref() == Some(first)) {
            continue;
        }
        let Some((old_root, new_target)) = link_style::relocated(first, &ws) else { continue };
        let moved = WorkspaceMove {
            old_root,
            new_root: ws.clone(),
            old_target: first.clone(),
            new_target,
            installs: members.len(),
        };
        for k in members {
            inspections[k].link.moved = Some(moved.clone());
        }
    }
    Ok(())
}

/// Where a dangling `models` link points, spelled absolute (a relative target joined to the
/// link's folder).
fn dangling_target(i: &Inspection) -> Option<PathBuf> {
    let ModelsState::Link(l) = &i.models else { return None };
    if l.resolved.is_some() {
        return None;
    }
    let base = i.install.root.clone();
    Some(platform::normalize(&base.join(&l.raw_target)))
}
