//! The view check. What ComfyUI lists through an install's `models/` (and through the global
//! folder, which every linked install sees) is read before the install's first step and again
//! after its last. A name lost, unreadable, looping or showing other bytes that the plan did not
//! announce (`InstallPlan::view`) stops the install, and the executor rolls it back: a planner
//! bug becomes a refused fix instead of a hidden model.
//!
//! Metadata only (see `listing`): a name keeps its identity when it is the same inode, or a file
//! of the same length (a copy the transfer code verified by hash, or a duplicate the planner
//! compared byte for byte); nothing is read or hashed again here.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::listing::{self, Entry, Listing, ProblemKind, ViewProblem};
use crate::plan::{InstallPlan, ViewChanges};

/// The listings taken before an install's first step.
pub(super) struct Before {
    models: Listing,
    global: Option<(PathBuf, Listing)>,
}

pub(super) fn before(plan: &InstallPlan) -> Before {
    Before {
        models: listing::list(&plan.install.join("models")),
        global: plan.global.as_ref().filter(|g| g.is_dir()).map(|g| (g.clone(), listing::list(g))),
    }
}

/// The problems the plan did not announce, each a sentence; empty when the view is as planned.
pub(super) fn problems(plan: &InstallPlan, before: &Before) -> Vec<String> {
    let renamed: Vec<(PathBuf, PathBuf)> = plan.view.renamed.iter().map(|r| (r.from.clone(), r.to.clone())).collect();
    let mut out = unannounced(&plan.view, &before.models, &listing::list(&plan.install.join("models")), &renamed);
    if let Some((g, list)) = &before.global {
        // Every install linked to the global folder sees it: it may only gain names, but for
        // the same planned changes (the global folder's links into this install are resolved).
        let after = listing::list(g);
        // What the install itself stops seeing (`hidden`) is no excuse for the global folder.
        let view = ViewChanges { hidden: Vec::new(), ..plan.view.clone() };
        out.extend(
            unannounced(&view, list, &after, &renamed).into_iter().map(|p| format!("{p} (in the global folder)")),
        );
    }
    out
}

fn unannounced(view: &ViewChanges, before: &Listing, after: &Listing, renamed: &[(PathBuf, PathBuf)]) -> Vec<String> {
    let announced = |p: &ViewProblem| {
        let is = |list: &[crate::plan::RelPath]| list.iter().any(|r| p.path.starts_with(&r.0));
        is(&view.shadowed)
            || is(&view.hidden)
            // A loop lists nothing of its own; it may go.
            || (p.kind == ProblemKind::Lost && p.was == Entry::Loop)
            // A renamed file's old name now holds the global folder's folder of that name.
            || (p.kind == ProblemKind::Lost && view.renamed.iter().any(|r| r.from == p.path))
    };
    // Bytes still listed after, by identity: a second name for them (through a loop, or a link
    // the plan dropped because it would name itself) may go while they stay listed.
    let listed_after: HashSet<(u64, u64)> = after
        .entries
        .values()
        .filter_map(|e| match e {
            Entry::File { dev, ino, .. } if (*dev, *ino) != (0, 0) => Some((*dev, *ino)),
            _ => None,
        })
        .collect();
    let still_listed = |p: &ViewProblem| {
        p.kind == ProblemKind::Lost
            && matches!(p.was, Entry::File { dev, ino, .. } if listed_after.contains(&(dev, ino)))
    };
    // A renamed entry reached another way too (through a loop): `x/<from>/y` is `x/<to>/y`.
    let renamed_elsewhere = |p: &ViewProblem| {
        let parts: Vec<_> = p.path.iter().collect();
        renamed.iter().any(|(from, to)| {
            let f: Vec<_> = from.iter().collect();
            (1..parts.len().saturating_sub(f.len()) + 1).any(|i| {
                parts.len() >= i + f.len() && parts[i..i + f.len()] == f[..] && {
                    let mut q: PathBuf = parts[..i].iter().collect();
                    q.push(to);
                    q.extend(&parts[i + f.len()..]);
                    after.entries.contains_key(&q)
                }
            })
        })
    };
    listing::compare(before, after, renamed)
        .iter()
        .filter(|p| !announced(p) && !still_listed(p) && !renamed_elsewhere(p))
        .map(|p| p.to_string())
        .collect()
}

/// Where the stop of a failed view check points: the install's `models/`.
pub(super) fn stop_path(plan: &InstallPlan) -> PathBuf {
    plan.install.join("models")
}

/// The stop message: what would be hidden, and that this is ours to fix.
pub(super) fn message(problems: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut list = problems.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ");
    if problems.len() > SHOWN {
        list.push_str(&format!("; and {} more", problems.len() - SHOWN));
    }
    let count = match problems.len() {
        1 => "1 name".to_string(),
        n => format!("{n} names"),
    };
    format!(
        "after its steps ComfyUI would not list {count} as before: {list}. This is a comfydoctor bug, not yours: please report it with the output of `comfydoctor fix --dry-run`"
    )
}
