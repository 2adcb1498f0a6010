//! Merging a folder into the global one: move (a real `models/`), copy (a link's old target,
//! which is only read), and unfold (a nested link over an existing folder, as GNU Stow does).
//!
//! Every entry of the source ends up somewhere: in the global folder, in the backup folder, or
//! (placeholders and emptied folders only) removed. A name ComfyUI listed stays listed.

use crate::checks::CheckId;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Ctx, Dest, Draft, children_on_disk, same_bytes};
use crate::inspect::{DirTree, EntryKind, GlobalState};
use crate::plan::{Action, RelPath, Renamed};
use crate::platform::{self, Entry, LinkInfo, LinkKind};
use crate::stock;

/// Children of each folder of an inspected tree, by relative path.
pub struct Index<'t> {
    children: BTreeMap<PathBuf, Vec<(OsString, &'t EntryKind)>>,
}

impl<'t> Index<'t> {
    pub fn new(tree: &'t DirTree) -> Self {
        let mut children: BTreeMap<PathBuf, Vec<(OsString, &'t EntryKind)>> = BTreeMap::new();
        for e in &tree.entries {
            let parent = e.rel.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = e.rel.file_name().map(OsString::from).unwrap_or_default();
            children.entry(parent).or_default().push((name, &e.kind));
        }
        Index { children }
    }

    fn children(&self, rel: &Path) -> &[(OsString, &'t EntryKind)] {
        self.children.get(rel).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether a subtree holds only plain files and folders (no link, no placeholder) whose
    /// names differ in more than case, so it can move in one rename (or one tree copy) even
    /// onto a volume that matches names without case.
    fn plain(&self, rel: &Path) -> bool {
        let children = self.children(rel);
        let folded: std::collections::HashSet<String> =
            children.iter().map(|(name, _)| name.to_string_lossy().to_lowercase()).collect();
        folded.len() == children.len()
            && children.iter().all(|(name, kind)| match kind {
                EntryKind::Dir => self.plain(&rel.join(name)),
                EntryKind::File { len } => !(*len == 0 && stock::is_placeholder_name(&name.to_string_lossy())),
                _ => false,
            })
    }
}

/// Moves a real `models/` folder's whole content into the global folder and removes the
/// emptied folder, noting totals, duplicates and conflicts for the prompt.
///
/// The plan models what ComfyUI will list afterwards, so no name it listed disappears:
/// - links in the global folder that point into this `models/` (a global subfolder linked back
///   into the install, an earlier install's link to one of these files) are removed first and,
///   where they named another place than their own, made again to where the bytes will be;
/// - links inside `models/` are planned last, once every target's new place is known: a link to
///   another entry of the same `models/` is rewritten relative to its new place, a link to a
///   file that will sit at its own new path is dropped (the name stays, served by the file);
/// - a folder against a file of the same name (or the reverse) is moved in under a free name
///   (`name (1)`), never hidden in the backup folder.
pub fn merge_models_dir(
    ctx: &mut Ctx,
    draft: &mut Draft,
    check: CheckId,
    tree: &DirTree,
    models: &Path,
    global: &GlobalState,
) {
    let mut report = MergeReport::default();
    let index = Index::new(tree);
    let canon_src = platform::canonicalize(models).unwrap_or_else(|_| models.to_path_buf());
    let job = MoveJob { check, index: &index, src_root: models, canon_src: &canon_src, global: &global.dir.path };
    let aliases = unlink_aliases(ctx, draft, check, models, global);
    let mut later = Later::default();
    move_tree(ctx, draft, &job, Path::new(""), &global.dir.path, &mut report, &mut later);
    for (rel, link, dst) in &later.links {
        move_link(ctx, draft, &job, rel, link, dst, &mut report);
    }
    for dir in later.rmdirs {
        ctx.act(draft, check, Action::RemoveEmptyDir { path: dir });
    }
    relink_aliases(ctx, draft, check, aliases);
    report.into_draft(draft, &ctx.backup_root);
    ctx.act(draft, check, Action::RemoveEmptyDir { path: models.to_path_buf() });
}

/// Totals and lists for the confirmation prompt, and the planned changes of the view.
#[derive(Debug, Default)]
pub struct MergeReport {
    pub moved_files: u64,
    pub moved_bytes: u64,
    pub conflicts: Vec<String>,
    pub duplicates: Vec<String>,
    pub unreachable: Vec<String>,
    /// Type clashes moved in under another name (relative paths).
    pub renamed: Vec<Renamed>,
    /// Folders merged into the global folder's other spelling of their name, on a volume that
    /// matches names without case (relative paths).
    pub respelled: Vec<Renamed>,
    /// Names that will show the global folder's version (relative paths).
    pub shadowed: Vec<PathBuf>,
    /// Names deliberately no longer shown: special files, a link that would hold the global
    /// folder (relative).
    pub hidden: Vec<PathBuf>,
    /// Links that loop and keep looping in the global folder.
    pub loops: Vec<String>,
    /// Broken links of the global folder replaced by a loadable entry of the same name.
    pub broken_replaced: Vec<String>,
    /// Links of the install set aside because the global folder's filesystem (named once) holds
    /// none (relative paths).
    pub no_links: Vec<String>,
    pub no_links_fs: Option<String>,
}

impl MergeReport {
    /// The prompt's notes and the plan's announced changes of the view.
    pub fn into_draft(mut self, draft: &mut Draft, backup_root: &Path) {
        draft.notes.extend(self.take_notes(backup_root));
        draft.view.renamed.append(&mut self.renamed);
        draft.view.renamed.append(&mut self.respelled);
        draft.view.shadowed.extend(self.shadowed.into_iter().map(RelPath));
        draft.view.hidden.extend(self.hidden.into_iter().map(RelPath));
    }

    fn take_notes(&mut self, backup_root: &Path) -> Vec<String> {
        let mut notes = Vec::new();
        if self.moved_files > 0 {
            notes.push(format!(
                "{} ({}) {} into the global folder",
                plural(self.moved_files as usize, "file", "files"),
                crate::inspect::human_bytes(self.moved_bytes),
                if self.moved_files == 1 { "goes" } else { "go" }
            ));
        }
        if !self.duplicates.is_empty() {
            notes.push(format!(
                "{} of files already in the global folder {} to {} (safe to delete later): {}",
                plural(self.duplicates.len(), "identical duplicate", "identical duplicates"),
                if self.duplicates.len() == 1 { "goes" } else { "go" },
                backup_root.display(),
                short_list(&self.duplicates)
            ));
        }
        if !self.conflicts.is_empty() {
            notes.push(format!(
                "{}: the global folder has a different entry of the same name, which ComfyUI will show; the install's version goes to {}: {}",
                plural(self.conflicts.len(), "conflict", "conflicts"),
                backup_root.display(),
                short_list(&self.conflicts)
            ));
        }
        if !self.renamed.is_empty() {
            let shown: Vec<String> =
                self.renamed.iter().map(|r| format!("{} → {}", r.from.display(), r.to.display())).collect();
            notes.push(format!(
                "{} under a new name, since the global folder has a file where the install has a folder (or the reverse): {}",
                plural(self.renamed.len(), "entry moves in", "entries move in"),
                short_list(&shown)
            ));
        }
        if !self.respelled.is_empty() {
            let shown: Vec<String> =
                self.respelled.iter().map(|r| format!("{} → {}", r.from.display(), r.to.display())).collect();
            notes.push(format!(
                "{} into the global folder's folder of the same name spelled in another case (its names ignore case), so ComfyUI lists what {} under that spelling: {}",
                plural(self.respelled.len(), "folder merges", "folders merge"),
                if self.respelled.len() == 1 { "it holds" } else { "they hold" },
                short_list(&shown)
            ));
        }
        if let (false, Some(fs)) = (self.no_links.is_empty(), &self.no_links_fs) {
            notes.push(format!(
                "{} set aside in {}: the global folder is on {fs}, which holds no links, so ComfyUI will no longer list what {} named there: {}",
                plural(self.no_links.len(), "link", "links"),
                backup_root.display(),
                if self.no_links.len() == 1 { "it" } else { "they" },
                short_list(&self.no_links)
            ));
        }
        if !self.loops.is_empty() {
            notes.push(format!(
                "{} to a folder that holds it (a loop) move as they are, so ComfyUI lists the same names; `comfydoctor scan` reports them until you remove them: {}",
                plural(self.loops.len(), "link", "links"),
                short_list(&self.loops)
            ));
        }
        if !self.broken_replaced.is_empty() {
            notes.push(format!(
                "{} in the global folder that cannot be loaded (target missing) give their place to the install's entry of the same name; `comfydoctor undo` makes them again: {}",
                plural(self.broken_replaced.len(), "broken link", "broken links"),
                short_list(&self.broken_replaced)
            ));
        }
        notes.append(&mut self.unreachable);
        notes
    }
}

/// `1 file`, `2 files`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

pub use crate::wording::short_list;

/// What a move merges: the real folder `src_root` (inspected as `index`) into `global`.
pub struct MoveJob<'a> {
    pub check: CheckId,
    pub index: &'a Index<'a>,
    pub src_root: &'a Path,
    /// `src_root` with every link on its way resolved, to recognise links that point into it.
    pub canon_src: &'a Path,
    pub global: &'a Path,
}

/// What is planned once the rest of the tree is: the links (their targets' new places must be
/// known first) and the folders that hold them (emptied only after them), deepest first.
#[derive(Default)]
struct Later<'t> {
    /// (relative path, the link, where it goes in the global folder)
    links: Vec<(PathBuf, &'t LinkInfo, PathBuf)>,
    rmdirs: Vec<PathBuf>,
}

/// A link in the global folder that points into the folder being merged.
pub struct Alias {
    link: PathBuf,
    /// Where it pointed (resolved).
    target: PathBuf,
}

/// Removes the global folder's links into `models/` before anything moves: once `models/` is a
/// link to the global folder they would point at themselves.
pub fn unlink_aliases(
    ctx: &mut Ctx,
    draft: &mut Draft,
    check: CheckId,
    models: &Path,
    global: &GlobalState,
) -> Vec<Alias> {
    let canon_src = platform::canonicalize(models).unwrap_or_else(|_| models.to_path_buf());
    let canon_global = platform::canonicalize(&global.dir.path).unwrap_or_else(|_| global.dir.path.clone());
    let (src_root, canon_src, canon_global, global_path) =
        (models, canon_src.as_path(), canon_global.as_path(), &global.dir.path);
    let mut found: Vec<(PathBuf, PathBuf, LinkKind, bool, PathBuf)> = Vec::new();
    for (rel, info) in &global.links {
        let link = global_path.join(rel);
        let Some(target) = info.resolved.as_deref() else { continue };
        // Skip links an earlier step of this run removes or replaces.
        if !matches!(ctx.view.get(&link), Dest::Dir | Dest::Link { .. }) {
            continue;
        }
        if platform::is_within(target, canon_src) {
            found.push((link, info.raw_target.clone(), info.kind, info.target_is_dir, target.to_path_buf()));
        }
    }
    for l in ctx.view.planned_links().to_vec() {
        let base = l.link.parent().unwrap_or(Path::new("/"));
        let target = platform::resolve_lenient(&base.join(&l.raw_target));
        let in_src = platform::is_within(&target, canon_src) || platform::is_within(&target, src_root);
        if in_src && (platform::is_within(&l.link, global_path) || platform::is_within(&l.link, canon_global)) {
            found.push((l.link, l.raw_target, l.kind, l.target_is_dir, target));
        }
    }
    let mut aliases = Vec::new();
    for (link, raw_target, kind, target_is_dir, target) in found {
        ctx.act(draft, check, Action::RemoveLink { link: link.clone(), raw_target, kind, target_is_dir });
        // The target, spelled under the install's own `models/` path, so planned moves apply.
        let rel = target.strip_prefix(canon_src).or_else(|_| target.strip_prefix(src_root));
        let target = rel.map(|r| src_root.join(r)).unwrap_or(target);
        aliases.push(Alias { link, target });
    }
    aliases
}

/// Makes the removed aliases again, pointing to where their targets went, unless that is the
/// alias's own place (the merge put the real entry there).
pub fn relink_aliases(ctx: &mut Ctx, draft: &mut Draft, check: CheckId, aliases: Vec<Alias>) {
    for a in aliases {
        let to = ctx.view.future(&a.target);
        if to == a.link || ctx.view.get(&a.link) != Dest::Missing {
            continue;
        }
        let target_is_dir = ctx.view.get(&to) == Dest::Dir;
        let kind = if target_is_dir && cfg!(windows) { LinkKind::Junction } else { LinkKind::Symlink };
        let raw_target = link_target(ctx.view, &a.link, &to);
        ctx.act(draft, check, Action::CreateLinkLike { link: a.link, raw_target, kind, target_is_dir });
    }
}

/// A link's target from `link` to `to`: relative when both sit in one folder tree that holds no
/// link on the way (so the pair survives a move of that tree), else absolute. Junctions are
/// always absolute.
fn link_target(view: &super::View, link: &Path, to: &Path) -> PathBuf {
    if cfg!(windows) {
        return to.to_path_buf();
    }
    let Some(from_dir) = link.parent() else { return to.to_path_buf() };
    let common: PathBuf =
        from_dir.components().zip(to.components()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect();
    let has_link = |base: &Path, rest: &Path| {
        let mut cur = base.to_path_buf();
        rest.components().any(|c| {
            cur.push(c);
            // A link the plan removes first (and makes a folder) does not count.
            view.links_on_disk_kept(&cur)
        })
    };
    let (Ok(up), Ok(down)) = (from_dir.strip_prefix(&common), to.strip_prefix(&common)) else {
        return to.to_path_buf();
    };
    if common.components().count() <= 1 || has_link(&common, up) {
        return to.to_path_buf();
    }
    let mut rel = PathBuf::new();
    for _ in up.components() {
        rel.push("..");
    }
    rel.push(down);
    // A link to its own folder.
    if rel.as_os_str().is_empty() { PathBuf::from(".") } else { rel }
}

/// Moves the contents of folder `rel` of the job's source, and below, into `dst_dir`. Every
/// child is accounted for; emptied folders are removed (those holding links, after the links).
/// Returns whether something below waits for [`Later`].
fn move_tree<'t>(
    ctx: &mut Ctx,
    draft: &mut Draft,
    job: &MoveJob<'t>,
    rel: &Path,
    dst_dir: &Path,
    report: &mut MergeReport,
    later: &mut Later<'t>,
) -> bool {
    let MoveJob { check, index, src_root, .. } = *job;
    let mut waits = false;
    for (name, kind) in index.children(rel) {
        let r = rel.join(name);
        let src = src_root.join(&r);
        let dst = dst_dir.join(name);
        let shown = r.display().to_string();
        match kind {
            EntryKind::File { len } if *len == 0 && stock::is_placeholder_name(&name.to_string_lossy()) => {
                ctx.act(draft, check, Action::RemovePlaceholder { path: src });
            }
            EntryKind::File { len } => match ctx.view.get(&dst) {
                // The global folder matches names without case and holds this one under another
                // spelling: a conflict like any other (ComfyUI lists the global spelling). Only
                // a name that answers at all can be another's spelling.
                ref there if *there != Dest::Missing && ctx.view.case_variant(&dst).is_some() => {
                    case_conflict(ctx, &dst, &shown, report);
                    report.shadowed.push(r.clone());
                    ctx.backup(draft, check, &src, &r);
                }
                Dest::Missing => {
                    report.moved_files += 1;
                    report.moved_bytes += len;
                    ctx.act(draft, check, Action::Move { from: src, to: dst });
                }
                Dest::File { bytes_at, .. } if same_bytes(&src, &bytes_at) => {
                    match stock_contents(&src, &r).or_else(|| super::guard::git_stock_contents(src_root, &src, &r)) {
                        // ComfyUI's own file, already in the global folder: nothing of the user's.
                        Some(contents) => ctx.act(draft, check, Action::RemoveStockFile { path: src, contents }),
                        None => {
                            report.duplicates.push(shown);
                            ctx.backup(draft, check, &src, &r);
                        }
                    }
                }
                // A folder of that name: the file moves in beside it, under a free name.
                Dest::Dir => {
                    let to = free_name(ctx, &dst);
                    note_renamed(report, job, &dst, &to, &r);
                    report.moved_files += 1;
                    report.moved_bytes += len;
                    ctx.act(draft, check, Action::Move { from: src, to });
                }
                // A broken link of that name (made by an earlier install's plan, or already
                // there): it lists as a name nothing can load, so the file takes its place.
                _ if displace_broken_link(ctx, draft, check, &dst, &shown, report) => {
                    report.moved_files += 1;
                    report.moved_bytes += len;
                    ctx.act(draft, check, Action::Move { from: src, to: dst });
                }
                _ => {
                    report.conflicts.push(shown);
                    report.shadowed.push(r.clone());
                    ctx.backup(draft, check, &src, &r);
                }
            },
            EntryKind::Dir => {
                let there = ctx.view.get(&dst);
                let spelled = if there == Dest::Dir { ctx.view.case_variant(&dst) } else { None };
                let target = match (there, spelled) {
                    // The same folder under another spelling (a volume that matches names
                    // without case): merged into it, its names now listed under that spelling.
                    (Dest::Dir, Some(spelled)) => {
                        let to =
                            spelled.strip_prefix(job.global).map(Path::to_path_buf).unwrap_or_else(|_| spelled.clone());
                        report.respelled.push(Renamed { from: r.clone(), to });
                        spelled
                    }
                    (Dest::Missing | Dest::Dir, _) => dst.clone(),
                    // A file (or a file link, or a special file) of that name: the folder moves
                    // in under a free name, so none of its names is hidden.
                    _ => {
                        let to = free_name(ctx, &dst);
                        note_renamed(report, job, &dst, &to, &r);
                        to
                    }
                };
                if ctx.view.get(&target) == Dest::Missing && index.plain(&r) {
                    let (n, b) = count(index, &r);
                    report.moved_files += n;
                    report.moved_bytes += b;
                    ctx.act(draft, check, Action::Move { from: src, to: target });
                } else {
                    ctx.ensure_dir(draft, check, &target);
                    if move_tree(ctx, draft, job, &r, &target, report, later) {
                        later.rmdirs.push(src);
                        waits = true;
                    } else {
                        ctx.act(draft, check, Action::RemoveEmptyDir { path: src });
                    }
                }
            }
            EntryKind::Link(link) => {
                later.links.push((r, link, dst));
                waits = true;
            }
            EntryKind::Other => {
                // A socket or pipe holds no model; it waits in the backup folder.
                report.conflicts.push(format!("{shown} (special file)"));
                report.hidden.push(r.clone());
                ctx.backup(draft, check, &src, &r);
            }
        }
    }
    waits
}

/// The first of `name (1)`, `name (2)`, ... (before the extension of a file name) that nothing
/// will occupy.
fn free_name(ctx: &Ctx, dst: &Path) -> PathBuf {
    let name = dst.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (name[..i].to_string(), name[i..].to_string()),
        _ => (name.clone(), String::new()),
    };
    (1..)
        .map(|n| dst.with_file_name(format!("{stem} ({n}){ext}")))
        .find(|p| ctx.view.get(p) == Dest::Missing && ctx.view.case_variant(p).is_none())
        .unwrap_or_else(|| dst.to_path_buf())
}

/// Notes a name that meets another spelling of itself in the global folder.
fn case_conflict(ctx: &Ctx, dst: &Path, shown: &str, report: &mut MergeReport) {
    let other = ctx.view.case_variant(dst);
    let other =
        other.as_deref().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    report.conflicts.push(format!("{shown} (the global folder has it as {other}: its names ignore case)"));
}

fn note_renamed(report: &mut MergeReport, job: &MoveJob, dst: &Path, to: &Path, rel: &Path) {
    let new_rel = to.strip_prefix(job.global).map(Path::to_path_buf).unwrap_or_else(|_| to.to_path_buf());
    let _ = dst;
    report.renamed.push(Renamed { from: rel.to_path_buf(), to: new_rel });
}

/// The text of `src` when it is one of ComfyUI's stock files (path, size and sha256 match).
fn stock_contents(src: &Path, rel: &Path) -> Option<String> {
    let stock = stock::stock_file(&crate::inspect::slash_path(rel))?;
    // Sized first: a large model under a stock name is never read whole.
    let bytes = platform::read_bounded(src, stock.size).ok()?;
    if bytes.len() as u64 != stock.size || crate::digest::sha256_bytes(&bytes) != stock.sha256 {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn count(index: &Index, rel: &Path) -> (u64, u64) {
    index.children(rel).iter().fold((0, 0), |(n, b), (name, kind)| match kind {
        EntryKind::File { len } => (n + 1, b + len),
        EntryKind::Dir => {
            let (cn, cb) = count(index, &rel.join(name));
            (n + cn, b + cb)
        }
        _ => (n, b),
    })
}

/// A nested link, planned once every other entry has its new place. Its target is followed to
/// where its bytes will be: a link into the same `models/` is rewritten relative to its new
/// place; a link to what will sit at its own new path is dropped (the name stays); a link that
/// loops (to a folder holding it) goes to the backup folder, since its names are listed anyway.
fn move_link(
    ctx: &mut Ctx,
    draft: &mut Draft,
    job: &MoveJob,
    rel: &Path,
    link: &LinkInfo,
    dst: &Path,
    report: &mut MergeReport,
) {
    let (check, src_root) = (job.check, job.src_root);
    let src = &src_root.join(rel);
    let shown = rel.display().to_string();
    let remove = Action::RemoveLink {
        link: src.to_path_buf(),
        raw_target: link.raw_target.clone(),
        kind: link.kind,
        target_is_dir: link.target_is_dir,
    };
    // The target, spelled under `models/` when it lies inside it, so planned moves apply.
    let target_now: Option<PathBuf> = link.resolved.as_deref().map(|t| match t.strip_prefix(job.canon_src) {
        Ok(r) => src_root.join(r),
        Err(_) => t.to_path_buf(),
    });
    let Some(target_now) = target_now else {
        // Dangling: it still shows in ComfyUI's lists, so it keeps showing, pointing at the same
        // (missing) place; a relative target inside `models/` stays relative.
        let lexical = platform::normalize(&src.parent().unwrap_or(Path::new("/")).join(&link.raw_target));
        let raw_target = if link.raw_target.is_relative() && platform::is_within(&lexical, src_root) {
            link.raw_target.clone()
        } else {
            lexical
        };
        place_link(ctx, draft, job, rel, dst, raw_target, link, remove, report);
        return;
    };
    let internal = platform::is_within(&target_now, src_root);
    // What is left under `models/` is seen through the new link, in the global folder.
    let to = ctx.view.future(&target_now);
    let to = match to.strip_prefix(src_root) {
        Ok(r) if r.as_os_str().is_empty() => job.global.to_path_buf(),
        Ok(r) => job.global.join(r),
        Err(_) => to,
    };
    if !link.target_is_dir && same_place(&to, dst) {
        // It will point at itself: the file it names is (or will be) at its own new path.
        ctx.act(draft, check, remove);
        return;
    }
    // A link into the global folder above its new place would hold itself there: its names are
    // second names for what the global folder lists under their own, so only this link goes
    // (to the backup folder, announced).
    if link.target_is_dir && !internal && would_loop(&to, dst) {
        report.conflicts.push(format!("{shown} (a link into the global folder, which would hold itself there)"));
        report.hidden.push(rel.to_path_buf());
        ctx.backup(draft, check, src, rel);
        return;
    }
    // A folder link that loops inside `models/` (to a folder holding it) keeps looping the same
    // way: ComfyUI listed names through it, so it must go on doing so. The loop is reported
    // afterwards (`global-link-broken`), for the user to remove.
    let loops = link.target_is_dir
        && (src.parent().is_some_and(|p| platform::is_within(p, &target_now))
            || platform::is_within(src_root, &target_now));
    if loops {
        report.loops.push(shown);
    }
    let raw_target =
        if internal || platform::is_within(&to, job.global) { link_target(ctx.view, dst, &to) } else { to };
    place_link(ctx, draft, job, rel, dst, raw_target, link, remove, report);
}

/// Puts a link moved out of `models/` at `dst` in the global folder, unfolding it over an
/// existing folder, dropping it where the global folder already serves the same file.
#[allow(clippy::too_many_arguments)]
fn place_link(
    ctx: &mut Ctx,
    draft: &mut Draft,
    job: &MoveJob,
    rel: &Path,
    dst: &Path,
    raw_target: PathBuf,
    link: &LinkInfo,
    remove: Action,
    report: &mut MergeReport,
) {
    let check = job.check;
    let src = &job.src_root.join(rel);
    let absolute = platform::normalize(&dst.parent().unwrap_or(Path::new("/")).join(&raw_target));
    // The link made at `at` (in `dst`'s folder), then the old one removed.
    let relink = |ctx: &mut Ctx, draft: &mut Draft, at: PathBuf| {
        let create = Action::CreateLinkLike {
            link: at,
            raw_target: raw_target.clone(),
            kind: link.kind,
            target_is_dir: link.target_is_dir,
        };
        ctx.act(draft, check, create);
        ctx.act(draft, check, remove.clone());
    };
    if ctx.view.case_variant(dst).is_some() {
        case_conflict(ctx, dst, &rel.display().to_string(), report);
        report.shadowed.push(rel.to_path_buf());
        ctx.backup(draft, check, src, rel);
        return;
    }
    // No link can live in the global folder (FAT, exFAT): one that would be made there (or
    // unfolded there, one per entry) waits in the backup folder, announced.
    let refused = dst.parent().and_then(|p| ctx.view.refuses_links(p));
    if let Some(fs) = refused {
        // Only a link whose names the global folder already serves needs no link of its own.
        let served = match ctx.view.get(dst) {
            Dest::File { bytes_at, .. } => !link.target_is_dir && same_bytes(&absolute, &bytes_at),
            _ => false,
        };
        if !served {
            report.no_links.push(rel.display().to_string());
            report.no_links_fs = Some(fs);
            report.hidden.push(rel.to_path_buf());
            ctx.backup(draft, check, src, rel);
            return;
        }
    }
    match ctx.view.get(dst) {
        Dest::Missing => {
            if let Some(parent) = dst.parent() {
                ctx.ensure_dir(draft, check, parent);
            }
            relink(ctx, draft, dst.to_path_buf());
        }
        Dest::Dir if link.target_is_dir => {
            unfold(ctx, draft, check, &absolute, dst, rel, report);
            ctx.act(draft, check, remove);
        }
        Dest::Link { resolved } if resolved.is_some() && resolved.as_deref() == Some(absolute.as_path()) => {
            ctx.act(draft, check, remove);
        }
        Dest::File { bytes_at, .. } if !link.target_is_dir && same_bytes(&absolute, &bytes_at) => {
            // The global folder already has these bytes under this name.
            ctx.act(draft, check, remove);
        }
        // A file link against a folder of that name, or a folder link against a file (or a file
        // link): a type clash, as for a file against a folder. It moves in beside it under a
        // free name in the same folder (so a relative target still resolves), hiding neither.
        ref there if type_clash(there, link.target_is_dir) => {
            let to = free_name(ctx, dst);
            note_renamed(report, job, dst, &to, rel);
            relink(ctx, draft, to);
        }
        // A broken link of that name in the global folder, against a link that loads: the
        // working one takes its place.
        _ if link.resolved.is_some()
            && displace_broken_link(ctx, draft, check, dst, &rel.display().to_string(), report) =>
        {
            relink(ctx, draft, dst.to_path_buf());
        }
        _ => {
            report.conflicts.push(format!("{} (link)", rel.display()));
            report.shadowed.push(rel.to_path_buf());
            ctx.backup(draft, check, src, rel);
        }
    }
}

/// When `dst` in the global folder is (or an earlier step makes it) a link whose target does not
/// exist, plans its removal (journaled: `undo` makes it again) and says so in the notes: ComfyUI
/// lists its name but cannot load it, so a loadable entry of the same name takes its place
/// rather than going to the backup folder. Returns whether it did.
fn displace_broken_link(
    ctx: &mut Ctx,
    draft: &mut Draft,
    check: CheckId,
    dst: &Path,
    shown: &str,
    report: &mut MergeReport,
) -> bool {
    let Dest::Link { resolved } = ctx.view.get(dst) else { return false };
    if resolved.is_some_and(|t| ctx.view.get(&t) != Dest::Missing) {
        return false;
    }
    let planned = ctx.view.planned_links().iter().rev().find(|l| l.link == dst).cloned();
    let (raw_target, kind, target_is_dir) = match planned {
        Some(l) => (l.raw_target, l.kind, l.target_is_dir),
        None => match platform::entry(dst) {
            Ok(Entry::Link(l)) => (l.raw_target, l.kind, l.target_is_dir),
            _ => return false,
        },
    };
    report.broken_replaced.push(format!("{shown} (was a link to {}, which does not exist)", raw_target.display()));
    ctx.act(draft, check, Action::RemoveLink { link: dst.to_path_buf(), raw_target, kind, target_is_dir });
    true
}

/// Whether an entry `there` of the global folder is of the other kind than a link that lists
/// as a folder (`link_is_dir`) or as a file: the two cannot share one name.
/// (A folder link of the global folder reads as a folder; a dangling one lists as a file.)
fn type_clash(there: &Dest, link_is_dir: bool) -> bool {
    match there {
        Dest::Dir => !link_is_dir,
        Dest::File { .. } | Dest::Other | Dest::Link { .. } => link_is_dir,
        Dest::Missing => false,
    }
}

/// Whether two paths name the same place, once the folders on their way are resolved.
fn same_place(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    let resolve = |p: &Path| -> PathBuf {
        match (p.parent(), p.file_name()) {
            (Some(parent), Some(name)) => platform::resolve_lenient(parent).join(name),
            _ => p.to_path_buf(),
        }
    };
    resolve(a) == resolve(b)
}

/// Whether a link at `at` pointing to `target` would sit inside its own target (ComfyUI's walk
/// would go round it forever).
fn would_loop(target: &Path, at: &Path) -> bool {
    at.parent().is_some_and(|parent| platform::is_within(parent, target))
}

/// The link's target as an absolute path (resolved when it exists, else joined lexically).
fn absolute_target(link_path: &Path, link: &LinkInfo) -> PathBuf {
    link.resolved.clone().unwrap_or_else(|| {
        let base = link_path.parent().unwrap_or(Path::new("/"));
        platform::normalize(&base.join(&link.raw_target))
    })
}

/// Makes every entry of `target` visible under `dst` by one link per entry, recursing where
/// both sides hold a folder. The target is only read.
fn unfold(
    ctx: &mut Ctx,
    draft: &mut Draft,
    check: CheckId,
    target: &Path,
    dst: &Path,
    rel: &Path,
    r: &mut MergeReport,
) {
    for (name, entry) in children_on_disk(target) {
        let t = target.join(&name);
        let d = dst.join(&name);
        let shown = rel.join(&name).display().to_string();
        let t_is_dir = matches!(entry, Entry::Dir) || matches!(&entry, Entry::Link(l) if l.target_is_dir);
        if ctx.view.case_variant(&d).is_some() {
            r.shadowed.push(rel.join(&name));
            r.unreachable.push(format!(
                "{shown}: the global folder has it under another spelling (its names ignore case); ComfyUI will show the global one"
            ));
            continue;
        }
        match ctx.view.get(&d) {
            Dest::Missing if would_loop(&t, &d) => {
                r.hidden.push(rel.join(&name));
                r.unreachable.push(format!(
                    "{shown}: {} contains the global folder, so it is not linked into it (a loop)",
                    t.display()
                ));
            }
            Dest::Missing => {
                let kind = if t_is_dir && cfg!(windows) { LinkKind::Junction } else { LinkKind::Symlink };
                let action = Action::CreateLinkLike { link: d, raw_target: t, kind, target_is_dir: t_is_dir };
                ctx.act(draft, check, action);
            }
            Dest::Dir if t_is_dir => unfold(ctx, draft, check, &t, &d, &rel.join(&name), r),
            Dest::File { bytes_at, .. } if !t_is_dir && same_bytes(&t, &bytes_at) => {}
            _ => {
                r.shadowed.push(rel.join(&name));
                r.unreachable.push(format!(
                    "{shown}: the global folder already has a different entry of that name; the version in {} stays there but ComfyUI will show the global one",
                    t.display()
                ));
            }
        }
    }
}

/// Brings every entry of `old` (a link's previous target, never modified) that the global
/// folder lacks into it: hard links on one filesystem, verified copies otherwise.
pub fn copy_tree(
    ctx: &mut Ctx,
    draft: &mut Draft,
    check: CheckId,
    old: &Path,
    dst: &Path,
    rel: &Path,
    r: &mut MergeReport,
) {
    for (name, entry) in children_on_disk(old) {
        let o = old.join(&name);
        let d = dst.join(&name);
        let r_rel = rel.join(&name);
        let shown = r_rel.display().to_string();
        let spelled = ctx.view.case_variant(&d);
        let refused = if matches!(entry, Entry::Link(_)) { ctx.view.refuses_links(dst) } else { None };
        match (entry, ctx.view.get(&d)) {
            (Entry::File { len: 0 }, _) if stock::is_placeholder_name(&name.to_string_lossy()) => {}
            // No link can live in the global folder (FAT, exFAT): the old target keeps it.
            (Entry::Link(_), _) if refused.is_some() => {
                let fs = refused.clone().unwrap_or_default();
                r.hidden.push(r_rel.clone());
                r.unreachable.push(format!(
                    "{shown}: a link, and the global folder is on {fs}, which holds no links; the old target keeps it (untouched) but ComfyUI will no longer list what it names"
                ));
            }
            // The global folder matches names without case and has this folder under another
            // spelling: copied into it, its names listed under that spelling.
            (Entry::Dir, Dest::Dir) if spelled.is_some() => {
                let to = spelled.unwrap_or_default();
                r.respelled.push(Renamed {
                    from: r_rel.clone(),
                    to: r_rel.with_file_name(to.file_name().unwrap_or_default()),
                });
                copy_tree(ctx, draft, check, &o, &to, &r_rel, r);
            }
            // Any other entry under another spelling: a conflict like a same-name one.
            _ if spelled.is_some() => {
                r.shadowed.push(r_rel.clone());
                r.unreachable.push(format!(
                    "{shown}: the global folder has it under another spelling (its names ignore case); the old target keeps its version (untouched) but ComfyUI will show the global one"
                ));
            }
            (Entry::File { len }, Dest::Missing) => {
                r.moved_files += 1;
                r.moved_bytes += len;
                let action = if same_filesystem(&o, &d) {
                    Action::HardLink { from: o, to: d }
                } else {
                    Action::CopyVerify { from: o, to: d }
                };
                ctx.act(draft, check, action);
            }
            (Entry::File { .. }, Dest::File { bytes_at, .. }) if same_bytes(&o, &bytes_at) => {}
            (Entry::Dir, Dest::Missing) => {
                ctx.ensure_dir(draft, check, &d);
                copy_tree(ctx, draft, check, &o, &d, &r_rel, r);
            }
            (Entry::Dir, Dest::Dir) => copy_tree(ctx, draft, check, &o, &d, &r_rel, r),
            (Entry::Link(link), _) if link.resolved.as_deref().is_some_and(|t| would_loop(t, &d)) => {
                r.unreachable.push(format!(
                    "{shown}: links to a folder that contains the global folder; not linked into it (a loop)"
                ));
            }
            (Entry::Link(link), Dest::Missing) => {
                let action = Action::CreateLinkLike {
                    link: d,
                    raw_target: absolute_target(&o, &link),
                    kind: link.kind,
                    target_is_dir: link.target_is_dir,
                };
                ctx.act(draft, check, action);
            }
            // A folder link over an existing folder: one link per entry, as for a real models/.
            (Entry::Link(link), Dest::Dir) if link.target_is_dir => {
                unfold(ctx, draft, check, &absolute_target(&o, &link), &d, &r_rel, r);
            }
            // A file against a folder of that name, or a folder against a file: it comes in
            // under a free name, so neither side's names are hidden.
            (Entry::File { len }, Dest::Dir) => {
                let to = free_name(ctx, &d);
                r.renamed.push(Renamed {
                    from: r_rel.clone(),
                    to: r_rel.with_file_name(to.file_name().unwrap_or_default()),
                });
                r.moved_files += 1;
                r.moved_bytes += len;
                let action = if same_filesystem(&o, &to) {
                    Action::HardLink { from: o, to }
                } else {
                    Action::CopyVerify { from: o, to }
                };
                ctx.act(draft, check, action);
            }
            (Entry::Dir, Dest::File { .. } | Dest::Link { .. } | Dest::Other) => {
                let to = free_name(ctx, &d);
                r.renamed.push(Renamed {
                    from: r_rel.clone(),
                    to: r_rel.with_file_name(to.file_name().unwrap_or_default()),
                });
                ctx.ensure_dir(draft, check, &to);
                copy_tree(ctx, draft, check, &o, &to, &r_rel, r);
            }
            _ => {
                r.shadowed.push(r_rel.clone());
                r.unreachable.push(format!(
                    "{shown}: the global folder already has a different entry of that name; the old target keeps its version (untouched) but ComfyUI will show the global one"
                ));
            }
        }
    }
}

/// Whether a hard link from `src` can be made at `dst` (same device).
fn same_filesystem(src: &Path, dst: &Path) -> bool {
    let existing = dst.ancestors().find(|a| a.exists());
    match (platform::file_key(src, true), existing.and_then(|d| platform::file_key(d, true))) {
        (Some(a), Some(b)) => a.dev == b.dev,
        _ => false,
    }
}
