//! `comfydoctor checks` and `comfydoctor explain ID`.

use crate::checks::{self, CheckId};
use crate::config::SettingsError;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::output;
use crate::report::ReportFormat;
use crate::term;

pub fn list(format: ReportFormat) -> Result<ExitCode> {
    if format == ReportFormat::Json {
        print!("{}", output::to_json(&output::checks_doc()));
        return Ok(ExitCode::Healthy);
    }
    let width = checks::all().map(|c| c.id.as_str().len()).max().unwrap_or(0);
    for c in checks::all() {
        println!("{:width$}  {}", c.id.as_str(), c.summary);
    }
    Ok(ExitCode::Healthy)
}

/// An unknown ID is a usage error whose message names the nearest ID (`config::SettingsError`).
pub fn explain(id: &str, format: ReportFormat) -> Result<ExitCode> {
    let id: CheckId = id.parse().map_err(|e: checks::UnknownCheckId| SettingsError::UnknownCheck { id: e.0 })?;
    if format == ReportFormat::Json {
        print!("{}", output::to_json(&output::explain_doc(id)));
    } else {
        print!("{}", explanation(id, term::stdout_width().min(term::MAX_PROSE_WIDTH)));
    }
    Ok(ExitCode::Healthy)
}

/// `ID: summary`, a blank line, then the explanation, wrapped to `width`.
pub fn explanation(id: CheckId, width: usize) -> String {
    let check = checks::check(id);
    term::wrap(&format!("{}: {}\n\n{}\n", check.id, check.summary, check.explain), width)
}
