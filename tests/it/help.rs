//! The help around the commands: examples in `--help`, `explain` wrapped to the terminal with a
//! "did you mean" on a typo, and `NO_COLOR` as no-color.org defines it.

use crate::support::*;

#[test]
fn long_help_has_examples_short_help_does_not() {
    for sub in [&[][..], &["scan"], &["fix"], &["undo"], &["explain"], &["completions"]] {
        let (code, long, _) = output(bin().args(sub).arg("--help"));
        assert_eq!(code, 0);
        assert!(long.contains("Examples:\n  comfydoctor") || long.contains("Examples:\n  source"), "{sub:?}:\n{long}");
        let (_, short, _) = output(bin().args(sub).arg("-h"));
        assert!(!short.contains("Examples:"), "{sub:?}:\n{short}");
    }
    let (_, long, _) = output(bin().args(["fix", "--help"]));
    assert!(long.find("Examples:") < long.find("Exit codes:"), "{long}");
}

#[test]
fn explain_suggests_the_nearest_id_on_a_typo() {
    let cases: &[(&str, Option<&str>)] = &[
        ("link-mising", Some("link-missing")),
        ("link_missing", Some("link-missing")),
        ("wrong-target", Some("link-wrong-target")),
        ("lgacy-yaml", Some("legacy-yaml")),
        ("not-a-check", None),
    ];
    for (typed, want) in cases {
        let (code, stdout, stderr) = output(bin().args(["explain", typed]));
        assert_eq!(code, 2, "{typed}: a usage error (exit_codes.rs)");
        assert_eq!(stdout, "");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("`{typed}`")), "{stderr}");
        match want {
            Some(id) => assert!(stderr.contains(&format!("did you mean `{id}`?")), "{typed}: {stderr}"),
            None => assert!(!stderr.contains("did you mean"), "{typed}: {stderr}"),
        }
    }
    // The same for --check, which is resolved by the same rule.
    let (code, _, stderr) = output(bin().args(["scan", "--check", "link-mising", "/nonexistent"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `link-missing`?"), "{stderr}");
}

#[test]
fn explain_wraps_to_the_width_and_keeps_words_whole() {
    for columns in [40usize, 60, 80, 200] {
        for id in ALL_CHECK_IDS {
            let (code, stdout, _) = output(bin().env("COLUMNS", columns.to_string()).args(["explain", id]));
            assert_eq!(code, 0);
            let (_, wide, _) = output(bin().env("COLUMNS", "100000").args(["explain", id]));
            let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
            assert_eq!(words(&stdout), words(&wide), "{id} at {columns}: words changed");
            let limit = columns.min(100);
            for line in stdout.lines() {
                assert!(
                    line.chars().count() <= limit || !line.trim().contains(' '),
                    "{id} at {columns}: {line:?} is {} wide",
                    line.chars().count()
                );
            }
            assert!(stdout.starts_with(&format!("{id}: ")), "{stdout}");
        }
    }
    // No width known at all (not a terminal, no COLUMNS): 80.
    let (_, stdout, _) = output(bin().args(["explain", "models-dir-real"]));
    assert!(stdout.lines().all(|l| l.chars().count() <= 80), "{stdout}");
    assert!(stdout.lines().any(|l| l.chars().count() > 60), "{stdout}");
}

/// no-color.org: `NO_COLOR` disables colour when present and not empty, whatever its value; an
/// empty one is as if unset. `IGNORE_IS_TERMINAL` makes the colour crate take the pipe for a
/// terminal, as it would decide on one.
#[test]
fn no_color_counts_only_when_not_empty() {
    let ws = Ws::new();
    ws.env("bare");
    let coloured = |no_color: Option<&str>, extra: &[(&str, &str)]| {
        let mut cmd = ws.cmd();
        cmd.env_remove("NO_COLOR").env("IGNORE_IS_TERMINAL", "1").env("TERM", "xterm-256color").env_remove("CI");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let (code, stdout, _) = output(cmd.arg("scan").arg(&ws.root));
        assert_eq!(code, 1);
        stdout.contains('\x1b')
    };
    assert!(coloured(None, &[]), "a terminal, no NO_COLOR: colour");
    assert!(coloured(Some(""), &[]), "NO_COLOR= (empty) is as if unset");
    assert!(!coloured(Some("1"), &[]), "NO_COLOR=1");
    assert!(!coloured(Some("0"), &[]), "NO_COLOR=0 counts too: any value that is not empty");
    assert!(!coloured(Some("false"), &[]), "NO_COLOR=false");
    // CLICOLOR_FORCE and --color stay as they were.
    assert!(coloured(Some("1"), &[("CLICOLOR_FORCE", "1")]), "CLICOLOR_FORCE wins");
    assert!(!coloured(Some(""), &[("TERM", "dumb")]), "a dumb terminal");
    let mut never = ws.cmd();
    never.env("NO_COLOR", "").env("IGNORE_IS_TERMINAL", "1").env("TERM", "xterm-256color");
    let (_, stdout, _) = output(never.args(["--color", "never", "scan"]).arg(&ws.root));
    assert!(!stdout.contains('\x1b'), "--color never");
}
