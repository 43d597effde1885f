"""The schedule of each unit kind: the one definition of its groups, drain and cycles.

Every stage runs in three parts: issue cycles (reading inputs and weights, one group of
output lanes after another), a fixed pipeline latency (`MEMORY_READ_LATENCY` memory read
registers + the addend latency (the selected-spike and broadcast registers and the gated adder
tree's one or two levels, `addend_latency`) + the accumulator register + `NEURON_LATENCY`, before the
neuron) and the drain of the last group's results:

    cycles = issue_cycles + pipeline_latency + drain_cycles
    issue_cycles = groups * group_cycles            (weights on chip, and pooling units)
                 = Streaming(...).issue_cycles      (weights streamed, `e3ne.model.memory`)
    overhead_cycles = cycles - ideal_cycles

`ideal_cycles` is the count of a unit that takes one input row (conv, pool) or Q input
spikes (linear) per cycle and never waits. The shapes hold the numbers an `snnhw` stage
op carries; the ops (`StageOp.shape()`), the estimator and explore all ask them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from e3ne.model.arith import bits_for, ceil_div
from e3ne.model.kinds import PoolMode
from e3ne.model.memory import MemoryModel, Streaming

# Cycles from a unit's read address (buffer, weight ROM, bias ROM) to its data, the same for
# every memory a unit reads (docs/timing-pipelining.md):
# * activation buffers (`e3ne_ram_sdp`): a register on the read address (so Yosys's read/write
#   collision compare starts at a flip-flop), the memory's read register, an output register
#   (so that no path starts at a block RAM's slow clock-to-out; ECP5: inside the DP16KD) and
#   one more;
# * deep block ROMs (banked): each bank's read register and output register, the registered
#   multiplexer of a group of banks (`ROM_BANK_GROUP`), the registered multiplexer of the groups;
# * other ROMs: the read register and three output registers.
# The host's read port of the last buffer keeps one cycle (docs/interface.md).
MEMORY_READ_LATENCY = 4
# Cycles from the memories' data to the selected spikes of a linear/conv unit: the spike
# select (a linear unit's Q spikes out of the word by the chunk index; a conv unit's
# in-range zeroing and column-block select of the kernel_w spikes of every column) ends in a
# register, so the spike-gated adder tree starts from flip-flops. The weights follow by the
# same count: an on-chip weight ROM is addressed SPIKE_SELECT_LATENCY cycles after issue
# (a registered address), an off-chip weight buffer's word is registered in the unit (its
# address must stay with its `weight_group_end` handshake). docs/timing-pipelining.md.
SPIKE_SELECT_LATENCY = 1
# Cycles from the selected spikes' register to the register the adder trees read (and a conv
# unit's weight word likewise): a selected spike reaches every lane's tree (a conv unit's
# weight word every column's) across the unit. With the trees split into pairs this one route
# (5.4-5.9 ns for one hop on the LFE5U-85F) was the large designs' critical path; a register
# level of its own gives it a cycle, and the ECP5 flow's fan-out pass copies that register so
# that each copy sits by its trees. An on-chip linear unit's ROM is addressed this much later
# instead (its weights are not broadcast). docs/timing-pipelining.md "Eighth step".
BROADCAST_LATENCY = 1
# Cycles from the memories' data to the accumulator's input: the selected spikes' register,
# the broadcast register, then the spike-gated adder tree ends in a register (one per lane and
# column, as narrow as the sum), so the accumulator's cycle is one operand select and one add.
# A pooling unit delays its (in-range) input row by the same count (row registers). This is
# the count of a small tree; a wider one takes `addend_latency(terms)`. docs/timing-pipelining.md.
ADDEND_LATENCY = SPIKE_SELECT_LATENCY + BROADCAST_LATENCY + 1
# Terms of a spike-gated adder tree summed in one cycle. A wider tree (a linear unit's Q, a
# conv unit's kernel_w) is split in two registered levels: registered partial sums of groups
# of at most this many terms, then their sum into the addend register; such a unit's addend
# (and pipeline) latency is one cycle longer (`addend_latency`). Two: the selected spikes and
# the weight word reach every lane's and column's tree over long routes (they are broadcast),
# so after them comes only the gating and one carry chain; the wider sum of the partial sums
# starts from flip-flops next to it. docs/timing-pipelining.md, "Fifth step" (Yosys depth on
# ECP5 for Q = 4, 5, 8) and "Eighth step" (5 -> 2).
TREE_TERMS_PER_CYCLE = 2
# Cycles from the accumulator to the neuron: the potential `acc + bias` (linear/conv) or the
# pooled window (pooling unit) is registered, so the neuron's rounding, saturation and the
# shadow/assembly/pooling banks start from a register. docs/timing-pipelining.md.
NEURON_LATENCY = 1
# A convolution with fused pooling registers its neurons' outputs once more before the pooling
# window's row merge and column combine (the neuron plus the pooling was the CNNs' critical
# path, docs/timing.md "High fan-out nets and the router"): its pipeline is this much longer.
POOL_INPUT_LATENCY = 1
# ... and registers the window's row-merged values before the column combine (the row merge
# and the window's sum or maximum were two adders or compares in series after a long route,
# LeNet-5's critical path, docs/timing-pipelining.md "Eighth step"): this much longer again.
POOL_COMBINE_LATENCY = 1
PIPELINE_LATENCY = MEMORY_READ_LATENCY + ADDEND_LATENCY + 1 + NEURON_LATENCY  # 1: the accumulator register


def tree_stages(terms: int) -> int:
    """Registered levels of a spike-gated adder tree of `terms` inputs: 1, or 2 when wider
    than TREE_TERMS_PER_CYCLE (partial sums of groups, then their sum)."""
    return 1 if terms <= TREE_TERMS_PER_CYCLE else 2


def addend_latency(terms: int) -> int:
    """Cycles from the memories' data to the accumulator's input for a `terms`-input tree:
    the selected spikes' and the broadcast registers and the tree's levels (ADDEND_LATENCY for
    a small tree)."""
    return SPIKE_SELECT_LATENCY + BROADCAST_LATENCY + tree_stages(terms)


def pipeline_latency(terms: int) -> int:
    """A unit's fixed pipeline for a `terms`-input tree (PIPELINE_LATENCY for a small tree)."""
    return MEMORY_READ_LATENCY + addend_latency(terms) + 1 + NEURON_LATENCY  # 1: the accumulator register


# Zero skipping (e3ne.model.skipping): a skipping linear unit reads its skip list this many
# cycles ahead, and waits SKIP_GAP cycles after its first (dense, recording) group.
SKIP_LIST_READ_LATENCY = 2
SKIP_GAP = MEMORY_READ_LATENCY + SKIP_LIST_READ_LATENCY


def chunk_count(features: int, word: int, q: int) -> int:
    """Chunks of up to q spikes per time step when `features` lie in words of `word` bits:
    each full word gives ceil(word/q) chunks, the last (partial) word ceil(rest/q)."""
    words = ceil_div(features, word)
    return (words - 1) * ceil_div(word, q) + ceil_div(features - (words - 1) * word, q)


def window_output(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a sliding window (floor mode)."""
    return (size + 2 * padding - kernel) // stride + 1


class _WeightedStage:
    """Cycles of a unit that reads a weight group per `group_cycles` issue cycles."""

    HAS_WEIGHTS: ClassVar[bool] = True

    def issue_cycles(self, memory: MemoryModel | None = None) -> int:
        """groups * group_cycles with on-chip weights; with `memory` (the weights stream
        from it) plus the stalls waiting for weight groups."""
        if memory is None:
            return self.groups * self.group_cycles
        return self.streaming(memory).issue_cycles

    def stall_cycles(self, memory: MemoryModel | None = None) -> int:
        """Cycles the unit waits for off-chip weight groups (0 with on-chip weights)."""
        return self.issue_cycles(memory) - self.groups * self.group_cycles

    @property
    def tree_stages(self) -> int:
        """Registered levels of this unit's adder tree (`tree_stages` of its terms)."""
        return tree_stages(self.tree_terms)

    @property
    def addend_latency(self) -> int:
        """Cycles from the memories' data to the accumulator (`addend_latency` of the tree)."""
        return addend_latency(self.tree_terms)

    @property
    def pipeline_latency(self) -> int:
        """This unit's fixed pipeline (`pipeline_latency` of the tree)."""
        return pipeline_latency(self.tree_terms)

    def cycles(self, memory: MemoryModel | None = None) -> int:
        """Start to the next stage's start (the hand-off register is inside the pipeline count)."""
        return self.issue_cycles(memory) + self.pipeline_latency + self.drain_cycles

    def overhead_cycles(self, memory: MemoryModel | None = None) -> int:
        return self.cycles(memory) - self.ideal_cycles

    def streaming(self, memory: MemoryModel = MemoryModel()) -> Streaming:
        """The timing of this unit if its weights stream from `memory`."""
        return Streaming(
            groups=self.groups,
            group_words=self.group_words,
            word_width=self.word_width,
            compute_cycles=self.group_cycles,
            overhead_cycles=self.pipeline_latency + self.drain_cycles,
            axi_width=memory.axi_data_width,
            memory_latency=memory.memory_latency,
        )


@dataclass(frozen=True)
class LinearShape(_WeightedStage):
    """An `snnhw.linear_unit`: P output neurons accumulate Q input spikes a cycle.

    chunks = in_features (Q = 1) or chunk_count(in_features, input word, Q);
    groups = ceil(out/P); group_cycles = chunks * T; ideal = groups * chunks * T;
    drain = T bit-planes (hidden) or P logits (output layer).
    """

    in_features: int
    out_features: int
    parallelism: int
    time_steps: int
    weight_bits: int
    accumulator_width: int
    output_layer: bool
    input_word_width: int  # the input buffer's word (a row of spikes)
    input_depth: int  # the input buffer's words
    input_parallelism: int = 1  # Q
    skip_zeros: bool = False  # skips all-zero chunks after the first group (e3ne.model.skipping)
    output_time_steps: int = 0  # planes written, when not T: a direct-coded LIF layer's steps (docs/lif.md)

    KIND: ClassVar[str] = "linear"

    def issue_cycles(self, memory: MemoryModel | None = None) -> int:
        """The worst case (dense) with zero skipping: every chunk kept, plus SKIP_GAP."""
        dense = super().issue_cycles(memory)
        return dense + SKIP_GAP if self.skip_zeros else dense

    def stall_cycles(self, memory: MemoryModel | None = None) -> int:
        return super().stall_cycles(memory) - (SKIP_GAP if self.skip_zeros else 0)

    @property
    def groups(self) -> int:
        return ceil_div(self.out_features, self.parallelism)

    @property
    def chunks(self) -> int:
        """Cycles per time step: each input word gives ceil(bits/Q) chunks of up to Q spikes."""
        q = self.input_parallelism
        return self.in_features if q == 1 else chunk_count(self.in_features, self.input_word_width, q)

    @property
    def lanes(self) -> int:
        return self.parallelism

    @property
    def tree_terms(self) -> int:
        """Inputs of each lane's spike-gated adder tree: Q."""
        return self.input_parallelism

    @property
    def drain_cycles(self) -> int:
        """Write-back length of one group: T bit-planes, or P logits for the output layer."""
        return self.parallelism if self.output_layer else self.written_planes

    @property
    def written_planes(self) -> int:
        """Bit-planes of the output buffer: T, or a direct-coded LIF layer's steps."""
        return self.output_time_steps or self.time_steps

    @property
    def group_words(self) -> int:
        """Weight words read for one output group (each T times): chunks."""
        return self.chunks

    @property
    def group_cycles(self) -> int:
        return self.chunks * self.time_steps

    @property
    def ideal_cycles(self) -> int:
        return self.groups * self.chunks * self.time_steps

    @property
    def rom_lanes(self) -> int:
        return self.parallelism * self.input_parallelism

    @property
    def word_width(self) -> int:
        """Weight ROM word: P*Q weights of weight_bits."""
        return self.rom_lanes * self.weight_bits

    @property
    def rom_depth(self) -> int:
        return self.groups * self.chunks

    @property
    def output_depth(self) -> int:
        """Words of the buffer written: groups*P logits, or groups*T bit-plane words."""
        return self.groups * self.parallelism if self.output_layer else self.groups * self.written_planes


@dataclass(frozen=True)
class ConvShape(_WeightedStage):
    """An `snnhw.conv_unit`: lanes = channels*units output channels x `columns` pixels of a row.

    blocks = ceil(computed width / columns); block_cycles = IC * T * KH (rows read per
    column block); drain = lanes * T; row_cycles = max(blocks * block_cycles,
    ceil(drain / pool rows)); group_cycles = computed rows * row_cycles;
    ideal = groups * computed rows * blocks * block_cycles.
    """

    in_shape: tuple[int, int, int]  # C x H x W
    out_shape: tuple[int, int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    columns: int
    channels: int
    units: int
    time_steps: int
    weight_bits: int
    accumulator_width: int
    pool_mode: PoolMode | None = None
    pool_kernel: tuple[int, int] | None = None  # the fused pooling window (= its stride)
    skip_zeros: bool = False  # skips all-zero input rows after the first group (e3ne.model.skipping)

    KIND: ClassVar[str] = "conv"

    def issue_cycles(self, memory: MemoryModel | None = None) -> int:
        """The worst case (dense) with zero skipping: every row read, plus SKIP_GAP."""
        dense = super().issue_cycles(memory)
        return dense + SKIP_GAP if self.skip_zeros else dense

    def stall_cycles(self, memory: MemoryModel | None = None) -> int:
        return super().stall_cycles(memory) - (SKIP_GAP if self.skip_zeros else 0)

    @property
    def min_row_reads(self) -> int:
        """Reads a row must last with zero skipping: the written row's drain spread over the
        pooling window's rows (the first this many reads of every row are always kept)."""
        return ceil_div(self.drain_cycles, self.pool_size[0])

    @property
    def pool_size(self) -> tuple[int, int]:
        """The fused pooling window, (1, 1) without pooling."""
        return (1, 1) if self.pool_kernel is None else self.pool_kernel

    @property
    def pool_latency(self) -> int:
        """With fused pooling, POOL_INPUT_LATENCY (the neurons' outputs registered before it) +
        POOL_COMBINE_LATENCY (the row-merged values registered before the column combine), else 0."""
        return 0 if self.pool_kernel is None else POOL_INPUT_LATENCY + POOL_COMBINE_LATENCY

    @property
    def pipeline_latency(self) -> int:
        """The tree's `pipeline_latency`, and the registers of a fused pooling."""
        return pipeline_latency(self.tree_terms) + self.pool_latency

    @property
    def computed_size(self) -> tuple[int, int]:
        """Output rows and columns computed: those a fused pooling window uses (floor mode)."""
        (kh, kw), (_, oh, ow) = self.pool_size, self.out_shape
        return (oh // kh) * kh, (ow // kw) * kw

    @property
    def written_shape(self) -> tuple[int, int, int]:
        """The output buffer's C x H x W: the convolution's output, pooled when pooling is fused."""
        (kh, kw), (oc, oh, ow) = self.pool_size, self.out_shape
        return (oc, oh // kh, ow // kw)

    @property
    def input_depth(self) -> int:
        """Words of the input buffer: C * H * T rows."""
        return self.in_shape[0] * self.in_shape[1] * self.time_steps

    @property
    def lanes(self) -> int:
        """Output channels accumulated side by side: channels * units."""
        return self.channels * self.units

    @property
    def tree_terms(self) -> int:
        """Inputs of each accumulator's spike-gated adder tree: kernel_w."""
        return self.kernel[1]

    @property
    def groups(self) -> int:
        return ceil_div(self.out_shape[0], self.lanes)

    @property
    def blocks(self) -> int:
        """Column blocks per output row: ceil(computed width / columns)."""
        return ceil_div(self.computed_size[1], self.columns)

    @property
    def block_input_columns(self) -> tuple[tuple[int, ...], ...]:
        """Per column block, the input columns its computed output columns read (in the
        image: padding columns are none): a zero-skipping unit keeps a row read only if one
        of these has a spike (e3ne.model.skipping.conv_kept_reads, conv_skip.py)."""
        _, _, in_w = self.in_shape
        kw, sw, pw = self.kernel[1], self.stride[1], self.padding[1]
        computed_w = self.computed_size[1]
        windows = []
        for block in range(self.blocks):
            outputs = range(block * self.columns, min((block + 1) * self.columns, computed_w))
            read = {ox * sw + kx - pw for ox in outputs for kx in range(kw)}
            windows.append(tuple(sorted(ix for ix in read if 0 <= ix < in_w)))
        return tuple(windows)

    @property
    def block_cycles(self) -> int:
        """Input rows read for one column block: in_channels * T * kernel_h."""
        return self.in_shape[0] * self.time_steps * self.kernel[0]

    @property
    def drain_cycles(self) -> int:
        """Write-back of one output row: T bit-planes of each lane."""
        return self.lanes * self.time_steps

    @property
    def row_cycles(self) -> int:
        """Issue cycles per output row: the reads, or the drain of the previous written row if
        longer (one written row per pooling-window height)."""
        return max(self.blocks * self.block_cycles, ceil_div(self.drain_cycles, self.pool_size[0]))

    @property
    def group_words(self) -> int:
        """Weight words of one group of output channels: in_channels * kernel_h (read for
        every output row, time step and column block of the group)."""
        return self.in_shape[0] * self.kernel[0]

    @property
    def group_cycles(self) -> int:
        """Issue cycles of one group of output channels: computed rows * row cycles."""
        return self.computed_size[0] * self.row_cycles

    @property
    def ideal_cycles(self) -> int:
        return self.groups * self.computed_size[0] * self.blocks * self.block_cycles

    @property
    def rom_lanes(self) -> int:
        return self.lanes * self.kernel[1]

    @property
    def word_width(self) -> int:
        """Weight ROM word: lanes * kernel_w weights of weight_bits."""
        return self.rom_lanes * self.weight_bits

    @property
    def rom_depth(self) -> int:
        return self.groups * self.group_words

    @property
    def pool_value_bits(self) -> int:
        """Width of a fused pooling register: T (max), or the window sum plus rounding (avg);
        0 without pooling."""
        if self.pool_mode is None:
            return 0
        kh, kw = self.pool_size
        t = self.time_steps
        if self.pool_mode == PoolMode.MAX:
            return t
        largest = kh * kw * ((1 << t) - 1) + (kh * kw) // 2
        return bits_for(largest + 1)


@dataclass(frozen=True)
class PoolShape:
    """An `snnhw.pool_unit`: for each channel and output row, the T planes of kernel_h input
    rows. row_cycles = kernel_h * T; ideal = C * OH * row_cycles; drain = T."""

    mode: PoolMode
    channels: int
    in_size: tuple[int, int]
    out_size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    time_steps: int

    KIND: ClassVar[str] = "pool"
    HAS_WEIGHTS: ClassVar[bool] = False
    # its input row is delayed by ADDEND_LATENCY row registers: the common pipeline
    addend_latency: ClassVar[int] = ADDEND_LATENCY
    pipeline_latency: ClassVar[int] = PIPELINE_LATENCY

    @property
    def input_depth(self) -> int:
        return self.channels * self.in_size[0] * self.time_steps

    @property
    def row_cycles(self) -> int:
        return self.kernel[0] * self.time_steps

    @property
    def drain_cycles(self) -> int:
        return self.time_steps

    @property
    def ideal_cycles(self) -> int:
        return self.channels * self.out_size[0] * self.row_cycles

    def issue_cycles(self, memory: MemoryModel | None = None) -> int:
        return self.ideal_cycles

    def stall_cycles(self, memory: MemoryModel | None = None) -> int:
        return 0

    def cycles(self, memory: MemoryModel | None = None) -> int:
        return self.issue_cycles() + self.pipeline_latency + self.drain_cycles

    def overhead_cycles(self, memory: MemoryModel | None = None) -> int:
        return self.cycles() - self.ideal_cycles


StageShape = LinearShape | ConvShape | PoolShape
