//! The CLI's drawing of the executor's progress (`execute::Progress`). The executor only reports;
//! whether and how to draw is decided here:
//! - on a terminal (stderr), one indicatif multi-progress for the whole run: steps n/N, and for
//!   a big copy its bytes, rate and ETA, every line fitted to the terminal's width;
//! - otherwise (a pipe, a log file) and under `--quiet`, a plain line on stderr every
//!   [`PLAIN_EVERY`] while a copy runs longer than that, so a long copy never looks hung.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::execute::{Progress, ProgressEvent};
use crate::wording;

/// Below this a copy is over before a bar would be readable.
pub const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// How often a plain progress line is printed while a copy runs.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// A run shorter than this draws no overall bar (it would only flicker).
const BAR_AFTER: Duration = Duration::from_secs(1);

/// Whether to draw a copy's bar: asked for, on a terminal (a bar in a log file or a pipe is
/// noise), and big enough to be worth it.
pub fn wants_progress(asked: bool, total: u64, stderr_is_terminal: bool) -> bool {
    asked && stderr_is_terminal && total >= PROGRESS_MIN_BYTES
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// indicatif bars on stderr.
    Bars,
    /// A line on stderr now and then while a long copy runs.
    Plain,
}

impl Display {
    /// Bars on a terminal unless quiet; plain lines otherwise.
    pub fn detect(quiet: bool) -> Display {
        if !quiet && io::stderr().is_terminal() { Display::Bars } else { Display::Plain }
    }
}

/// Test seams, honoured by debug builds only: `COMFYDOCTOR_TEST_PROGRESS_EVERY_MS` shortens
/// [`PLAIN_EVERY`]; `COMFYDOCTOR_TEST_COPY_DELAY_MS` slows each reported chunk of a copy (so a
/// test can watch, or interrupt, a copy in progress).
fn test_ms(var: &str) -> Option<Duration> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var(var).ok()?.parse().ok().map(Duration::from_millis)
}

struct Copy {
    name: String,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Option<Instant>,
    bar: Option<ProgressBar>,
}

struct State {
    started: Instant,
    steps_done: usize,
    multi: Option<MultiProgress>,
    overall: Option<ProgressBar>,
    copy: Option<Copy>,
}

/// A receiver for `ExecOptions::reporter`.
pub struct Reporter {
    display: Display,
    total_steps: usize,
    every: Duration,
    delay: Option<Duration>,
    state: Mutex<State>,
}

/// A reporter for a run of `total_steps` steps.
pub fn reporter(display: Display, total_steps: usize) -> Arc<dyn Progress> {
    Arc::new(Reporter {
        display,
        total_steps,
        every: test_ms("COMFYDOCTOR_TEST_PROGRESS_EVERY_MS").unwrap_or(PLAIN_EVERY),
        delay: test_ms("COMFYDOCTOR_TEST_COPY_DELAY_MS"),
        state: Mutex::new(State { started: Instant::now(), steps_done: 0, multi: None, overall: None, copy: None }),
    })
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Reporter {
    /// The multi-progress and its overall line, made once the run is long enough to show.
    fn ensure_bars(&self, st: &mut State) {
        if self.display != Display::Bars || st.multi.is_some() {
            return;
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(self.total_steps as u64).with_elapsed(st.started.elapsed()));
        overall.set_style(style("{prefix} {bar:20} step {pos}/{len}  {elapsed_precise} {wide_msg}"));
        overall.set_prefix("comfydoctor: fixing");
        overall.set_position(st.steps_done as u64);
        st.multi = Some(multi);
        st.overall = Some(overall);
    }

    fn plain_line(&self, st: &State, c: &Copy) -> String {
        let secs = c.started.elapsed().as_secs_f64().max(0.001);
        let rate = c.done as f64 / secs;
        let left = c.total.saturating_sub(c.done);
        let eta =
            if rate > 0.0 { format!(", about {} s left", (left as f64 / rate).ceil() as u64) } else { String::new() };
        let pct = (c.done * 100).checked_div(c.total).unwrap_or(100);
        format!(
            "comfydoctor: copying {}: {} of {} ({pct}%), {}/s{eta}; step {} of {}",
            c.name,
            HumanBytes(c.done),
            HumanBytes(c.total),
            HumanBytes(rate as u64),
            (st.steps_done + 1).min(self.total_steps.max(1)),
            self.total_steps.max(1)
        )
    }
}

impl Progress for Reporter {
    fn event(&self, event: ProgressEvent<'_>) {
        let Ok(mut guard) = self.state.lock() else {
            return;
        };
        let st = &mut *guard;
        match event {
            ProgressEvent::StepDone => {
                st.steps_done += 1;
                if st.started.elapsed() >= BAR_AFTER {
                    self.ensure_bars(st);
                }
                if let Some(o) = &st.overall {
                    o.set_position(st.steps_done as u64);
                }
            }
            ProgressEvent::CopyStarted { path, total } => {
                let name = file_name(path);
                let mut bar = None;
                if wants_progress(self.display == Display::Bars, total, io::stderr().is_terminal()) {
                    self.ensure_bars(st);
                    if let Some(m) = &st.multi {
                        let b = m.add(ProgressBar::new(total));
                        b.set_style(style(
                            "  {bar:20} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}  {wide_msg}",
                        ));
                        b.set_message(name.clone());
                        bar = Some(b);
                    }
                }
                st.copy = Some(Copy { name, total, done: 0, started: Instant::now(), last_line: None, bar });
            }
            ProgressEvent::CopyAdvanced { bytes } => {
                if let Some(d) = self.delay {
                    std::thread::sleep(d);
                }
                let Some(mut c) = st.copy.take() else { return };
                c.done += bytes;
                if let Some(b) = &c.bar {
                    b.inc(bytes);
                } else {
                    let since = c.last_line.unwrap_or(c.started);
                    if since.elapsed() >= self.every && c.done < c.total {
                        let line = self.plain_line(st, &c);
                        match &st.multi {
                            Some(m) => {
                                let _ = m.println(line);
                            }
                            None => eprintln!("{line}"),
                        }
                        c.last_line = Some(Instant::now());
                    }
                }
                st.copy = Some(c);
            }
            ProgressEvent::CopyFinished => {
                if let Some(c) = st.copy.take() {
                    if let Some(b) = c.bar {
                        b.finish_and_clear();
                    }
                    if c.last_line.is_some() {
                        eprintln!("comfydoctor: copied {} ({})", c.name, HumanBytes(c.total));
                    }
                }
            }
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Ok(st) = self.state.lock()
            && let Some(o) = &st.overall
        {
            o.finish_and_clear();
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// `3 steps`, for the summary lines that go with progress.
pub fn steps(n: usize) -> String {
    wording::count(n, "step", "steps")
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

    #[test]
    fn plain_lines_say_how_far_and_how_fast() {
        let r = Reporter {
            display: Display::Plain,
            total_steps: 3,
            every: PLAIN_EVERY,
            delay: None,
            state: Mutex::new(State { started: Instant::now(), steps_done: 1, multi: None, overall: None, copy: None }),
        };
        let c = Copy {
            name: "big.safetensors".into(),
            total: 1 << 30,
            done: 1 << 29,
            started: Instant::now() - Duration::from_secs(10),
            last_line: None,
            bar: None,
        };
        let line = r.plain_line(&r.state.lock().unwrap(), &c);
        assert!(line.starts_with("comfydoctor: copying big.safetensors: 512.00 MiB of 1.00 GiB (50%), "), "{line}");
        assert!(line.ends_with("s left; step 2 of 3"), "{line}");
    }
}
