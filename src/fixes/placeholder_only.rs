//! Fix for `placeholder-only`: merge the stock files with content (configs) into the global
//! folder, remove 0-byte placeholders and emptied folders, then link. Nothing user-made is at
//! stake, so no prompt.

use std::path::Path;

use super::merge::{Index, MergeReport, MoveJob, move_tree};
use super::{Ctx, Draft};
use crate::inspect::{Inspection, ModelsState};
use crate::plan::Action;

const ID: &str = "placeholder-only";

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), ModelsState::RealDir(tree)) = (&inspection.global, &inspection.models) else { return };
    let models = inspection.install.models_path();
    let mut report = MergeReport::default();
    let index = Index::new(tree);
    let job = MoveJob { check: ID, index: &index, src_root: &models, global: &global.dir.path };
    move_tree(ctx, draft, &job, Path::new(""), &mut report);
    draft.notes.extend(report.into_notes(&ctx.backup_root));
    ctx.act(draft, ID, Action::RemoveEmptyDir { path: models.clone() });
    ctx.act(draft, ID, Action::CreateLink { link: models, target: global.dir.path.clone() });
}
