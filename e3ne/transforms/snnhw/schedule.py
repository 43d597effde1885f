"""Set an `snnhw.accelerator`'s schedule kind (`sequential` or `dataflow`).

`set_schedule(accelerator, "dataflow")` gives every buffer the stages read or write
`copies = 2` (ping-pong halves) and rebuilds the `snnhw.schedule` with `kind = "dataflow"`,
its `interval` and `latency` (`e3ne.model.schedule`). The lowering's option
`lower-snn-to-snnhw{schedule=dataflow}` calls it; a dataflow schedule refuses off-chip
weights (the stages would share the one AXI read port at once).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, i64

from e3ne.dialects import snnhw
from e3ne.errors import E3NEError
from e3ne.model.schedule import DATAFLOW_COPIES, ScheduleKind, schedule_kind


def check_dataflow_weights(accelerator: snnhw.AcceleratorOp, layers: list[str] | None = None) -> None:
    """E3NEError if some weight ROM is off chip (or `layers` would move off chip)."""
    offchip = [f"@{rom.symbol}" for rom in accelerator.offchip_roms()] + [f"layer {name}" for name in layers or []]
    if offchip:
        raise E3NEError(
            f"the dataflow schedule needs every weight ROM on chip, but {', '.join(offchip)} "
            "stream(s) from external memory (all stages run at once and would share the one AXI read port)",
            location=f"snnhw.accelerator @{accelerator.sym_name.data}",
            hint="use --offchip-weights none with --schedule dataflow, or --schedule sequential",
        )


def reschedule(accelerator: snnhw.AcceleratorOp, kind: ScheduleKind | str | None = None) -> snnhw.ScheduleOp:
    """Replace the schedule op with one recomputed from the stages (kind kept unless given)."""
    schedule = accelerator.schedule()
    kind = schedule.schedule_kind() if kind is None else schedule_kind(kind)
    stages = schedule.stage_ops()
    new = snnhw.ScheduleOp(
        [s.symbol for s in stages], [s.cycles() for s in stages], [s.overhead_cycles() for s in stages], kind
    )
    accelerator.body.block.insert_op_after(new, schedule)
    accelerator.body.block.erase_op(schedule)
    return new


def set_schedule(accelerator: snnhw.AcceleratorOp, kind: ScheduleKind | str | None) -> None:
    """Make `accelerator`'s schedule `kind`; a no-op for sequential on a sequential one."""
    try:
        kind = schedule_kind(kind)
    except ValueError as error:
        raise E3NEError(str(error), hint="--schedule sequential or --schedule dataflow") from None
    schedule = accelerator.schedule()
    if kind == schedule.schedule_kind():
        return
    if kind == ScheduleKind.DATAFLOW:
        check_dataflow_weights(accelerator)
    for buffer in schedule.buffers():
        if kind == ScheduleKind.DATAFLOW:
            buffer.properties["copies"] = IntegerAttr(DATAFLOW_COPIES, i64)
        else:
            buffer.properties.pop("copies", None)
    reschedule(accelerator, kind)
