//! Folder links: `CreateLink`, `ReplaceLink`, `CreateLinkLike` and `RemoveLink`. A link is
//! recognised by its raw target or where it resolves, and only a link is ever removed, never
//! what it points at.

use std::path::Path;

use crate::execute::durable::sync_parent;
use crate::execute::journal::StepDetail;
use crate::execute::step::{Fail, StepError, io_step, mismatch, read, want_missing, want_parent_dir};
use crate::platform::{self, Entry, LinkInfo, LinkKind};

/// A relative `target` (a relative `models` link, `link_style`) is where it leads from `link`.
fn points_at(info: &LinkInfo, link: &Path, target: &Path) -> bool {
    info.raw_target == target
        || info
            .resolved
            .as_deref()
            .is_some_and(|r| platform::same_dir(r, &crate::link_style::resolved_from(link, target)))
}

fn is_link_to(e: &Entry, link: &Path, target: &Path) -> bool {
    matches!(e, Entry::Link(info) if points_at(info, link, target))
}

fn is_link_raw(e: &Entry, raw: &Path) -> bool {
    matches!(e, Entry::Link(info) if info.raw_target == raw)
}

fn link_err(path: &Path, e: platform::LinkError) -> StepError {
    StepError { path: path.to_path_buf(), message: e.to_string() }
}

fn remove_link(link: &Path) -> Result<(), StepError> {
    platform::remove_link(link).map_err(|e| io_step(link, "cannot remove link", e))
}

/// As root, a link made in the user's tree belongs to the folder's owner (who may then remove
/// or replace it without root).
fn hand_over(link: &Path) {
    if let Some(parent) = link.parent() {
        platform::owner::give_to_owner_of(link, parent);
    }
}

fn none() -> StepDetail {
    StepDetail::default()
}

pub mod create_link {
    use super::*;

    pub fn precondition(link: &Path) -> Result<(), StepError> {
        want_missing(link)?;
        want_parent_dir(link)
    }

    pub fn apply(link: &Path, target: &Path) -> Result<StepDetail, Fail> {
        platform::create_dir_link(target, link).map_err(|e| link_err(link, e))?;
        hand_over(link);
        sync_parent(link);
        Ok(none())
    }

    pub fn took_effect(link: &Path, target: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(is_link_to(&read(link)?, link, target).then(none))
    }

    pub fn undo_took_effect(link: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(link)?, Entry::Missing))
    }

    pub fn undo(link: &Path, target: &Path) -> Result<(), Fail> {
        let e = read(link)?;
        if !is_link_to(&e, link, target) {
            return Err(mismatch(link, &format!("a link to {}", target.display()), &e).into());
        }
        Ok(remove_link(link)?)
    }
}

pub mod replace_link {
    use super::*;

    pub fn precondition(link: &Path, old_target: &Path) -> Result<(), StepError> {
        let e = read(link)?;
        if is_link_to(&e, link, old_target) {
            Ok(())
        } else {
            Err(mismatch(link, &format!("a link to {}", old_target.display()), &e))
        }
    }

    pub fn apply(link: &Path, new_target: &Path) -> Result<StepDetail, Fail> {
        platform::replace_dir_link(new_target, link).map_err(|e| link_err(link, e))?;
        hand_over(link);
        sync_parent(link);
        Ok(none())
    }

    /// Settles a replacement killed part-way first (see [`platform::settle_replace`]): `link`
    /// then holds the old link (the step runs again) or the new one (it took effect).
    pub fn took_effect(link: &Path, old_target: &Path, new_target: &Path) -> Result<Option<StepDetail>, StepError> {
        platform::settle_replace(link).map_err(|e| link_err(link, e))?;
        let e = read(link)?;
        Ok((is_link_to(&e, link, new_target) && !is_link_to(&e, link, old_target)).then(none))
    }

    pub fn undo_took_effect(link: &Path, old_target: &Path, new_target: &Path) -> Result<bool, StepError> {
        platform::settle_replace(link).map_err(|e| link_err(link, e))?;
        let e = read(link)?;
        Ok(is_link_to(&e, link, old_target) && !is_link_to(&e, link, new_target))
    }

    pub fn undo(link: &Path, old_target: &Path, new_target: &Path) -> Result<(), Fail> {
        let e = read(link)?;
        if !is_link_to(&e, link, new_target) {
            return Err(mismatch(link, &format!("a link to {}", new_target.display()), &e).into());
        }
        platform::replace_dir_link(old_target, link).map_err(|e| link_err(link, e))?;
        hand_over(link);
        Ok(())
    }
}

pub mod create_link_like {
    use super::*;

    pub fn precondition(link: &Path) -> Result<(), StepError> {
        want_missing(link)?;
        want_parent_dir(link)
    }

    pub fn apply(link: &Path, raw_target: &Path, kind: LinkKind, target_is_dir: bool) -> Result<StepDetail, Fail> {
        platform::create_link_like(raw_target, link, kind, target_is_dir).map_err(|e| link_err(link, e))?;
        hand_over(link);
        sync_parent(link);
        Ok(none())
    }

    pub fn took_effect(link: &Path, raw_target: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(is_link_raw(&read(link)?, raw_target).then(none))
    }

    pub fn undo_took_effect(link: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(link)?, Entry::Missing))
    }

    pub fn undo(link: &Path, raw_target: &Path) -> Result<(), Fail> {
        let e = read(link)?;
        if !is_link_raw(&e, raw_target) {
            return Err(mismatch(link, &format!("a link to {}", raw_target.display()), &e).into());
        }
        Ok(remove_link(link)?)
    }
}

pub mod remove_link {
    use super::*;

    pub fn precondition(link: &Path, raw_target: &Path) -> Result<(), StepError> {
        let e = read(link)?;
        if is_link_raw(&e, raw_target) {
            Ok(())
        } else {
            Err(mismatch(link, &format!("a link to {}", raw_target.display()), &e))
        }
    }

    pub fn apply(link: &Path) -> Result<StepDetail, Fail> {
        super::remove_link(link)?;
        sync_parent(link);
        Ok(none())
    }

    pub fn took_effect(link: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(matches!(read(link)?, Entry::Missing).then(none))
    }

    pub fn undo_took_effect(link: &Path, raw_target: &Path) -> Result<bool, StepError> {
        Ok(is_link_raw(&read(link)?, raw_target))
    }

    pub fn undo(link: &Path, raw_target: &Path, kind: LinkKind, target_is_dir: bool) -> Result<(), Fail> {
        want_missing(link)?;
        platform::create_link_like(raw_target, link, kind, target_is_dir).map_err(|e| link_err(link, e))?;
        hand_over(link);
        Ok(())
    }
}
