//! "Nothing lost, nothing hidden" on hostile input: the failure classes and bad inputs listed in
//! `docs/reliability.md`, each a table of variants driven through the binary.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::*;

/// Every path below `root` (not following links), for "a refused run changes nothing".
fn tree(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        walkdir::WalkDir::new(root).follow_links(false).into_iter().map(|e| e.unwrap().into_path()).collect();
    out.sort();
    out
}

// ------------------------------------------------------------------ workspace.json

#[test]
fn workspace_json_of_the_wrong_shape_is_a_configuration_error_naming_file_and_field() {
    let cases: &[(&str, &str)] = &[
        (r#"{"global_model_directory": 42}"#, "global_model_directory"),
        (r#"{"global_model_directory": "/models"}"#, "global_model_directory"),
        (r#"{"global_model_directory": ["/models"]}"#, "global_model_directory"),
        (r#"{"global_model_directory": true}"#, "global_model_directory"),
        (r#"{"global_model_directory": {"path": 42}}"#, "global_model_directory.path"),
        (r#"{"global_model_directory": {"path": ["/m"]}}"#, "global_model_directory.path"),
        (r#"{"global_model_directory": {"path": {"x": 1}}}"#, "global_model_directory.path"),
        (r#"[{"global_model_directory": {"path": "/m"}}]"#, "JSON object"),
        (r#"42"#, "JSON object"),
    ];
    for (text, field) in cases {
        let ws = Ws::new();
        ws.env("a");
        fs::write(ws.workspace_json(), text).unwrap();
        let before = tree(&ws.base);
        for args in [&["--yes"][..], &[][..]] {
            let sub = if args.is_empty() { "scan" } else { "fix" };
            let out = run(&ws, sub, args);
            assert_eq!(out.code, 2, "{text} with {sub}: {out:?}");
            assert!(out.stderr.contains("workspace.json") && out.stderr.contains(field), "{text}: {}", out.stderr);
            assert_eq!(out.stdout, "", "{text}");
        }
        assert_eq!(tree(&ws.base), before, "{text}: a refused run changes nothing");
    }
}

#[test]
fn a_null_or_absent_global_model_directory_is_not_an_error() {
    for text in [r#"{"global_model_directory": null}"#, r#"{"version": 1}"#, r#"{"global_model_directory": {}}"#] {
        let ws = Ws::new();
        ws.env("a");
        fs::write(ws.workspace_json(), text).unwrap();
        let out = scan(&ws);
        assert_ne!(out.code, 2, "{text}: {out:?}");
    }
}

#[test]
fn an_oversized_workspace_json_is_refused_not_read() {
    let ws = Ws::new();
    ws.env("a");
    // Valid JSON with 50 MB of padding: refused by its size, never parsed.
    let mut text = String::from(r#"{"global_model_directory": {"path": "/nowhere"}, "pad": ""#);
    text.push_str(&" ".repeat(50 << 20));
    text.push_str("\"}");
    fs::write(ws.workspace_json(), text).unwrap();
    let out = scan(&ws);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("workspace.json") && out.stderr.contains("limit"), "{}", out.stderr);
}

// ------------------------------------------------------------------ names and the bytes behind them

/// What ComfyUI lists for an install, with the bytes each name loads (`None`: listed but not
/// loadable, e.g. a dangling link).
#[cfg(unix)]
fn named_bytes(comfy: &Path) -> std::collections::BTreeMap<(String, PathBuf), Option<String>> {
    listed_bytes(comfy).into_iter().map(|(name, (hash, _))| (name, hash)).collect()
}

/// Every name every install listed before is listed after and loads the same bytes, or (with
/// `renames`) is listed under one renamed component `name (N)` that the plan announced.
#[cfg(unix)]
#[track_caller]
fn assert_same_names(
    before: &[std::collections::BTreeMap<(String, PathBuf), Option<String>>],
    comfys: &[&Path],
    renames: Option<&str>,
    what: &str,
) {
    assert_same_names_or(before, comfys, renames, false, what);
}

/// [`assert_same_names`]; with `repaired`, a name that loaded nothing before (a broken link) may
/// load bytes after.
#[cfg(unix)]
#[track_caller]
fn assert_same_names_or(
    before: &[std::collections::BTreeMap<(String, PathBuf), Option<String>>],
    comfys: &[&Path],
    renames: Option<&str>,
    repaired: bool,
    what: &str,
) {
    for (b, c) in before.iter().zip(comfys) {
        let after = named_bytes(c);
        for (name, bytes) in b {
            if let Some(a) = after.get(name) {
                if repaired && bytes.is_none() {
                    continue;
                }
                assert_eq!(a, bytes, "{what}: {}: {} loads other bytes", name.0, name.1.display());
                continue;
            }
            let renamed = renames.and_then(|out| {
                after.iter().find(|((k, rel), a)| {
                    k == &name.0 && *a == bytes && is_renamed(&name.1, rel) && out.contains("under a new name")
                })
            });
            assert!(renamed.is_some(), "{what}: {} no longer lists {}: {}", c.display(), name.0, name.1.display());
        }
    }
}

/// `rel` is `orig` with exactly one component renamed to `stem (N)ext`.
#[cfg(unix)]
fn is_renamed(orig: &Path, rel: &Path) -> bool {
    let (a, b): (Vec<_>, Vec<_>) = (orig.iter().collect(), rel.iter().collect());
    a.len() == b.len()
        && a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1
        && a.iter().zip(&b).all(|(x, y)| {
            let (x, y) = (x.to_string_lossy(), y.to_string_lossy());
            x == y || {
                let (stem, ext) = x
                    .rsplit_once('.')
                    .map(|(s, e)| (s.to_string(), format!(".{e}")))
                    .unwrap_or((x.to_string(), String::new()));
                y.starts_with(&format!("{stem} (")) && y.ends_with(&format!("){ext}"))
            }
        })
}

/// One case of a failure class: builds the shape in a workspace (install `a`, maybe `b`) and
/// names what to look at afterwards.
#[cfg(unix)]
struct Case {
    name: &'static str,
    build: fn(&Ws, &Path, &Path),
}

/// Whether a class may rename (announced) instead of keeping every name as it is.
#[cfg(unix)]
#[derive(Clone, Copy, PartialEq)]
enum Names {
    Same,
    SameOrAnnouncedRename,
    /// The same, except that a name that loaded nothing (a broken link) may load bytes now.
    SameOrRepaired,
}

/// Runs `fix --yes`, then checks the view (names and bytes), the content, a second `fix`
/// (nothing to do), and that `undo` restores every install.
#[cfg(unix)]
fn run_cases(cases: &[Case], names_rule: Names) {
    for case in cases {
        let ws = Ws::new();
        let a = ws.env("a");
        let b = ws.env("b");
        (case.build)(&ws, &a, &b);
        let comfys = [a.as_path(), b.as_path()];
        let names: Vec<_> = comfys.iter().map(|c| named_bytes(c)).collect();
        let before_state = before(&ws, &comfys);
        let out = fix(&ws, &["--yes"]);
        assert_eq!(out.code, 0, "{}: fix --yes\n{}\n{}", case.name, out.stdout, out.stderr);
        let renames = (names_rule == Names::SameOrAnnouncedRename).then_some(out.stdout.as_str());
        assert_same_names_or(&names, &comfys, renames, names_rule == Names::SameOrRepaired, case.name);
        assert_nothing_lost(&before_state.content, &ws.content(), case.name);
        let settled = ws.everything();
        fix(&ws, &["--yes"]).expect(0, case.name);
        assert_same(&settled, &ws.everything(), &format!("{}: a second fix changes nothing", case.name));
        undo(&ws).expect(0, case.name);
        assert_restored(&ws, &comfys, &before_state, case.name);
    }
}

/// Class 1: a link into another install's `models/`, in either order of the two installs.
#[cfg(unix)]
#[test]
fn links_into_another_installs_models_keep_their_names() {
    run_cases(
        &[
            Case {
                name: "a links b's file at the same path (a planned first)",
                build: |_, a, b| {
                    write(b.join("models/checkpoints/x.safetensors"), bytes(1));
                    symlink(
                        "../../../../b/ComfyUI/models/checkpoints/x.safetensors",
                        a.join("models/checkpoints/x.safetensors"),
                    );
                },
            },
            Case {
                name: "b links a's file at the same path (b planned second)",
                build: |_, a, b| {
                    write(a.join("models/checkpoints/x.safetensors"), bytes(1));
                    symlink(
                        "../../../../a/ComfyUI/models/checkpoints/x.safetensors",
                        b.join("models/checkpoints/x.safetensors"),
                    );
                },
            },
            Case {
                name: "a links b's file under another name",
                build: |_, a, b| {
                    write(b.join("models/checkpoints/x.safetensors"), bytes(1));
                    symlink(
                        "../../../../b/ComfyUI/models/checkpoints/x.safetensors",
                        a.join("models/loras/alias.safetensors"),
                    );
                },
            },
            Case {
                name: "a links b's folder",
                build: |_, a, b| {
                    write(b.join("models/loras/pack/p.safetensors"), bytes(2));
                    symlink("../../../../b/ComfyUI/models/loras/pack", a.join("models/loras/pack"));
                },
            },
            Case {
                name: "absolute link from b into a",
                build: |_, a, b| {
                    write(a.join("models/vae/v.safetensors"), bytes(3));
                    symlink(a.join("models/vae/v.safetensors"), b.join("models/vae/v.safetensors"));
                },
            },
        ],
        Names::Same,
    );
}

/// Class 2: a global subfolder (or file) that links back into an install's `models/`.
#[cfg(unix)]
#[test]
fn global_links_back_into_an_install_are_resolved_before_anything_moves() {
    run_cases(
        &[
            Case {
                name: "global loras/ links to a's loras/",
                build: |ws, a, _| {
                    write(a.join("models/loras/mine.safetensors"), bytes(1));
                    fs::remove_dir_all(ws.global.join("loras")).unwrap();
                    symlink(a.join("models/loras"), ws.global.join("loras"));
                },
            },
            Case {
                name: "global file links to a's file at the same path",
                build: |ws, a, _| {
                    write(a.join("models/checkpoints/c.safetensors"), bytes(2));
                    symlink(a.join("models/checkpoints/c.safetensors"), ws.global.join("checkpoints/c.safetensors"));
                },
            },
            Case {
                name: "global file links to a's file under another name",
                build: |ws, a, _| {
                    write(a.join("models/checkpoints/c.safetensors"), bytes(2));
                    symlink(a.join("models/checkpoints/c.safetensors"), ws.global.join("loras/other-name.safetensors"));
                },
            },
            Case {
                name: "global folder links to a subfolder of a",
                build: |ws, a, _| {
                    write(a.join("models/loras/style/s.safetensors"), bytes(3));
                    symlink(a.join("models/loras/style"), ws.global.join("embeddings/style"));
                },
            },
        ],
        Names::Same,
    );
}

/// Class 4: links between entries of the same `models/`.
#[cfg(unix)]
#[test]
fn links_inside_models_keep_naming_the_same_entries() {
    run_cases(
        &[
            Case {
                name: "relative file link into another folder",
                build: |_, a, _| {
                    write(a.join("models/checkpoints/real.safetensors"), bytes(1));
                    symlink("../checkpoints/real.safetensors", a.join("models/loras/alias.safetensors"));
                },
            },
            Case {
                name: "relative file link in the same folder",
                build: |_, a, _| {
                    write(a.join("models/vae/real.safetensors"), bytes(2));
                    symlink("real.safetensors", a.join("models/vae/alias.safetensors"));
                },
            },
            Case {
                name: "relative folder link",
                build: |_, a, _| {
                    write(a.join("models/checkpoints/sd/x.safetensors"), bytes(3));
                    symlink("../checkpoints/sd", a.join("models/loras/sd"));
                },
            },
            Case {
                name: "absolute link into models",
                build: |_, a, _| {
                    write(a.join("models/checkpoints/real.safetensors"), bytes(4));
                    symlink(a.join("models/checkpoints/real.safetensors"), a.join("models/loras/abs.safetensors"));
                },
            },
            Case {
                name: "a link to a link",
                build: |_, a, _| {
                    write(a.join("models/checkpoints/real.safetensors"), bytes(5));
                    symlink("../checkpoints/real.safetensors", a.join("models/loras/one.safetensors"));
                    symlink("one.safetensors", a.join("models/loras/two.safetensors"));
                },
            },
            Case {
                name: "link sorted before its target",
                build: |_, a, _| {
                    write(a.join("models/zz/real.safetensors"), bytes(6));
                    symlink("../zz/real.safetensors", a.join("models/aa/alias.safetensors"));
                },
            },
        ],
        Names::Same,
    );
}

/// Class 5: a folder against a file of the same name, both ways, at any depth.
#[cfg(unix)]
#[test]
fn a_file_against_a_folder_of_the_same_name_hides_neither() {
    run_cases(
        &[
            Case {
                name: "install folder, global file",
                build: |ws, a, _| {
                    write(a.join("models/loras/pack/x.safetensors"), bytes(1));
                    write(ws.global.join("loras/pack"), bytes(2));
                },
            },
            Case {
                name: "install file, global folder",
                build: |ws, a, _| {
                    write(a.join("models/loras/pack.safetensors"), bytes(3));
                    write(ws.global.join("loras/pack.safetensors/inner.safetensors"), bytes(4));
                },
            },
            Case {
                name: "install folder with a link inside, global file",
                build: |ws, a, _| {
                    write(a.join("models/checkpoints/real.safetensors"), bytes(5));
                    symlink("../../checkpoints/real.safetensors", a.join("models/loras/pack/alias.safetensors"));
                    write(ws.global.join("loras/pack"), bytes(6));
                },
            },
            Case {
                name: "the free name is taken too",
                build: |ws, a, _| {
                    write(a.join("models/loras/pack/x.safetensors"), bytes(7));
                    write(ws.global.join("loras/pack"), bytes(8));
                    write(ws.global.join("loras/pack (1)"), bytes(9));
                },
            },
            // A link lists as what it leads to: the same clash, the link moves in renamed and
            // still leads to its target's new place.
            Case {
                name: "install file link (to a file of models/), global folder",
                build: |ws, a, _| {
                    write(a.join("models/checkpoints/m.safetensors"), bytes(10));
                    symlink("../checkpoints/m.safetensors", a.join("models/classifiers/pack"));
                    write(ws.global.join("classifiers/pack/m.safetensors"), bytes(11));
                },
            },
            Case {
                name: "install file link with an extension, global folder",
                build: |ws, a, _| {
                    write(a.join("models/checkpoints/m.safetensors"), bytes(12));
                    symlink("../checkpoints/m.safetensors", a.join("models/loras/pack.safetensors"));
                    write(ws.global.join("loras/pack.safetensors/inner.safetensors"), bytes(13));
                },
            },
            Case {
                name: "install folder link, global file",
                build: |ws, a, _| {
                    write(a.join("models/checkpoints/sd/x.safetensors"), bytes(14));
                    symlink("../checkpoints/sd", a.join("models/loras/pack"));
                    write(ws.global.join("loras/pack"), bytes(15));
                },
            },
            Case {
                name: "install folder link, global file link",
                build: |ws, a, _| {
                    write(a.join("models/checkpoints/sd/x.safetensors"), bytes(16));
                    symlink("../checkpoints/sd", a.join("models/loras/pack"));
                    write(ws.global.join("vae/v.safetensors"), bytes(17));
                    symlink("../vae/v.safetensors", ws.global.join("loras/pack"));
                },
            },
            Case {
                name: "install link to a file outside, global folder",
                build: |ws, a, _| {
                    write(ws.outside.join("o.safetensors"), bytes(18));
                    symlink(ws.outside.join("o.safetensors"), a.join("models/loras/pack"));
                    write(ws.global.join("loras/pack/inner.safetensors"), bytes(19));
                },
            },
        ],
        Names::SameOrAnnouncedRename,
    );
}

/// A broken link (its target missing) against a loadable entry of the same name: in the global
/// folder already, or made there by an earlier install's merge. ComfyUI lists the link's name
/// but cannot load it; the loadable entry takes the name (the link is removed, journaled,
/// announced; `undo` makes it again), never the backup folder.
#[cfg(unix)]
#[test]
fn a_loadable_entry_takes_the_place_of_a_broken_link_of_its_name() {
    run_cases(
        &[
            Case {
                name: "b's file against a's dangling link into the global folder",
                build: |ws, a, b| {
                    symlink(ws.global.join("checkpoints/m.safetensors"), a.join("models/checkpoints/pack.ckpt"));
                    write(b.join("models/checkpoints/pack.ckpt"), bytes(1));
                },
            },
            Case {
                name: "b's file against a's relative dangling link",
                build: |_, a, b| {
                    symlink("../nowhere/m.safetensors", a.join("models/checkpoints/pack.ckpt"));
                    write(b.join("models/checkpoints/pack.ckpt"), bytes(2));
                },
            },
            Case {
                name: "a file against a dangling link of the global folder",
                build: |ws, a, _| {
                    symlink("/nonexistent/comfydoctor/x.safetensors", ws.global.join("loras/x.safetensors"));
                    write(a.join("models/loras/x.safetensors"), bytes(3));
                },
            },
            Case {
                name: "a working link against a dangling link of the global folder",
                build: |ws, a, _| {
                    symlink("../nowhere.safetensors", ws.global.join("loras/x.safetensors"));
                    write(a.join("models/checkpoints/real.safetensors"), bytes(4));
                    symlink("../checkpoints/real.safetensors", a.join("models/loras/x.safetensors"));
                },
            },
            Case {
                name: "b's working link against a's dangling link",
                build: |ws, a, b| {
                    symlink("../../gone.safetensors", a.join("models/vae/v.safetensors"));
                    write(ws.outside.join("v.safetensors"), bytes(5));
                    symlink(ws.outside.join("v.safetensors"), b.join("models/vae/v.safetensors"));
                },
            },
        ],
        Names::SameOrRepaired,
    );
}

#[cfg(unix)]
fn inode(p: &Path) -> (u64, u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::symlink_metadata(p).unwrap_or_else(|e| panic!("stat {}: {e}", p.display()));
    (m.dev(), m.ino(), m.nlink())
}

/// Class 8 (undo): with the global folder on another filesystem, a hard-link group split by the
/// merge, one name copied across and another (identical to a file already there) renamed into
/// the backup folder, comes back from `undo` as one inode, not as copies with the same bytes.
#[cfg(unix)]
#[test]
fn a_hard_link_group_split_between_global_and_backup_is_one_inode_after_undo() {
    type Build = fn(&Ws, &Path) -> Vec<&'static str>;
    let cases: &[(&str, Build)] = &[
        ("the moved name sorts first", |ws, m| {
            write(m.join("checkpoints/a.safetensors"), bytes(1));
            fs::create_dir_all(m.join("loras")).unwrap();
            fs::hard_link(m.join("checkpoints/a.safetensors"), m.join("loras/b.safetensors")).unwrap();
            write(ws.global.join("loras/b.safetensors"), bytes(1));
            vec!["checkpoints/a.safetensors", "loras/b.safetensors"]
        }),
        ("the duplicate sorts first", |ws, m| {
            write(m.join("checkpoints/a.safetensors"), bytes(2));
            fs::create_dir_all(m.join("loras")).unwrap();
            fs::hard_link(m.join("checkpoints/a.safetensors"), m.join("loras/b.safetensors")).unwrap();
            write(ws.global.join("checkpoints/a.safetensors"), bytes(2));
            vec!["checkpoints/a.safetensors", "loras/b.safetensors"]
        }),
        ("three names, two moved across", |ws, m| {
            write(m.join("checkpoints/a.safetensors"), bytes(3));
            fs::create_dir_all(m.join("loras")).unwrap();
            fs::hard_link(m.join("checkpoints/a.safetensors"), m.join("loras/b.safetensors")).unwrap();
            fs::create_dir_all(m.join("vae")).unwrap();
            fs::hard_link(m.join("checkpoints/a.safetensors"), m.join("vae/c.safetensors")).unwrap();
            write(ws.global.join("vae/c.safetensors"), bytes(3));
            vec!["checkpoints/a.safetensors", "loras/b.safetensors", "vae/c.safetensors"]
        }),
        ("one name inside a folder moved whole", |ws, m| {
            write(m.join("mine/deep/x.bin"), bytes(4));
            fs::create_dir_all(m.join("checkpoints")).unwrap();
            fs::hard_link(m.join("mine/deep/x.bin"), m.join("checkpoints/dup.safetensors")).unwrap();
            write(ws.global.join("checkpoints/dup.safetensors"), bytes(4));
            vec!["mine/deep/x.bin", "checkpoints/dup.safetensors"]
        }),
    ];
    for (what, build) in cases {
        let Some(ws) = Ws::on_other_fs() else { return };
        let c = ws.env("e");
        let m = c.join("models");
        let names = build(&ws, &m);
        let group: Vec<PathBuf> = names.iter().map(|n| m.join(n)).collect();
        let b4 = before(&ws, &[&c]);
        fix(&ws, &["--yes"]).expect(0, what);
        assert_kept(&ws, &[&c], &b4, what);
        undo(&ws).expect(0, what);
        assert_restored(&ws, &[&c], &b4, what);
        let first = inode(&group[0]);
        for p in &group {
            let i = inode(p);
            assert_eq!((i.0, i.1), (first.0, first.1), "{what}: {} came back as a separate copy", p.display());
            assert_eq!(i.2, group.len() as u64, "{what}: link count of {}", p.display());
        }
    }
}

/// Class 5 through `link-wrong-target`: the old target (only read) against the global folder.
#[cfg(unix)]
#[test]
fn a_type_clash_with_an_old_link_target_hides_neither() {
    type Build = fn(&Ws, &Path);
    let cases: &[(&str, Build)] = &[
        ("old target folder, global file", |ws, old| {
            write(old.join("loras/pack/x.safetensors"), bytes(1));
            write(ws.global.join("loras/pack"), bytes(2));
        }),
        ("old target file, global folder", |ws, old| {
            write(old.join("loras/pack.safetensors"), bytes(3));
            write(ws.global.join("loras/pack.safetensors/inner.safetensors"), bytes(4));
        }),
    ];
    for (what, build) in cases {
        let ws = Ws::new();
        let a = ws.env("a");
        let old = ws.outside.join("old-models");
        mkdir(&old);
        build(&ws, &old);
        symlink(&old, a.join("models"));
        let names = vec![named_bytes(&a)];
        let old_before = lstat_inventory(&old, true);
        let out = fix(&ws, &["--yes"]);
        assert_eq!(out.code, 0, "{what}: {out:?}");
        assert_same_names(&names, &[&a], Some(&out.stdout), what);
        assert_same(&old_before, &lstat_inventory(&old, true), &format!("{what}: the old target is only read"));
    }
}

// ------------------------------------------------------------------ two runs at once

/// Another process holding the run lock of `dir` (made if needed) until the guard drops; `then`
/// runs in that process after it took the lock and before it sleeps (shell code, `$2` is `dir`).
#[cfg(unix)]
struct Holder(std::process::Child);

#[cfg(unix)]
impl Holder {
    fn new(dir: &Path, then: &str, seconds: u32) -> Holder {
        fs::create_dir_all(dir).unwrap();
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec 9>>\"$1/lock\"; flock -x 9; {then}; echo held; exec sleep {seconds}"))
            .arg("sh")
            .arg(dir)
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh and flock(1) run");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        assert_eq!(line.trim(), "held");
        Holder(child)
    }
}

#[cfg(unix)]
impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(unix)]
#[test]
fn a_second_fix_waits_for_the_first_then_gives_up_naming_its_pid() {
    let ws = Ws::new();
    let c = ws.env("a");
    write(c.join("models/loras/x.safetensors"), bytes(1));
    let _holder = Holder::new(&ws.journal_dir(), "true", 30);
    let before = tree(&ws.base);
    let started = std::time::Instant::now();
    let out = fix(&ws, &["--yes", "--wait", "0.5"]);
    assert_eq!(out.code, 2, "{out:?}");
    // (The kernel names the `flock` helper that took the lock for the holder's shell.)
    assert!(out.stderr.contains("(pid "), "names the other run: {}", out.stderr);
    assert!(out.stderr.contains("waiting up to"), "says it waits: {}", out.stderr);
    assert!(!out.stderr.contains("changed since the plan"), "{}", out.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(tree(&ws.base), before, "nothing changed");
}

#[cfg(unix)]
#[test]
fn a_second_fix_plans_afresh_once_the_first_is_done() {
    let ws = Ws::new();
    let c = ws.env("a");
    write(c.join("models/loras/x.safetensors"), bytes(1));
    // The "first run" moves the model itself while it holds the lock, then finishes.
    let moved = format!(
        "mkdir -p '{g}/loras' && mv '{c}/models/loras/x.safetensors' '{g}/loras/x.safetensors'",
        g = ws.global.display(),
        c = c.display()
    );
    let holder = Holder::new(&ws.journal_dir(), &moved, 1);
    let out = fix(&ws, &["--yes", "--wait", "20"]);
    drop(holder);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("waiting up to"), "{}", out.stderr);
    assert_eq!(read(&ws.global.join("loras/x.safetensors")), bytes(1));
    assert!(is_link(&c.join("models")));
}

#[cfg(unix)]
#[test]
fn a_live_run_is_listed_as_running_not_interrupted() {
    let ws = Ws::new();
    let c = ws.env("a");
    write(c.join("models/loras/x.safetensors"), bytes(1));
    write(c.join("models/vae/y.safetensors"), bytes(2));
    fix_interrupted(&ws, "after:1", &[]);
    let listed = run(&ws, "undo", &["--list"]);
    assert!(listed.stdout.contains("interrupted"), "{listed:?}");
    let _holder = Holder::new(&ws.journal_dir(), "true", 30);
    let listed = run(&ws, "undo", &["--list"]);
    // (The kernel names the `flock` helper that took the lock for the holder's shell.)
    assert!(listed.stdout.contains("running (pid ") && !listed.stdout.contains("interrupted"), "{listed:?}");
    // And neither fix nor undo touches it while it runs.
    assert_eq!(fix(&ws, &["--yes", "--wait", "0.2"]).code, 2);
    assert_eq!(run(&ws, "undo", &["--yes", "--wait", "0.2"]).code, 2);
}

#[test]
fn a_wait_that_is_no_duration_is_a_usage_error() {
    let ws = Ws::new();
    ws.env("a");
    for bad in ["-1", "nan", "1e9"] {
        let out = fix(&ws, &[&format!("--wait={bad}")]);
        assert_eq!(out.code, 2, "{bad}: {out:?}");
        assert!(out.stderr.contains("--wait"), "{bad}: {}", out.stderr);
    }
}
