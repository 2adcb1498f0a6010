//! The run journal: one JSON Lines file per run, appended and fsynced as the executor goes, so a
//! run killed at any instant can be recognised, finished or rolled back, and a finished run
//! undone. Nothing here touches anything but journal files.
//!
//! Format (`run-<run id>.jsonl`, one JSON object a line, tagged by `record`):
//! - `header`: format version, run id, UTC start time, tool version, and every install plan in
//!   full (the undo needs nothing else).
//! - `step` with `state: started`, before an action touches the disk. A `Move` also records the
//!   kind of its source then, so a half-done move can be recognised later.
//! - `step` with `state: copied` (cross-filesystem `Move` only): the verified copy is in place and
//!   removal of the source is about to start.
//! - `step` with `state: done` after the action, with what its undo needs to check (hash, inode).
//! - `stopped`: an install's plan stopped at that step (precondition or I/O failure), with why;
//!   the `undo` records that follow it for that install's steps (no `undo_started`) are its
//!   immediate rollback.
//! - `complete`: the run reached its end (some installs may have stopped).
//! - `undo_started`, `undo` (`started` / `copied` / `done` per step), `undo_stopped`, `undone`: the
//!   same for the way back.
//!
//! Steps are named by `install` (index into the header's plans) and `step` (index in that plan).
//! A run is interrupted when it has no `complete`, undone when it has `undone`.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::durable::sync_dir;
use crate::plan::InstallPlan;

/// Bumped when a reader of an older version could misread a newer journal.
pub const FORMAT: u32 = 1;

/// Journal files are `run-<id>.jsonl` so they sort by start time and are easy to spot.
const PREFIX: &str = "run-";
const SUFFIX: &str = ".jsonl";

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    Header {
        format: u32,
        run_id: String,
        started_at: String,
        tool_version: String,
        plans: Vec<InstallPlan>,
    },
    Resumed {
        at: String,
    },
    Step {
        install: usize,
        step: usize,
        state: StepState,
        #[serde(default, skip_serializing_if = "StepDetail::is_empty")]
        detail: StepDetail,
    },
    Stopped {
        install: usize,
        step: usize,
        /// The path at fault.
        #[serde(default, with = "crate::path_serde")]
        path: PathBuf,
        message: String,
    },
    Complete {
        at: String,
    },
    UndoStarted {
        at: String,
    },
    Undo {
        install: usize,
        step: usize,
        state: StepState,
    },
    UndoStopped {
        install: usize,
        step: usize,
        message: String,
    },
    Undone {
        at: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Started,
    /// A cross-filesystem move's verified copy is in place; the source may be partly removed.
    Copied,
    Done,
}

/// What an undo (or a resume of a half-done step) needs to know that the action itself does
/// not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDetail {
    /// Kind of a `Move`'s source when it started: `file`, `dir` or `link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_kind: Option<String>,
    /// Whether a `Move` crossed filesystems (copied, then the source removed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub copied: bool,
    /// Length and sha256 of a file made by `CopyVerify`/`HardLink`, so the undo removes it only
    /// while it still holds these bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub len: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Device and inode of a hard link (Unix), a cheaper identity than the hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ino: Option<u64>,
    /// Permission bits, owner and group (Unix) of an entry a `Remove*` step removes, recorded
    /// when it starts, so its undo recreates it as the user had it (case: `sudo fix`, `undo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// Modification time (nanoseconds since 1970) of a removed file, put back by its undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime_ns: Option<i64>,
    /// Files of a `Move` across filesystems (the source itself, or files below a folder) that
    /// had other names (hard links) when it started: the copy back of its undo is one more
    /// inode, so the undo links it to a name that kept the original one (`regroup`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<LinkedName>,
}

/// A file with other names, by its path relative to a moved entry (empty: the entry itself)
/// and its (device, inode) when the move started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedName {
    #[serde(with = "crate::path_serde")]
    pub rel: PathBuf,
    pub dev: u64,
    pub ino: u64,
}

impl StepDetail {
    pub fn is_empty(&self) -> bool {
        *self == StepDetail::default()
    }

    /// `self`, with every fact it lacks taken from `earlier` (a step's `started` record knows
    /// things its `done` record does not repeat, and the reverse).
    pub fn or(self, earlier: &StepDetail) -> StepDetail {
        StepDetail {
            source_kind: self.source_kind.or_else(|| earlier.source_kind.clone()),
            copied: self.copied || earlier.copied,
            len: self.len.or(earlier.len),
            sha256: self.sha256.or_else(|| earlier.sha256.clone()),
            dev: self.dev.or(earlier.dev),
            ino: self.ino.or(earlier.ino),
            mode: self.mode.or(earlier.mode),
            uid: self.uid.or(earlier.uid),
            gid: self.gid.or(earlier.gid),
            mtime_ns: self.mtime_ns.or(earlier.mtime_ns),
            linked: if self.linked.is_empty() { earlier.linked.clone() } else { self.linked },
        }
    }
}

/// Where a run stands, as its journal tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Reached its end (installs may have stopped on a failed precondition).
    Complete,
    /// Reached its end with nothing of it left in effect: every install that acted stopped and
    /// was rolled back at once. Nothing to undo.
    RolledBack,
    /// Killed or failed between its first action and its end: resume or roll back.
    Interrupted,
    /// An undo or rollback began but did not finish: run `undo` again.
    UndoIncomplete,
    Undone,
}

impl RunState {
    /// Whether `undo` has anything to reverse in a run in this state.
    pub fn undoable(self) -> bool {
        !matches!(self, RunState::Undone | RunState::RolledBack)
    }
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RunState::Complete => "complete",
            RunState::RolledBack => "rolled back",
            RunState::Interrupted => "interrupted",
            RunState::UndoIncomplete => "undo incomplete",
            RunState::Undone => "undone",
        })
    }
}

/// One line of `undo --list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub journal: PathBuf,
    pub started_at: String,
    pub state: RunState,
    pub installs: Vec<PathBuf>,
    /// Actions done (not counting undone ones) out of all planned.
    pub actions_done: usize,
    pub actions_planned: usize,
    /// A `backups --prune` run: its deletions are not undoable, so `undo` passes it by.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deletes: bool,
}

/// A journal read back: the header's plans and every record after it.
#[derive(Debug, Clone)]
pub struct JournalRun {
    pub path: PathBuf,
    pub run_id: String,
    pub started_at: String,
    pub tool_version: String,
    pub plans: Vec<InstallPlan>,
    pub records: Vec<Record>,
}

/// The state of every step, folded from the records in order.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub forward: HashMap<(usize, usize), (StepState, StepDetail)>,
    /// Steps in the order they first started: the undo walks this backwards.
    pub started_order: Vec<(usize, usize)>,
    /// Install → (step, path at fault, message).
    pub stopped: HashMap<usize, (usize, PathBuf, String)>,
    pub complete: bool,
    pub undo_started: bool,
    pub undo: HashMap<(usize, usize), StepState>,
    pub undone: bool,
}

impl Folded {
    /// Adds one record to the state, as a reader of the whole journal would.
    pub fn apply(&mut self, r: &Record) {
        let f = self;
        match r {
            Record::Step { install, step, state, detail } => {
                let key = (*install, *step);
                if !f.forward.contains_key(&key) {
                    f.started_order.push(key);
                }
                // A later record (`done`, or the `started` of a redo after a resume) must not
                // hide what an earlier one recorded (a source kind, a removed entry's owner).
                let detail = match f.forward.get(&key) {
                    Some((_, old)) => detail.clone().or(old),
                    None => detail.clone(),
                };
                f.forward.insert(key, (*state, detail));
            }
            Record::Stopped { install, step, path, message } => {
                f.stopped.insert(*install, (*step, path.clone(), message.clone()));
            }
            Record::Complete { .. } => f.complete = true,
            Record::UndoStarted { .. } => f.undo_started = true,
            Record::Undo { install, step, state } => {
                f.undo.insert((*install, *step), *state);
            }
            Record::UndoStopped { .. } => {}
            Record::Undone { .. } => f.undone = true,
            Record::Header { .. } | Record::Resumed { .. } => {}
        }
    }

    /// Steps whose effect may still be on disk: done (or half done: copied) and not undone.
    pub fn in_effect(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.started_order.iter().copied().filter(|k| {
            matches!(self.forward.get(k), Some((StepState::Done | StepState::Copied, _)))
                && self.undo.get(k) != Some(&StepState::Done)
        })
    }
}

impl JournalRun {
    /// Reads a journal. A torn last line (the process died while writing it) is ignored: it was
    /// never fsynced as a whole, so nothing can rely on it.
    pub fn read(path: &Path) -> io::Result<JournalRun> {
        let file = File::open(path)?;
        let mut lines: Vec<String> = Vec::new();
        for line in BufReader::new(file).lines() {
            lines.push(line?);
        }
        let mut records = Vec::new();
        let last = lines.len().saturating_sub(1);
        for (n, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(line) {
                Ok(r) => records.push(r),
                Err(_) if n == last => {}
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: line {}: {e}", path.display(), n + 1),
                    ));
                }
            }
        }
        let mut it = records.into_iter();
        match it.next() {
            Some(Record::Header { format, run_id, started_at, tool_version, plans }) => {
                if format > FORMAT {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{}: journal format {format} is newer than this comfydoctor understands ({FORMAT}); use comfydoctor {tool_version} or newer",
                            path.display()
                        ),
                    ));
                }
                Ok(JournalRun {
                    path: path.to_path_buf(),
                    run_id,
                    started_at,
                    tool_version,
                    plans,
                    records: it.collect(),
                })
            }
            _ => Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}: no journal header", path.display()))),
        }
    }

    /// Whether the run deleted proved duplicates (`backups --prune`): such a run is not undone.
    pub fn deletes(&self) -> bool {
        self.plans
            .iter()
            .flat_map(|p| &p.steps)
            .any(|s| matches!(s.action, crate::plan::Action::DeleteDuplicate { .. }))
    }

    pub fn fold(&self) -> Folded {
        let mut f = Folded::default();
        for r in &self.records {
            f.apply(r);
        }
        f
    }

    pub fn state(&self) -> RunState {
        let f = self.fold();
        if f.undone {
            RunState::Undone
        } else if f.undo_started {
            RunState::UndoIncomplete
        } else if f.complete && !f.stopped.is_empty() && f.in_effect().next().is_none() {
            RunState::RolledBack
        } else if f.complete {
            RunState::Complete
        } else {
            RunState::Interrupted
        }
    }

    pub fn summary(&self) -> RunSummary {
        let f = self.fold();
        let done = f
            .forward
            .iter()
            .filter(|(k, (s, _))| *s == StepState::Done && f.undo.get(k) != Some(&StepState::Done))
            .count();
        RunSummary {
            run_id: self.run_id.clone(),
            journal: self.path.clone(),
            started_at: self.started_at.clone(),
            state: self.state(),
            installs: self.plans.iter().map(|p| p.install.clone()).collect(),
            actions_done: done,
            actions_planned: self.plans.iter().map(|p| p.steps.len()).sum(),
            deletes: self.deletes(),
        }
    }
}

/// Every run in `dir`, newest first. A missing folder has no runs (and is not created).
pub fn read_all(dir: &Path) -> io::Result<Vec<JournalRun>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut runs = Vec::new();
    for ent in rd {
        let ent = ent?;
        let name = ent.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
            runs.push(JournalRun::read(&ent.path())?);
        }
    }
    runs.sort_by(|a, b| (b.started_at.as_str(), b.run_id.as_str()).cmp(&(a.started_at.as_str(), a.run_id.as_str())));
    Ok(runs)
}

/// An open journal, appended one fsynced line at a time.
pub struct JournalWriter {
    file: File,
    path: PathBuf,
}

impl JournalWriter {
    /// Creates `run-<run_id>.jsonl` in `dir` (which must exist) and writes the header.
    pub fn create(dir: &Path, header: &Record) -> io::Result<JournalWriter> {
        let Record::Header { run_id, .. } = header else {
            return Err(io::Error::other("a journal starts with its header"));
        };
        let path = dir.join(format!("{PREFIX}{run_id}{SUFFIX}"));
        let file = OpenOptions::new().append(true).create_new(true).open(&path)?;
        // Made as root, it belongs to the owner of the workspace the journal folder is in.
        crate::platform::owner::give_to_owner_of(&path, dir.parent().unwrap_or(dir));
        let mut w = JournalWriter { file, path };
        w.append(header)?;
        sync_dir(dir);
        Ok(w)
    }

    /// Reopens an existing journal to add records (resume, undo).
    pub fn open(path: &Path) -> io::Result<JournalWriter> {
        let file = OpenOptions::new().append(true).open(path)?;
        Ok(JournalWriter { file, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one record as one line and waits until it is on disk: a record the executor
    /// relies on after a crash must have reached the disk before the action it announces.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`, which sorts as text.
pub fn utc_now() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, (s / 60) % 60, s % 60, now.subsec_millis())
}

/// Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic: 400-year cycles of
/// 146097 days starting on March 1st, so the leap day falls at the end of a cycle year).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A run id that sorts by start time and stays unique across processes.
pub fn new_run_id() -> String {
    let t = utc_now();
    let compact: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    // 20250102030405123 → 20250102-030405-123
    let (date, rest) = compact.split_at(8.min(compact.len()));
    let (time, ms) = rest.split_at(6.min(rest.len()));
    format!("{date}-{time}-{ms}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let header = Record::Header {
            format: FORMAT,
            run_id: "x".into(),
            started_at: utc_now(),
            tool_version: "0".into(),
            plans: vec![],
        };
        let mut w = JournalWriter::create(dir.path(), &header).unwrap();
        w.append(&Record::Step { install: 0, step: 0, state: StepState::Started, detail: StepDetail::default() })
            .unwrap();
        let path = w.path().to_path_buf();
        drop(w);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"record\":\"st").unwrap();
        let run = JournalRun::read(&path).unwrap();
        assert_eq!(run.records.len(), 1);
        assert_eq!(run.state(), RunState::Interrupted);
    }
}
