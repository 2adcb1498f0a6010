//! The exit codes scripts may rely on. They are part of the CLI contract (README, `--help`).

/// Nothing left to report: no error or warning finding.
pub const HEALTHY: i32 = 0;
/// Findings of severity warning or error remain (or the user declined a fix).
pub const FINDINGS: i32 = 1;
/// Usage or configuration error, or a fix step that failed; the reason is on stderr.
pub const USAGE_OR_FAILURE: i32 = 2;
