//! Fix for `global-missing`: create the global folder (asked; `--yes` accepts) with ComfyUI's
//! standard subfolders (the `global-layout` fix, which then finds the folder planned).

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::{GlobalKind, Inspection};

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let Some(global) = &inspection.global else { return };
    if global.kind == GlobalKind::Missing {
        draft.needs_confirmation = true;
        ctx.ensure_dir(draft, CheckId::GlobalMissing, &global.dir.path);
        super::global_layout::plan(inspection, ctx, draft);
    } else {
        draft.notes.push(format!(
            "global-missing: {} exists but is not a folder; move it away or pass --models-dir",
            global.dir.path.display()
        ));
    }
}
