"""Sharded RTL simulation: wall time with 1, 2, ... local jobs (and optionally Ray), and
whether sim/outputs.npz and sim/summary.json are byte-identical across them.

    python tools/bench_scaleout.py [--out build/bench_scaleout] [--jobs 1,2] [--ray]
                                   [--models mlp:1000,fang_cnn:200]
    python tools/bench_scaleout.py --project vgg11=31.8,alexnet=15.4 [--images 10000] [--workers 1,2,64]

Compiles the bundled MLP and Fang CNN (default settings, `calib` split) once, then runs
`e3ne simulate BUILD --data test.npz --limit N --jobs J` for every J (the simulator is built
before the first timed run, so every run reuses it). Reports, per run, the wall time of the
RTL simulation step (from the CLI's own step timer), the whole command's wall time, the CPU
seconds of all its processes, and the 1-minute load average before the run (the machine
may be shared). Writes results.json and prints a Markdown table.

`--project` prints the scaling model instead: the wall time of `--images` images on each
number of cores, from a per-image simulation cost, by the shard policy of `run_rtl`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = {
    "mlp": ("examples/mlp/model.py:MLP", "examples/mlp/weights.pt"),
    "fang_cnn": ("examples/fang_cnn/model.py:FangCNN", "examples/fang_cnn/weights.pt"),
}


def e3ne(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "e3ne.cli", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)


def prepare(out: Path, images: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    import numpy as np

    for split, extra in (("test", ["--limit", str(images)]), ("calib", [])):
        path = out / f"{split}.npz"
        if not path.is_file() or (split == "test" and len(np.load(path)["x"]) < images):
            subprocess.run(
                [sys.executable, "-m", "e3ne.datasets", split, str(out / f"{split}.npz"), *extra],
                check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
            )  # fmt: skip
    for name, (model, weights) in MODELS.items():
        build = out / name
        if not (build / "hardware.json").is_file():
            result = e3ne("-q", "compile", model, "--weights", weights, "--input-shape", "1,28,28",
                          "--calibration", str(out / "calib.npz"), "-o", str(build))  # fmt: skip
            if result.returncode:
                sys.exit(result.stderr)


def simulate(build: Path, data: Path, limit: int, engine: list[str]) -> dict:
    for name in ("outputs.npz", "summary.json"):
        (build / "sim" / name).unlink(missing_ok=True)
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = e3ne("simulate", str(build), "--data", str(data), "--limit", str(limit), *engine)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        sys.exit(f"e3ne simulate {' '.join(engine)} failed:\n{result.stderr}")
    lines = result.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if "RTL simulation (Verilator)" in line)
    step = next(re.search(r"done in ([\d.]+) s", line) for line in lines[start:] if "done in" in line)
    shards = re.search(r"simulating \d+ images in (\d+) shards?", result.stderr)
    return {
        "engine": " ".join(engine),
        "rtl_seconds": float(step.group(1)),
        "command_seconds": round(wall, 1),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "load_before": round(load, 2),
        "shards": int(shards.group(1)) if shards else None,
        "outputs": (build / "sim" / "outputs.npz").read_bytes(),
        "summary": (build / "sim" / "summary.json").read_bytes(),
    }


def projected_seconds(images: int, workers: int, per_image: float, fixed: float = 0.0) -> float:
    """Wall time of `images` on `workers` cores by e3ne's shard policy: the shards run in
    rounds of `workers`; a round takes as long as its largest shard. `fixed`: the Verilator
    build and start-up, paid once."""
    from e3ne.backend.simulate import shard_sizes

    sizes = shard_sizes(images, workers)
    rounds = [sizes[k : k + workers] for k in range(0, len(sizes), workers)]
    return fixed + sum(max(r) for r in rounds) * per_image


def project(per_image: dict[str, float], images: int, workers: list[int]) -> None:
    print(f"\nprojected wall time of {images:,} images (hours; per-image CPU seconds from --project):")
    print("| model | s/image | " + " | ".join(f"{w} cores" for w in workers) + " |")
    print("|---|---|" + "---|" * len(workers))
    for name, cost in per_image.items():
        hours = [projected_seconds(images, w, cost) / 3600 for w in workers]
        print(f"| {name} | {cost:g} | " + " | ".join(f"{h:,.2f}" for h in hours) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build/bench_scaleout")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--models", default="mlp:1000,fang_cnn:200")
    parser.add_argument("--ray", action="store_true", help="also run with --ray (a local Ray instance)")
    parser.add_argument("--project", default=None, help="only print the model, e.g. vgg11=31.8,alexnet=15.4 (s/image)")
    parser.add_argument("--images", type=int, default=10_000, help="with --project (default 10,000)")
    parser.add_argument("--workers", default="1,2,8,16,64,256", help="with --project: cores in total")
    args = parser.parse_args()
    if args.project:
        sys.path.insert(0, str(ROOT))
        costs = {name: float(value) for name, value in (item.split("=") for item in args.project.split(","))}
        project(costs, args.images, [int(w) for w in args.workers.split(",")])
        return
    out = (ROOT / args.out).resolve()
    runs = [(name, int(count)) for name, count in (item.split(":") for item in args.models.split(","))]
    prepare(out, max(count for _, count in runs))
    engines = [["--jobs", jobs] for jobs in args.jobs.split(",")] + ([["--ray"]] if args.ray and shutil.which("ray") else [])
    results = []
    print(f"machine: {os.cpu_count()} cores, load average before start {os.getloadavg()[0]:.2f}")
    for name, count in runs:
        build = out / name
        e3ne("-q", "simulate", str(build), "--data", str(out / "test.npz"), "--limit", "1", "--jobs", "1")  # warm
        reference = None
        for engine in engines:
            run = simulate(build, out / "test.npz", count, engine)
            if reference is None:
                reference = (run["outputs"], run["summary"])
            run["identical"] = (run["outputs"], run["summary"]) == reference
            summary = json.loads(run.pop("summary"))
            run.pop("outputs")
            results.append({"model": name, "images": count, **run, "mismatches": summary["mismatches"],
                            "cycles_per_image": summary["cycles_per_image"]})  # fmt: skip
            print(json.dumps(results[-1]), flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\n| model | images | engine | shards | RTL step (s) | command (s) | CPU (s) | load before | identical |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} | {r['images']} | {r['engine']} | {r['shards']} | {r['rtl_seconds']} | "
            f"{r['command_seconds']} | {r['cpu_seconds']} | {r['load_before']} | {'yes' if r['identical'] else 'NO'} |"
        )


if __name__ == "__main__":
    main()
