//! Fix for `placeholder-only`: merge the stock files with content (configs) into the global
//! folder, remove 0-byte placeholders and emptied folders, then link. Nothing user-made is at
//! stake, so no prompt.

use super::merge::merge_models_dir;
use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::{Inspection, ModelsState};
use crate::plan::Action;

const ID: CheckId = CheckId::PlaceholderOnly;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), ModelsState::RealDir(tree)) = (&inspection.global, &inspection.models) else { return };
    let models = inspection.install.models_path();
    merge_models_dir(ctx, draft, ID, tree, &models, global);
    let target = super::link_target(inspection, &global.dir.path, draft);
    ctx.act(draft, ID, Action::CreateLink { link: models, target });
}
