//! The cross-filesystem copy (`src/execute/transfer.rs`) driven through the binary, with the
//! global folder on another filesystem: names at the 255-byte limit (and not UTF-8), hard-link
//! groups and sparse files survive `fix` and `undo`, and a file another process holds open is
//! not moved.
#![cfg(unix)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::support::*;

/// A 255-byte file name (NAME_MAX on Linux and macOS) ending in `ext`.
fn name_of_255(stem: u8, ext: &[u8]) -> Vec<u8> {
    let mut n = vec![stem; 255 - ext.len()];
    n.extend_from_slice(ext);
    n
}

#[test]
fn names_of_255_bytes_move_across_filesystems_and_come_back() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let c = ws.env("e");
    let m = c.join("models");
    let utf8 = name_of_255(b'a', b".safetensors");
    // Not UTF-8: 0xff bytes in the middle of an otherwise ASCII name.
    let mut odd = name_of_255(b'b', b".safetensors");
    odd[10] = 0xff;
    odd[11] = 0xfe;
    let names = [OsStr::from_bytes(&utf8), OsStr::from_bytes(&odd)];
    for (i, n) in names.iter().enumerate() {
        write(m.join("checkpoints").join(n), bytes(10 + i as u32));
    }
    // A long-named file inside a plain subfolder moves with its folder.
    write(m.join("mine").join(names[0]), bytes(20));
    let b = before(&ws, &[&c]);

    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    assert_linked(&ws, &c);
    for (i, n) in names.iter().enumerate() {
        assert_eq!(read(&ws.global.join("checkpoints").join(n)), bytes(10 + i as u32));
    }
    assert_eq!(read(&ws.global.join("mine").join(names[0])), bytes(20));
    assert_kept(&ws, &[&c], &b, "long names, after fix");
    assert_no_temp_left(&ws.global);

    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "long names, after undo");
    for (i, n) in names.iter().enumerate() {
        assert_eq!(read(&m.join("checkpoints").join(n)), bytes(10 + i as u32));
    }
    assert_no_temp_left(&m);
}

/// No temporary name of the tool left anywhere under `dir`.
#[track_caller]
fn assert_no_temp_left(dir: &Path) {
    let left: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().as_bytes().starts_with(b".cdtmp-"))
        .map(|e| e.path().to_path_buf())
        .collect();
    assert!(left.is_empty(), "temporary copies left: {left:?}");
}
