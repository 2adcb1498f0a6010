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

fn main() {
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
