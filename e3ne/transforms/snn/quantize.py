"""`snn-quantize{time-steps=4 weight-bits=4 sigma=3}`: float snn -> radix-encoded integer snn.

docs/numerics.md §2-6 on calibrated, batch-norm-folded IR:

* snn.input -> snn.encode with `scale = s_in0` from its `calib_max`;
* each conv2d/linear gets `Wq` (si<b>), `Bq` (si32), `weight_scale = s_w`,
  `input_scale = s_in` and an si64 result (`snn-infer-widths` tightens it);
* the snn.relu after each hidden compute layer -> snn.radix_neuron with
  `shift = s_w + s_in - s_out`, `output_scale = s_out` from the relu's `calib_max`;
* pools and flatten keep the scale and carry ui<T> activations;
* the last compute layer's si64 values are returned (the function type follows).

An IF/LIF network (docs/lif.md) keeps its T; `input-bits` is the width of its direct-coded
input (`snn.encode`), `leak-bits` the F of its fixed-point leak (`quantize_lif.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.numerics import activation_scale, quantize_bias, quantize_weights, weight_scale
from e3ne.lif_numerics import DEFAULT_LEAK_BITS, MAX_LEAK_BITS, MAX_LIF_TIME_STEPS
from e3ne.transforms.common import check_finite, describe, network_function, update_function_type
from e3ne.transforms.snn.quantize_lif import QuantizeLif, QuantizeRateEncode, QuantizeReadout, check_quantized_lif

ACCUMULATOR_BEFORE_WIDTHS = 64
BIAS_BITS = 32


def scale_of(value: SSAValue) -> int:
    """The activation scale s of an integer activation value (docs/numerics.md §2: pools and flatten keep it)."""
    owner = value.owner
    if isinstance(owner, snn.EncodeOp):
        return owner.scale.value.data
    if isinstance(owner, snn.RadixNeuronOp):
        return owner.output_scale.value.data
    if isinstance(owner, snn.LifOp | snn.RateEncodeOp):
        return 0  # spikes are 0/1 (docs/numerics.md §14)
    if isinstance(owner, snn.Pool2dOp | snn.FlattenOp):
        return scale_of(owner.input)
    raise E3NEError("cannot tell the activation scale of this value", location=describe(owner))


def _calibrated_max(op: snn.InputOp | snn.ReluOp) -> float:
    if op.calib_max is None:
        raise E3NEError("no calib_max: run snn-calibrate (or calibrate()) before snn-quantize", location=describe(op))
    return op.calib_max.value.data


@dataclass
class EncodeInput(RewritePattern):
    time_steps: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.InputOp, rewriter: PatternRewriter) -> None:
        scale = activation_scale(_calibrated_max(op), self.time_steps)
        rewriter.replace(op, snn.EncodeOp(op.input, scale, self.time_steps))


@dataclass
class QuantizeComputeLayer(RewritePattern):
    weight_bits: int
    sigma: float

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, snn.Conv2dOp | snn.LinearOp) or not isinstance(
            op.weight.get_element_type(), Float32Type
        ):
            return
        if not snn.is_activation_tensor(op.input.type):
            return  # its producer is not quantized yet
        input_scale = scale_of(op.input)
        weights = dense_to_numpy(op.weight)
        check_finite(op, weights, None if op.bias is None else dense_to_numpy(op.bias))
        try:
            scale_w = weight_scale(weights, self.weight_bits, self.sigma)
        except ValueError as error:
            raise E3NEError(str(error), location=describe(op)) from None
        weight = numpy_to_dense(
            quantize_weights(weights, scale_w, self.weight_bits), snn.signed_type(self.weight_bits)
        )
        bias = None
        if op.bias is not None:
            bias_q = quantize_bias(dense_to_numpy(op.bias), scale_w, input_scale)
            limit = 1 << (BIAS_BITS - 1)
            if bias_q.min() < -limit or bias_q.max() >= limit:
                raise E3NEError(
                    f"quantized bias reaches [{bias_q.min()}, {bias_q.max()}], which does not fit si{BIAS_BITS} "
                    f"(s_w = {scale_w}, s_in = {input_scale})",
                    location=describe(op),
                )
            bias = numpy_to_dense(bias_q, snn.signed_type(BIAS_BITS))
        result = TensorType(snn.signed_type(ACCUMULATOR_BEFORE_WIDTHS), snn.shape_of(op.output))
        if isinstance(op, snn.Conv2dOp):
            new = snn.Conv2dOp(
                op.input, weight, bias, op.strides(), op.paddings(), result, scale_w, input_scale
            )
        else:
            new = snn.LinearOp(op.input, weight, bias, result, scale_w, input_scale)
        rewriter.replace(op, new)


@dataclass
class ReluToRadixNeuron(RewritePattern):
    time_steps: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.ReluOp, rewriter: PatternRewriter) -> None:
        producer = op.input.owner
        if snn.is_float_tensor(op.input.type):
            return  # its producer is not quantized yet
        if not isinstance(producer, snn.Conv2dOp | snn.LinearOp):
            raise E3NEError(
                "snn.relu must directly follow snn.conv2d or snn.linear to become a radix neuron",
                location=describe(op),
            )
        output_scale = activation_scale(_calibrated_max(op), self.time_steps)
        shift = producer.weight_scale.value.data + producer.input_scale.value.data - output_scale
        rewriter.replace(op, snn.RadixNeuronOp(op.input, shift, self.time_steps, output_scale))


@dataclass
class IntegerPoolOrFlatten(RewritePattern):
    """Pools and flatten on ui<T> activations: same op, integer element type."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, snn.Pool2dOp | snn.FlattenOp):
            return
        if not snn.is_float_tensor(op.output.type) or not snn.is_activation_tensor(op.input.type):
            return
        if isinstance(op, snn.FlattenOp):
            new = snn.FlattenOp(op.input)
        else:
            result = TensorType(op.input.type.element_type, snn.shape_of(op.output))
            new = type(op)(op.input, op.kernel_size(), op.strides(), op.paddings(), result)
        rewriter.replace(op, new)


def check_quantized(function: func.FuncOp) -> None:
    """Every op is in integer form and each compute layer is hidden (one radix neuron) or returned."""
    for op in function.walk():
        if op.name.startswith("snn.") and any(snn.is_float_tensor(r.type) for r in op.results):
            raise E3NEError(
                "op could not be quantized: its input is not a radix-encoded activation "
                "(expected snn.input -> compute layers with snn.relu -> pools/flatten)",
                location=describe(op),
            )
        if isinstance(op, snn.Conv2dOp | snn.LinearOp):
            users = [use.operation for use in op.output.uses]
            neurons = [user for user in users if isinstance(user, snn.RadixNeuronOp)]
            if neurons and len(users) != 1:
                raise E3NEError("a hidden layer's output must feed only its snn.relu", location=describe(op))
            if not neurons and not all(isinstance(user, func.ReturnOp) for user in users):
                raise E3NEError(
                    "a hidden compute layer must be followed by snn.relu (only the last layer may return "
                    "its values)",
                    location=describe(op),
                )
    for op in function.walk():
        if isinstance(op, func.ReturnOp):
            for value in op.arguments:
                if not isinstance(value.owner, snn.Conv2dOp | snn.LinearOp):
                    raise E3NEError(
                        "the network must end in snn.conv2d or snn.linear without snn.relu (its values are "
                        f"the logits), but returns the result of {getattr(value.owner, 'name', 'an argument')}",
                        location=describe(op),
                    )


@dataclass(frozen=True)
class QuantizePass(ModulePass):
    """Quantize calibrated float snn IR to radix-encoded integer snn IR (docs/numerics.md §2-6)."""

    name = "snn-quantize"

    time_steps: int = 4
    weight_bits: int = 4
    sigma: float | int = 3.0
    input_bits: int = 8
    leak_bits: int = DEFAULT_LEAK_BITS

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not 2 <= self.weight_bits <= snn.MAX_WEIGHT_BITS:
            raise E3NEError(f"weight-bits must be in [2, {snn.MAX_WEIGHT_BITS}], got {self.weight_bits}")
        if not (self.sigma > 0 and math.isfinite(self.sigma)):
            raise E3NEError(f"sigma must be a positive finite number, got {self.sigma}")
        if not 1 <= self.input_bits <= snn.MAX_TIME_STEPS:
            raise E3NEError(f"input-bits must be in [1, {snn.MAX_TIME_STEPS}], got {self.input_bits}")
        if not 0 <= self.leak_bits <= MAX_LEAK_BITS:
            raise E3NEError(f"leak-bits must be in [0, {MAX_LEAK_BITS}], got {self.leak_bits}")
        function = network_function(op)
        try:
            lif_steps = snn.network_time_steps(function)
        except VerifyException as error:
            raise E3NEError(str(error), location=f"@{function.sym_name.data}") from None
        for batchnorm in function.walk():
            if isinstance(batchnorm, snn.BatchNormOp):
                raise E3NEError(
                    "batch norm left in the network: run snn-fold-batchnorm first", location=describe(batchnorm)
                )
        if lif_steps is not None:
            patterns = [
                EncodeInput(self.input_bits),
                QuantizeRateEncode(),
                QuantizeComputeLayer(self.weight_bits, float(self.sigma)),
                QuantizeLif(self.leak_bits),
                IntegerPoolOrFlatten(),
                QuantizeReadout(),
            ]
        else:
            if not 1 <= self.time_steps <= snn.MAX_TIME_STEPS:
                raise E3NEError(
                    f"time-steps must be in [1, {snn.MAX_TIME_STEPS}] for a radix network (T = activation bits; "
                    f"IF/LIF networks take up to {MAX_LIF_TIME_STEPS} steps), got {self.time_steps}"
                )
            patterns = [
                EncodeInput(self.time_steps),
                QuantizeComputeLayer(self.weight_bits, float(self.sigma)),
                ReluToRadixNeuron(self.time_steps),
                IntegerPoolOrFlatten(),
            ]
        PatternRewriteWalker(GreedyRewritePatternApplier(patterns)).rewrite_module(op)
        if lif_steps is not None:
            check_quantized_lif(function)
        else:
            check_quantized(function)
        update_function_type(function)
