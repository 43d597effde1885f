"""Fang CNN (examples/fang_cnn, T=4, b=4) against E3NE's own hardware for it.

Compiles two configurations (fast: at most E3NE's LUTs, at most 17,879 cycles; small: at most
half of E3NE's LUT+FF, at most 178,790 cycles), synthesises each with the same Yosys command
as E3NE's figures (`synth_xilinx -family xc7 -flatten`), simulates test images in Verilator
(zero mismatches against the golden model required), and prints the table.

    python tools/bench_fang.py [--images 200] [--only fast|small] [--no-synth] [--out build/bench_fang]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from e3ne.backend.build import build_hardware  # noqa: E402
from e3ne.backend.simulate import run_rtl  # noqa: E402
from e3ne.backend.synth import run_yosys  # noqa: E402
from e3ne.datasets import mnist  # noqa: E402
from e3ne.dialects.snn import EncodeOp  # noqa: E402
from e3ne.frontend import import_model, load_model  # noqa: E402
from e3ne.interpreters.golden import run_golden  # noqa: E402
from e3ne.numerics import encode_input  # noqa: E402
from e3ne.transforms.snn.quantize_pipeline import quantize_module  # noqa: E402
from e3ne.model.parts import get_part  # noqa: E402

E3NE = {"cycles": 178_790, "lut": 17_040, "ff": 10_064, "carry": 1_287, "ramb36": 65, "ramb18": 61, "dsp": 0}
CONFIGS = {
    # target: <= 17,040 LUT and <= 17,879 cycles
    "fast": "conv1.channels=3,conv2.channels=11,fc1.P=64,fc1.Q=5,fc2.P=10,fc2.Q=8",
    # target: <= (17,040 + 10,064) / 2 LUT+FF and <= 178,790 cycles
    "small": "conv1.channels=1,conv2.channels=1,fc1.P=8,fc1.Q=5,fc2.P=2,fc2.Q=4",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--only", choices=sorted(CONFIGS))
    parser.add_argument("--no-synth", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_fang"))
    parser.add_argument("--fast", default=CONFIGS["fast"], help="parallelism of the fast configuration")
    parser.add_argument("--small", default=CONFIGS["small"], help="parallelism of the small configuration")
    args = parser.parse_args()
    configs = {"fast": args.fast, "small": args.small}
    if args.only:
        configs = {args.only: configs[args.only]}

    model = load_model(str(ROOT / "examples/fang_cnn/model.py:FangCNN"), str(ROOT / "examples/fang_cnn/weights.pt"))
    calibration, _ = mnist("calibration")
    test_x, test_y = mnist("test")
    test_x, test_y = test_x[: args.images], test_y[: args.images]
    quant = quantize_module(import_model(model, (1, 28, 28)), calibration, time_steps=4, weight_bits=4)
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    encoded = encode_input(test_x, encode.scale.value.data, encode.time_steps.value.data)
    golden = run_golden(quant, test_x)
    quiet = lambda _: None  # noqa: E731
    rows = {}
    for name, spec in configs.items():
        build = Path(args.out) / name
        manifest = build_hardware(quant, build, parallelism=spec, progress=quiet)
        began = time.monotonic()
        run_rtl(build, encoded[:1], progress=quiet)  # builds the simulator
        built = time.monotonic() - began
        began = time.monotonic()
        logits, cycles = run_rtl(build, encoded, progress=quiet)
        simulated = time.monotonic() - began
        mismatches = int((logits != golden).any(axis=1).sum())
        row = {
            "parallelism": spec,
            "cycles": int(cycles.max()),
            "cycles_expected": manifest["cycles_expected"],
            "images": len(encoded),
            "mismatches": mismatches,
            "accuracy": float((logits.argmax(axis=1) == test_y).mean()),
            "verilator_build_s": round(built, 1),
            "simulation_s": round(simulated, 1),
        }
        print(f"{name}: {spec}: {row['cycles']} cycles (schedule {row['cycles_expected']}), "
              f"{mismatches} mismatches on {len(encoded)} images, sim {simulated:.1f} s", flush=True)
        if not args.no_synth:
            rtl = build / "rtl"
            sources = [f"{manifest['top']}.sv", "e3ne_primitives.sv"]
            result = run_yosys(rtl, sources, get_part("xc7z020"), manifest["top"], build / "synth.log", progress=quiet)
            row.update({k: result["counts"][k] for k in ("lut", "ff", "carry", "ramb36", "ramb18", "dsp")})
            row["yosys_s"] = result["seconds"]
            row["command"] = result["command"]
            print(f"  yosys: {json.dumps({k: row[k] for k in ('lut', 'ff', 'carry', 'ramb36', 'ramb18', 'dsp')})}",
                  flush=True)
        rows[name] = row
        (Path(args.out) / f"{name}.json").write_text(json.dumps(row, indent=2) + "\n")

    print()
    header = f"{'design':<12}{'cycles':>10}{'LUT':>9}{'FF':>9}{'CARRY4':>8}{'RAMB36':>8}{'RAMB18':>8}{'DSP':>5}  LUT+FF"
    print(header)
    print("-" * len(header))

    def line(name: str, r: dict) -> str:
        cells = [f"{r.get(k, '-'):>{w}}" for k, w in (("lut", 9), ("ff", 9), ("carry", 8), ("ramb36", 8), ("ramb18", 8), ("dsp", 5))]
        both = r["lut"] + r["ff"] if "lut" in r else "-"
        return f"{name:<12}{r['cycles']:>10}" + "".join(cells) + f"  {both}"

    print(line("E3NE", E3NE))
    for name, r in rows.items():
        print(line(f"e3ne {name}", r))
    print()
    print(f"targets: fast <= {E3NE['lut']} LUT and <= 17879 cycles; small <= {(E3NE['lut'] + E3NE['ff']) // 2} LUT+FF "
          f"and <= {E3NE['cycles']} cycles")
    failed = any(r["mismatches"] or r["cycles"] != r["cycles_expected"] for r in rows.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
