//! `comfydoctor completions SHELL [--dynamic]`: a completion script on stdout.
//!
//! The static script lists everything the CLI declares (subcommands, flags, check IDs,
//! strategies, formats, shells); the dynamic one hands each TAB to `comfydoctor` itself (clap's
//! `COMPLETE=<shell>` protocol, see [`crate::completion`]), which also knows the run IDs.
//! For PowerShell and Elvish only the dynamic one completes values: clap_complete's static
//! scripts for them complete subcommands and flags only.

use std::io::Write;

use clap::{CommandFactory, ValueEnum};
use clap_complete::Shell;
use clap_complete::env::Shells;

use crate::cli::Cli;
use crate::completion::COMPLETE_VAR;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;

const BIN: &str = "comfydoctor";

pub fn run(shell: Shell, dynamic: bool) -> Result<ExitCode> {
    let mut out = Vec::new();
    write(shell, dynamic, &mut out)?;
    std::io::stdout().write_all(&out).map_err(|e| Error::Usage(format!("cannot write the script: {e}")))?;
    Ok(ExitCode::Healthy)
}

/// The script for `shell` into `out`.
pub fn write(shell: Shell, dynamic: bool, out: &mut Vec<u8>) -> Result<()> {
    if !dynamic {
        clap_complete::generate(shell, &mut Cli::command(), BIN, out);
        return Ok(());
    }
    let name = shell.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
    let shells = Shells::builtins();
    let completer = shells.completer(&name).ok_or_else(|| {
        Error::Usage(format!("no dynamic completion for {name}; use `comfydoctor completions {name}`"))
    })?;
    // The script calls `comfydoctor` by name, so it keeps working when the binary is updated.
    completer
        .write_registration(COMPLETE_VAR, BIN, BIN, BIN, out)
        .map_err(|e| Error::Usage(format!("cannot write the {name} script: {e}")))
}
