//! `comfydoctor fix`: one test per finding kind and per hard case of a merge, each checked
//! against the whole contract (see `fix_support::full_cycle`), plus the interaction rules.
#![cfg(unix)]

mod fix_support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use fix_support::*;

/// `../` repeated to climb from `<ws>/environments/<e>/ComfyUI/models/<sub>` to the temp base.
const UP_FROM_SUB: &str = "../../../../../..";

fn only_backup(comfy: &Path) -> PathBuf {
    let b = backups(comfy);
    assert_eq!(b.len(), 1, "expected one backup in {}: {b:?}", comfy.display());
    assert!(has_utc_stamp(b[0].file_name().unwrap()), "backup name without a UTC stamp: {}", b[0].display());
    b[0].clone()
}

fn no_placeholders_under(dir: &Path) {
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy();
        assert!(
            !(e.file_type().is_file() && name.starts_with("put_") && e.metadata().unwrap().len() == 0),
            "0-byte placeholder kept: {}",
            e.path().display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// One finding kind each
// ---------------------------------------------------------------------------------------------

#[test]
fn link_missing_creates_the_link() {
    let ws = Ws::new();
    let c = ws.env("e");
    write(&ws.global.join("loras/shared.safetensors"), &bytes(1));
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
    // After undo there is no models entry again.
    assert!(!exists_nofollow(&c.join("models")));
}

#[test]
fn link_broken_is_replaced() {
    let ws = Ws::new();
    let c = ws.env("e");
    link("../../../models-moved-away", &c.join("models"));
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
    assert_eq!(raw_target(&c.join("models")), Path::new("../../../models-moved-away"));
}

#[test]
fn link_wrong_target_merge_brings_everything_without_touching_the_old_target() {
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old-models");
    write(&old.join("loras/only-old.safetensors"), &bytes(1));
    write(&old.join("checkpoints/sub/deep.ckpt"), &bytes(2));
    write(&old.join("checkpoints/same.safetensors"), &bytes(3));
    write(&ws.global.join("checkpoints/same.safetensors"), &bytes(3));
    write(&old.join("vae/clash.safetensors"), &bytes(4));
    write(&ws.global.join("vae/clash.safetensors"), &bytes(5));
    write(&old.join("my-folder/notes.txt"), &bytes(6));
    write(&old.join("loras/put_loras_here"), b"");
    write(&ws.outside.join("style-store/style.safetensors"), &bytes(7));
    link("../../style-store", &old.join("loras/styles"));
    link(&old, &c.join("models"));

    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let g = &ws.global;
        assert_eq!(read(&g.join("loras/only-old.safetensors")), bytes(1));
        assert_eq!(read(&g.join("checkpoints/sub/deep.ckpt")), bytes(2));
        assert_eq!(read(&g.join("vae/clash.safetensors")), bytes(5), "the global file must win a conflict");
        assert_eq!(read(&g.join("my-folder/notes.txt")), bytes(6));
        // Same filesystem: hard links, so no byte is stored twice.
        let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
        assert_eq!(ino(&g.join("loras/only-old.safetensors")), ino(&old.join("loras/only-old.safetensors")));
        // The nested link comes over as a link with an absolute target.
        let t = raw_target(&g.join("loras/styles"));
        assert!(t.is_absolute(), "nested link target not absolute: {}", t.display());
        assert_eq!(t.canonicalize().unwrap(), ws.outside.join("style-store"));
        // The old target is only read (also checked by the untouchable inventory).
        assert!(old.join("loras/only-old.safetensors").is_file());
    });
}

#[test]
fn link_wrong_target_backup_only_repoints() {
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old-models");
    write(&old.join("loras/only-old.safetensors"), &bytes(1));
    link(&old, &c.join("models"));
    let global_before = lstat_inventory(&ws.global, true);
    let b = before(&ws, &[&c]);

    fix(&ws, &["--yes", "--strategy", "backup"]).expect(0, "fix --yes --strategy backup");
    assert_linked(&ws, &c);
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "global folder under --strategy backup");
    assert_same(&b.untouchable, &ws.untouchable(&[&c]), "old target under --strategy backup");
    assert_nothing_lost(&b.content, &ws.content(), "--strategy backup");
    scan(&ws).expect(0, "scan");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "undo of --strategy backup");
}

#[test]
fn placeholder_only_merges_stock_files_without_a_prompt() {
    let mut ws = Ws::new();
    let a_yaml: &[u8] = b"model:\n  target: a\n";
    let b_yaml: &[u8] = b"model:\n  target: b\n";
    ws.set_stock(&[
        ("checkpoints/put_checkpoints_here", b""),
        ("loras/put_loras_here", b""),
        ("configs/a.yaml", a_yaml),
        ("configs/b.yaml", b_yaml),
    ]);
    let c = ws.env("fresh");
    let m = c.join("models");
    write(&m.join("checkpoints/put_checkpoints_here"), b"");
    write(&m.join("loras/put_loras_here"), b"");
    write(&m.join("configs/a.yaml"), a_yaml);
    write(&m.join("configs/b.yaml"), b_yaml);
    mkdir(&m.join("vae"));
    write(&ws.global.join("configs/b.yaml"), b_yaml);

    let s = scan(&ws);
    assert!(s.stdout.contains("placeholder-only"), "scan must report placeholder-only:\n{}", s.stdout);

    // No --yes: nothing user-made is at stake, so a non-interactive run applies it.
    let mut b = before(&ws, &[&c]);
    let out = fix(&ws, &[]);
    out.expect(0, "fix without --yes");
    assert!(!out.stderr.contains("--yes"), "placeholder-only must not ask:\n{}", out.stderr);
    assert_linked(&ws, &c);
    assert_eq!(read(&ws.global.join("configs/a.yaml")), a_yaml);
    assert_eq!(read(&ws.global.join("configs/b.yaml")), b_yaml);
    // The install's b.yaml is ComfyUI's stock file and identical in the global folder: removed,
    // with its bytes kept in the journal (so `undo` can write it back). Nothing else goes.
    assert!(!c.join("models.comfydoctor-backup").exists());
    let journal: String = std::fs::read_dir(ws.root.join(".comfydoctor"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(journal.contains(&serde_json::to_string(std::str::from_utf8(b_yaml).unwrap()).unwrap()));
    let b_hash = sha256_hex(b_yaml);
    *b.content.get_mut(&b_hash).unwrap() -= 1;
    assert_kept(&ws, &[&c], &b, "after fix");
    no_placeholders_under(&ws.global);
    scan(&ws).expect(0, "scan after fix");
    let settled = ws.everything();
    fix(&ws, &[]).expect(0, "second fix");
    assert_same(&settled, &ws.everything(), "second fix must change nothing");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "after undo");
    assert_eq!(read(&m.join("configs/b.yaml")), b_yaml);
}

#[test]
fn models_dir_real_merge_moves_duplicates_and_conflicts() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&m.join("checkpoints/new.safetensors"), &bytes(1));
    write(&m.join("checkpoints/put_checkpoints_here"), b"");
    write(&m.join("checkpoints/dup.safetensors"), &bytes(2));
    write(&ws.global.join("checkpoints/dup.safetensors"), &bytes(2));
    write(&m.join("loras/clash.safetensors"), &bytes(3));
    write(&ws.global.join("loras/clash.safetensors"), &bytes(4));
    write(&m.join("loras/sub/deep/x.pt"), &bytes(5));
    write(&m.join("my-stuff/notes.txt"), &bytes(6));
    write(&m.join("readme.txt"), &bytes(7));
    write(&m.join(".gitkeep"), b"");
    mkdir(&m.join("unet/empty"));

    full_cycle(&ws, &[&c], &["--yes"], |out| {
        let g = &ws.global;
        assert_eq!(read(&g.join("checkpoints/new.safetensors")), bytes(1));
        assert_eq!(read(&g.join("checkpoints/dup.safetensors")), bytes(2));
        assert_eq!(read(&g.join("loras/clash.safetensors")), bytes(4), "the global file must stay in a conflict");
        assert_eq!(read(&g.join("loras/sub/deep/x.pt")), bytes(5));
        assert_eq!(read(&g.join("my-stuff/notes.txt")), bytes(6));
        assert_eq!(read(&g.join("readme.txt")), bytes(7));
        let backup = only_backup(&c);
        assert_eq!(read(&backup.join("checkpoints/dup.safetensors")), bytes(2), "identical duplicate backed up");
        assert_eq!(read(&backup.join("loras/clash.safetensors")), bytes(3), "conflict backed up");
        no_placeholders_under(&backup);
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains("conflict") && said.contains("clash.safetensors"), "conflict not reported:\n{said}");
    });
}

#[test]
fn models_dir_real_backup_strategy_renames_and_links() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&m.join("checkpoints/mine.safetensors"), &bytes(1));
    write(&m.join("loras/put_loras_here"), b"");
    let global_before = lstat_inventory(&ws.global, true);
    let inner = lstat_inventory(&m, false);
    let b = before(&ws, &[&c]);

    fix(&ws, &["--yes", "--strategy", "backup"]).expect(0, "fix --yes --strategy backup");
    assert_linked(&ws, &c);
    let backup = only_backup(&c);
    let mut renamed = lstat_inventory(&backup, false);
    let mut expected = inner.clone();
    // The folder itself is the same; only its name changed.
    renamed.remove(Path::new(""));
    expected.remove(Path::new(""));
    assert_same(&expected, &renamed, "models/ renamed to the backup name");
    assert_same(&global_before, &lstat_inventory(&ws.global, true), "global folder under --strategy backup");
    assert_nothing_lost(&b.content, &ws.content(), "--strategy backup");
    scan(&ws).expect(0, "scan");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "undo of --strategy backup");
}

#[test]
fn models_not_dir_is_renamed_then_linked() {
    let ws = Ws::new();
    let c = ws.env("file");
    write(&c.join("models"), b"I am not a folder");
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let backup = only_backup(&c);
        assert_eq!(read(&backup), b"I am not a folder");
    });
    assert_eq!(read(&c.join("models")), b"I am not a folder");
}

#[test]
fn models_link_to_a_file_is_repointed() {
    let ws = Ws::new();
    let c = ws.env("filelink");
    write(&ws.outside.join("a-file"), b"a file, not a folder");
    link(ws.outside.join("a-file"), &c.join("models"));
    let s = scan(&ws);
    assert!(s.stdout.contains("models-not-dir"), "scan:\n{}", s.stdout);
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
}

#[test]
fn global_missing_is_created_with_yes_and_not_without() {
    let ws = Ws::bare();
    let c = ws.env("e");
    let all = ws.everything();
    let out = fix(&ws, &[]);
    out.expect(1, "fix without --yes when the global folder is missing");
    assert!(out.stderr.contains("--yes"), "must say how to allow it:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "fix without --yes must write nothing");
    assert!(!ws.journal_dir().exists());

    full_cycle(&ws, &[&c], &["--yes"], |_| {
        for sub in STANDARD {
            assert!(ws.global.join(sub).is_dir(), "standard subfolder {sub} not created");
        }
    });
}

#[test]
fn global_layout_gets_its_missing_subfolders() {
    let ws = Ws::bare();
    mkdir(&ws.global.join("checkpoints"));
    write(&ws.global.join("checkpoints/a.safetensors"), &bytes(1));
    let c = ws.env("e");
    link(&ws.global, &c.join("models"));
    let s = run(&ws, "scan", &["--format", "json"]);
    assert!(s.stdout.contains("global-layout"), "scan:\n{}", s.stdout);
    let global_before = lstat_inventory(&ws.global, false);
    let b = before(&ws, &[&c]);

    fix(&ws, &[]).expect(0, "fix (no prompt needed)");
    for sub in STANDARD {
        assert!(ws.global.join(sub).is_dir(), "standard subfolder {sub} not created");
    }
    assert_kept(&ws, &[&c], &b, "global-layout fix");
    let s = run(&ws, "scan", &["--format", "json"]);
    s.expect(0, "scan");
    assert!(!s.stdout.contains("global-layout"), "global-layout still reported:\n{}", s.stdout);
    let settled = ws.everything();
    fix(&ws, &["--yes"]).expect(0, "second fix");
    assert_same(&settled, &ws.everything(), "second fix --yes must change nothing");
    undo(&ws).expect(0, "undo");
    assert_same(&global_before, &lstat_inventory(&ws.global, false), "undo of global-layout");
}

// ---------------------------------------------------------------------------------------------
// Hard cases of a merge
// ---------------------------------------------------------------------------------------------

#[test]
fn nested_links_move_as_links_with_absolute_targets() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&ws.outside.join("styles/a.safetensors"), &bytes(1));
    write(&ws.outside.join("styles/sub/b.safetensors"), &bytes(2));
    write(&ws.outside.join("vae-file.safetensors"), &bytes(3));
    link(format!("{UP_FROM_SUB}/outside/styles"), &m.join("loras/styles"));
    link(format!("{UP_FROM_SUB}/outside/vae-file.safetensors"), &m.join("vae/alias.safetensors"));
    write(&m.join("loras/own.safetensors"), &bytes(4));

    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let g = &ws.global;
        for (rel, to) in [
            ("loras/styles", ws.outside.join("styles")),
            ("vae/alias.safetensors", ws.outside.join("vae-file.safetensors")),
        ] {
            let p = g.join(rel);
            assert!(is_link(&p), "{rel} should be a link in the global folder");
            assert_eq!(raw_target(&p), to, "{rel}: target must be absolute and the same place");
        }
    });
}

#[test]
fn nested_link_over_an_existing_folder_is_unfolded() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    let store = ws.outside.join("ckpt-store");
    write(&store.join("a.safetensors"), &bytes(1));
    write(&store.join("sd15/extra.safetensors"), &bytes(2));
    write(&store.join("sd15/base.safetensors"), &bytes(3));
    write(&store.join("sub2/b.ckpt"), &bytes(4));
    write(&ws.global.join("checkpoints/sd15/base.safetensors"), &bytes(5));
    write(&ws.global.join("checkpoints/g.safetensors"), &bytes(6));
    mkdir(&m);
    link("../../../../../outside/ckpt-store", &m.join("checkpoints"));
    assert_eq!(m.join("checkpoints").canonicalize().unwrap(), store);
    write(&m.join("loras/own.safetensors"), &bytes(7));

    full_cycle(&ws, &[&c], &["--yes"], |out| {
        let g = ws.global.join("checkpoints");
        assert!(!is_link(&g), "the global checkpoints folder must stay a real folder");
        assert_eq!(raw_target(&g.join("a.safetensors")), store.join("a.safetensors"));
        assert_eq!(raw_target(&g.join("sub2")), store.join("sub2"));
        assert!(!is_link(&g.join("sd15")), "a folder on both sides is unfolded recursively");
        assert_eq!(raw_target(&g.join("sd15/extra.safetensors")), store.join("sd15/extra.safetensors"));
        assert_eq!(read(&g.join("sd15/base.safetensors")), bytes(5), "the global file stays");
        assert!(out.stdout.contains("base.safetensors"), "the hidden version must be reported:\n{}", out.stdout);
    });
}

#[test]
fn a_link_loop_inside_models_goes_to_backup() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&m.join("checkpoints/real.safetensors"), &bytes(1));
    link("..", &m.join("checkpoints/loop"));
    link(".", &m.join("loras/self"));
    link(&c, &m.join("vae/install"));

    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let backup = only_backup(&c);
        for rel in ["checkpoints/loop", "loras/self", "vae/install"] {
            assert!(is_link(&backup.join(rel)), "{rel} should be in the backup folder");
            assert!(!exists_nofollow(&ws.global.join(rel)), "{rel} must not reach the global folder");
        }
        assert_eq!(read(&ws.global.join("checkpoints/real.safetensors")), bytes(1));
    });
}

#[test]
fn a_link_into_models_goes_to_backup_and_loses_nothing() {
    // Contract: a nested link pointing into models/ goes to the backup folder. Its names are
    // the same files ComfyUI lists elsewhere, so only content and place are checked here.
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&m.join("checkpoints/sub/x.safetensors"), &bytes(1));
    link("../checkpoints/sub", &m.join("loras/alias"));
    let b = before(&ws, &[&c]);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    assert_linked(&ws, &c);
    let backup = only_backup(&c);
    assert!(is_link(&backup.join("loras/alias")));
    assert!(!exists_nofollow(&ws.global.join("loras/alias")));
    assert_nothing_lost(&b.content, &ws.content(), "link into models");
    scan(&ws).expect(0, "scan");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "undo");
}

#[test]
fn non_utf8_names_survive() {
    non_utf8_case(Ws::new());
}

#[test]
fn non_utf8_names_survive_a_move_to_another_filesystem() {
    if let Some(ws) = Ws::on_other_fs() {
        non_utf8_case(ws);
    }
}

fn non_utf8_case(ws: Ws) {
    let c = ws.env("e");
    let m = c.join("models");
    let name = |b: &[u8]| OsStr::from_bytes(b).to_os_string();
    write(&m.join("loras").join(name(b"caf\xe9.safetensors")), &bytes(1));
    write(&m.join(name(b"\xff\xfe-dir")).join("x.safetensors"), &bytes(2));
    write(&m.join(name(b"\xff\xfe-dir")).join(name(b"\xe0-empty.pt")), b"");
    write(&m.join("checkpoints").join(name(b"\xe9t\xe9")).join("y.ckpt"), &bytes(3));
    write(&m.join("vae").join(name(b"d\xfcp.safetensors")), &bytes(4));
    write(&ws.global.join("vae").join(name(b"d\xfcp.safetensors")), &bytes(4));
    write(&m.join("vae").join(name(b"cl\xe4sh.pt")), &bytes(5));
    write(&ws.global.join("vae").join(name(b"cl\xe4sh.pt")), &bytes(6));
    write(&ws.outside.join(name(b"st\xf6re")).join("z.safetensors"), &bytes(7));
    link(ws.outside.join(name(b"st\xf6re")), &m.join("loras").join(name(b"l\xefnk")));

    full_cycle(&ws, &[&c], &["--yes"], |_| {
        assert_eq!(read(&ws.global.join("loras").join(name(b"caf\xe9.safetensors"))), bytes(1));
        assert_eq!(read(&ws.global.join("checkpoints").join(name(b"\xe9t\xe9")).join("y.ckpt")), bytes(3));
        assert!(ws.global.join(name(b"\xff\xfe-dir")).join(name(b"\xe0-empty.pt")).is_file());
        let backup = only_backup(&c);
        assert_eq!(read(&backup.join("vae").join(name(b"cl\xe4sh.pt"))), bytes(5));
    });
}

#[test]
fn five_thousand_small_files() {
    // 1,000 files move one by one (the global folder has `loras/`), 4,000 in 40 subfolders the
    // global folder lacks (one move each): every file is planned, checked and accounted for,
    // while the journal stays at about a thousand actions to keep the suite fast.
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    for i in 0..5000u32 {
        let path = if i < 1000 {
            m.join("loras").join(format!("f{i:04}.safetensors"))
        } else {
            m.join("checkpoints").join(format!("set{:02}", i / 100)).join(format!("f{i:04}.safetensors"))
        };
        write(&path, format!("small {i}").as_bytes());
    }
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        assert!(ws.global.join("loras/f0000.safetensors").is_file());
        assert!(ws.global.join("checkpoints/set49/f4999.safetensors").is_file());
        assert_eq!(comfy_listing(&c).len(), 5000);
    });
}

#[test]
fn global_folder_on_another_filesystem() {
    let Some(ws) = Ws::on_other_fs() else { return };
    let real = ws.env("real");
    let m = real.join("models");
    write(&m.join("checkpoints/new.safetensors"), &bytes(1));
    write(&m.join("checkpoints/dup.safetensors"), &bytes(2));
    write(&ws.global.join("checkpoints/dup.safetensors"), &bytes(2));
    write(&m.join("loras/clash.safetensors"), &bytes(3));
    write(&ws.global.join("loras/clash.safetensors"), &bytes(4));
    write(&m.join("my-stuff/deep/notes.txt"), &bytes(5));
    write(&ws.outside.join("styles/s.safetensors"), &bytes(6));
    link(format!("{UP_FROM_SUB}/outside/styles"), &m.join("loras/styles"));

    let wrong = ws.env("wrong");
    let old = ws.outside.join("old-models");
    write(&old.join("vae/old.safetensors"), &bytes(7));
    write(&old.join("upscale_models/sub/u.pth"), &bytes(8));
    link(&old, &wrong.join("models"));

    full_cycle(&ws, &[&real, &wrong], &["--yes"], |_| {
        let g = &ws.global;
        assert_eq!(read(&g.join("checkpoints/new.safetensors")), bytes(1));
        assert_eq!(read(&g.join("my-stuff/deep/notes.txt")), bytes(5));
        assert_eq!(read(&g.join("vae/old.safetensors")), bytes(7));
        assert_eq!(read(&g.join("upscale_models/sub/u.pth")), bytes(8));
        assert!(!is_link(&g.join("vae/old.safetensors")), "a copy, not a link, across filesystems");
        assert_eq!(raw_target(&g.join("loras/styles")), ws.outside.join("styles"));
        let backup = only_backup(&real);
        assert_eq!(read(&backup.join("loras/clash.safetensors")), bytes(3));
        assert_eq!(read(&backup.join("checkpoints/dup.safetensors")), bytes(2));
    });
}

// ---------------------------------------------------------------------------------------------
// Interaction, exit codes, refusals
// ---------------------------------------------------------------------------------------------

fn real_models_ws() -> (Ws, PathBuf) {
    let ws = Ws::new();
    let c = ws.env("e");
    write(&c.join("models/checkpoints/mine.safetensors"), &bytes(1));
    (ws, c)
}

#[test]
fn without_yes_and_without_a_terminal_nothing_needing_a_prompt_is_applied() {
    let (ws, _c) = real_models_ws();
    let all = ws.everything();
    let out = fix(&ws, &[]);
    out.expect(1, "fix without --yes, no terminal");
    assert!(out.stderr.contains("--yes"), "must say how to allow it:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "refused run must write nothing");
}

#[test]
fn without_yes_the_unprompted_fixes_still_apply() {
    let (ws, c) = real_models_ws();
    let missing = ws.env("missing");
    let env_before = lstat_inventory(c.parent().unwrap(), true);
    let out = fix(&ws, &[]);
    out.expect(1, "fix without --yes: one install held back");
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert_linked(&ws, &missing);
    assert_same(&env_before, &lstat_inventory(c.parent().unwrap(), true), "held-back install");
}

#[test]
fn dry_run_changes_nothing() {
    let (ws, _c) = real_models_ws();
    ws.env("missing");
    let all = ws.everything();
    for args in [&["--dry-run"][..], &["--dry-run", "--yes"], &["-n", "--strategy", "backup"]] {
        let out = fix(&ws, args);
        out.expect(1, "dry run with work to do");
        assert!(out.steps() >= 2, "the plan must be printed:\n{}", out.stdout);
        assert!(out.stdout.contains("mine.safetensors"), "{}", out.stdout);
        assert_same(&all, &ws.everything(), "dry run must write nothing");
    }
}

fn healthy_ws() -> Ws {
    let ws = Ws::new();
    let c = ws.env("ok");
    link(&ws.global, &c.join("models"));
    write(&ws.global.join("loras/a.safetensors"), &bytes(1));
    ws
}

#[test]
fn nothing_to_do_writes_nothing() {
    let ws = healthy_ws();
    let all = ws.everything();
    for args in [&[][..], &["--yes"], &["--dry-run"]] {
        fix(&ws, args).expect(0, "fix on a healthy workspace");
        assert_same(&all, &ws.everything(), "a run with nothing to do");
        assert!(!ws.journal_dir().exists());
    }
}

#[test]
fn quiet_prints_nothing_when_healthy() {
    let ws = healthy_ws();
    for args in [&["--quiet"][..], &["--quiet", "--yes"], &["-q"]] {
        let out = fix(&ws, args);
        out.expect(0, "fix --quiet on a healthy workspace");
        assert_eq!(out.stdout, "", "--quiet must print nothing on stdout");
    }
}

#[test]
fn usage_errors_exit_2() {
    let ws = healthy_ws();
    let mut cmd = command(&ws);
    cmd.args(["fix", "--yes"]).arg(ws.base.join("does-not-exist"));
    run_cmd(cmd).expect(2, "fix on a missing PATH");
    fix(&ws, &["--strategy", "bogus"]).expect(2, "fix with an unknown strategy");
}

#[test]
fn refuses_a_global_folder_inside_models() {
    let (ws, c) = real_models_ws();
    mkdir(&c.join("models/shared"));
    ws.write_workspace_json("environments/e/ComfyUI/models/shared");
    let all = ws.everything();
    let out = fix(&ws, &["--yes"]);
    assert_ne!(out.code, 0, "must not succeed:\n{}{}", out.stdout, out.stderr);
    assert_ne!(out.code, 99);
    assert!(out.stderr.contains("inside"), "clear message expected:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "a refused run must write nothing");
}

#[test]
fn refuses_an_install_inside_the_global_folder() {
    let ws = Ws::new();
    let c = ws.env("e");
    write(&c.join("models/checkpoints/mine.safetensors"), &bytes(1));
    ws.write_workspace_json("environments");
    let all = ws.everything();
    let out = fix(&ws, &["--yes"]);
    assert_ne!(out.code, 0, "must not succeed:\n{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("inside"), "clear message expected:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "a refused run must write nothing");
}

#[test]
fn demo_workspace_round_trip() {
    let ws = Ws::bare();
    std::fs::remove_dir_all(&ws.root).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-workspace");
    let st = std::process::Command::new("cp").arg("-a").arg(&demo).arg(&ws.root).status().unwrap();
    assert!(st.success());
    // `legacy` keeps an extra_model_paths.yaml finding (not covered here), `scratch` has no .cec.
    let names = ["bare", "broken", "elsewhere", "fresh", "healthy", "legacy"];
    let comfys: Vec<PathBuf> = names.iter().map(|n| ws.root.join("environments").join(n).join("ComfyUI")).collect();
    let refs: Vec<&Path> = comfys.iter().map(PathBuf::as_path).collect();
    // old-models (a link's old target) must only be read.
    let old_before = lstat_inventory(&ws.root.join("old-models"), true);
    let b = before(&ws, &refs);
    let out = fix(&ws, &["--yes"]);
    assert!(out.code == 0 || out.code == 1, "fix --yes: {}\n{}", out.stdout, out.stderr);
    for c in &refs {
        assert_linked(&ws, c);
    }
    for (c, l) in refs.iter().zip(&b.listings) {
        assert_still_listed(l, &comfy_listing(c), &format!("demo {}", c.display()));
    }
    assert_nothing_lost(&b.content, &ws.content(), "demo fix");
    assert_same(&old_before, &lstat_inventory(&ws.root.join("old-models"), true), "old target");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &refs, &b, "demo undo");
}

// ---------------------------------------------------------------------------------------------
// More merge cases
// ---------------------------------------------------------------------------------------------

#[test]
fn two_installs_merge_into_one_global_folder_in_one_run() {
    let ws = Ws::new();
    let a = ws.env("a");
    let b = ws.env("b");
    for c in [&a, &b] {
        write(&c.join("models/checkpoints/same.safetensors"), &bytes(1));
        write(&c.join("models/mine/shared.pt"), &bytes(2));
    }
    write(&a.join("models/loras/clash.safetensors"), &bytes(3));
    write(&b.join("models/loras/clash.safetensors"), &bytes(4));
    write(&a.join("models/mine/only-a.pt"), &bytes(5));
    write(&b.join("models/mine/only-b.pt"), &bytes(6));
    full_cycle(&ws, &[&a, &b], &["--yes"], |_| {
        let g = &ws.global;
        assert_eq!(read(&g.join("loras/clash.safetensors")), bytes(3), "the first install's file lands first");
        assert_eq!(read(&g.join("mine/only-a.pt")), bytes(5));
        assert_eq!(read(&g.join("mine/only-b.pt")), bytes(6));
        assert_eq!(read(&only_backup(&b).join("loras/clash.safetensors")), bytes(4));
        assert_eq!(read(&only_backup(&b).join("mine/shared.pt")), bytes(2));
    });
}

#[test]
fn file_and_folder_of_the_same_name_conflict() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&m.join("thing/inside.safetensors"), &bytes(1));
    write(&ws.global.join("thing"), &bytes(2));
    write(&m.join("other"), &bytes(3));
    write(&ws.global.join("other/inside.safetensors"), &bytes(4));
    // A non-empty file with a placeholder's name is data, and an empty model file is listed.
    write(&m.join("loras/put_loras_here"), &bytes(5));
    write(&m.join("loras/empty.safetensors"), b"");
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let backup = only_backup(&c);
        assert_eq!(read(&backup.join("thing/inside.safetensors")), bytes(1));
        assert_eq!(read(&backup.join("other")), bytes(3));
        assert_eq!(read(&ws.global.join("loras/put_loras_here")), bytes(5));
        assert!(ws.global.join("loras/empty.safetensors").is_file());
    });
}

#[test]
fn special_files_go_to_backup() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&m.join("checkpoints/a.safetensors"), &bytes(1));
    let st = std::process::Command::new("mkfifo").arg(m.join("checkpoints/pipe")).status();
    if !st.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: mkfifo not available");
        return;
    }
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let backup = only_backup(&c);
        assert!(exists_nofollow(&backup.join("checkpoints/pipe")), "the FIFO must be kept in the backup");
    });
}

/// No link under `dir` (walked without following links) resolves to its own folder or one of
/// its ancestors.
fn assert_no_link_loop(dir: &Path) {
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        if !e.path_is_symlink() {
            continue;
        }
        if let (Ok(t), Ok(parent)) = (e.path().canonicalize(), e.path().parent().unwrap().canonicalize()) {
            assert!(
                !parent.starts_with(&t),
                "link loop in {}: {} -> {}",
                dir.display(),
                e.path().display(),
                t.display()
            );
        }
    }
}

#[test]
fn a_nested_link_into_the_global_folder_does_not_become_a_loop() {
    // models/loras/shared -> <global>/loras and models/everything -> <global>: moved as they
    // are, each would sit inside its own target, a loop every install then walks.
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&ws.global.join("loras/g.safetensors"), &bytes(1));
    write(&m.join("checkpoints/own.safetensors"), &bytes(2));
    link(ws.global.join("loras"), &m.join("loras/shared"));
    link(&ws.global, &m.join("everything"));
    let mut b = before(&ws, &[&c]);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    assert_no_link_loop(&ws.global);
    // Names seen only through a link back into the global folder cannot survive without a
    // loop; the models themselves stay listed under their own names.
    let after = comfy_listing(&c);
    for (key, name) in b.listings[0].iter().filter(|(_, p)| p.starts_with("shared") || p.starts_with("everything")) {
        let own: PathBuf = name.components().skip(1).collect();
        assert!(after.iter().any(|(k, p)| k == key && p.ends_with(&own)), "{key}: {} no longer listed", own.display());
    }
    b.listings[0].retain(|(_, p)| !p.starts_with("shared") && !p.starts_with("everything"));
    assert_kept(&ws, &[&c], &b, "after fix --yes");
    let backup = std::fs::read_dir(&c)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("models.comfydoctor-backup-"));
    let backup = backup.expect("the looping links went to the backup folder").path();
    assert!(std::fs::symlink_metadata(backup.join("loras/shared")).unwrap().file_type().is_symlink());
    assert!(std::fs::symlink_metadata(backup.join("everything")).unwrap().file_type().is_symlink());
    scan(&ws).expect(0, "scan");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "after undo");
}

#[test]
fn a_global_folder_that_is_itself_a_link() {
    let ws = Ws::new();
    let real_global = ws.base.join("real-global");
    std::fs::rename(&ws.global, &real_global).unwrap();
    link(&real_global, &ws.global);
    let c = ws.env("e");
    write(&c.join("models/checkpoints/mine.safetensors"), &bytes(1));
    let wrong = ws.env("wrong");
    link(&real_global, &wrong.join("models"));
    let b = before(&ws, &[&c, &wrong]);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    assert_linked(&ws, &c);
    assert_eq!(read(&real_global.join("checkpoints/mine.safetensors")), bytes(1));
    assert_still_listed(&b.listings[0], &comfy_listing(&c), "global behind a link");
    assert_nothing_lost(&b.content, &ws.content(), "global behind a link");
    scan(&ws).expect(0, "scan");
    let settled = ws.everything();
    fix(&ws, &["--yes"]).expect(0, "second fix");
    assert_same(&settled, &ws.everything(), "second fix --yes must change nothing");
    undo(&ws).expect(0, "undo");
    assert_same(&b.installs[0], &lstat_inventory(c.parent().unwrap(), false), "undo");
}

#[test]
fn listing_emulation_sees_what_comfyui_sees() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(&m.join("checkpoints/a.SafeTensors"), &bytes(1));
    write(&m.join("checkpoints/readme.txt"), &bytes(2));
    write(&m.join("clip/t5.sft"), &bytes(3));
    write(&m.join("unet/u.gguf"), &bytes(4));
    write(&m.join("unet/sub/u.pt2"), &bytes(4));
    write(&m.join("configs/c.yaml"), &bytes(5));
    write(&m.join("configs/c.ckpt"), &bytes(5));
    write(&ws.outside.join("store/s.pkl"), &bytes(6));
    link(ws.outside.join("store"), &m.join("t2i_adapter/linked"));
    link("..", &m.join("loras/loop"));
    link("missing.bin", &m.join("vae/dangling.bin"));
    let got = comfy_listing(&c);
    let want: Listing = [
        ("checkpoints", "a.SafeTensors"),
        ("text_encoders", "t5.sft"),
        ("diffusion_models", "sub/u.pt2"),
        ("configs", "c.yaml"),
        ("controlnet", "linked/s.pkl"),
        ("vae", "dangling.bin"),
    ]
    .into_iter()
    .map(|(k, p)| (k.to_string(), PathBuf::from(p)))
    .collect();
    assert_eq!(got, want);
    // And the helpers notice a loss, even of one copy among two.
    let before = ws.content();
    write(&m.join("unet/new.bin"), &bytes(9));
    assert_nothing_lost(&before, &ws.content(), "a new file loses nothing");
    std::fs::remove_file(m.join("configs/c.yaml")).unwrap();
    let lost = std::panic::catch_unwind(|| assert_nothing_lost(&before, &ws.content(), "x"));
    assert!(lost.is_err(), "a lost file must be noticed");
    let listed = std::panic::catch_unwind(|| assert_still_listed(&got, &comfy_listing(&c), "x"));
    assert!(listed.is_err(), "a vanished model must be noticed");
}

fn mkfifo(path: &Path) -> bool {
    let ok = std::process::Command::new("mkfifo").arg(path).status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: mkfifo not available");
    }
    ok
}

#[test]
fn models_as_a_special_file_is_renamed_then_linked() {
    let ws = Ws::new();
    let c = ws.env("fifo");
    if !mkfifo(&c.join("models")) {
        return;
    }
    let s = scan(&ws);
    assert!(s.stdout.contains("models-not-dir"), "scan:\n{}", s.stdout);
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        let backup = only_backup(&c);
        assert!(!std::fs::symlink_metadata(&backup).unwrap().file_type().is_file());
    });
}

#[test]
fn a_global_path_that_is_a_file_is_left_alone() {
    let ws = Ws::bare();
    write(&ws.global, b"not a folder");
    let c = ws.env("e");
    write(&c.join("models/checkpoints/mine.safetensors"), &bytes(1));
    let all = ws.everything();
    let out = fix(&ws, &["--yes"]);
    out.expect(1, "fix --yes when the global path is a file");
    assert!(out.stdout.contains("not a folder"), "the reason must be shown:\n{}", out.stdout);
    assert_same(&all, &ws.everything(), "nothing can be fixed, so nothing is written");
}

#[test]
fn refuses_a_global_folder_inside_the_old_link_target() {
    // models -> <outside>/old, and the global folder is configured as <ComfyUI>/models/shared,
    // which is <outside>/old/shared: re-pointing models there would make the link its own path.
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old");
    write(&old.join("checkpoints/a.safetensors"), &bytes(1));
    mkdir(&old.join("shared"));
    link(&old, &c.join("models"));
    ws.write_workspace_json("environments/e/ComfyUI/models/shared");
    let all = ws.everything();
    let b = before(&ws, &[&c]);
    let out = fix(&ws, &["--yes"]);
    assert_nothing_lost(&b.content, &ws.content(), "global inside the old target");
    assert_ne!(out.code, 0, "must not succeed:\n{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("inside"), "clear message expected:\n{}", out.stderr);
    assert_same(&all, &ws.everything(), "a refused run must write nothing");
}

#[test]
fn link_wrong_target_whose_subfolder_is_a_link_over_an_existing_global_folder() {
    // The old target's loras/ is itself a link to a store; the global folder has loras/ already.
    // Everything ComfyUI listed under loras must stay listed.
    let ws = Ws::new();
    let c = ws.env("e");
    let old = ws.outside.join("old-models");
    write(&ws.outside.join("lora-store/a.safetensors"), &bytes(1));
    write(&ws.outside.join("lora-store/sub/b.safetensors"), &bytes(2));
    link("../lora-store", &old.join("loras"));
    write(&old.join("checkpoints/c.safetensors"), &bytes(3));
    write(&ws.global.join("loras/g.safetensors"), &bytes(4));
    link(&old, &c.join("models"));
    full_cycle(&ws, &[&c], &["--yes"], |_| {});
}

#[test]
fn a_second_run_waits_for_the_lock_then_gives_up_cleanly() {
    let (ws, c) = real_models_ws();
    mkdir(&ws.journal_dir());
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(ws.journal_dir().join("lock"))
        .unwrap();
    lock.lock().unwrap();
    let env_before = lstat_inventory(c.parent().unwrap(), true);
    let out = fix(&ws, &["--yes"]);
    out.expect(2, "fix --yes while another run holds the lock");
    assert!(out.stderr.contains("another comfydoctor run"), "{}", out.stderr);
    assert_same(&env_before, &lstat_inventory(c.parent().unwrap(), true), "install while locked out");
    lock.unlock().unwrap();
    fix(&ws, &["--yes"]).expect(0, "fix --yes once the lock is free");
}

/// The plan lines of an output, with backup stamps blanked (two runs may be a second apart).
fn plan_lines(out: &Out) -> Vec<String> {
    let stamp = |l: &str| -> String {
        let mut s = l.to_string();
        while let Some(i) = s.find("comfydoctor-backup-2") {
            let start = i + "comfydoctor-backup-".len();
            s.replace_range(start..(start + 16).min(s.len()), "STAMP");
        }
        s
    };
    out.stdout
        .lines()
        .take_while(|l| !l.starts_with("Dry run") && !l.starts_with("Applied as run"))
        .map(stamp)
        .collect()
}

#[test]
fn the_plan_shown_by_a_dry_run_is_the_plan_executed() {
    let ws = Ws::new();
    let a = ws.env("a");
    write(&a.join("models/checkpoints/new.safetensors"), &bytes(1));
    write(&a.join("models/checkpoints/dup.safetensors"), &bytes(2));
    write(&ws.global.join("checkpoints/dup.safetensors"), &bytes(2));
    write(&a.join("models/loras/put_loras_here"), b"");
    ws.env("b");
    let old = ws.outside.join("old");
    write(&old.join("vae/v.safetensors"), &bytes(3));
    let c = ws.env("c");
    link(&old, &c.join("models"));
    let dry = fix(&ws, &["--dry-run"]);
    dry.expect(1, "dry run");
    let real = fix(&ws, &["--yes"]);
    real.expect(0, "fix --yes");
    assert!(dry.steps() > 5, "{}", dry.stdout);
    assert_eq!(plan_lines(&dry), plan_lines(&real), "dry run and real run plans differ");
}
