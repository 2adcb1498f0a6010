//! `models-not-dir`: `models` is a file, a link to a file, or a special file; scan, and the fix
//! (renamed to a backup, then linked) through the whole fix/undo cycle.

use crate::support::*;

// ---------------------------------------------------------------- scan

#[test]
fn models_not_dir_fires_on_a_regular_file() {
    let ws = Ws::new();
    let comfy = ws.env("file");
    write(comfy.join("models"), b"not a folder");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "file"), s(&["models-not-dir"]));
    assert_eq!(finding(&json, "file", "models-not-dir")["severity"], "error");
}

#[test]
fn models_not_dir_fires_on_a_link_to_a_file() {
    needs_links!();
    let ws = Ws::new();
    write(ws.root.join("some-file"), b"x");
    let comfy = ws.env("tofile");
    symlink("../../../some-file", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "tofile"), s(&["models-not-dir"]));
}

#[test]
#[cfg(unix)] // sockets
fn models_not_dir_fires_on_a_socket() {
    let ws = Ws::new();
    let comfy = ws.env("socket");
    let _listener = std::os::unix::net::UnixListener::bind(comfy.join("models")).unwrap();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "socket"), s(&["models-not-dir"]));
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn models_not_dir_is_renamed_then_linked() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("file");
    write(c.join("models"), b"I am not a folder");
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let backup = only_backup(&c);
        assert_eq!(read(&backup), b"I am not a folder");
    });
    assert_eq!(read(&c.join("models")), b"I am not a folder");
}

#[test]
fn models_link_to_a_file_is_repointed() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("filelink");
    write(ws.outside.join("a-file"), b"a file, not a folder");
    symlink(ws.outside.join("a-file"), c.join("models"));
    let s = scan(&ws);
    assert!(s.stdout.contains("models-not-dir"), "scan:\n{}", s.stdout);
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
}

#[test]
#[cfg(unix)] // FIFOs
fn models_as_a_special_file_is_renamed_then_linked() {
    let ws = Ws::new();
    let c = ws.env("fifo");
    if !mkfifo(&c.join("models")) {
        return;
    }
    let s = scan(&ws);
    assert!(s.stdout.contains("models-not-dir"), "scan:\n{}", s.stdout);
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let backup = only_backup(&c);
        assert!(!std::fs::symlink_metadata(&backup).unwrap().file_type().is_file());
    });
}
