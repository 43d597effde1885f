"""The golden model: an integer interpreter of the quantized (radix-encoded) snn IR.

It implements docs/numerics.md §4-8 (and §13-17 for IF/LIF networks, run T steps) exactly, in int64, from the IR the hardware is
built from. RTL simulation must equal it on every logit. Compute layers use the exact
product `Wq * a + Bq`, which equals the hardware's bit-serial shift-add over the spike
train (`bit_serial_compute` is that form, kept as a reference and unit-tested).
"""

from __future__ import annotations

import numpy as np
import torch
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from e3ne.dense import dense_to_numpy
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.interpreters.runner import TimeSteps, run_network
from e3ne.lif_numerics import lif_step, rate_spikes
from e3ne.numerics import avg_pool_divide, bitplanes, encode_input, radix_neuron
from e3ne.transforms.common import describe


def _windows(a: np.ndarray, kernel, stride, padding, pad_value: int) -> np.ndarray:
    """(N, C, OH, OW, kh, kw) windows of an NCHW int64 array (a view after padding)."""
    (ph, pw) = padding
    if ph or pw:
        a = np.pad(a, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    view = np.lib.stride_tricks.sliding_window_view(a, tuple(kernel), axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1]]


def _torch(values: np.ndarray) -> torch.Tensor:
    """A torch view of an int64 array (copied when numpy hands out a read-only or strided view)."""
    if not (values.flags.writeable and values.flags.c_contiguous):
        values = np.array(values, dtype=np.int64, order="C")
    return torch.from_numpy(values)


def conv2d_int(a: np.ndarray, weight: np.ndarray, stride, padding) -> np.ndarray:
    """Exact integer convolution `Wq * a` (NCHW, no bias) via im2col and an int64 matmul."""
    out_channels, in_channels, kh, kw = weight.shape
    windows = _windows(a, (kh, kw), stride, padding, 0)
    n, _, oh, ow = windows.shape[:4]
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, -1)
    product = _torch(columns) @ torch.from_numpy(weight.reshape(out_channels, -1).T.copy())
    return product.numpy().reshape(n, oh, ow, out_channels).transpose(0, 3, 1, 2).copy()


def linear_int(a: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Exact integer `a Wq^T` on (N, in) activations."""
    return (_torch(a) @ torch.from_numpy(weight.T.copy())).numpy()


def _weights(op: snn.ComputeOp) -> tuple[np.ndarray, np.ndarray | None]:
    bias = None if op.bias is None else dense_to_numpy(op.bias)
    return dense_to_numpy(op.weight), bias


def _product(op: snn.ComputeOp, a: np.ndarray) -> np.ndarray:
    weight, _ = _weights(op)
    if isinstance(op, snn.Conv2dOp):
        return conv2d_int(a, weight, op.strides(), op.paddings())
    return linear_int(a, weight)


def _add_bias(op: snn.ComputeOp, potential: np.ndarray) -> np.ndarray:
    _, bias = _weights(op)
    if bias is None:
        return potential
    shape = (1, -1) + (1,) * (potential.ndim - 2)
    return potential + bias.reshape(shape)


def compute(op: snn.ComputeOp, a: np.ndarray) -> np.ndarray:
    """`V = Wq * a + Bq` (docs/numerics.md §5), exact in int64."""
    return _add_bias(op, _product(op, a))


def bit_serial_compute(op: snn.ComputeOp, a: np.ndarray) -> np.ndarray:
    """The hardware's form of docs/numerics.md §5 (§9): `V <- 2V + Wq * spike[t]` for t = 0..T-1, then `+ Bq`."""
    planes = bitplanes(a, op.time_steps())
    potential = None
    for spike in planes:
        partial = _product(op, spike)
        potential = partial if potential is None else 2 * potential + partial
    return _add_bias(op, potential)


def _check_range(op, values: np.ndarray) -> np.ndarray:
    """Values of an si<W> result must fit W (the verifiers' bounds make this an internal check)."""
    width = snn.width_of(op.output)
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    if values.size and (values.min() < low or values.max() > high):
        raise E3NEError(f"values [{values.min()}, {values.max()}] overflow si{width}", location=describe(op))
    return values


def _check_width(op: snn.ComputeOp, potential: np.ndarray) -> np.ndarray:
    width = snn.width_of(op.output)
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    if potential.size and (potential.min() < low or potential.max() > high):
        raise E3NEError(
            f"accumulator values [{potential.min()}, {potential.max()}] overflow si{width}",
            location=describe(op),
        )
    return potential


@register_impls
class GoldenFunctions(InterpreterFunctions, TimeSteps):
    """One implementation per quantized snn op; values are int64 numpy arrays (batch first)."""

    @impl(snn.RateEncodeOp)
    def run_rate_encode(self, interpreter: Interpreter, op: snn.RateEncodeOp, args):
        if op not in self.state:
            self.state[op] = rate_spikes(args[0], op.steps(), op.seed.value.data)
        return (self.state[op][:, self.step],)

    @impl(snn.LifOp)
    def run_lif(self, interpreter: Interpreter, op: snn.LifOp, args):
        if not op.is_quantized():
            raise E3NEError("the golden model runs quantized IR; run snn-quantize first", location=describe(op))
        current = np.asarray(args[0], dtype=np.int64)
        mem = self.state.get(op, np.zeros_like(current))
        beta = op.beta_values().reshape(op.channel_shape())
        threshold = op.threshold_values().reshape(op.channel_shape())
        spike, self.state[op] = lif_step(mem, current, beta, op.leak_bits.value.data, threshold, op.reset_kind())
        if op.output_mode() == "spikes":
            return (spike,)
        return (_check_range(op, self.state[op]),)

    @impl(snn.ReadoutOp)
    def run_readout(self, interpreter: Interpreter, op: snn.ReadoutOp, args):
        value = np.asarray(args[0], dtype=np.int64)
        if op.reduction() == "sum":
            self.state[op] = self.state[op] + value if op in self.state else value
            value = self.state[op]
        return (_check_range(op, value),)

    @impl(snn.EncodeOp)
    def run_encode(self, interpreter: Interpreter, op: snn.EncodeOp, args):
        return (encode_input(args[0], op.scale.value.data, op.time_steps.value.data),)

    @impl(snn.LayerInputOp)
    def run_layer_input(self, interpreter: Interpreter, op: snn.LayerInputOp, args):
        values = np.asarray(args[0], dtype=np.int64)
        high = (1 << op.time_steps()) - 1
        if values.size and (values.min() < 0 or values.max() > high):
            raise E3NEError(
                f"layer input values [{values.min()}, {values.max()}] are not T-bit activations [0, {high}]",
                location=describe(op),
            )
        return (values,)

    @impl(snn.Conv2dOp)
    def run_conv2d(self, interpreter: Interpreter, op: snn.Conv2dOp, args):
        return (_check_width(op, compute(op, _integer_input(op, args[0]))),)

    @impl(snn.LinearOp)
    def run_linear(self, interpreter: Interpreter, op: snn.LinearOp, args):
        return (_check_width(op, compute(op, _integer_input(op, args[0]))),)

    @impl(snn.RadixNeuronOp)
    def run_radix_neuron(self, interpreter: Interpreter, op: snn.RadixNeuronOp, args):
        return (radix_neuron(args[0], op.shift.value.data, op.time_steps.value.data),)

    @impl(snn.MaxPool2dOp)
    def run_max_pool(self, interpreter: Interpreter, op: snn.MaxPool2dOp, args):
        windows = _windows(args[0], op.kernel_size(), op.strides(), op.paddings(), -1)
        return (windows.max(axis=(4, 5)),)

    @impl(snn.AvgPool2dOp)
    def run_avg_pool(self, interpreter: Interpreter, op: snn.AvgPool2dOp, args):
        kh, kw = op.kernel_size()
        windows = _windows(args[0], (kh, kw), op.strides(), op.paddings(), 0)
        return (avg_pool_divide(windows.sum(axis=(4, 5)), kh * kw),)

    @impl(snn.FlattenOp)
    def run_flatten(self, interpreter: Interpreter, op: snn.FlattenOp, args):
        return (args[0].reshape(args[0].shape[0], -1),)


def _integer_input(op: snn.ComputeOp, value) -> np.ndarray:
    if not op.is_quantized():
        raise E3NEError("the golden model runs quantized IR; run snn-quantize first", location=describe(op))
    return value


def run_golden(module: ModuleOp, x: np.ndarray, record: bool = False):
    """int64 logits (N, classes) of the quantized snn network on float input batch `x`.

    With `record=True` returns `(logits, {op: that op's int64 output})` for every snn op
    in program order: the per-layer values RTL checks compare against.
    """
    for op in module.walk():
        if isinstance(op, snn.InputOp | snn.ReluOp | snn.BatchNormOp):
            raise E3NEError(
                f"{op.name} belongs to the float form; the golden model runs quantized IR", location=describe(op)
            )
    return run_network(module, GoldenFunctions(), np.asarray(x), record, lambda v: np.asarray(v, dtype=np.int64))
