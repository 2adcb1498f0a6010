//! The JSON documents every command prints under `--format json`, as stable types, and their
//! JSON Schema (`docs/schema/*.schema.json`, generated from these types by
//! `UPDATE_SCHEMA=1 cargo test --test it schema`).
//!
//! Every document has `schema` (the version, [`SCHEMA_VERSION`]) and `command`. The rule:
//! fields are added, never renamed or removed; a consumer must ignore fields it does not know.

use schemars::JsonSchema;
use serde::Serialize;

use crate::checks::{CheckId, Finding, Severity};
use crate::report::{Skipped, Summary};

/// The `schema` field of every document.
pub const SCHEMA_VERSION: u32 = 1;

/// `scan --format json`, and the `report` inside `fix`'s document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScanDoc {
    pub schema: u32,
    /// `scan` (in `fix`'s `report` too).
    pub command: String,
    /// The global models folder when every install agrees on one.
    pub models_dir: Option<String>,
    pub installs: Vec<InstallDoc>,
    /// Folders discovery did not count, and why.
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
    /// Bytes a migration and `backups --prune` would free (not measured with `--quiet`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sizes: Option<crate::sizes::Sizes>,
}

/// One install of a scan.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InstallDoc {
    pub name: String,
    /// The ComfyUI folder, whole.
    pub path: String,
    /// The global models folder this install should link to, when known.
    pub models_dir: Option<String>,
    pub findings: Vec<Finding>,
}

/// `fix --format json` (with `--yes` or `--dry-run`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FixDoc {
    pub schema: u32,
    /// `fix`.
    pub command: String,
    pub dry_run: bool,
    /// Every install that had something to fix, in the order planned.
    pub installs: Vec<FixInstallDoc>,
    /// The journaled runs this `fix` made (one per workspace), for `undo --run`.
    pub runs: Vec<FixRunDoc>,
    /// The scan after the fix (before it in a dry run, or when nothing ran).
    pub report: ScanDoc,
}

/// One install's plan and what became of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FixInstallDoc {
    pub name: String,
    pub path: String,
    /// `planned` (dry run), `applied`, `stopped`, `not-applied` (it needs a confirmation), or
    /// `refused` (cannot be fixed as it is; `reason` says why).
    pub status: String,
    pub steps: Vec<StepDoc>,
    /// Conflicts, what becomes invisible, totals: what the plan shown on a terminal says under it.
    pub notes: Vec<String>,
    /// Steps done.
    pub applied: usize,
    /// Why it was refused or where it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StepDoc {
    /// The check whose fix planned it.
    pub check: CheckId,
    /// The action's kind (`move`, `create_link`, ...).
    pub action: String,
    /// The step as a shell command, as the terminal plan shows it.
    pub command: String,
}

/// A run `fix` journaled.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FixRunDoc {
    pub run_id: String,
    /// The `.comfydoctor` folder that holds its journal.
    pub journal: String,
    /// The command that reverses it.
    pub undo: String,
}

/// `undo --format json` (with `--yes` or `--dry-run`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UndoDoc {
    pub schema: u32,
    /// `undo`.
    pub command: String,
    pub dry_run: bool,
    /// The run chosen (the newer runs relying on it, with `--with-newer`, are in `undone`).
    pub run_id: String,
    pub started_at: String,
    /// The workspace (or install) whose journal it is.
    pub workspace: String,
    /// What is reversed, newest first, as shell commands.
    pub steps: Vec<String>,
    /// The runs undone, in the order undone (empty in a dry run).
    pub undone: Vec<UndoneDoc>,
    /// Where the undo stopped and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Entries added since inside folders the run made: they stay, and so do those folders.
    pub left_behind: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UndoneDoc {
    pub run_id: String,
    /// Actions reversed.
    pub actions: usize,
}

/// `undo --list --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunListDoc {
    pub schema: u32,
    /// `undo --list`.
    pub command: String,
    /// Newest first.
    pub runs: Vec<RunDoc>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunDoc {
    pub run_id: String,
    pub journal: String,
    pub started_at: String,
    /// As `undo --list` shows it (`done`, `undone`, `interrupted`, ...).
    pub state: String,
    /// The process still running it, when its lock is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_pid: Option<u32>,
    pub installs: Vec<String>,
    pub actions_done: usize,
    pub actions_planned: usize,
    /// A `backups --prune` run: not undoable.
    pub deletes: bool,
}

/// `backups --format json`: every backup folder `fix` made, and what the global folder holds
/// of each file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BackupsDoc {
    pub schema: u32,
    /// `backups`.
    pub command: String,
    pub folders: Vec<BackupFolderDoc>,
    /// Bytes of the files proved identical to a file of the global folder: what
    /// `backups --prune` frees.
    pub prunable_bytes: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BackupFolderDoc {
    /// The install's name, as `scan` shows it.
    pub install: String,
    pub path: String,
    pub bytes: u64,
    pub files: Vec<BackupFileDoc>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BackupFileDoc {
    /// Relative to the backup folder, `/` between its parts on every platform.
    pub path: String,
    pub bytes: u64,
    /// `same-path` (the global folder holds the same bytes at the same relative path),
    /// `elsewhere` (under another name, found by hash), `none` (not the same bytes anywhere),
    /// `not-a-file` (a link, a special file, an unreadable file): only the first two are pruned.
    pub twin: String,
    /// Where the global folder holds the same bytes (relative to it), for `same-path` and
    /// `elsewhere`; why, for `not-a-file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A relative path as JSON gives it: its parts joined with `/` on every platform, so a script
/// reads one form (on Unix a `\\` inside a name stays part of the name).
pub fn slashed(rel: &std::path::Path) -> String {
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// `checks --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChecksDoc {
    pub schema: u32,
    /// `checks`.
    pub command: String,
    pub checks: Vec<CheckDoc>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckDoc {
    pub id: CheckId,
    /// The severity its finding usually has.
    pub severity: Severity,
    pub summary: String,
}

/// `explain ID --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ExplainDoc {
    pub schema: u32,
    /// `explain`.
    pub command: String,
    pub id: CheckId,
    pub severity: Severity,
    pub summary: String,
    /// Unwrapped prose; paragraphs separated by blank lines.
    pub explanation: String,
}

/// A document as pretty JSON with a final newline.
pub fn to_json<T: Serialize>(doc: &T) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Every document's JSON Schema, by the name of its file in `docs/schema/` (without
/// `.schema.json`).
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn one<T: JsonSchema>() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(T)).expect("a schema is JSON")
    }
    vec![
        ("scan", one::<ScanDoc>()),
        ("fix", one::<FixDoc>()),
        ("undo", one::<UndoDoc>()),
        ("undo-list", one::<RunListDoc>()),
        ("backups", one::<BackupsDoc>()),
        ("checks", one::<ChecksDoc>()),
        ("explain", one::<ExplainDoc>()),
    ]
}

/// `checks --format json`.
pub fn checks_doc() -> ChecksDoc {
    ChecksDoc {
        schema: SCHEMA_VERSION,
        command: "checks".into(),
        checks: crate::checks::all()
            .map(|c| CheckDoc { id: c.id, severity: c.severity, summary: c.summary.to_string() })
            .collect(),
    }
}

/// `explain ID --format json`.
pub fn explain_doc(id: CheckId) -> ExplainDoc {
    let c = crate::checks::check(id);
    ExplainDoc {
        schema: SCHEMA_VERSION,
        command: "explain".into(),
        id: c.id,
        severity: c.severity,
        summary: c.summary.to_string(),
        explanation: c.explain.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built with the platform's separator (`\` on Windows), read back with `/`.
    #[test]
    fn relative_paths_are_slashed_on_every_platform() {
        let rel = std::path::Path::new("checkpoints").join("sub").join("a.safetensors");
        assert_eq!(slashed(&rel), "checkpoints/sub/a.safetensors");
        assert_eq!(slashed(std::path::Path::new("one")), "one");
    }
}
