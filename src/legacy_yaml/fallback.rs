//! comfydoctor's own `extra_model_paths.yaml`, written where no `models` link can live
//! (`links-unsupported`): one section in the identity shape, every folder key ComfyUI knows
//! mapped to its folders in the global models folder, plus ComfyUI-Manager's
//! `download_model_base` (the global folder itself) so its downloads land there too, all first
//! in the search order (`is_default`). Its first line marks it, so the `legacy-yaml` logic knows
//! its own file and leaves it while the filesystem still cannot hold a link.

use std::path::Path;

use super::LegacyYaml;
use super::coverage::{FOLDER_KEYS, search_paths};

/// The first line of the file; how comfydoctor recognises it.
pub const FALLBACK_MARKER: &str = "# comfydoctor fallback:";

/// The section's name.
pub const FALLBACK_SECTION: &str = "comfydoctor_fallback";

/// The text of the fallback file for `global`, written because `why` (the filesystem and the
/// reason no link can be made there). `None` when the path cannot be written in YAML as
/// ComfyUI reads it (a line break in it).
pub fn fallback_text(global: &Path, why: &str) -> Option<String> {
    let g = global.to_str()?;
    if g.contains(['\n', '\r']) {
        return None;
    }
    let why = why.replace(['\n', '\r'], " ");
    let mut out = String::new();
    out.push_str(&format!("{FALLBACK_MARKER} written by comfydoctor because no models/ link is possible here\n"));
    out.push_str(&format!("# ({why}). It points ComfyUI at the global models folder instead; ComfyUI-Manager\n"));
    out.push_str("# downloads go there too (download_model_base). `comfydoctor undo` removes it; once this\n");
    out.push_str("# folder can hold a link, `comfydoctor fix` replaces it with the link.\n");
    out.push_str(&format!("{FALLBACK_SECTION}:\n"));
    out.push_str(&format!("  base_path: '{}'\n", g.replace('\'', "''")));
    out.push_str("  is_default: true\n");
    for (key, dirs) in FOLDER_KEYS {
        match dirs {
            [one] => out.push_str(&format!("  {key}: {one}/\n")),
            many => {
                // `is_default` puts each path first in turn, so the last line is searched first:
                // written in reverse, the folders keep ComfyUI's own order.
                out.push_str(&format!("  {key}: |\n"));
                for d in many.iter().rev() {
                    out.push_str(&format!("    {d}/\n"));
                }
            }
        }
    }
    out.push_str("  download_model_base: ./\n");
    Some(out)
}

/// Whether a parsed file is comfydoctor's fallback (its marker line and its section).
pub fn is_fallback(yaml: &LegacyYaml) -> bool {
    let text = yaml.source.strip_prefix('\u{feff}').unwrap_or(&yaml.source);
    text.starts_with(FALLBACK_MARKER) && yaml.sections.iter().any(|s| s.name == FALLBACK_SECTION)
}

/// Whether the file makes ComfyUI look in `global` first for every folder key it knows (what
/// the fallback is for), for an install whose own folder is `models_dir`.
pub fn serves_every_key(yaml: &LegacyYaml, global: &Path, models_dir: &Path) -> bool {
    let lists = search_paths(yaml, models_dir);
    FOLDER_KEYS.iter().all(|(key, dirs)| {
        lists.iter().find(|(k, _)| k == key).is_some_and(|(_, paths)| {
            dirs.iter().enumerate().all(|(i, d)| paths.get(i).is_some_and(|p| p == &global.join(d)))
        })
    })
}

#[cfg(test)]
mod tests {
    #![cfg_attr(not(unix), allow(unused_imports))]
    use super::*;
    use std::path::PathBuf;

    #[cfg(unix)]
    fn parse(text: &str) -> LegacyYaml {
        super::super::parse_str(text, Path::new("/e/ComfyUI/extra_model_paths.yaml"), None, &|_| None).expect("parses")
    }

    #[cfg(unix)]
    #[test]
    fn the_fallback_reads_back_as_every_key_in_the_global_folder() {
        for g in ["/g/models", "/g/it's here/models", "/g/with: colon #hash/models"] {
            let global = PathBuf::from(g);
            let text = fallback_text(&global, "exFAT: FAT and exFAT store no symbolic links").unwrap();
            let yaml = parse(&text);
            assert!(is_fallback(&yaml), "{text}");
            assert!(serves_every_key(&yaml, &global, Path::new("/e/ComfyUI/models")), "{text}");
            let manager: Vec<_> = yaml.entries().filter(|e| e.key == "download_model_base").collect();
            assert_eq!(manager.len(), 1);
            assert_eq!(manager[0].path, global);
            assert!(yaml.entries().all(|e| e.is_default && e.path.starts_with(&global)));
            // It names the global folder as ComfyDock's file did: a later scan finds it there.
            assert_eq!(super::super::infer_global(&yaml), Some(global.clone()));
        }
    }

    #[cfg(unix)]
    #[test]
    fn another_file_is_not_the_fallback() {
        let comfydock = "comfyui:\n  base_path: /g/models\n  is_default: true\n  checkpoints: checkpoints/\n";
        assert!(!is_fallback(&parse(comfydock)));
        assert!(!serves_every_key(&parse(comfydock), Path::new("/g/models"), Path::new("/e/ComfyUI/models")));
        // The marker alone (a user's copy with the section renamed) is not ours either.
        let text = fallback_text(Path::new("/g/models"), "x").unwrap().replace(FALLBACK_SECTION, "mine");
        assert!(!is_fallback(&parse(&text)));
    }

    #[test]
    fn a_path_with_a_line_break_gets_no_fallback() {
        assert_eq!(fallback_text(Path::new("/g/a\nb"), "x"), None);
    }
}
