"""Per-layer bit-exact RTL verification (`e3ne simulate BUILD --per-layer`).

For each hardware stage of a network (conv with its fused pooling, stand-alone pooling,
linear) `verify_layers` builds a one-stage accelerator from the same quantized snn IR
(`snn-slice-layer`) with the same parallelism as the whole build, loads it with the golden
model's integer activations at that stage's input (bit-planes through the normal input
port), reads the stage's whole output (its bit-plane buffer through `result_addr`/
`result_data`, or the logits) and compares every value with the golden model's output of
that stage. One Verilator build per stage, then all images in one simulation; the stages
run in parallel (local processes or Ray tasks, e3ne.backend.shards).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from e3ne.backend.shards import Engine
from e3ne.errors import E3NEError
from e3ne.transforms.common import network_function
from e3ne.transforms.snn.slice_layer import slice_function
from e3ne.transforms.stages import Stage, network_stages

LOCAL_NAMES = {"conv": "conv1", "pool": "pool1", "linear": "fc1"}  # the stage's name inside its slice


@dataclass
class LayerCheck:
    """The outcome of one stage: values compared, mismatches, cycles, times."""

    layer: str
    kind: str
    values: int
    mismatches: int
    cycles_measured: int
    cycles_scheduled: int
    first_mismatches: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class GoldenLayer:
    """The golden model's integer values at one stage's input and output, (N, ...) int64."""

    stage: Stage
    inputs: np.ndarray
    outputs: np.ndarray


def golden_layers(quant_module: ModuleOp, x: np.ndarray, fuse_pooling: bool = True) -> list[GoldenLayer]:
    """Run the golden model once on float images `x` and cut its values at stage borders."""
    from e3ne.dialects import snn
    from e3ne.interpreters.golden import run_golden

    function = network_function(quant_module)
    stages = network_stages(function, fuse_pooling)
    _, record = run_golden(quant_module, x, record=True)
    if snn.network_time_steps(function) is None:
        return [GoldenLayer(stage, record[stage.input.owner], record[stage.output]) for stage in stages]
    return [
        GoldenLayer(
            stage,
            stored_values(stage.input, record[stage.input.owner]),
            stored_values(stage.output.results[0], record[stage.output]),
        )
        for stage in stages
    ]


def stored_values(value, per_step: np.ndarray) -> np.ndarray:
    """An IF/LIF network's recorded `(N, T, ...)` values as the hardware stores them, (N, ...):
    spike trains as T-bit words (plane t = step t, lif_numerics.spike_words), every other value
    (the direct-coded `snn.encode`, the same at every step; a readout) at its last step."""
    from e3ne.dialects import snn
    from e3ne.lif_numerics import spike_words

    return spike_words(per_step) if snn.is_spike_tensor(value.type) else per_step[:, -1]


def full_build_layers(quant_module: ModuleOp, parallelism: str | None = None, fuse_pooling: bool = True) -> list[dict]:
    """The manifest's `layers` of the whole network's hardware (lowered to snnhw only)."""
    return full_build(quant_module, parallelism, fuse_pooling)["layers"]


def full_build(
    quant_module: ModuleOp, parallelism: str | None = None, fuse_pooling: bool = True, offchip_weights: str = "none"
) -> dict:
    """The manifest (hardware.json without files) of the whole network's hardware, lowered to
    snnhw only: `layers`, and `axi` when some weights are off-chip."""
    from e3ne.backend.build import describe, lower_to_snnhw

    _, _, accelerator = lower_to_snnhw(
        quant_module, parallelism=parallelism, fuse_pooling=fuse_pooling, offchip_weights=offchip_weights
    )
    return describe(accelerator)


def fused_pooling(layers: list[dict]) -> bool | None:
    """Whether the build fused pooling into conv units (None: no conv unit could tell)."""
    convs = [layer for layer in layers if layer["kind"] == "conv"]
    if any(layer["pool"] is not None for layer in convs):
        return True
    return None


def slice_parallelism(stage: Stage, layer: dict) -> str:
    """The parallelism setting that gives the slice's stage the whole build's unit."""
    name = LOCAL_NAMES[stage.kind]
    if layer["kind"] == "conv":
        keys = {"columns": layer["columns"], "channels": layer["channels"], "units": layer["units"]}
    elif layer["kind"] == "linear":
        keys = {"P": layer["parallelism"], "Q": layer.get("input_parallelism", 1)}
    else:
        return ""
    return ",".join(f"{name}.{key}={value}" for key, value in keys.items())


def slice_memory(stage: Stage, layer: dict, axi: dict | None) -> dict:
    """`build_hardware` arguments that place the slice's weights where the build has them
    (and that make its unit skip zeros when the build's does)."""
    skip = {"skip_zeros": True} if layer.get("skip_zeros") else {}
    if layer.get("weights") != "offchip":
        return skip
    if axi is None:
        raise E3NEError(f"layer {stage.name} streams its weights, but no memory model (hardware.json axi) was given")
    return {
        "offchip_weights": LOCAL_NAMES[stage.kind],
        "axi_data_width": axi["data_width"],
        "memory_latency": axi["memory_latency"],
    }


def _stages_for(quant_module: ModuleOp, layers: list[dict]) -> tuple[list[Stage], bool]:
    """The snn stages matching the build's layers (fused pooling or not, whichever matches)."""
    names = [layer["name"] for layer in layers]
    function = network_function(quant_module)
    preferred = fused_pooling(layers)
    for fuse in ([preferred] if preferred is not None else [True, False]):
        stages = network_stages(function, fuse)
        if [s.name for s in stages] == names:
            return stages, fuse
    raise E3NEError(
        f"the build's layers ({', '.join(names)}) do not match the quantized network's stages",
        hint="recompile the build from this snn.quant.mlir",
    )


def _row_width(index: int, stage: Stage, layers: list[dict]) -> int | None:
    """A flat input read from a previous linear unit's buffer has rows of that unit's P."""
    from e3ne.dialects import snn

    if index == 0 or len(snn.shape_of(stage.input)) != 2 or layers[index - 1]["kind"] != "linear":
        return None
    return layers[index - 1]["parallelism"]


def _mismatches(rtl: np.ndarray, golden: np.ndarray, limit: int = 5) -> list[dict]:
    images, indices = np.nonzero(rtl != golden)
    return [
        {"image": int(i), "index": int(k), "rtl": int(rtl[i, k]), "golden": int(golden[i, k])}
        for i, k in zip(images[:limit], indices[:limit])
    ]


@dataclass(frozen=True)
class LayerTask:
    """One stage's check, self-contained so it can run in another process or on another
    machine: the one-stage network as MLIR text, its build settings, and the golden values."""

    name: str
    kind: str
    slice_text: str
    parallelism: str | None
    fuse_pooling: bool
    memory: dict
    cycles_scheduled: int
    inputs: np.ndarray
    expected: np.ndarray
    directory: str | None  # None: a temporary directory of the worker


def check_layer(_shared: object, task: LayerTask) -> LayerCheck:
    """Build the one-stage accelerator, simulate it on every image, compare with the golden model."""
    import tempfile

    from e3ne.backend.build import build_hardware
    from e3ne.backend.shards import LocalEngine
    from e3ne.backend.simulate import build_simulator, run_rtl
    from e3ne.ir import parse_text

    with tempfile.TemporaryDirectory(prefix=f"e3ne-{task.name}-") as scratch:
        directory = Path(task.directory or scratch)
        seconds: dict[str, float] = {}
        began = time.monotonic()
        manifest = build_hardware(
            parse_text(task.slice_text, f"slice {task.name}"), directory, parallelism=task.parallelism,
            fuse_pooling=task.fuse_pooling, progress=lambda _: None, **task.memory,
        )  # fmt: skip
        seconds["build"] = time.monotonic() - began
        if manifest["cycles_expected"] != task.cycles_scheduled:
            raise E3NEError(
                f"the one-layer accelerator is scheduled for {manifest['cycles_expected']} cycles, "
                f"the whole build's stage for {task.cycles_scheduled}; it is not the same unit",
                location=str(directory),
            )
        began = time.monotonic()
        build_simulator(directory, progress=lambda _: None)
        seconds["verilator"] = time.monotonic() - began
        began = time.monotonic()
        values, cycles = run_rtl(directory, task.inputs, progress=lambda _: None, engine=LocalEngine(1))
        seconds["run"] = time.monotonic() - began
        measured, scheduled = (int(cycles.max()) if len(cycles) else 0), task.cycles_scheduled
        if task.memory.get("skip_zeros") and len(cycles):
            measured, scheduled = _skipping_cycles(directory / "snnhw.mlir", task.inputs, cycles)
    expected = task.expected
    if values.shape != expected.shape:
        raise E3NEError(
            f"the RTL returned {values.shape[1]} values per image, the golden model "
            f"{expected.shape[1]}",
            location=str(directory),
        )
    return LayerCheck(
        layer=task.name,
        kind=task.kind,
        values=int(expected.size),
        mismatches=int(np.count_nonzero(values != expected)),
        cycles_measured=measured,
        cycles_scheduled=scheduled,
        first_mismatches=_mismatches(values, expected),
        seconds={key: round(value, 2) for key, value in seconds.items()},
    )


def _skipping_cycles(snnhw_file: Path, inputs: np.ndarray, cycles: np.ndarray) -> tuple[int, int]:
    """A skipping unit's (measured, predicted) cycles: of the first image where they differ,
    else the slowest image's (then equal). The prediction is e3ne.model.skipping's."""
    from e3ne.dialects import snnhw
    from e3ne.ir import parse_module
    from e3ne.model.skipping import image_cycles

    module = parse_module(snnhw_file)
    (stage,) = next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp)).schedule().stage_ops()
    predicted = image_cycles(stage.shape(), inputs)
    wrong = np.flatnonzero(predicted != cycles)
    index = int(wrong[0]) if len(wrong) else int(np.argmax(cycles))
    return int(cycles[index]), int(predicted[index])


def verify_layers(
    quant_module: ModuleOp,
    x: np.ndarray,
    work_dir: Path,
    layers: list[dict] | None = None,
    parallelism: str | None = None,
    only: list[str] | None = None,
    golden: list[GoldenLayer] | None = None,
    progress: Callable[[str], None] = print,
    axi: dict | None = None,
    jobs: int | None = None,
    ray: bool = False,
    cluster: str | None = None,
    shared_filesystem: bool = False,
    engine: Engine | None = None,
) -> list[LayerCheck]:
    """Check every stage (or the stages named in `only`) of the network bit-exactly in RTL.

    `layers` is the whole build's manifest `layers` (hardware.json); without it the network is
    lowered with `parallelism` to find them. `golden` (from `golden_layers`) may be given to
    reuse or alter the reference values. Each stage is built under `work_dir/<stage>`.
    A layer whose weights are off-chip in the build (`layers[*]["weights"]`) streams them in
    its slice too, under the build's memory model `axi` (hardware.json "axi").

    The stages are independent and run in parallel: `engine`, or `jobs` local processes
    (None: every core), or Ray (`ray`, `cluster`). On Ray a stage is built in the worker's
    temporary directory unless `shared_filesystem` (then under `work_dir` as locally).
    """
    from e3ne.backend.shards import RayEngine
    from e3ne.backend.shards import engine as choose_engine
    from e3ne.ir import module_text

    work_dir = Path(work_dir)
    x = np.asarray(x)
    if layers is None:
        layers = full_build_layers(quant_module, parallelism)
    stages, fuse = _stages_for(quant_module, layers)
    if only:
        unknown = sorted(set(only) - {s.name for s in stages})
        if unknown:
            raise E3NEError(f"no layer {', '.join(unknown)}", hint="layers: " + ", ".join(s.name for s in stages))
    if golden is None:
        progress(f"golden model on {len(x)} images")
        golden = golden_layers(quant_module, x, fuse)
    if engine is None:
        engine = choose_engine(jobs, ray, cluster, progress=progress)
    local = not isinstance(engine, RayEngine) or shared_filesystem
    function = network_function(quant_module)
    tasks: list[LayerTask] = []
    for index, (stage, layer, reference) in enumerate(zip(stages, layers, golden)):
        if only and stage.name not in only:
            continue
        sliced = ModuleOp([slice_function(function, stage, _row_width(index, stage, layers))])
        tasks.append(
            LayerTask(
                name=stage.name, kind=layer["kind"], slice_text=module_text(sliced),
                parallelism=slice_parallelism(stage, layer) or None, fuse_pooling=fuse,
                memory=slice_memory(stage, layer, axi), cycles_scheduled=int(layer["cycles"]),
                inputs=reference.inputs, expected=reference.outputs.reshape(len(x), -1),
                directory=str((work_dir / stage.name).resolve()) if local else None,
            )
        )  # fmt: skip
    progress(f"{len(tasks)} one-layer accelerators, {len(x)} images each, on {engine.describe()}")

    def report(_index: int, check: LayerCheck) -> None:
        seconds = check.seconds
        progress(
            f"{check.layer}: {check.values} values, {check.mismatches} mismatches, {check.cycles_measured}/"
            f"{check.cycles_scheduled} cycles (build {seconds['build']:.1f} s, verilator {seconds['verilator']:.1f} s, "
            f"run {seconds['run']:.1f} s)"
        )

    return engine.map(check_layer, tasks, labels=[f"layer {t.name}" for t in tasks], on_result=report, processes=True)


def table(checks: list[LayerCheck]) -> str:
    """The per-layer table: layer, kind, values compared, mismatches, cycles measured/scheduled."""
    rows = [("layer", "kind", "values", "mismatches", "cycles", "scheduled")]
    rows += [
        (c.layer, c.kind, str(c.values), str(c.mismatches), str(c.cycles_measured), str(c.cycles_scheduled))
        for c in checks
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in rows
    )


def write_report(checks: list[LayerCheck], path: Path, images: int) -> dict:
    report = {
        "images": images,
        "layers": [asdict(c) for c in checks],
        "mismatches": sum(c.mismatches for c in checks),
        "cycle_mismatches": [c.layer for c in checks if c.cycles_measured != c.cycles_scheduled],
    }
    Path(path).write_text(json.dumps(report, indent=2) + "\n")
    return report
