"""Move the weight ROMs of chosen layers of a lowered `snnhw.accelerator` off chip.

The same result as lowering with `lower-snn-to-snnhw{offchip-weights=...}`, applied to an
accelerator lowered with its weights on-chip: the chosen layers' ROMs become
`kind = "offchip"` with 4 KiB-aligned base addresses (network order), the accelerator
gets the external memory model, and the schedule is recomputed (an off-chip unit waits
for its weights). The driver uses it so that one compile lowers to snnhw once: the
off-chip decision needs the on-chip design's estimate first.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, i64

from e3ne.dialects import snnhw
from e3ne.model.memory import check_memory_model
from e3ne.offchip import assign_base_addresses
from e3ne.transforms.snnhw.schedule import check_dataflow_weights, reschedule


def place_weights_offchip(
    accelerator: snnhw.AcceleratorOp, layers: tuple[str, ...] | list[str], axi_data_width: int, memory_latency: int
) -> None:
    """Stream the weights of `layers` (stage names) from external memory; no-op if empty."""
    if not layers:
        return
    check_memory_model(axi_data_width, memory_latency)
    schedule = accelerator.schedule()
    stages = schedule.stage_ops()
    if schedule.is_dataflow():
        check_dataflow_weights(accelerator, [s.symbol for s in stages if s.symbol in layers])
    roms = {op.symbol: op for op in accelerator.body.ops if isinstance(op, snnhw.RomOp)}
    chosen = [roms[stage.weights.root_reference.data] for stage in stages if stage.symbol in layers]
    assign_base_addresses(chosen, axi_data_width)
    accelerator.properties["axi_data_width"] = IntegerAttr(axi_data_width, i64)
    accelerator.properties["memory_latency"] = IntegerAttr(memory_latency, i64)
    reschedule(accelerator)

