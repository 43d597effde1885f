"""The issue part of a linear unit that skips all-zero input chunks (`skip_zeros`).

How it knows which chunks are zero: the unit records them itself. Its first group of
output lanes runs densely (every chunk of every bit-plane, as without skipping); when a
chunk's spikes arrive (stage 1, MEMORY_READ_LATENCY cycles after its issue) the chunk's
(input index i, buffer address, chunk of the word) is written to a skip list RAM if it is
kept: it has a spike, or it is the first chunk of a step (that one doubles the
accumulator), or (output layer) it is among the first P (a group must last its drain).
Every later group reads the same input, so it issues just the list: the list RAM is read
SKIP_LIST_READ_LATENCY cycles ahead of use, and SKIP_GAP = MEMORY_READ_LATENCY +
SKIP_LIST_READ_LATENCY idle cycles after the dense group let the last entry be written
before it is read. The producing stage, the buffers and the controller are untouched
(a per-word flag written by the producer would change every producer and the
inter-stage buffers), and the datapath after the issue (read latency, accumulator,
neuron, drain) is the dense unit's, so its pipeline latency stays exact.

The cycles this gives per image are `e3ne.model.skipping.image_cycles`.
"""

from __future__ import annotations

from e3ne.lowering.hw.constructs import StepIssue
from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Value, bits_for, width
from e3ne.model.units import MEMORY_READ_LATENCY as READ
from e3ne.model.units import SKIP_GAP, SKIP_LIST_READ_LATENCY


def list_depth(unit) -> int:
    """Entries of the skip list: every chunk of every plane (the worst case)."""
    return unit.chunks() * unit.time_steps.value.data


def entry_bits(unit) -> int:
    """An entry: input index, buffer address, chunk of the word."""
    per_word = -(-unit.input_buffer().word_width.value.data // unit.q())
    return bits_for(unit.chunks()) + bits_for(unit.input_buffer().depth.value.data) + bits_for(per_word)


def list_module(module_name: str) -> str:
    """The skip list RAM's module (declared next to the unit by the lowering)."""
    return f"{module_name}_skip_list"


class SkipList:
    """The list phase shared by skipping units: after the dense first group (`dense` high),
    SKIP_GAP idle cycles, then one list entry issued a cycle (`list_issue`, `entry`), the
    list read SKIP_LIST_READ_LATENCY cycles ahead; `entry_first`/`entry_last` mark a group's
    first and last entry. `record(we, wdata)` appends an entry (stage 1 of the first group);
    `finish(end_of_layer)` closes the phase."""

    def __init__(self, b: ModuleBuilder, issuing: StepIssue, dense: Value, depth: int, bits: int, module_name: str):
        self.b = b
        start = b.inputs["start"]
        self.start = start
        self.listing = b.register("list_phase", 1)
        self.waiting = b.and_(issuing.running.value, b.not_(dense), b.not_(self.listing.value))
        gap, self.gap_last = b.counter("skip_gap", SKIP_GAP, self.waiting)
        self.list_issue = b.and_(issuing.issue, self.listing.value)
        self.count_bits = bits_for(depth + 1)
        self.written = b.register("skip_count", self.count_bits)
        last_entry = b.sub(self.written.value, 1)
        entry_index = b.register("skip_entry", self.count_bits)
        self.entry_last = b.eq(entry_index.value, last_entry)
        self.entry_first = b.eq(entry_index.value, 0)
        entry_next = b.select(self.entry_last, 0, b.add(entry_index.value, 1), self.count_bits)
        entry_index.drive(b.mux(start, b.const(0, self.count_bits), entry_next), b.or_(start, self.list_issue))
        reading = b.or_(
            b.and_(self.waiting, b.compare("uge", gap, SKIP_GAP - SKIP_LIST_READ_LATENCY)), self.listing.value
        )
        read_index = b.register("skip_read", self.count_bits)
        read_last = b.eq(read_index.value, last_entry)
        read_next = b.select(read_last, 0, b.add(read_index.value, 1), self.count_bits)
        read_index.drive(b.mux(start, b.const(0, self.count_bits), read_next), b.or_(start, reading))
        self.read_index = read_index.value
        self.addr_bits = bits_for(depth)
        self.ram = b.ram("skip_list", list_module(module_name), self.addr_bits, bits)
        self.entry = self.ram.data

    def fields(self, widths: list[int]) -> list[Value]:
        """The entry cut into fields of `widths` (the first field in the highest bits)."""
        values, low = [], 0
        for bits in reversed(widths):
            values.append(self.b.extract(self.entry, low, bits))
            low += bits
        return list(reversed(values))

    def finish(self, end_of_layer: Value) -> None:
        b = self.b
        listing = self.listing
        listing.drive(b.or_(b.and_(self.waiting, self.gap_last), b.and_(listing.value, b.not_(end_of_layer))))

    def record(self, we: Value, wdata: Value) -> None:
        b = self.b
        written = self.written
        bumped = b.mux(we, b.add(written.value, 1), written.value)
        written.drive(b.mux(self.start, b.const(0, self.count_bits), bumped))
        self.ram.connect(
            we=we,
            waddr=b.extract(written.value, 0, self.addr_bits),
            wdata=wdata,
            raddr=b.extract(self.read_index, 0, self.addr_bits),
        )


class SkipIssue:
    """Drives what the dense unit's step sequencer drives: `valid` (issue), the chunk
    index `i`, `act_addr`, `chunk` (of the word), `first_input`, `first_of_group`,
    `end_of_group`, `end_of_layer`, the group `g` and the weight address."""

    def __init__(self, b: ModuleBuilder, unit, issuing: StepIssue, module_name: str, chunks: int, per_word: int):
        self.b = b
        time_steps = unit.time_steps.value.data
        groups = unit.groups()
        source = unit.input_buffer()
        start = b.inputs["start"]
        issue = issuing.issue

        # ---- the first group: every chunk, as the dense unit
        dense_reg = b.register("dense_phase", 1)
        dense = b.or_(start, dense_reg.value)
        dense_issue = b.and_(issue, dense)
        (i, end_of_step), (t, dense_end) = b.sequencer(dense_issue, [("input_index", chunks), ("time_step", time_steps)])
        dense_reg.drive(b.and_(dense, b.not_(dense_end)))
        bit_reg = b.register("chunk_index", bits_for(per_word))
        word_end = b.or_(end_of_step, b.eq(bit_reg.value, per_word - 1))
        bit_reg.drive(b.select(word_end, 0, b.add(bit_reg.value, 1), width(bit_reg.value)), dense_issue)
        act_addr = b.register("act_addr", bits_for(source.depth.value.data))
        act_next = b.select(word_end, b.add(act_addr.value, 1), act_addr.value, width(act_addr.value))
        act_addr.drive(b.select(dense_end, 0, act_next, width(act_addr.value)), dense_issue)
        self.dense_issue = dense_issue
        self.dense_entry = b.concat(i, act_addr.value, bit_reg.value)
        self.early = None
        if unit.is_output():  # the first P chunks are kept: a group lasts at least its P-logit drain
            p = unit.parallelism.value.data
            position = b.register("skip_position", bits_for(p + 1))
            now = b.mux(start, b.const(0, width(position.value)), position.value)  # 0 at the layer's first issue
            self.early = b.compare("ult", now, p)
            position.drive(b.mux(self.early, b.add(now, 1), now), dense_issue)

        # ---- the gap, then the list phase
        self.list = SkipList(b, issuing, dense, list_depth(unit), entry_bits(unit), module_name)
        list_issue = self.list.list_issue
        e_i, e_addr, e_bit = self.list.fields([width(i), width(act_addr.value), width(bit_reg.value)])

        # ---- what the unit issues
        self.valid = b.or_(dense_issue, list_issue)
        self.i = b.mux(dense, i, e_i)
        self.act_addr = b.mux(dense, act_addr.value, e_addr)
        self.chunk = b.mux(dense, bit_reg.value, e_bit)
        list_end = b.and_(list_issue, self.list.entry_last)
        self.end_of_group = b.named(b.or_(dense_end, list_end), "end_of_group")
        self.g, last_g = b.counter("group", groups, self.end_of_group)
        self.end_of_layer = b.and_(self.end_of_group, last_g)
        self.list.finish(self.end_of_layer)
        issuing.stop_after(self.end_of_layer)
        rom_base = b.stepping_base("weight_base", bits_for(groups * chunks), chunks, self.end_of_group, last_g)
        self.weight_addr = b.add(rom_base, b.zext(self.i, width(rom_base)))
        self.first_input = b.eq(self.i, 0)
        first_entry = b.mux(dense, b.eq(t, 0), self.list.entry_first)
        self.first_of_group = b.and_(self.first_input, first_entry)

    def record(self, spikes: list[Value], first_step1: Value) -> None:
        """Stage 1 of the first group: write the kept chunks to the skip list."""
        b = self.b
        recording = b.delay_by(self.dense_issue, "record1", READ)
        entry1 = b.delay_by(self.dense_entry, "entry1", READ)
        keep = b.or_(first_step1, *spikes)
        if self.early is not None:
            keep = b.or_(keep, b.delay_by(self.early, "early1", READ))
        self.list.record(b.and_(recording, keep), entry1)
