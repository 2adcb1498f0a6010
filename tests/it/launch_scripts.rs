//! `examples/run_comfyui.sh` run for real: the doctor repairs a broken link before ComfyUI's
//! `main.py` starts; without comfydoctor on PATH ComfyUI starts anyway, with a message; and
//! only a doctor that ended outside its documented codes (a crash, mid-run) keeps ComfyUI from
//! starting.
//!
//! Python is a stand-in on PATH (`python3`) that records the script it was asked to run, its
//! arguments and what `models` resolved to at that moment, so no Python is needed.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

const SCRIPT: &str = "run_comfyui.sh";

/// A folder for PATH holding the Python stand-in (and, when asked, comfydoctor).
struct Bin {
    dir: PathBuf,
    ran: PathBuf,
}

impl Bin {
    fn new(ws: &Ws, with_doctor: bool) -> Bin {
        let dir = ws.base.join("bin");
        mkdir(&dir);
        let ran = ws.base.join("comfyui-ran.txt");
        write_executable(
            &dir.join("python3"),
            &format!(
                "#!/bin/sh\n\
                 # The stand-in for Python: what ComfyUI would have been started with.\n\
                 {{ echo \"script=$(pwd)/$1\"; shift; echo \"args=$*\";\n  \
                 echo \"models=$(cd models 2>/dev/null && pwd -P)\"; }} > '{}'\n",
                ran.display()
            ),
        );
        if with_doctor {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_comfydoctor"), dir.join("comfydoctor")).unwrap();
        }
        Bin { dir, ran }
    }

    /// What the stand-in recorded: `key` → value, or `None` when ComfyUI was not started.
    fn ran(&self) -> Option<std::collections::BTreeMap<String, String>> {
        let text = std::fs::read_to_string(&self.ran).ok()?;
        Some(text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect())
    }
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    write(path, text);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The script copied into the ComfyUI folder, as its header says to.
fn install_script(comfy: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(SCRIPT);
    let dst = comfy.join(SCRIPT);
    std::fs::copy(src, &dst).unwrap();
    dst
}

/// `bash <script> args` with only `bin` and the system folders on PATH and a clean environment.
fn launch(ws: &Ws, bin: &Bin, script: &Path, args: &[&str], envs: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new("bash");
    cmd.arg(script).args(args).env_clear();
    cmd.env("PATH", format!("{}:/usr/bin:/bin", bin.dir.display())).home(&ws.base).env("NO_COLOR", "1");
    cmd.current_dir(&ws.base);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("bash runs");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A workspace whose install `e` has a dangling models link, the script in its ComfyUI folder,
/// and PATH's folder (with comfydoctor when `with_doctor`).
fn broken_install(with_doctor: bool) -> (Ws, PathBuf, PathBuf, Bin) {
    let ws = Ws::new();
    let comfy = ws.env("e");
    symlink("../../../models-moved-away", comfy.join("models"));
    let script = install_script(&comfy);
    let bin = Bin::new(&ws, with_doctor);
    (ws, comfy, script, bin)
}

fn canonical(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

#[test]
fn the_doctor_repairs_a_broken_link_before_comfyui_starts() {
    let (ws, comfy, script, bin) = broken_install(true);

    let out = launch(&ws, &bin, &script, &["--listen", "0.0.0.0"], &[]);
    out.expect(0, "launch");
    let ran = bin.ran().unwrap_or_else(|| panic!("ComfyUI was not started:\n{}", out.stderr));
    assert_eq!(ran["script"], format!("{}/main.py", canonical(&comfy)));
    assert_eq!(ran["args"], "--listen 0.0.0.0");
    // When main.py started, models already led to the global folder.
    assert_eq!(ran["models"], canonical(&ws.global), "{ran:?}\n{}", out.stderr);
    assert_eq!(canonical(&comfy.join("models")), canonical(&ws.global));
    assert!(!out.stderr.contains("run_comfyui.sh:"), "nothing to say when all went well: {}", out.stderr);
}

#[test]
fn without_comfydoctor_comfyui_starts_anyway_and_says_so() {
    let (ws, comfy, script, bin) = broken_install(false);

    let out = launch(&ws, &bin, &script, &[], &[]);
    out.expect(0, "launch without comfydoctor");
    assert!(out.stderr.contains("comfydoctor not found"), "{}", out.stderr);
    let ran = bin.ran().expect("ComfyUI started");
    assert_eq!(ran["script"], format!("{}/main.py", canonical(&comfy)));
    assert_eq!(ran["models"], "", "the broken link was left alone");
    assert_eq!(raw_target(&comfy.join("models")), Path::new("../../../models-moved-away"));
}

/// Every exit code of the doctor, through a stand-in doctor: the documented ones (0, 1, 2) all
/// leave the install whole and start ComfyUI; anything else does not.
#[test]
fn only_a_doctor_that_crashed_keeps_comfyui_from_starting() {
    let cases: &[(i32, bool, &str)] = &[
        (0, true, ""),
        (1, true, "left findings for you"),
        (2, true, "changed nothing"),
        (3, false, "ComfyUI not started"),
        (101, false, "ComfyUI not started"),
    ];
    for &(code, starts, says) in cases {
        let ws = Ws::new();
        let comfy = ws.healthy_env("e");
        let script = install_script(&comfy);
        let bin = Bin::new(&ws, false);
        let doctor = ws.base.join("fake-doctor");
        let args = ws.base.join("doctor-args.txt");
        write_executable(&doctor, &format!("#!/bin/sh\necho \"$@\" > '{}'\nexit {code}\n", args.display()));
        let out = launch(&ws, &bin, &script, &[], &[("COMFYDOCTOR", doctor.to_str().unwrap())]);
        assert_eq!(
            std::fs::read_to_string(&args).unwrap().trim(),
            format!("fix --yes --quiet {}", canonical(&comfy)),
            "the hook's command line"
        );
        assert_eq!(bin.ran().is_some(), starts, "doctor exit {code}: {}", out.stderr);
        let want = if starts { 0 } else { code };
        assert_eq!(out.code, want, "doctor exit {code}: {}", out.stderr);
        assert!(out.stderr.contains(says), "doctor exit {code}: {}", out.stderr);
        if says.is_empty() {
            assert_eq!(out.stderr, "", "doctor exit {code}");
        }
    }
}

#[test]
fn comfydoctor_skip_starts_comfyui_without_the_doctor() {
    let (ws, comfy, script, bin) = broken_install(true);
    let out = launch(&ws, &bin, &script, &[], &[("COMFYDOCTOR_SKIP", "1")]);
    out.expect(0, "skip");
    assert!(bin.ran().is_some());
    assert_eq!(raw_target(&comfy.join("models")), Path::new("../../../models-moved-away"));
}

/// The Windows scripts cannot run here (they were tried by hand under Wine's cmd, see README):
/// what is checked is what a copy next to `run_nvidia_gpu.bat` depends on.
#[test]
fn the_windows_scripts_start_comfyui_as_the_portable_build_does() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let bat = std::fs::read_to_string(dir.join("run_nvidia_gpu_comfydoctor.bat")).unwrap();
    let ps1 = std::fs::read_to_string(dir.join("run_comfyui.ps1")).unwrap();
    // cmd.exe can jump to the wrong label in a batch file with bare LF line endings: every
    // Windows script is stored with CRLF only (and .gitattributes keeps git from converting it).
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if matches!(path.extension().and_then(|x| x.to_str()), Some("bat" | "ps1")) {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.matches('\n').count(), text.matches("\r\n").count(), "{}: CRLF only", path.display());
        }
    }
    for (name, text) in [("bat", &bat), ("ps1", &ps1)] {
        assert!(text.contains("fix --yes --quiet"), "{name}: the hook");
        assert!(text.contains("comfydoctor.exe"), "{name}: looks beside itself");
        assert!(text.contains("COMFYDOCTOR_SKIP"), "{name}: a way to start without the doctor");
    }
    assert!(bat.contains(r".\python_embeded\python.exe -s ComfyUI\main.py --windows-standalone-build %*"));
    for line in [
        r#"if "%CODE%"=="0" goto start"#,
        r#"if "%CODE%"=="1" goto findings"#,
        r#"if "%CODE%"=="2" goto unchanged"#,
        "exit /b %CODE%",
    ] {
        assert!(bat.contains(line), "bat: {line}");
    }
    assert!(ps1.contains(r"@('-s', 'ComfyUI\main.py', '--windows-standalone-build')"));
    for line in ["if ($code -eq 1)", "} elseif ($code -eq 2) {", "} elseif ($code -ne 0) {", "exit $code"] {
        assert!(ps1.contains(line), "ps1: {line}");
    }
}

/// The usual first launch of a standalone install: no global models folder is known yet, so the
/// doctor refuses the install (exit 2, nothing changed) and ComfyUI starts as it is, with the
/// reason.
#[test]
fn a_refused_install_starts_as_it_is_with_the_reason() {
    let ws = Ws::new();
    let comfy = ws.base.join("ComfyUI");
    make_comfyui(&comfy);
    let script = install_script(&comfy);
    let bin = Bin::new(&ws, true);
    let out = launch(&ws, &bin, &script, &[], &[]);
    out.expect(0, "launch");
    assert!(out.stderr.contains("models-dir") || out.stderr.contains("global models folder"), "{}", out.stderr);
    assert!(out.stderr.contains("changed nothing"), "{}", out.stderr);
    let ran = bin.ran().expect("ComfyUI started");
    assert_eq!(ran["script"], format!("{}/main.py", canonical(&comfy)));
    assert!(!comfy.join("models").exists() || !comfy.join("models").is_symlink(), "nothing linked");
}
