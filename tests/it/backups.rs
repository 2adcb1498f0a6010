//! `comfydoctor backups [--prune]` and the size line of `scan` (issue 15): the backup folders
//! `fix` made are listed with what the global folder holds of them; `--prune` deletes only the
//! files proved identical (full SHA-256, re-hashed right before) to a regular file of the global
//! folder, removes the folders it emptied, and keeps the rest for a decision; the size line is
//! what migrating and pruning then free. Done-when: five installs holding the same models end
//! at one copy, every model still listed in every install; one of them detached runs alone.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use comfydoctor::execute::{self, ExecOptions};
use comfydoctor::plan::Action;

use crate::support::*;

/// A model file over 1 MiB (the size line looks at nothing smaller), distinct per `n`.
fn big(n: u32) -> Vec<u8> {
    let mut v = format!("big-model-{n}-").into_bytes();
    v.resize(1024 * 1024 + 4096 * n as usize, n as u8);
    v
}

fn prune(ws: &Ws, args: &[&str]) -> Out {
    run(ws, "backups", &[&["--prune"], args].concat())
}

/// Bytes of the model files (over 1 MiB) under `root`, each file once however many names it has
/// (hard links): what the disk holds of them.
fn disk_bytes(root: &Path) -> u64 {
    let mut seen = HashSet::new();
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let len = e.metadata().ok()?.len();
            let id = same_file::Handle::from_path(e.path()).ok()?;
            (len > 1024 * 1024 && seen.insert(id)).then_some(len)
        })
        .sum()
}

fn reclaimable(ws: &Ws) -> u64 {
    let (_, json) = ws.scan_json(&[]);
    json["sizes"]["reclaimable_bytes"].as_u64().unwrap_or_else(|| panic!("no size line: {json:#}"))
}

#[test]
fn five_installs_of_the_same_models_end_at_one_copy() {
    needs_links!();
    let ws = Ws::new();
    let models = [("checkpoints/sd.safetensors", big(1)), ("loras/style.safetensors", big(2)), ("vae/v.pt", big(3))];
    let comfys: Vec<PathBuf> = (1..=5).map(|n| ws.env(&format!("e{n}"))).collect();
    for c in &comfys {
        for (rel, b) in &models {
            write(c.join("models").join(rel), b);
        }
    }
    let one_copy: u64 = models.iter().map(|(_, b)| b.len() as u64).sum();
    let before = disk_bytes(&ws.base);
    assert_eq!(before, 5 * one_copy);

    // The size line: four of the five copies are freed.
    let (_, json) = ws.scan_json(&[]);
    let sizes = &json["sizes"];
    assert_eq!(sizes["reclaimable_bytes"], 4 * one_copy, "{sizes:#}");
    assert_eq!(sizes["files"], 12);
    assert_eq!(sizes["installs"][0]["duplicate_bytes"], 0, "the first install's copies move in");
    for n in 1..5 {
        assert_eq!(sizes["installs"][n]["duplicate_bytes"], one_copy);
    }
    let table = scan(&ws);
    assert!(table.stdout.contains(&format!("({} bytes) in 12 files over 1 MiB", 4 * one_copy)), "{}", table.stdout);
    let quiet = run(&ws, "scan", &["--quiet"]);
    assert!(!quiet.stdout.contains("Duplicates"), "not with --quiet: {}", quiet.stdout);

    fix(&ws, &["--yes"]).expect(0, "migrate all five");
    assert_eq!(disk_bytes(&ws.base), before, "the migration alone frees nothing");
    let listed = backups_listing(&ws);
    assert!(listed.contains("3 identical at the same path"), "{listed}");

    let out = prune(&ws, &["--yes"]);
    out.expect(0, "prune");
    let freed = before - disk_bytes(&ws.base);
    assert_eq!(freed, 4 * one_copy, "the size line said what --prune frees\n{}", out.stdout);
    assert!(out.stdout.contains(&format!("Freed {} ({freed} bytes)", human(freed))), "{}", out.stdout);
    assert_eq!(disk_bytes(&ws.base), one_copy, "one copy left");
    for c in &comfys {
        assert_linked(&ws, c);
        assert!(backups(c).is_empty(), "the emptied backup folder of {} is gone", c.display());
        let l = comfy_listing(c);
        for (k, p) in [("checkpoints", "sd.safetensors"), ("loras", "style.safetensors"), ("vae", "v.pt")] {
            assert!(l.contains(&(k.to_string(), PathBuf::from(p))), "{k}/{p} listed in {}", c.display());
        }
    }
    assert_eq!(reclaimable(&ws), 0);

    // One of them detached runs alone, with its own copy of one model; the others keep the link.
    let mut cmd = ws.cmd();
    cmd.args(["detach", "--yes", "--copy", "checkpoints/sd.safetensors"]).arg(&comfys[0]);
    run_cmd(cmd).expect(0, "detach one");
    assert!(!is_link(&comfys[0].join("models")));
    let alone = comfy_listing(&comfys[0]);
    assert!(alone.contains(&("checkpoints".to_string(), PathBuf::from("sd.safetensors"))));
    assert!(!alone.iter().any(|(k, _)| k == "loras"), "{alone:?}");
    for c in &comfys[1..] {
        assert_linked(&ws, c);
    }
}

fn human(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
}

fn backups_listing(ws: &Ws) -> String {
    let out = run(ws, "backups", &[]);
    out.expect(0, "backups");
    out.stdout.clone()
}

/// Install `b` migrated after `a`: its backup folder holds `dup` (identical to the global
/// folder's), `diff` (one byte different), `stale` (identical, then the global twin edited),
/// `linked` (identical, but the global twin then replaced by a link to the same bytes) and
/// `moved` (identical to a global file under another name).
fn prune_fixture() -> (Ws, PathBuf, PathBuf) {
    let ws = Ws::new();
    let a = ws.env("a");
    for (rel, n) in [("dup", 1), ("diff", 2), ("stale", 3), ("linked", 4)] {
        write(a.join(format!("models/checkpoints/{rel}.safetensors")), big(n));
    }
    write(a.join("models/loras/moved.safetensors"), big(5));
    fix(&ws, &["--yes"]).expect(0, "migrate a");
    let b = ws.env("b");
    write(b.join("models/checkpoints/dup.safetensors"), big(1));
    let mut diff = big(2);
    diff[100] ^= 1;
    write(b.join("models/checkpoints/diff.safetensors"), &diff);
    write(b.join("models/checkpoints/stale.safetensors"), big(3));
    write(b.join("models/checkpoints/linked.safetensors"), big(4));
    fix(&ws, &["--yes"]).expect(0, "migrate b");
    let backup = only_backup(&b);
    // A file of the backup under a name the global folder has under another.
    write(backup.join("extra/moved-copy.safetensors"), big(5));
    // The global twins: one edited, one replaced by a link to the same bytes.
    let g = &ws.global;
    let mut stale = big(3);
    stale[7] ^= 1;
    write(g.join("checkpoints/stale.safetensors"), &stale);
    write(ws.outside.join("linked.safetensors"), big(4));
    std::fs::remove_file(g.join("checkpoints/linked.safetensors")).unwrap();
    symlink(ws.outside.join("linked.safetensors"), g.join("checkpoints/linked.safetensors"));
    (ws, b, backup)
}

#[test]
fn prune_deletes_only_proved_duplicates() {
    needs_links!();
    let (ws, _b, backup) = prune_fixture();
    let listed = backups_listing(&ws);
    assert!(
        listed.contains(
            "1 identical at the same path in the global folder, 1 identical elsewhere in it, 3 need a decision"
        ),
        "{listed}"
    );
    assert!(listed.contains(&native("extra/moved-copy.safetensors: same bytes as")), "{listed}");

    let global_before = lstat_inventory(&ws.global, true);
    let out = prune(&ws, &["--yes"]);
    out.expect(1, "prune: files needing a decision remain");
    let cp = backup.join("checkpoints");
    assert!(!exists_nofollow(&cp.join("dup.safetensors")), "identical at the same path: deleted");
    assert!(!exists_nofollow(&backup.join("extra")), "identical elsewhere: deleted, and its emptied folder too");
    let mut diff = big(2);
    diff[100] ^= 1;
    assert_eq!(read(&cp.join("diff.safetensors")), diff, "one byte different: kept");
    assert_eq!(read(&cp.join("stale.safetensors")), big(3), "twin edited after the backup: kept");
    assert_eq!(read(&cp.join("linked.safetensors")), big(4), "twin is a link: kept");
    assert!(out.stdout.contains("3 files kept: they need a decision"), "{}", out.stdout);
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "the global folder is only read");

    // The run is journaled, with the hash that proved each deletion, and is not undoable.
    let runs = comfydoctor::execute::journal::read_all(&ws.journal_dir()).unwrap();
    let prune_run = &runs[0];
    let proofs: Vec<(PathBuf, String)> = prune_run.plans[0]
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::DeleteDuplicate { path, sha256, .. } => Some((path.clone(), sha256.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(proofs.len(), 2);
    assert!(proofs.iter().any(|(p, h)| p.ends_with("checkpoints/dup.safetensors") && *h == sha256_hex(&big(1))));
    let out = run(&ws, "undo", &["--run", &prune_run.run_id]);
    out.expect(2, "a prune run is not undoable");
    assert!(out.stderr.contains("not undoable"), "{}", out.stderr);
    // A plain `undo` passes the prune run by; the migration it pruned after is refused, since
    // its backups are gone (nothing changes), and no command is offered that cannot work.
    let everything = ws.everything();
    let out = undo(&ws);
    out.expect(2, "undo after a prune");
    assert!(
        out.stderr.contains(&prune_run.run_id)
            && out.stderr.contains("cannot be undone any more")
            && !out.stderr.contains("--with-newer"),
        "{}",
        out.stderr
    );
    assert_same(&everything, &ws.everything(), "nothing changed");

    // Nothing more to prune: the rest needs a decision.
    let again = prune(&ws, &["--yes"]);
    again.expect(1, "again");
    assert!(again.stdout.contains("Nothing to prune"), "{}", again.stdout);
}

#[test]
fn prune_without_a_terminal_or_yes_deletes_nothing_and_says_what_it_would_free() {
    needs_links!();
    let (ws, _b, _backup) = prune_fixture();
    let everything = ws.everything();
    let out = prune(&ws, &[]);
    out.expect(1, "no terminal, no --yes");
    let one = big(1).len() as u64 + big(5).len() as u64;
    assert!(out.stderr.contains("freeing") && out.stderr.contains(&format!("({one} bytes)")), "{}", out.stderr);
    assert!(out.stderr.contains("not undoable"), "{}", out.stderr);
    assert_same(&everything, &ws.everything(), "nothing deleted");
}

#[test]
fn a_twin_changed_after_the_survey_stops_the_deletion() {
    let t = tempdir();
    let t = t.path().canonicalize().unwrap();
    write(t.join("install/models.comfydoctor-backup-x/a.safetensors"), big(1));
    write(t.join("global/a.safetensors"), big(1));
    let sha = sha256_hex(&big(1));
    let len = big(1).len() as u64;
    let action = |name: &str, twin: &str| Action::DeleteDuplicate {
        path: t.join("install/models.comfydoctor-backup-x").join(name),
        twin: t.join("global").join(twin),
        len,
        sha256: sha.clone(),
    };
    // Planned, then the twin's bytes change (same size): the re-hash right before refuses.
    let mut edited = big(1);
    edited[9] ^= 1;
    write(t.join("global/a.safetensors"), &edited);
    let mut opts = ExecOptions::new(t.join("journal"));
    opts.view_check = false;
    opts.failpoint = None;
    let report =
        execute::execute(&[plan(&t.join("install"), vec![action("a.safetensors", "a.safetensors")])], &opts).unwrap();
    let stop = report.installs[0].stopped.as_ref().expect("stopped");
    assert!(stop.message.contains("changed since it was compared"), "{}", stop.message);
    assert_eq!(read(&t.join("install/models.comfydoctor-backup-x/a.safetensors")), big(1), "kept");
    // A twin that is a link is refused by the executor too.
    write(t.join("elsewhere/b.safetensors"), big(1));
    write(t.join("install/models.comfydoctor-backup-x/b.safetensors"), big(1));
    symlink(t.join("elsewhere/b.safetensors"), t.join("global/b.safetensors"));
    let report =
        execute::execute(&[plan(&t.join("install"), vec![action("b.safetensors", "b.safetensors")])], &opts).unwrap();
    assert!(report.installs[0].stopped.is_some(), "a link is no proof");
    assert_eq!(read(&t.join("install/models.comfydoctor-backup-x/b.safetensors")), big(1), "kept");
}

#[test]
fn the_size_line_counts_only_what_prune_will_free() {
    let ws = Ws::new();
    let a = ws.env("a");
    let b = ws.env("b");
    let c = ws.env("c");
    // In the global folder already: a's copy is a duplicate.
    write(ws.global.join("checkpoints/g.safetensors"), big(1));
    write(a.join("models/checkpoints/g.safetensors"), big(1));
    // Same name, other bytes: a conflict, kept by --prune.
    write(b.join("models/checkpoints/g.safetensors"), {
        let mut v = big(1);
        v[5] ^= 1;
        v
    });
    // Not in the global folder: b's moves in, c's identical one is a duplicate.
    write(b.join("models/loras/l.safetensors"), big(2));
    write(c.join("models/loras/l.safetensors"), big(2));
    // Small files are not looked at.
    write(a.join("models/vae/small.pt"), bytes(3));
    write(ws.global.join("vae/small.pt"), bytes(3));
    // A hard link of the global file frees nothing.
    mkdir(c.join("models/checkpoints"));
    std::fs::hard_link(ws.global.join("checkpoints/g.safetensors"), c.join("models/checkpoints/g.safetensors"))
        .unwrap();
    let want = big(1).len() as u64 + big(2).len() as u64;
    let (_, json) = ws.scan_json(&[]);
    let per: BTreeMap<String, u64> = json["sizes"]["installs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap().to_string(), i["duplicate_bytes"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        per,
        BTreeMap::from([("a".into(), big(1).len() as u64), ("b".into(), 0), ("c".into(), big(2).len() as u64)])
    );
    assert_eq!(json["sizes"]["reclaimable_bytes"], want);
    needs_links!(); // the rest migrates
    let before = disk_bytes(&ws.base);
    fix(&ws, &["--yes"]).expect(0, "migrate");
    prune(&ws, &["--yes"]).expect(1, "prune (the conflict needs a decision)");
    assert_eq!(before - disk_bytes(&ws.base), want, "freed what the size line said");
}

/// `backups --format json`: every file with what the global folder holds of it, checked
/// against the published schema; `prunable_bytes` is what `--prune` then frees.
#[test]
fn the_listing_as_json_says_what_prune_frees() {
    needs_links!();
    let (ws, _b, backup) = prune_fixture();
    let out = run(&ws, "backups", &["--format", "json"]);
    out.expect(0, "backups --format json");
    let doc = crate::schema::check("backups", &out);
    let folders = doc["folders"].as_array().unwrap();
    assert_eq!(folders.len(), 1, "{doc:#}");
    assert_eq!(folders[0]["path"], backup.display().to_string());
    let twin = |rel: &str| {
        let files = folders[0]["files"].as_array().unwrap();
        let f = files.iter().find(|f| f["path"] == rel).unwrap_or_else(|| panic!("{rel} in {doc:#}"));
        f["twin"].as_str().unwrap().to_string()
    };
    assert_eq!(twin("checkpoints/dup.safetensors"), "same-path");
    assert_eq!(twin("extra/moved-copy.safetensors"), "elsewhere");
    for kept in ["checkpoints/diff.safetensors", "checkpoints/stale.safetensors", "checkpoints/linked.safetensors"] {
        assert_eq!(twin(kept), "none", "{kept}");
    }
    let prunable = doc["prunable_bytes"].as_u64().unwrap();
    assert_eq!(prunable, (big(1).len() + big(5).len()) as u64);
    // Deletions are reported as text: JSON with --prune is a usage error, and deletes nothing.
    let refused = prune(&ws, &["--yes", "--format", "json"]);
    refused.expect(2, "--prune --format json");
    assert!(refused.stderr.contains("comfydoctor backups --format json"), "{}", refused.stderr);
    assert!(exists_nofollow(&backup.join("checkpoints/dup.safetensors")));
    let out = prune(&ws, &["--yes"]);
    assert!(out.stdout.contains(&format!("({prunable} bytes)")), "{}", out.stdout);
}
