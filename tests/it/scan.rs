//! `comfydoctor scan` beyond single checks: exit codes, the global folder's precedence, the JSON
//! shape, `--quiet`, `--check`, that scan writes nothing, and odd paths.

use std::fs;

use crate::support::*;

// ---------------------------------------------------------------- healthy install and exit codes

#[test]
fn healthy_install_has_no_finding_and_exits_0() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("good");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(names(&json), s(&["good"]));
    assert_eq!(ids(&json, "good"), Vec::<String>::new(), "{json:#}");
    assert_eq!(json["summary"], serde_json::json!({"installs": 1, "errors": 0, "warnings": 0, "infos": 0}));
    let global = fs::canonicalize(&ws.global).unwrap();
    let reported = fs::canonicalize(json["models_dir"].as_str().unwrap()).unwrap();
    assert_eq!(reported, global);
    let path = install(&json, "good")["path"].as_str().unwrap().to_string();
    assert_eq!(fs::canonicalize(path).unwrap(), fs::canonicalize(ws.root.join("environments/good/ComfyUI")).unwrap());
}

#[test]
fn healthy_table_says_so_and_exits_0() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("good");
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("[✓] good: healthy"), "{stdout}");
    assert!(stdout.contains("1 install scanned: 0 errors, 0 warnings, 0 info; healthy."), "{stdout}");
    assert!(!stdout.contains("| good"), "no table row for a healthy install: {stdout}");
    assert_eq!(stderr, "");
}

#[test]
fn infos_alone_exit_0() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("good");
    fs::remove_dir(ws.global.join("vae_approx")).unwrap();
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

// ---------------------------------------------------------------- the global folder's precedence

#[test]
fn flag_beats_environment_beats_workspace_json() {
    needs_links!();
    let ws = Ws::new();
    let other = ws.base.join("other");
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
    cmd.arg("--models-dir").arg(&ws.global);
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
    let missing = ws.base.join("no-such-folder");
    let (_, json) = ws.scan_json(&["--models-dir", missing.to_str().unwrap()]);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "link-missing"]));
    let msg = finding(&json, "a", "global-missing")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("no-such-folder") && msg.contains("--models-dir"), "{msg}");
}

#[test]
fn an_empty_environment_variable_is_ignored() {
    needs_links!();
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
    cmd.env("COMFYDOCTOR_MODELS_DIR", ws.base.join("env-missing")).args(["scan", "--format", "json"]);
    cmd.arg(&ws.root);
    let (_, json) = run_json_cmd(&mut cmd);
    assert_eq!(ids(&json, "a"), s(&["global-missing", "link-missing"]));
    let msg = finding(&json, "a", "global-missing")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("env-missing") && msg.contains("COMFYDOCTOR_MODELS_DIR"), "{msg}");
}

#[test]
fn a_relative_flag_is_relative_to_the_current_folder() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("a");
    let mut cmd = ws.cmd();
    cmd.current_dir(&ws.root).args(["scan", "--format", "json", ".", "--models-dir", "models"]);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!((code, ids(&json, "a")), (0, vec![]), "{json:#}");
}

#[test]
fn workspace_json_relative_path_is_relative_to_the_workspace() {
    needs_links!();
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

#[test]
fn workspace_json_without_a_global_entry_means_the_default_folder() {
    needs_links!();
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
    assert_eq!(reported, fs::canonicalize(&ws.global).unwrap());
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
    let tmp = tempdir();
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

#[test]
fn json_has_the_contract_shape() {
    needs_links!();
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

// ---------------------------------------------------------------- --quiet and --check

#[test]
fn quiet_prints_nothing_when_healthy_even_with_infos() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("good");
    fs::remove_dir(ws.global.join("gligen")).unwrap();
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg("--quiet").arg(&ws.root));
    assert_eq!(code, 0);
    assert_eq!(stdout, "");
    assert_eq!(stderr, "");
}

#[test]
fn quiet_prints_only_errors_and_warnings() {
    needs_links!();
    let ws = Ws::new();
    ws.env("bare");
    ws.healthy_env("good");
    fs::remove_dir(ws.global.join("gligen")).unwrap();
    let (code, stdout, _) = output(ws.cmd().arg("scan").arg("-q").arg(&ws.root));
    assert_eq!(code, 1);
    assert!(stdout.contains("link-missing"), "{stdout}");
    assert!(!stdout.contains("global-layout"), "{stdout}");
    assert!(!stdout.contains("scanned"), "{stdout}");
    assert!(!stdout.contains("good"), "{stdout}");
}

#[test]
fn quiet_json_still_prints_the_document_when_healthy() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("good");
    let (code, stdout, _) = output(ws.cmd().args(["scan", "--quiet", "--format", "json"]).arg(&ws.root));
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["summary"]["errors"], 0, "{stdout}");
    assert_eq!(doc["installs"][0]["name"], "good", "{stdout}");
    assert!(doc.get("sizes").is_none(), "--quiet does not measure: {stdout}");
}

#[test]
fn check_runs_only_the_named_checks() {
    needs_links!();
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

#[test]
fn scan_writes_nothing() {
    needs_links!();
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
    let tsv = StockTree::new().write_tsv(&ws.base.join("stock.tsv"));

    let before = lstat_inventory(&ws.base, true);
    for args in [vec![], vec!["--format", "json"], vec!["-v"], vec!["--quiet"]] {
        let mut cmd = ws.cmd();
        cmd.env("COMFYDOCTOR_STOCK_TSV", &tsv).arg("scan").arg(&ws.root).args(&args);
        let (code, _, stderr) = output(&mut cmd);
        assert_eq!(code, 1, "{stderr}");
    }
    // And with no PATH (the current folder holds the workspace).
    let (code, _, _) = output(ws.cmd().current_dir(&ws.root).arg("scan"));
    assert_eq!(code, 1);
    assert_same(&before, &lstat_inventory(&ws.base, true), "nothing may change");
}

#[test]
fn scan_writes_nothing_in_git_checkouts() {
    needs_links!();
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

    let before = lstat_inventory(&ws.base, true);
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "tracked"), s(&["placeholder-only", "git-tracks-models"]));
    assert_eq!(ids(&json, "linked"), s(&["git-tracks-models"]));
    let (code, _, _) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 1);
    assert_same(&before, &lstat_inventory(&ws.base, true), "nothing may change");
}

// ---------------------------------------------------------------- odd paths

#[test]
fn a_workspace_path_with_spaces() {
    needs_links!();
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
