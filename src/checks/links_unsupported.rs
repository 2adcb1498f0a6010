//! `links-unsupported`: the install's folder is on a filesystem that cannot hold the `models`
//! link (FAT32/exFAT, some network shares and FUSE filesystems; on Windows a volume without
//! reparse points, or a global folder on a share a junction cannot point at). Found before
//! planning (`platform::fstype`), so `fix` offers a fallback instead of failing with an OS error.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection, ModelsState};
use crate::legacy_yaml;
use crate::platform::fstype::LinkSupport;
use crate::workspace::display_path;

pub const CHECK: Check = Check {
    id: CheckId::LinksUnsupported,
    severity: Severity::Error,
    summary: "the install's folder is on a filesystem that cannot hold the models link (FAT32/exFAT, some shares, FUSE)",
    explain: "comfydoctor's fix is a models/ link to the global models folder, but FAT32 and exFAT \
(portable ComfyUI is often run from such a stick) store no links at all, and some network shares \
and FUSE filesystems refuse them; on Windows a junction cannot point at a network share. The \
filesystem is found before planning: Linux by its statfs type (vfat, exfat, cifs, smb2, nfs, \
fuse), macOS by its type name, Windows by the volume's flags; where the type does not decide \
(shares, FUSE, anything unknown) comfydoctor makes one test link under a temporary name \
(.comfydoctor-link-probe-<pid>-<n>) in the install folder and removes it at once.\n\nFix (asked; \
--yes takes it): write extra_model_paths.yaml next to main.py, marked in its first line as \
comfydoctor's fallback, mapping every folder key ComfyUI knows to its folder in the global \
models folder (first in the search order), plus ComfyUI-Manager's download_model_base so its \
downloads land there too. models/ is left as it is; ComfyUI lists it beside the global folder. \
Journaled; `comfydoctor undo` removes the file. When an extra_model_paths.yaml is there already, \
it is not touched: add the global folder to it by hand, or move it away and run fix again. While \
the filesystem still cannot hold a link, legacy-yaml leaves the fallback alone; once it can (the \
install moved), fix makes the link and then retires the file.",
    needs_global: true,
    about_global: false,
    run,
};

/// The checks whose fix is (or builds on) the `models` link: where no link can be made they
/// yield to this one, whose fallback replaces the link. (A `models` that is a link already shows
/// links work there, so the link checks about an existing link never meet this one.)
pub const NEEDS_A_LINK: &[CheckId] = &[
    CheckId::LinkMissing,
    CheckId::ModelsNotDir,
    CheckId::PlaceholderOnly,
    CheckId::ModelsDirReal,
    CheckId::GitTracksModels,
];

/// Removes the findings of [`NEEDS_A_LINK`] for an install that cannot hold a link.
pub fn drop_what_needs_a_link(inspection: &Inspection, findings: &mut Vec<Finding>) {
    if inspection.global.is_some() && matches!(inspection.link.support, LinkSupport::No { .. }) {
        findings.retain(|f| !NEEDS_A_LINK.contains(&f.check));
    }
}

/// Whether the install's YAML is comfydoctor's fallback (parsed).
pub fn has_fallback(inspection: &Inspection) -> bool {
    matches!(&inspection.yaml, Some(Ok(y)) if legacy_yaml::is_fallback(y))
}

fn run(inspection: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let LinkSupport::No { fs, why } = &inspection.link.support else { return None };
    let global = global?;
    let root = display_path(&inspection.install.root);
    let g = display_path(&global.dir.path);
    let models = inspection.install.models_path();
    if let Some(Ok(yaml)) = &inspection.yaml
        && legacy_yaml::is_fallback(yaml)
    {
        if legacy_yaml::serves_every_key(yaml, &global.dir.path, &models) {
            return Some(Finding::new(
                CHECK.id,
                Severity::Info,
                format!(
                    "{root} is on {fs}, which cannot hold a link ({why}); comfydoctor's fallback {} points ComfyUI at the global models folder {g}",
                    legacy_yaml::FILE_NAME
                ),
                None,
            ));
        }
        return Some(Finding::new(
            CHECK.id,
            Severity::Warning,
            format!(
                "{root} is on {fs}, which cannot hold a link ({why}); comfydoctor's fallback {} no longer points every folder key at the global models folder {g}",
                legacy_yaml::FILE_NAME
            ),
            None,
        ));
    }
    let now = match &inspection.models {
        ModelsState::Missing => String::new(),
        ModelsState::RealDir(_) => "; models/ stays a real folder, which ComfyUI lists beside the global folder".into(),
        ModelsState::NotDir(what) => format!("; models is {what}"),
        ModelsState::Link(_) => String::new(),
    };
    let message = format!("{root} is on {fs}: {why}, so models/ cannot link to the global models folder {g}{now}");
    if inspection.yaml.is_some() {
        return Some(Finding::new(
            CHECK.id,
            Severity::Error,
            format!(
                "{message}; {} exists, so comfydoctor writes no fallback: add the global folder to it by hand, or move it away and run `comfydoctor fix` again",
                legacy_yaml::FILE_NAME
            ),
            None,
        ));
    }
    Some(Finding::new(
        CHECK.id,
        Severity::Error,
        message,
        Some(format!("write {} next to main.py pointing every folder key at {g} (asked)", legacy_yaml::FILE_NAME)),
    ))
}

#[cfg(test)]
mod tests {
    use super::CHECK;
    use crate::checks::test_support::*;
    use crate::checks::{CheckId, Severity};
    use crate::inspect::{Inspection, ModelsState, links::LinkPlace};
    use crate::legacy_yaml;
    use crate::platform::fstype::LinkSupport;

    const ID: CheckId = CheckId::LinksUnsupported;

    fn on_exfat(models: ModelsState) -> Inspection {
        let no = LinkSupport::No { fs: "exFAT".into(), why: "FAT and exFAT store no symbolic links".into() };
        Inspection { link: LinkPlace { support: no, ..Default::default() }, ..inspection(models) }
    }

    #[test]
    fn id_is_kebab_case() {
        assert_eq!(CHECK.id, ID);
        assert_eq!(ID.as_str(), "links-unsupported");
    }

    #[test]
    fn silent_where_links_work_or_cannot_be_told() {
        for (_, models) in models_states() {
            assert_eq!(run(&CHECK, &inspection(models.clone())), None);
            let unknown = LinkSupport::Unknown { why: "read-only".into() };
            let i = Inspection { link: LinkPlace { support: unknown, ..Default::default() }, ..inspection(models) };
            assert_eq!(run(&CHECK, &i), None);
        }
    }

    #[test]
    fn names_the_filesystem_and_why_and_offers_the_fallback() {
        for models in [ModelsState::Missing, ModelsState::RealDir(stock_tree()), ModelsState::RealDir(user_tree())] {
            let f = fired(&CHECK, ID, &on_exfat(models));
            assert_eq!(f.severity, Severity::Error);
            assert!(f.message.contains("is on exFAT: FAT and exFAT store no symbolic links"), "{}", f.message);
            assert_names(&f.message, &global_path());
            assert!(f.fix.as_deref().is_some_and(|x| x.starts_with("write extra_model_paths.yaml")), "{f:?}");
        }
    }

    #[test]
    fn the_link_checks_yield_to_it() {
        for models in [ModelsState::Missing, ModelsState::RealDir(stock_tree()), ModelsState::RealDir(user_tree())] {
            let i = Inspection { git: git_repo(3, 3, false), ..on_exfat(models) };
            let ids: Vec<CheckId> = crate::checks::run(&i, &CheckId::ALL).iter().map(|f| f.check).collect();
            assert_eq!(ids, [ID], "{:?}", i.models);
        }
    }

    #[test]
    fn its_own_fallback_in_place_is_an_info_and_legacy_yaml_leaves_it() {
        let text = legacy_yaml::fallback_text(&global_path(), "exFAT").unwrap();
        let i = Inspection { yaml: yaml(&text), ..on_exfat(ModelsState::RealDir(stock_tree())) };
        let findings = crate::checks::run(&i, &CheckId::ALL);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!((findings[0].check, findings[0].severity, findings[0].fix.as_ref()), (ID, Severity::Info, None));
    }

    #[test]
    fn another_yaml_is_never_overwritten() {
        let i = Inspection {
            yaml: yaml(&comfydock_section("comfydock", &global_path())),
            ..on_exfat(ModelsState::RealDir(stock_tree()))
        };
        let f = fired(&CHECK, ID, &i);
        assert_eq!(f.fix, None);
        assert!(f.message.contains("writes no fallback"), "{}", f.message);
    }
}
