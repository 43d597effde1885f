"""Run a `SpikingChain` in float32 PyTorch with snnTorch `Leaky` semantics (reset_delay=True).

The frontends' own reference: what the chain means, independent of the snn IR. The tests
check it against snnTorch's forward pass and the NIR reader against it; the float snn IR
model (e3ne.interpreters) is checked against both.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from e3ne.frontend.spiking import chain as c


def _t(array) -> torch.Tensor:
    return torch.from_numpy(np.asarray(array, dtype=np.float32))


def run_layer(layer: c.Layer, x: torch.Tensor) -> torch.Tensor:
    if isinstance(layer, c.Linear):
        return F.linear(x, _t(layer.weight), None if layer.bias is None else _t(layer.bias))
    if isinstance(layer, c.Conv2d):
        bias = None if layer.bias is None else _t(layer.bias)
        return F.conv2d(x, _t(layer.weight), bias, layer.stride, layer.padding)
    if isinstance(layer, c.Pool2d) and layer.mode == "max":
        return F.max_pool2d(x, layer.kernel, layer.stride)
    if isinstance(layer, c.Pool2d):
        pooled = F.avg_pool2d(x, layer.kernel, layer.stride)
        return pooled * float(np.prod(layer.kernel)) if layer.mode == "sum" else pooled
    if isinstance(layer, c.Flatten):
        return torch.flatten(x, 1)
    raise TypeError(layer)


def run_chain(chain: c.SpikingChain, x: np.ndarray, time_steps: int, inputs: np.ndarray | None = None):
    """Direct coding: `x` (N, *input_shape) feeds the first layer at every step; or `inputs`
    (N, T, *input_shape), one input per step (e.g. rate-coded spikes).

    Returns `(spike_counts, last_membrane, spikes)` of the output neuron layer: (N, K),
    (N, K) and (N, T, K), float32.
    """
    with torch.no_grad():
        mems: dict[int, torch.Tensor] = {}
        spikes = []
        for step in range(time_steps):
            value = _t(x if inputs is None else inputs[:, step])
            for index, layer in enumerate(chain.layers):
                if isinstance(layer, c.Neuron):
                    mem = mems.get(index, torch.zeros_like(value))
                    beta, threshold = _t(layer.beta), _t(layer.threshold)
                    fired = ((mem - threshold) > 0).float()
                    if layer.reset == "subtract":
                        mem = (beta * mem + value) - fired * threshold
                    elif layer.reset == "zero":
                        mem = beta * ((1 - fired) * mem) + value
                    else:
                        mem = beta * mem + value
                    mems[index] = mem
                    value = ((mem - threshold) > 0).float()
                else:
                    value = run_layer(layer, value)
            spikes.append(value)
        train = torch.stack(spikes, 1)
        return train.sum(1).numpy(), mems[len(chain.layers) - 1].numpy(), train.numpy()
