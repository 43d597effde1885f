"""The row-stationary convolution unit as an `hw.module`, in the builder's nouns.

Pipeline (docs/architecture.md "Convolution unit"):

* issue (cycle c): per output row a step counter of `row_cycles` cycles (idle first when the
  drain of the previous row is longer than the row's reads), then nested counters
  ky (kernel row), ic (input channel), t (time step), xb (column block) drive the buffer
  address `iy + H*(ic + C*t)`, `iy = oy*stride + ky - pad`, and the weight ROM address
  `(g*IC + ic)*KH + ky`;
* stage 1 (c+R, R = MEMORY_READ_LATENCY): the row arrives (zero when iy is outside the image);
  the kernel_w spikes of each column (of the current column block) are selected and
  registered (S = SPIKE_SELECT_LATENCY = 1 cycle; columns x kernel_w flip-flops, shared by
  the lanes), then registered again (B = BROADCAST_LATENCY = 1: the register the lanes' trees
  read);
* stage 1s (c+R+S+B): the weights answer (an on-chip ROM is addressed S cycles after issue
  and its word registered B cycles in the unit, the register every column's trees read; an
  off-chip buffer's word is registered S + B cycles in the unit); each of the lanes x columns
  kernel_w-input adder trees of spike-gated weights ends in a register (A = S + B + 1 cycles
  from the memories' data; kernel_w > TREE_TERMS_PER_CYCLE: two registered levels, partial
  sums of groups then their sum, A = S + B + 2, `ConvShape.addend_latency`);
* stage 1' (c+R+A): each accumulator adds its tree's sum, doubling on the first (ic, ky) of
  each step;
* stage 2 (c+R+A+1, end of a column block): `+ Bq`, registered (N = NEURON_LATENCY = 1 cycle),
  the radix neuron (with fused pooling its T-bit outputs are registered once more before the
  window's row merge, and the row-merged values before the column combine, P =
  POOL_INPUT_LATENCY + POOL_COMBINE_LATENCY cycles); the row's T-bit values
  collect in an assembly bank (several column blocks) and load a shadow bank at the end
  of the row, which drains lanes*T bit-plane words (lane by lane, MSB plane first) while
  the next row accumulates.

Stage length: groups*OH*row_cycles + R + A + 1 + N (+ P) + lanes*T (`ConvUnitOp.cycles`). The bias ROM
is addressed A cycles after the group counter (its word arrives with the block's end at c+R+A).
IF/LIF mode (`neuron = "lif"`, snnhw_lif.py): as the linear unit's, per accumulator (lane,
column): the T steps of a column block run back to back, the accumulator is the membrane
(`lif start(acc) + Bq` at the first (ic, ky) of every step), and the T spikes (step 0 in the
top bit) take the radix neuron's place in the assembly and shadow banks. No extra cycles.
"""

from __future__ import annotations

from e3ne.dialects import snnhw
from e3ne.dialects.snnhw_lif import lif_of
from e3ne.lowering.hw.constructs import (
    PlaneDrain,
    RowReader,
    StepIssue,
    average_bound,
    done_pulse,
    doubling_base,
    larger_or_sum,
    lif_neuron,
    pool_window,
    registered_spikes,
    registered_sum,
    rounded_radix_neuron,
    selected_weights,
)
from e3ne.lowering.hw.constructs import unit_ports as stage_ports
from e3ne.lowering.hw.conv_skip import ConvSkipIssue
from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port, Register, Value, bits_for, width
from e3ne.model.units import MEMORY_READ_LATENCY as READ
from e3ne.model.units import NEURON_LATENCY as NEURON
from e3ne.model.units import POOL_COMBINE_LATENCY, POOL_INPUT_LATENCY


def unit_ports(unit: snnhw.ConvUnitOp) -> tuple[list[Port], list[Port]]:
    return stage_ports(unit, bias_width=unit.lanes() * unit.bias_bits())


def fused_pooling(
    b: ModuleBuilder, unit: snnhw.ConvUnitOp, row_values: list[list[Value]], load_row: Value
) -> tuple[Value, Value, list[list[Value]]]:
    """Pooling at the neuron's output: rows of a window combine in a register bank; the last
    row of each window gives the pooled row, POOL_COMBINE_LATENCY cycles after `load_row`
    (the row-merged values are registered before the column combine). Returns (write_row
    pulse, the same a cycle earlier, pooled values)."""
    time_steps = unit.time_steps.value.data
    pool_h, pool_w = unit.pool_size()
    is_max = unit.pool_mode.data == "max"
    count = pool_h * pool_w
    value_bits = time_steps if is_max else bits_for(average_bound(count, time_steps) + 1)
    window_row, last_window_row = b.counter("pool_row", pool_h, load_row)

    pooled = []
    for lane, values in enumerate(row_values):
        rows_combined = []
        for x, value in enumerate(values):
            fresh = b.zext(value, value_bits)
            if pool_h == 1:
                rows_combined.append(fresh)
                continue
            held = b.register(f"pool_rows{lane}_{x}", value_bits)
            merged = larger_or_sum(b, is_max, held.value, fresh)
            held.drive(b.mux(b.eq(window_row, 0), fresh, merged), load_row)
            rows_combined.append(merged)
        # registered before the column combine (POOL_COMBINE_LATENCY): the row merge and the
        # window's sum or maximum are not one cycle
        rows_combined = [
            b.delay_by(v, f"pool_merged{lane}_{x}", POOL_COMBINE_LATENCY) for x, v in enumerate(rows_combined)
        ]
        lane_pooled = []
        for px in range(len(values) // pool_w):
            window = rows_combined[px * pool_w : (px + 1) * pool_w]
            lane_pooled.append(pool_window(b, window, is_max, count, time_steps))
        pooled.append(lane_pooled)
    write = b.delay_chain(b.and_(load_row, last_window_row), "pool_write", POOL_COMBINE_LATENCY)
    return write[-1], write[-2], pooled


def build_conv_unit(unit: snnhw.ConvUnitOp, module_name: str):
    inputs, outputs = unit_ports(unit)
    b = ModuleBuilder(module_name, inputs, outputs)
    source = unit.input_buffer()
    target = unit.output_buffer()
    ic_count, ih, iw = unit.in_shape()
    oc_count = unit.out_channels.value.data
    oh, ow = unit.computed_size()  # rows/columns computed (all of them without fused pooling)
    _, written_h, written_w = unit.written_shape()
    pool_h, pool_w = unit.pool_size()
    kh, kw = unit.kernel_size()
    shape = unit.shape()
    add_cycles = shape.addend_latency  # the selected spikes' register and the tree's levels
    sh, sw = unit.strides()
    ph, pw = unit.paddings()
    time_steps = unit.time_steps.value.data
    weight_bits = unit.weight_bits.value.data
    acc_bits = unit.accumulator_width.value.data
    lanes, columns, blocks, groups = unit.lanes(), unit.columns.value.data, unit.blocks(), unit.groups()
    row_cycles = unit.row_cycles()
    idle = row_cycles - blocks * unit.block_cycles()

    # ---- issue: the step sequencer
    offchip = unit.weight_rom().is_offchip()
    # off-chip weights: wait (only ever at the start of a group) until its bank is filled
    issuing = StepIssue(b, b.inputs["weights_ready"] if offchip else None)
    issue = issuing.issue
    skipper = None
    if unit.skips_zeros():  # the issue of a unit that skips all-zero input rows (conv_skip.py)
        skipper = ConvSkipIssue(b, unit, issuing, module_name)
        active, act_addr, in_range, weight_address = skipper.active, skipper.act_addr, skipper.in_range, skipper.weight_addr
        first_step, first_block, t_wrap, row_end = skipper.first_step, skipper.first_block, skipper.block_end, skipper.row_end
        xb, g, group_end, layer_end = skipper.xb, skipper.g, skipper.group_end, skipper.layer_end
    else:
        step, last_step = b.counter("row_step", row_cycles, issue)
        active = b.and_(issue, b.compare("uge", step, idle)) if idle else issue
        (ky, ky_wrap), (ic, ic_wrap), (t, t_wrap), (xb, row_end) = b.sequencer(
            active, [("kernel_row", kh), ("in_channel", ic_count), ("time_step", time_steps), ("column_block", blocks)]
        )
        row_done = b.and_(issue, last_step)
        (oy, group_end), (g, layer_end) = b.sequencer(row_done, [("out_row", oh), ("group", groups)])
        issuing.stop_after(layer_end)

        # input row address: iy = row_base + ky, row_base = oy*sh - ph; plane base = H*(ic + C*t)
        reader = RowReader(b, ky, row_done, group_end, ih, oh, kh, sh, ph)
        addr_bits = bits_for(source.depth.value.data)
        plane_base = b.stepping_base("plane_base", addr_bits, ih, ky_wrap, t_wrap)
        act_addr = b.add(plane_base, reader.address(addr_bits))

        # weight address: (g*IC + ic)*KH + ky, restarting at the group's base every time step
        rom_bits = bits_for(unit.weight_rom().depth.value.data)
        group_base = b.register("weight_group_base", rom_bits)
        next_base = b.mux(group_end, b.select(layer_end, 0, b.add(group_base.value, ic_count * kh), rom_bits), group_base.value)
        group_base.drive(next_base)
        weight_addr = b.register("weight_addr", rom_bits)
        weight_addr.drive(b.mux(ic_wrap, next_base, b.add(weight_addr.value, 1)), active)

        first_step = b.and_(b.eq(ky, 0), b.eq(ic, 0))
        first_block = b.and_(first_step, b.eq(t, 0))
        in_range, weight_address = reader.in_range, weight_addr.value

    # ---- stage 1: spike-gated sums (registered), then accumulation
    valid1 = b.delay_by(active, "valid1", READ + add_cycles)
    first_step1 = b.delay_by(first_step, "first_step1", READ + add_cycles)
    first_block1 = b.delay_by(first_block, "first_block1", READ + add_cycles)
    in_range1 = b.delay_by(in_range, "in_range1", READ)
    block_end1 = b.delay_by(t_wrap, "block_end1", READ + add_cycles)
    row_end1 = b.delay_by(row_end, "row_end1", READ + add_cycles)
    layer_end1 = b.delay_by(layer_end, "layer_end1", READ + add_cycles)
    xb1 = b.delay_by(xb, "column_block1", READ)
    row = b.mux(in_range1, b.inputs["act_rdata"], b.const(0, iw))
    if skipper is not None:
        skipper.record(row)
    zero_bit = b.const(0, 1)

    def spike(column: int, kx: int) -> Value:
        """The spike under kernel column kx of lane column `column`, for the current block."""
        choices = []
        for block in range(blocks):
            ox = block * columns + column
            ix = ox * sw + kx - pw
            choices.append(b.bit(row, ix) if ox < ow and 0 <= ix < iw else zero_bit)
        if blocks == 1:
            return choices[0]
        if all(c is zero_bit for c in choices):
            return zero_bit
        return b.select_bit(b.concat(*reversed(choices)), xb1)

    zero = b.const(0, acc_bits)
    # the selected spikes, registered (constant zeros stay constants: no tree input)
    spikes = [registered_spikes(b, f"selected{j}_", [spike(j, kx) for kx in range(kw)]) for j in range(columns)]
    weight_address, weight_data = selected_weights(b, weight_address, offchip, broadcast=True)
    accumulators: list[list[Register]] = []
    lif = lif_of(unit)
    bias_bits = unit.bias_bits()
    trains: list[list[Value]] = []  # LIF: per accumulator, the spike train (step 0 in the top bit)
    for lane in range(lanes):
        weights = [b.extract(weight_data, (lane * kw + kx) * weight_bits, weight_bits) for kx in range(kw)]
        bank = b.accumulator(f"acc{lane}_", columns, acc_bits)
        lane_trains = []
        for j, acc in enumerate(bank):
            used = [kx for kx in range(kw) if spikes[j][kx] is not zero_bit]
            total = (
                registered_sum(b, f"addend{lane}_{j}", [weights[kx] for kx in used], [spikes[j][kx] for kx in used], acc_bits, shape.tree_stages)
                if used
                else zero
            )
            if lif is None:
                acc.drive(b.add(doubling_base(b, acc, first_step1, first_block1, zero), total), valid1)
                continue
            spike_before, start = lif_neuron(b, acc.value, lif)
            bias_lane = b.extract(b.inputs["bias_data"], lane * bias_bits, acc_bits)
            step_base = b.add(b.mux(first_block1, zero, start), bias_lane)
            acc.drive(b.add(b.mux(first_step1, step_base, acc.value), total), valid1)
            last_spike = spike_before  # `acc > thr` at the end of the block: the last step's spike
            if time_steps == 1:
                lane_trains.append(last_spike)
                continue
            history = b.register(f"fired{lane}_{j}", time_steps - 1)
            history.drive(
                b.extract(b.concat(history.value, spike_before), 0, time_steps - 1),
                b.and_(valid1, first_step1, b.not_(first_block1)),
            )
            lane_trains.append(b.concat(history.value, last_spike))
        accumulators.append(bank)
        trains.append(lane_trains)
    if lif is None:
        bias = b.lane_hold("bias_hold", b.inputs["bias_data"], lanes, bias_bits, block_end1)

    # ---- stage 2: bias, neuron, assembly of the row, shadow bank drain
    pool_in = POOL_INPUT_LATENCY if shape.pool_kernel is not None else 0  # the neurons' outputs registered
    assembled = 1 + NEURON + pool_in  # the row's values at the assembly bank (and the pooling's row merge)
    load_block = b.delay_by(block_end1, "load_block", assembled)
    load_rows = b.delay_chain(row_end1, "load_row", assembled)  # [-2]: a cycle early (the shadow's enable)
    load_row = load_rows[-1]
    # the last written row: after the fused pooling's row-merged values are registered too
    load_last = b.delay_by(layer_end1, "load_last", 1 + NEURON + shape.pool_latency)
    xb2 = b.delay_by(xb1, "column_block2", add_cycles + assembled)
    shift = unit.shift.value.data
    if lif is None:
        values = [
            [
                rounded_radix_neuron(
                    b, b.delay_by(b.add(b.sext(acc.value, bias_bits), bias[lane]), f"potential{lane}_{j}", NEURON), shift, time_steps
                )
                for j, acc in enumerate(accumulators[lane])
            ]
            for lane in range(lanes)
        ]
    else:  # the T spikes, registered like the radix potentials (the accumulators move on)
        values = [
            [b.delay_by(train, f"train{lane}_{j}", NEURON) for j, train in enumerate(lane_trains)]
            for lane, lane_trains in enumerate(trains)
        ]
    if pool_in:
        values = [[b.delay_by(v, f"neuron_out{lane}_{j}", pool_in) for j, v in enumerate(row)] for lane, row in enumerate(values)]
    row_values: list[list[Value]] = []
    for lane in range(lanes):
        lane_values = []
        for ox in range(ow):
            block, j = divmod(ox, columns)
            if block == blocks - 1:
                lane_values.append(values[lane][j])
                continue
            held = b.register(f"assembly{lane}_{ox}", time_steps)
            held.drive(values[lane][j], b.and_(load_block, b.eq(xb2, block)))
            lane_values.append(held.value)
        row_values.append(lane_values)
    if unit.pool_mode is None:
        write_row, write_early = load_row, load_rows[-2]
        written_values = row_values
    else:
        write_row, write_early, written_values = fused_pooling(b, unit, row_values, load_row)
    drain = PlaneDrain(b, lanes, written_w, time_steps, write_row, write_early)
    drain.drive(written_values)
    load_row = write_row
    oh = written_h

    # write address of (oc = g*lanes + lane, t, oy): oy + OH*(oc + OC*t) (OH: written rows)
    out_bits = bits_for(target.depth.value.data)
    out_row, out_row_last = b.counter("out_row_d", oh, load_row)
    out_group = b.register("out_group_base", out_bits)
    out_group.drive(
        b.select(load_last, 0, b.mux(out_row_last, b.add(out_group.value, oh * lanes), out_group.value), out_bits),
        load_row,
    )
    row_addr = b.add(out_group.value, b.zext(out_row, out_bits) if width(out_row) < out_bits else out_row)
    lane_step = drain.lane_step
    lane_addr = b.register("lane_addr", out_bits)
    next_lane_addr = b.add(lane_addr.value, oh)
    lane_addr.drive(b.mux(load_row, row_addr, b.mux(lane_step, next_lane_addr, lane_addr.value)))
    waddr = b.register("out_addr", out_bits)
    waddr.drive(
        b.mux(load_row, row_addr, b.mux(lane_step, next_lane_addr, b.add(waddr.value, oh * oc_count)))
    )
    write = drain.draining.value
    if groups * lanes != oc_count:  # the last group has lanes past the output channels
        channel_bits = bits_for(groups * lanes + 1)
        group_channel = b.register("out_group_channel", channel_bits)
        group_channel.drive(
            b.select(load_last, 0, b.mux(out_row_last, b.add(group_channel.value, lanes), group_channel.value), channel_bits),
            load_row,
        )
        lane_channel = b.register("out_channel", channel_bits)
        lane_channel.drive(
            b.mux(load_row, group_channel.value, b.mux(lane_step, b.add(lane_channel.value, 1), lane_channel.value))
        )
        write = b.and_(write, b.compare("ult", lane_channel.value, oc_count))
    done = done_pulse(b, load_last, drain.draining.value, drain.last)
    return b.finish(
        {
            "act_raddr": act_addr,
            "weight_addr": weight_address,
            "bias_addr": b.delay_by(g, "bias_group", add_cycles),
            "out_we": write,
            "out_waddr": waddr.value,
            "out_wdata": drain.word,
            "done": done,
            **({"weight_group_end": group_end} if offchip else {}),
        }
    )
