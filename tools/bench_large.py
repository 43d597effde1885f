"""AlexNet and VGG-11 (T=6, b=6) on xcvu13p and xczu9eg: the fastest design `e3ne explore`
finds within 80% of each part, with its off-chip layers, cycles, latency and resources, the
explore command's wall time and peak memory, and the automatic off-chip choice at the
compiler's default parallelism.

No CIFAR data can be downloaded here: the weights are random (torch.manual_seed(0)) and the
calibration set is 32 random 3x32x32 images in [0, 1], which is enough for resources and
cycles (they do not depend on the weight values beyond the widths quantization derives).

    python tools/bench_large.py [--models alexnet,vgg11] [--parts xcvu13p,xczu9eg] [--out build/bench_large]
                                [--simulate]

`--simulate` also compiles each chosen design (`e3ne compile --parallelism auto --target PART`,
the same pick) and runs one synthetic image through its RTL in Verilator, off-chip weights
served by the testbench's AXI memory model: mismatches against the golden model, measured
and scheduled cycles, compile and simulation wall time (several minutes per design).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = {
    "alexnet": ("examples/alexnet/model.py", "AlexNet"),
    "vgg11": ("examples/vgg11/model.py", "VGG11"),
}


def prepare(out: Path, name: str) -> tuple[str, Path, Path]:
    import torch

    from e3ne.frontend import load_model

    path, cls = MODELS[name]
    spec = f"{ROOT / path}:{cls}"
    weights = out / f"{name}_random.pt"
    if not weights.is_file():
        torch.manual_seed(0)
        torch.save(load_model(spec, None).state_dict(), weights)
    calibration = out / "calib_random_32x3x32x32.npz"
    if not calibration.is_file():
        x = np.random.default_rng(0).random((32, 3, 32, 32)).astype(np.float32)
        np.savez(calibration, x=x)
    return spec, weights, calibration


def run_measured(argv: list[str], log: Path) -> tuple[int, float, float]:
    """(exit status, seconds, peak resident MB) of one command."""
    started = time.perf_counter()
    with log.open("w") as stream:
        process = subprocess.Popen(argv, stdout=stream, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss / 1024


def default_decisions(spec: str, weights: Path, calibration: Path, parts: list[str]) -> dict[str, dict]:
    """At the compiler's default parallelism: the automatic off-chip choice per part."""
    from e3ne.design_space import lower
    from e3ne.frontend import import_model, load_model
    from e3ne.offchip import decide
    from e3ne.transforms.snnhw.estimate import estimate_accelerator
    from e3ne.transforms.snn.quantize_pipeline import quantize_module
    from e3ne.model.parts import get_part

    x = np.load(calibration)["x"]
    quant = quantize_module(import_model(load_model(spec, str(weights)), (3, 32, 32)), x, 6, 6)
    accelerator = lower(quant, "")
    result = {}
    for name in parts:
        part = get_part(name)
        decision = decide(accelerator, part)
        design = estimate_accelerator(accelerator, offchip=decision.layers)
        result[name] = {
            "offchip": list(decision.layers),
            "onchip_bram": decision.onchip_bram,
            "bram": design.totals.bram,
            "cycles": design.cycles,
            "latency_us": round(design.cycles / part.clock_mhz, 1),
            "bytes_per_image": design.bytes_per_image,
        }
    return result


def compile_and_simulate(out: Path, model: str, part: str, spec: str, weights: Path, calibration: Path) -> dict:
    """The chosen design for `part`, compiled and simulated on one synthetic image."""
    data = out / "synthetic_1x3x32x32.npz"
    if not data.is_file():
        subprocess.run([sys.executable, "-m", "e3ne.datasets", "synthetic", str(data), "--shape", "3,32,32",
                        "--classes", "10", "--seed", "1", "--limit", "1"], check=True, capture_output=True)  # fmt: skip
    build = out / f"build_{model}_{part}"
    argv = [sys.executable, "-m", "e3ne.cli", "compile", spec, "--weights", str(weights), "--input-shape", "3,32,32",
            "--calibration", str(calibration), "--time-steps", "6", "--weight-bits", "6", "--target", part,
            "--parallelism", "auto", "-o", str(build)]  # fmt: skip
    status, compile_s, compile_mb = run_measured(argv, out / f"compile_{model}_{part}.log")
    if status != 0:
        return {"status": status, "compile_s": round(compile_s, 1)}
    argv = [sys.executable, "-m", "e3ne.cli", "simulate", str(build), "--data", str(data)]
    status, simulate_s, _ = run_measured(argv, out / f"simulate_{model}_{part}.log")
    summary = json.loads((build / "sim" / "summary.json").read_text()) if status in (0, 1) else {}
    print(f"{model} {part}: compile {compile_s:.1f} s, simulate {simulate_s:.1f} s", file=sys.stderr)
    return {
        "status": status,
        "compile_s": round(compile_s, 1),
        "compile_peak_mb": round(compile_mb),
        "simulate_s": round(simulate_s, 1),
        "mismatches": summary.get("mismatches"),
        "cycles_measured": summary.get("cycles_per_image"),
        "cycles_expected": summary.get("cycles_expected"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="alexnet,vgg11")
    parser.add_argument("--parts", default="xcvu13p,xczu9eg")
    parser.add_argument("--out", default="build/bench_large")
    parser.add_argument("--simulate", action="store_true", help="compile each chosen design and simulate one image")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = args.parts.split(",")
    rows, defaults = [], {}
    for model in args.models.split(","):
        spec, weights, calibration = prepare(out, model)
        defaults[model] = default_decisions(spec, weights, calibration, parts)
        for part in parts:
            target = out / f"explore_{model}_{part}"
            argv = [sys.executable, "-m", "e3ne.cli", "explore", spec, "--weights", str(weights),
                    "--input-shape", "3,32,32", "--calibration", str(calibration), "--time-steps", "6",
                    "--weight-bits", "6", "--target", part, "-o", str(target)]  # fmt: skip
            status, seconds, peak_mb = run_measured(argv, out / f"explore_{model}_{part}.log")
            explored = json.loads((target / "explore.json").read_text())
            chosen = explored["chosen"]
            rows.append({"model": model, "part": part, "status": status, "seconds": round(seconds, 1),
                         "peak_mb": round(peak_mb), "designs": explored["designs"], "space": explored["space"],
                         "chosen": chosen})  # fmt: skip
            print(f"{model} {part}: explore {seconds:.1f} s, {peak_mb:.0f} MB", file=sys.stderr)
            if args.simulate and chosen is not None:
                rows[-1]["rtl"] = compile_and_simulate(out, model, part, spec, weights, calibration)
    (out / "bench_large.json").write_text(json.dumps({"explore": rows, "default_parallelism": defaults}, indent=2) + "\n")

    print("| model | part | fits | cycles | latency | LUT | FF | BRAM36 | off-chip layers | explore time | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        c = row["chosen"]
        if c is None:
            print(f"| {row['model']} | {row['part']} | no | | | | | | | {row['seconds']} s | {row['peak_mb']} MB |")
            continue
        print(
            f"| {row['model']} | {row['part']} | yes | {c['cycles']:,} | {c['latency_us'] / 1000:,.2f} ms | "
            f"{c['lut']:,.0f} | {c['ff']:,.0f} | {c['bram']:g} | {', '.join(c['offchip']) or 'none'} | "
            f"{row['seconds']} s | {row['peak_mb']} MB |"
        )
    print()
    for row in rows:
        if row["chosen"]:
            print(f"{row['model']} {row['part']}: --parallelism {row['chosen']['parallelism']}")
    print()
    print("At the default parallelism (--offchip-weights auto):")
    print("| model | part | off-chip layers | BRAM36 all on-chip | BRAM36 | cycles | latency | weights read per image |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for model, per_part in defaults.items():
        for part, d in per_part.items():
            print(
                f"| {model} | {part} | {', '.join(d['offchip']) or 'none'} | {d['onchip_bram']:,g} | {d['bram']:,g} | "
                f"{d['cycles']:,} | {d['latency_us'] / 1000:,.2f} ms | {d['bytes_per_image'] / 1e6:,.1f} MB |"
            )
    if args.simulate:
        print()
        print("The chosen designs in RTL (one synthetic image, Verilator):")
        print("| model | part | mismatches | cycles measured | cycles scheduled | compile | build + simulate |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for row in rows:
            rtl = row.get("rtl")
            if rtl:
                print(
                    f"| {row['model']} | {row['part']} | {rtl.get('mismatches')} | {rtl.get('cycles_measured') or 0:,} | "
                    f"{rtl.get('cycles_expected') or 0:,} | {rtl['compile_s']} s | {rtl.get('simulate_s')} s |"
                )
    failed = [row for row in rows if row["status"] != 0 or row.get("rtl", {}).get("status", 0) != 0]
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
