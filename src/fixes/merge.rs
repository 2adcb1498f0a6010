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
use crate::inspect::{DirTree, EntryKind};
use crate::plan::Action;
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

    /// Whether a subtree holds only plain files and folders (no link, no placeholder), so it
    /// can move in one rename.
    fn plain(&self, rel: &Path) -> bool {
        self.children(rel).iter().all(|(name, kind)| match kind {
            EntryKind::Dir => self.plain(&rel.join(name)),
            EntryKind::File { len } => !(*len == 0 && stock::is_placeholder_name(&name.to_string_lossy())),
            _ => false,
        })
    }
}

/// Moves a real `models/` folder's whole content into the global folder and removes the
/// emptied folder, noting totals, duplicates and conflicts for the prompt.
pub fn merge_models_dir(
    ctx: &mut Ctx,
    draft: &mut Draft,
    check: CheckId,
    tree: &DirTree,
    models: &Path,
    global: &Path,
) {
    let mut report = MergeReport::default();
    let index = Index::new(tree);
    let job = MoveJob { check, index: &index, src_root: models, global };
    move_tree(ctx, draft, &job, Path::new(""), &mut report);
    draft.notes.extend(report.into_notes(&ctx.backup_root));
    ctx.act(draft, check, Action::RemoveEmptyDir { path: models.to_path_buf() });
}

/// Totals and lists for the confirmation prompt.
#[derive(Debug, Default)]
pub struct MergeReport {
    pub moved_files: u64,
    pub moved_bytes: u64,
    pub conflicts: Vec<String>,
    pub duplicates: Vec<String>,
    pub unreachable: Vec<String>,
}

impl MergeReport {
    pub fn into_notes(self, backup_root: &Path) -> Vec<String> {
        let mut notes = Vec::new();
        if self.moved_files > 0 {
            notes.push(format!(
                "{} file(s), {} go into the global folder",
                self.moved_files,
                crate::inspect::human_bytes(self.moved_bytes)
            ));
        }
        if !self.duplicates.is_empty() {
            notes.push(format!(
                "{} identical duplicate(s) of files already in the global folder go to {} (safe to delete later): {}",
                self.duplicates.len(),
                backup_root.display(),
                short_list(&self.duplicates)
            ));
        }
        if !self.conflicts.is_empty() {
            notes.push(format!(
                "{} conflict(s): the global folder has a different file of the same name; the install's version goes to {}: {}",
                self.conflicts.len(),
                backup_root.display(),
                short_list(&self.conflicts)
            ));
        }
        notes.extend(self.unreachable);
        notes
    }
}

pub fn short_list(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut s = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" (+{} more)", items.len() - SHOWN));
    }
    s
}

/// What a move merges: the real folder `src_root` (inspected as `index`) into `global`.
pub struct MoveJob<'a> {
    pub check: CheckId,
    pub index: &'a Index<'a>,
    pub src_root: &'a Path,
    pub global: &'a Path,
}

/// Moves the contents of folder `rel` of the job's source, and below, into the global folder.
/// Every child is accounted for; emptied folders are removed.
pub fn move_tree(ctx: &mut Ctx, draft: &mut Draft, job: &MoveJob, rel: &Path, report: &mut MergeReport) {
    let MoveJob { check, index, src_root, global } = *job;
    for (name, kind) in index.children(rel) {
        let r = rel.join(name);
        let src = src_root.join(&r);
        let dst = global.join(&r);
        let shown = r.display().to_string();
        match kind {
            EntryKind::File { len } if *len == 0 && stock::is_placeholder_name(&name.to_string_lossy()) => {
                ctx.act(draft, check, Action::RemovePlaceholder { path: src });
            }
            EntryKind::File { len } => match ctx.view.get(&dst) {
                Dest::Missing => {
                    report.moved_files += 1;
                    report.moved_bytes += len;
                    ctx.act(draft, check, Action::Move { from: src, to: dst });
                }
                Dest::File { bytes_at, .. } if same_bytes(&src, &bytes_at) => match stock_contents(&src, &r) {
                    // ComfyUI's own file, already in the global folder: nothing of the user's.
                    Some(contents) => ctx.act(draft, check, Action::RemoveStockFile { path: src, contents }),
                    None => {
                        report.duplicates.push(shown);
                        ctx.backup(draft, check, &src, &r);
                    }
                },
                _ => {
                    report.conflicts.push(shown);
                    ctx.backup(draft, check, &src, &r);
                }
            },
            EntryKind::Dir => match ctx.view.get(&dst) {
                Dest::Missing if index.plain(&r) => {
                    let (n, b) = count(index, &r);
                    report.moved_files += n;
                    report.moved_bytes += b;
                    ctx.act(draft, check, Action::Move { from: src, to: dst });
                }
                Dest::Missing | Dest::Dir => {
                    ctx.ensure_dir(draft, check, &dst);
                    move_tree(ctx, draft, job, &r, report);
                    ctx.act(draft, check, Action::RemoveEmptyDir { path: src });
                }
                _ => {
                    report.conflicts.push(format!("{shown}/"));
                    ctx.backup(draft, check, &src, &r);
                }
            },
            EntryKind::Link(link) => move_link(ctx, draft, job, &r, link, report),
            EntryKind::Other => {
                report.conflicts.push(format!("{shown} (special file)"));
                ctx.backup(draft, check, &src, &r);
            }
        }
    }
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

/// A nested link: moved as a link with an absolute target, unfolded over an existing folder,
/// or backed up when it loops back into `models/`.
fn move_link(ctx: &mut Ctx, draft: &mut Draft, job: &MoveJob, rel: &Path, link: &LinkInfo, report: &mut MergeReport) {
    let (check, src_root) = (job.check, job.src_root);
    let (src, dst) = (&src_root.join(rel), &job.global.join(rel));
    let shown = rel.display().to_string();
    let absolute = absolute_target(src, link);
    // Into models/ (gone after the merge), or at a folder that will hold the link: a loop.
    let loops = link
        .resolved
        .as_deref()
        .is_some_and(|t| platform::is_within(t, src_root) || platform::is_within(src_root, t) || would_loop(t, dst));
    if loops {
        report.conflicts.push(format!("{shown} (link back into models/ or the global folder)"));
        ctx.backup(draft, check, src, rel);
        return;
    }
    let remove = Action::RemoveLink {
        link: src.to_path_buf(),
        raw_target: link.raw_target.clone(),
        kind: link.kind,
        target_is_dir: link.target_is_dir,
    };
    match ctx.view.get(dst) {
        Dest::Missing => {
            if let Some(parent) = dst.parent() {
                ctx.ensure_dir(draft, check, parent);
            }
            let create = Action::CreateLinkLike {
                link: dst.to_path_buf(),
                raw_target: absolute,
                kind: link.kind,
                target_is_dir: link.target_is_dir,
            };
            ctx.act(draft, check, create);
            ctx.act(draft, check, remove);
        }
        Dest::Dir if link.target_is_dir => {
            unfold(ctx, draft, check, &absolute, dst, rel, report);
            ctx.act(draft, check, remove);
        }
        Dest::Link { resolved } if resolved.is_some() && resolved == link.resolved => {
            ctx.act(draft, check, remove);
        }
        _ => {
            report.conflicts.push(format!("{shown} (link)"));
            ctx.backup(draft, check, src, rel);
        }
    }
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
        match ctx.view.get(&d) {
            Dest::Missing if would_loop(&t, &d) => r.unreachable.push(format!(
                "{shown}: {} contains the global folder, so it is not linked into it (a loop)",
                t.display()
            )),
            Dest::Missing => {
                let kind = if t_is_dir && cfg!(windows) { LinkKind::Junction } else { LinkKind::Symlink };
                let action = Action::CreateLinkLike { link: d, raw_target: t, kind, target_is_dir: t_is_dir };
                ctx.act(draft, check, action);
            }
            Dest::Dir if t_is_dir => unfold(ctx, draft, check, &t, &d, &rel.join(&name), r),
            Dest::File { bytes_at, .. } if !t_is_dir && same_bytes(&t, &bytes_at) => {}
            _ => r.unreachable.push(format!(
                "{shown}: the global folder already has a different entry of that name; the version in {} stays there but ComfyUI will show the global one",
                t.display()
            )),
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
        match (entry, ctx.view.get(&d)) {
            (Entry::File { len: 0 }, _) if stock::is_placeholder_name(&name.to_string_lossy()) => {}
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
            _ => r.unreachable.push(format!(
                "{shown}: the global folder already has a different entry of that name; the old target keeps its version (untouched) but ComfyUI will show the global one"
            )),
        }
    }
}

/// Whether a hard link from `src` can be made at `dst` (same device).
fn same_filesystem(src: &Path, dst: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let existing = dst.ancestors().find(|a| a.exists());
        match (std::fs::metadata(src), existing.map(std::fs::metadata)) {
            (Ok(a), Some(Ok(b))) => a.dev() == b.dev(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (src, dst);
        false
    }
}
