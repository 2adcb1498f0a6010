//! A position-aware YAML tree with PyYAML `safe_load` (YAML 1.1) scalar typing.
//!
//! serde-saphyr types scalars by YAML 1.2 rules and has no notion of "what Python would have
//! built", so we read its parser's events (granit-parser, re-exported by serde-saphyr) directly.
//! That gives line/column for every key and value and lets us decide truthiness and
//! "is this a string?" exactly as PyYAML would.
//!
//! Resource bounds: the input is capped by the caller; nesting is capped by the parser options;
//! an alias shares the anchored node through an `Rc` instead of copying it, so an alias bomb
//! costs memory proportional to the file, not to its expansion (the resolver caps what it
//! expands).

use std::collections::HashMap;
use std::rc::Rc;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Rc<Kind>,
    /// Where this occurrence is written (for an alias: where the `*name` is).
    pub pos: Pos,
}

#[derive(Debug)]
pub enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// What PyYAML's safe loader would construct for a scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// `None` when PyYAML's int constructor would fail (e.g. `0b_`) or the value overflows i128.
    Int(Option<i128>),
    Float(f64),
    Timestamp,
    Str,
    /// A tag PyYAML's safe loader has no constructor for, or one we do not model.
    Unsupported(String),
}

#[derive(Debug)]
pub struct Scalar {
    pub text: String,
    pub value: Value,
}

#[derive(Debug)]
pub struct Error {
    pub pos: Pos,
    pub message: String,
    /// A bound of ours was hit, not a YAML rule.
    pub limit: bool,
}

impl Error {
    pub fn at(pos: Pos, message: impl Into<String>) -> Self {
        Error { pos, message: message.into(), limit: false }
    }

    pub fn limit(pos: Pos, message: impl Into<String>) -> Self {
        Error { pos, message: message.into(), limit: true }
    }
}

const MAX_ALIASES: usize = 10_000;
const MAX_NESTING: usize = 64;

enum Frame {
    Seq { pos: Pos, anchor: usize, items: Vec<Node> },
    Map { pos: Pos, anchor: usize, entries: Vec<(Node, Node)>, key: Option<Node> },
}

/// Parses a single-document stream; `Ok(None)` for a stream without a document (empty file,
/// comments only).
pub fn parse(text: &str) -> Result<Option<Node>, Error> {
    let mut options = serde_saphyr::granit_parser::Options::default();
    // PyYAML does not add a line feed to a block scalar that ends the file without one.
    options.block_scalar_eof_without_line_feed = true;
    options.set_emit_comments(false);
    options.flow_nesting_limit = MAX_NESTING;
    options.block_nesting_limit = MAX_NESTING;
    let parser = Parser::new_from_str_with_options(text, options);

    let mut anchors: HashMap<usize, Rc<Kind>> = HashMap::new();
    let mut aliases = 0usize;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    // Char ranges of quoted and block scalars: the only places PyYAML accepts a tab (besides
    // comments).
    let mut tab_ok: Vec<(usize, usize)> = Vec::new();

    for item in parser {
        let (event, span) = item.map_err(|e| {
            let m = e.marker();
            let at = Pos { line: m.line(), column: m.col() + 1 };
            // The scanner reports a stray tab where the token before it ended; point at the tab.
            let at = if e.info().contains("tab") { first_tab_from(text, m.index()).unwrap_or(at) } else { at };
            Error::at(at, e.info())
        })?;
        let pos = Pos { line: span.start.line(), column: span.start.col() + 1 };
        let done: Option<(Node, usize)> = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(Error::at(pos, "more than one YAML document; ComfyUI reads exactly one"));
                }
                None
            }
            Event::Scalar(text, style, anchor, tag) => {
                if style != ScalarStyle::Plain {
                    tab_ok.push((span.start.index(), span.end.index()));
                }
                let tag = tag.map(|t| if t.is_yaml_core_schema() { format!("!!{}", t.suffix()) } else { t.original() });
                let value = type_scalar(&text, style, tag.as_deref());
                let kind = Kind::Scalar(Scalar { text: text.into_owned(), value });
                Some((Node { kind: Rc::new(kind), pos }, anchor))
            }
            Event::SequenceStart(_, anchor, tag) => {
                check_collection_tag(tag.as_deref().map(|t| t.original()), "seq", pos)?;
                stack.push(Frame::Seq { pos, anchor, items: Vec::new() });
                None
            }
            Event::MappingStart(_, anchor, tag) => {
                check_collection_tag(tag.as_deref().map(|t| t.original()), "map", pos)?;
                stack.push(Frame::Map { pos, anchor, entries: Vec::new(), key: None });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => {
                    Some((Node { kind: Rc::new(Kind::Seq(items)), pos }, anchor))
                }
                Some(Frame::Map { pos, anchor, entries, .. }) => {
                    Some((Node { kind: Rc::new(Kind::Map(entries)), pos }, anchor))
                }
                None => return Err(Error::at(pos, "unbalanced YAML collection end")),
            },
            Event::Alias(id) => {
                aliases += 1;
                if aliases > MAX_ALIASES {
                    return Err(Error::limit(pos, "too many YAML aliases"));
                }
                let Some(kind) = anchors.get(&id) else {
                    return Err(Error::at(pos, "alias to an anchor that is not complete here (recursive alias)"));
                };
                Some((Node { kind: Rc::clone(kind), pos }, 0))
            }
            Event::UnresolvedAlias(name) => {
                return Err(Error::at(pos, format!("unknown anchor `{name}`")));
            }
            _ => None,
        };
        let Some((node, anchor)) = done else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, Rc::clone(&node.kind));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    if text.contains('\t') {
        check_tabs(text, tab_ok)?;
    }
    Ok(root)
}

fn first_tab_from(text: &str, from: usize) -> Option<Pos> {
    let (mut line, mut column) = (1usize, 1usize);
    for (index, c) in text.chars().enumerate() {
        if c == '\t' && index >= from {
            return Some(Pos { line, column });
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    None
}

/// PyYAML only skips spaces between tokens, so a tab used as indentation or as a separator
/// (`key:\tvalue`) fails its scanner even where YAML 1.2 parsers accept it.
fn check_tabs(text: &str, mut tab_ok: Vec<(usize, usize)>) -> Result<(), Error> {
    tab_ok.sort_unstable();
    let inside = |index: usize| {
        let after = tab_ok.partition_point(|(start, _)| *start <= index);
        after > 0 && tab_ok[after - 1].1 > index
    };
    let (mut line, mut column) = (1usize, 1usize);
    let mut in_comment = false;
    let mut previous = '\n';
    for (index, c) in text.chars().enumerate() {
        match c {
            '\n' => in_comment = false,
            '#' if !in_comment && matches!(previous, ' ' | '\t' | '\n') && !inside(index) => {
                in_comment = true;
            }
            '\t' if !in_comment && !inside(index) => {
                return Err(Error::at(
                    Pos { line, column },
                    "tab character outside a quoted value or comment; PyYAML (ComfyUI) refuses it: use spaces",
                ));
            }
            _ => {}
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
        previous = c;
    }
    Ok(())
}

fn check_collection_tag(tag: Option<String>, core: &str, pos: Pos) -> Result<(), Error> {
    match tag {
        None => Ok(()),
        Some(t) if t == "!" || t == format!("!!{core}") || t.ends_with(&format!(":{core}")) => Ok(()),
        Some(t) => Err(Error::at(
            pos,
            format!("tag `{t}` is not supported (PyYAML's safe loader would refuse or transform it)"),
        )),
    }
}

fn type_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        // The non-specific tag `!` forces a string, like quoting.
        Some("!") | Some("!!str") => Value::Str,
        Some("!!null") | Some("!!bool") | Some("!!int") | Some("!!float") => {
            let typed = resolve_plain(text);
            let expected = match &typed {
                Value::Null => "!!null",
                Value::Bool(_) => "!!bool",
                Value::Int(_) => "!!int",
                Value::Float(_) => "!!float",
                _ => "",
            };
            if Some(expected) == tag {
                typed
            } else {
                Value::Unsupported(format!("{} {text}", tag.unwrap_or_default()))
            }
        }
        Some(other) => Value::Unsupported(other.to_string()),
        None if style == ScalarStyle::Plain => resolve_plain(text),
        None => Value::Str,
    }
}

/// PyYAML's implicit resolvers (YAML 1.1) for an untagged plain scalar.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        // `=` resolves to the "value" tag, which the safe constructor cannot build.
        "=" => return Value::Unsupported("!!value".into()),
        // A plain `<<` is a merge key in YAML 1.1.
        "<<" => return Value::Unsupported("!!merge".into()),
        _ => {}
    }
    if let Some(v) = resolve_int(text) {
        return Value::Int(v);
    }
    if let Some(v) = resolve_float(text) {
        return Value::Float(v);
    }
    if is_timestamp(text) {
        return Value::Timestamp;
    }
    Value::Str
}

fn split_sign(text: &str) -> (i128, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    }
}

fn digits_value(digits: &str, radix: u32) -> Option<i128> {
    let mut acc: i128 = 0;
    let mut any = false;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = c.to_digit(radix)?;
        acc = acc.checked_mul(i128::from(radix))?.checked_add(i128::from(d))?;
        any = true;
    }
    any.then_some(acc)
}

/// `Some(value)` when the text matches PyYAML's int pattern; the inner `None` marks a match
/// PyYAML would fail to construct (or an overflow we do not model).
fn resolve_int(text: &str) -> Option<Option<i128>> {
    let (sign, body) = split_sign(text);
    let all = |s: &str, f: fn(char) -> bool| !s.is_empty() && s.chars().all(f);
    if let Some(d) = body.strip_prefix("0b") {
        return all(d, |c| matches!(c, '0' | '1' | '_')).then(|| digits_value(d, 2).map(|v| sign * v));
    }
    if let Some(d) = body.strip_prefix("0x") {
        return all(d, |c| c.is_ascii_hexdigit() || c == '_').then(|| digits_value(d, 16).map(|v| sign * v));
    }
    if body == "0" {
        return Some(Some(0));
    }
    if let Some(d) = body.strip_prefix('0') {
        return all(d, |c| matches!(c, '0'..='7' | '_')).then(|| digits_value(body, 8).map(|v| sign * v));
    }
    let first_ok = body.chars().next().is_some_and(|c| matches!(c, '1'..='9'));
    if !first_ok {
        return None;
    }
    if all(body, |c| c.is_ascii_digit() || c == '_') {
        return Some(digits_value(body, 10).map(|v| sign * v));
    }
    // Sexagesimal: `[1-9][0-9_]*(:[0-5]?[0-9])+`.
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or_default();
    if !all(head, |c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    let mut total = digits_value(head, 10);
    let mut count = 0;
    for part in parts {
        if !is_sexagesimal_part(part) {
            return None;
        }
        count += 1;
        total = total.and_then(|t| t.checked_mul(60)?.checked_add(digits_value(part, 10).unwrap_or(0)));
    }
    (count > 0).then(|| total.map(|v| sign * v))
}

fn is_sexagesimal_part(part: &str) -> bool {
    let b = part.as_bytes();
    match b {
        [d] => d.is_ascii_digit(),
        [a, d] => matches!(a, b'0'..=b'5') && d.is_ascii_digit(),
        _ => false,
    }
}

fn resolve_float(text: &str) -> Option<f64> {
    let (sign, body) = split_sign(text);
    let sign = sign as f64;
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if body.len() == text.len() => return Some(f64::NAN),
        _ => {}
    }
    let is_digit_or_us = |c: char| c.is_ascii_digit() || c == '_';
    let cleaned = |s: &str| s.chars().filter(|c| *c != '_').collect::<String>();
    // `[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*` (sexagesimal float).
    if let Some((int_part, frac)) = body.split_once('.')
        && int_part.contains(':')
    {
        let mut parts = int_part.split(':');
        let head = parts.next().unwrap_or_default();
        let head_ok = head.starts_with(|c: char| c.is_ascii_digit()) && head.chars().all(is_digit_or_us);
        let rest: Vec<&str> = parts.collect();
        if head_ok
            && !rest.is_empty()
            && rest.iter().all(|p| is_sexagesimal_part(p))
            && frac.chars().all(is_digit_or_us)
        {
            let mut total: f64 = cleaned(head).parse().unwrap_or(0.0);
            for p in rest {
                total = total * 60.0 + p.parse::<f64>().unwrap_or(0.0);
            }
            let frac: f64 = format!("0.{}", cleaned(frac)).parse().unwrap_or(0.0);
            return Some(sign * (total + frac));
        }
        return None;
    }
    // `[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?` or (unsigned) `\.[0-9_]+([eE][-+][0-9]+)?`.
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac) = mantissa.split_once('.')?;
    let ok_mantissa = if int_part.is_empty() {
        body.len() == text.len() && !frac.is_empty() && frac.chars().all(is_digit_or_us)
    } else {
        int_part.starts_with(|c: char| c.is_ascii_digit())
            && int_part.chars().all(is_digit_or_us)
            && frac.chars().all(is_digit_or_us)
    };
    let ok_exponent = match exponent {
        None => true,
        Some(e) => {
            let digits = e.strip_prefix(['-', '+']);
            digits.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
        }
    };
    if !(ok_mantissa && ok_exponent) {
        return None;
    }
    let number =
        format!("{}.{}{}", cleaned(int_part), cleaned(frac), exponent.map(|e| format!("e{e}")).unwrap_or_default());
    let number = if number.starts_with('.') { format!("0{number}") } else { number };
    number.parse::<f64>().ok().map(|v| sign * v)
}

/// PyYAML's timestamp pattern: `YYYY-MM-DD`, or a date with 1-2 digit month/day followed by a
/// time. Only "is it one" matters: a timestamp is never a string.
fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if b.len() == 10 && digits(&b[..4]) && b[4] == b'-' && digits(&b[5..7]) && b[7] == b'-' {
        return digits(&b[8..]);
    }
    // Date part with 1-2 digit month and day.
    if b.len() < 5 || !digits(&b[..4]) || b[4] != b'-' {
        return false;
    }
    let rest = &text[5..];
    let Some((month, rest)) = rest.split_once('-') else {
        return false;
    };
    let two = |s: &str| (1..=2).contains(&s.len()) && digits(s.as_bytes());
    if !two(month) {
        return false;
    }
    let day_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&day_len) {
        return false;
    }
    let rest = &rest[day_len..];
    let rest = if let Some(r) = rest.strip_prefix(['T', 't']) {
        r
    } else {
        let trimmed = rest.trim_start_matches([' ', '\t']);
        if trimmed.len() == rest.len() {
            return false;
        }
        trimmed
    };
    // hh:mm:ss(.frac)?
    let hour_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&hour_len) {
        return false;
    }
    let rest = &rest[hour_len..];
    let rb = rest.as_bytes();
    if rb.len() < 6 || rb[0] != b':' || !digits(&rb[1..3]) || rb[3] != b':' || !digits(&rb[4..6]) {
        return false;
    }
    let mut rest = &rest[6..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() || rest == "Z" {
        return true;
    }
    let Some(tz) = rest.strip_prefix(['-', '+']) else {
        return false;
    };
    let (h, m) = match tz.split_once(':') {
        Some((h, m)) => (h, Some(m)),
        None => (tz, None),
    };
    two(h) && m.is_none_or(|m| m.len() == 2 && digits(m.as_bytes()))
}

/// Python's `bool(value)` for a node, as ComfyUI applies it to `is_default`.
pub fn truthy(node: &Node) -> bool {
    match node.kind.as_ref() {
        Kind::Seq(items) => !items.is_empty(),
        Kind::Map(entries) => !entries.is_empty(),
        Kind::Scalar(s) => match &s.value {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(v) => v.is_none_or(|v| v != 0),
            Value::Float(f) => *f != 0.0,
            Value::Timestamp | Value::Unsupported(_) => true,
            Value::Str => !s.text.is_empty(),
        },
    }
}

/// What a mapping key is equal to in Python, so duplicate keys collapse as in a dict
/// (`yes`, `true`, `1` and `1.0` are the same key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyId {
    Null,
    Int(i128),
    Float(u64),
    Str(String),
    Other(String),
}

pub fn key_id(node: &Node) -> Option<KeyId> {
    let Kind::Scalar(s) = node.kind.as_ref() else {
        return None;
    };
    Some(match &s.value {
        Value::Null => KeyId::Null,
        Value::Bool(b) => KeyId::Int(i128::from(*b)),
        Value::Int(Some(v)) => KeyId::Int(*v),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e30 => KeyId::Int(*f as i128),
        Value::Float(f) => KeyId::Float(f.to_bits()),
        Value::Str => KeyId::Str(s.text.clone()),
        Value::Int(None) | Value::Timestamp | Value::Unsupported(_) => KeyId::Other(s.text.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_plain_scalars() {
        assert_eq!(resolve_plain("yes"), Value::Bool(true));
        assert_eq!(resolve_plain("Off"), Value::Bool(false));
        assert_eq!(resolve_plain("y"), Value::Str);
        assert_eq!(resolve_plain("n"), Value::Str);
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("0"), Value::Int(Some(0)));
        assert_eq!(resolve_plain("0x1F"), Value::Int(Some(31)));
        assert_eq!(resolve_plain("010"), Value::Int(Some(8)));
        assert_eq!(resolve_plain("0b0_1"), Value::Int(Some(1)));
        assert_eq!(resolve_plain("-1_000"), Value::Int(Some(-1000)));
        assert_eq!(resolve_plain("1:30"), Value::Int(Some(90)));
        assert_eq!(resolve_plain("0b_"), Value::Int(None));
        assert_eq!(resolve_plain("09"), Value::Str);
        assert_eq!(resolve_plain("1e5"), Value::Str);
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("1.0e+3"), Value::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("0."), Value::Float(0.0));
        assert_eq!(resolve_plain("1:30.5"), Value::Float(90.5));
        assert_eq!(resolve_plain("-.inf"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(resolve_plain(".nan"), Value::Float(f) if f.is_nan()));
        assert_eq!(resolve_plain("2024-01-31"), Value::Timestamp);
        assert_eq!(resolve_plain("2024-1-3 10:00:00"), Value::Timestamp);
        assert_eq!(resolve_plain("2024-1-3"), Value::Str);
        assert_eq!(resolve_plain("C:\\models"), Value::Str);
        assert_eq!(resolve_plain("/models/1:30"), Value::Str);
        assert_eq!(resolve_plain("models/"), Value::Str);
    }

    #[test]
    fn tabs_only_inside_quotes_block_content_and_comments() {
        let accepted = ["k: 'a\tb'\n", "k: |\n  a\tb\n", "# \tc\nk: v # \t\n"];
        for text in accepted {
            assert!(parse(text).is_ok(), "{text:?}");
        }
        for (text, line, column) in [
            ("k:\tv\n", 1, 3),
            ("k: v\t# c\n", 1, 5),
            ("k: [a,\tb]\n", 1, 7),
            ("k: v\n\tj: w\n", 2, 1),
            ("k: a#\tb\n", 1, 6),
        ] {
            let err = parse(text).err().unwrap_or_else(|| panic!("{text:?} accepted"));
            assert_eq!((err.pos.line, err.pos.column), (line, column), "{text:?}");
        }
    }

    #[test]
    fn duplicate_key_identity_follows_python_equality() {
        let node = |text: &str| Node {
            kind: Rc::new(Kind::Scalar(Scalar { text: text.into(), value: resolve_plain(text) })),
            pos: Pos::default(),
        };
        assert_eq!(key_id(&node("yes")), key_id(&node("1")));
        assert_eq!(key_id(&node("1.0")), key_id(&node("true")));
        assert_ne!(key_id(&node("loras")), key_id(&node("Loras")));
    }
}
