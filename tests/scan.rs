//! `comfydoctor scan`: each check fires on its case and is silent on a healthy install; JSON shape,
//! exit codes, `--quiet`, `--check`, the global folder's precedence, and that scan writes nothing.

mod common;

use std::fs;

use common::*;

// ---------------------------------------------------------------- healthy install and exit codes

#[cfg(unix)]
#[test]
fn healthy_install_has_no_finding_and_exits_0() {
    let ws = Ws::new();
    ws.healthy_env("good");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(names(&json), s(&["good"]));
    assert_eq!(ids(&json, "good"), Vec::<String>::new(), "{json:#}");
    assert_eq!(json["summary"], serde_json::json!({"installs": 1, "errors": 0, "warnings": 0, "infos": 0}));
    let global = fs::canonicalize(ws.global()).unwrap();
    let reported = fs::canonicalize(json["models_dir"].as_str().unwrap()).unwrap();
    assert_eq!(reported, global);
    let path = install(&json, "good")["path"].as_str().unwrap().to_string();
    assert_eq!(fs::canonicalize(path).unwrap(), fs::canonicalize(ws.root.join("environments/good/ComfyUI")).unwrap());
}

#[cfg(unix)]
#[test]
fn healthy_table_says_so_and_exits_0() {
    let ws = Ws::new();
    ws.healthy_env("good");
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("No errors or warnings: good"), "{stdout}");
    assert!(stdout.contains("1 install(s) scanned: 0 error(s), 0 warning(s), 0 info"), "{stdout}");
    assert!(!stdout.contains("| good"), "no table row for a healthy install: {stdout}");
    assert_eq!(stderr, "");
}

#[cfg(unix)]
#[test]
fn infos_alone_exit_0() {
    let ws = Ws::new();
    ws.healthy_env("good");
    fs::remove_dir(ws.global().join("vae_approx")).unwrap();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "good"), s(&["global-layout"]));
    assert_eq!(finding(&json, "good", "global-layout")["severity"], "info");
    assert_eq!(json["summary"]["infos"], 1);
}

#[test]
fn a_warning_exits_1() {
    let ws = Ws::new();
    let comfy = ws.env("real");
    write(comfy.join("models/loras/mine.safetensors"), b"0123456789");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "real"), s(&["models-dir-real"]));
    assert_eq!(finding(&json, "real", "models-dir-real")["severity"], "warning");
    assert_eq!(json["summary"]["warnings"], 1);
    assert_eq!(json["summary"]["errors"], 0);
}

#[test]
fn an_error_exits_1() {
    let ws = Ws::new();
    ws.env("bare");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "bare"), s(&["link-missing"]));
    assert_eq!(json["summary"]["errors"], 1);
}

// ---------------------------------------------------------------- each check on its case

#[test]
fn link_missing_fires_when_there_is_no_models_entry() {
    let ws = Ws::new();
    ws.env("bare");
    let (_, json) = ws.scan_json(&[]);
    let f = finding(&json, "bare", "link-missing");
    assert_eq!(f["severity"], "error");
    assert!(f["fix"].as_str().unwrap().contains("link models/"), "{f:#}");
}

#[cfg(unix)]
#[test]
fn link_broken_fires_on_a_dangling_link() {
    let ws = Ws::new();
    let comfy = ws.env("broken");
    symlink("../../../models-moved-away", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "broken"), s(&["link-broken"]));
    let f = finding(&json, "broken", "link-broken");
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("models-moved-away"), "{f:#}");
}

#[cfg(unix)]
#[test]
fn link_broken_fires_on_a_link_loop() {
    let ws = Ws::new();
    let comfy = ws.env("loop");
    symlink("models", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "loop"), s(&["link-broken"]));
}

#[cfg(unix)]
#[test]
fn link_wrong_target_fires_on_a_link_to_another_folder() {
    let ws = Ws::new();
    fs::create_dir_all(ws.root.join("old-models/loras")).unwrap();
    let comfy = ws.env("elsewhere");
    symlink("../../../old-models", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "elsewhere"), s(&["link-wrong-target"]));
    let f = finding(&json, "elsewhere", "link-wrong-target");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("old-models"), "{f:#}");
}

#[cfg(unix)]
#[test]
fn link_wrong_target_fires_on_a_link_to_a_subfolder_of_the_global_folder() {
    let ws = Ws::new();
    let comfy = ws.env("sub");
    symlink(ws.global().join("checkpoints"), comfy.join("models"));
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "sub"), s(&["link-wrong-target"]));
}

#[cfg(unix)]
#[test]
fn links_that_reach_the_global_folder_another_way_are_healthy() {
    let ws = Ws::new();
    // absolute target
    let abs = ws.env("absolute");
    symlink(ws.global(), abs.join("models"));
    // through a link to the global folder
    symlink("models", ws.root.join("models-alias"));
    let alias = ws.env("alias");
    symlink("../../../models-alias", alias.join("models"));
    // with `..` detours and a trailing slash
    let detour = ws.env("detour");
    symlink("../../../environments/../models/", detour.join("models"));
    // a chain of links
    symlink(ws.root.join("models-alias"), ws.root.join("models-alias2"));
    let chain = ws.env("chain");
    symlink(ws.root.join("models-alias2"), chain.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    for name in ["absolute", "alias", "detour", "chain"] {
        assert_eq!(ids(&json, name), Vec::<String>::new(), "{name}: {json:#}");
    }
}

#[cfg(unix)]
#[test]
fn a_global_folder_named_through_a_link_is_not_a_wrong_target() {
    let ws = Ws::new();
    ws.healthy_env("good");
    symlink(ws.global(), ws.tmp.path().join("global-alias"));
    let alias = ws.tmp.path().join("global-alias");
    // --models-dir through the link
    let (code, json) = ws.scan_json(&["--models-dir", alias.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
    // workspace.json through the link
    ws.write_workspace_json(&serde_json::json!({"global_model_directory": {"path": alias.to_str().unwrap()}}));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
    // a path with `..` in it
    let dotted = ws.root.join("environments/../models");
    let (code, json) = ws.scan_json(&["--models-dir", dotted.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
}

#[test]
fn models_not_dir_fires_on_a_regular_file() {
    let ws = Ws::new();
    let comfy = ws.env("file");
    write(comfy.join("models"), b"not a folder");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "file"), s(&["models-not-dir"]));
    assert_eq!(finding(&json, "file", "models-not-dir")["severity"], "error");
}

#[cfg(unix)]
#[test]
fn models_not_dir_fires_on_a_link_to_a_file() {
    let ws = Ws::new();
    write(ws.root.join("some-file"), b"x");
    let comfy = ws.env("tofile");
    symlink("../../../some-file", comfy.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "tofile"), s(&["models-not-dir"]));
}

#[cfg(unix)]
#[test]
fn models_not_dir_fires_on_a_socket() {
    let ws = Ws::new();
    let comfy = ws.env("socket");
    let _listener = std::os::unix::net::UnixListener::bind(comfy.join("models")).unwrap();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "socket"), s(&["models-not-dir"]));
}

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
    assert!(msg.contains("2 file(s)"), "{msg}");
    assert!(msg.contains("123 bytes"), "{msg}");
}

#[test]
fn models_dir_real_shows_large_sizes_in_binary_units() {
    let ws = Ws::new();
    let comfy = ws.env("big");
    write(comfy.join("models/checkpoints/big.safetensors"), vec![0u8; 3 * 1024 * 1024 / 2]);
    let (_, json) = ws.scan_json(&[]);
    let msg = finding(&json, "big", "models-dir-real")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("1 file(s)") && msg.contains("1.5 MiB"), "{msg}");
}

#[cfg(unix)]
#[test]
fn models_dir_real_lists_nested_links() {
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
    assert!(msg.contains("1 file(s)") && msg.contains("3 bytes"), "{msg}");
    assert!(msg.contains("2 nested link(s)"), "{msg}");
    assert!(msg.contains("lora-store") && msg.contains("/nowhere/at/all"), "{msg}");
    assert!(msg.contains("loras") && msg.contains("vae"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_nested_link_alone_makes_models_real() {
    let ws = Ws::new();
    let comfy = ws.env("onlylink");
    fs::create_dir_all(comfy.join("models/checkpoints")).unwrap();
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    symlink(ws.global().join("loras"), comfy.join("models/loras"));
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "onlylink"), s(&["models-dir-real"]));
    let msg = finding(&json, "onlylink", "models-dir-real")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("1 nested link(s)"), "{msg}");
}

#[test]
fn placeholder_only_fires_on_embedded_placeholders() {
    let ws = Ws::new();
    let comfy = ws.env("fresh");
    for p in ["checkpoints/put_checkpoints_here", "loras/put_loras_here", "vae/put_vae_here"] {
        write(comfy.join("models").join(p), "");
    }
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "fresh"), s(&["placeholder-only"]));
    let f = finding(&json, "fresh", "placeholder-only");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("3 placeholder(s)"), "{f:#}");
}

#[test]
fn legacy_yaml_fires_when_present_and_is_silent_when_absent() {
    let ws = Ws::new();
    let with = ws.env("with");
    write(with.join("models/checkpoints/put_checkpoints_here"), "");
    write(
        with.join("extra_model_paths.yaml"),
        format!("comfyui:\n  base_path: {}\n  checkpoints: checkpoints/\n", ws.global().display()),
    );
    let without = ws.env("without");
    write(without.join("models/checkpoints/put_checkpoints_here"), "");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "with"), s(&["placeholder-only", "legacy-yaml"]));
    assert_eq!(ids(&json, "without"), s(&["placeholder-only"]));
    let (_, json) = ws.scan_json(&["--check", "legacy-yaml"]);
    assert_eq!(ids(&json, "with"), s(&["legacy-yaml"]));
    assert_eq!(ids(&json, "without"), Vec::<String>::new());
}

#[test]
fn legacy_yaml_is_silent_when_the_file_is_elsewhere() {
    let ws = Ws::new();
    let comfy = ws.env("nested");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    write(comfy.join("custom_nodes/foo/extra_model_paths.yaml"), "a:\n  base_path: /x\n");
    write(comfy.join("extra_model_paths.yaml.example"), "a:\n  base_path: /x\n");
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "nested"), s(&["placeholder-only"]));
}

#[test]
fn global_missing_fires_once_per_global_folder() {
    let ws = Ws::new();
    fs::remove_dir_all(ws.global()).unwrap();
    ws.env("a");
    ws.env("b");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "link-missing"]));
    assert_eq!(ids(&json, "b"), s(&["link-missing"]));
    assert_eq!(finding(&json, "a", "global-missing")["severity"], "error");
}

#[test]
fn global_missing_fires_when_the_global_folder_is_a_file() {
    let ws = Ws::new();
    fs::remove_dir_all(ws.global()).unwrap();
    write(ws.global(), b"oops");
    let comfy = ws.env("a");
    write(comfy.join("models/checkpoints/put_checkpoints_here"), "");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "placeholder-only"]));
    assert!(finding(&json, "a", "global-missing")["message"].as_str().unwrap().contains("not a folder"));
}

#[cfg(unix)]
#[test]
fn global_layout_names_the_missing_subfolders_once() {
    let ws = Ws::new();
    fs::remove_dir(ws.global().join("gligen")).unwrap();
    fs::remove_dir(ws.global().join("photomaker")).unwrap();
    ws.healthy_env("a");
    ws.healthy_env("b");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(ids(&json, "a"), s(&["global-layout"]));
    assert_eq!(ids(&json, "b"), Vec::<String>::new());
    let msg = finding(&json, "a", "global-layout")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("gligen") && msg.contains("photomaker"), "{msg}");
    assert!(!msg.contains("checkpoints"), "{msg}");
}

#[test]
fn models_dir_unknown_replaces_the_checks_that_need_the_global_folder() {
    let ws = Ws::empty("ws"); // environments/ only: no workspace.json
    ws.env("a");
    let b = ws.env("b");
    write(b.join("models/checkpoints/put_checkpoints_here"), "");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "a"), s(&["models-dir-unknown", "link-missing"]));
    assert_eq!(ids(&json, "b"), s(&["models-dir-unknown", "placeholder-only"]));
    assert_eq!(finding(&json, "a", "models-dir-unknown")["severity"], "error");
    assert!(json["models_dir"].is_null(), "{json:#}");
    for name in ["a", "b"] {
        assert!(install(&json, name)["models_dir"].is_null(), "{json:#}");
    }
}

#[cfg(unix)]
#[test]
fn links_that_all_agree_name_the_global_folder_when_nothing_else_does() {
    // After a migration the link is the record: a healthy linked install is not an error.
    let ws = Ws::empty("ws");
    fs::create_dir_all(ws.root.join("somewhere")).unwrap();
    let comfy = ws.env("linked");
    symlink("../../../somewhere", comfy.join("models"));
    let (code, json) = ws.scan_json(&["--check", "link-wrong-target", "--check", "models-dir-unknown"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(ids(&json, "linked"), s(&[]));
    let somewhere = fs::canonicalize(ws.root.join("somewhere")).unwrap();
    assert_eq!(json["models_dir"], somewhere.display().to_string());
}

#[cfg(unix)]
#[test]
fn links_that_disagree_leave_the_global_folder_unknown() {
    let ws = Ws::empty("ws");
    for (env, dir) in [("one", "a"), ("two", "b")] {
        fs::create_dir_all(ws.root.join(dir)).unwrap();
        symlink(format!("../../../{dir}"), ws.env(env).join("models"));
    }
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "one"), s(&["models-dir-unknown"]));
    assert_eq!(ids(&json, "two"), s(&["models-dir-unknown"]));
}

#[cfg(unix)]
#[test]
fn a_link_does_not_name_the_global_folder_while_another_install_holds_data() {
    // Inferring from links never decides where another install's data would be merged.
    let ws = Ws::empty("ws");
    fs::create_dir_all(ws.root.join("somewhere")).unwrap();
    symlink("../../../somewhere", ws.env("linked").join("models"));
    write(ws.env("real").join("models/loras/mine.safetensors"), "data");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "linked"), s(&["models-dir-unknown"]));
    assert_eq!(ids(&json, "real"), s(&["models-dir-unknown", "models-dir-real"]));
}

#[test]
fn a_standalone_comfyui_has_an_unknown_global_folder() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["one", "two"] {
        make_comfyui(&tmp.path().join(name).join("ComfyUI"));
    }
    let (code, json) = run_json([tmp.path()]);
    assert_eq!(code, 1);
    let all = all_ids(&json);
    assert_eq!(all.len(), 2, "{json:#}");
    for ids in all.values() {
        assert_eq!(ids, &s(&["models-dir-unknown", "link-missing"]));
    }
}

// ---------------------------------------------------------------- the global folder's precedence

#[cfg(unix)]
#[test]
fn flag_beats_environment_beats_workspace_json() {
    let ws = Ws::new();
    let other = ws.tmp.path().join("other");
    for d in STANDARD_SUBFOLDERS {
        fs::create_dir_all(other.join(d)).unwrap();
    }
    let comfy = ws.env("a");
    symlink(&other, comfy.join("models"));

    // workspace.json says <ws>/models: the link to `other` is wrong.
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "a"), s(&["link-wrong-target"]));

    // The environment variable beats workspace.json.
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_MODELS_DIR", &other).args(["scan", "--format", "json"]).arg(&ws.root);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!((code, ids(&json, "a")), (0, vec![]), "{json:#}");

    // The flag beats the environment variable.
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_MODELS_DIR", &other).args(["scan", "--format", "json"]).arg(&ws.root);
    cmd.arg("--models-dir").arg(ws.global());
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!((code, ids(&json, "a")), (1, s(&["link-wrong-target"])), "{json:#}");

    // The flag alone.
    let (code, json) = ws.scan_json(&["--models-dir", other.to_str().unwrap()]);
    assert_eq!((code, ids(&json, "a")), (0, vec![]), "{json:#}");
    assert_eq!(json["models_dir"].as_str().map(std::path::PathBuf::from), Some(other.clone()));
}

#[test]
fn the_flag_names_a_missing_folder() {
    let ws = Ws::new();
    ws.env("a");
    let missing = ws.tmp.path().join("no-such-folder");
    let (_, json) = ws.scan_json(&["--models-dir", missing.to_str().unwrap()]);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "link-missing"]));
    let msg = finding(&json, "a", "global-missing")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("no-such-folder") && msg.contains("--models-dir"), "{msg}");
}

#[cfg(unix)]
#[test]

fn an_empty_environment_variable_is_ignored() {
    let ws = Ws::new();
    ws.healthy_env("a");
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_MODELS_DIR", "").args(["scan", "--format", "json"]).arg(&ws.root);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!((code, ids(&json, "a")), (0, vec![]), "{json:#}");
}

#[test]
fn the_environment_variable_names_a_missing_folder() {
    let ws = Ws::new();
    ws.env("a");
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_MODELS_DIR", ws.tmp.path().join("env-missing")).args(["scan", "--format", "json"]);
    cmd.arg(&ws.root);
    let (_, json) = run_json_cmd(&mut cmd);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "link-missing"]));
    let msg = finding(&json, "a", "global-missing")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("env-missing") && msg.contains("COMFYDOCTOR_MODELS_DIR"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_relative_flag_is_relative_to_the_current_folder() {
    let ws = Ws::new();
    ws.healthy_env("a");
    let mut cmd = ws.cmd();
    cmd.current_dir(&ws.root).args(["scan", "--format", "json", ".", "--models-dir", "models"]);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!((code, ids(&json, "a")), (0, vec![]), "{json:#}");
}

#[cfg(unix)]
#[test]
fn workspace_json_relative_path_is_relative_to_the_workspace() {
    let ws = Ws::new();
    let store = ws.root.join("store");
    for d in STANDARD_SUBFOLDERS {
        fs::create_dir_all(store.join(d)).unwrap();
    }
    ws.write_workspace_json(&serde_json::json!({"version": 1, "global_model_directory": {"path": "store"}}));
    let good = ws.env("good");
    symlink("../../../store", good.join("models"));
    let wrong = ws.env("wrong");
    symlink("../../../models", wrong.join("models"));
    // From another current folder, so a cwd-relative reading would fail.
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "good"), Vec::<String>::new(), "{json:#}");
    assert_eq!(ids(&json, "wrong"), s(&["link-wrong-target"]));
}

#[cfg(unix)]
#[test]
fn workspace_json_without_a_global_entry_means_the_default_folder() {
    let ws = Ws::new();
    ws.write_workspace_json(&serde_json::json!({"version": 1, "active_environment": "good"}));
    ws.healthy_env("good");
    fs::create_dir_all(ws.root.join("elsewhere")).unwrap();
    let wrong = ws.env("wrong");
    symlink("../../../elsewhere", wrong.join("models"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "good"), Vec::<String>::new(), "{json:#}");
    assert_eq!(ids(&json, "wrong"), s(&["link-wrong-target"]));
    let reported = fs::canonicalize(json["models_dir"].as_str().unwrap()).unwrap();
    assert_eq!(reported, fs::canonicalize(ws.global()).unwrap());
}

#[test]
fn workspace_json_with_a_null_path_means_the_default_folder() {
    let ws = Ws::new();
    ws.write_workspace_json(&serde_json::json!({"global_model_directory": null}));
    ws.env("bare");
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "bare"), s(&["link-missing"]));
    assert!(json["models_dir"].is_string());
}

#[test]
fn the_flag_needs_no_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let comfy = tmp.path().join("ComfyUI");
    make_comfyui(&comfy);
    let global = tmp.path().join("global");
    for d in STANDARD_SUBFOLDERS {
        fs::create_dir_all(global.join(d)).unwrap();
    }
    let (code, json) = run_json([comfy.as_os_str(), "--models-dir".as_ref(), global.as_os_str()]);
    assert_eq!(code, 1);
    let name = names(&json).remove(0);
    assert_eq!(ids(&json, &name), s(&["link-missing"]));
}

// ---------------------------------------------------------------- JSON shape

#[cfg(unix)]
#[test]
fn json_has_the_contract_shape() {
    let ws = Ws::new();
    ws.env("bare");
    ws.healthy_env("good");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["schema", "models_dir", "installs", "summary"] {
        assert!(keys.contains(&k), "missing {k}: {json:#}");
    }
    assert_eq!(json["schema"], 1);
    for i in json["installs"].as_array().unwrap() {
        for k in ["name", "path", "findings"] {
            assert!(i.get(k).is_some(), "install lacks {k}: {i:#}");
        }
    }
    let f = finding(&json, "bare", "link-missing");
    for k in ["check", "severity", "message", "fix"] {
        assert!(f.get(k).is_some(), "finding lacks {k}: {f:#}");
    }
    assert!(f["fix"].is_string());
    assert_eq!(json["summary"], serde_json::json!({"installs": 2, "errors": 1, "warnings": 0, "infos": 0}));
    assert_eq!(names(&json), s(&["bare", "good"]));
}

#[test]
fn json_fix_is_null_when_there_is_nothing_to_do() {
    let ws = Ws::empty("ws");
    ws.env("a");
    let (_, json) = ws.scan_json(&[]);
    assert!(finding(&json, "a", "models-dir-unknown")["fix"].is_null(), "{json:#}");
}

// ---------------------------------------------------------------- --quiet and --check

#[cfg(unix)]
#[test]
fn quiet_prints_nothing_when_healthy_even_with_infos() {
    let ws = Ws::new();
    ws.healthy_env("good");
    fs::remove_dir(ws.global().join("gligen")).unwrap();
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg("--quiet").arg(&ws.root));
    assert_eq!(code, 0);
    assert_eq!(stdout, "");
    assert_eq!(stderr, "");
}

#[cfg(unix)]
#[test]
fn quiet_prints_only_errors_and_warnings() {
    let ws = Ws::new();
    ws.env("bare");
    ws.healthy_env("good");
    fs::remove_dir(ws.global().join("gligen")).unwrap();
    let (code, stdout, _) = output(ws.cmd().arg("scan").arg("-q").arg(&ws.root));
    assert_eq!(code, 1);
    assert!(stdout.contains("link-missing"), "{stdout}");
    assert!(!stdout.contains("global-layout"), "{stdout}");
    assert!(!stdout.contains("install(s) scanned"), "{stdout}");
    assert!(!stdout.contains("good"), "{stdout}");
}

#[cfg(unix)]
#[test]

fn quiet_json_prints_nothing_when_healthy() {
    let ws = Ws::new();
    ws.healthy_env("good");
    let (code, stdout, _) = output(ws.cmd().args(["scan", "--quiet", "--format", "json"]).arg(&ws.root));
    assert_eq!(code, 0);
    assert_eq!(stdout, "");
}

#[cfg(unix)]
#[test]
fn check_runs_only_the_named_checks() {
    let ws = Ws::new();
    ws.env("bare");
    let real = ws.env("real");
    write(real.join("models/loras/x.safetensors"), b"x");
    write(real.join("extra_model_paths.yaml"), "a:\n  base_path: /x\n");
    ws.healthy_env("good");
    let (code, json) = ws.scan_json(&["--check", "models-dir-real"]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "bare"), Vec::<String>::new());
    assert_eq!(ids(&json, "real"), s(&["models-dir-real"]));
    assert_eq!(ids(&json, "good"), Vec::<String>::new());

    let (code, json) = ws.scan_json(&["--check", "link-missing", "--check", "legacy-yaml"]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "bare"), s(&["link-missing"]));
    assert_eq!(ids(&json, "real"), s(&["legacy-yaml"]));

    // A check that finds nothing: exit 0 although other checks would fire.
    let (code, json) = ws.scan_json(&["--check", "link-broken"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["summary"]["errors"], 0);
    assert_eq!(json["summary"]["warnings"], 0);
}

#[test]
fn an_unknown_check_is_a_usage_error() {
    let ws = Ws::new();
    ws.env("bare");
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg(&ws.root).args(["--check", "no-such-check"]));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-such-check"), "{stderr}");
}

// ---------------------------------------------------------------- scan changes nothing

#[cfg(unix)]
#[test]
fn scan_writes_nothing() {
    let ws = Ws::new();
    ws.env("bare");
    ws.healthy_env("good");
    let broken = ws.env("broken");
    symlink("../../../gone", broken.join("models"));
    let fresh = ws.env("fresh");
    StockTree::new().materialize(&fresh.join("models"));
    let real = ws.env("real");
    write(real.join("models/loras/x.safetensors"), b"data");
    write(real.join("extra_model_paths.yaml"), "comfyui:\n  base_path: /x\n");
    ws.env_without_cec("skipped");
    let tsv = StockTree::new().write_tsv(&ws.tmp.path().join("stock.tsv"));

    let before = inventory(ws.tmp.path());
    for args in [vec![], vec!["--format", "json"], vec!["-v"], vec!["--quiet"]] {
        let mut cmd = ws.cmd();
        cmd.env("COMFYDOCTOR_STOCK_TSV", &tsv).arg("scan").arg(&ws.root).args(&args);
        let (code, _, stderr) = output(&mut cmd);
        assert_eq!(code, 1, "{stderr}");
    }
    // And with no PATH (the current folder holds the workspace).
    let (code, _, _) = output(ws.cmd().current_dir(&ws.root).arg("scan"));
    assert_eq!(code, 1);
    assert_same_inventory(&before, &inventory(ws.tmp.path()));
}

#[cfg(unix)]
#[test]
fn scan_writes_nothing_in_git_checkouts() {
    assert!(has_git(), "these tests need git");
    let ws = Ws::new();
    let tracked = ws.env("tracked");
    write(tracked.join("models/checkpoints/put_checkpoints_here"), "");
    git(&tracked, &["init", "-q"]);
    git(&tracked, &["add", "-A"]);
    git(&tracked, &["commit", "-qm", "init"]);
    let linked = ws.env("linked");
    write(linked.join("models/checkpoints/put_checkpoints_here"), "");
    git(&linked, &["init", "-q"]);
    git(&linked, &["add", "-A"]);
    git(&linked, &["commit", "-qm", "init"]);
    fs::remove_dir_all(linked.join("models")).unwrap();
    symlink("../../../models", linked.join("models"));
    // A stale index (file touched after the commit) tempts git into refreshing it.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(tracked.join("main.py"), "# changed\n");

    let before = inventory(ws.tmp.path());
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "tracked"), s(&["placeholder-only", "git-tracks-models"]));
    assert_eq!(ids(&json, "linked"), s(&["git-tracks-models"]));
    let (code, _, _) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 1);
    assert_same_inventory(&before, &inventory(ws.tmp.path()));
}

/// The inventory notices what scan must not do, so the two tests above can fail.
#[cfg(unix)]
#[test]
fn inventory_sees_every_kind_of_change() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root.join("a/file"), b"abc");
    symlink("a", root.join("link"));
    let base = inventory(root);
    assert_eq!(base, inventory(root));
    assert_eq!(base[std::path::Path::new("link")].link_target, Some("a".into()));

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
        let before = inventory(root);
        change();
        assert_ne!(before, inventory(root), "change {i} went unnoticed");
    }
}

// ---------------------------------------------------------------- odd paths

#[cfg(unix)]
#[test]
fn a_workspace_path_with_spaces() {
    let ws = Ws::named("my comfy workspace");
    ws.healthy_env("good env");
    let bare = ws.env("bare env");
    let _ = bare;
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "good env"), Vec::<String>::new(), "{json:#}");
    assert_eq!(ids(&json, "bare env"), s(&["link-missing"]));
    assert!(json["models_dir"].as_str().unwrap().contains("my comfy workspace"));
    // The table too.
    let (code, stdout, _) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 1);
    assert!(stdout.contains("bare env") && stdout.contains("link-missing"), "{stdout}");
}

#[cfg(target_os = "linux")]
#[test]
fn non_utf8_names_inside_models_are_counted() {
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
    assert!(msg.contains("2 file(s)") && msg.contains("8 bytes"), "{msg}");
    assert!(msg.contains("1 nested link(s)"), "{msg}");

    // The table too.
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("models-dir-real"), "{stdout}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_non_utf8_environment_name_gives_valid_json() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let ws = Ws::new();
    let env = ws.root.join("environments").join(OsStr::from_bytes(b"env-\xe9"));
    fs::create_dir_all(env.join(".cec")).unwrap();
    make_comfyui(&env.join("ComfyUI"));
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    let name = names(&json).remove(0);
    assert!(name.starts_with("env-"), "{name}");
    assert_eq!(ids(&json, &name), s(&["link-missing"]));
}
