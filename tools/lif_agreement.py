"""Golden model (integer) vs float model (= snnTorch) of the trained IF/LIF examples on the
bundled MNIST test images: class agreement and |golden - float| spike count per output
(docs/lif.md "Golden model vs float model").

    python tools/lif_agreement.py [--images 1000] [--weight-bits 4] [--examples snntorch_mlp,...]

Each example is imported as `e3ne compile` does (direct and rate coding, T' = the example's
TIME_STEPS), quantized with `quantize_module` on the 256 `calib` images, and run by
`run_float` and `run_golden`. Prints one markdown row per example and coding.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLES = {"snntorch_mlp": "LeakyMLP", "snntorch_cnn": "LeakyCNN", "snntorch_fang": "LeakyFangCNN"}


def measure(folder: str, coding: str, images: int, weight_bits: int = 4, sigma: float = 3.0) -> dict:
    from e3ne.datasets import mnist
    from e3ne.driver.options import CompileOptions
    from e3ne.frontend.spiking.entry import import_network
    from e3ne.interpreters.agreement import count_agreement
    from e3ne.interpreters.float_model import run_float
    from e3ne.interpreters.golden import run_golden
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    import importlib.util

    spec = importlib.util.spec_from_file_location(f"example_{folder}", ROOT / "examples" / folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    steps = module.TIME_STEPS
    options = CompileOptions(time_steps=steps, weight_bits=weight_bits, sigma=sigma, coding=coding)
    model = f"{ROOT / 'examples' / folder / 'model.py'}:{EXAMPLES[folder]}"
    float_module = import_network(model, ROOT / "examples" / folder / "weights.pt", (1, 28, 28), options)
    calibration, _ = mnist("calib")
    x, y = mnist("test")
    x, y = x[:images], y[:images]
    quant_module = quantize_module(float_module, calibration, weight_bits=weight_bits, sigma=sigma)
    float_counts, golden_counts = run_float(float_module, x), run_golden(quant_module, x)
    stats = count_agreement(float_counts, golden_counts)
    stats.update(
        example=folder, coding=coding, time_steps=steps, weight_bits=weight_bits, sigma=sigma,
        float_accuracy=float((float_counts.argmax(1) == y).mean()),
        golden_accuracy=float((golden_counts.argmax(1) == y).mean()),
    )  # fmt: skip
    return stats


def row(s: dict) -> str:
    histogram = ", ".join(f"{d}: {n:,}" for d, n in enumerate(s["histogram"]) if n)
    return (
        f"| `{s['example']}` | {s['coding']}, T' = {s['time_steps']} | b = {s['weight_bits']}, r = {s['sigma']:g} | "
        f"{s['float_accuracy'] * 100:.1f}% | "
        f"{s['golden_accuracy'] * 100:.1f}% | {s['class_agreement'] * 100:.1f}% | {s['equal_outputs'] * 100:.1f}% | "
        f"{s['max_abs_diff']} | {s['mean_abs_diff']:.3f} | {histogram} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--weight-bits", type=int, default=4)
    parser.add_argument("--sigma", type=float, default=3.0, help="weight clipping in standard deviations (r)")
    parser.add_argument("--examples", default=",".join(EXAMPLES))
    parser.add_argument("--codings", default="direct,rate")
    args = parser.parse_args()
    print(
        "| example | coding | weights | float acc. | golden acc. | same class | same count | max abs diff | mean abs diff | "
        "outputs by abs diff |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for folder in args.examples.split(","):
        for coding in args.codings.split(","):
            print(row(measure(folder, coding, args.images, args.weight_bits, args.sigma)), flush=True)


if __name__ == "__main__":
    main()
