//! Issue 14's fast paths change no answer: the parallel scan reports exactly what one thread
//! reports, and the hook's git fast path answers only for a checkout exactly as the migration
//! leaves it: anything else asks `git`, and the answer is then git's.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

// ---------------------------------------------------------------- parallel scan

/// A workspace with one environment of every kind the scan tells apart, `n` of each.
fn mixed(n: usize) -> Ws {
    let ws = Ws::new();
    for i in 0..n {
        ws.healthy_env(&format!("link{i}"));
        let stock = ws.env(&format!("stock{i}"));
        write(stock.join("models/checkpoints/put_checkpoints_here"), b"");
        write(stock.join("models/loras/.gitkeep"), b"");
        let real = ws.env(&format!("real{i}"));
        write(real.join("models/checkpoints/put_checkpoints_here"), b"");
        for k in 0..(i + 3) {
            write(real.join(format!("models/loras/sub{}/m{k}.safetensors", k % 3)), bytes(k as u32));
        }
        symlink("../checkpoints", real.join("models/loras/alias"));
        symlink("/nowhere/at/all", real.join("models/vae"));
        // A user file sorted after a stock-named one of the wrong size, and one before it.
        write(real.join("models/configs/v1-inference.yaml"), b"not stock");
        write(real.join("models/aaa-first.bin"), b"first");
        let yaml = ws.env(&format!("yaml{i}"));
        write(yaml.join("models/checkpoints/put_checkpoints_here"), b"");
        write(
            yaml.join("extra_model_paths.yaml"),
            format!("comfyui:\n  base_path: {}\n  checkpoints: checkpoints/\n", ws.global.display()),
        );
        let dangling = ws.env(&format!("dangling{i}"));
        symlink("../../../gone", dangling.join("models"));
        let notdir = ws.env(&format!("notdir{i}"));
        write(notdir.join("models"), b"a file");
    }
    ws
}

fn scan_with_threads(ws: &Ws, threads: &str, format: &str) -> (i32, String) {
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_THREADS", threads).args(["scan", "--format", format]).arg(&ws.root);
    let (code, out, _) = output(&mut cmd);
    (code, out)
}

#[test]
fn the_parallel_scan_reports_what_one_thread_reports() {
    let ws = mixed(6);
    for format in ["json", "table"] {
        let one = scan_with_threads(&ws, "1", format);
        assert_eq!(one.0, 1, "{}", one.1);
        for threads in ["2", "7", "64"] {
            assert_eq!(scan_with_threads(&ws, threads, format), one, "{threads} threads, {format}");
        }
    }
    // And what it reports is the full walk's count, links and first user entry.
    let (_, json) = ws.scan_json(&[]);
    let f = finding(&json, "real2", "models-dir-real");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.starts_with("models/ is a real folder holding 8 files"), "{msg}");
    assert!(msg.contains("2 nested links: loras/alias → ../checkpoints, vae → /nowhere/at/all"), "{msg}");
}

// ---------------------------------------------------------------- hook fast path

/// A `git` on PATH that logs each call, then runs the real one; returns (PATH, log).
fn logging_git(dir: &Path) -> (String, PathBuf) {
    let real = std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    let bin = dir.join("logbin");
    mkdir(&bin);
    let log = dir.join("git-calls.log");
    let script = bin.join("git");
    write(&script, format!("#!/bin/sh\necho \"$*\" >> '{}'\nexec '{real}' \"$@\"\n", log.display()));
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()), log)
}

/// A workspace whose environment `env` is a git checkout tracking `models/` placeholders,
/// migrated by `fix --yes` (linked, skip-worktree, sparse checkout).
fn migrated_checkout() -> (Ws, PathBuf) {
    assert!(has_git(), "the git tests need `git` on PATH");
    let ws = Ws::new();
    let comfy = ws.env("env");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), b"");
    write(comfy.join("models/loras/put_loras_here"), b"");
    write(comfy.join(".gitignore"), b"/models/\n");
    git(&comfy, &["init", "-q"]);
    git(&comfy, &["add", "-A", "-f"]);
    git(&comfy, &["commit", "-qm", "upstream"]);
    fix(&ws, &["--yes"]).expect(0, "migration");
    assert!(is_link(&comfy.join("models")));
    (ws, comfy)
}

/// `scan --format json` through the logging git; (exit code, JSON, git calls made). `slow`
/// adds a `GIT_*` variable the fast path does not know, so it asks git.
fn scan_logged(ws: &Ws, path: &str, log: &Path, slow: bool) -> (i32, Value, usize) {
    let _ = fs::remove_file(log);
    let mut cmd = ws.cmd();
    cmd.env("PATH", path).args(["scan", "--format", "json"]).arg(&ws.root);
    if slow {
        cmd.env("GIT_COMFYDOCTOR_TEST_SLOW_PATH", "1");
    }
    let (code, json) = run_json_cmd(&mut cmd);
    let calls = fs::read_to_string(log).map(|t| t.lines().count()).unwrap_or(0);
    (code, json, calls)
}

#[test]
fn a_migrated_checkout_is_answered_without_git_and_as_git_answers() {
    let (ws, _) = migrated_checkout();
    let (path, log) = logging_git(&ws.base);
    let (code, fast, calls) = scan_logged(&ws, &path, &log, false);
    assert_eq!((code, calls), (0, 0), "healthy, and git was not started: {fast:#}");
    let (code, slow, calls) = scan_logged(&ws, &path, &log, true);
    assert_eq!(code, 0);
    assert!(calls > 0, "the slow path asks git");
    assert_eq!(fast, slow);
    // The hook itself starts no git either.
    let _ = fs::remove_file(&log);
    let mut cmd = ws.cmd();
    cmd.env("PATH", &path).args(["fix", "--yes", "--quiet"]).arg(&ws.root);
    let (code, out, err) = output(&mut cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(!log.exists(), "{}", fs::read_to_string(&log).unwrap_or_default());
}

type Change = fn(&Path, &Ws);

/// Every way the checkout can differ from what the fast path expects: git must be asked, and
/// the report is git's (as with the fast path turned off). `true`: the fast path may answer.
const VARIANTS: &[(&str, Change, bool)] = &[
    ("index v4", |c, _| drop(git(c, &["update-index", "--index-version", "4"])), true),
    (
        "a tracked path without skip-worktree",
        |c, _| drop(git(c, &["update-index", "--no-skip-worktree", "models/loras/put_loras_here"])),
        false,
    ),
    (
        "core.sparseCheckout false",
        |c, _| drop(git(c, &["config", "--worktree", "core.sparseCheckout", "false"])),
        false,
    ),
    ("a sparse-checkout file without the rule", |c, _| write(c.join(".git/info/sparse-checkout"), b"/*\n"), false),
    ("a split index", |c, _| drop(git(c, &["update-index", "--split-index"])), false),
    (
        "a corrupt index",
        |c, _| {
            let p = c.join(".git/index");
            let mut b = fs::read(&p).unwrap();
            let i = b.len() / 2;
            b[i] ^= 0x55;
            fs::write(&p, b).unwrap();
        },
        false,
    ),
    ("no index", |c, _| fs::remove_file(c.join(".git/index")).unwrap(), false),
    ("a config include", |c, _| drop(git(c, &["config", "include.path", "/dev/null"])), false),
    ("core.worktree set", |c, _| drop(git(c, &["config", "core.worktree", "."])), false),
    ("HEAD damaged", |c, _| write(c.join(".git/HEAD"), b"garbage\n"), false),
    (
        "another user's checkout",
        |c, _| {
            if rustix_euid_is_root() {
                let _ = std::process::Command::new("chown").args(["-R", "12345:12345"]).arg(c).status();
            }
        },
        false,
    ),
];

fn rustix_euid_is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn anything_not_as_the_migration_left_it_asks_git_and_reports_what_git_says() {
    for (name, change, fast_ok) in VARIANTS {
        if *name == "another user's checkout" && !rustix_euid_is_root() {
            continue;
        }
        let (ws, comfy) = migrated_checkout();
        let (path, log) = logging_git(&ws.base);
        change(&comfy, &ws);
        let (code_fast, fast, calls) = scan_logged(&ws, &path, &log, false);
        let (code_slow, slow, slow_calls) = scan_logged(&ws, &path, &log, true);
        assert!(slow_calls > 0, "{name}: the slow path asks git");
        if !fast_ok {
            assert!(calls > 0, "{name}: git must be asked");
        }
        assert_eq!((code_fast, &fast), (code_slow, &slow), "{name}: the report is git's");
    }
}

#[test]
fn a_git_variable_that_points_elsewhere_asks_git() {
    let (ws, comfy) = migrated_checkout();
    let (path, log) = logging_git(&ws.base);
    // An index that tracks models/ without skip-worktree bits, named by GIT_INDEX_FILE.
    let other = ws.base.join("other-index");
    fs::copy(comfy.join(".git/index"), &other).unwrap();
    let _ = fs::remove_file(&log);
    let mut cmd = ws.cmd();
    cmd.env("PATH", &path).env("GIT_INDEX_FILE", &other).args(["scan", "--format", "json"]).arg(&ws.root);
    let (code, _) = run_json_cmd(&mut cmd);
    assert_eq!(code, 0);
    assert!(fs::read_to_string(&log).is_ok_and(|t| t.contains("ls-files")), "git was asked");
}
