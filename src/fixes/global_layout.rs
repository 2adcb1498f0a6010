//! Fix for `global-layout`: create ComfyUI's standard subfolders that the global folder lacks.

use super::{Ctx, Dest, Draft};
use crate::checks::CheckId;
use crate::inspect::Inspection;
use crate::stock;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let Some(global) = &inspection.global else { return };
    if ctx.view.get(&global.dir.path) != Dest::Dir {
        return;
    }
    for sub in stock::standard_subfolders() {
        let dir = global.dir.path.join(sub);
        if ctx.view.get(&dir) == Dest::Missing {
            ctx.ensure_dir(draft, CheckId::GlobalLayout, &dir);
        }
    }
}
