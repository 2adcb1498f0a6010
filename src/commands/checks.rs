//! `comfydoctor checks` and `comfydoctor explain ID`.

use crate::checks::{self, CheckId};
use crate::config::SettingsError;
use crate::error::Result;
use crate::exit_codes::ExitCode;

pub fn list() -> Result<ExitCode> {
    let width = checks::all().map(|c| c.id.as_str().len()).max().unwrap_or(0);
    for c in checks::all() {
        println!("{:width$}  {}", c.id.as_str(), c.summary);
    }
    Ok(ExitCode::Healthy)
}

pub fn explain(id: &str) -> Result<ExitCode> {
    let id: CheckId = id.parse().map_err(|e: checks::UnknownCheckId| SettingsError::UnknownCheck { id: e.0 })?;
    let check = checks::check(id);
    println!("{}: {}\n\n{}", check.id, check.summary, check.explain);
    Ok(ExitCode::Healthy)
}
