//! Corpus of real-world and hostile `extra_model_paths.yaml` shapes, each resolved by hand the
//! way ComfyUI's loader (PyYAML `safe_load` + `os.path` on Linux) would register it.
//!
//! Every file is read as if it were `/cfg/ComfyUI/extra_model_paths.yaml` with `HOME=/home/me`
//! and `MODELS_ROOT=/srv/models`, so the expectations do not depend on the machine.

// The corpus is read with Unix paths, as ComfyUI on Linux reads it; elsewhere most of it is off.
#![cfg_attr(not(unix), allow(unused_imports, dead_code))]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use comfydoctor::legacy_yaml::{
    Coverage, LegacyYaml, MAX_FILE_BYTES, YamlEntry, YamlError, classify, coverage, infer_global, parse_bytes,
    parse_str, read_file, rewrite_uncovered, search_paths,
};

const YAML_PATH: &str = "/cfg/ComfyUI/extra_model_paths.yaml";

fn env(name: &str) -> Option<String> {
    (name == "MODELS_ROOT").then(|| "/srv/models".to_string())
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/yaml").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(name: &str) -> Result<LegacyYaml, YamlError> {
    parse_bytes(&fixture_bytes(name), Path::new(YAML_PATH), Some(Path::new("/home/me")), &env)
}

fn ok(name: &str) -> LegacyYaml {
    load(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `(section, key, path, is_default, line)` of every entry, in registration order.
fn rows(yaml: &LegacyYaml) -> Vec<(String, String, PathBuf, bool, usize)> {
    yaml.entries().map(|e| (e.section.clone(), e.key.clone(), e.path.clone(), e.is_default, e.line)).collect()
}

fn expect(rows_: &[(&str, &str, &str, bool, usize)]) -> Vec<(String, String, PathBuf, bool, usize)> {
    rows_.iter().map(|(s, k, p, d, l)| (s.to_string(), k.to_string(), PathBuf::from(p), *d, *l)).collect()
}

/// Asserts a syntax error at `line:column` whose message contains `needle`.
fn expect_error(name: &str, line: usize, column: usize, needle: &str) {
    match load(name) {
        Err(YamlError::Syntax { path, line: l, column: c, message }) => {
            assert_eq!(path, Path::new(YAML_PATH), "{name}");
            assert_eq!((l, c), (line, column), "{name}: {message}");
            assert!(message.contains(needle), "{name}: `{message}` lacks `{needle}`");
        }
        other => panic!("{name}: expected a syntax error, got {other:?}"),
    }
}

/// Linux `os.path` rules and a case-sensitive file system are what these expectations encode.
#[cfg(target_os = "linux")]
mod resolution {
    use super::*;

    #[test]
    fn comfydock_identity_shape() {
        let yaml = ok("comfydock_identity.yaml");
        let s = "comfyui";
        let g = "/home/me/comfydock/models";
        assert_eq!(yaml.sections.len(), 1);
        assert_eq!(yaml.sections[0].base_path.as_deref(), Some(Path::new(g)));
        assert!(yaml.sections[0].is_default);
        assert_eq!(
            rows(&yaml),
            expect(&[
                (s, "checkpoints", "/home/me/comfydock/models/checkpoints", true, 4),
                (s, "configs", "/home/me/comfydock/models/configs", true, 5),
                (s, "loras", "/home/me/comfydock/models/loras", true, 6),
                (s, "vae", "/home/me/comfydock/models/vae", true, 7),
                (s, "vae_approx", "/home/me/comfydock/models/vae_approx", true, 8),
                (s, "embeddings", "/home/me/comfydock/models/embeddings", true, 9),
                (s, "diffusion_models", "/home/me/comfydock/models/diffusion_models", true, 10),
                (s, "text_encoders", "/home/me/comfydock/models/text_encoders", true, 11),
                (s, "clip_vision", "/home/me/comfydock/models/clip_vision", true, 12),
                (s, "style_models", "/home/me/comfydock/models/style_models", true, 13),
                (s, "diffusers", "/home/me/comfydock/models/diffusers", true, 14),
                (s, "controlnet", "/home/me/comfydock/models/controlnet", true, 15),
                (s, "gligen", "/home/me/comfydock/models/gligen", true, 16),
                (s, "upscale_models", "/home/me/comfydock/models/upscale_models", true, 17),
                (s, "hypernetworks", "/home/me/comfydock/models/hypernetworks", true, 18),
                (s, "photomaker", "/home/me/comfydock/models/photomaker", true, 19),
                (s, "classifiers", "/home/me/comfydock/models/classifiers", true, 20),
            ])
        );
        for entry in yaml.entries() {
            assert_eq!(classify(entry, Path::new(g)), Coverage::Covered { dir: entry.key.clone() });
        }
        assert_eq!(infer_global(&yaml), Some(PathBuf::from(g)));
        assert_eq!(rewrite_uncovered(&yaml, Path::new(g), "x.bak", false), Ok(None));
    }

    #[test]
    fn comfyui_example_a111_shape() {
        let yaml = ok("a111_example.yaml");
        let s = "a111";
        assert_eq!(
            yaml.sections[0].base_path.as_deref(),
            Some(Path::new("/cfg/ComfyUI/path/to/stable-diffusion-webui"))
        );
        assert_eq!(
            rows(&yaml),
            expect(&[
                (s, "checkpoints", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/Stable-diffusion", false, 9),
                (s, "configs", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/Stable-diffusion", false, 10),
                (s, "vae", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/VAE", false, 11),
                (s, "loras", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/Lora", false, 12),
                (s, "loras", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/LyCORIS", false, 12),
                (s, "upscale_models", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/ESRGAN", false, 15),
                (s, "upscale_models", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/RealESRGAN", false, 15),
                (s, "upscale_models", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/SwinIR", false, 15),
                (s, "embeddings", "/cfg/ComfyUI/path/to/stable-diffusion-webui/embeddings", false, 19),
                (s, "hypernetworks", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/hypernetworks", false, 20),
                (s, "controlnet", "/cfg/ComfyUI/path/to/stable-diffusion-webui/models/ControlNet", false, 21),
            ])
        );
        assert_eq!(infer_global(&yaml), None);
    }

    #[test]
    fn stability_matrix_absolute_blocks() {
        let yaml = ok("stability_matrix.yaml");
        let s = "stability_matrix";
        assert_eq!(yaml.sections[0].base_path, None);
        assert_eq!(
            rows(&yaml),
            expect(&[
                (s, "checkpoints", "/home/me/StabilityMatrix/Models/StableDiffusion", false, 2),
                (s, "vae", "/home/me/StabilityMatrix/Models/VAE", false, 4),
                (s, "loras", "/home/me/StabilityMatrix/Models/Lora", false, 6),
                (s, "loras", "/home/me/StabilityMatrix/Models/LyCORIS", false, 6),
                (s, "upscale_models", "/home/me/StabilityMatrix/Models/ESRGAN", false, 9),
                (s, "upscale_models", "/home/me/StabilityMatrix/Models/RealESRGAN", false, 9),
                (s, "upscale_models", "/home/me/StabilityMatrix/Models/SwinIR", false, 9),
                (s, "embeddings", "/home/me/StabilityMatrix/Models/TextualInversion", false, 13),
                (s, "controlnet", "/home/me/StabilityMatrix/Models/ControlNet", false, 15),
                (s, "controlnet", "/home/me/StabilityMatrix/Models/T2IAdapter", false, 15),
                (s, "clip", "/home/me/StabilityMatrix/Models/TextEncoders", false, 18),
                (s, "unet", "/home/me/StabilityMatrix/Models/DiffusionModels", false, 20),
            ])
        );
        assert_eq!(infer_global(&yaml), None);
    }

    #[test]
    fn comfyui_desktop_shape() {
        let yaml = ok("comfyui_desktop.yaml");
        let s = "comfyui_desktop";
        assert_eq!(
            rows(&yaml),
            expect(&[
                (s, "checkpoints", "/home/me/Documents/ComfyUI/models/checkpoints", true, 4),
                (s, "loras", "/home/me/Documents/ComfyUI/models/loras", true, 5),
                (s, "text_encoders", "/home/me/Documents/ComfyUI/models/text_encoders", true, 6),
                (s, "text_encoders", "/home/me/Documents/ComfyUI/models/clip", true, 6),
                (s, "diffusion_models", "/home/me/Documents/ComfyUI/models/unet", true, 9),
                (s, "diffusion_models", "/home/me/Documents/ComfyUI/models/diffusion_models", true, 9),
                (s, "custom_nodes", "/home/me/Documents/ComfyUI/custom_nodes", true, 12),
                (s, "download_model_base", "/home/me/Documents/ComfyUI/models", true, 13),
            ])
        );
        // Relative to the Desktop folder, the models live one level down: covered only when the
        // global folder is that `models/`. ComfyUI-Manager's `download_model_base` naming the
        // global folder itself is served too: without it the Manager downloads into models/.
        let global = Path::new("/home/me/Documents/ComfyUI/models");
        let covered: Vec<bool> =
            yaml.entries().map(|e| matches!(classify(e, global), Coverage::Covered { .. })).collect();
        assert_eq!(covered, [true, true, true, true, true, true, false, true]);
        assert_eq!(infer_global(&yaml), None);
    }

    #[test]
    fn home_and_environment_base_paths() {
        let yaml = ok("home_and_env.yaml");
        let bases: Vec<Option<&Path>> = yaml.sections.iter().map(|s| s.base_path.as_deref()).collect();
        assert_eq!(
            bases,
            [
                Some(Path::new("/home/me/models")),
                Some(Path::new("/home/me")),
                Some(Path::new("/srv/models/sd")),
                Some(Path::new("/srv/models")),
                // `%VAR%` is Windows-only in Python: on Linux it stays and is relative.
                Some(Path::new("/cfg/ComfyUI/%MODELS_ROOT%")),
                // Unknown variables stay as written.
                Some(Path::new("/cfg/ComfyUI/$NOPE/x")),
                None,
            ]
        );
        assert_eq!(
            rows(&yaml),
            expect(&[
                ("tilde", "loras", "/home/me/models/loras", false, 3),
                ("tilde_quoted", "vae", "/home/me/models/vae", false, 6),
                ("dollar", "checkpoints", "/srv/models/sd/checkpoints", false, 9),
                ("braces", "embeddings", "/srv/models/embeddings", false, 12),
                ("percent", "controlnet", "/cfg/ComfyUI/%MODELS_ROOT%/controlnet", false, 15),
                ("unknown_var", "gligen", "/cfg/ComfyUI/$NOPE/x/gligen", false, 18),
                // Folder values get no `~` expansion.
                ("entry_tilde", "upscale_models", "/cfg/ComfyUI/~/upscale", false, 20),
                ("entry_tilde", "hypernetworks", "/cfg/ComfyUI/~/hyper", false, 21),
            ])
        );
    }

    #[test]
    fn relative_base_paths_and_entries() {
        let yaml = ok("relative_paths.yaml");
        assert_eq!(
            rows(&yaml),
            expect(&[
                ("parent", "loras", "/cfg/shared/lora", false, 3),
                ("parent", "vae", "/abs/vae", false, 4),
                ("dot", "checkpoints", "/cfg/ComfyUI/models/checkpoints", false, 7),
                ("no_base", "configs", "/cfg/ComfyUI/configs", false, 9),
                ("no_base", "clip_vision", "/cfg/cv", false, 10),
                ("no_base", "style_models", "/abs/style", false, 11),
                ("empty_base", "gligen", "/cfg/ComfyUI/gligen", false, 14),
            ])
        );
        assert_eq!(yaml.sections[3].base_path.as_deref(), Some(Path::new("/cfg/ComfyUI")));
    }

    /// On Linux, Python treats `C:\...` as one relative file name: ComfyUI on Linux registers
    /// it under the YAML's folder, and so do we. (On Windows the same file gives drive paths.)
    #[test]
    fn windows_paths_on_linux() {
        let yaml = ok("windows_paths.yaml");
        let b = "/cfg/ComfyUI/C:\\Users\\me\\models";
        assert_eq!(yaml.sections[0].base_path.as_deref(), Some(Path::new(b)));
        assert_eq!(
            rows(&yaml),
            expect(&[
                ("windows", "checkpoints", "/cfg/ComfyUI/C:\\Users\\me\\models/checkpoints", false, 3),
                ("windows", "loras", "/cfg/ComfyUI/C:\\Users\\me\\models/D:/sd/loras", false, 4),
                ("windows", "vae", "/cfg/ComfyUI/C:\\Users\\me\\models/E:\\sd\\vae", false, 5),
                ("windows", "embeddings", "/cfg/ComfyUI/C:\\Users\\me\\models/F:\\sd\\embeddings", false, 6),
            ])
        );
    }

    #[test]
    fn null_and_empty_sections_register_nothing() {
        let yaml = ok("null_section.yaml");
        let names: Vec<&str> = yaml.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["other", "empty_map"]);
        assert_eq!(rows(&yaml), expect(&[("other", "loras", "/data/loras", false, 4)]));
    }

    #[test]
    fn bom_and_crlf() {
        assert_eq!(rows(&ok("bom.yaml")), expect(&[("comfyui", "loras", "/m/loras", false, 3)]));
        assert_eq!(
            rows(&ok("crlf.yaml")),
            expect(&[
                ("comfyui", "loras", "/m/loras", false, 3),
                ("comfyui", "loras", "/m/lycoris", false, 3),
                ("comfyui", "vae", "/m/vae", false, 6),
            ])
        );
    }

    /// PyYAML builds a dict: the last value wins, in the place (and with the key) of the first.
    /// `yes` and `1` are both Python `True`.
    #[test]
    fn duplicate_keys_last_wins() {
        let yaml = ok("duplicate_keys.yaml");
        assert_eq!(yaml.sections[0].base_path.as_deref(), Some(Path::new("/new")));
        assert_eq!(yaml.sections[0].line, 4);
        assert_eq!(
            rows(&yaml),
            expect(&[
                ("first", "vae", "/new/vae", false, 6),
                ("second", "loras", "/c", false, 10),
                ("second", "checkpoints", "/b", false, 9),
                ("second", "yes", "/one_key", false, 12),
            ])
        );
    }

    #[test]
    fn is_default_uses_python_truthiness() {
        let yaml = ok("is_default_values.yaml");
        let got: Vec<(&str, bool)> = yaml.sections.iter().map(|s| (s.name.as_str(), s.is_default)).collect();
        assert_eq!(
            got,
            [
                ("s_yes", true),
                ("s_on", true),
                ("s_true", true),
                ("s_no", false),
                ("s_off", false),
                ("s_false", false),
                ("s_str_false", true),
                ("s_one", true),
                ("s_zero", false),
                ("s_hex_zero", false),
                ("s_float_zero", false),
                ("s_null", false),
                ("s_empty_str", false),
                ("s_y", true),
                ("s_empty_list", false),
                ("s_list", true),
            ]
        );
        assert!(yaml.entries().all(|e| e.is_default
            == (e.path.ends_with("yes")
                || e.path.ends_with("on")
                || e.path.ends_with("true")
                || e.path.ends_with("str_false")
                || e.path.ends_with("one")
                || e.path.ends_with("y")
                || e.path.ends_with("list"))));
    }

    #[test]
    fn tab_after_colon_inside_quotes_is_fine() {
        let yaml = parse_str("a:\n  loras: \"/m/with\ttab\"  # comment\twith tab\n", Path::new(YAML_PATH), None, &env)
            .expect("tabs inside quotes and comments are accepted by PyYAML");
        assert_eq!(rows(&yaml), expect(&[("a", "loras", "/m/with\ttab", false, 2)]));
    }

    #[test]
    fn infer_global_needs_one_base() {
        let one = "a:\n  base_path: /g\n  loras: loras\nb:\n  base_path: /g/\n  vae: vae/\n";
        let parsed = parse_str(one, Path::new(YAML_PATH), None, &env).expect("valid");
        assert_eq!(infer_global(&parsed), Some(PathBuf::from("/g")));
        let two = "a:\n  base_path: /g\n  loras: loras\nb:\n  base_path: /h\n  vae: vae\n";
        let parsed = parse_str(two, Path::new(YAML_PATH), None, &env).expect("valid");
        assert_eq!(infer_global(&parsed), None);
        let only_base = "a:\n  base_path: /g\n";
        let parsed = parse_str(only_base, Path::new(YAML_PATH), None, &env).expect("valid");
        assert_eq!(infer_global(&parsed), None);
    }
}

#[test]
fn empty_and_comment_only_files_have_no_sections() {
    assert!(ok("empty.yaml").sections.is_empty());
    assert!(ok("comments_only.yaml").sections.is_empty());
}

#[test]
fn wrong_value_types_are_errors_with_position() {
    expect_error("list_value.yaml", 5, 5, "is a list");
    expect_error("flow_list_value.yaml", 2, 10, "is a list");
    expect_error("mapping_value.yaml", 3, 5, "is a mapping");
    expect_error("number_value.yaml", 3, 10, "the number `2024`");
    expect_error("bool_value.yaml", 3, 8, "the boolean `yes`");
    expect_error("null_value.yaml", 4, 6, "empty (null)");
    expect_error("null_base_path.yaml", 2, 14, "quotes");
    expect_error("scalar_section.yaml", 1, 10, "not a mapping of folder keys");
    expect_error("top_level_list.yaml", 1, 1, "top level must be a mapping");
}

#[test]
fn syntax_problems_are_errors_with_position() {
    expect_error("tabs.yaml", 3, 1, "tab");
    expect_error("tab_separator.yaml", 2, 13, "tab");
    expect_error("malformed.yaml", 3, 10, "");
    expect_error("bad_indent.yaml", 4, 7, "");
    expect_error("two_documents.yaml", 3, 1, "more than one YAML document");
    expect_error("not_utf8.yaml", 2, 16, "UTF-8");
}

#[test]
fn alias_bombs_fail_fast() {
    for (name, line, needle) in [
        ("alias_bomb.yaml", 1, "is a list"),
        ("alias_bomb_paths.yaml", 3, "too many paths"),
        ("alias_bomb_keys.yaml", 0, "too many keys"),
    ] {
        let started = Instant::now();
        match load(name) {
            // Our own bounds are `Limit`, ComfyUI's refusals `Syntax`.
            Err(YamlError::Syntax { line: l, message, .. }) | Err(YamlError::Limit { line: l, message, .. })
                if message.contains("too many") == (name != "alias_bomb.yaml") =>
            {
                assert!(message.contains(needle), "{name}: {message}");
                if line != 0 {
                    assert_eq!(l, line, "{name}");
                }
            }
            other => panic!("{name}: expected an error, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{name} took {:?}", started.elapsed());
    }
}

#[test]
fn huge_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("extra_model_paths.yaml");
    let mut text = String::from("a:\n");
    while (text.len() as u64) <= MAX_FILE_BYTES {
        text.push_str("  # padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&path, &text).expect("write");
    match read_file(&path) {
        // A bound of comfydoctor's, not a file ComfyUI cannot read.
        Err(e @ YamlError::Limit { .. }) => {
            let YamlError::Limit { path: ref p, line, ref message, .. } = e else { unreachable!() };
            assert_eq!(p, &path);
            assert!(line > 1);
            assert_eq!(message, "too large for comfydoctor (limit 1 MB)");
            assert!(!e.to_string().contains("ComfyUI"), "{e}");
        }
        other => panic!("expected a size error, got {other:?}"),
    }
}

#[test]
fn read_file_reports_io_errors_and_reads_real_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.yaml");
    assert!(matches!(read_file(&missing), Err(YamlError::Io { .. })));
    let path = dir.path().join("extra_model_paths.yaml");
    std::fs::write(&path, "a:\n  loras: loras\n").expect("write");
    let yaml = read_file(&path).expect("valid");
    let entries: Vec<&YamlEntry> = yaml.entries().collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].path, dir.path().join("loras"));
}

/// Linux `os.path` rules and a case-sensitive file system are what these expectations encode.
#[cfg(target_os = "linux")]
mod rewrite {
    use super::*;

    const GLOBAL: &str = "/home/me/comfydock/models";

    fn same(a: &YamlEntry, b: &YamlEntry) -> bool {
        a.section == b.section && a.key == b.key && a.path == b.path
    }

    /// Rewrites, re-reads from the same place with the same environment, and judges the result
    /// with the ComfyUI-exact reader: the kept entries are exactly the uncovered ones, in order,
    /// and ComfyUI's search order relative to the global folder is the same.
    fn round_trip(yaml: &LegacyYaml, global: &Path) -> String {
        let text = rewrite_uncovered(yaml, global, "extra_model_paths.yaml.bak", false)
            .expect("order can be kept")
            .expect("some entries are uncovered");
        let reread = parse_str(&text, Path::new(YAML_PATH), Some(Path::new("/home/me")), &env)
            .unwrap_or_else(|e| panic!("rewritten text does not parse: {e}\n{text}"));
        let cov = coverage(yaml, global);
        let uncovered: Vec<&YamlEntry> =
            yaml.entries().zip(&cov).filter(|(_, c)| matches!(c, Coverage::Uncovered { .. })).map(|(e, _)| e).collect();
        let kept: Vec<&YamlEntry> = reread.entries().collect();
        assert_eq!(kept.len(), uncovered.len(), "{text}");
        for (k, u) in kept.iter().zip(&uncovered) {
            assert!(same(k, u), "{k:?} != {u:?}\n{text}");
        }
        assert_same_order(yaml, &reread, global, &text);
        text
    }

    /// Per folder key: the order ComfyUI searched the kept folders and the global folder before
    /// (covered entries, or `models/` where no entry of the key was covered) equals the order
    /// after, when `models/` is the global folder.
    pub(super) fn assert_same_order(before: &LegacyYaml, after: &LegacyYaml, global: &Path, text: &str) {
        let own = Path::new("/cfg/ComfyUI/models");
        let cov = coverage(before, global);
        let covered: Vec<(String, PathBuf)> = before
            .entries()
            .zip(&cov)
            .filter(|(_, c)| matches!(c, Coverage::Covered { .. }))
            .map(|(e, _)| (comfydoctor::legacy_yaml::comfy_key(&e.key).to_string(), e.path.clone()))
            .collect();
        let kept: Vec<PathBuf> = after.entries().map(|e| e.path.clone()).collect();
        let project = |paths: &[PathBuf], key: &str, models: &Path, covered_is_global: bool| {
            let names = comfydoctor::legacy_yaml::comfy_dirs_for_key(key);
            let dirs: Vec<PathBuf> = names.iter().map(|d| models.join(d)).collect();
            let own_dirs: Vec<PathBuf> = names.iter().map(|d| own.join(d)).collect();
            let key_covered = covered.iter().any(|(k, _)| k == key);
            let mut out: Vec<String> = Vec::new();
            for p in paths {
                // `models/<dir>` of the install is the global folder after the link; before, it
                // stands for it only where no covered entry does.
                let tok = if dirs.contains(p) || own_dirs.contains(p) {
                    if covered_is_global && key_covered {
                        continue;
                    }
                    "<global>".to_string()
                } else if kept.contains(p) {
                    p.display().to_string()
                } else if covered_is_global && covered.iter().any(|(k, c)| k == key && c == p) {
                    "<global>".to_string()
                } else {
                    continue;
                };
                if !(tok == "<global>" && out.last().map(String::as_str) == Some("<global>")) {
                    out.push(tok);
                }
            }
            out
        };
        let before_lists = search_paths(before, own);
        let after_lists = search_paths(after, global);
        for (key, after_paths) in &after_lists {
            if !after.entries().any(|e| comfydoctor::legacy_yaml::comfy_key(&e.key) == key) {
                continue;
            }
            let before_paths = &before_lists.iter().find(|(k, _)| k == key).expect("key listed before").1;
            assert_eq!(
                project(after_paths, key, global, false),
                project(before_paths, key, own, true),
                "search order of `{key}` changed\n{text}"
            );
        }
    }

    #[test]
    fn mixed_file_classification() {
        let yaml = ok("mixed.yaml");
        let global = Path::new(GLOBAL);
        let got: Vec<(String, String, Coverage)> =
            yaml.entries().map(|e| (e.key.clone(), e.path.display().to_string(), classify(e, global))).collect();
        let covered = |d: &str| Coverage::Covered { dir: d.into() };
        let is_uncovered = |c: &Coverage| matches!(c, Coverage::Uncovered { .. });
        assert_eq!(got.len(), 10);
        assert_eq!(got[0].2, covered("checkpoints"));
        assert_eq!(got[1].2, covered("loras"));
        assert_eq!(got[2].1, "/home/me/comfydock/models/lora_archive");
        assert!(is_uncovered(&got[2].2));
        assert_eq!(got[3].2, covered("unet"));
        assert_eq!(got[4].2, covered("clip"));
        // `VAE` is not `vae` on a case-sensitive Linux file system.
        assert!(is_uncovered(&got[5].2));
        // A custom node's key as ComfyDock wrote it: the node reads models/ipadapter.
        assert_eq!(got[6].2, covered("ipadapter"));
        assert!(is_uncovered(&got[7].2), "custom_nodes");
        assert_eq!(got[8].1, "/mnt/sd-webui/models/Stable-diffusion");
        assert!(is_uncovered(&got[8].2));
        assert_eq!(got[9].2, covered("t2i_adapter"));
        assert_eq!(infer_global(&yaml), None);
    }

    #[test]
    fn mixed_file_rewrite_text_and_round_trip() {
        let yaml = ok("mixed.yaml");
        let text = round_trip(&yaml, Path::new(GLOBAL));
        assert_eq!(
            text,
            "\
# Rewritten by comfydoctor: models/ now links to the global models folder
#   /home/me/comfydock/models
# Removed because that link serves them:
#   comfyui.checkpoints: /home/me/comfydock/models/checkpoints (models/checkpoints)
#   comfyui.loras: /home/me/comfydock/models/loras (models/loras)
#   comfyui.unet: /home/me/comfydock/models/unet (models/unet)
#   comfyui.clip: /home/me/comfydock/models/clip (models/clip)
#   comfyui.ipadapter: /home/me/comfydock/models/ipadapter (models/ipadapter)
#   a111.controlnet: /home/me/comfydock/models/t2i_adapter (models/t2i_adapter)
# The previous file is kept as extra_model_paths.yaml.bak.
# ComfyDock wrote this, then the user edited it
comfyui:
  base_path: /home/me/comfydock/models
  is_default: true
  loras: |
    lora_archive
  vae: VAE
  custom_nodes: /home/me/nodes
a111:
  base_path: /mnt/sd-webui
  checkpoints: models/Stable-diffusion
"
        );
    }

    #[test]
    fn other_shapes_round_trip() {
        for name in [
            "a111_example.yaml",
            "stability_matrix.yaml",
            "comfyui_desktop.yaml",
            "home_and_env.yaml",
            "relative_paths.yaml",
            "windows_paths.yaml",
            "duplicate_keys.yaml",
            "is_default_values.yaml",
        ] {
            let yaml = ok(name);
            round_trip(&yaml, Path::new(GLOBAL));
            round_trip(&yaml, Path::new("/home/me/Documents/ComfyUI/models"));
        }
    }

    #[test]
    fn awkward_paths_round_trip() {
        let text = "\
\"weird: name\":
  is_default: on
  loras: |
    /data/with #hash
    /data/colon: here
    C:\\Models\\it's
  vae: \"/data/ leading and trailing \"
  \"yes\": \"/data/quote \\\" and back\\\\slash\"
  embeddings: \"/data/tab\\there\\n  /data/indented second line\"
  1: /data/num
  hypernetworks: \"/data/bell\\a\"
";
        let yaml = parse_str(text, Path::new(YAML_PATH), None, &env).expect("valid");
        assert_eq!(yaml.entries().count(), 9);
        let rewritten = round_trip(&yaml, Path::new(GLOBAL));
        // Kept as written: `on` is as true for PyYAML as `true`.
        assert!(rewritten.contains("\"weird: name\":\n  is_default: on\n"), "{rewritten}");
    }
}

/// Item 6: merge keys as PyYAML's `flatten_mapping` resolves them.
#[cfg(target_os = "linux")]
mod merge_keys {
    use super::*;

    #[test]
    fn merge_key_fixture_registers_the_merged_paths() {
        let yaml = ok("merge_key.yaml");
        assert_eq!(
            rows(&yaml),
            expect(&[
                ("base", "loras", "/l", false, 2),
                ("comfyui", "loras", "/l", false, 2),
                ("comfyui", "vae", "/v", false, 5)
            ])
        );
    }

    #[test]
    fn merge_forms_and_precedence() {
        let anchors = "a: &a\n  base_path: /a\n  loras: la\nb: &b\n  base_path: /b\n  loras: lb\n  vae: vb\n";
        for (name, section, want) in [
            // A mapping's own keys win over merged ones.
            ("own key wins", "s:\n  <<: *a\n  loras: own\n", vec![("loras", "/a/own")]),
            // In a list, earlier mappings win; key order is that of the dict PyYAML builds
            // (the later mapping's pairs come first).
            ("list: first wins", "s:\n  <<: [*a, *b]\n", vec![("loras", "/a/la"), ("vae", "/a/vb")]),
            ("list reversed", "s:\n  <<: [*b, *a]\n", vec![("loras", "/b/lb"), ("vae", "/b/vb")]),
            // base_path and is_default come through a merge too.
            ("is_default merged", "d: &d\n  is_default: true\ns:\n  <<: [*d, *a]\n", vec![("loras", "/a/la")]),
            ("inline mapping", "s:\n  <<: {base_path: /m, vae: v}\n", vec![("vae", "/m/v")]),
        ] {
            let text = format!("{anchors}{section}");
            let yaml = parse_str(&text, Path::new(YAML_PATH), None, &env).unwrap_or_else(|e| panic!("{name}: {e}"));
            let s = yaml.sections.iter().find(|s| s.name == "s").expect("section s");
            let got: Vec<(&str, PathBuf)> = s.entries.iter().map(|e| (e.key.as_str(), e.path.clone())).collect();
            let want: Vec<(&str, PathBuf)> = want.into_iter().map(|(k, p)| (k, PathBuf::from(p))).collect();
            assert_eq!(got, want, "{name}");
            assert_eq!(s.is_default, name == "is_default merged", "{name}");
        }
        for (name, text, needle) in [
            ("scalar", "s:\n  <<: /x\n", "needs a mapping or a list of mappings"),
            ("list of scalars", "s:\n  <<: [a]\n", "not a mapping"),
        ] {
            match parse_str(text, Path::new(YAML_PATH), None, &env) {
                Err(YamlError::Syntax { message, .. }) => assert!(message.contains(needle), "{name}: {message}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    /// A merged file cannot be cut line by line (the anchor holds the served entries too): it is
    /// written anew from the entries' text, and judged like any other.
    #[test]
    fn a_merged_file_rewrites_to_the_same_kept_paths() {
        let text = "base: &base\n  base_path: /home/me/comfydock/models\n  checkpoints: checkpoints\ncomfyui:\n  <<: *base\n  is_default: true\n  loras: /data/loras\n";
        let yaml = parse_str(text, Path::new(YAML_PATH), Some(Path::new("/home/me")), &env).expect("valid");
        let global = Path::new("/home/me/comfydock/models");
        let out = rewrite_uncovered(&yaml, global, "b", false).expect("order kept").expect("something kept");
        let reread = parse_str(&out, Path::new(YAML_PATH), Some(Path::new("/home/me")), &env).expect("valid");
        let paths: Vec<(String, PathBuf)> = reread.entries().map(|e| (e.key.clone(), e.path.clone())).collect();
        assert_eq!(paths, [("loras".to_string(), PathBuf::from("/data/loras"))], "{out}");
        super::rewrite::assert_same_order(&yaml, &reread, global, &out);
    }
}

/// Items 3, 9, 11: what the rewrite keeps, judged by the ComfyUI-exact reader on both files.
#[cfg(target_os = "linux")]
mod rewrite_keeps {
    use super::*;

    const G: &str = "/g";

    /// Reads `text` with the given home and environment, rewrites it for `G`, and returns the
    /// new text after checking it parses and keeps the search order.
    fn rewrite_with(text: &str, home: &str, vars: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        let yaml = parse_str(text, Path::new(YAML_PATH), Some(Path::new(home)), vars).expect("valid");
        let out = rewrite_uncovered(&yaml, Path::new(G), "b", false)?.expect("something is kept");
        let reread = parse_str(&out, Path::new(YAML_PATH), Some(Path::new(home)), vars)
            .unwrap_or_else(|e| panic!("rewritten text does not parse: {e}\n{out}"));
        super::rewrite::assert_same_order(&yaml, &reread, Path::new(G), &out);
        Ok(out)
    }

    fn kept_paths(text: &str, home: &str, vars: &dyn Fn(&str) -> Option<String>) -> Vec<(String, PathBuf)> {
        let yaml = parse_str(text, Path::new(YAML_PATH), Some(Path::new(home)), vars).expect("valid");
        let cov = coverage(&yaml, Path::new(G));
        yaml.entries()
            .zip(&cov)
            .filter(|(_, c)| matches!(c, Coverage::Uncovered { .. }))
            .map(|(e, _)| (e.key.clone(), e.path.clone()))
            .collect()
    }

    /// Item 3: the tool runs as root without the launcher's variables; the kept lines are
    /// written as they were, so in the launcher's environment the new file registers what the
    /// old one did there.
    #[test]
    fn kept_entries_keep_their_text_for_the_launcher_environment() {
        let launcher = |name: &str| match name {
            "COMFY_SHARED" => Some("/mnt/shared".to_string()),
            _ => None,
        };
        let tool = |_: &str| None::<String>;
        let served = "comfydock:\n  base_path: /g\n  checkpoints: checkpoints\n";
        for (name, section, line) in [
            ("dollar", "v:\n  base_path: $COMFY_SHARED\n  loras: loras\n", "  base_path: $COMFY_SHARED"),
            ("braces", "v:\n  base_path: ${COMFY_SHARED}/sd\n  loras: loras\n", "  base_path: ${COMFY_SHARED}/sd"),
            ("tilde", "v:\n  base_path: ~/AI\n  vae: vae\n", "  base_path: ~/AI"),
            ("percent", "v:\n  base_path: '%COMFY_SHARED%'\n  vae: vae\n", "  base_path: '%COMFY_SHARED%'"),
            ("relative base", "v:\n  base_path: ../shared\n  vae: vae\n", "  base_path: ../shared"),
            ("relative entry", "v:\n  loras: ./my/loras\n", "  loras: ./my/loras"),
            ("entry tilde", "v:\n  loras: ~/literal\n", "  loras: ~/literal"),
        ] {
            let text = format!("{served}{section}");
            let out = rewrite_with(&text, "/root", &tool).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(out.lines().any(|l| l == line), "{name}: `{line}` not kept as written\n{out}");
            let before = kept_paths(&text, "/home/user", &launcher);
            let yaml = parse_str(&out, Path::new(YAML_PATH), Some(Path::new("/home/user")), &launcher).expect("valid");
            let after: Vec<(String, PathBuf)> = yaml.entries().map(|e| (e.key.clone(), e.path.clone())).collect();
            assert_eq!(after, before, "{name}\n{out}");
        }
    }

    /// Item 3: `~user` is expanded as Python's `expanduser` does when reading.
    #[test]
    fn tilde_user_is_expanded_when_reading() {
        let users = |name: &str| (name == "bob").then(|| PathBuf::from("/srv/bob"));
        for (base, want) in [
            ("~bob/AI", "/srv/bob/AI/loras"),
            ("~bob", "/srv/bob/loras"),
            ("~nobody/AI", "/cfg/ComfyUI/~nobody/AI/loras"),
        ] {
            let text = format!("s:\n  base_path: {base}\n  loras: loras\n");
            let yaml = comfydoctor::legacy_yaml::parse_str_with(&text, Path::new(YAML_PATH), None, &env, &users)
                .expect("valid");
            assert_eq!(yaml.entries().next().map(|e| e.path.clone()), Some(PathBuf::from(want)), "{base}");
        }
    }

    /// Item 9: ComfyUI searches is_default paths first (each one inserted at the front, so
    /// later ones come first), then its own models/ folders, then the others in file order.
    /// The link puts the global folder where models/ was; kept sections get is_default changed
    /// when that keeps the order, and a file whose order nothing keeps is refused.
    #[test]
    fn search_order_relative_to_the_global_folder_is_kept() {
        let served = "comfydock:\n  base_path: /g\n  checkpoints: checkpoints\n  loras: loras\n";
        let served_default =
            "comfydock:\n  base_path: /g\n  is_default: true\n  checkpoints: checkpoints\n  loras: loras\n";
        let webui = "webui:\n  base_path: /webui\n  checkpoints: sd\n";
        let webui_default = "webui:\n  base_path: /webui\n  is_default: true\n  checkpoints: sd\n";
        let cases: Vec<(&str, String, Option<&str>)> = vec![
            // Kept after the served section: order already right, file cut as it was.
            (
                "kept after, both plain",
                format!("{served}{webui}"),
                Some("webui:\n  base_path: /webui\n  checkpoints: sd\n"),
            ),
            ("kept default, served plain", format!("{served}{webui_default}"), Some("  is_default: true\n")),
            (
                "served default, kept plain after",
                format!("{served_default}{webui}"),
                Some("webui:\n  base_path: /webui\n  checkpoints: sd\n"),
            ),
            // Kept plain section before a plain served one: it was searched before the global
            // folder, so it must become is_default.
            ("kept plain before served plain", format!("{webui}{served}"), Some("webui:\n  is_default: true\n")),
            // Two is_default sections: the later one is searched first. The kept one came
            // before, so the global folder was searched first: it must stop being is_default.
            (
                "kept default before served default",
                format!("{webui_default}{served_default}"),
                Some("  is_default: false\n"),
            ),
            // Inside one is_default section the last line is searched first.
            (
                "one section, kept line first",
                format!("{}  loras: |\n    /other\n    loras\n", "s:\n  base_path: /g\n  is_default: true\n"),
                Some("  is_default: false\n"),
            ),
            // The global folder was searched between two kept folders: nothing keeps that.
            (
                "global between kept",
                "s:\n  base_path: /g\n  is_default: true\n  loras: |\n    /a\n    loras\n    /b\n".to_string(),
                None,
            ),
        ];
        for (name, text, expect) in cases {
            match (rewrite_with(&text, "/home/me", &env), expect) {
                (Ok(out), Some(needle)) => assert!(out.contains(needle), "{name}: lacks {needle:?}\n{out}"),
                (Err(why), None) => {
                    assert!(why.contains("no is_default setting keeps that order"), "{name}: {why}");
                    assert!(
                        why.contains("/a") && why.contains("the global folder") && why.contains("/b"),
                        "{name}: {why}"
                    );
                }
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    /// Item 11: BOM, CRLF and the comments of kept entries survive; the comments of removed
    /// entries go with them.
    #[test]
    fn comments_line_endings_and_bom_are_kept() {
        let body = [
            "# my shared setup",
            "comfydock:",
            "  base_path: /g",
            "  # the served one",
            "  checkpoints: checkpoints  # served",
            "  # my archive, keep it",
            "  loras: /archive/loras  # on the NAS",
            "",
            "# webui tree",
            "webui:",
            "  base_path: /webui  # old install",
            "  vae: VAE",
            "",
        ]
        .join("\n");
        for (name, bom, eol) in [
            ("lf", "", "\n"),
            ("crlf", "", "\r\n"),
            ("bom crlf", "\u{feff}", "\r\n"),
            ("bom lf", "\u{feff}", "\n"),
            ("cr", "", "\r"),
        ] {
            let text = format!("{bom}{}", body.replace('\n', eol));
            let out = rewrite_with(&text, "/home/me", &env).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(out.starts_with('\u{feff}'), !bom.is_empty(), "{name}");
            let unix = out.trim_start_matches('\u{feff}').replace(eol, "\n");
            assert!(!unix.contains('\r'), "{name}: mixed line endings\n{out:?}");
            if eol != "\n" {
                assert!(!out.replace(eol, "").contains('\n'), "{name}: mixed line endings\n{out:?}");
            }
            let kept = unix.split_once("# The previous file is kept as b.\n").map(|(_, k)| k).expect("header");
            assert_eq!(
                kept,
                "# my shared setup\ncomfydock:\n  base_path: /g\n  # my archive, keep it\n  loras: /archive/loras  # on the NAS\n\n# webui tree\nwebui:\n  base_path: /webui  # old install\n  vae: VAE\n",
                "{name}"
            );
        }
    }
}
