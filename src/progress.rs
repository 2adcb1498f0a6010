//! The CLI's drawing of the executor's copy progress (`execute::Progress`): a byte bar on
//! stderr for big copies. The executor only reports; whether and how to draw is decided here.

use std::io::{self, IsTerminal};
use std::sync::{Arc, Mutex};

use crate::execute::{Progress, ProgressEvent};

/// Below this a copy is over before a bar would be readable.
pub const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// Whether to draw a bar: asked for, on a terminal (a bar in a log file or a pipe is noise), and
/// big enough to be worth it.
pub fn wants_progress(asked: bool, total: u64, stderr_is_terminal: bool) -> bool {
    asked && stderr_is_terminal && total >= PROGRESS_MIN_BYTES
}

/// indicatif bars, one per copy that wants one.
pub struct Bars {
    asked: bool,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

/// A receiver for `ExecOptions::reporter`; `asked: false` (e.g. `--quiet`) never draws.
pub fn bars(asked: bool) -> Arc<dyn Progress> {
    Arc::new(Bars { asked, bar: Mutex::new(None) })
}

impl Progress for Bars {
    fn event(&self, event: ProgressEvent<'_>) {
        let Ok(mut slot) = self.bar.lock() else {
            return;
        };
        match event {
            ProgressEvent::CopyStarted { path, total } => {
                if !wants_progress(self.asked, total, io::stderr().is_terminal()) {
                    return;
                }
                let bar =
                    indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg} {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                ) {
                    bar.set_style(style);
                }
                bar.set_message(format!("copying {}", path.display()));
                *slot = Some(bar);
            }
            ProgressEvent::CopyAdvanced { bytes } => {
                if let Some(b) = slot.as_ref() {
                    b.inc(bytes);
                }
            }
            ProgressEvent::StepDone => {}
            ProgressEvent::CopyFinished => {
                if let Some(b) = slot.take() {
                    b.finish_and_clear();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_on_terminals_and_big_copies() {
        assert!(!wants_progress(true, 1 << 40, false));
        assert!(!wants_progress(true, 10, true));
        assert!(!wants_progress(false, 1 << 40, true));
        assert!(wants_progress(true, 1 << 40, true));
    }
}
