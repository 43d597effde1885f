"""explore with the dataflow objective: minimise the initiation interval (the slowest
layer's cycles) within the budget, with every buffer costed twice."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402


def test_dataflow_objective_is_the_slowest_layer(chain_quant):
    from e3ne.design_space import choose, sweep

    budget = {"lut": 3000.0}
    sequential = sweep(chain_quant, budget=budget)
    dataflow = sweep(chain_quant, budget=budget, schedule="dataflow")
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


def test_balance_finds_the_exhaustive_optimum_for_a_lut_budget(chain_quant):
    from e3ne.design_space import choose, sweep
    from e3ne.design_space.coupling import couple, expand
    from e3ne.design_space.sweep import _evaluate_points, balance

    for lut in (1500.0, 2500.0, 4000.0):
        budget = {"lut": lut}
        exhaustive = sweep(chain_quant, budget=budget, schedule="dataflow")
        best = choose(exhaustive, budget)
        coupling = couple(exhaustive.layers, "dataflow")  # fc1-fc2-fc3: one layer for the solver
        points = expand(coupling, balance(coupling.layers, exhaustive.shared, budget))
        cycles, resources = _evaluate_points(exhaustive.layers, exhaustive.shared, points, "dataflow")
        fits = resources["lut"] <= lut
        assert best is not None and fits.any()
        assert cycles[fits].min() == exhaustive.cycles[best]


def test_dataflow_ties_on_the_interval_go_to_the_lower_latency(chain_quant):
    """The interval binds; among the designs at the best interval within the budget, choose
    takes the one with the lowest latency (the sum of the layers' cycles), then the fewest LUTs."""
    from e3ne.design_space import choose, sweep

    budget = {"lut": 3000.0}
    dataflow = sweep(chain_quant, budget=budget, schedule="dataflow")
    chosen = choose(dataflow, budget)
    fits = np.flatnonzero(dataflow.resources["lut"] <= budget["lut"])
    tied = fits[dataflow.cycles[fits] == dataflow.cycles[chosen]]
    latency = dataflow.latencies(tied)
    assert len(tied) > 1 and latency.min() < latency.max()  # the tie exists and the latencies differ
    assert dataflow.latencies(np.array([chosen]))[0] == latency.min()
    best = tied[latency == latency.min()]
    assert dataflow.resources["lut"][chosen] == dataflow.resources["lut"][best].min()
    by_hand = sum(
        layer.candidates[dataflow.index[chosen, k]].cycles for k, layer in enumerate(dataflow.layers)
    )
    assert dataflow.latencies(np.array([chosen]))[0] == by_hand


def test_candidate_counts_cover_the_row_and_the_groups_without_waste():
    from e3ne.design_space import even_blocks
    from e3ne.design_space.candidates import few_groups

    # the fewest columns for k blocks of a 26-wide row, k = 1..26; 10 computed columns of a pooled 11
    assert even_blocks(26) == [1, 2, 3, 4, 5, 6, 7, 9, 13, 26]
    assert even_blocks(10) == [1, 2, 3, 4, 5, 10]
    assert few_groups(10) == {10, 5, 4, 3, 2}
    assert few_groups(256, 4) == {256, 128, 86, 64}


def test_conv_candidates_use_the_computed_width():
    """With fused 2x2 pooling an 11-wide convolution computes 10 columns: 10 (one block) is a
    candidate, 11 (refused by the stage model) is not."""
    from e3ne.datasets import mnist
    from e3ne.design_space import plan
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    torch.manual_seed(4)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 5 * 5, 10)
    ).eval()
    x, _ = mnist("calibration")
    quant = quantize_module(import_model(model, (1, 12, 12)), np.ascontiguousarray(x[:32, :, 8:20, 8:20]), 4, 4)
    layers, _ = plan(quant, "none")
    conv = next(layer for layer in layers if layer.kind == "conv")
    assert sorted({c.settings["columns"] for c in conv.candidates}) == [1, 2, 3, 4, 5, 10]
