"""A linear layer after a linear layer: its input word is the previous layer's P, so explore
gives it candidates per previous P (with Q up to that word) and its solvers take the chain
of linear layers as one layer (`e3ne.design_space.coupling`)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from e3ne.design_space.candidates import Candidate, LayerOptions
from e3ne.design_space.coupling import couple, expand, non_dominated
from e3ne.model import cost


def _candidate(cycles, lut, input_word=None, output_word=None, ff=0.0, bram=0.0):
    return Candidate({"P": output_word or 1}, cycles, cost.Cost(lut=lut, ff=ff, bram36=int(bram)), input_word=input_word,
                     output_word=output_word)  # fmt: skip


def test_non_dominated_is_the_definition():
    """Kept: no other candidate is no worse everywhere and better somewhere, and of equal
    ones the first; checked against the definition on random candidates with many ties."""
    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(1, 60))
        values = rng.integers(0, 4, size=(n, 4))
        candidates = [_candidate(int(c), float(lut), ff=float(ff), bram=float(b)) for c, lut, ff, b in values]
        expected = [
            i for i in range(n)
            if not any(
                (np.all(values[j] <= values[i]) and np.any(values[j] < values[i]))
                or (np.array_equal(values[j], values[i]) and j < i)
                for j in range(n)
            )
        ]  # fmt: skip
        assert non_dominated(candidates) == expected


def test_couple_joins_only_compatible_candidates():
    first = LayerOptions("fc1", "linear", [_candidate(100, 10, output_word=2), _candidate(50, 30, output_word=4)])
    second = LayerOptions(
        "fc2", "linear",
        [_candidate(40, 5, input_word=2), _candidate(20, 9, input_word=2), _candidate(10, 7, input_word=4)],
    )  # fmt: skip
    conv = LayerOptions("conv1", "conv", [_candidate(70, 1), _candidate(35, 2)])
    coupling = couple([conv, first, second])
    assert [layer.name for layer in coupling.layers] == ["conv1", "fc1+fc2"] and coupling.members == [[0], [1, 2]]
    assert coupling.space == 2 * 3  # (fc1, fc2) pairs: (0, 0), (0, 1), (1, 2)
    joined = coupling.layers[1].candidates
    assert [c.parts for c in joined] == [(0, 0), (0, 1), (1, 2)]
    assert [(c.cycles, c.cost.lut) for c in joined] == [(140, 15), (120, 19), (60, 37)]
    assert [c.cycles for c in couple([conv, first, second], "dataflow").layers[1].candidates] == [100, 100, 50]
    assert [c.latency for c in couple([conv, first, second], "dataflow").layers[1].candidates] == [140, 120, 60]
    grid = np.array([[1, 2], [0, 0]])
    assert expand(coupling, grid).tolist() == [[1, 1, 2], [0, 0, 0]]


def test_a_chain_is_cut_per_output_word_only_where_it_goes_on():
    """Three linear layers: the (fc1, fc2) pairs are cut to the non-dominated ones per fc2
    output word (fc3 sees only that); the designs counted are every compatible triple."""
    fc1 = LayerOptions("fc1", "linear", [_candidate(10, 1, output_word=2), _candidate(12, 2, output_word=2)])
    fc2 = LayerOptions(
        "fc2", "linear", [_candidate(5, 1, input_word=2, output_word=3), _candidate(4, 1, input_word=2, output_word=5)]
    )
    fc3 = LayerOptions("fc3", "linear", [_candidate(1, 1, input_word=3), _candidate(2, 1, input_word=5), _candidate(3, 0, input_word=5)])
    coupling = couple([fc1, fc2, fc3])
    assert coupling.space == 2 * (1 + 2)
    # (fc1 #1, *) is beaten by (fc1 #0, *) with the same fc2: only fc1 #0 survives the cut
    assert sorted(c.parts for c in coupling.layers[0].candidates) == [(0, 0, 0), (0, 1, 1), (0, 1, 2)]


def test_second_linear_layer_candidates_equal_the_lowered_estimate(chain_quant):
    """fc2 and fc3 evaluated with the word of each previous P (and Q up to it) give the cycles
    and cost of the layer in the design the lowering builds with that P."""
    from e3ne.design_space import StageModel, candidate_settings, lower
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    stages = lower(chain_quant, "").schedule().stage_ops()
    models = [StageModel(stage) for stage in stages]
    checked = 0
    for index in (1, 2):
        for previous_p in (3, 8, 12):
            before = models[index - 1].evaluate({"P": previous_p})
            word_depth = before.output_word_depth
            assert word_depth[0] == previous_p
            settings = candidate_settings(stages[index], previous_p)
            assert max(s.get("Q", 1) for s in settings) == min(previous_p, 8)
            for chosen in settings[:: max(1, len(settings) // 6)]:
                result = models[index].evaluate(chosen, word_depth)
                keys = ",".join(f"{stages[index].symbol}.{k}={v}" for k, v in chosen.items())
                text = f"{stages[index - 1].symbol}.P={previous_p},{keys}"
                layer = estimate_accelerator(lower(chain_quant, text)).layers[index]
                assert (result.cycles, result.parallelism) == (layer.cycles, layer.parallelism), text
                mine = result.logic + result.weights + result.output
                for key in ("lut", "ff", "carry", "bram"):
                    assert getattr(mine, key) == pytest.approx(getattr(layer.cost, key), abs=1e-6), (text, key)
                checked += 1
    assert checked >= 30


@pytest.mark.parametrize("schedule", ["sequential", "dataflow"])
def test_sweep_finds_the_best_compatible_design(chain_quant, schedule):
    """Every design explore returns has fc2 reading fc1's P and fc3 reading fc2's; its choice
    is the best of all compatible designs within the budget, found by enumerating them here."""
    from e3ne.design_space import choose, plan, sweep

    layers, shared = plan(chain_quant, "none", schedule=schedule)
    for lut in (1200.0, 2500.0):
        budget = {"lut": lut}
        exploration = sweep(chain_quant, budget=budget, schedule=schedule)
        for point in range(len(exploration.cycles)):
            chosen = [layer.candidates[i] for layer, i in zip(exploration.layers, exploration.index[point])]
            assert chosen[1].input_word == chosen[0].output_word and chosen[2].input_word == chosen[1].output_word
        best = None
        for a, b, c in itertools.product(*(layer.candidates for layer in layers)):
            if b.input_word != a.output_word or c.input_word != b.output_word:
                continue
            if shared.lut + a.cost.lut + b.cost.lut + c.cost.lut > lut:
                continue
            cycles = max(a.cycles, b.cycles, c.cycles) if schedule == "dataflow" else a.cycles + b.cycles + c.cycles
            best = cycles if best is None else min(best, cycles)
        point = choose(exploration, budget)
        assert best is not None and exploration.cycles[point] == best
        # Q above 1 after a linear layer is in the space
        assert any(c.settings.get("Q", 1) > 1 for c in exploration.layers[2].candidates)
