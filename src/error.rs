//! Typed errors of the library. Each knows its exit code, so `main` only prints and exits.

use std::path::PathBuf;

use crate::exit_codes;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{path}: no such file or folder (check the spelling, or run `comfydoctor scan` with no PATH to use the default workspace)"
    )]
    PathNotFound { path: PathBuf },

    #[error(
        "{path}: not a folder; pass a ComfyDock workspace, an environment, a ComfyUI folder, or a folder to search"
    )]
    PathNotDir { path: PathBuf },

    #[error("no ComfyUI install found; looked in: {looked}. Pass the folder that holds it: `comfydoctor scan PATH`")]
    NoInstalls { looked: String },

    #[error(
        "{path}: cannot read the workspace file: {reason}. Repair or move the file, or pass `--models-dir DIR` and the install folder"
    )]
    WorkspaceJson { path: PathBuf, reason: String },

    #[error("unknown check `{id}`; `comfydoctor checks` lists them")]
    UnknownCheck { id: String },

    #[error("{0}")]
    Usage(String),

    #[error(transparent)]
    Exec(#[from] crate::execute::ExecError),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::PathNotFound { .. }
            | Error::PathNotDir { .. }
            | Error::NoInstalls { .. }
            | Error::WorkspaceJson { .. }
            | Error::UnknownCheck { .. }
            | Error::Usage(_)
            | Error::Exec(_) => exit_codes::USAGE_OR_FAILURE,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
