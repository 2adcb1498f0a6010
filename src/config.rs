//! Raw flags turned into validated settings before any work starts (as ripgrep does): paths made
//! absolute, check IDs resolved, the models-folder override given its source, and whether the
//! user can be asked decided once. Commands read only these settings, never the flags.

use std::path::PathBuf;
use std::time::Duration;

use crate::checks::CheckId;
use crate::cli::{
    BackupsArgs, ColorChoice, DetachArgs, FixArgs, Format, GuardArgs, LinkStyleArg, ScanArgs, StrategyArg, TargetArgs,
    UndoArgs,
};
use crate::exit_codes::ErrorKind;
use crate::fixes::Strategy;
use crate::platform;
use crate::prompt;
use crate::report::{Invocation, ReportContext, ReportFormat};
use crate::workspace::{ModelsDir, ModelsDirSource};

/// `--max-depth` when not given (as in `cli.rs`).
pub const DEFAULT_MAX_DEPTH: usize = 4;

/// A flag's value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown check `{id}`;{} `comfydoctor checks` lists them", crate::check_id::did_you_mean(.id))]
    UnknownCheck { id: String },
    #[error("--wait {given}: give a number of seconds from 0 to {}", MAX_WAIT.as_secs())]
    Wait { given: f64 },
    #[error(
        "{command} --format json cannot ask for a confirmation: add --dry-run to get the plan, or --yes to apply it (`comfydoctor {command} --format json --dry-run`)"
    )]
    JsonNeedsAnswer { command: String },
    #[error(
        "backups --prune prints its deletions as text; list the backups as JSON without --prune (`comfydoctor backups --format json`)"
    )]
    PruneIsText,
}

impl SettingsError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SettingsError::UnknownCheck { .. }
            | SettingsError::Wait { .. }
            | SettingsError::JsonNeedsAnswer { .. }
            | SettingsError::PruneIsText => ErrorKind::Usage,
        }
    }
}

/// The longest `--wait` taken: a launch script should never hang for good.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

fn wait(seconds: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(seconds).ok().filter(|d| *d <= MAX_WAIT).ok_or(SettingsError::Wait { given: seconds })
}

type Result<T> = std::result::Result<T, SettingsError>;

/// What to look at and how.
#[derive(Debug, Clone)]
pub struct Target {
    pub paths: Vec<PathBuf>,
    pub models_dir: Option<ModelsDir>,
    pub max_depth: usize,
    /// The checks to run, each once, in the order given (all of them by default).
    pub checks: Vec<CheckId>,
    pub verbose: bool,
    pub quiet: bool,
    /// `--link-style`; `None`: the workspace config's, else auto (`link_style`).
    pub link_style: Option<crate::link_style::LinkStyle>,
    /// Which detached installs to treat as ordinary ones (`fix --attach`); none by default.
    pub attach: Attach,
    /// The PATHs and flags as typed, for the commands a report suggests.
    pub invocation: Invocation,
    /// `--format` (scan, fix), or its default ([`output_format`]).
    pub format: ReportFormat,
}

/// `--format`, or its default: a table when stdout is a terminal, Markdown otherwise (a pipe, a
/// file, a bug report).
pub fn output_format(arg: Option<Format>) -> ReportFormat {
    use std::io::IsTerminal;
    match arg {
        Some(Format::Table) => ReportFormat::Table,
        Some(Format::Markdown) => ReportFormat::Markdown,
        Some(Format::Json) => ReportFormat::Json,
        None if std::io::stdout().is_terminal() => ReportFormat::Table,
        None => ReportFormat::Markdown,
    }
}

/// `--format json` on a command that may ask: there is no prompt to answer, so `--yes` or
/// `--dry-run` must say what to do.
fn json_needs_an_answer(format: ReportFormat, yes: bool, dry_run: bool, command: &str) -> Result<()> {
    if format == ReportFormat::Json && !yes && !dry_run {
        return Err(SettingsError::JsonNeedsAnswer { command: command.to_string() });
    }
    Ok(())
}

/// `fix --attach[=NAME]`: which detached installs `fix` may link again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Attach {
    #[default]
    None,
    All,
    /// Environment names or install paths (the ComfyUI folder or the environment folder).
    Named(Vec<String>),
}

impl Attach {
    fn from_args(values: &[String]) -> Attach {
        if values.is_empty() {
            Attach::None
        } else if values.iter().any(|v| v.is_empty()) {
            Attach::All
        } else {
            Attach::Named(values.to_vec())
        }
    }

    /// Whether this install is to be attached again.
    pub fn applies(&self, install: &crate::workspace::Install) -> bool {
        match self {
            Attach::None => false,
            Attach::All => true,
            Attach::Named(names) => names.iter().any(|n| {
                let p = platform::normalize(std::path::Path::new(n));
                *n == install.name || p == install.root || install.root.parent() == Some(p.as_path())
            }),
        }
    }
}

impl Target {
    pub fn from_args(args: &TargetArgs) -> Result<Self> {
        let paths = normalized(&args.paths);
        let flag = args.models_dir.as_ref().filter(|p| !p.as_os_str().is_empty());
        let from_env = std::env::var_os("COMFYDOCTOR_MODELS_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
        let models_dir = match (flag, from_env) {
            (Some(p), _) => Some(ModelsDir { path: platform::normalize(p), source: ModelsDirSource::Flag }),
            (None, Some(p)) => Some(ModelsDir { path: platform::normalize(&p), source: ModelsDirSource::Env }),
            (None, None) => None,
        };
        let checks = if args.checks.is_empty() {
            CheckId::ALL.to_vec()
        } else {
            let mut selected = Vec::new();
            for id in &args.checks {
                let id = id.parse::<CheckId>().map_err(|e| SettingsError::UnknownCheck { id: e.0 })?;
                if !selected.contains(&id) {
                    selected.push(id);
                }
            }
            selected
        };
        let link_style = args.link_style.map(|s| match s {
            LinkStyleArg::Auto => crate::link_style::LinkStyle::Auto,
            LinkStyleArg::Relative => crate::link_style::LinkStyle::Relative,
            LinkStyleArg::Absolute => crate::link_style::LinkStyle::Absolute,
        });
        let invocation = Invocation {
            paths: args.paths.clone(),
            models_dir: flag.cloned(),
            max_depth: (args.max_depth != DEFAULT_MAX_DEPTH).then_some(args.max_depth),
            checks: args.checks.clone(),
        };
        Ok(Target {
            paths,
            models_dir,
            max_depth: args.max_depth,
            checks,
            verbose: args.verbose,
            quiet: args.quiet,
            link_style,
            attach: Attach::None,
            invocation,
            format: output_format(None),
        })
    }

    /// How reports of this target are rendered (hints with the same PATHs and flags).
    pub fn report_context(&self) -> ReportContext {
        let filtered = self.checks.len() < CheckId::ALL.len();
        ReportContext {
            invocation: self.invocation.clone(),
            only: filtered.then(|| self.checks.clone()),
            quiet: self.quiet,
            format: self.format,
            width: crate::term::stdout_width(),
        }
    }

    /// Whether git has to be asked at all.
    pub fn wants_git(&self) -> bool {
        self.checks.contains(&CheckId::GitTracksModels) || self.checks.contains(&CheckId::GitProtectionLost)
    }
}

/// `comfydoctor scan`.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    pub target: Target,
    pub format: ReportFormat,
}

impl ScanSettings {
    pub fn from_args(args: &ScanArgs) -> Result<Self> {
        let format = output_format(args.format);
        Ok(ScanSettings { target: Target { format, ..Target::from_args(&args.target)? }, format })
    }
}

/// Whether a change that needs a confirmation may be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// A terminal is there: ask.
    Ask,
    /// `--yes`: take the default answer.
    Yes,
    /// No terminal and no `--yes`: never ask, never block; apply only what needs no question.
    No,
}

impl Consent {
    fn detect(yes: bool) -> Consent {
        if yes {
            Consent::Yes
        } else if prompt::interactive() {
            Consent::Ask
        } else {
            Consent::No
        }
    }
}

/// `comfydoctor fix`.
#[derive(Debug, Clone)]
pub struct FixSettings {
    pub target: Target,
    /// Chosen on the command line; `None`: ask where it matters (merge without a terminal).
    pub strategy: Option<Strategy>,
    pub consent: Consent,
    pub dry_run: bool,
    /// How long to wait for another run's lock.
    pub wait: Duration,
    /// False with `--no-git-protection`: a checkout git cannot protect is linked anyway.
    pub git_protection: bool,
}

impl FixSettings {
    pub fn from_args(args: &FixArgs) -> Result<Self> {
        let format = output_format(args.format);
        json_needs_an_answer(format, args.yes, args.dry_run, "fix")?;
        let target = Target { attach: Attach::from_args(&args.attach), format, ..Target::from_args(&args.target)? };
        Ok(FixSettings {
            target,
            strategy: args.strategy.map(strategy),
            consent: Consent::detect(args.yes),
            dry_run: args.dry_run,
            wait: wait(args.wait)?,
            git_protection: !args.no_git_protection,
        })
    }

    /// Whether questions are put to the user in this run (never in a dry run).
    pub fn asks(&self) -> bool {
        self.consent == Consent::Ask && !self.dry_run
    }
}

/// `comfydoctor detach`.
#[derive(Debug, Clone)]
pub struct DetachSettings {
    pub target: Target,
    pub copies: crate::detach::Copies,
    pub consent: Consent,
    pub dry_run: bool,
    pub wait: Duration,
}

impl DetachSettings {
    pub fn from_args(args: &DetachArgs) -> Result<Self> {
        let copies = if args.copy_all {
            crate::detach::Copies::All
        } else if args.copy.is_empty() {
            crate::detach::Copies::None
        } else {
            crate::detach::Copies::Some(args.copy.clone())
        };
        Ok(DetachSettings {
            target: Target::from_args(&args.target)?,
            copies,
            consent: Consent::detect(args.yes),
            dry_run: args.dry_run,
            wait: wait(args.wait)?,
        })
    }
}

/// `comfydoctor backups`.
#[derive(Debug, Clone)]
pub struct BackupsSettings {
    pub target: Target,
    pub prune: bool,
    pub consent: Consent,
    pub wait: Duration,
}

impl BackupsSettings {
    pub fn from_args(args: &BackupsArgs) -> Result<Self> {
        let format = output_format(args.format);
        if args.prune && format == ReportFormat::Json {
            return Err(SettingsError::PruneIsText);
        }
        Ok(BackupsSettings {
            target: Target { format, ..Target::from_args(&args.target)? },
            prune: args.prune,
            consent: Consent::detect(args.yes),
            wait: wait(args.wait)?,
        })
    }
}

/// `comfydoctor undo`.
#[derive(Debug, Clone)]
pub struct UndoSettings {
    pub paths: Vec<PathBuf>,
    pub max_depth: usize,
    /// Only list the runs.
    pub list: bool,
    /// The run to undo; `None`: the newest one not yet undone.
    pub run: Option<String>,
    /// Undo the newer runs relying on it first (newest first).
    pub with_newer: bool,
    pub wait: Duration,
    pub consent: Consent,
    pub dry_run: bool,
    /// The PATHs as typed, for the commands it suggests.
    pub invocation: Invocation,
    /// `--format`, or its default.
    pub format: ReportFormat,
}

impl UndoSettings {
    pub fn from_args(args: &UndoArgs) -> Result<Self> {
        let format = output_format(args.format);
        if !args.list {
            json_needs_an_answer(format, args.yes, args.dry_run, "undo")?;
        }
        Ok(UndoSettings {
            format,
            paths: normalized(&args.paths),
            max_depth: args.max_depth,
            list: args.list,
            run: args.run.clone(),
            with_newer: args.with_newer,
            wait: wait(args.wait)?,
            consent: Consent::detect(args.yes),
            dry_run: args.dry_run,
            invocation: Invocation {
                paths: args.paths.clone(),
                max_depth: (args.max_depth != DEFAULT_MAX_DEPTH).then_some(args.max_depth),
                ..Invocation::default()
            },
        })
    }
}

fn strategy(arg: StrategyArg) -> Strategy {
    match arg {
        StrategyArg::Merge => Strategy::Merge,
        StrategyArg::Backup => Strategy::Backup,
    }
}

fn normalized(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths.iter().map(|p| platform::normalize(p)).collect()
}

/// Applies `--color`. On auto the colour crate decides (a terminal, `TERM`, `CLICOLOR_FORCE`,
/// which wins over `NO_COLOR`), except that `NO_COLOR` counts only when set and not empty,
/// whatever its value (no-color.org): an empty one is dropped from the environment first thing in
/// `main` ([`empty_no_color`]), and `NO_COLOR=0`, which the crate ignores, turns colour off here.
pub fn apply_color(choice: ColorChoice) {
    let var = |name: &str| std::env::var_os(name);
    match choice {
        ColorChoice::Always => owo_colors::set_override(true),
        ColorChoice::Never => owo_colors::set_override(false),
        ColorChoice::Auto if no_color(var("NO_COLOR").as_deref()) && !color_forced(var) => {
            owo_colors::set_override(false)
        }
        ColorChoice::Auto => {}
    }
}

/// `comfydoctor guard`.
#[derive(Debug, Clone)]
pub struct GuardSettings {
    pub target: Target,
    pub wait: Duration,
    pub command: Vec<std::ffi::OsString>,
}

impl GuardSettings {
    pub fn from_args(args: &GuardArgs) -> Result<Self> {
        let target = Target::from_args(&TargetArgs {
            paths: args.paths.clone(),
            models_dir: args.models_dir.clone(),
            max_depth: args.max_depth,
            checks: Vec::new(),
            verbose: false,
            quiet: args.quiet,
            link_style: None,
        })?;
        Ok(GuardSettings { target, wait: wait(args.wait)?, command: args.command.clone() })
    }
}

/// Whether `NO_COLOR` (this value, or unset) asks for no colour: set and not empty.
pub fn no_color(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// `NO_COLOR` is set but empty: the colour crates would count it, no-color.org says not to.
pub fn empty_no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| v.is_empty())
}

/// `CLICOLOR_FORCE` (not `0`) or `FORCE_COLOR` (not `0` or `false`), read as the colour crate
/// reads them.
fn color_forced(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    var("CLICOLOR_FORCE").is_some_and(|v| v != "0") || var("FORCE_COLOR").is_some_and(|v| v != "0" && v != "false")
}
