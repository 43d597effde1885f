"""`snnhw-skip-zeros`: mark linear and convolution units that skip all-zero inputs.

A marked `snnhw.linear_unit` / `snnhw.conv_unit` gets the unit attribute `skip_zeros`
(e3ne.model.skipping, docs/zero-skipping.md): after its first group of output lanes it
issues only the chunks (linear) or input rows (conv) of each bit-plane that hold a spike,
so its cycles depend on the image. The schedule (sequential or dataflow) is
recomputed with each marked unit's worst case (dense + SKIP_GAP).

A unit is marked when its weights are on chip and it has at least two groups (the first
group records the skip list), and (conv) rows that read at least as long as they drain;
`layers` limits the marking to those stage names. Other units (pooling, off-chip,
single-group) stay dense.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.passes import ModulePass

from e3ne.dialects import snnhw


def skip_reason(stage: snnhw.StageOp) -> str | None:
    """Why `stage` cannot skip zeros (None: it can)."""
    if not isinstance(stage, snnhw.LinearUnitOp | snnhw.ConvUnitOp):
        return "only linear and convolution units skip zeros"
    if stage.is_offchip():
        return "its weights stream from external memory"
    if getattr(stage, "neuron", None) is not None:
        return "it is an IF/LIF unit (its membrane leaks every step, skipped chunks included; not built yet)"
    if stage.groups() < 2:
        return "it has one group of outputs (" + (
            "P = out_features)" if isinstance(stage, snnhw.LinearUnitOp) else "channels*units = out_channels)"
        )
    shape = stage.shape()
    if isinstance(stage, snnhw.ConvUnitOp) and shape.row_cycles != shape.blocks * shape.block_cycles:
        return "its rows read for fewer cycles than they drain"
    return None


def mark_skip_zeros(accelerator: snnhw.AcceleratorOp, layers: tuple[str, ...] | None = None) -> list[str]:
    """Mark the eligible stages (all, or those named in `layers`); returns their names."""
    schedule = accelerator.schedule()
    stages = schedule.stage_ops()
    marked = []
    for stage in stages:
        if layers is not None and stage.symbol not in layers:
            continue
        if skip_reason(stage) is None:
            stage.properties["skip_zeros"] = UnitAttr()
            marked.append(stage.symbol)
    if marked:
        rescheduled = snnhw.ScheduleOp(
            [s.symbol for s in stages],
            [s.cycles() for s in stages],
            [s.overhead_cycles() for s in stages],
            schedule.schedule_kind(),  # a dataflow schedule stays one, with the worst-case interval
        )
        for name, value in schedule.attributes.items():
            if name != "estimate":
                rescheduled.attributes[name] = value
        accelerator.body.block.insert_op_after(rescheduled, schedule)
        accelerator.body.block.erase_op(schedule)
    return marked


@dataclass(frozen=True)
class SkipZerosPass(ModulePass):
    """`snnhw-skip-zeros{layers=fc1,fc2}`: mark the eligible linear units (default: all)."""

    name = "snnhw-skip-zeros"

    layers: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        names = tuple(n.strip() for n in self.layers.split(",") if n.strip()) or None
        for accelerator in op.walk():
            if isinstance(accelerator, snnhw.AcceleratorOp):
                mark_skip_zeros(accelerator, names)
