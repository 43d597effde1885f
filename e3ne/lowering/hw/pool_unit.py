"""The pooling unit as an `hw.module`: max or average pooling on T-bit values rebuilt from
bit-planes (docs/numerics.md §7), in the builder's nouns.

* issue (cycle c): counters t (time step), ky (window row), oy (output row), c (channel)
  drive the buffer address `iy + H*(c + C*t)`, `iy = oy*stride + ky - pad`;
* stage 1 (c+R, R = MEMORY_READ_LATENCY): the row arrives (zero when iy is outside the image) and is
  delayed by A = ADDEND_LATENCY = 3 row registers (the weighted units' selected-spike,
  broadcast and gated-sum registers of a small tree): PIPELINE_LATENCY, the common pipeline;
* stage 1' (c+R+A): each input column shifts its spike into a T-bit value; after the last
  plane of a window row the value is combined (max or sum) into the row's running value;
* stage 2 (c+R+A+1, end of an output row): the kernel_w columns of each window are combined
  (average: `floor((sum + floor(n/2)) / n)` by a constant reciprocal, no divider) and
  registered (N = NEURON_LATENCY = 1 cycle), and a shadow bank drains the T bit-planes of the pooled row while the next row is read.

Stage length: C*OH*kernel_h*T + R + A + 1 + N + T (`PoolUnitOp.cycles`).
"""

from __future__ import annotations

from e3ne.dialects import snnhw
from e3ne.lowering.hw.constructs import PlaneDrain, RowReader, StepIssue, average_bound, done_pulse, larger_or_sum, pool_window
from e3ne.lowering.hw.constructs import unit_ports as stage_ports
from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port, bits_for
from e3ne.model.units import ADDEND_LATENCY as ADD
from e3ne.model.units import MEMORY_READ_LATENCY as READ
from e3ne.model.units import NEURON_LATENCY as NEURON


def unit_ports(unit: snnhw.PoolUnitOp) -> tuple[list[Port], list[Port]]:
    return stage_ports(unit)


def build_pool_unit(unit: snnhw.PoolUnitOp, module_name: str):
    inputs, outputs = unit_ports(unit)
    b = ModuleBuilder(module_name, inputs, outputs)
    source = unit.input_buffer()
    target = unit.output_buffer()
    channels = unit.channels.value.data
    ih, iw = unit.in_height.value.data, unit.in_width.value.data
    oh, ow = unit.out_height.value.data, unit.out_width.value.data
    kh, kw = unit.kernel_size()
    sh, sw = unit.strides()
    ph, pw = unit.paddings()
    time_steps = unit.time_steps.value.data
    is_max = unit.mode.data == "max"

    # ---- issue
    issuing = StepIssue(b)
    issue = issuing.issue
    (t, t_wrap), (ky, row_end), (oy, channel_end), (c, layer_end) = b.sequencer(
        issue, [("time_step", time_steps), ("window_row", kh), ("out_row", oh), ("channel", channels)]
    )
    issuing.stop_after(layer_end)
    reader = RowReader(b, ky, row_end, channel_end, ih, oh, kh, sh, ph)
    addr_bits = bits_for(source.depth.value.data)
    channel_base = b.stepping_base("channel_base", addr_bits, ih, channel_end, layer_end)
    plane_base = b.stepping_base("plane_base", addr_bits, ih * channels, issue, t_wrap)
    act_addr = b.add(b.add(channel_base, plane_base), reader.address(addr_bits))

    # ---- stage 1: rebuild T-bit values, combine the window's rows
    valid1 = b.delay_by(issue, "valid1", READ + ADD)
    last_plane1 = b.delay_by(b.eq(t, time_steps - 1), "last_plane1", READ + ADD)
    first_row1 = b.delay_by(b.eq(ky, 0), "first_row1", READ + ADD)
    in_range1 = b.delay_by(reader.in_range, "in_range1", READ)
    row_end1 = b.delay_by(row_end, "row_end1", READ + ADD)
    layer_end1 = b.delay_by(layer_end, "layer_end1", READ + ADD)
    row = b.delay_by(b.mux(in_range1, b.inputs["act_rdata"], b.const(0, iw)), "row", ADD)
    sum_bits = bits_for(average_bound(kh * kw, time_steps) + 1)
    value_bits = time_steps if is_max else sum_bits
    combine_row = b.and_(valid1, last_plane1)
    running_values = []
    for x in range(iw):
        value = b.register(f"value{x}", time_steps)
        rebuilt = b.concat(b.extract(value.value, 0, time_steps - 1), b.bit(row, x)) if time_steps > 1 else b.bit(row, x)
        value.drive(rebuilt, valid1)
        combined = b.register(f"window_rows{x}", value_bits)
        fresh = b.zext(rebuilt, value_bits)
        merged = larger_or_sum(b, is_max, combined.value, fresh)
        combined.drive(b.mux(first_row1, fresh, merged), combine_row)
        running_values.append(combined.value)

    # ---- stage 2: combine the window's columns, drain the pooled row's planes
    load = b.delay_by(row_end1, "load_row", 1 + NEURON)
    load_last = b.delay_by(layer_end1, "load_last", 1 + NEURON)
    pooled = []
    for ox in range(ow):
        window = [running_values[ix] for kx in range(kw) if 0 <= (ix := ox * sw + kx - pw) < iw]
        pooled.append(b.delay_by(pool_window(b, window, is_max, kh * kw, time_steps), f"pooled{ox}", NEURON))
    drain = PlaneDrain(b, 1, ow, time_steps, load)
    drain.drive([pooled])

    out_bits = bits_for(target.depth.value.data)
    row_addr = b.stepping_base("out_row_addr", out_bits, 1, load, load_last)
    waddr = b.register("out_addr", out_bits)
    waddr.drive(b.mux(load, row_addr, b.add(waddr.value, oh * channels)))
    done = done_pulse(b, load_last, drain.draining.value, drain.last)
    return b.finish(
        {
            "act_raddr": act_addr,
            "out_we": drain.draining.value,
            "out_waddr": waddr.value,
            "out_wdata": drain.word,
            "done": done,
        }
    )
