//! A global folder on a volume that matches names without regard to case (exFAT here; APFS and
//! NTFS by default): a name of the install that differs from a global one only in case is the
//! same entry there, so a merge must treat it as a conflict (or, for folders, merge into the
//! global spelling), announce it, and never write one over the other. One table of variants,
//! on a real exFAT image where the machine can mount one.

use std::path::{Path, PathBuf};

use crate::support::*;

struct Case {
    name: &'static str,
    /// Builds the variant under `ws` with the global folder `global` (on the stick).
    build: fn(ws: &Ws, global: &Path) -> Vec<PathBuf>,
    /// What the dry run must say about it.
    says: &'static str,
    /// Names the plan announces ComfyUI will no longer load (a folder link set aside).
    hidden: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a file against another spelling with other bytes",
            build: |ws, g| {
                let a = ws.env("a");
                write(a.join("models/loras/Foo.safetensors"), bytes(1));
                write(g.join("loras/foo.safetensors"), bytes(2));
                vec![a]
            },
            says: "loras/Foo.safetensors (the global folder has it as foo.safetensors: its names ignore case)",
            hidden: &[],
        },
        Case {
            name: "a file against another spelling with the same bytes",
            build: |ws, g| {
                let a = ws.env("a");
                write(a.join("models/loras/bar.safetensors"), bytes(3));
                write(g.join("loras/Bar.safetensors"), bytes(3));
                vec![a]
            },
            says: "loras/bar.safetensors (the global folder has it as Bar.safetensors: its names ignore case)",
            hidden: &[],
        },
        Case {
            name: "a folder against another spelling",
            build: |ws, g| {
                let a = ws.env("a");
                write(a.join("models/loras/Style/s.safetensors"), bytes(4));
                write(a.join("models/loras/Style/Same.safetensors"), bytes(5));
                write(g.join("loras/style/g.safetensors"), bytes(6));
                write(g.join("loras/style/same.safetensors"), bytes(7));
                vec![a]
            },
            says: "loras/Style → loras/style",
            hidden: &[],
        },
        Case {
            name: "two names of one install that differ only in case (its own volume tells them apart)",
            build: |ws, _| {
                let a = ws.env("a");
                write(a.join("models/loras/Pack/X.safetensors"), bytes(8));
                write(a.join("models/loras/Pack/x.safetensors"), bytes(9));
                vec![a]
            },
            says: "its names ignore case",
            hidden: &[],
        },
        Case {
            name: "two installs with names that differ only in case",
            build: |ws, _| {
                let (a, b) = (ws.env("a"), ws.env("b"));
                write(a.join("models/checkpoints/Model.safetensors"), bytes(10));
                write(b.join("models/checkpoints/model.safetensors"), bytes(11));
                vec![a, b]
            },
            says: "checkpoints/model.safetensors (the global folder has it as Model.safetensors: its names ignore case)",
            hidden: &[],
        },
        Case {
            name: "a link's old target against another spelling",
            build: |ws, g| {
                let a = ws.env("a");
                let old = ws.outside.join("old-models");
                write(old.join("vae/Vae.safetensors"), bytes(12));
                write(old.join("vae/Kept/k.safetensors"), bytes(13));
                write(g.join("vae/vae.safetensors"), bytes(14));
                mkdir(g.join("vae/kept"));
                symlink(&old, a.join("models"));
                vec![a]
            },
            says: "vae/Vae.safetensors: the global folder has it under another spelling",
            hidden: &[],
        },
    ]
}

#[test]
fn a_case_only_clash_is_a_conflict_never_an_overwrite() {
    let base = tempdir();
    let Some(stick) = mount_stick(base.path()) else { return };
    for (n, case) in cases().into_iter().enumerate() {
        let ws = Ws::named(&format!("ws{n}"));
        let global = stick.mnt.join(format!("case{n}/models"));
        mkdir(&global);
        let installs = (case.build)(&ws, &global);
        let g = global.to_str().unwrap();
        let what = case.name;
        let roots = vec![ws.base.clone(), global.clone()];
        let journal = ws.journal_dir();
        let content = || content_except(&roots, &|p: &Path| p.starts_with(&journal));
        let before = content();
        let listed: Vec<_> = installs.iter().map(|c| listed_bytes(c)).collect();

        let dry = fix(&ws, &["--dry-run", "--models-dir", g]);
        assert!(dry.stdout.contains(case.says), "{what}: the plan says {:?}:\n{}", case.says, dry.stdout);

        let out = fix(&ws, &["--yes", "--models-dir", g]);
        assert_eq!(out.code, 0, "{what}: fix (no rollback, no refusal):\n{}\n{}", out.stdout, out.stderr);
        assert_nothing_lost(&before, &content(), what);
        for (comfy, was) in installs.iter().zip(&listed) {
            assert!(is_link(&comfy.join("models")), "{what}: {} is linked", comfy.display());
            // Every model is still there to load, under its own spelling (the volume folds case)
            // or, for a conflict, the global folder's version under the name ComfyUI shows.
            for (key, rel) in was.keys() {
                let name = format!("{key}/{}", rel.display());
                let at = comfy.join("models").join(key).join(rel);
                assert_eq!(at.exists(), !case.hidden.contains(&name.as_str()), "{what}: {name} loads unless announced");
            }
        }

        let back = run(&ws, "undo", &["--yes"]);
        assert_eq!(back.code, 0, "{what}: undo:\n{}\n{}", back.stdout, back.stderr);
        assert_eq!(content(), before, "{what}: undo gives every file back");
        for (comfy, was) in installs.iter().zip(&listed) {
            assert_eq!(&listed_bytes(comfy), was, "{what}: undo lists what was listed before");
        }
    }
}
