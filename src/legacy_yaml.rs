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
//! - An empty or comments-only file (or a lone `null`) gives zero sections and
//!   [`LegacyYaml::null_document`]: `safe_load` returns `None` and ComfyUI's `for c in config`
//!   raises, so ComfyUI fails to start on it.
//! - Merge keys (`<<: *a`, `<<: [*a, *b]`) are flattened as PyYAML's `flatten_mapping` does:
//!   merged pairs first (for a list, later mappings first so earlier ones win), then the
//!   mapping's own keys, then dict semantics. Tags other than `!!str`/core scalar tags are refused.
//! - Tabs outside quoted values, block-scalar content and comments are refused with their
//!   position, because PyYAML's scanner refuses them (YAML 1.2 parsers accept `key:<tab>value`).
//! - Hostile input is bounded: the file is capped at [`MAX_FILE_BYTES`], nesting at 64 levels,
//!   and alias expansion by counts of aliases, keys visited, paths and path bytes. Those bounds
//!   are ours, not ComfyUI's: they give [`YamlError::Limit`], never "ComfyUI cannot read it".
//! - Paths follow the host's Python rules: on Linux `C:\models` is a relative file name and is
//!   joined to `base_path`, exactly what ComfyUI on Linux would register.

mod coverage;
mod fallback;
mod pathx;
mod rewrite;
mod tree;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use coverage::{FOLDER_KEYS, NODE_KEYS, comfy_dirs_for_key, comfy_key, search_paths};
pub use fallback::{FALLBACK_MARKER, FALLBACK_SECTION, fallback_text, is_fallback, serves_every_key};
pub use pathx::{expanduser, expandvars, expandvars_nt, expandvars_posix, guess_windows_home, normpath, passwd_home};
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
    /// The path as written (one line of the value), before any joining: a rewrite keeps this
    /// text so the file means what it meant in the user's launcher environment.
    pub raw: String,
}

/// One top-level section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// `base_path` after expansion and resolution against the YAML's folder.
    pub base_path: Option<PathBuf>,
    /// `base_path` as written (unexpanded `~`, `$VAR`, relative).
    pub base_path_raw: Option<String>,
    pub is_default: bool,
    pub line: usize,
    pub entries: Vec<YamlEntry>,
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyYaml {
    pub path: PathBuf,
    pub sections: Vec<Section>,
    /// The file's text as read (BOM and line endings included), for a rewrite that keeps
    /// everything it does not have to change.
    pub source: String,
    /// The file holds no YAML value (empty, comments only, `null`): ComfyUI fails on it.
    pub null_document: bool,
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
    /// A bound of comfydoctor's own (size, alias expansion): ComfyUI may well read the file.
    #[error("{path}:{line}:{column}: {message}")]
    Limit { path: PathBuf, line: usize, column: usize, message: String },
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
/// [`MAX_FILE_BYTES`] in the unit the messages use.
const MAX_FILE_MB: u64 = MAX_FILE_BYTES / (1024 * 1024);
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
        return Err(limit(yaml_path, at, format!("too large for comfydoctor (limit {MAX_FILE_MB} MB)")));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
        syntax(yaml_path, position_of(&valid), "file is not valid UTF-8")
    })?;
    parse_str(text, yaml_path, home, env)
}

/// Resolves YAML text as ComfyUI would for a file at `yaml_path`, with an explicit home folder
/// and environment so that results do not depend on the machine running the tests.
///
/// `~name` is looked up on this machine as Python would ([`pathx::user_home`]); use
/// [`parse_str_with`] to give the lookup explicitly.
pub fn parse_str(
    text: &str,
    yaml_path: &Path,
    home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LegacyYaml, YamlError> {
    let users = |name: &str| pathx::user_home(name, home, env);
    parse_str_with(text, yaml_path, home, env, &users)
}

/// [`parse_str`] with an explicit `~name` lookup.
pub fn parse_str_with(
    text: &str,
    yaml_path: &Path,
    home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    users: &dyn Fn(&str) -> Option<PathBuf>,
) -> Result<LegacyYaml, YamlError> {
    if text.len() as u64 > MAX_FILE_BYTES {
        let at = position_of(text.get(..MAX_FILE_BYTES as usize).unwrap_or(text));
        return Err(limit(yaml_path, at, format!("too large for comfydoctor (limit {MAX_FILE_MB} MB)")));
    }
    let source = text.to_string();
    // Python reads text with universal newlines: CRLF and lone CR become LF before PyYAML sees
    // them, and PyYAML skips a leading BOM.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let error =
        |e: tree::Error| if e.limit { limit(yaml_path, e.pos, e.message) } else { syntax(yaml_path, e.pos, e.message) };
    let root = tree::parse(&text).map_err(error)?;
    let null_document = match &root {
        None => true,
        Some(node) => matches!(node.kind.as_ref(), Kind::Scalar(s) if s.value == Value::Null),
    };
    let resolver = Resolver { yaml_dir: yaml_dir(yaml_path), home, env, users, entries: 0, bytes: 0, visits: 0 };
    let sections = resolver.sections(root).map_err(error)?;
    Ok(LegacyYaml { path: yaml_path.to_path_buf(), sections, source, null_document })
}

fn limit(path: &Path, pos: Pos, message: impl Into<String>) -> YamlError {
    YamlError::Limit {
        path: path.to_path_buf(),
        line: pos.line.max(1),
        column: pos.column.max(1),
        message: message.into(),
    }
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
pub(crate) fn yaml_dir(yaml_path: &Path) -> PathBuf {
    let absolute = std::path::absolute(yaml_path).unwrap_or_else(|_| yaml_path.to_path_buf());
    let absolute = normpath(&absolute);
    absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
}

struct Resolver<'a> {
    yaml_dir: PathBuf,
    home: Option<&'a Path>,
    env: &'a dyn Fn(&str) -> Option<String>,
    users: &'a dyn Fn(&str) -> Option<PathBuf>,
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
            // Python iterates an empty list or string to nothing.
            Kind::Seq(items) if items.is_empty() => return Ok(Vec::new()),
            Kind::Scalar(s) if s.value == Value::Str && s.text.is_empty() => return Ok(Vec::new()),
            _ => {
                return Err(tree::Error::at(root.pos, "the top level must be a mapping of sections (`name:` lines)"));
            }
        };
        let mut sections = Vec::new();
        for Field { key, line, value } in self.dict(pairs)? {
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
            return Err(tree::Error::limit(
                pos,
                "too many keys after expanding aliases; refusing to resolve this file",
            ));
        }
        let line = pos.line;
        let fields = self.dict(fields)?;
        let special = |wanted: &str| fields.iter().find(|f| is_str_key(&f.key, wanted)).map(|f| &f.value);
        let (base_path, base_path_raw) = match special("base_path") {
            None => (None, None),
            Some(value) => (Some(self.base_path(&name, value)?), string_value(value).map(str::to_string)),
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
                    return Err(tree::Error::limit(
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
                    raw: line_text.to_string(),
                });
            }
        }
        Ok(Section { name, base_path, base_path_raw, is_default, line, entries })
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
        let expanded = expandvars(&expanduser(raw, self.home, self.users), self.env);
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

impl Resolver<'_> {
    /// A YAML mapping as the Python dict PyYAML builds: merge keys flattened first, then later
    /// duplicates replace the value but keep the first key and its place.
    fn dict(&mut self, pairs: &[(Node, Node)]) -> TreeResult<Vec<Field>> {
        let pairs = self.flatten(pairs, 0)?;
        let mut out: Vec<Field> = Vec::with_capacity(pairs.len());
        let mut index: std::collections::HashMap<KeyId, usize> = std::collections::HashMap::new();
        for (key, value) in pairs {
            check_constructible(&key)?;
            let Some(id) = tree::key_id(&key) else {
                return Err(tree::Error::at(
                    key.pos,
                    format!("a mapping key must be a plain value, not {}", describe(&key)),
                ));
            };
            match index.get(&id) {
                Some(&i) => {
                    out[i].line = key.pos.line;
                    out[i].value = value;
                }
                None => {
                    index.insert(id, out.len());
                    out.push(Field { line: key.pos.line, key, value });
                }
            }
        }
        Ok(out)
    }

    /// PyYAML's `flatten_mapping`: the pairs of `<<` values (a mapping, or a list of mappings
    /// taken last to first) come before the mapping's own pairs. Every pair produced counts
    /// against the key budget, so nested merges of aliases cannot explode.
    fn flatten(&mut self, pairs: &[(Node, Node)], depth: usize) -> TreeResult<Vec<(Node, Node)>> {
        let mut merged: Vec<(Node, Node)> = Vec::new();
        let mut own: Vec<(Node, Node)> = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            self.visits += 1;
            if self.visits > MAX_KEY_VISITS || depth > 64 {
                return Err(tree::Error::limit(
                    key.pos,
                    "too many keys after expanding merge keys; refusing to resolve this file",
                ));
            }
            if !is_merge_key(key) {
                own.push((key.clone(), value.clone()));
                continue;
            }
            match value.kind.as_ref() {
                Kind::Map(inner) => merged.extend(self.flatten(inner, depth + 1)?),
                Kind::Seq(items) => {
                    let mut parts = Vec::with_capacity(items.len());
                    for item in items {
                        let Kind::Map(inner) = item.kind.as_ref() else {
                            return Err(tree::Error::at(
                                item.pos,
                                format!(
                                    "a merge key (`<<`) list holds {}, not a mapping; PyYAML refuses it",
                                    describe(item)
                                ),
                            ));
                        };
                        parts.push(self.flatten(inner, depth + 1)?);
                    }
                    merged.extend(parts.into_iter().rev().flatten());
                }
                _ => {
                    return Err(tree::Error::at(
                        value.pos,
                        format!(
                            "a merge key (`<<`) needs a mapping or a list of mappings, not {}; PyYAML refuses it",
                            describe(value)
                        ),
                    ));
                }
            }
        }
        merged.extend(own);
        Ok(merged)
    }
}

fn is_merge_key(node: &Node) -> bool {
    matches!(node.kind.as_ref(), Kind::Scalar(s) if s.value == Value::Unsupported("!!merge".into()))
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

/// Classifies one entry against the global folder, on its own. A file is judged with
/// [`coverage`], which also knows what the other entries of the same key do.
pub fn classify(entry: &YamlEntry, global: &Path) -> Coverage {
    coverage::classify(entry, global)
}

/// [`classify`] for every entry of the file, in [`LegacyYaml::entries`] order, with the rules
/// that need the whole file (a custom node registers its own folder only when the YAML does not
/// name its key at all).
pub fn coverage(yaml: &LegacyYaml, global: &Path) -> Vec<Coverage> {
    coverage::coverage(yaml, global)
}

/// The global folder this file implies: the `base_path` of a section whose entries are all
/// covered for it (the identity shape ComfyDock wrote).
pub fn infer_global(yaml: &LegacyYaml) -> Option<PathBuf> {
    coverage::infer_global(yaml)
}

/// The text of a new file that keeps only the uncovered entries, as written, in ComfyUI's
/// search order, with a header comment naming the backup; `Ok(None)` when every entry is
/// covered; `Err` (why) when no file can keep both. See [`rewrite`] for `own_models_is_global`.
pub fn rewrite_uncovered(
    yaml: &LegacyYaml,
    global: &Path,
    backup_name: &str,
    own_models_is_global: bool,
) -> Result<Option<String>, String> {
    rewrite::rewrite_uncovered(yaml, global, backup_name, own_models_is_global)
}

/// Whether the install's `models/` holds (or already is) models that end up in the global
/// folder, so its place in ComfyUI's old search order counts as the global folder's.
pub fn own_models_is_global(models: &crate::inspect::ModelsState) -> bool {
    use crate::inspect::ModelsState;
    match models {
        ModelsState::Missing => false,
        ModelsState::RealDir(tree) => !tree.stock_only,
        ModelsState::Link(_) | ModelsState::NotDir(_) => true,
    }
}
