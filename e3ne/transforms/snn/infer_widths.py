"""`snn-infer-widths`: give each compute layer the narrowest accumulator that cannot overflow.

The width is `signed_width(*accumulator_range(Wq, Bq, T))` (docs/numerics.md §10); the op verifier
re-checks the same bound. Users see the new type (radix neuron input, function result).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern

from e3ne.dialects import snn
from e3ne.dialects.snn_lif import readout_width
from e3ne.errors import E3NEError
from e3ne.lif_numerics import membrane_range
from e3ne.numerics import signed_width
from e3ne.transforms.common import describe, network_function, update_function_type


@dataclass
class TightenAccumulator(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, snn.Conv2dOp | snn.LinearOp) or not op.is_quantized():
            return
        width = signed_width(*op.accumulator_range())
        if width > snn.MAX_ACCUMULATOR_BITS:
            raise E3NEError(
                f"accumulator needs {width} bits, more than {snn.MAX_ACCUMULATOR_BITS}", location=describe(op)
            )
        if snn.width_of(op.output) == width:
            return
        new_type = TensorType(snn.signed_type(width), snn.shape_of(op.output))
        rewriter.replace_value_with_new_type(op.output, new_type)


@dataclass
class TightenLifValues(RewritePattern):
    """An integer membrane (snn.lif output = "membrane") and an snn.readout take the width their
    verifier proves from their input type (docs/numerics.md §16), after the compute layers'."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, snn.LifOp) and op.is_quantized() and op.output_mode() == "membrane":
            half = 1 << (snn.width_of(op.input) - 1)
            low, high = membrane_range(-half, half - 1, int(op.threshold_values().max()), op.steps(), op.reset_kind())
            width = signed_width(low, high)
        elif isinstance(op, snn.ReadoutOp) and not snn.is_float_tensor(op.input.type):
            width = readout_width(op.input.type, op.steps(), op.reduction())
        else:
            return
        if width > snn.MAX_ACCUMULATOR_BITS:
            raise E3NEError(f"{op.name} needs {width} bits, more than {snn.MAX_ACCUMULATOR_BITS}", location=describe(op))
        if snn.width_of(op.output) != width:
            rewriter.replace_value_with_new_type(op.output, TensorType(snn.signed_type(width), snn.shape_of(op.output)))


@dataclass(frozen=True)
class InferWidthsPass(ModulePass):
    """Set compute layers' result types to si<W>, W the proven accumulator width."""

    name = "snn-infer-widths"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(TightenAccumulator(), apply_recursively=False).rewrite_module(op)
        PatternRewriteWalker(TightenLifValues(), apply_recursively=False).rewrite_module(op)
        update_function_type(network_function(op))
