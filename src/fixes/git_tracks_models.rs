//! Fix for `git-tracks-models`, run once the link is in place, in this order (the one found to
//! leave `git status` clean and `git pull`/`git checkout` working with git 2.47):
//! mark the tracked `models/` paths skip-worktree, add a non-cone sparse-checkout rule that keeps
//! everything but `/models/` (merged with existing rules), and exclude `/models` so the link is
//! not untracked. Setting the sparse checkout before the migration would make git delete the
//! stock files before they could be merged.

use super::{Ctx, Draft, Refusal};
use crate::checks::CheckId;
use crate::git::{self, GitState};
use crate::inspect::Inspection;
use crate::plan::{Action, SavedFile};

const ID: CheckId = CheckId::GitTracksModels;

/// Lines added to `info/exclude`: the link, the backup folders made beside it, the backup of
/// a retired `extra_model_paths.yaml` (ComfyUI's `.gitignore` ignores only the file itself), and
/// the side names of a link being re-pointed; so `git status` stays clean after a migration.
const EXCLUDES: &[&str] = &[
    "/models",
    "/models.comfydoctor-backup-*",
    "/extra_model_paths.yaml.comfydoctor-backup-*",
    "/.models.comfydoctor-*",
];

/// Staged changes under `models/` would be hidden by the sparse checkout: refuse the install.
pub fn refuse_staged(inspection: &Inspection) -> Result<(), Refusal> {
    let staged = git::staged_models_paths(&inspection.install.root);
    if staged.is_empty() {
        return Ok(());
    }
    Err(Refusal(format!(
        "git has staged changes under models/ ({}) that the sparse checkout would hide; commit or unstage them (`git -C {} restore --staged models`) and run again",
        staged.join(", "),
        inspection.install.root.display()
    )))
}

/// A checkout git cannot be asked about cannot be protected: the link is not made (the install
/// is refused, nothing changed) unless `--no-git-protection`, which notes that it stays
/// unprotected. Called only when the plan is about to make or re-point the link.
pub fn refuse_unprotectable(inspection: &Inspection, protect: bool, draft: &mut Draft) -> Result<(), Refusal> {
    let root = &inspection.install.root;
    let Some(u) = inspection.git.unusable(root) else { return Ok(()) };
    if protect {
        return Err(Refusal(format!(
            "{}, so this git checkout cannot be protected and a models/ link would break it (git would show every tracked models/ file deleted, the next `git pull` abort and `git reset --hard` replace the link); nothing was changed. To fix: {}, then run again; or pass --no-git-protection to link it unprotected",
            u.why, u.remedy
        )));
    }
    draft.notes.push(format!(
        "{ID}: linked without git protection (--no-git-protection): {}; the checkout stays unprotected until you {} and run `comfydoctor fix` again",
        u.why, u.remedy
    ));
    Ok(())
}

pub fn plan(inspection: &Inspection, ctx: &mut Ctx, draft: &mut Draft) {
    let (GitState::Repo(repo), Some(global)) = (&inspection.git, &inspection.global) else { return };
    let root = &inspection.install.root;
    let linked = ctx.view.links_to(&inspection.install.models_path(), &global.dir.path);
    if !linked {
        draft.notes.push(format!("{ID}: left for later: models/ is not linked to the global folder yet"));
        return;
    }
    let mut paths = Vec::new();
    for raw in git::unskipped_models_paths(root) {
        match String::from_utf8(raw) {
            Ok(p) => paths.push(p),
            Err(e) => draft.notes.push(format!(
                "{ID}: {} is not valid UTF-8; mark it by hand: git update-index --skip-worktree",
                String::from_utf8_lossy(e.as_bytes())
            )),
        }
    }
    if !paths.is_empty() {
        ctx.act(draft, ID, Action::GitSkipWorktree { repo: root.clone(), paths });
    }
    // A checkout and its `git worktree add` copies share the common folder's `config` and
    // `info/exclude`; the index, `info/sparse-checkout` and `config.worktree` are each
    // worktree's own. Shared changes already planned for another install of this run are not
    // planned again (the view says which).
    let common = git::common_dir(&repo.git_dir);
    let shared_config = common.join("config");
    let expects_outside = ctx.view.git_saves(&shared_config)
        || git::query(root, &["config", "--bool", "sparse.expectFilesOutsideOfPatterns"])
            .is_some_and(|o| String::from_utf8_lossy(&o).trim() == "true");
    let exclude = common.join("info").join("exclude");
    let current = std::fs::read_to_string(&exclude).unwrap_or_default();
    let missing: Vec<&str> = EXCLUDES
        .iter()
        .copied()
        .filter(|l| !current.lines().any(|c| c.trim_end() == *l) && !ctx.view.appends(&exclude, l))
        .collect();
    let needs_sparse = !repo.sparse_excludes_models || !expects_outside;
    if needs_sparse || !missing.is_empty() {
        // `info/` is missing in rare hand-made repositories; made before git would make it.
        ctx.ensure_dir(draft, ID, &common.join("info"));
    }
    if needs_sparse {
        let sparse_file = repo.git_dir.join("info").join("sparse-checkout");
        // The shared config, when an earlier step saves it, is that step's to restore.
        let saved: Vec<SavedFile> = [shared_config.clone(), repo.git_dir.join("config.worktree"), sparse_file.clone()]
            .into_iter()
            .filter(|path| !ctx.view.git_saves(path))
            .map(|path| SavedFile { contents: std::fs::read_to_string(&path).ok(), path })
            .collect();
        let enabled = git::query(root, &["config", "--bool", "core.sparseCheckout"])
            .is_some_and(|o| String::from_utf8_lossy(&o).trim() == "true");
        let mut patterns: Vec<String> = match (std::fs::read_to_string(&sparse_file).ok(), enabled) {
            (Some(text), true) => {
                text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
            }
            _ => Vec::new(),
        };
        if patterns.is_empty() {
            patterns.push("/*".into());
        }
        patterns.retain(|p| !matches!(p.as_str(), "/models/" | "/models" | "/models/*"));
        patterns.push("!/models/".into());
        ctx.act(draft, ID, Action::GitSparseCheckout { repo: root.clone(), patterns, saved });
    }
    for line in missing {
        ctx.act(draft, ID, Action::AppendLine { path: exclude.clone(), line: line.to_string() });
    }
}
