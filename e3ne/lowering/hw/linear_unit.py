"""The linear unit as an `hw.module`, written in the builder's nouns.

Pipeline (Q input spikes of one buffer word per cycle through a Q-input adder tree,
P outputs in parallel; Q = 1 is one spike per cycle):

* issue (cycle c): counters i (input), b (bit in word), t (time step), g (group) drive
  the buffer read address and the weight ROM address `g*in + i`;
* stage 1 (c+R, R = MEMORY_READ_LATENCY): the buffer word answers; the Q spikes of the
  chunk are selected from the word and registered (S = SPIKE_SELECT_LATENCY = 1 cycle), then
  registered again (B = BROADCAST_LATENCY = 1: the register every lane's tree reads);
* stage 1s (c+R+S+B): the weights answer (an on-chip ROM is addressed S + B cycles after
  issue; an off-chip buffer's word is registered S + B cycles in the unit) and each lane's
  gated sum `sum(spike ? W : 0)` of the registered spikes is registered (A = S + B + 1 cycles
  from the memories' data); a tree wider than TREE_TERMS_PER_CYCLE (Q) in two registered
  levels, partial sums of groups then their sum (A = S + B + 2; `LinearShape.addend_latency`);
* stage 1' (c+R+A): each lane does
  `acc <- (first input of the group ? 0 : first input of step t ? 2*acc : acc) + sum`;
* stage 2 (c+R+A+1, last input of a group): `V = acc + Bq`, registered (N = NEURON_LATENCY = 1
  cycle), then the radix neuron (hidden layer)
  loads a shadow bank, which drains while the next group accumulates: T bit-plane
  words of P bits (hidden), or P logits one a cycle (output layer).

Stage length: groups*in*T issue cycles + R + A + 1 + N (pipeline) + drain length (`LinearUnitOp.cycles`).
The bias ROM is addressed A cycles after the group counter, so its word arrives with the
group's end at the accumulator (c+R+A). Zero skipping records the chunk's (unregistered)
spikes at c+R, as before.
IF/LIF mode (`neuron = "lif"`, snnhw_lif.py): the accumulator is the membrane; stage 1 does
`acc <- (first input of step t ? (t == 0 ? 0 : lif start(acc)) + Bq : acc) + (spike ? W : 0)`,
recording the previous step's spike (`acc > thr`) in a per-lane shift register, and stage 2
loads the T spikes (hidden: plane t = step t) or the spike count / last membrane (output
layer) into the same shadow bank. No extra cycles: the same schedule as radix.
Direct coding (`lif_steps`): the accumulator computes the constant current as radix does (over
the radix input planes); while the group drains, each cycle runs one LIF step per lane on the
held current (a membrane register per lane) and writes that step's spikes as plane t.
"""

from __future__ import annotations

from e3ne.dialects import snnhw
from e3ne.dialects.snnhw_lif import lif_of
from e3ne.lowering.hw.constructs import (
    StepIssue,
    done_pulse,
    doubling_base,
    lif_fires,
    lif_neuron,
    popcount,
    radix_neuron,
    registered_spikes,
    registered_sum,
    selected_weights,
)
from e3ne.lowering.hw.constructs import unit_ports as stage_ports
from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port, bits_for, width
from e3ne.lowering.hw.skip_list import SkipIssue
from e3ne.model.units import MEMORY_READ_LATENCY as READ
from e3ne.model.units import NEURON_LATENCY as NEURON


def unit_ports(unit: snnhw.LinearUnitOp) -> tuple[list[Port], list[Port]]:
    return stage_ports(unit, bias_width=unit.parallelism.value.data * unit.accumulator_width.value.data)


def build_linear_unit(unit: snnhw.LinearUnitOp, module_name: str):
    inputs, outputs = unit_ports(unit)
    b = ModuleBuilder(module_name, inputs, outputs)
    source = unit.input_buffer()
    p = unit.parallelism.value.data
    time_steps = unit.time_steps.value.data
    weight_bits = unit.weight_bits.value.data
    acc_bits = unit.accumulator_width.value.data
    groups = unit.groups()
    shape = unit.shape()
    add_cycles = shape.addend_latency  # the selected spikes' register and the tree's levels
    word_bits = source.word_width.value.data

    # ---- issue: the step sequencer
    offchip = unit.weight_rom().is_offchip()
    # off-chip weights: wait (only ever at the start of a group) until its bank is filled
    issuing = StepIssue(b, b.inputs["weights_ready"] if offchip else None)
    issue = issuing.issue
    chunks = unit.chunks()
    q = unit.q()
    per_word = -(-word_bits // q)  # chunks of up to Q spikes in one word
    skipper = None
    if unit.skips_zeros():  # the issue of a unit that skips all-zero chunks (skip_list.py)
        skipper = SkipIssue(b, unit, issuing, module_name, chunks, per_word)
        issue, g, act_raddr, chunk_index = skipper.valid, skipper.g, skipper.act_addr, skipper.chunk
        end_of_group, end_of_layer, weight_addr = skipper.end_of_group, skipper.end_of_layer, skipper.weight_addr
        first_input, first_of_group = skipper.first_input, skipper.first_of_group
    else:
        (i, end_of_step), (t, end_of_group), (g, end_of_layer) = b.sequencer(
            issue, [("input_index", chunks), ("time_step", time_steps), ("group", groups)]
        )
        b.named(end_of_group, "end_of_group")
        last_g = b.eq(g, groups - 1)
        bit_reg = b.register("chunk_index", bits_for(per_word))
        word_end = b.or_(end_of_step, b.eq(bit_reg.value, per_word - 1))
        bit_reg.drive(b.select(word_end, 0, b.add(bit_reg.value, 1), width(bit_reg.value)), issue)
        issuing.stop_after(end_of_layer)

        act_addr = b.register("act_addr", bits_for(source.depth.value.data))
        act_next = b.select(word_end, b.add(act_addr.value, 1), act_addr.value, width(act_addr.value))
        act_addr.drive(b.select(end_of_group, 0, act_next, width(act_addr.value)), issue)
        rom_base = b.stepping_base("weight_base", bits_for(groups * chunks), chunks, end_of_group, last_g)
        weight_addr = b.add(rom_base, b.zext(i, width(rom_base)))

        first_input = b.eq(i, 0)
        first_of_group = b.and_(first_input, b.eq(t, 0))
        act_raddr, chunk_index = act_addr.value, bit_reg.value

    # ---- stage 1: spike select and gated sums (registered), then accumulation (no multipliers)
    valid1 = b.delay_by(issue, "valid1", READ + add_cycles)
    first_step1 = b.delay_by(first_input, "first_step1", READ + add_cycles)
    first_group1 = b.delay_by(first_of_group, "first_group1", READ + add_cycles)
    end_group1 = b.delay_by(end_of_group, "end_group1", READ + add_cycles)
    end_layer1 = b.delay_by(end_of_layer, "end_layer1", READ + add_cycles)
    bit1 = b.delay_by(chunk_index, "bit1", READ)
    row = b.inputs["act_rdata"]
    zero_bit = b.const(0, 1)
    spikes = []
    for lane in range(q):  # spike `lane` of the chunk: bit chunk*Q + lane of the word
        if q == 1:
            spikes.append(b.named(b.select_bit(row, bit1), "spike"))
            break
        choices = [b.bit(row, c * q + lane) if c * q + lane < word_bits else zero_bit for c in range(per_word)]
        spikes.append(b.named(b.select_bit(b.concat(*reversed(choices)), bit1), f"spike{lane}"))
    if skipper is not None:  # the skip list is written as the spikes are selected (READ cycles after issue)
        skipper.record(spikes, b.delay_by(first_input, "first_step_sel", READ))
    spikes = registered_spikes(b, "selected", spikes)  # the adder trees start from flip-flops
    weight_addr, weight_data = selected_weights(b, weight_addr, offchip, broadcast=False)
    zero = b.const(0, acc_bits)
    accumulators = b.accumulator("acc", p, acc_bits)
    lif = lif_of(unit)
    direct = lif is not None and lif.steps is not None  # a direct-coded LIF layer: radix current first
    fired = []  # LIF: per lane, the spikes of the steps before the current one
    spiking = []  # LIF: per lane, `acc > thr` (the spike of the step the accumulator holds)
    for k, acc in enumerate(accumulators):
        weights = [b.extract(weight_data, (lane * p + k) * weight_bits, weight_bits) for lane in range(q)]
        if lif is None or direct:
            base = doubling_base(b, acc, first_step1, first_group1, zero)
        else:
            spike_before, start = lif_neuron(b, acc.value, lif)
            bias_k = b.extract(b.inputs["bias_data"], k * acc_bits, acc_bits)
            step_base = b.add(b.mux(first_group1, zero, start), bias_k)
            base = b.mux(first_step1, step_base, acc.value)
            history = b.register(f"fired{k}", max(time_steps - 1, 1))
            if time_steps > 1:
                shifted = b.extract(b.concat(history.value, spike_before), 0, time_steps - 1)
                history.drive(shifted, b.and_(valid1, first_step1, b.not_(first_group1)))
            fired.append(history.value)
            spiking.append(spike_before)
        acc.drive(b.add(base, registered_sum(b, f"addend{k}", weights, spikes, acc_bits, shape.tree_stages)), valid1)
    if lif is None or direct:
        bias = b.lane_hold("bias_hold", b.inputs["bias_data"], p, acc_bits, end_group1)

    # ---- stage 2: bias, neuron, shadow bank; drain while the next group accumulates
    load = b.delay_by(end_group1, "load_shadow", 1 + NEURON)
    load_last = b.delay_by(end_layer1, "load_last", 1 + NEURON)
    if lif is None or direct:
        sums = [b.add(acc.value, bias[k]) for k, acc in enumerate(accumulators)]
    else:  # the T spikes of each lane, step 0 in the top bit (plane 0 drains first)
        trains = []
        for k in range(p):
            trains.append(b.concat(fired[k], spiking[k]) if time_steps > 1 else spiking[k])
        if not unit.is_output():
            sums = trains
        elif lif.readout == "count":
            sums = [popcount(b, train, acc_bits) for train in trains]
        else:
            sums = [acc.value for acc in accumulators]
    potentials = [b.delay_by(v, f"potential{k}", NEURON) for k, v in enumerate(sums)]
    drain_cycles = unit.drain_cycles()
    draining = b.register("draining", 1)
    d, last_d = b.counter("drain_step", drain_cycles, draining.value, clear=load)
    draining.drive(b.or_(load, b.and_(draining.value, b.not_(last_d))))
    target = unit.output_buffer()
    out_addr_bits = bits_for(target.depth.value.data)
    if unit.is_output():
        shadow = b.accumulator("logit_shadow", p, acc_bits)
        for k, reg in enumerate(shadow):
            following = shadow[k + 1].value if k + 1 < p else zero
            reg.drive(b.mux(load, potentials[k], following))
        wdata = shadow[0].value
        waddr, _ = b.counter("logit_addr", groups * p, draining.value)
    elif direct:  # one LIF step a drain cycle on the held current V: plane t = the spikes of step t
        membrane_bits = lif.direct_membrane_bits(acc_bits)
        step_spikes = []
        for k in range(p):
            current = b.register(f"current{k}", acc_bits)
            current.drive(potentials[k], load)
            membrane = b.register(f"membrane{k}", membrane_bits)
            _, start = lif_neuron(b, membrane.value, lif)
            updated = b.add(start, b.sext(current.value, membrane_bits))
            membrane.drive(b.mux(load, b.const(0, membrane_bits), updated), b.or_(load, draining.value))
            step_spikes.append(lif_fires(b, updated, lif))
        wdata = b.concat(*reversed(step_spikes))
        group_base = b.stepping_base("drain_group", out_addr_bits, 1, load, load_last)
        plane_addr = b.register("plane_addr", out_addr_bits)
        plane_addr.drive(b.mux(load, group_base, b.add(plane_addr.value, groups)))
        waddr = plane_addr.value
    else:
        shift = unit.shift.value.data
        shadow = b.accumulator("spike_shadow", p, time_steps)
        for k, reg in enumerate(shadow):
            activation = radix_neuron(b, potentials[k], shift, time_steps) if lif is None else potentials[k]
            reg.drive(b.mux(load, activation, b.shift_left(reg.value, 1)))
        wdata = b.concat(*[b.bit(reg.value, time_steps - 1) for reg in reversed(shadow)])
        group_base = b.stepping_base("drain_group", out_addr_bits, 1, load, load_last)
        plane_addr = b.register("plane_addr", out_addr_bits)
        plane_addr.drive(b.mux(load, group_base, b.add(plane_addr.value, groups)))
        waddr = plane_addr.value
    done = done_pulse(b, load_last, draining.value, last_d)
    return b.finish(
        {
            "act_raddr": act_raddr,
            "weight_addr": weight_addr,
            "bias_addr": b.delay_by(g, "bias_group", add_cycles),
            "out_we": draining.value,
            "out_waddr": b.zext(waddr, out_addr_bits) if width(waddr) < out_addr_bits else waddr,
            "out_wdata": wdata,
            "done": done,
            **({"weight_group_end": end_of_group} if offchip else {}),
        }
    )
