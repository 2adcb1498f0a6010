//! Fix for `models-not-dir`: rename the file out of the way (nothing is deleted), then link.

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::{Inspection, ModelsState};
use crate::plan::Action;

const ID: CheckId = CheckId::ModelsNotDir;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let Some(global) = &inspection.global else { return };
    let models = inspection.install.models_path();
    match &inspection.models {
        ModelsState::Link(link) => {
            let action = Action::ReplaceLink {
                link: models,
                old_target: link.raw_target.clone(),
                new_target: super::link_target(inspection, &global.dir.path, draft),
            };
            ctx.act(draft, ID, action);
        }
        _ => {
            draft.needs_confirmation = true;
            let backup = inspection.install.root.join(format!("models.comfydoctor-backup-{}", ctx.stamp));
            draft.notes.push(format!("models (not a folder) is renamed to {}", backup.display()));
            ctx.act(draft, ID, Action::Move { from: models.clone(), to: backup });
            let target = super::link_target(inspection, &global.dir.path, draft);
            ctx.act(draft, ID, Action::CreateLink { link: models, target });
        }
    }
}
