//! `global-link-broken`: a link inside the global folder dangles or loops.
//!
//! ComfyUI walks model folders following links, so a dangling link still shows in its lists and
//! then fails to load, and a link back up the tree makes the walk go round until the path is too
//! long. Both are models the user believes they have; the scan must not call that healthy.

use super::finding::{Check, Finding, Severity};
use crate::check_id::CheckId;
use crate::inspect::{GlobalState, Inspection, LinkProblem};
use crate::plan::quote;

pub const CHECK: Check = Check {
    id: CheckId::GlobalLinkBroken,
    severity: Severity::Error,
    summary: "a link inside the global models folder dangles or loops",
    explain: "The global models folder holds a link whose target is gone (ComfyUI lists the name, \
then fails to load it) or that points back at a folder holding it (ComfyUI's walk, which follows \
links, goes round it). Every install linked to the global folder sees it.\n\nFix: none \
automatic, since only you know where the model went: point the link at the model again, or \
remove the link (the finding gives the command; a link's removal never touches its target).",
    needs_global: true,
    about_global: true,
    run,
};

/// How many links the message names before it only counts.
const NAMED: usize = 5;

fn run(_: &Inspection, global: Option<&GlobalState>) -> Option<Finding> {
    let global = global?;
    let first = global.bad_links.first()?;
    let named: Vec<String> = global
        .bad_links
        .iter()
        .take(NAMED)
        .map(|b| {
            let why = match b.problem {
                LinkProblem::Dangling => "target missing",
                LinkProblem::Loop => "loops",
            };
            format!("{} → {} ({why})", b.rel.display(), b.raw_target.display())
        })
        .collect();
    let more = global.bad_links.len().saturating_sub(NAMED);
    let count = match global.bad_links.len() {
        1 => "1 link".to_string(),
        n => format!("{n} links"),
    };
    let mut message = format!(
        "{count} in the global models folder {} cannot be followed: {}",
        global.dir.path.display(),
        named.join(", ")
    );
    if more > 0 {
        message.push_str(&format!(" and {more} more"));
    }
    message.push_str(&format!(
        "; repair each target, or remove the link (its target is not touched): rm {}",
        quote(&global.dir.path.join(&first.rel))
    ));
    Some(Finding::new(CHECK.id, Severity::Error, message, None))
}
