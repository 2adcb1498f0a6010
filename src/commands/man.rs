//! `comfydoctor man [DIR]` (hidden): man pages from the clap definition. With DIR:
//! `comfydoctor.1` and one page per subcommand (`comfydoctor-scan.1`, ...) are written there;
//! without: the main page on stdout (`comfydoctor man | man -l -`).
//!
//! clap_mangen renders every section but the text after the options, which it would fill as
//! prose: the examples and exit codes of `--help` become EXAMPLES and EXIT STATUS sections
//! here, laid out as written.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::exit_codes::ExitCode;

pub fn run(dir: Option<&Path>) -> Result<ExitCode> {
    match dir {
        Some(dir) => {
            for page in write_all(dir)? {
                println!("{}", page.display());
            }
        }
        None => {
            let mut out = Vec::new();
            render(&built(), &mut out)
                .and_then(|()| io::stdout().write_all(&out))
                .map_err(|e| Error::Usage(format!("cannot write the man page: {e}")))?;
        }
    }
    Ok(ExitCode::Healthy)
}

fn built() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Writes every page into `dir` (created if missing); the paths written, main page first.
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>> {
    let fail = |e: io::Error| Error::Usage(format!("cannot write man pages into {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let main = built();
    let mut pages = Vec::new();
    for cmd in std::iter::once(&main).chain(main.get_subcommands().filter(|s| !s.is_hide_set())) {
        let path = dir.join(Man::new(cmd.clone()).get_filename());
        let mut out = Vec::new();
        render(cmd, &mut out).and_then(|()| std::fs::write(&path, &out)).map_err(fail)?;
        pages.push(path);
    }
    Ok(pages)
}

/// One page: clap_mangen's sections, then the examples and exit codes.
fn render(cmd: &clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let man = Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    let after = cmd.get_after_long_help().or_else(|| cmd.get_after_help()).map(|s| s.to_string());
    if let Some(after) = after {
        extra_sections(&after, out)?;
    }
    if cmd.get_version().is_some() || cmd.get_long_version().is_some() {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// The "Title:" blocks of the text after the options as sections of their own, unfilled.
fn extra_sections(text: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut roff = Roff::default();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let (title, body) = block.split_once('\n').unwrap_or((block, ""));
        let title = match title.trim_end_matches(':') {
            "Exit codes" => "EXIT STATUS".to_string(),
            other => other.to_uppercase(),
        };
        roff.control("SH", [title.as_str()]);
        roff.control("nf", [] as [&str; 0]);
        for line in body.lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", [] as [&str; 0]);
    }
    roff.to_writer(out)
}
