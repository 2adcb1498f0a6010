//! Unix: symlinks for everything.

use std::fs;
use std::io;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use super::{Entry, LinkError, LinkInfo, LinkKind};

pub fn entry(path: &Path) -> io::Result<Entry> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entry::Missing),
        Err(e) => return Err(e),
    };
    let ft = meta.file_type();
    Ok(if ft.is_symlink() {
        let raw_target = fs::read_link(path)?;
        let resolved = fs::canonicalize(path).ok();
        let target_is_dir = resolved.as_deref().is_some_and(Path::is_dir);
        Entry::Link(LinkInfo { kind: LinkKind::Symlink, raw_target, resolved, target_is_dir })
    } else if ft.is_dir() {
        Entry::Dir
    } else if ft.is_file() {
        Entry::File { len: meta.len() }
    } else {
        Entry::Other
    })
}

pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(path)
}

/// Exact comparison, except on macOS where the default volume is case-insensitive.
pub fn paths_equal(a: &Path, b: &Path) -> bool {
    if cfg!(target_os = "macos") {
        a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase()
    } else {
        a == b
    }
}

pub fn file_key(path: &Path, follow: bool) -> Option<super::FileKey> {
    let m = if follow { fs::metadata(path) } else { fs::symlink_metadata(path) }.ok()?;
    file_key_from(path, &m)
}

pub fn file_key_from(_path: &Path, m: &fs::Metadata) -> Option<super::FileKey> {
    use std::os::unix::fs::MetadataExt;
    Some(super::FileKey { dev: m.dev(), ino: m.ino(), links: m.nlink() })
}

pub fn create_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    if fs::symlink_metadata(link).is_ok() {
        return Err(LinkError::Exists { link: link.to_path_buf() });
    }
    symlink(target, link).map_err(|source| LinkError::Io { link: link.to_path_buf(), source })?;
    Ok(LinkKind::Symlink)
}

/// The new link is made under a temporary sibling name and renamed over the old one, so the path
/// always holds a valid link. Anything at `link` other than a link is refused: rename(2) would
/// silently replace a file.
pub fn replace_dir_link(target: &Path, link: &Path) -> Result<LinkKind, LinkError> {
    match fs::symlink_metadata(link) {
        Ok(m) if !m.file_type().is_symlink() => {
            return Err(LinkError::Exists { link: link.to_path_buf() });
        }
        _ => {}
    }
    settle_replace(link)?;
    let (tmp, _) = super::decide::side_names(link);
    symlink(target, &tmp).map_err(|source| LinkError::Io { link: tmp.clone(), source })?;
    fs::rename(&tmp, link).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        LinkError::Io { link: link.to_path_buf(), source }
    })?;
    Ok(LinkKind::Symlink)
}

/// Settles a replacement killed part-way, as on Windows (`decide::settle_replace`): here only
/// the new link can be left under its side name (the swap itself is one rename), but a journal
/// written on Windows and resumed here, or a person's half-done swap with the same names, is
/// settled the same way. Only links are removed or renamed.
pub fn settle_replace(link: &Path) -> Result<(), LinkError> {
    let (new, aside) = super::decide::side_names(link);
    let is_link = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let io = |at: &Path, source: io::Error| LinkError::Io { link: at.to_path_buf(), source };
    if fs::symlink_metadata(link).is_err() && is_link(&aside) {
        fs::rename(&aside, link).map_err(|e| io(link, e))?;
    }
    for side in [&new, &aside] {
        if is_link(side) {
            fs::remove_file(side).map_err(|e| io(side, e))?;
        }
    }
    Ok(())
}

pub fn remove_link(link: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(link)?;
    if !meta.file_type().is_symlink() {
        return Err(io::Error::other(format!("{}: not a link, refusing to remove it", link.display())));
    }
    fs::remove_file(link)
}

pub fn create_link_like(
    raw_target: &Path,
    link: &Path,
    _kind: LinkKind,
    _target_is_dir: bool,
) -> Result<LinkKind, LinkError> {
    if fs::symlink_metadata(link).is_ok() {
        return Err(LinkError::Exists { link: link.to_path_buf() });
    }
    symlink(raw_target, link).map_err(|source| LinkError::Io { link: link.to_path_buf(), source })?;
    Ok(LinkKind::Symlink)
}

#[cfg(test)]
mod tests {
    use super::super::{create_dir_link, create_link_like, entry, is_within, remove_link, replace_dir_link, same_dir};
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn link_info(p: &Path) -> LinkInfo {
        match entry(p).unwrap() {
            Entry::Link(info) => info,
            other => panic!("{}: expected a link, got {other:?}", p.display()),
        }
    }

    #[test]
    fn entry_reads_each_kind_without_following() {
        let t = tmp();
        let root = fs::canonicalize(t.path()).unwrap();
        fs::create_dir(root.join("dir")).unwrap();
        fs::write(root.join("file"), b"12345").unwrap();
        symlink("dir", root.join("to_dir")).unwrap();
        symlink("file", root.join("to_file")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        symlink("loop_b", root.join("loop_a")).unwrap();
        symlink("loop_a", root.join("loop_b")).unwrap();

        assert_eq!(entry(&root.join("missing")).unwrap(), Entry::Missing);
        assert_eq!(entry(&root.join("file")).unwrap(), Entry::File { len: 5 });
        assert_eq!(entry(&root.join("dir")).unwrap(), Entry::Dir);

        let d = link_info(&root.join("to_dir"));
        assert_eq!(d.kind, LinkKind::Symlink);
        assert_eq!(d.raw_target, PathBuf::from("dir"));
        assert_eq!(d.resolved, Some(root.join("dir")));
        assert!(d.target_is_dir);

        let f = link_info(&root.join("to_file"));
        assert_eq!(f.resolved, Some(root.join("file")));
        assert!(!f.target_is_dir);

        for dead in ["dangling", "loop_a"] {
            let info = link_info(&root.join(dead));
            assert_eq!(info.resolved, None, "{dead}");
            assert!(!info.target_is_dir, "{dead}");
        }
        assert_eq!(link_info(&root.join("dangling")).raw_target, PathBuf::from("nowhere"));
    }

    #[test]
    fn create_replace_remove() {
        let t = tmp();
        let (a, b, link) = (t.path().join("a"), t.path().join("b"), t.path().join("models"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();

        assert_eq!(create_dir_link(&a, &link).unwrap(), LinkKind::Symlink);
        assert!(matches!(create_dir_link(&b, &link), Err(LinkError::Exists { .. })));
        assert_eq!(fs::read_link(&link).unwrap(), a);

        assert_eq!(replace_dir_link(&b, &link).unwrap(), LinkKind::Symlink);
        assert_eq!(fs::read_link(&link).unwrap(), b);
        let leftovers: Vec<_> = fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains("comfydoctor-new"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        remove_link(&link).unwrap();
        assert_eq!(entry(&link).unwrap(), Entry::Missing);
        assert!(b.is_dir(), "the target must survive");
    }

    #[test]
    fn replace_refuses_what_is_not_a_link() {
        let t = tmp();
        let (real_dir, file) = (t.path().join("real"), t.path().join("file"));
        fs::create_dir(&real_dir).unwrap();
        fs::write(&file, b"x").unwrap();
        for p in [&real_dir, &file] {
            assert!(matches!(replace_dir_link(t.path(), p), Err(LinkError::Exists { .. })));
        }
        assert!(real_dir.is_dir());
        assert_eq!(fs::read(&file).unwrap(), b"x");
    }

    /// A reader polling the path while it is replaced over and over must always find a valid
    /// link: the old one stays in place until the rename swaps it.
    #[test]
    fn replace_is_atomic() {
        let t = tmp();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        let link = t.path().join("models");
        create_dir_link(&a, &link).unwrap();

        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let (done, link) = (done.clone(), link.clone());
            std::thread::spawn(move || {
                let mut reads = 0u32;
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    match entry(&link).unwrap() {
                        Entry::Link(info) => assert!(info.target_is_dir, "{info:?}"),
                        other => panic!("link gone during replace: {other:?}"),
                    }
                    reads += 1;
                }
            })
        };
        for i in 0..300 {
            replace_dir_link(if i % 2 == 0 { &b } else { &a }, &link).unwrap();
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap();
    }

    #[test]
    fn a_replacement_killed_part_way_is_settled() {
        let t = tempfile::tempdir().unwrap();
        let (a, b, link) = (t.path().join("a"), t.path().join("b"), t.path().join("models"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        let (new, aside) = crate::platform::decide::side_names(&link);
        // Killed before the rename: the new link waits under its side name.
        symlink(&a, &link).unwrap();
        symlink(&b, &new).unwrap();
        settle_replace(&link).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), a);
        assert!(fs::symlink_metadata(&new).is_err());
        // A Windows-style swap killed between its renames: the old link goes back.
        fs::rename(&link, &aside).unwrap();
        symlink(&b, &new).unwrap();
        settle_replace(&link).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), a);
        assert!(fs::symlink_metadata(&new).is_err() && fs::symlink_metadata(&aside).is_err());
        // A real folder under a side name is never touched; the replacement refuses to use it.
        fs::create_dir(&new).unwrap();
        fs::write(new.join("model.safetensors"), b"m").unwrap();
        settle_replace(&link).unwrap();
        assert!(replace_dir_link(&b, &link).is_err());
        assert_eq!(fs::read(new.join("model.safetensors")).unwrap(), b"m");
        assert_eq!(fs::read_link(&link).unwrap(), a);
    }

    #[test]
    fn remove_link_refuses_a_real_folder_and_a_file() {
        let t = tmp();
        let dir = t.path().join("models");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("model.safetensors"), b"weights").unwrap();
        assert!(remove_link(&dir).is_err());
        assert!(remove_link(&dir.join("model.safetensors")).is_err());
        assert_eq!(fs::read(dir.join("model.safetensors")).unwrap(), b"weights");
    }

    #[test]
    fn remove_link_of_a_dangling_link() {
        let t = tmp();
        let link = t.path().join("models");
        symlink(t.path().join("gone"), &link).unwrap();
        remove_link(&link).unwrap();
        assert_eq!(entry(&link).unwrap(), Entry::Missing);
    }

    #[test]
    fn create_link_like_keeps_a_relative_target() {
        let t = tmp();
        fs::create_dir(t.path().join("loras")).unwrap();
        let link = t.path().join("copy");
        create_link_like(Path::new("loras"), &link, LinkKind::Symlink, true).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), PathBuf::from("loras"));
        assert!(matches!(
            create_link_like(Path::new("loras"), &link, LinkKind::Symlink, true),
            Err(LinkError::Exists { .. })
        ));
    }

    #[test]
    fn same_dir_through_links_and_dotdot() {
        let t = tmp();
        let real = t.path().join("real");
        fs::create_dir_all(real.join("sub")).unwrap();
        symlink(&real, t.path().join("ln")).unwrap();

        assert!(same_dir(&t.path().join("ln/sub"), &real.join("sub")));
        assert!(same_dir(&t.path().join("ln/sub/.."), &real));
        assert!(same_dir(&real.join("sub/../sub/"), &real.join("sub")));
        assert!(!same_dir(&real, &real.join("sub")));
        // `..` after a link is physical: ln/sub/../.. is the tempdir, reached via the real parent.
        assert!(same_dir(&t.path().join("ln/sub/../.."), t.path()));
        // Missing paths resolve through their existing ancestor, so link spellings still match.
        assert!(same_dir(&t.path().join("ln/new/x"), &real.join("new/x")));
        assert!(!same_dir(&t.path().join("ln/new"), &real.join("other")));
    }

    #[test]
    fn same_dir_elsewhere_pointing_link_dotdot_is_physical() {
        let t = tmp();
        let far = t.path().join("far/away");
        fs::create_dir_all(&far).unwrap();
        fs::create_dir(t.path().join("near")).unwrap();
        symlink(&far, t.path().join("near/jump")).unwrap();
        // Lexically near/jump/.. is near; physically it is far.
        assert!(same_dir(&t.path().join("near/jump/.."), &t.path().join("far")));
        assert!(!same_dir(&t.path().join("near/jump/.."), &t.path().join("near")));
    }

    #[test]
    fn is_within_follows_links_and_handles_missing_paths() {
        let t = tmp();
        let global = t.path().join("global");
        fs::create_dir_all(global.join("checkpoints")).unwrap();
        symlink(&global, t.path().join("models")).unwrap();

        assert!(is_within(&global.join("checkpoints"), &global));
        assert!(is_within(&global, &global));
        assert!(is_within(&t.path().join("models/checkpoints"), &global));
        assert!(is_within(&t.path().join("models/not/yet"), &global));
        assert!(!is_within(t.path(), &global));
        assert!(!is_within(&t.path().join("globalx"), &global));
    }

    /// On macOS the temp folder lives behind /tmp -> /private/tmp and /var -> /private/var; a
    /// spelling through the link must compare equal to the canonical one, existing or not.
    #[test]
    fn same_dir_canonical_vs_link_spelling_of_temp() {
        let t = tmp();
        let canon = fs::canonicalize(t.path()).unwrap();
        assert!(same_dir(t.path(), &canon));
        assert!(same_dir(&t.path().join("later"), &canon.join("later")));
        assert!(is_within(&t.path().join("later/x"), &canon));
    }
}
