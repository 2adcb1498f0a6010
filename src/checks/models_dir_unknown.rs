//! `models-dir-unknown`: nothing says where the global models folder is.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection};

pub const CHECK: Check = Check {
    id: CheckId::ModelsDirUnknown,
    severity: Severity::Error,
    summary: "the global models folder is not known, so the link checks cannot run",
    explain: "comfydoctor links every install's models/ to one global models folder. It takes that \
folder from --models-dir, else COMFYDOCTOR_MODELS_DIR, else the workspace's \
.metadata/workspace.json (global_model_directory.path), else the base_path that every legacy \
extra_model_paths.yaml agrees on. None of them said anything, so the checks that compare against \
the global folder (link-wrong-target, global-missing, global-layout) were not run.\n\n\
Fix: none automatic; tell comfydoctor the folder with one of the sources above.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(_: &Inspection, _: Option<&GlobalState>) -> Option<Finding> {
    None
}

/// The finding for one install, naming every way to set the folder.
pub fn finding(inspection: &Inspection) -> Finding {
    let ws_hint = match &inspection.install.workspace {
        Some(ws) => {
            format!(", or set global_model_directory.path in {}", ws.join(".metadata").join("workspace.json").display())
        }
        None => String::new(),
    };
    Finding::new(
        CHECK.id,
        Severity::Error,
        format!("the global models folder is unknown: pass `--models-dir DIR` or set COMFYDOCTOR_MODELS_DIR{ws_hint}"),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::test_support::*;
    use crate::checks::{self, CheckId, Severity};

    const ALL: &[CheckId] = &CheckId::ALL;
    use crate::inspect::{GlobalKind, Inspection, ModelsState};

    const ID: CheckId = CheckId::ModelsDirUnknown;

    fn ids(findings: &[checks::Finding]) -> Vec<CheckId> {
        findings.iter().map(|f| f.check).collect()
    }

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn the_check_itself_never_fires() {
        // `checks::run` reports it instead, once, when the global folder is unknown.
        for global in [Some(global_ok()), None] {
            assert!(fires_on(&CHECK, global).is_empty());
        }
    }

    #[test]
    fn the_finding_names_the_workspace_json_to_edit() {
        let f = super::finding(&Inspection { global: None, ..healthy() });
        assert_eq!(f.check, ID);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("`--models-dir DIR`") && f.message.contains("COMFYDOCTOR_MODELS_DIR"));
        assert_names(&f.message, &workspace_json());
        assert_eq!(f.fix, None);
    }

    #[test]
    fn outside_a_workspace_there_is_no_workspace_hint() {
        let f = super::finding(&Inspection { install: standalone_install(), global: None, ..healthy() });
        assert_eq!(
            f.message,
            "the global models folder is unknown: pass `--models-dir DIR` or set COMFYDOCTOR_MODELS_DIR"
        );
    }

    // `checks::run`

    #[test]
    fn run_replaces_the_checks_needing_the_global_folder() {
        let i = Inspection { global: None, ..inspection(ModelsState::Link(dir_link(&elsewhere()))) };
        let findings = checks::run(&i, ALL);
        // link-wrong-target would fire with a global folder; without one it yields.
        assert_eq!(ids(&findings), [ID]);
        assert_eq!(findings[0], super::finding(&i));
    }

    #[test]
    fn run_without_a_global_folder_still_runs_the_other_checks() {
        let i = Inspection { global: None, yaml: yaml(""), ..inspection(ModelsState::Missing) };
        assert_eq!(ids(&checks::run(&i, ALL)), [ID, CheckId::LinkMissing, CheckId::LegacyYaml]);
    }

    #[test]
    fn run_reports_the_unknown_folder_only_when_a_selected_check_needs_it() {
        let i = Inspection { global: None, ..inspection(ModelsState::Missing) };
        for (selected, expected) in [
            (vec![CheckId::LinkMissing], vec![CheckId::LinkMissing]),
            (vec![CheckId::ModelsDirUnknown], vec![ID]),
            (vec![CheckId::GlobalMissing], vec![ID]),
            (vec![CheckId::GlobalLayout, CheckId::LinkMissing], vec![ID, CheckId::LinkMissing]),
            (vec![], vec![]),
        ] {
            assert_eq!(ids(&checks::run(&i, &selected)), expected, "{selected:?}");
        }
    }

    #[test]
    fn run_with_a_global_folder_never_reports_it_unknown() {
        for (name, models) in models_states() {
            let findings = checks::run(&inspection(models), &[CHECK.id]);
            assert!(findings.is_empty(), "{name}: {findings:?}");
        }
        assert!(checks::run(&healthy(), ALL).is_empty(), "a healthy install has no finding");
    }

    #[test]
    fn run_reports_the_global_folder_checks() {
        let i = Inspection { global: Some(global(GlobalKind::Missing)), ..inspection(ModelsState::Missing) };
        let findings = checks::run(&i, ALL);
        assert_eq!(ids(&findings), [CheckId::GlobalMissing, CheckId::LinkMissing]);
        assert!(checks::check(findings[0].check).about_global);
        assert!(!checks::check(findings[1].check).about_global);
        let i = Inspection { global: Some(global_lacking(&["vae"])), ..healthy() };
        assert_eq!(ids(&checks::run(&i, ALL)), [CheckId::GlobalLayout]);
    }

    #[test]
    fn run_keeps_report_order() {
        let i = Inspection {
            global: Some(global_lacking(&["vae"])),
            yaml: yaml(&comfydock_section("comfydock", &global_path())),
            git: git_repo(12, 12, false),
            ..inspection(ModelsState::RealDir(user_tree()))
        };
        let expected = [CheckId::GlobalLayout, CheckId::ModelsDirReal, CheckId::LegacyYaml, CheckId::GitTracksModels];
        assert_eq!(ids(&checks::run(&i, ALL)), expected);
        let reversed: Vec<_> = ALL.iter().rev().copied().collect();
        let mut got = ids(&checks::run(&i, &reversed));
        got.reverse();
        assert_eq!(got, expected, "findings follow the selection's order");
    }
}
