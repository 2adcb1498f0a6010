//! `models-dir-real`: `models` is a real folder holding user files; scan (counts, sizes, nested
//! links, odd names), the merge and backup fixes, and the hard cases of a merge, each checked
//! against the whole fix/undo contract (`support::full_cycle`).

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::*;
#[cfg(unix)]
use std::ffi::OsStr;
#[cfg(unix)]
use std::os::unix::ffi::OsStrExt;

// ---------------------------------------------------------------- scan

#[test]
fn models_dir_real_counts_files_and_bytes() {
    let ws = Ws::new();
    let comfy = ws.env("real");
    write(comfy.join("models/loras/a.safetensors"), vec![7u8; 100]);
    write(comfy.join("models/checkpoints/deep/b.ckpt"), vec![1u8; 23]);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "real"), s(&["models-dir-real"]));
    let msg = finding(&json, "real", "models-dir-real")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("2 files"), "{msg}");
    assert!(msg.contains("123 bytes"), "{msg}");
}

#[test]
fn models_dir_real_shows_large_sizes_in_binary_units() {
    let ws = Ws::new();
    let comfy = ws.env("big");
    write(comfy.join("models/checkpoints/big.safetensors"), vec![0u8; 3 * 1024 * 1024 / 2]);
    let (_, json) = ws.scan_json(&[]);
    let msg = finding(&json, "big", "models-dir-real")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("1 file") && msg.contains("1.5 MiB"), "{msg}");
}

#[test]
fn models_dir_real_lists_nested_links() {
    needs_links!();
    let ws = Ws::new();
    fs::create_dir_all(ws.root.join("lora-store")).unwrap();
    let comfy = ws.env("nested");
    write(comfy.join("models/checkpoints/a.ckpt"), b"abc");
    symlink(ws.root.join("lora-store"), comfy.join("models/loras"));
    symlink("/nowhere/at/all", comfy.join("models/vae"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "nested"), s(&["models-dir-real"]));
    let msg = finding(&json, "nested", "models-dir-real")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("1 file") && msg.contains("3 bytes"), "{msg}");
    assert!(msg.contains("2 nested links"), "{msg}");
    assert!(msg.contains("lora-store") && msg.contains("/nowhere/at/all"), "{msg}");
    assert!(msg.contains("loras") && msg.contains("vae"), "{msg}");
}

#[test]
fn a_nested_link_alone_makes_models_real() {
    needs_links!();
    let ws = Ws::new();
    let comfy = ws.env("onlylink");
    fs::create_dir_all(comfy.join("models/checkpoints")).unwrap();
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    symlink(ws.global.join("loras"), comfy.join("models/loras"));
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "onlylink"), s(&["models-dir-real"]));
    let msg = finding(&json, "onlylink", "models-dir-real")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("1 nested link"), "{msg}");
}

#[cfg(target_os = "linux")]
#[test]
#[cfg(unix)] // names that are not Unicode exist only on Unix
fn non_utf8_names_inside_models_are_counted() {
    if !byte_names_work() {
        return;
    }
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let ws = Ws::new();
    let comfy = ws.env("latin1");
    let loras = comfy.join("models/loras");
    fs::create_dir_all(&loras).unwrap();
    fs::write(loras.join(OsStr::from_bytes(b"caf\xe9.safetensors")), b"12345").unwrap();
    let odd_dir = comfy.join("models").join(OsStr::from_bytes(b"\xff\xfe"));
    fs::create_dir_all(&odd_dir).unwrap();
    fs::write(odd_dir.join("m.ckpt"), b"123").unwrap();
    symlink(OsStr::from_bytes(b"/tmp/\xe9-nowhere"), loras.join(OsStr::from_bytes(b"l\xe9nk")));

    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "latin1"), s(&["models-dir-real"]));
    let msg = finding(&json, "latin1", "models-dir-real")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("2 files") && msg.contains("8 bytes"), "{msg}");
    assert!(msg.contains("1 nested link"), "{msg}");

    // The table too.
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("models-dir-real"), "{stdout}");
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn models_dir_real_merge_moves_duplicates_and_conflicts() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(m.join("checkpoints/new.safetensors"), bytes(1));
    write(m.join("checkpoints/put_checkpoints_here"), b"");
    write(m.join("checkpoints/dup.safetensors"), bytes(2));
    write(ws.global.join("checkpoints/dup.safetensors"), bytes(2));
    write(m.join("loras/clash.safetensors"), bytes(3));
    write(ws.global.join("loras/clash.safetensors"), bytes(4));
    write(m.join("loras/sub/deep/x.pt"), bytes(5));
    write(m.join("my-stuff/notes.txt"), bytes(6));
    write(m.join("readme.txt"), bytes(7));
    write(m.join(".gitkeep"), b"");
    mkdir(m.join("unet/empty"));

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
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(m.join("checkpoints/mine.safetensors"), bytes(1));
    write(m.join("loras/put_loras_here"), b"");
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

// ---------------------------------------------------------------- hard cases of a merge

#[test]
fn nested_links_move_as_links_with_absolute_targets() {
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(ws.outside.join("styles/a.safetensors"), bytes(1));
    write(ws.outside.join("styles/sub/b.safetensors"), bytes(2));
    write(ws.outside.join("vae-file.safetensors"), bytes(3));
    symlink(format!("{UP_FROM_SUB}/outside/styles"), m.join("loras/styles"));
    symlink(format!("{UP_FROM_SUB}/outside/vae-file.safetensors"), m.join("vae/alias.safetensors"));
    write(m.join("loras/own.safetensors"), bytes(4));

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
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    let store = ws.outside.join("ckpt-store");
    write(store.join("a.safetensors"), bytes(1));
    write(store.join("sd15/extra.safetensors"), bytes(2));
    write(store.join("sd15/base.safetensors"), bytes(3));
    write(store.join("sub2/b.ckpt"), bytes(4));
    write(ws.global.join("checkpoints/sd15/base.safetensors"), bytes(5));
    write(ws.global.join("checkpoints/g.safetensors"), bytes(6));
    mkdir(&m);
    symlink("../../../../../outside/ckpt-store", m.join("checkpoints"));
    assert_eq!(m.join("checkpoints").canonicalize().unwrap(), store);
    write(m.join("loras/own.safetensors"), bytes(7));

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

/// Contract: a link that loops keeps looping the same way in the global folder, so every name
/// ComfyUI listed through it stays listed (it used to go to the backup folder, and those names
/// vanished); `scan` then reports it as `global-link-broken`, for the user to remove.
fn loops_keep_their_names(links: &[(&str, &str)], expect_in_global: &[(&str, &str)]) {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(m.join("checkpoints/real.safetensors"), bytes(1));
    write(ws.global.join("loras/g.safetensors"), bytes(2));
    for (target, link) in links {
        let target = target.replace("<C>", c.to_str().unwrap()).replace("<G>", ws.global.to_str().unwrap());
        symlink(target, m.join(link));
    }
    let b = before(&ws, &[&c]);
    let out = fix(&ws, &["--yes"]);
    out.expect(1, "fix --yes: done, with the loop reported");
    assert!(out.stdout.contains("global-link-broken"), "{}", out.stdout);
    assert_kept(&ws, &[&c], &b, "after fix --yes");
    assert_linked(&ws, &c);
    for (rel, target) in expect_in_global {
        let target = target.replace("<C>", c.to_str().unwrap());
        assert_eq!(raw_target(&ws.global.join(rel)), PathBuf::from(target), "{rel}");
    }
    assert!(backups(&c).is_empty(), "nothing goes to a backup folder");
    assert_eq!(read(&ws.global.join("checkpoints/real.safetensors")), bytes(1));
    let settled = ws.everything();
    fix(&ws, &["--yes"]).expect(1, "second fix");
    assert_same(&settled, &ws.everything(), "second fix --yes must change nothing");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "after undo");
}

#[test]
fn a_link_loop_inside_models_keeps_looping_and_is_reported() {
    needs_links!();
    loops_keep_their_names(
        &[("..", "checkpoints/loop"), (".", "loras/self"), ("<C>", "vae/install")],
        &[("checkpoints/loop", ".."), ("loras/self", "."), ("vae/install", "<C>")],
    );
}

#[test]
fn a_nested_link_into_the_global_folder_does_not_become_a_loop() {
    needs_links!();
    // models/loras/shared -> <global>/loras and models/everything -> <global>: moved as they
    // are, each would sit inside its own target, a loop every install then walks. Their names
    // are second names for what the global folder lists under their own: only the links go,
    // to the backup folder, announced.
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(ws.global.join("loras/g.safetensors"), bytes(1));
    write(m.join("checkpoints/own.safetensors"), bytes(2));
    symlink(ws.global.join("loras"), m.join("loras/shared"));
    symlink(&ws.global, m.join("everything"));
    let b = before(&ws, &[&c]);
    let out = fix(&ws, &["--yes"]);
    out.expect(0, "fix --yes");
    assert!(out.stdout.contains("which would hold itself there"), "announced:\n{}", out.stdout);
    assert_no_link_loop(&ws.global);
    assert_kept(&ws, &[&c], &b, "after fix --yes");
    let backup = only_backup(&c);
    assert!(is_link(&backup.join("loras/shared")));
    assert!(is_link(&backup.join("everything")));
    scan(&ws).expect(0, "scan");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "after undo");
}

#[test]
fn a_link_into_models_is_rewritten_relative_to_its_new_place() {
    needs_links!();
    // Contract: a nested link pointing into models/ keeps naming the same entry once both sit in
    // the global folder (it used to go to the backup folder, and its names vanished).
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(m.join("checkpoints/sub/x.safetensors"), bytes(1));
    symlink("../checkpoints/sub", m.join("loras/alias"));
    let b = before(&ws, &[&c]);
    fix(&ws, &["--yes"]).expect(0, "fix --yes");
    assert_linked(&ws, &c);
    assert_stored_target(&ws.global.join("loras/alias"), PathBuf::from("../checkpoints/sub"));
    assert_eq!(read(&ws.global.join("loras/alias/x.safetensors")), bytes(1));
    assert_still_listed(&b.listings[0], &comfy_listing(&c), "link into models");
    assert_nothing_lost(&b.content, &ws.content(), "link into models");
    scan(&ws).expect(0, "scan");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "undo");
}

#[test]
#[cfg(unix)] // names that are not Unicode exist only on Unix
fn non_utf8_names_survive() {
    non_utf8_case(Ws::new());
}

#[test]
#[cfg(unix)] // names that are not Unicode exist only on Unix
fn non_utf8_names_survive_a_move_to_another_filesystem() {
    if let Some(ws) = Ws::on_other_fs() {
        non_utf8_case(ws);
    }
}

#[cfg(unix)] // names that are not Unicode exist only on Unix
fn non_utf8_case(ws: Ws) {
    if !byte_names_work() {
        return;
    }
    let c = ws.env("e");
    let m = c.join("models");
    let name = |b: &[u8]| OsStr::from_bytes(b).to_os_string();
    write(m.join("loras").join(name(b"caf\xe9.safetensors")), bytes(1));
    write(m.join(name(b"\xff\xfe-dir")).join("x.safetensors"), bytes(2));
    write(m.join(name(b"\xff\xfe-dir")).join(name(b"\xe0-empty.pt")), b"");
    write(m.join("checkpoints").join(name(b"\xe9t\xe9")).join("y.ckpt"), bytes(3));
    write(m.join("vae").join(name(b"d\xfcp.safetensors")), bytes(4));
    write(ws.global.join("vae").join(name(b"d\xfcp.safetensors")), bytes(4));
    write(m.join("vae").join(name(b"cl\xe4sh.pt")), bytes(5));
    write(ws.global.join("vae").join(name(b"cl\xe4sh.pt")), bytes(6));
    write(ws.outside.join(name(b"st\xf6re")).join("z.safetensors"), bytes(7));
    symlink(ws.outside.join(name(b"st\xf6re")), m.join("loras").join(name(b"l\xefnk")));

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
    needs_links!();
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
fn two_installs_merge_into_one_global_folder_in_one_run() {
    needs_links!();
    let ws = Ws::new();
    let a = ws.env("a");
    let b = ws.env("b");
    for c in [&a, &b] {
        write(c.join("models/checkpoints/same.safetensors"), bytes(1));
        write(c.join("models/mine/shared.pt"), bytes(2));
    }
    write(a.join("models/loras/clash.safetensors"), bytes(3));
    write(b.join("models/loras/clash.safetensors"), bytes(4));
    write(a.join("models/mine/only-a.pt"), bytes(5));
    write(b.join("models/mine/only-b.pt"), bytes(6));
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
    needs_links!();
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(m.join("thing/inside.safetensors"), bytes(1));
    write(ws.global.join("thing"), bytes(2));
    write(m.join("other"), bytes(3));
    write(ws.global.join("other/inside.safetensors"), bytes(4));
    // A non-empty file with a placeholder's name is data, and an empty model file is listed.
    write(m.join("loras/put_loras_here"), bytes(5));
    write(m.join("loras/empty.safetensors"), b"");
    full_cycle(&ws, &[&c], &["--yes"], |_| {
        // Each side keeps its names: the install's moves in beside the global one, renamed.
        assert_eq!(read(&ws.global.join("thing (1)/inside.safetensors")), bytes(1));
        assert_eq!(read(&ws.global.join("thing")), bytes(2));
        assert_eq!(read(&ws.global.join("other (1)")), bytes(3));
        assert_eq!(read(&ws.global.join("other/inside.safetensors")), bytes(4));
        assert_eq!(read(&ws.global.join("loras/put_loras_here")), bytes(5));
        assert!(ws.global.join("loras/empty.safetensors").is_file());
    });
}

#[test]
#[cfg(unix)] // FIFOs
fn special_files_go_to_backup() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(m.join("checkpoints/a.safetensors"), bytes(1));
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

/// One install's own `models/` chosen as the global folder (`--models-dir ~/ComfyUI/models`, or
/// a global folder that is a link to it): that install is healthy as it is (nothing to merge,
/// link or protect), the global-folder fixes still run in it, and the others link to it.
#[test]
fn the_install_whose_models_is_the_global_folder_is_left_as_it_is() {
    needs_links!();
    type Global = fn(&Path, &Path) -> PathBuf;
    let variants: &[(&str, Global)] = &[
        ("--models-dir names it", |_, owner_models| owner_models.to_path_buf()),
        ("--models-dir names a link to it", |base, owner_models| {
            let link = base.join("shared-models");
            dir_link(owner_models, &link);
            link
        }),
    ];
    for (what, global) in variants {
        for stock_only in [false, true] {
            let ws = Ws::bare();
            let (a, b) = (ws.base.join("A/ComfyUI"), ws.base.join("B/ComfyUI"));
            make_comfyui(&a);
            make_comfyui(&b);
            if stock_only {
                write(a.join("models/checkpoints/put_checkpoints_here"), "");
            } else {
                write(a.join("models/checkpoints/a.safetensors"), bytes(1));
            }
            write(b.join("models/checkpoints/b.safetensors"), bytes(2));
            let g = global(&ws.base, &a.join("models"));
            let run = |args: &[&str]| {
                let mut cmd = ws.cmd();
                cmd.args(args).arg(&ws.base).arg("--models-dir").arg(&g);
                run_cmd(cmd)
            };
            let what = format!("{what}, stock only: {stock_only}");
            let out = run(&["scan", "--format", "json"]);
            let json = parse_json(&out.stdout);
            let a_ids: Vec<String> = json["installs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["path"].as_str().unwrap().ends_with("A/ComfyUI"))
                .map(|i| {
                    i["findings"].as_array().unwrap().iter().map(|f| f["check"].as_str().unwrap().to_string()).collect()
                })
                .unwrap();
            assert!(a_ids.iter().all(|id| id == "global-layout"), "{what}: {a_ids:?}");
            let before = listed_bytes(&a);
            run(&["fix", "--yes"]).expect(0, &what);
            assert!(!is_link(&a.join("models")), "{what}: the owner keeps its real folder");
            assert!(a.join("models/clip_vision").is_dir(), "{what}: the global folder's layout is completed in it");
            for (name, bytes) in &before {
                assert_eq!(listed_bytes(&a).get(name), Some(bytes), "{what}: {name:?}");
            }
            assert_eq!(
                std::fs::canonicalize(b.join("models")).unwrap(),
                std::fs::canonicalize(a.join("models")).unwrap()
            );
            assert_eq!(read(&b.join("models/checkpoints/b.safetensors")), bytes(2), "{what}");
            run(&["scan"]).expect(0, &format!("{what}: healthy afterwards"));
        }
    }
}
