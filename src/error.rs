//! The error a command returns: one variant per layer that can fail, each of which knows its
//! [`ErrorKind`]. It sits at the top, above the layers it wraps, so no layer below reaches
//! another through it.

use crate::config::SettingsError;
use crate::execute::ExecError;
use crate::exit_codes::ErrorKind;
use crate::workspace::DiscoveryError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] SettingsError),

    #[error(transparent)]
    Discovery(#[from] DiscoveryError),

    #[error(transparent)]
    Exec(#[from] ExecError),

    /// A request that names something the journal does not hold (a run ID, a run to undo).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Settings(e) => e.kind(),
            Error::Discovery(e) => e.kind(),
            Error::Exec(e) => e.kind(),
            Error::Usage(_) => ErrorKind::Usage,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
