//! Raw flags turned into validated settings before any work starts (as ripgrep does): paths made
//! absolute, check IDs resolved, the models-folder override given its source.

use std::path::PathBuf;

use crate::checks::{self, Check};
use crate::cli::TargetArgs;
use crate::error::{Error, Result};
use crate::platform;
use crate::workspace::{ModelsDir, ModelsDirSource};

/// What to look at and how.
#[derive(Debug)]
pub struct Target {
    pub paths: Vec<PathBuf>,
    pub models_dir: Option<ModelsDir>,
    pub max_depth: usize,
    pub checks: Vec<&'static Check>,
    pub verbose: bool,
    pub quiet: bool,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl Target {
    pub fn from_args(args: &TargetArgs) -> Result<Self> {
        let paths = args.paths.iter().map(|p| platform::normalize(p)).collect();
        let models_dir = args.models_dir.as_ref().filter(|p| !p.as_os_str().is_empty()).map(|p| {
            // clap fills the field from the environment too; tell them apart for messages.
            let from_env = std::env::var_os("COMFYDOCTOR_MODELS_DIR").is_some_and(|v| v == p.as_os_str())
                && !std::env::args_os().any(|a| a.to_string_lossy().starts_with("--models-dir"));
            ModelsDir {
                path: platform::normalize(p),
                source: if from_env { ModelsDirSource::Env } else { ModelsDirSource::Flag },
            }
        });
        let checks = if args.checks.is_empty() {
            checks::ALL.to_vec()
        } else {
            let mut selected = Vec::new();
            for id in &args.checks {
                let check = checks::find(id).ok_or_else(|| Error::UnknownCheck { id: id.clone() })?;
                if !selected.iter().any(|c: &&Check| c.id == check.id) {
                    selected.push(check);
                }
            }
            selected
        };
        Ok(Target { paths, models_dir, max_depth: args.max_depth, checks, verbose: args.verbose, quiet: args.quiet })
    }

    /// Whether git has to be asked at all.
    pub fn wants_git(&self) -> bool {
        self.checks.iter().any(|c| c.id == "git-tracks-models")
    }
}
