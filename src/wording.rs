//! Words for counts: `1 file`, `2 files`, never `file(s)`. At the bottom of the layers so checks,
//! plans and reports all say it the same way.

/// `n` and the noun in the number it takes: `count(1, "file", "files")` is `1 file`.
pub fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, one: &str, many: &str) -> String {
    let word = if n == N::from(1) { one } else { many };
    format!("{n} {word}")
}

/// The noun alone, for `N of M entries`: `noun(1, "entry", "entries")` is `entry`.
pub fn noun<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Quotes one word for the user's shell so a printed command runs as printed: as is when it
/// needs no quoting, `'…'` for a POSIX shell, `"…"` for cmd.exe / PowerShell.
pub fn shell_word(word: &str) -> String {
    if cfg!(windows) {
        if word.is_empty() || word.contains([' ', '\t', '&', '(', ')', '^', '|', '<', '>', '%', '!', ',', ';', '=']) {
            format!("\"{word}\"")
        } else {
            word.to_string()
        }
    } else {
        shell_words::quote(word).into_owned()
    }
}

/// The first eight items, comma-separated, then `(+N more)`: a list in a note stays readable.
pub fn short_list(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut s = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" (+{} more)", items.len() - SHOWN));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_right_number() {
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
        assert_eq!(noun(1, "entry", "entries"), "entry");
    }

    /// The string literals of Rust source `src` (their text between the quotes, escapes kept),
    /// with the line each starts on; comments, char literals and lifetimes skipped.
    fn literals(src: &str) -> Vec<(usize, String)> {
        let c: Vec<char> = src.chars().collect();
        let (mut i, mut line, mut out) = (0, 1, Vec::new());
        while i < c.len() {
            let at = |k: usize| c.get(k).copied().unwrap_or('\0');
            match c[i] {
                '\n' => line += 1,
                '/' if at(i + 1) == '/' => {
                    while i < c.len() && c[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                '/' if at(i + 1) == '*' => {
                    while i < c.len() && !(c[i] == '*' && at(i + 1) == '/') {
                        line += usize::from(c[i] == '\n');
                        i += 1;
                    }
                    i += 2;
                    continue;
                }
                '\'' if at(i + 1) == '\\' => {
                    i += 2;
                    while i < c.len() && c[i] != '\'' {
                        i += 1;
                    }
                }
                '\'' if at(i + 2) == '\'' => i += 2,
                'r' if !at(i.wrapping_sub(1)).is_alphanumeric() && matches!(at(i + 1), '"' | '#') => {
                    let mut j = i + 1;
                    while at(j) == '#' {
                        j += 1;
                    }
                    if at(j) == '"' {
                        let hashes = j - i - 1;
                        let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                        let rest: String = c[j + 1..].iter().collect();
                        let end = rest.find(&close).unwrap_or(rest.len());
                        let text = &rest[..end];
                        out.push((line, text.to_string()));
                        line += text.matches('\n').count();
                        i = j + 1 + text.chars().count() + close.chars().count();
                        continue;
                    }
                }
                '"' => {
                    let (start, mut text) = (line, String::new());
                    i += 1;
                    while i < c.len() && c[i] != '"' {
                        if c[i] == '\\' {
                            text.push(c[i]);
                            i += 1;
                        }
                        line += usize::from(c[i] == '\n');
                        text.push(c[i]);
                        i += 1;
                    }
                    out.push((start, text));
                }
                _ => {}
            }
            i += 1;
        }
        out
    }

    /// `file(s)`, `entr(ies)`, `match(es)`: a word with its plural ending in parentheses.
    fn pseudo_plural(text: &str) -> bool {
        let c: Vec<char> = text.chars().collect();
        ["s", "es", "ies"].iter().any(|end| {
            let pat: Vec<char> = format!("({end})").chars().collect();
            c.windows(pat.len()).enumerate().any(|(i, w)| w == pat.as_slice() && i > 0 && c[i - 1].is_alphabetic())
        })
    }

    #[test]
    fn the_literal_scanner_finds_pseudo_plurals_only_in_strings() {
        // Brackets for parentheses, so this test's own source has no pseudo-plural.
        let p = |s: &str| s.replace('[', "(").replace(']', ")");
        let src = p(
            "let x = Some[s]; // a file[s] comment\nlet c = '\"'; f::<'a>[\"2 entr[ies]\", r#\"one \"match[es]\"\"#, \"ok [s] \\\"q\\\" path[s]\"];",
        );
        let found: Vec<(usize, String)> = literals(&src).into_iter().filter(|(_, t)| pseudo_plural(t)).collect();
        let texts: Vec<String> = found.iter().map(|(_, t)| t.clone()).collect();
        assert_eq!(texts, [p("2 entr[ies]"), p("one \"match[es]\""), p("ok [s] \\\"q\\\" path[s]")], "{found:?}");
        assert!(found.iter().all(|(l, _)| *l == 2));
    }

    /// Every word for a count is a real plural (`count`/`noun`), never `file(s)`: no string
    /// literal anywhere in the program's source has one.
    #[test]
    fn no_string_in_the_source_has_a_pseudo_plural() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut bad = Vec::new();
        let mut files = 0;
        for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(|e| e.ok()) {
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let src = std::fs::read_to_string(entry.path()).unwrap();
            for (line, text) in literals(&src) {
                if pseudo_plural(&text) {
                    bad.push(format!("{}:{line}: \"{text}\"", entry.path().display()));
                }
            }
        }
        assert!(files > 50, "the source was not found under {}", root.display());
        assert!(bad.is_empty(), "use wording::count for these:\n{}", bad.join("\n"));
    }

    #[cfg(unix)]
    #[test]
    fn shell_words_round_trip() {
        for w in ["plain", "with space", "it's", "", "$HOME", "a\"b", "~/x", "*"] {
            let q = shell_word(w);
            assert_eq!(shell_words::split(&q).unwrap(), vec![w.to_string()], "{w} -> {q}");
        }
        assert_eq!(shell_word("/tmp/ws"), "/tmp/ws");
    }
}
