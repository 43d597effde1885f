"""`e3ne compare`: the radix-vs-rate trade-off on the user's own task (issue 15).

The same task compiled two ways: a ReLU network as radix hardware (T = activation bits)
and a trained IF/LIF network (snnTorch model or .nir file) as time-step-serial hardware
(T' steps, direct or rate coding). For every design point it builds the accelerator and
puts side by side: float and golden-model accuracy on the test images, cycles per image
(the static schedule), the estimated LUT/FF/BRAM and energy per image (report.json),
and, with `synth=True`, Yosys's LUT/FF. Writes `compare.md` and `compare.json`.

    e3ne compare --radix examples/mlp/model.py:MLP --radix-weights examples/mlp/weights.pt \\
        --lif examples/snntorch_mlp/model.py:LeakyMLP --lif-weights examples/snntorch_mlp/weights.pt \\
        --input-shape 1,28,28 --calibration calib.npz --data test.npz --radix-time-steps 4 \\
        --lif-time-steps 8,16 --coding rate [--synth] -o build/compare
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from e3ne.driver.options import CompileOptions
from e3ne.driver.progress import Progress, Say, progress_of


@dataclass
class Point:
    design: str  # "radix" or "lif"
    model: str
    time_steps: int
    coding: str
    weight_bits: int
    float_accuracy: float
    golden_accuracy: float
    cycles: int
    lut: float
    ff: float
    bram36: float
    energy_nj: float
    yosys_lut: int | None = None
    yosys_ff: int | None = None
    build: str = ""


def _accuracy(outputs: np.ndarray, y: np.ndarray) -> float:
    return float((np.asarray(outputs).argmax(axis=1) == y).mean())


def _build_point(design, model, weights, input_shape, calibration_x, x, y, options, out: Path, say) -> Point:
    from e3ne.driver.compiler import compile_hardware
    from e3ne.frontend.spiking.entry import import_network
    from e3ne.interpreters.float_model import run_float
    from e3ne.interpreters.golden import run_golden
    from e3ne.ir import write_module
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    out.mkdir(parents=True, exist_ok=True)
    float_module = import_network(model, weights, input_shape, options)
    write_module(float_module, out / "snn.mlir")
    quant_module = quantize_module(float_module, calibration_x, options.time_steps, options.weight_bits, options.sigma)
    write_module(quant_module, out / "snn.quant.mlir")
    compile_hardware(quant_module, calibration_x, options, out, {"model": str(model)}, progress_of(say, 2), None)
    report = json.loads((out / "report.json").read_text())
    manifest = json.loads((out / "hardware.json").read_text())
    totals = report["totals"]
    return Point(
        design=design, model=str(model), time_steps=options.time_steps,
        coding="radix" if design == "radix" else options.coding, weight_bits=options.weight_bits,
        float_accuracy=_accuracy(run_float(float_module, x), y), golden_accuracy=_accuracy(run_golden(quant_module, x), y),
        cycles=int(manifest["cycles_expected"]), lut=totals["lut"], ff=totals["ff"], bram36=totals.get("bram", 0.0),
        energy_nj=float(report["energy"]["per_image_nj"]), build=str(out),
    )  # fmt: skip


def compare(
    radix,
    lif,
    *,
    input_shape,
    calibration,
    data,
    radix_weights=None,
    lif_weights=None,
    radix_time_steps=(4,),
    lif_time_steps=(8,),
    options: CompileOptions | None = None,
    limit: int | None = None,
    synth: bool = False,
    output: str | Path = "build/compare",
    progress: Progress | Say | None = None,
) -> list[Point]:
    """Build every point, return them and write `compare.md`/`compare.json` into `output`."""
    from e3ne.driver.inputs import load_npz, shape_of

    options = options or CompileOptions()
    shape = shape_of(input_shape)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    calibration_x, _ = load_npz(str(calibration), shape, False, role="calibration")
    x, y = load_npz(str(data), shape, True, role="test")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    plan = [("radix", radix, radix_weights, t, "direct") for t in radix_time_steps]
    plan += [("lif", lif, lif_weights, t, options.coding) for t in lif_time_steps]
    steps = progress_of(progress, len(plan))
    points = []
    for design, model, weights, time_steps, coding in plan:
        steps.step(f"{design} T={time_steps}{'' if design == 'radix' else ' ' + coding}: {model}")
        point_options = replace(options, time_steps=time_steps, coding=coding)
        point = _build_point(design, model, weights, shape, calibration_x, x, y, point_options,
                             out / f"{design}-t{time_steps}", None)
        if synth:
            from e3ne.driver.synth import synth as run_synth

            counts = run_synth(Path(point.build), options.target)
            point.yosys_lut, point.yosys_ff = int(counts["lut"]["yosys"]), int(counts["ff"]["yosys"])
        points.append(point)
        steps.done(f"golden accuracy {point.golden_accuracy:.3f}, {point.cycles:,} cycles, ~{point.lut:,.0f} LUT")
    (out / "compare.json").write_text(json.dumps([asdict(p) for p in points], indent=2) + "\n")
    (out / "compare.md").write_text(table(points, len(x), options) + "\n")
    return points


def table(points: list[Point], images: int, options: CompileOptions) -> str:
    clock = 100.0
    lines = [
        f"# Radix vs IF/LIF on {images} test images ({options.target}, weight bits {options.weight_bits}, "
        f"default parallelism)",
        "",
        "| design | model | T | coding | float acc. | golden acc. | cycles/image | latency at 100 MHz | LUT (est.) | "
        "FF (est.) | BRAM36 (est.) | LUT / FF (Yosys) | energy/image (est.) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in points:
        yosys = "—" if p.yosys_lut is None else f"{p.yosys_lut:,} / {p.yosys_ff:,}"
        lines.append(
            f"| {p.design} | `{Path(p.model.split(':')[0]).parent.name or p.model}` | {p.time_steps} | {p.coding} | "
            f"{p.float_accuracy * 100:.1f}% | {p.golden_accuracy * 100:.1f}% | {p.cycles:,} | "
            f"{p.cycles / clock:,.1f} us | {p.lut:,.0f} | {p.ff:,.0f} | {p.bram36:g} | {yosys} | {p.energy_nj:,.1f} nJ |"
        )
    lines += [
        "",
        "Cycles are the static schedule (measured == scheduled in RTL co-simulation). LUT/FF/BRAM and energy are "
        "e3ne's estimates (report.json; energy: arithmetic + memory reads, 45 nm figures, not FPGA power).",
    ]
    return "\n".join(lines)
