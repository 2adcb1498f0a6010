//! Fix for `legacy-yaml`: once `models/` links to the global folder, the entries it serves are
//! dropped from the file; the rest are kept. The original is always backed up first.

use super::{Ctx, Draft};
use crate::checks::CheckId;
use crate::inspect::Inspection;
use crate::legacy_yaml::{self, Coverage};
use crate::plan::Action;

const ID: CheckId = CheckId::LegacyYaml;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (Some(global), Some(Ok(yaml))) = (&inspection.global, &inspection.yaml) else { return };
    let models = inspection.install.models_path();
    // Only when the link will serve the covered entries: otherwise removing them hides models.
    let linked = ctx.view.links_to(&models, &global.dir.path);
    if !linked {
        draft
            .notes
            .push(format!("{ID}: left alone: models/ does not link to the global folder, so the file is still needed"));
        return;
    }
    let entries: Vec<_> = yaml.entries().collect();
    let covered = entries
        .iter()
        .filter(|e| matches!(legacy_yaml::classify(e, &global.dir.path), Coverage::Covered { .. }))
        .count();
    if covered == 0 {
        draft.notes.push(format!("{ID}: left alone: the models link serves none of its entries"));
        return;
    }
    draft.needs_confirmation = true;
    let backup_name = format!("{}.comfydoctor-backup-{}", legacy_yaml::FILE_NAME, ctx.stamp);
    let backup = inspection.install.root.join(&backup_name);
    ctx.act(draft, ID, Action::Move { from: yaml.path.clone(), to: backup });
    match legacy_yaml::rewrite_uncovered(yaml, &global.dir.path, &backup_name) {
        None => draft.notes.push(format!(
            "{}: all {} entries are served by the models link; the file is backed up as {backup_name} and removed",
            legacy_yaml::FILE_NAME,
            entries.len()
        )),
        Some(contents) => {
            draft.notes.push(format!(
                "{}: {covered} of {} entries are served by the models link; the file is backed up as {backup_name} and rewritten with the other {}",
                legacy_yaml::FILE_NAME,
                entries.len(),
                entries.len() - covered
            ));
            ctx.act(draft, ID, Action::WriteFile { path: yaml.path.clone(), contents });
        }
    }
}
