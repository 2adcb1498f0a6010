//! Byte progress of long copies, reported as events to whoever the caller hands in: the
//! executor never draws on the terminal itself (the CLI's `crate::progress` does).

use std::path::Path;

/// What the executor reports while it copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressEvent<'a> {
    /// A verified copy of `path` (a file, or a whole folder across filesystems) begins.
    CopyStarted { path: &'a Path, total: u64 },
    /// `bytes` more were copied.
    CopyAdvanced { bytes: u64 },
    /// The copy that started last is over (done or failed).
    CopyFinished,
    /// One more step of the run is done (for an overall count).
    StepDone,
}

/// Receives [`ProgressEvent`]s; set one in `ExecOptions::reporter`.
pub trait Progress: Send + Sync {
    fn event(&self, event: ProgressEvent<'_>);
}

impl std::fmt::Debug for dyn Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Progress")
    }
}

/// One copy's reporting, silent without a receiver.
pub(crate) struct Meter<'a>(Option<&'a dyn Progress>);

impl<'a> Meter<'a> {
    pub(crate) fn start(to: Option<&'a dyn Progress>, path: &Path, total: u64) -> Meter<'a> {
        if let Some(p) = to {
            p.event(ProgressEvent::CopyStarted { path, total });
        }
        Meter(to)
    }

    pub(crate) fn inc(&self, bytes: u64) {
        // Between two chunks nothing is half-written but the tracked temporary: a Ctrl-C stops here.
        super::interrupt::checkpoint();
        if let Some(p) = self.0 {
            p.event(ProgressEvent::CopyAdvanced { bytes });
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(p) = self.0 {
            p.event(ProgressEvent::CopyFinished);
        }
    }
}
