//! `comfydoctor undo`: reverses a `fix` run from its journal, and refuses to destroy anything
//! that changed since.

use std::path::{Path, PathBuf};

use crate::support::*;

/// A workspace with one install holding a real `models/` (new file, duplicate, conflict,
/// placeholder, plain subfolder, nested link) and one without `models`.
fn merge_case() -> (Ws, PathBuf, PathBuf) {
    let ws = Ws::new();
    let real = ws.env("real");
    let m = real.join("models");
    write(m.join("checkpoints/new.safetensors"), bytes(1));
    write(m.join("checkpoints/dup.safetensors"), bytes(2));
    write(ws.global.join("checkpoints/dup.safetensors"), bytes(2));
    write(m.join("loras/clash.safetensors"), bytes(3));
    write(ws.global.join("loras/clash.safetensors"), bytes(4));
    write(m.join("loras/put_loras_here"), b"");
    write(m.join("mine/deep/x.pt"), bytes(5));
    write(ws.outside.join("styles/s.safetensors"), bytes(6));
    symlink("../../../../../../outside/styles", m.join("vae/styles"));
    let missing = ws.env("missing");
    (ws, real, missing)
}

fn run_id(out: &Out) -> String {
    let line = out.stdout.lines().find(|l| l.starts_with("Applied as run ")).expect("a run id in the output");
    line["Applied as run ".len()..].split(';').next().unwrap().trim().to_string()
}

#[test]
fn nothing_recorded_is_a_usage_error_and_writes_nothing() {
    needs_links!();
    let (ws, _, _) = merge_case();
    let all = ws.everything();
    let out = undo(&ws);
    out.expect(2, "undo with no run recorded");
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
    assert_same(&all, &ws.everything(), "undo with nothing to undo");
    run(&ws, "undo", &["--list"]).expect(0, "undo --list");
    assert_same(&all, &ws.everything(), "undo --list");
}

#[test]
fn undo_restores_installs_and_the_global_folder_then_has_nothing_left() {
    needs_links!();
    let (ws, real, missing) = merge_case();
    let global_before = lstat_inventory(&ws.global, false);
    let b = before(&ws, &[&real, &missing]);
    let out = fix(&ws, &["--yes"]);
    out.expect(0, "fix --yes");
    let id = run_id(&out);
    let list = run(&ws, "undo", &["--list"]);
    list.expect(0, "undo --list");
    assert!(list.stdout.contains(&id), "run {id} not listed:\n{}", list.stdout);

    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&real, &missing], &b, "undo");
    assert_same(&global_before, &lstat_inventory(&ws.global, false), "global folder after undo");

    let all = ws.everything();
    let out = undo(&ws);
    out.expect(2, "a second undo");
    assert_same(&all, &ws.everything(), "a second undo must change nothing");

    // And it can be fixed again, and undone again.
    fix(&ws, &["--yes"]).expect(0, "fix again");
    assert_kept(&ws, &[&real, &missing], &b, "fix again");
    undo(&ws).expect(0, "undo again");
    assert_restored(&ws, &[&real, &missing], &b, "undo again");
}

#[test]
fn undo_finds_the_journal_from_each_kind_of_path() {
    needs_links!();
    let (ws, real, missing) = merge_case();
    let b = before(&ws, &[&real, &missing]);
    let journal = ws.journal_dir();
    let env = real.parent().unwrap().to_path_buf();
    for path in [journal.as_path(), env.as_path(), real.as_path()] {
        fix(&ws, &["--yes"]).expect(0, "fix --yes");
        let mut cmd = ws.cmd();
        cmd.arg("undo").arg("--yes").arg(path);
        run_cmd(cmd).expect(0, &format!("undo {}", path.display()));
        assert_restored(&ws, &[&real, &missing], &b, &format!("undo {}", path.display()));
    }
}

#[test]
fn undo_of_a_chosen_older_run_leaves_the_newer_one() {
    needs_links!();
    let ws = Ws::new();
    let a = ws.env("a");
    let before_a = lstat_inventory(a.parent().unwrap(), false);
    let first = fix(&ws, &["--yes"]);
    first.expect(0, "first fix");
    let first_id = run_id(&first);
    let bb = ws.env("b");
    write(bb.join("models/loras/b.safetensors"), bytes(1));
    fix(&ws, &["--yes"]).expect(0, "second fix");
    assert_linked(&ws, &bb);

    undo_run(&ws, &first_id).expect(0, "undo --run <first>");
    assert_same(&before_a, &lstat_inventory(a.parent().unwrap(), false), "install of the first run");
    assert_linked(&ws, &bb);
    let out = undo_run(&ws, "no-such-run");
    out.expect(2, "undo --run of an unknown id");
}

fn undo_run(ws: &Ws, id: &str) -> Out {
    run(ws, "undo", &["--yes", "--run", id])
}

#[test]
fn undo_keeps_what_was_added_since() {
    needs_links!();
    let (ws, real, missing) = merge_case();
    let b = before(&ws, &[&real, &missing]);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    write(ws.global.join("loras/downloaded-later.safetensors"), bytes(7));
    let content = ws.content();
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&real, &missing], &b, "undo");
    assert_nothing_lost(&content, &ws.content(), "undo after a later download");
    assert_eq!(read(&ws.global.join("loras/downloaded-later.safetensors")), bytes(7));
}

#[test]
fn undo_stops_rather_than_destroy_a_changed_link() {
    needs_links!();
    let (ws, real, missing) = merge_case();
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    // The user replaces the new link with a real folder holding a model.
    let models = missing.join("models");
    std::fs::remove_file(&models).unwrap();
    write(models.join("checkpoints/user.safetensors"), bytes(8));
    let content = ws.content();
    let out = undo(&ws);
    out.expect(2, "undo over a changed link");
    assert!(out.stderr.contains("models"), "the message must name the path:\n{}", out.stderr);
    assert_eq!(read(&models.join("checkpoints/user.safetensors")), bytes(8));
    assert_nothing_lost(&content, &ws.content(), "a stopped undo");
    let _ = real;
}

#[test]
fn undo_stops_rather_than_lose_a_file_changed_since() {
    needs_links!();
    let (ws, _real, _missing) = merge_case();
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    // The file moved into the global folder is replaced by another one of the same name.
    let moved = ws.global.join("checkpoints/new.safetensors");
    std::fs::remove_file(&moved).unwrap();
    write(&moved, bytes(9));
    let content = ws.content();
    let out = undo(&ws);
    assert!(out.code == 0 || out.code == 2, "undo: {}\n{}", out.stdout, out.stderr);
    assert_nothing_lost(&content, &ws.content(), "undo over a replaced file");
}

#[test]
fn undo_after_a_backup_strategy_run() {
    needs_links!();
    let (ws, real, missing) = merge_case();
    let b = before(&ws, &[&real, &missing]);
    let global_before = lstat_inventory(&ws.global, true);
    fix(&ws, &["--yes", "--strategy", "backup"]).expect(0, "fix --yes --strategy backup");
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "--strategy backup leaves the global folder");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&real, &missing], &b, "undo of --strategy backup");
    assert!(backups(&real).is_empty());
    let _: &Path = &real;
}

#[test]
fn a_standalone_install_with_models_dir_round_trips() {
    needs_links!();
    // No workspace: the install is named by its ComfyUI folder and the global folder by a flag.
    let ws = Ws::new();
    let comfy = ws.base.join("standalone/ComfyUI");
    for f in ["main.py", "folder_paths.py", "nodes.py"] {
        write(comfy.join(f), b"#\n");
    }
    write(comfy.join("models/checkpoints/mine.safetensors"), bytes(1));
    write(comfy.join("models/checkpoints/put_checkpoints_here"), b"");
    let global = ws.base.join("shared-models");
    mkdir(&global);
    let inv = lstat_inventory(&comfy, false);
    let listing = comfy_listing(&comfy);
    let content = ws.content();
    let go = |args: &[&str]| {
        let mut cmd = ws.cmd();
        cmd.arg(args[0]).arg(&comfy).args(&args[1..]);
        run_cmd(cmd)
    };
    let g = global.to_str().unwrap();
    go(&["fix", "--yes", "--models-dir", g]).expect(0, "fix --yes --models-dir");
    assert!(is_link(&comfy.join("models")));
    assert_eq!(read(&global.join("checkpoints/mine.safetensors")), bytes(1));
    assert_still_listed(&listing, &comfy_listing(&comfy), "standalone");
    go(&["scan", "--models-dir", g]).expect(0, "scan");
    go(&["undo", "--yes"]).expect(0, "undo");
    assert_same(&inv, &lstat_inventory(&comfy, false), "standalone install after undo");
    assert_nothing_lost(&content, &content_except(&ws.content_roots(), &|p| p.ends_with(".comfydoctor")), "standalone");
}

// ---------------------------------------------------------------- issue 19, item 10: runs that depend on older runs

/// Everything under the temp folder with stamps, but the journal folder's lock (its pid changes
/// with every command), and the journals' bytes: "nothing changed" for a refused undo.
fn untouched_state(ws: &Ws) -> (Inventory, Vec<(PathBuf, Vec<u8>)>) {
    let lock = PathBuf::from("ws/.comfydoctor/lock");
    let mut inv = lstat_inventory(&ws.base, true);
    inv.retain(|p, _| p != &lock);
    let mut journals: Vec<_> = std::fs::read_dir(ws.journal_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| {
            let b = read(&p);
            (p, b)
        })
        .collect();
    journals.sort();
    (inv, journals)
}

/// Three runs where each newer one stands on the first: the first makes something (the global
/// folder and its subfolders; or moves a stock config into the global folder), the second and
/// third migrate installs b and c into it (moving their models into its subfolders; or removing
/// their copies of the stock config as identical to the global one). Returns the workspace, the
/// installs with their inventories before their run, the global folder's inventory before the
/// first run, and the run ids, oldest first.
struct Chain {
    ws: Ws,
    installs: Vec<(PathBuf, Inventory)>,
    global_before: Option<Inventory>,
    ids: Vec<String>,
}

const CONFIG: &[u8] = b"# stock config\nmodel:\n  target: stock.Model\n";

fn chain(case: &str) -> Chain {
    let ws = match case {
        "global made by the first run" => Ws::bare(),
        _ => {
            let mut ws = Ws::new();
            ws.set_stock(&[("configs/v1-inference.yaml", CONFIG)]);
            ws
        }
    };
    let put = |comfy: &Path, n: u32| match case {
        "global made by the first run" => write(comfy.join(format!("models/loras/{n}.safetensors")), bytes(n)),
        _ => write(comfy.join("models/configs/v1-inference.yaml"), CONFIG),
    };
    let global_before = ws.global.exists().then(|| lstat_inventory(&ws.global, false));
    let mut installs = Vec::new();
    let mut ids = Vec::new();
    for (n, name) in ["a", "b", "c"].iter().enumerate() {
        let comfy = ws.env(name);
        put(&comfy, n as u32 + 1);
        installs.push((comfy.clone(), lstat_inventory(comfy.parent().unwrap(), false)));
        let out = fix(&ws, &["--yes"]);
        out.expect(0, &format!("{case}: fix of {name}"));
        ids.push(run_id(&out));
        assert_linked(&ws, &comfy);
    }
    Chain { ws, installs, global_before, ids }
}

impl Chain {
    #[track_caller]
    fn assert_all_restored(&self, what: &str) {
        for (comfy, inv) in &self.installs {
            assert_same(inv, &lstat_inventory(comfy.parent().unwrap(), false), &format!("{what}: {}", comfy.display()));
        }
        match &self.global_before {
            Some(inv) => assert_same(inv, &lstat_inventory(&self.ws.global, false), &format!("{what}: global folder")),
            None => assert!(!exists_nofollow(&self.ws.global), "{what}: the global folder the first run made is gone"),
        }
    }
}

const CASES: &[&str] = &["global made by the first run", "stock config moved in by the first run"];

#[test]
fn undo_of_an_older_run_a_newer_one_depends_on_is_refused_naming_them_newest_first() {
    needs_links!();
    for case in CASES {
        let c = chain(case);
        let (first, second, third) = (&c.ids[0], &c.ids[1], &c.ids[2]);
        let state = untouched_state(&c.ws);
        let out = undo_run(&c.ws, first);
        out.expect(2, &format!("{case}: undo --run <first>"));
        assert!(state == untouched_state(&c.ws), "{case}: a refused undo changed something");
        let err = &out.stderr;
        let (p2, p3) = (err.find(second.as_str()), err.find(third.as_str()));
        assert!(p2.is_some() && p3.is_some(), "{case}: both newer runs named:\n{err}");
        assert!(p3 < p2, "{case}: newest first:\n{err}");
        assert!(err.contains(&format!("undo --run {third}")), "{case}: says how:\n{err}");
        assert!(err.contains("--with-newer"), "{case}: offers both at once:\n{err}");

        // The third stands on the first only, so the second may go first; the first is still
        // refused, now naming the third alone.
        undo_run(&c.ws, second).expect(0, &format!("{case}: undo --run <second>"));
        let out = undo_run(&c.ws, first);
        out.expect(2, &format!("{case}: undo --run <first> with the third left"));
        assert!(
            out.stderr.contains(third.as_str()) && !out.stderr.contains(second.as_str()),
            "{case}:\n{}",
            out.stderr
        );
        // Then each alone, newest first: every install and the global folder are back.
        for id in [third, first] {
            undo_run(&c.ws, id).expect(0, &format!("{case}: undo --run {id}"));
        }
        c.assert_all_restored(case);
    }
}

#[test]
fn undo_with_newer_undoes_the_dependent_runs_newest_first_then_the_run() {
    needs_links!();
    for case in CASES {
        let c = chain(case);
        let out = run(&c.ws, "undo", &["--yes", "--run", &c.ids[0], "--with-newer"]);
        out.expect(0, &format!("{case}: undo --run <first> --with-newer"));
        let (p1, p2, p3) = (
            out.stdout.find(&format!("Undid run {}", c.ids[0])),
            out.stdout.find(&format!("Undid run {}", c.ids[1])),
            out.stdout.find(&format!("Undid run {}", c.ids[2])),
        );
        assert!(p1.is_some() && p2.is_some() && p3.is_some(), "{case}: all three undone:\n{}", out.stdout);
        assert!(p3 < p2 && p2 < p1, "{case}: newest first:\n{}", out.stdout);
        c.assert_all_restored(case);
        let list = run(&c.ws, "undo", &["--list"]);
        assert_eq!(list.stdout.matches("undone").count(), 3, "{}", list.stdout);
    }
}

#[test]
fn undo_says_what_it_leaves_behind_in_a_folder_it_made() {
    needs_links!();
    let ws = Ws::bare();
    let a = ws.env("a");
    write(a.join("models/loras/a.safetensors"), bytes(1));
    fix(&ws, &["--yes"]).expect(0, "fix");
    // Downloaded later into a folder the run made: the undo may not remove it.
    write(ws.global.join("loras/later.safetensors"), bytes(2));
    let content = ws.content();
    let out = undo(&ws);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("leave") && said.contains("later.safetensors"), "announced before:\n{said}");
    assert!(out.code == 0 || out.code == 2, "{said}");
    if out.code == 2 {
        // Where it stops, the message lists what is in the way.
        let stop = out.stderr.lines().find(|l| l.contains("stopped at")).unwrap_or_default();
        assert!(stop.contains("later.safetensors"), "the stop names what is in the way:\n{said}");
    }
    assert_eq!(read(&ws.global.join("loras/later.safetensors")), bytes(2));
    assert_nothing_lost(&content, &ws.content(), "undo over a later download");
}
