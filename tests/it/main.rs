//! The integration tests, one binary (it links once and runs every test in parallel).
//!
//! - `checks::<id>`: one module per check ID (in snake_case), holding that check's scan, fix and
//!   undo tests, so `cargo test <id>` (e.g. `cargo test link_missing`) runs them;
//! - the modules beside it cover what is about no single check: finding installs (`discovery`),
//!   `scan` and `fix` across checks, `undo`, interrupted runs, the other subcommands (`cli`), the
//!   executor's library API, the `extra_model_paths.yaml` corpus, and the test helpers (`harness`);
//! - `support`: the helpers all of them share.

mod backups;
mod case_insensitive;
mod checks;
mod cli;
mod closed_output;
mod completions;
mod detach;
mod discovery;
mod executor;
mod fast_paths;
mod fix;
mod formats;
mod guard;
mod half_migrated;
mod harness;
mod help;
mod interaction;
mod interrupt;
mod launch_scripts;
mod links;
mod man;
mod preflight;
mod printed_hints;
// Generated workspaces need symlinks, hard links, modes and byte names: Unix only.
#[cfg(unix)]
mod properties;
#[cfg(unix)]
mod pty;
mod reliability;
mod scan;
mod schema;
mod support;
mod transfer;
mod undo;
mod yaml_corpus;
