//! Fixes: findings → a plan of typed actions. One planner per check, named by its ID.
//!
//! Planners only read. They see the disk through [`View`], which overlays what earlier steps of
//! the same run will have done, so a plan for the second install accounts for what the first one
//! moved into the global folder (a dry run of several installs stays truthful).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::checks::{CheckId, Finding};
use crate::inspect::{Inspection, ModelsState};
use crate::plan::{Action, InstallPlan, Step, ViewChanges};
use crate::platform::{self, Entry};

mod detached;
mod git_protection_lost;
mod git_tracks_models;
mod global_layout;
mod global_missing;
pub mod guard;
mod legacy_yaml;
mod link_broken;
mod link_missing;
mod link_wrong_target;
mod links_unsupported;
pub mod merge;
mod models_dir_real;
mod models_not_dir;
mod placeholder_only;
mod workspace_moved;

/// How user data in the way of the link is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Move or link every entry into the global folder; conflicts go to a backup folder.
    Merge,
    /// Keep the old folder (renamed) or leave the old target alone; only link.
    Backup,
}

/// What a destination is, as the plan will have left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    Missing,
    Dir,
    /// A file; `bytes_at` is where its bytes can be read now (its source, if only planned).
    File {
        len: u64,
        bytes_at: PathBuf,
    },
    Link {
        resolved: Option<PathBuf>,
    },
    Other,
}

/// The disk as the plan so far will have left it. Reads only.
#[derive(Debug, Default, Clone)]
pub struct View {
    overlay: HashMap<PathBuf, Dest>,
    /// Folders planned as a whole move: destination → source.
    moved_dirs: HashMap<PathBuf, PathBuf>,
    /// Every planned move, source → destination, so a link's target can be followed to where
    /// its bytes will be.
    moved: HashMap<PathBuf, PathBuf>,
    /// Links planned (made by an earlier step of this run) and not removed since.
    planned_links: Vec<PlannedLink>,
    /// Folders the plan makes: empty when made, so what the disk shows below them (say,
    /// through a link that stood there before) is not theirs.
    made_dirs: std::collections::HashSet<PathBuf>,
    /// Lines planned for appending, per file: a repository's `info/exclude` is shared by its
    /// worktrees, and a line appended twice would make the second step refuse.
    appended: std::collections::HashSet<(PathBuf, String)>,
    /// Git files an earlier sparse-checkout step saves (and its undo restores): the shared
    /// `config` of a repository whose worktrees are also installs. A later step must not save
    /// its own copy, which the earlier step makes stale (its precondition would fail).
    git_saved: std::collections::HashSet<PathBuf>,
    /// The names the overlay holds in folders that match names without case, by folder and
    /// case-folded spelling, so a name planned as `Foo` answers for `foo` there.
    folded: HashMap<(PathBuf, String), PathBuf>,
    /// Per folder asked: whether it matches names without case, and (where it does) the names
    /// it lists on disk. Read once per folder, on first use.
    folders: std::cell::RefCell<HashMap<PathBuf, Folder>>,
    /// Per folder on disk asked: the filesystem, as named for people, when it can hold no link.
    no_links: std::cell::RefCell<HashMap<PathBuf, Option<String>>>,
}

/// What [`View`] knows of one folder's spelling rules.
#[derive(Debug, Clone)]
struct Folder {
    insensitive: bool,
    /// Case-folded name → the spelling on disk (only for a case-insensitive folder).
    names: HashMap<String, OsString>,
}

fn fold(name: &std::ffi::OsStr) -> String {
    name.to_string_lossy().to_lowercase()
}

/// A link an earlier step will have made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLink {
    pub link: PathBuf,
    pub raw_target: PathBuf,
    pub kind: platform::LinkKind,
    pub target_is_dir: bool,
}

impl View {
    pub fn get(&self, path: &Path) -> Dest {
        if let Some(d) = self.overlay.get(path) {
            return d.clone();
        }
        if let Some(other) = self.planned_variant(path) {
            return self.overlay[&other].clone();
        }
        for anc in path.ancestors().skip(1) {
            if let Some(src) = self.moved_dirs.get(anc) {
                // A folder moved whole holds, at its new place, what its source holds on disk
                // now (the source itself reads as gone in the overlay).
                let rel = path.strip_prefix(anc).unwrap_or(path);
                return disk(&src.join(rel));
            }
            if matches!(self.overlay.get(anc), Some(Dest::Missing)) || self.made_dirs.contains(anc) {
                return Dest::Missing;
            }
        }
        disk(path)
    }

    fn set(&mut self, path: &Path, dest: Dest) {
        // A name planned away answers for nothing: only what the plan puts somewhere counts.
        if dest != Dest::Missing
            && let (Some(parent), Some(name)) = (path.parent(), path.file_name())
            && self.with_folder(parent, |f| f.insensitive)
        {
            self.folded.insert((parent.to_path_buf(), fold(name)), path.to_path_buf());
        }
        self.overlay.insert(path.to_path_buf(), dest);
    }

    /// The entry that already answers for `path` under another spelling, in a folder that
    /// matches names without regard to case: `Foo.safetensors` against `foo.safetensors`, on
    /// disk or planned by an earlier step. Writing `path` there would hit that entry, so a
    /// planner treats it as a conflict, never as a free name (nor as the same name).
    pub fn case_variant(&self, path: &Path) -> Option<PathBuf> {
        if self.overlay.get(path).is_some_and(|d| *d != Dest::Missing) {
            return None;
        }
        if let Some(other) = self.planned_variant(path) {
            return Some(other);
        }
        let (parent, name) = (path.parent()?, path.file_name()?);
        if self.overlay.contains_key(path) {
            return None;
        }
        // The spelling the folder lists on disk (read once per folder).
        let spelled =
            self.with_folder(parent, |f| f.insensitive.then(|| f.names.get(&fold(name)).cloned()).flatten())?;
        let other = parent.join(spelled);
        (other != path && !matches!(self.overlay.get(&other), Some(Dest::Missing))).then_some(other)
    }

    /// The filesystem (as named for people) of `dir`, when it can hold no link: a global folder
    /// on FAT or exFAT (an external drive) takes files but no link. Asked once per folder on
    /// disk (the nearest one, for a folder the plan makes): by its type, or where the type does
    /// not decide (FUSE, a share) by one test link made and removed at once, as the
    /// `links-unsupported` check does for an install folder.
    pub fn refuses_links(&self, dir: &Path) -> Option<String> {
        let on_disk = dir.ancestors().find(|a| a.is_dir()).unwrap_or(dir).to_path_buf();
        if let Some(known) = self.no_links.borrow().get(&on_disk) {
            return known.clone();
        }
        let refused = match platform::fstype::link_support(&on_disk, &on_disk) {
            platform::fstype::LinkSupport::No { fs, .. } => Some(fs),
            _ => None,
        };
        self.no_links.borrow_mut().insert(on_disk, refused.clone());
        refused
    }

    /// A name planned under another spelling in a case-insensitive folder (and not removed).
    /// Only a folder something was planned in can hold one, and [`View::set`] has asked it: a
    /// folder not asked yet, or one that tells case apart, costs one lookup and no allocation.
    fn planned_variant(&self, path: &Path) -> Option<PathBuf> {
        let (parent, name) = (path.parent()?, path.file_name()?);
        if !self.folders.borrow().get(parent).is_some_and(|f| f.insensitive) {
            return None;
        }
        let other = self.folded.get(&(parent.to_path_buf(), fold(name)))?;
        let live = other != path && self.overlay.get(other).is_some_and(|d| *d != Dest::Missing);
        live.then(|| other.clone())
    }

    /// Reads `dir`'s spelling rules once (from the nearest folder on disk that answers).
    fn with_folder<T>(&self, dir: &Path, f: impl FnOnce(&Folder) -> T) -> T {
        self.learn_folder(dir);
        f(&self.folders.borrow()[dir])
    }

    fn learn_folder(&self, dir: &Path) {
        if self.folders.borrow().contains_key(dir) {
            return;
        }
        let names: Vec<OsString> =
            std::fs::read_dir(dir).map(|rd| rd.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
        let insensitive = platform::case_insensitive(dir, &names).unwrap_or_else(|| match dir.parent() {
            Some(parent) if parent != dir && !parent.as_os_str().is_empty() => {
                self.learn_folder(parent);
                self.folders.borrow()[parent].insensitive
            }
            _ => platform::CASE_INSENSITIVE_DEFAULT,
        });
        let names = if insensitive { names.into_iter().map(|n| (fold(&n), n)).collect() } else { HashMap::new() };
        self.folders.borrow_mut().insert(dir.to_path_buf(), Folder { insensitive, names });
    }

    /// Where what is at `path` now will be once the planned moves are done (the path itself when
    /// nothing on its way moves).
    pub fn future(&self, path: &Path) -> PathBuf {
        let mut cur = path.to_path_buf();
        // A few hops at most: a file moved into a folder that moves again.
        for _ in 0..8 {
            let hit = cur.ancestors().find_map(|a| {
                let to = self.moved.get(a)?;
                // `join("")` would add a trailing separator, which a file's path must not have.
                Some(match cur.strip_prefix(a) {
                    Ok(rest) if !rest.as_os_str().is_empty() => to.join(rest),
                    _ => to.clone(),
                })
            });
            match hit {
                Some(next) if next != cur => cur = next,
                _ => break,
            }
        }
        cur
    }

    /// Whether `path` is, or will be once the plan so far is done, a link resolving to the folder
    /// `target`. Unlike [`View::get`], a link already on disk counts as a link here, not as the
    /// folder it leads to: a `models` link made by another tool (or a half-finished run) is a
    /// done step that the rest of the migration builds on.
    pub fn links_to(&self, path: &Path, target: &Path) -> bool {
        match self.overlay.get(path) {
            Some(Dest::Link { resolved: Some(t) }) => platform::same_dir(t, target),
            Some(_) => false,
            None => matches!(
                platform::entry(path),
                Ok(Entry::Link(l)) if l.resolved.as_deref().is_some_and(|t| platform::same_dir(t, target))
            ),
        }
    }

    /// Whether `path` is a link on disk that the plan so far leaves in place.
    pub fn links_on_disk_kept(&self, path: &Path) -> bool {
        !self.overlay.contains_key(path) && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
    }

    /// Links earlier steps of this run will have made.
    pub fn planned_links(&self) -> &[PlannedLink] {
        &self.planned_links
    }

    /// Whether an earlier step of this run appends `line` to `path`.
    pub fn appends(&self, path: &Path, line: &str) -> bool {
        self.appended.contains(&(path.to_path_buf(), line.to_string()))
    }

    /// Whether an earlier sparse-checkout step of this run saves (and changes) the git file `path`.
    pub fn git_saves(&self, path: &Path) -> bool {
        self.git_saved.contains(path)
    }

    /// Forgets what was planned: after execution the disk is the truth again.
    pub fn clear(&mut self) {
        *self = View::default();
    }
}

fn disk(path: &Path) -> Dest {
    match platform::entry(path) {
        Ok(Entry::Missing) => Dest::Missing,
        Ok(Entry::Dir) => Dest::Dir,
        Ok(Entry::File { len }) => Dest::File { len, bytes_at: path.to_path_buf() },
        Ok(Entry::Link(l)) => {
            if l.target_is_dir {
                // A folder link in the global folder is a folder for merging purposes.
                Dest::Dir
            } else {
                Dest::Link { resolved: l.resolved }
            }
        }
        Ok(Entry::Other) | Err(_) => Dest::Other,
    }
}

/// Everything a planner needs besides the inspection.
pub struct Ctx<'a> {
    pub strategy: Strategy,
    /// UTC timestamp used in backup names, e.g. `20261124T150102Z`.
    pub stamp: &'a str,
    /// Folder for merge leftovers (conflicts, identical duplicates) of this install.
    pub backup_root: PathBuf,
    /// The journal folder; the executor creates it, so plans treat it as existing.
    pub journal_dir: PathBuf,
    pub view: &'a mut View,
    /// False with `--no-git-protection`: link a checkout git cannot protect, with a note.
    pub git_protection: bool,
}

/// A plan being built for one install.
#[derive(Debug, Default)]
pub struct Draft {
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
    pub needs_confirmation: bool,
    pub view: ViewChanges,
    /// Printed even with `--quiet` (see [`InstallPlan::alerts`]).
    pub alerts: Vec<String>,
}

impl Draft {
    fn push(&mut self, check: CheckId, action: Action) {
        self.steps.push(Step { action, check });
    }
}

impl Ctx<'_> {
    /// Records an action in the draft and in the view.
    fn act(&mut self, draft: &mut Draft, check: CheckId, action: Action) {
        match &action {
            Action::MakeDir { path } => {
                self.view.made_dirs.insert(path.clone());
                self.view.set(path, Dest::Dir);
            }
            Action::Move { from, to } => {
                let moved = self.view.get(from);
                if moved == Dest::Dir {
                    self.view.moved_dirs.insert(to.clone(), from.clone());
                }
                self.view.moved.insert(from.clone(), to.clone());
                self.view.set(to, moved);
                self.view.set(from, Dest::Missing);
            }
            Action::HardLink { from, to } | Action::CopyVerify { from, to } => {
                let len = std::fs::metadata(from).map(|m| m.len()).unwrap_or(0);
                self.view.set(to, Dest::File { len, bytes_at: from.clone() });
            }
            Action::RemovePlaceholder { path } | Action::RemoveEmptyDir { path } => self.view.set(path, Dest::Missing),
            Action::RemoveLink { link, .. } => {
                self.view.planned_links.retain(|l| &l.link != link);
                self.view.set(link, Dest::Missing);
            }
            Action::CreateLink { link, target } => {
                self.view.set(link, Dest::Link { resolved: Some(crate::link_style::resolved_from(link, target)) });
            }
            Action::ReplaceLink { link, new_target, .. } => {
                self.view.set(link, Dest::Link { resolved: Some(crate::link_style::resolved_from(link, new_target)) });
            }
            Action::CreateLinkLike { link, raw_target, target_is_dir, kind } => {
                let resolved = link.parent().map(|p| platform::normalize(&p.join(raw_target)));
                let dest = if *target_is_dir { Dest::Dir } else { Dest::Link { resolved } };
                self.view.set(link, dest);
                self.view.planned_links.push(PlannedLink {
                    link: link.clone(),
                    raw_target: raw_target.clone(),
                    kind: *kind,
                    target_is_dir: *target_is_dir,
                });
            }
            Action::WriteFile { path, contents, .. } => {
                self.view.set(path, Dest::File { len: contents.len() as u64, bytes_at: path.clone() });
            }
            Action::RemoveStockFile { path, .. } => self.view.set(path, Dest::Missing),
            // Git's own files are not part of the disk the planners look at; what is recorded is
            // only what a repository's worktrees share (see `View::appends`, `View::git_saves`).
            Action::AppendLine { path, line } => {
                self.view.appended.insert((path.clone(), line.clone()));
            }
            Action::GitSparseCheckout { saved, .. } | Action::GitSparseDisable { saved, .. } => {
                self.view.git_saved.extend(saved.iter().map(|s| s.path.clone()));
            }
            // The index is the checkout's own.
            Action::GitSkipWorktree { .. } | Action::GitNoSkipWorktree { .. } => {}
            // The record beside the journals is not part of the disk the planners look at.
            Action::SetDetached { .. } | Action::GitUnprotect { .. } => {}
            Action::DeleteDuplicate { path, .. } => self.view.set(path, Dest::Missing),
        }
        draft.push(check, action);
    }

    /// Plans `MakeDir` for every missing folder from the first missing ancestor of `dir` down.
    fn ensure_dir(&mut self, draft: &mut Draft, check: CheckId, dir: &Path) {
        if dir == self.journal_dir || self.view.get(dir) != Dest::Missing {
            return;
        }
        if let Some(parent) = dir.parent() {
            self.ensure_dir(draft, check, parent);
        }
        self.act(draft, check, Action::MakeDir { path: dir.to_path_buf() });
    }

    /// Moves `src` to `<backup_root>/<rel>`, creating the folders on the way.
    fn backup(&mut self, draft: &mut Draft, check: CheckId, src: &Path, rel: &Path) -> PathBuf {
        let to = self.backup_root.join(rel);
        if let Some(parent) = to.parent() {
            self.ensure_dir(draft, check, parent);
        }
        self.act(draft, check, Action::Move { from: src.to_path_buf(), to: to.clone() });
        to
    }
}

/// The target a new `models` link of this install stores: relative or absolute as its
/// [`crate::link_style::LinkStyle`] decides (the workspace root is the scope of `auto`), with a
/// note when the style asked for cannot be had. Every planner that makes the `models` link asks
/// here, so both styles come out of one rule.
pub fn link_target(inspection: &Inspection, global: &Path, draft: &mut Draft) -> PathBuf {
    let install = &inspection.install;
    let scope =
        install.workspace.clone().unwrap_or_else(|| install.root.parent().unwrap_or(&install.root).to_path_buf());
    let (target, note) = crate::link_style::target_for(&install.models_path(), global, inspection.link.style, &scope);
    if let Some(note) = note {
        let from = inspection.link.style_from.as_deref().unwrap_or("the default");
        draft.notes.push(format!("link style {} ({from}): {note}", inspection.link.style.as_str()));
    }
    target
}

/// Why an install cannot be fixed at all; nothing is planned for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// A planner: reads the inspection and the [`View`], adds steps and notes to the draft.
pub type PlanFn = fn(&Inspection, &mut Ctx, &mut Draft);

/// What a check's fix does, and so where it runs in an install's plan.
pub enum Fix {
    /// Nothing automatic: the finding says what the user must do.
    Manual,
    /// Prepares the global folder; runs first.
    Global(PlanFn),
    /// Makes `models` the link to the global folder, once that folder exists. The checks about
    /// `models` exclude each other, so at most one applies to an install. `asks_strategy`: it
    /// moves or replaces user data, so the merge/backup question applies.
    Link { plan: PlanFn, asks_strategy: bool },
    /// Runs on top of the link (the YAML, git).
    OnLink(PlanFn),
}

/// The fix of every check; exhaustive, so a new check cannot compile without one.
pub fn fix(id: CheckId) -> Fix {
    match id {
        CheckId::ModelsDirUnknown => Fix::Manual,
        CheckId::GlobalMissing => Fix::Global(global_missing::plan),
        CheckId::GlobalLayout => Fix::Global(global_layout::plan),
        CheckId::GlobalLinkBroken => Fix::Manual,
        CheckId::LinkMissing => Fix::Link { plan: link_missing::plan, asks_strategy: false },
        CheckId::WorkspaceMoved => Fix::Link { plan: workspace_moved::plan, asks_strategy: false },
        CheckId::LinkBroken => Fix::Link { plan: link_broken::plan, asks_strategy: false },
        CheckId::LinkWrongTarget => Fix::Link { plan: link_wrong_target::plan, asks_strategy: true },
        CheckId::ModelsNotDir => Fix::Link { plan: models_not_dir::plan, asks_strategy: false },
        CheckId::PlaceholderOnly => Fix::Link { plan: placeholder_only::plan, asks_strategy: false },
        CheckId::ModelsDirReal => Fix::Link { plan: models_dir_real::plan, asks_strategy: true },
        CheckId::LinksUnsupported => Fix::Link { plan: links_unsupported::plan, asks_strategy: false },
        CheckId::LegacyYaml => Fix::OnLink(legacy_yaml::plan),
        CheckId::GitTracksModels => Fix::OnLink(git_tracks_models::plan),
        CheckId::Detached => Fix::OnLink(detached::plan),
        // `fix` finishes (or rolls back) an interrupted run before it plans anything.
        CheckId::RunInterrupted => Fix::Manual,
        CheckId::GitProtectionLost => Fix::OnLink(git_protection_lost::plan),
    }
}

/// Whether merging `install` would write through a link of the global folder that points into
/// `other`'s real `models/` (a top-level entry of `install`'s `models/` has the name of such a
/// link), so `other` must be planned first.
pub fn merges_through(install: &Inspection, other: &Inspection) -> bool {
    let (Some(global), ModelsState::RealDir(tree), ModelsState::RealDir(_)) =
        (&install.global, &install.models, &other.models)
    else {
        return false;
    };
    let Ok(theirs) = platform::canonicalize(&other.install.models_path()) else { return false };
    global.links.iter().any(|(rel, l)| {
        l.resolved.as_deref().is_some_and(|t| platform::is_within(t, &theirs))
            && tree.entries.iter().any(|e| e.rel.components().next() == rel.components().next())
    })
}

/// Whether the fix of this finding moves or replaces user data (so merge or backup is asked).
pub fn asks_strategy(finding: &Finding) -> bool {
    matches!(fix(finding.check), Fix::Link { asks_strategy: true, .. })
}

/// Plans every fix for one install, in the order: global folder, `models`, then what builds on
/// the link (YAML, git).
pub fn plan_install(inspection: &Inspection, findings: &[Finding], ctx: &mut Ctx) -> Result<InstallPlan, Refusal> {
    refuse_unsafe(inspection)?;
    let mut ids: Vec<CheckId> = findings.iter().map(|f| f.check).collect();
    ids.sort();
    ids.dedup();
    if ids.contains(&CheckId::GitTracksModels) {
        git_tracks_models::refuse_staged(inspection)?;
    }
    let mut draft = Draft::default();
    // The one finding that decides how `models` is linked: one that has a fix (an info-only
    // `workspace-moved`, where only workspace.json names the old place, has none and must not
    // stand in for the `placeholder-only` of a workspace that moved).
    let link_fix =
        ids.iter().filter(|&&id| findings.iter().any(|f| f.check == id && f.fix.is_some())).find_map(|&id| {
            match fix(id) {
                Fix::Link { plan, .. } => Some((id, plan)),
                _ => None,
            }
        });
    // The fallback YAML of `links-unsupported` makes no link, so git has nothing to protect.
    if link_fix.is_some_and(|(id, _)| id != CheckId::LinksUnsupported) {
        // Before anything is planned: a refused install leaves the view as it was.
        git_tracks_models::refuse_unprotectable(inspection, ctx.git_protection, &mut draft)?;
    }
    for &id in &ids {
        if let Fix::Global(plan) = fix(id) {
            plan(inspection, ctx, &mut draft);
        }
    }
    if let Some((id, plan)) = link_fix {
        if let Some(global) = &inspection.global
            && ctx.view.get(&global.dir.path) != Dest::Dir
        {
            draft.notes.push(format!(
                "{id}: not fixed, the global models folder {} does not exist (yet)",
                global.dir.path.display()
            ));
        } else {
            plan(inspection, ctx, &mut draft);
        }
    }
    for &id in &ids {
        if let Fix::OnLink(plan) = fix(id) {
            plan(inspection, ctx, &mut draft);
        }
    }
    let mut plan = InstallPlan {
        install: inspection.install.root.clone(),
        steps: draft.steps,
        notes: draft.notes,
        needs_confirmation: draft.needs_confirmation,
        view: draft.view,
        global: inspection.global.as_ref().map(|g| g.dir.path.clone()),
        global_stock: None,
        alerts: draft.alerts,
        guard: false,
    };
    git_protection_lost::record(inspection, ctx.view, &mut plan);
    Ok(plan)
}

/// The global folder inside `models/`, or the install inside the global folder, would make the
/// link a loop; a read-only install or global folder would fail half-way.
fn refuse_unsafe(inspection: &Inspection) -> Result<(), Refusal> {
    let Some(global) = &inspection.global else {
        return Err(Refusal("the global models folder is unknown: pass --models-dir DIR".into()));
    };
    let models = inspection.install.models_path();
    let g = &global.dir.path;
    if let ModelsState::RealDir(tree) = &inspection.models
        && !tree.is_complete()
    {
        // A report walk counted the files instead of keeping them: planning from it would
        // leave them out. Only `pipeline::collect_report` makes such trees; `fix` never plans
        // from them.
        return Err(Refusal("internal error: planned from a report-only inspection; nothing was changed".into()));
    }
    if let ModelsState::Link(link) = &inspection.models
        && let Some(old) = link.resolved.as_deref().filter(|t| !platform::same_dir(t, g))
        && platform::is_within(g, old)
    {
        return Err(Refusal(format!(
            "the global models folder {} lies inside {}, the folder models/ links to now; choose a global folder outside it with --models-dir",
            g.display(),
            old.display()
        )));
    }
    if let ModelsState::RealDir(tree) = &inspection.models
        && let Some(first) = tree.unreadable.first()
    {
        // What cannot be read cannot be moved: refusing now keeps every model where it is,
        // rather than stopping half-way with some already moved.
        return Err(Refusal(format!(
            "{} cannot be read ({first}{}); nothing was changed. Make it readable (chmod -R u+rX {}) or run as its owner, then run again",
            models.display(),
            match tree.unreadable.len() {
                1 => String::new(),
                n => format!(", and {} more", n - 1),
            },
            crate::plan::quote(&models)
        )));
    }
    if matches!(inspection.models, ModelsState::RealDir(_))
        && !inspection.models_is_global
        && platform::is_within(g, &models)
    {
        return Err(Refusal(format!(
            "the global models folder {} lies inside this install's models/ folder; choose a global folder outside it with --models-dir",
            g.display()
        )));
    }
    if platform::is_within(&inspection.install.root, g) {
        return Err(Refusal(format!(
            "this install lies inside the global models folder {}; move the install or choose another folder with --models-dir",
            g.display()
        )));
    }
    for dir in [Some(inspection.install.root.as_path()), Some(g.as_path()).filter(|g| g.exists())].into_iter().flatten()
    {
        if std::fs::metadata(dir).is_ok_and(|m| m.permissions().readonly()) {
            return Err(Refusal(format!("{} is not writable; fix its permissions and run again", dir.display())));
        }
    }
    Ok(())
}

/// The children of a folder on disk, sorted by name (read-only; for trees the inspection did
/// not cover, such as a link's old target).
pub fn children_on_disk(dir: &Path) -> Vec<(OsString, Entry)> {
    let mut out: Vec<(OsString, Entry)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| platform::entry(&e.path()).ok().map(|kind| (e.file_name(), kind)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Whether two files hold the same bytes (size first, then content).
pub fn same_bytes(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    if ma.len() != mb.len() {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    let mut ba = vec![0u8; 1 << 16];
    let mut bb = vec![0u8; 1 << 16];
    loop {
        let na = match fa.read(&mut ba) {
            Ok(n) => n,
            Err(_) => return false,
        };
        if na == 0 {
            return true;
        }
        if fb.read_exact(&mut bb[..na]).is_err() || ba[..na] != bb[..na] {
            return false;
        }
    }
}
