"""Cycles against one parallelism parameter: does more hardware give proportionally fewer cycles?

Compiles the Fang CNN (examples/fang_cnn, T=4, b=4) once per value of one parameter (default
`conv2.channels` = 1, 2, 4, 8, 16, 32, the rest as in --base), simulates a few images of each
in Verilator (measured cycles must equal the schedule, logits the golden model) and prints,
for the swept layer, its cycles beside the ideal for that parallelism (its cycles at value 1
divided by the value) and their ratio (target: at most 1.15), and the whole network's cycles.

    python tools/bench_parallelism.py [--sweep conv2.channels=1,2,4,8,16,32] [--images 3] [--no-sim]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from e3ne.backend.build import build_hardware  # noqa: E402
from e3ne.backend.simulate import run_rtl  # noqa: E402
from e3ne.datasets import mnist  # noqa: E402
from e3ne.dialects.snn import EncodeOp  # noqa: E402
from e3ne.frontend import import_model, load_model  # noqa: E402
from e3ne.interpreters.golden import run_golden  # noqa: E402
from e3ne.numerics import encode_input  # noqa: E402
from e3ne.transforms.snn.quantize_pipeline import quantize_module  # noqa: E402

BASE = "conv1.channels=4,conv2.channels=8,fc1.P=32,fc1.Q=5,fc2.P=10,fc2.Q=8"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default="conv2.channels=1,2,4,8,16,32", help="layer.key=v1,v2,...")
    parser.add_argument("--base", default=BASE, help="the other parallelism settings")
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--no-sim", action="store_true", help="schedule only (no Verilator)")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_parallelism"))
    args = parser.parse_args()
    target, _, values_text = args.sweep.partition("=")
    layer, _, key = target.partition(".")
    values = [int(v) for v in values_text.split(",")]

    model = load_model(str(ROOT / "examples/fang_cnn/model.py:FangCNN"), str(ROOT / "examples/fang_cnn/weights.pt"))
    calibration, _ = mnist("calibration")
    x, _ = mnist("test")
    x = x[: args.images]
    quant = quantize_module(import_model(model, (1, 28, 28)), calibration, time_steps=4, weight_bits=4)
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    encoded = encode_input(x, encode.scale.value.data, encode.time_steps.value.data)
    golden = run_golden(quant, x)
    base = [item for item in args.base.split(",") if item and not item.startswith(f"{target}=")]

    print(f"{target:>18}{'layer cycles':>14}{'ideal':>10}{'ratio':>8}{'network':>10}{'measured':>10}  bit-exact")
    reference = None
    failed = False
    for value in values:
        spec = ",".join([*base, f"{target}={value}"])
        build = Path(args.out) / f"{layer}_{key}_{value}"
        manifest = build_hardware(quant, build, parallelism=spec, progress=lambda _: None)
        stage = next(entry for entry in manifest["layers"] if entry["name"] == layer)
        if reference is None:
            reference = stage["cycles"] * values[0]
        ideal = reference / value
        measured, exact = "-", "-"
        if not args.no_sim:
            logits, cycles = run_rtl(build, encoded, progress=lambda _: None)
            measured = int(cycles.max())
            ok = bool(np.array_equal(logits, golden)) and set(cycles.tolist()) == {manifest["cycles_expected"]}
            exact = "yes" if ok else "NO"
            failed |= not ok
        ratio = stage["cycles"] / ideal
        failed |= ratio > 1.15
        print(f"{value:>18}{stage['cycles']:>14}{ideal:>10.0f}{ratio:>8.3f}{manifest['cycles_expected']:>10}"
              f"{measured:>10}  {exact}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
