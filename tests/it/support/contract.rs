//! The whole contract of `fix` and `undo` for one case: every model ComfyUI listed is still
//! listed, no content is lost, nothing outside the installs and the global folder is touched,
//! a second `fix` changes nothing, and `undo` restores each install.

use std::path::Path;

use super::files::{is_link, raw_target};
use super::inventory::{Content, Inventory, assert_nothing_lost, assert_same, lstat_inventory};
use super::listing::{Listing, NamedBytes, assert_still_listed_or_aliased, comfy_listing, listed_bytes};
use super::run::{Out, fix, scan, undo};
use super::ws::Ws;

/// `../` repeated to climb from `<ws>/environments/<e>/ComfyUI/models/<sub>` to the temp base.
pub const UP_FROM_SUB: &str = "../../../../../..";

/// What is checked before and after a run.
pub struct Before {
    pub listings: Vec<Listing>,
    pub named: Vec<NamedBytes>,
    pub content: Content,
    pub installs: Vec<Inventory>,
    pub untouchable: Inventory,
}

pub fn before(ws: &Ws, comfys: &[&Path]) -> Before {
    Before {
        listings: comfys.iter().map(|c| comfy_listing(c)).collect(),
        named: comfys.iter().map(|c| listed_bytes(c)).collect(),
        content: ws.content(),
        installs: comfys.iter().map(|c| lstat_inventory(c.parent().unwrap(), false)).collect(),
        untouchable: ws.untouchable(comfys),
    }
}

/// After a `fix`: every model still listed, no content lost, nothing outside touched.
#[track_caller]
pub fn assert_kept(ws: &Ws, comfys: &[&Path], b: &Before, what: &str) {
    for (c, named) in comfys.iter().zip(&b.named) {
        assert_still_listed_or_aliased(named, c, &format!("{what} ({})", c.display()));
    }
    assert_nothing_lost_or_touched(ws, comfys, b, what);
}

/// No content lost, and nothing outside the installs and the global folder touched.
#[track_caller]
fn assert_nothing_lost_or_touched(ws: &Ws, comfys: &[&Path], b: &Before, what: &str) {
    assert_nothing_lost(&b.content, &ws.content(), what);
    assert_same(
        &b.untouchable,
        &ws.untouchable(comfys),
        &format!("{what}: outside the installs and the global folder"),
    );
}

/// After an `undo`: each install is back as it was (paths, kinds, sizes, link targets), no
/// content lost, nothing outside touched.
#[track_caller]
pub fn assert_restored(ws: &Ws, comfys: &[&Path], b: &Before, what: &str) {
    for (c, inv) in comfys.iter().zip(&b.installs) {
        assert_same(inv, &lstat_inventory(c.parent().unwrap(), false), &format!("{what}: install {}", c.display()));
    }
    assert_nothing_lost_or_touched(ws, comfys, b, what);
}

/// Each install's `models` is a link to the global folder.
#[track_caller]
pub fn assert_linked(ws: &Ws, comfy: &Path) {
    let models = comfy.join("models");
    assert!(is_link(&models), "{} is not a link", models.display());
    assert_eq!(
        models.canonicalize().unwrap(),
        ws.global.canonicalize().unwrap(),
        "{} links elsewhere ({})",
        models.display(),
        raw_target(&models).display()
    );
}

/// The full contract for a case: `fix <args>` (normally `--yes`) exits 0 keeping every listing and
/// all content and touching nothing outside; each install is linked; `scan` exits 0; a second
/// `fix --yes` changes nothing (exits 0, inventory with mtimes equal); `undo` restores each
/// install. `check` runs after the first fix for case-specific assertions.
#[track_caller]
pub fn full_cycle(ws: &Ws, comfys: &[&Path], args: &[&str], check: impl FnOnce(&Out)) {
    let b = before(ws, comfys);
    let fix_args = args;
    let out = fix(ws, fix_args);
    out.expect(0, "fix --yes");
    assert_kept(ws, comfys, &b, "after fix --yes");
    for c in comfys {
        assert_linked(ws, c);
    }
    check(&out);
    scan(ws).expect(0, "scan after fix --yes");

    let settled = ws.everything();
    fix(ws, fix_args).expect(0, "second fix --yes");
    assert_same(&settled, &ws.everything(), "second fix --yes must change nothing");

    undo(ws).expect(0, "undo");
    assert_restored(ws, comfys, &b, "after undo");
}
