//! Fix for `link-broken`: point the dangling link at the global folder (one atomic replace).

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::{Inspection, ModelsState};
use crate::plan::Action;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), ModelsState::Link(link)) = (&inspection.global, &inspection.models) else { return };
    let action = Action::ReplaceLink {
        link: inspection.install.models_path(),
        old_target: link.raw_target.clone(),
        new_target: super::link_target(inspection, &global.dir.path, draft),
    };
    ctx.act(draft, CheckId::LinkBroken, action);
}
