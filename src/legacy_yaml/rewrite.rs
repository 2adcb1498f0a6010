//! The YAML that remains after a migration: only what the models link does not serve.
//!
//! The new file is the old one with the served entries' lines taken out: everything kept stays
//! byte for byte as the user wrote it (unexpanded `~`, `$VAR`, `%VAR%`, relative paths,
//! `base_path`, comments, line endings, BOM), so it means in the user's launcher environment
//! what it meant before. Only when a line cannot be cut cleanly (a value holding both kinds of
//! path outside a `|` block, anchors, merge keys) is that key, or as a last resort the file,
//! written anew from the entries' original text.
//!
//! Whatever the route, the result is re-read with the ComfyUI-exact reader and must register
//! exactly the kept entries; and ComfyUI's search order (first match wins) must stay the same
//! relative to the global folder, which the link puts where ComfyUI's own `models/` was. Kept
//! sections get `is_default` flipped when that restores the order; when nothing does, the file
//! is refused.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::coverage::{FOLDER_KEYS, add_model_folder_path, comfy_dirs_for_key, comfy_key, coverage, search_paths};
use super::tree::{Value, resolve_plain};
use super::{Coverage, LegacyYaml, YamlEntry, parse_str_with, yaml_dir};

/// Sections with kept entries beyond which flag combinations are not searched.
const MAX_FLIPPABLE: usize = 10;

/// The new file's text, `Ok(None)` when nothing is kept, `Err` (why) when no file keeps both
/// what ComfyUI registered and its search order.
///
/// `own_models_is_global`: the install's `models/` holds (or is) what the global folder will
/// hold, so its place in the old search order is the global folder's too.
pub fn rewrite_uncovered(
    yaml: &LegacyYaml,
    global: &Path,
    backup_name: &str,
    own_models_is_global: bool,
) -> Result<Option<String>, String> {
    let entries: Vec<&YamlEntry> = yaml.entries().collect();
    let coverage = coverage(yaml, global);
    let kept: Vec<bool> = coverage.iter().map(|c| matches!(c, Coverage::Uncovered { .. })).collect();
    if !kept.contains(&true) {
        return Ok(None);
    }
    let flags = choose_flags(yaml, &kept, global, own_models_is_global)?;
    let removed: Vec<(&YamlEntry, &str)> = entries
        .iter()
        .zip(&coverage)
        .filter_map(|(e, c)| match c {
            Coverage::Covered { dir } => Some((*e, dir.as_str())),
            Coverage::Uncovered { .. } => None,
        })
        .collect();
    let flipped: Vec<&str> =
        yaml.sections.iter().zip(&flags).filter(|(s, f)| s.is_default != **f).map(|(s, _)| s.name.as_str()).collect();
    let header = |regenerated: bool| header(global, &removed, backup_name, &flipped, regenerated);
    let text = Text::new(&yaml.source);
    if let Some(body) = edit_in_place(yaml, &text, &kept, &flags) {
        let out = text.assemble(&header(false), &body);
        if registers_kept(yaml, &kept, &flags, &out) {
            return Ok(Some(out));
        }
    }
    let out = text.assemble(&header(true), &regenerate(yaml, &kept, &flags));
    if registers_kept(yaml, &kept, &flags, &out) {
        return Ok(Some(out));
    }
    Err("comfydoctor could not write a file that registers exactly the kept folders; the file is left as it is".into())
}

fn header(
    global: &Path,
    removed: &[(&YamlEntry, &str)],
    backup_name: &str,
    flipped: &[&str],
    regenerated: bool,
) -> Vec<String> {
    let mut out = vec![
        "# Rewritten by comfydoctor: models/ now links to the global models folder".to_string(),
        format!("#   {}", comment_safe(&global.to_string_lossy())),
    ];
    if removed.is_empty() {
        out.push("# No entry was served by that link; all are kept below.".into());
    } else {
        out.push("# Removed because that link serves them:".into());
        for (entry, dir) in removed {
            out.push(format!(
                "#   {}.{}: {} (models/{})",
                comment_safe(&entry.section),
                comment_safe(&entry.key),
                comment_safe(&entry.path.to_string_lossy()),
                comment_safe(dir)
            ));
        }
    }
    for name in flipped {
        out.push(format!(
            "# is_default of `{}` changed so ComfyUI searches its folders in the same order as before.",
            comment_safe(name)
        ));
    }
    out.push(format!("# The previous file is kept as {}.", comment_safe(backup_name)));
    if regenerated {
        out.push(
            "# The kept entries below are written out again as they were written (their comments are in the backup)."
                .into(),
        );
    }
    out
}

// ---------------------------------------------------------------- search order

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// The global folder: covered entries before, `models/<dir>` after.
    Global,
    Kept(PathBuf),
}

/// Per key with kept entries: the order of the global folder and the kept folders, as ComfyUI
/// searched them before (`lists` from [`search_paths`] with the install's own `models/`).
fn before_order(
    yaml: &LegacyYaml,
    kept: &[bool],
    own_models: &Path,
    own_models_is_global: bool,
) -> Vec<(String, Vec<Tok>)> {
    let entries: Vec<&YamlEntry> = yaml.entries().collect();
    let of_key = |key: &str, want_kept: bool| -> Vec<PathBuf> {
        entries
            .iter()
            .zip(kept)
            .filter(|(e, k)| comfy_key(&e.key) == key && **k == want_kept)
            .map(|(e, _)| e.path.clone())
            .collect()
    };
    search_paths(yaml, own_models)
        .into_iter()
        .filter_map(|(key, paths)| {
            let kept_paths = of_key(&key, true);
            if kept_paths.is_empty() {
                return None;
            }
            let covered = of_key(&key, false);
            let own: Vec<PathBuf> = comfy_dirs_for_key(&key).iter().map(|d| own_models.join(d)).collect();
            // The install's own `models/<dir>` becomes the link: the global folder after, and its
            // place before counts as the global folder's when nothing else stood for it.
            let toks = paths.into_iter().filter_map(|p| {
                if own.contains(&p) {
                    (covered.is_empty() || own_models_is_global).then_some(Tok::Global)
                } else if kept_paths.contains(&p) {
                    Some(Tok::Kept(p))
                } else if covered.contains(&p) {
                    Some(Tok::Global)
                } else {
                    None
                }
            });
            Some((key, collapse(toks)))
        })
        .collect()
}

/// The same order after the migration, for the kept entries with `flags` per section.
fn after_order(
    yaml: &LegacyYaml,
    kept: &[bool],
    flags: &[bool],
    global: &Path,
    own_models: &Path,
) -> Vec<(String, Vec<Tok>)> {
    let mut lists: Vec<(String, Vec<PathBuf>)> = FOLDER_KEYS
        .iter()
        .map(|(key, dirs)| (key.to_string(), dirs.iter().map(|d| global.join(d)).collect()))
        .collect();
    let mut keys: Vec<String> = Vec::new();
    let mut i = 0;
    for (section, flag) in yaml.sections.iter().zip(flags) {
        for entry in &section.entries {
            if kept[i] {
                let key = comfy_key(&entry.key);
                add_model_folder_path(&mut lists, key, &entry.path, *flag);
                if !keys.iter().any(|k| k == key) {
                    keys.push(key.to_string());
                }
            }
            i += 1;
        }
    }
    lists
        .into_iter()
        .filter(|(key, _)| keys.contains(key))
        .map(|(key, paths)| {
            let dirs = comfy_dirs_for_key(&key);
            let global_dirs: Vec<PathBuf> =
                dirs.iter().map(|d| global.join(d)).chain(dirs.iter().map(|d| own_models.join(d))).collect();
            let toks = paths.into_iter().map(|p| if global_dirs.contains(&p) { Tok::Global } else { Tok::Kept(p) });
            (key, collapse(toks))
        })
        .collect()
}

fn collapse(toks: impl Iterator<Item = Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    for t in toks {
        if !(t == Tok::Global && out.last() == Some(&Tok::Global)) {
            out.push(t);
        }
    }
    out
}

/// `is_default` per section that keeps the search order, changing as few sections as possible;
/// `Err` names the first key whose order no choice keeps.
fn choose_flags(
    yaml: &LegacyYaml,
    kept: &[bool],
    global: &Path,
    own_models_is_global: bool,
) -> Result<Vec<bool>, String> {
    let own_models = yaml_dir(&yaml.path).join("models");
    let before = before_order(yaml, kept, &own_models, own_models_is_global);
    let original: Vec<bool> = yaml.sections.iter().map(|s| s.is_default).collect();
    let mut i = 0;
    let mut flippable: Vec<usize> = Vec::new();
    for (index, section) in yaml.sections.iter().enumerate() {
        let n = section.entries.len();
        if kept[i..i + n].contains(&true) {
            flippable.push(index);
        }
        i += n;
    }
    let width = flippable.len().min(MAX_FLIPPABLE);
    let mut masks: Vec<u32> = (0..1u32 << width).collect();
    masks.sort_by_key(|m| m.count_ones());
    for mask in masks {
        let mut flags = original.clone();
        for (bit, &section) in flippable.iter().take(width).enumerate() {
            if mask & (1 << bit) != 0 {
                flags[section] = !flags[section];
            }
        }
        if after_order(yaml, kept, &flags, global, &own_models) == before {
            return Ok(flags);
        }
    }
    let after = after_order(yaml, kept, &original, global, &own_models);
    let (key, order) = before
        .iter()
        .find(|(key, order)| after.iter().find(|(k, _)| k == key).map(|(_, o)| o) != Some(order))
        .unwrap_or(&before[0]);
    let shown: Vec<String> = order
        .iter()
        .map(|t| match t {
            Tok::Global => "the global folder".to_string(),
            Tok::Kept(p) => p.display().to_string(),
        })
        .collect();
    Err(format!(
        "for `{key}` ComfyUI searched {} in that order (the first folder holding a name wins); once models/ links to the global folder no is_default setting keeps that order, so a name found in more than one would load other bytes; the file is left as it is: reorder or remove those entries by hand",
        shown.join(", then ")
    ))
}

// ---------------------------------------------------------------- the text

/// The file as lines with their own terminators, BOM apart.
struct Text<'a> {
    bom: bool,
    lines: Vec<(&'a str, &'a str)>,
    eol: &'static str,
}

impl<'a> Text<'a> {
    fn new(source: &'a str) -> Self {
        let (bom, body) = match source.strip_prefix('\u{feff}') {
            Some(rest) => (true, rest),
            None => (false, source),
        };
        let mut lines = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            let cut = rest.find(['\n', '\r']).unwrap_or(rest.len());
            let term_len = match &rest.as_bytes()[cut..] {
                [b'\r', b'\n', ..] => 2,
                [] => 0,
                _ => 1,
            };
            lines.push((&rest[..cut], &rest[cut..cut + term_len]));
            rest = &rest[cut + term_len..];
        }
        let eol = if lines.iter().any(|(_, t)| *t == "\r\n") {
            "\r\n"
        } else if lines.iter().any(|(_, t)| *t == "\r") && !lines.iter().any(|(_, t)| *t == "\n") {
            "\r"
        } else {
            "\n"
        };
        Text { bom, lines, eol }
    }

    fn assemble(&self, header: &[String], body: &[Out]) -> String {
        let mut out = String::new();
        if self.bom {
            out.push('\u{feff}');
        }
        for line in header {
            out.push_str(line);
            out.push_str(self.eol);
        }
        for piece in body {
            match piece {
                Out::Original(i) => {
                    let (text, term) = self.lines[*i];
                    out.push_str(text);
                    out.push_str(if term.is_empty() { self.eol } else { term });
                }
                Out::New(text) => {
                    out.push_str(text);
                    out.push_str(self.eol);
                }
            }
        }
        out
    }
}

enum Out {
    Original(usize),
    New(String),
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn content(line: &str) -> bool {
    !blank(line) && !comment(line)
}

/// The body with the served entries cut out, or `None` when the file's shape does not allow a
/// clean cut (the caller then writes it anew).
fn edit_in_place(yaml: &LegacyYaml, text: &Text, kept: &[bool], flags: &[bool]) -> Option<Vec<Out>> {
    let lines: Vec<&str> = text.lines.iter().map(|(l, _)| *l).collect();
    let n = lines.len();
    let mut delete = vec![false; n];
    let mut replace: Vec<Option<Vec<String>>> = vec![None; n];
    let mut insert_after: Vec<Vec<String>> = vec![Vec::new(); n];
    // Comment lines right above `i` (no blank line between), at most `max_indent` deep.
    let lead = |i: usize, max_indent: usize| {
        let mut k = i;
        while k > 0 && comment(lines[k - 1]) && indent(lines[k - 1]) <= max_indent {
            k -= 1;
        }
        k
    };
    let mut first = 0;
    for (index, section) in yaml.sections.iter().enumerate() {
        let count = section.entries.len();
        let section_kept = &kept[first..first + count];
        first += count;
        let header = section.line.checked_sub(1)?;
        if count == 0 {
            continue;
        }
        if header >= n || indent(lines[header]) != 0 || !content(lines[header]) {
            return None;
        }
        let end = (header + 1..n).find(|&i| content(lines[i]) && indent(lines[i]) == 0).unwrap_or(n);
        if !section_kept.contains(&true) {
            let stop = if end < n { lead(end, 0) } else { n };
            delete[lead(header, 0)..stop].iter_mut().for_each(|d| *d = true);
            continue;
        }
        let child = (header + 1..end).find(|&i| content(lines[i])).map(|i| indent(lines[i]))?;
        if child == 0 {
            return None;
        }
        let fields: Vec<usize> =
            (header + 1..end).filter(|&i| content(lines[i]) && indent(lines[i]) == child).collect();
        let field_end = |f: usize| (f + 1..end).find(|&i| !blank(lines[i]) && indent(lines[i]) <= child).unwrap_or(end);
        for &f in &fields {
            let of_field: Vec<(usize, &YamlEntry)> =
                section.entries.iter().enumerate().filter(|(_, e)| e.line == f + 1).collect();
            if of_field.is_empty() {
                continue;
            }
            let keep: Vec<bool> = of_field.iter().map(|(i, _)| section_kept[*i]).collect();
            let stop = field_end(f);
            if !keep.contains(&true) {
                delete[lead(f, child)..stop].iter_mut().for_each(|d| *d = true);
            } else if keep.contains(&false) {
                cut_some(&lines, f, stop, &keep, &of_field, child, &mut delete, &mut replace)?;
            }
        }
        if flags[index] != section.is_default {
            let line = format!("{}is_default: {}", " ".repeat(child), flags[index]);
            let written = fields.iter().find(|&&f| {
                let t = lines[f].trim_start();
                t.starts_with("is_default:") || t.starts_with("'is_default':") || t.starts_with("\"is_default\":")
            });
            match written {
                Some(&f) => {
                    delete[f..field_end(f)].iter_mut().for_each(|d| *d = true);
                    replace[f] = Some(vec![line]);
                }
                None => insert_after[header].push(line),
            }
        }
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if let Some(lines) = replace[i].take() {
            out.extend(lines.into_iter().map(Out::New));
        } else if !delete[i] {
            out.push(Out::Original(i));
        }
        out.extend(insert_after[i].drain(..).map(Out::New));
    }
    Some(out)
}

/// A field whose value holds served and kept paths: in a `|` block the served lines go; any
/// other value is written again with the kept paths' text.
#[allow(clippy::too_many_arguments)]
fn cut_some(
    lines: &[&str],
    f: usize,
    stop: usize,
    keep: &[bool],
    of_field: &[(usize, &YamlEntry)],
    child: usize,
    delete: &mut [bool],
    replace: &mut [Option<Vec<String>>],
) -> Option<()> {
    let after_colon = lines[f].split_once(": ").map(|(_, v)| v.trim_start()).unwrap_or("");
    if after_colon.starts_with('|') {
        let body: Vec<usize> = (f + 1..stop).filter(|&i| !blank(lines[i])).collect();
        let block_indent = body.first().map(|&i| indent(lines[i]))?;
        let pieces: Vec<usize> = (f + 1..stop).filter(|&i| lines[i].len() > block_indent).collect();
        if pieces.len() != keep.len() {
            return None;
        }
        for (&i, k) in pieces.iter().zip(keep) {
            delete[i] = !k;
        }
        return Some(());
    }
    let raws: Vec<&str> = of_field.iter().zip(keep).filter(|(_, k)| **k).map(|((_, e), _)| e.raw.as_str()).collect();
    let mut new = Vec::new();
    field_lines(&mut new, child, &of_field[0].1.key, &raws);
    delete[f..stop].iter_mut().for_each(|d| *d = true);
    replace[f] = Some(new);
    Some(())
}

/// `key: value` lines for paths written as they were.
fn field_lines(out: &mut Vec<String>, indent: usize, key: &str, raws: &[&str]) {
    let pad = " ".repeat(indent);
    match raws {
        [single] => out.push(format!("{pad}{}: {}", key_scalar(key), quote(single))),
        _ if raws.iter().all(|p| block_safe(p)) => {
            out.push(format!("{pad}{}: |", key_scalar(key)));
            out.extend(raws.iter().map(|p| format!("{pad}  {p}")));
        }
        _ => out.push(format!("{pad}{}: {}", key_scalar(key), double_quoted(&raws.join("\n")))),
    }
}

/// The kept sections written anew from the entries' original text.
fn regenerate(yaml: &LegacyYaml, kept: &[bool], flags: &[bool]) -> Vec<Out> {
    let mut out = Vec::new();
    let mut i = 0;
    for (section, flag) in yaml.sections.iter().zip(flags) {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for entry in &section.entries {
            if kept[i] {
                match groups.last_mut() {
                    Some((key, raws)) if *key == entry.key => raws.push(&entry.raw),
                    _ => groups.push((&entry.key, vec![&entry.raw])),
                }
            }
            i += 1;
        }
        if groups.is_empty() {
            continue;
        }
        let mut lines = vec![format!("{}:", key_scalar(&section.name))];
        if let Some(raw) = &section.base_path_raw {
            lines.push(format!("  base_path: {}", quote(raw)));
        }
        if *flag {
            lines.push("  is_default: true".into());
        }
        for (key, raws) in groups {
            field_lines(&mut lines, 2, key, &raws);
        }
        out.extend(lines.into_iter().map(Out::New));
    }
    out
}

/// Re-reads both files without any environment or home folder (so `~` and `$VAR` stay as
/// text on both sides) and checks the new one registers exactly the kept entries, in order,
/// with the chosen `is_default`.
fn registers_kept(yaml: &LegacyYaml, kept: &[bool], flags: &[bool], text: &str) -> bool {
    let none = |_: &str| None::<String>;
    let no_users = |_: &str| None::<PathBuf>;
    let (Ok(before), Ok(after)) = (
        parse_str_with(&yaml.source, &yaml.path, None, &none, &no_users),
        parse_str_with(text, &yaml.path, None, &none, &no_users),
    ) else {
        return false;
    };
    let mut expected = Vec::new();
    let mut i = 0;
    for (section, flag) in before.sections.iter().zip(flags) {
        for entry in &section.entries {
            if kept.get(i) == Some(&true) {
                expected.push((entry.section.clone(), entry.key.clone(), entry.path.clone(), *flag));
            }
            i += 1;
        }
    }
    let got: Vec<_> =
        after.entries().map(|e| (e.section.clone(), e.key.clone(), e.path.clone(), e.is_default)).collect();
    i == kept.len() && got == expected
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
