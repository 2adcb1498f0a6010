//! Python's `os.path` string rules that ComfyUI applies to the YAML's paths.
//!
//! ComfyUI never touches the disk to resolve these paths: `expanduser`, `expandvars`, `join` and
//! `normpath` are lexical. Mirroring them lexically (instead of `canonicalize`) is what makes our
//! answer equal to ComfyUI's even when the folders do not exist or are themselves links.
//! Python picks `posixpath` or `ntpath` by platform; so do we, but both variants are compiled
//! everywhere so their tests run on every CI host.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// `os.path.expanduser` for the host platform; `home` is `$HOME` (`%USERPROFILE%` on Windows) and
/// `user_home` answers `~name` the way Python does on this platform (see [`user_home`]); an
/// unknown user leaves the path as written, as in Python.
pub fn expanduser(path: &str, home: Option<&Path>, user_home: &dyn Fn(&str) -> Option<PathBuf>) -> String {
    expanduser_with(path, home, user_home, cfg!(windows))
}

fn expanduser_with(
    path: &str,
    home: Option<&Path>,
    user_home: &dyn Fn(&str) -> Option<PathBuf>,
    windows: bool,
) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_string();
    };
    let is_sep = |c: char| c == '/' || (windows && c == '\\');
    let user_len = rest.find(is_sep).unwrap_or(rest.len());
    let home = if user_len == 0 { home.map(Path::to_path_buf) } else { user_home(&rest[..user_len]) };
    let Some(home) = home else {
        return path.to_string();
    };
    let rest = &rest[user_len..];
    let home = home.to_string_lossy();
    let trimmed = if windows { home.as_ref() } else { home.trim_end_matches('/') };
    let joined = format!("{trimmed}{rest}");
    if joined.is_empty() && !windows { "/".to_string() } else { joined }
}

/// The home folder Python's `expanduser` gives `~name`.
///
/// POSIX Python asks the password database (`pwd.getpwnam`); we read `/etc/passwd`, which holds
/// every local account (directory-service users are not listed there and stay unexpanded).
#[cfg(unix)]
pub fn user_home(name: &str, _home: Option<&Path>, _env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd_home(&text, name)
}

/// The home folder Python's `expanduser` gives `~name`.
///
/// Windows Python has no user database: for another user it guesses `<parent of home>\\name`, but
/// only when the current home folder is named after `%USERNAME%`.
#[cfg(windows)]
pub fn user_home(name: &str, home: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    guess_windows_home(name, home?, env("USERNAME").as_deref())
}

/// `ntpath.expanduser`'s guess for `~name` (string rules of `ntpath`, so it is tested anywhere).
pub fn guess_windows_home(name: &str, home: &Path, current_user: Option<&str>) -> Option<PathBuf> {
    if current_user == Some(name) {
        return Some(home.to_path_buf());
    }
    let home = home.to_string_lossy();
    let cut = home.rfind(['\\', '/']).map_or(0, |i| i + 1);
    let (parent, base) = home.split_at(cut);
    if current_user != Some(base) {
        return None;
    }
    let sep = if parent.is_empty() || parent.ends_with(['\\', '/']) { "" } else { "\\" };
    Some(PathBuf::from(format!("{parent}{sep}{name}")))
}

/// The home field (6th) of `name`'s line in `/etc/passwd` text; the first matching line wins,
/// as with `getpwnam` on the files database.
pub fn passwd_home(passwd: &str, name: &str) -> Option<PathBuf> {
    passwd.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 7 && fields[0] == name).then(|| PathBuf::from(fields[5]))
    })
}

/// `os.path.expandvars` for the host platform. Unknown variables stay as written, as in Python.
pub fn expandvars(path: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    if cfg!(windows) { expandvars_nt(path, env) } else { expandvars_posix(path, env) }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// posixpath: `$name` (ASCII word characters) and `${anything-but-brace}`; no `%VAR%`, no escape.
pub fn expandvars_posix(path: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let len = after.find(|c| !is_word_char(c)).unwrap_or(after.len());
            (&after[..len], len)
        };
        if consumed == 0 {
            // No variable form here: the `$` is literal.
            out.push('$');
            rest = after;
            continue;
        }
        let written = &rest[dollar..dollar + 1 + consumed];
        match (name.is_empty(), env(name)) {
            (false, Some(value)) => out.push_str(&value),
            _ => out.push_str(written),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// ntpath: `%name%`, `$name`, `${name}`, `%%` and `$$` escapes, and no expansion inside
/// single quotes. Variable names after a bare `$` are ASCII letters, digits, `_` and `-`.
pub fn expandvars_nt(path: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let chars: Vec<char> = path.chars().collect();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    let take = |from: usize, to: usize| -> String { chars[from..to].iter().collect() };
    let find = |from: usize, c: char| chars[from..].iter().position(|&x| x == c).map(|p| p + from);
    // `%name%` and `${name}`: the name runs from `i + open` to `close`; unknown names and an
    // unclosed form stay as written. Returns where to go on.
    let delimited = |i: usize, open: usize, close: char, out: &mut String| match find(i + open, close) {
        Some(end) => {
            match env(&take(i + open, end)) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&take(i, end + 1)),
            }
            end + 1
        }
        None => {
            out.push_str(&take(i, chars.len()));
            chars.len()
        }
    };
    while i < chars.len() {
        match chars[i] {
            '\'' => match find(i + 1, '\'') {
                Some(end) => {
                    out.push_str(&take(i, end + 1));
                    i = end + 1;
                }
                None => {
                    out.push_str(&take(i, chars.len()));
                    i = chars.len();
                }
            },
            '%' if chars.get(i + 1) == Some(&'%') => {
                out.push('%');
                i += 2;
            }
            '%' => i = delimited(i, 1, '%', &mut out),
            '$' if chars.get(i + 1) == Some(&'$') => {
                out.push('$');
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'{') => i = delimited(i, 2, '}', &mut out),
            '$' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && (is_word_char(chars[end]) || chars[end] == '-') {
                    end += 1;
                }
                let name = take(start, end);
                // Python looks up even the empty name; no environment defines it.
                match (name.is_empty(), env(&name)) {
                    (false, Some(value)) => out.push_str(&value),
                    _ => out.push_str(&take(i, end)),
                }
                i = end;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// `os.path.normpath`: drops `.` and empty parts, folds `..` lexically, never reads the disk.
///
/// POSIX keeps exactly two leading slashes (`//host/x`), as Python does; Rust's `components`
/// would merge them, so that case is handled by hand.
pub fn normpath(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_encoded_bytes();
    let double_slash = !cfg!(windows) && bytes.starts_with(b"//") && bytes.get(2).is_none_or(|b| *b != b'/');
    let mut prefix: Option<OsString> = None;
    let mut rooted = false;
    let mut parts: Vec<OsString> = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(p) => prefix = Some(p.as_os_str().to_os_string()),
            Component::RootDir => rooted = true,
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_name = parts.last().is_some_and(|p| p != "..");
                if last_is_name {
                    parts.pop();
                } else if !rooted {
                    parts.push("..".into());
                }
            }
            Component::Normal(name) => parts.push(name.to_os_string()),
        }
    }
    let mut out = OsString::new();
    if let Some(prefix) = prefix {
        out.push(prefix);
    }
    if double_slash {
        out.push("//");
    } else if rooted {
        out.push(std::path::MAIN_SEPARATOR_STR);
    }
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(std::path::MAIN_SEPARATOR_STR);
        }
        out.push(part);
    }
    if out.is_empty() {
        out.push(".");
    }
    PathBuf::from(out)
}

/// Compares two path names the way the host's usual file system does: case-insensitively on
/// Windows and macOS (their default volumes), exactly elsewhere.
pub fn same_name(a: &std::ffi::OsStr, b: &std::ffi::OsStr) -> bool {
    if cfg!(any(windows, target_os = "macos")) {
        a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase()
    } else {
        a == b
    }
}

/// The components of `path` below `base`, compared with [`same_name`]; `None` when outside.
pub fn relative_under(path: &Path, base: &Path) -> Option<Vec<OsString>> {
    let mut path_parts = path.components();
    for base_part in base.components() {
        let part = path_parts.next()?;
        let equal = match (base_part, part) {
            (Component::Normal(a), Component::Normal(b)) => same_name(a, b),
            (Component::Prefix(a), Component::Prefix(b)) => same_name(a.as_os_str(), b.as_os_str()),
            (a, b) => a == b,
        };
        if !equal {
            return None;
        }
    }
    Some(path_parts.map(|c| c.as_os_str().to_os_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/me".into()),
            "MODELS" => Some("/srv/models".into()),
            "A_1" => Some("one".into()),
            "WITH-DASH" => Some("dash".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn posix_expandvars_forms() {
        let e = |s: &str| expandvars_posix(s, &env);
        assert_eq!(e("$MODELS/x"), "/srv/models/x");
        assert_eq!(e("${MODELS}/x"), "/srv/models/x");
        assert_eq!(e("$A_1x"), "$A_1x", "the longest word is the name");
        assert_eq!(e("${A_1}x"), "onex");
        assert_eq!(e("$UNKNOWN/x"), "$UNKNOWN/x");
        assert_eq!(e("${UNKNOWN}/x"), "${UNKNOWN}/x");
        assert_eq!(e("$"), "$");
        assert_eq!(e("a$/b"), "a$/b");
        assert_eq!(e("${}"), "${}");
        assert_eq!(e("${MODELS"), "${MODELS");
        assert_eq!(e("%MODELS%"), "%MODELS%", "posix has no %VAR%");
        assert_eq!(e("$EMPTY/x"), "/x");
        assert_eq!(e("$$MODELS"), "$/srv/models");
        assert_eq!(e("é$MODELSé"), "é/srv/modelsé");
        assert_eq!(e("${WITH-DASH}"), "dash");
    }

    #[test]
    fn nt_expandvars_forms() {
        let e = |s: &str| expandvars_nt(s, &env);
        assert_eq!(e("%MODELS%\\x"), "/srv/models\\x");
        assert_eq!(e("$MODELS"), "/srv/models");
        assert_eq!(e("${MODELS}"), "/srv/models");
        assert_eq!(e("$WITH-DASH"), "dash");
        assert_eq!(e("%UNKNOWN%x"), "%UNKNOWN%x");
        assert_eq!(e("100%%"), "100%");
        assert_eq!(e("$$"), "$");
        assert_eq!(e("'%MODELS%'"), "'%MODELS%'");
        assert_eq!(e("'open %MODELS%"), "'open %MODELS%");
        assert_eq!(e("50%"), "50%");
        assert_eq!(e("${MODELS"), "${MODELS");
        assert_eq!(e("$ x"), "$ x");
    }

    #[test]
    fn expanduser_forms() {
        let home = Path::new("/home/me/");
        let users = |name: &str| (name == "bob").then(|| PathBuf::from("/srv/bob/"));
        let e = |path: &str, home: Option<&Path>, windows: bool| expanduser_with(path, home, &users, windows);
        assert_eq!(e("~", Some(home), false), "/home/me");
        assert_eq!(e("~/m", Some(home), false), "/home/me/m");
        // `~user` is looked up, as Python's `pwd.getpwnam`; an unknown user stays as written.
        assert_eq!(e("~bob/m", Some(home), false), "/srv/bob/m");
        assert_eq!(e("~bob", None, false), "/srv/bob");
        assert_eq!(e("~alice/m", Some(home), false), "~alice/m");
        assert_eq!(e("a/~", Some(home), false), "a/~");
        assert_eq!(e("~/m", None, false), "~/m");
        assert_eq!(e("~", Some(Path::new("/")), false), "/");
        let win = Path::new("C:\\Users\\me");
        assert_eq!(e("~\\m", Some(win), true), "C:\\Users\\me\\m");
        assert_eq!(e("~\\m", Some(win), false), "~\\m");
    }

    #[test]
    fn user_homes_as_python_finds_them() {
        let passwd = "# comment\nroot:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000:Bob,,,:/home/bob:/bin/bash\nbad:line\n";
        for (name, want) in [("root", Some("/root")), ("bob", Some("/home/bob")), ("bad", None), ("nobody", None)] {
            assert_eq!(passwd_home(passwd, name), want.map(PathBuf::from), "{name}");
        }
        let home = Path::new("C:\\Users\\me");
        for (name, current, want) in [
            ("me", Some("me"), Some(home.to_path_buf())),
            ("bob", Some("me"), Some(PathBuf::from("C:\\Users\\bob"))),
            // The home folder is not named after the current user: Python gives up.
            ("bob", Some("other"), None),
            ("bob", None, None),
        ] {
            assert_eq!(guess_windows_home(name, home, current), want, "{name} {current:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn normpath_posix() {
        let n = |s: &str| normpath(Path::new(s)).to_string_lossy().into_owned();
        assert_eq!(n("/a/b/../c/./d/"), "/a/c/d");
        assert_eq!(n("/../a"), "/a");
        assert_eq!(n("a/../../b"), "../b");
        assert_eq!(n("../../a"), "../../a");
        assert_eq!(n(""), ".");
        assert_eq!(n("a/.."), ".");
        assert_eq!(n("//a//b"), "//a/b");
        assert_eq!(n("///a"), "/a");
        assert_eq!(n("/a/C:\\m\\x"), "/a/C:\\m\\x");
        assert_eq!(n("/a/b/.."), "/a");
    }

    #[cfg(unix)]
    #[test]
    fn relative_under_components() {
        let rel = relative_under(Path::new("/g/loras/x"), Path::new("/g"));
        assert_eq!(rel, Some(vec!["loras".into(), "x".into()]));
        assert_eq!(relative_under(Path::new("/gx/loras"), Path::new("/g")), None);
        assert_eq!(relative_under(Path::new("/g"), Path::new("/g")), Some(vec![]));
    }
}
