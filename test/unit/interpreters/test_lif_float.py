"""The float model of IF/LIF networks equals snnTorch 1.0.0's own forward pass exactly
(docs/lif.md): spike counts and last-step membranes, every reset, scalar and per-channel
beta/threshold, direct and rate coding, MLP and CNN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e3ne.errors import E3NEError
from e3ne.interpreters.float_model import run_float
from lif_nets import float_ir, random_layers, snntorch_forward

CASES = [
    (kind, reset, per_channel, coding)
    for kind in ("mlp", "cnn")
    for reset in ("subtract", "zero", "none")
    for per_channel in (False, True)
    for coding in ("direct", "rate")
]


def _input(kind: str, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(100 + seed)
    shape = (16, 12) if kind == "mlp" else (16, 1, 6, 6)
    return torch.rand(shape, generator=generator)


@pytest.mark.parametrize("kind,reset,per_channel,coding", CASES)
def test_float_model_equals_snntorch(kind, reset, per_channel, coding):
    seed = CASES.index((kind, reset, per_channel, coding))
    layers, neurons = random_layers(kind, seed, reset, per_channel)
    x = _input(kind, seed)
    steps = 10
    count, membrane = snntorch_forward(kind, layers, neurons, x, steps, coding, seed=3)
    got_count = run_float(float_ir(kind, layers, neurons, x.shape, steps, coding, "count", seed=3), x.numpy())
    got_membrane = run_float(float_ir(kind, layers, neurons, x.shape, steps, coding, "membrane", seed=3), x.numpy())
    assert count.sum() > 0, "the random net must spike for the test to mean something"
    np.testing.assert_array_equal(got_count, count)
    np.testing.assert_array_equal(got_membrane, membrane)


def test_record_stacks_steps():
    layers, neurons = random_layers("mlp", 0, "subtract", False)
    x = _input("mlp", 0)
    module = float_ir("mlp", layers, neurons, x.shape, 5, "rate", "count")
    count, recorded = run_float(module, x.numpy(), record=True)
    spikes = [v for op, v in recorded.items() if op.name == "snn.lif"][-1]
    assert spikes.shape == (16, 5, 4)
    np.testing.assert_array_equal(spikes.sum(axis=1), count)


def test_mismatched_time_steps_are_refused():
    layers, neurons = random_layers("mlp", 0, "subtract", False)
    module = float_ir("mlp", layers, neurons, (2, 12), 5, "rate", "count")
    readout = [op for op in module.walk() if op.name == "snn.readout"][0]
    readout.properties["time_steps"] = type(readout.time_steps)(4, readout.time_steps.type)
    with pytest.raises(E3NEError, match="must share time_steps, got snn.readout with 4, snn.rate_encode with 5"):
        run_float(module, np.zeros((2, 12), dtype=np.float32))
