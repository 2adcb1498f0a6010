//! `comfydoctor checks` and `comfydoctor explain ID`.

use crate::checks::{self, CheckId};
use crate::config::SettingsError;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::term;

pub fn list() -> Result<ExitCode> {
    let width = checks::all().map(|c| c.id.as_str().len()).max().unwrap_or(0);
    for c in checks::all() {
        println!("{:width$}  {}", c.id.as_str(), c.summary);
    }
    Ok(ExitCode::Healthy)
}

/// An unknown ID is a usage error whose message names the nearest ID (`config::SettingsError`).
pub fn explain(id: &str) -> Result<ExitCode> {
    let id: CheckId = id.parse().map_err(|e: checks::UnknownCheckId| SettingsError::UnknownCheck { id: e.0 })?;
    print!("{}", explanation(id, term::stdout_width().min(term::MAX_PROSE_WIDTH)));
    Ok(ExitCode::Healthy)
}

/// `ID: summary`, a blank line, then the explanation, wrapped to `width`.
pub fn explanation(id: CheckId, width: usize) -> String {
    let check = checks::check(id);
    term::wrap(&format!("{}: {}\n\n{}\n", check.id, check.summary, check.explain), width)
}
