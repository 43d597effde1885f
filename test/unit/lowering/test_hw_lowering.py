"""Fast checks of the hardware path that need no simulator: packing, layouts, errors."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
from xdsl.ir import Block, Region

from e3ne.backend.testbench import input_words
from e3ne.backend.verilog import hex_text, hex_words
from e3ne.dense import numpy_to_dense
from e3ne.dialects import snn, snnhw
from e3ne.errors import E3NEError
from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw, pack_weights, parse_parallelism
from e3ne.lowering.snnhw_to_circt import LowerSnnhwToCirct
from e3ne.model.units import PIPELINE_LATENCY


def test_pack_weights_groups_lanes_and_pads():
    weights = np.arange(15).reshape(5, 3)  # 5 outputs, 3 inputs
    packed = pack_weights(weights, 2)  # 3 groups of 2 lanes
    assert packed.shape == (9, 2)
    # word g*in + i, lane k = W[g*P + k, i]
    assert packed[1 * 3 + 2].tolist() == [weights[2, 2], weights[3, 2]]
    assert packed[2 * 3 + 0].tolist() == [weights[4, 0], 0]


def test_hex_words_pack_lane0_lowest():
    assert hex_words(np.array([[1, -1], [-8, 7]]), 4) == ["f1", "78"]


def _hex_words_reference(data: np.ndarray, element_bits: int) -> list[str]:
    """The original per-weight Python loop that the vectorised `hex_text` replaced."""
    rows = np.asarray(data, dtype=np.int64).reshape(data.shape[0], -1)
    digits = max(1, -(-(rows.shape[1] * element_bits) // 4))
    mask = (1 << element_bits) - 1
    words = []
    for row in rows:
        word = 0
        for lane, value in enumerate(row.tolist()):
            word |= (int(value) & mask) << (lane * element_bits)
        words.append(f"{word:0{digits}x}")
    return words


@pytest.mark.parametrize(
    "rows, lanes, bits",
    # (3000, 256, 6): 1,536-bit words, more rows than one conversion chunk holds
    [(1, 1, 1), (7, 1, 3), (33, 3, 5), (100, 16, 6), (5, 8, 24), (3, 2, 32), (70000, 4, 6), (3000, 256, 6), (9, 5, 63)],
)
def test_hex_text_is_byte_identical_to_the_reference_loop(rows, lanes, bits):
    rng = np.random.default_rng(rows * lanes * bits)
    data = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=(rows, lanes), dtype=np.int64)
    data[0, 0] = -(1 << (bits - 1))  # extremes
    data[-1, -1] = (1 << (bits - 1)) - 1
    expected = "".join(word + "\n" for word in _hex_words_reference(data, bits))
    assert hex_text(data, bits) == expected


def test_input_words_follow_the_address_formula():
    time_steps, (c, h, w) = 3, (2, 2, 3)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 1 << time_steps, size=(1, c, h, w))
    layout = {"word_width": w, "words_per_step": c * h, "time_steps": time_steps}
    words = input_words(a.reshape(1, -1), layout)[0]
    for t in range(time_steps):
        for channel in range(c):
            for row in range(h):
                word = int(words[row + h * (channel + c * t)])
                for column in range(w):
                    assert (word >> column) & 1 == (a[0, channel, row, column] >> (time_steps - 1 - t)) & 1


def test_parse_parallelism():
    assert parse_parallelism(None) is None
    assert parse_parallelism(()) is None
    assert parse_parallelism(8) == [8]
    assert parse_parallelism("16,8,1") == [16, 8, 1]
    assert parse_parallelism([4, 2]) == [4, 2]


def _network() -> ModuleOp:
    block = Block(arg_types=[TensorType(Float32Type(), [1, 1, 4, 4])])
    encode = snn.EncodeOp(block.args[0], 2, 2)
    ops: list = [encode]
    value = encode.output
    flatten = snn.FlattenOp(value)
    linear = snn.LinearOp(
        flatten,
        numpy_to_dense(np.ones((3, 16), dtype=np.int64), snn.signed_type(3)),
        None,
        TensorType(snn.signed_type(8), [1, 3]),
        weight_scale=1,
        input_scale=2,
    )
    ops += [flatten, linear, func.ReturnOp(linear)]
    block.add_ops(ops)
    function = func.FuncOp("net", ([block.args[0].type], [linear.output.type]), Region(block))
    module = ModuleOp([function])
    module.verify()
    return module


def test_lowering_single_layer_verifies_and_reaches_hw():
    module = _network()
    LowerSnnToSnnhw(linear_parallelism=(2,)).apply(Context(), module)
    module.verify()
    accelerator = next(iter(module.body.ops))
    assert isinstance(accelerator, snnhw.AcceleratorOp)
    unit = accelerator.schedule().stage_ops()[0]
    # groups*in*T + pipeline (memory read registers, gated sum, accumulator, potential) + P logits
    assert unit.cycles() == 2 * 16 * 2 + PIPELINE_LATENCY + 2
    LowerSnnhwToCirct().apply(Context(), module)
    module.verify()


def test_float_network_is_rejected():
    block = Block(arg_types=[TensorType(Float32Type(), [1, 4])])
    marker = snn.InputOp(block.args[0])
    linear = snn.LinearOp(
        marker,
        numpy_to_dense(np.ones((3, 4), dtype=np.float32), Float32Type()),
        None,
        TensorType(Float32Type(), [1, 3]),
    )
    block.add_ops([marker, linear, func.ReturnOp(linear)])
    module = ModuleOp([func.FuncOp("net", ([block.args[0].type], [linear.output.type]), Region(block))])
    with pytest.raises(E3NEError, match="snn.encode|quantize"):
        LowerSnnToSnnhw().apply(Context(), module)


def test_parallelism_list_must_match_layers():
    with pytest.raises(E3NEError, match="2 values for 1 linear layers"):
        LowerSnnToSnnhw(linear_parallelism=(2, 1)).apply(Context(), _network())


def test_missing_verilator_is_a_clear_error(tmp_path, monkeypatch):
    from e3ne.backend import simulate
    from e3ne.backend.build import build_hardware

    build_hardware(_network(), tmp_path, 3, progress=lambda _: None)
    monkeypatch.setattr(simulate.shutil, "which", lambda _: None)
    with pytest.raises(E3NEError, match="verilator-cli not found"):
        simulate.run_rtl(tmp_path, np.zeros((1, 1, 4, 4), dtype=np.int64), progress=lambda _: None)


def test_inputs_out_of_range_are_rejected(tmp_path):
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl

    build_hardware(_network(), tmp_path, 3, progress=lambda _: None)
    with pytest.raises(E3NEError, match=r"must lie in \[0, 3\]"):
        run_rtl(tmp_path, np.full((1, 1, 4, 4), 4), progress=lambda _: None)


def test_conv_weight_packing_is_lane_major_per_kernel_row():
    from e3ne.lowering.snn_to_snnhw import pack_conv_weights

    weights = np.arange(3 * 2 * 2 * 3).reshape(3, 2, 2, 3)  # OC 3, IC 2, 2x3 kernel
    packed = pack_conv_weights(weights, lanes=2)  # 2 groups (the second half empty)
    assert packed.shape == (2 * 2 * 2, 2 * 3)
    for g in range(2):
        for ic in range(2):
            for ky in range(2):
                word = packed[(g * 2 + ic) * 2 + ky]
                for lane in range(2):
                    oc = g * 2 + lane
                    expected = weights[oc, ic, ky] if oc < 3 else np.zeros(3)
                    assert np.array_equal(word[lane * 3 : lane * 3 + 3], expected)


def test_linear_weight_packing_with_input_parallelism():
    from e3ne.model.units import chunk_count

    weights = np.arange(1, 2 * 7 + 1).reshape(2, 7)  # 7 inputs in words of 5 bits (5 + 2)
    packed = pack_weights(weights, 2, q=2, word_width=5)
    assert chunk_count(7, 5, 2) == 3 + 1  # word 0: bits 0-1, 2-3, 4; word 1: bits 0-1
    assert packed.shape == (4, 4)
    # lane q*P + k holds W[k, feature of spike q]; chunk 2 has one spike (bit 4), chunk 3 is word 1
    assert packed[0].tolist() == [weights[0, 0], weights[1, 0], weights[0, 1], weights[1, 1]]
    assert packed[2].tolist() == [weights[0, 4], weights[1, 4], 0, 0]
    assert packed[3].tolist() == [weights[0, 5], weights[1, 5], weights[0, 6], weights[1, 6]]
    assert np.array_equal(pack_weights(weights, 2), pack_weights(weights, 2, q=1, word_width=5))
