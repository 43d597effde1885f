"""The issue part of a convolution unit that skips the reads of input rows with no spike under
the current column block (`skip_zeros`): the linear unit's scheme (skip_list.py) with row reads
for chunks.

The first group of output channels runs densely; at stage 1 each read whose row is kept
(it has a spike in a column the block reads, `ConvShape.block_input_columns`, or it is the
first (ic, ky) of a step, or it ends a column block, or it is among the row's first
`min_row_reads`, so that a row lasts its share of the drain) is
written to the skip list with everything the datapath needs: buffer address, in-range,
weight offset (ic*KH + ky), column block and the four flags. Every later group issues the
list. Needs rows whose reads last at least their drain (no idle cycles; the verifier
checks it). Pooling units stay dense. Cycles: `e3ne.model.skipping.conv_kept_reads`.
"""

from __future__ import annotations

from e3ne.lowering.hw.constructs import RowReader, StepIssue
from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Value, bits_for, width
from e3ne.lowering.hw.skip_list import SkipList
from e3ne.model.units import MEMORY_READ_LATENCY as READ


def conv_list_shape(unit) -> tuple[int, int]:
    """(entry bits, depth) of a convolution unit's skip list: every read of a group."""
    shape = unit.shape()
    ic, ih, _ = shape.in_shape
    addr = bits_for(unit.input_buffer().depth.value.data)
    bits = addr + 1 + bits_for(ic * shape.kernel[0]) + bits_for(shape.blocks) + 4
    return bits, shape.computed_size[0] * shape.blocks * shape.block_cycles


class ConvSkipIssue:
    """Drives what the dense unit's issue drives: `active`, `act_addr`, `in_range`,
    `weight_addr`, `first_step`, `first_block`, `block_end` (t_wrap), `row_end`, `xb`,
    `group_end`, `layer_end`, `g`."""

    def __init__(self, b: ModuleBuilder, unit, issuing: StepIssue, module_name: str):
        self.b = b
        self.shape = shape = unit.shape()
        ic_count, ih, _ = shape.in_shape
        kh, sh, ph = shape.kernel[0], shape.stride[0], shape.padding[0]
        oh = shape.computed_size[0]
        time_steps, blocks, groups = shape.time_steps, shape.blocks, shape.groups
        start = b.inputs["start"]
        issue = issuing.issue

        # ---- the first group: every read, as the dense unit (no idle cycles)
        dense_reg = b.register("dense_phase", 1)
        dense = b.or_(start, dense_reg.value)
        dense_issue = b.and_(issue, dense)
        (ky, ky_wrap), (ic, ic_wrap), (t, t_wrap), (xb, row_end) = b.sequencer(
            dense_issue,
            [("kernel_row", kh), ("in_channel", ic_count), ("time_step", time_steps), ("column_block", blocks)],
        )
        (oy, dense_end), = b.sequencer(row_end, [("out_row", oh)])
        dense_reg.drive(b.and_(dense, b.not_(dense_end)))
        reader = RowReader(b, ky, row_end, dense_end, ih, oh, kh, sh, ph)
        addr_bits = bits_for(unit.input_buffer().depth.value.data)
        plane_base = b.stepping_base("plane_base", addr_bits, ih, ky_wrap, t_wrap)
        act_addr = b.add(plane_base, reader.address(addr_bits))
        offset_bits = bits_for(ic_count * kh)
        offset = b.register("weight_offset", offset_bits)
        offset.drive(b.select(ic_wrap, 0, b.add(offset.value, 1), offset_bits), dense_issue)
        first_step = b.and_(b.eq(ky, 0), b.eq(ic, 0))
        first_block = b.and_(first_step, b.eq(t, 0))
        min_row = shape.min_row_reads
        position = b.register("row_position", bits_for(min_row + 1))
        self.early = b.compare("ult", position.value, min_row)
        bumped = b.mux(self.early, b.add(position.value, 1), position.value)
        position.drive(b.select(row_end, 0, bumped, width(position.value)), dense_issue)
        fields = [act_addr, reader.in_range, offset.value, xb, first_step, first_block, t_wrap, row_end]
        self.widths = [width(v) for v in fields]
        self.dense_issue = dense_issue
        self.dense_entry = b.concat(*fields)

        # ---- the gap, then the list phase
        bits, depth = conv_list_shape(unit)
        self.list = SkipList(b, issuing, dense, depth, bits, module_name)
        list_issue = self.list.list_issue
        entry = self.list.fields(self.widths)
        chosen = [b.mux(dense, d, e) for d, e in zip(fields, entry)]
        (self.act_addr, self.in_range, chosen_offset, self.xb, self.first_step, self.first_block,
         self.block_end, self.row_end) = chosen  # fmt: skip
        self.active = b.or_(dense_issue, list_issue)
        # the dense flags are already gated by dense_issue; the list's by list_issue
        self.block_end = b.and_(self.block_end, self.active)
        self.row_end = b.and_(self.row_end, self.active)
        list_end = b.and_(list_issue, self.list.entry_last)
        self.group_end = b.or_(dense_end, list_end)
        self.g, last_g = b.counter("group", groups, self.group_end)
        self.layer_end = b.and_(self.group_end, last_g)
        self.list.finish(self.layer_end)
        issuing.stop_after(self.layer_end)
        rom_bits = bits_for(unit.weight_rom().depth.value.data)
        base = b.stepping_base("weight_group_base", rom_bits, ic_count * kh, self.group_end, last_g)
        chosen_offset = b.zext(chosen_offset, rom_bits) if offset_bits < rom_bits else chosen_offset
        self.weight_addr = b.add(base, chosen_offset)

    def record(self, row: Value) -> None:
        """Stage 1 of the first group: write the kept reads to the skip list."""
        b = self.b
        recording = b.delay_by(self.dense_issue, "record1", READ)
        entry1 = b.delay_by(self.dense_entry, "entry1", READ)
        first_step1, block_end1 = self.b.extract(entry1, 3, 1), self.b.extract(entry1, 1, 1)
        xb1 = b.extract(entry1, sum(self.widths[4:]), self.widths[3])
        nonzero = self.spike_under_block(row, xb1)
        keep = b.or_(nonzero, first_step1, block_end1, b.delay_by(self.early, "early1", READ))
        self.list.record(b.and_(recording, keep), entry1)

    def spike_under_block(self, row: Value, xb: Value) -> Value:
        """1 when `row` has a spike in a column that column block `xb` reads."""
        b = self.b
        flags = []
        for columns in self.shape.block_input_columns:
            if not columns:
                flags.append(b.const(0, 1))
            elif columns == tuple(range(columns[0], columns[-1] + 1)):  # the whole row: extract is the row
                flags.append(b.compare("ne", b.extract(row, columns[0], len(columns)), 0))
            else:
                flags.append(b.compare("ne", b.concat(*[b.bit(row, ix) for ix in reversed(columns)]), 0))
        return flags[0] if len(flags) == 1 else b.select_bit(b.concat(*reversed(flags)), xb)
