"""Cost model on hand-countable pieces, and the snnhw-estimate pass on a tiny accelerator."""

from dataclasses import replace

import numpy as np
import pytest

from e3ne.model import cost
from e3ne.model.units import PIPELINE_LATENCY, LinearShape
from e3ne.ir import parse_module
from e3ne.dialects import snnhw
from e3ne.transforms.snnhw.estimate import estimate_accelerator, fit
from e3ne.model.parts import get_part
from pathlib import Path

LIT_INPUT = Path(__file__).resolve().parents[2] / "lit" / "transforms" / "snnhw" / "estimate.mlir"
# Registers as counted (every flip-flop factor 1): what the structural tests below check;
# the fitted sets (cost.XC7, cost.ECP5) scale these counts.
COUNTED = cost.Coefficients("counted")


@pytest.fixture
def counted():
    with cost.for_family(COUNTED):
        yield


def test_counter_is_a_register_an_incrementer_and_a_compare(counted):
    c = cost.counter(100)  # 0..99: 7 bits and the registered at-last flag
    assert c.ff == 7 + 1
    assert cost.counter(1).ff == 1  # a one-value counter has no flag
    assert c.carry == 2  # a 7-bit incrementer spans two CARRY4
    assert c.lut == 8


def test_block_ram_picks_the_cheapest_arrangement():
    # 512 x 64: one RAMB36 in 512x72 simple dual-port mode (cost 257 < 2 x RAMB18 = 258)
    assert cost.block_ram(64, 512)[:2] == (0, 1)
    # 1024 x 16: one RAMB18 in 1Kx18 mode
    assert cost.block_ram(16, 1024)[:2] == (1, 0)
    # 6272 x 64 (the MLP's fc1 ROM at P = 16): 3 rows of 8 RAMB18 (2Kx9) + the 128 remaining
    # words packed into one more; Yosys maps it to 25 RAMB18
    assert cost.block_ram(64, 6272) == (25, 0, 4)


def test_small_ram_goes_to_lutram_large_to_block_ram(counted):
    small = cost.ram(16, 32)  # 32 deep x 16 bits: three RAM32M (6 bits each), four 16-bit read registers
    assert (small.lut, small.ff, small.bram) == (12, 64, 0)
    # a buffer a unit reads: its 5-bit read address registered, three 16-bit read registers after it
    assert cost.ram(16, 32, address_register=True).ff == 5 + 3 * 16
    assert cost.ram(16, 32, read_latency=1).ff == 16  # the logits: the host reads them in one cycle
    large = cost.ram(28, 112)  # 20 LUTRAM units (cost 160) > one RAMB18 (cost 129)
    assert (large.lut, large.bram18, large.bram36) == (0, 1, 0)


def test_rom_bits_drop_constant_columns_and_merge_duplicates(counted):
    words = np.array([[0, 1], [0, -1], [0, 1], [0, -1]])  # lane 0 constant; lane 1 = +-1
    # lane 1 in 4 bits: 0001 / 1111 -> bit 0 constant 1, bits 1..3 vary and are identical
    assert cost.rom_bits(words, 4) == cost.RomBits(varying=3, distinct=1)
    rom = cost.rom(8, 4, "distributed", cost.rom_bits(words, 4))
    assert (rom.lut, rom.ff) == (1, 4)  # one LUT and four read registers for the distinct bit
    # a weight ROM keeps its last read register bit for bit: the three varying bits there
    kept = cost.rom(8, 4, "distributed", cost.rom_bits(words, 4), keep_output=True)
    assert (kept.lut, kept.ff) == (1, 3 * 1 + 3)
    assert cost.rom(8, 1, "distributed").lut == 0  # one word is a constant


def test_linear_unit_flip_flops_are_counted_from_its_registers(counted):
    shape = LinearShape(
        in_features=784, out_features=128, parallelism=16, time_steps=4, weight_bits=4,
        accumulator_width=16, output_layer=False, input_word_width=28, input_depth=112,
    )  # fmt: skip
    lanes = cost.linear_lanes(shape, bias_bits=0)
    # per lane: accumulator + spike shadow + the registered gated sum (one 4-bit weight, Q = 1)
    # + the registered potential (accumulator width)
    assert lanes.ff == 16 * (16 + 4 + 4 + 16)
    assert cost.linear_lanes(shape).ff == 16 * (16 + 4 + 4 + 16) + 16 * 16  # + the bias hold when unknown
    assert cost.linear_unit(shape).dsp == 0


def test_estimate_pass_sums_parts_and_reports_fit(counted):
    module = parse_module(LIT_INPUT)
    accelerator = next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp))
    design = estimate_accelerator(accelerator)
    assert [layer.name for layer in design.layers] == ["fc1", "fc2"]
    # fc1: 2 groups x 4 inputs x 2 steps, fc2: 1 group; each + the pipeline + 2 drain (LIT_INPUT)
    assert design.cycles == 16 + 8 + 2 * (PIPELINE_LATENCY + 2)
    fc2 = design.layers[1]
    assert fc2.parts["weights"].lut == 5 and fc2.parts["output"].lut == 8
    totals = design.totals
    assert totals.lut == sum(layer.cost.lut for layer in design.layers) + sum(s.lut for s in design.shared.values())
    table = fit(totals, get_part("xc7z020"))
    assert table["lut"]["available"] == 53_200 and table["lut"]["overflow"] == 0
    tiny = fit(cost.Cost(lut=60_000, bram36=150), get_part("xc7z020"))
    assert tiny["lut"]["overflow"] == 60_000 - 53_200 and tiny["bram"]["overflow"] == 10


def test_ecp5_parts_budget_lut4_ff_ebr_and_multipliers():
    part = get_part("LFE5U-85F")  # names are case-insensitive
    assert (part.family, part.lut, part.ff, part.dsp) == ("ecp5", 83_640, 83_640, 156)
    assert part.budget()["bram"] == 104  # 208 EBR (18 Kb DP16KD) = 104 36 Kb blocks
    assert get_part("lfe5u-25f").lut == 24_288 and get_part("lfe5u-45f").bram36 == 54


def test_for_family_switches_memory_mapping_and_restores():
    assert cost.coefficients() is cost.XC7
    with cost.for_family("ecp5"):
        assert cost.coefficients() is cost.ECP5
        # 16 x 16 RAM: four 16x4 TRELLIS_DPR16X4 (6 LUT4s each) instead of three RAM32M
        assert cost.ram(16, 16).lut == 4 * 6
        # 512 x 64: two DP16KD in 512x36 mode; the ECP5 has no 36 Kb block
        assert cost.block_ram(64, 512)[:2] == (2, 0)
    assert cost.coefficients() is cost.XC7
    assert cost.block_ram(64, 512)[:2] == (0, 1)


def test_estimate_takes_the_family_coefficients():
    module = parse_module(LIT_INPUT)
    accelerator = next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp))
    xc7 = estimate_accelerator(accelerator).totals
    doubled = replace(cost.XC7, **{f: 2 * getattr(cost.XC7, f) + 1 for f in ("hidden_lut_per_acc_bit", "output_lut_per_acc_bit")})
    assert estimate_accelerator(accelerator, family=doubled).totals.lut > xc7.lut
    assert estimate_accelerator(accelerator).totals.lut == xc7.lut  # the context is restored


def test_deep_block_roms_are_banked_like_the_rtl(counted):
    from e3ne.backend.verilog import ROM_BANK_DEPTH

    assert cost.ROM_BANK_DEPTH == ROM_BANK_DEPTH
    assert cost.rom_banks(512) == 1 and cost.rom_banks(513) == 2 and cost.rom_banks(4096, read_latency=2) == 1
    # 4096 x 3: eight 512-word banks, one RAMB18 each (one block of 2Kx9 if it were not split)
    rom = cost.rom(3, 4096, "block")
    assert (rom.bram18, rom.bram36) == (8, 0)
    # a 3-bit register after each bank, 2 x 3 bank-select bits; two groups of 4 banks: a 3-bit
    # register each and the 2-bit one-hot group select; one 3-bit output register
    assert cost.rom_bank_groups(4096) == 2 and cost.rom_bank_groups(4096, read_latency=3) == 0
    assert rom.ff == 8 * 3 + 2 * 3 + (2 * 3 + 2) + 3
    assert cost.rom(3, 512, "block").ff == 3 * 3  # one bank: the three output registers


def test_mux_luts_four_inputs_a_lut6():
    # a LUT6 is a 4:1 multiplexer (4 data + 2 selects); MUXF7/F8 join 2 or 4 of them
    assert [cost.mux_luts(n) for n in (1, 2, 4, 5, 8, 9, 16)] == [0, 1, 1, 2, 2, 3, 4]


def test_bank_multiplexer_is_counted_per_mux_lut(counted):
    # 4096 x 3 in eight banks: two groups' 4:1 multiplexers (a LUT6 each) and the groups' 2:1
    # multiplexer (a LUT6) per data bit, 3 bits; the banks' own blocks have no stacked rows
    assert cost.rom(3, 4096, "block").lut == 3 * (2 + 1)
    assert cost.block_rom(3, 4096, read_latency=3).lut == 3 * 2  # one 8:1 multiplexer
    # 768 x 80 (two banks, 512 + 256): a 2:1 multiplexer per bit, one LUT6 each (Yosys
    # counted 80 LUTs in net_fc1_weights of held-out seed 0, synthesized without -flatten)
    assert cost.rom(80, 768, "block").lut == 80


def test_conv_spike_select_counts_the_block_multiplexers():
    # one column block: the spike is a wire
    assert cost.conv_spike_select(columns=4, blocks=1, kernel_w=3, stride=1, pad=0, in_width=10, out_width=4) == 0
    # 1x1 kernel, columns=1, 12 blocks over a 12-wide row: one 12:1 mux (3 LUT6s)
    assert cost.conv_spike_select(columns=1, blocks=12, kernel_w=1, stride=1, pad=0, in_width=12, out_width=12) == 3
    # kernel 3, stride 2, no padding, 18 wide in, 8 out, columns=4 (blocks 0, 1): column j,
    # block k reads ix = 2*(4k + j) + kx <= 2*7 + 2 = 16 < 18, so every (j, kx) has a 2:1
    # mux (1 LUT6): 4 columns x 3 kernel columns
    assert cost.conv_spike_select(columns=4, blocks=2, kernel_w=3, stride=2, pad=0, in_width=18, out_width=8) == 12
    # padding 1, kernel 3, width 4 in and out, columns=2 (ox = 2*block + j, ix = ox + kx - 1):
    # (j=0, kx=0) reads ix = -1 (padding) in block 0 and (j=1, kx=2) ix = 4 (past the row)
    # in block 1, so those two are wires; the other 4 are 2:1 muxes
    assert cost.conv_spike_select(columns=2, blocks=2, kernel_w=3, stride=1, pad=1, in_width=4, out_width=4) == 4


def test_pool_combine_bits_rows_and_window_columns():
    # 2x2 max pooling of T=6 values, 4 lanes x 8 computed columns: each column merges the
    # new row (8 x 6 bits), each of the 4 written values its second column (4 x 1 x 6 bits)
    assert cost.pool_combine_bits(4, 8, 4, 2, 2, 6) == 4 * (8 * 6 + 4 * 6)
    assert cost.pool_combine_bits(4, 8, 8, 1, 1, 0) == 0  # no pooling


def test_conv_unit_luts_follow_the_new_nouns():
    k = cost.Coefficients(
        "one", conv_lut_per_select=1.0, pool_lut_per_combine_bit=1.0, conv_lut_per_row_bit=1.0, conv_lut_per_shadow_bit=1.0
    )
    base = dict(lanes=2, columns=2, computed_width=4, written_width=4, kernel_w=1, weight_bits=4,
                accumulator_width=8, time_steps=3, address_bits=6)  # fmt: skip
    with cost.for_family(k):
        plain = cost.conv_unit(**base).lut
        selected = cost.conv_unit(**base, select_luts=5).lut
        pooled = cost.conv_unit(**{**base, "written_width": 2}, pool_rows=2, pool_cols=2, pool_value_bits=3).lut
        wider = cost.conv_unit(**{**base, "columns": 4, "computed_width": 4}).lut
    assert selected - plain == pytest.approx(5)
    # 2x2 pooling: pool_combine_bits(2, 4, 2, 2, 2, 3) = 2 x (4 x 3 + 2 x 1 x 3) combine bits,
    # and a shadow bank half as wide (2 lanes x 2 fewer written columns x T=3 bits)
    assert pooled - plain == pytest.approx(2 * (4 * 3 + 2 * 1 * 3) - 2 * 2 * 3)
    # 4 columns instead of 2: twice the accumulators (2 more per lane), each with its
    # accumulator bits, gated weight bits and T-bit neuron output; no assembly bank (the
    # row is one column block: 2 lanes x 2 columns x T=3 assembly bits fewer)
    more = 2 * 2 * (k.conv_lut_per_acc_bit * 8 + k.conv_tree_lut_per_bit * 1 * 4 + k.bias_add_lut_per_bit * 8 + 3)
    assert wider - plain == pytest.approx(more - k.conv_lut_per_assembly_bit * 2 * 2 * 3)


def test_ecp5_mux_and_lutram_choice():
    with cost.for_family("ecp5"):
        # LUT4: a 2:1 multiplexer a LUT4 (PFUMX / L6MUX join them)
        assert [cost.mux_luts(n) for n in (2, 4, 8, 37)] == [1, 2, 4, 19]
        # 16 x 80 (held-out seeds 20 and 29's input buffers, in TRELLIS_DPR16X4 after
        # synth_ecp5): 5 rows x 4 units of 16x4, Yosys cost 20 x 4 = 80, plus half the read
        # mux (16 x 4 + 5 = 69 LUT4s) = 114.5 < one DP16KD (128): LUTRAM, 20 x 6 + 69 LUT4s
        buffer = cost.ram(16, 80)
        assert buffer.bram == 0 and buffer.lut == 20 * 6 + 69
        # 1 x 512 (seed 25's fc2_out, an EBR after synth_ecp5): 32 units (128) + 63 / 2 > 128
        assert cost.ram(1, 512).bram == 0.5


def test_tree_registers_count_the_partial_sums():
    """A registered gated sum of b = 4 bit weights: 4 + ceil(log2 terms) bits; a tree of more
    than 2 terms adds its groups' registered partial sums (pairs of 4 + 1 bits, a single term
    4 bits: 5 = 2 + 2 + 1, 8 = 4 x 2, 7 = 3 x 2 + 1 terms)."""
    assert cost.tree_bits(4, 2, 16) == 4 + 1
    assert cost.tree_bits(4, 5, 16) == (4 + 3) + 2 * (4 + 1) + 4
    assert cost.tree_bits(4, 8, 16) == (4 + 3) + 4 * (4 + 1)
    assert cost.tree_bits(4, 7, 16) == (4 + 3) + 3 * (4 + 1) + 4
    assert cost.tree_bits(4, 8, 6) == 6 + 4 * 5  # never wider than the accumulator


def test_memory_read_chains_of_three_become_shift_register_luts():
    """xc7 (`shift_register_min` = 3): a memory's read registers have no reset or enable, so
    Yosys's shregmap turns a chain of three or more into SRL16E, one LUT per bit and no
    flip-flop; shorter chains, and every chain on a family without shift-register LUTs, stay
    flip-flops. (On 10 xc7 builds of tools/bench_budgets.py, session 11, the SRL16E count
    Yosys reports was within 2% of the bits this predicts: e.g. the MLP at fc1.P=128, Q=8,
    4,571 against 4,579.)"""
    srl = replace(COUNTED, family="srl", shift_register_min=3)
    with cost.for_family(COUNTED):
        flops = cost.ram(16, 32, address_register=True)  # LUTRAM: read register + 2 = 3 stages
        block = cost.block_ram_cost(64, 512, read_latency=4)  # block RAM + 3 output registers
    with cost.for_family(srl):
        shifted = cost.ram(16, 32, address_register=True)
        assert (shifted.ff, shifted.lut) == (5, flops.lut + 16)  # the address register stays
        assert cost.block_ram_cost(64, 512, read_latency=4).ff == 0
        assert cost.block_ram_cost(64, 512, read_latency=4).lut == block.lut + 64
        assert cost.block_ram_cost(64, 512, read_latency=3).ff == 2 * 64  # two: flip-flops
        assert cost.ram(16, 32, read_latency=1).ff == 16  # the logits' one register
        words = np.array([[0, 1], [0, -1], [0, 1], [0, -1]])  # one distinct bit, three varying
        kept = cost.rom(8, 4, "distributed", cost.rom_bits(words, 4), keep_output=True)
        assert (kept.lut, kept.ff) == (1 + 1, 3)  # read register + 2 stages: one SRL; the kept three
        assert cost.rom(8, 4, "distributed", cost.rom_bits(words, 4)).ff == 0  # 4 stages: one SRL
    assert block.ff == 3 * 64 and flops.ff == 5 + 3 * 16
    assert cost.XC7.shift_register_min == 3 and cost.ECP5.shift_register_min == 0
