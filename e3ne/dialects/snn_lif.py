"""The time-stepped ops of the `snn` dialect: IF/LIF neurons, rate coding and the readout.

A network with these ops is a *step function* (docs/lif.md): the function body is one time
step, the interpreters run it `time_steps` times, `snn.lif` keeps its membrane between steps,
`snn.rate_encode` gives the spikes of step t, and `snn.readout` (the returned value) reduces
its input over the T steps. Every other op (conv2d, linear, flatten, pools, encode) is
stateless and computes on the values of the current step. Direct coding is no op at all:
the first layer reads `snn.input` (float) / `snn.encode` (integer) at every step.

Two forms, as the rest of the dialect: float (f32 tensors, what the frontends emit) and
integer (after `snn-quantize`): spikes are `ui1`, currents and membranes `si<W>`.
The contract (attributes, meaning, float and integer semantics): docs/lif.md, docs/numerics.md §13-17.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerAttr,
    IntegerType,
    Signedness,
    StringAttr,
    TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import irdl_op_definition, opt_prop_def, prop_def
from xdsl.utils.exceptions import VerifyException

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects.snn import (
    UnaryOp,
    _fmt,
    int_attr,
    is_float_tensor,
    is_signed_tensor,
    shape_of,
    signed_type,
    width_of,
)
from e3ne.lif_numerics import MAX_LEAK_BITS, MAX_LIF_TIME_STEPS, OUTPUTS, REDUCES, RESETS, membrane_range
from e3ne.numerics import signed_width

SPIKE_TYPE = IntegerType(1, Signedness.UNSIGNED)


def is_spike_tensor(attr: Attribute) -> bool:
    """An integer spike tensor: `tensor<...xui1>`."""
    return isinstance(attr, TensorType) and attr.element_type == SPIKE_TYPE


def _check_lif_time_steps(attr: IntegerAttr) -> int:
    value = attr.value.data
    if not 1 <= value <= MAX_LIF_TIME_STEPS:
        raise VerifyException(f"time_steps must be in [1, {MAX_LIF_TIME_STEPS}], got {value}")
    return value


def _choice(attr: StringAttr, name: str, choices: tuple[str, ...]) -> str:
    if attr.data not in choices:
        raise VerifyException(f"{name} must be one of {', '.join(choices)}, got \"{attr.data}\"")
    return attr.data


def _per_channel(values: float | int | list | np.ndarray) -> np.ndarray:
    array = np.asarray(values)
    return array.reshape(1) if array.ndim == 0 else array.reshape(-1)


@irdl_op_definition
class LifOp(UnaryOp):
    """IF/LIF neuron over `time_steps` steps: input = this step's current, result = this step's
    spikes (`output = "spikes"`) or membrane after the update (`output = "membrane"`).

    Float form (f32 in and out, snnTorch 1.0.0 `snn.Leaky`, reset_delay=True):
    `r = mem > thr` (previous membrane), subtract: `mem = (beta*mem + I) - r*thr`,
    zero: `mem = beta*((1-r)*mem) + I`, none: `mem = beta*mem + I`; `spike = mem - thr > 0`;
    `mem = 0` before step 0. IF is beta = 1. `beta` (in [0, 1]) and `threshold` (> 0) are f32
    with 1 value (scalar) or one per channel (dim 1 of the input).
    Integer form (si<W> current in; ui1 spikes or si<W'> membrane out): `beta` holds
    beta_q (si32, in [0, 2^leak_bits]), `threshold` thr_q (si32, >= 0), leak
    `floor(beta_q*mem / 2^leak_bits)`; `scale` is the membrane's fixed-point scale s (value =
    mem / 2^s). docs/numerics.md §15.
    """

    name = "snn.lif"
    time_steps = prop_def(IntegerAttr[I64])
    beta = prop_def(DenseIntOrFPElementsAttr)
    threshold = prop_def(DenseIntOrFPElementsAttr)
    reset = prop_def(StringAttr)
    output_kind = prop_def(StringAttr, prop_name="output")
    leak_bits = opt_prop_def(IntegerAttr[I64])
    scale = opt_prop_def(IntegerAttr[I64])

    def __init__(
        self,
        input: SSAValue | Operation,
        time_steps: int,
        beta,
        threshold,
        reset: str = "subtract",
        output: str = "spikes",
        leak_bits: int | None = None,
        scale: int | None = None,
        result_type: TensorType | None = None,
    ):
        """Float form: `beta`/`threshold` floats or per-channel arrays (stored f32). Integer form
        (`leak_bits` given): integer beta_q/thr_q (stored si32); `result_type` for a membrane
        output (ui1 spikes are the default)."""
        value = SSAValue.get(input)
        shape = shape_of(value)
        properties: dict[str, Attribute] = {
            "time_steps": int_attr(time_steps),
            "reset": StringAttr(reset),
            "output": StringAttr(output),
        }
        if leak_bits is None:
            properties["beta"] = numpy_to_dense(_per_channel(beta).astype(np.float32), Float32Type())
            properties["threshold"] = numpy_to_dense(_per_channel(threshold).astype(np.float32), Float32Type())
            result = TensorType(Float32Type(), shape)
        else:
            properties["beta"] = numpy_to_dense(_per_channel(beta).astype(np.int64), signed_type(32))
            properties["threshold"] = numpy_to_dense(_per_channel(threshold).astype(np.int64), signed_type(32))
            properties["leak_bits"] = int_attr(leak_bits)
            result = TensorType(SPIKE_TYPE, shape)
        if scale is not None:
            properties["scale"] = int_attr(scale)
        super().__init__(operands=[value], result_types=[result_type or result], properties=properties)

    # ---- accessors (plain Python values)

    def steps(self) -> int:
        return self.time_steps.value.data

    def reset_kind(self) -> str:
        return self.reset.data

    def output_mode(self) -> str:
        """"spikes" or "membrane" (the `output` attribute; `self.output` is the SSA result)."""
        return self.output_kind.data

    def is_quantized(self) -> bool:
        """In integer form (beta_q / thr_q with leak_bits); the verifier checks the types agree."""
        return self.leak_bits is not None

    def beta_values(self) -> np.ndarray:
        return dense_to_numpy(self.beta)

    def threshold_values(self) -> np.ndarray:
        return dense_to_numpy(self.threshold)

    def channel_shape(self) -> tuple[int, ...]:
        """Broadcast shape of beta/threshold against a batch of this op's values."""
        rank = len(shape_of(self.input))
        return (1, -1) + (1,) * (rank - 2)

    def verify_(self) -> None:
        time_steps = _check_lif_time_steps(self.time_steps)
        reset = _choice(self.reset, "reset", RESETS)
        output = _choice(self.output_kind, "output", OUTPUTS)
        shape = shape_of(self.input)
        if len(shape) not in (2, 4):
            raise VerifyException(f"snn.lif input must be (N, F) or (N, C, H, W), got shape {_fmt(shape)}")
        self.check_same_shape()
        for field in ("beta", "threshold"):
            count = len(getattr(self, field).get_shape()) == 1 and getattr(self, field).get_shape()[0]
            if count not in (1, shape[1]):
                raise VerifyException(
                    f"{field} must have 1 value or one per channel ({shape[1]}), got shape "
                    f"{_fmt(getattr(self, field).get_shape())}"
                )
        beta, threshold = self.beta_values(), self.threshold_values()
        if is_float_tensor(self.input.type):
            if not isinstance(self.beta.get_element_type(), Float32Type) or not isinstance(
                self.threshold.get_element_type(), Float32Type
            ):
                raise VerifyException("a float snn.lif needs f32 beta and threshold")
            if self.leak_bits is not None:
                raise VerifyException("leak_bits belongs to the integer form (si<W> input)")
            if not np.all(np.isfinite(beta)) or beta.min() < 0 or beta.max() > 1:
                raise VerifyException(f"beta must be in [0, 1], got [{beta.min()}, {beta.max()}]")
            if not np.all(np.isfinite(threshold)) or threshold.min() <= 0:
                raise VerifyException(f"threshold must be positive, got minimum {threshold.min()}")
            if not is_float_tensor(self.output.type):
                raise VerifyException(f"a float snn.lif has an f32 result, got {self.output.type}")
            return
        if not is_signed_tensor(self.input.type):
            raise VerifyException(f"snn.lif takes f32 or signed integer currents (si<W>), got {self.input.type}")
        if self.leak_bits is None:
            raise VerifyException("the integer snn.lif needs leak_bits (F of beta_q / 2^F)")
        leak_bits = self.leak_bits.value.data
        if not 0 <= leak_bits <= MAX_LEAK_BITS:
            raise VerifyException(f"leak_bits must be in [0, {MAX_LEAK_BITS}], got {leak_bits}")
        for field in ("beta", "threshold"):
            if getattr(self, field).get_element_type() != signed_type(32):
                raise VerifyException(f"an integer snn.lif needs si32 {field}")
        if beta.min() < 0 or beta.max() > (1 << leak_bits):
            raise VerifyException(
                f"beta_q must be in [0, 2^leak_bits = {1 << leak_bits}], got [{beta.min()}, {beta.max()}]"
            )
        if threshold.min() < 0:
            raise VerifyException(f"threshold_q must be >= 0, got minimum {threshold.min()}")
        if output == "spikes":
            if not is_spike_tensor(self.output.type):
                raise VerifyException(f"an integer snn.lif with output = \"spikes\" gives ui1, got {self.output.type}")
            return
        if not is_signed_tensor(self.output.type):
            raise VerifyException(f"an integer membrane output is si<W>, got {self.output.type}")
        half = 1 << (width_of(self.input) - 1)
        needed = signed_width(*membrane_range(-half, half - 1, int(threshold.max()), time_steps, reset))
        if width_of(self.output) < needed:
            raise VerifyException(
                f"membrane width {width_of(self.output)} can overflow: si{width_of(self.input)} currents over "
                f"{time_steps} steps need {needed} bits"
            )


@irdl_op_definition
class RateEncodeOp(UnaryOp):
    """Deterministic rate coding (docs/numerics.md §13): the spikes of the current step.

    Element k spikes at step t when the top 8 bits of state `t*K + k` of a 16-bit Galois
    LFSR (taps 0xB400, started at `seed`) are below `clip(round(x*256), 0, 256)`
    (`e3ne.lif_numerics.rate_spikes`). Float form f32 -> f32 (0.0/1.0); integer form f32 -> ui1.
    """

    name = "snn.rate_encode"
    time_steps = prop_def(IntegerAttr[I64])
    seed = prop_def(IntegerAttr[I64])

    def __init__(self, input: SSAValue | Operation, time_steps: int, seed: int = 1, quantized: bool = False):
        value = SSAValue.get(input)
        element = SPIKE_TYPE if quantized else Float32Type()
        super().__init__(
            operands=[value],
            result_types=[TensorType(element, shape_of(value))],
            properties={"time_steps": int_attr(time_steps), "seed": int_attr(seed)},
        )

    def steps(self) -> int:
        return self.time_steps.value.data

    def is_quantized(self) -> bool:
        return is_spike_tensor(self.output.type)

    def verify_(self) -> None:
        _check_lif_time_steps(self.time_steps)
        if not 1 <= self.seed.value.data <= 0xFFFF:
            raise VerifyException(f"seed must be in [1, 65535] (a nonzero 16-bit LFSR state), got {self.seed.value.data}")
        if not is_float_tensor(self.input.type):
            raise VerifyException(f"snn.rate_encode takes f32 input, got {self.input.type}")
        if not (is_float_tensor(self.output.type) or is_spike_tensor(self.output.type)):
            raise VerifyException(f"snn.rate_encode gives f32 (float form) or ui1 spikes, got {self.output.type}")
        self.check_same_shape()


@irdl_op_definition
class ReadoutOp(UnaryOp):
    """The network output of a time-stepped network: its input reduced over the T steps.

    `reduce = "sum"`: the sum over steps (of spikes: the spike count; float sum in step order);
    `reduce = "last"`: the value at the last step (e.g. the output layer's membrane). Float form
    f32 -> f32; integer form ui1/si<W> -> si<W'> wide enough for the reduction.
    """

    name = "snn.readout"
    time_steps = prop_def(IntegerAttr[I64])
    reduce = prop_def(StringAttr)

    def __init__(self, input: SSAValue | Operation, time_steps: int, reduce: str = "sum", result_type=None):
        value = SSAValue.get(input)
        if result_type is None:
            if is_float_tensor(value.type):
                result_type = value.type
            else:
                result_type = TensorType(signed_type(readout_width(value.type, time_steps, reduce)), shape_of(value))
        super().__init__(
            operands=[value],
            result_types=[result_type],
            properties={"time_steps": int_attr(time_steps), "reduce": StringAttr(reduce)},
        )

    def steps(self) -> int:
        return self.time_steps.value.data

    def reduction(self) -> str:
        return self.reduce.data

    def verify_(self) -> None:
        time_steps = _check_lif_time_steps(self.time_steps)
        reduce = _choice(self.reduce, "reduce", REDUCES)
        self.check_same_shape()
        if is_float_tensor(self.input.type):
            if not is_float_tensor(self.output.type):
                raise VerifyException(f"a float snn.readout has an f32 result, got {self.output.type}")
            return
        if not (is_spike_tensor(self.input.type) or is_signed_tensor(self.input.type)):
            raise VerifyException(f"snn.readout takes f32, ui1 spikes or si<W> values, got {self.input.type}")
        if not is_signed_tensor(self.output.type):
            raise VerifyException(f"an integer snn.readout gives si<W>, got {self.output.type}")
        needed = readout_width(self.input.type, time_steps, reduce)
        if width_of(self.output) < needed:
            raise VerifyException(f"readout width {width_of(self.output)} is too narrow: {reduce} needs {needed} bits")


def readout_width(input_type: TensorType, time_steps: int, reduce: str) -> int:
    """Bits of the integer readout: a signed type holding the sum (or the last value) of T inputs."""
    if input_type.element_type == SPIKE_TYPE:
        low, high = 0, 1
    else:
        half = 1 << (input_type.element_type.width.data - 1)
        low, high = -half, half - 1
    if reduce == "sum":
        low, high = low * time_steps, high * time_steps
    return signed_width(low, high)


TIME_STEPPED = (LifOp, RateEncodeOp, ReadoutOp)


def network_time_steps(function: Operation) -> int | None:
    """T of a time-stepped network (None for a radix network); raises VerifyException when its
    time-stepped ops disagree on T, or when it mixes in radix-only ops."""
    from e3ne.dialects import snn  # the dialect module imports this one

    steps: dict[int, Operation] = {}
    radix_ops = []
    for op in function.walk():
        if isinstance(op, TIME_STEPPED):
            steps.setdefault(op.steps(), op)
        elif isinstance(op, snn.ReluOp | snn.RadixNeuronOp | snn.BatchNormOp):
            radix_ops.append(op)
    if not steps:
        return None
    if len(steps) > 1:
        raise VerifyException(
            "the time-stepped ops of one network must share time_steps, got " + ", ".join(
                f"{op.name} with {t}" for t, op in sorted(steps.items())
            )
        )
    if radix_ops:
        raise VerifyException(
            f"{radix_ops[0].name} cannot be mixed with IF/LIF ops (a LIF network has no ReLU; fold batch norm first)"
        )
    return next(iter(steps))
