//! Whether another process holds a file open, asked right before a cross-filesystem copy: a
//! copy of a file still being written (a stalled download) would miss what the writer adds
//! after it, and those bytes would go to the unlinked source. A same-filesystem rename needs no
//! such check (the writer keeps writing to the moved inode), and Windows refuses by itself with
//! a sharing violation.
//!
//! Linux: one scan of `/proc/*/fd/*` per call, matching each open file's (device, inode).
//! Processes of other users are not visible without privilege, so this is best effort: it finds
//! the user's own downloader or ComfyUI, which is the case that matters.

/// A process found holding a file open.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // only Linux finds one
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub pid: u32,
    /// `/proc/PID/comm` (the program's name), or `"a process"` when unreadable.
    pub name: String,
}

/// What a scan found.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // elsewhere always `Unknown`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Open {
    /// No other process visible to us has any of the files open.
    Free,
    /// The file with this (device, inode) is open in `Holder`.
    By((u64, u64), Holder),
    /// This platform cannot tell.
    Unknown,
}

/// Looks for another process holding any of `files` (device, inode) open; our own process is
/// skipped. One pass over `/proc`, however many files.
#[cfg(target_os = "linux")]
pub(crate) fn find_open(files: &[(u64, u64)]) -> Open {
    use std::collections::HashSet;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    if files.is_empty() {
        return Open::Free;
    }
    let want: HashSet<(u64, u64)> = files.iter().copied().collect();
    let me = std::process::id();
    let Ok(procs) = fs::read_dir("/proc") else {
        return Open::Unknown;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        // Another user's process, or one that just ended: nothing we can see.
        let Ok(fds) = fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            // `stat` follows the fd's magic link to the open file itself, even a deleted one.
            let Ok(m) = fs::metadata(fd.path()) else {
                continue;
            };
            let id = (m.dev(), m.ino());
            if want.contains(&id) {
                let name = fs::read_to_string(p.path().join("comm"))
                    .map(|s| s.trim_end().to_string())
                    .ok()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "a process".into());
                return Open::By(id, Holder { pid, name });
            }
        }
    }
    Open::Free
}

/// Elsewhere nothing is probed (Windows refuses to move an open file by itself).
#[cfg(not(target_os = "linux"))]
pub(crate) fn find_open(_files: &[(u64, u64)]) -> Open {
    Open::Unknown
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn id(p: &std::path::Path) -> (u64, u64) {
        let m = std::fs::metadata(p).unwrap();
        (m.dev(), m.ino())
    }

    #[test]
    fn finds_a_child_holding_the_file_and_skips_ourselves() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("held.bin");
        std::fs::write(&f, b"x").unwrap();
        // Our own open handle does not count.
        let _mine = std::fs::File::open(&f).unwrap();
        assert_eq!(find_open(&[id(&f)]), Open::Free);
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("exec 3>>\"$1\"; echo ready; exec sleep 30")
            .arg("sh")
            .arg(&f)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        let found = find_open(&[(0, 0), id(&f)]);
        let _ = child.kill();
        let _ = child.wait();
        match found {
            Open::By(got, h) => {
                assert_eq!(got, id(&f));
                assert_eq!(h.pid, child.id());
                // `sh` until its `exec` of `sleep`, which keeps fd 3.
                assert!(h.name == "sleep" || h.name == "sh", "{}", h.name);
            }
            other => panic!("not found: {other:?}"),
        }
        assert_eq!(find_open(&[]), Open::Free);
    }
}
