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
from e3ne.passes.estimate import estimate_accelerator
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


def plan(quant_module) -> tuple[list[LayerOptions], cost.Cost]:
    """Per stage, every distinct candidate with its cycles and cost; plus the shared cost."""
    default = lower(quant_module, "")
    stages = default.schedule().stage_ops()
    design = estimate_accelerator(default)
    layers = []
    for index, stage in enumerate(stages):
        linear = isinstance(stage, snnhw.LinearUnitOp)
        previous_linear = linear and index > 0 and isinstance(stages[index - 1], snnhw.LinearUnitOp)
        next_linear = linear and index + 1 < len(stages) and isinstance(stages[index + 1], snnhw.LinearUnitOp)
        options = LayerOptions(stage.symbol, design.layers[index].kind)
        seen = set()
        for settings in candidate_settings(stage, previous_linear):
            text = ",".join(f"{stage.symbol}.{key}={value}" for key, value in settings.items())
            try:
                accelerator = lower(quant_module, text)
            except E3NEError:
                continue  # a combination this stage cannot build
            unit = accelerator.schedule().stage_ops()[index]
            layer = estimate_accelerator(accelerator).layers[index]
            key = tuple(sorted(layer.parallelism.items()))
            if key in seen:
                continue  # clamped to a setting already tried
            seen.add(key)
            layer_cost = layer.cost
            if previous_linear:  # charged to the previous layer's candidates instead
                layer_cost = layer_cost + _input_side(unit.input_buffer()).scaled(-1)
            if next_linear:
                layer_cost = layer_cost + _input_side(unit.output_buffer())
            options.candidates.append(Candidate(dict(layer.parallelism), layer.cycles, layer_cost))
        if not options.candidates:
            raise E3NEError(f"explore: no parallelism setting of {stage.symbol} could be built")
        layers.append(options)
    return layers, cost.total(design.shared.values())


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

    def settings(self, point: int) -> dict[str, dict[str, int]]:
        return {layer.name: layer.candidates[i].settings for layer, i in zip(self.layers, self.index[point])}

    def parallelism_text(self, point: int) -> str:
        return ",".join(
            f"{name}.{key}={value}" for name, keys in self.settings(point).items() for key, value in keys.items()
        )

    def totals(self, point: int) -> dict[str, float]:
        return {key: float(values[point]) for key, values in self.resources.items()}


def sweep(quant_module, max_points: int = 3_000_000) -> Exploration:
    """Every combination of the layers' candidates (numpy sums), and the Pareto front."""
    started = time.perf_counter()
    layers, shared = plan(quant_module)
    sizes = [len(layer.candidates) for layer in layers]
    count = int(np.prod(sizes))
    if count > max_points:
        raise E3NEError(f"design space of {count:,} points is too large to sweep (limit {max_points:,})")
    grids = np.indices(sizes).reshape(len(sizes), -1).T  # points x layers
    cycles = np.zeros(count, dtype=np.int64)
    resources = {key: np.full(count, float(getattr(shared, key)), dtype=np.float64) for key in RESOURCE_KEYS}
    for column, layer in enumerate(layers):
        chosen = grids[:, column]
        cycles += np.array([c.cycles for c in layer.candidates], dtype=np.int64)[chosen]
        for key in RESOURCE_KEYS:
            resources[key] += np.array([getattr(c.cost, key) for c in layer.candidates], dtype=np.float64)[chosen]
    front = pareto_front(cycles, resources["lut"])
    return Exploration(layers, shared, grids, cycles, resources, front, time.perf_counter() - started)


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
    header = f"{'cycles':>9} {'latency us':>10} {'images/s':>9} {'LUT':>8} {'FF':>8} {'BRAM36':>6}  parallelism"
    lines = [header, "-" * len(header)]
    for point in front:
        cycles = int(exploration.cycles[point])
        latency = cycles / part.clock_mhz
        r = exploration.totals(point)
        mark = "  <- chosen" if point == chosen else ""
        lines.append(
            f"{cycles:>9,} {latency:>10,.1f} {1e6 / latency:>9,.0f} {r['lut']:>8,.0f} {r['ff']:>8,.0f} "
            f"{r['bram']:>6g}  {exploration.parallelism_text(point)}{mark}"
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
        hint = (
            "the weights alone overflow the block RAM: use fewer weight bits, a smaller model or a bigger part "
            "(off-chip weight streaming is not implemented yet)"
        )
    return E3NEError(
        f"no design fits {part.name} within the budget; even the smallest one needs {', '.join(over)}", hint=hint
    )


def explore_and_choose(
    quant_module, part: Part, max_luts: int | None, out_dir, max_utilization: float = DEFAULT_MAX_UTILIZATION
) -> tuple[str, str]:
    """`--parallelism auto`: the fastest design within the budget, as a parallelism text;
    writes explore.png and explore.json to `out_dir`. Returns (text, one-line summary)."""
    exploration = sweep(quant_module)
    budget = budget_of(part, max_utilization, max_luts)
    chosen = choose(exploration, budget)
    if chosen is None:
        raise explain_no_fit(exploration, part, budget, max_luts)
    write_outputs(exploration, part, budget, chosen, out_dir)
    totals = exploration.totals(chosen)
    line = (
        f"{len(exploration.cycles):,} designs in {exploration.seconds:.1f} s; chose "
        f"{exploration.parallelism_text(chosen)} ({int(exploration.cycles[chosen]):,} cycles, "
        f"~{totals['lut']:,.0f} LUT)"
    )
    return exploration.parallelism_text(chosen), line


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
            "cycles": cycles,
            "latency_us": round(cycles / part.clock_mhz, 2),
            **{key: round(value, 1) for key, value in exploration.totals(index).items()},
        }

    summary = {
        "target": part.name,
        "budget": {key: round(value, 1) for key, value in budget.items()},
        "designs": len(exploration.cycles),
        "seconds": round(exploration.seconds, 2),
        "candidates": {layer.name: [c.settings for c in layer.candidates] for layer in exploration.layers},
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
        from e3ne.passes.pipeline import quantize_module

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
    exploration = sweep(quant_module)
    budget = budget_of(part, args.max_utilization, args.max_luts)
    chosen = choose(exploration, budget)
    progress.done(
        f"{len(exploration.cycles):,} designs in {exploration.seconds:.2f} s, {len(exploration.front)} on the Pareto front"
    )
    progress.step("writing the Pareto front")
    print(f"latency-LUT Pareto front ({part.name}, {part.clock_mhz:g} MHz; estimates):")
    print(front_table(exploration, part, chosen))
    write_outputs(exploration, part, budget, chosen, out_dir)
    progress.done(f"wrote {out_dir / 'explore.png'} and {out_dir / 'explore.json'}")
    if chosen is None:
        error = explain_no_fit(exploration, part, budget, args.max_luts)
        print(f"e3ne: {error.render()}", file=sys.stderr)
        return 1
    text = exploration.parallelism_text(chosen)
    print(f"fastest design within budget: --parallelism {text}")
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
            "--parallelism", text, "--target", part.name, "-o", args.output,
        ]  # fmt: skip
        progress.step(f"compiling the chosen design into {args.output}")
        compile_args = build_parser().parse_args(argv)
        compile_args.quiet = progress.quiet
        status = compile_args.run(compile_args)
        progress.done()
        return status
    return 0
