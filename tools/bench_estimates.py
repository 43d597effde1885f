"""Estimate vs Yosys: for the bundled examples at several parallelism settings, compile,
synthesize with Yosys (`e3ne synth`, synth_xilinx -family xc7, flattened) and print the
estimator's error on LUT, FF, CARRY and BRAM.

    python tools/bench_estimates.py [--cases mlp-p4,fang-default] [--jobs 3] [--out build/bench_estimates]

Builds and Yosys results are cached in --out (Yosys reruns only when the RTL is newer than
synth.json); the estimate is always recomputed from BUILD/snnhw.mlir with the current cost
model. Yosys takes ~1-2 min per MLP design and several minutes per CNN.
`--cases offchip` runs the off-chip cases (weight buffers + AXI read masters instead of
weight ROMs) and the on-chip twins not in the default list (~5 min on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

FANG_SMALL = "conv1.columns=13,conv1.channels=1,conv2.columns=5,conv2.channels=2,P=8"

# name -> (example folder, class, input shape, parallelism setting ("" = compiler defaults),
#          further `e3ne compile` options, e.g. off-chip weights)
CASES = {
    "mlp-p4": ("mlp", "MLP", "1,28,28", "P=4", ()),
    "mlp-p16": ("mlp", "MLP", "1,28,28", "P=16", ()),
    "mlp-p32": ("mlp", "MLP", "1,28,28", "P=32", ()),
    "mlp-p16-q4": ("mlp", "MLP", "1,28,28", "P=16,fc1.Q=4", ()),
    "fang-default": ("fang_cnn", "FangCNN", "1,28,28", "", ()),
    "fang-small": ("fang_cnn", "FangCNN", "1,28,28", FANG_SMALL, ()),
    "lenet5-default": ("lenet5", "LeNet5", "1,32,32", "", ()),
    # off-chip weights: two-bank weight buffers + AXI4 read masters instead of weight ROMs
    "mlp-p16-off": ("mlp", "MLP", "1,28,28", "P=16", ("--offchip-weights", "fc1")),
    "mlp-p64-axi64-off": ("mlp", "MLP", "1,28,28", "P=16,fc1.P=64", ("--offchip-weights", "fc1", "--axi-width", "64")),
    "mlp-p64-axi64": ("mlp", "MLP", "1,28,28", "P=16,fc1.P=64", ("--axi-width", "64")),
    "fang-default-off": ("fang_cnn", "FangCNN", "1,28,28", "", ("--offchip-weights", "all")),
    "fang-small-off": ("fang_cnn", "FangCNN", "1,28,28", FANG_SMALL, ("--offchip-weights", "all")),
}
DEFAULT_CASES = "mlp-p4,mlp-p16,mlp-p32,mlp-p16-q4,fang-default"
OFFCHIP_CASES = "mlp-p16-off,mlp-p64-axi64-off,mlp-p64-axi64,fang-small-off,fang-default-off,fang-small"


def calibration_file(out: Path, shape: str) -> Path:
    from e3ne.datasets import mnist, write_npz

    path = out / f"calib_{shape.replace(',', 'x')}.npz"
    if not path.is_file():
        x, _ = mnist("calibration", pad_to=32 if shape.endswith("32,32") else None)
        write_npz(path, x[:64])
    return path


def build_and_synth(name: str, out: Path, log) -> Path:
    folder, cls, shape, setting, options = CASES[name]
    build = out / name
    calibration = calibration_file(out, shape)
    if not (build / "snnhw.mlir").is_file():
        argv = [sys.executable, "-m", "e3ne.cli", "-q", "compile", f"{EXAMPLES / folder / 'model.py'}:{cls}",
                "--weights", str(EXAMPLES / folder / "weights.pt"), "--input-shape", shape,
                "--calibration", str(calibration), "-o", str(build)]  # fmt: skip
        if setting:
            argv += ["--parallelism", setting]
        argv += list(options)
        subprocess.run(argv, check=True)
    synth = build / "synth.json"
    design = next((build / "rtl").glob("*.sv"))
    if not synth.is_file() or synth.stat().st_mtime < design.stat().st_mtime:
        log(f"{name}: running Yosys ...")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "e3ne.cli", "-q", "synth", str(build)], check=True, capture_output=True)
        log(f"{name}: Yosys done in {time.perf_counter() - started:.0f} s")
    return build


def estimate(build: Path) -> dict:
    from e3ne.dialects import snnhw
    from e3ne.ir import parse_module
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    module = parse_module(build / "snnhw.mlir")
    accelerator = next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp))
    design = estimate_accelerator(accelerator)
    memories = sum(1 for op in accelerator.body.ops if isinstance(op, snnhw.RomOp | snnhw.BufferOp | snnhw.LogitBufferOp))
    return {**design.totals.as_dict(), "memories": memories, "parallelism": {l.name: l.parallelism for l in design.layers}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cases", default=DEFAULT_CASES,
        help=f"comma-separated, from: {', '.join(CASES)}; 'offchip' = {OFFCHIP_CASES}",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=3, help="Yosys runs in parallel")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_estimates"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [n.strip() for n in args.cases.replace("offchip", OFFCHIP_CASES).split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        builds = list(pool.map(lambda n: build_and_synth(n, out, lambda m: print(m, file=sys.stderr, flush=True)), names))
    rows = []
    header = f"{'case':<16} {'resource':<6} {'yosys':>8} {'estimate':>9} {'error':>8}"
    print(header)
    print("-" * len(header))
    for name, build in zip(names, builds):
        real = json.loads((build / "synth.json").read_text())
        guess = estimate(build)
        for key in ("lut", "ff", "carry", "bram"):
            n, m = real[key]["yosys"], guess[key]
            if key == "bram":
                error = f"{m - n:+g} blk"
            else:
                error = f"{(m - n) / n:+.1%}" if n else "-"
            print(f"{name:<16} {key:<6} {n:>8g} {m:>9g} {error:>8}")
            rows.append({"case": name, "resource": key, "yosys": n, "estimate": m})
        print(f"{'':<16} ({guess['memories']} memories; {real['ramb36']} RAMB36 + {real['ramb18']} RAMB18 in Yosys)")
    (out / "bench.json").write_text(json.dumps(rows, indent=2) + "\n")
    worst = {
        key: max(abs(r["estimate"] - r["yosys"]) / r["yosys"] for r in rows if r["resource"] == key and r["yosys"])
        for key in ("lut", "ff")
    }
    print(f"worst |error|: LUT {worst['lut']:.1%}, FF {worst['ff']:.1%} (target: within 20%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
