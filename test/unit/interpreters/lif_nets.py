"""Small random IF/LIF networks in snnTorch and the same networks as float snn IR (docs/lif.md),
shared by the LIF interpreter tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
from xdsl.ir import Block, Region

from e3ne.dense import numpy_to_dense
from e3ne.dialects import snn
from e3ne.lif_numerics import rate_spikes

snntorch = pytest.importorskip("snntorch")


def _dense(t: torch.Tensor):
    return numpy_to_dense(t.detach().numpy().astype(np.float32), Float32Type())


def random_layers(kind: str, seed: int, reset: str, per_channel: bool):
    """(torch layers, snnTorch Leaky neurons) of a 2-layer net: 'mlp' (12 -> 10 -> 4) or
    'cnn' (1x6x6 -> conv 3ch -> flatten -> linear 4)."""
    torch.manual_seed(seed)
    if kind == "mlp":
        layers = [nn.Linear(12, 10), nn.Linear(10, 4)]
        channels = [10, 4]
    else:
        layers = [nn.Conv2d(1, 3, 3, padding=1), nn.Linear(3 * 6 * 6, 4)]
        channels = [3, 4]
    for layer in layers:
        with torch.no_grad():
            layer.weight.mul_(3.0)
            layer.bias.add_(0.3)
    neurons = []
    for index, count in enumerate(channels):
        if per_channel:
            beta = torch.rand(count) * 0.5 + 0.5
            threshold = torch.rand(count) * 0.8 + 0.6
        else:
            beta, threshold = torch.tensor(0.5 + 0.1 * index + (0.05 * seed) % 0.4), torch.tensor(1.0)
        shape = (count, 1, 1) if (kind == "cnn" and index == 0 and per_channel) else (-1,)
        neurons.append(
            snntorch.Leaky(
                beta=beta.reshape(shape) if per_channel else beta,
                threshold=threshold.reshape(shape) if per_channel else threshold,
                reset_mechanism=reset,
            )
        )
    return layers, neurons


def snntorch_forward(kind, layers, neurons, x: torch.Tensor, steps: int, coding: str, seed: int = 1):
    """(spike count of the output layer, its membrane at the last step), snnTorch's own forward."""
    spikes_in = torch.from_numpy(rate_spikes(x.numpy(), steps, seed)).float() if coding == "rate" else None
    mems = [neuron.reset_mem() for neuron in neurons]
    count = 0
    with torch.no_grad():
        for step in range(steps):
            value = x if coding == "direct" else spikes_in[:, step]
            for index, (layer, neuron) in enumerate(zip(layers, neurons)):
                if kind == "cnn" and index == 1:
                    value = value.flatten(1)
                spike, mems[index] = neuron(layer(value), mems[index])
                value = spike
            count = count + value
    return count.numpy(), mems[-1].numpy()


def float_ir(kind, layers, neurons, input_shape, steps: int, coding: str, readout: str, seed: int = 1) -> ModuleOp:
    """The same network as float snn IR: readout 'count' (spikes, sum) or 'membrane' (last)."""
    input_type = TensorType(Float32Type(), list(input_shape))
    block = Block(arg_types=[input_type])
    ops = []

    def emit(op):
        ops.append(op)
        return op.results[0]

    (x,) = block.args
    value = emit(snn.InputOp(x)) if coding == "direct" else emit(snn.RateEncodeOp(x, steps, seed))
    for index, (layer, neuron) in enumerate(zip(layers, neurons)):
        if isinstance(layer, nn.Conv2d):
            n, c, h, w = snn.shape_of(value)
            out = TensorType(Float32Type(), [n, layer.out_channels, h, w])
            value = emit(snn.Conv2dOp(value, _dense(layer.weight), _dense(layer.bias), (1, 1), (1, 1), out))
        else:
            if len(snn.shape_of(value)) == 4:
                value = emit(snn.FlattenOp(value))
            out = TensorType(Float32Type(), [snn.shape_of(value)[0], layer.out_features])
            value = emit(snn.LinearOp(value, _dense(layer.weight), _dense(layer.bias), out))
        last = index == len(layers) - 1
        output = "membrane" if (last and readout == "membrane") else "spikes"
        beta = neuron.beta.detach().numpy().reshape(-1)
        threshold = neuron.threshold.detach().numpy().reshape(-1)
        value = emit(snn.LifOp(value, steps, beta, threshold, neuron.reset_mechanism, output))
    result = emit(snn.ReadoutOp(value, steps, "sum" if readout == "count" else "last"))
    ops.append(func.ReturnOp(result))
    block.add_ops(ops)
    function = func.FuncOp("net", ([input_type], [result.type]), Region(block))
    module = ModuleOp([function])
    module.verify()
    return module
