"""Linear hardware path end to end: snn ops -> build_hardware -> Verilator -> bit-exact logits.

The reference is an independent numpy model of docs/numerics.md §5-6 written here; the
measured cycles must equal the schedule's `cycles_expected`. One Verilator build per
configuration (module-scoped fixtures); configurations beyond the default one are slow.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
from xdsl.ir import Block, Region

from e3ne.dense import numpy_to_dense
from e3ne.dialects import snn
from e3ne.numerics import accumulator_range, signed_width

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("verilator-cli") is None, reason="verilator-cli is not installed"
)

TIME_STEPS = 3
WEIGHT_BITS = 4
INPUT_SHAPE = (1, 2, 3, 4)  # 24 features, rows of 4 spikes
INPUT_SCALE = 2
IMAGES = 20


def make_network(seed: int, sizes: list[int], shifts: list[int]):
    """A random quantized MLP built with the snn op constructors; returns (module, layers)."""
    rng = np.random.default_rng(seed)
    x = func.FuncOp("mlp", ([TensorType(Float32Type(), INPUT_SHAPE)], []))
    block = x.body.block
    value = block.args[0]
    encode = snn.EncodeOp(value, INPUT_SCALE, TIME_STEPS)
    flatten = snn.FlattenOp(encode)
    ops: list = [encode, flatten]
    value = flatten.output
    layers = []
    for index, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        low, high = -(1 << (WEIGHT_BITS - 1)), (1 << (WEIGHT_BITS - 1)) - 1
        weight = rng.integers(low, high + 1, size=(n_out, n_in))
        bias = rng.integers(-20, 21, size=n_out)
        width = signed_width(*accumulator_range(weight, bias, TIME_STEPS))
        linear = snn.LinearOp(
            value,
            numpy_to_dense(weight, snn.signed_type(WEIGHT_BITS)),
            numpy_to_dense(bias, snn.signed_type(32)),
            TensorType(snn.signed_type(width), [1, n_out]),
            weight_scale=3,
            input_scale=INPUT_SCALE,
        )
        ops.append(linear)
        value = linear.output
        last = index == len(sizes) - 2
        if not last:
            neuron = snn.RadixNeuronOp(value, shifts[index], TIME_STEPS, 2)
            ops.append(neuron)
            value = neuron.output
        layers.append((weight, bias, None if last else shifts[index]))
    ops.append(func.ReturnOp(value))
    for op in ops:
        block.add_op(op)
    function = func.FuncOp(
        "mlp", ([TensorType(Float32Type(), INPUT_SHAPE)], [value.type]), Region(x.body.detach_block(block))
    )
    module = ModuleOp([function])
    module.verify()
    return module, layers


def reference(encoded: np.ndarray, layers) -> np.ndarray:
    """docs/numerics.md §5-6, written out independently of e3ne.numerics."""
    a = encoded.reshape(encoded.shape[0], -1).astype(np.int64)
    top = (1 << TIME_STEPS) - 1
    for weight, bias, shift in layers:
        v = a @ weight.T + bias
        if shift is None:
            return v
        positive = np.maximum(v, 0)
        if shift >= 1:
            out = (positive + (1 << (shift - 1))) // (1 << shift)
        else:
            out = positive * (1 << -shift)
        a = np.minimum(out, top)
    raise AssertionError("no output layer")


def run_case(tmp_path_factory, sizes, shifts, parallelism, seed):
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl

    module, layers = make_network(seed, sizes, shifts)
    build = tmp_path_factory.mktemp("hw")
    manifest = build_hardware(module, build, linear_parallelism=parallelism, progress=lambda _: None)
    rng = np.random.default_rng(seed + 1)
    encoded = rng.integers(0, 1 << TIME_STEPS, size=(IMAGES, *INPUT_SHAPE[1:]))
    encoded[0] = 0
    encoded[1] = (1 << TIME_STEPS) - 1
    logits, cycles = run_rtl(build, encoded, progress=lambda _: None)
    return module, layers, build, manifest, encoded, logits, cycles


SIZES = [24, 6, 5, 4]
SHIFTS = [3, -1]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    # P = 1 (layer 1), P = 4 not dividing 5 outputs (layer 2), P = 2 dividing 4 (output layer)
    return run_case(tmp_path_factory, SIZES, SHIFTS, [1, 4, 2], seed=7)


def check(case):
    module, layers, build, manifest, encoded, logits, cycles = case
    expected = reference(encoded, layers)
    assert logits.shape == expected.shape
    np.testing.assert_array_equal(logits, expected)
    assert (cycles == manifest["cycles_expected"]).all(), (cycles, manifest["cycles_expected"])
    ideal = sum(layer["ideal_cycles"] for layer in manifest["layers"])
    assert manifest["cycles_expected"] <= ideal + sum(layer["overhead_cycles"] for layer in manifest["layers"])
    return module, encoded, logits


def test_mixed_parallelism_bit_exact(mixed):
    check(mixed)


def test_manifest_describes_layers(mixed):
    _, _, build, manifest, *_ = mixed
    on_disk = json.loads((build / "hardware.json").read_text())
    assert [layer["parallelism"] for layer in on_disk["layers"]] == [1, 4, 2]
    assert on_disk["cycles_expected"] == sum(layer["cycles"] for layer in on_disk["layers"])
    assert (build / "rtl" / "tb.sv").is_file() and (build / "snnhw.mlir").is_file() and (build / "hw.mlir").is_file()
    assert any(p.suffix == ".hex" for p in (build / "rtl").iterdir())


def test_golden_model_agrees(mixed):
    golden = pytest.importorskip("e3ne.interpreters.golden")
    module, encoded, logits = check(mixed)
    x = encoded.astype(np.float32) / (1 << INPUT_SCALE)
    np.testing.assert_array_equal(golden.run_golden(module, x.reshape(-1, *INPUT_SHAPE[1:])), logits)


def test_simulator_is_cached(mixed):
    from e3ne.backend.simulate import run_rtl

    _, _, build, manifest, encoded, logits, _ = mixed
    stamp = build / "sim" / "obj_dir" / "Vtb"
    before = stamp.stat().st_mtime
    again, cycles = run_rtl(build, encoded[:3], progress=lambda _: None)
    assert stamp.stat().st_mtime == before
    np.testing.assert_array_equal(again, logits[:3])


@pytest.mark.slow
@pytest.mark.parametrize("parallelism", [1, 3, 6])
def test_global_parallelism_bit_exact(tmp_path_factory, parallelism):
    check(run_case(tmp_path_factory, SIZES, [2, 0], parallelism, seed=11 + parallelism))


def test_wide_adder_tree_bit_exact_with_its_extra_cycle(tmp_path_factory):
    """fc2 Q = 8 and fc3 Q = 7 (wider than TREE_TERMS_PER_CYCLE = 2; 8-spike input words):
    their gated adder trees run in two registered levels (partial sums of 2 + 2 + 2 + 2 and
    2 + 2 + 2 + 1 terms, then their sum), one cycle more per unit; fc1 (Q = 1) keeps one
    level. Bit-exact, and the measured cycles equal the schedule's."""
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl

    module, layers = make_network(5, [24, 16, 12, 10], [3, 1])
    build = tmp_path_factory.mktemp("hw")
    setting = "fc1.P=8,fc2.P=8,fc2.Q=8,fc3.P=5,fc3.Q=7"
    manifest = build_hardware(module, build, parallelism=setting, progress=lambda _: None)
    rng = np.random.default_rng(6)
    encoded = rng.integers(0, 1 << TIME_STEPS, size=(IMAGES, *INPUT_SHAPE[1:]))
    encoded[1] = (1 << TIME_STEPS) - 1
    logits, cycles = run_rtl(build, encoded, progress=lambda _: None)
    check((module, layers, build, manifest, encoded, logits, cycles))
    # pipeline: 4 read registers, selected spikes, their broadcast register, the tree's 1 or 2
    # levels, accumulator, potential (9 or 10); then the drain (T planes, or P = 5 logits for
    # the output layer)
    assert [layer["overhead_cycles"] for layer in manifest["layers"]] == [9 + 3, 10 + 3, 10 + 5]
    rtl = (build / "rtl" / "mlp.sv").read_text()
    assert "addend0_part3" in rtl and "addend0_part4" not in rtl
