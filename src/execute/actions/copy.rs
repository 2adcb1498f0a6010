//! Second names for a file: `HardLink` (same filesystem) and `CopyVerify` (a verified copy; the
//! source stays). Their undo removes the new name only while another copy still holds the bytes,
//! so it can never delete the last one.

use std::fs;
use std::path::Path;

use crate::digest::sha256_file as hash_file;
use crate::execute::durable::sync_parent;
use crate::execute::journal::StepDetail;
use crate::execute::step::{Env, Fail, StepError, io_step, mismatch, read, refuse, want_missing, want_parent_dir};
use crate::execute::transfer;
use crate::platform::{self, Entry};

/// The file's identity (volume, file number), links not followed.
fn file_id(path: &Path) -> std::io::Result<(u64, u64)> {
    platform::file_key(path, false)
        .map(|k| k.id())
        .ok_or_else(|| std::io::Error::other("it is gone or cannot be opened"))
}

/// What an undo of a just-made (or found) file needs to recognise it.
fn file_detail(to: &Path) -> Result<StepDetail, StepError> {
    let (len, sha) = hash_file(to).map_err(|e| io_step(to, "cannot read", e))?;
    let mut d = StepDetail { len: Some(len), sha256: Some(sha), ..StepDetail::default() };
    if let Ok((dev, ino)) = file_id(to) {
        d.dev = Some(dev);
        d.ino = Some(ino);
    }
    Ok(d)
}

fn file_detail_quick(to: &Path) -> StepDetail {
    let mut d = StepDetail::default();
    if let Ok((dev, ino)) = file_id(to) {
        d.dev = Some(dev);
        d.ino = Some(ino);
    }
    d
}

fn hardlink_detail(to: &Path) -> Result<StepDetail, StepError> {
    let (dev, ino) = file_id(to).map_err(|e| io_step(to, "cannot read the identity of", e))?;
    Ok(StepDetail { dev: Some(dev), ino: Some(ino), ..StepDetail::default() })
}

/// Both actions: a file at `from`, nothing yet at `to`, in an existing folder.
fn want_file_and_free(from: &Path, to: &Path) -> Result<(), StepError> {
    match read(from)? {
        Entry::File { .. } => {}
        other => return Err(mismatch(from, "a file", &other)),
    }
    want_missing(to)?;
    want_parent_dir(to)
}

pub mod hard_link {
    use super::*;

    pub fn precondition(from: &Path, to: &Path) -> Result<(), StepError> {
        want_file_and_free(from, to)
    }

    pub fn apply(from: &Path, to: &Path) -> Result<StepDetail, Fail> {
        fs::hard_link(from, to).map_err(|e| io_step(to, &format!("cannot hard-link {} here", from.display()), e))?;
        sync_parent(to);
        Ok(hardlink_detail(to)?)
    }

    pub fn took_effect(from: &Path, to: &Path) -> Result<Option<StepDetail>, StepError> {
        if matches!(read(to)?, Entry::File { .. }) && platform::one_file(from, to) {
            Ok(Some(hardlink_detail(to)?))
        } else {
            Ok(None)
        }
    }

    pub fn undo_took_effect(to: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(to)?, Entry::Missing))
    }

    pub fn undo(from: &Path, to: &Path, detail: &StepDetail) -> Result<(), Fail> {
        let e = read(to)?;
        if !matches!(e, Entry::File { .. }) {
            return Err(mismatch(to, "the hard link it made", &e).into());
        }
        let same = if detail.dev.is_some() {
            let to_id = file_id(to).map_err(|e| io_step(to, "cannot read the identity of", e))?;
            Some(to_id) == detail.dev.zip(detail.ino) && file_id(from).ok() == Some(to_id)
        } else {
            // A journal written on Windows before identities were read there holds the digest.
            let h = hash_file(to).map_err(|e| io_step(to, "cannot read", e))?;
            Some(&h.1) == detail.sha256.as_ref() && hash_file(from).ok().map(|x| x.1).as_ref() == detail.sha256.as_ref()
        };
        if !same {
            return Err(refuse(
                to,
                format!("no longer the same file as {} (it would be the only copy)", from.display()),
            )
            .into());
        }
        fs::remove_file(to).map_err(|e| io_step(to, "cannot remove", e))?;
        Ok(())
    }
}

pub mod copy_verify {
    use super::*;

    pub fn precondition(from: &Path, to: &Path) -> Result<(), StepError> {
        want_file_and_free(from, to)
    }

    pub fn apply(from: &Path, to: &Path, env: &Env) -> Result<StepDetail, Fail> {
        let (len, sha) = transfer::copy_file_into_place(from, to, env)?;
        let mut d = file_detail_quick(to);
        d.len = Some(len);
        d.sha256 = Some(sha);
        Ok(d)
    }

    pub fn took_effect(from: &Path, to: &Path) -> Result<Option<StepDetail>, StepError> {
        if matches!(read(to)?, Entry::File { .. }) {
            let d = file_detail(to)?;
            let src = hash_file(from).ok();
            Ok((src.as_ref().map(|(l, s)| (Some(*l), Some(s.clone()))) == Some((d.len, d.sha256.clone()))).then_some(d))
        } else {
            Ok(None)
        }
    }

    pub fn undo_took_effect(to: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(to)?, Entry::Missing))
    }

    pub fn undo(from: &Path, to: &Path, detail: &StepDetail) -> Result<(), Fail> {
        let e = read(to)?;
        if !matches!(e, Entry::File { .. }) {
            return Err(mismatch(to, "the copy it made", &e).into());
        }
        let want = (detail.len, detail.sha256.clone());
        let got = hash_file(to).map_err(|e| io_step(to, "cannot read", e))?;
        if (Some(got.0), Some(got.1)) != want {
            return Err(refuse(to, "its bytes changed since it was copied".into()).into());
        }
        let src = hash_file(from).ok();
        if src.map(|(l, s)| (Some(l), Some(s))) != Some(want) {
            return Err(refuse(
                to,
                format!("its source {} is gone or changed, so this may be the only copy", from.display()),
            )
            .into());
        }
        fs::remove_file(to).map_err(|e| io_step(to, "cannot remove", e))?;
        Ok(())
    }
}
