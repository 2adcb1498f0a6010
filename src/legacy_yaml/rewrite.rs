//! The YAML that remains after a migration: only what the models link does not serve.
//!
//! Kept entries are written as absolute paths without `base_path`, so they resolve to the same
//! folders wherever the file is read from and whatever `~`/variables expand to later; every
//! scalar is quoted so no path can be re-typed (`yes`, `1:30`), commented out (`#`) or split
//! (`: `) by YAML.

use std::fmt::Write as _;
use std::path::Path;

use super::coverage::classify;
use super::tree::{Value, resolve_plain};
use super::{Coverage, LegacyYaml, YamlEntry};

pub fn rewrite_uncovered(yaml: &LegacyYaml, global: &Path, backup_name: &str) -> Option<String> {
    let mut removed: Vec<(&YamlEntry, String)> = Vec::new();
    let mut body = String::new();
    let mut kept_any = false;
    for section in &yaml.sections {
        // Runs of kept entries per key, in file order.
        let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
        for entry in &section.entries {
            match classify(entry, global) {
                Coverage::Covered { dir } => removed.push((entry, dir)),
                Coverage::Uncovered { .. } => {
                    let path = entry.path.to_string_lossy().into_owned();
                    match groups.last_mut() {
                        Some((key, paths)) if *key == entry.key => paths.push(path),
                        _ => groups.push((&entry.key, vec![path])),
                    }
                }
            }
        }
        if groups.is_empty() {
            continue;
        }
        kept_any = true;
        let _ = writeln!(body, "{}:", key_scalar(&section.name));
        if section.is_default {
            body.push_str("  is_default: true\n");
        }
        for (key, paths) in groups {
            let _ = write!(body, "  {}:", key_scalar(key));
            write_paths(&mut body, &paths);
        }
    }
    if !kept_any {
        return None;
    }
    let mut out = String::new();
    out.push_str("# Rewritten by comfydoctor: models/ now links to the global models folder\n");
    let _ = writeln!(out, "#   {}", comment_safe(&global.to_string_lossy()));
    if removed.is_empty() {
        out.push_str("# No entry was served by that link; all are kept below.\n");
    } else {
        out.push_str("# Removed because that link serves them:\n");
        for (entry, dir) in &removed {
            let _ = writeln!(
                out,
                "#   {}.{}: {} (models/{})",
                comment_safe(&entry.section),
                comment_safe(&entry.key),
                comment_safe(&entry.path.to_string_lossy()),
                comment_safe(dir)
            );
        }
    }
    let _ = writeln!(out, "# The previous file is kept as {}.", comment_safe(backup_name));
    out.push_str("# The entries below resolve to the same folders as before, as absolute paths.\n");
    out.push_str(&body);
    Some(out)
}

fn write_paths(out: &mut String, paths: &[String]) {
    match paths {
        [single] => {
            let _ = writeln!(out, " {}", quote(single));
        }
        _ if paths.iter().all(|p| block_safe(p)) => {
            out.push_str(" |\n");
            for path in paths {
                let _ = writeln!(out, "    {path}");
            }
        }
        _ => {
            let _ = writeln!(out, " {}", double_quoted(&paths.join("\n")));
        }
    }
}

/// Characters YAML 1.1 (PyYAML) treats as line breaks or refuses unescaped.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A literal block line must be taken verbatim: no surrounding blanks (they would change the
/// block's indentation or be lost by editors) and nothing that needs escaping.
fn block_safe(path: &str) -> bool {
    !path.is_empty() && path.trim() == path && !path.chars().any(needs_escape) && !path.starts_with('#')
}

fn quote(text: &str) -> String {
    if text.chars().any(needs_escape) { double_quoted(text) } else { format!("'{}'", text.replace('\'', "''")) }
}

fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    let _ = write!(out, "\\x{code:02x}");
                } else {
                    let _ = write!(out, "\\u{code:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Plain when it reads back as the same string in YAML 1.1, quoted otherwise.
fn key_scalar(text: &str) -> String {
    let simple = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if simple && resolve_plain(text) == Value::Str { text.to_string() } else { double_quoted(text) }
}

fn comment_safe(text: &str) -> String {
    if text.chars().any(needs_escape) { text.escape_debug().to_string() } else { text.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_quote_safely() {
        assert_eq!(quote("C:\\models\\it's"), "'C:\\models\\it''s'");
        assert_eq!(quote("/a/#b: c"), "'/a/#b: c'");
        assert_eq!(quote("a\u{7}b"), "\"a\\x07b\"");
        assert_eq!(key_scalar("loras"), "loras");
        assert_eq!(key_scalar("yes"), "\"yes\"");
        assert_eq!(key_scalar("1"), "\"1\"");
        assert_eq!(key_scalar("my models"), "\"my models\"");
        assert!(!block_safe(" lead"));
        assert!(!block_safe("#x"));
        assert!(block_safe("C:\\a: b"));
    }
}
