//! The exit codes scripts may rely on (README, `--help`), and the kinds of error that lead to
//! them. Library errors say which kind they are; `main` maps the kind to the code, so the
//! contract lives in this one file.

/// What the process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Nothing left to report: no error or warning finding.
    Healthy = 0,
    /// Findings of severity warning or error remain (or the user declined a fix).
    Findings = 1,
    /// Usage or configuration error, or a fix step that failed; the reason is on stderr.
    Failure = 2,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The worse of two outcomes (a failure outweighs findings, findings outweigh health).
    pub fn max(self, other: ExitCode) -> ExitCode {
        if other.code() > self.code() { other } else { self }
    }
}

/// Exit code when stdout or stderr was closed before the command finished (a pager or `head`
/// quit early): the command stops at that write, quietly, as a program ended by SIGPIPE does
/// (128 + 13, what a shell reports for one).
pub const CLOSED_OUTPUT: i32 = 141;

/// Why a command could not do its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line asks for something that does not exist (a check, a run, a PATH).
    Usage,
    /// A file the tool reads says something it cannot use (`workspace.json`), or no install.
    Config,
    /// A change could not be made or recorded (a step, the journal, the lock).
    Failure,
}

impl From<ErrorKind> for ExitCode {
    fn from(kind: ErrorKind) -> ExitCode {
        match kind {
            ErrorKind::Usage | ErrorKind::Config | ErrorKind::Failure => ExitCode::Failure,
        }
    }
}
