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
