//! The three renderings of one report, on the demo workspace: `--format table` laid out to the
//! width (the terminal's, `COLUMNS` when it reports 0×0 or there is none, else 80) without
//! splitting a check ID or a path component, `--format markdown` (the default through a pipe)
//! a valid GitHub table never wrapped, and `--format json`. Snapshots at 60, 80 and 200 columns
//! and with no size at all.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// The demo workspace copied to `<tmp>/demo`, HOME at `<tmp>` (as in `interaction`).
pub(crate) struct Demo {
    _home: crate::support::TempDir,
    pub(crate) base: PathBuf,
}

impl Demo {
    pub(crate) fn new() -> Demo {
        let home = tempdir();
        let base = home.path().canonicalize().unwrap();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-workspace");
        assert!(Command::new("cp").arg("-a").arg(&demo).arg(base.join("demo")).status().unwrap().success());
        Demo { _home: home, base }
    }

    /// `comfydoctor ARGS` through a pipe, with `COLUMNS` set when given.
    pub(crate) fn run(&self, args: &[&str], columns: Option<usize>) -> Out {
        let mut cmd = bin();
        cmd.home(&self.base).current_dir(&self.base).args(args);
        if let Some(c) = columns {
            cmd.env("COLUMNS", c.to_string());
        }
        run_cmd(cmd)
    }

    fn normalise(&self, text: &str) -> String {
        text.replace(self.base.to_str().unwrap(), "[TMP]")
    }
}

/// `|` not preceded by a backslash.
fn unescaped_pipes(line: &str) -> usize {
    let b = line.as_bytes();
    (0..b.len()).filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\')).count()
}

const IDS: &[&str] =
    &["global-layout", "link-missing", "link-broken", "link-wrong-target", "placeholder-only", "models-dir-real"];

#[test]
fn the_table_at_60_80_200_columns_and_with_no_size() {
    let demo = Demo::new();
    for (name, columns) in [("60", Some(60)), ("80", Some(80)), ("200", Some(200)), ("no_size", None)] {
        let out = demo.run(&["scan", "--format", "table", "demo"], columns);
        out.expect(1, "scan");
        let width = columns.unwrap_or(80);
        for line in out.stdout.lines() {
            assert!(line.chars().count() <= width, "{name}: {} > {width}: {line:?}\n{}", line.len(), out.stdout);
        }
        // Whole words: every ID the user may type into `explain` is on one line.
        for id in IDS {
            assert!(out.stdout.lines().any(|l| l.split_whitespace().any(|w| w == *id)), "{name}: {id}\n{}", out.stdout);
        }
        assert!(out.stdout.starts_with("Global models folder: ~/demo/models\n\n"), "{name}:\n{}", out.stdout);
        assert!(out.stdout.contains("[✗] bare: 1 error\n"), "{name}: verdicts kept\n{}", out.stdout);
        insta::assert_snapshot!(format!("table_{name}"), demo.normalise(&out.stdout));
    }
}

#[test]
fn every_line_of_the_table_fits_every_width() {
    let demo = Demo::new();
    for width in [30, 40, 50, 60, 70, 80, 100, 120, 160, 200, 300] {
        let out = demo.run(&["scan", "--format", "table", "demo"], Some(width));
        for line in out.stdout.lines() {
            assert!(line.chars().count() <= width, "width {width}: {line:?}\n{}", out.stdout);
        }
        for id in IDS {
            assert!(out.stdout.split_whitespace().any(|w| w == *id), "width {width}: {id} split\n{}", out.stdout);
        }
        // A path is broken only after a `/`: its components stay whole.
        for part in ["old-models", "models-moved-away,", "extra_model_paths.yaml:"] {
            assert!(out.stdout.contains(part), "width {width}: {part} split\n{}", out.stdout);
        }
    }
}

#[test]
fn markdown_is_a_valid_table_never_wrapped_and_the_piped_default() {
    let demo = Demo::new();
    let md = demo.run(&["scan", "--format", "markdown", "demo"], Some(60));
    md.expect(1, "markdown");
    for columns in [Some(80), Some(200), None] {
        assert_eq!(demo.run(&["scan", "--format", "markdown", "demo"], columns).stdout, md.stdout, "{columns:?}");
    }
    assert_eq!(demo.run(&["scan", "demo"], Some(60)).stdout, md.stdout, "markdown is the default through a pipe");
    let rows: Vec<&str> = md.stdout.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 2 + 7, "header, separator, 7 findings:\n{}", md.stdout);
    assert!(rows.iter().all(|r| unescaped_pipes(r) == 6 && r.ends_with('|')), "{}", md.stdout);
    assert!(rows[1].trim_matches('|').split('|').all(|c| c.len() >= 3 && c.chars().all(|ch| ch == '-')), "{}", rows[1]);
    // Whole paths and messages, one row per finding (no wrapped continuation rows).
    assert!(md.stdout.contains("~/demo/environments/bare/ComfyUI/models does not exist"), "{}", md.stdout);
    assert!(!md.stdout.contains('\x1b'), "no colour in markdown");
    insta::assert_snapshot!("markdown", demo.normalise(&md.stdout));
}

#[test]
fn a_pipe_in_a_cell_is_escaped() {
    let ws = Ws::new();
    let env = ws.env("a|b");
    write(env.join("models/checkpoints/x.safetensors"), bytes(1));
    let out = run(&ws, "scan", &["--format", "markdown"]);
    let rows: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 3, "{}", out.stdout);
    assert!(rows.iter().all(|r| unescaped_pipes(r) == 6), "{}", out.stdout);
    assert!(out.stdout.contains("a\\|b"), "{}", out.stdout);
}

#[test]
fn json_is_the_same_at_every_width_and_quiet_keeps_it() {
    let demo = Demo::new();
    let json = demo.run(&["scan", "--format", "json", "demo"], Some(60));
    for columns in [Some(80), Some(200), None] {
        assert_eq!(demo.run(&["scan", "--format", "json", "demo"], columns).stdout, json.stdout);
    }
    insta::assert_snapshot!("json", demo.normalise(&json.stdout));
    let quiet = demo.run(&["scan", "--quiet", "--format", "json", "demo"], None);
    assert!(quiet.stdout.trim_start().starts_with('{'), "{}", quiet.stdout);
}

#[test]
fn fix_prints_its_report_in_the_format_asked() {
    let demo = Demo::new();
    let out = demo.run(&["fix", "--yes", "--format", "table", "demo"], Some(60));
    out.expect(0, "fix");
    let report = &out.stdout[out.stdout.find("Global models folder").expect("the report")..];
    for line in report.lines() {
        assert!(line.chars().count() <= 60, "{line:?}\n{report}");
    }
}

/// A pseudo-terminal that reports its size as 0×0 (as `docker exec -t` does): the table, laid
/// out to `COLUMNS`, not a collapse into one-character columns.
#[test]
fn a_terminal_of_size_zero_uses_columns() {
    let demo = Demo::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_comfydoctor"));
    cmd.args(["scan", "demo"]).home(&demo.base).env("NO_COLOR", "1").env("TERM", "xterm");
    cmd.env("COLUMNS", "60").current_dir(&demo.base);
    for var in ENV_CLEARED.iter().filter(|v| **v != "COLUMNS") {
        cmd.env_remove(var);
    }
    let opts = rexpect::reader::Options::new().timeout_ms(Some(30_000));
    let mut p = rexpect::session::spawn_with_options(cmd, opts).expect("spawn in a pty");
    let text = p.exp_eof().expect("the process ends").replace('\r', "");
    assert!(text.contains("link-wrong-target") && !text.contains("| Install"), "a table, not markdown:\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() < 120, "{} lines:\n{text}", lines.len());
    for line in lines {
        // rexpect reads bytes as characters: count the ASCII ones (`→` is one column).
        assert!(line.chars().filter(char::is_ascii).count() <= 60, "{line:?}\n{text}");
    }
}
