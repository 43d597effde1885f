"""The float reference model: executes the float snn IR with PyTorch's float32 numerics.

`run_float(module, x)` gives the same outputs as the PyTorch network the IR was
imported from (to ~1e-5); calibration records tensor maxima from it. A time-stepped
(IF/LIF) network runs T steps and follows snnTorch's `snn.Leaky` operation by operation
in float32 (docs/lif.md), so its spikes equal snnTorch's exactly.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from e3ne.dense import dense_to_numpy
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.interpreters.runner import TimeSteps, run_network
from e3ne.lif_numerics import float_lif_step, rate_spikes
from e3ne.transforms.common import describe


def _tensor(attr) -> torch.Tensor:
    return torch.from_numpy(dense_to_numpy(attr).astype(np.float32))


def _bias(op: snn.ComputeOp) -> torch.Tensor | None:
    return None if op.bias is None else _tensor(op.bias)


@register_impls
class FloatFunctions(InterpreterFunctions, TimeSteps):
    """One implementation per float snn op; values are float32 torch tensors (batch first)."""

    @impl(snn.RateEncodeOp)
    def run_rate_encode(self, interpreter: Interpreter, op: snn.RateEncodeOp, args):
        if op not in self.state:
            self.state[op] = torch.from_numpy(rate_spikes(args[0].numpy(), op.steps(), op.seed.value.data))
        return (self.state[op][:, self.step].to(torch.float32),)

    @impl(snn.LifOp)
    def run_lif(self, interpreter: Interpreter, op: snn.LifOp, args):
        current = args[0]
        mem = self.state.get(op, torch.zeros_like(current))
        beta = _tensor(op.beta).reshape(op.channel_shape())
        threshold = _tensor(op.threshold).reshape(op.channel_shape())
        spike, self.state[op] = float_lif_step(mem, current, beta, threshold, op.reset_kind())
        return (spike if op.output_mode() == "spikes" else self.state[op],)

    @impl(snn.ReadoutOp)
    def run_readout(self, interpreter: Interpreter, op: snn.ReadoutOp, args):
        if op.reduction() == "sum":
            self.state[op] = self.state[op] + args[0] if op in self.state else args[0]
            return (self.state[op],)
        return (args[0],)

    @impl(snn.InputOp)
    def run_input(self, interpreter: Interpreter, op: snn.InputOp, args):
        return (args[0],)

    @impl(snn.Conv2dOp)
    def run_conv2d(self, interpreter: Interpreter, op: snn.Conv2dOp, args):
        return (F.conv2d(args[0], _tensor(op.weight), _bias(op), op.strides(), op.paddings()),)

    @impl(snn.LinearOp)
    def run_linear(self, interpreter: Interpreter, op: snn.LinearOp, args):
        return (F.linear(args[0], _tensor(op.weight), _bias(op)),)

    @impl(snn.BatchNormOp)
    def run_batchnorm(self, interpreter: Interpreter, op: snn.BatchNormOp, args):
        mean, var, gamma, beta = (_tensor(a) for a in (op.mean, op.var, op.gamma, op.beta))
        return (F.batch_norm(args[0], mean, var, gamma, beta, False, 0.0, op.eps.value.data),)

    @impl(snn.ReluOp)
    def run_relu(self, interpreter: Interpreter, op: snn.ReluOp, args):
        return (F.relu(args[0]),)

    @impl(snn.MaxPool2dOp)
    def run_max_pool(self, interpreter: Interpreter, op: snn.MaxPool2dOp, args):
        return (F.max_pool2d(args[0], op.kernel_size(), op.strides(), op.paddings()),)

    @impl(snn.AvgPool2dOp)
    def run_avg_pool(self, interpreter: Interpreter, op: snn.AvgPool2dOp, args):
        return (F.avg_pool2d(args[0], op.kernel_size(), op.strides(), op.paddings(), count_include_pad=True),)

    @impl(snn.FlattenOp)
    def run_flatten(self, interpreter: Interpreter, op: snn.FlattenOp, args):
        return (torch.flatten(args[0], 1),)


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return np.asarray(value, dtype=np.float32)


def run_float(module: ModuleOp, x: np.ndarray, record: bool = False):
    """Float32 outputs of the float snn network on batch `x` (dim 0 = batch).

    With `record=True` returns `(output, {op: that op's output})` for every snn op.
    """
    for op in module.walk():
        if isinstance(op, snn.EncodeOp | snn.RadixNeuronOp) or (
            isinstance(op, snn.LifOp | snn.RateEncodeOp) and op.is_quantized()
        ):
            raise E3NEError(
                f"{op.name} belongs to the quantized form; run_float runs float IR (use run_golden)",
                location=describe(op),
            )
    with torch.no_grad():
        return run_network(
            module, FloatFunctions(), np.asarray(x, dtype=np.float32), record, _to_numpy, torch.from_numpy
        )
