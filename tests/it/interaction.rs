//! What a person at the keyboard (or a script) is told and can do with it: verdicts true for
//! the whole report, hints that run as printed, `--quiet` that is quiet, `undo` that behaves
//! like `fix` (shows, asks or takes `--yes`, `--dry-run`, scoped to its PATH), discovery that
//! explains what it skipped, and progress through a pipe. The terminal half (prompts, Ctrl-C)
//! is in `pty`.
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn run_std(mut cmd: Command) -> Out {
    let o = cmd.output().expect("run");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The commands a text suggests, each between backticks and starting with `comfydoctor `.
pub(crate) fn hints(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).filter(|s| s.starts_with("comfydoctor ")).map(str::to_string).collect()
}

/// The one hint of `text` that starts with `prefix`.
pub(crate) fn hint(text: &str, prefix: &str) -> String {
    let found: Vec<String> = hints(text).into_iter().filter(|h| h.starts_with(prefix)).collect();
    assert!(!found.is_empty(), "no `{prefix}…` hint in:\n{text}");
    found[0].clone()
}

/// Runs a printed command line exactly as printed, through `sh -c` (so quoting and `~` are the
/// shell's), with `comfydoctor` on PATH, from `ws.base` with HOME there, as `Ws::cmd` does.
pub(crate) fn run_printed(ws: &Ws, line: &str) -> Out {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_comfydoctor")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(line).env("PATH", path).home(&ws.base).env("NO_COLOR", "1").current_dir(&ws.base);
    for var in ["COMFYDOCK_HOME", "COMFYGIT_HOME", "COMFYDOCTOR_MODELS_DIR", "COMFYDOCTOR_FAILPOINT"] {
        cmd.env_remove(var);
    }
    run_std(cmd)
}

/// `<root>/environments/<name>/ComfyUI` of a workspace other than a `Ws`'s; returns `ComfyUI/`.
fn env_in(root: &Path, name: &str) -> std::path::PathBuf {
    let env = root.join("environments").join(name);
    mkdir(env.join(".cec"));
    let comfy = env.join("ComfyUI");
    for f in ["main.py", "folder_paths.py", "nodes.py"] {
        write(comfy.join(f), "");
    }
    comfy
}

fn two_to_fix() -> (Ws, std::path::PathBuf, std::path::PathBuf) {
    let ws = Ws::new();
    let bare = ws.env("bare");
    let real = ws.env("real");
    write(real.join("models/checkpoints/a.safetensors"), bytes(1));
    (ws, bare, real)
}

// ---------------------------------------------------------------- verdicts

#[test]
fn the_summary_is_true_for_the_whole_report() {
    let ws = Ws::new();
    ws.healthy_env("healthy");
    ws.env("bare");
    let out = scan(&ws);
    out.expect(1, "scan");
    assert!(out.stdout.contains("[✓] healthy: healthy\n"), "{}", out.stdout);
    assert!(out.stdout.contains("[✗] bare: 1 error\n"), "{}", out.stdout);
    assert!(out.stdout.contains("2 installs scanned: 1 error, 0 warnings, 0 info; 1 of 2 healthy."), "{}", out.stdout);
    assert!(!out.stdout.contains("No errors or warnings"), "{}", out.stdout);

    ws.healthy_env("also");
    std::fs::remove_dir_all(ws.root.join("environments/bare")).unwrap();
    let out = scan(&ws);
    out.expect(0, "scan");
    assert!(out.stdout.contains("; all 2 healthy."), "{}", out.stdout);
}

#[test]
fn repeated_names_are_told_apart_by_their_path() {
    let one = Ws::named("one");
    let base = one.base.clone();
    one.env("same");
    env_in(&base.join("two"), "same");
    let mut cmd = one.cmd();
    cmd.args(["scan", "--models-dir"]).arg(&one.global).arg(&base);
    let out = run_cmd(cmd);
    assert!(out.stdout.contains("[✗] one/environments/same/ComfyUI: 1 error"), "{}", out.stdout);
    assert!(out.stdout.contains("[✗] two/environments/same/ComfyUI: 1 error"), "{}", out.stdout);
    assert!(out.stdout.contains("| one/environments/same/ComfyUI |"), "{}", out.stdout);
}

#[test]
fn a_filtered_scan_says_it_was_filtered() {
    let (ws, _, _) = two_to_fix();
    let out = run(&ws, "scan", &["--check", "link-missing"]);
    out.expect(1, "scan --check");
    assert!(
        out.stdout.contains("Filtered: only 1 check ran (link-missing); the others were not run"),
        "{}",
        out.stdout
    );
    // An install whose findings the filter hid is not called healthy.
    assert!(out.stdout.contains("[✓] real: nothing found by the checks run"), "{}", out.stdout);
    assert!(!out.stdout.contains("healthy"), "{}", out.stdout);
    let next = hint(&out.stdout, "comfydoctor fix");
    assert!(next.contains("--check link-missing"), "the hint keeps the filter: {next}");
}

// ---------------------------------------------------------------- hints that run as printed

#[test]
fn every_hint_runs_as_printed_from_scan_to_undo() {
    let ws = Ws::named("my ws");
    let bare = ws.env("bare");
    let real = ws.env("real");
    write(real.join("models/checkpoints/a.safetensors"), bytes(1));
    let b = before(&ws, &[&bare, &real]);
    // --models-dir and the PATH as typed, with a space in both.
    let mut cmd = ws.cmd();
    cmd.arg("scan").arg(&ws.root).arg("--models-dir").arg(&ws.global);
    let out = run_cmd(cmd);
    out.expect(1, "scan");
    let dry = hint(&out.stdout, "comfydoctor fix --dry-run");
    assert!(dry.contains("--models-dir ~/'my ws/models'") && dry.ends_with("~/'my ws'"), "{dry}");

    let out = run_printed(&ws, &dry);
    out.expect(1, "the printed dry run");
    assert!(out.stdout.contains("Dry run: "), "{}", out.stdout);
    let apply = hint(&out.stdout, "comfydoctor fix");
    // No terminal: what needs no question is applied, the rest is labelled and a hint given.
    let out = run_printed(&ws, &apply);
    out.expect(1, "the printed fix");
    assert!(
        out.stdout.contains("real (~/my ws/environments/real/ComfyUI), not applied: it needs a confirmation:"),
        "{}",
        out.stdout
    );
    let yes = hint(&out.stderr, "comfydoctor fix --yes");
    let out = run_printed(&ws, &yes);
    out.expect(0, "the printed fix --yes");
    assert_linked(&ws, &real);

    // Undo the newest run from its own hint, then the one before.
    let undo = hint(&out.stdout, "comfydoctor undo");
    let out = run_printed(&ws, &undo);
    out.expect(1, "the printed undo, no terminal");
    let undo_yes = hint(&out.stderr, "comfydoctor undo --yes");
    run_printed(&ws, &undo_yes).expect(0, "the printed undo --yes");
    let out = run_printed(&ws, &format!("{undo} --yes"));
    out.expect(0, "the first run");
    assert_restored(&ws, &[&bare, &real], &b, "both runs undone by printed commands");
    let out = run_printed(&ws, &format!("{undo} --yes"));
    out.expect(2, "nothing left");
    assert!(
        out.stderr.contains("nothing to undo: all 2 runs recorded in ~/my ws are already undone"),
        "{}",
        out.stderr
    );
    run_printed(&ws, &hint(&out.stderr, "comfydoctor undo --list")).expect(0, "the printed list");
}

// ---------------------------------------------------------------- --quiet

#[test]
fn quiet_prints_one_line_per_install_changed_and_nothing_when_healthy() {
    let (ws, _, _) = two_to_fix();
    let out = fix(&ws, &["--yes", "--quiet"]);
    out.expect(0, "fix --yes --quiet");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    let global = "~/ws/models";
    assert!(
        lines[0].starts_with(&format!("comfydoctor: bare: models/ linked to {global} ("))
            && lines[0].ends_with("; undo: comfydoctor undo ~/ws)"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with(&format!("comfydoctor: real: models/ linked to {global} (")), "{}", lines[1]);
    assert!(lines[1].contains(" steps; undo: "), "{}", lines[1]);
    assert_eq!(out.stderr, "", "nothing on stderr for a run that went well");

    let out = fix(&ws, &["--yes", "--quiet"]);
    out.expect(0, "healthy");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let out = run(&ws, "scan", &["--quiet"]);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (0, "", ""));
}

#[test]
fn quiet_errors_go_to_stderr() {
    let ws = Ws::new();
    let out = run(&ws, "fix", &["--yes", "--quiet"]);
    out.expect(2, "no install");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("no ComfyUI install found"), "{}", out.stderr);
}

// ---------------------------------------------------------------- nothing to do

#[test]
fn nothing_to_fix_says_so_in_one_line() {
    let ws = Ws::new();
    ws.healthy_env("a");
    ws.healthy_env("b");
    let out = fix(&ws, &[]);
    out.expect(0, "fix");
    assert_eq!(out.stdout, "Nothing to fix: 2 installs healthy.\n");
    let out = fix(&ws, &["--dry-run"]);
    assert_eq!(out.stdout, "Nothing to fix: 2 installs healthy.\n");
}

// ---------------------------------------------------------------- undo like fix

#[test]
fn undo_shows_takes_dry_run_and_yes_and_asks_without_them() {
    let (ws, bare, real) = two_to_fix();
    let b = before(&ws, &[&bare, &real]);
    fix(&ws, &["--yes"]).expect(0, "fix");
    let fixed = ws.everything();

    let out = run(&ws, "undo", &["--dry-run"]);
    out.expect(0, "undo --dry-run");
    assert!(out.stdout.contains("reverses ") && out.stdout.contains("newest first:"), "{}", out.stdout);
    let first = out.stdout.lines().find(|l| l.trim_start().starts_with("1. ")).unwrap();
    assert!(first.contains("rm ") && first.contains("real/ComfyUI/models'  # the link only"), "newest first: {first}");
    assert!(out.stdout.contains("mv '") && out.stdout.contains("mkdir '"), "{}", out.stdout);
    assert!(out.stdout.contains("Dry run: nothing changed."), "{}", out.stdout);
    assert_same(&fixed, &ws.everything(), "undo --dry-run changes nothing");

    let out = run(&ws, "undo", &[]);
    out.expect(1, "undo without a terminal and without --yes");
    assert!(out.stderr.contains("not undone") && out.stderr.contains("--yes"), "{}", out.stderr);
    assert_same(&fixed, &ws.everything(), "an unconfirmed undo changes nothing");

    let out = run(&ws, "undo", &["--yes"]);
    out.expect(0, "undo --yes");
    assert_restored(&ws, &[&bare, &real], &b, "undo --yes");
}

#[test]
fn nothing_to_undo_says_why() {
    let ws = Ws::new();
    ws.env("bare");
    let out = run(&ws, "undo", &["--yes"]);
    out.expect(2, "no run");
    assert!(out.stderr.contains("nothing to undo: no run of `comfydoctor fix` is recorded"), "{}", out.stderr);
    fix(&ws, &["--yes"]).expect(0, "fix");
    undo(&ws).expect(0, "undo");
    let out = run(&ws, "undo", &["--yes"]);
    out.expect(2, "all undone");
    assert!(out.stderr.contains("nothing to undo: the one run recorded in ~/ws is already undone"), "{}", out.stderr);
}

#[test]
fn undo_list_has_column_headers() {
    let (ws, _, _) = two_to_fix();
    fix(&ws, &["--yes"]).expect(0, "fix");
    // Piped: a Markdown table whose columns line up.
    let out = run(&ws, "undo", &["--list"]);
    out.expect(0, "list");
    let lines: Vec<&str> = out.stdout.lines().collect();
    for col in ["Run", "Started", "State", "Actions", "Installs"] {
        assert!(lines[0].contains(&format!("| {col} ")), "{}", out.stdout);
    }
    assert!(lines[1].starts_with("|---") && lines[2].contains("| complete "), "{}", out.stdout);
    assert!(lines.iter().all(|l| l.chars().count() == lines[0].chars().count()), "aligned:\n{}", out.stdout);
    // As a table, laid out to the width given: headers, and no line wider.
    for width in [60usize, 200] {
        let mut cmd = ws.cmd();
        cmd.env("COLUMNS", width.to_string()).args(["undo", "--list", "--format", "table"]).arg(&ws.root);
        let out = run_cmd(cmd);
        out.expect(0, "list as a table");
        assert!(out.stdout.contains("complete"), "{}", out.stdout);
        assert!(out.stdout.lines().all(|l| l.chars().count() <= width), "{width}:\n{}", out.stdout);
        if width == 200 {
            assert!(out.stdout.lines().next().unwrap().contains("Run"), "{}", out.stdout);
        }
    }
}

#[test]
fn undo_is_scoped_to_its_path_and_asks_for_one_when_several_journals_match() {
    let one = Ws::named("one");
    let a = one.env("a");
    let two_root = one.base.join("two");
    let b_comfy = env_in(&two_root, "b");
    let mut cmd = one.cmd();
    cmd.args(["fix", "--yes", "--models-dir"]).arg(&one.global).arg(&one.root).arg(&two_root);
    run_cmd(cmd).expect(0, "fix both");
    assert!(a.join("models").is_symlink() && b_comfy.join("models").is_symlink());

    // A folder holding both: a script is asked for a PATH, and each is printed.
    let mut cmd = one.cmd();
    cmd.args(["undo", "--yes"]).arg(&one.base);
    let out = run_cmd(cmd);
    out.expect(2, "two journals, no terminal");
    // Each line keeps the --yes the script gave, so it runs as printed.
    assert!(
        out.stderr.contains("comfydoctor undo --yes ~/one") && out.stderr.contains("comfydoctor undo --yes ~/two"),
        "{}",
        out.stderr
    );
    assert!(a.join("models").is_symlink() && b_comfy.join("models").is_symlink(), "nothing undone");

    // The PATH given (the printed line, as printed): only that workspace's run.
    let line = out.stderr.lines().map(str::trim).find(|l| l.ends_with("~/two")).unwrap().to_string();
    let out = run_printed(&one, &line);
    out.expect(0, "undo ~/two");
    assert!(!b_comfy.join("models").exists(), "two undone");
    assert!(a.join("models").is_symlink(), "one left alone");
}

// ---------------------------------------------------------------- discovery that explains

#[test]
fn almost_installs_say_what_they_lack_with_verbose() {
    let ws = Ws::new();
    ws.env("ok");
    let half = ws.base.join("search/half");
    write(half.join("main.py"), "");
    write(half.join("folder_paths.py"), "");
    write(ws.base.join("search/x/ComfyUI/main.py"), "");
    let comfy = ws.base.join("search/full");
    for f in ["main.py", "folder_paths.py", "nodes.py"] {
        write(comfy.join(f), "");
    }
    let mut cmd = ws.cmd();
    cmd.args(["scan", "-v", "--models-dir"]).arg(&ws.global).arg(ws.base.join("search"));
    let out = run_cmd(cmd);
    assert!(
        out.stderr.contains(
            "half: not a ComfyUI folder: has main.py, folder_paths.py but lacks nodes.py, comfy, comfy_extras"
        ),
        "{}",
        out.stderr
    );
    // Without -v, no noise.
    let mut cmd = ws.cmd();
    cmd.args(["scan", "--models-dir"]).arg(&ws.global).arg(ws.base.join("search"));
    assert_eq!(run_cmd(cmd).stderr, "");
}

/// Root reads every folder: the unreadable one is checked as another user (setpriv).
#[test]
fn an_unreadable_folder_is_reported_never_dropped() {
    if !rustix_is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED: needs root and setpriv to run as another user");
        return;
    }
    let ws = Ws::new();
    let search = ws.base.join("search");
    let comfy = search.join("ok");
    for f in ["main.py", "folder_paths.py", "nodes.py"] {
        write(comfy.join(f), "");
    }
    let locked = search.join("locked");
    mkdir(locked.join("inside"));
    chmod(&ws.base, 0o755);
    chmod(&locked, 0o000);
    let run_as = |args: &[&str]| {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_comfydoctor"))
            .args(args)
            .home(&ws.base)
            .env("NO_COLOR", "1")
            .current_dir("/");
        run_std(cmd)
    };
    let s = search.to_str().unwrap();
    let g = ws.global.to_str().unwrap();
    let out = run_as(&["scan", "--models-dir", g, s]);
    assert!(
        out.stderr.contains("comfydoctor: skipped ~/search/locked: cannot be read: permission denied"),
        "{}",
        out.stderr
    );
    let out = run_as(&["scan", "--format", "json", "--models-dir", g, s]);
    let json = parse_json(&out.stdout);
    let skipped = json["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|e| e["kind"] == "unreadable"
            && e["path"].as_str().unwrap().ends_with("search/locked")
            && e["reason"] == "cannot be read: permission denied"),
        "{json:#}"
    );
    chmod(&locked, 0o755);
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn rustix_is_root() -> bool {
    // SAFETY-free: read the effective uid from /proc.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

// ---------------------------------------------------------------- wording

#[test]
fn the_demo_workspace_is_told_in_real_plurals() {
    let home = tempdir();
    let ws = home.path().join("demo");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-workspace");
    assert!(Command::new("cp").arg("-a").arg(&demo).arg(&ws).status().unwrap().success());
    for args in [&["scan"][..], &["fix", "--dry-run"], &["fix", "--yes"], &["undo", "--yes"]] {
        let mut cmd = bin();
        cmd.home(home.path()).current_dir(home.path()).args(args).arg(&ws);
        let out = run_cmd(cmd);
        for bad in ["(s)", "(ies)", "..\n", ".;", ";.", ":.", ",.", " ,", ";;", ". .", ".)."] {
            assert!(
                !out.stdout.contains(bad) && !out.stderr.contains(bad),
                "{args:?} prints {bad}:\n{}{}",
                out.stdout,
                out.stderr
            );
        }
    }
}

// ---------------------------------------------------------------- progress through a pipe

#[test]
fn a_long_copy_through_a_pipe_prints_plain_progress_lines_also_quiet() {
    for quiet in [false, true] {
        let Some(ws) = Ws::on_other_fs() else { return };
        let c = ws.env("real");
        write(c.join("models/checkpoints/big.safetensors"), vec![7u8; 6 << 20]);
        let mut cmd = ws.cmd();
        cmd.env("COMFYDOCTOR_TEST_COPY_DELAY_MS", "40").env("COMFYDOCTOR_TEST_PROGRESS_EVERY_MS", "100");
        cmd.args(["fix", "--yes"]).arg(&ws.root);
        if quiet {
            cmd.arg("--quiet");
        }
        let out = run_cmd(cmd);
        out.expect(0, "fix across filesystems");
        let line = out
            .stderr
            .lines()
            .find(|l| l.starts_with("comfydoctor: copying big.safetensors: "))
            .unwrap_or_else(|| panic!("no progress line (quiet {quiet}):\n{}", out.stderr));
        assert!(line.contains(" of 6.00 MiB (") && line.contains("/s") && line.contains("; step "), "{line}");
        assert!(out.stderr.contains("comfydoctor: copied big.safetensors (6.00 MiB)"), "{}", out.stderr);
        assert!(!out.stderr.contains('\r') && !out.stderr.contains('\x1b'), "plain lines only: {:?}", out.stderr);
    }
}

// ---------------------------------------------------------------- snapshots of the demo

/// Replaces what changes from run to run: the temp folder, run IDs, UTC stamps and times.
fn normalise(text: &str, base: &Path) -> String {
    let text = text.replace(base.to_str().unwrap(), "[TMP]");
    // `D`: a digit, `D+`: one or more, anything else literally; longest patterns first.
    let patterns = [
        ("DDDD-DD-DDTDD:DD:DD.DDDZ", "[TIME]"),
        ("DDDDDDDD-DDDDDD-DDD-D+", "[RUN]"),
        ("DDDDDDDDTDDDDDDZ", "[STAMP]"),
        ("D+.D+ s", "[SECS] s"),
    ];
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    'outer: while i < chars.len() {
        for (pat, with) in patterns {
            if let Some(n) = matches_at(&chars[i..], pat) {
                out.push_str(with);
                i += n;
                continue 'outer;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn matches_at(s: &[char], pat: &str) -> Option<usize> {
    let p: Vec<char> = pat.chars().collect();
    let (mut i, mut j) = (0, 0);
    while j < p.len() {
        match p[j] {
            'D' if p.get(j + 1) == Some(&'+') => {
                let start = i;
                while s.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
                if i == start {
                    return None;
                }
                j += 2;
            }
            'D' => {
                if !s.get(i).is_some_and(char::is_ascii_digit) {
                    return None;
                }
                i += 1;
                j += 1;
            }
            c => {
                if s.get(i) != Some(&c) {
                    return None;
                }
                i += 1;
                j += 1;
            }
        }
    }
    Some(i)
}

#[test]
fn normalise_replaces_only_what_changes() {
    let b = Path::new("/tmp/x");
    assert_eq!(
        normalise("run 20261203-141846-023-19102 at 2026-12-03T14:18:46.023Z in /tmp/x/ws, backup-20261203T141846Z", b),
        "run [RUN] at [TIME] in [TMP]/ws, backup-[STAMP]"
    );
    assert_eq!(normalise("1 of 6 healthy; step 2", b), "1 of 6 healthy; step 2");
}

/// The demo workspace (copied) as a newcomer meets it: scan, dry run, fix, quiet fix, undo.
#[test]
fn demo_workspace_snapshots() {
    let home = tempdir();
    let base = home.path().canonicalize().unwrap();
    let ws = base.join("demo");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-workspace");
    assert!(Command::new("cp").arg("-a").arg(&demo).arg(&ws).status().unwrap().success());
    let go = |args: &[&str]| {
        let mut cmd = bin();
        cmd.home(&base).current_dir(&base).args(args);
        let out = run_cmd(cmd);
        format!("$ comfydoctor {}\n[exit {}]\n{}--- stderr\n{}", args.join(" "), out.code, out.stdout, out.stderr)
    };
    let shot = |name: &str, text: String| {
        insta::assert_snapshot!(name, normalise(&text, &base));
    };
    shot("demo_scan", go(&["scan", "demo"]));
    shot("demo_dry_run", go(&["fix", "--dry-run", "demo"]));
    shot("demo_fix_yes", go(&["fix", "--yes", "demo"]));
    shot("demo_undo_dry_run", go(&["undo", "--dry-run", "demo"]));
    shot("demo_undo_yes", go(&["undo", "--yes", "demo"]));
    shot("demo_undo_yes_again", go(&["undo", "--yes", "demo"]));
    shot("demo_fix_quiet", go(&["fix", "--yes", "--quiet", "demo"]));
    shot("demo_scan_after", go(&["scan", "demo"]));
    shot("demo_fix_quiet_healthy", go(&["fix", "--yes", "--quiet", "demo"]));
}
