"""The sweep over every combination of the layers' candidates (numpy sums), the search of
spaces too large to enumerate, the Pareto front and the choice within a budget."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from e3ne.design_space.candidates import LayerOptions, plan
from e3ne.design_space.coupling import couple, expand, non_dominated
from e3ne.errors import E3NEError
from e3ne.model import cost
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY
from e3ne.model.parts import Part

RESOURCE_KEYS = ("lut", "ff", "carry", "bram", "dsp")

# --------------------------------------------------------------------------- the sweep


@dataclass
class Exploration:
    layers: list[LayerOptions]
    shared: cost.Cost
    index: np.ndarray  # points x layers: candidate index per layer
    cycles: np.ndarray
    resources: dict[str, np.ndarray]
    front: np.ndarray  # point indices on the latency-LUT Pareto front, fastest first
    seconds: float
    space: int = 0  # designs in the whole space (= points when exhaustive)
    exhaustive: bool = True
    schedule: str = "sequential"  # dataflow: `cycles` is the initiation interval (the slowest layer)

    def settings(self, point: int) -> dict[str, dict[str, int]]:
        return {layer.name: layer.candidates[i].settings for layer, i in zip(self.layers, self.index[point])}

    def parallelism_text(self, point: int) -> str:
        return ",".join(
            f"{name}.{key}={value}" for name, keys in self.settings(point).items() for key, value in keys.items()
        )

    def offchip_layers(self, point: int) -> list[str]:
        """The layers of design `point` whose weights stream from external memory."""
        return [layer.name for layer, i in zip(self.layers, self.index[point]) if layer.candidates[i].offchip]

    def latencies(self, points: np.ndarray) -> np.ndarray:
        """The sum of the layers' cycles of each of `points` (sequential: `cycles`; dataflow:
        the latency of an image on its own, less the input hand-off's cycle)."""
        return sum(_per_layer(self.layers, self.index[points], lambda c: c.cycles, np.int64))

    def skip_layers(self, point: int) -> list[str]:
        """The layers of design `point` whose units skip zeros."""
        return [layer.name for layer, i in zip(self.layers, self.index[point]) if layer.candidates[i].skip]

    def totals(self, point: int) -> dict[str, float]:
        return {key: float(values[point]) for key, values in self.resources.items()}


def _per_layer(layers: list[LayerOptions], grids: np.ndarray, value, dtype) -> list[np.ndarray]:
    """Per layer, `value(candidate)` of the candidate each point (row of `grids`) takes."""
    return [
        np.array([value(c) for c in layer.candidates], dtype=dtype)[grids[:, column]]
        for column, layer in enumerate(layers)
    ]


def _evaluate_points(layers: list[LayerOptions], shared: cost.Cost, grids: np.ndarray, schedule: str = "sequential"):
    """Per point: cycles (sequential: the sum over layers, the latency; dataflow: the largest,
    the initiation interval, `e3ne.model.schedule`) and each resource's total."""
    combine = np.maximum if schedule == "dataflow" else np.add
    cycles = np.zeros(len(grids), dtype=np.int64)
    for values in _per_layer(layers, grids, lambda c: c.cycles, np.int64):
        cycles = combine(cycles, values)
    resources = {}
    for key in RESOURCE_KEYS:
        resources[key] = np.full(len(grids), float(getattr(shared, key)), dtype=np.float64)
        for values in _per_layer(layers, grids, lambda c: getattr(c.cost, key), np.float64):
            resources[key] += values
    return cycles, resources


def sweep(
    quant_module,
    max_points: int = 3_000_000,
    offchip="none",
    budget: dict[str, float] | None = None,
    axi_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    schedule: str = "sequential",
    skip_inputs: dict | None = None,
) -> Exploration:
    """Every combination of the layers' candidates (numpy sums), and the Pareto front.

    `schedule="dataflow"`: the objective is the initiation interval (the slowest layer's
    cycles) of the double-buffered design; a space too large to enumerate is walked by
    `balance` (exact for one resource).

    `offchip`: which layers may stream their weights (`none`, `all`, `auto`, names; see
    `plan`). A space over `max_points` designs is first cut to each layer's non-dominated
    candidates (exact); if still too large, `search` walks it within `budget` (not
    exhaustive: the fastest design it finds, usually the optimum or close). `skip_inputs`:
    explore with zero skipping on, ranking by expected cycles (see `plan`). A chain of linear
    layers is one layer for the solvers (`coupling`: a layer's input word is the previous
    one's P); the points come back with one candidate per layer."""
    started = time.perf_counter()
    bram_budget = None if budget is None else budget.get("bram")
    layers, shared = plan(quant_module, offchip, axi_width, memory_latency, bram_budget, schedule, skip_inputs)
    coupling = couple(layers, schedule)  # chains of linear layers: one solver layer each
    solver, space = coupling.layers, coupling.space
    exhaustive = True
    kept = [np.arange(len(layer.candidates)) for layer in solver]  # solver index -> candidate index
    if int(np.prod([len(layer.candidates) for layer in solver], dtype=object)) > max_points:
        kept = [np.array(non_dominated(layer.candidates), dtype=np.int64) for layer in solver]
        solver = [LayerOptions(layer.name, layer.kind, [layer.candidates[i] for i in k]) for layer, k in zip(solver, kept)]
    sizes = [len(layer.candidates) for layer in solver]
    count = int(np.prod(sizes, dtype=object))
    if count <= max_points:
        grids = np.indices(sizes).reshape(len(sizes), -1).T  # points x solver layers
    else:
        if budget is None:
            raise E3NEError(f"design space of {space:,} points is too large to sweep (limit {max_points:,})")
        grids = balance(solver, shared, budget) if schedule == "dataflow" else search(solver, shared, budget)
        exhaustive = False
    grids = np.stack([k[grids[:, column]] for column, k in enumerate(kept)], axis=1)  # candidate indices
    grids = expand(coupling, grids)  # points x layers
    cycles, resources = _evaluate_points(layers, shared, grids, schedule)
    front = pareto_front(cycles, resources["lut"])
    return Exploration(
        layers, shared, grids, cycles, resources, front, time.perf_counter() - started, space, exhaustive, schedule
    )


def balance(layers: list[LayerOptions], shared: cost.Cost, budget: dict[str, float]) -> np.ndarray:
    """Dataflow designs (candidate indices, points x layers) that balance the stages: for
    every interval `t` (each candidate's cycles), each layer takes its cheapest candidate
    (resources as shares of `budget`, summed) no slower than `t`. Lowering `t` moves
    parallelism (resources) to the slowest layers and takes it from the fast ones; the
    fastest such design within the budget is the smallest interval that fits. Exact when
    one resource binds."""
    keys = [key for key in SEARCH_KEYS if budget.get(key)]
    cycles = [np.array([c.cycles for c in layer.candidates], dtype=np.int64) for layer in layers]
    price = [
        np.array([sum(getattr(c.cost, key) / budget[key] for key in keys) for c in layer.candidates]) for layer in layers
    ]
    points = set()
    for t in sorted({int(value) for c in cycles for value in c}):
        point = []
        for c, p in zip(cycles, price):
            allowed = np.flatnonzero(c <= t)
            if not allowed.size:
                break
            point.append(int(allowed[np.lexsort((c[allowed], p[allowed]))[0]]))
        else:
            points.add(tuple(point))
    if not points:
        points.add(tuple(int(np.argmin(c)) for c in cycles))
    return np.array(sorted(points), dtype=np.int64)


SEARCH_KEYS = ("lut", "ff", "bram")


def search(layers: list[LayerOptions], shared: cost.Cost, budget: dict[str, float]) -> np.ndarray:
    """Designs of a space too large to enumerate, as candidate indices (points x layers).

    Cycles and resources add up over layers, so for a price `mu` on the resources (each
    normalised by its budget) every layer independently picks the candidate minimising
    cycles + mu * resources; sweeping `mu` traces the convex hull of the Pareto front.
    From the fastest of those designs within `budget`, and from the smallest one, a greedy
    walk then takes the upgrade (one layer to a faster candidate) that saves the most
    cycles per unit of budget it uses, while the design still fits."""
    keys = [key for key in SEARCH_KEYS if budget.get(key)]
    cycles = [np.array([c.cycles for c in layer.candidates], dtype=np.float64) for layer in layers]
    used = [
        np.array([[getattr(c.cost, key) / budget[key] for key in keys] for c in layer.candidates]) for layer in layers
    ]
    base = np.array([getattr(shared, key) / budget[key] for key in keys])
    points = set()
    for mu in np.geomspace(1.0, 1e12, 400):
        points.add(tuple(int(np.argmin(c + mu * u.sum(axis=1))) for c, u in zip(cycles, used)))
    for k in range(len(keys)):  # the smallest design in each resource
        points.add(tuple(int(np.lexsort((c, u[:, k]))[0]) for c, u in zip(cycles, used)))
    points.add(tuple(int(np.argmin(c)) for c in cycles))

    def totals(point) -> np.ndarray:
        return base + sum(u[i] for u, i in zip(used, point))

    def fits(point) -> bool:
        return bool(np.all(totals(point) <= 1.0 + 1e-12))

    starts = [p for p in points if fits(p)]
    if starts:
        fastest = min(starts, key=lambda p: (sum(c[i] for c, i in zip(cycles, p)), p))
        smallest = min(starts, key=lambda p: (totals(p).max(), p))
        for start in dict.fromkeys([fastest, smallest]):
            walk = _greedy(start, cycles, used, base)
            points.update(walk)
            points.update(_polish(walk[-1], cycles, used, base))
    return np.array(sorted(points), dtype=np.int64)


def _polish(start, cycles, used, base, rounds: int = 50) -> list[tuple[int, ...]]:
    """Pairwise exchanges: change two layers at once (e.g. one faster, one smaller) when the
    design gets faster and still fits; repeat while it helps."""
    point = list(start)
    visited = []
    for _ in range(rounds):
        total = base + sum(u[i] for u, i in zip(used, point))
        now = sum(c[i] for c, i in zip(cycles, point))
        best = None
        for a in range(len(point)):
            for b in range(a + 1, len(point)):
                rest = total - used[a][point[a]] - used[b][point[b]]
                combined = rest[None, None, :] + used[a][:, None, :] + used[b][None, :, :]
                ok = np.all(combined <= 1.0 + 1e-12, axis=2)
                gain = cycles[a][point[a]] + cycles[b][point[b]] - (cycles[a][:, None] + cycles[b][None, :])
                gain = np.where(ok, gain, -np.inf)
                i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
                if gain[i, j] > 0 and (best is None or gain[i, j] > best[0]):
                    best = (gain[i, j], a, int(i), b, int(j))
        if best is None or best[0] <= 1e-9 * max(1.0, now):
            break
        _, a, i, b, j = best
        point[a], point[b] = i, j
        visited.append(tuple(point))
        point = list(_greedy(tuple(point), cycles, used, base)[-1])
        visited.append(tuple(point))
    return visited


def _greedy(start, cycles, used, base) -> list[tuple[int, ...]]:
    """Upgrade one layer at a time (most cycles saved per budget share used) while it fits."""
    point = list(start)
    visited = [tuple(point)]
    while True:
        total = base + sum(u[i] for u, i in zip(used, point))
        best = None
        for layer, (c, u) in enumerate(zip(cycles, used)):
            current = point[layer]
            new_totals = total[None, :] + u - u[current]
            ok = np.all(new_totals <= 1.0 + 1e-12, axis=1) & (c < c[current])
            if not ok.any():
                continue
            saved = c[current] - c
            spent = np.maximum((u - u[current]).max(axis=1), 1e-9)
            score = np.where(ok, saved / spent, -np.inf)
            choice = int(np.argmax(score))
            if best is None or score[choice] > best[0]:
                best = (score[choice], layer, choice)
        if best is None:
            return visited
        point[best[1]] = best[2]
        visited.append(tuple(point))


def pareto_front(cycles: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Indices of points no other point beats in both cycles and area, fastest first."""
    order = np.lexsort((area, cycles))
    best = np.minimum.accumulate(area[order])
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = area[order][1:] < best[:-1]
    return order[keep]


def budget_of(
    part: Part, max_utilization: float, max_luts: int | None = None, routable: bool = True
) -> dict[str, float]:
    """Each resource at `max_utilization` of `part`; LUTs also at most `max_luts` when given,
    else at most the part's routability limit (`Part.routable_luts`, ECP5; `routable=False`
    leaves it out: the budget the limit is measured against)."""
    budget = {key: value * max_utilization for key, value in part.budget().items()}
    limit = max_luts if max_luts is not None else part.routable_luts if routable else None
    if limit is not None:
        budget["lut"] = min(budget["lut"], limit)
    return budget


def choose(exploration: Exploration, budget: dict[str, float]) -> int | None:
    """The fastest point within `budget` (ties: dataflow, the lowest latency first; then the
    fewest LUTs); None if nothing fits."""
    fits = np.ones(len(exploration.cycles), dtype=bool)
    for key, limit in budget.items():
        fits &= exploration.resources[key] <= limit
    if not fits.any():
        return None
    candidates = np.flatnonzero(fits)
    keys = [exploration.resources["lut"][candidates], exploration.cycles[candidates]]
    if exploration.schedule == "dataflow":  # the interval binds; spend what is left on latency
        keys.insert(1, exploration.latencies(candidates))
    order = np.lexsort(keys)
    return int(candidates[order[0]])


