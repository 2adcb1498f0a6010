//! Thin CLI: parse, run one command, map its error to a documented exit code.

use clap::{CommandFactory, Parser};

use comfydoctor::cli::{Cli, ColorChoice, Command};
use comfydoctor::commands;

fn main() {
    let cli = Cli::parse();
    match cli.color {
        ColorChoice::Always => owo_colors::set_override(true),
        ColorChoice::Never => owo_colors::set_override(false),
        ColorChoice::Auto => {}
    }
    let result = match &cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Fix(args) => commands::fix::run(args),
        Command::Undo(args) => commands::undo::run(args),
        Command::Checks => commands::checks::list(),
        Command::Explain { id } => commands::checks::explain(id),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "comfydoctor", &mut std::io::stdout());
            Ok(0)
        }
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("comfydoctor: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
