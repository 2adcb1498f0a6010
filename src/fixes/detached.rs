//! Fix for `detached` (only when attaching, see `checks::detached::hold`): once the plan has
//! linked `models/` again, the detach record is forgotten, so the install is an ordinary linked
//! install from then on (and an updater that breaks the link is repaired by the hook again).

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::Inspection;
use crate::plan::Action;
use crate::state;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(record), Some(global)) = (&inspection.detached, &inspection.global) else { return };
    if !ctx.view.links_to(&inspection.install.models_path(), &global.dir.path) {
        return;
    }
    let action = Action::SetDetached {
        path: state::path(&ctx.journal_dir),
        install: inspection.install.root.clone(),
        now: None,
        was: Some(record.clone()),
    };
    ctx.act(draft, CheckId::Detached, action);
}
