//! Findings rendered three ways: a table for a terminal (fits its width, never splits a check ID
//! or a path component), GitHub Markdown for a bug report (never wrapped, the default when stdout
//! is not a terminal), or JSON for scripts (`output::ScanDoc`; schema 1: fields are added, never
//! renamed). The verdict lines and the footer are the same in both text forms.

use owo_colors::{OwoColorize, Stream};
use serde::Serialize;

use std::path::{Path, PathBuf};

use crate::checks::{CheckId, Finding, Severity};
use crate::exit_codes::ExitCode;
use crate::inspect::Inspection;
use crate::wording::{self, shell_word};
use crate::workspace::display_path;

/// How a command prints what it has to say (`--format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportFormat {
    /// For a terminal: laid out to its width.
    Table,
    /// For a bug report or a pipe: a GitHub Markdown table, never wrapped.
    #[default]
    Markdown,
    /// One JSON document (`output`).
    Json,
}

/// One install and its findings.
pub struct InstallReport {
    pub inspection: Inspection,
    pub findings: Vec<Finding>,
}

/// A whole scan.
pub struct Scan {
    pub installs: Vec<InstallReport>,
    /// The size line (`sizes`), measured by `scan` unless `--quiet`.
    pub sizes: Option<crate::sizes::Sizes>,
    /// Folders discovery did not count, and why (JSON `skipped`).
    pub skipped: Vec<Skipped>,
}

/// A folder discovery did not count: it could not be read, or it is almost an install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Skipped {
    pub path: String,
    /// `unreadable` or `not-an-install`.
    pub kind: &'static str,
    pub reason: String,
}

/// Discovery's skipped and unreadable folders as report entries.
pub fn skipped(skipped: &[(PathBuf, String)], unreadable: &[(PathBuf, String)]) -> Vec<Skipped> {
    let entry =
        |kind, (p, why): &(PathBuf, String)| Skipped { path: p.display().to_string(), kind, reason: why.clone() };
    unreadable
        .iter()
        .map(|u| entry("unreadable", u))
        .chain(skipped.iter().map(|s| entry("not-an-install", s)))
        .collect()
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub installs: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Scan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary { installs: self.installs.len(), ..Summary::default() };
        for f in self.installs.iter().flat_map(|i| &i.findings) {
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }

    /// The global folder when every install agrees on one.
    pub fn models_dir(&self) -> Option<String> {
        let mut dirs = self.installs.iter().map(|i| i.inspection.global.as_ref().map(|g| g.dir.path.clone()));
        let first = dirs.next()??;
        dirs.all(|d| d.as_ref() == Some(&first)).then(|| first.display().to_string())
    }

    /// Healthy when no error or warning remains.
    pub fn exit_code(&self) -> ExitCode {
        let s = self.summary();
        if s.errors + s.warnings > 0 { ExitCode::Findings } else { ExitCode::Healthy }
    }
}

/// The scan as its JSON document.
pub fn doc(scan: &Scan) -> crate::output::ScanDoc {
    use crate::output::{InstallDoc, SCHEMA_VERSION, ScanDoc};
    ScanDoc {
        schema: SCHEMA_VERSION,
        command: "scan".into(),
        models_dir: scan.models_dir(),
        installs: scan
            .installs
            .iter()
            .map(|i| InstallDoc {
                name: i.inspection.install.name.clone(),
                path: i.inspection.install.root.display().to_string(),
                models_dir: i.inspection.global.as_ref().map(|g| g.dir.path.display().to_string()),
                findings: i.findings.clone(),
            })
            .collect(),
        skipped: scan.skipped.clone(),
        summary: scan.summary(),
        sizes: scan.sizes.clone(),
    }
}

/// The scan as pretty JSON (no final newline).
pub fn json(scan: &Scan) -> String {
    crate::output::to_json(&doc(scan)).trim_end().to_string()
}

/// The command line a report came from, so every command a report suggests carries the PATHs
/// and flags the user typed and runs as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    /// The PATHs as typed (empty: the default places).
    pub paths: Vec<PathBuf>,
    /// `--models-dir` as typed.
    pub models_dir: Option<PathBuf>,
    /// `--max-depth`, when not the default.
    pub max_depth: Option<usize>,
    /// `--check` IDs as typed.
    pub checks: Vec<String>,
}

impl Invocation {
    /// `comfydoctor <sub> <extra…> [--models-dir DIR] [--max-depth N] [--check ID…] [PATH…]`,
    /// every word shell-quoted.
    pub fn command(&self, sub: &str, extra: &[&str]) -> String {
        let mut words: Vec<String> = vec!["comfydoctor".into(), sub.into()];
        words.extend(extra.iter().map(|w| shell_word(w)));
        if let Some(d) = &self.models_dir {
            words.push("--models-dir".into());
            words.push(shell_path(d));
        }
        if let Some(n) = self.max_depth {
            words.push(format!("--max-depth {n}"));
        }
        for c in &self.checks {
            words.push(format!("--check {}", shell_word(c)));
        }
        words.extend(self.paths.iter().map(|p| shell_path(p)));
        words.join(" ")
    }

    /// `comfydoctor undo …` for the same PATHs (undo takes no models or check flags).
    pub fn undo(&self, extra: &[&str]) -> String {
        let only_paths = Invocation { paths: self.paths.clone(), max_depth: self.max_depth, ..Invocation::default() };
        only_paths.command("undo", extra)
    }
}

/// A path as a shell word: as typed when relative, `~/…` under the home folder (the tilde left
/// unquoted so the shell expands it), otherwise quoted.
pub fn shell_path(path: &Path) -> String {
    if cfg!(unix)
        && path.is_absolute()
        && let Some(home) = crate::workspace::home_dir()
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return if rest.as_os_str().is_empty() {
            "~".into()
        } else {
            format!("~/{}", shell_word(&rest.to_string_lossy()))
        };
    }
    shell_word(&path.to_string_lossy())
}

/// How a report is to be rendered: where it came from and what it was limited to.
#[derive(Debug, Clone, Default)]
pub struct ReportContext {
    pub invocation: Invocation,
    /// Only these checks ran (`--check`); `None`: all of them.
    pub only: Option<Vec<CheckId>>,
    /// Only error and warning rows, no summary (`--quiet`).
    pub quiet: bool,
    /// Table (to `width`) or Markdown; JSON is printed by the commands, not by [`table`].
    pub format: ReportFormat,
    /// The width a table is laid out to (`term::stdout_width`).
    pub width: usize,
}

/// An install's verdict: the worst severity among its (shown) findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Warnings,
    Errors,
}

impl InstallReport {
    pub fn verdict(&self) -> Verdict {
        if self.findings.iter().any(|f| f.severity == Severity::Error) {
            Verdict::Errors
        } else if self.findings.iter().any(|f| f.severity == Severity::Warning) {
            Verdict::Warnings
        } else {
            Verdict::Healthy
        }
    }
}

impl Scan {
    /// How each install is named in a report: its name, or, where two installs share a name,
    /// its path relative to the PATH it was found under (else as shown).
    pub fn labels(&self, roots: &[PathBuf]) -> Vec<String> {
        self.installs
            .iter()
            .map(|i| {
                let name = &i.inspection.install.name;
                let repeats = self.installs.iter().filter(|o| &o.inspection.install.name == name).count() > 1;
                if !repeats {
                    return name.clone();
                }
                let root = &i.inspection.install.root;
                roots
                    .iter()
                    .filter_map(|r| root.strip_prefix(r).ok())
                    .min_by_key(|rel| rel.components().count())
                    .filter(|rel| !rel.as_os_str().is_empty())
                    .map(|rel| rel.display().to_string())
                    .unwrap_or_else(|| display_path(root))
            })
            .collect()
    }
}

/// The report for people: the global folder, the findings (a table laid out to `ctx.width`, or
/// a Markdown table under [`ReportFormat::Markdown`]), one verdict line per install and the
/// summary. With `quiet`, only error and warning rows and no summary; an empty string when
/// there are none.
pub fn table(scan: &Scan, ctx: &ReportContext) -> String {
    use crate::render::{Column, markdown_table, terminal_table};
    let quiet = ctx.quiet;
    let markdown = ctx.format != ReportFormat::Table;
    let labels = scan.labels(&ctx.invocation_roots());
    let columns = [
        Column { header: "Install", wraps: false },
        Column { header: "Check", wraps: false },
        Column { header: "Severity", wraps: false },
        Column { header: "Problem", wraps: true },
        Column { header: "Fix", wraps: true },
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (install, label) in scan.installs.iter().zip(&labels) {
        for f in install.findings.iter().filter(|f| !quiet || f.severity != Severity::Info) {
            rows.push(vec![
                label.clone(),
                f.check.to_string(),
                if markdown { f.severity.as_str().to_string() } else { paint(f.severity) },
                f.message.clone(),
                f.fix.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
    }
    let mut out = String::new();
    if quiet && rows.is_empty() {
        return out;
    }
    let width = if markdown { usize::MAX } else { ctx.width.max(1) };
    let prose = |text: &str| if markdown { text.to_string() } else { crate::render::prose(text, width) };
    if let Some(dir) = scan.models_dir()
        && !quiet
    {
        out.push_str(&prose(&format!("Global models folder: {}", display_path(std::path::Path::new(&dir)))));
        out.push_str("\n\n");
    }
    if !rows.is_empty() {
        out.push_str(&if markdown { markdown_table(&columns, &rows) } else { terminal_table(&columns, &rows, width) });
    }
    if quiet {
        return out;
    }
    if !rows.is_empty() {
        out.push('\n');
    }
    for line in verdict_lines(scan, &labels, ctx.only.is_some()) {
        out.push_str(&prose(&line));
        out.push('\n');
    }
    out.push('\n');
    for line in footer_lines(scan, ctx) {
        out.push_str(&prose(&line));
        out.push('\n');
    }
    out
}

impl ReportContext {
    fn invocation_roots(&self) -> Vec<PathBuf> {
        self.invocation.paths.iter().map(|p| crate::platform::normalize(p)).collect()
    }
}

/// One line per install, doctor style: `[✓] name`, `[!] name: 2 warnings`, `[✗] name: 1 error`.
/// `filtered`: only some checks ran, so an install without findings is not called healthy.
pub fn verdict_lines(scan: &Scan, labels: &[String], filtered: bool) -> Vec<String> {
    scan.installs
        .iter()
        .zip(labels)
        .map(|(i, label)| {
            let count = |sev| i.findings.iter().filter(|f| f.severity == sev).count();
            let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
            let mut what = Vec::new();
            if errors > 0 {
                what.push(wording::count(errors, "error", "errors"));
            }
            if warnings > 0 {
                what.push(wording::count(warnings, "warning", "warnings"));
            }
            match i.verdict() {
                Verdict::Healthy if filtered => {
                    format!("{} {label}: nothing found by the checks run", mark(Verdict::Healthy))
                }
                Verdict::Healthy => format!("{} {label}: healthy", mark(Verdict::Healthy)),
                v => format!("{} {label}: {}", mark(v), what.join(", ")),
            }
        })
        .collect()
}

fn mark(v: Verdict) -> String {
    let (text, stream) = match v {
        Verdict::Healthy => ("[✓]", Stream::Stdout),
        Verdict::Warnings => ("[!]", Stream::Stdout),
        Verdict::Errors => ("[✗]", Stream::Stdout),
    };
    match v {
        Verdict::Healthy => text.if_supports_color(stream, |t| t.green()).to_string(),
        Verdict::Warnings => text.if_supports_color(stream, |t| t.yellow()).to_string(),
        Verdict::Errors => text.if_supports_color(stream, |t| t.red()).to_string(),
    }
}

/// The summary under the verdicts: counts, the verdict for the whole report (healthy only when
/// every install is), what a filter left out, and the next command to run. Other lines (e.g.
/// sizes) belong here too, each one a line of its own.
pub fn footer_lines(scan: &Scan, ctx: &ReportContext) -> Vec<String> {
    let s = scan.summary();
    let mut lines = Vec::new();
    let healthy = scan.installs.iter().filter(|i| i.verdict() == Verdict::Healthy).count();
    let counts = format!(
        "{} scanned: {}, {}, {} info",
        wording::count(s.installs, "install", "installs"),
        wording::count(s.errors, "error", "errors"),
        wording::count(s.warnings, "warning", "warnings"),
        s.infos
    );
    let verdict = if ctx.only.is_some() {
        format!("{healthy} of {} without findings from the checks run", s.installs)
    } else if healthy == s.installs {
        if s.installs == 1 { "healthy".to_string() } else { format!("all {} healthy", s.installs) }
    } else {
        format!("{healthy} of {} healthy", s.installs)
    };
    lines.push(format!("{counts}; {verdict}."));
    if let Some(only) = &ctx.only {
        let ids: Vec<&str> = only.iter().map(|c| c.as_str()).collect();
        lines.push(format!(
            "Filtered: only {} ran ({}); the others were not run, so this is not the whole picture.",
            wording::count(only.len(), "check", "checks"),
            ids.join(", ")
        ));
    }
    if let Some(line) = scan.sizes.as_ref().and_then(|z| {
        crate::sizes::footer(z, &ctx.invocation.command("fix", &[]), &ctx.invocation.command("backups", &["--prune"]))
    }) {
        lines.push(line);
    }
    if s.errors + s.warnings > 0 {
        lines.push(format!(
            "Next: `{}` shows the plan; `comfydoctor explain ID` explains a check.",
            ctx.invocation.command("fix", &["--dry-run"])
        ));
    }
    lines
}

fn paint(sev: Severity) -> String {
    let s = sev.as_str();
    match sev {
        Severity::Error => s.if_supports_color(Stream::Stdout, |t| t.red()).to_string(),
        Severity::Warning => s.if_supports_color(Stream::Stdout, |t| t.yellow()).to_string(),
        Severity::Info => s.if_supports_color(Stream::Stdout, |t| t.cyan()).to_string(),
    }
}
