"""`lower-snn-to-hw`: the named pipeline integer `snn` -> `snnhw` -> CIRCT `hw`/`comb`/`seq`.

Runs `snn-infer-widths` first when accumulators are still si64, then `lower-snn-to-snnhw`
(whose options it takes) and `lower-snnhw-to-circt`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw, needs_width_inference
from e3ne.lowering.snnhw_to_circt import LowerSnnhwToCirct
from e3ne.transforms.snn.infer_widths import InferWidthsPass


def infer_widths(ctx: Context, op: ModuleOp) -> None:
    """`snn-infer-widths`, when some accumulator is still si64."""
    if needs_width_inference(op):
        InferWidthsPass().apply(ctx, op)


@dataclass(frozen=True)
class LowerSnnToHw(LowerSnnToSnnhw):
    name = "lower-snn-to-hw"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        infer_widths(ctx, op)
        super().apply(ctx, op)
        LowerSnnhwToCirct().apply(ctx, op)
