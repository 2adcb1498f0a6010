//! Fix for `models-dir-real`: merge every entry into the global folder (default), or rename the
//! folder to a backup; then link.

use crate::checks::CheckId;
use std::path::Path;

use super::merge::{merge_models_dir, plural, relink_aliases, short_list, unlink_aliases};
use super::{Ctx, Draft, Strategy};
use crate::inspect::{EntryKind, Inspection, ModelsState};
use crate::plan::Action;
use crate::stock;

const ID: CheckId = CheckId::ModelsDirReal;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), ModelsState::RealDir(tree)) = (&inspection.global, &inspection.models) else { return };
    let models = inspection.install.models_path();
    draft.needs_confirmation = true;
    match ctx.strategy {
        Strategy::Merge => merge_models_dir(ctx, draft, ID, tree, &models, global),
        Strategy::Backup => {
            let backup = inspection.install.root.join(format!("models.comfydoctor-backup-{}", ctx.stamp));
            // Every file or link ComfyUI may list (whatever its extension: `classifiers` lists
            // names without one) that the global folder does not have at the same place.
            let hidden: Vec<String> = tree
                .entries
                .iter()
                .filter(|e| !matches!(e.kind, EntryKind::Dir))
                .filter(|e| {
                    !matches!(e.kind, EntryKind::File { len: 0 })
                        || !stock::is_placeholder_name(&e.rel.to_string_lossy())
                })
                // A folder of that name in the global folder serves none of it.
                .filter(|e| !global.dir.path.join(&e.rel).is_file())
                .map(|e| e.rel.display().to_string())
                .collect();
            draft.notes.push(format!("models/ is renamed to {}", backup.display()));
            // The user chose to keep these out of the global folder: the view check may not
            // find them afterwards.
            draft.view.hidden.extend(
                tree.entries
                    .iter()
                    .filter(|e| !matches!(e.kind, EntryKind::Dir))
                    .map(|e| crate::plan::RelPath(e.rel.clone())),
            );
            if !hidden.is_empty() {
                draft.notes.push(format!(
                    "ComfyUI will no longer see {} (they stay in the backup folder): {}",
                    plural(hidden.len(), "file", "files"),
                    short_list(&hidden)
                ));
            }
            // The global folder's links into this models/ follow it into the backup folder.
            let aliases = unlink_aliases(ctx, draft, ID, &models, global);
            ctx.act(draft, ID, Action::Move { from: models.clone(), to: backup });
            relink_aliases(ctx, draft, ID, aliases);
        }
    }
    let target = super::link_target(inspection, &global.dir.path, draft);
    ctx.act(draft, ID, Action::CreateLink { link: models, target });
}

/// Every file and link under `dir` (walked on disk, links followed as ComfyUI does), relative.
pub fn files_on_disk(dir: &Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .max_depth(16)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| e.path().strip_prefix(dir).ok().map(Path::to_path_buf))
        .collect()
}

/// Model files under `dir` (walked on disk, links followed as ComfyUI does) that have no
/// entry of the same relative path under `global`.
pub fn invisible_models_on_disk(dir: &Path, global: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .max_depth(16)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(dir).ok().map(Path::to_path_buf))
        .filter(|rel| !global.join(rel).is_file())
        .map(|rel| rel.display().to_string())
        .collect()
}
