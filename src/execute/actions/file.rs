//! Small files: `RemovePlaceholder`, `RemoveStockFile`, `WriteFile` and `AppendLine`. Each
//! removal checks the exact bytes right before it (a 0-byte file, the stock bytes kept in the
//! journal), and every write goes through the one atomic writer.

use std::fs::{self, File};
use std::path::Path;

use super::restore_meta;
use crate::execute::atomic::write_atomic;
use crate::execute::durable::sync_parent;
use crate::execute::journal::StepDetail;
use crate::execute::step::{
    Env, Fail, StepError, io_step, mismatch, read, read_text, refuse, want_missing, want_parent_dir,
};
use crate::platform::{Entry, owner};

fn none() -> StepDetail {
    StepDetail::default()
}

fn holds(path: &Path, contents: &str) -> bool {
    fs::read(path).ok().as_deref() == Some(contents.as_bytes())
}

fn remove_file(path: &Path) -> Result<(), StepError> {
    fs::remove_file(path).map_err(|e| io_step(path, "cannot remove", e))
}

pub mod remove_placeholder {
    use super::*;

    pub fn precondition(path: &Path) -> Result<(), StepError> {
        match read(path)? {
            Entry::File { len: 0 } => Ok(()),
            other => Err(mismatch(path, "an empty placeholder file", &other)),
        }
    }

    pub fn apply(path: &Path) -> Result<StepDetail, Fail> {
        // Checked again right here: only an empty file may be removed.
        precondition(path)?;
        remove_file(path)?;
        sync_parent(path);
        Ok(none())
    }

    pub fn took_effect(path: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(matches!(read(path)?, Entry::Missing).then(none))
    }

    pub fn undo_took_effect(path: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(path)?, Entry::File { len: 0 }))
    }

    pub fn undo(path: &Path, detail: &StepDetail) -> Result<(), Fail> {
        want_missing(path)?;
        want_parent_dir(path)?;
        File::create_new(path).map_err(|e| io_step(path, "cannot recreate", e))?;
        restore_meta(path, detail);
        Ok(())
    }
}

pub mod remove_stock_file {
    use super::*;

    pub fn precondition(path: &Path, contents: &str) -> Result<(), StepError> {
        if holds(path, contents) { Ok(()) } else { Err(mismatch(path, "the stock file the plan saw", &read(path)?)) }
    }

    pub fn apply(path: &Path, contents: &str) -> Result<StepDetail, Fail> {
        // Checked again right here: only the exact stock bytes (kept in the journal) go.
        precondition(path, contents)?;
        remove_file(path)?;
        sync_parent(path);
        Ok(none())
    }

    pub fn took_effect(path: &Path) -> Result<Option<StepDetail>, StepError> {
        Ok(matches!(read(path)?, Entry::Missing).then(none))
    }

    pub fn undo_took_effect(path: &Path, contents: &str) -> Result<bool, StepError> {
        Ok(holds(path, contents))
    }

    pub fn undo(path: &Path, contents: &str, env: &Env, detail: &StepDetail) -> Result<(), Fail> {
        want_missing(path)?;
        want_parent_dir(path)?;
        write_atomic(path, contents.as_bytes(), env.tag)?;
        restore_meta(path, detail);
        Ok(())
    }
}

pub mod write_file {
    use super::*;

    pub fn precondition(path: &Path) -> Result<(), StepError> {
        want_missing(path)?;
        want_parent_dir(path)
    }

    /// Mode, owner and group the planner asked for (those of the file the new one replaces).
    pub type Meta = (Option<u32>, Option<u32>, Option<u32>);

    /// Gives the written file the planned mode, and as root the planned owner and group (only
    /// root may give a file away). What is not planned stays as the write left it.
    fn put_meta(path: &Path, (mode, uid, gid): Meta) {
        let Some(now) = owner::owner_of(path) else { return };
        let root = owner::is_root();
        let want = owner::Owner {
            mode: mode.unwrap_or(now.mode),
            uid: uid.filter(|_| root).unwrap_or(now.uid),
            gid: gid.filter(|_| root).unwrap_or(now.gid),
        };
        if want != now {
            owner::set_owner(path, want);
        }
    }

    pub fn apply(path: &Path, contents: &str, meta: Meta, env: &Env) -> Result<StepDetail, Fail> {
        write_atomic(path, contents.as_bytes(), env.tag)?;
        put_meta(path, meta);
        Ok(none())
    }

    /// A write killed between its rename and [`put_meta`] counts as done, so the owner and mode
    /// are put on here too (again, harmlessly, when they already are).
    pub fn took_effect(path: &Path, contents: &str, meta: Meta) -> Result<Option<StepDetail>, StepError> {
        let done = holds(path, contents);
        if done {
            put_meta(path, meta);
        }
        Ok(done.then(none))
    }

    pub fn undo_took_effect(path: &Path) -> Result<bool, StepError> {
        Ok(matches!(read(path)?, Entry::Missing))
    }

    pub fn undo(path: &Path, contents: &str) -> Result<(), Fail> {
        let e = read(path)?;
        if !matches!(e, Entry::File { .. }) {
            return Err(mismatch(path, "the file it wrote", &e).into());
        }
        if !holds(path, contents) {
            return Err(refuse(path, "it was edited since it was written".into()).into());
        }
        remove_file(path)?;
        Ok(())
    }
}

pub mod append_line {
    use super::*;

    /// What is added to a file holding `before`: a separating newline if the file does not end
    /// with one, then the line and a newline.
    fn appended(before: &str, line: &str) -> String {
        let sep = if before.is_empty() || before.ends_with('\n') { "" } else { "\n" };
        format!("{sep}{line}\n")
    }

    /// Whether `text` already holds `line` as a whole line.
    fn has_line(text: &str, line: &str) -> bool {
        text.lines().any(|l| l.trim_end_matches('\r') == line)
    }

    pub fn precondition(path: &Path, line: &str) -> Result<(), StepError> {
        want_parent_dir(path)?;
        match read(path)? {
            Entry::Missing => Ok(()),
            Entry::File { .. } if !has_line(&read_text(path)?, line) => Ok(()),
            Entry::File { .. } => Err(refuse(path, format!("it already holds the line `{line}`"))),
            other => Err(mismatch(path, "a text file", &other)),
        }
    }

    /// Records the length before (the undo cuts back to it) and whether the file was new.
    pub fn apply(path: &Path, line: &str, env: &Env) -> Result<StepDetail, Fail> {
        let existed = !matches!(read(path)?, Entry::Missing);
        let before = read_text(path)?;
        write_atomic(path, (before.clone() + &appended(&before, line)).as_bytes(), env.tag)?;
        Ok(StepDetail {
            len: Some(before.len() as u64),
            source_kind: (!existed).then(|| "missing".to_string()),
            ..StepDetail::default()
        })
    }

    pub fn took_effect(path: &Path, line: &str) -> Result<Option<StepDetail>, StepError> {
        let text = read_text(path)?;
        Ok(text
            .ends_with(&format!("{line}\n"))
            .then(|| StepDetail { len: Some((text.len() - line.len() - 1) as u64), ..StepDetail::default() }))
    }

    pub fn undo_took_effect(path: &Path, line: &str) -> Result<bool, StepError> {
        Ok(!has_line(&read_text(path)?, line))
    }

    pub fn undo(path: &Path, line: &str, detail: &StepDetail, env: &Env) -> Result<(), Fail> {
        let text = read_text(path)?;
        let keep = detail.len.unwrap_or(0) as usize;
        let tail = text.get(keep..).unwrap_or("");
        if tail.trim_start_matches('\n') != format!("{line}\n") {
            return Err(refuse(path, format!("the line `{line}` is no longer its last line")).into());
        }
        if keep == 0 && detail.source_kind.as_deref() == Some("missing") {
            remove_file(path)?;
        } else {
            write_atomic(path, &text.as_bytes()[..keep], env.tag)?;
        }
        Ok(())
    }
}
