//! Command-line surface (clap derive). Raw flags only; `config` turns them into settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::ArgValueCompleter;

use crate::completion::{self, CheckIdValues};
use crate::help;

#[derive(Debug, Parser)]
#[command(name = "comfydoctor", version, about = "Check ComfyUI installs and link their models/ to one global models folder, safely.", after_help = help::EXIT_CODES_HELP, after_long_help = help::after_long_help(help::MAIN, true))]
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
    #[command(after_help = help::EXIT_CODES_HELP, after_long_help = help::after_long_help(help::SCAN, true))]
    Scan(ScanArgs),
    /// Plan every fix, show it, ask, apply it with a journal, and scan again.
    #[command(after_help = help::EXIT_CODES_HELP, after_long_help = help::after_long_help(help::FIX, true))]
    Fix(FixArgs),
    /// Reverse the last (or a chosen) `fix` run from its journal: shows the steps, asks, undoes.
    #[command(after_help = help::EXIT_CODES_HELP, after_long_help = help::after_long_help(help::UNDO, true))]
    Undo(UndoArgs),
    /// Give installs linked to the global folder a real models/ of their own (stock layout,
    /// chosen models copied); the global folder is only read. Undoable.
    #[command(after_help = help::EXIT_CODES_HELP, after_long_help = help::after_long_help(help::DETACH, true))]
    Detach(DetachArgs),
    /// List the backup folders fix made, and which of their files the global folder holds;
    /// `--prune` deletes the proved duplicates.
    #[command(after_help = help::EXIT_CODES_HELP, after_long_help = help::after_long_help(help::BACKUPS, true))]
    Backups(BackupsArgs),
    /// Run an updater with the models link out of its way: unlink every migrated git checkout
    /// (models/ written as git has it), run COMMAND, then migrate and protect again.
    #[command(after_help = GUARD_HELP)]
    Guard(GuardArgs),
    /// List every check with a one-line description.
    Checks {
        /// Output format (json: one document; table and markdown print the same list).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Explain one check: what it means, why it matters, what its fix does.
    #[command(after_long_help = help::after_long_help(help::EXPLAIN, false))]
    Explain {
        /// A check ID, as listed by `comfydoctor checks`.
        #[arg(value_parser = CheckIdValues)]
        id: String,
        /// Output format (json: one document with the unwrapped text).
        #[arg(long, value_enum)]
        format: Option<Format>,
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

    /// How a new models link names the global folder: relative survives a moved or re-mounted
    /// workspace (auto: relative inside the workspace root, else absolute; relative: whenever
    /// both share a folder below /). Default: `link_style` in <workspace>/.comfydoctor/config.json,
    /// else auto. Windows junctions are always absolute.
    #[arg(long, value_enum, value_name = "STYLE")]
    pub link_style: Option<LinkStyleArg>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format. Default: table on a terminal, markdown otherwise.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
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

    /// Link detached installs again (see `comfydoctor detach`): every one given with a bare
    /// `--attach`, or only `--attach=NAME` (an environment name or an install's path;
    /// repeatable). Without it, `fix` leaves detached installs alone, even when given by path.
    #[arg(long, value_name = "NAME", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub attach: Vec<String>,

    /// Output format of the plan and the report after it. Default: table on a terminal,
    /// markdown otherwise. json needs --yes or --dry-run (there is no prompt to answer).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

#[derive(Debug, Args)]
pub struct DetachArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Apply without asking.
    #[arg(short, long)]
    pub yes: bool,

    /// Print the plan and change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Also copy this file or folder of the global folder into the install (a path relative to
    /// the global folder, e.g. `checkpoints/sd15.safetensors` or `loras`; repeatable). Verified
    /// copies; the global folder is only read.
    #[arg(long, value_name = "KEY/...")]
    pub copy: Vec<PathBuf>,

    /// Copy every file of the global folder into the install.
    #[arg(long, conflicts_with = "copy")]
    pub copy_all: bool,

    /// How long to wait for another comfydoctor run on the same installs before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub wait: f64,
}

#[derive(Debug, Args)]
pub struct BackupsArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Delete the backup files proved identical to a file of the global folder (full SHA-256,
    /// re-hashed right before), and the folders that leaves empty. Not undoable.
    #[arg(long)]
    pub prune: bool,

    /// With --prune: delete without asking.
    #[arg(short, long)]
    pub yes: bool,

    /// Output format of the listing (text, or a JSON document; --prune prints text).
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// How long to wait for another comfydoctor run on the same installs before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub wait: f64,
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

    /// Undo without asking (as `fix --yes`); without a terminal, undo changes nothing without it.
    #[arg(short, long)]
    pub yes: bool,

    /// Print what would be reversed and change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// How deep to search a folder that is not a workspace or an install.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_depth: usize,

    /// How long to wait for another comfydoctor run on the same installs before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub wait: f64,

    /// Output format (json: one document; an undo needs --yes or --dry-run with it, a --list
    /// does not).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

pub const GUARD_HELP: &str = "\
Examples:
  comfydoctor guard ComfyUI -- python_embeded\\python.exe update\\update.py ComfyUI\\
  comfydoctor guard ~/ComfyUI -- git -C ~/ComfyUI pull --ff-only

Exit code: COMMAND's own once the links are back; 2 when comfydoctor could not unlink (COMMAND
did not run) or could not link again (the reason is on stderr; the next `comfydoctor fix`
finishes the job).";

#[derive(Debug, Args)]
pub struct GuardArgs {
    /// A workspace, an environment, a ComfyUI folder, or a folder to search (as for `scan`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The global models folder (as for `scan`).
    #[arg(long, value_name = "DIR")]
    pub models_dir: Option<PathBuf>,

    /// How deep to search a folder that is not a workspace or an install.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_depth: usize,

    /// Print only what goes wrong.
    #[arg(short, long)]
    pub quiet: bool,

    /// How long to wait for another comfydoctor run on the same installs before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub wait: f64,

    /// The updater and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

/// How user data in the way of the link is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Move or link every entry into the global folder; conflicts go to a backup folder.
    Merge,
    /// Keep the old folder (renamed) or leave the old target alone; only link.
    Backup,
}

/// `--link-style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinkStyleArg {
    Auto,
    Relative,
    Absolute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a terminal: laid out to its width (the terminal's, else $COLUMNS, else 80).
    Table,
    /// A GitHub Markdown table, never wrapped: for a bug report.
    Markdown,
    /// One JSON document (schemas in docs/schema/).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
