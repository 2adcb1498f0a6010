//! `git-protection-lost` (issue 17): a migrated checkout updated *without* `guard` by an updater
//! that ignores git's protection, and the repair by the launch hook (`fix --yes --quiet`).
//! With real libgit2 (pygit2, see `guard::pygit2_python`): it stashes the tracked `models/` files
//! as deleted, clears the skip-worktree bits, writes placeholders and the new folder through the
//! link into the global folder and overwrites the config the user had edited there. Then a table
//! of hand-made damage (no pygit2): which placeholders count as the updater's.

use crate::guard::{EDITED, USER_EDIT, Update, pygit2_python, pygit2_updater};
use crate::support::*;

fn sha(bytes: &[u8]) -> String {
    sha256_hex(bytes)
}

#[test]
fn an_unguarded_pygit2_update_is_an_error_and_the_hook_repairs_it() {
    needs_links!();
    let Some(python) = pygit2_python() else { return };
    let u = Update::migrated();
    u.upstream_commit();
    let before = u.global_files();
    let cmd = pygit2_updater(&python, &u.clone);
    let out = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "the updater exits 0: {}", String::from_utf8_lossy(&out.stderr));

    // What libgit2 did (domain.md §4a), so the test stands on the real damage.
    assert_eq!(u.main_py(), "# main.py v2\n");
    assert_eq!(read(&u.global.join(EDITED)), u.upstream_config(), "libgit2 overwrote the user's edit");
    assert!(
        u.global.join("checkpoints/put_checkpoints_here").is_file(),
        "libgit2 wrote a placeholder through the link"
    );
    assert!(u.global.join("newdir/put_new_here").is_file(), "libgit2 wrote the new folder through the link");
    assert!(!u.status().is_empty(), "git status is dirty");
    assert!(!u.unskipped().is_empty(), "the skip-worktree bits are cleared");
    let stashes = git(&u.clone, &["stash", "list"]);
    assert_eq!(stashes.lines().count(), 1, "{stashes}");

    // scan: an error, naming the overwritten config with the hash the journal recorded.
    let (code, json) = run_json_cmd(&mut u.cmd(&["scan", "--format", "json"], true));
    assert_eq!(code, 1, "{json:#}");
    let name = json["installs"][0]["name"].as_str().unwrap().to_string();
    assert_eq!(ids(&json, &name), s(&["git-protection-lost"]), "{json:#}");
    let f = finding(&json, &name, "git-protection-lost");
    assert_eq!(f["severity"], "error");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains(EDITED) && msg.contains(&sha(USER_EDIT.as_bytes())), "{msg}");
    assert!(msg.contains("checkpoints/put_checkpoints_here") && msg.contains("newdir/put_new_here"), "{msg}");

    // The hook.
    let (code, stdout, stderr) = u.run(&["fix", "--yes", "--quiet"], true);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains(EDITED) && said.contains(&sha(USER_EDIT.as_bytes())),
        "names the overwritten config:\n{said}"
    );
    assert!(said.contains("stash"), "says the stash exists:\n{said}");
    assert_eq!(u.status(), "", "git status after the repair");
    assert_eq!(u.unskipped(), Vec::<String>::new(), "the bits are set again");
    u.assert_linked();
    let after = u.global_files();
    assert!(!after.contains_key("checkpoints/put_checkpoints_here"), "the written placeholder is gone");
    assert!(!after.contains_key("newdir/put_new_here"), "the written placeholder is gone");
    assert!(u.global.join("newdir").is_dir(), "the folder upstream added stays");
    let mut expected = before.clone();
    expected.insert(EDITED.to_string(), u.upstream_config());
    assert_eq!(after, expected, "nothing else of the global folder changed");
    assert_eq!(git(&u.clone, &["stash", "list"]), stashes, "the stash is left alone");
    let (code, _, _) = u.run(&["scan"], true);
    assert_eq!(code, 0, "healthy after the repair");
}

/// libgit2's damage made by hand: bits cleared, placeholders in the global folder. A
/// placeholder that was there when the migration recorded the folder is the user's and stays.
#[test]
fn only_the_placeholders_the_journal_did_not_see_are_removed() {
    needs_links!();
    for (name, there_before, written) in [
        ("none before", vec![], vec!["loras/put_loras_here", "vae/put_vae_here"]),
        ("one before", vec!["loras/put_loras_here"], vec!["vae/put_vae_here"]),
        ("all before", vec!["loras/put_loras_here", "vae/put_vae_here"], vec![]),
    ] {
        let u = Update::migrated();
        // Put the "before" ones in and record them with a later run (a guard run records the
        // global folder too): guard with a command that does nothing.
        for p in &there_before {
            write(u.global.join(p), "");
        }
        let out = u.guard(&["true"]);
        assert_eq!(out.0, 0, "{name}\n{}\n{}", out.1, out.2);
        for p in &written {
            write(u.global.join(p), "");
        }
        let files = git(&u.clone, &["ls-files", "models"]);
        let mut args = vec!["update-index", "--no-skip-worktree"];
        args.extend(files.lines());
        git(&u.clone, &args);
        let (code, json) = run_json_cmd(&mut u.cmd(&["scan", "--format", "json"], true));
        assert_eq!(code, 1, "{name}: {json:#}");
        let iname = json["installs"][0]["name"].as_str().unwrap().to_string();
        assert_eq!(ids(&json, &iname), s(&["git-protection-lost"]), "{name}: {json:#}");
        let (code, out, err) = u.run(&["fix", "--yes", "--quiet"], true);
        assert_eq!(code, 0, "{name}\n{out}\n{err}");
        for p in &there_before {
            assert!(u.global.join(p).is_file(), "{name}: {p} was there before and stays");
        }
        for p in &written {
            assert!(!u.global.join(p).exists(), "{name}: {p} was written by the updater and goes");
        }
        assert_eq!(u.status(), "", "{name}");
        assert_eq!(u.unskipped(), Vec::<String>::new(), "{name}");
    }
}

#[test]
fn a_protected_checkout_is_silent() {
    needs_links!();
    let u = Update::migrated();
    let (code, json) = run_json_cmd(&mut u.cmd(&["scan", "--format", "json", "--check", "git-protection-lost"], true));
    assert_eq!(code, 0, "{json:#}");
}
