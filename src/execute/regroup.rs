//! Hard-link groups after an undo. A `Move` across filesystems copies; its undo copies back,
//! which makes a new inode. When every name of the group moved, the copies back are linked to
//! each other (`transfer`'s memory of one call); but a name the run moved by rename (a duplicate
//! set aside in the backup folder) or left alone still holds the original inode, and the copy
//! back would be a second file with the same bytes. Once the steps are undone, each such copy is
//! replaced by a hard link to a name of the original inode found in the run's installs, when the
//! bytes are the same (compared, never assumed). Nothing is lost either way: a copy that cannot
//! be joined stays a copy, with a note.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::atomic::temp_path;
use super::durable::sync_parent;
use super::journal::Folded;
use crate::plan::{Action, InstallPlan};

/// Joins the copies back of the undone cross-filesystem moves among `steps` to the names that
/// kept their original inode. Notes what it could not join.
pub(super) fn regroup(
    plans: &[InstallPlan],
    folded: &Folded,
    steps: &[(usize, usize)],
    tag: &str,
    notes: &mut Vec<String>,
) {
    let wanted = broken(plans, folded, steps);
    if wanted.is_empty() {
        return;
    }
    let keys: HashSet<(u64, u64)> = wanted.iter().map(|(_, k)| *k).collect();
    let roots: Vec<PathBuf> = {
        let mut installs: Vec<usize> = steps.iter().map(|s| s.0).collect();
        installs.sort_unstable();
        installs.dedup();
        installs.iter().filter_map(|&i| plans.get(i)).map(|p| p.install.join("models")).collect()
    };
    let found = find_keys(&roots, &keys);
    for (path, key) in wanted {
        let Some(witness) = found.get(&key) else { continue };
        if let Err(e) = join(witness, &path, tag) {
            notes.push(format!(
                "{} came back as a copy of {} (the same bytes, no longer one file with it): {e}",
                path.display(),
                witness.display()
            ));
        }
    }
}

/// The files that had other names when their cross-filesystem move started and no longer hold
/// that inode, with the inode they had.
fn broken(plans: &[InstallPlan], folded: &Folded, steps: &[(usize, usize)]) -> Vec<(PathBuf, (u64, u64))> {
    let mut out = Vec::new();
    for &(i, j) in steps {
        let Some(Action::Move { from, .. }) = plans.get(i).and_then(|p| p.steps.get(j)).map(|s| &s.action) else {
            continue;
        };
        let Some((_, detail)) = folded.forward.get(&(i, j)) else { continue };
        for l in &detail.linked {
            let path = if l.rel.as_os_str().is_empty() { from.clone() } else { from.join(&l.rel) };
            if key_of(&path).is_some_and(|k| k != (l.dev, l.ino)) {
                out.push((path, (l.dev, l.ino)));
            }
        }
    }
    out
}

fn key_of(p: &Path) -> Option<(u64, u64)> {
    let m = fs::symlink_metadata(p).ok().filter(|m| m.file_type().is_file())?;
    crate::platform::file_key_from(p, &m).map(|k| k.id())
}

/// A name (the first met) of each of `keys` under `roots`, links not followed.
fn find_keys(roots: &[PathBuf], keys: &HashSet<(u64, u64)>) -> HashMap<(u64, u64), PathBuf> {
    let mut found = HashMap::new();
    for root in roots {
        for e in walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_map(Result::ok) {
            if !e.file_type().is_file() {
                continue;
            }
            if let Some(k) = key_of(e.path()).filter(|k| keys.contains(k)) {
                found.entry(k).or_insert_with(|| e.path().to_path_buf());
            }
        }
    }
    found
}

/// Replaces the file `path` by a hard link to `witness` when both hold the same bytes: the link
/// is made under a temporary name beside `path` and renamed over it, so `path` always holds the
/// bytes.
fn join(witness: &Path, path: &Path, tag: &str) -> Result<(), String> {
    let (a, b) = (fs::metadata(witness).map_err(|e| e.to_string())?, fs::metadata(path).map_err(|e| e.to_string())?);
    if a.len() != b.len() {
        return Err("their lengths differ".into());
    }
    let same = crate::digest::sha256_file(witness).map_err(|e| e.to_string())?
        == crate::digest::sha256_file(path).map_err(|e| e.to_string())?;
    if !same {
        return Err("their bytes differ".into());
    }
    let tmp = temp_path(path, &format!("{tag}-regroup"));
    let _ = fs::remove_file(&tmp);
    fs::hard_link(witness, &tmp).map_err(|e| format!("cannot hard-link: {e}"))?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(format!("cannot rename the link into place: {e}"));
    }
    sync_parent(path);
    Ok(())
}
