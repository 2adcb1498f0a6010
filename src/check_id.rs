//! The closed set of check IDs. The kebab-case spelling is the CLI and JSON contract (`--check`,
//! `explain`, the report, the journal's `check` field); everywhere else the enum is used, so a new
//! check that lacks its logic or its fix does not compile (see `checks::check` and `fixes::fix`).
//!
//! It sits at the bottom of the layers because plans and journals record which check planned a
//! step, and those are below the checks themselves.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    ModelsDirUnknown,
    GlobalMissing,
    GlobalLayout,
    GlobalLinkBroken,
    LinkMissing,
    WorkspaceMoved,
    LinkBroken,
    LinkWrongTarget,
    ModelsNotDir,
    PlaceholderOnly,
    ModelsDirReal,
    LinksUnsupported,
    LegacyYaml,
    GitTracksModels,
    Detached,
    RunInterrupted,
    GitProtectionLost,
}

impl CheckId {
    /// Every check, in report order: the global folder, then `models`, then the YAML, then git, then
    /// the journal's records (detached, interrupted).
    pub const ALL: [CheckId; 17] = [
        CheckId::ModelsDirUnknown,
        CheckId::GlobalMissing,
        CheckId::GlobalLayout,
        CheckId::GlobalLinkBroken,
        CheckId::LinkMissing,
        CheckId::WorkspaceMoved,
        CheckId::LinkBroken,
        CheckId::LinkWrongTarget,
        CheckId::ModelsNotDir,
        CheckId::PlaceholderOnly,
        CheckId::ModelsDirReal,
        CheckId::LinksUnsupported,
        CheckId::LegacyYaml,
        CheckId::GitTracksModels,
        CheckId::GitProtectionLost,
        CheckId::Detached,
        CheckId::RunInterrupted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            CheckId::ModelsDirUnknown => "models-dir-unknown",
            CheckId::GlobalMissing => "global-missing",
            CheckId::GlobalLayout => "global-layout",
            CheckId::GlobalLinkBroken => "global-link-broken",
            CheckId::LinkMissing => "link-missing",
            CheckId::WorkspaceMoved => "workspace-moved",
            CheckId::LinkBroken => "link-broken",
            CheckId::LinkWrongTarget => "link-wrong-target",
            CheckId::ModelsNotDir => "models-not-dir",
            CheckId::PlaceholderOnly => "placeholder-only",
            CheckId::ModelsDirReal => "models-dir-real",
            CheckId::LinksUnsupported => "links-unsupported",
            CheckId::LegacyYaml => "legacy-yaml",
            CheckId::GitTracksModels => "git-tracks-models",
            CheckId::Detached => "detached",
            CheckId::RunInterrupted => "run-interrupted",
            CheckId::GitProtectionLost => "git-protection-lost",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ID as typed by a user was not one of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCheckId(pub String);

impl FromStr for CheckId {
    type Err = UnknownCheckId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckId::ALL.into_iter().find(|id| id.as_str() == s).ok_or_else(|| UnknownCheckId(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_serde_and_parse_agree() {
        for id in CheckId::ALL {
            assert_eq!(id.as_str().parse::<CheckId>(), Ok(id));
            assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
            assert_eq!(serde_json::from_str::<CheckId>(&format!("\"{id}\"")).unwrap(), id);
        }
        assert!("link_missing".parse::<CheckId>().is_err());
    }

    #[test]
    fn all_is_complete_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for id in CheckId::ALL {
            assert!(seen.insert(id));
        }
    }
}
