"""The unit schedules of the hardware model (e3ne.model.units), on numbers worked out by hand
from the formulas in the docstrings, and on the cases whose cycles the RTL simulations of
test/unit/lowering measure (test_hw_offchip: the measured cycles equal the schedule there)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from e3ne.model.kinds import PoolMode
from e3ne.model.memory import MemoryModel
from e3ne.model.units import (
    ADDEND_LATENCY,
    PIPELINE_LATENCY,
    POOL_COMBINE_LATENCY,
    POOL_INPUT_LATENCY,
    TREE_TERMS_PER_CYCLE,
    ConvShape,
    LinearShape,
    PoolShape,
    addend_latency,
    chunk_count,
    pipeline_latency,
    tree_stages,
    window_output,
)


def mlp_fc1(**changes) -> LinearShape:
    """The MLP's fc1: 784 -> 128 on 1x28x28 inputs (28-spike rows, 28 rows x T = 4 words), P = 16."""
    shape = LinearShape(
        in_features=784, out_features=128, parallelism=16, time_steps=4, weight_bits=4,
        accumulator_width=16, output_layer=False, input_word_width=28, input_depth=112,
    )  # fmt: skip
    return replace(shape, **changes)


def test_helpers():
    # 4 memory read registers, selected spikes, their broadcast register, gated sum, accumulator, potential
    assert PIPELINE_LATENCY == 9
    assert chunk_count(7, 5, 2) == 3 + 1  # word 0: bits 0-1, 2-3, 4; word 1: bits 0-1
    assert chunk_count(784, 28, 4) == 28 * 7
    assert chunk_count(784, 28, 5) == 28 * 6  # ceil(28/5) = 6 chunks a word
    assert chunk_count(24, 4, 1) == 24
    assert window_output(28, 3, 1, 1) == 28 and window_output(28, 5, 1, 0) == 24
    assert window_output(5, 2, 2, 0) == 2 and window_output(8, 5, 2, 2) == 4


def test_wide_adder_trees_take_one_more_cycle():
    """Trees of more than TREE_TERMS_PER_CYCLE = 2 terms: two registered levels."""
    assert TREE_TERMS_PER_CYCLE == 2
    assert [tree_stages(n) for n in (1, 2, 3, 4, 5, 8, 25)] == [1, 1, 2, 2, 2, 2, 2]
    assert (addend_latency(2), addend_latency(5), addend_latency(8)) == (ADDEND_LATENCY, 4, 4) == (3, 4, 4)
    assert (pipeline_latency(2), pipeline_latency(5), pipeline_latency(8)) == (PIPELINE_LATENCY, 10, 10) == (9, 10, 10)
    q2 = mlp_fc1(parallelism=64, input_parallelism=2)
    assert (q2.addend_latency, q2.pipeline_latency) == (3, 9)
    assert q2.cycles() == 2 * 392 * 4 + 9 + 4  # 14 chunks of 2 spikes per 28-spike word
    q5, q8 = mlp_fc1(parallelism=64, input_parallelism=5), mlp_fc1(parallelism=64, input_parallelism=8)
    assert (q5.addend_latency, q5.pipeline_latency, q8.addend_latency, q8.pipeline_latency) == (4, 10, 4, 10)
    assert q5.cycles() == 2 * 168 * 4 + 10 + 4  # 6 chunks of <= 5 spikes per 28-spike word
    assert q8.cycles() == 2 * 112 * 4 + 10 + 4  # 4 chunks of <= 8 spikes per word
    assert q8.overhead_cycles() == 10 + 4
    memory = MemoryModel(axi_data_width=128, memory_latency=16)
    assert q8.cycles(memory) == q8.streaming(memory).cycles == q8.issue_cycles(memory) + 10 + 4
    conv = dict(
        in_shape=(1, 28, 28), stride=(1, 1), padding=(2, 2), columns=28, channels=4, units=1,
        time_steps=4, weight_bits=4, accumulator_width=16,
    )  # fmt: skip
    k5 = ConvShape(out_shape=(8, 28, 28), kernel=(5, 5), **conv)
    k7 = ConvShape(out_shape=(8, 26, 26), kernel=(7, 7), **conv)
    k1 = ConvShape(out_shape=(8, 28, 32), kernel=(5, 1), **conv)  # kernel_w = 1: one term
    assert (k1.pipeline_latency, k5.pipeline_latency, k7.pipeline_latency) == (9, 10, 10)
    assert k7.cycles() == k7.issue_cycles() + 10 + 4 * 4
    pool = PoolShape(PoolMode.MAX, 4, (24, 24), (12, 12), (2, 2), (2, 2), (0, 0), 4)
    assert (pool.addend_latency, pool.pipeline_latency) == (3, 9)


def test_linear_hidden_layer():
    fc1 = mlp_fc1()
    assert (fc1.groups, fc1.chunks, fc1.lanes) == (8, 784, 16)
    assert fc1.group_cycles == 784 * 4 == 3136
    assert fc1.ideal_cycles == 8 * 784 * 4 == 25_088
    assert fc1.drain_cycles == 4  # T bit-planes
    assert fc1.cycles() == 8 * 784 * 4 + PIPELINE_LATENCY + 4
    assert fc1.overhead_cycles() == PIPELINE_LATENCY + 4 and fc1.stall_cycles() == 0
    assert (fc1.word_width, fc1.rom_depth, fc1.group_words) == (64, 6272, 784)
    assert fc1.output_depth == 8 * 4


def test_linear_input_parallelism():
    q4 = mlp_fc1(parallelism=64, input_parallelism=4)
    assert (q4.groups, q4.chunks) == (2, 196)
    assert q4.cycles() == 2 * 196 * 4 + PIPELINE_LATENCY + 1 + 4  # Q = 4 > 2 terms: a two-level tree, one cycle
    assert (q4.rom_lanes, q4.word_width, q4.rom_depth) == (256, 1024, 392)


def test_linear_output_layer_drains_p_logits():
    fc2 = LinearShape(
        in_features=128, out_features=10, parallelism=10, time_steps=4, weight_bits=4,
        accumulator_width=14, output_layer=True, input_word_width=16, input_depth=32,
    )  # fmt: skip
    assert (fc2.groups, fc2.chunks, fc2.drain_cycles) == (1, 128, 10)
    assert fc2.cycles() == 128 * 4 + PIPELINE_LATENCY + 10
    assert fc2.output_depth == 10


def test_linear_streamed_weights():
    # fc1 at P = 16 from a 128-bit memory with latency 16: 64-bit words are one beat each,
    # a group of 784 words is fetched in 16 + 784 = 800 cycles, computed in 3136: only the
    # first fetch (+1 for the bank's ready register) is waited for.
    fc1 = mlp_fc1()
    memory = MemoryModel(128, 16)
    streaming = fc1.streaming(memory)
    assert streaming.fetch_cycles == 800 and streaming.hides_bandwidth
    assert fc1.issue_cycles(memory) == 800 + 8 * 3136 + 1 == 25_889
    assert fc1.stall_cycles(memory) == 801
    assert fc1.cycles(memory) == streaming.cycles == 25_889 + PIPELINE_LATENCY + 4
    assert fc1.overhead_cycles(memory) == 801 + PIPELINE_LATENCY + 4


def conv(**changes) -> ConvShape:
    """A 3x3 padded convolution, 1x28x28 -> 32x28x28, T = 4, 4-bit weights (kernel_w = 3 > 2
    terms: a two-level adder tree, one cycle more than PIPELINE_LATENCY)."""
    shape = ConvShape(
        in_shape=(1, 28, 28), out_shape=(32, 28, 28), kernel=(3, 3), stride=(1, 1), padding=(1, 1),
        columns=7, channels=4, units=2, time_steps=4, weight_bits=4, accumulator_width=10,
    )  # fmt: skip
    return replace(shape, **changes)


def test_conv_read_bound_rows():
    unit = conv()
    assert (unit.lanes, unit.groups, unit.blocks) == (8, 4, 4)
    assert unit.block_cycles == 1 * 4 * 3  # IC * T * KH rows a column block
    assert unit.drain_cycles == 8 * 4
    assert unit.row_cycles == max(4 * 12, 32) == 48
    assert unit.group_cycles == 28 * 48
    assert unit.ideal_cycles == 4 * 28 * 4 * 12 == 5376
    assert unit.cycles() == 4 * 28 * 48 + PIPELINE_LATENCY + 1 + 32
    assert unit.overhead_cycles() == PIPELINE_LATENCY + 1 + 32
    assert (unit.group_words, unit.rom_lanes, unit.word_width, unit.rom_depth) == (3, 24, 96, 12)
    assert unit.input_depth == 1 * 28 * 4
    assert unit.written_shape == (32, 28, 28) and unit.pool_value_bits == 0


def test_conv_drain_bound_rows():
    unit = conv(columns=28, channels=8, units=1)  # one column block of 12 reads, 32 drain cycles
    assert unit.row_cycles == 32
    assert unit.cycles() == 4 * 28 * 32 + PIPELINE_LATENCY + 1 + 32
    assert unit.overhead_cycles() == unit.cycles() - 4 * 28 * 12


def test_conv_fused_pooling():
    unit = conv(columns=28, channels=8, units=1, pool_mode=PoolMode.MAX, pool_kernel=(2, 2))
    assert unit.computed_size == (28, 28) and unit.written_shape == (32, 14, 14)
    assert unit.row_cycles == max(12, 32 // 2) == 16  # one written row per two computed rows
    # the neurons' outputs are registered once more before the pooling, and the row-merged
    # values before the column combine: two cycles
    assert POOL_INPUT_LATENCY == POOL_COMBINE_LATENCY == 1 and unit.pool_latency == 2
    assert unit.pipeline_latency == PIPELINE_LATENCY + 1 + 2
    assert unit.cycles() == 4 * 28 * 16 + PIPELINE_LATENCY + 1 + 2 + 32
    assert conv(columns=28, channels=8, units=1).pipeline_latency == PIPELINE_LATENCY + 1  # no pooling: no register
    assert unit.pool_value_bits == 4  # max keeps T bits
    avg = replace(unit, pool_mode=PoolMode.AVG)
    assert avg.pool_value_bits == 6  # the sum 4 * 15 plus the rounding 2 = 62 needs 6 bits
    odd = conv(out_shape=(32, 5, 5), in_shape=(1, 5, 5), columns=1, pool_mode=PoolMode.MAX, pool_kernel=(2, 2))
    assert odd.computed_size == (4, 4) and odd.written_shape == (32, 2, 2)  # floor mode


def test_pool_unit():
    pool = PoolShape(
        mode=PoolMode.MAX, channels=6, in_size=(24, 24), out_size=(12, 12), kernel=(2, 2), stride=(2, 2),
        padding=(0, 0), time_steps=4,
    )  # fmt: skip
    assert pool.row_cycles == 8 and pool.drain_cycles == 4
    assert pool.ideal_cycles == 6 * 12 * 8 == 576
    assert pool.cycles() == 576 + PIPELINE_LATENCY + 4 and pool.overhead_cycles() == PIPELINE_LATENCY + 4
    assert not pool.HAS_WEIGHTS and pool.stall_cycles(MemoryModel()) == 0
    assert pool.input_depth == 6 * 24 * 4


# --------------------------------------------------------------------------- measured in RTL
#
# test_hw_offchip simulates these units (Verilator) and asserts that the measured cycles
# equal the schedule and that the stalls are the numbers below; here the model alone gives them.


def test_rtl_mlp_fc2_waits_for_every_group():
    # test_mlp_all_offchip_low_bandwidth_stalls: 24-6-5-4 MLP, T = 3, 4-bit weights, fc2 at
    # P = 1 reads fc1's 1x1x6 output (6-spike words, 3 words) on a 32-bit bus, latency 16
    fc2 = LinearShape(
        in_features=6, out_features=5, parallelism=1, time_steps=3, weight_bits=4,
        accumulator_width=9, output_layer=False, input_word_width=6, input_depth=3,
    )  # fmt: skip
    memory = MemoryModel(32, 16)
    assert (fc2.groups, fc2.group_words, fc2.group_cycles) == (5, 6, 18)
    assert fc2.streaming(memory).fetch_cycles == 22
    assert fc2.stall_cycles(memory) == 23 + 4 * 4  # measured
    assert fc2.cycles(memory) == 5 * 18 + 39 + PIPELINE_LATENCY + 3


def test_rtl_mlp_fc1_and_fc3_only_wait_for_the_first_group():
    # test_mlp_some_offchip_enough_bandwidth_wide_axi: AXI 1024, latency 3, P = 1, 4, 2
    memory = MemoryModel(1024, 3)
    fc1 = LinearShape(
        in_features=24, out_features=6, parallelism=1, time_steps=3, weight_bits=4,
        accumulator_width=9, output_layer=False, input_word_width=4, input_depth=18,
    )  # fmt: skip
    assert fc1.stall_cycles(memory) == 3 + 24 + 1  # measured
    fc3 = LinearShape(
        in_features=5, out_features=4, parallelism=2, time_steps=3, weight_bits=4,
        accumulator_width=9, output_layer=True, input_word_width=4, input_depth=6,
    )  # fmt: skip
    assert fc3.stall_cycles(memory) == 3 + 5 + 1  # measured


def test_rtl_tiny_cnn_conv1_waits_for_slow_memory():
    # test_tiny_cnn_all_offchip_bit_exact: 8x8 input, conv 3x3 pad 1 to 3 channels with fused
    # 2x2 max pooling, one channel a group, T = 4, 4-bit weights, AXI 32, latency 100
    conv1 = ConvShape(
        in_shape=(1, 8, 8), out_shape=(3, 8, 8), kernel=(3, 3), stride=(1, 1), padding=(1, 1),
        columns=8, channels=1, units=1, time_steps=4, weight_bits=4, accumulator_width=8,
        pool_mode=PoolMode.MAX, pool_kernel=(2, 2),
    )  # fmt: skip
    memory = MemoryModel(32, 100)
    assert conv1.group_cycles == 8 * 12 == 96 and conv1.streaming(memory).fetch_cycles == 103
    assert conv1.stall_cycles(memory) == 104 + 2 * 7  # measured


@pytest.mark.parametrize(
    "shape, wide", [(mlp_fc1(), 0), (conv(), 1), (conv(pool_mode=PoolMode.AVG, pool_kernel=(2, 2)), 1)]
)
def test_cycles_split_into_issue_pipeline_and_drain(shape, wide):
    # wide: the two-level tree's cycle (fc1's Q = 1 spike, the convolution's kernel_w = 3 terms)
    for memory in (None, MemoryModel(32, 40)):
        pooled = 2 * (getattr(shape, "pool_kernel", None) is not None)  # the two registers of a fused pooling
        assert shape.cycles(memory) == shape.issue_cycles(memory) + PIPELINE_LATENCY + wide + pooled + shape.drain_cycles
        assert shape.overhead_cycles(memory) == shape.cycles(memory) - shape.ideal_cycles


def test_the_model_imports_no_ir():
    """The dialect asks the model; the model never imports xDSL (or the dialect)."""
    import subprocess
    import sys

    code = (
        "import sys, e3ne.model.units, e3ne.model.memory, e3ne.model.cost, e3ne.model.parts; "
        "print(sorted(m for m in sys.modules if m.startswith(('xdsl', 'e3ne.dialects'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
