//! The dry-run listing: each action as a careful person would type it, so a user can read the
//! plan as commands they already know (and could run by hand). Paths are quoted for the local
//! shell; names that are not valid Unicode are shown lossily, never panicked on.

use std::path::Path;

use crate::plan::Action;
use crate::platform::LinkKind;

/// Quotes a path for a POSIX shell (`'…'`, with `'` spelled `'\''`) or for cmd.exe (`"…"`;
/// Windows names cannot hold `"`).
pub fn quote(path: &Path) -> String {
    let s = path.to_string_lossy();
    if cfg!(windows) { format!("\"{s}\"") } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// One shell line for one action, with a trailing `#` comment where the command alone would
/// hide a safety property.
pub fn describe(action: &Action) -> String {
    let q = quote;
    let win = cfg!(windows);
    match action {
        Action::MakeDir { path } => format!("mkdir {}", q(path)),
        Action::Move { from, to } => {
            if win {
                format!("move {} {}", q(from), q(to))
            } else {
                format!("mv {} {}", q(from), q(to))
            }
        }
        Action::HardLink { from, to } => {
            if win {
                format!("mklink /H {} {}", q(to), q(from))
            } else {
                format!("ln {} {}", q(from), q(to))
            }
        }
        Action::CopyVerify { from, to } => {
            let cmd = if win { "copy" } else { "cp -p" };
            format!("{cmd} {} {}  # verified; the source stays", q(from), q(to))
        }
        Action::RemovePlaceholder { path } => {
            let cmd = if win { "del" } else { "rm" };
            format!("{cmd} {}  # 0-byte placeholder", q(path))
        }
        Action::RemoveEmptyDir { path } => format!("rmdir {}  # empty", q(path)),
        Action::CreateLink { link, target } => {
            if win {
                format!("mklink /J {} {}", q(link), q(target))
            } else {
                format!("ln -s {} {}", q(target), q(link))
            }
        }
        Action::ReplaceLink { link, old_target, new_target } => {
            if win {
                format!("rmdir {l} && mklink /J {l} {}  & rem was {}", q(new_target), q(old_target), l = q(link))
            } else {
                format!("ln -sfn {} {}  # was -> {}", q(new_target), q(link), q(old_target))
            }
        }
        Action::CreateLinkLike { link, raw_target, kind, target_is_dir } => {
            link_cmd(link, raw_target, *kind, *target_is_dir)
        }
        Action::RemoveLink { link, raw_target, .. } => {
            if win {
                format!("rmdir {}  & rem link to {}", q(link), q(raw_target))
            } else {
                format!("rm {}  # link to {}", q(link), q(raw_target))
            }
        }
        Action::WriteFile { path, contents, .. } => {
            if win {
                format!("rem write {} ({} bytes, new file)", q(path), contents.len())
            } else {
                format!("cat > {}  # new file, {} bytes", q(path), contents.len())
            }
        }
        Action::RemoveStockFile { path, contents } => {
            let cmd = if win { "del" } else { "rm" };
            format!(
                "{cmd} {}  # ComfyUI stock file, identical in the global folder; its {} bytes are kept in the journal",
                q(path),
                contents.len()
            )
        }
        Action::AppendLine { path, line } => {
            if win {
                format!("echo {line}>> {}", q(path))
            } else {
                format!("echo '{}' >> {}", line.replace('\'', r"'\''"), q(path))
            }
        }
        Action::GitSkipWorktree { repo, paths } => format!(
            "git -C {} update-index --skip-worktree -- <{} under models/>",
            q(repo),
            crate::wording::count(paths.len(), "tracked path", "tracked paths")
        ),
        Action::GitNoSkipWorktree { repo, paths } => format!(
            "git -C {} update-index --no-skip-worktree -- <{} under models/>",
            q(repo),
            crate::wording::count(paths.len(), "tracked path", "tracked paths")
        ),
        Action::GitSparseDisable { repo, .. } => {
            format!("git -C {} sparse-checkout disable  # and drop its /models/ rule", q(repo))
        }
        Action::GitSparseCheckout { repo, patterns, .. } => {
            let pats: Vec<String> = patterns.iter().map(|p| format!("'{p}'")).collect();
            format!(
                "git -C {r} config sparse.expectFilesOutsideOfPatterns true && git -C {r} sparse-checkout set --no-cone {}",
                pats.join(" "),
                r = q(repo)
            )
        }
        Action::SetDetached { .. } | Action::DeleteDuplicate { .. } | Action::GitUnprotect { .. } => lifecycle(action),
    }
}

/// The two lifecycle actions (`detach`, `backups --prune`).
fn lifecycle(action: &Action) -> String {
    let q = quote;
    match action {
        Action::SetDetached { path, install, now, .. } => match now {
            Some(_) => format!("# record in {} that {} is detached", q(path), q(install)),
            None => format!("# forget in {} that {} was detached", q(path), q(install)),
        },
        Action::DeleteDuplicate { path, twin, len, sha256 } => {
            let cmd = if cfg!(windows) { "del" } else { "rm" };
            format!(
                "{cmd} {}  # {len} bytes, identical to {} (sha256 {}…); not undoable",
                q(path),
                q(twin),
                &sha256[..sha256.len().min(12)]
            )
        }
        Action::GitUnprotect { repo, unskip, patterns, .. } => {
            let sparse = match patterns {
                None => "sparse-checkout disable".to_string(),
                Some(p) => format!(
                    "sparse-checkout set --no-cone {}",
                    p.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(" ")
                ),
            };
            format!(
                "git -C {r} update-index --no-skip-worktree -- <{} under models/> && git -C {r} {sparse}",
                crate::wording::count(unskip.len(), "path", "paths"),
                r = q(repo)
            )
        }
        _ => String::new(),
    }
}

fn link_cmd(link: &Path, target: &Path, kind: LinkKind, target_is_dir: bool) -> String {
    if cfg!(windows) {
        let flag = match (kind, target_is_dir) {
            (LinkKind::Junction, _) => "/J ",
            (LinkKind::Symlink, true) => "/D ",
            (LinkKind::Symlink, false) => "",
        };
        format!("mklink {flag}{} {}", quote(link), quote(target))
    } else {
        format!("ln -s {} {}", quote(target), quote(link))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn quotes_are_shell_safe() {
        let a = Action::Move { from: PathBuf::from("/m/it's here"), to: PathBuf::from("/g/$x `y`") };
        assert_eq!(describe(&a), r"mv '/m/it'\''s here' '/g/$x `y`'");
    }

    #[test]
    fn non_utf8_does_not_panic() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let p = PathBuf::from(OsStr::from_bytes(b"/m/put_\xff_here"));
        let s = describe(&Action::RemovePlaceholder { path: p });
        assert!(s.starts_with("rm '/m/put_"));
        assert!(s.ends_with("# 0-byte placeholder"));
    }

    #[test]
    fn links_read_as_ln() {
        let a = Action::CreateLink { link: PathBuf::from("/c/models"), target: PathBuf::from("/g/models") };
        assert_eq!(describe(&a), "ln -s '/g/models' '/c/models'");
    }
}
