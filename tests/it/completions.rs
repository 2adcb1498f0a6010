//! `comfydoctor completions`: the static scripts (bash, zsh, fish) list every check ID (for
//! `explain` and `--check`), the strategies and the formats; the dynamic engine
//! (`COMPLETE=<shell>`, `completions --dynamic`; for PowerShell and Elvish the only one that
//! completes values) answers the same and
//! `undo --run <TAB>` with the run IDs in the journals.

use crate::support::*;

fn script(shell: &str, dynamic: bool) -> String {
    let mut cmd = bin();
    cmd.args(["completions", shell]);
    if dynamic {
        cmd.arg("--dynamic");
    }
    let (code, stdout, stderr) = output(&mut cmd);
    assert_eq!(code, 0, "{shell}: {stderr}");
    stdout
}

#[test]
fn every_static_script_lists_every_check_id_strategy_and_format() {
    for shell in ["bash", "zsh", "fish"] {
        let text = script(shell, false);
        for id in ALL_CHECK_IDS {
            assert!(text.contains(id), "{shell}: check ID {id} missing");
        }
        for word in ["merge", "backup", "table", "json"] {
            assert!(text.contains(word), "{shell}: {word} missing");
        }
    }
}

#[test]
fn bash_offers_the_check_ids_after_explain_and_check() {
    let text = script("bash", false);
    let ids = ALL_CHECK_IDS.join(" ");
    // The explain positional and the --check option of scan and fix each get the whole list.
    assert!(text.matches(&ids).count() >= 3, "{text}");
    assert!(!text.contains("comfydoctor__man"), "the man subcommand is hidden");
}

#[test]
fn dynamic_scripts_call_back_into_comfydoctor() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let text = script(shell, true);
        assert!(text.contains("COMPLETE"), "{shell}: {text}");
        assert!(text.contains("comfydoctor"), "{shell}: {text}");
    }
    // clap_complete's static PowerShell and Elvish scripts complete subcommands and flags only.
    for shell in ["powershell", "elvish"] {
        let text = script(shell, false);
        assert!(text.contains("explain") && text.contains("--strategy"), "{shell}");
    }
}

/// What the dynamic engine offers at the end of `words` (fish's protocol: one `value\thelp` line
/// per candidate).
fn complete(cmd: &mut assert_cmd::Command, words: &[&str]) -> Vec<String> {
    cmd.env("COMPLETE", "fish").arg("--").arg("comfydoctor").args(words);
    let (code, stdout, stderr) = output(cmd);
    assert_eq!(code, 0, "{stderr}");
    stdout.lines().map(|l| l.split('\t').next().unwrap().to_string()).collect()
}

#[test]
fn dynamic_completion_knows_the_check_ids_strategies_and_formats() {
    let got = complete(&mut bin(), &["explain", "link-"]);
    assert_eq!(got, s(&["link-missing", "link-broken", "link-wrong-target"]));
    let got = complete(&mut bin(), &["scan", "--check", "global-"]);
    assert_eq!(got, s(&["global-missing", "global-layout", "global-link-broken"]));
    let all = complete(&mut bin(), &["explain", ""]);
    assert_eq!(all[..ALL_CHECK_IDS.len()], s(ALL_CHECK_IDS), "every ID, in report order, before the flags");
    assert_eq!(complete(&mut bin(), &["fix", "--strategy", ""]), s(&["merge", "backup"]));
    assert!(complete(&mut bin(), &["scan", "--format", ""]).contains(&"json".to_string()));
    // The bash protocol: the index of the word completed, candidates one a line.
    let (code, stdout, stderr) = output(bin().env("COMPLETE", "bash").env("_CLAP_COMPLETE_INDEX", "2").args([
        "--",
        "comfydoctor",
        "explain",
        "git-t",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "git-tracks-models");
}

#[test]
fn dynamic_completion_offers_the_run_ids_of_the_journal_newest_first() {
    needs_links!();
    let ws = Ws::new();
    ws.env("a");
    fix(&ws, &["--yes"]).expect(0, "first fix");
    symlink("../../../models-moved-away", ws.env("b").join("models"));
    fix(&ws, &["--yes"]).expect(0, "second fix");
    let (code, stdout, _) = output(ws.cmd().args(["undo", "--list", "--format", "json"]).arg(&ws.root));
    assert_eq!(code, 0);
    let listed: Vec<String> = parse_json(&stdout)["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.len(), 2, "{stdout}");

    // With the workspace on the command line, and from inside it (the default places).
    let root = ws.root.to_str().unwrap();
    assert_eq!(complete(&mut ws.cmd(), &["undo", root, "--run", ""]), listed);
    assert_eq!(complete(ws.cmd().current_dir(&ws.root), &["undo", "--run", ""]), listed);
    // What is typed filters; the help says when and where.
    let newest = &listed[0];
    let older = &listed[1];
    let prefix = &older[..older.len() - 1];
    let got = complete(&mut ws.cmd(), &["undo", root, "--run", prefix]);
    assert_eq!(got, vec![older.clone()]);
    let (_, stdout, _) =
        output(ws.cmd().env("COMPLETE", "fish").args(["--", "comfydoctor", "undo", root, "--run", ""]));
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with(&format!("{newest}\t")) && first.contains("ComfyUI"), "{stdout}");

    // An undone run is no longer offered.
    undo(&ws).expect(0, "undo");
    assert_eq!(complete(&mut ws.cmd(), &["undo", root, "--run", ""]), listed[1..].to_vec());
    // Nowhere to look: nothing offered, and no error.
    let nowhere = tempdir();
    let got = complete(bin().home(nowhere.path()).current_dir(nowhere.path()), &["undo", "--run", ""]);
    assert_eq!(got, Vec::<String>::new());
}
