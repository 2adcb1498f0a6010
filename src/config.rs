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

impl Target {
    pub fn from_args(args: &TargetArgs) -> Result<Self> {
        let paths = args.paths.iter().map(|p| platform::normalize(p)).collect();
        let flag = args.models_dir.as_ref().filter(|p| !p.as_os_str().is_empty());
        let from_env = std::env::var_os("COMFYDOCTOR_MODELS_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
        let models_dir = match (flag, from_env) {
            (Some(p), _) => Some(ModelsDir { path: platform::normalize(p), source: ModelsDirSource::Flag }),
            (None, Some(p)) => Some(ModelsDir { path: platform::normalize(&p), source: ModelsDirSource::Env }),
            (None, None) => None,
        };
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
