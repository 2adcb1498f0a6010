//! Fix for `link-missing`: create the link to the global folder.

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::Inspection;
use crate::plan::Action;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let Some(global) = &inspection.global else { return };
    let action = Action::CreateLink {
        link: inspection.install.models_path(),
        target: super::link_target(inspection, &global.dir.path, draft),
    };
    ctx.act(draft, CheckId::LinkMissing, action);
}
