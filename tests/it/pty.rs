//! The binary in a real pseudo-terminal (rexpect): a confirmation needs Enter, so `y⏎ y⏎` fixes
//! two installs; Ctrl-C at the strategy menu restores the cursor and changes nothing; Ctrl-C in
//! the middle of a copy leaves no temporary file, exits 130 and names the commands that finish
//! or roll back the run, and those commands work as printed.
#![cfg(unix)]

use std::process::Command;

use rexpect::session::{PtySession, spawn_with_options};

use crate::support::*;

const TIMEOUT_MS: u64 = 30_000;

/// `comfydoctor ARGS` in a pty, with HOME and the current folder at `ws.base` (as `Ws::cmd`).
fn spawn(ws: &Ws, args: &[&str], env: &[(&str, &str)]) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_comfydoctor"));
    cmd.args(args).home(&ws.base).env("NO_COLOR", "1").env("TERM", "xterm").current_dir(&ws.base);
    for var in ["COMFYDOCK_HOME", "COMFYGIT_HOME", "COMFYDOCTOR_MODELS_DIR", "COMFYDOCTOR_FAILPOINT"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let opts = rexpect::reader::Options::new().timeout_ms(Some(TIMEOUT_MS)).strip_ansi_escape_codes(false);
    spawn_with_options(cmd, opts).expect("spawn in a pty")
}

/// Reads to the end; (everything printed, exit code).
fn finish(mut p: PtySession) -> (String, i32) {
    let rest = p.exp_eof().expect("the process ends");
    let status = format!("{:?}", p.process_mut().wait().expect("wait"));
    // `Exited(Pid(123), 130)`
    let code = status.rsplit(", ").next().and_then(|c| c.trim_end_matches(')').parse().ok()).unwrap_or(-1);
    (rest, code)
}

/// Waits for `question` and for the prompt to read keys (it hides the cursor first), then types.
fn answer(p: &mut PtySession, question: &str, keys: &str) {
    p.exp_string(question).unwrap_or_else(|e| panic!("{question}: {e}"));
    p.exp_string("\x1b[?25l").expect("the prompt reads keys");
    std::thread::sleep(std::time::Duration::from_millis(200));
    p.send(keys).unwrap();
    p.flush().unwrap();
}

#[test]
fn y_enter_y_enter_fixes_two_installs() {
    let ws = Ws::new();
    let a = ws.env("a");
    let b = ws.env("b");
    let root = ws.root.to_str().unwrap().to_string();
    let mut p = spawn(&ws, &["fix", &root], &[]);
    answer(&mut p, "Apply this step to a?", "y\r");
    answer(&mut p, "Apply this step to b?", "y\r");
    let (rest, code) = finish(p);
    assert_eq!(code, 0, "{rest}");
    assert_linked(&ws, &a);
    assert_linked(&ws, &b);
}

#[test]
fn the_strategy_is_asked_after_the_plan_and_ctrl_c_there_restores_the_cursor() {
    let ws = Ws::new();
    let c = ws.env("real");
    write(c.join("models/checkpoints/mine.safetensors"), bytes(3));
    let b = ws.everything();
    let root = ws.root.to_str().unwrap().to_string();
    let mut p = spawn(&ws, &["fix", &root], &[]);
    let shown = p.exp_string("merge (the plan above) or backup?").expect("the strategy menu");
    assert!(shown.contains("mv '") && shown.contains("ln -s '"), "the merge plan comes before the question:\n{shown}");
    p.send_control('c').unwrap();
    let (rest, code) = finish(p);
    assert_eq!(code, 130, "{rest}");
    assert!(rest.contains("\x1b[?25h"), "the cursor is shown again: {rest:?}");
    assert!(rest.contains("comfydoctor: interrupted. Nothing was changed."), "{rest}");
    assert_same(&b, &ws.everything(), "Ctrl-C at the menu changes nothing");
}

#[test]
fn ctrl_c_mid_copy_leaves_no_temporary_and_says_how_to_go_on() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let c = ws.env("real");
    let big = vec![9u8; 8 << 20];
    write(c.join("models/checkpoints/big.safetensors"), &big);
    let root = ws.root.to_str().unwrap().to_string();
    let slow = [("COMFYDOCTOR_TEST_COPY_DELAY_MS", "300"), ("COMFYDOCTOR_TEST_PROGRESS_EVERY_MS", "200")];
    let mut p = spawn(&ws, &["fix", "--yes", &root], &slow);
    p.exp_string("copying big.safetensors").expect("the copy under way");
    p.send_control('c').unwrap();
    let (rest, code) = finish(p);
    assert_eq!(code, 130, "{rest}");
    assert!(rest.contains("\x1b[?25h"), "the cursor is shown again: {rest:?}");
    let checkpoints = ws.global.join("checkpoints");
    let left: Vec<String> = std::fs::read_dir(&checkpoints)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "a half-written copy was left in the global folder: {left:?}");
    assert_eq!(std::fs::read(c.join("models/checkpoints/big.safetensors")).unwrap(), big, "the source is whole");

    // The message names both ways on; the scan reports the unfinished run.
    let line = rest.lines().find(|l| l.contains("comfydoctor: interrupted.")).unwrap_or_else(|| panic!("{rest}"));
    assert!(
        line.contains("stopped part-way") && line.contains("`comfydoctor fix ") && line.contains("`comfydoctor undo "),
        "{line}"
    );
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(finding(&json, "real", "run-interrupted")["severity"], "error");

    // Finishing it as printed (with --yes, no terminal here) moves the model whole.
    let fix_hint = line.split('`').nth(1).unwrap().to_string();
    let mut words: Vec<&str> = fix_hint.split(' ').collect();
    assert_eq!(&words[..2], ["comfydoctor", "fix"]);
    words.insert(2, "--yes");
    let mut cmd = ws.cmd();
    cmd.args(words[1..].iter().map(|w| w.replace("~/", &format!("{}/", ws.base.display()))));
    run_cmd(cmd).expect(0, "the printed fix, finishing the run");
    assert_linked(&ws, &c);
    assert_eq!(std::fs::read(checkpoints.join("big.safetensors")).unwrap(), big);
}
