//! comfydoctor: find ComfyUI installs, check how their `models/` is wired, and migrate each to a
//! link to one global models folder without losing a byte.
//!
//! Layers, each using only those below it:
//! `main` → `config` (flags → settings), `error` (one variant per failing layer) →
//! `commands`, `progress` → `pipeline` → `fixes`, `report` → `checks` → `inspect`, `workspace`,
//! `execute` → `legacy_yaml`, `git`, `platform`, `plan`, `stock`, `digest`, `check_id`,
//! `exit_codes`.
//! The run journal and the run lock live inside `execute` (`execute::journal`, `execute::lock`):
//! they write files too. The executor reports copy progress through `execute::Progress`; the
//! CLI's `progress` draws it.
//! `cli` declares the flags with `help` (the examples) and `completion` (check IDs as values,
//! the run-ID completer, which reads journals as `undo` does); `term` is the terminal's width.
//! Inspection reads the disk once into plain data; checks are pure; the plan is data; only
//! `execute` (through `platform`) writes.

pub mod backups;
pub mod check_id;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod completion;
pub mod config;
pub mod ctrl_c;
pub mod detach;
pub mod digest;
pub mod error;
pub mod execute;
pub mod exit_codes;
pub mod fixes;
pub mod git;
pub mod git_index;
pub mod help;
pub mod inspect;
pub mod legacy_yaml;
pub mod link_style;
pub mod listing;
pub mod output;
pub mod path_serde;
pub mod pipeline;
pub mod plan;
pub mod platform;
pub mod progress;
pub mod prompt;
pub mod protection;
pub mod render;
pub mod report;
pub mod sizes;
pub mod state;
pub mod stock;
pub mod term;
pub mod wording;
pub mod workspace;
