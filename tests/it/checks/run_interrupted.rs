//! `run-interrupted`: a `fix` killed part-way leaves a journal with an unfinished run; `scan`
//! reports it as an error on the installs it covers, with both ways on (and each runs as
//! printed); once it is finished or rolled back the finding is gone.

use crate::support::*;

fn killed_run() -> (Ws, std::path::PathBuf) {
    let ws = Ws::new();
    let c = ws.env("real");
    write(c.join("models/checkpoints/a.safetensors"), bytes(1));
    write(c.join("models/loras/b.safetensors"), bytes(2));
    let out = fix_interrupted(&ws, "after:2", &[]);
    out.expect(99, "the failpoint ends the run");
    (ws, c)
}

fn hint(fix: &str, verb: &str) -> Vec<String> {
    let start = fix.find(&format!("`comfydoctor {verb} ")).unwrap_or_else(|| panic!("no {verb} hint: {fix}")) + 1;
    let end = start + fix[start..].find('`').unwrap();
    shell_words(&fix[start..end])
}

/// Splits a printed command as a POSIX shell would (quotes only; no expansion needed here).
fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in cmd.chars() {
        match ch {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[test]
fn a_killed_run_is_an_error_in_scan_and_its_hints_run_as_printed() {
    let (ws, _c) = killed_run();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    let f = finding(&json, "real", "run-interrupted");
    assert_eq!(f["severity"], "error", "{f:#}");
    let fix = f["fix"].as_str().unwrap().to_string();
    // The undo hint, run as printed (plus --yes: there is no terminal), rolls it back.
    let mut undo = hint(&fix, "undo");
    assert_eq!(undo[0], "comfydoctor");
    undo.insert(2, "--yes".into());
    let mut cmd = ws.cmd();
    cmd.args(&undo[1..]);
    run_cmd(cmd).expect(0, "the printed undo");
    let (_, json) = ws.scan_json(&[]);
    assert!(!ids(&json, "real").contains(&"run-interrupted".to_string()), "{json:#}");
}

#[test]
fn the_fix_hint_finishes_it_and_the_finding_goes() {
    needs_links!();
    let (ws, c) = killed_run();
    let (_, json) = ws.scan_json(&[]);
    let fix = finding(&json, "real", "run-interrupted")["fix"].as_str().unwrap().to_string();
    let mut cmd = ws.cmd();
    let mut words = hint(&fix, "fix");
    words.insert(2, "--yes".into());
    cmd.args(&words[1..]);
    run_cmd(cmd).expect(0, "the printed fix, with --yes");
    assert_linked(&ws, &c);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
}

#[test]
fn the_table_names_it_and_the_check_can_be_run_alone() {
    let (ws, _c) = killed_run();
    let out = run(&ws, "scan", &["--check", "run-interrupted"]);
    out.expect(1, "scan --check run-interrupted");
    assert!(out.stdout.contains("run-interrupted") && out.stdout.contains("was interrupted"), "{}", out.stdout);
    assert!(out.stdout.contains("Filtered: only 1 check ran (run-interrupted)"), "{}", out.stdout);
}
