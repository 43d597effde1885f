"""The pooling unit as an `hw.module`: max or average pooling on T-bit values rebuilt from
bit-planes (Numerics 7), in the builder's nouns.

* issue (cycle c): counters t (time step), ky (window row), oy (output row), c (channel)
  drive the buffer address `iy + H*(c + C*t)`, `iy = oy*stride + ky - pad`;
* stage 1 (c+1): each input column shifts its spike into a T-bit value; after the last
  plane of a window row the value is combined (max or sum) into the row's running value;
* stage 2 (c+2, end of an output row): the kernel_w columns of each window are combined
  (average: `floor((sum + floor(n/2)) / n)` by a constant reciprocal, no divider) and a
  shadow bank drains the T bit-planes of the pooled row while the next row is read.

Stage length: C*OH*kernel_h*T + 2 + T (`PoolUnitOp.cycles`).
"""

from __future__ import annotations

from e3ne.dialects import snnhw
from e3ne.lowering.hw.conv_unit import PlaneDrain, adder_tree
from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port, Value, bits_for, width
from e3ne.numerics import signed_width


def unit_ports(unit: snnhw.PoolUnitOp) -> tuple[list[Port], list[Port]]:
    source = unit.input_buffer()
    target = unit.output_buffer()
    inputs = [Port("start", 1), Port("act_rdata", source.word_width.value.data)]
    outputs = [
        Port("act_raddr", bits_for(source.depth.value.data)),
        Port("out_we", 1),
        Port("out_waddr", bits_for(target.depth.value.data)),
        Port("out_wdata", target.word_width.value.data),
        Port("done", 1),
    ]
    return inputs, outputs


def reciprocal(divisor: int, largest: int) -> tuple[int, int]:
    """(m, k) with floor(x*m / 2^k) == floor(x / divisor) for every 0 <= x <= largest."""
    for k in range(1, 64):
        m = -(-(1 << k) // divisor)
        if all((x * m) >> k == x // divisor for x in range(largest + 1)):
            return m, k
    raise AssertionError(f"no reciprocal for {divisor}")


def divide_constant(b: ModuleBuilder, value: Value, divisor: int, largest: int, bits: int) -> Value:
    """floor(value / divisor) for 0 <= value <= largest, as `bits` bits (shift-adds, no divider)."""
    if divisor & (divisor - 1) == 0:
        shift = divisor.bit_length() - 1
        quotient = b.extract(value, shift, width(value) - shift) if shift < width(value) else b.const(0, 1)
    else:
        m, k = reciprocal(divisor, largest)
        product_bits = width(value) + m.bit_length()
        wide = b.zext(value, product_bits)
        terms = [b.shift_left(wide, i) for i in range(m.bit_length()) if m >> i & 1]
        quotient = b.extract(adder_tree(b, terms), k, product_bits - k)
    if width(quotient) >= bits:
        return b.extract(quotient, 0, bits)
    return b.zext(quotient, bits)


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
    start = b.inputs["start"]

    # ---- issue
    running = b.register("running", 1)
    issue = b.named(b.or_(start, running.value), "issue")
    (t, t_wrap), (ky, row_end), (oy, channel_end), (c, layer_end) = b.sequencer(
        issue, [("time_step", time_steps), ("window_row", kh), ("out_row", oh), ("channel", channels)]
    )
    running.drive(b.or_(start, b.and_(running.value, b.not_(layer_end))))
    row_bits = signed_width(-ph, max(ih, (oh - 1) * sh + kh)) + 1
    row_base = b.register("row_base", row_bits, reset_value=-ph)
    row_base.drive(b.select(channel_end, -ph, b.add(row_base.value, sh), row_bits), row_end)
    iy = b.add(row_base.value, b.zext(ky, row_bits) if width(ky) < row_bits else b.extract(ky, 0, row_bits))
    in_range = b.and_(b.not_(b.bit(iy, row_bits - 1)), b.compare("slt", iy, ih))
    addr_bits = bits_for(source.depth.value.data)
    channel_base = b.register("channel_base", addr_bits)
    channel_base.drive(b.select(layer_end, 0, b.add(channel_base.value, ih), addr_bits), channel_end)
    plane_base = b.register("plane_base", addr_bits)
    plane_base.drive(b.select(t_wrap, 0, b.add(plane_base.value, ih * channels), addr_bits), issue)
    iy_addr = b.extract(iy, 0, addr_bits) if row_bits >= addr_bits else b.zext(iy, addr_bits)
    act_addr = b.add(b.add(channel_base.value, plane_base.value), iy_addr)

    # ---- stage 1: rebuild T-bit values, combine the window's rows
    valid1 = b.delay(issue, "valid1")
    last_plane1 = b.delay(b.eq(t, time_steps - 1), "last_plane1")
    first_row1 = b.delay(b.eq(ky, 0), "first_row1")
    in_range1 = b.delay(in_range, "in_range1")
    row_end1 = b.delay(row_end, "row_end1")
    layer_end1 = b.delay(layer_end, "layer_end1")
    row = b.mux(in_range1, b.inputs["act_rdata"], b.const(0, iw))
    sum_bits = bits_for(kh * kw * ((1 << time_steps) - 1) + kh * kw // 2 + 1)
    value_bits = time_steps if is_max else sum_bits
    combine_row = b.and_(valid1, last_plane1)
    running_values = []
    for x in range(iw):
        value = b.register(f"value{x}", time_steps)
        rebuilt = b.concat(b.extract(value.value, 0, time_steps - 1), b.bit(row, x)) if time_steps > 1 else b.bit(row, x)
        value.drive(rebuilt, valid1)
        combined = b.register(f"window_rows{x}", value_bits)
        fresh = b.zext(rebuilt, value_bits)
        if is_max:
            merged = b.mux(b.compare("ugt", fresh, combined.value), fresh, combined.value)
        else:
            merged = b.add(combined.value, fresh)
        combined.drive(b.mux(first_row1, fresh, merged), combine_row)
        running_values.append(combined.value)

    # ---- stage 2: combine the window's columns, drain the pooled row's planes
    load = b.delay(row_end1, "load_row")
    load_last = b.delay(layer_end1, "load_last")
    pooled = []
    for ox in range(ow):
        window = [running_values[ix] for kx in range(kw) if 0 <= (ix := ox * sw + kx - pw) < iw]
        if is_max:
            best = window[0]
            for candidate in window[1:]:
                best = b.mux(b.compare("ugt", candidate, best), candidate, best)
            pooled.append(best)
        else:
            count = kh * kw
            total = b.add(adder_tree(b, window), count // 2) if count // 2 else adder_tree(b, window)
            largest = count * ((1 << time_steps) - 1) + count // 2
            pooled.append(divide_constant(b, total, count, largest, time_steps))
    drain = PlaneDrain(b, 1, ow, time_steps, load)
    drain.drive([pooled])

    out_bits = bits_for(target.depth.value.data)
    row_addr = b.register("out_row_addr", out_bits)
    row_addr.drive(b.select(load_last, 0, b.add(row_addr.value, 1), out_bits), load)
    waddr = b.register("out_addr", out_bits)
    waddr.drive(b.mux(load, row_addr.value, b.add(waddr.value, oh * channels)))
    finishing = b.flag("finishing", load_last, b.and_(drain.draining.value, drain.last))
    done = b.and_(finishing, drain.draining.value, drain.last)
    return b.finish(
        {
            "act_raddr": act_addr,
            "out_we": drain.draining.value,
            "out_waddr": waddr.value,
            "out_wdata": drain.word,
            "done": done,
        }
    )
