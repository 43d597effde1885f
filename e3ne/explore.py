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
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context

from e3ne import cost
from e3ne.dialects import snnhw
from e3ne.errors import E3NEError
from e3ne.parallelism import KEYS_BY_KIND
from e3ne.dialects.snnhw import PIPELINE_LATENCY
from e3ne.dialects.snnhw import ceil_div
from e3ne.offchip import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY, Streaming
from e3ne.transforms.snnhw.estimate import estimate_accelerator
from e3ne.targets import Part

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
    if isinstance(stage, snnhw.LinearUnitOp):
        out_features = stage.out_features.value.data
        word = stage.input_buffer().word_width.value.data
        q_values = [1] if input_is_linear or "Q" not in KEYS_BY_KIND["linear"] else powers_of_two_upto(min(word, 8))
        return [
            {"P": p, **({"Q": q} if q > 1 else {})}
            for p in powers_of_two_upto(out_features, (10,))
            for q in q_values
        ]
    if hasattr(stage, "columns") and hasattr(stage, "out_shape"):
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
        from e3ne.transforms.snnhw.estimate import offchip_parts

        return self.logic + cost.total(offchip_parts(self.streaming).values()) + self.output


class StageModel:
    """Evaluates parallelism settings of one stage of the default lowering."""

    def __init__(self, unit, axi_width: int = DEFAULT_AXI_DATA_WIDTH, memory_latency: int = DEFAULT_MEMORY_LATENCY):
        from e3ne.dense import dense_to_numpy
        from e3ne.transforms.snnhw.estimate import memory_cost

        self.unit = unit
        self.axi = (axi_width, memory_latency)
        self.kind = (
            "linear" if isinstance(unit, snnhw.LinearUnitOp) else "conv" if isinstance(unit, snnhw.ConvUnitOp) else "pool"
        )
        self.output = memory_cost(unit.output_buffer())
        self.bias = dense_to_numpy(unit.bias) if hasattr(unit, "bias") else None
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

    def _rom(self, packed_shape: tuple[int, int], bits: int, pack) -> cost.Cost:
        from e3ne.lowering.snn_to_snnhw import DISTRIBUTED_ROM_BITS

        depth, lanes = packed_shape
        if depth * lanes * bits <= DISTRIBUTED_ROM_BITS:
            return cost.rom(lanes * bits, depth, "distributed", cost.stored_bits(pack(), bits))
        return cost.rom(lanes * bits, depth, "block")

    def evaluate(self, settings: dict[str, int]) -> Evaluated | None:
        """The stage built with `settings`, or None if the lowering would reject them."""
        if self.kind == "linear":
            return self._linear(settings)
        if self.kind == "conv":
            return self._conv(settings)
        from e3ne.transforms.snnhw.estimate import unit_cost

        return Evaluated({}, self.unit.cycles(), unit_cost(self.unit), cost.Cost(), self.output, None, None)

    def _linear(self, settings: dict[str, int]) -> Evaluated | None:
        from e3ne.lowering.snn_to_snnhw import pack_weights
        from e3ne.transforms.snnhw.estimate import bias_rom

        unit = self.unit
        source = unit.input_buffer()
        word, in_depth = source.word_width.value.data, source.depth.value.data
        in_f, out_f = unit.in_features.value.data, unit.out_features.value.data
        t, bits, acc = unit.time_steps.value.data, unit.weight_bits.value.data, unit.accumulator_width.value.data
        output_layer = unit.is_output()
        p, q = settings.get("P", 16), min(settings.get("Q", 1), word)
        p = min(p, out_f)
        chunks = in_f if q == 1 else snnhw.chunk_count(in_f, word, q)
        if output_layer:
            p = min(p, chunks * t)
        if p < 1:
            return None
        shape = cost.LinearUnitShape(
            in_features=in_f, out_features=out_f, parallelism=p, time_steps=t, weight_bits=bits,
            accumulator_width=acc, output_layer=output_layer, input_word_width=word, input_depth=in_depth,
            input_parallelism=q, chunks=chunks if q > 1 else None,
        )  # fmt: skip
        groups = shape.groups
        bias, stored = bias_rom(self.bias, groups, p, acc)
        logic = cost.linear_unit(shape, stored) + bias
        weights = self._rom((groups * chunks, p * q), bits, lambda: pack_weights(self.weights(), p, q, word))
        if output_layer:
            output, out_buffer = cost.ram(acc, groups * p), None
        else:
            output, out_buffer = cost.ram(p, groups * t), (p, groups * t)
        streaming = Streaming(
            groups=groups, group_words=chunks, word_width=p * q * bits, compute_cycles=chunks * t,
            overhead_cycles=PIPELINE_LATENCY + shape.drain_cycles, axi_width=self.axi[0], memory_latency=self.axi[1],
        )  # fmt: skip
        parallelism = {"P": p, **({"Q": q} if q > 1 else {})}
        return Evaluated(parallelism, shape.cycles(), logic, weights, output, out_buffer, streaming)

    def _conv(self, settings: dict[str, int]) -> Evaluated | None:
        from e3ne.lowering.snn_to_snnhw import pack_conv_weights
        from e3ne.transforms.snnhw.estimate import bias_rom

        unit = self.unit
        columns, channels, units = settings["columns"], settings["channels"], settings["units"]
        ic, _, _ = unit.in_shape()
        oc, _, _ = unit.out_shape()
        kh, kw = unit.kernel_size()
        computed_h, computed_w = unit.computed_size()
        written_w = unit.written_shape()[2]
        if not (1 <= columns <= computed_w and channels >= 1 and units >= 1 and channels * units <= oc):
            return None
        t, bits, acc = unit.time_steps.value.data, unit.weight_bits.value.data, unit.accumulator_width.value.data
        lanes = channels * units
        groups = ceil_div(oc, lanes)
        blocks = ceil_div(computed_w, columns)
        drain = lanes * t
        pool_rows, pool_w = unit.pool_size()
        row_cycles = max(blocks * ic * t * kh, ceil_div(drain, pool_rows))
        cycles = groups * computed_h * row_cycles + PIPELINE_LATENCY + drain
        bias, stored = bias_rom(self.bias, groups, lanes, acc)
        pool_bits = 0
        if unit.pool_mode is not None:
            largest = pool_rows * pool_w * ((1 << t) - 1) + (pool_rows * pool_w) // 2
            pool_bits = t if unit.pool_mode.data == "max" else cost.bits_for(largest + 1)
        logic = bias + cost.conv_unit(
            lanes=lanes, columns=columns, computed_width=computed_w, written_width=written_w, kernel_w=kw,
            weight_bits=bits, accumulator_width=acc, time_steps=t,
            address_bits=cost.bits_for(unit.input_buffer().depth.value.data), bias_bits=stored,
            pool_rows=pool_rows, pool_value_bits=pool_bits,
        )  # fmt: skip
        weights = self._rom((groups * ic * kh, lanes * kw), bits, lambda: pack_conv_weights(self.weights(), lanes))
        streaming = Streaming(
            groups=groups, group_words=ic * kh, word_width=lanes * kw * bits, compute_cycles=computed_h * row_cycles,
            overhead_cycles=PIPELINE_LATENCY + drain, axi_width=self.axi[0], memory_latency=self.axi[1],
        )  # fmt: skip
        parallelism = {"columns": columns, "channels": channels, "units": units}
        return Evaluated(parallelism, cycles, logic, weights, self.output, None, streaming)


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
    weight_names = [stage.symbol for stage in stages if hasattr(stage, "weights")]
    placements = resolve_offchip(offchip, [stage.symbol for stage in stages], weight_names)
    evaluated = []
    for index, stage in enumerate(stages):
        previous_linear = isinstance(stage, snnhw.LinearUnitOp) and index > 0 and isinstance(
            stages[index - 1], snnhw.LinearUnitOp
        )
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
        linear = isinstance(stage, snnhw.LinearUnitOp)
        previous_linear = linear and index > 0 and isinstance(stages[index - 1], snnhw.LinearUnitOp)
        next_linear = linear and index + 1 < len(stages) and isinstance(stages[index + 1], snnhw.LinearUnitOp)
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


# --------------------------------------------------------------------------- driver (e3ne explore, --parallelism auto)

DEFAULT_MAX_UTILIZATION = 0.8  # leave room for estimate error and place-and-route


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


def explore_and_choose_design(
    quant_module,
    part: Part,
    max_luts: int | None,
    out_dir,
    max_utilization: float = DEFAULT_MAX_UTILIZATION,
    offchip="auto",
    axi_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
) -> tuple[str, list[str], str]:
    """`--parallelism auto`: the fastest design within the budget; writes explore.png and
    explore.json to `out_dir`. Returns (parallelism text, off-chip layers, one-line summary)."""
    budget = budget_of(part, max_utilization, max_luts)
    exploration = sweep(quant_module, offchip=offchip, budget=budget, axi_width=axi_width, memory_latency=memory_latency)
    chosen = choose(exploration, budget)
    if chosen is None:
        raise explain_no_fit(exploration, part, budget, max_luts)
    write_outputs(exploration, part, budget, chosen, out_dir)
    totals = exploration.totals(chosen)
    offchip_layers = exploration.offchip_layers(chosen)
    line = (
        f"{_designs_text(exploration)} in {exploration.seconds:.1f} s; chose "
        f"{exploration.parallelism_text(chosen)} ({int(exploration.cycles[chosen]):,} cycles, "
        f"~{totals['lut']:,.0f} LUT"
        + (f"; weights of {', '.join(offchip_layers)} off-chip" if offchip_layers else "")
        + ")"
    )
    return exploration.parallelism_text(chosen), offchip_layers, line


def _designs_text(exploration: Exploration) -> str:
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


def run_explore(args, progress) -> int:
    """`e3ne explore`: load (or import and quantize) the model, sweep, print, plot, maybe compile."""
    import json
    import sys
    from pathlib import Path

    from e3ne.targets import get_part

    part = get_part(args.target)
    source = Path(args.model)
    compile_settings = None
    progress.step(f"loading {args.model}")
    if source.is_dir():
        from e3ne.ir import parse_module

        if not (source / "snn.quant.mlir").is_file():
            raise E3NEError("no snn.quant.mlir here; run `e3ne compile` first", location=str(source))
        quant_module = parse_module(source / "snn.quant.mlir")
        if (source / "compile.json").is_file():
            compile_settings = json.loads((source / "compile.json").read_text())
        out_dir = Path(args.output) if args.output else source
    else:
        from e3ne.cli import load_npz, parse_shape
        from e3ne.frontend import import_model, load_model
        from e3ne.transforms.snn.quantize_pipeline import quantize_module

        if not args.input_shape or not args.calibration:
            raise E3NEError("explore MODEL.py:Class needs --input-shape and --calibration (or give a build directory)")
        input_shape = parse_shape(args.input_shape)
        calibration_x, _ = load_npz(args.calibration, input_shape, need_labels=False)
        quant_module = quantize_module(
            import_model(load_model(args.model, args.weights), input_shape),
            calibration_x,
            args.time_steps,
            args.weight_bits,
            args.sigma,
        )
        compile_settings = {
            "model": args.model,
            "weights": args.weights,
            "input_shape": list(input_shape),
            "calibration": args.calibration,
            "time_steps": args.time_steps,
            "weight_bits": args.weight_bits,
            "sigma": args.sigma,
        }
        out_dir = Path(args.output) if args.output else Path(".")
    progress.done()

    progress.step(f"sweeping parallelism (target {part.name}, {args.max_utilization:.0%} of its resources)")
    budget = budget_of(part, args.max_utilization, args.max_luts)
    exploration = sweep(
        quant_module, offchip=args.offchip_weights, budget=budget, axi_width=args.axi_width,
        memory_latency=args.memory_latency,
    )  # fmt: skip
    chosen = choose(exploration, budget)
    progress.done(
        f"{_designs_text(exploration)} in {exploration.seconds:.2f} s, {len(exploration.front)} on the Pareto front"
    )
    progress.step("writing the Pareto front")
    print(f"latency-LUT Pareto front ({part.name}, {part.clock_mhz:g} MHz; estimates):")
    print(front_table(exploration, part, chosen))
    write_outputs(exploration, part, budget, chosen, out_dir)
    progress.done(f"wrote {out_dir / 'explore.png'} and {out_dir / 'explore.json'}")
    if getattr(args, "synthesize", None):
        from e3ne.backend.synth_designs import add_to_explore_json, synthesize_designs, table

        synthesized = synthesize_designs(
            exploration, quant_module, part, budget, out_dir, args.synthesize, args.axi_width, args.memory_latency,
            progress=progress.say, jobs=args.jobs, ray=args.ray, cluster=args.cluster,
        )  # fmt: skip
        add_to_explore_json(out_dir / "explore.json", synthesized)
        print(f"Yosys synth_xilinx of the {len(synthesized)} fastest designs within budget (estimate/yosys):")
        print(table(synthesized))
    if chosen is None:
        error = explain_no_fit(exploration, part, budget, args.max_luts)
        print(f"e3ne: {error.render()}", file=sys.stderr)
        return 1
    text = exploration.parallelism_text(chosen)
    offchip = ",".join(exploration.offchip_layers(chosen)) or "none"
    totals = exploration.totals(chosen)
    cycles = int(exploration.cycles[chosen])
    print(f"fastest design within budget: --parallelism {text} --offchip-weights {offchip}")
    print(
        f"  {cycles:,} cycles = {cycles / part.clock_mhz:,.1f} us at {part.clock_mhz:g} MHz; "
        f"~{totals['lut']:,.0f} LUT, {totals['ff']:,.0f} FF, {totals['bram']:g} BRAM36 of {part.name}'s "
        f"{part.lut:,} / {part.ff:,} / {part.bram36:,}"
    )
    if args.compile:
        from e3ne.cli import build_parser

        if not args.output:
            raise E3NEError("--compile needs -o BUILD")
        if compile_settings is None or not compile_settings.get("calibration"):
            raise E3NEError(
                "--compile needs the model, not a build directory, to recompile",
                hint="run explore on MODEL.py:Class with --weights/--input-shape/--calibration",
            )
        argv = ["compile", compile_settings["model"]]
        if compile_settings.get("weights"):
            argv += ["--weights", compile_settings["weights"]]
        argv += [
            "--input-shape", ",".join(map(str, compile_settings["input_shape"])),
            "--calibration", compile_settings["calibration"],
            "--time-steps", str(compile_settings["time_steps"]),
            "--weight-bits", str(compile_settings["weight_bits"]),
            "--sigma", str(compile_settings["sigma"]),
            "--parallelism", text, "--offchip-weights", offchip, "--axi-width", str(args.axi_width),
            "--memory-latency", str(args.memory_latency), "--max-utilization", str(args.max_utilization),
            "--target", part.name, "-o", args.output,
        ]  # fmt: skip
        progress.step(f"compiling the chosen design into {args.output}")
        compile_args = build_parser().parse_args(argv)
        compile_args.quiet = progress.quiet
        status = compile_args.run(compile_args)
        progress.done()
        return status
    return 0
