//! `comfydoctor guard`'s first half: a migrated git checkout made to look unmigrated, so an
//! updater that ignores git's protection (libgit2) writes into a real `models/` and never
//! through the link: the link removed (never its target), `models/` written from the git
//! objects exactly as the index has it, the skip-worktree bits cleared and the sparse checkout
//! off. The second half, after the updater, is an ordinary migration (`fixes::plan_install`).

use super::{Ctx, Draft, Refusal};
use crate::checks::CheckId;
use crate::git::{self, GitState};
use crate::inspect::{Inspection, ModelsState};
use crate::plan::{Action, InstallPlan, SavedFile};
use crate::platform;

/// The steps are journaled under the check whose protection they stand aside.
const ID: CheckId = CheckId::GitTracksModels;

/// Why an install is not guarded (it is left as it is and the updater may run).
pub fn skip_reason(inspection: &Inspection) -> Option<String> {
    let tracks = matches!(&inspection.git, GitState::Repo(r) if r.tracked > 0);
    if !matches!(inspection.models, ModelsState::Link(_)) {
        return Some("models/ is not a link, so an updater cannot write through it".into());
    }
    if tracks {
        return None;
    }
    match &inspection.git {
        GitState::Repo(_) => Some("git tracks nothing under models/".into()),
        GitState::NotARepo => Some("not a git checkout".into()),
        _ => inspection.git.unusable(&inspection.install.root).map(|u| format!("{}; {}", u.why, u.remedy)),
    }
}

/// Why a linked checkout cannot be guarded, so the updater must not run: its link does not lead
/// to the global folder (guard would have to re-point it, and the updater would write into
/// whatever it leads to). The caller says what fixes it (`comfydoctor fix` of that install).
pub fn refusal(inspection: &Inspection) -> Option<String> {
    let ModelsState::Link(l) = &inspection.models else { return None };
    let global = inspection.global.as_ref().map(|g| &g.dir.path);
    let linked = global.is_some_and(|g| l.resolved.as_deref().is_some_and(|t| platform::same_dir(t, g)));
    (!linked).then(|| {
        format!(
            "models/ links to {}, not to the global folder{}",
            l.raw_target.display(),
            global.map(|g| format!(" {}", g.display())).unwrap_or_default()
        )
    })
}

/// Plans the first half for a linked checkout (see [`skip_reason`] first).
pub fn plan(inspection: &Inspection, ctx: &mut Ctx) -> Result<InstallPlan, Refusal> {
    let root = &inspection.install.root;
    let models = inspection.install.models_path();
    let (ModelsState::Link(link), GitState::Repo(repo), Some(global)) =
        (&inspection.models, &inspection.git, &inspection.global)
    else {
        return Err(Refusal("not a linked git checkout".into()));
    };
    let entries = git::models_index(root).ok_or_else(|| Refusal("git cannot list the index".into()))?;
    let mut draft = Draft::default();
    ctx.act(
        &mut draft,
        ID,
        Action::RemoveLink {
            link: models.clone(),
            raw_target: link.raw_target.clone(),
            kind: link.kind,
            target_is_dir: link.target_is_dir,
        },
    );
    ctx.act(&mut draft, ID, Action::MakeDir { path: models.clone() });
    for e in &entries {
        let mode = match e.mode.as_str() {
            "100644" => 0o644,
            "100755" => 0o755,
            other => {
                return Err(Refusal(format!(
                    "the index has {} as mode {other} (a link or a submodule), which comfydoctor does not write; nothing was changed",
                    e.path
                )));
            }
        };
        let bytes =
            git::blob(root, &e.oid).ok_or_else(|| Refusal(format!("git cannot read the blob of {}", e.path)))?;
        let contents = String::from_utf8(bytes).map_err(|_| {
            Refusal(format!("{} is not text, which comfydoctor does not write; nothing was changed", e.path))
        })?;
        let path = root.join(&e.path);
        if let Some(parent) = path.parent() {
            ctx.ensure_dir(&mut draft, ID, parent);
        }
        let mode = cfg!(unix).then_some(mode);
        ctx.act(&mut draft, ID, Action::WriteFile { path, contents, mode, uid: None, gid: None });
    }
    let skipped: Vec<String> = entries.iter().filter(|e| e.skip_worktree).map(|e| e.path.clone()).collect();
    if !skipped.is_empty() {
        ctx.act(&mut draft, ID, Action::GitNoSkipWorktree { repo: root.clone(), paths: skipped });
    }
    let common = git::common_dir(&repo.git_dir);
    let sparse_file = repo.git_dir.join("info").join("sparse-checkout");
    let enabled = git::query(root, &["config", "--bool", "core.sparseCheckout"])
        .is_some_and(|o| String::from_utf8_lossy(&o).trim() == "true");
    if enabled || repo.sparse_excludes_models {
        let saved: Vec<SavedFile> = [common.join("config"), repo.git_dir.join("config.worktree"), sparse_file.clone()]
            .into_iter()
            .filter(|p| !ctx.view.git_saves(p))
            .map(|path| SavedFile { contents: std::fs::read_to_string(&path).ok(), path })
            .collect();
        let text = std::fs::read_to_string(&sparse_file).unwrap_or_default();
        let theirs: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter(|l| !matches!(*l, "!/models/" | "!/models" | "!/models/*" | "!models/" | "/*"))
            .map(String::from)
            .collect();
        let action = if theirs.is_empty() || !enabled {
            Action::GitSparseDisable { repo: root.clone(), saved }
        } else {
            // The user's own sparse patterns stay; only the rule for /models/ goes.
            let mut patterns = vec!["/*".to_string()];
            patterns.extend(theirs);
            Action::GitSparseCheckout { repo: root.clone(), patterns, saved }
        };
        ctx.act(&mut draft, ID, action);
    }
    draft.notes.push(format!(
        "models/ is a real folder with git's stock files while the command runs; the global folder {} is not touched",
        global.dir.path.display()
    ));
    let mut plan = InstallPlan {
        install: root.clone(),
        steps: draft.steps,
        notes: draft.notes,
        needs_confirmation: false,
        view: draft.view,
        global: Some(global.dir.path.clone()),
        global_stock: None,
        alerts: Vec::new(),
        guard: true,
    };
    super::git_protection_lost::record(inspection, ctx.view, &mut plan);
    Ok(plan)
}

/// The text of `src` (at `rel` under the `models` folder of a git checkout) when its bytes are
/// what the checkout's index has at that path: a stock file of this ComfyUI version, which the
/// embedded list may not know (an update changed it). Small files of a checkout only.
pub fn git_stock_contents(models: &std::path::Path, src: &std::path::Path, rel: &std::path::Path) -> Option<String> {
    let root = models.parent()?;
    let meta = std::fs::symlink_metadata(src).ok()?;
    if !meta.is_file() || meta.len() > crate::protection::HASH_LIMIT || git::git_dir(root).is_none() {
        return None;
    }
    let tracked = format!("models/{}", crate::inspect::slash_path(rel));
    let out = git::query(root, &["ls-files", "-s", "-z", "--", &tracked])?;
    let rec = String::from_utf8_lossy(&out);
    let oid = rec.split(' ').nth(1)?.to_string();
    let ids = git::blob_ids(root, &[src.to_path_buf()])?;
    if ids.first() != Some(&oid) {
        return None;
    }
    String::from_utf8(platform::read_bounded(src, meta.len()).ok()?).ok()
}
