//! `extra_model_paths.yaml`, resolved exactly as ComfyUI's loader (`utils/extra_config.py`,
//! `load_extra_path_config`) would.
//!
//! A migration may only drop an entry when the models link really serves it, so the reader
//! reproduces ComfyUI's `load_extra_path_config` (PyYAML `safe_load`, YAML 1.1) rather than
//! reading "YAML in general". Where ComfyUI would crash on a file, we refuse it with a position
//! instead of guessing.
//!
//! Choices where ComfyUI gives no safe answer:
//! - Duplicate keys: last value wins at the place of the first occurrence, as a Python dict
//!   built by PyYAML does (keys equal in Python, like `yes` and `1`, are duplicates too). The
//!   entry's `line` is the line of the last, effective key.
//! - A folder value that is not a string (number, bool, date, null, list, mapping) is an error:
//!   ComfyUI calls `.split("\n")` on it and crashes.
//! - An empty or comments-only file gives zero sections (ComfyUI would fail iterating `None`;
//!   for a migration such a file simply registers nothing).
//! - Merge keys (`<<`) and tags other than `!!str`/core scalar tags are refused.
//! - Tabs outside quoted values, block-scalar content and comments are refused with their
//!   position, because PyYAML's scanner refuses them (YAML 1.2 parsers accept `key:<tab>value`).
//! - Hostile input is bounded: the file is capped at [`MAX_FILE_BYTES`], nesting at 64 levels,
//!   and alias expansion by counts of aliases, keys visited, paths and path bytes.
//! - Paths follow the host's Python rules: on Linux `C:\models` is a relative file name and is
//!   joined to `base_path`, exactly what ComfyUI on Linux would register.

mod coverage;
mod pathx;
mod rewrite;
mod tree;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use coverage::{FOLDER_KEYS, comfy_dirs_for_key, comfy_key};
pub use pathx::{expanduser, expandvars, expandvars_nt, expandvars_posix, normpath};
use tree::{KeyId, Kind, Node, Pos, Value};

/// The file name ComfyUI reads next to `main.py`.
pub const FILE_NAME: &str = "extra_model_paths.yaml";

/// One path ComfyUI would register: `(folder key, absolute path, is_default)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlEntry {
    pub section: String,
    pub key: String,
    /// Absolute, normalised, as ComfyUI would join it.
    pub path: PathBuf,
    pub is_default: bool,
    /// 1-based line of the key in the file.
    pub line: usize,
}

/// One top-level section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// `base_path` after expansion and resolution against the YAML's folder.
    pub base_path: Option<PathBuf>,
    pub is_default: bool,
    pub line: usize,
    pub entries: Vec<YamlEntry>,
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyYaml {
    pub path: PathBuf,
    pub sections: Vec<Section>,
}

impl LegacyYaml {
    pub fn entries(&self) -> impl Iterator<Item = &YamlEntry> {
        self.sections.iter().flat_map(|s| s.entries.iter())
    }
}

/// Why a file could not be read the way ComfyUI reads it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
}

/// Whether a registered path is served by `models/` once it links to the global folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// `<global>/<dir>` where ComfyUI maps `dir` for this key.
    Covered {
        dir: String,
    },
    Uncovered {
        reason: String,
    },
}

/// Largest file we read: real files are a few KiB; the cap bounds time and memory on anything
/// hostile.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Aliases can make a small file name the same mapping many times; these bound the expansion.
const MAX_ENTRIES: usize = 20_000;
const MAX_EXPANDED_BYTES: usize = 64 * 1024 * 1024;
/// Mapping keys visited while resolving, aliases counted each time they are used.
const MAX_KEY_VISITS: usize = 200_000;

/// Reads and resolves a file with the process environment and home folder.
pub fn read_file(path: &Path) -> Result<LegacyYaml, YamlError> {
    let io_error = |e: std::io::Error| YamlError::Io { path: path.to_path_buf(), message: e.to_string() };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io_error)?;
    let home = process_home();
    let env = |name: &str| std::env::var(name).ok();
    parse_bytes(&bytes, path, home.as_deref(), &env)
}

/// The folder Python's `expanduser` would use for `~`.
fn process_home() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if cfg!(windows) {
        var("USERPROFILE").map(PathBuf::from).or_else(|| {
            let drive = var("HOMEDRIVE").unwrap_or_default();
            var("HOMEPATH").map(|p| Path::new(&drive).join(p))
        })
    } else {
        var("HOME").map(PathBuf::from)
    }
}

/// [`parse_str`] for raw file content: enforces the size cap and UTF-8 (ComfyUI opens the file
/// as UTF-8 text).
pub fn parse_bytes(
    bytes: &[u8],
    yaml_path: &Path,
    home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LegacyYaml, YamlError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let at = position_of(&String::from_utf8_lossy(&bytes[..MAX_FILE_BYTES as usize]));
        return Err(syntax(
            yaml_path,
            at,
            format!("file is larger than {MAX_FILE_BYTES} bytes; not a real extra_model_paths.yaml"),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
        syntax(yaml_path, position_of(&valid), "file is not valid UTF-8")
    })?;
    parse_str(text, yaml_path, home, env)
}

/// Resolves YAML text as ComfyUI would for a file at `yaml_path`, with an explicit home folder
/// and environment so that results do not depend on the machine running the tests.
pub fn parse_str(
    text: &str,
    yaml_path: &Path,
    home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LegacyYaml, YamlError> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return parse_bytes(text.as_bytes(), yaml_path, home, env);
    }
    // Python reads text with universal newlines: CRLF and lone CR become LF before PyYAML sees
    // them, and PyYAML skips a leading BOM.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let root = tree::parse(&text).map_err(|e| syntax(yaml_path, e.pos, e.message))?;
    let resolver = Resolver { yaml_dir: yaml_dir(yaml_path), home, env, entries: 0, bytes: 0, visits: 0 };
    let sections = resolver.sections(root).map_err(|e| syntax(yaml_path, e.pos, e.message))?;
    Ok(LegacyYaml { path: yaml_path.to_path_buf(), sections })
}

fn syntax(path: &Path, pos: Pos, message: impl Into<String>) -> YamlError {
    YamlError::Syntax {
        path: path.to_path_buf(),
        line: pos.line.max(1),
        column: pos.column.max(1),
        message: message.into(),
    }
}

/// The 1-based position just after `prefix`.
fn position_of(prefix: &str) -> Pos {
    let line = prefix.matches('\n').count() + 1;
    let last_line = prefix.rsplit('\n').next().unwrap_or_default();
    Pos { line, column: last_line.chars().count() + 1 }
}

/// `os.path.dirname(os.path.abspath(yaml_path))`.
fn yaml_dir(yaml_path: &Path) -> PathBuf {
    let absolute = std::path::absolute(yaml_path).unwrap_or_else(|_| yaml_path.to_path_buf());
    let absolute = normpath(&absolute);
    absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
}

struct Resolver<'a> {
    yaml_dir: PathBuf,
    home: Option<&'a Path>,
    env: &'a dyn Fn(&str) -> Option<String>,
    entries: usize,
    bytes: usize,
    visits: usize,
}

type TreeResult<T> = Result<T, tree::Error>;

impl Resolver<'_> {
    fn sections(mut self, root: Option<Node>) -> TreeResult<Vec<Section>> {
        let Some(root) = root else {
            return Ok(Vec::new());
        };
        let pairs = match root.kind.as_ref() {
            Kind::Map(pairs) => pairs,
            Kind::Scalar(s) if s.value == Value::Null => return Ok(Vec::new()),
            _ => {
                return Err(tree::Error::at(root.pos, "the top level must be a mapping of sections (`name:` lines)"));
            }
        };
        let mut sections = Vec::new();
        for Field { key, line, value } in dict(pairs)? {
            let name = key_text(&key);
            let fields = match value.kind.as_ref() {
                Kind::Map(fields) => fields,
                // ComfyUI skips a null section; an empty string or list iterates to nothing.
                Kind::Scalar(s) if s.value == Value::Null => continue,
                Kind::Scalar(s) if s.value == Value::Str && s.text.is_empty() => continue,
                Kind::Seq(items) if items.is_empty() => continue,
                _ => {
                    return Err(tree::Error::at(
                        value.pos,
                        format!(
                            "section `{name}` is {}, not a mapping of folder keys (ComfyUI would crash)",
                            describe(&value)
                        ),
                    ));
                }
            };
            let pos = Pos { line, column: key.pos.column };
            sections.push(self.section(name, pos, fields)?);
        }
        Ok(sections)
    }

    fn section(&mut self, name: String, pos: Pos, fields: &[(Node, Node)]) -> TreeResult<Section> {
        self.visits += fields.len();
        if self.visits > MAX_KEY_VISITS {
            return Err(tree::Error::at(pos, "too many keys after expanding aliases; refusing to resolve this file"));
        }
        let line = pos.line;
        let fields = dict(fields)?;
        let special = |wanted: &str| fields.iter().find(|f| is_str_key(&f.key, wanted)).map(|f| &f.value);
        let base_path = match special("base_path") {
            None => None,
            Some(value) => Some(self.base_path(&name, value)?),
        };
        let is_default = match special("is_default") {
            None => false,
            Some(value) => {
                check_constructible(value)?;
                tree::truthy(value)
            }
        };
        let mut entries = Vec::new();
        for Field { key, line, value } in &fields {
            if is_str_key(key, "base_path") || is_str_key(key, "is_default") {
                continue;
            }
            let key_name = key_text(key);
            let text = string_value(value).ok_or_else(|| {
                tree::Error::at(
                    value.pos,
                    format!(
                        "`{name}.{key_name}` is {}, but ComfyUI needs a string of paths (one per line) and would crash",
                        describe(value)
                    ),
                )
            })?;
            for line_text in text.split('\n').filter(|l| !l.is_empty()) {
                self.entries += 1;
                self.bytes += line_text.len();
                if self.entries > MAX_ENTRIES || self.bytes > MAX_EXPANDED_BYTES {
                    return Err(tree::Error::at(
                        value.pos,
                        "too many paths after expanding aliases; refusing to resolve this file",
                    ));
                }
                let full = match &base_path {
                    Some(base) => base.join(line_text),
                    None if Path::new(line_text).is_absolute() => PathBuf::from(line_text),
                    None => self.yaml_dir.join(line_text),
                };
                entries.push(YamlEntry {
                    section: name.clone(),
                    key: key_name.clone(),
                    path: normpath(&full),
                    is_default,
                    line: *line,
                });
            }
        }
        Ok(Section { name, base_path, is_default, line, entries })
    }

    fn base_path(&self, section: &str, value: &Node) -> TreeResult<PathBuf> {
        let Some(raw) = string_value(value) else {
            let hint = match value.kind.as_ref() {
                Kind::Scalar(s) if s.value == Value::Null && s.text == "~" => {
                    " (a bare `~` is YAML null; write \"~\" in quotes for the home folder)"
                }
                _ => "",
            };
            return Err(tree::Error::at(
                value.pos,
                format!("`{section}.base_path` is {}, not a path string; ComfyUI would crash{hint}", describe(value)),
            ));
        };
        let expanded = expandvars(&expanduser(raw, self.home), self.env);
        let path = Path::new(&expanded);
        Ok(if path.is_absolute() { normpath(path) } else { normpath(&self.yaml_dir.join(path)) })
    }
}

/// One key of a mapping after Python dict semantics.
struct Field {
    /// The first occurrence: a Python dict keeps its original key object and place.
    key: Node,
    /// Line of the last occurrence, whose value is the one in effect.
    line: usize,
    value: Node,
}

/// A YAML mapping as the Python dict PyYAML builds: later duplicates replace the value but keep
/// the first key and its place.
fn dict(pairs: &[(Node, Node)]) -> TreeResult<Vec<Field>> {
    let mut out: Vec<Field> = Vec::with_capacity(pairs.len());
    let mut index: std::collections::HashMap<KeyId, usize> = std::collections::HashMap::new();
    for (key, value) in pairs {
        check_constructible(key)?;
        if let Kind::Scalar(s) = key.kind.as_ref()
            && s.value == Value::Unsupported("!!merge".into())
        {
            return Err(tree::Error::at(key.pos, "merge keys (`<<`) are not supported here; write the keys out"));
        }
        let Some(id) = tree::key_id(key) else {
            return Err(tree::Error::at(
                key.pos,
                format!("a mapping key must be a plain value, not {}", describe(key)),
            ));
        };
        match index.get(&id) {
            Some(&i) => {
                out[i].line = key.pos.line;
                out[i].value = value.clone();
            }
            None => {
                index.insert(id, out.len());
                out.push(Field { key: key.clone(), line: key.pos.line, value: value.clone() });
            }
        }
    }
    Ok(out)
}

/// Refuses scalars PyYAML's safe loader cannot construct (it would fail the whole load).
fn check_constructible(node: &Node) -> TreeResult<()> {
    if let Kind::Scalar(s) = node.kind.as_ref() {
        match &s.value {
            Value::Unsupported(tag) if tag != "!!merge" => {
                return Err(tree::Error::at(node.pos, format!("`{}` has tag `{tag}`, which is not supported", s.text)));
            }
            Value::Int(None) => {
                return Err(tree::Error::at(node.pos, format!("`{}` looks like a number PyYAML cannot read", s.text)));
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_str_key(node: &Node, wanted: &str) -> bool {
    matches!(node.kind.as_ref(), Kind::Scalar(s) if s.value == Value::Str && s.text == wanted)
}

fn string_value(node: &Node) -> Option<&str> {
    match node.kind.as_ref() {
        Kind::Scalar(s) if s.value == Value::Str => Some(&s.text),
        _ => None,
    }
}

fn key_text(node: &Node) -> String {
    match node.kind.as_ref() {
        Kind::Scalar(s) => s.text.clone(),
        _ => String::new(),
    }
}

fn describe(node: &Node) -> String {
    match node.kind.as_ref() {
        Kind::Seq(_) => "a list".into(),
        Kind::Map(_) => "a mapping".into(),
        Kind::Scalar(s) => match &s.value {
            Value::Null => "empty (null)".into(),
            Value::Bool(_) => format!("the boolean `{}`", s.text),
            Value::Int(_) | Value::Float(_) => format!("the number `{}`", s.text),
            Value::Timestamp => format!("the date `{}`", s.text),
            Value::Str => format!("the string `{}`", s.text),
            Value::Unsupported(tag) => format!("a `{tag}` value"),
        },
    }
}

/// Classifies one entry against the global folder.
pub fn classify(entry: &YamlEntry, global: &Path) -> Coverage {
    coverage::classify(entry, global)
}

/// The global folder this file implies: the `base_path` of a section whose entries are all
/// covered for it (the identity shape ComfyDock wrote).
pub fn infer_global(yaml: &LegacyYaml) -> Option<PathBuf> {
    coverage::infer_global(yaml)
}

/// The text of a new file that keeps only the uncovered entries (resolving to the same paths),
/// with a header comment naming the backup; `None` when every entry is covered.
pub fn rewrite_uncovered(yaml: &LegacyYaml, global: &Path, backup_name: &str) -> Option<String> {
    rewrite::rewrite_uncovered(yaml, global, backup_name)
}
