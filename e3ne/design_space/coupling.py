"""Layers whose candidates depend on each other, joined for the sweep's solvers.

A linear layer after a linear layer reads words of the previous layer's P spikes, so its Q,
cycles and cost depend on that P: `plan` gives it one set of candidates per previous P
(`Candidate.input_word`; the previous layer's candidates carry `output_word`). The solvers
(enumeration, `balance`, `search`) take one candidate per layer independently, so for them
each chain of such layers becomes one layer whose candidates are the compatible combinations:
cycles summed (the dataflow schedule: the largest, the interval), resources summed; where
the chain goes on, only the combinations that no other one with the same output word beats
in cycles, latency and resources (exact: the next layer sees only the output word). `expand` maps
the solvers' choices back to one candidate index per layer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from e3ne.design_space.candidates import Candidate, LayerOptions


@dataclass
class Joined(Candidate):
    """A compatible combination of the candidates of consecutive layers."""

    parts: tuple[int, ...] = ()  # candidate index in each member layer
    latency: int = 0  # the members' cycles summed (= cycles, but under the dataflow schedule)


def latency_of(candidate: Candidate) -> int:
    return candidate.latency if isinstance(candidate, Joined) else candidate.cycles


def non_dominated(candidates: list[Candidate]) -> list[int]:
    """Indices of the candidates no other beats (or ties, the first of equals kept) in
    cycles, latency, LUT, FF and BRAM at once, in order.

    In lexicographic order (stable) a candidate can only be beaten by one before it, and if
    one before it beats it, a kept one does (the relation is transitive): so each candidate
    is compared with the kept ones only."""
    values = np.array(
        [[c.cycles, latency_of(c), c.cost.lut, c.cost.ff, c.cost.bram] for c in candidates], dtype=np.float64
    ).reshape(-1, 5)
    order = np.lexsort(values.T[::-1])  # stable: equal rows keep their order
    kept = np.empty_like(values)
    indices = []
    for i in order:
        row = values[i]
        if indices and np.any(np.all(kept[: len(indices)] <= row, axis=1)):
            continue
        kept[len(indices)] = row
        indices.append(int(i))
    return sorted(indices)


@dataclass
class Coupling:
    layers: list[LayerOptions]  # the solvers' layers: a chain of coupled layers is one
    members: list[list[int]]  # per solver layer, the columns (layer indices) it stands for
    space: int  # the designs of the whole space (compatible combinations)


def couple(layers: list[LayerOptions], schedule: str = "sequential") -> Coupling:
    """The solvers' layers: each layer whose candidates need an input word (`input_word`) is
    joined to the solver layer before it (a chain of linear layers becomes one); the others
    stay as they are."""
    combine = max if schedule == "dataflow" else (lambda a, b: a + b)
    solver: list[LayerOptions] = []
    members: list[list[int]] = []
    space, chain_counts = 1, None  # chain_counts: designs of the open chain per output word
    for column, layer in enumerate(layers):
        if not any(c.input_word is not None for c in layer.candidates):
            if chain_counts is not None:
                space *= sum(chain_counts.values())
            chain_counts = _counts(layer.candidates, {None: 1})
            solver.append(layer)
            members.append([column])
            continue
        previous = solver[-1]
        by_word = defaultdict(list)
        for index, candidate in enumerate(layer.candidates):
            by_word[candidate.input_word].append((index, candidate))
        joined = []
        for index, first in enumerate(previous.candidates):
            parts = first.parts if isinstance(first, Joined) else (index,)
            for second_index, second in by_word.get(first.output_word, []):
                joined.append(
                    Joined(
                        {}, combine(first.cycles, second.cycles), first.cost + second.cost,
                        first.offchip or second.offchip, first.skip or second.skip,
                        output_word=second.output_word, parts=(*parts, second_index),
                        latency=latency_of(first) + second.cycles,
                    )
                )  # fmt: skip
        chain_counts = _counts(layer.candidates, chain_counts)
        if any(c.output_word is not None for c in layer.candidates):  # the chain goes on: cut it
            groups = defaultdict(list)
            for candidate in joined:
                groups[candidate.output_word].append(candidate)
            joined = [group[i] for _, group in sorted(groups.items()) for i in non_dominated(group)]
        solver[-1] = LayerOptions("+".join(layers[m].name for m in (*members[-1], column)), "joined", joined)
        members[-1] = [*members[-1], column]
    space *= sum(chain_counts.values()) if chain_counts else 1
    return Coupling(solver, members, space)


def _counts(candidates: list[Candidate], before: dict) -> dict:
    """Designs of a chain that ends with `candidates`, per output word, from the designs per
    output word of the chain before it (`{None: 1}` for a layer that starts one)."""
    counts = defaultdict(int)
    for candidate in candidates:
        counts[candidate.output_word] += before.get(candidate.input_word, 0)
    return counts


def expand(coupling: Coupling, grids: np.ndarray) -> np.ndarray:
    """The solvers' points (candidate index per solver layer) as candidate indices per layer."""
    columns = sum(len(m) for m in coupling.members)
    result = np.zeros((len(grids), columns), dtype=np.int64)
    for solver_column, (layer, members) in enumerate(zip(coupling.layers, coupling.members)):
        chosen = grids[:, solver_column]
        if len(members) == 1:
            result[:, members[0]] = chosen
            continue
        parts = np.array([c.parts for c in layer.candidates], dtype=np.int64)
        result[:, members] = parts[chosen]
    return result
