"""`Build.simulate`: the float model, the golden model and the RTL on a set of images.

A whole-network run returns a `Simulation` (sim/summary.json); `per_layer=True` checks
each layer as its own one-stage accelerator and returns `LayerChecks` (sim/layers.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from e3ne.driver.inputs import encoded_inputs, images
from e3ne.driver.progress import Progress, Say, progress_of
from e3ne.errors import E3NEError


@dataclass
class Simulation:
    """`summary` is sim/summary.json: images, float/golden(/rtl) accuracy, and with RTL the
    mismatches and cycles. `outputs`: the golden (and RTL) logits."""

    summary: dict
    outputs: dict[str, np.ndarray] = field(repr=False)

    @property
    def rtl(self) -> bool:
        return "rtl" in self.outputs

    @property
    def accuracy(self) -> float | None:
        """The RTL's accuracy, or the golden model's without RTL (None without labels)."""
        return self.summary["rtl_accuracy" if self.rtl else "golden_accuracy"]

    @property
    def mismatches(self) -> int:
        """Images whose RTL logits differ from the golden model's (0 without RTL)."""
        return self.summary.get("mismatches", 0)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    def error_message(self) -> str:
        return (
            f"RTL logits differ from the golden model on {self.summary['mismatches']} of "
            f"{self.summary['images']} images (first: {self.summary['first_mismatches']})"
        )


@dataclass
class LayerChecks:
    """Per-layer RTL checks (`e3ne.backend.layerwise`): `checks`, and `summary` (sim/layers.json)."""

    checks: list
    summary: dict

    @property
    def ok(self) -> bool:
        return not (self.summary["mismatches"] or self.summary["cycle_mismatches"])

    def table(self) -> str:
        from e3ne.backend.layerwise import table

        return table(self.checks)

    def error_message(self) -> str:
        wrong = [c.layer for c in self.checks if c.mismatches]
        return (
            f"{self.summary['mismatches']} values differ from the golden model (layers: {', '.join(wrong) or '-'}); "
            f"cycles differ from the schedule in: {', '.join(self.summary['cycle_mismatches']) or '-'}"
        )


def _accuracy(logits: np.ndarray, labels: np.ndarray | None) -> float | None:
    if labels is None:
        return None
    return float((np.argmax(logits, axis=1) == labels).mean())


def simulate(
    build: Path,
    data,
    limit: int | None = None,
    golden_only: bool = False,
    per_layer: bool = False,
    layers: list[str] | str | None = None,
    progress: Progress | Say | None = None,
    engine: dict | None = None,
) -> Simulation | LayerChecks:
    from e3ne import data_checks
    from e3ne.build_checks import check_build, check_cycles, check_memory_files, read_manifest
    from e3ne.interpreters.float_model import run_float
    from e3ne.interpreters.golden import run_golden
    from e3ne.ir import parse_module

    if layers and not per_layer:
        raise E3NEError("--layers selects layers for --per-layer; add --per-layer or leave it out")
    if limit is not None and limit < 1:
        raise E3NEError(f"--limit must be >= 1, got {limit}")
    jobs = (engine or {}).get("jobs")
    if jobs is not None and jobs < 1:  # before the simulator is built
        raise E3NEError(f"--jobs must be at least 1, got {jobs}")
    build = Path(build)
    if not build.is_dir():
        raise E3NEError(
            "is a file, not a build directory" if build.exists() else "build directory not found",
            location=str(build),
            hint=f"compile first: e3ne compile ... -o {build}",
        )
    for name in ("snn.mlir", "snn.quant.mlir"):
        if not (build / name).is_file():
            raise E3NEError(f"{name} not found; run `e3ne compile ... -o {build}` first", location=str(build))
    float_module = parse_module(build / "snn.mlir")
    quant_module = parse_module(build / "snn.quant.mlir")
    steps = progress_of(progress, 1 if per_layer else 3 if not golden_only else 2)
    path = str(data) if isinstance(data, str | Path) else None
    x, y = images(data, role="test", say=steps.say)
    if y is not None:
        y = data_checks.check_labels(y, _classes(quant_module), path=path, images=len(x))
    if limit is not None:
        x, y = x[:limit], (None if y is None else y[:limit])
    warnings = data_checks.check_input_range(x, quant_module, path=path)
    for warning in warnings:
        steps.say(warning)
    rtl = not golden_only
    if per_layer:
        return simulate_layers(build, quant_module, x, golden_only, layers, steps, engine)
    manifest = None
    if rtl:
        manifest = read_manifest(build)
        check_memory_files(build / "rtl", manifest)
        check_build(build, manifest)

    steps.step(f"float model on {len(x)} images")
    float_logits = run_float(float_module, x)
    steps.done()
    from e3ne.backend.report import is_time_stepped

    steps.step(f"golden model (integer {'IF/LIF' if is_time_stepped(quant_module) else 'radix'} numerics)")
    golden = run_golden(quant_module, x)
    steps.done()

    summary: dict = {
        "images": int(len(x)),
        "float_accuracy": _accuracy(float_logits, y),
        "golden_accuracy": _accuracy(golden, y),
    }
    outputs = {"golden": golden.astype(np.int64)}
    if rtl:
        from e3ne.backend.simulate import run_rtl

        steps.step("RTL simulation (Verilator)")
        firsts: list[int] = []
        rtl_logits, cycles = run_rtl(
            build, encoded_inputs(quant_module, x), progress=steps.say, first_images=firsts, **(engine or {})
        )
        steps.done()
        mismatched = np.flatnonzero(np.any(rtl_logits != golden, axis=1))
        outputs["rtl"] = rtl_logits.astype(np.int64)
        summary.update(
            rtl_accuracy=_accuracy(rtl_logits, y),
            mismatches=int(len(mismatched)),
            first_mismatches=[int(i) for i in mismatched[:10]],
            cycles_per_image=int(cycles.max()),
            cycles_min=int(cycles.min()),
            cycles_expected=int(manifest["cycles_expected"]),
        )
        if manifest.get("schedule") == "dataflow":
            summary.update(dataflow_cycles(cycles, firsts, manifest))
    predicted = None
    if rtl:
        predicted, alone = _predicted_cycles(build, quant_module, x, manifest, firsts)
        if predicted is not None:  # zero skipping: data-dependent cycles, predicted image by image
            wrong = np.flatnonzero(predicted != cycles)
            if alone is not None:  # dataflow: the measured cycles are latencies and intervals
                summary.update(_dataflow_averages(cycles, firsts))
                summary["latency_alone_predicted_average"] = round(float(alone.mean()), 1)
            summary.update(
                cycles_average=round(float(cycles.mean()), 1),
                cycles_predicted_average=round(float(predicted.mean()), 1),
                cycle_mismatches=int(len(wrong)),
                first_cycle_mismatches=[
                    {"image": int(i), "measured": int(cycles[i]), "predicted": int(predicted[i])} for i in wrong[:10]
                ],
            )
            from e3ne.backend.report import record_measured

            measured = {
                "images": int(len(x)),
                "average": round(float(cycles.mean()), 1),
                "min": int(cycles.min()),
                "max": int(cycles.max()),
                "predicted_equal": int(len(x) - len(wrong)),
            }
            if summary.get("interval_average") is not None:  # dataflow: the intervals after each run's first image
                measured.update(
                    interval_average=summary["interval_average"],
                    latency_average=summary["latency_average"],
                    min=summary["interval_min"],
                    max=summary["interval_max"],
                )
            record_measured(build, measured)
    if warnings:
        summary["warnings"] = warnings
    from e3ne.backend.simulate import write_outputs  # atomic, byte-stable outputs.npz

    write_outputs(build / "sim", outputs, summary)
    if predicted is not None:
        if summary["cycle_mismatches"]:
            first = summary["first_cycle_mismatches"][0]
            raise E3NEError(
                f"the RTL's cycles differ from the zero-skipping prediction (e3ne.model.skipping) on "
                f"{summary['cycle_mismatches']} of {len(x)} images (first: image {first['image']}, measured "
                f"{first['measured']:,}, predicted {first['predicted']:,})",
                location=str(build / "sim" / "summary.json"),
            )
    elif rtl:
        # The testbench runs without +axi_throttle here, so off-chip builds too take exactly
        # the static schedule's cycles (throttled runs take more by design: test_hw_offchip).
        expected = summary["cycles_expected"]
        if "interval_expected" in summary:  # dataflow: first images' latency, the others' interval
            check_cycles(summary["latency_measured"], expected, location=str(build / "hardware.json"))
            check_cycles(
                summary["interval_measured"], summary["interval_expected"], location=str(build / "hardware.json"),
                what="completion interval (hardware.json interval_expected)",
            )
        else:
            measured = summary["cycles_per_image"] if summary["cycles_per_image"] != expected else summary["cycles_min"]
            check_cycles(measured, expected, location=str(build / "hardware.json"))
    return Simulation(summary, outputs)


def _split_runs(cycles: np.ndarray, firsts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """A dataflow run's measured cycles split into each shard's first image (its latency) and
    every other image (its completion interval)."""
    first = np.zeros(len(cycles), dtype=bool)
    first[[i for i in firsts if i < len(cycles)]] = True
    return cycles[first], cycles[~first]


def dataflow_cycles(cycles: np.ndarray, firsts: list[int], manifest: dict) -> dict:
    """A dataflow run's measured latency (each shard's first image) and completion interval
    (every other image): the value that differs from the schedule if one does, else the schedule's."""
    first, later = _split_runs(cycles, firsts)
    latency, interval = int(manifest["cycles_expected"]), int(manifest["interval_expected"])

    def pick(values: np.ndarray, expected: int) -> int:
        wrong = values[values != expected]
        return int(wrong.max()) if wrong.size else expected

    return {
        "latency_measured": pick(first, latency),
        "interval_measured": pick(later, interval) if later.size else interval,
        "intervals_measured": int(later.size),
        "interval_expected": interval,
    }


def _dataflow_averages(cycles: np.ndarray, firsts: list[int]) -> dict:
    """A data-dependent dataflow run: the average latency (each shard's first image) and the
    average completion interval (every other image), measured."""
    first, later = _split_runs(cycles, firsts)
    return {
        "latency_average": round(float(first.mean()), 1) if first.size else None,
        "interval_average": round(float(later.mean()), 1) if later.size else None,
        "interval_min": int(later.min()) if later.size else None,
        "interval_max": int(later.max()) if later.size else None,
    }


def _predicted_cycles(
    build: Path, quant_module, x: np.ndarray, manifest: dict | None = None, firsts: list[int] | None = None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-image cycles predicted for a build with zero skipping (None: a static schedule);
    a dataflow build's as its testbench reports them (`e3ne.backend.cycles.stream_cycles`),
    with, second, each image's latency when it runs alone (1 + the sum of its stages' cycles;
    None for a sequential build, where that is the first array)."""
    from e3ne.backend.cycles import image_cycles, skips_zeros, stream_cycles
    from e3ne.dialects import snnhw
    from e3ne.model.schedule import DATAFLOW_INPUT_HANDOFF
    from e3ne.ir import parse_module

    path = build / "snnhw.mlir"
    if not path.is_file() or "skip_zeros" not in path.read_text():
        return None, None
    accelerator = next(op for op in parse_module(path).walk() if isinstance(op, snnhw.AcceleratorOp))
    if not skips_zeros(accelerator):
        return None, None
    if manifest is not None and manifest.get("schedule") == "dataflow":
        result = manifest["result"]["depth"] if "result" in manifest else manifest["logits"]["count"]
        words = manifest["input"]["depth"]
        alone = image_cycles(accelerator, quant_module, x) + DATAFLOW_INPUT_HANDOFF
        return stream_cycles(accelerator, quant_module, x, firsts or [0], words, result), alone
    return image_cycles(accelerator, quant_module, x), None


def _classes(quant_module) -> int:
    """The network's logit count (the last dimension of its result)."""
    from e3ne.transforms.common import network_function

    (result,) = network_function(quant_module).function_type.outputs.data
    return int(result.get_shape()[-1])


def simulate_layers(
    build: Path,
    quant_module,
    x: np.ndarray,
    golden_only: bool,
    layers,
    progress: Progress | Say | None,
    engine: dict | None = None,
) -> LayerChecks:
    """One one-stage accelerator per layer, each checked bit-exactly in RTL."""
    from e3ne.backend.layerwise import verify_layers, write_report
    from e3ne.build_checks import read_manifest

    if golden_only:
        raise E3NEError("--per-layer simulates RTL; it cannot be combined with --golden-only")
    hardware = read_manifest(build)
    all_layers = hardware["layers"]
    if isinstance(layers, str):
        layers = layers.split(",")
    only = [name.strip() for name in layers if name.strip()] if layers else None
    steps = progress_of(progress, 1)
    steps.step(f"per-layer RTL verification of {len(only) if only else len(all_layers)} layers on {len(x)} images")
    sim_dir = build / "sim"
    sim_dir.mkdir(exist_ok=True)
    checks = verify_layers(
        quant_module, x, sim_dir / "layers", layers=all_layers, only=only, progress=steps.say, axi=hardware.get("axi"),
        **(engine or {}),
    )
    steps.done(f"wrote {sim_dir / 'layers.json'}")
    summary = write_report(checks, sim_dir / "layers.json", len(x))
    return LayerChecks(checks, summary)
