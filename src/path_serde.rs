//! Serde form of a path that keeps names which are not valid Unicode. serde's own `PathBuf`
//! impl refuses them, and model folders do hold such names (archives unpacked on another OS), so
//! a journal written for them must still read back to the exact same bytes. Valid paths stay a
//! plain JSON string; others become `{"unix_bytes_hex": "..."}` (Unix) or
//! `{"windows_utf16": [...]}` (Windows, unpaired surrogates).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Repr {
    Text(String),
    UnixBytes { unix_bytes_hex: String },
    WindowsWide { windows_utf16: Vec<u16> },
}

pub fn serialize<P: AsRef<Path>, S: Serializer>(path: &P, s: S) -> Result<S::Ok, S::Error> {
    to_repr(path.as_ref()).serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    from_repr(Repr::deserialize(d)?).map_err(D::Error::custom)
}

fn to_repr(path: &Path) -> Repr {
    if let Some(s) = path.to_str() {
        return Repr::Text(s.to_owned());
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let hex = crate::digest::hex(path.as_os_str().as_bytes());
        Repr::UnixBytes { unix_bytes_hex: hex }
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        Repr::WindowsWide { windows_utf16: path.as_os_str().encode_wide().collect() }
    }
    #[cfg(not(any(unix, windows)))]
    {
        Repr::Text(path.to_string_lossy().into_owned())
    }
}

fn from_repr(repr: Repr) -> Result<PathBuf, String> {
    match repr {
        Repr::Text(s) => Ok(PathBuf::from(s)),
        Repr::UnixBytes { unix_bytes_hex } => {
            let hex = unix_bytes_hex.as_bytes();
            if hex.len() % 2 != 0 {
                return Err("odd-length hex path".into());
            }
            let mut bytes = Vec::with_capacity(hex.len() / 2);
            for pair in hex.chunks(2) {
                let s = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
                bytes.push(u8::from_str_radix(s, 16).map_err(|e| e.to_string())?);
            }
            unix_path(bytes)
        }
        Repr::WindowsWide { windows_utf16 } => wide_path(windows_utf16),
    }
}

#[cfg(unix)]
fn unix_path(bytes: Vec<u8>) -> Result<PathBuf, String> {
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}
#[cfg(not(unix))]
fn unix_path(bytes: Vec<u8>) -> Result<PathBuf, String> {
    String::from_utf8(bytes)
        .map(PathBuf::from)
        .map_err(|_| "a Unix path that is not UTF-8 cannot be used on this system".into())
}

#[cfg(windows)]
fn wide_path(wide: Vec<u16>) -> Result<PathBuf, String> {
    use std::os::windows::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_wide(&wide)))
}
#[cfg(not(windows))]
fn wide_path(wide: Vec<u16>) -> Result<PathBuf, String> {
    String::from_utf16(&wide)
        .map(PathBuf::from)
        .map_err(|_| "a Windows path that is not UTF-16 cannot be used on this system".into())
}
