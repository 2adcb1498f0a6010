#!/usr/bin/env python3
"""Benchmarks of the paths users wait on (issue 14; figures and what bounds them:
docs/performance.md). Prints medians; not run in CI.

    cargo build --release --examples && python3 scripts/bench.py [--runs 11] [--only scan,hook,...]

Sections (all by default, `--only` picks some):

- `scan`: a generated workspace of 1,000 environments (30% linked, 30% stock `models/`, 20% real
  `models/` with 50 small files, 10% legacy YAML + stock tree, 10% dangling links) and one of
  2,000; `scan` (table and JSON) timed as a process, start included. Interleaved with ComfyGit
  0.7.1's own check pass over the same 1,000 envs (`ModelSymlinkManager.validate_symlink()`, and
  `is_safe_to_delete()` where `models/` is a real folder, as its `create_symlink` does), run
  in-process from its wheel (`pip download comfygit-core==0.7.1 --no-deps`, unpacked into a
  temporary folder; interpreter start not counted). Prints the ratio and 2,000/1,000.
- `hook`: `fix --yes --quiet` on a healthy, migrated git checkout (a clone of a repository that
  tracks `models/` placeholders) against `/bin/true`, interleaved.
- `merge`: 1 GiB in 4 files (plus a 64 MiB sparse file with 8 KiB of data and a hard-linked
  pair) merged from disk into a global folder on tmpfs (`/dev/shm`) by `fix --yes`, against
  `cp -r` of the same tree, interleaved; checks that holes and the hard link survived.
- `rss`: peak RSS of `scan` over one real `models/` of 10,000, 100,000 and 1,000,000 empty files.
- `legacy`: the earlier rows (20 healthy envs, a 20,000-file real `models/`, its migration).

A ComfyUI clone's stock configs are ComfyUI's bytes, so they are not generated here: stock trees
are the placeholders, plus the real `configs/*.yaml` when `--stock-configs DIR` names a ComfyUI
clone's `models/configs`.
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "comfydoctor")
STD = ["audio_encoders", "checkpoints", "clip", "clip_vision", "configs", "controlnet", "diffusers",
       "diffusion_models", "embeddings", "gligen", "hypernetworks", "loras", "model_patches", "photomaker",
       "style_models", "text_encoders", "unet", "upscale_models", "vae", "vae_approx"]
PLACEHOLDERS = {
    "audio_encoders": "put_audio_encoder_models_here", "checkpoints": "put_checkpoints_here",
    "clip": "put_clip_or_text_encoder_models_here", "clip_vision": "put_clip_vision_models_here",
    "controlnet": "put_controlnets_and_t2i_here", "diffusers": "put_diffusers_models_here",
    "diffusion_models": "put_diffusion_model_files_here",
    "embeddings": "put_embeddings_or_textual_inversion_concepts_here", "gligen": "put_gligen_models_here",
    "hypernetworks": "put_hypernetworks_here", "loras": "put_loras_here", "model_patches": "put_model_patches_here",
    "photomaker": "put_photomaker_models_here", "style_models": "put_t2i_style_model_here",
    "text_encoders": "put_text_encoder_files_here", "unet": "put_unet_files_here",
    "upscale_models": "put_esrgan_and_other_upscale_models_here", "vae": "put_vae_here",
    "vae_approx": "put_taesd_encoder_pth_and_taesd_decoder_pth_here",
}
COMFYGIT = "comfygit-core==0.7.1"


def run_quiet(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def timed(cmd):
    t = time.perf_counter()
    run_quiet(cmd)
    return (time.perf_counter() - t) * 1000


def cpu_ms(cmd):
    """User + system CPU time of a process (a figure the other builds on the machine disturb less
    than wall time)."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, u = os.wait4(p.pid, 0)
    return (u.ru_utime + u.ru_stime) * 1000


def med(xs):
    return statistics.median(xs)


def row(name, xs):
    print("%-58s %9.1f %9.1f %9.1f" % (name, med(xs), min(xs), max(xs)), flush=True)


def header(title, runs):
    print("\n%-58s %9s %9s %9s" % ("%s (%d runs, ms)" % (title, runs), "median", "min", "max"), flush=True)


# ---------------------------------------------------------------------------------------------
# Trees


def env(ws, name):
    comfy = os.path.join(ws, "environments", name, "ComfyUI")
    os.makedirs(os.path.join(ws, "environments", name, ".cec"))
    os.makedirs(comfy)
    for f in ("main.py", "folder_paths.py", "nodes.py"):
        open(os.path.join(comfy, f), "w").close()
    return comfy


def stock_tree(models, configs=None):
    for d in STD:
        os.makedirs(os.path.join(models, d), exist_ok=True)
        if d in PLACEHOLDERS:
            open(os.path.join(models, d, PLACEHOLDERS[d]), "w").close()
    if configs:
        for name in sorted(os.listdir(configs)):
            shutil.copyfile(os.path.join(configs, name), os.path.join(models, "configs", name))


def new_workspace(root, name="ws"):
    ws = os.path.join(root, name)
    os.makedirs(os.path.join(ws, ".metadata"))
    with open(os.path.join(ws, ".metadata", "workspace.json"), "w") as f:
        f.write('{"global_model_directory": {"path": "%s"}}' % os.path.join(ws, "models"))
    for d in STD:
        os.makedirs(os.path.join(ws, "models", d))
    return ws


def mixed_workspace(root, envs, configs=None, name="ws"):
    """The issue's 1,000-env mix: per 10 envs, 3 linked, 3 stock, 2 real, 1 legacy YAML, 1 dangling."""
    ws = new_workspace(root, name)
    g = os.path.join(ws, "models")
    kinds = ["link", "link", "link", "stock", "stock", "stock", "real", "real", "yaml", "dangling"]
    for i in range(envs):
        kind = kinds[i % 10]
        comfy = env(ws, "env%05d" % i)
        models = os.path.join(comfy, "models")
        if kind == "link":
            os.symlink(g, models)
        elif kind == "stock":
            stock_tree(models, configs)
        elif kind == "real":
            stock_tree(models, configs)
            for k in range(50):
                d = os.path.join(models, STD[k % len(STD)])
                with open(os.path.join(d, "m%02d.safetensors" % k), "wb") as f:
                    f.write(b"x" * (64 + k))
        elif kind == "yaml":
            stock_tree(models, configs)
            with open(os.path.join(comfy, "extra_model_paths.yaml"), "w") as f:
                f.write("comfyui:\n  base_path: %s\n  is_default: true\n" % g)
                for key in ("checkpoints", "configs", "loras", "vae", "vae_approx", "embeddings", "diffusion_models",
                            "text_encoders", "clip_vision", "style_models", "diffusers", "controlnet", "gligen",
                            "upscale_models", "hypernetworks", "photomaker", "classifiers"):
                    f.write("  %s: %s/\n" % (key, key))
        else:
            os.symlink(os.path.join(ws, "gone-%d" % i), models)
    return ws


# ---------------------------------------------------------------------------------------------
# ComfyGit's pass, in-process

COMFYGIT_PASS = r"""
import sys, time, json
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from comfygit_core.managers.model_symlink_manager import ModelSymlinkManager
from comfygit_core.utils.symlink_utils import is_safe_to_delete, is_link
ws = Path(sys.argv[2]); runs = int(sys.argv[3])
g = ws / "models"
envs = sorted((ws / "environments").iterdir())
safe = {".gitkeep", ".gitignore", "Put models here.txt"}
out = []; cpu = []
for _ in range(runs):
    t = time.perf_counter(); c = time.process_time()
    valid = deletable = 0
    for e in envs:
        m = ModelSymlinkManager(e / "ComfyUI", g)
        if m.validate_symlink():
            valid += 1
        # create_symlink asks is_safe_to_delete only of a real folder (a link is never walked).
        p = m.models_link_path
        if p.exists() and not is_link(p) and is_safe_to_delete(p, safe):
            deletable += 1
    out.append((time.perf_counter() - t) * 1000); cpu.append((time.process_time() - c) * 1000)
print(json.dumps({"ms": out, "cpu": cpu, "valid": valid, "deletable": deletable}))
"""


def comfygit_dir(tmp):
    dest = os.path.join(tmp, "comfygit")
    os.makedirs(dest)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", dest, COMFYGIT],
                   check=True)
    wheel = next(os.path.join(dest, f) for f in os.listdir(dest) if f.endswith(".whl"))
    unpacked = os.path.join(dest, "site")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(unpacked)
    return unpacked


def comfygit_pass(site, ws, runs=1):
    out = subprocess.run([sys.executable, "-c", COMFYGIT_PASS, site, ws, str(runs)], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def bench_scan(tmp, a):
    ws1 = mixed_workspace(tmp, 1000, a.stock_configs, "ws1000")
    ws2 = mixed_workspace(tmp, 2000, a.stock_configs, "ws2000")
    site = comfygit_dir(tmp)
    cg, s1, j1, s2, old1, old2, cg_cpu, s1_cpu = [], [], [], [], [], [], [], []
    comfygit_pass(site, ws1)  # warm both caches the same way
    run_quiet([BIN, "scan", ws1])
    for _ in range(a.runs):
        s1.append(timed([BIN, "scan", ws1]))
        s1_cpu.append(cpu_ms([BIN, "scan", ws1]))
        got = comfygit_pass(site, ws1)
        cg += got["ms"]
        cg_cpu += got["cpu"]
        j1.append(timed([BIN, "scan", "--format", "json", ws1]))
        s2.append(timed([BIN, "scan", ws2]))
        if a.compare:
            old1.append(timed([a.compare, "scan", ws1]))
            old2.append(timed([a.compare, "scan", ws2]))
    info = comfygit_pass(site, ws1)
    header("scan of a generated workspace", a.runs)
    row("scan, 1,000 envs (table, process)", s1)
    row("scan --format json, 1,000 envs (process)", j1)
    row("scan, 2,000 envs (table, process)", s2)
    row("ComfyGit 0.7.1 pass, 1,000 envs (in-process)", cg)
    row("CPU time: scan, 1,000 envs (user + system)", s1_cpu)
    row("CPU time: ComfyGit 0.7.1 pass, 1,000 envs", cg_cpu)
    print("CPU time, ComfyGit / scan 1,000: %.1fx" % (med(cg_cpu) / med(s1_cpu)))
    if a.compare:
        row("--compare binary: scan, 1,000 envs", old1)
        row("--compare binary: scan, 2,000 envs", old2)
        print("--compare / this binary, 1,000 envs: %.2fx" % (med(old1) / med(s1)))
    print("ComfyGit / scan 1,000: %.1fx   scan 2,000 / 1,000: %.2f   (ComfyGit: %d valid links, %d deletable)"
          % (med(cg) / med(s1), med(s2) / med(s1), info["valid"], info["deletable"]))


# ---------------------------------------------------------------------------------------------
# Hook on a healthy migrated git checkout


def git(cwd, *args):
    subprocess.run(["git", "-C", cwd, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def git_checkout(tmp, configs=None):
    up = os.path.join(tmp, "upstream")
    os.makedirs(up)
    for f in ("main.py", "folder_paths.py", "nodes.py"):
        with open(os.path.join(up, f), "w") as fh:
            fh.write("# %s\n" % f)
    stock_tree(os.path.join(up, "models"), configs)
    with open(os.path.join(up, ".gitignore"), "w") as fh:
        fh.write("/models/\n")
    git(up, "init", "-q", "-b", "master")
    git(up, "add", "-f", ".")
    git(up, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "init")
    clone = os.path.join(tmp, "ComfyUI")
    subprocess.run(["git", "clone", "-q", up, clone], check=True)
    return clone


def bench_hook(tmp, a):
    clone = git_checkout(tmp, a.stock_configs)
    g = os.path.join(tmp, "global")
    os.makedirs(g)
    run_quiet([BIN, "fix", "--yes", "--quiet", "--models-dir", g, clone])
    hook = [BIN, "fix", "--yes", "--quiet", "--models-dir", g, clone]
    r = subprocess.run(hook, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.islink(os.path.join(clone, "models")):
        raise SystemExit("the checkout did not migrate cleanly (exit %d): %s" % (r.returncode, r.stderr))
    scan = [BIN, "scan", "--quiet", "--models-dir", g, clone]
    t_true, t_hook, t_scan = [], [], []
    runs = a.runs * 4
    for _ in range(runs):
        t_true.append(timed(["/bin/true"]))
        t_hook.append(timed(hook))
        t_scan.append(timed(scan))
    header("hook on a healthy migrated git checkout", runs)
    row("/bin/true", t_true)
    row("fix --yes --quiet (the hook)", t_hook)
    row("scan --quiet", t_scan)
    print("hook - /bin/true: %.2f ms" % (med(t_hook) - med(t_true)))


# ---------------------------------------------------------------------------------------------
# Cross-filesystem merge against cp -r


def merge_tree(models):
    os.makedirs(os.path.join(models, "checkpoints"))
    chunk = os.urandom(1 << 20)
    for i in range(4):
        with open(os.path.join(models, "checkpoints", "big%d.safetensors" % i), "wb") as f:
            for k in range(256):
                f.write(chunk[k:] + chunk[:k])
    sparse = os.path.join(models, "checkpoints", "sparse.safetensors")
    with open(sparse, "wb") as f:
        f.truncate(64 << 20)
        f.seek(32 << 20)
        f.write(b"s" * 8192)
    os.makedirs(os.path.join(models, "loras"))
    with open(os.path.join(models, "loras", "a.safetensors"), "wb") as f:
        f.write(b"hard link pair" * 1000)
    os.link(os.path.join(models, "loras", "a.safetensors"), os.path.join(models, "loras", "b.safetensors"))


def bench_merge(tmp, a):
    shm = tempfile.mkdtemp(dir="/dev/shm")
    if os.stat(shm).st_dev == os.stat(tmp).st_dev:
        raise SystemExit("/dev/shm is on the same filesystem as %s" % tmp)
    try:
        cp, cprm, fx = [], [], []
        runs = max(3, a.runs // 2)
        for r in range(runs):
            order = ["cp", "cprm", "fix"] if r % 2 == 0 else ["fix", "cprm", "cp"]
            for what in order:
                base = os.path.join(tmp, "merge%d%s" % (r, what))
                ws = new_workspace(base)
                models = os.path.join(env(ws, "big"), "models")
                merge_tree(models)
                os.sync()
                if what == "cp":
                    dst = os.path.join(shm, "cp")
                    cp.append(timed(["cp", "-r", models, dst]))
                    shutil.rmtree(dst)
                elif what == "cprm":
                    # What a move also does: the source removed once the copy is on disk.
                    dst = os.path.join(shm, "cp")
                    cprm.append(timed(["sh", "-c", 'cp -r "$1" "$2" && sync && rm -r "$1"', "sh", models, dst]))
                    shutil.rmtree(dst)
                else:
                    g = os.path.join(shm, "global")
                    os.makedirs(g)
                    t = time.perf_counter()
                    res = run_quiet([BIN, "fix", "--yes", "--quiet", "--models-dir", g, ws])
                    fx.append((time.perf_counter() - t) * 1000)
                    a_ = os.stat(os.path.join(g, "loras", "a.safetensors"))
                    b_ = os.stat(os.path.join(g, "loras", "b.safetensors"))
                    s_ = os.stat(os.path.join(g, "checkpoints", "sparse.safetensors"))
                    if res.returncode != 0 or a_.st_ino != b_.st_ino or s_.st_blocks * 512 > (1 << 20):
                        raise SystemExit("merge lost a property: exit %d, hard link %s, sparse blocks %d"
                                         % (res.returncode, a_.st_ino == b_.st_ino, s_.st_blocks))
                    shutil.rmtree(g)
                shutil.rmtree(base)
        header("1 GiB (+ sparse, hard link) from disk to tmpfs", runs)
        row("cp -r", cp)
        row("cp -r && sync && rm -r (the source removed, as a move does)", cprm)
        row("fix --yes (merge, verified, holes and hard link kept)", fx)
        print("fix / cp -r: %.2f   fix / (cp -r, sync, rm -r): %.2f" % (med(fx) / med(cp), med(fx) / med(cprm)))
    finally:
        shutil.rmtree(shm, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Peak RSS of scan over many empty files


def peak_rss_kib(cmd):
    # GNU time reports the child's own peak: a child forked from this Python process would count
    # the interpreter's pages it held before exec (ru_maxrss of os.wait4 does).
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    return int(r.stderr.strip().splitlines()[-1])


def bench_rss(tmp, a):
    if not os.path.exists("/usr/bin/time"):
        raise SystemExit("the RSS rows need GNU time (/usr/bin/time; Debian package `time`)")
    header("peak RSS of scan (KiB, one run each)", 1)
    counts = [int(c) for c in a.rss_files.split(",")]
    made = 0
    ws = new_workspace(tmp, "rss")
    models = os.path.join(env(ws, "many"), "models")
    stock_tree(models)
    base = os.path.join(models, "loras")
    for n in counts:
        # 100 folders of n/100 files each; each count adds to the same tree.
        per = n // 100
        for d in range(100):
            sub = os.path.join(base, "d%03d" % d)
            os.makedirs(sub, exist_ok=True)
            for k in range(made // 100, per):
                os.close(os.open(os.path.join(sub, "f%07d.safetensors" % k), os.O_CREAT | os.O_WRONLY, 0o644))
        made = n
        print("%-58s %9d" % ("scan, %d empty files in one real models/" % n, peak_rss_kib([BIN, "scan", ws])),
              flush=True)
        print("%-58s %9d" % ("scan --format json, same" % (), peak_rss_kib([BIN, "scan", "--format", "json", ws])),
              flush=True)


# ---------------------------------------------------------------------------------------------
# The earlier rows


def legacy_workspace(root, envs, files):
    ws = new_workspace(root)
    for i in range(envs):
        os.symlink(os.path.join(ws, "models"), os.path.join(env(ws, "env%02d" % i), "models"))
    big = os.path.join(env(ws, "zz-real"), "models")
    for i in range(files):
        d = os.path.join(big, STD[i % len(STD)], "sub%d" % (i % 50))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "m%06d.safetensors" % i), "wb") as f:
            f.write(b"x" * 64)
    return ws


def bench_legacy(tmp, a):
    envs, files = 20, 20000
    ws = legacy_workspace(os.path.join(tmp, "legacy"), envs, files)
    healthy = [os.path.join(ws, "environments", "env%02d" % i) for i in range(envs)]
    rows = [
        ("scan, %d healthy envs" % envs, [BIN, "scan", "--quiet", *healthy]),
        ("hook: fix --yes --quiet, %d healthy envs" % envs, [BIN, "fix", "--yes", "--quiet", *healthy]),
        ("scan, whole workspace incl. %d-file real models/" % files, [BIN, "scan", ws]),
        ("scan --format json, whole workspace", [BIN, "scan", "--format", "json", ws]),
    ]
    times = {name: [] for name, _ in rows}
    for _ in range(a.runs):
        for name, cmd in rows:
            times[name].append(timed(cmd))
    header("earlier rows", a.runs)
    for name, _ in rows:
        row(name, times[name])
    mig = []
    for r in range(max(3, a.runs // 3)):
        base = os.path.join(tmp, "mig%d" % r)
        ws = legacy_workspace(base, 0, files)
        mig.append(timed([BIN, "fix", "--yes", "--quiet", ws]))
        shutil.rmtree(base)
    row("fix --yes, %d-file real models/ (%d runs)" % (files, len(mig)), mig)
    example = os.path.join(ROOT, "target", "release", "examples", "listing_cost")
    if os.path.exists(example):
        out = subprocess.run([example, str(files)], capture_output=True, text=True).stdout.strip()
        print("view check walk alone: " + out)


def main():
    global BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--only", default="scan,hook,merge,rss,legacy")
    ap.add_argument("--rss-files", default="10000,100000,1000000")
    ap.add_argument("--stock-configs", help="a ComfyUI clone's models/configs, copied into every stock tree")
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--compare", help="another build (e.g. the previous release) timed interleaved in `scan`")
    a = ap.parse_args()
    BIN = os.path.abspath(a.bin)
    if not os.path.exists(BIN):
        raise SystemExit("build first: cargo build --release")
    print("machine: %d cores, load average %.2f %.2f %.2f" % ((os.cpu_count(),) + os.getloadavg()))
    sections = {"scan": bench_scan, "hook": bench_hook, "merge": bench_merge, "rss": bench_rss,
                "legacy": bench_legacy}
    for name in a.only.split(","):
        tmp = tempfile.mkdtemp(dir=os.environ.get("BENCH_TMP", "/var/tmp"))
        try:
            sections[name](tmp, a)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
