//! An "upstream" ComfyUI repository for the git tests: a ComfyUI-like tree whose `models/`
//! (a stock tree) is tracked although `.gitignore` ignores `/models/`, as ComfyUI's own is.

use std::path::{Path, PathBuf};

use super::files::{git, make_comfyui, write};
use super::stock::StockTree;

/// Makes `<base>/upstream` with `stock` under `models/`, committed on `master`; returns it.
pub fn git_upstream(base: &Path, stock: &StockTree) -> PathBuf {
    let upstream = base.join("upstream");
    make_comfyui(&upstream);
    stock.materialize(&upstream.join("models"));
    write(upstream.join(".gitignore"), "/models/\n__pycache__/\n");
    git(base, &["init", "-q", "-b", "master", upstream.to_str().unwrap()]);
    commit_all(&upstream, "initial");
    upstream
}

/// Commits everything in `repo`, `models/` included.
pub fn commit_all(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(repo, &["add", "-f", "models"]);
    git(repo, &["commit", "-q", "-m", message]);
}
