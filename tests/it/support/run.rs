//! Running the binary with a clean environment, and reading what it prints (the scan JSON).

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::Value;

use super::ALL_CHECK_IDS;
use super::ws::Ws;

/// Sets the user's home folder of a child: `HOME`, and `USERPROFILE`, which is where Windows
/// looks (the binary's `~`, and where it searches for `comfydock`/`comfygit`, come from there).
pub trait Home {
    fn home(&mut self, dir: impl AsRef<std::ffi::OsStr>) -> &mut Self;
}

impl Home for Command {
    fn home(&mut self, dir: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.env("HOME", dir.as_ref()).env("USERPROFILE", dir.as_ref())
    }
}

impl Home for std::process::Command {
    fn home(&mut self, dir: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.env("HOME", dir.as_ref()).env("USERPROFILE", dir.as_ref())
    }
}

/// Variables of the user's environment that change what the binary does; cleared in every child.
pub const ENV_CLEARED: &[&str] = &[
    "COMFYDOCTOR_MODELS_DIR",
    "COMFYDOCK_HOME",
    "COMFYGIT_HOME",
    "COMFYDOCTOR_STOCK_TSV",
    "COMFYDOCTOR_FAILPOINT",
    "COMFYDOCTOR_TEST_FSTYPE",
    "COMFYDOCTOR_THREADS",
    "CLICOLOR_FORCE",
    "CLICOLOR",
    "COLUMNS",
];

/// Set by `scripts/windows-check.sh`: the filesystem type every child is told it is on (the
/// `COMFYDOCTOR_TEST_FSTYPE` seam), since Wine's volumes report no reparse points and so would
/// make every install `links-unsupported`; tests that set the seam themselves still win.
pub const WINE_FSTYPE_ENV: &str = "COMFYDOCTOR_WINE_FSTYPE";

/// The binary with a clean environment: none of [`ENV_CLEARED`], no colours.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_comfydoctor"));
    for var in ENV_CLEARED {
        cmd.env_remove(var);
    }
    if let Some(fs) = std::env::var_os(WINE_FSTYPE_ENV).filter(|v| !v.is_empty()) {
        cmd.env("COMFYDOCTOR_TEST_FSTYPE", fs);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// What a run of the binary printed, and its exit code (-1 when killed by a signal).
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    #[track_caller]
    pub fn expect(&self, code: i32, what: &str) -> &Out {
        assert_eq!(self.code, code, "{what}: exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }

    /// The number of plan steps printed (`  12. mv ...` lines).
    pub fn steps(&self) -> usize {
        self.stdout
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                let digits = t.bytes().take_while(u8::is_ascii_digit).count();
                digits > 0 && t[digits..].starts_with(". ") && l.len() > t.len()
            })
            .count()
    }
}

pub fn run_cmd(mut cmd: Command) -> Out {
    let o = cmd.output().expect("run comfydoctor");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs `cmd`, returning the exit code, stdout and stderr; panics when a signal ended it.
pub fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("binary runs");
    let code = out.status.code().expect("exited normally (no signal)");
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `comfydoctor <sub> <ws root> <args...>` with [`Ws::cmd`].
pub fn run(ws: &Ws, sub: &str, args: &[&str]) -> Out {
    let mut cmd = ws.cmd();
    cmd.arg(sub).arg(&ws.root).args(args);
    run_cmd(cmd)
}

pub fn fix(ws: &Ws, args: &[&str]) -> Out {
    run(ws, "fix", args)
}

pub fn scan(ws: &Ws) -> Out {
    run(ws, "scan", &[])
}

pub fn undo(ws: &Ws) -> Out {
    run(ws, "undo", &["--yes"])
}

/// `fix --yes` that ends at the given failpoint (`after:3`, ...).
pub fn fix_interrupted(ws: &Ws, failpoint: &str, args: &[&str]) -> Out {
    let mut cmd = ws.cmd();
    cmd.env("COMFYDOCTOR_FAILPOINT", failpoint).arg("fix").arg(&ws.root).arg("--yes").args(args);
    run_cmd(cmd)
}

/// Parses the stdout of `scan --format json`, panicking with the text when it is not JSON.
pub fn parse_json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"))
}

/// Runs `comfydoctor scan --format json ARGS` with a clean environment; (exit code, JSON).
pub fn run_json<I, S>(args: I) -> (i32, Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = bin();
    cmd.arg("scan").arg("--format").arg("json").args(args);
    run_json_cmd(&mut cmd)
}

/// Runs a prepared command that prints JSON; (exit code, JSON). Checks the JSON shape too.
pub fn run_json_cmd(cmd: &mut Command) -> (i32, Value) {
    let (code, stdout, stderr) = output(cmd);
    assert!(code == 0 || code == 1, "scan failed with {code}; stderr:\n{stderr}\nstdout:\n{stdout}");
    let json = parse_json(&stdout);
    assert_shape(&json);
    (code, json)
}

/// Asserts the schema-1 shape of a scan document and that the summary adds up.
pub fn assert_shape(json: &Value) {
    assert_eq!(json["schema"], 1, "schema: {json:#}");
    assert!(json["models_dir"].is_string() || json["models_dir"].is_null(), "models_dir: {json:#}");
    let installs = json["installs"].as_array().unwrap_or_else(|| panic!("installs is no array: {json:#}"));
    let (mut errors, mut warnings, mut infos) = (0, 0, 0);
    for install in installs {
        assert!(install["name"].is_string(), "install name: {install:#}");
        assert!(install["path"].is_string(), "install path: {install:#}");
        let findings = install["findings"].as_array().unwrap_or_else(|| panic!("findings: {install:#}"));
        for f in findings {
            let check = f["check"].as_str().unwrap_or_else(|| panic!("check: {f:#}"));
            assert!(ALL_CHECK_IDS.contains(&check), "unknown check ID {check}");
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "message: {f:#}");
            assert!(f["fix"].is_string() || f["fix"].is_null(), "fix: {f:#}");
            match f["severity"].as_str() {
                Some("error") => errors += 1,
                Some("warning") => warnings += 1,
                Some("info") => infos += 1,
                other => panic!("severity {other:?} in {f:#}"),
            }
        }
    }
    let summary = &json["summary"];
    assert_eq!(summary["installs"], installs.len(), "summary.installs: {json:#}");
    assert_eq!(summary["errors"], errors, "summary.errors: {json:#}");
    assert_eq!(summary["warnings"], warnings, "summary.warnings: {json:#}");
    assert_eq!(summary["infos"], infos, "summary.infos: {json:#}");
}

/// The install named `name` in a scan document.
pub fn install<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["installs"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == name))
        .unwrap_or_else(|| panic!("no install named {name}: {json:#}"))
}

/// The install names of a scan document, in report order.
pub fn names(json: &Value) -> Vec<String> {
    json["installs"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_string()).collect()
}

/// The check IDs of one install, in report order.
pub fn ids(json: &Value, name: &str) -> Vec<String> {
    install(json, name)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect()
}

/// The check IDs of one install that are errors or warnings.
pub fn problem_ids(json: &Value, name: &str) -> Vec<String> {
    install(json, name)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect()
}

/// The single finding `check` of install `name` (panics when there is not exactly one).
pub fn finding<'a>(json: &'a Value, name: &str, check: &str) -> &'a Value {
    let found: Vec<&Value> =
        install(json, name)["findings"].as_array().unwrap().iter().filter(|f| f["check"] == check).collect();
    assert_eq!(found.len(), 1, "expected one {check} finding on {name}: {json:#}");
    found[0]
}

/// Every install name → its check IDs.
pub fn all_ids(json: &Value) -> BTreeMap<String, Vec<String>> {
    names(json).into_iter().map(|n| (n.clone(), ids(json, &n))).collect()
}
