//! The test helpers themselves: the inventory notices every kind of change, the listing
//! emulation sees what ComfyUI sees, and its folder-key table matches the fact file taken from
//! ComfyUI's `folder_paths.py`.

// Several cases need Unix modes; elsewhere some imports go unused.
#![cfg_attr(not(unix), allow(unused_imports))]

use std::fs;
use std::path::PathBuf;

use crate::support::*;

// ---------------------------------------------------------------- inventories and listing

/// The inventory notices what scan must not do, so `scan::scan_writes_nothing*` can fail.
#[cfg(unix)]
#[test]
fn inventory_sees_every_kind_of_change() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir();
    let root = tmp.path();
    write(root.join("a/file"), b"abc");
    symlink("a", root.join("link"));
    let base = lstat_inventory(root, true);
    assert_eq!(base, lstat_inventory(root, true));
    assert_eq!(base[std::path::Path::new("link")].link_target(), Some("a".into()));

    let changes: Vec<Box<dyn Fn()>> = vec![
        Box::new(|| write(root.join("a/new"), b"")),
        Box::new(|| write(root.join("a/file"), b"abcd")),
        Box::new(|| fs::set_permissions(root.join("a/file"), fs::Permissions::from_mode(0o600)).unwrap()),
        Box::new(|| {
            let f = fs::File::options().write(true).open(root.join("a/file")).unwrap();
            f.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
        }),
        Box::new(|| {
            fs::remove_file(root.join("link")).unwrap();
            symlink("b", root.join("link"));
        }),
    ];
    for (i, change) in changes.iter().enumerate() {
        let before = lstat_inventory(root, true);
        change();
        assert_ne!(before, lstat_inventory(root, true), "change {i} went unnoticed");
    }
}

#[cfg(unix)]
#[test]
fn listing_emulation_sees_what_comfyui_sees() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    write(m.join("checkpoints/a.SafeTensors"), bytes(1));
    write(m.join("checkpoints/readme.txt"), bytes(2));
    write(m.join("clip/t5.sft"), bytes(3));
    write(m.join("unet/u.gguf"), bytes(4));
    write(m.join("unet/sub/u.pt2"), bytes(4));
    write(m.join("configs/c.yaml"), bytes(5));
    write(m.join("configs/c.ckpt"), bytes(5));
    write(ws.outside.join("store/s.pkl"), bytes(6));
    symlink(ws.outside.join("store"), m.join("t2i_adapter/linked"));
    symlink("..", m.join("loras/loop"));
    symlink("missing.bin", m.join("vae/dangling.bin"));
    let got = comfy_listing(&c);
    let want: Listing = [
        ("checkpoints", "a.SafeTensors"),
        ("text_encoders", "t5.sft"),
        ("diffusion_models", "sub/u.pt2"),
        ("configs", "c.yaml"),
        ("controlnet", "linked/s.pkl"),
        ("vae", "dangling.bin"),
        // `loras/loop -> ..` is entered as os.walk(followlinks=True) does; only the repetition
        // (`loop/loras/...`) is cut.
        ("loras", "loop/checkpoints/a.SafeTensors"),
        ("loras", "loop/clip/t5.sft"),
        ("loras", "loop/configs/c.ckpt"),
        ("loras", "loop/t2i_adapter/linked/s.pkl"),
        ("loras", "loop/unet/sub/u.pt2"),
        ("loras", "loop/vae/dangling.bin"),
    ]
    .into_iter()
    .map(|(k, p)| (k.to_string(), PathBuf::from(p)))
    .collect();
    assert_eq!(got, want);
    // And the helpers notice a loss, even of one copy among two.
    let before = ws.content();
    write(m.join("unet/new.bin"), bytes(9));
    assert_nothing_lost(&before, &ws.content(), "a new file loses nothing");
    std::fs::remove_file(m.join("configs/c.yaml")).unwrap();
    let lost = std::panic::catch_unwind(|| assert_nothing_lost(&before, &ws.content(), "x"));
    assert!(lost.is_err(), "a lost file must be noticed");
    let listed = std::panic::catch_unwind(|| assert_still_listed(&got, &comfy_listing(&c), "x"));
    assert!(listed.is_err(), "a vanished model must be noticed");
}

// ---------------------------------------------------------------- the folder-key table

/// ComfyUI's `folder_paths.py`, as recorded in the fact file (not the product's own table).
const FOLDER_KEYS_TSV: &str = include_str!("../../fixtures/comfyui-folder-keys.tsv");

#[test]
fn the_folder_key_table_matches_the_fact_file() {
    let mut facts = Vec::new();
    let mut pt = None;
    for line in FOLDER_KEYS_TSV.lines() {
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(rest) = comment.split("pt = ").nth(1) {
                let list = rest.split('(').next().unwrap();
                pt = Some(list.split_whitespace().map(|e| e.trim_start_matches('.').to_string()).collect::<Vec<_>>());
            }
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "fact file row: {line:?}");
        let listed = match cols[2] {
            "pt" => Listed::Models,
            ".yaml" => Listed::Yaml,
            "folder" => Listed::Folders,
            "none" => Listed::NoExtension,
            other => panic!("unknown extensions {other:?} in {line:?}"),
        };
        assert!(["a125cd84", "newer"].contains(&cols[3]), "since: {line:?}");
        facts.push((cols[0].to_string(), cols[1].split(',').map(str::to_string).collect::<Vec<_>>(), listed));
    }
    let table: Vec<(String, Vec<String>, Listed)> =
        KEYS.iter().map(|(k, dirs, l)| (k.to_string(), dirs.iter().map(|d| d.to_string()).collect(), *l)).collect();
    assert_eq!(table, facts, "support::KEYS differs from fixtures/comfyui-folder-keys.tsv");
    assert_eq!(pt.as_deref(), Some(&s(MODEL_EXTENSIONS)[..]), "MODEL_EXTENSIONS differs from the fact file");
}

/// Files in the six newest key folders are listed too (the emulation only lists more with them).
#[test]
fn the_newest_folder_keys_are_listed() {
    let ws = Ws::new();
    let c = ws.env("e");
    let m = c.join("models");
    let newest = [
        "latent_upscale_models",
        "background_removal",
        "frame_interpolation",
        "geometry_estimation",
        "optical_flow",
        "detection",
    ];
    for (i, key) in newest.iter().enumerate() {
        write(m.join(key).join("x.safetensors"), bytes(i as u32));
        write(m.join(key).join("notes.txt"), bytes(100));
    }
    let got = comfy_listing(&c);
    let want: Listing = newest.iter().map(|k| (k.to_string(), PathBuf::from("x.safetensors"))).collect();
    assert_eq!(got, want);
}

/// The emulation's extension rule is Python's `os.path.splitext`, not Rust's `Path::extension`.
#[test]
fn extensions_are_split_as_python_does() {
    for (name, ext) in [
        ("a.safetensors", ".safetensors"),
        ("A.SafeTensors", ".safetensors"),
        ("noext", ""),
        (".hidden", ""),
        ("..x", ""),
        ("a.b.", "."),
        ("archive.tar.gz", ".gz"),
        (".a.pt", ".pt"),
    ] {
        assert_eq!(py_splitext_ext(name), ext, "{name}");
    }
}
