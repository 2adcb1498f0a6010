//! The hidden `comfydoctor man [DIR]`: a page for the command and one per subcommand, built from
//! the clap definition, that `man -l` renders without a warning (where `man` exists).

use std::path::Path;

use crate::support::*;

const PAGES: &[&str] = &[
    "comfydoctor.1",
    "comfydoctor-scan.1",
    "comfydoctor-fix.1",
    "comfydoctor-undo.1",
    "comfydoctor-detach.1",
    "comfydoctor-backups.1",
    "comfydoctor-guard.1",
    "comfydoctor-checks.1",
    "comfydoctor-explain.1",
    "comfydoctor-completions.1",
];

fn write_pages(dir: &Path) -> String {
    let (code, stdout, stderr) = output(bin().arg("man").arg(dir));
    assert_eq!(code, 0, "{stderr}");
    stdout
}

#[test]
fn man_writes_a_page_for_the_command_and_each_subcommand() {
    let tmp = tempdir();
    let dir = tmp.path().join("man1");
    let stdout = write_pages(&dir);
    let mut written: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    let mut want: Vec<String> = PAGES.iter().map(|p| p.to_string()).collect();
    want.sort();
    assert_eq!(written, want, "the hidden man subcommand has no page of its own");
    assert_eq!(stdout.lines().count(), PAGES.len(), "{stdout}");
    assert!(stdout.lines().next().unwrap().ends_with("comfydoctor.1"), "main page first: {stdout}");

    let main = std::fs::read_to_string(dir.join("comfydoctor.1")).unwrap();
    assert!(main.starts_with(".ie") || main.contains(".TH comfydoctor 1"), "{main}");
    for sub in ["scan", "fix", "undo", "checks", "explain", "completions"] {
        assert!(main.contains(&format!("comfydoctor\\-{sub}(1)")), "main page lists {sub}");
    }
    assert!(!main.contains("comfydoctor\\-man"), "hidden subcommand listed");
    let scan = std::fs::read_to_string(dir.join("comfydoctor-scan.1")).unwrap();
    for text in [".SH EXAMPLES\n.nf\n", ".SH \"EXIT STATUS\"\n.nf\n", "models\\-dir", "format"] {
        assert!(scan.contains(text), "scan page lacks {text:?}:\n{scan}");
    }
    assert!(!scan.contains("Examples:"), "the examples are a section, not text");
    let explain = std::fs::read_to_string(dir.join("comfydoctor-explain.1")).unwrap();
    for id in ALL_CHECK_IDS {
        assert!(explain.contains(&id.replace('-', "\\-")), "explain page lacks {id}");
    }
}

#[test]
fn man_without_dir_prints_the_main_page() {
    let (code, stdout, stderr) = output(bin().arg("man"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(".TH comfydoctor 1"), "{stdout}");
    let (_, help, _) = output(bin().arg("--help"));
    assert!(!help.contains("  man "), "man is hidden from the main help:\n{help}");
}

#[cfg(unix)]
#[test]
fn man_renders_every_page_without_warnings() {
    // man-db's `man`: its `-l` and `--warnings` are what this reads (macOS's man has neither).
    if !std::process::Command::new("man").arg("--version").output().is_ok_and(|o| o.status.success()) {
        println!("skipped: no man-db `man` on this machine (apt-get install man-db)");
        return;
    }
    let tmp = tempdir();
    write_pages(tmp.path());
    for page in PAGES {
        let o = std::process::Command::new("man")
            .args(["--warnings=all", "-l"])
            .arg(tmp.path().join(page))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("man runs");
        let stderr = String::from_utf8_lossy(&o.stderr);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{page}: man failed\n{stderr}");
        assert_eq!(stderr.trim(), "", "{page}: warnings");
        assert!(stdout.contains("comfydoctor"), "{page}: nothing rendered\n{stdout}");
    }
}
