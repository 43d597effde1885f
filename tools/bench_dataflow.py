"""Sequential vs dataflow schedule on the MLP and the Fang CNN: cycles in Verilator, Yosys cost.

For each network (MLP with its default parallelism, Fang CNN with tools/bench_fang.py's
"fast" parallelism) and each schedule it builds the RTL, streams N real MNIST test images
back to back through Verilator in one run (dataflow: first image = latency, the others =
completion interval), compares every logit with the golden model, and synthesises the
design with Yosys (synth_xilinx -family xc7 -flatten, as `e3ne synth`).

    python tools/bench_dataflow.py [--images 20] [--only mlp|fang] [--no-synth] [--out build/bench_dataflow]
        [--parallelism NETWORK=SPEC ...]   # other parallelism (e.g. explore's dataflow pick), named NETWORK-custom
        [--skip-zeros]                     # both schedules with zero skipping (docs/zero-skipping.md)

With --skip-zeros the cycles depend on the image: every image's reported count (latency or
interval) must equal the prediction (e3ne.backend.cycles.stream_cycles), and the table gives
the averages: the interval measured, and each image's latency alone (1 + the sum of its
stages' cycles, e3ne.backend.cycles.image_cycles; the stream's first image measures it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from e3ne.backend.build import build_hardware, lower_to_snnhw  # noqa: E402
from e3ne.backend.cycles import image_cycles, stream_cycles  # noqa: E402
from e3ne.backend.simulate import run_rtl  # noqa: E402
from e3ne.backend.synth import run_yosys  # noqa: E402
from e3ne.datasets import mnist  # noqa: E402
from e3ne.dialects.snn import EncodeOp  # noqa: E402
from e3ne.frontend import import_model  # noqa: E402
from e3ne.frontend.loader import load_model  # noqa: E402
from e3ne.interpreters.golden import run_golden  # noqa: E402
from e3ne.model.parts import get_part  # noqa: E402
from e3ne.numerics import encode_input  # noqa: E402
from e3ne.transforms.snn.quantize_pipeline import quantize_module  # noqa: E402

NETWORKS = {
    "mlp": ("examples/mlp/model.py:MLP", "examples/mlp/weights.pt", ""),
    "fang": (
        "examples/fang_cnn/model.py:FangCNN",
        "examples/fang_cnn/weights.pt",
        "conv1.channels=3,conv2.channels=11,fc1.P=64,fc1.Q=5,fc2.P=10,fc2.Q=8",  # bench_fang.py "fast"
    ),
}
COUNTS = ("lut", "ff", "carry", "ramb36", "ramb18", "dsp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--only", choices=sorted(NETWORKS), default=None)
    parser.add_argument("--no-synth", action="store_true")
    parser.add_argument("--out", default="build/bench_dataflow")
    parser.add_argument("--parallelism", action="append", default=[], metavar="NETWORK=SPEC")
    parser.add_argument("--skip-zeros", action="store_true")
    args = parser.parse_args()
    networks = dict(NETWORKS)
    for item in args.parallelism:
        network, _, spec = item.partition("=")
        networks[f"{network}-custom"] = (*NETWORKS[network][:2], spec)
    calibration, _ = mnist("calibration")
    test_x, _ = mnist("test")
    test_x = test_x[: args.images]
    quiet = lambda _: None  # noqa: E731
    rows = []
    for name, (model_text, weights, parallelism) in networks.items():
        if args.only and name.partition("-")[0] != args.only or args.parallelism and not name.endswith("-custom"):
            continue
        model_path, _, cls = model_text.partition(":")
        model = load_model(f"{ROOT / model_path}:{cls}", str(ROOT / weights))
        quant = quantize_module(import_model(model, (1, 28, 28)), calibration, time_steps=4, weight_bits=4)
        encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
        encoded = encode_input(test_x, encode.scale.value.data, encode.time_steps.value.data)
        golden = run_golden(quant, test_x)
        for schedule in ("sequential", "dataflow"):
            build = Path(args.out) / f"{name}-{schedule}{'-skip' if args.skip_zeros else ''}"
            settings = dict(parallelism=parallelism or None, schedule=schedule, skip_zeros=args.skip_zeros)
            manifest = build_hardware(quant, build, progress=quiet, **settings)
            firsts: list[int] = []
            logits, cycles = run_rtl(build, encoded, progress=quiet, shards=1, first_images=firsts)
            later = np.delete(cycles, firsts)
            skipping = {}
            if args.skip_zeros:
                _, _, accelerator = lower_to_snnhw(quant, **settings)
                alone = image_cycles(accelerator, quant, test_x) + (schedule == "dataflow")
                predicted = alone
                if schedule == "dataflow":
                    classes = manifest["logits"]["count"]
                    predicted = stream_cycles(accelerator, quant, test_x, firsts, manifest["input"]["depth"], classes)
                skipping = {
                    "cycle_mismatches": int((predicted != cycles).sum()),
                    "latency_alone_average": round(float(alone.mean()), 1),
                    "interval_average": round(float((later if schedule == "dataflow" else cycles).mean()), 1),
                }
            row = {
                "network": name,
                "schedule": schedule,
                "parallelism": parallelism or "default",
                "stage_cycles": [layer["cycles"] for layer in manifest["layers"]],
                "latency_expected": manifest["cycles_expected"],
                "interval_expected": manifest.get("interval_expected", manifest["cycles_expected"]),
                "latency_measured": int(cycles[0]),
                "intervals_measured": sorted(set(later.tolist())) if schedule == "dataflow" else None,
                "cycles_measured": sorted(set(cycles.tolist())),
                "images": len(encoded),
                "mismatches": int((logits != golden).any(axis=1).sum()),
                **skipping,
            }
            if not args.no_synth:
                sources = [f"{manifest['top']}.sv", "e3ne_primitives.sv"]
                result = run_yosys(build / "rtl", sources, get_part("xc7z020"), manifest["top"], build / "synth.log", progress=quiet)
                row.update({key: result["counts"][key] for key in COUNTS})
                row["yosys_command"] = result["command"]
            print(json.dumps(row), flush=True)
            rows.append(row)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "bench_dataflow.json").write_text(json.dumps(rows, indent=2) + "\n")
    print()
    print(f"{'design':<22}{'latency':>9}{'interval':>10}{'measured':>36}{'mismatch':>9}" + "".join(f"{k:>8}" for k in COUNTS))
    for row in rows:
        measured = row["intervals_measured"] or row["cycles_measured"]
        if "interval_average" in row:  # data-dependent: the averages, and the images off the prediction
            measured = [f"avg {row['latency_alone_average']}", f"{row['interval_average']} ({row['cycle_mismatches']} off)"]
        print(
            f"{row['network'] + ' ' + row['schedule']:<22}{row['latency_expected']:>9}{row['interval_expected']:>10}"
            f"{str(row['latency_measured']) + '/' + ','.join(map(str, measured)):>36}{row['mismatches']:>9}"
            + "".join(f"{row.get(k, '-'):>8}" for k in COUNTS)
        )


if __name__ == "__main__":
    main()
