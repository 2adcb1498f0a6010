//! One module per check, named after its ID in snake_case (`link-missing` → `link_missing`):
//! that check's scan, fix and undo tests. A test about several checks lives with the check it is
//! mainly about.

mod detached;
mod git_protection_lost;
mod git_tracks_models;
mod global_layout;
mod global_link_broken;
mod global_missing;
mod legacy_yaml;
mod link_broken;
mod link_missing;
mod link_wrong_target;
mod links_unsupported;
mod models_dir_real;
mod models_dir_unknown;
mod models_not_dir;
mod placeholder_only;
mod run_interrupted;
mod workspace_moved;

/// Every check ID has its module here, so `cargo test <id>` finds its tests.
#[test]
fn every_check_id_has_its_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/checks");
    for id in crate::support::ALL_CHECK_IDS {
        let file = dir.join(format!("{}.rs", id.replace('-', "_")));
        assert!(file.is_file(), "check {id} has no module {}", file.display());
    }
}
