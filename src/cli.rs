//! Command-line surface (clap derive). Raw flags only; `config` turns them into settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::ArgValueCompleter;

use crate::completion::{self, CheckIdValues};
use crate::help;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  nothing to report: no error or warning finding
  1  findings of severity warning or error remain (or a fix was declined / needs --yes)
  2  usage or configuration error (bad PATH, no install found, unreadable workspace.json,
     another run holding the lock), or an install fix refused or rolled back (nothing changed
     for it); the reason is printed on stderr";

#[derive(Debug, Parser)]
#[command(name = "comfydoctor", version, about = "Check ComfyUI installs and link their models/ to one global models folder, safely.", after_help = EXIT_CODES_HELP, after_long_help = help::after_long_help(help::MAIN, true))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find ComfyUI installs and report what is wrong with their models folders. Changes nothing.
    #[command(after_help = EXIT_CODES_HELP, after_long_help = help::after_long_help(help::SCAN, true))]
    Scan(ScanArgs),
    /// Plan every fix, show it, ask, apply it with a journal, and scan again.
    #[command(after_help = EXIT_CODES_HELP, after_long_help = help::after_long_help(help::FIX, true))]
    Fix(FixArgs),
    /// Reverse the last (or a chosen) `fix` run from its journal.
    #[command(after_long_help = help::after_long_help(help::UNDO, false))]
    Undo(UndoArgs),
    /// List every check with a one-line description.
    Checks,
    /// Explain one check: what it means, why it matters, what its fix does.
    #[command(after_long_help = help::after_long_help(help::EXPLAIN, false))]
    Explain {
        /// A check ID, as listed by `comfydoctor checks`.
        #[arg(value_parser = CheckIdValues)]
        id: String,
    },
    /// Print a shell completion script.
    #[command(after_long_help = help::after_long_help(help::COMPLETIONS, false))]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
        /// Print a script that asks comfydoctor at each TAB (it then also completes the run IDs
        /// of `undo --run`) instead of one that lists everything it knows. For powershell and
        /// elvish only this one completes values (check IDs, strategies, formats).
        #[arg(long)]
        dynamic: bool,
    },
    /// Write man pages (comfydoctor.1 and one per subcommand) into DIR, or print the main page.
    #[command(hide = true)]
    Man {
        #[arg(value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

/// What every command that looks at installs shares.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// A ComfyDock/ComfyGit workspace, an environment, a ComfyUI folder, or a folder to search.
    /// Default: $COMFYDOCK_HOME, $COMFYGIT_HOME, the current folder, ~/comfydock, ~/comfygit.
    #[arg(value_name = "PATH", value_hint = ValueHint::DirPath)]
    pub paths: Vec<PathBuf>,

    /// The global models folder every install should link to (overrides the workspace's).
    /// Default: $COMFYDOCTOR_MODELS_DIR when set and not empty.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub models_dir: Option<PathBuf>,

    /// How deep to search a folder that is not a workspace or an install.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_depth: usize,

    /// Run only this check (repeatable); see `comfydoctor checks`.
    #[arg(long = "check", value_name = "ID", value_parser = CheckIdValues, hide_possible_values = true)]
    pub checks: Vec<String>,

    /// Also report environments that were skipped, and why (on stderr).
    #[arg(short, long)]
    pub verbose: bool,

    /// Print nothing when there is nothing to report; otherwise only the findings.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Apply without asking, with the default choices (merge).
    #[arg(short, long)]
    pub yes: bool,

    /// Print the plan and change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// How to handle models already in the way of the link (default: ask, or merge with --yes).
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,

    /// How long to wait for another comfydoctor run on the same installs before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub wait: f64,

    /// Make the models link even in a git checkout that git cannot protect (no git on PATH,
    /// "dubious ownership", a damaged .git). Without it such an install is refused: with the
    /// link, git shows the tracked models/ files deleted and `git pull` aborts. A later `fix`,
    /// once git works, adds the protection.
    #[arg(long)]
    pub no_git_protection: bool,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// A workspace, an install, or a `.comfydoctor` journal folder (default: as for `scan`).
    #[arg(value_name = "PATH", value_hint = ValueHint::DirPath)]
    pub paths: Vec<PathBuf>,

    /// List the recorded runs, newest first, and change nothing.
    #[arg(long)]
    pub list: bool,

    /// The run to undo (default: the newest one not yet undone).
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other, add = ArgValueCompleter::new(completion::run_ids))]
    pub run: Option<String>,

    /// Also undo, newest first, the newer runs that rely on what that run made (without it,
    /// such a run is refused).
    #[arg(long)]
    pub with_newer: bool,

    /// How deep to search a folder that is not a workspace or an install.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_depth: usize,

    /// How long to wait for another comfydoctor run on the same installs before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub wait: f64,
}

/// How user data in the way of the link is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Move or link every entry into the global folder; conflicts go to a backup folder.
    Merge,
    /// Keep the old folder (renamed) or leave the old target alone; only link.
    Backup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
