//! The examples sections of `--help` (and of the man pages, which show the same text), one per
//! command, each followed by the exit codes where the command has findings to report. `-h`
//! stays short: it shows only the exit codes.

use clap::builder::styling::{Style, Styles};

/// The exit codes, under every command's `-h` and `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  nothing to report: no error or warning finding
  1  findings of severity warning or error remain (or a fix was declined / needs --yes)
  2  usage or configuration error (bad PATH, no install found, unreadable workspace.json,
     another run holding the lock), or an install fix refused or rolled back (nothing changed
     for it); the reason is printed on stderr
  130  fix or undo stopped by Ctrl-C; stderr says how to finish or roll back
  141  the output was closed early (a pager or head quit): stopped there, quietly";

pub const MAIN: &str = "  comfydoctor scan                        the installs in the default places
  comfydoctor scan ~/comfydock            a workspace, an install or a folder
  comfydoctor fix --dry-run ~/comfydock   print the plan, change nothing
  comfydoctor fix ~/ComfyUI --models-dir ~/models
  comfydoctor fix --yes --quiet ~/ComfyUI   for launch scripts (examples/)
  comfydoctor undo --list                 the recorded runs, newest first
  comfydoctor explain link-missing        what a check means, what its fix does
  source <(comfydoctor completions bash)  completions for bash";

pub const SCAN: &str = "  comfydoctor scan                        $COMFYDOCK_HOME, ., ~/comfydock...
  comfydoctor scan ~/comfydock --format json
  comfydoctor scan ~/ComfyUI --models-dir ~/models --check link-missing
  comfydoctor scan -q ~/comfydock || comfydoctor fix ~/comfydock";

pub const FIX: &str = "  comfydoctor fix --dry-run ~/comfydock   print the plan, change nothing
  comfydoctor fix ~/comfydock             show each install's plan and ask
  comfydoctor fix --yes --strategy backup ~/ComfyUI --models-dir ~/models
  comfydoctor fix --yes --quiet ~/ComfyUI   before ComfyUI starts (examples/)";

pub const UNDO: &str = "  comfydoctor undo --list ~/comfydock     the recorded runs, newest first
  comfydoctor undo ~/comfydock            reverse the newest run not yet undone
  comfydoctor undo --dry-run ~/comfydock  the steps it would reverse, no change
  comfydoctor undo --yes ~/comfydock      in scripts: reverse without asking
  comfydoctor undo --run 20261203-140502-118-4242 --with-newer ~/comfydock";

pub const DETACH: &str = "  comfydoctor detach --dry-run ~/comfydock/environments/test
  comfydoctor detach --copy checkpoints/sd15.safetensors ~/comfydock/envs/a
  comfydoctor fix --attach ~/comfydock/environments/test  link it again";

pub const BACKUPS: &str = "  comfydoctor backups ~/comfydock         what the backup folders hold, per file
  comfydoctor backups --prune ~/comfydock  delete proved duplicates (no undo)";

pub const EXPLAIN: &str = "  comfydoctor explain link-missing
  comfydoctor checks                      every ID, one line each";

pub const COMPLETIONS: &str = "  source <(comfydoctor completions bash)            commands, flags, check IDs
  source <(comfydoctor completions bash --dynamic)  also run IDs (undo --run)
  comfydoctor completions zsh > ~/.zfunc/_comfydoctor
  comfydoctor completions fish > ~/.config/fish/completions/comfydoctor.fish
  comfydoctor completions powershell --dynamic >> $PROFILE";

fn heading(text: &str) -> String {
    let style: Style = *Styles::default().get_header();
    format!("{style}{text}{style:#}")
}

/// The long help's tail: `examples`, then the exit codes when `exit_codes`.
pub fn after_long_help(examples: &str, exit_codes: bool) -> String {
    let mut out = format!("{}\n{examples}", heading("Examples:"));
    if exit_codes {
        let (title, rest) = EXIT_CODES_HELP.split_once('\n').unwrap_or((EXIT_CODES_HELP, ""));
        out.push_str(&format!("\n\n{}\n{rest}", heading(title)));
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    /// Every example is a command line the CLI accepts as written.
    #[test]
    fn every_example_parses() {
        let mut seen = 0;
        for text in [MAIN, SCAN, FIX, UNDO, DETACH, BACKUPS, EXPLAIN, COMPLETIONS] {
            for line in text.lines() {
                let command = line.trim().split("  ").next().unwrap();
                let command = command.strip_prefix("source <(").map(|c| c.trim_end_matches(')')).unwrap_or(command);
                let words: Vec<&str> =
                    command.split_whitespace().take_while(|w| !matches!(*w, "||" | ">" | ">>" | "|")).collect();
                assert_eq!(words[0], "comfydoctor", "{line}");
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("example does not parse: {line}\n{e}");
                }
                seen += 1;
            }
        }
        assert!(seen >= 20, "{seen} examples");
    }

    /// The examples read at 80 columns (clap does not wrap them, nor does the man page).
    #[test]
    fn every_example_fits_80_columns() {
        for text in [MAIN, SCAN, FIX, UNDO, EXPLAIN, COMPLETIONS] {
            for line in text.lines() {
                assert!(line.chars().count() <= 80, "{} wide: {line}", line.chars().count());
            }
        }
    }

    #[test]
    fn the_long_help_has_examples_then_exit_codes() {
        let text = after_long_help(SCAN, true);
        let examples = text.find("Examples:").unwrap();
        let codes = text.find("Exit codes:").unwrap();
        assert!(examples < codes, "{text}");
        assert!(!after_long_help(UNDO, false).contains("Exit codes"));
    }
}
