//! `models-dir-real`: a real `models/` folder holding user data.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection, ModelsState, human_bytes};
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::ModelsDirReal,
    severity: Severity::Warning,
    summary: "models is a real folder holding models or other user files",
    explain: "The install keeps its own models instead of the shared ones, so they use disk \
twice and other installs cannot see them.\n\nFix: with --strategy merge (default), move every \
entry to the same relative path in the global folder: identical duplicates are dropped, \
different files with the same name go to a backup folder and are reported as conflicts, nested \
links move as links (or are unfolded over an existing folder); then link models/. With \
--strategy backup, rename models/ to models.comfydoctor-backup-<time> and link; the prompt lists \
what ComfyUI will no longer see. Every change is journaled and `comfydoctor undo` reverses it.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let ModelsState::RealDir(tree) = &inspection.models else {
        return None;
    };
    if tree.stock_only {
        return None;
    }
    let (files, bytes) = tree.files().fold((0u64, 0u64), |(n, b), (_, len)| (n + 1, b + len));
    let mut message = format!("models/ is a real folder holding {files} file(s), {}", human_bytes(bytes));
    let links: Vec<String> =
        tree.links().map(|(rel, l)| format!("{} → {}", rel.display(), l.raw_target.display())).collect();
    if !links.is_empty() {
        message.push_str(&format!("; {} nested link(s): {}", links.len(), links.join(", ")));
    }
    if !tree.unreadable.is_empty() {
        message.push_str(&format!("; {} entr(ies) unreadable", tree.unreadable.len()));
    }
    let fix = match global {
        Some(g) => format!("merge into {} (or back up), then link", display_path(&g.dir.path)),
        None => "merge into the global folder (or back up), then link".into(),
    };
    Some(Finding::new(CHECK.id, Severity::Warning, message, Some(fix)))
}
