//! `placeholder-only` against `models-dir-real`: a real `models/` is stock only when every file is
//! a placeholder or a stock config of the right path, size and sha256. The stock list comes from a
//! generated TSV (`COMFYDOCTOR_STOCK_TSV`, honoured by debug builds) or the embedded one. Then the
//! fix: stock files merged without a prompt, and undone.

use std::fs;
use std::path::PathBuf;

use crate::support::*;

// ---------------------------------------------------------------- scan

#[test]
fn placeholder_only_fires_on_embedded_placeholders() {
    let ws = Ws::new();
    let comfy = ws.env("fresh");
    for p in ["checkpoints/put_checkpoints_here", "loras/put_loras_here", "vae/put_vae_here"] {
        write(comfy.join("models").join(p), "");
    }
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "fresh"), s(&["placeholder-only"]));
    let f = finding(&json, "fresh", "placeholder-only");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("3 placeholders"), "{f:#}");
}

/// A workspace with one environment `env` whose `models/` is the generated stock tree, and the TSV.
struct Case {
    ws: Ws,
    tree: StockTree,
    tsv: PathBuf,
    models: PathBuf,
}

impl Case {
    fn new() -> Self {
        let ws = Ws::new();
        let models = ws.env("env").join("models");
        let tree = StockTree::new();
        tree.materialize(&models);
        let tsv = tree.write_tsv(&ws.base.join("stock files.tsv"));
        Case { ws, tree, tsv, models }
    }

    /// `env`'s check IDs and the exit code, with the TSV in force.
    fn scan(&self) -> (i32, Vec<String>, serde_json::Value) {
        let mut cmd = self.ws.cmd();
        cmd.env("COMFYDOCTOR_STOCK_TSV", &self.tsv).args(["scan", "--format", "json"]).arg(&self.ws.root);
        let (code, json) = run_json_cmd(&mut cmd);
        (code, ids(&json, "env"), json)
    }
}

#[test]
fn the_exact_stock_tree_is_placeholder_only() {
    let case = Case::new();
    let (code, ids, json) = case.scan();
    assert_eq!(code, 1);
    assert_eq!(ids, s(&["placeholder-only"]));
    let msg = finding(&json, "env", "placeholder-only")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("3 placeholders") && msg.contains("3 stock files"), "{msg}");
}

#[test]
fn without_the_tsv_the_generated_configs_are_user_files() {
    let case = Case::new();
    let (code, json) = case.ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "env"), s(&["models-dir-real"]));
}

#[test]
fn one_changed_byte_makes_it_real() {
    let case = Case::new();
    let config = case.models.join(case.tree.configs()[0]);
    let mut bytes = fs::read(&config).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01; // same size, different content
    fs::write(&config, bytes).unwrap();
    let (code, ids, _) = case.scan();
    assert_eq!(code, 1);
    assert_eq!(ids, s(&["models-dir-real"]));
}

#[test]
fn a_truncated_config_makes_it_real() {
    let case = Case::new();
    let config = case.models.join(case.tree.configs()[1]);
    let bytes = fs::read(&config).unwrap();
    fs::write(&config, &bytes[..bytes.len() - 1]).unwrap();
    let (_, ids, _) = case.scan();
    assert_eq!(ids, s(&["models-dir-real"]));
}

#[test]
fn a_stock_config_in_another_folder_makes_it_real() {
    let case = Case::new();
    let from = case.models.join(case.tree.configs()[0]);
    fs::rename(&from, case.models.join("checkpoints").join(from.file_name().unwrap())).unwrap();
    let (_, ids, _) = case.scan();
    assert_eq!(ids, s(&["models-dir-real"]));
}

#[test]
fn an_extra_user_file_makes_it_real() {
    let case = Case::new();
    write(case.models.join("loras/mine.safetensors"), b"user data");
    let (code, ids, json) = case.scan();
    assert_eq!(code, 1);
    assert_eq!(ids, s(&["models-dir-real"]));
    let msg = finding(&json, "env", "models-dir-real")["message"].as_str().unwrap().to_string();
    // 3 configs + 3 placeholders + the user file
    assert!(msg.contains("7 files"), "{msg}");
}

#[test]
fn an_extra_yaml_in_configs_makes_it_real() {
    let case = Case::new();
    write(case.models.join("configs/my-own.yaml"), b"model: {}\n");
    let (_, ids, _) = case.scan();
    assert_eq!(ids, s(&["models-dir-real"]));
}

#[test]
fn a_non_empty_put_here_file_makes_it_real() {
    let case = Case::new();
    write(case.models.join("checkpoints/put_checkpoints_here"), b"someone wrote here");
    let (_, ids, _) = case.scan();
    assert_eq!(ids, s(&["models-dir-real"]));
}

#[test]
fn marker_files_of_other_tools_are_still_placeholder_only() {
    let case = Case::new();
    write(case.models.join("checkpoints/.gitkeep"), b"");
    write(case.models.join("loras/.DS_Store"), b"\0\0\0\x01Bud1 finder data");
    write(case.models.join(".DS_Store"), b"");
    write(case.models.join("vae/Put models here.txt"), b"");
    write(case.models.join("upscale_models/.gitkeep"), b"");
    let (code, ids, _) = case.scan();
    assert_eq!(code, 1);
    assert_eq!(ids, s(&["placeholder-only"]));
}

#[test]
fn empty_folders_are_placeholder_only() {
    let case = Case::new();
    for d in ["unet", "clip", "custom/deeper/still"] {
        fs::create_dir_all(case.models.join(d)).unwrap();
    }
    let (_, ids, _) = case.scan();
    assert_eq!(ids, s(&["placeholder-only"]));
}

#[test]
fn an_empty_models_folder_is_placeholder_only() {
    let ws = Ws::new();
    fs::create_dir_all(ws.env("env").join("models")).unwrap();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "env"), s(&["placeholder-only"]));
}

#[test]
fn the_stock_configs_without_placeholders_are_placeholder_only() {
    let case = Case::new();
    for (p, bytes) in &case.tree.files {
        if bytes.is_empty() {
            fs::remove_file(case.models.join(p)).unwrap();
        }
    }
    let (_, ids, json) = case.scan();
    assert_eq!(ids, s(&["placeholder-only"]));
    let msg = finding(&json, "env", "placeholder-only")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("0 placeholders") && msg.contains("3 stock files"), "{msg}");
}

#[test]
fn the_embedded_list_knows_the_put_here_placeholders() {
    let ws = Ws::new();
    let models = ws.env("fresh").join("models");
    for p in [
        "checkpoints/put_checkpoints_here",
        "clip/put_clip_or_text_encoder_models_here",
        "controlnet/put_controlnets_and_t2i_here",
        "diffusion_models/put_diffusion_model_files_here",
        "embeddings/put_embeddings_or_textual_inversion_concepts_here",
        "loras/put_loras_here",
        "upscale_models/put_esrgan_and_other_upscale_models_here",
        "vae/put_vae_here",
        "vae_approx/put_taesd_encoder_pth_and_taesd_decoder_pth_here",
    ] {
        write(models.join(p), b"");
    }
    fs::create_dir_all(models.join("configs")).unwrap();
    let (code, json) = ws.scan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(ids(&json, "fresh"), s(&["placeholder-only"]));
    let msg = finding(&json, "fresh", "placeholder-only")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("9 placeholders") && msg.contains("0 stock files"), "{msg}");
}

#[test]
fn the_embedded_list_does_not_accept_a_made_up_config() {
    let ws = Ws::new();
    let models = ws.env("fresh").join("models");
    write(models.join("checkpoints/put_checkpoints_here"), b"");
    write(models.join("configs/v1-inference.yaml"), b"not ComfyUI's bytes\n");
    let (_, json) = ws.scan_json(&[]);
    assert_eq!(ids(&json, "fresh"), s(&["models-dir-real"]));
}

#[test]
fn a_stock_tree_with_a_nested_link_is_real() {
    needs_links!();
    let case = Case::new();
    fs::remove_dir_all(case.models.join("vae")).unwrap();
    symlink(case.ws.global.join("vae"), case.models.join("vae"));
    let (_, ids, _) = case.scan();
    assert_eq!(ids, s(&["models-dir-real"]));
}

// ---------------------------------------------------------------- fix and undo

#[test]
fn placeholder_only_merges_stock_files_without_a_prompt() {
    needs_links!();
    let mut ws = Ws::new();
    let a_yaml: &[u8] = b"model:\n  target: a\n";
    let b_yaml: &[u8] = b"model:\n  target: b\n";
    ws.set_stock(&[
        ("checkpoints/put_checkpoints_here", b""),
        ("loras/put_loras_here", b""),
        ("configs/a.yaml", a_yaml),
        ("configs/b.yaml", b_yaml),
    ]);
    let c = ws.env("fresh");
    let m = c.join("models");
    write(m.join("checkpoints/put_checkpoints_here"), b"");
    write(m.join("loras/put_loras_here"), b"");
    write(m.join("configs/a.yaml"), a_yaml);
    write(m.join("configs/b.yaml"), b_yaml);
    mkdir(m.join("vae"));
    write(ws.global.join("configs/b.yaml"), b_yaml);

    let s = scan(&ws);
    assert!(s.stdout.contains("placeholder-only"), "scan must report placeholder-only:\n{}", s.stdout);

    // No --yes: nothing user-made is at stake, so a non-interactive run applies it.
    let mut b = before(&ws, &[&c]);
    let out = fix(&ws, &[]);
    out.expect(0, "fix without --yes");
    assert!(!out.stderr.contains("--yes"), "placeholder-only must not ask:\n{}", out.stderr);
    assert_linked(&ws, &c);
    assert_eq!(read(&ws.global.join("configs/a.yaml")), a_yaml);
    assert_eq!(read(&ws.global.join("configs/b.yaml")), b_yaml);
    // The install's b.yaml is ComfyUI's stock file and identical in the global folder: removed,
    // with its bytes kept in the journal (so `undo` can write it back). Nothing else goes.
    assert!(!c.join("models.comfydoctor-backup").exists());
    let journal: String = std::fs::read_dir(ws.root.join(".comfydoctor"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(journal.contains(&serde_json::to_string(std::str::from_utf8(b_yaml).unwrap()).unwrap()));
    let b_hash = sha256_hex(b_yaml);
    *b.content.get_mut(&b_hash).unwrap() -= 1;
    assert_kept(&ws, &[&c], &b, "after fix");
    no_placeholders_under(&ws.global);
    scan(&ws).expect(0, "scan after fix");
    let settled = ws.everything();
    fix(&ws, &[]).expect(0, "second fix");
    assert_same(&settled, &ws.everything(), "second fix must change nothing");
    undo(&ws).expect(0, "undo");
    assert_restored(&ws, &[&c], &b, "after undo");
    assert_eq!(read(&m.join("configs/b.yaml")), b_yaml);
}
