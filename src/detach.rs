//! The plan of `comfydoctor detach`: an install whose `models` links to the global folder gets a
//! fresh real `models/` of its own. The link itself is removed (never followed: nothing in the
//! global folder is touched, it is only read), then ComfyUI's stock layout is made (the standard
//! subfolders and 0-byte placeholders, the stock configs copied from the global folder where it
//! has them), the chosen models are copied in (verified copies), what the migration run did to
//! `extra_model_paths.yaml` is put back when that run is in the journal, and the detach is
//! recorded (`state`) so `fix` leaves the install alone.
//!
//! In a git checkout the files git tracks under `models/` are written with the index's bytes,
//! so `git status` stays clean whether or not the sparse-checkout protection is still there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::checks::CheckId;
use crate::execute::journal::{JournalRun, RunState};
use crate::inspect::{Inspection, ModelsState};
use crate::plan::{Action, InstallPlan, RelPath, Step};
use crate::platform::{self, Entry};
use crate::state::{self, Detached};
use crate::stock;

/// Which models of the global folder the detached install gets its own copy of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Copies {
    #[default]
    None,
    All,
    /// Paths relative to the global folder (`checkpoints/x.safetensors`, or a folder: `loras`).
    Some(Vec<PathBuf>),
}

/// Why an install is not detached; nothing is planned for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// What the planner needs besides the inspection.
pub struct Request<'a> {
    pub copies: &'a Copies,
    pub journal_dir: &'a Path,
    /// UTC time of this run, for the record.
    pub at: &'a str,
    /// `YYYYMMDDTHHMMSSZ`, for names set aside.
    pub stamp: &'a str,
    /// Every run of the journal folder, newest first.
    pub runs: &'a [JournalRun],
}

const ID: CheckId = CheckId::Detached;

/// Plans the detach of one install.
pub fn plan(inspection: &Inspection, req: &Request) -> Result<InstallPlan, Refusal> {
    let install = &inspection.install;
    let models = install.models_path();
    let Some(global) = inspection.global.as_ref().map(|g| g.dir.path.clone()) else {
        return Err(Refusal("the global models folder is unknown: pass --models-dir DIR".into()));
    };
    let ModelsState::Link(link) = &inspection.models else {
        return Err(Refusal(format!(
            "{} is not a link to the global folder, so there is nothing to detach",
            models.display()
        )));
    };
    if !link.resolved.as_deref().is_some_and(|t| platform::same_dir(t, &global)) {
        return Err(Refusal(format!(
            "{} links to {}, not to the global folder {}; detach only replaces a link to the global folder",
            models.display(),
            link.raw_target.display(),
            global.display()
        )));
    }
    if inspection.detached.is_some() {
        return Err(Refusal("already detached".into()));
    }
    let base = platform::canonicalize(&global).unwrap_or_else(|_| global.clone());
    let mut p = Planner::default();
    p.push(Action::RemoveLink {
        link: models.clone(),
        raw_target: link.raw_target.clone(),
        kind: link.kind,
        target_is_dir: link.target_is_dir,
    });
    p.dir(&models, &models);
    for d in stock::standard_subfolders() {
        p.dir(&models, &models.join(d));
    }

    // What the new folder will hold: relative path → where its bytes come from.
    let mut files: BTreeMap<PathBuf, Source> = BTreeMap::new();
    let mut absent = Vec::new();
    for f in stock::stock_files() {
        let rel = PathBuf::from(&f.path);
        if f.size == 0 {
            files.insert(rel, Source::Text(String::new()));
        } else if matches!(platform::entry(&base.join(&rel)), Ok(Entry::File { .. })) {
            files.insert(rel.clone(), Source::Global(base.join(&rel)));
        } else {
            absent.push(f.path.trim_start_matches("models/").to_string());
        }
    }
    if !absent.is_empty() {
        p.notes.push(format!(
            "{} not in the global folder, so not copied: {}",
            crate::wording::count(absent.len(), "stock config is", "stock configs are"),
            crate::wording::short_list(&absent)
        ));
    }
    for rel in chosen(&base, req.copies, &mut p.notes)? {
        files.insert(rel.clone(), Source::Global(base.join(&rel)));
    }
    // A git checkout: what the index tracks under models/ comes from the index, so `git status`
    // finds every tracked file as committed.
    for (rel, text) in tracked(&install.root) {
        files.insert(rel, Source::Text(text));
    }
    let mut kept = BTreeSet::new();
    let mut copied_bytes = 0u64;
    for (rel, src) in &files {
        let to = models.join(rel);
        if let Some(parent) = to.parent() {
            p.dir(&models, parent);
        }
        match src {
            Source::Text(contents) => {
                p.push(Action::WriteFile { path: to, contents: contents.clone(), mode: None, uid: None, gid: None })
            }
            Source::Global(from) => {
                copied_bytes += std::fs::metadata(from).map(|m| m.len()).unwrap_or(0);
                p.push(Action::CopyVerify { from: from.clone(), to });
                kept.insert(rel.clone());
            }
        }
    }

    // What the migration run did to the YAML, put back.
    let migration = migration_run(req.runs, &install.root);
    yaml_back(migration, &install.root, req.stamp, &mut p);
    git_back(migration, &install.root, &mut p);

    let record = Detached {
        install: install.root.clone(),
        at: req.at.to_string(),
        migrated_by: migration.map(|r| r.run_id.clone()),
    };
    p.push(Action::SetDetached {
        path: state::path(req.journal_dir),
        install: install.root.clone(),
        now: Some(record),
        was: None,
    });

    // The view check: what the install stops seeing through models/ is everything of the global
    // folder it does not get a copy of; what it keeps must still list the same bytes.
    let listed = crate::listing::list(&global);
    let hidden: Vec<RelPath> =
        listed.entries.keys().filter(|k| !kept.contains(*k)).map(|k| RelPath(k.clone())).collect();
    let copies = files.values().filter(|s| matches!(s, Source::Global(_))).count();
    p.notes.insert(
        0,
        format!(
            "{}: the link is removed (the global folder is not touched); models/ becomes a real folder with ComfyUI's stock layout and {} copied from the global folder ({}); ComfyUI will no longer list the other {} there",
            install.name,
            crate::wording::count(copies, "file", "files"),
            crate::inspect::human_bytes(copied_bytes),
            crate::wording::count(hidden.len(), "name", "names")
        ),
    );
    let mut plan = InstallPlan {
        install: install.root.clone(),
        steps: p.steps,
        notes: p.notes,
        needs_confirmation: true,
        view: Default::default(),
        global: None,
        global_stock: None,
        alerts: Vec::new(),
        guard: false,
    };
    plan.view.hidden = hidden;
    Ok(plan)
}

enum Source {
    Text(String),
    Global(PathBuf),
}

#[derive(Default)]
struct Planner {
    steps: Vec<Step>,
    notes: Vec<String>,
    made: BTreeSet<PathBuf>,
}

impl Planner {
    fn push(&mut self, action: Action) {
        self.steps.push(Step { action, check: ID });
    }

    /// `MakeDir` for `dir` and its missing parents up to (and including) `models`.
    fn dir(&mut self, models: &Path, dir: &Path) {
        if self.made.contains(dir) || !dir.starts_with(models) {
            return;
        }
        if dir != models
            && let Some(parent) = dir.parent()
        {
            self.dir(models, parent);
        }
        self.made.insert(dir.to_path_buf());
        self.push(Action::MakeDir { path: dir.to_path_buf() });
    }
}

/// The files of the global folder chosen with `--copy` / `--copy-all`, relative to it. Only
/// regular files are copied; a link inside the global folder is named in a note and skipped.
fn chosen(base: &Path, copies: &Copies, notes: &mut Vec<String>) -> Result<Vec<PathBuf>, Refusal> {
    let roots: Vec<PathBuf> = match copies {
        Copies::None => return Ok(Vec::new()),
        Copies::All => vec![PathBuf::new()],
        Copies::Some(list) => list.clone(),
    };
    let mut out = Vec::new();
    for rel in roots {
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(Refusal(format!(
                "--copy {}: give a path inside the global folder, such as checkpoints/model.safetensors or loras",
                rel.display()
            )));
        }
        let start = base.join(&rel);
        match platform::entry(&start) {
            Ok(Entry::Missing) | Err(_) => {
                return Err(Refusal(format!("--copy {}: not in the global folder {}", rel.display(), base.display())));
            }
            Ok(Entry::Link(_)) => {
                notes.push(format!("--copy {}: a link in the global folder, not copied", rel.display()));
                continue;
            }
            _ => {}
        }
        for item in walkdir::WalkDir::new(&start).follow_links(false).sort_by_file_name() {
            let Ok(item) = item else { continue };
            let r = item.path().strip_prefix(base).unwrap_or(item.path()).to_path_buf();
            if item.path_is_symlink() {
                notes.push(format!("{}: a link in the global folder, not copied", r.display()));
            } else if item.file_type().is_file() && !r.as_os_str().is_empty() {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// What git's index tracks under `models/` of the checkout at `root` (text files only), with
/// the index's bytes. Empty for a folder that is not a checkout, or when git cannot be asked.
fn tracked(root: &Path) -> Vec<(PathBuf, String)> {
    if crate::git::git_dir(root).is_none() {
        return Vec::new();
    }
    let Some(out) = crate::git::query(root, &["ls-files", "-s", "-z", "--", "models"]) else { return Vec::new() };
    let mut files = Vec::new();
    for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        let Some((meta, path)) = rec.split_once('\t') else { continue };
        let mut parts = meta.split_whitespace();
        let (Some(mode), Some(sha)) = (parts.next(), parts.next()) else { continue };
        if !mode.starts_with("100") {
            continue; // a tracked link or submodule is not recreated
        }
        let Some(rel) = path.strip_prefix("models/") else { continue };
        let Some(bytes) = crate::git::query(root, &["cat-file", "blob", sha]) else { continue };
        if let Ok(text) = String::from_utf8(bytes) {
            files.push((PathBuf::from(rel), text));
        }
    }
    files
}

/// The newest run still in effect whose plan made this install's `models` link.
pub fn migration_run<'a>(runs: &'a [JournalRun], root: &Path) -> Option<&'a JournalRun> {
    let models = root.join("models");
    runs.iter().filter(|r| matches!(r.state(), RunState::Complete)).find(|r| {
        r.plans.iter().any(|p| {
            p.install == root
                && p.steps.iter().any(|s| {
                    matches!(&s.action, Action::CreateLink { link, .. } | Action::ReplaceLink { link, .. } if *link == models)
                })
        })
    })
}

/// Takes back the git protection the migration run added (skip-worktree bits, the `!/models/`
/// sparse rule), once the tracked files are back in the real `models/`: the sparse checkout gets
/// the patterns it had before, or is disabled when it had none. Protection that another run or
/// the user set up is left as it is (with it, `git status` stays clean too).
fn git_back(run: Option<&JournalRun>, root: &Path, p: &mut Planner) {
    let Some(plan) = run.and_then(|r| r.plans.iter().find(|pl| pl.install == root)) else { return };
    let Some((patterns, saved_then)) = plan.steps.iter().find_map(|s| match &s.action {
        Action::GitSparseCheckout { repo, patterns, saved } if repo == root => Some((patterns, saved)),
        _ => None,
    }) else {
        return;
    };
    let Some(git_dir) = crate::git::git_dir(root) else { return };
    let sparse_file = git_dir.join("info").join("sparse-checkout");
    let now = std::fs::read_to_string(&sparse_file).unwrap_or_default();
    let now_patterns: Vec<&str> = now.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    if !now_patterns.iter().copied().eq(patterns.iter().map(String::as_str)) {
        p.notes.push(format!(
            "{}: git's sparse checkout changed since the migration; its protection of models/ is left as it is",
            root.display()
        ));
        return;
    }
    // Enabled before the migration when a saved config said so.
    let was_enabled = saved_then.iter().any(|s| {
        s.contents.as_deref().is_some_and(|t| {
            t.lines().any(|l| l.split_whitespace().collect::<String>().eq_ignore_ascii_case("sparsecheckout=true"))
        })
    });
    let before: Vec<String> = patterns.iter().filter(|p| p.as_str() != "!/models/").cloned().collect();
    let restore = (was_enabled && !before.is_empty()).then_some(before);
    let unskip: Vec<String> = crate::git::query(root, &["ls-files", "-t", "-z", "--", "models"])
        .map(|out| {
            crate::git::ls_files_tagged(&out)
                .filter(|(skipped, path)| *skipped && !path.is_empty())
                .filter_map(|(_, path)| String::from_utf8(path.to_vec()).ok())
                .collect()
        })
        .unwrap_or_default();
    let common = crate::git::common_dir(&git_dir);
    let saved = [common.join("config"), git_dir.join("config.worktree"), sparse_file]
        .into_iter()
        .map(|path| crate::plan::SavedFile { contents: std::fs::read_to_string(&path).ok(), path })
        .collect();
    p.notes.push(format!(
        "{}: git's protection of models/ from run {} is taken back",
        root.display(),
        plan_run_id(run)
    ));
    p.push(Action::GitUnprotect { repo: root.to_path_buf(), unskip, patterns: restore, saved });
}

fn plan_run_id(run: Option<&JournalRun>) -> &str {
    run.map(|r| r.run_id.as_str()).unwrap_or("?")
}

/// Puts back the `extra_model_paths.yaml` the migration run set aside: the file it wrote in its
/// place (still holding what it wrote) is set aside under a backup name, then the original is
/// moved back. A file changed since is left alone, with a note.
fn yaml_back(run: Option<&JournalRun>, root: &Path, stamp: &str, p: &mut Planner) {
    let Some(run) = run else { return };
    let Some(plan) = run.plans.iter().find(|pl| pl.install == root) else { return };
    let mut moved: Option<(PathBuf, PathBuf)> = None;
    let mut written: Option<(PathBuf, String)> = None;
    for s in &plan.steps {
        match &s.action {
            Action::Move { from, to } if from.file_name().is_some_and(|n| n == crate::legacy_yaml::FILE_NAME) => {
                moved = Some((from.clone(), to.clone()));
            }
            Action::WriteFile { path, contents, .. }
                if path.file_name().is_some_and(|n| n == crate::legacy_yaml::FILE_NAME) =>
            {
                written = Some((path.clone(), contents.clone()));
            }
            _ => {}
        }
    }
    let Some((yaml, backup)) = moved else { return };
    if !matches!(platform::entry(&backup), Ok(Entry::File { .. })) {
        p.notes.push(format!(
            "{}: the original was set aside as {} by run {}, which is no longer there; not restored",
            yaml.display(),
            backup.display(),
            run.run_id
        ));
        return;
    }
    match platform::entry(&yaml) {
        Ok(Entry::Missing) => {}
        Ok(Entry::File { .. })
            if written.as_ref().is_some_and(|(w, text)| {
                *w == yaml && std::fs::read(&yaml).ok().as_deref() == Some(text.as_bytes())
            }) =>
        {
            let aside = yaml.with_file_name(format!("{}.comfydoctor-detached-{stamp}", crate::legacy_yaml::FILE_NAME));
            p.push(Action::Move { from: yaml.clone(), to: aside });
        }
        _ => {
            p.notes.push(format!(
                "{}: changed since run {} rewrote it, so the original ({}) is not put back",
                yaml.display(),
                run.run_id,
                backup.display()
            ));
            return;
        }
    }
    p.notes.push(format!("{}: the original, set aside by run {}, is put back", yaml.display(), run.run_id));
    p.push(Action::Move { from: backup, to: yaml });
}
