//! Plans built by hand, for the tests that drive the executor's library API directly.

use std::path::Path;

use comfydoctor::checks::CheckId;
use comfydoctor::plan::{Action, InstallPlan, Step};

/// A plan for `install` of these actions, in order (the check that planned them does not matter
/// to the executor).
pub fn plan(install: &Path, actions: Vec<Action>) -> InstallPlan {
    InstallPlan {
        install: install.to_path_buf(),
        steps: actions.into_iter().map(|action| Step { action, check: CheckId::ModelsDirReal }).collect(),
        ..InstallPlan::default()
    }
}
