"""The dataflow controller: a handshake per stage, all stages at once on successive images.

Buffer k (0 = the input, the host writes it; L = the last, the host reads it) sits between
stage k-1 and stage k and holds two images (ping-pong halves; `e3ne.model.schedule`).
Per buffer the controller keeps

* `avail_k`: images written and not yet taken by the consumer (0..2),
* `occ_k`: halves in use: being written, or written and not yet fully read (0..2),
* `wsel_k` / `rsel_k`: the half the producer writes / the consumer reads; each toggles on
  its side's done (the host's `start` and `ack` for the input and output buffers),

and per stage a `busy` flag. Stage k may start (`go_k`) when it is not busy, its input
buffer has an image (`avail_k > 0`) and its output buffer has a free half (`occ_k+1 < 2`),
counting the dones of this cycle; `start_k` is `go_k` registered, so a stage starts the
cycle after the done that let it (as the sequential controller). `go_k` only depends on the
registers and the dones, never on another stage's `go`.

Host side: `in_ready` (a free input half: write it, then pulse `start`), `in_sel` (the half
the host writes), `done` (a result is readable, in half `out_sel`; read it, then pulse
`ack`) and `image_done` (one cycle, when each image's result becomes readable).
"""

from __future__ import annotations

from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port, Value

COUNT_BITS = 2  # 0..2 images per buffer


def controller_ports(stages: list[str]) -> tuple[list[Port], list[Port]]:
    inputs = [Port("start", 1), Port("ack", 1)] + [Port(f"{s}_done", 1) for s in stages]
    outputs = [Port(f"{s}_start", 1) for s in stages]
    outputs += [p for s in stages for p in (Port(f"{s}_rsel", 1), Port(f"{s}_wsel", 1))]
    outputs += [Port("in_sel", 1), Port("out_sel", 1), Port("in_ready", 1), Port("done", 1), Port("image_done", 1)]
    return inputs, outputs


def _step(b: ModuleBuilder, value: Value, up: Value | None, down: Value | None) -> Value:
    """A 0..2 count after an `up` and/or a `down` event this cycle (None: no such event)."""
    if up is None:
        return b.mux(down, b.sub(value, 1), value)
    if down is None:
        return b.mux(up, b.add(value, 1), value)
    return b.mux(up, b.mux(down, value, b.add(value, 1)), b.mux(down, b.sub(value, 1), value))


def build_dataflow_controller(module_name: str, stages: list[str]):
    inputs, outputs = controller_ports(stages)
    b = ModuleBuilder(module_name, inputs, outputs)
    count = len(stages)
    dones = [b.inputs[f"{s}_done"] for s in stages]
    # the event that fills buffer k (its producer's done) and the one that frees it (its consumer's done)
    filled = [b.inputs["start"], *dones]
    freed = [*dones, b.inputs["ack"]]
    avail = [b.register(f"avail{k}", COUNT_BITS) for k in range(count + 1)]
    occ = [b.register(f"occupied{k}", COUNT_BITS) for k in range(count + 1)]
    busy = [b.register(f"{s}_busy", 1) for s in stages]
    # next values without this cycle's go
    avail_next = [_step(b, a.value, filled[k], None) for k, a in enumerate(avail)]
    occ_next = [_step(b, o.value, None, freed[k]) for k, o in enumerate(occ)]
    idle_next = [b.not_(b.and_(r.value, b.not_(d))) for r, d in zip(busy, dones)]
    go = [
        b.named(
            b.and_(idle_next[k], b.compare("ne", avail_next[k], 0), b.compare("ult", occ_next[k + 1], 2)),
            f"{stages[k]}_go",
        )
        for k in range(count)
    ]
    for k, reg in enumerate(busy):
        reg.drive(b.or_(go[k], b.not_(idle_next[k])))
    # buffer k is taken by stage k's go (the output buffer by the host's ack) and occupied by
    # stage k-1's go (the input buffer by the host's start: it writes before it commits)
    taken = [*go, b.inputs["ack"]]
    claimed = [b.inputs["start"], *go]
    for k in range(count + 1):
        avail[k].drive(_step(b, avail[k].value, filled[k], taken[k]))
        occ[k].drive(_step(b, occ[k].value, claimed[k], freed[k]))
    wsel = [_toggle(b, f"wsel{k}", filled[k]) for k in range(count + 1)]
    rsel = [_toggle(b, f"rsel{k}", freed[k]) for k in range(count + 1)]
    result = {f"{s}_start": b.delay(go[k], f"{s}_go_q") for k, s in enumerate(stages)}
    for k, s in enumerate(stages):
        result[f"{s}_rsel"] = rsel[k]
        result[f"{s}_wsel"] = wsel[k + 1]
    result.update(
        in_sel=wsel[0],
        out_sel=rsel[count],
        in_ready=b.compare("ult", occ[0].value, 2),
        done=b.compare("ne", avail[count].value, 0),
        image_done=b.delay(dones[-1], "image_done_q"),
    )
    return b.finish(result)


def _toggle(b: ModuleBuilder, name: str, event: Value) -> Value:
    reg = b.register(name, 1)
    reg.drive(b.not_(reg.value), event)
    return reg.value
