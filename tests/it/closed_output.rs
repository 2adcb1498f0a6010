//! A reader that goes away early (`comfydoctor scan | head -1`, a pager quit): the program ends
//! quietly at that write with the documented code, never with a "Broken pipe" panic, and a
//! `fix` it ends has changed nothing half way.

use std::process::{Command, Stdio};

use crate::support::*;

/// Exit code for a closed output (`exit_codes::CLOSED_OUTPUT`, README: Exit codes).
const CLOSED_OUTPUT: i32 = 141;

/// Which of the binary's outputs is the pipe whose reader is already gone.
#[derive(Debug, Clone, Copy)]
enum Closed {
    Stdout,
    Stderr,
}

/// Runs `comfydoctor ARGS` as [`Ws::cmd`] does, with a real pipe as stdout (or stderr) whose
/// reading end is closed before the program starts, so its first write there fails with EPIPE
/// (`head` closing early, without the race); the workspace is the PATH unless `args` name
/// `checks`. Returns the exit code and the other output.
fn with_closed(ws: &Ws, closed: Closed, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_comfydoctor"));
    for var in ENV_CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1").home(&ws.base).current_dir(&ws.base).args(args);
    if args[0] != "checks" {
        cmd.arg(&ws.root);
    }
    cmd.stdin(Stdio::null());
    match closed {
        Closed::Stdout => cmd.stdout(writer).stderr(Stdio::piped()),
        Closed::Stderr => cmd.stderr(writer).stdout(Stdio::piped()),
    };
    let out = cmd.output().expect("run comfydoctor");
    let other = match closed {
        Closed::Stdout => out.stderr,
        Closed::Stderr => out.stdout,
    };
    (out.status.code(), String::from_utf8_lossy(&other).into_owned())
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_the_documented_code() {
    let ws = Ws::new();
    ws.env("bare");
    write(ws.env("real").join("models/checkpoints/a.safetensors"), bytes(1));
    for args in [&["scan"][..], &["scan", "--format", "json"], &["fix", "--dry-run"], &["checks"], &["backups"]] {
        let (code, stderr) = with_closed(&ws, Closed::Stdout, args);
        assert_eq!(code, Some(CLOSED_OUTPUT), "{args:?}: exit code; stderr:\n{stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?} says:\n{stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing on stderr either");
    }
}

#[test]
fn a_fix_whose_stdout_is_closed_stops_before_changing_anything() {
    needs_links!();
    let ws = Ws::new();
    let bare = ws.env("bare");
    let real = ws.env("real");
    write(real.join("models/checkpoints/a.safetensors"), bytes(1));
    let b = before(&ws, &[&bare, &real]);
    let (code, stderr) = with_closed(&ws, Closed::Stdout, &["fix", "--yes"]);
    assert_eq!(code, Some(CLOSED_OUTPUT), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_kept(&ws, &[&bare, &real], &b, "a fix that could not print its plan");
    // No run left half done: a scan finds no interrupted run, and the fix then goes through.
    let out = scan(&ws);
    assert!(!out.stdout.contains("run-interrupted"), "{}", out.stdout);
    fix(&ws, &["--yes"]).expect(0, "the fix afterwards");
    assert_linked(&ws, &real);
}

#[test]
fn a_closed_stderr_ends_quietly_too() {
    let ws = Ws::bare();
    // No install: the error goes to stderr, which is closed.
    let (code, stdout) = with_closed(&ws, Closed::Stderr, &["scan"]);
    assert_eq!(code, Some(CLOSED_OUTPUT), "stdout:\n{stdout}");
    assert!(!stdout.contains("panicked"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn head_closing_the_pipe_early_leaves_no_panic() {
    // The real thing: many lines, `head -1` gone after the first.
    let ws = Ws::new();
    for n in 0..40 {
        write(ws.env(&format!("e{n}")).join("models/checkpoints/a.safetensors"), bytes(n));
    }
    let bin = env!("CARGO_BIN_EXE_comfydoctor");
    let script = format!("'{bin}' fix --dry-run \"$0\" | head -1; '{bin}' scan \"$0\" | head -1");
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&ws.root)
        .home(&ws.base)
        .env("NO_COLOR", "1")
        .env_remove("COMFYDOCTOR_MODELS_DIR")
        .current_dir(&ws.base)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2, "one line of each");
}
