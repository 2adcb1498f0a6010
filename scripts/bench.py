#!/usr/bin/env python3
"""Benchmarks of the paths users wait on: `scan` and the launch-script hook (`fix --yes --quiet`)
on a healthy workspace, `scan` of a big real models/ folder, and `fix --yes` migrating it (same
filesystem; its view check walks models/ and the global folder before and after). Prints medians;
not run in CI.

    cargo build --release --examples && python3 scripts/bench.py [--envs 20] [--files 20000] [--runs 15]

The view check's walk alone (`src/listing.rs`), per file, is the last row
(`cargo run --release --example listing_cost [FILES]`).
"""
import argparse, os, shutil, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "comfydoctor")
STD = ["audio_encoders", "checkpoints", "clip", "clip_vision", "configs", "controlnet", "diffusers",
       "diffusion_models", "embeddings", "gligen", "hypernetworks", "loras", "model_patches", "photomaker",
       "style_models", "text_encoders", "unet", "upscale_models", "vae", "vae_approx"]


def env(ws, name):
    comfy = os.path.join(ws, "environments", name, "ComfyUI")
    os.makedirs(os.path.join(ws, "environments", name, ".cec"))
    os.makedirs(comfy)
    for f in ("main.py", "folder_paths.py", "nodes.py"):
        open(os.path.join(comfy, f), "w").close()
    return comfy


def workspace(root, envs, files):
    ws = os.path.join(root, "ws")
    os.makedirs(os.path.join(ws, ".metadata"))
    with open(os.path.join(ws, ".metadata", "workspace.json"), "w") as f:
        f.write('{"global_model_directory": {"path": "%s"}}' % os.path.join(ws, "models"))
    for d in STD:
        os.makedirs(os.path.join(ws, "models", d))
    for i in range(envs):
        os.symlink(os.path.join(ws, "models"), os.path.join(env(ws, "env%02d" % i), "models"))
    # One install with a big real models/ folder (metadata walk, no hashing of non-stock files).
    big = os.path.join(env(ws, "zz-real"), "models")
    for i in range(files):
        d = os.path.join(big, STD[i % len(STD)], "sub%d" % (i % 50))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "m%06d.safetensors" % i), "wb") as f:
            f.write(b"x" * 64)
    return ws


def median_ms(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times), max(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--envs", type=int, default=20)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    if not os.path.exists(BIN):
        raise SystemExit("build first: cargo build --release")
    tmp = tempfile.mkdtemp()
    try:
        ws = workspace(tmp, a.envs, a.files)
        healthy = [os.path.join(ws, "environments", "env%02d" % i) for i in range(a.envs)]
        rows = [
            ("scan, %d healthy envs" % a.envs, [BIN, "scan", "--quiet", *healthy]),
            ("hook: fix --yes --quiet, %d healthy envs" % a.envs, [BIN, "fix", "--yes", "--quiet", *healthy]),
            ("scan, whole workspace incl. %d-file real models/" % a.files, [BIN, "scan", ws]),
            ("scan --format json, whole workspace", [BIN, "scan", "--format", "json", ws]),
        ]
        print("%-55s %10s %10s %10s" % ("case (%d runs)" % a.runs, "median ms", "min", "max"))
        for name, cmd in rows:
            med, lo, hi = median_ms(cmd, a.runs)
            print("%-55s %10.1f %10.1f %10.1f" % (name, med, lo, hi))
    finally:
        shutil.rmtree(tmp)
    # A migration changes the workspace: a fresh one for every run (built outside the timing).
    times = []
    for _ in range(max(3, a.runs // 3)):
        tmp = tempfile.mkdtemp()
        try:
            ws = workspace(tmp, 0, a.files)
            t = time.perf_counter()
            subprocess.run([BIN, "fix", "--yes", "--quiet", ws], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append((time.perf_counter() - t) * 1000)
        finally:
            shutil.rmtree(tmp)
    print("%-55s %10.1f %10.1f %10.1f" % ("fix --yes, %d-file real models/ (%d runs)" % (a.files, len(times)),
                                          statistics.median(times), min(times), max(times)))
    example = os.path.join(ROOT, "target", "release", "examples", "listing_cost")
    if os.path.exists(example):
        out = subprocess.run([example, str(a.files)], capture_output=True, text=True).stdout.strip()
        print("view check walk alone: " + out)


if __name__ == "__main__":
    main()
