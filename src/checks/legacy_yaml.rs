//! `legacy-yaml`: `extra_model_paths.yaml` next to `main.py`.

use super::{Check, CheckId, Finding, Severity};
use crate::inspect::{GlobalState, Inspection};
use crate::legacy_yaml::{self, Coverage};

pub const CHECK: Check = Check {
    id: CheckId::LegacyYaml,
    severity: Severity::Warning,
    summary: "extra_model_paths.yaml is present next to main.py",
    explain: "Environment managers such as ComfyDock pointed ComfyUI at the shared models through \
extra_model_paths.yaml. Many custom nodes ignore that file, so they miss models; a models/ link \
serves everyone. The file may also list folders a link does not serve (an A1111 tree, another \
disk): those entries must stay.\n\nFix: when every entry is served by the link, back the file up \
(extra_model_paths.yaml.comfydoctor-backup-<time>) and remove it; when only some are, back it up \
and write a new file holding only the others; when none are, leave it. A file that does not \
parse is never touched: repair it first (the finding names the line).",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let yaml = inspection.yaml.as_ref()?;
    let yaml = match yaml {
        Ok(y) => y,
        Err(e) => {
            return Some(Finding::new(
                CHECK.id,
                Severity::Error,
                format!("{e}; ComfyUI cannot read it either; repair the file, then run `comfydoctor scan` again"),
                None,
            ));
        }
    };
    let entries: Vec<_> = yaml.entries().collect();
    let Some(global) = global else {
        return Some(Finding::new(
            CHECK.id,
            Severity::Warning,
            format!(
                "{} registers {} path(s); set the global models folder to see which a link serves",
                legacy_yaml::FILE_NAME,
                entries.len()
            ),
            None,
        ));
    };
    let uncovered: Vec<String> = entries
        .iter()
        .filter_map(|e| match legacy_yaml::classify(e, &global.dir.path) {
            Coverage::Covered { .. } => None,
            Coverage::Uncovered { reason } => Some(format!("{}: {} ({reason})", e.key, e.path.display())),
        })
        .collect();
    let covered = entries.len() - uncovered.len();
    let (severity, fix) = if uncovered.is_empty() {
        (Severity::Warning, Some("back the file up and remove it: the models link serves every entry".to_string()))
    } else if covered > 0 {
        (
            Severity::Warning,
            Some(format!("back the file up and keep only the {} entr(ies) the link does not serve", uncovered.len())),
        )
    } else {
        (Severity::Info, None)
    };
    let mut message =
        format!("{}: {} of {} entr(ies) served by the models link", legacy_yaml::FILE_NAME, covered, entries.len());
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
    Some(Finding::new(CHECK.id, severity, message, fix))
}
