"""Cycles per image of a build on given images: the static schedule, or with zero skipping
the exact data-dependent count (`e3ne.model.skipping.image_cycles` of every stage on the
golden model's integer activations at its input).

    stage_image_cycles(accelerator, quant_module, x) -> {stage name: (N,) cycles}
    image_cycles(accelerator, quant_module, x)       -> (N,) cycles start to done
    stream_cycles(accelerator, quant_module, x, first_images, input_words, result_words)
        -> (N,) what a dataflow testbench reports: each run's first image its latency,
           every other image the cycles since the previous one's result

The simulation check (measured == predicted, image by image), the report's expected
cycles (on the calibration images) and its measured average all use these.
"""

from __future__ import annotations

import numpy as np

from e3ne.dialects import snnhw
from e3ne.errors import E3NEError
from e3ne.model import skipping
from e3ne.model.schedule import dataflow_image_cycles


def skips_zeros(accelerator: snnhw.AcceleratorOp) -> bool:
    """Some stage of the accelerator has data-dependent cycles."""
    return any(getattr(stage, "skips_zeros", lambda: False)() for stage in accelerator.schedule().stage_ops())


def stage_inputs(accelerator: snnhw.AcceleratorOp, quant_module, x: np.ndarray) -> dict[str, np.ndarray]:
    """The golden model's integer activations (N, ...) at each stage's input, by stage name."""
    from e3ne.backend.layerwise import golden_layers

    stages = accelerator.schedule().stage_ops()
    fuse = any(isinstance(s, snnhw.ConvUnitOp) and s.pool_mode is not None for s in stages)
    names = [s.symbol for s in stages]
    for option in (fuse, not fuse):
        layers = golden_layers(quant_module, x, fuse_pooling=option)
        if [layer.stage.name for layer in layers] == names:
            return {layer.stage.name: layer.inputs for layer in layers}
    raise E3NEError(
        f"the build's stages ({', '.join(names)}) do not match the quantized network's layers",
        hint="recompile the build from this snn.quant.mlir",
    )


def stage_image_cycles(accelerator: snnhw.AcceleratorOp, quant_module, x: np.ndarray, inputs=None) -> dict:
    """{stage name: (N,) cycles of that stage on each image}."""
    inputs = stage_inputs(accelerator, quant_module, x) if inputs is None else inputs
    result = {}
    for stage in accelerator.schedule().stage_ops():
        values = inputs[stage.symbol]
        if stage.is_offchip():  # streaming: the static schedule (skipping is refused there)
            result[stage.symbol] = np.full(len(values), stage.cycles(), dtype=np.int64)
        else:
            result[stage.symbol] = skipping.image_cycles(stage.shape(), values)
    return result


def image_cycles(accelerator: snnhw.AcceleratorOp, quant_module, x: np.ndarray) -> np.ndarray:
    """(N,) cycles from start to done for each image."""
    per_stage = stage_image_cycles(accelerator, quant_module, x)
    return np.sum(list(per_stage.values()), axis=0).astype(np.int64)


def stream_cycles(
    accelerator: snnhw.AcceleratorOp,
    quant_module,
    x: np.ndarray,
    first_images: list[int],
    input_words: int,
    result_words: int,
) -> np.ndarray:
    """(N,) per image of a dataflow build whose images stream back to back, in runs (shards)
    starting at `first_images`: the run's first image its latency, each later one its
    completion interval (`e3ne.model.schedule.dataflow_image_cycles` on the stages' cycles of
    each image; the host writes `input_words` and reads `result_words` words per image)."""
    per_stage = stage_image_cycles(accelerator, quant_module, x)
    table = np.array([per_stage[stage.symbol] for stage in accelerator.schedule().stage_ops()], dtype=np.int64)
    bounds = sorted({0, *(int(i) for i in first_images if 0 <= i < len(x))}) + [len(x)]
    result = [
        dataflow_image_cycles(table[:, low:high], input_words, result_words)
        for low, high in zip(bounds, bounds[1:])
        if high > low
    ]
    return np.concatenate([np.asarray(r, dtype=np.int64) for r in result]) if result else np.zeros(0, np.int64)


def cycle_activity(accelerator: snnhw.AcceleratorOp, quant_module, x: np.ndarray) -> dict:
    """Per stage and in total, on images `x` (the calibration set): the worst case (the static
    schedule), the expected (average) cycles and the accumulator utilisation = spike-gated
    additions / (adder inputs x cycles), for both (report.json `cycles`)."""
    inputs = stage_inputs(accelerator, quant_module, x)
    per_stage = stage_image_cycles(accelerator, quant_module, x, inputs)
    layers = []
    for stage in accelerator.schedule().stage_ops():
        shape = stage.shape()
        additions = float(skipping.dense_additions(shape, inputs[stage.symbol]).mean())
        worst, expected = stage.cycles(), float(per_stage[stage.symbol].mean())
        dense_util = skipping.utilisation(additions, shape, worst)
        layers.append(
            {
                "name": stage.symbol,
                "skip_zeros": bool(getattr(shape, "skip_zeros", False)),
                "worst_cycles": worst,
                "expected_cycles": round(expected, 1),
                "additions": round(additions),
                "adder_inputs": skipping.adder_inputs(shape),
                "utilisation_worst": None if dense_util is None else round(dense_util, 4),
                "utilisation_expected": None
                if dense_util is None
                else round(skipping.utilisation(additions, shape, expected), 4),
            }
        )
    worst = sum(layer["worst_cycles"] for layer in layers)
    expected = float(np.sum([per_stage[name].mean() for name in per_stage]))
    additions = sum(layer["additions"] for layer in layers)
    capacity = sum(layer["adder_inputs"] for layer in layers)
    return {
        "images": int(len(x)),
        "worst_cycles": worst,
        "expected_cycles": round(expected, 1),
        "additions": additions,
        "adder_inputs": capacity,
        "utilisation_worst": round(additions / max(1, capacity * worst), 4),
        "utilisation_expected": round(additions / max(1.0, capacity * expected), 4),
        "layers": layers,
    }
