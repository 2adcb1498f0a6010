//! Fix for `link-wrong-target`: bring what the old target holds into the global folder (merge;
//! the old target is only read), then re-point the link.

use crate::checks::CheckId;
use std::path::Path;

use super::merge::{MergeReport, copy_tree};
use super::{Ctx, Draft, Strategy};
use crate::inspect::{Inspection, ModelsState};
use crate::plan::Action;

const ID: CheckId = CheckId::LinkWrongTarget;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), ModelsState::Link(link)) = (&inspection.global, &inspection.models) else { return };
    let Some(old) = &link.resolved else { return };
    draft.needs_confirmation = true;
    match ctx.strategy {
        Strategy::Merge => {
            let mut report = MergeReport::default();
            copy_tree(ctx, draft, ID, old, &global.dir.path, Path::new(""), &mut report);
            draft.notes.push(format!("{} is only read: its files stay where they are", old.display()));
            report.into_draft(draft, &ctx.backup_root);
        }
        Strategy::Backup => {
            let hidden = super::models_dir_real::invisible_models_on_disk(old, &global.dir.path);
            draft.view.hidden.extend(super::models_dir_real::files_on_disk(old).into_iter().map(crate::plan::RelPath));
            draft.notes.push(format!(
                "{} stays as it is; ComfyUI will no longer see {} from it{}",
                old.display(),
                crate::wording::count(hidden.len(), "model file", "model files"),
                if hidden.is_empty() { String::new() } else { format!(": {}", super::merge::short_list(&hidden)) }
            ));
        }
    }
    let action = Action::ReplaceLink {
        link: inspection.install.models_path(),
        old_target: link.raw_target.clone(),
        new_target: super::link_target(inspection, &global.dir.path, draft),
    };
    ctx.act(draft, ID, action);
}
