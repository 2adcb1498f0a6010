//! Ctrl-C in `fix` and `undo`: the terminal is restored (the cursor a menu or a bar hid), the
//! copy being written loses its temporary file (`execute::interrupt`), and the process exits 130
//! saying what state it leaves and the commands that go on from there.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::execute;
use crate::report::Invocation;

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

struct Watch {
    journal_dirs: Vec<PathBuf>,
    invocation: Invocation,
}

static WATCH: Mutex<Option<Watch>> = Mutex::new(None);

/// Takes over Ctrl-C for this process. `journal_dirs`: where a run this process starts keeps
/// its journal, to tell afterwards whether anything was changed.
pub fn install(journal_dirs: Vec<PathBuf>, invocation: Invocation) {
    if let Ok(mut w) = WATCH.lock() {
        *w = Some(Watch { journal_dirs, invocation });
    }
    execute::interrupt::set_exit(exit);
    // A second install (a re-planning run) keeps the first handler.
    let _ = ctrlc::set_handler(execute::interrupt::request);
}

fn exit() -> ! {
    let mut err = std::io::stderr();
    if err.is_terminal() {
        // Show the cursor again and leave the line a menu or a bar was drawn on.
        let _ = writeln!(err, "\x1b[?25h");
    }
    let _ = writeln!(err, "comfydoctor: interrupted. {}", advice());
    let _ = err.flush();
    std::process::exit(INTERRUPTED_EXIT_CODE)
}

/// What the interrupt leaves and how to go on: nothing changed, or an unfinished run.
fn advice() -> String {
    let Some((dirs, inv)) =
        WATCH.lock().ok().and_then(|w| w.as_ref().map(|w| (w.journal_dirs.clone(), w.invocation.clone())))
    else {
        return "Nothing was changed.".into();
    };
    let unfinished: Vec<String> =
        dirs.iter().filter_map(|d| execute::find_unfinished(d).ok().flatten()).map(|r| r.run_id).collect();
    if unfinished.is_empty() {
        return "Nothing was changed.".into();
    }
    format!(
        "Run {} stopped part-way; its journal records every step. To finish it: `{}`; to roll it back: `{}`.",
        unfinished.join(", "),
        inv.command("fix", &[]),
        inv.undo(&[])
    )
}
