//! Thin CLI: parse, turn flags into settings, run one command, map its outcome to an exit code.

use clap::Parser;

use comfydoctor::cli::{Cli, Command};
use comfydoctor::commands;
use comfydoctor::config::{
    self, BackupsSettings, DetachSettings, FixSettings, GuardSettings, ScanSettings, UndoSettings,
};
use comfydoctor::error::Result;
use comfydoctor::exit_codes::ExitCode;

fn run(cli: &Cli) -> Result<ExitCode> {
    config::apply_color(cli.color);
    match &cli.command {
        Command::Scan(args) => commands::scan::run(&ScanSettings::from_args(args)?),
        Command::Fix(args) => commands::fix::run(&FixSettings::from_args(args)?),
        Command::Undo(args) => commands::undo::run(&UndoSettings::from_args(args)?),
        Command::Detach(args) => commands::detach::run(&DetachSettings::from_args(args)?),
        Command::Backups(args) => commands::backups::run(&BackupsSettings::from_args(args)?),
        // The updater's own exit code passes through.
        Command::Guard(args) => std::process::exit(commands::guard::run(&GuardSettings::from_args(args)?)?),
        Command::Checks { format } => commands::checks::list(config::output_format(*format)),
        Command::Explain { id, format } => commands::checks::explain(id, config::output_format(*format)),
        Command::Completions { shell, dynamic } => commands::complete::run(*shell, *dynamic),
        Command::Man { dir } => commands::man::run(dir.as_deref()),
    }
}

/// A closed stdout or stderr (`comfydoctor scan | head -1`) makes `println!` panic with "Broken
/// pipe" (Rust ignores SIGPIPE). Such a panic ends the process here, quietly, with
/// [`CLOSED_OUTPUT`](comfydoctor::exit_codes::CLOSED_OUTPUT): the temporary copy being written
/// (if stderr closed mid-copy) is removed first, and the cursor shown again. stdout is written
/// only before or after a run's steps, so a closed stdout leaves no run half done; a stderr
/// closed mid-copy leaves the run as Ctrl-C does (the next `fix` finishes it). Any other panic
/// is reported as before.
fn end_quietly_when_the_output_is_closed() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message =
            payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied());
        if message.is_some_and(closed_output) {
            let mut err = std::io::stderr();
            if std::io::IsTerminal::is_terminal(&err) {
                let _ = std::io::Write::write_all(&mut err, b"\x1b[?25h");
            }
            comfydoctor::execute::interrupt::abandon(comfydoctor::exit_codes::CLOSED_OUTPUT);
        }
        report(info)
    }));
}

/// Whether a panic message is std's for a write to a closed stdout or stderr.
fn closed_output(message: &str) -> bool {
    #[cfg(unix)]
    let codes = [rustix::io::Errno::PIPE.raw_os_error()];
    // ERROR_NO_DATA ("the pipe is being closed") and ERROR_BROKEN_PIPE.
    #[cfg(windows)]
    let codes = [232, 109];
    #[cfg(not(any(unix, windows)))]
    let codes: [i32; 0] = [];
    ["failed printing to stdout: ", "failed printing to stderr: "].iter().any(|p| message.starts_with(p))
        && codes.iter().any(|&c| message.ends_with(&std::io::Error::from_raw_os_error(c).to_string()))
}

fn main() {
    end_quietly_when_the_output_is_closed();
    if config::empty_no_color() {
        // SAFETY: first thing in main, before any other thread exists.
        unsafe { std::env::remove_var("NO_COLOR") };
    }
    // A TAB in a shell that sourced `completions --dynamic` runs us with COMPLETE set.
    comfydoctor::completion::complete_if_asked();
    let code = match run(&Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("comfydoctor: {e}");
            ExitCode::from(e.kind())
        }
    };
    std::process::exit(code.code());
}
