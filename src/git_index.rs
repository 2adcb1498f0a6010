//! A minimal reader of git's index file (`.git/index`, versions 2, 3 and 4): the paths it tracks
//! and their skip-worktree bits, the same records `git ls-files -t -z` prints (`S` for a
//! skip-worktree entry), so the launch-script hook can tell a protected checkout without
//! starting `git`.
//!
//! It reads only what that answer needs and refuses everything else: a file whose trailing
//! SHA-1 does not match, an unknown version, a split index (`link`), a sparse index (`sdir`),
//! any other extension git requires (lowercase first letter), unmerged entries. A refusal is no
//! verdict: the caller then asks `git` itself ([`crate::git::inspect`]).
//!
//! Why not `gix`: it would add well over a hundred crates to build for one question, and the
//! answer still has to be exactly what the `git` binary says; a reader that refuses whatever it
//! does not know is small enough to check line by line against git's `read-cache.c` format
//! (Documentation/gitformat-index.txt) and is tested against indexes that real `git` writes.

use std::path::Path;

use sha1::{Digest, Sha1};

/// One index entry: its path (as git spells it, `/`-separated bytes) and whether its
/// skip-worktree bit is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub path: Vec<u8>,
    pub skip_worktree: bool,
}

/// Why the index was not read. Each is a reason to ask `git` instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexDoubt {
    #[error("cannot read the index: {0}")]
    Io(String),
    #[error("not an index file (bad signature or too short)")]
    NotAnIndex,
    #[error("index version {0} is not read here")]
    Version(u32),
    #[error("the index checksum does not match (corrupt, or being written)")]
    Checksum,
    #[error("the index ends inside an entry or extension")]
    Truncated,
    #[error("index extension {0:?} is not read here")]
    Extension(String),
    #[error("the index has unmerged entries")]
    Unmerged,
    #[error("an index entry has flags this reader does not know")]
    Flags,
}

/// Largest index read (a checkout of ComfyUI's size has an index of a few hundred KiB).
const LIMIT: u64 = 64 << 20;
const HASH: usize = 20;

/// Reads the index at `path`.
pub fn read(path: &Path) -> Result<Vec<IndexEntry>, IndexDoubt> {
    let bytes = crate::platform::read_bounded(path, LIMIT).map_err(|e| IndexDoubt::Io(e.to_string()))?;
    parse(&bytes)
}

fn be32(b: &[u8], at: usize) -> Result<u32, IndexDoubt> {
    let s = b.get(at..at + 4).ok_or(IndexDoubt::Truncated)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be16(b: &[u8], at: usize) -> Result<u16, IndexDoubt> {
    let s = b.get(at..at + 2).ok_or(IndexDoubt::Truncated)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

/// Git's variable-length offset encoding (index v4's prefix lengths, `varint.c`).
fn varint(b: &[u8], at: &mut usize) -> Result<usize, IndexDoubt> {
    let mut c = *b.get(*at).ok_or(IndexDoubt::Truncated)?;
    *at += 1;
    let mut val = (c & 127) as usize;
    while c & 128 != 0 {
        c = *b.get(*at).ok_or(IndexDoubt::Truncated)?;
        *at += 1;
        val = val.checked_add(1).and_then(|v| v.checked_mul(128)).ok_or(IndexDoubt::Truncated)? | (c & 127) as usize;
    }
    Ok(val)
}

/// Parses a whole index file.
pub fn parse(b: &[u8]) -> Result<Vec<IndexEntry>, IndexDoubt> {
    if b.len() < 12 + HASH || &b[..4] != b"DIRC" {
        return Err(IndexDoubt::NotAnIndex);
    }
    let version = be32(b, 4)?;
    if !(2..=4).contains(&version) {
        return Err(IndexDoubt::Version(version));
    }
    let (body, trailer) = b.split_at(b.len() - HASH);
    // A null trailer is what `index.skipHash` writes; git does not verify it then either.
    if trailer.iter().any(|&x| x != 0) && Sha1::digest(body).as_slice() != trailer {
        return Err(IndexDoubt::Checksum);
    }
    let count = be32(b, 8)? as usize;
    let mut entries = Vec::with_capacity(count.min(body.len() / 62));
    let mut at = 12;
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = at;
        // ctime, mtime (s, ns each), dev, ino, mode, uid, gid, size: ten 32-bit fields.
        at += 40 + HASH;
        let flags = be16(body, at)?;
        at += 2;
        if flags & 0x3000 != 0 {
            return Err(IndexDoubt::Unmerged);
        }
        let mut skip_worktree = false;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return Err(IndexDoubt::Flags);
            }
            let ext = be16(body, at)?;
            at += 2;
            // Bit 0x4000: skip-worktree; 0x2000: intent-to-add; the rest is unused and must be 0.
            if ext & !0x6000 != 0 {
                return Err(IndexDoubt::Flags);
            }
            skip_worktree = ext & 0x4000 != 0;
        }
        let path = if version == 4 {
            let strip = varint(body, &mut at)?;
            let rest = body.get(at..).ok_or(IndexDoubt::Truncated)?;
            let nul = rest.iter().position(|&c| c == 0).ok_or(IndexDoubt::Truncated)?;
            let keep = prev.len().checked_sub(strip).ok_or(IndexDoubt::Truncated)?;
            let mut p = prev[..keep].to_vec();
            p.extend_from_slice(&rest[..nul]);
            at += nul + 1;
            p
        } else {
            let rest = body.get(at..).ok_or(IndexDoubt::Truncated)?;
            let nul = rest.iter().position(|&c| c == 0).ok_or(IndexDoubt::Truncated)?;
            let p = rest[..nul].to_vec();
            // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
            at = start + ((at - start + nul + 8) & !7);
            p
        };
        let name_len = (flags & 0x0fff) as usize;
        if name_len != 0x0fff && name_len != path.len() {
            return Err(IndexDoubt::Truncated);
        }
        if at > body.len() {
            return Err(IndexDoubt::Truncated);
        }
        prev.clone_from(&path);
        entries.push(IndexEntry { path, skip_worktree });
    }
    // Extensions: a 4-byte signature and a 32-bit size each, up to the trailer.
    while at < body.len() {
        let sig = body.get(at..at + 4).ok_or(IndexDoubt::Truncated)?;
        let size = be32(body, at + 4)? as usize;
        // Optional extensions (an uppercase first letter: TREE, REUC, UNTR, FSMN, EOIE, IEOT)
        // do not change which paths are tracked; one git requires (`link`: split index,
        // `sdir`: sparse index) means entries live elsewhere or are folded into folders.
        if !sig[0].is_ascii_uppercase() {
            return Err(IndexDoubt::Extension(String::from_utf8_lossy(sig).into_owned()));
        }
        at = at.checked_add(8 + size).ok_or(IndexDoubt::Truncated)?;
        if at > body.len() {
            return Err(IndexDoubt::Truncated);
        }
    }
    Ok(entries)
}

/// The entries `git ls-files -t -- <dir>` lists: `dir` itself or anything below it, as
/// `(skip_worktree, path)`, the shape of [`crate::git::ls_files_tagged`].
pub fn tagged_under<'a>(entries: &'a [IndexEntry], dir: &'a [u8]) -> impl Iterator<Item = (bool, &'a [u8])> + 'a {
    entries
        .iter()
        .filter(move |e| e.path.strip_prefix(dir).is_some_and(|rest| rest.is_empty() || rest[0] == b'/'))
        .map(|e| (e.skip_worktree, e.path.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v2/v3 index of `paths` (with skip-worktree where the flag says), built by hand.
    fn index(version: u32, paths: &[(&str, bool)]) -> Vec<u8> {
        let mut b = b"DIRC".to_vec();
        b.extend_from_slice(&version.to_be_bytes());
        b.extend_from_slice(&(paths.len() as u32).to_be_bytes());
        for (p, skip) in paths {
            let start = b.len();
            b.extend_from_slice(&[0u8; 40 + HASH]);
            let mut flags = p.len() as u16;
            if *skip {
                flags |= 0x4000;
            }
            b.extend_from_slice(&flags.to_be_bytes());
            if *skip {
                b.extend_from_slice(&0x4000u16.to_be_bytes());
            }
            b.extend_from_slice(p.as_bytes());
            let len = b.len() - start;
            b.resize(start + ((len + 8) & !7), 0);
        }
        let sum = Sha1::digest(&b);
        b.extend_from_slice(&sum);
        b
    }

    #[test]
    fn reads_paths_and_skip_bits() {
        let b = index(3, &[("main.py", false), ("models/a", true), ("models/b", false), ("modelsx", false)]);
        let e = parse(&b).unwrap();
        assert_eq!(e.len(), 4);
        let under: Vec<_> = tagged_under(&e, b"models").collect();
        assert_eq!(under, vec![(true, &b"models/a"[..]), (false, &b"models/b"[..])]);
    }

    #[test]
    fn a_flipped_byte_is_a_checksum_doubt() {
        let mut b = index(3, &[("models/a", true)]);
        b[12 + 40 + HASH + 2] ^= 0x40; // the skip-worktree bit
        assert_eq!(parse(&b), Err(IndexDoubt::Checksum));
    }

    #[test]
    fn truncated_and_foreign_files_are_doubts() {
        let b = index(2, &[("models/a", false)]);
        assert!(parse(&b[..b.len() - 30]).is_err());
        assert_eq!(parse(b"not an index at all, but long enough"), Err(IndexDoubt::NotAnIndex));
        let mut v5 = index(2, &[]);
        v5[7] = 5;
        let n = v5.len() - HASH;
        let sum = Sha1::digest(&v5[..n]);
        v5[n..].copy_from_slice(&sum);
        assert_eq!(parse(&v5), Err(IndexDoubt::Version(5)));
    }

    #[test]
    fn a_required_extension_is_a_doubt_an_optional_one_is_not() {
        for (sig, ok) in [(b"TREE", true), (b"link", false), (b"sdir", false)] {
            let mut b = index(2, &[("a", false)]);
            b.truncate(b.len() - HASH);
            b.extend_from_slice(sig);
            b.extend_from_slice(&4u32.to_be_bytes());
            b.extend_from_slice(&[0; 4]);
            let sum = Sha1::digest(&b);
            b.extend_from_slice(&sum);
            assert_eq!(parse(&b).is_ok(), ok, "{}", String::from_utf8_lossy(sig));
        }
    }

    #[test]
    fn varints_decode_as_git_writes_them() {
        // 127 → [0x7f]; 128 → [0x80, 0x00]; 16511 → [0xff, 0x7f] (git's offset encoding).
        for (bytes, want) in [(&[0x7f][..], 127), (&[0x80, 0x00][..], 128), (&[0xff, 0x7f][..], 16511)] {
            let mut at = 0;
            assert_eq!(varint(bytes, &mut at).unwrap(), want);
            assert_eq!(at, bytes.len());
        }
    }

    /// Indexes written by the real `git` (tests skip silently where there is none).
    mod real_git {
        use super::super::*;
        use std::path::Path;
        use std::process::Command;

        fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
            let out = Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=master"])
                .args(args)
                .env_remove("GIT_DIR")
                .env_remove("GIT_INDEX_FILE")
                .output()
                .expect("git runs");
            assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        }

        fn have_git() -> bool {
            Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success())
        }

        /// A checkout tracking main.py, a models/ tree (placeholders, a config, deep and long
        /// names that share prefixes, so v4's prefix compression has work) and a `modelsx` file.
        fn repo() -> tempfile::TempDir {
            let t = tempfile::tempdir().unwrap();
            let d = t.path();
            git(d, &["init", "-q"]);
            let mut files = vec![
                "main.py".to_string(),
                "modelsx".into(),
                "models/checkpoints/put_checkpoints_here".into(),
                "models/configs/v1-inference.yaml".into(),
                "models/configs/v1-inference_fp16.yaml".into(),
            ];
            for i in 0..40 {
                files.push(format!("models/loras/{}/{}_{i}.txt", "deep/".repeat(i % 5), "n".repeat(100 + i)));
            }
            for f in &files {
                let p = d.join(f);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, f.as_bytes()).unwrap();
            }
            git(d, &["add", "-f", "."]);
            git(d, &["commit", "-q", "-m", "init"]);
            t
        }

        fn skip_models(d: &Path) {
            let list = git(d, &["ls-files", "-z", "--", "models"]);
            let paths: Vec<&str> =
                list.split(|b| *b == 0).filter(|p| !p.is_empty()).map(|p| std::str::from_utf8(p).unwrap()).collect();
            let mut args = vec!["update-index", "--skip-worktree", "--"];
            args.extend(paths);
            git(d, &args);
        }

        /// What the reader says equals what `git ls-files -t -z` says, for the whole index and
        /// for `-- models`; returns the index version git wrote.
        fn agrees_with_git(d: &Path) -> u32 {
            let bytes = std::fs::read(d.join(".git/index")).unwrap();
            let entries = parse(&bytes).expect("the reader reads git's index");
            let all = git(d, &["ls-files", "-t", "-z"]);
            let want: Vec<(bool, Vec<u8>)> = crate::git::ls_files_tagged(&all).map(|(s, p)| (s, p.to_vec())).collect();
            let got: Vec<(bool, Vec<u8>)> = entries.iter().map(|e| (e.skip_worktree, e.path.clone())).collect();
            assert_eq!(got, want);
            let models = git(d, &["ls-files", "-t", "-z", "--", "models"]);
            let want: Vec<_> = crate::git::ls_files_tagged(&models).collect();
            let got: Vec<_> = tagged_under(&entries, b"models").collect();
            assert_eq!(got, want);
            u32::from_be_bytes(bytes[4..8].try_into().unwrap())
        }

        #[test]
        fn versions_2_3_4_with_and_without_skip_worktree() {
            if !have_git() {
                return;
            }
            for version in ["2", "3", "4"] {
                let t = repo();
                let d = t.path();
                git(d, &["update-index", "--index-version", version]);
                // Without extended flags git writes v3 as v2 (they are the same then).
                let plain = agrees_with_git(d);
                assert_eq!(plain, if version == "4" { 4 } else { 2 }, "plain, asked for v{version}");
                skip_models(d);
                // Extended flags need v3 at least: git writes v3 for a v2 index then.
                let v = agrees_with_git(d);
                assert_eq!(v, if version == "2" { 3 } else { version.parse().unwrap() });
                let entries = read(&d.join(".git/index")).unwrap();
                assert!(tagged_under(&entries, b"models").all(|(s, _)| s));
                assert!(entries.iter().filter(|e| !e.path.starts_with(b"models/")).all(|e| !e.skip_worktree));
            }
        }

        #[test]
        fn intent_to_add_and_a_partly_skipped_tree() {
            if !have_git() {
                return;
            }
            for version in ["3", "4"] {
                let t = repo();
                let d = t.path();
                git(d, &["update-index", "--index-version", version]);
                std::fs::write(d.join("models/new.txt"), b"n").unwrap();
                git(d, &["add", "-N", "-f", "models/new.txt"]);
                git(d, &["update-index", "--skip-worktree", "models/configs/v1-inference.yaml"]);
                agrees_with_git(d);
                let entries = read(&d.join(".git/index")).unwrap();
                let skipped: Vec<_> = tagged_under(&entries, b"models").filter(|(s, _)| *s).collect();
                assert_eq!(skipped, vec![(true, &b"models/configs/v1-inference.yaml"[..])]);
            }
        }

        #[test]
        fn a_split_index_is_a_doubt() {
            if !have_git() {
                return;
            }
            let t = repo();
            let d = t.path();
            skip_models(d);
            git(d, &["update-index", "--split-index"]);
            assert_eq!(read(&d.join(".git/index")), Err(IndexDoubt::Extension("link".into())));
        }

        #[test]
        fn a_sparse_index_is_a_doubt() {
            if !have_git() {
                return;
            }
            let t = repo();
            let d = t.path();
            git(d, &["sparse-checkout", "set", "--cone", "--sparse-index", "custom"]);
            match read(&d.join(".git/index")) {
                Err(IndexDoubt::Extension(e)) => assert_eq!(e, "sdir"),
                other => panic!("{other:?}"),
            }
        }

        #[test]
        fn an_index_being_rewritten_or_cut_short_is_a_doubt() {
            if !have_git() {
                return;
            }
            let t = repo();
            let bytes = std::fs::read(t.path().join(".git/index")).unwrap();
            for cut in [13, bytes.len() / 2, bytes.len() - 1] {
                assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
            }
        }
    }
}
