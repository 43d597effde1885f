"""Datapath constructs shared by the units, written in the builder's nouns (`hwbuilder.py`).

A unit module (`linear_unit.py`, `conv_unit.py`, `pool_unit.py`, `controller.py`) takes
what it shares from here and never imports another unit. The pieces:

* `unit_ports`: the ports every stage has (start/done, buffer read and write), plus the
  weight ROM and bias ports of a unit with weights;
* `StepIssue`: the `running` flag and the `issue` signal of a unit's step sequencer;
* `RowReader`: the input row `iy = oy*stride + ky - pad` of a window and its buffer address;
* `adder_tree`, `gated_sum`, `narrow_sum`, `registered_spikes`, `selected_weights`,
  `registered_sum`, `doubling_base`: the spike-gated, bit-serial accumulation (docs/numerics.md §9);
* `radix_neuron`, `rounded_radix_neuron`: the neuron (docs/numerics.md §6);
* `lif_neuron`, `popcount`: the IF/LIF neuron's step start and spike (docs/numerics.md §15);
* `larger_or_sum`, `pool_window`, `divide_constant`: max/average pooling on T-bit values
  (docs/numerics.md §7);
* `PlaneDrain`, `done_pulse`: the shadow bank that writes T bit-planes, and the unit's `done`.

Every construct creates its ops in a fixed order (the generated Verilog depends on it).
"""

from __future__ import annotations

from xdsl.dialects import hw

from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port, Register, Value, bits_for, width
from e3ne.model.units import BROADCAST_LATENCY, SPIKE_SELECT_LATENCY, TREE_TERMS_PER_CYCLE
from e3ne.numerics import signed_width


def unit_ports(unit, bias_width: int | None = None) -> tuple[list[Port], list[Port]]:
    """(inputs, outputs) of a stage unit; with `bias_width`, the unit has a weight ROM
    (on-chip, or off-chip with its `weights_ready`/`weight_group_end` handshake) and a
    bias ROM of `bias_width`-bit words."""
    source = unit.input_buffer()
    target = unit.output_buffer()
    rom = None if bias_width is None else unit.weight_rom()
    offchip = rom is not None and rom.is_offchip()
    inputs = [Port("start", 1), Port("act_rdata", source.word_width.value.data)]
    outputs = [Port("act_raddr", bits_for(source.depth.value.data))]
    if rom is not None:
        inputs += [
            Port("weight_data", rom.word_width.value.data),
            *([Port("weights_ready", 1)] if offchip else []),
            Port("bias_data", bias_width),
        ]
        outputs += [Port("weight_addr", bits_for(rom.depth.value.data)), Port("bias_addr", bits_for(unit.groups()))]
    outputs += [
        Port("out_we", 1),
        Port("out_waddr", bits_for(target.depth.value.data)),
        Port("out_wdata", target.word_width.value.data),
        Port("done", 1),
        *([Port("weight_group_end", 1)] if offchip else []),
    ]
    return inputs, outputs


class StepIssue:
    """`issue` is high from `start` until the last step (`stop_after`), and only while
    `ready` (off-chip weights: the bank of the group is filled) when given."""

    def __init__(self, b: ModuleBuilder, ready: Value | None = None):
        self.b = b
        self.start = b.inputs["start"]
        self.running = b.register("running", 1)
        go = b.or_(self.start, self.running.value)
        self.issue = b.named(b.and_(go, ready) if ready is not None else go, "issue")

    def stop_after(self, last: Value) -> None:
        b = self.b
        self.running.drive(b.or_(self.start, b.and_(self.running.value, b.not_(last))))


class RowReader:
    """The input row `iy = oy*stride + ky - pad` under window row `ky`: `row_base` steps by
    the stride on `next_row` and goes back to `-pad` on `restart`; `in_range` is
    `0 <= iy < height` (outside, the row reads as zeros: padding)."""

    def __init__(
        self, b: ModuleBuilder, ky: Value, next_row: Value, restart: Value,
        height: int, out_rows: int, kernel: int, stride: int, pad: int,
    ):
        self.b = b
        self.bits = signed_width(-pad, max(height, (out_rows - 1) * stride + kernel)) + 1
        bits = self.bits
        row_base = b.register("row_base", bits, reset_value=-pad)
        row_base.drive(b.select(restart, -pad, b.add(row_base.value, stride), bits), next_row)
        self.iy = b.add(row_base.value, b.zext(ky, bits) if width(ky) < bits else b.extract(ky, 0, bits))
        self.in_range = b.and_(b.not_(b.bit(self.iy, bits - 1)), b.compare("slt", self.iy, height))

    def address(self, addr_bits: int) -> Value:
        """`iy` as a buffer address of `addr_bits` (valid when `in_range`)."""
        b = self.b
        return b.extract(self.iy, 0, addr_bits) if self.bits >= addr_bits else b.zext(self.iy, addr_bits)


def adder_tree(b: ModuleBuilder, terms: list[Value]) -> Value:
    """The sum of equal-width terms as a balanced tree of two-input adders."""
    while len(terms) > 1:
        paired = [b.add(terms[k], terms[k + 1]) for k in range(0, len(terms) - 1, 2)]
        terms = paired + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]


def gated_sum(b: ModuleBuilder, weights: list[Value], spikes: list[Value], acc_bits: int) -> Value:
    """Spike-gated weights summed by an adder tree only as wide as the sum can be."""
    weight_bits = width(weights[0])
    bits = min(acc_bits, weight_bits + (len(weights) - 1).bit_length())
    zero = b.const(0, bits)
    gated = [b.mux(spike, b.sext(w, bits), zero) for w, spike in zip(weights, spikes)]
    return adder_tree(b, gated)


def narrow_sum(b: ModuleBuilder, weights: list[Value], spikes: list[Value], acc_bits: int) -> Value:
    """`gated_sum` sign-extended to the accumulator."""
    return b.sext(gated_sum(b, weights, spikes, acc_bits), acc_bits)


def registered_spikes(b: ModuleBuilder, name: str, spikes: list[Value]) -> list[Value]:
    """The selected spikes `SPIKE_SELECT_LATENCY + BROADCAST_LATENCY` cycles later (a chain
    of flip-flops each, the last one `name` and the index, the one the trees read and the
    ECP5 flow copies), so the gated adder tree starts from registers; constants stay constants."""
    return [
        s if isinstance(s.owner, hw.ConstantOp) else b.delay_by(s, f"{name}{k}", SPIKE_SELECT_LATENCY + BROADCAST_LATENCY)
        for k, s in enumerate(spikes)
    ]


def selected_weights(b: ModuleBuilder, weight_addr: Value, offchip: bool, broadcast: bool) -> tuple[Value, Value]:
    """(weight ROM address, weight word) in step with the registered spikes. An on-chip ROM
    is addressed `SPIKE_SELECT_LATENCY` cycles later (a registered address) and, when its
    word is `broadcast` (a conv unit's, to every column), the word is registered
    BROADCAST_LATENCY cycles in the unit; else (a linear unit's) the address is that much
    later too. An off-chip buffer keeps its address (it must stay with the
    `weight_group_end` handshake) and its word is registered both counts instead."""
    word = b.inputs["weight_data"]
    if offchip:
        return weight_addr, b.delay_by(word, "weight_word", SPIKE_SELECT_LATENCY + BROADCAST_LATENCY)
    if broadcast:
        return b.delay_by(weight_addr, "weight_addr_sel", SPIKE_SELECT_LATENCY), b.delay_by(word, "weight_word", BROADCAST_LATENCY)
    return b.delay_by(weight_addr, "weight_addr_sel", SPIKE_SELECT_LATENCY + BROADCAST_LATENCY), word


def registered_sum(
    b: ModuleBuilder, name: str, weights: list[Value], spikes: list[Value], acc_bits: int, stages: int = 1
) -> Value:
    """`narrow_sum` of the registered spikes through `stages` pipeline levels (`tree_stages`
    of the unit's tree): 1, the gated sum registered as `name` (as narrow as the sum); 2, the
    gated sums of groups of at most TREE_TERMS_PER_CYCLE terms registered (`name`_part0..),
    then their sum registered as `name`. The accumulator adds it `SPIKE_SELECT_LATENCY +
    BROADCAST_LATENCY + stages` cycles after the memories answered."""
    if stages == 1:
        return b.sext(b.delay_by(gated_sum(b, weights, spikes, acc_bits), name, 1), acc_bits)
    count = -(-len(weights) // TREE_TERMS_PER_CYCLE)
    size = -(-len(weights) // count)  # groups as even as they can be
    parts = [
        b.delay_by(gated_sum(b, weights[s : s + size], spikes[s : s + size], acc_bits), f"{name}_part{k}", 1)
        for k, s in enumerate(range(0, len(weights), size))
    ]
    bits = min(acc_bits, width(weights[0]) + (len(weights) - 1).bit_length())
    total = adder_tree(b, [b.sext(part, bits) for part in parts])
    return b.sext(b.delay_by(total, name, 1), acc_bits)


def doubling_base(b: ModuleBuilder, acc: Register, first_of_step: Value, first: Value, zero: Value) -> Value:
    """What the accumulator adds the next sum to (bit-serial, MSB plane first): 0 on the
    first input of a group, `2*acc` on the first input of each later time step, else `acc`."""
    doubled = b.mux(first_of_step, b.shift_left(acc.value, 1), acc.value)
    return b.mux(first, zero, doubled)


def _relu_saturate(b: ModuleBuilder, negative: Value, scaled: Value, time_steps: int) -> Value:
    """0 when `negative`, else `scaled` saturated to T bits."""
    if width(scaled) > time_steps:
        saturated = b.compare("ugt", scaled, (1 << time_steps) - 1)
        value = b.select(saturated, (1 << time_steps) - 1, b.extract(scaled, 0, time_steps), time_steps)
    else:
        value = b.zext(scaled, time_steps)
    return b.select(negative, 0, value, time_steps)


def radix_neuron(b: ModuleBuilder, potential: Value, shift: int, time_steps: int) -> Value:
    """docs/numerics.md §6 in hardware: ReLU, rounding shift (half up) or left shift,
    saturation to T bits."""
    bits = width(potential)
    negative = b.bit(potential, bits - 1)
    if shift >= bits:
        return b.const(0, time_steps)
    if shift >= 1:
        rounded = b.add(b.zext(potential, bits + 1), 1 << (shift - 1))
        scaled = b.extract(rounded, shift, bits + 1 - shift)
    else:
        scaled = b.concat(potential, b.const(0, -shift)) if shift < 0 else potential
    return _relu_saturate(b, negative, scaled, time_steps)


def rounded_radix_neuron(b: ModuleBuilder, rounded: Value, shift: int, time_steps: int) -> Value:
    """The radix neuron on `V + 2^(shift-1)` (the rounding constant folded into the bias):
    for shift >= 1, `V + half < 0` exactly when the ReLU gives 0 after rounding, so the
    neuron is a sign test, a plain shift and saturation (docs/numerics.md §6, one adder fewer)."""
    if shift < 1:
        return radix_neuron(b, rounded, shift, time_steps)
    bits = width(rounded)
    negative = b.bit(rounded, bits - 1)
    if shift >= bits - 1:
        return b.const(0, time_steps)
    scaled = b.extract(rounded, shift, bits - 1 - shift)
    return _relu_saturate(b, negative, scaled, time_steps)


def constant_leak(b: ModuleBuilder, value: Value, leak: int, leak_bits: int) -> Value:
    """`floor(leak * value / 2^F)` (docs/numerics.md §15) by shift-adds on the set bits of the
    constant `leak` in [0, 2^F]; the result has `value`'s width (|result| <= |value|)."""
    bits = width(value)
    if leak == 1 << leak_bits:
        return value
    if leak == 0:
        return b.const(0, bits)
    wide_bits = bits + leak_bits + 1
    wide = b.sext(value, wide_bits)
    terms = [b.shift_left(wide, i) for i in range(leak.bit_length()) if leak >> i & 1]
    return b.extract(adder_tree(b, terms), leak_bits, bits)


def lif_fires(b: ModuleBuilder, membrane: Value, neuron) -> Value:
    """`membrane > thr` (docs/numerics.md §15; constant 0 when thr is above the membrane's range)."""
    if neuron.threshold > (1 << (width(membrane) - 1)) - 1:
        return b.const(0, 1)
    return b.compare("sgt", membrane, neuron.threshold)


def lif_neuron(b: ModuleBuilder, membrane: Value, neuron) -> tuple[Value, Value]:
    """docs/numerics.md §15 in hardware, on the membrane `mem` of the previous step:
    `(spike, start)` with `spike = mem > thr` and `start` what the next step adds its current to
    (subtract: `leak(mem) - spike*thr`, zero: `spike ? 0 : leak(mem)`, none: `leak(mem)`).
    `neuron` is an `snnhw_lif.LifNeuron`."""
    bits = width(membrane)
    spike = lif_fires(b, membrane, neuron)
    leaked = constant_leak(b, membrane, neuron.leak, neuron.leak_bits)
    if neuron.reset == "subtract" and neuron.threshold <= (1 << (bits - 1)) - 1:
        start = b.sub(leaked, b.select(spike, neuron.threshold, 0, bits))
    elif neuron.reset == "zero":
        start = b.select(spike, 0, leaked, bits)
    else:
        start = leaked
    return spike, start


def popcount(b: ModuleBuilder, value: Value, bits: int) -> Value:
    """The number of set bits of `value`, as `bits` bits."""
    ones = [b.zext(b.bit(value, i), bits) for i in range(width(value))]
    return adder_tree(b, ones)


def larger_or_sum(b: ModuleBuilder, is_max: bool, a: Value, c: Value) -> Value:
    """Combines two pooled values: the larger (max pooling) or the sum (average pooling)."""
    return b.mux(b.compare("ugt", c, a), c, a) if is_max else b.add(a, c)


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


def average_bound(count: int, time_steps: int) -> int:
    """The largest `sum + floor(count/2)` of a window of `count` T-bit values."""
    return count * ((1 << time_steps) - 1) + count // 2


def pool_window(b: ModuleBuilder, window: list[Value], is_max: bool, count: int, time_steps: int) -> Value:
    """The pooled T-bit value of a window's (already row-combined) values: the largest, or
    `floor((sum + floor(count/2)) / count)` over the `count` values of the whole window."""
    if is_max:
        best = window[0]
        for candidate in window[1:]:
            best = larger_or_sum(b, True, best, candidate)
        return b.extract(best, 0, time_steps)
    total = adder_tree(b, window)
    total = b.add(total, count // 2) if count // 2 else total
    return divide_constant(b, total, count, average_bound(count, time_steps), time_steps)


class PlaneDrain:
    """A shadow bank of `lanes` rows of T-bit values that writes their T bit-planes.

    `load` (one cycle) takes the new values; then lanes*T cycles follow, lane by lane and
    MSB plane first, each presenting one word (bit x = MSB of the value in column x).
    `load_early`, when the caller has it, is `load` one cycle earlier: the clock enable of
    lanes 1.. is then a flip-flop (`_enable`).
    """

    def __init__(
        self, b: ModuleBuilder, lanes: int, columns: int, time_steps: int, load: Value, load_early: Value | None = None
    ):
        self.b, self.lanes, self.time_steps = b, lanes, time_steps
        self.bank: list[list[Register]] = [
            [b.register(f"shadow{lane}_{x}", time_steps) for x in range(columns)] for lane in range(lanes)
        ]
        self.draining = b.register("draining", 1)
        self.plane, self.last_plane = b.counter("drain_plane", time_steps, self.draining.value, clear=load)
        self.lane_step, step_next = self._lane_step(load)
        self.enable = self._enable(load, load_early, step_next) if lanes > 1 else None
        self.lane, self.last_lane = b.counter("drain_lane", lanes, self.lane_step, clear=load)
        self.last = b.and_(self.last_plane, self.last_lane)
        self.draining.drive(b.or_(load, b.and_(self.draining.value, b.not_(self.last))))
        self.load = load
        self.word = b.concat(*[b.bit(reg.value, time_steps - 1) for reg in reversed(self.bank[0])])

    def _lane_step(self, load: Value) -> tuple[Value, Value | None]:
        """`draining and plane == T-1` (the bank moves on a lane) as one flip-flop. It enables
        every shadow register: its own register, not a LUT4 of `draining` and the plane
        counter's `at_last` flag, so the broadcast (and the ECP5 fan-out pass's copies of it)
        starts at a flip-flop. The plane reaches T-1 the cycle after it is T-2 while draining
        and no `load` clears it (draining stays high then: `last` needs plane T-1). With T = 1
        it is `draining`. Returns (lane step, its next value; None with T = 1)."""
        b = self.b
        if self.time_steps == 1:
            return self.draining.value, None
        step = b.register("drain_lane_step", 1)
        step_next = b.and_(b.not_(load), self.draining.value, b.eq(self.plane, self.time_steps - 2))
        step.drive(step_next)
        return step.value, step_next

    def _enable(self, load: Value, load_early: Value | None, step_next: Value | None) -> Value:
        """The clock enable of lanes 1.. of the bank, `load or lane_step`, as one flip-flop
        (`shadow_enable`, set from `load_early` and the lane step's next value), so that it
        reaches the many shadow registers straight from a flip-flop (and the fan-out pass's
        copies of it): as a LUT4 it put two long routes in series, `drain_lane_step` -> the
        OR's copies -> every clock enable (Fang default's critical path, 8.14 ns). Without
        `load_early`, or with T = 1, the OR."""
        b = self.b
        if load_early is None or step_next is None:
            return b.or_(load, self.lane_step)
        enable = b.register("shadow_enable", 1)
        enable.drive(b.or_(load_early, step_next))
        return enable.value

    def drive(self, values: list[list[Value]]) -> None:
        b = self.b
        lane_step = self.lane_step
        for lane, row in enumerate(self.bank):
            for x, reg in enumerate(row):
                following = self.bank[lane + 1][x].value if lane + 1 < self.lanes else reg.value
                if lane == 0:  # the lane on the output: shifts its planes out while draining
                    held = b.mux(lane_step, following, b.mux(self.draining.value, b.shift_left(reg.value, 1), reg.value))
                    reg.drive(b.mux(self.load, values[lane][x], held))
                else:  # the others move only on `load` or a lane step: `enable`
                    reg.drive(b.mux(self.load, values[lane][x], following), self.enable)


def done_pulse(b: ModuleBuilder, load_last: Value, draining: Value, last: Value) -> Value:
    """The unit's one-cycle `done`: the last drain cycle after the layer's last load."""
    finishing = b.flag("finishing", load_last, b.and_(draining, last))
    return b.and_(finishing, draining, last)
