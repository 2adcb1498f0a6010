//! Finding installs: the four kinds of PATH, the depth-limited search that never follows links nor
//! enters pruned folders, ComfyDock's `.cec/` rule, the default places, and the exit-2 errors.

use std::fs;
use std::path::Path;

use crate::support::*;

/// A clean command with HOME and the current folder in `home`.
fn cmd_in(home: &Path) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.home(home).current_dir(home);
    cmd
}

// ---------------------------------------------------------------- PATH kinds

#[test]
fn a_workspace_counts_only_environments_with_cec() {
    let ws = Ws::new();
    ws.env("counted");
    ws.env_without_cec("scratch");
    // .cec as a file does not count either
    let odd = ws.env_without_cec("odd");
    write(odd.parent().unwrap().join(".cec"), b"");
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(names(&json), s(&["counted"]));
}

#[test]
fn skipped_environments_are_listed_on_stderr_in_verbose_mode_only() {
    let ws = Ws::new();
    ws.env("counted");
    ws.env_without_cec("scratch");
    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 1);
    assert_eq!(stderr, "", "quiet about skipped environments without -v");
    assert!(!stdout.contains("scratch"), "{stdout}");

    let (code, stdout, stderr) = output(ws.cmd().arg("scan").arg("-v").arg(&ws.root));
    assert_eq!(code, 1);
    assert!(stderr.contains("scratch") && stderr.contains(".cec"), "{stderr}");
    assert!(!stderr.contains("counted"), "{stderr}");
    assert!(!stdout.contains("scratch"), "skips go to stderr only: {stdout}");

    // JSON stays clean on stdout with -v.
    let mut cmd = ws.cmd();
    cmd.args(["scan", "--verbose", "--format", "json"]).arg(&ws.root);
    let (_, json) = run_json_cmd(&mut cmd);
    assert_eq!(names(&json), s(&["counted"]));
}

#[test]
fn a_workspace_with_only_workspace_json() {
    let ws = Ws::new();
    fs::remove_dir_all(ws.root.join("environments")).unwrap();
    let (code, _, stderr) = output(ws.cmd().arg("scan").arg(&ws.root));
    assert_eq!(code, 2, "a workspace without environments holds no install");
    assert!(stderr.contains("no ComfyUI install found"), "{stderr}");
}

#[test]
fn an_environment_folder_takes_its_workspace_global_folder() {
    needs_links!();
    let ws = Ws::new();
    let comfy = ws.healthy_env("good");
    ws.env("other");
    let env = comfy.parent().unwrap();
    let (code, json) = run_json([env]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(names(&json), s(&["good"]));
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
}

#[test]
fn a_comfyui_folder_inside_a_workspace_takes_its_global_folder() {
    needs_links!();
    let ws = Ws::new();
    let comfy = ws.healthy_env("good");
    let (code, json) = run_json([&comfy]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(names(&json), s(&["good"]));
    assert_eq!(ids(&json, "good"), Vec::<String>::new());
}

#[test]
fn an_environment_without_cec_given_directly_is_not_an_install() {
    let ws = Ws::new();
    let comfy = ws.env_without_cec("scratch");
    let (code, _, stderr) = output(ws.cmd().arg("scan").arg(comfy.parent().unwrap()));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn a_comfyui_folder_needs_three_markers() {
    let tmp = tempdir();
    let two = tmp.path().join("two");
    write(two.join("main.py"), "");
    fs::create_dir_all(two.join("comfy")).unwrap();
    let (code, _, stderr) = output(cmd_in(tmp.path()).arg("scan").arg(&two));
    assert_eq!(code, 2, "{stderr}");

    let three = tmp.path().join("three");
    write(three.join("nodes.py"), "");
    fs::create_dir_all(three.join("comfy")).unwrap();
    fs::create_dir_all(three.join("comfy_extras")).unwrap();
    let (code, json) = run_json([&three]);
    assert_eq!(code, 1);
    assert_eq!(json["installs"].as_array().unwrap().len(), 1);
    let path = json["installs"][0]["path"].as_str().unwrap();
    assert_eq!(fs::canonicalize(path).unwrap(), fs::canonicalize(&three).unwrap());
}

#[test]
fn several_paths_are_scanned_together_without_duplicates() {
    let ws = Ws::new();
    ws.env("a");
    let b = ws.env("b");
    let (code, json) = run_json([ws.root.as_path(), b.as_path(), ws.root.join("environments/a").as_path()]);
    assert_eq!(code, 1);
    assert_eq!(names(&json), s(&["a", "b"]));
}

#[test]
fn two_workspaces_each_use_their_own_global_folder() {
    needs_links!();
    let one = Ws::new();
    one.healthy_env("one-env");
    let two = Ws::new();
    two.healthy_env("two-env");
    let (code, json) = run_json([one.root.as_path(), two.root.as_path()]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(names(&json), s(&["one-env", "two-env"]));
    assert!(json["models_dir"].is_null(), "no single global folder: {json:#}");
    let dir = |n: &str| fs::canonicalize(install(&json, n)["models_dir"].as_str().unwrap()).unwrap();
    assert_eq!(dir("one-env"), fs::canonicalize(&one.global).unwrap());
    assert_eq!(dir("two-env"), fs::canonicalize(&two.global).unwrap());
}

#[test]
fn a_workspace_reached_through_a_link() {
    needs_links!();
    let ws = Ws::new();
    ws.healthy_env("good");
    ws.env("bare");
    let alias = ws.base.join("alias");
    symlink(&ws.root, &alias);
    let (code, json) = run_json([&alias]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "good"), Vec::<String>::new(), "{json:#}");
    assert_eq!(ids(&json, "bare"), s(&["link-missing"]));
}

// ---------------------------------------------------------------- searching a folder

#[test]
fn search_finds_installs_and_workspaces_below() {
    let tmp = tempdir();
    make_comfyui(&tmp.path().join("apps/ComfyUI"));
    make_comfyui(&tmp.path().join("apps/other/ComfyUI-dev"));
    let ws_root = tmp.path().join("stuff/comfydock");
    fs::create_dir_all(ws_root.join("environments/e1/.cec")).unwrap();
    make_comfyui(&ws_root.join("environments/e1/ComfyUI"));
    fs::create_dir_all(ws_root.join("environments/e2")).unwrap();
    make_comfyui(&ws_root.join("environments/e2/ComfyUI"));
    let (code, json) = run_json([tmp.path()]);
    assert_eq!(code, 1);
    let mut got = names(&json);
    got.sort();
    assert_eq!(got.len(), 3, "{json:#}");
    assert!(got.contains(&"e1".to_string()), "{got:?}");
    assert!(got.iter().any(|n| n.ends_with("ComfyUI-dev")), "{got:?}");
    assert!(got.iter().any(|n| n.ends_with("apps/ComfyUI") || n.ends_with("apps\\ComfyUI")), "{got:?}");
}

#[test]
fn search_depth_is_limited() {
    let tmp = tempdir();
    // Depth 4 below the search root: found by default.
    make_comfyui(&tmp.path().join("a/b/c/ComfyUI"));
    let (code, json) = run_json([tmp.path()]);
    assert_eq!(code, 1);
    assert_eq!(json["installs"].as_array().unwrap().len(), 1);

    // With --max-depth 3 it is out of reach.
    let (code, _, stderr) = output(cmd_in(tmp.path()).arg("scan").arg(tmp.path()).args(["--max-depth", "3"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no ComfyUI install found"), "{stderr}");

    // Depth 5: not found by default, found with --max-depth 5.
    let deep = tempdir();
    make_comfyui(&deep.path().join("a/b/c/d/ComfyUI"));
    let (code, _, _) = output(cmd_in(deep.path()).arg("scan").arg(deep.path()));
    assert_eq!(code, 2);
    let (code, json) = run_json([deep.path().as_os_str(), "--max-depth".as_ref(), "5".as_ref()]);
    assert_eq!(code, 1);
    assert_eq!(json["installs"].as_array().unwrap().len(), 1);
}

#[test]
fn search_never_enters_pruned_folders() {
    let tmp = tempdir();
    for pruned in ["models", ".git", ".venv", "venv", "custom_nodes", "node_modules"] {
        make_comfyui(&tmp.path().join("x").join(pruned).join("ComfyUI"));
    }
    let (code, _, stderr) = output(cmd_in(tmp.path()).arg("scan").arg(tmp.path()));
    assert_eq!(code, 2, "{stderr}");
    // A control: the same install under an ordinary name is found.
    make_comfyui(&tmp.path().join("x/ordinary/ComfyUI"));
    let (code, json) = run_json([tmp.path()]);
    assert_eq!(code, 1);
    assert_eq!(json["installs"].as_array().unwrap().len(), 1, "{json:#}");
    assert!(names(&json)[0].contains("ordinary"), "{json:#}");
}

#[test]
fn search_never_follows_links() {
    needs_links!();
    let tmp = tempdir();
    let elsewhere = tempdir();
    make_comfyui(&elsewhere.path().join("ComfyUI"));
    symlink(elsewhere.path(), tmp.path().join("linked-folder"));
    symlink(elsewhere.path().join("ComfyUI"), tmp.path().join("sub/linked-comfy"));
    let (code, _, stderr) = output(cmd_in(tmp.path()).arg("scan").arg(tmp.path()));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn search_survives_a_link_loop() {
    needs_links!();
    let tmp = tempdir();
    symlink(".", tmp.path().join("a/loop"));
    make_comfyui(&tmp.path().join("b/ComfyUI"));
    let (code, json) = run_json([tmp.path()]);
    assert_eq!(code, 1);
    assert_eq!(json["installs"].as_array().unwrap().len(), 1);
}

#[test]
fn search_does_not_look_inside_an_install() {
    let tmp = tempdir();
    let outer = tmp.path().join("ComfyUI-main");
    make_comfyui(&outer);
    make_comfyui(&outer.join("vendored/ComfyUI"));
    let (_, json) = run_json([tmp.path()]);
    assert_eq!(json["installs"].as_array().unwrap().len(), 1, "{json:#}");
}

// ---------------------------------------------------------------- no PATH: the default places

#[test]
fn no_path_prefers_comfydock_home_then_comfygit_home() {
    needs_links!();
    let home = tempdir();
    let dock = Ws::new();
    dock.healthy_env("from-dock");
    let git = Ws::new();
    git.healthy_env("from-git");
    let empty = tempdir();

    let mut cmd = cmd_in(home.path());
    cmd.env("COMFYDOCK_HOME", &dock.root).env("COMFYGIT_HOME", &git.root).args(["scan", "--format", "json"]);
    let (code, json) = run_json_cmd(&mut cmd);
    assert_eq!(code, 0);
    assert_eq!(names(&json), s(&["from-dock"]));

    // COMFYDOCK_HOME without an install: on to COMFYGIT_HOME.
    let mut cmd = cmd_in(home.path());
    cmd.env("COMFYDOCK_HOME", empty.path()).env("COMFYGIT_HOME", &git.root).args(["scan", "--format", "json"]);
    let (_, json) = run_json_cmd(&mut cmd);
    assert_eq!(names(&json), s(&["from-git"]));

    // COMFYGIT_HOME alone.
    let mut cmd = cmd_in(home.path());
    cmd.env("COMFYGIT_HOME", &git.root).args(["scan", "--format", "json"]);
    let (_, json) = run_json_cmd(&mut cmd);
    assert_eq!(names(&json), s(&["from-git"]));
}

#[test]
fn no_path_then_the_current_folder_then_home_comfydock_then_home_comfygit() {
    let home = tempdir();
    let cwd = tempdir();
    let make_ws = |root: &Path, env: &str| {
        fs::create_dir_all(root.join("environments").join(env).join(".cec")).unwrap();
        make_comfyui(&root.join("environments").join(env).join("ComfyUI"));
    };
    make_ws(&home.path().join("comfygit"), "in-comfygit");
    let scan = |dir: &Path| {
        let mut cmd = bin();
        cmd.home(home.path()).current_dir(dir).args(["scan", "--format", "json"]);
        names(&run_json_cmd(&mut cmd).1)
    };
    assert_eq!(scan(cwd.path()), s(&["in-comfygit"]));
    make_ws(&home.path().join("comfydock"), "in-comfydock");
    assert_eq!(scan(cwd.path()), s(&["in-comfydock"]));
    make_ws(&cwd.path().join("here"), "in-cwd");
    assert_eq!(scan(cwd.path()), s(&["in-cwd"]));
    // A ComfyUI folder as the current folder.
    let comfy = cwd.path().join("here/environments/in-cwd/ComfyUI");
    assert_eq!(scan(&comfy), s(&["in-cwd"]));
}

#[test]
fn no_path_and_nothing_found_says_where_it_looked() {
    let home = tempdir();
    let cwd = tempdir();
    let dock = tempdir();
    let mut cmd = bin();
    cmd.home(home.path())
        .env("COMFYDOCK_HOME", dock.path().join("dock-home"))
        .env("COMFYGIT_HOME", dock.path().join("git-home"))
        .current_dir(cwd.path())
        .arg("scan");
    let (code, stdout, stderr) = output(&mut cmd);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    for place in ["dock-home", "git-home", "comfydock", "comfygit"] {
        assert!(stderr.contains(place), "{place} not named: {stderr}");
    }
    let cwd_name = cwd.path().file_name().unwrap().to_str().unwrap();
    assert!(stderr.contains(cwd_name), "the current folder not named: {stderr}");
}

// ---------------------------------------------------------------- exit 2 with one line

fn assert_usage_error(cmd: &mut assert_cmd::Command, needle: &str) {
    let (code, stdout, stderr) = output(cmd);
    assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{needle} not in: {stderr}");
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let tmp = tempdir();
    assert_usage_error(cmd_in(tmp.path()).arg("scan").arg(tmp.path().join("nope")), "nope");
}

#[test]
fn a_file_as_path_is_a_usage_error() {
    let tmp = tempdir();
    write(tmp.path().join("file.txt"), "x");
    assert_usage_error(cmd_in(tmp.path()).arg("scan").arg(tmp.path().join("file.txt")), "file.txt");
}

#[test]
fn a_folder_without_installs_is_a_usage_error() {
    let tmp = tempdir();
    fs::create_dir_all(tmp.path().join("empty/deeper")).unwrap();
    assert_usage_error(cmd_in(tmp.path()).arg("scan").arg(tmp.path().join("empty")), "empty");
}

#[test]
fn invalid_workspace_json_is_a_usage_error() {
    let ws = Ws::new();
    ws.env("a");
    write(ws.workspace_json(), "{ not json");
    assert_usage_error(ws.cmd().arg("scan").arg(&ws.root), "workspace.json");
    assert_usage_error(ws.cmd().args(["scan", "--format", "json"]).arg(&ws.root), "workspace.json");
}

#[test]
fn a_workspace_json_path_of_the_wrong_type_is_a_usage_error() {
    let ws = Ws::new();
    ws.env("a");
    ws.write_workspace_json(&serde_json::json!({"global_model_directory": {"path": 42}}));
    assert_usage_error(ws.cmd().arg("scan").arg(&ws.root), "workspace.json");
}

#[test]
fn an_unreadable_workspace_json_is_a_usage_error() {
    let ws = Ws::new();
    ws.env("a");
    // A folder where the file should be cannot be read, even by root.
    fs::remove_file(ws.workspace_json()).unwrap();
    fs::create_dir_all(ws.workspace_json()).unwrap();
    assert_usage_error(ws.cmd().arg("scan").arg(&ws.root), "workspace.json");
}

#[test]
fn an_invalid_workspace_json_found_by_search_is_a_usage_error() {
    let ws = Ws::new();
    ws.env("a");
    write(ws.workspace_json(), "[1, 2");
    assert_usage_error(ws.cmd().arg("scan").arg(&ws.base), "workspace.json");
}

#[test]
fn a_bad_max_depth_is_a_usage_error() {
    let ws = Ws::new();
    let (code, _, stderr) = output(ws.cmd().arg("scan").arg(&ws.root).args(["--max-depth", "deep"]));
    assert_eq!(code, 2, "{stderr}");
}
