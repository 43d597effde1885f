"""Design-space exploration: sweep the parallelism of every layer, estimate each design,
keep the latency-resource Pareto front, and pick the fastest design that fits a budget.

Fast by construction: each layer's candidate settings are lowered (`lower-snn-to-snnhw`,
a few milliseconds) and estimated (`snnhw-estimate`'s cost functions) once; because cycles
and resources add up over layers, every combination of candidates is a sum of per-layer
numbers, evaluated with numpy (about a million designs a second). The one cross-layer
term — a linear unit's input-side counters are sized by the previous linear layer's
output buffer — is charged to the producing layer, so the sums equal the estimate of
the lowered design exactly. Using the real lowering keeps explore in step with the
hardware path (fused pooling, clamping, invalid combinations are the lowering's).

Swept keys (`e3ne.parallelism.KEYS_BY_KIND`): linear P (powers of two and the output
count) and Q (1, 2, 4, 8, up to the input word, when the layer's input does not depend on
another linear layer); convolution columns, channels (powers of two and the full size)
and units (1, 2, 4).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
from xdsl.context import Context

from e3ne.dialects import snnhw
from e3ne.errors import E3NEError
from e3ne.model import cost
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY, MemoryModel, Streaming
from e3ne.model.parts import Part
from e3ne.model.units import ConvShape, LinearShape
from e3ne.parallelism import KEYS_BY_KIND
from e3ne.transforms.snnhw.estimate import (
    conv_cost,
    estimate_accelerator,
    linear_cost,
    memory_cost,
    offchip_parts,
    unit_cost,
)

RESOURCE_KEYS = ("lut", "ff", "carry", "bram", "dsp")


def powers_of_two_upto(limit: int, extra: tuple[int, ...] = ()) -> list[int]:
    values = {1 << k for k in range(limit.bit_length()) if 1 << k <= limit} | {limit}
    return sorted(values | {v for v in extra if 1 <= v <= limit})


@dataclass
class Candidate:
    settings: dict[str, int]
    cycles: int
    cost: cost.Cost
    offchip: bool = False  # the layer's weights stream from external memory


@dataclass
class LayerOptions:
    name: str
    kind: str
    candidates: list[Candidate] = field(default_factory=list)


def lower(quant_module, parallelism: str) -> snnhw.AcceleratorOp:
    from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw

    module = quant_module.clone()
    LowerSnnToSnnhw(parallelism=parallelism).apply(Context(), module)
    return next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp))


def candidate_settings(stage, input_is_linear: bool) -> list[dict[str, int]]:
    """The settings tried for one stage (the lowering rejects or clamps the rest)."""
    if stage.KIND == "linear":
        out_features = stage.out_features.value.data
        word = stage.input_buffer().word_width.value.data
        q_values = [1] if input_is_linear or "Q" not in KEYS_BY_KIND["linear"] else powers_of_two_upto(min(word, 8))
        return [
            {"P": p, **({"Q": q} if q > 1 else {})}
            for p in powers_of_two_upto(out_features, (10,))
            for q in q_values
        ]
    if stage.KIND == "conv":
        oc, _, ow = stage.out_shape()
        return [
            {"columns": columns, "channels": channels, "units": units}
            for columns in powers_of_two_upto(ow)
            for channels in powers_of_two_upto(oc)
            for units in (1, 2, 4)
            if channels * units <= oc
        ]
    return [{}]


def _input_side(buffer) -> cost.Cost:
    return cost.linear_input_side(buffer.word_width.value.data, buffer.depth.value.data)


# --------------------------------------------------------------------------- one layer, one setting
#
# The same numbers `snnhw-estimate` gives for the stage the lowering would build with these
# settings (test_explore checks it), computed from the default stage's attributes without
# lowering the network again: for AlexNet a lowering takes 0.2 s, an evaluation 0.1 ms.


@dataclass
class Evaluated:
    parallelism: dict[str, int]
    cycles: int
    logic: cost.Cost  # unit logic and bias ROM
    weights: cost.Cost  # on-chip weight ROM
    output: cost.Cost  # the buffer it writes
    output_word_depth: tuple[int, int] | None  # (word, depth) of a hidden output buffer
    streaming: Streaming | None  # the timing if the weights were off-chip

    def offchip_cost(self) -> cost.Cost:
        return self.logic + cost.total(offchip_parts(self.streaming).values()) + self.output


class StageModel:
    """Evaluates parallelism settings of one stage of the default lowering: the stage's model
    shape (`e3ne.model.units`) with the settings replaced gives its cycles and streaming
    timing, the estimator's cost functions its resources."""

    def __init__(self, unit, axi_width: int = DEFAULT_AXI_DATA_WIDTH, memory_latency: int = DEFAULT_MEMORY_LATENCY):
        from e3ne.dense import dense_to_numpy
        self.unit = unit
        self.memory = MemoryModel(axi_width, memory_latency)
        self.kind = unit.KIND
        self.default = unit.shape()
        self.output = memory_cost(unit.output_buffer())
        self.bias = dense_to_numpy(unit.bias) if unit.HAS_WEIGHTS else None
        self._weights = None

    def weights(self):
        """The layer's integer weights: (out, in) or (OC, IC, KH, KW)."""
        if self._weights is None:
            from e3ne.dense import dense_to_numpy

            unit = self.unit
            if self.kind == "conv":
                self._weights = unit.weight_array()
            else:
                data = dense_to_numpy(unit.weight_rom().data)
                p, q, chunks = unit.parallelism.value.data, unit.q(), unit.chunks()
                assert q == 1, "the default lowering uses Q = 1"
                self._weights = data.reshape(unit.groups(), chunks, p).transpose(0, 2, 1).reshape(-1, chunks)[
                    : unit.out_features.value.data
                ]
        return self._weights

    def _rom(self, shape: LinearShape | ConvShape, pack) -> cost.Cost:
        from e3ne.lowering.snn_to_snnhw import DISTRIBUTED_ROM_BITS

        bits = shape.weight_bits
        if shape.rom_depth * shape.rom_lanes * bits <= DISTRIBUTED_ROM_BITS:
            return cost.rom(shape.word_width, shape.rom_depth, "distributed", cost.stored_bits(pack(), bits))
        return cost.rom(shape.word_width, shape.rom_depth, "block")

    def evaluate(self, settings: dict[str, int]) -> Evaluated | None:
        """The stage built with `settings`, or None if the lowering would reject them."""
        if self.kind == "linear":
            return self._linear(settings)
        if self.kind == "conv":
            return self._conv(settings)
        return Evaluated({}, self.unit.cycles(), unit_cost(self.unit), cost.Cost(), self.output, None, None)

    def _linear(self, settings: dict[str, int]) -> Evaluated | None:
        from e3ne.lowering.snn_to_snnhw import pack_weights

        default = self.default
        word, out_f = default.input_word_width, default.out_features
        p, q = settings.get("P", 16), min(settings.get("Q", 1), word)
        p = min(p, out_f)
        shape = replace(default, parallelism=p, input_parallelism=q)
        if shape.output_layer:
            p = min(p, shape.chunks * shape.time_steps)
            shape = replace(shape, parallelism=p)
        if p < 1:
            return None
        logic = linear_cost(shape, self.bias)
        weights = self._rom(shape, lambda: pack_weights(self.weights(), p, q, word))
        if shape.output_layer:
            output, out_buffer = cost.ram(shape.accumulator_width, shape.output_depth, read_latency=1), None
        else:
            output, out_buffer = cost.ram(p, shape.output_depth), (p, shape.output_depth)
        parallelism = {"P": p, **({"Q": q} if q > 1 else {})}
        return Evaluated(parallelism, shape.cycles(), logic, weights, output, out_buffer, shape.streaming(self.memory))

    def _conv(self, settings: dict[str, int]) -> Evaluated | None:
        from e3ne.lowering.snn_to_snnhw import pack_conv_weights

        columns, channels, units = settings["columns"], settings["channels"], settings["units"]
        default = self.default
        oc, computed_w = default.out_shape[0], default.computed_size[1]
        if not (1 <= columns <= computed_w and channels >= 1 and units >= 1 and channels * units <= oc):
            return None
        shape = replace(default, columns=columns, channels=channels, units=units)
        logic = conv_cost(shape, self.bias)
        weights = self._rom(shape, lambda: pack_conv_weights(self.weights(), shape.lanes))
        parallelism = {"columns": columns, "channels": channels, "units": units}
        return Evaluated(parallelism, shape.cycles(), logic, weights, self.output, None, shape.streaming(self.memory))


def resolve_offchip(request, layer_names: list[str], weight_names: list[str]) -> dict[str, tuple[bool, ...]]:
    """Per layer, the weight placements explore may try: (False,) on-chip only, (True,)
    off-chip only, (False, True) both."""
    from e3ne.offchip import offchip_layers, request_text

    text = request_text(request)
    streamed = None if text == "auto" else set(offchip_layers(text, weight_names))
    result = {}
    for name in layer_names:
        if name not in weight_names:
            result[name] = (False,)
        elif streamed is None:
            result[name] = (False, True)
        else:
            result[name] = (name in streamed,)
    return result


def plan(
    quant_module,
    offchip="none",
    axi_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    bram_budget: float | None = None,
) -> tuple[list[LayerOptions], cost.Cost]:
    """Per stage, every distinct candidate with its cycles and cost; plus the shared cost.

    `offchip` (`none`, `all`, `auto` or layer names): which layers may stream their weights;
    under `auto` a layer gets off-chip candidates only if no all-on-chip design fits
    `bram_budget` (BRAM36) and its on-chip weights would be in block RAM."""
    from e3ne.offchip import request_text

    offchip = request_text(offchip)
    default = lower(quant_module, "")
    stages = default.schedule().stage_ops()
    design = estimate_accelerator(default, offchip=())
    models = [StageModel(stage, axi_width, memory_latency) for stage in stages]
    weight_names = [stage.symbol for stage in stages if stage.HAS_WEIGHTS]
    placements = resolve_offchip(offchip, [stage.symbol for stage in stages], weight_names)
    evaluated = []
    for index, stage in enumerate(stages):
        previous_linear = stage.KIND == "linear" and index > 0 and stages[index - 1].KIND == "linear"
        seen, items = set(), []
        for settings in candidate_settings(stage, previous_linear):
            result = models[index].evaluate(settings)
            if result is None:
                continue  # a combination this stage cannot build
            key = tuple(sorted(result.parallelism.items()))
            if key in seen:
                continue  # clamped to a setting already tried
            seen.add(key)
            items.append(result)
        if not items:
            raise E3NEError(f"explore: no parallelism setting of {stage.symbol} could be built")
        evaluated.append(items)
    shared = cost.total(design.shared.values())
    if offchip == "auto":
        smallest = shared.bram + sum(min((r.logic + r.weights + r.output).bram for r in items) for items in evaluated)
        if bram_budget is None or smallest <= bram_budget:
            placements = {name: (False,) for name in placements}
    layers = []
    for index, stage in enumerate(stages):
        linear = stage.KIND == "linear"
        previous_linear = linear and index > 0 and stages[index - 1].KIND == "linear"
        next_linear = linear and index + 1 < len(stages) and stages[index + 1].KIND == "linear"
        options = LayerOptions(stage.symbol, design.layers[index].kind)
        for result in evaluated[index]:
            adjust = cost.Cost()
            if previous_linear:  # charged to the previous layer's candidates instead
                adjust = adjust + _input_side(stage.input_buffer()).scaled(-1)
            if next_linear:
                word, depth = result.output_word_depth
                adjust = adjust + cost.linear_input_side(word, depth)
            for streams in placements[stage.symbol]:
                if streams and result.weights.bram == 0 and offchip == "auto":
                    continue  # a LUT ROM: streaming it frees no block RAM
                if streams:
                    options.candidates.append(
                        Candidate(dict(result.parallelism), result.streaming.cycles, result.offchip_cost() + adjust, True)
                    )
                else:
                    on_chip = result.logic + result.weights + result.output + adjust
                    options.candidates.append(Candidate(dict(result.parallelism), result.cycles, on_chip))
        layers.append(options)
    return layers, shared


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

    def settings(self, point: int) -> dict[str, dict[str, int]]:
        return {layer.name: layer.candidates[i].settings for layer, i in zip(self.layers, self.index[point])}

    def parallelism_text(self, point: int) -> str:
        return ",".join(
            f"{name}.{key}={value}" for name, keys in self.settings(point).items() for key, value in keys.items()
        )

    def offchip_layers(self, point: int) -> list[str]:
        """The layers of design `point` whose weights stream from external memory."""
        return [layer.name for layer, i in zip(self.layers, self.index[point]) if layer.candidates[i].offchip]

    def totals(self, point: int) -> dict[str, float]:
        return {key: float(values[point]) for key, values in self.resources.items()}


def _evaluate_points(layers: list[LayerOptions], shared: cost.Cost, grids: np.ndarray):
    count = len(grids)
    cycles = np.zeros(count, dtype=np.int64)
    resources = {key: np.full(count, float(getattr(shared, key)), dtype=np.float64) for key in RESOURCE_KEYS}
    for column, layer in enumerate(layers):
        chosen = grids[:, column]
        cycles += np.array([c.cycles for c in layer.candidates], dtype=np.int64)[chosen]
        for key in RESOURCE_KEYS:
            resources[key] += np.array([getattr(c.cost, key) for c in layer.candidates], dtype=np.float64)[chosen]
    return cycles, resources


def prune_dominated(layer: LayerOptions) -> LayerOptions:
    """The layer's candidates that no other candidate beats (or ties) in cycles, LUT, FF and
    BRAM at once: a dominated candidate is never needed for the fastest design in a budget."""
    values = np.array([[c.cycles, c.cost.lut, c.cost.ff, c.cost.bram] for c in layer.candidates], dtype=np.float64)
    keep = []
    for i, row in enumerate(values):
        no_worse = np.all(values <= row, axis=1)
        better = np.any(values < row, axis=1)
        dominated = no_worse & better
        dominated |= np.all(values == row, axis=1) & (np.arange(len(values)) < i)  # keep the first of equals
        if not dominated.any():
            keep.append(layer.candidates[i])
    return LayerOptions(layer.name, layer.kind, keep)


def sweep(
    quant_module,
    max_points: int = 3_000_000,
    offchip="none",
    budget: dict[str, float] | None = None,
    axi_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
) -> Exploration:
    """Every combination of the layers' candidates (numpy sums), and the Pareto front.

    `offchip`: which layers may stream their weights (`none`, `all`, `auto`, names; see
    `plan`). A space over `max_points` designs is first cut to each layer's non-dominated
    candidates (exact); if still too large, `search` walks it within `budget` (not
    exhaustive: the fastest design it finds, usually the optimum or close)."""
    started = time.perf_counter()
    bram_budget = None if budget is None else budget.get("bram")
    layers, shared = plan(quant_module, offchip, axi_width, memory_latency, bram_budget)
    space = int(np.prod([len(layer.candidates) for layer in layers], dtype=object))
    exhaustive = True
    if space > max_points:
        layers = [prune_dominated(layer) for layer in layers]
    sizes = [len(layer.candidates) for layer in layers]
    count = int(np.prod(sizes, dtype=object))
    if count <= max_points:
        grids = np.indices(sizes).reshape(len(sizes), -1).T  # points x layers
    else:
        if budget is None:
            raise E3NEError(f"design space of {space:,} points is too large to sweep (limit {max_points:,})")
        grids = search(layers, shared, budget)
        exhaustive = False
    cycles, resources = _evaluate_points(layers, shared, grids)
    front = pareto_front(cycles, resources["lut"])
    return Exploration(
        layers, shared, grids, cycles, resources, front, time.perf_counter() - started, space, exhaustive
    )


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


def budget_of(part: Part, max_utilization: float, max_luts: int | None = None) -> dict[str, float]:
    budget = {key: value * max_utilization for key, value in part.budget().items()}
    if max_luts is not None:
        budget["lut"] = min(budget["lut"], max_luts)
    return budget


def choose(exploration: Exploration, budget: dict[str, float]) -> int | None:
    """The fastest point within `budget` (ties: fewest LUTs); None if nothing fits."""
    fits = np.ones(len(exploration.cycles), dtype=bool)
    for key, limit in budget.items():
        fits &= exploration.resources[key] <= limit
    if not fits.any():
        return None
    candidates = np.flatnonzero(fits)
    order = np.lexsort((exploration.resources["lut"][candidates], exploration.cycles[candidates]))
    return int(candidates[order[0]])


# --------------------------------------------------------------------------- output


def front_table(exploration: Exploration, part: Part, chosen: int | None, limit: int = 25) -> str:
    front = list(exploration.front)
    if len(front) > limit:  # thin evenly, keep both ends and the chosen point
        keep = set(np.linspace(0, len(front) - 1, limit).round().astype(int))
        front = [p for i, p in enumerate(front) if i in keep or p == chosen]
    if chosen is not None and chosen not in front:  # fastest within budget, but not on the LUT front
        front.append(chosen)
    header = f"{'cycles':>11} {'latency us':>10} {'images/s':>9} {'LUT':>9} {'FF':>9} {'BRAM36':>7}  parallelism"
    lines = [header, "-" * len(header)]
    for point in front:
        cycles = int(exploration.cycles[point])
        latency = cycles / part.clock_mhz
        r = exploration.totals(point)
        offchip = exploration.offchip_layers(point)
        mark = "  <- chosen" if point == chosen else ""
        lines.append(
            f"{cycles:>11,} {latency:>10,.1f} {1e6 / latency:>9,.0f} {r['lut']:>9,.0f} {r['ff']:>9,.0f} "
            f"{r['bram']:>7g}  {exploration.parallelism_text(point)}"
            + (f"  [off-chip: {','.join(offchip)}]" if offchip else "")
            + mark
        )
    return "\n".join(lines)


def plot(exploration: Exploration, part: Part, budget: dict[str, float], chosen: int | None, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = len(exploration.cycles)
    sample = np.arange(count)
    if count > 20_000:
        sample = np.random.default_rng(0).choice(count, 20_000, replace=False)
    latency = exploration.cycles / part.clock_mhz
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.scatter(latency[sample], exploration.resources["lut"][sample], s=4, alpha=0.25, color="0.6", label="designs")
    front = exploration.front
    ax.step(latency[front], exploration.resources["lut"][front], where="post", color="C0", label="Pareto front")
    ax.scatter(latency[front], exploration.resources["lut"][front], s=14, color="C0")
    ax.axhline(budget["lut"], color="C3", linestyle="--", label=f"LUT budget ({part.name})")
    if chosen is not None:
        ax.scatter([latency[chosen]], [exploration.resources["lut"][chosen]], s=120, marker="*", color="C1", label="chosen")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"latency per image (µs at {part.clock_mhz:g} MHz)")
    ax.set_ylabel("estimated LUTs")
    ax.set_title(f"e3ne design space: {count:,} designs")
    ax.legend(loc="upper right")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- choice and outputs (driven by e3ne/driver/explorer.py)


def explain_no_fit(
    exploration: Exploration, part: Part, budget: dict[str, float], max_luts: int | None = None
) -> E3NEError:
    smallest = int(np.argmin(exploration.resources["lut"]))
    totals = exploration.totals(smallest)
    over = [
        f"{key} {totals[key]:,.0f} > {limit:,.0f}" for key, limit in budget.items() if totals[key] > limit
    ]
    hint = "try a bigger part (--target xczu9eg or xcvu13p)"
    if max_luts is not None and totals["lut"] > max_luts:
        hint = f"raise --max-luts (the smallest design needs {totals['lut']:,.0f}) or drop it"
    if totals["bram"] > budget["bram"]:
        streaming = any(c.offchip for layer in exploration.layers for c in layer.candidates)
        hint = (
            "the weights alone overflow the block RAM: use fewer weight bits, a smaller model or a bigger part"
            + ("" if streaming else ", or let layers stream their weights (--offchip-weights auto or all)")
        )
    return E3NEError(
        f"no design fits {part.name} within the budget; even the smallest one needs {', '.join(over)}", hint=hint
    )


def designs_text(exploration: Exploration) -> str:
    if exploration.exhaustive:
        return f"{len(exploration.cycles):,} designs"
    return f"{len(exploration.cycles):,} designs searched of {exploration.space:.2g}"


def write_outputs(exploration: Exploration, part: Part, budget: dict, chosen: int | None, out_dir) -> None:
    import json
    from pathlib import Path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plot(exploration, part, budget, chosen, out_dir / "explore.png")

    def point(index: int) -> dict:
        cycles = int(exploration.cycles[index])
        return {
            "parallelism": exploration.parallelism_text(index),
            "offchip": exploration.offchip_layers(index),
            "cycles": cycles,
            "latency_us": round(cycles / part.clock_mhz, 2),
            **{key: round(value, 1) for key, value in exploration.totals(index).items()},
        }

    summary = {
        "target": part.name,
        "budget": {key: round(value, 1) for key, value in budget.items()},
        "designs": len(exploration.cycles),
        "space": exploration.space,
        "exhaustive": exploration.exhaustive,
        "seconds": round(exploration.seconds, 2),
        "candidates": {
            layer.name: [{**c.settings, **({"offchip": 1} if c.offchip else {})} for c in layer.candidates]
            for layer in exploration.layers
        },
        "pareto_front": [point(int(i)) for i in exploration.front],
        "chosen": None if chosen is None else point(chosen),
    }
    (out_dir / "explore.json").write_text(json.dumps(summary, indent=2) + "\n")
