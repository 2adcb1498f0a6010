//! `detached`: `comfydoctor detach` gave this install its own `models/` and recorded it, so `fix`
//! (and so the launch-script hook) does not link it again unless asked: `fix --attach` (every
//! detached install it is given) or `fix --attach=NAME`.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection};

pub const CHECK: Check = Check {
    id: CheckId::Detached,
    severity: Severity::Info,
    summary: "the install was detached from the global folder on purpose (`comfydoctor detach`)",
    explain: "`comfydoctor detach` replaced this install's models link by a real models/ folder \
of its own (ComfyUI's stock layout, plus the models chosen with --copy) and recorded that in the \
workspace's .comfydoctor/detached.json. While the record is there, the checks that would link \
models/ again stay silent for it and `fix` (the launch-script hook too) leaves it alone.\n\nFix: \
`comfydoctor fix --attach` (or `--attach=NAME`) links it again like any other install and \
forgets the record; `comfydoctor undo` of the detach run puts the link back as it was.",
    needs_global: false,
    about_global: false,
    run,
};

fn run(inspection: &Inspection, _global: Option<&GlobalState>) -> Option<Finding> {
    let d = inspection.detached.as_ref()?;
    Some(Finding::new(
        CHECK.id,
        Severity::Info,
        format!("detached from the global folder at {}; `fix` leaves it alone", d.at),
        None,
    ))
}

/// The checks a detached install does not hear from: those whose fix would link `models/` (and
/// protect git for that link) again.
fn held(f: &Finding) -> bool {
    use CheckId::*;
    match f.check {
        LinkMissing | LinkBroken | LinkWrongTarget | ModelsNotDir | PlaceholderOnly | ModelsDirReal
        | GitTracksModels | ModelsDirUnknown | WorkspaceMoved => true,
        // Its fallback YAML would point the install at the global folder again.
        LinksUnsupported => true,
        // Its repair protects git for the link again (it needs the link, so it cannot fire here).
        GitProtectionLost => true,
        // A YAML ComfyUI cannot read still matters to an install that runs alone.
        LegacyYaml => f.severity != Severity::Error,
        // An interrupted run is finished (or rolled back) whatever it did.
        GlobalMissing | GlobalLayout | GlobalLinkBroken | Detached | RunInterrupted => false,
    }
}

/// Applies the detach record to an install's findings. Held (not attaching): the findings that
/// would re-link it are dropped, so neither `scan` nor `fix` acts on them. Attaching: they stay,
/// and the `detached` finding gets the fix that forgets the record once the link is planned.
/// Keyed on the record, not the finding, so `--check ID` cannot slip past it.
pub fn hold(findings: &mut Vec<Finding>, detached: bool, attach: bool) {
    if !detached {
        return;
    }
    if attach {
        for f in findings.iter_mut().filter(|f| f.check == CheckId::Detached) {
            f.fix = Some("attach it again: link models/ and forget the detach record".into());
        }
    } else {
        findings.retain(|f| !held(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::*;
    use crate::inspect::{Inspection, ModelsState};
    use crate::state::Detached;

    fn detached(models: ModelsState) -> Inspection {
        let mut i = inspection(models);
        i.detached =
            Some(Detached { install: i.install.root.clone(), at: "2026-12-03T14:00:00Z".into(), migrated_by: None });
        i
    }

    #[test]
    fn fires_only_with_a_record() {
        assert!((CHECK.run)(&inspection(ModelsState::RealDir(stock_tree())), None).is_none());
        let f = (CHECK.run)(&detached(ModelsState::RealDir(stock_tree())), None).expect("a finding");
        assert_eq!((f.check, f.severity), (CheckId::Detached, Severity::Info));
        assert!(f.message.contains("2026-12-03T14:00:00Z"), "{}", f.message);
        assert_eq!(f.fix, None);
    }

    #[test]
    fn hold_drops_the_relinking_findings_unless_attaching() {
        let i = detached(ModelsState::RealDir(stock_tree()));
        let all = crate::checks::run(&i, &CheckId::ALL);
        let ids = |v: &[Finding]| v.iter().map(|f| f.check).collect::<Vec<_>>();
        assert!(ids(&all).contains(&CheckId::PlaceholderOnly), "{:?}", ids(&all));
        let mut held = all.clone();
        hold(&mut held, true, false);
        assert_eq!(ids(&held), [CheckId::Detached]);
        assert!(held.iter().all(|f| f.fix.is_none()));
        let mut attach = all.clone();
        hold(&mut attach, true, true);
        assert_eq!(ids(&attach), ids(&all));
        assert!(attach.iter().find(|f| f.check == CheckId::Detached).unwrap().fix.is_some());
        // No record: nothing changes.
        let mut plain = crate::checks::run(&inspection(ModelsState::RealDir(stock_tree())), &CheckId::ALL);
        let before = plain.clone();
        hold(&mut plain, false, false);
        assert_eq!(plain, before);
    }
}
