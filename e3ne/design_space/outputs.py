"""What explore shows: the Pareto-front table, explore.png, explore.json, and why nothing fits."""

from __future__ import annotations

import numpy as np

from e3ne.design_space.sweep import Exploration
from e3ne.errors import E3NEError
from e3ne.model.parts import Part

# --------------------------------------------------------------------------- output


def front_table(exploration: Exploration, part: Part, chosen: int | None, limit: int = 25) -> str:
    front = list(exploration.front)
    if len(front) > limit:  # thin evenly, keep both ends and the chosen point
        keep = set(np.linspace(0, len(front) - 1, limit).round().astype(int))
        front = [p for i, p in enumerate(front) if i in keep or p == chosen]
    if chosen is not None and chosen not in front:  # fastest within budget, but not on the LUT front
        front.append(chosen)
    header = f"{'cycles':>11} {'latency us':>10} {'images/s':>9} {'LUT':>9} {'FF':>9} {'BRAM36':>7}  parallelism"
    if exploration.schedule == "dataflow":  # cycles = the initiation interval (the slowest layer)
        header = f"{'interval':>11} {'II us':>10} {'images/s':>9} {'LUT':>9} {'FF':>9} {'BRAM36':>7}  parallelism"
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


def plot(
    exploration: Exploration,
    part: Part,
    budget: dict[str, float],
    chosen: int | None,
    path,
    synthesized: list[tuple[int, float]] | None = None,
) -> None:
    """explore.png: every design (a sample above 20,000), the Pareto front, the LUT budget, the
    chosen design, and `synthesized` = [(point, Yosys LUTs)] beside their estimates."""
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
    limit = ", routability limit" if part.routability_binds(budget) else ""
    ax.axhline(budget["lut"], color="C3", linestyle="--", label=f"LUT budget ({part.name}{limit})")
    if chosen is not None:
        ax.scatter([latency[chosen]], [exploration.resources["lut"][chosen]], s=120, marker="*", color="C1", label="chosen")
    if synthesized:
        points = [point for point, _ in synthesized]
        ax.scatter(
            latency[points], [luts for _, luts in synthesized], s=60, marker="x", color="C2", label="Yosys (synthesized)"
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    what = "initiation interval (dataflow)" if exploration.schedule == "dataflow" else "latency per image"
    ax.set_xlabel(f"{what} (µs at {part.clock_mhz:g} MHz)")
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
    elif part.routability_binds(budget) and totals["lut"] > budget["lut"]:
        hint = (
            f"the LUT4 budget is the routability limit ({part.routability_text()}); the smallest design "
            f"needs {totals['lut']:,.0f}: give --max-luts {int(np.ceil(totals['lut'])):,} (it may not route), "
            "or a bigger part"
        )
    if totals["bram"] > budget["bram"]:
        streaming = any(c.offchip for layer in exploration.layers for c in layer.candidates)
        hint = (
            "the weights alone overflow the block RAM: use fewer weight bits, a smaller model or a bigger part"
            + ("" if streaming else ", or let layers stream their weights (--offchip-weights auto or all)")
        )
    return E3NEError(
        f"no design fits {part.name} within the budget; even the smallest one needs {', '.join(over)}", hint=hint
    )


def routability_lines(
    exploration: Exploration,
    part: Part,
    budget: dict[str, float],
    chosen: int | None,
    max_utilization: float,
    max_luts: int | None = None,
) -> list[str]:
    """Why the choice is smaller than the part allows (the routability limit bound it, and the
    design it kept out), or a warning when --max-luts lets it past the limit; [] for parts
    without a limit and when the limit did not matter."""
    from e3ne.design_space.sweep import budget_of, choose

    limit = part.routable_luts
    if limit is None or chosen is None:
        return []
    lut = float(exploration.resources["lut"][chosen])
    if max_luts is not None:
        return [] if lut <= limit else [
            f"warning: --max-luts {max_luts:,} replaces the routability limit ({part.routability_text()}); "
            f"the chosen design's ~{lut:,.0f} LUT4 may not route (docs/timing.md \"Routability limit\")"
        ]  # fmt: skip
    if budget["lut"] < limit:  # --max-utilization is the tighter bound
        return []
    lines = [f"routability limit: LUT4 kept within {part.routability_text()} (docs/timing.md \"Routability limit\")"]
    unlimited = choose(exploration, budget_of(part, max_utilization, routable=False))
    if unlimited is not None and exploration.cycles[unlimited] < exploration.cycles[chosen]:
        bigger = float(exploration.resources["lut"][unlimited])
        lines.append(
            f"  not chosen above it: --parallelism {exploration.parallelism_text(unlimited)} "
            f"({int(exploration.cycles[unlimited]):,} cycles, ~{bigger:,.0f} LUT4 = {bigger / part.lut:.0%}); "
            "compile it with that --parallelism (a warning, not an error) or raise the limit with --max-luts"
        )
    return lines


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
        "routable_lut": None if part.routable_luts is None else {
            "fraction": part.routable_lut, "lut": round(part.routable_luts, 1), "binds": part.routability_binds(budget),
        },  # fmt: skip
        "designs": len(exploration.cycles),
        "space": exploration.space,
        "exhaustive": exploration.exhaustive,
        "seconds": round(exploration.seconds, 2),
        **({"schedule": "dataflow", "cycles": "initiation interval"} if exploration.schedule == "dataflow" else {}),
        "candidates": {
            layer.name: [
                {**c.settings, **({"offchip": 1} if c.offchip else {}), **({"after_P": c.input_word} if c.input_word else {})}
                for c in layer.candidates
            ]
            for layer in exploration.layers
        },
        "pareto_front": [point(int(i)) for i in exploration.front],
        "chosen": None if chosen is None else point(chosen),
    }
    (out_dir / "explore.json").write_text(json.dumps(summary, indent=2) + "\n")
