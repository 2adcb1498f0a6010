//! The terminal's width, and prose wrapped to it (`explain`). Pure functions first, then the one
//! that asks the terminal.

use std::io::IsTerminal;

/// The widest prose is wrapped to on a wide terminal: longer lines are hard to read (clap's help
/// stops at the same width).
pub const MAX_PROSE_WIDTH: usize = 100;

/// Used when neither the terminal nor `COLUMNS` says anything.
pub const FALLBACK_WIDTH: usize = 80;

/// The width to lay text out for: the terminal's own size when stdout is one and it reports a
/// size (some ptys, `docker exec -t` among them, report 0×0), else `COLUMNS` when it is a
/// positive number, else [`FALLBACK_WIDTH`].
pub fn width_from(terminal: Option<usize>, columns: Option<&str>) -> usize {
    terminal
        .filter(|w| *w > 0)
        .or_else(|| columns.and_then(|c| c.trim().parse::<usize>().ok()).filter(|w| *w > 0))
        .unwrap_or(FALLBACK_WIDTH)
}

/// [`width_from`] for this process's stdout and environment.
pub fn stdout_width() -> usize {
    let stdout = std::io::stdout();
    let terminal = if stdout.is_terminal() {
        terminal_size::terminal_size_of(&stdout).map(|(terminal_size::Width(w), _)| usize::from(w))
    } else {
        None
    };
    width_from(terminal, std::env::var("COLUMNS").ok().as_deref())
}

/// `text` with every line longer than `width` broken at spaces. Words are never split (a check
/// ID, a path or a flag that is longer than the width stays whole on its own line); a line's
/// leading indentation is kept on its continuation lines; blank lines and line breaks already
/// in the text stay.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width.max(1));
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = &line[..line.len() - line.trim_start_matches(' ').len()];
        let mut col = 0;
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            let len = word.chars().count();
            if col == 0 {
                out.push_str(indent);
                col = indent.len();
            } else if col + 1 + len > width {
                out.push('\n');
                out.push_str(indent);
                col = indent.len();
            } else {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_prefers_the_terminal_then_columns_then_80() {
        let cases: &[(Option<usize>, Option<&str>, usize)] = &[
            (Some(120), Some("60"), 120),
            (Some(0), Some("60"), 60),
            (None, Some("60"), 60),
            (Some(0), None, 80),
            (None, None, 80),
            (None, Some("0"), 80),
            (None, Some("wide"), 80),
            (None, Some(" 72 "), 72),
            (Some(0), Some(""), 80),
        ];
        for &(terminal, columns, want) in cases {
            assert_eq!(width_from(terminal, columns), want, "{terminal:?} {columns:?}");
        }
    }

    #[test]
    fn wrap_fits_the_width_and_keeps_every_word_whole() {
        let text = "Fix: create models as a link to the global models folder (link-wrong-target, \
                    /a/very/long/path/that/does/not/fit/anywhere/at/all) and more words here.\n\n  \
                    indented line that goes on for a while";
        for width in [1, 10, 20, 40, 60, 80, 200] {
            let wrapped = wrap(text, width);
            let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
            assert_eq!(words(&wrapped), words(text), "width {width}: words changed");
            for line in wrapped.lines() {
                let single_word = line.trim().split(' ').count() == 1;
                assert!(line.chars().count() <= width || single_word, "width {width}: {line:?}");
            }
            assert!(wrapped.contains("\n\n"), "paragraph break kept at {width}");
            assert!(
                wrapped.lines().skip_while(|l| !l.contains("indented")).all(|l| l.starts_with("  ")),
                "indent kept at {width}:\n{wrapped}"
            );
        }
        assert_eq!(wrap("short line", 80), "short line");
        assert_eq!(wrap("a b c", 3), "a b\nc");
    }
}
