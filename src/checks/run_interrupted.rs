//! `run-interrupted`: a run of `fix` (or an undo) over this install stopped part-way (killed,
//! Ctrl-C, power loss) and its process is gone, so the install may be half migrated.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection};
use crate::wording::shell_word;
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::RunInterrupted,
    severity: Severity::Error,
    summary: "a comfydoctor run over this install stopped part-way",
    explain: "A `comfydoctor fix` (or `undo`) over this install was interrupted (Ctrl-C, a kill, \
a crash or power loss) after some of its steps and before the last, and no comfydoctor process \
is running it now. The install may be half migrated: some models already moved to the global \
folder, the link not made yet, so ComfyUI may not list them. Nothing is lost: the run's journal \
records every step.\n\nFix: finish it (`comfydoctor fix PATH` offers to finish it or roll it \
back; `--yes` finishes it) or roll it back (`comfydoctor undo PATH`). An interrupted undo is \
finished by `comfydoctor undo PATH`.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, _: Option<&GlobalState>) -> Option<Finding> {
    let run = inspection.unfinished_run.as_ref()?;
    let owner = shell_word(&run.owner.to_string_lossy());
    let (message, fix) = if run.undo {
        (
            format!(
                "the undo of run {} (in {}) was interrupted part-way; the install is partly restored",
                run.run_id,
                display_path(&run.owner)
            ),
            format!("finish the undo (`comfydoctor undo {owner}`)"),
        )
    } else {
        (
            format!(
                "run {} (started {}, in {}) was interrupted part-way; the install may be half migrated",
                run.run_id,
                run.started_at,
                display_path(&run.owner)
            ),
            format!("finish it (`comfydoctor fix {owner}`) or roll it back (`comfydoctor undo {owner}`)"),
        )
    };
    Some(Finding::new(CHECK.id, Severity::Error, message, Some(fix)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::*;
    use crate::inspect::{ModelsState, UnfinishedRun};
    use std::path::PathBuf;

    fn with(undo: bool) -> Inspection {
        Inspection {
            unfinished_run: Some(UnfinishedRun {
                run_id: "R1".into(),
                started_at: "2026-01-01T00:00:00Z".into(),
                owner: PathBuf::from("/w s"),
                undo,
            }),
            ..inspection(ModelsState::Missing)
        }
    }

    #[test]
    fn an_interrupted_run_is_an_error_with_both_ways_on() {
        let f = super::run(&with(false), None).unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.starts_with("run R1 (started 2026-01-01T00:00:00Z, in /w s) was interrupted"),
            "{}",
            f.message
        );
        let fix = f.fix.unwrap();
        let q = quoted();
        assert!(
            fix.contains(&format!("`comfydoctor fix {q}`")) && fix.contains(&format!("`comfydoctor undo {q}`")),
            "{fix}"
        );
    }

    #[test]
    fn an_interrupted_undo_is_finished_by_undo() {
        let f = super::run(&with(true), None).unwrap();
        assert!(f.message.contains("undo of run R1"), "{}", f.message);
        assert_eq!(f.fix, Some(format!("finish the undo (`comfydoctor undo {}`)", quoted())));
    }

    /// `/w s` as the platform's shell wants it pasted (cmd.exe knows no single quotes).
    fn quoted() -> &'static str {
        if cfg!(windows) { "\"/w s\"" } else { "'/w s'" }
    }

    #[test]
    fn no_unfinished_run_no_finding() {
        assert!(super::run(&inspection(ModelsState::Missing), None).is_none());
    }
}
