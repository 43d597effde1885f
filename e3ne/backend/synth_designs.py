"""`e3ne explore --synthesize K`: Yosys counts for the K fastest Pareto designs that fit.

Each design is built (RTL only) under `WORK/synth/design<k>` in this process, then the Yosys
runs (`synth_xilinx`, minutes each) go to the engine of e3ne.backend.shards in parallel:
local workers, or Ray tasks that receive the design's RTL files with the task. The counts
sit beside explore's estimates in explore.json ("synthesized").
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from e3ne.backend.shards import Engine, RayEngine
from e3ne.backend.shards import engine as choose_engine
from e3ne.errors import E3NEError
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY
from e3ne.model.parts import Part


@dataclass(frozen=True)
class SynthTask:
    """One design's Yosys run: its RTL directory (shared filesystem) or files (they travel)."""

    part: str
    top: str
    sources: tuple[str, ...]
    rtl_dir: str | None = None
    files: dict[str, bytes] | None = None


def synthesize_rtl(_shared: object, task: SynthTask) -> dict:
    """Run Yosys on one design; its cell counts, totals, version and seconds."""
    from e3ne.backend.synth import run_yosys
    from e3ne.model.parts import get_part

    with tempfile.TemporaryDirectory(prefix="e3ne-synth-") as scratch:
        rtl = Path(task.rtl_dir or scratch)
        for name, data in (task.files or {}).items():
            (rtl / name).write_bytes(data)
        return run_yosys(rtl, list(task.sources), get_part(task.part), task.top, rtl / "synth.log", progress=lambda _: None)


def best_designs(exploration, budget: dict[str, float], count: int) -> list[int]:
    """The `count` fastest designs of the Pareto front within `budget` (fewer if fewer fit)."""
    fits = [
        int(point) for point in exploration.front
        if all(exploration.resources[key][point] <= limit for key, limit in budget.items())
    ]  # fmt: skip
    return fits[:count]


def synthesize_designs(
    exploration,
    quant_module,
    part: Part,
    budget: dict[str, float],
    work_dir: Path,
    count: int,
    axi_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    progress: Callable[[str], None] = print,
    jobs: int | None = None,
    ray: bool = False,
    cluster: str | None = None,
    shared_filesystem: bool = False,
    engine: Engine | None = None,
) -> list[dict]:
    """Build and synthesize the `count` best designs; one entry per design with explore's
    estimate and Yosys's count per resource (`e3ne.backend.synth.compare`)."""
    from e3ne.backend.build import build_hardware
    from e3ne.backend.synth import compare

    points = best_designs(exploration, budget, count)
    if not points:
        raise E3NEError("no design on the Pareto front fits the budget; nothing to synthesize")
    if engine is None:
        engine = choose_engine(jobs, ray, cluster, progress=progress)
    travel = isinstance(engine, RayEngine) and not shared_filesystem
    tasks = []
    for k, point in enumerate(points, 1):
        directory = Path(work_dir) / "synth" / f"design{k}"
        offchip = ",".join(exploration.offchip_layers(point)) or "none"
        progress(f"design {k}: building {exploration.parallelism_text(point)} (off-chip: {offchip})")
        manifest = build_hardware(
            quant_module, directory, parallelism=exploration.parallelism_text(point), offchip_weights=offchip,
            axi_data_width=axi_width, memory_latency=memory_latency, progress=lambda _: None,
        )  # fmt: skip
        rtl = directory / "rtl"
        sources = tuple(sorted(p.name for p in rtl.glob("*.sv") if p.name != "tb.sv"))
        files = None
        if travel:  # the sources and the $readmemh files they name
            files = {p.name: p.read_bytes() for p in sorted(rtl.iterdir()) if p.is_file() and p.name != "tb.sv"}
        tasks.append(SynthTask(part.name, manifest["top"], sources, None if travel else str(rtl.resolve()), files))
    progress(f"Yosys on {len(tasks)} designs on {engine.describe()}")
    done = []
    results = engine.map(
        synthesize_rtl, tasks, labels=[f"design {k} (Yosys)" for k in range(1, len(tasks) + 1)],
        on_result=lambda index, result: (done.append(index), progress(
            f"design {index + 1}: {result['counts']['lut']:,.0f} LUT, {result['counts']['ff']:,.0f} FF "
            f"({result['seconds']:.0f} s; {len(done)}/{len(tasks)} done)"
        )),
    )  # fmt: skip
    return [
        {
            "parallelism": exploration.parallelism_text(point),
            "offchip": exploration.offchip_layers(point),
            "cycles": int(exploration.cycles[point]),
            **compare(result["counts"], exploration.totals(point)),
            "ramb36": result["counts"]["ramb36"],
            "ramb18": result["counts"]["ramb18"],
            "yosys_version": result["yosys_version"],
            "seconds": result["seconds"],
        }
        for point, result in zip(points, results)
    ]


def add_to_explore_json(path: Path, synthesized: list[dict], chosen: dict | None = None) -> None:
    """Put the synthesized designs beside the estimates in explore.json ("synthesized"); with
    `chosen`, the design chosen from Yosys's counts replaces the estimate's choice."""
    path = Path(path)
    summary = json.loads(path.read_text())
    summary["synthesized"] = synthesized
    if chosen is not None:
        summary["chosen"] = {**(summary.get("chosen") or {}), **chosen}
    path.write_text(json.dumps(summary, indent=2, default=_plain) + "\n")


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def table(synthesized: list[dict]) -> str:
    """design, cycles, then estimate / Yosys for LUT, FF, BRAM36."""
    lines = ["design  cycles      LUT est/yosys      FF est/yosys  BRAM est/yosys"]
    for k, row in enumerate(synthesized, 1):
        cells = [f"{row[key]['estimate']:,.0f}/{row[key]['yosys']:,.0f}" for key in ("lut", "ff")]
        lines.append(
            f"{k:>6}  {row['cycles']:>9,}  {cells[0]:>16}  {cells[1]:>16}  "
            f"{row['bram']['estimate']:g}/{row['bram']['yosys']:g}"
        )
    return "\n".join(lines)
