//! Shell completion that knows the domain: check IDs (for `explain` and `--check`) as the values
//! the CLI declares, so static scripts list them too, and run IDs for `undo --run`, which only
//! the dynamic engine can offer (`COMPLETE=<shell> comfydoctor`, or `completions --dynamic`):
//! the shell asks the binary at each TAB, and the binary reads the journals as `undo --list` does.

use std::ffi::{OsStr, OsString};

use clap::builder::{PossibleValue, StringValueParser, StyledStr, TypedValueParser};
use clap::{CommandFactory, Parser};
use clap_complete::engine::CompletionCandidate;

use crate::check_id::CheckId;
use crate::cli::{Cli, Command};
use crate::config::UndoSettings;

/// The variable that turns a run of the binary into a completion request (clap's default name).
pub const COMPLETE_VAR: &str = "COMPLETE";

/// Answers a completion request and exits when [`COMPLETE_VAR`] asks for one; returns otherwise.
/// Called first thing in `main`, before anything is printed.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command).var(COMPLETE_VAR).complete();
}

/// A check ID as typed: any string (it is resolved, with a "did you mean", in `config`), with
/// every ID declared as a possible value so completion scripts and `--help` list them.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckIdValues;

impl TypedValueParser for CheckIdValues {
    type Value = String;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            CheckId::ALL.into_iter().map(|id| PossibleValue::new(id.as_str()).help(crate::checks::check(id).summary)),
        ))
    }
}

/// The dynamic completer of `undo --run`: the runs that can be undone, newest first, from the
/// journals `undo` would use for the PATHs already on the command line (or the default places).
pub fn run_ids(current: &OsStr) -> Vec<CompletionCandidate> {
    let line: Vec<OsString> = std::env::args_os().skip_while(|a| a != "--").skip(1).collect();
    run_ids_for(&undo_words(&line), current)
}

/// The runs offered for `current` when the command line holds `undo <words>`.
pub fn run_ids_for(words: &[OsString], current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let settings = undo_settings(words).or_else(|| undo_settings(&[]));
    let Some(settings) = settings else { return Vec::new() };
    let Ok(dirs) = crate::commands::undo::journal_dirs(&settings) else { return Vec::new() };
    let mut runs: Vec<_> = dirs
        .iter()
        .filter_map(|d| crate::execute::list_runs(d).ok())
        .flatten()
        .filter(|r| r.state.undoable())
        .collect();
    runs.sort_by(|a, b| b.started_at.cmp(&a.started_at));
    runs.into_iter()
        .filter(|r| r.run_id.starts_with(current.as_ref()))
        .enumerate()
        .map(|(i, r)| {
            let installs: Vec<String> = r.installs.iter().map(|p| crate::workspace::display_path(p)).collect();
            let help = format!("{}, {}, {}", r.started_at, r.state, installs.join(", "));
            CompletionCandidate::new(r.run_id).help(Some(StyledStr::from(help))).display_order(Some(i))
        })
        .collect()
}

/// `undo`'s settings for these words, parsed as `comfydoctor undo <words> --list`; `None` when
/// they do not parse (a half-typed flag).
fn undo_settings(words: &[OsString]) -> Option<UndoSettings> {
    let argv = [OsString::from("comfydoctor"), OsString::from("undo")]
        .into_iter()
        .chain(words.iter().cloned())
        .chain([OsString::from("--list")]);
    match Cli::try_parse_from(argv).ok()?.command {
        Command::Undo(args) => UndoSettings::from_args(&args).ok(),
        _ => None,
    }
}

/// The words after `undo` on a completion line, without the word being completed and without
/// `--run` (and its value), `--list` and `--with-newer`: what locates the journals.
fn undo_words(line: &[OsString]) -> Vec<OsString> {
    let Some(at) = line.iter().position(|a| a == "undo") else { return Vec::new() };
    let mut words = line[at + 1..].to_vec();
    words.pop();
    let mut kept = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let s = w.to_string_lossy();
        if s == "--run" {
            it.next();
        } else if !(s.starts_with("--run=") || s == "--list" || s == "--with-newer") {
            kept.push(w);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn undo_words_keep_what_locates_the_journals() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["comfydoctor", "undo", "--run", ""], &[]),
            (&["comfydoctor", "undo", "/ws", "--run", "2026"], &["/ws"]),
            (
                &["comfydoctor", "--color", "never", "undo", "--max-depth", "2", "a", "b", "--run="],
                &["--max-depth", "2", "a", "b"],
            ),
            (&["comfydoctor", "undo", "--run", "x", "--with-newer", "/ws", "--list", "--run"], &["/ws"]),
            (&["comfydoctor", "scan", "/ws"], &[]),
        ];
        for (line, want) in cases {
            assert_eq!(undo_words(&os(line)), os(want), "{line:?}");
        }
    }

    #[test]
    fn every_check_id_is_a_possible_value() {
        let names: Vec<String> = CheckIdValues.possible_values().unwrap().map(|v| v.get_name().to_string()).collect();
        assert_eq!(names, CheckId::ALL.map(|id| id.as_str().to_string()));
    }
}
