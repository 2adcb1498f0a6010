//! Fix for `git-protection-lost`, and the record of the global folder that it relies on.
//!
//! The repair: remove the 0-byte placeholders the updater wrote into the global folder (the
//! journal's record says which were not there before), restore git's protection (the
//! `git-tracks-models` planner: skip-worktree bits, and the sparse rule if it went too), and
//! leave the updater's stash alone, saying what it holds. Stock files the updater overwrote are
//! named in alerts (printed even with `--quiet`), with the hash the record knew.
//!
//! The record ([`record`]): every plan for a git checkout notes in the journal what the global
//! folder will hold at the paths the index tracks under `models/` once the plan is done (size,
//! sha256, whether it is an edit of a stock file), and says so for an edited one: an update
//! without `comfydoctor guard` could overwrite it.

use super::{Ctx, Dest, Draft, View};
use crate::checks::CheckId;
use crate::git::{self, GitState};
use crate::inspect::Inspection;
use crate::plan::{Action, GlobalStock, InstallPlan, StockSeen};
use crate::protection::HASH_LIMIT;
use crate::stock;

const ID: CheckId = CheckId::GitProtectionLost;

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let Some(lost) = &inspection.protection_lost else { return };
    for rel in &lost.written_placeholders {
        let path = lost.global.join(rel);
        if matches!(ctx.view.get(&path), Dest::File { len: 0, .. }) {
            ctx.act(draft, ID, Action::RemovePlaceholder { path });
        }
    }
    if !lost.written_placeholders.is_empty() {
        draft.notes.push(format!(
            "{ID}: the {} the updater wrote into the global folder {} removed; the folders it made stay",
            crate::wording::count(lost.written_placeholders.len(), "placeholder", "placeholders"),
            if lost.written_placeholders.len() == 1 { "is" } else { "are" }
        ));
    }
    super::git_tracks_models::plan(inspection, ctx, draft);
    if !lost.overwritten.is_empty() {
        let when = match &lost.record {
            Some((run, at)) => format!(" (the hashes are those run {run} recorded at {at})"),
            None => {
                " (comfydoctor had no record of the global folder, so it cannot tell whether they held edits)".into()
            }
        };
        draft.alerts.push(format!(
            "{ID}: an update not run under comfydoctor guard {}{when}; their earlier bytes are gone unless you have a copy. Next time run the updater under comfydoctor guard (README: Updating ComfyUI; examples/update_comfyui_comfydoctor.bat does it for the portable build)",
            crate::checks::git_protection_lost::overwritten_text(lost).trim_start_matches("it ")
        ));
    }
    if let Some((subject, paths)) = &lost.stash {
        let models_deleted = paths.iter().filter(|(s, p)| s == "D" && p.starts_with("models/")).count();
        let other: Vec<String> = paths
            .iter()
            .filter(|(s, p)| !(s == "D" && p.starts_with("models/")))
            .map(|(s, p)| format!("{s} {p}"))
            .collect();
        let mut text = format!(
            "{ID}: the updater's stash \"{subject}\" (stash@{{0}}) is left alone: it holds {} as deleted",
            crate::wording::count(models_deleted, "models/ path", "models/ paths")
        );
        if other.is_empty() {
            text.push_str(" and nothing else; `git stash drop` removes it");
        } else {
            text.push_str(&format!(
                " and {} of yours ({}); `git stash pop` brings {} back",
                crate::wording::count(other.len(), "other change", "other changes"),
                crate::wording::short_list(&other),
                if other.len() == 1 { "it" } else { "them" }
            ));
        }
        draft.alerts.push(text);
    }
}

/// Records in `plan` (so in the journal) what the global folder will hold at the paths the
/// checkout's index tracks under `models/`, once the plan is done, and notes each stock file
/// there whose bytes no stock version known to comfydoctor or to git has (an edit).
pub fn record(inspection: &Inspection, view: &View, plan: &mut InstallPlan) {
    let (GitState::Repo(repo), Some(global)) = (&inspection.git, &inspection.global) else { return };
    if repo.tracked == 0 || plan.steps.is_empty() {
        return;
    }
    let root = &inspection.install.root;
    let Some(entries) = git::models_index(root) else { return };
    let mut files = Vec::new();
    let mut at = Vec::new();
    for e in &entries {
        let Some(rel) = e.path.strip_prefix("models/") else { continue };
        let Dest::File { len, bytes_at } = view.get(&global.dir.path.join(rel)) else { continue };
        let sha256 = (len <= HASH_LIMIT).then(|| crate::digest::sha256_file(&bytes_at).ok().map(|(_, h)| h)).flatten();
        files.push(StockSeen { path: rel.to_string(), size: len, sha256, edited: false });
        at.push(bytes_at);
    }
    // Edited: not empty, not the embedded stock bytes, and a blob git has never seen.
    let candidates: Vec<usize> = (0..files.len())
        .filter(|&i| {
            let f = &files[i];
            let stock_sha = stock::stock_file(&f.path).map(|s| s.sha256.as_str());
            f.size > 0 && f.sha256.is_some() && f.sha256.as_deref() != stock_sha
        })
        .collect();
    let paths: Vec<_> = candidates.iter().map(|&i| at[i].clone()).collect();
    if let Some(ids) = git::blob_ids(root, &paths) {
        for (&i, known) in candidates.iter().zip(git::known_objects(root, &ids)) {
            files[i].edited = !known;
        }
    }
    for f in files.iter().filter(|f| f.edited) {
        plan.notes.push(format!(
            "{ID}: {} in the global folder is an edited stock file (sha256 {}, {} bytes; recorded in the journal): an update not run under comfydoctor guard could overwrite it",
            f.path,
            f.sha256.as_deref().unwrap_or("?"),
            f.size
        ));
    }
    plan.global_stock = Some(GlobalStock { files });
}
