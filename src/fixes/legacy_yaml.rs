//! Fix for `legacy-yaml`: once `models/` links to the global folder, the entries it serves are
//! dropped from the file; the rest are kept as written. The original is always backed up first,
//! next to it. A file ComfyUI fails on (no YAML mapping at all) is backed up and removed whatever
//! the link: removing it registers nothing less.

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::Inspection;
use crate::legacy_yaml::{self, Coverage};
use crate::plan::Action;

const ID: CheckId = CheckId::LegacyYaml;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), Some(Ok(yaml))) = (&inspection.global, &inspection.yaml) else { return };
    let backup_name = format!("{}.comfydoctor-backup-{}", legacy_yaml::FILE_NAME, ctx.stamp);
    // Beside the file ComfyUI reads (main.py's real folder), not beside a link to the install.
    let backup = yaml.path.with_file_name(&backup_name);
    if yaml.null_document {
        draft.needs_confirmation = true;
        ctx.act(draft, ID, Action::Move { from: yaml.path.clone(), to: backup });
        draft.notes.push(format!(
            "{}: holds no YAML mapping, so ComfyUI fails to start on it; it is backed up as {backup_name} and removed",
            legacy_yaml::FILE_NAME
        ));
        return;
    }
    let models = inspection.install.models_path();
    // Only when the link will serve the covered entries: otherwise removing them hides models.
    let linked = ctx.view.links_to(&models, &global.dir.path);
    if !linked {
        draft
            .notes
            .push(format!("{ID}: left alone: models/ does not link to the global folder, so the file is still needed"));
        return;
    }
    let entries = yaml.entries().count();
    let covered =
        legacy_yaml::coverage(yaml, &global.dir.path).iter().filter(|c| matches!(c, Coverage::Covered { .. })).count();
    if covered == 0 {
        draft.notes.push(format!("{ID}: left alone: the models link serves none of its entries"));
        return;
    }
    let rewritten = legacy_yaml::rewrite_uncovered(
        yaml,
        &global.dir.path,
        &backup_name,
        legacy_yaml::own_models_is_global(&inspection.models),
    );
    let contents = match rewritten {
        Err(reason) => {
            draft.notes.push(format!("{ID}: left alone: {reason}"));
            return;
        }
        Ok(contents) => contents,
    };
    draft.needs_confirmation = true;
    ctx.act(draft, ID, Action::Move { from: yaml.path.clone(), to: backup });
    match contents {
        None => draft.notes.push(format!(
            "{}: all {entries} entries are served by the models link; the file is backed up as {backup_name} and removed",
            legacy_yaml::FILE_NAME,
        )),
        Some(contents) => {
            draft.notes.push(format!(
                "{}: {covered} of {entries} entries are served by the models link; the file is backed up as {backup_name} and rewritten with the other {}",
                legacy_yaml::FILE_NAME,
                entries - covered
            ));
            let (mode, uid, gid) = meta_of(&yaml.path);
            ctx.act(draft, ID, Action::WriteFile { path: yaml.path.clone(), contents, mode, uid, gid });
        }
    }
}

/// Permission bits, owner and group of the file ComfyUI reads (a link followed, as ComfyUI
/// opens it), for the rewritten file: the new one replaces it, so it keeps them.
#[cfg(unix)]
fn meta_of(path: &std::path::Path) -> (Option<u32>, Option<u32>, Option<u32>) {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => (Some(m.mode() & 0o7777), Some(m.uid()), Some(m.gid())),
        Err(_) => (None, None, None),
    }
}

/// Windows: no mode or owner to keep; the new file inherits the folder's permissions.
#[cfg(not(unix))]
fn meta_of(_path: &std::path::Path) -> (Option<u32>, Option<u32>, Option<u32>) {
    (None, None, None)
}
