"""The `snn` dialect: a spiking network at tensor level (the pipeline's first IR level, see README.md "Layout").

One dialect, two forms that share the ops:

* float, as traced from PyTorch: activations are `tensor<...xf32>`, weights `f32`;
* radix-encoded integer, after `snn-quantize`: activations are unsigned T-bit
  (`tensor<...xui4>` for T = 4), weights signed b-bit (`si4`), biases `si32`, and
  compute layers produce signed accumulator values (`tensor<...xsi17>`), whose width
  `snn-infer-widths` derives.

Every op verifies its shapes and attributes with a message that states the rule.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    Signedness,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from e3ne.dense import dense_to_numpy
from e3ne.numerics import MAX_TIME_STEPS, accumulator_range, signed_width

MAX_WEIGHT_BITS = 16
MAX_ACCUMULATOR_BITS = 64

# --------------------------------------------------------------------------- helpers


def pair(values: tuple[int, int] | list[int]) -> DenseArrayBase:
    """An `array<i64: a, b>` attribute for strides, paddings and kernel sizes."""
    return DenseArrayBase.from_list(i64, list(values))


def int_attr(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def activation_type(time_steps: int) -> IntegerType:
    """The element type of radix-encoded activations: unsigned, T bits."""
    return IntegerType(time_steps, Signedness.UNSIGNED)


def signed_type(width: int) -> IntegerType:
    return IntegerType(width, Signedness.SIGNED)


def is_float_tensor(attr: Attribute) -> bool:
    return isinstance(attr, TensorType) and isinstance(attr.element_type, Float32Type)


def is_activation_tensor(attr: Attribute) -> bool:
    return (
        isinstance(attr, TensorType)
        and isinstance(attr.element_type, IntegerType)
        and attr.element_type.signedness.data == Signedness.UNSIGNED
    )


def is_signed_tensor(attr: Attribute) -> bool:
    return (
        isinstance(attr, TensorType)
        and isinstance(attr.element_type, IntegerType)
        and attr.element_type.signedness.data == Signedness.SIGNED
    )


def shape_of(value: SSAValue | Attribute) -> tuple[int, ...]:
    type_ = value.type if isinstance(value, SSAValue) else value
    assert isinstance(type_, TensorType)
    return tuple(type_.get_shape())


def width_of(value: SSAValue) -> int:
    type_ = value.type
    assert isinstance(type_, TensorType) and isinstance(type_.element_type, IntegerType)
    return type_.element_type.width.data


def _fmt(shape) -> str:
    return "x".join(str(d) for d in shape)


def _pair_values(attr: DenseArrayBase, what: str, minimum: int) -> tuple[int, int]:
    values = attr.get_values()
    if len(values) != 2:
        raise VerifyException(f"{what} must have 2 values (height, width), got {len(values)}")
    if min(values) < minimum:
        raise VerifyException(f"{what} must be >= {minimum}, got {list(values)}")
    return int(values[0]), int(values[1])


def _window_output(
    size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int], what: str
) -> tuple[int, int]:
    padded = (size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise VerifyException(
            f"{what} {_fmt(kernel)} does not fit input {_fmt(size)} (padding {_fmt(padding)})"
        )
    return ((padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1)


def _check_rank(value: SSAValue, rank: int, what: str) -> tuple[int, ...]:
    if not isinstance(value.type, TensorType):
        raise VerifyException(f"{what} must be a tensor, got {value.type}")
    shape = shape_of(value)
    if len(shape) != rank:
        raise VerifyException(f"{what} must have rank {rank}, got shape {_fmt(shape)}")
    return shape


def _check_time_steps(attr: IntegerAttr) -> int:
    value = attr.value.data
    if not 1 <= value <= MAX_TIME_STEPS:
        raise VerifyException(f"time_steps must be in [1, {MAX_TIME_STEPS}], got {value}")
    return value


# --------------------------------------------------------------------------- ops


class ComputeOp(IRDLOperation):
    """Shared verification of `snn.conv2d` and `snn.linear` in their two forms."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    weight = prop_def(DenseIntOrFPElementsAttr)
    bias = opt_prop_def(DenseIntOrFPElementsAttr)
    weight_scale = opt_prop_def(IntegerAttr[I64])
    input_scale = opt_prop_def(IntegerAttr[I64])

    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"
    irdl_options = (ParsePropInAttrDict(),)
    traits = traits_def(Pure())

    WEIGHT_RANK: ClassVar[int]

    def is_quantized(self) -> bool:
        return is_activation_tensor(self.input.type)

    def output_channels(self) -> int:
        return self.weight.get_shape()[0]

    def time_steps(self) -> int:
        return width_of(self.input)

    def verify_form(self) -> None:
        weight_shape = tuple(self.weight.get_shape())
        if len(weight_shape) != self.WEIGHT_RANK:
            raise VerifyException(f"weight must have rank {self.WEIGHT_RANK}, got shape {_fmt(weight_shape)}")
        if self.bias is not None and tuple(self.bias.get_shape()) != (weight_shape[0],):
            raise VerifyException(
                f"bias shape {_fmt(self.bias.get_shape())} does not match {weight_shape[0]} output channels"
            )
        weight_elem = self.weight.get_element_type()
        if is_float_tensor(self.input.type):
            if not isinstance(weight_elem, Float32Type) or not is_float_tensor(self.output.type):
                raise VerifyException("a float layer needs f32 weights and an f32 result")
            if self.bias is not None and not isinstance(self.bias.get_element_type(), Float32Type):
                raise VerifyException("a float layer needs an f32 bias")
            if self.weight_scale is not None or self.input_scale is not None:
                raise VerifyException("weight_scale/input_scale belong to the quantized form (integer input)")
            return
        if not is_activation_tensor(self.input.type):
            raise VerifyException(
                f"input must be f32 or unsigned T-bit activations (ui<T>), got {self.input.type}"
            )
        _check_time_steps(IntegerAttr(self.time_steps(), i64))
        if not (isinstance(weight_elem, IntegerType) and weight_elem.signedness.data == Signedness.SIGNED):
            raise VerifyException(f"quantized weights must be signed integers (si<b>), got {weight_elem}")
        if not 2 <= weight_elem.width.data <= MAX_WEIGHT_BITS:
            raise VerifyException(f"weight bits must be in [2, {MAX_WEIGHT_BITS}], got {weight_elem.width.data}")
        if self.bias is not None and self.bias.get_element_type() != signed_type(32):
            raise VerifyException(f"quantized bias must be si32, got {self.bias.get_element_type()}")
        if self.weight_scale is None or self.input_scale is None:
            raise VerifyException("the quantized form needs weight_scale (s_w) and input_scale (s_in)")
        if not is_signed_tensor(self.output.type):
            raise VerifyException(f"result must hold signed accumulator values (si<W>), got {self.output.type}")
        width = width_of(self.output)
        if width > MAX_ACCUMULATOR_BITS:
            raise VerifyException(f"accumulator width {width} exceeds {MAX_ACCUMULATOR_BITS} bits")
        if width < MAX_ACCUMULATOR_BITS:
            low, high = self.accumulator_range()
            needed = signed_width(low, high)
            if width < needed:
                raise VerifyException(
                    f"accumulator width {width} can overflow: values reach [{low}, {high}], "
                    f"which needs {needed} bits"
                )

    def accumulator_range(self) -> tuple[int, int]:
        bias = None if self.bias is None else dense_to_numpy(self.bias)
        return accumulator_range(dense_to_numpy(self.weight), bias, self.time_steps())

    def check_element_kinds(self) -> None:
        if self.bias is not None and is_float_tensor(self.input.type) != isinstance(
            self.bias.get_element_type(), Float32Type
        ):
            raise VerifyException("bias and input must both be float or both be integer")


@irdl_op_definition
class Conv2dOp(ComputeOp):
    """2-D convolution, NCHW, groups = 1, dilation = 1.

    Float form: `y = W * x + B`. Quantized form (docs/numerics.md §5): `V = Wq * a + Bq`,
    exact, computed bit-serially over the spike train of `a`.
    """

    name = "snn.conv2d"
    stride = prop_def(DenseArrayBase)
    padding = prop_def(DenseArrayBase)
    WEIGHT_RANK: ClassVar[int] = 4

    def __init__(
        self,
        input: SSAValue | Operation,
        weight: DenseIntOrFPElementsAttr,
        bias: DenseIntOrFPElementsAttr | None,
        stride: tuple[int, int],
        padding: tuple[int, int],
        result_type: TensorType,
        weight_scale: int | None = None,
        input_scale: int | None = None,
    ):
        properties: dict[str, Attribute] = {"weight": weight}
        if bias is not None:
            properties["bias"] = bias
        properties["stride"] = pair(stride)
        properties["padding"] = pair(padding)
        if weight_scale is not None:
            properties["weight_scale"] = int_attr(weight_scale)
        if input_scale is not None:
            properties["input_scale"] = int_attr(input_scale)
        super().__init__(operands=[input], result_types=[result_type], properties=properties)

    def kernel(self) -> tuple[int, int]:
        shape = self.weight.get_shape()
        return shape[2], shape[3]

    def strides(self) -> tuple[int, int]:
        return _pair_values(self.stride, "stride", 1)

    def paddings(self) -> tuple[int, int]:
        return _pair_values(self.padding, "padding", 0)

    def verify_(self) -> None:
        n, c, h, w = _check_rank(self.input, 4, "input")
        self.verify_form()
        oc, ic, kh, kw = self.weight.get_shape()
        if ic != c:
            raise VerifyException(f"weight expects {ic} input channels, input has {c}")
        oh, ow = _window_output((h, w), (kh, kw), self.strides(), self.paddings(), "kernel")
        expected = (n, oc, oh, ow)
        if shape_of(self.output) != expected:
            raise VerifyException(f"result shape {_fmt(shape_of(self.output))} should be {_fmt(expected)}")


@irdl_op_definition
class LinearOp(ComputeOp):
    """Fully connected layer `y = x W^T + B` on (N, in) inputs; quantized as Conv2dOp."""

    name = "snn.linear"
    WEIGHT_RANK: ClassVar[int] = 2

    def __init__(
        self,
        input: SSAValue | Operation,
        weight: DenseIntOrFPElementsAttr,
        bias: DenseIntOrFPElementsAttr | None,
        result_type: TensorType,
        weight_scale: int | None = None,
        input_scale: int | None = None,
    ):
        properties: dict[str, Attribute] = {"weight": weight}
        if bias is not None:
            properties["bias"] = bias
        if weight_scale is not None:
            properties["weight_scale"] = int_attr(weight_scale)
        if input_scale is not None:
            properties["input_scale"] = int_attr(input_scale)
        super().__init__(operands=[input], result_types=[result_type], properties=properties)

    def verify_(self) -> None:
        n, features = _check_rank(self.input, 2, "input")
        self.verify_form()
        out_features, in_features = self.weight.get_shape()
        if in_features != features:
            raise VerifyException(f"weight expects {in_features} input features, input has {features}")
        if shape_of(self.output) != (n, out_features):
            raise VerifyException(
                f"result shape {_fmt(shape_of(self.output))} should be {_fmt((n, out_features))}"
            )


class UnaryOp(IRDLOperation):
    """An op with one tensor operand and one tensor result."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"
    irdl_options = (ParsePropInAttrDict(),)
    traits = traits_def(Pure())

    def check_same_shape(self) -> None:
        if shape_of(self.input) != shape_of(self.output):
            raise VerifyException(
                f"result shape {_fmt(shape_of(self.output))} must equal input shape {_fmt(shape_of(self.input))}"
            )

    def check_float(self) -> None:
        if not (is_float_tensor(self.input.type) and is_float_tensor(self.output.type)):
            raise VerifyException(f"{self.name} works on f32 tensors, got {self.input.type}")


class CalibratedOp(UnaryOp):
    """A float op whose output maximum over the calibration set is recorded as `calib_max`."""

    calib_max = opt_prop_def(FloatAttr)

    def __init__(self, input: SSAValue | Operation):
        value = SSAValue.get(input)
        super().__init__(operands=[value], result_types=[value.type])

    def verify_(self) -> None:
        self.check_float()
        self.check_same_shape()


@irdl_op_definition
class InputOp(CalibratedOp):
    """Marks the float network input. After calibration, `calib_max` holds its maximum."""

    name = "snn.input"


@irdl_op_definition
class EncodeOp(UnaryOp):
    """Radix input encoding (docs/numerics.md §4): `a0 = clip(round(x * 2^scale), 0, 2^T - 1)`."""

    name = "snn.encode"
    scale = prop_def(IntegerAttr[I64])
    time_steps = prop_def(IntegerAttr[I64])

    def __init__(self, input: SSAValue | Operation, scale: int, time_steps: int):
        value = SSAValue.get(input)
        assert isinstance(value.type, TensorType)
        result = TensorType(activation_type(time_steps), value.type.get_shape())
        super().__init__(
            operands=[value],
            result_types=[result],
            properties={"scale": int_attr(scale), "time_steps": int_attr(time_steps)},
        )

    def verify_(self) -> None:
        time_steps = _check_time_steps(self.time_steps)
        if not is_float_tensor(self.input.type):
            raise VerifyException(f"snn.encode takes f32 input, got {self.input.type}")
        if not is_activation_tensor(self.output.type) or width_of(self.output) != time_steps:
            raise VerifyException(f"result must be ui{time_steps} activations for time_steps = {time_steps}")
        self.check_same_shape()


@irdl_op_definition
class LayerInputOp(UnaryOp):
    """The integer input of a network slice (layers cut out of a network, see
    `snn-slice-layer`): radix-encoded activations `a` (ui<T>) given as they are, in place of
    `snn.encode` of a float image; the identity.

    `row_width` (flat (N, F) inputs only) is the width of the rows the hardware input buffer
    holds: that of the buffer the layer reads in the whole network (its producer's P)."""

    name = "snn.layer_input"
    row_width = opt_prop_def(IntegerAttr[I64])

    def __init__(self, input: SSAValue | Operation, row_width: int | None = None):
        value = SSAValue.get(input)
        properties = {} if row_width is None else {"row_width": int_attr(row_width)}
        super().__init__(operands=[value], result_types=[value.type], properties=properties)

    def time_steps(self) -> int:
        return width_of(self.output)

    def verify_(self) -> None:
        if not is_activation_tensor(self.input.type):
            raise VerifyException(f"snn.layer_input takes unsigned T-bit activations (ui<T>), got {self.input.type}")
        if self.output.type != self.input.type:
            raise VerifyException(f"result type {self.output.type} must equal the input type {self.input.type}")
        _check_time_steps(IntegerAttr(width_of(self.input), i64))
        if self.row_width is not None:
            shape = shape_of(self.input)
            if len(shape) != 2:
                raise VerifyException(f"row_width applies to flat (N, F) inputs, got shape {_fmt(shape)}")
            if self.row_width.value.data < 1:
                raise VerifyException(f"row_width must be >= 1, got {self.row_width.value.data}")


@irdl_op_definition
class BatchNormOp(UnaryOp):
    """Inference batch norm over the channel axis (1): `y = (x - mean) / sqrt(var + eps) * gamma + beta`."""

    name = "snn.batchnorm"
    gamma = prop_def(DenseIntOrFPElementsAttr)
    beta = prop_def(DenseIntOrFPElementsAttr)
    mean = prop_def(DenseIntOrFPElementsAttr)
    var = prop_def(DenseIntOrFPElementsAttr)
    eps = prop_def(FloatAttr)

    def verify_(self) -> None:
        self.check_float()
        self.check_same_shape()
        shape = shape_of(self.input)
        if len(shape) not in (2, 4):
            raise VerifyException(f"batchnorm input must be NC or NCHW, got shape {_fmt(shape)}")
        for field in ("gamma", "beta", "mean", "var"):
            attr = getattr(self, field)
            if tuple(attr.get_shape()) != (shape[1],):
                raise VerifyException(f"{field} must have {shape[1]} values, got shape {_fmt(attr.get_shape())}")
        if self.eps.value.data <= 0:
            raise VerifyException(f"eps must be positive, got {self.eps.value.data}")


@irdl_op_definition
class ReluOp(CalibratedOp):
    """Float ReLU. After calibration, `calib_max` holds the maximum of its output."""

    name = "snn.relu"


@irdl_op_definition
class RadixNeuronOp(UnaryOp):
    """Radix neuron (docs/numerics.md §6): ReLU, rounding shift by `shift` = SCL, saturate to T bits.

    `shift >= 1`: `a = clip(floor((max(V,0) + 2^(shift-1)) / 2^shift), 0, 2^T-1)`;
    `shift <= 0`: `a = clip(max(V,0) * 2^-shift, 0, 2^T-1)`. `output_scale` is s_out.
    """

    name = "snn.radix_neuron"
    shift = prop_def(IntegerAttr[I64])
    time_steps = prop_def(IntegerAttr[I64])
    output_scale = prop_def(IntegerAttr[I64])

    def __init__(self, input: SSAValue | Operation, shift: int, time_steps: int, output_scale: int):
        value = SSAValue.get(input)
        result = TensorType(activation_type(time_steps), shape_of(value))
        super().__init__(
            operands=[value],
            result_types=[result],
            properties={
                "shift": int_attr(shift),
                "time_steps": int_attr(time_steps),
                "output_scale": int_attr(output_scale),
            },
        )

    def verify_(self) -> None:
        time_steps = _check_time_steps(self.time_steps)
        if not is_signed_tensor(self.input.type):
            raise VerifyException(f"snn.radix_neuron takes signed accumulator values, got {self.input.type}")
        if not is_activation_tensor(self.output.type) or width_of(self.output) != time_steps:
            raise VerifyException(f"result must be ui{time_steps} activations for time_steps = {time_steps}")
        self.check_same_shape()
        if abs(self.shift.value.data) > 62:
            raise VerifyException(f"shift {self.shift.value.data} is out of range [-62, 62]")


class Pool2dOp(UnaryOp):
    """Shared verification of the pooling ops (NCHW, same element type in and out)."""

    kernel = prop_def(DenseArrayBase)
    stride = prop_def(DenseArrayBase)
    padding = prop_def(DenseArrayBase)

    def __init__(
        self,
        input: SSAValue | Operation,
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        result_type: TensorType,
    ):
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={"kernel": pair(kernel), "stride": pair(stride), "padding": pair(padding)},
        )

    def kernel_size(self) -> tuple[int, int]:
        return _pair_values(self.kernel, "kernel", 1)

    def strides(self) -> tuple[int, int]:
        return _pair_values(self.stride, "stride", 1)

    def paddings(self) -> tuple[int, int]:
        return _pair_values(self.padding, "padding", 0)

    def verify_(self) -> None:
        n, c, h, w = _check_rank(self.input, 4, "input")
        if not (is_float_tensor(self.input.type) or is_activation_tensor(self.input.type)):
            raise VerifyException(f"pooling takes f32 or ui<T> activations, got {self.input.type}")
        if self.input.type.element_type != self.output.type.element_type:
            raise VerifyException("pooling keeps the element type")
        kernel = self.kernel_size()
        padding = self.paddings()
        if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
            raise VerifyException(f"padding {_fmt(padding)} must be at most half the kernel {_fmt(kernel)}")
        oh, ow = _window_output((h, w), kernel, self.strides(), padding, "pool window")
        if shape_of(self.output) != (n, c, oh, ow):
            raise VerifyException(f"result shape {_fmt(shape_of(self.output))} should be {_fmt((n, c, oh, ow))}")


@irdl_op_definition
class MaxPool2dOp(Pool2dOp):
    """Max pooling (docs/numerics.md §7): the maximum of each window (padding never wins)."""

    name = "snn.max_pool2d"


@irdl_op_definition
class AvgPool2dOp(Pool2dOp):
    """Average pooling over n = kh*kw window elements, zero padding counted.

    Integer form (docs/numerics.md §7): `floor((sum + floor(n/2)) / n)`.
    """

    name = "snn.avg_pool2d"


@irdl_op_definition
class FlattenOp(UnaryOp):
    """(N, C, H, W) -> (N, C*H*W) in PyTorch's NCHW order."""

    name = "snn.flatten"

    def __init__(self, input: SSAValue | Operation):
        value = SSAValue.get(input)
        assert isinstance(value.type, TensorType)
        n, *rest = value.type.get_shape()
        features = 1
        for d in rest:
            features *= d
        super().__init__(operands=[value], result_types=[TensorType(value.type.element_type, [n, features])])

    def verify_(self) -> None:
        shape = shape_of(self.input)
        if len(shape) < 2:
            raise VerifyException(f"flatten needs rank >= 2, got shape {_fmt(shape)}")
        features = 1
        for d in shape[1:]:
            features *= d
        if shape_of(self.output) != (shape[0], features):
            raise VerifyException(f"result shape {_fmt(shape_of(self.output))} should be {_fmt((shape[0], features))}")
        if self.input.type.element_type != self.output.type.element_type:
            raise VerifyException("flatten keeps the element type")


# The time-stepped ops (IF/LIF neurons, rate coding, readout) live in their own module.
from e3ne.dialects.snn_lif import LifOp, RateEncodeOp, ReadoutOp, is_spike_tensor, network_time_steps  # noqa: E402

SNN = Dialect(
    "snn",
    [
        InputOp,
        EncodeOp,
        LayerInputOp,
        Conv2dOp,
        LinearOp,
        BatchNormOp,
        ReluOp,
        RadixNeuronOp,
        MaxPool2dOp,
        AvgPool2dOp,
        FlattenOp,
        LifOp,
        RateEncodeOp,
        ReadoutOp,
    ],
    [],
)
