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

fn inode(p: &Path) -> (u64, u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("stat {}: {e}", p.display()));
    (m.dev(), m.ino(), m.nlink())
}

/// Every path of `group` is one inode with exactly `group.len()` names.
#[track_caller]
fn assert_one_inode(group: &[PathBuf], what: &str) {
    let first = inode(&group[0]);
    for p in group {
        let i = inode(p);
        assert_eq!((i.0, i.1), (first.0, first.1), "{what}: {} is a separate copy", p.display());
        assert_eq!(i.2, group.len() as u64, "{what}: link count of {}", p.display());
    }
}

#[test]
fn hard_link_groups_stay_one_inode_across_filesystems_and_after_undo() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let c = ws.env("e");
    let m = c.join("models");
    // One group across separate moves (two standard subfolders) and a plain folder moved whole;
    // another group inside that folder only.
    let a = "checkpoints/a.safetensors";
    let b = "loras/b.safetensors";
    let x = "mine/x.safetensors";
    let y = "mine/deep/y.bin";
    let w = "mine/w.bin";
    write(m.join(a), bytes(1));
    mkdir(m.join("loras"));
    std::fs::hard_link(m.join(a), m.join(b)).unwrap();
    write(m.join(w), bytes(2));
    std::fs::create_dir_all(m.join("mine/deep")).unwrap();
    std::fs::hard_link(m.join(a), m.join(x)).unwrap();
    std::fs::hard_link(m.join(w), m.join(y)).unwrap();
    let at = |root: &Path, names: &[&str]| names.iter().map(|n| root.join(n)).collect::<Vec<_>>();
    assert_one_inode(&at(&m, &[a, b, x]), "set-up");
    let b4 = before(&ws, &[&c]);

    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    assert_kept(&ws, &[&c], &b4, "hard links, after fix");
    assert_one_inode(&at(&ws.global, &[a, b, x]), "global, across moves");
    assert_one_inode(&at(&ws.global, &[w, y]), "global, inside one folder move");
    assert_eq!(read(&ws.global.join(b)), bytes(1));
    assert_eq!(read(&ws.global.join(y)), bytes(2));

    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b4, "hard links, after undo");
    assert_one_inode(&at(&m, &[a, b, x]), "install after undo, across moves");
    assert_one_inode(&at(&m, &[w, y]), "install after undo, one folder");
}

/// Allocated bytes of a file (`st_blocks` is in 512-byte units).
fn allocated(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p).unwrap().blocks() * 512
}

/// A 64 MiB file holding 4 KiB of data at 32 MiB and 4 KiB at its end, holes elsewhere.
fn write_sparse(p: &Path) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    const LEN: u64 = 64 << 20;
    let f = std::fs::File::create(p).unwrap();
    f.set_len(LEN).unwrap();
    let data: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8 + 1).collect();
    f.write_all_at(&data, 32 << 20).unwrap();
    f.write_all_at(&data, LEN - 4096).unwrap();
    drop(f);
    let mut want = vec![0u8; LEN as usize];
    want[32 << 20..(32 << 20) + 4096].copy_from_slice(&data);
    want[LEN as usize - 4096..].copy_from_slice(&data);
    want
}

#[test]
fn a_sparse_file_keeps_its_holes_across_filesystems_and_after_undo() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let c = ws.env("e");
    let src = c.join("models/checkpoints/sparse.safetensors");
    mkdir(src.parent().unwrap());
    let want = write_sparse(&src);
    if allocated(&src) > 1 << 20 {
        eprintln!("SKIPPED: this filesystem does not make sparse files");
        return;
    }
    let b4 = before(&ws, &[&c]);

    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    let moved = ws.global.join("checkpoints/sparse.safetensors");
    assert!(read(&moved) == want, "bytes differ after the move");
    assert!(allocated(&moved) <= 256 << 10, "written out in full: {} bytes allocated", allocated(&moved));
    assert_kept(&ws, &[&c], &b4, "sparse, after fix");

    undo(&ws).expect(0, "undo");
    assert!(read(&src) == want, "bytes differ after undo");
    assert!(allocated(&src) <= 256 << 10, "written out in full by undo: {} bytes allocated", allocated(&src));
    assert_restored(&ws, &[&c], &b4, "sparse, after undo");
}

/// A child process holding `file` open for appending (a stalled download); killed on drop.
struct Writer(std::process::Child);

impl Writer {
    fn hold(file: &Path) -> Writer {
        use std::io::BufRead;
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("exec 3>>\"$1\"; echo ready; exec sleep 60")
            .arg("sh")
            .arg(file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        Writer(child)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_file_held_open_is_not_moved_across_filesystems() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let c = ws.env("e");
    let m = c.join("models");
    let busy = m.join("checkpoints/downloading.safetensors");
    write(&busy, bytes(3));
    let inode_before = inode(&busy);
    let writer = Writer::hold(&busy);
    let pid = writer.0.id();

    let out = fix(&ws, &["--yes"]);
    let text = format!("{}\n{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "fix must not succeed while the file is open:\n{text}");
    assert!(text.contains(&format!("(pid {pid})")), "the message names the pid:\n{text}");
    assert!(text.contains("run the command again"), "the message says what to do:\n{text}");
    assert!(text.contains("downloading.safetensors"), "the message names the file:\n{text}");
    // Still where the writer writes, the same inode, bytes intact; nothing half-copied.
    assert_eq!(read(&busy), bytes(3));
    assert_eq!((inode(&busy).0, inode(&busy).1), (inode_before.0, inode_before.1));
    assert!(!exists_nofollow(&ws.global.join("checkpoints/downloading.safetensors")));
    assert_no_temp_left(&ws.global);

    drop(writer);
    fix(&ws, &["--yes"]).expect(0, "fix --yes once the writer is gone");
    assert_eq!(read(&ws.global.join("checkpoints/downloading.safetensors")), bytes(3));
}

/// An install whose `models` links to an old folder outside: its files are copied into the
/// global folder (`CopyVerify`) and the old folder is left as it was.
fn linked_to_old_folder(ws: &Ws) -> (PathBuf, PathBuf) {
    let c = ws.env("wrong");
    let old = ws.outside.join("old-models");
    mkdir(old.join("loras"));
    mkdir(old.join("vae"));
    symlink(&old, c.join("models"));
    (c, old)
}

#[test]
fn copies_out_of_an_old_folder_keep_hard_links() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let (c, old) = linked_to_old_folder(&ws);
    write(old.join("loras/a.safetensors"), bytes(4));
    std::fs::hard_link(old.join("loras/a.safetensors"), old.join("vae/b.safetensors")).unwrap();
    let b4 = before(&ws, &[&c]);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    assert_kept(&ws, &[&c], &b4, "copied out of the old folder");
    assert_one_inode(&[ws.global.join("loras/a.safetensors"), ws.global.join("vae/b.safetensors")], "global copies");
    assert_eq!(read(&ws.global.join("vae/b.safetensors")), bytes(4));
    assert_eq!(inode(&old.join("loras/a.safetensors")).2, 2, "the old folder keeps its own pair");
}

#[test]
fn a_file_held_open_is_not_copied_out_of_an_old_folder() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let (_c, old) = linked_to_old_folder(&ws);
    let busy = old.join("loras/busy.safetensors");
    write(&busy, bytes(5));
    let writer = Writer::hold(&busy);

    let out = fix(&ws, &["--yes"]);
    let text = format!("{}\n{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "fix must not succeed while the file is open:\n{text}");
    assert!(text.contains(&format!("(pid {})", writer.0.id())), "the message names the pid:\n{text}");
    assert!(!exists_nofollow(&ws.global.join("loras/busy.safetensors")), "a copy of the open file was made");
    assert_eq!(read(&busy), bytes(5));
    assert_no_temp_left(&ws.global);

    drop(writer);
    fix(&ws, &["--yes"]).expect(0, "fix --yes once the writer is gone");
    assert_eq!(read(&ws.global.join("loras/busy.safetensors")), bytes(5));
}
