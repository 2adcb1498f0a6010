//! Fix for `workspace-moved`: re-point the link left at the workspace's old place to the global
//! folder at the new one (relative where the style allows, so the next move keeps it). Every
//! install of the workspace has the finding, so one `fix` re-points them all.

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::{Inspection, ModelsState};
use crate::plan::Action;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), ModelsState::Link(link)) = (&inspection.global, &inspection.models) else { return };
    let Some(m) = crate::checks::workspace_moved::applies(inspection, Some(global)) else { return };
    // The new place was found by its name: say it and ask, never re-point silently.
    draft.needs_confirmation = true;
    let new_target = super::link_target(inspection, &global.dir.path, draft);
    draft.notes.push(format!(
        "workspace-moved: {} is gone (the workspace was at {}); the link now points at {}{}",
        m.old_target.display(),
        m.old_root.display(),
        global.dir.path.display(),
        if new_target.is_relative() { ", relatively, so a later move keeps it" } else { "" }
    ));
    let action =
        Action::ReplaceLink { link: inspection.install.models_path(), old_target: link.raw_target.clone(), new_target };
    ctx.act(draft, CheckId::WorkspaceMoved, action);
}
