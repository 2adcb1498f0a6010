//! Rows of text cells laid out two ways: a terminal table that fits a width without ever
//! splitting a word (a check ID, a flag) or a path component, and a GitHub Markdown table that is
//! never wrapped. Pure functions of their input; `report` decides what goes in the cells.

use crate::term;

/// A column's header and whether it may wrap (the others keep their longest cell on one line).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub wraps: bool,
}

/// Between two columns of the terminal table.
const GAP: &str = "  ";

/// The narrowest a wrapping column is made before the table gives way to one block per row
/// (narrower, a sentence becomes a column of two-word lines: blocks read better).
const MIN_WRAP: usize = 24;

/// The visible width of a cell's text: colour escapes do not count.
pub fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ ... final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// The pieces a line may break after: words, and a long word after each `/` (a path's
/// components stay whole).
fn pieces(word: &str, width: usize) -> Vec<String> {
    if visible_len(word) <= width || !word.contains('/') {
        return vec![word.to_string()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    for part in word.split_inclusive('/') {
        if !cur.is_empty() && visible_len(&cur) + visible_len(part) > width {
            out.push(std::mem::take(&mut cur));
        }
        cur.push_str(part);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The longest piece that cannot be broken: a word, or a path component (with its `/`).
fn longest_piece(text: &str) -> usize {
    text.split_whitespace().flat_map(|w| w.split_inclusive('/')).map(visible_len).max().unwrap_or(0)
}

/// `text` in lines of at most `width`, broken at spaces, and inside a path after a `/` only
/// when the path does not fit on a line of its own.
pub fn wrap_cell(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            for (k, piece) in pieces(word, width).into_iter().enumerate() {
                let glue = !line.is_empty() && k == 0;
                let need = visible_len(&line) + usize::from(glue) + visible_len(&piece);
                if !line.is_empty() && need > width {
                    lines.push(std::mem::take(&mut line));
                } else if glue {
                    line.push(' ');
                }
                line.push_str(&piece);
            }
        }
        lines.push(line);
    }
    lines
}

/// The column widths for `width`, or `None` when even the narrowest table does not fit.
fn widths(columns: &[Column], rows: &[Vec<String>], width: usize) -> Option<Vec<usize>> {
    let natural: Vec<usize> = (0..columns.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].lines().map(visible_len).max().unwrap_or(0))
                .chain([columns[c].header.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let gaps = GAP.len() * columns.len().saturating_sub(1);
    if natural.iter().sum::<usize>() + gaps <= width {
        return Some(natural);
    }
    let fixed: usize = columns.iter().zip(&natural).filter(|(c, _)| !c.wraps).map(|(_, w)| w).sum();
    let flex: Vec<usize> = (0..columns.len()).filter(|&c| columns[c].wraps).collect();
    let room = width.checked_sub(fixed + gaps)?;
    let floor: Vec<usize> = flex
        .iter()
        .map(|&c| {
            let piece = rows.iter().map(|r| longest_piece(&r[c])).max().unwrap_or(0);
            piece.max(columns[c].header.len()).max(MIN_WRAP.min(natural[c]))
        })
        .collect();
    if floor.iter().sum::<usize>() > room {
        return None;
    }
    // Each wrapping column gets its floor, then the rest in equal shares, a column that wants
    // less than its share giving the remainder to the others.
    let mut out = natural.clone();
    let mut spare = room - floor.iter().sum::<usize>();
    let mut want: Vec<usize> = flex.iter().zip(&floor).map(|(&c, f)| natural[c] - f).collect();
    for (i, &c) in flex.iter().enumerate() {
        out[c] = floor[i];
    }
    while spare > 0 && want.iter().any(|&w| w > 0) {
        let hungry = want.iter().filter(|&&w| w > 0).count();
        let share = (spare / hungry).max(1);
        for (i, &c) in flex.iter().enumerate() {
            let give = share.min(want[i]).min(spare);
            out[c] += give;
            want[i] -= give;
            spare -= give;
        }
    }
    Some(out)
}

/// The terminal table: a header underlined, columns two spaces apart, every line at most
/// `width` wide. Rows that wrap are set apart by a blank line. When the columns cannot fit,
/// one block per row instead: its short cells on a first line, the others indented below.
pub fn terminal_table(columns: &[Column], rows: &[Vec<String>], width: usize) -> String {
    let Some(widths) = widths(columns, rows, width) else {
        return blocks(columns, rows, width);
    };
    let cells: Vec<Vec<Vec<String>>> =
        rows.iter().map(|r| r.iter().zip(&widths).map(|(text, &w)| wrap_cell(text, w.max(1))).collect()).collect();
    let spaced = cells.iter().any(|r| r.iter().any(|c| c.len() > 1));
    let mut out = String::new();
    let line = |parts: Vec<String>, out: &mut String| {
        let mut s = String::new();
        for (i, (p, w)) in parts.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str(GAP);
            }
            s.push_str(p);
            if i + 1 < parts.len() {
                s.push_str(&" ".repeat(w.saturating_sub(visible_len(p))));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(columns.iter().map(|c| c.header.to_string()).collect(), &mut out);
    line(widths.iter().map(|w| "-".repeat(*w)).collect(), &mut out);
    for (n, row) in cells.iter().enumerate() {
        if spaced && n > 0 {
            out.push('\n');
        }
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            line(row.iter().map(|c| c.get(k).cloned().unwrap_or_default()).collect(), &mut out);
        }
    }
    out
}

/// One block per row, for a terminal too narrow for columns.
fn blocks(columns: &[Column], rows: &[Vec<String>], width: usize) -> String {
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let short: Vec<&str> = row.iter().zip(columns).filter(|(_, c)| !c.wraps).map(|(s, _)| s.as_str()).collect();
        for l in wrap_cell(&short.join(" · "), width) {
            out.push_str(&l);
            out.push('\n');
        }
        for (text, c) in row.iter().zip(columns).filter(|(_, c)| c.wraps) {
            let body = wrap_cell(&format!("{}: {text}", c.header), width.saturating_sub(4).max(1));
            for (i, l) in body.iter().enumerate() {
                out.push_str(if i == 0 { "  " } else { "    " });
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}

/// A cell of a GitHub Markdown table: `|` and `\` escaped, `<` as `&lt;` (a folder named like
/// a tag would vanish), line breaks as `<br>`.
pub fn markdown_cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace('<', "&lt;").replace("\r\n", "<br>").replace('\n', "<br>")
}

/// A GitHub Markdown table, one line per row, never wrapped; columns padded to line up.
pub fn markdown_table(columns: &[Column], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| markdown_cell(c)).collect()).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|c| rows.iter().map(|r| visible_len(&r[c])).chain([columns[c].header.len(), 3]).max().unwrap_or(3))
        .collect();
    let mut out = String::new();
    let line = |cells: Vec<String>, out: &mut String| {
        out.push('|');
        for (c, w) in cells.iter().zip(&widths) {
            out.push(' ');
            out.push_str(c);
            out.push_str(&" ".repeat(w.saturating_sub(visible_len(c))));
            out.push_str(" |");
        }
        out.push('\n');
    };
    line(columns.iter().map(|c| c.header.to_string()).collect(), &mut out);
    out.push('|');
    for w in &widths {
        out.push_str(&"-".repeat(w + 2));
        out.push('|');
    }
    out.push('\n');
    for r in rows {
        line(r, &mut out);
    }
    out
}

/// Prose lines (the lines around a table) at most `width` wide, words whole.
pub fn prose(text: &str, width: usize) -> String {
    term::wrap(text, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Column; 3] = [
        Column { header: "Check", wraps: false },
        Column { header: "Problem", wraps: true },
        Column { header: "Fix", wraps: true },
    ];

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec![
                "link-wrong-target".into(),
                "models links to ~/demo/old-models/a/rather/deep/folder/somewhere, not to the global models folder"
                    .into(),
                "merge what it holds into the global folder, then re-point the link".into(),
            ],
            vec!["legacy-yaml".into(), "a | pipe".into(), "-".into()],
        ]
    }

    #[test]
    fn every_line_fits_and_ids_and_path_components_stay_whole() {
        for width in [20, 30, 40, 50, 60, 80, 120, 200] {
            let t = terminal_table(&COLS, &rows(), width);
            for l in t.lines() {
                assert!(visible_len(l) <= width, "width {width}: {l:?}\n{t}");
            }
            assert!(t.contains("link-wrong-target"), "{t}");
            for part in ["old-models/", "rather/", "somewhere,"] {
                assert!(t.contains(part), "width {width}: {part} split\n{t}");
            }
        }
    }

    #[test]
    fn a_wide_table_is_one_line_per_row() {
        let t = terminal_table(&COLS, &rows(), 300);
        assert_eq!(t.lines().count(), 4, "{t}");
    }

    #[test]
    fn markdown_rows_have_the_same_number_of_unescaped_pipes() {
        let t = markdown_table(&COLS, &rows());
        let pipes = |l: &str| {
            let b = l.as_bytes();
            (0..b.len()).filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\')).count()
        };
        let counts: Vec<usize> = t.lines().map(pipes).collect();
        assert!(counts.iter().all(|&c| c == 4), "{t}");
        assert!(t.contains("a \\| pipe"), "{t}");
        assert_eq!(markdown_cell("a\nb"), "a<br>b");
        assert_eq!(markdown_cell("<ws>\\x"), "&lt;ws>\\\\x");
    }

    #[test]
    fn wrap_cell_breaks_a_path_only_after_a_slash() {
        assert_eq!(wrap_cell("see /aaa/bbb/ccc/ddd now", 9), ["see", "/aaa/bbb/", "ccc/ddd", "now"]);
        assert_eq!(wrap_cell("one two three", 7), ["one two", "three"]);
    }
}
