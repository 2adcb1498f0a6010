//! The closed set of check IDs. The kebab-case spelling is the CLI and JSON contract (`--check`,
//! `explain`, the report, the journal's `check` field); everywhere else the enum is used, so a new
//! check that lacks its logic or its fix does not compile (see `checks::check` and `fixes::fix`).
//!
//! It sits at the bottom of the layers because plans and journals record which check planned a
//! step, and those are below the checks themselves.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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

impl CheckId {
    /// The ID a mistyped `typed` most likely meant: the same ID in another case or with `_` for
    /// `-`; the one ID that contains it (`wrong-target`); else the closest by edit distance,
    /// when close enough to be a typo (`link-mising`). `None` for an exact ID or nothing near.
    pub fn nearest(typed: &str) -> Option<CheckId> {
        let norm = typed.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        if let Ok(id) = norm.parse::<CheckId>() {
            return (id.as_str() != typed).then_some(id);
        }
        let containing: Vec<CheckId> = CheckId::ALL.into_iter().filter(|id| id.as_str().contains(&norm)).collect();
        if norm.len() >= 3 && containing.len() == 1 {
            return Some(containing[0]);
        }
        CheckId::ALL
            .into_iter()
            .map(|id| (strsim::normalized_damerau_levenshtein(&norm, id.as_str()), id))
            .filter(|(score, _)| *score >= 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id)
    }
}

/// " did you mean `ID`?" for a mistyped ID, or nothing (for messages).
pub fn did_you_mean(typed: &str) -> String {
    CheckId::nearest(typed).map(|id| format!(" did you mean `{id}`?")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_id_finds_the_one_meant() {
        let cases: &[(&str, Option<&str>)] = &[
            ("link-mising", Some("link-missing")),
            ("link-misisng", Some("link-missing")),
            ("lnk-broken", Some("link-broken")),
            ("link_missing", Some("link-missing")),
            ("LINK-MISSING", Some("link-missing")),
            ("wrong-target", Some("link-wrong-target")),
            ("yaml", Some("legacy-yaml")),
            ("placeholder", Some("placeholder-only")),
            ("global-layuot", Some("global-layout")),
            ("models-dir-rel", Some("models-dir-real")),
            ("git-tracks-model", Some("git-tracks-models")),
            ("link-missing", None),
            ("not-a-check", None),
            ("x", None),
            ("", None),
            ("global", None),
        ];
        for (typed, want) in cases {
            assert_eq!(CheckId::nearest(typed).map(CheckId::as_str), *want, "{typed:?}");
        }
        assert_eq!(did_you_mean("link-mising"), " did you mean `link-missing`?");
        assert_eq!(did_you_mean("zzz"), "");
    }

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
