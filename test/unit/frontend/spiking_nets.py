"""Small snnTorch networks and an snnTorch forward loop shared by the spiking frontend tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

snn = pytest.importorskip("snntorch")


def counts_and_membrane(model: nn.Module, x: torch.Tensor, time_steps: int, inputs=None, states: int = 0):
    """snnTorch's own forward loop: spike counts (and the last output) over `time_steps` steps.

    `states`: the number of explicit membrane arguments of forward(x, *mems) (0: init_hidden).
    `inputs` (N, T, ...): one input per step (rate coding) instead of x every step.
    """
    model.eval()
    for module in model.modules():
        if isinstance(module, snn.SpikingNeuron) and module.init_hidden:
            module.reset_mem()
    mems = [torch.zeros(0)] * states
    total, last = None, None
    with torch.no_grad():
        for step in range(time_steps):
            value = x if inputs is None else inputs[:, step]
            if states:
                out, *mems = model(value, *mems)
            else:
                out = model(value)
            if isinstance(out, tuple):
                out = out[0]
            last = out
            total = out if total is None else total + out
    return total.numpy(), last.numpy()


def scaled(model: nn.Module, factor: float = 3.0, seed: int = 0) -> nn.Module:
    """Random weights large enough that every layer spikes."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                module.weight.normal_(0, factor / np.sqrt(module.weight[0].numel()))
                if module.bias is not None:
                    module.bias.uniform_(-0.2, 0.4)
    return model.eval()


class ExplicitStateMLP(nn.Module):
    """The explicit-state style: forward(x, mem1, mem2) -> (spk2 or mem2, mem1, mem2)."""

    def __init__(self, reset="subtract", membrane_out=False):
        super().__init__()
        self.fc1 = nn.Linear(12, 16)
        self.lif1 = snn.Leaky(beta=0.9, reset_mechanism=reset)
        self.fc2 = nn.Linear(16, 5)
        self.lif2 = snn.Leaky(beta=torch.linspace(0.5, 1.0, 5), threshold=torch.linspace(0.5, 1.5, 5),
                              reset_mechanism=reset)
        self.membrane_out = membrane_out

    def forward(self, x, mem1, mem2):
        spk1, mem1 = self.lif1(self.fc1(x), mem1)
        spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
        if self.membrane_out:
            return mem2, mem1, mem2
        return spk2, mem1, mem2


def leaky(**kwargs):
    return snn.Leaky(init_hidden=True, **{"beta": 0.875, **kwargs})


def conv_net(reset="subtract", pool="avg", beta=0.875, threshold=1.0):
    pool_layer = nn.AvgPool2d(2) if pool == "avg" else nn.MaxPool2d(2)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), pool_layer, leaky(beta=beta, threshold=threshold, reset_mechanism=reset),
        nn.Conv2d(4, 6, 3, bias=False), leaky(reset_mechanism=reset),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 5), leaky(reset_mechanism=reset),
    )


def mlp(reset="subtract", beta=0.875, threshold=1.0, **kwargs):
    return nn.Sequential(
        nn.Flatten(), nn.Linear(12, 16), leaky(beta=beta, threshold=threshold, reset_mechanism=reset, **kwargs),
        nn.Linear(16, 5), leaky(reset_mechanism=reset),
    )
