//! Findings rendered as a table (for people, Markdown-compatible so it pastes into bug reports)
//! or as JSON (for scripts; schema 1: fields are added, never renamed).

use owo_colors::{OwoColorize, Stream};
use serde::Serialize;

use crate::checks::{Finding, Severity};
use crate::exit_codes::ExitCode;
use crate::inspect::Inspection;
use crate::workspace::display_path;

/// How `scan` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
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
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Serialize)]
struct JsonScan<'a> {
    schema: u32,
    models_dir: Option<String>,
    installs: Vec<JsonInstall<'a>>,
    summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    sizes: Option<&'a crate::sizes::Sizes>,
}

#[derive(Serialize)]
struct JsonInstall<'a> {
    name: &'a str,
    path: String,
    models_dir: Option<String>,
    findings: &'a [Finding],
}

pub fn json(scan: &Scan) -> String {
    let doc = JsonScan {
        schema: 1,
        models_dir: scan.models_dir(),
        installs: scan
            .installs
            .iter()
            .map(|i| JsonInstall {
                name: &i.inspection.install.name,
                path: i.inspection.install.root.display().to_string(),
                models_dir: i.inspection.global.as_ref().map(|g| g.dir.path.display().to_string()),
                findings: &i.findings,
            })
            .collect(),
        summary: scan.summary(),
        sizes: scan.sizes.as_ref(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The table and summary line. With `quiet`, only error and warning rows and no summary; an empty
/// string when there are none.
pub fn table(scan: &Scan, quiet: bool) -> String {
    use comfy_table::{ContentArrangement, Table, presets};
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN).set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(["Install", "Check", "Severity", "Problem", "Fix"]);
    let mut rows = 0;
    let mut healthy = Vec::new();
    for install in &scan.installs {
        let shown: Vec<&Finding> = install.findings.iter().filter(|f| !quiet || f.severity != Severity::Info).collect();
        if install.findings.iter().all(|f| f.severity == Severity::Info) {
            healthy.push(install.inspection.install.name.as_str());
        }
        for f in shown {
            rows += 1;
            table.add_row([
                install.inspection.install.name.clone(),
                f.check.to_string(),
                paint(f.severity),
                f.message.clone(),
                f.fix.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
    }
    let mut out = String::new();
    if quiet && rows == 0 {
        return out;
    }
    if let Some(dir) = scan.models_dir()
        && !quiet
    {
        out.push_str(&format!("Global models folder: {}\n\n", display_path(std::path::Path::new(&dir))));
    }
    if rows > 0 {
        out.push_str(&table.to_string());
        out.push('\n');
    }
    if quiet {
        return out;
    }
    if !healthy.is_empty() {
        out.push_str(&format!("\nNo errors or warnings: {}\n", healthy.join(", ")));
    }
    out.push_str(&scan.sizes.as_ref().map(crate::sizes::footer).unwrap_or_default());
    let s = scan.summary();
    out.push_str(&format!(
        "\n{} install(s) scanned: {} error(s), {} warning(s), {} info\n",
        s.installs, s.errors, s.warnings, s.infos
    ));
    if s.errors + s.warnings > 0 {
        out.push_str("Run `comfydoctor fix --dry-run` to see the plan, `comfydoctor explain ID` for details.\n");
    }
    out
}

fn paint(sev: Severity) -> String {
    let s = sev.as_str();
    match sev {
        Severity::Error => s.if_supports_color(Stream::Stdout, |t| t.red()).to_string(),
        Severity::Warning => s.if_supports_color(Stream::Stdout, |t| t.yellow()).to_string(),
        Severity::Info => s.if_supports_color(Stream::Stdout, |t| t.cyan()).to_string(),
    }
}
