//! The only code that writes to disk. It executes install plans step by step, checking each
//! action's precondition right before acting, journaling every step (fsynced) so a run killed at
//! any point can be resumed or rolled back, and reverses finished runs on `undo`.
//!
//! Policy when an install's step cannot run (its precondition no longer holds, or an I/O error):
//! that install's plan stops at that step, with a message naming the path, its steps done so far
//! are rolled back at once (newest first, journaled like an undo), and the other installs go on.
//! A half-migrated install hides the models already moved, so a stop must leave it as it was.
//! Each install's plan stands alone (its own `models/`), so stopping the others would gain
//! nothing. Failures of the journal or the lock stop the whole run: without them nothing could
//! be undone.
//!
//! Before an install's first action a preflight (`preflight`) checks permissions with the
//! effective ids and free space, so the common reasons to stop are found before anything moves.
//! A run with nothing to do, a dry run, and a run whose every install stops before its first
//! action write nothing at all: the journal folder, lock and journal appear only right before
//! the first action.

//!
//! Layout: this file runs sessions (journal, lock, failpoints) over the plans; `actions/` holds
//! each action's checks, apply and undo by family; `transfer` the verified cross-filesystem
//! copy; `step`, `atomic`, `durable` what they share; `journal` and `lock` the run's own files.
//! Files here import only downwards: none imports this file or a file that imports it.

mod actions;
mod atomic;
mod depends;
mod durable;
mod error;
pub mod interrupt;
mod inuse;
pub mod journal;
pub mod lock;
mod preflight;
mod progress;
mod regroup;
mod step;
mod transfer;
mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use depends::Dependent;
pub use error::{ExecError, newer_message};
pub use progress::{Progress, ProgressEvent};
use step::{Env, Fail, StepError};

/// Kept here for callers that knew the dry-run listing as the executor's.
pub use crate::plan::{describe, quote};

use crate::plan::{Action, InstallPlan};
use journal::{Folded, JournalRun, JournalWriter, Record, RunState, RunSummary, StepDetail, StepState};
use lock::{LockFailure, RunLock};

/// How to run. `ExecOptions::new` reads the test failpoint from the environment (debug builds).
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Where journals and the lock live (`<workspace>/.comfydoctor/`, or beside the install).
    pub journal_dir: PathBuf,
    /// Check nothing, write nothing: report the plan only.
    pub dry_run: bool,
    /// Report byte progress of copies to `reporter` (`false` silences it, e.g. for `--quiet`).
    pub progress: bool,
    /// Receives copy progress; the CLI draws it (`crate::progress`). `None`: nobody listens.
    pub reporter: Option<Arc<dyn Progress>>,
    /// How long a second run waits for the lock before giving up.
    pub lock_wait: Duration,
    /// Simulated crash for tests; see [`Failpoint`].
    pub failpoint: Option<Failpoint>,
    /// Check what ComfyUI lists before and after each install's steps (see `view`). Off only
    /// for hand-made action sequences in tests, which are not migrations.
    pub view_check: bool,
}

impl ExecOptions {
    pub fn new(journal_dir: impl Into<PathBuf>) -> ExecOptions {
        ExecOptions {
            journal_dir: journal_dir.into(),
            dry_run: false,
            progress: true,
            reporter: None,
            lock_wait: Duration::from_secs(2),
            failpoint: Failpoint::from_env(),
            view_check: true,
        }
    }

    /// The same options, reporting copy progress to `reporter`.
    pub fn with_reporter(mut self, reporter: Arc<dyn Progress>) -> ExecOptions {
        self.reporter = Some(reporter);
        self
    }

    fn env<'a>(&'a self, tag: &'a str) -> Env<'a> {
        Env { tag, progress: self.reporter.as_deref().filter(|_| self.progress), copied: Default::default() }
    }
}

/// Where a simulated crash happens, counted in actions started by this call (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailAt {
    /// After the `started` record of action N, before it touches the disk.
    Before,
    /// After action N took effect, before its `done` record.
    BeforeDone,
    /// After the `copied` record of action N (a cross-filesystem move), before the source goes.
    AfterCopied,
    /// After the `done` record of action N.
    After,
}

/// A test-only crash point. From the environment: `COMFYDOCTOR_FAILPOINT=after:N`
/// (`before:N`, `before-done:N`, `after-copied:N`), honoured only by debug builds, ends the
/// process with exit code 99 there. Library tests set `exit: false` to get
/// [`ExecError::Failpoint`] instead; either way the journal is left as a kill would leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failpoint {
    pub at: FailAt,
    pub n: usize,
    pub exit: bool,
}

/// Exit code of a process ended by a failpoint.
pub const FAILPOINT_EXIT_CODE: i32 = 99;

impl Failpoint {
    pub fn parse(s: &str) -> Option<Failpoint> {
        let (at, n) = s.trim().split_once(':')?;
        let at = match at {
            "before" => FailAt::Before,
            "before-done" => FailAt::BeforeDone,
            "after-copied" => FailAt::AfterCopied,
            "after" => FailAt::After,
            _ => return None,
        };
        Some(Failpoint { at, n: n.parse().ok()?, exit: true })
    }

    pub fn from_env() -> Option<Failpoint> {
        if cfg!(debug_assertions) {
            std::env::var("COMFYDOCTOR_FAILPOINT").ok().and_then(|v| Failpoint::parse(&v))
        } else {
            None
        }
    }
}

/// Why an install's plan stopped, naming the path at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Index of the step in the install's plan.
    pub step: usize,
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOutcome {
    pub install: PathBuf,
    pub steps: usize,
    /// Steps done (in this or, for a resume, an earlier attempt).
    pub applied: usize,
    pub stopped: Option<Stop>,
    /// For a stopped install: its done steps reversed at once (see [`Rollback`]).
    pub rollback: Rollback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// `None` when nothing was written (nothing to do, dry run, or every install stopped
    /// before acting).
    pub run_id: Option<String>,
    pub journal: Option<PathBuf>,
    pub dry_run: bool,
    pub installs: Vec<InstallOutcome>,
}

impl RunReport {
    /// Every step of every install done.
    pub fn succeeded(&self) -> bool {
        self.installs.iter().all(|o| o.stopped.is_none())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoReport {
    pub run_id: String,
    pub journal: PathBuf,
    /// Actions reversed by this call.
    pub undone: usize,
    /// Where the undo stopped (install index, and why); run `undo` again once fixed.
    pub stopped: Option<(usize, Stop)>,
    /// Things a person may want to look at (e.g. a partial copy left by a killed move).
    pub notes: Vec<String>,
}

fn stop_of(step: usize, e: StepError) -> Stop {
    Stop { step, path: e.path, message: e.message }
}

fn lock_err(f: LockFailure) -> ExecError {
    match f {
        LockFailure::Busy(lock, pid) => ExecError::Locked { lock, pid },
        LockFailure::Io(path, source) => ExecError::Journal { path, source },
    }
}

/// Journal, lock and failpoint counter of one execute / resume / undo call.
struct Session<'a> {
    opts: &'a ExecOptions,
    journal: Option<JournalWriter>,
    lock: Option<RunLock>,
    actions: usize,
    /// The run as its journal reads now, kept up to date by [`Session::record`].
    folded: Folded,
}

impl Session<'_> {
    fn record(&mut self, r: &Record) -> Result<(), ExecError> {
        let Some(j) = self.journal.as_mut() else {
            return Ok(());
        };
        j.append(r).map_err(|source| ExecError::Journal { path: j.path().to_path_buf(), source })?;
        self.folded.apply(r);
        Ok(())
    }

    fn failpoint(&self, at: FailAt) -> Result<(), ExecError> {
        match self.opts.failpoint {
            Some(fp) if fp.at == at && fp.n == self.actions => {
                if fp.exit {
                    eprintln!("comfydoctor: failpoint {at:?}:{} reached, exiting", fp.n);
                    std::process::exit(FAILPOINT_EXIT_CODE);
                }
                Err(ExecError::Failpoint(format!("{at:?}:{}", fp.n)))
            }
            _ => Ok(()),
        }
    }
}

impl<'a> Session<'a> {
    /// A session appending to an existing run's journal, under the lock.
    fn reopen(opts: &'a ExecOptions, run: &JournalRun, lock: RunLock) -> Result<Self, ExecError> {
        let journal =
            JournalWriter::open(&run.path).map_err(|source| ExecError::Journal { path: run.path.clone(), source })?;
        Ok(Session { opts, journal: Some(journal), lock: Some(lock), actions: 0, folded: run.fold() })
    }
}

/// Executes the plans in order. See the module docs for what happens when a step cannot run.
pub fn execute(plans: &[InstallPlan], opts: &ExecOptions) -> Result<RunReport, ExecError> {
    let outcomes_planned = || {
        plans
            .iter()
            .map(|p| InstallOutcome {
                install: p.install.clone(),
                steps: p.steps.len(),
                applied: 0,
                stopped: None,
                rollback: Rollback::default(),
            })
            .collect()
    };
    if opts.dry_run || plans.iter().all(|p| p.steps.is_empty()) {
        return Ok(RunReport { run_id: None, journal: None, dry_run: opts.dry_run, installs: outcomes_planned() });
    }
    let run_id = journal::new_run_id();
    let mut s = Session { opts, journal: None, lock: None, actions: 0, folded: Folded::default() };
    let header = Record::Header {
        format: journal::FORMAT,
        run_id: run_id.clone(),
        started_at: journal::utc_now(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        plans: plans.to_vec(),
    };
    let installs = forward(&mut s, plans, &run_id, None, Some(&header))?;
    let journal = s.journal.as_ref().map(|j| j.path().to_path_buf());
    if journal.is_some() {
        s.record(&Record::Complete { at: journal::utc_now() })?;
    }
    Ok(RunReport { run_id: journal.as_ref().map(|_| run_id), journal, dry_run: false, installs })
}

/// Runs every install's remaining steps. `prior` is the folded journal of a resumed run;
/// `header` (a fresh run) is written lazily right before the first action.
fn forward(
    s: &mut Session,
    plans: &[InstallPlan],
    run_id: &str,
    prior: Option<&Folded>,
    header: Option<&Record>,
) -> Result<Vec<InstallOutcome>, ExecError> {
    // Stops of installs that refused before the journal existed, written once it does.
    let mut pending: Vec<Record> = Vec::new();
    let mut outcomes = Vec::new();
    // What ComfyUI lists for every install, read before any of them changes: an install's view
    // may run through another's `models/` (a link into it), which that one's steps change. A
    // resumed install's "before" went with the process that began it.
    let mut seen: Vec<Option<view::Before>> = plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let begun = prior.is_some_and(|f| f.forward.keys().any(|k| k.0 == i));
            // A guard's unlinking hides the global folder on purpose, also when resumed.
            (s.opts.view_check && !begun && !plan.steps.is_empty() && !plan.guard).then(|| view::before(plan))
        })
        .collect();
    for (i, plan) in plans.iter().enumerate() {
        let mut out = InstallOutcome {
            install: plan.install.clone(),
            steps: plan.steps.len(),
            applied: 0,
            stopped: None,
            rollback: Rollback::default(),
        };
        let stop = if let Some((step, path, message)) = prior.and_then(|f| f.stopped.get(&i)) {
            // Stopped in an earlier attempt: only its rollback may be left to finish.
            Some(Stop { step: *step, path: path.clone(), message: message.clone() })
        } else {
            run_install(s, plans, i, run_id, prior, header, &mut pending, &mut out, seen[i].take())?
        };
        if let Some(stop) = stop {
            if s.journal.is_some() {
                out.rollback = rollback_install(s, plans, run_id, i, &stop)?;
            } else {
                // Nothing was written yet, so nothing of this install was done.
                pending.push(Record::Stopped {
                    install: i,
                    step: stop.step,
                    path: stop.path.clone(),
                    message: stop.message.clone(),
                });
            }
            out.applied = s.folded.in_effect().filter(|k| k.0 == i).count();
            out.stopped = Some(stop);
        }
        outcomes.push(out);
    }
    Ok(outcomes)
}

/// Runs install `i`'s remaining steps, preflight first for an install not yet begun; returns
/// where it stopped (not yet journaled), `None` when every step is done.
#[allow(clippy::too_many_arguments)]
fn run_install(
    s: &mut Session,
    plans: &[InstallPlan],
    i: usize,
    run_id: &str,
    prior: Option<&Folded>,
    header: Option<&Record>,
    pending: &mut Vec<Record>,
    out: &mut InstallOutcome,
    seen: Option<view::Before>,
) -> Result<Option<Stop>, ExecError> {
    let opts = s.opts;
    let env = opts.env(run_id);
    let plan = &plans[i];
    let begun = prior.is_some_and(|f| f.forward.keys().any(|k| k.0 == i));
    if !begun && let Err(stop) = preflight::check(plan) {
        return Ok(Some(stop));
    }

    for (j, step) in plan.steps.iter().enumerate() {
        let action = &step.action;
        // A step of a resumed run that was already under way.
        if let Some((state, detail)) = prior.and_then(|f| f.forward.get(&(i, j))) {
            match state {
                StepState::Done => {
                    out.applied += 1;
                    continue;
                }
                StepState::Copied => {
                    let Action::Move { from, to } = action else {
                        return Err(corrupt(s, "a `copied` record on a step that is not a move"));
                    };
                    if let Err(e) = transfer::finish_copied_move(from, to) {
                        return Ok(Some(stop_of(j, e)));
                    }
                    s.record(&done_record(i, j, detail.clone()))?;
                    out.applied += 1;
                    continue;
                }
                StepState::Started => match actions::took_effect(action, detail) {
                    Ok(Some(d)) => {
                        s.record(&done_record(i, j, d))?;
                        out.applied += 1;
                        continue;
                    }
                    Ok(None) => {} // did not happen: run it now, precondition first
                    Err(e) => return Ok(Some(stop_of(j, e))),
                },
            }
        }
        if let Err(e) = actions::precondition(action) {
            return Ok(Some(stop_of(j, e)));
        }
        if s.journal.is_none() {
            open_new(s, header)?;
            for r in pending.drain(..) {
                s.record(&r)?;
            }
            // The wait for the lock may have let another run change things.
            if let Err(e) = actions::precondition(action) {
                return Ok(Some(stop_of(j, e)));
            }
        }
        s.record(&Record::Step {
            install: i,
            step: j,
            state: StepState::Started,
            detail: actions::start_detail(action),
        })?;
        s.actions += 1;
        s.failpoint(FailAt::Before)?;
        let result = {
            let mut on_copied = || -> Result<(), Fail> {
                s.record(&Record::Step {
                    install: i,
                    step: j,
                    state: StepState::Copied,
                    detail: StepDetail::default(),
                })?;
                s.failpoint(FailAt::AfterCopied)?;
                Ok(())
            };
            actions::apply(action, &env, &mut on_copied)
        };
        match result {
            Ok(detail) => {
                s.failpoint(FailAt::BeforeDone)?;
                s.record(&done_record(i, j, detail))?;
                out.applied += 1;
                if let Some(p) = env.progress {
                    p.event(ProgressEvent::StepDone);
                }
                s.failpoint(FailAt::After)?;
            }
            Err(Fail::Step(e)) => return Ok(Some(stop_of(j, e))),
            Err(Fail::Fatal(e)) => return Err(e),
        }
    }
    if let Some(seen) = &seen {
        let problems = view::problems(plan, seen);
        if !problems.is_empty() {
            let step = plan.steps.len() - 1;
            return Ok(Some(Stop { step, path: view::stop_path(plan), message: view::message(&problems) }));
        }
    }
    Ok(None)
}

/// What rolling back one stopped install did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollback {
    /// Steps reversed by this call.
    pub undone: usize,
    /// Where the rollback itself stopped; the steps in `left` are then still in effect and
    /// `comfydoctor undo` finishes the job once the cause is fixed.
    pub stopped: Option<Stop>,
    /// Steps of the install still in effect (plan indices, in order); empty when nothing of the
    /// install is left changed.
    pub left: Vec<usize>,
    /// Things a person may want to look at (a partial copy left by the failed step).
    pub notes: Vec<String>,
}

/// Stops install `install` of this session's run for `reason` and reverses at once, newest
/// first, every step of it the run has done, so a stopped install is left as it was rather
/// than half migrated with its models hidden. The stop and every undo are journaled (as the
/// `undo` records of those steps), so a crash in the middle is finished by the next resume or
/// `undo`. Other installs are not touched. Also for checks that judge an install's finished
/// steps (the view check).
fn rollback_install(
    s: &mut Session,
    plans: &[InstallPlan],
    run_id: &str,
    install: usize,
    reason: &Stop,
) -> Result<Rollback, ExecError> {
    let mut rb = Rollback::default();
    if s.journal.is_none() {
        return Ok(rb);
    }
    if !s.folded.stopped.contains_key(&install) {
        s.record(&Record::Stopped {
            install,
            step: reason.step,
            path: reason.path.clone(),
            message: reason.message.clone(),
        })?;
    }
    let tag = undo_tag(run_id);
    let env = s.opts.env(&tag);
    let order: Vec<(usize, usize)> = s.folded.started_order.iter().copied().filter(|k| k.0 == install).collect();
    for &(i, j) in order.iter().rev() {
        match undo_step(s, plans, run_id, &env, i, j, &mut rb.notes)? {
            Undid::Undone => rb.undone += 1,
            Undid::Nothing => {}
            Undid::Stopped(stop) => {
                rb.stopped = Some(stop);
                break;
            }
        }
    }
    if rb.stopped.is_none() {
        regroup::regroup(plans, &s.folded, &order, &tag, &mut rb.notes);
    }
    rb.left = s.folded.in_effect().filter(|k| k.0 == install).map(|k| k.1).collect();
    rb.left.sort_unstable();
    Ok(rb)
}

fn corrupt(s: &Session, what: &str) -> ExecError {
    ExecError::JournalCorrupt {
        path: s.journal.as_ref().map(|j| j.path().to_path_buf()).unwrap_or_default(),
        what: what.into(),
    }
}

fn done_record(install: usize, step: usize, detail: StepDetail) -> Record {
    Record::Step { install, step, state: StepState::Done, detail }
}

fn open_new(s: &mut Session, header: Option<&Record>) -> Result<(), ExecError> {
    let Some(header) = header else {
        return Ok(());
    };
    let dir = &s.opts.journal_dir;
    let lock = lock::acquire(dir, s.opts.lock_wait).map_err(lock_err)?;
    if lock.waited {
        // Another run took this folder's first lock while this one planned without it.
        return Err(ExecError::PlanStale);
    }
    s.lock = Some(lock);
    let w = JournalWriter::create(dir, header).map_err(|source| ExecError::Journal { path: dir.clone(), source })?;
    s.journal = Some(w);
    Ok(())
}

fn read_run(path: &Path) -> Result<JournalRun, ExecError> {
    JournalRun::read(path).map_err(|source| ExecError::JournalRead { path: path.to_path_buf(), source })
}

fn journal_dir_of(run: &JournalRun) -> PathBuf {
    run.path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Every run in the journal folder, newest first.
pub fn list_runs(journal_dir: &Path) -> Result<Vec<RunSummary>, ExecError> {
    let runs = journal::read_all(journal_dir)
        .map_err(|source| ExecError::JournalRead { path: journal_dir.to_path_buf(), source })?;
    Ok(runs.iter().map(JournalRun::summary).collect())
}

/// The newest run that was interrupted (or whose undo was), for the CLI to offer resume or
/// rollback before anything else.
pub fn find_unfinished(journal_dir: &Path) -> Result<Option<JournalRun>, ExecError> {
    let runs = journal::read_all(journal_dir)
        .map_err(|source| ExecError::JournalRead { path: journal_dir.to_path_buf(), source })?;
    Ok(runs.into_iter().find(|r| matches!(r.state(), RunState::Interrupted | RunState::UndoIncomplete)))
}

/// Finishes an interrupted run: from each install's first step without a `done` record,
/// counting a half-done step as done when its effect is fully in place.
pub fn resume(run: &JournalRun, opts: &ExecOptions) -> Result<RunReport, ExecError> {
    let dir = journal_dir_of(run);
    let lock = lock::acquire(&dir, opts.lock_wait).map_err(lock_err)?;
    // Read again under the lock: the journal is the truth, not the caller's copy.
    let run = read_run(&run.path)?;
    let state = run.state();
    if matches!(state, RunState::Undone | RunState::UndoIncomplete) {
        return Err(ExecError::NotResumable { id: run.run_id, state, dir });
    }
    let folded = run.fold();
    check_indices(&run, &folded)?;
    let mut s = Session::reopen(opts, &run, lock)?;
    if state == RunState::Interrupted {
        s.record(&Record::Resumed { at: journal::utc_now() })?;
    }
    let installs = forward(&mut s, &run.plans, &run.run_id, Some(&folded), None)?;
    if state == RunState::Interrupted {
        s.record(&Record::Complete { at: journal::utc_now() })?;
    }
    drop(s.lock.take());
    Ok(RunReport { run_id: Some(run.run_id.clone()), journal: Some(run.path.clone()), dry_run: false, installs })
}

fn check_indices(run: &JournalRun, f: &Folded) -> Result<(), ExecError> {
    let ok = f.forward.keys().chain(f.undo.keys()).all(|&(i, j)| run.plans.get(i).is_some_and(|p| j < p.steps.len()));
    if ok {
        Ok(())
    } else {
        Err(ExecError::JournalCorrupt { path: run.path.clone(), what: "a step index outside the plan".into() })
    }
}

/// Reverses an interrupted run: every done step, and the half-done one if it took effect.
/// Same as [`undo`] of that run, but it does not ask about newer runs: `fix` offers it for the
/// run it found interrupted, before it plans anything new.
pub fn rollback(run: &JournalRun, opts: &ExecOptions) -> Result<UndoReport, ExecError> {
    undo_run(run, opts, Newer::Ignore)
}

/// Whether an undo looks at the newer runs of its journal folder first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Newer {
    /// Refuse when one that is still in effect relies on the run ([`ExecError::NewerRunsDepend`]).
    Refuse,
    Ignore,
}

fn read_dir_runs(dir: &Path) -> Result<Vec<JournalRun>, ExecError> {
    journal::read_all(dir).map_err(|source| ExecError::JournalRead { path: dir.to_path_buf(), source })
}

/// Run `run_id` of `runs`, or by default the newest one not yet undone.
fn choose(runs: Vec<JournalRun>, run_id: Option<&str>, dir: &Path) -> Result<JournalRun, ExecError> {
    match run_id {
        Some(id) => runs
            .into_iter()
            .find(|r| r.run_id == id)
            .ok_or_else(|| ExecError::NoSuchRun { id: id.into(), dir: dir.to_path_buf() }),
        None => runs
            .into_iter()
            .find(|r| r.state().undoable() && !r.deletes())
            .ok_or_else(|| ExecError::NothingToUndo { dir: dir.to_path_buf() }),
    }
}

/// Reverses run `run_id`, or by default the newest run not yet undone (complete, interrupted,
/// or with an unfinished undo), newest action first. Refused, with nothing changed, while a
/// newer run still in effect relies on what it made (see [`dependents`]).
pub fn undo(run_id: Option<&str>, opts: &ExecOptions) -> Result<UndoReport, ExecError> {
    let dir = &opts.journal_dir;
    let run = choose(read_dir_runs(dir)?, run_id, dir)?;
    undo_run(&run, opts, Newer::Refuse)
}

/// Reverses the newer runs that rely on run `run_id` (newest first), then the run itself, each
/// journaled as its own undo. Stops after the first undo that stops; the reports say how far
/// it got, in the order done.
pub fn undo_with_newer(run_id: Option<&str>, opts: &ExecOptions) -> Result<Vec<UndoReport>, ExecError> {
    let dir = &opts.journal_dir;
    // Held over all of them (the lock is re-entrant), so no run starts in between.
    let _lock = lock::acquire(dir, opts.lock_wait).map_err(lock_err)?;
    let runs = read_dir_runs(dir)?;
    let run = choose(runs.clone(), run_id, dir)?;
    let dependents = depends::dependents(&runs, &run);
    if dependents.iter().any(|d| d.deletes) {
        // A prune cannot be undone, so neither can this run: refused before any undo.
        return Err(ExecError::NewerRunsDepend { id: run.run_id, dependents, dir: dir.to_path_buf() });
    }
    let mut order: Vec<String> = dependents.into_iter().map(|d| d.run_id).collect();
    order.push(run.run_id.clone());
    let mut reports = Vec::new();
    for id in order {
        let Some(r) = runs.iter().find(|r| r.run_id == id) else { continue };
        let report = undo_run(r, opts, Newer::Refuse)?;
        let stopped = report.stopped.is_some();
        reports.push(report);
        if stopped {
            break;
        }
    }
    Ok(reports)
}

/// What undoing run `run_id` (or the newest not yet undone) involves, read from the journals
/// without changing anything: the newer runs that rely on it (newest first), and what its undo
/// will leave behind (with `with_newer`, the undo of those runs counted in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoPreview {
    pub run_id: String,
    pub dependents: Vec<Dependent>,
    pub left_behind: Vec<PathBuf>,
}

pub fn preview_undo(run_id: Option<&str>, journal_dir: &Path, with_newer: bool) -> Result<UndoPreview, ExecError> {
    let runs = read_dir_runs(journal_dir)?;
    let run = choose(runs.clone(), run_id, journal_dir)?;
    let dependents = depends::dependents(&runs, &run);
    let mut chain = vec![&run];
    if with_newer {
        chain.extend(runs.iter().filter(|r| dependents.iter().any(|d| d.run_id == r.run_id)));
    }
    let left_behind = depends::left_behind(&chain);
    Ok(UndoPreview { run_id: run.run_id.clone(), dependents, left_behind })
}

fn undo_run(run: &JournalRun, opts: &ExecOptions, newer: Newer) -> Result<UndoReport, ExecError> {
    if newer == Newer::Refuse && run.deletes() {
        return Err(ExecError::NotUndoable { id: run.run_id.clone(), dir: journal_dir_of(run) });
    }
    let dir = journal_dir_of(run);
    let lock = lock::acquire(&dir, opts.lock_wait).map_err(lock_err)?;
    let run = read_run(&run.path)?;
    let f = run.fold();
    if f.undone {
        return Err(ExecError::AlreadyUndone { id: run.run_id });
    }
    check_indices(&run, &f)?;
    if newer == Newer::Refuse && run.plans.iter().any(|p| p.guard) {
        return Err(ExecError::GuardRun { id: run.run_id, dir });
    }
    if newer == Newer::Refuse {
        // Read under the lock: what is in effect now decides.
        let dependents = depends::dependents(&read_dir_runs(&dir)?, &run);
        if !dependents.is_empty() {
            return Err(ExecError::NewerRunsDepend { id: run.run_id, dependents, dir });
        }
    }
    let mut s = Session::reopen(opts, &run, lock)?;
    if !f.undo_started {
        s.record(&Record::UndoStarted { at: journal::utc_now() })?;
    }
    let tag = undo_tag(&run.run_id);
    let env = opts.env(&tag);
    let mut report = UndoReport {
        run_id: run.run_id.clone(),
        journal: run.path.clone(),
        undone: 0,
        stopped: None,
        notes: Vec::new(),
    };
    for &(i, j) in f.started_order.iter().rev() {
        match undo_step(&mut s, &run.plans, &run.run_id, &env, i, j, &mut report.notes)? {
            Undid::Undone => report.undone += 1,
            Undid::Nothing => {}
            Undid::Stopped(stop) => {
                report.stopped = Some((i, stop));
                return Ok(report);
            }
        }
    }
    regroup::regroup(&run.plans, &s.folded, &f.started_order, &tag, &mut report.notes);
    s.record(&Record::Undone { at: journal::utc_now() })?;
    Ok(report)
}

/// The temporary-name tag of copies made while undoing run `run_id`.
fn undo_tag(run_id: &str) -> String {
    format!("{run_id}-undo")
}

/// What became of one step's undo.
enum Undid {
    Undone,
    /// Already undone, or it never took effect.
    Nothing,
    /// Could not be undone (journaled as `undo_stopped`).
    Stopped(Stop),
}

/// Reverses step `(i, j)` as far as the session's journal says it went: first settles a
/// half-done forward step (did it take effect?), then finishes a half-done undo of it, else
/// undoes it, journaling each stage so a crash anywhere is finished by the next call.
fn undo_step(
    s: &mut Session,
    plans: &[InstallPlan],
    run_id: &str,
    env: &Env,
    i: usize,
    j: usize,
    notes: &mut Vec<String>,
) -> Result<Undid, ExecError> {
    let action = &plans[i].steps[j].action;
    let undo_state = s.folded.undo.get(&(i, j)).copied();
    if undo_state == Some(StepState::Done) {
        return Ok(Undid::Nothing);
    }
    let stop = |s: &mut Session, e: StepError| -> Result<Undid, ExecError> {
        s.record(&Record::UndoStopped { install: i, step: j, message: e.message.clone() })?;
        Ok(Undid::Stopped(stop_of(j, e)))
    };
    let Some((fstate, fdetail)) = s.folded.forward.get(&(i, j)).cloned() else {
        return Ok(Undid::Nothing);
    };
    // First settle the forward step: did it take effect?
    let detail = match (fstate, undo_state) {
        (StepState::Done, _) => fdetail,
        // Undo already under way: the forward step was settled before it began.
        (_, Some(_)) => fdetail,
        (StepState::Copied, None) => {
            let Action::Move { from, to } = action else {
                return Err(corrupt(s, "a `copied` record on a step that is not a move"));
            };
            if let Err(e) = transfer::finish_copied_move(from, to) {
                return stop(s, e);
            }
            StepDetail { copied: true, ..fdetail }
        }
        (StepState::Started, None) => match actions::took_effect(action, &fdetail) {
            Ok(Some(d)) => d.or(&fdetail),
            Ok(None) => {
                note_leftover(action, run_id, notes);
                return Ok(Undid::Nothing);
            }
            Err(e) => return stop(s, e),
        },
    };
    // Then a half-done undo of it.
    match undo_state {
        Some(StepState::Copied) => {
            let Action::Move { from, to } = action else {
                return Err(corrupt(s, "a `copied` record on a step that is not a move"));
            };
            if let Err(e) = transfer::finish_copied_move(to, from) {
                return stop(s, e);
            }
            s.record(&undo_record(i, j, StepState::Done))?;
            return Ok(Undid::Undone);
        }
        Some(StepState::Started) => match actions::undo_took_effect(action) {
            Ok(true) => {
                s.record(&undo_record(i, j, StepState::Done))?;
                return Ok(Undid::Undone);
            }
            Ok(false) => {}
            Err(e) => return stop(s, e),
        },
        _ => {}
    }
    s.record(&undo_record(i, j, StepState::Started))?;
    s.actions += 1;
    s.failpoint(FailAt::Before)?;
    let result = {
        let mut on_copied = || -> Result<(), Fail> {
            s.record(&undo_record(i, j, StepState::Copied))?;
            s.failpoint(FailAt::AfterCopied)?;
            Ok(())
        };
        actions::apply_undo(action, &detail, env, &mut on_copied)
    };
    match result {
        Ok(()) => {
            s.failpoint(FailAt::BeforeDone)?;
            s.record(&undo_record(i, j, StepState::Done))?;
            s.failpoint(FailAt::After)?;
            Ok(Undid::Undone)
        }
        Err(Fail::Step(e)) => stop(s, e),
        Err(Fail::Fatal(e)) => Err(e),
    }
}

fn undo_record(install: usize, step: usize, state: StepState) -> Record {
    Record::Undo { install, step, state }
}

/// A step killed before it took effect may have left a partial copy under this run's temporary
/// name. A plain file there is only an unverified copy of a source still in place, so it is
/// removed; a partial folder copy is left for a person to look at.
fn note_leftover(action: &Action, tag: &str, notes: &mut Vec<String>) {
    let Some(tmp) = actions::leftover_temp(action, tag) else {
        return;
    };
    match crate::platform::entry(&tmp) {
        Ok(crate::platform::Entry::File { .. }) if std::fs::remove_file(&tmp).is_ok() => {
            notes.push(format!("removed the partial copy {} left by the interrupted step", tmp.display()));
        }
        _ => notes.push(format!(
            "{}: a partial copy left by the interrupted step; its source is intact, remove it once you have checked it",
            tmp.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failpoint_parses() {
        assert_eq!(Failpoint::parse("after:3"), Some(Failpoint { at: FailAt::After, n: 3, exit: true }));
        assert_eq!(Failpoint::parse("before-done:1").map(|f| f.at), Some(FailAt::BeforeDone));
        assert_eq!(Failpoint::parse("later:1"), None);
        assert_eq!(Failpoint::parse("after:x"), None);
    }
}
