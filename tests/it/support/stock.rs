//! Stock trees: what a fresh clone's `models/` holds, and the TSV that tells a debug binary
//! (through `COMFYDOCTOR_STOCK_TSV`) which files are stock.

use std::path::{Path, PathBuf};

use super::files::{mkdir, sha256_hex, write};

/// The stock list in TSV form: header, then `models/<path>\t<size>\t<sha256>` per file.
pub fn stock_tsv<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut out = String::from("path\tsize\tsha256\n");
    for (path, bytes) in files {
        out.push_str(&format!("models/{path}\t{}\t{}\n", bytes.len(), sha256_hex(bytes)));
    }
    out
}

/// A stock tree made of generated content.
pub struct StockTree {
    /// (path relative to `models/`, bytes)
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for StockTree {
    fn default() -> Self {
        Self::new()
    }
}

impl StockTree {
    /// Three "configs" of generated YAML plus 0-byte placeholders in three folders.
    pub fn new() -> Self {
        let mut files = Vec::new();
        for (i, name) in ["v1-inference.yaml", "v2-inference.yaml", "anything_v3.yaml"].iter().enumerate() {
            let mut text = format!("# generated stock config {name}\nmodel:\n  target: stock.Model{i}\n");
            for k in 0..(20 + i * 7) {
                text.push_str(&format!("  param_{k}: {}\n", k * 31 + i));
            }
            files.push((format!("configs/{name}"), text.into_bytes()));
        }
        for p in ["checkpoints/put_checkpoints_here", "loras/put_loras_here", "vae/put_vae_here"] {
            files.push((p.to_string(), Vec::new()));
        }
        StockTree { files }
    }

    /// The TSV form (see [`stock_tsv`]).
    pub fn tsv(&self) -> String {
        stock_tsv(self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
    }

    /// Writes the TSV to `path` and returns it.
    pub fn write_tsv(&self, path: &Path) -> PathBuf {
        write(path, self.tsv());
        path.to_path_buf()
    }

    /// Writes every file under `models`.
    pub fn materialize(&self, models: &Path) {
        mkdir(models);
        for (path, bytes) in &self.files {
            write(models.join(path), bytes);
        }
    }

    /// The relative paths of the configs (files with content).
    pub fn configs(&self) -> Vec<&str> {
        self.files.iter().filter(|(_, b)| !b.is_empty()).map(|(p, _)| p.as_str()).collect()
    }
}
