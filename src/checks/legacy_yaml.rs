//! `legacy-yaml`: `extra_model_paths.yaml` next to `main.py`.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection};
use crate::legacy_yaml::{self, Coverage, YamlError};

pub const CHECK: Check = Check {
    id: CheckId::LegacyYaml,
    severity: Severity::Warning,
    summary: "extra_model_paths.yaml is present next to main.py",
    explain: "Environment managers such as ComfyDock pointed ComfyUI at the shared models through \
extra_model_paths.yaml. Many custom nodes ignore that file, so they miss models; a models/ link \
serves everyone. The file may also list folders a link does not serve (an A1111 tree, another \
disk, a custom node's own key): those entries must stay, as written and in ComfyUI's search order.\n\nFix: when every entry is served by the link, back the file up \
(extra_model_paths.yaml.comfydoctor-backup-<time>) and remove it; when only some are, back it up \
and write a new file holding only the others; when none are, leave it. A file that does not \
parse is never touched: repair it first (the finding names the line). An empty or comments-only \
file makes ComfyUI fail at start: it is backed up and removed.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let yaml = inspection.yaml.as_ref()?;
    let yaml = match yaml {
        Ok(y) => y,
        Err(e @ YamlError::Limit { .. }) => {
            return Some(Finding::new(
                CHECK.id,
                Severity::Error,
                format!("{e}; comfydoctor leaves the file alone (ComfyUI itself may read it)"),
                None,
            ));
        }
        Err(e) => {
            return Some(Finding::new(
                CHECK.id,
                Severity::Error,
                format!("{e}; ComfyUI cannot read it either; repair the file, then run `comfydoctor scan` again"),
                None,
            ));
        }
    };
    // comfydoctor's own fallback where no link can live (`links-unsupported` reports it).
    if legacy_yaml::is_fallback(yaml)
        && matches!(inspection.link.support, crate::platform::fstype::LinkSupport::No { .. })
    {
        return None;
    }
    if yaml.null_document {
        return Some(Finding::new(
            CHECK.id,
            Severity::Error,
            format!(
                "{} holds no YAML mapping (empty or only comments): PyYAML reads it as None and ComfyUI fails to start on it",
                legacy_yaml::FILE_NAME
            ),
            Some("back the file up and remove it".to_string()),
        ));
    }
    let entries: Vec<_> = yaml.entries().collect();
    let Some(global) = global else {
        return Some(Finding::new(
            CHECK.id,
            Severity::Warning,
            format!(
                "{} registers {}; set the global models folder to see which a link serves",
                legacy_yaml::FILE_NAME,
                crate::wording::count(entries.len(), "path", "paths")
            ),
            None,
        ));
    };
    let coverage = legacy_yaml::coverage(yaml, &global.dir.path);
    let uncovered: Vec<String> = entries
        .iter()
        .zip(&coverage)
        .filter_map(|(e, c)| match c {
            Coverage::Covered { .. } => None,
            Coverage::Uncovered { reason } => Some(format!("{}: {} ({reason})", e.key, e.path.display())),
        })
        .collect();
    let covered = entries.len() - uncovered.len();
    let refusal = if covered > 0 && !uncovered.is_empty() {
        legacy_yaml::rewrite_uncovered(
            yaml,
            &global.dir.path,
            "backup",
            inspection.models_is_global || legacy_yaml::own_models_is_global(&inspection.models),
        )
        .err()
    } else {
        None
    };
    // What serves the covered entries: the models link, or `models/` itself where it is the
    // global folder. There the file is left as it is (an info line): ComfyUI reads those
    // folders anyway, and the file may be what names the global folder for comfydoctor.
    let server = if inspection.models_is_global { "models/ (the global folder itself)" } else { "the models link" };
    let (severity, fix) = if inspection.models_is_global && covered > 0 {
        (Severity::Info, None)
    } else if let Some(reason) = &refusal {
        (Severity::Warning, Some(format!("none: {reason}")))
    } else if uncovered.is_empty() {
        (Severity::Warning, Some(format!("back the file up and remove it: {server} serves every entry")))
    } else if covered > 0 {
        (
            Severity::Warning,
            Some(format!(
                "back the file up and keep only the {} the link does not serve",
                crate::wording::count(uncovered.len(), "entry", "entries")
            )),
        )
    } else {
        (Severity::Info, None)
    };
    let fix = fix.filter(|f| !f.starts_with("none: "));
    let mut message = format!(
        "{}: {covered} of {} served by {server}",
        legacy_yaml::FILE_NAME,
        crate::wording::count(entries.len(), "entry", "entries")
    );
    if let Some(base) = legacy_yaml::infer_global(yaml)
        && !crate::platform::same_dir(&base, &global.dir.path)
    {
        // The global folder chosen elsewhere wins; the YAML's own folder stays registered.
        message.push_str(&format!(
            "; its base_path {} differs from the global models folder {} (from {}), so those entries are kept",
            base.display(),
            global.dir.path.display(),
            global.dir.source
        ));
    }
    if !uncovered.is_empty() {
        message.push_str(&format!("; kept: {}", uncovered.join(", ")));
    }
    if let Some(reason) = refusal {
        message.push_str(&format!("; not rewritten: {reason}"));
    }
    Some(Finding::new(CHECK.id, severity, message, fix))
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::CheckId;
    use crate::checks::Severity;
    use crate::checks::test_support::*;
    use crate::inspect::Inspection;

    const ID: CheckId = CheckId::LegacyYaml;

    fn with_yaml(text: &str) -> Inspection {
        Inspection { yaml: yaml(text), ..healthy() }
    }

    /// ComfyDock's file: one section whose base_path is the global folder.
    fn comfydock() -> String {
        comfydock_section("comfydock", &global_path())
    }

    /// An A1111 tree elsewhere: a link to the global folder does not serve it.
    fn a1111() -> String {
        format!("a1111:\n  base_path: '{}'\n  checkpoints: Stable-diffusion\n", elsewhere().display())
    }

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
    }

    #[test]
    fn silent_without_the_file_whatever_models_is() {
        for global in [Some(global_ok()), None] {
            assert!(fires_on(&CHECK, global).is_empty());
        }
    }

    #[test]
    fn the_parsed_test_files_hold_what_they_say() {
        let parsed = yaml(&format!("{}{}", comfydock(), a1111())).expect("present").expect("parses");
        let paths: Vec<_> = parsed.entries().map(|e| (e.key.as_str(), e.path.clone())).collect();
        assert_eq!(
            paths,
            [
                ("checkpoints", global_path().join("checkpoints")),
                ("loras", global_path().join("loras")),
                ("checkpoints", elsewhere().join("Stable-diffusion")),
            ]
        );
    }

    #[test]
    fn severity_and_fix_follow_how_much_the_link_serves() {
        for (name, text, severity, fix) in [
            (
                "all served",
                comfydock(),
                Severity::Warning,
                Some("back the file up and remove it: the models link serves every entry"),
            ),
            (
                "some served",
                format!("{}{}", comfydock(), a1111()),
                Severity::Warning,
                Some("back the file up and keep only the 1 entry the link does not serve"),
            ),
            ("none served", a1111(), Severity::Info, None),
        ] {
            let f = fired(&CHECK, ID, &with_yaml(&text));
            assert_eq!((f.severity, f.fix.as_deref()), (severity, fix), "{name}");
        }
    }

    /// The install whose `models/` is the global folder: its YAML names that folder, which
    /// ComfyUI reads anyway; it may be what names the global folder, so it stays (info).
    #[test]
    fn on_the_install_whose_models_is_the_global_folder_it_is_info_without_a_fix() {
        for text in [comfydock(), format!("{}{}", comfydock(), a1111())] {
            let owner = Inspection { models_is_global: true, ..with_yaml(&text) };
            let f = fired(&CHECK, ID, &owner);
            assert_eq!((f.severity, f.fix.as_deref()), (Severity::Info, None), "{text}");
            assert!(f.message.contains("served by models/ (the global folder itself)"), "{}", f.message);
        }
    }

    #[test]
    fn all_served() {
        let f = fired(&CHECK, ID, &with_yaml(&comfydock()));
        assert_eq!(f.message, "extra_model_paths.yaml: 2 of 2 entries served by the models link");
    }

    #[test]
    fn the_kept_entries_are_named() {
        let f = fired(&CHECK, ID, &with_yaml(&format!("{}{}", comfydock(), a1111())));
        assert!(f.message.starts_with("extra_model_paths.yaml: 2 of 3 entries served"), "{}", f.message);
        assert!(f.message.contains("; kept: checkpoints: "), "{}", f.message);
        assert_names(&f.message, &elsewhere().join("Stable-diffusion"));
        assert!(f.message.contains("outside the global folder"), "{}", f.message);
    }

    #[test]
    fn a_base_path_other_than_the_global_folder_is_named() {
        let f = fired(&CHECK, ID, &with_yaml(&comfydock_section("comfydock", &elsewhere())));
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.fix, None);
        assert!(f.message.starts_with("extra_model_paths.yaml: 0 of 2 entries served"), "{}", f.message);
        assert!(f.message.contains("; its base_path "), "{}", f.message);
        assert_names(&f.message, &elsewhere());
        assert_names(&f.message, &global_path());
        assert_names(&f.message, &workspace_json());
    }

    #[test]
    fn without_a_global_folder_it_only_counts() {
        let i = Inspection { global: None, ..with_yaml(&format!("{}{}", comfydock(), a1111())) };
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.fix, None);
        assert_eq!(
            f.message,
            "extra_model_paths.yaml registers 3 paths; set the global models folder to see which a link serves"
        );
    }

    #[test]
    fn an_unparseable_file_is_an_error_naming_its_place() {
        for global in [Some(global_ok()), None] {
            let i = Inspection { global, ..with_yaml("comfydock:\n  base_path: [\n") };
            let f = fired(&CHECK, ID, &i);
            assert_eq!(f.severity, Severity::Error);
            assert_eq!(f.fix, None);
            assert_names(&f.message, &yaml_path());
            assert!(f.message.starts_with(&format!("{}:", yaml_path().display())), "{}", f.message);
            assert!(f.message.ends_with("repair the file, then run `comfydoctor scan` again"), "{}", f.message);
        }
    }

    #[test]
    fn a_file_without_a_mapping_is_an_error_saying_comfyui_fails_on_it() {
        // `safe_load` gives None and ComfyUI's `for c in config` raises: not "fully served".
        for text in ["", "# nothing here\n", "\n\n", "~\n", "null\n", "---\n# only a marker\n"] {
            for global in [Some(global_ok()), None] {
                let f = fired(&CHECK, ID, &Inspection { global, ..with_yaml(text) });
                assert_eq!(f.severity, Severity::Error, "{text:?}");
                assert!(f.message.contains("ComfyUI fails to start on it"), "{text:?}: {}", f.message);
                assert_eq!(f.fix.as_deref(), Some("back the file up and remove it"), "{text:?}");
            }
        }
        // An empty mapping or list iterates to nothing in Python: ComfyUI starts fine.
        for text in ["{}\n", "[]\n"] {
            let f = fired(&CHECK, ID, &with_yaml(text));
            assert_ne!(f.severity, Severity::Error, "{text:?}");
        }
    }

    #[test]
    fn our_own_limits_never_say_comfyui_cannot_read_the_file() {
        let big = format!("a:\n{}", "  # padding\n".repeat(200_000));
        let i = Inspection { yaml: yaml(&big), ..healthy() };
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("too large for comfydoctor (limit 1 MB)"), "{}", f.message);
        assert!(!f.message.contains("cannot read"), "{}", f.message);
    }
}
