"""The statically scheduled controller: starts the stages one after another.

Stage 0 starts with the host's `start`; stage l+1 starts the cycle after stage l pulses
`done` (its last write has then landed); the host's `done` rises the cycle after the
last stage's `done` and stays high until the next `start`. So start -> done takes
exactly `snnhw.schedule.cycles` cycles.
"""

from __future__ import annotations

from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port


def build_controller(module_name: str, stages: list[str]):
    inputs = [Port("start", 1)] + [Port(f"{s}_done", 1) for s in stages]
    outputs = [Port(f"{s}_start", 1) for s in stages] + [Port("done", 1)]
    b = ModuleBuilder(module_name, inputs, outputs)
    starts = {f"{stages[0]}_start": b.inputs["start"]}
    for previous, stage in zip(stages, stages[1:]):
        starts[f"{stage}_start"] = b.delay(b.inputs[f"{previous}_done"], f"{stage}_go")
    finished = b.flag("finished", b.inputs[f"{stages[-1]}_done"], b.inputs["start"])
    # `finished` is set the cycle after the last done; the start of a new run clears it.
    return b.finish({**starts, "done": b.and_(finished, b.not_(b.inputs["start"]))})
