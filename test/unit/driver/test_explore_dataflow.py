"""explore with the dataflow objective: minimise the initiation interval (the slowest
layer's cycles) within the budget, with every buffer costed twice."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402


@pytest.fixture(scope="module")
def quant():
    from e3ne.datasets import mnist
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 24), nn.ReLU(), nn.Linear(24, 16), nn.ReLU(), nn.Linear(16, 10)).eval()
    x, _ = mnist("calibration")
    return quantize_module(import_model(model, (1, 8, 8)), np.ascontiguousarray(x[:64, :, 10:18, 10:18]), 4, 4)


def test_dataflow_objective_is_the_slowest_layer(quant):
    from e3ne.design_space import choose, sweep

    budget = {"lut": 3000.0}
    sequential = sweep(quant, budget=budget)
    dataflow = sweep(quant, budget=budget, schedule="dataflow")
    assert dataflow.schedule == "dataflow" and dataflow.exhaustive
    per_layer = np.stack(
        [np.array([c.cycles for c in layer.candidates])[dataflow.index[:, k]] for k, layer in enumerate(dataflow.layers)]
    )
    assert np.array_equal(dataflow.cycles, per_layer.max(axis=0))
    chosen = choose(dataflow, budget)
    fits = dataflow.resources["lut"] <= budget["lut"]
    assert dataflow.cycles[chosen] == dataflow.cycles[fits].min()
    # the same design costs more as a dataflow design (two images per buffer, the handshake)
    same = sequential.parallelism_text(choose(sequential, budget))
    point = next(i for i in range(len(dataflow.cycles)) if dataflow.parallelism_text(i) == same)
    assert dataflow.resources["lut"][point] > sequential.resources["lut"][choose(sequential, budget)]


def test_balance_finds_the_exhaustive_optimum_for_a_lut_budget(quant):
    from e3ne.design_space import choose, sweep
    from e3ne.design_space.sweep import _evaluate_points, balance

    for lut in (1500.0, 2500.0, 4000.0):
        budget = {"lut": lut}
        exhaustive = sweep(quant, budget=budget, schedule="dataflow")
        best = choose(exhaustive, budget)
        points = balance(exhaustive.layers, exhaustive.shared, budget)
        cycles, resources = _evaluate_points(exhaustive.layers, exhaustive.shared, points, "dataflow")
        fits = resources["lut"] <= lut
        assert best is not None and fits.any()
        assert cycles[fits].min() == exhaustive.cycles[best]
