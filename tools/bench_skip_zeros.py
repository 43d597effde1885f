"""Dense vs --skip-zeros on real MNIST test images in Verilator: average cycles/image, mismatches
against the golden model, and images whose measured cycles equal the prediction.

    python tools/bench_skip_zeros.py mlp "" 100
    python tools/bench_skip_zeros.py fang "conv1.channels=3,conv2.channels=11,fc1.P=64,fc1.Q=5,fc2.P=10,fc2.Q=8" 100

Builds go to build/bench_skip/<net>-{dense,skip}; the table to build/bench_skip/<net>.json.
"""
import sys, json, time
from pathlib import Path
import numpy as np
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from e3ne.backend.build import build_hardware, lower_to_snnhw
from e3ne.backend.simulate import run_rtl
from e3ne.backend.cycles import image_cycles
from e3ne.datasets import mnist
from e3ne.dialects.snn import EncodeOp
from e3ne.frontend import import_model, load_model
from e3ne.interpreters.golden import run_golden
from e3ne.numerics import encode_input
from e3ne.transforms.snn.quantize_pipeline import quantize_module

net, par, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
models = {"fang": (str(ROOT / "examples/fang_cnn/model.py") + ":FangCNN", str(ROOT / "examples/fang_cnn/weights.pt")),
          "mlp": (str(ROOT / "examples/mlp/model.py") + ":MLP", str(ROOT / "examples/mlp/weights.pt"))}
model = load_model(*models[net])
calibration, _ = mnist("calibration")
test_x, _ = mnist("test")
test_x = test_x[:n]
quant = quantize_module(import_model(model, (1, 28, 28)), calibration, time_steps=4, weight_bits=4)
encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
encoded = encode_input(test_x, encode.scale.value.data, encode.time_steps.value.data)
golden = run_golden(quant, test_x)
out = {}
for skip in (False, True):
    build = Path(f"build/bench_skip/{net}-{'skip' if skip else 'dense'}")
    manifest = build_hardware(quant, build, parallelism=par or None, skip_zeros=skip, progress=lambda _: None)
    _, _, acc = lower_to_snnhw(quant, parallelism=par or None, skip_zeros=skip)
    predicted = image_cycles(acc, quant, test_x)
    t0 = time.time()
    logits, cycles = run_rtl(build, encoded, progress=lambda _: None)
    out["skip" if skip else "dense"] = {
        "mismatches": int((logits != golden).any(axis=1).sum()),
        "cycles_avg": float(cycles.mean()), "cycles_max": int(cycles.max()), "cycles_min": int(cycles.min()),
        "schedule": manifest["cycles_expected"],
        "predicted_equal": int((predicted == cycles).sum()), "images": n,
        "layers": [(l["name"], l["cycles"]) for l in manifest["layers"]],
        "seconds": round(time.time() - t0),
    }
    print(json.dumps(out, indent=1), flush=True)
Path(f"build/bench_skip/{net}.json").write_text(json.dumps(out, indent=1))
