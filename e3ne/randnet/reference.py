"""An independent reference of docs/numerics.md §1-8, for checking the golden model.

Written from the document alone, in plain torch/numpy, on the PyTorch `nn.Sequential` itself
(not the snn IR): it calls none of e3ne's passes, numerics helpers or interpreters. Float
steps are float32 torch as PyTorch computes them; integer steps are exact (float64 tensors
holding integers far below 2^53, or Python/numpy int64).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _fold(layers: list[nn.Module]) -> list[tuple]:
    """§1: each batch norm folded into the conv/linear before it. Steps:
    ("conv", W', B', stride, padding) / ("linear", W', B') / ("relu",) / ("max"|"avg", k, s, p) / ("flatten",)."""
    steps: list[tuple] = []
    for layer in layers:
        if isinstance(layer, nn.Conv2d | nn.Linear):
            weight = layer.weight.detach().to(torch.float32).clone()
            bias = None if layer.bias is None else layer.bias.detach().to(torch.float32).clone()
            if isinstance(layer, nn.Conv2d):
                steps.append(["conv", weight, bias, tuple(layer.stride), tuple(layer.padding)])
            else:
                steps.append(["linear", weight, bias])
        elif isinstance(layer, nn.BatchNorm1d | nn.BatchNorm2d):
            step = steps[-1]
            g = layer.weight.detach() / torch.sqrt(layer.running_var.detach() + layer.eps)
            bias = step[2] if step[2] is not None else torch.zeros_like(layer.running_mean)
            shape = (-1,) + (1,) * (step[1].dim() - 1)
            step[1] = step[1] * g.reshape(shape)
            step[2] = (bias - layer.running_mean.detach()) * g + layer.bias.detach()
        elif isinstance(layer, nn.ReLU):
            steps.append(["relu"])
        elif isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
            pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
            kind = "max" if isinstance(layer, nn.MaxPool2d) else "avg"
            steps.append([kind, pair(layer.kernel_size), pair(layer.stride), pair(layer.padding)])
        elif isinstance(layer, nn.Flatten):
            steps.append(["flatten"])
        else:
            raise ValueError(f"the reference does not model {type(layer).__name__}")
    return [tuple(step) for step in steps]


def _float_step(step: tuple, x: torch.Tensor) -> torch.Tensor:
    kind = step[0]
    if kind == "conv":
        return F.conv2d(x, step[1], step[2], stride=step[3], padding=step[4])
    if kind == "linear":
        return F.linear(x, step[1], step[2])
    if kind == "relu":
        return torch.relu(x)
    if kind == "max":
        return F.max_pool2d(x, step[1], step[2], step[3])
    if kind == "avg":
        return F.avg_pool2d(x, step[1], step[2], step[3], count_include_pad=True)
    return x.reshape(x.shape[0], -1)


def _scale(m: float, time_steps: int) -> int:
    """§2: s = T - ceil(log2(m)), or T when m <= 0."""
    return time_steps if m <= 0 else time_steps - math.ceil(math.log2(m))


def _round_even(values: np.ndarray) -> np.ndarray:
    return np.round(values)  # numpy rounds half to even


def reference_logits(
    model: nn.Sequential, calibration: np.ndarray, x: np.ndarray, time_steps: int, weight_bits: int, sigma: float = 3.0
) -> np.ndarray:
    """Integer logits (N, classes) of `model` quantized per docs/numerics.md on `calibration`."""
    steps = _fold(list(model))
    computes = [i for i, step in enumerate(steps) if step[0] in ("conv", "linear")]

    # §2 calibration: maxima of the input and of each hidden compute layer's ReLU output
    value = torch.from_numpy(np.asarray(calibration, dtype=np.float32))
    input_max = float(value.max())
    relu_max: dict[int, float] = {}
    with torch.no_grad():
        for i, step in enumerate(steps):
            value = _float_step(step, value)
            if step[0] == "relu":
                owner = max(c for c in computes if c < i)
                relu_max[owner] = float(value.max())
    scale_in0 = _scale(input_max, time_steps)

    # §4 encoding
    top = (1 << time_steps) - 1
    a = np.clip(_round_even(np.asarray(x, dtype=np.float64) * 2.0**scale_in0), 0, top).astype(np.int64)
    scale = scale_in0
    i = 0
    while i < len(steps):
        step = steps[i]
        kind = step[0]
        if kind in ("conv", "linear"):
            weight = step[1].numpy().astype(np.float64)
            # §3: mu and unbiased sigma of all of W'
            mu = float(weight.mean())
            sd = float(weight.std(ddof=1)) if weight.size > 1 else 0.0  # one weight: sigma = 0
            s_w = weight_bits - 1 - math.ceil(math.log2(abs(mu) + sigma * sd))
            wq = np.clip(_round_even(weight * 2.0**s_w), -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1)
            wq = wq.astype(np.int64)
            bq = None if step[2] is None else _round_even(step[2].numpy().astype(np.float64) * 2.0 ** (s_w + scale))
            # §5: V = Wq * a + Bq, exact (float64 holds these integers exactly)
            a_t = torch.from_numpy(a.astype(np.float64))
            w_t = torch.from_numpy(wq.astype(np.float64))
            if kind == "conv":
                v = F.conv2d(a_t, w_t, None, stride=step[3], padding=step[4]).numpy()
                if bq is not None:
                    v = v + bq.reshape(1, -1, 1, 1)
            else:
                v = (a_t @ w_t.T).numpy()
                if bq is not None:
                    v = v + bq.reshape(1, -1)
            v = v.astype(np.int64)
            if i == computes[-1]:
                return v  # §8: the output layer's V are the logits
            # §6 radix neuron (the ReLU right after the layer)
            s_out = _scale(relu_max[i], time_steps)
            shift = s_w + scale - s_out
            positive = np.maximum(v, 0)
            if shift >= 1:
                a = np.clip((positive + (1 << (shift - 1))) >> shift, 0, top)
            else:
                a = np.clip(positive << (-shift), 0, top)
            scale = s_out
            i += 2  # the layer and its ReLU
            continue
        if kind == "max":  # §7: padding never wins (activations >= 0)
            a = F.max_pool2d(torch.from_numpy(a.astype(np.float64)), step[1], step[2], step[3]).numpy().astype(np.int64)
        elif kind == "avg":
            n = step[1][0] * step[1][1]
            sums = F.avg_pool2d(
                torch.from_numpy(a.astype(np.float64)), step[1], step[2], step[3], count_include_pad=True,
                divisor_override=1,
            ).numpy().astype(np.int64)  # fmt: skip
            a = (sums + n // 2) // n
        elif kind == "flatten":
            a = a.reshape(a.shape[0], -1)
        else:
            raise ValueError(f"a ReLU not right after a conv/linear layer ({i})")
        i += 1
    raise ValueError("the model has no compute layer")
