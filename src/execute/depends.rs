//! Which newer runs stand on what an older run made, and what an undo will leave behind.
//!
//! Undoing a run takes back what its steps made (folders, moved files, links) and puts back what
//! they took away. A newer run planned from that state moved its models into those folders,
//! linked to that global folder, or removed its copy of a stock file because the global folder
//! held one: undone first, the older run would take all that from under it (the newer install
//! then lists nothing). Runs are compared by the paths of their steps still in effect, so only
//! the journals are read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::journal::JournalRun;
use crate::plan::{Action, InstallPlan};
use crate::platform;

/// A newer run that relies on something an older run made, with one path of each as the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependent {
    pub run_id: String,
    /// A path the newer run's steps name (or stand on) ...
    pub path: PathBuf,
    /// ... and the path, at or around it, that the older run's undo changes ...
    pub made: PathBuf,
    /// ... and how ("remove that folder", "move something back there").
    pub undo: String,
    /// The newer run is a `backups --prune` run: it cannot be undone, so neither can the older.
    pub deletes: bool,
}

/// Paths an undo of this step removes, moves away, rewrites or puts something back at, each
/// with what the undo does there (for the message).
fn undo_changes(a: &Action) -> Vec<(PathBuf, &'static str)> {
    let one = |p: &PathBuf, what| vec![(p.clone(), what)];
    match a {
        Action::MakeDir { path } => one(path, "remove that folder"),
        Action::WriteFile { path, .. } => one(path, "remove that file"),
        Action::RemovePlaceholder { path } | Action::RemoveStockFile { path, .. } => one(path, "put a file back there"),
        Action::RemoveEmptyDir { path } => one(path, "put a folder back there"),
        Action::AppendLine { path, .. } => one(path, "cut a line off it"),
        Action::Move { from, to } => vec![(to.clone(), "move it away"), (from.clone(), "move something back there")],
        Action::HardLink { to, .. } | Action::CopyVerify { to, .. } => one(to, "remove that copy"),
        Action::CreateLink { link, .. } | Action::CreateLinkLike { link, .. } => one(link, "remove that link"),
        Action::ReplaceLink { link, .. } => one(link, "point that link back"),
        Action::RemoveLink { link, .. } => one(link, "put a link back there"),
        Action::GitSkipWorktree { repo, paths } => {
            paths.iter().map(|p| (repo.join(p), "clear skip-worktree on it")).collect()
        }
        Action::GitNoSkipWorktree { repo, paths } => {
            paths.iter().map(|p| (repo.join(p), "set skip-worktree on it")).collect()
        }
        Action::GitSparseCheckout { saved, .. } | Action::GitSparseDisable { saved, .. } => {
            saved.iter().map(|f| (f.path.clone(), "write it back")).collect()
        }
        Action::SetDetached { path, .. } => one(path, "write it back"),
        Action::GitUnprotect { saved, .. } => saved.iter().map(|f| (f.path.clone(), "write it back")).collect(),
        // Not undoable: its undo changes nothing.
        Action::DeleteDuplicate { .. } => Vec::new(),
    }
}

/// Every path this step names, link targets included: what it was planned on.
fn names(a: &Action) -> Vec<PathBuf> {
    match a {
        Action::Move { from, to } | Action::HardLink { from, to } | Action::CopyVerify { from, to } => {
            vec![from.clone(), to.clone()]
        }
        Action::CreateLink { link, target } => vec![link.clone(), crate::link_style::resolved_from(link, target)],
        Action::ReplaceLink { link, old_target, new_target } => vec![
            link.clone(),
            crate::link_style::resolved_from(link, old_target),
            crate::link_style::resolved_from(link, new_target),
        ],
        Action::CreateLinkLike { link, raw_target, .. } => {
            let mut v = vec![link.clone()];
            v.extend(link.parent().map(|p| platform::normalize(&p.join(raw_target))));
            v
        }
        Action::DeleteDuplicate { path, twin, .. } => vec![path.clone(), twin.clone()],
        _ => undo_changes(a).into_iter().map(|(p, _)| p).collect(),
    }
}

/// Paths this step took away (a source moved, an entry removed): an older run's result inside
/// one of them is gone from under that run's undo.
fn took_away(a: &Action) -> Option<&Path> {
    match a {
        Action::Move { from, .. } => Some(from),
        Action::RemovePlaceholder { path } | Action::RemoveEmptyDir { path } | Action::RemoveStockFile { path, .. } => {
            Some(path)
        }
        Action::RemoveLink { link, .. } => Some(link),
        Action::DeleteDuplicate { path, .. } => Some(path),
        _ => None,
    }
}

/// What the run's steps in effect stand on. Beyond the paths they name: an install's `models/`
/// (every later fix of an install is planned on top of its link), and for a path inside
/// `models/` its counterpart in the global folder the install links to (a stock file removed as
/// identical to the global copy relies on that copy; a model moved in, on its folder).
fn stands_on(run: &JournalRun) -> Vec<(PathBuf, bool)> {
    let f = run.fold();
    let mut out = Vec::new();
    let mut installs: BTreeSet<usize> = BTreeSet::new();
    for (i, j) in f.in_effect() {
        let plan: &InstallPlan = &run.plans[i];
        let action = &plan.steps[j].action;
        installs.insert(i);
        let models = plan.install.join("models");
        for p in names(action) {
            if let (Some(global), Ok(rel)) = (&plan.global, p.strip_prefix(&models)) {
                out.push((global.join(rel), false));
            }
            out.push((p, false));
        }
        if let Some(p) = took_away(action) {
            out.push((p.to_path_buf(), true));
        }
    }
    for i in installs {
        out.push((run.plans[i].install.join("models"), false));
    }
    out
}

/// What the run's undo would change, over its steps still in effect.
fn undo_footprint(run: &JournalRun) -> Vec<(PathBuf, &'static str)> {
    let f = run.fold();
    f.in_effect().flat_map(|(i, j)| undo_changes(&run.plans[i].steps[j].action)).collect()
}

/// What an older undo changes: path → what it would do to it.
type Changed = BTreeMap<PathBuf, &'static str>;

/// The first path of `changed` at or above `p` (the older undo takes or puts back something
/// there, so `p` goes with it), or, when `p` was taken away by the newer run, below it.
fn hit(changed: &Changed, p: &Path, taken_away: bool) -> Option<(PathBuf, &'static str)> {
    if let Some((a, what)) = p.ancestors().find_map(|a| changed.get_key_value(a)) {
        return Some((a.clone(), what));
    }
    if taken_away {
        // Paths order by component, so whatever lies below `p` follows it directly.
        return changed.range(p.to_path_buf()..).next().filter(|(c, _)| c.starts_with(p)).map(|(c, w)| (c.clone(), *w));
    }
    None
}

/// The runs newer than `run` (in `runs`, newest first, as `journal::read_all` gives them) that
/// are not undone or rolled back and rely on it, directly or through another such run; newest
/// first.
pub fn dependents(runs: &[JournalRun], run: &JournalRun) -> Vec<Dependent> {
    let Some(k) = runs.iter().position(|r| r.run_id == run.run_id) else {
        return Vec::new();
    };
    let mut changed: Changed = undo_footprint(run).into_iter().collect();
    let mut found = Vec::new();
    // Oldest first, so a run relying on a dependent is found through what that one made.
    for newer in runs[..k].iter().rev().filter(|r| r.state().undoable()) {
        let reason = stands_on(newer).into_iter().find_map(|(p, away)| hit(&changed, &p, away).map(|m| (p, m)));
        if let Some((path, (made, undo))) = reason {
            changed.extend(undo_footprint(newer));
            found.push(Dependent {
                run_id: newer.run_id.clone(),
                path,
                made,
                undo: undo.to_string(),
                deletes: newer.deletes(),
            });
        }
    }
    found.reverse();
    found
}

/// Entries inside folders the runs made that their undo will not take away, since none of them
/// put the entry there (added since, by the user or a download): the undo leaves them, and so
/// cannot remove the folder holding them.
pub fn left_behind(runs: &[&JournalRun]) -> Vec<PathBuf> {
    let mut made_dirs = Vec::new();
    let mut put: BTreeSet<PathBuf> = BTreeSet::new();
    for run in runs {
        let f = run.fold();
        for (i, j) in f.in_effect() {
            let action = &run.plans[i].steps[j].action;
            if let Action::MakeDir { path } = action {
                made_dirs.push(path.clone());
            }
            let made = match action {
                Action::MakeDir { path } | Action::WriteFile { path, .. } => Some(path),
                Action::Move { to, .. } | Action::HardLink { to, .. } | Action::CopyVerify { to, .. } => Some(to),
                Action::CreateLink { link, .. } | Action::CreateLinkLike { link, .. } => Some(link),
                _ => None,
            };
            put.extend(made.cloned());
        }
    }
    let mut out = Vec::new();
    for dir in made_dirs {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        out.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| !put.contains(p)));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check_id::CheckId;
    use crate::execute::journal::{Record, StepDetail, StepState};
    use crate::plan::Step;

    /// A complete run over one install whose every action is done.
    fn run(id: &str, install: &str, actions: Vec<Action>, undone: bool) -> JournalRun {
        let steps: Vec<Step> = actions.into_iter().map(|action| Step { action, check: CheckId::LinkMissing }).collect();
        let mut records: Vec<Record> = (0..steps.len())
            .map(|j| Record::Step { install: 0, step: j, state: StepState::Done, detail: StepDetail::default() })
            .collect();
        records.push(Record::Complete { at: id.into() });
        if undone {
            records.push(Record::UndoStarted { at: id.into() });
            records.push(Record::Undone { at: id.into() });
        }
        JournalRun {
            path: PathBuf::from(format!("/j/run-{id}.jsonl")),
            run_id: id.into(),
            started_at: id.into(),
            tool_version: "0".into(),
            plans: vec![InstallPlan {
                install: PathBuf::from(install),
                steps,
                global: Some(PathBuf::from("/g")),
                ..InstallPlan::default()
            }],
            records,
        }
    }

    fn mk(p: &str) -> Action {
        Action::MakeDir { path: p.into() }
    }

    fn mv(from: &str, to: &str) -> Action {
        Action::Move { from: from.into(), to: to.into() }
    }

    fn ids(d: &[Dependent]) -> Vec<&str> {
        d.iter().map(|d| d.run_id.as_str()).collect()
    }

    #[test]
    fn newer_runs_on_what_an_older_one_made_depend_on_it_newest_first_and_through_each_other() {
        let r1 = run("1", "/a", vec![mk("/g"), mk("/g/loras")], false);
        // Moves into the folder run 1 made.
        let r2 = run("2", "/b", vec![mk("/g/vae"), mv("/b/models/loras/x", "/g/loras/x")], false);
        // Only into the folder run 2 made: depends on 1 through 2.
        let r3 = run("3", "/c", vec![mv("/c/models/vae/v", "/g/vae/v")], false);
        // Another install that does not use the global folder: independent.
        let mut r4 = run("4", "/d", vec![mk("/d/models")], false);
        r4.plans[0].global = None;
        let runs = vec![r4, r3, r2, r1];
        assert_eq!(ids(&dependents(&runs, &runs[3])), ["3", "2"]);
        assert_eq!(ids(&dependents(&runs, &runs[2])), ["3"]);
        assert!(dependents(&runs, &runs[1]).is_empty());
        assert!(dependents(&runs, &runs[0]).is_empty());
    }

    #[test]
    fn an_undone_newer_run_and_an_unrelated_one_are_no_dependents() {
        let r1 = run("1", "/a", vec![mk("/g/loras")], false);
        let r2 = run("2", "/b", vec![mv("/b/models/loras/x", "/g/loras/x")], true);
        let r3 = run("3", "/c", vec![mv("/c/models/vae/v", "/g/vae/v")], false);
        let runs = vec![r3, r2, r1];
        assert!(dependents(&runs, &runs[2]).is_empty());
    }

    #[test]
    fn a_stock_file_removed_as_identical_to_the_global_copy_relies_on_that_copy() {
        let r1 = run("1", "/a", vec![mv("/a/models/configs/c.yaml", "/g/configs/c.yaml")], false);
        let r2 = run(
            "2",
            "/b",
            vec![Action::RemoveStockFile { path: "/b/models/configs/c.yaml".into(), contents: "x".into() }],
            false,
        );
        let runs = vec![r2, r1];
        let d = dependents(&runs, &runs[1]);
        assert_eq!(ids(&d), ["2"]);
        assert_eq!(d[0].made, Path::new("/g/configs/c.yaml"));
    }

    #[test]
    fn a_newer_run_that_moved_away_what_an_older_one_made_depends_on_it() {
        let r1 = run("1", "/a", vec![mv("/a/models/loras/x", "/g/mine/x")], false);
        let r2 = run("2", "/b", vec![mv("/g/mine", "/backup/mine")], false);
        let runs = vec![r2, r1];
        assert_eq!(ids(&dependents(&runs, &runs[1])), ["2"]);
    }
}
