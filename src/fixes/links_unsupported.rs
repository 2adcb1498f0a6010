//! Fix for `links-unsupported`: no link can live in the install's folder, so write comfydoctor's
//! fallback `extra_model_paths.yaml` next to `main.py` (every folder key to the global folder,
//! ComfyUI-Manager's `download_model_base` too). Asked for, never silent; journaled as one new
//! file, so `undo` removes it. `models/` is left as it is.

use std::path::PathBuf;

use super::{Ctx, Dest, Draft};
use crate::checks::CheckId;
use crate::inspect::Inspection;
use crate::legacy_yaml;
use crate::plan::Action;
use crate::platform::{self, fstype::LinkSupport};

const ID: CheckId = CheckId::LinksUnsupported;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), LinkSupport::No { fs, why }) = (&inspection.global, &inspection.link.support) else { return };
    if inspection.yaml.is_some() {
        draft.notes.push(format!(
            "{ID}: {} exists; comfydoctor writes its fallback only where there is none",
            legacy_yaml::FILE_NAME
        ));
        return;
    }
    let path = yaml_path(inspection);
    if ctx.view.get(&path) != Dest::Missing {
        draft.notes.push(format!("{ID}: {} is in the way; nothing written", path.display()));
        return;
    }
    let Some(contents) = legacy_yaml::fallback_text(&global.dir.path, &format!("{fs}: {why}")) else {
        draft.notes.push(format!(
            "{ID}: the global folder's path {} cannot be written in {}; nothing written",
            global.dir.path.display(),
            legacy_yaml::FILE_NAME
        ));
        return;
    };
    draft.needs_confirmation = true;
    draft.notes.push(format!(
        "{ID}: {} is on {fs}, which cannot hold a link; {} points ComfyUI (and ComfyUI-Manager's downloads) at {} instead, and models/ stays as it is",
        inspection.install.root.display(),
        legacy_yaml::FILE_NAME,
        global.dir.path.display()
    ));
    let (mode, uid, gid) = owner_of_folder(&path);
    ctx.act(draft, ID, Action::WriteFile { path, contents, mode, uid, gid });
}

/// Where ComfyUI reads the file: beside the real `main.py`.
fn yaml_path(inspection: &Inspection) -> PathBuf {
    let root = &inspection.install.root;
    platform::canonicalize(&root.join("main.py"))
        .ok()
        .and_then(|m| m.parent().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| root.clone())
        .join(legacy_yaml::FILE_NAME)
}

/// A new file the user can edit: 0644, owned as its folder is (as root, not `root:root`).
#[cfg(unix)]
fn owner_of_folder(path: &std::path::Path) -> (Option<u32>, Option<u32>, Option<u32>) {
    use std::os::unix::fs::MetadataExt;
    match path.parent().map(std::fs::metadata) {
        Some(Ok(m)) => (Some(0o644), Some(m.uid()), Some(m.gid())),
        _ => (None, None, None),
    }
}

#[cfg(not(unix))]
fn owner_of_folder(_path: &std::path::Path) -> (Option<u32>, Option<u32>, Option<u32>) {
    (None, None, None)
}
