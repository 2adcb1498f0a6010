//! Helpers shared by every integration test: a temporary ComfyDock workspace builder ([`Ws`]),
//! file helpers, one lstat inventory and one content inventory, an emulation of what ComfyUI
//! lists (its folder-key table is checked against `fixtures/comfyui-folder-keys.tsv`), generated
//! stock trees, and ways to run the binary with a clean environment.
// Most helpers build links, which the tests only do on Unix; on other systems some go unused.
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

mod contract;
mod files;
mod inventory;
mod listing;
mod plans;
mod run;
mod stick;
mod stock;
mod upstream;
mod ws;

pub use contract::*;
pub use files::*;
pub use inventory::*;
pub use listing::*;
pub use plans::*;
pub use run::*;
pub use stick::*;
pub use stock::*;
pub use upstream::*;
pub use ws::*;

/// ComfyUI's standard subfolders of `models/`, as a fresh clone has them (a global folder
/// holding all of them is complete).
pub const STANDARD_SUBFOLDERS: &[&str] = &[
    "audio_encoders",
    "checkpoints",
    "clip",
    "clip_vision",
    "configs",
    "controlnet",
    "diffusers",
    "diffusion_models",
    "embeddings",
    "gligen",
    "hypernetworks",
    "loras",
    "model_patches",
    "photomaker",
    "style_models",
    "text_encoders",
    "unet",
    "upscale_models",
    "vae",
    "vae_approx",
];

/// Every check ID of the contract, in report order.
pub const ALL_CHECK_IDS: &[&str] = &[
    "models-dir-unknown",
    "global-missing",
    "global-layout",
    "global-link-broken",
    "link-missing",
    "workspace-moved",
    "link-broken",
    "link-wrong-target",
    "models-not-dir",
    "placeholder-only",
    "models-dir-real",
    "links-unsupported",
    "legacy-yaml",
    "git-tracks-models",
    "git-protection-lost",
    "detached",
    "run-interrupted",
];

/// Returns from the calling test, with the line `scripts/windows-check.sh` counts, when this
/// machine cannot make the `models` link the product makes (a junction on Windows; Wine cannot
/// create one): for a test whose fixture holds links or whose run makes one.
macro_rules! needs_links {
    () => {
        if !$crate::support::links_work() {
            return;
        }
    };
}
pub(crate) use needs_links;

/// Whether links can be made here ([`links_supported`]); where not, prints
/// `<test>: skipped: wine cannot create junctions` (libtest names each test's thread after it).
pub fn links_work() -> bool {
    let works = links_supported();
    if !works {
        say_skipped("skipped: wine cannot create junctions");
    }
    works
}

/// Prints `<test>: <why>` on stderr: libtest runs each test on a thread named after it.
fn say_skipped(why: &str) {
    eprintln!("{}: {why}", std::thread::current().name().unwrap_or("a test"));
}

/// [`links_work`] without the line: for fixtures that leave their links out where none can be
/// made, and run the rest.
pub fn links_supported() -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORKS.get_or_init(|| {
        let t = tempfile::tempdir().expect("temporary folder");
        comfydoctor::platform::create_dir_link(t.path(), &t.path().join("probe")).is_ok()
    })
}

/// Whether the temp folder's filesystem takes names that are not UTF-8 (Linux filesystems store
/// bytes; APFS refuses them with EILSEQ), asked once with one such name.
#[cfg(unix)]
pub fn byte_names_supported() -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORKS.get_or_init(|| {
        use std::os::unix::ffi::OsStrExt;
        let t = tempfile::tempdir().expect("temporary folder");
        std::fs::write(t.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9")), b"").is_ok()
    })
}

/// [`byte_names_supported`], saying `SKIPPED` where not.
#[cfg(unix)]
pub fn byte_names_work() -> bool {
    let works = byte_names_supported();
    if !works {
        say_skipped("SKIPPED: this filesystem refuses names that are not UTF-8 (APFS)");
    }
    works
}

/// A folder link in a fixture: [`symlink`] under the name that says what it is for.
pub fn dir_link(target: impl AsRef<std::path::Path>, link: impl AsRef<std::path::Path>) {
    symlink(target, link)
}
