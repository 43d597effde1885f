"""`lower-snn-to-hw`: the named pipeline integer `snn` -> `snnhw` -> CIRCT `hw`/`comb`/`seq`.

Runs `snn-infer-widths` first when it is registered (accumulators still si64 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY
from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw, needs_width_inference
from e3ne.lowering.snnhw_to_circt import LowerSnnhwToCirct


def infer_widths(ctx: Context, op: ModuleOp) -> None:
    if not needs_width_inference(op):
        return
    try:
        from e3ne.transforms.snn.infer_widths import InferWidthsPass  # written by the snn-level engineer
    except ImportError:
        return  # lower-snn-to-snnhw then reports the si64 accumulators
    InferWidthsPass().apply(ctx, op)


@dataclass(frozen=True)
class LowerSnnToHw(ModulePass):
    name = "lower-snn-to-hw"

    linear_parallelism: tuple[int, ...] = ()
    parallelism: str = ""
    fuse_pooling: bool = True
    offchip_weights: str = "none"
    axi_data_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        infer_widths(ctx, op)
        LowerSnnToSnnhw(
            linear_parallelism=self.linear_parallelism,
            parallelism=self.parallelism,
            fuse_pooling=self.fuse_pooling,
            offchip_weights=self.offchip_weights,
            axi_data_width=self.axi_data_width,
            memory_latency=self.memory_latency,
        ).apply(ctx, op)
        LowerSnnhwToCirct().apply(ctx, op)
