"""Hardware numbers of an IF MLP the size of examples/mlp (784-128-64-10), converted from its
trained ReLU weights (rate-based conversion: each layer's threshold = the 99.9th percentile of
its ReLU output on the calibration images, the next layer's weights scaled by it), rate coding,
output = last membrane of non-resetting IF neurons. Not trained as an SNN: the accuracy is that
of a naive conversion (lif-front trains real snnTorch models).

    python tools/lif_mlp_numbers.py OUT_DIR [--time-steps 8] [--images 500] [--coding rate|direct] [--synth]

Compiles with the driver (`e3ne.compile` path: quantize, health, hardware, report), simulates
the RTL on the bundled MNIST test images and, with --synth, runs Yosys; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def converted_if_mlp(time_steps: int, calibration: np.ndarray, coding: str = "rate"):
    from xdsl.dialects import func
    from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
    from xdsl.ir import Block, Region

    from e3ne.dense import numpy_to_dense
    from e3ne.dialects import snn

    state = torch.load(ROOT / "examples/mlp/weights.pt", map_location="cpu")
    layers = [(state[f"fc{k}.weight"].numpy(), state[f"fc{k}.bias"].numpy()) for k in (1, 2, 3)]
    a = calibration.reshape(len(calibration), -1).astype(np.float64)
    scale_in = 1.0  # rate spikes stand for x in [0, 1]
    input_type = TensorType(Float32Type(), [1, 1, 28, 28])
    block = Block(arg_types=[input_type])
    ops = [snn.RateEncodeOp(block.args[0], time_steps, seed=1) if coding == "rate" else snn.InputOp(block.args[0])]
    ops.append(snn.FlattenOp(ops[-1].results[0]))
    for index, (weight, bias) in enumerate(layers):
        last = index == len(layers) - 1
        a = a @ weight.T + bias
        if not last:
            a = np.maximum(a, 0)
        lam = 1.0 if last else float(np.percentile(a, 99.9))
        w = (weight * scale_in).astype(np.float32)
        out = TensorType(Float32Type(), [1, weight.shape[0]])
        ops.append(
            snn.LinearOp(ops[-1].results[0], numpy_to_dense(w, Float32Type()), numpy_to_dense(bias.astype(np.float32), Float32Type()), out)
        )
        if last:
            ops.append(snn.LifOp(ops[-1].results[0], time_steps, 1.0, 1e6, "none", "membrane"))
            ops.append(snn.ReadoutOp(ops[-1].results[0], time_steps, "last"))
        else:
            ops.append(snn.LifOp(ops[-1].results[0], time_steps, 1.0, lam, "subtract", "spikes"))
        scale_in = lam
    ops.append(func.ReturnOp(ops[-1].results[0]))
    block.add_ops(ops)
    module = ModuleOp([func.FuncOp("mlp_if", ([input_type], [ops[-2].results[0].type]), Region(block))])
    module.verify()
    return module


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--time-steps", type=int, default=8)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--weight-bits", type=int, default=4)
    parser.add_argument("--synth", action="store_true")
    parser.add_argument("--coding", choices=("rate", "direct"), default="rate")
    args = parser.parse_args()

    import e3ne
    import e3ne.driver.compiler as compiler
    import e3ne.frontend as frontend
    from e3ne.datasets import mnist, write_npz
    from e3ne.driver.options import CompileOptions

    calibration, _ = mnist("calibration")
    module = converted_if_mlp(args.time_steps, calibration, args.coding)
    # the driver's importer takes PyTorch models; hand it the IR (the LIF frontends are lif-front's)
    frontend.import_model = lambda model, shape: module
    compiler.model_of = lambda model, weights: None
    out = Path(args.out)
    x, y = mnist("test")
    out.mkdir(parents=True, exist_ok=True)
    write_npz(out / "test.npz", x[: args.images], y[: args.images])
    build = e3ne.compile(
        "converted-if-mlp", input_shape=(1, 28, 28), calibration=calibration, output=out / "build",
        options=CompileOptions(weight_bits=args.weight_bits), progress=lambda *_: None,
    )
    result = build.simulate(out / "test.npz", progress=lambda *_: None).summary
    hardware = json.loads((out / "build" / "hardware.json").read_text())
    numbers = {
        "time_steps": args.time_steps,
        "coding": args.coding,
        "weight_bits": args.weight_bits,
        "layers": [(layer["name"], layer["parallelism"], layer["cycles"]) for layer in hardware["layers"]],
        **{k: result[k] for k in ("images", "float_accuracy", "golden_accuracy", "rtl_accuracy", "mismatches", "cycles_per_image", "cycles_expected")},
    }
    if args.synth:
        synth = build.synth(progress=lambda *_: None)
        numbers["yosys"] = {k: synth.get(k) for k in ("lut", "ff", "bram36", "dsp")} if "lut" in synth else synth
    print(json.dumps(numbers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
