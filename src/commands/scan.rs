//! `comfydoctor scan`: the read-only pipeline, then the report.

use crate::config::ScanSettings;
use crate::error::Result;
use crate::exit_codes::ExitCode;
use crate::pipeline;
use crate::report::{self, ReportFormat};

pub fn run(settings: &ScanSettings) -> Result<ExitCode> {
    let mut scan = pipeline::collect_report(&settings.target)?;
    let quiet = settings.target.quiet;
    if !quiet {
        scan.sizes = Some(crate::sizes::measure(&scan));
    }
    match settings.format {
        // A document is what a script asked for: `--quiet` never suppresses it (it only skips
        // measuring sizes).
        ReportFormat::Json => println!("{}", report::json(&scan)),
        ReportFormat::Table | ReportFormat::Markdown => {
            print!("{}", report::table(&scan, &settings.target.report_context()))
        }
    }
    Ok(scan.exit_code())
}
