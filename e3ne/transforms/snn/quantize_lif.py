"""The IF/LIF part of `snn-quantize` (docs/numerics.md §13-16, docs/lif.md).

On a time-stepped network the compute layers quantize as in a radix network (their spike
inputs are ui1 with scale 0; a direct-coded first layer reads `snn.encode` of `input_bits`
bits), and:

* snn.rate_encode (f32) -> snn.rate_encode (ui1), the same spikes;
* snn.lif (f32) -> integer snn.lif on the layer's current V (scale s = s_w + s_in):
  `threshold = round(thr * 2^s)`, `beta = round(beta * 2^F)`, `leak_bits = F`, `scale = s`;
  spikes become ui1, a membrane output si<W> (`snn-infer-widths` sets W);
* snn.readout -> integer snn.readout (si<W>).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import TensorType
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.lif_numerics import quantize_leak, quantize_threshold
from e3ne.transforms.common import describe

THRESHOLD_BITS = 32


class QuantizeRateEncode(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.RateEncodeOp, rewriter: PatternRewriter) -> None:
        if not op.is_quantized():
            rewriter.replace(op, snn.RateEncodeOp(op.input, op.steps(), op.seed.value.data, quantized=True))


@dataclass
class QuantizeLif(RewritePattern):
    leak_bits: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.LifOp, rewriter: PatternRewriter) -> None:
        if op.is_quantized() or snn.is_float_tensor(op.input.type):
            return  # done, or its producer is not quantized yet
        producer = op.input.owner
        if not isinstance(producer, snn.Conv2dOp | snn.LinearOp):
            raise E3NEError("snn.lif must directly follow snn.conv2d or snn.linear", location=describe(op))
        scale = producer.weight_scale.value.data + producer.input_scale.value.data
        threshold = quantize_threshold(op.threshold_values(), scale)
        if threshold.max() >= 1 << (THRESHOLD_BITS - 1):
            raise E3NEError(
                f"quantized threshold {threshold.max()} does not fit si{THRESHOLD_BITS} (scale 2^{scale})",
                location=describe(op),
            )
        beta = quantize_leak(op.beta_values(), self.leak_bits)
        result = None
        if op.output_mode() == "membrane":
            result = TensorType(snn.signed_type(snn.MAX_ACCUMULATOR_BITS), snn.shape_of(op.output))
        rewriter.replace(
            op,
            snn.LifOp(
                op.input, op.steps(), beta, threshold, op.reset_kind(), op.output_mode(),
                leak_bits=self.leak_bits, scale=scale, result_type=result,
            ),
        )


class QuantizeReadout(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.ReadoutOp, rewriter: PatternRewriter) -> None:
        if snn.is_float_tensor(op.output.type) and not snn.is_float_tensor(op.input.type):
            width = snn.MAX_ACCUMULATOR_BITS
            result = TensorType(snn.signed_type(width), snn.shape_of(op.output))
            rewriter.replace(op, snn.ReadoutOp(op.input, op.steps(), op.reduction(), result))


def check_quantized_lif(function: func.FuncOp) -> None:
    """Every op is in integer form, each compute layer feeds exactly one snn.lif, and the
    function returns an snn.readout."""
    for op in function.walk():
        if op.name.startswith("snn.") and any(snn.is_float_tensor(r.type) for r in op.results):
            raise E3NEError(
                "op could not be quantized: expected snn.input or snn.rate_encode -> compute layers each "
                "followed by snn.lif -> pools/flatten -> snn.readout",
                location=describe(op),
            )
        if isinstance(op, snn.Conv2dOp | snn.LinearOp):
            users = [use.operation for use in op.output.uses]
            if len(users) != 1 or not isinstance(users[0], snn.LifOp):
                raise E3NEError(
                    "in an IF/LIF network every compute layer must feed exactly one snn.lif", location=describe(op)
                )
        if isinstance(op, func.ReturnOp):
            for value in op.arguments:
                if not isinstance(value.owner, snn.ReadoutOp):
                    raise E3NEError("an IF/LIF network must return an snn.readout", location=describe(op))
