"""Quantization health check: did snn-quantize keep each layer alive? (run after it, on calibration data)

`check_quantization(float_module, quant_module, x)` compares the float network (batch norm
folded, as quantized) with the golden model on the calibration images and reports per layer
(hardware stage names: conv1, fc1, ...):

* `zero_weights`: the fraction of non-zero float weights that quantized to 0. Above 90% the
  layer is destroyed; usually one outlier weight widened the `|mu| + r*sigma` clip (Numerics 3);
* `saturated`: the fraction of the layer's activations at the top code 2^T - 1;
* `silent`: the fraction of activations that are 0 (1.0: the layer passes nothing on);
* `relative_error`: `||float - golden * 2^-s|| / ||float||` of the layer's output;

and for the network the fraction of images where float and golden pick the same class.
Warnings name the layer and what to do; a network whose quantized form cannot tell images
apart (a layer silent on every calibration image, or the same logits for all, as with T=1)
is an E3NEError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from e3ne.dense import dense_to_numpy
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.transforms.common import network_function

ZERO_WEIGHT_LIMIT = 0.9  # fraction of non-zero weights quantized to 0 above which a layer is destroyed
SATURATION_LIMIT = 0.05  # fraction of activations at 2^T - 1 above which a layer is warned about
AGREEMENT_LIMIT = 0.9  # float-vs-golden top-1 agreement on the calibration images below which we warn
HEALTH_IMAGES = 256  # calibration images the check runs on (the first ones)


@dataclass
class LayerHealth:
    name: str  # the hardware stage name (conv1, fc2, ...)
    zero_weights: float
    saturated: float | None  # None for the output layer (its values are logits)
    silent: float | None
    relative_error: float
    largest_weight: float
    median_weight: float
    clip: float  # |mu| + r*sigma of the float weights, what 2^(b-1) codes were spread over


@dataclass
class HealthReport:
    layers: list[LayerHealth]
    agreement: float  # fraction of images where float and golden give the same class
    images: int
    time_steps: int
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "images": self.images,
            "agreement": round(self.agreement, 4),
            "layers": [
                {
                    "name": layer.name,
                    "zero_weights": round(layer.zero_weights, 4),
                    "saturated": None if layer.saturated is None else round(layer.saturated, 4),
                    "silent": None if layer.silent is None else round(layer.silent, 4),
                    "relative_error": round(layer.relative_error, 4),
                }
                for layer in self.layers
            ],
            "warnings": self.warnings,
        }

    def to_markdown(self) -> str:
        """A section for report.md."""
        lines = [
            "## Quantization health",
            "",
            f"Float vs golden on {self.images} calibration images: same class on {100 * self.agreement:.1f}%.",
            "",
            "| layer | weights quantized to 0 | activations saturated | activations 0 | relative error |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for layer in self.layers:
            saturated = "-" if layer.saturated is None else f"{100 * layer.saturated:.1f}%"
            silent = "-" if layer.silent is None else f"{100 * layer.silent:.1f}%"
            lines.append(
                f"| {layer.name} | {100 * layer.zero_weights:.1f}% | {saturated} | {silent} | "
                f"{layer.relative_error:.3f} |"
            )
        if self.warnings:
            lines += ["", *[f"- {warning}" for warning in self.warnings]]
        return "\n".join(lines) + "\n"


def _stage_names(quant_function) -> dict[snn.ComputeOp, str]:
    from e3ne.transforms.snn.slice_layer import network_stages

    names = {}
    for stage in network_stages(quant_function):
        for op in stage.ops:
            if isinstance(op, snn.Conv2dOp | snn.LinearOp):
                names[op] = stage.name
    return names


def _relative_error(reference: np.ndarray, value: np.ndarray) -> float:
    norm = float(np.linalg.norm(reference))
    difference = float(np.linalg.norm(reference - value))
    if norm == 0:
        return 0.0 if difference == 0 else float("inf")
    return difference / norm


def _folded(float_module: ModuleOp) -> ModuleOp:
    from e3ne.transforms.snn.fold_batchnorm import FoldBatchNormPass

    from e3ne.transforms.snn.fold_current_pooling import FoldCurrentPoolingPass

    module = float_module.clone()
    FoldBatchNormPass().apply(Context(), module)
    FoldCurrentPoolingPass().apply(Context(), module)  # IF/LIF networks only, as quantize_module
    return module


def _compute_ops(module: ModuleOp) -> list:
    return [op for op in network_function(module).body.ops if op.name.startswith("snn.")]


def _layer_health(name, float_op, quant_op, next_quant, float_out, golden_out, sigma) -> LayerHealth:
    weights = dense_to_numpy(float_op.weight).astype(np.float64)
    quantized = dense_to_numpy(quant_op.weight)
    nonzero = weights != 0
    lost = float(((quantized == 0) & nonzero).sum() / max(int(nonzero.sum()), 1))
    magnitudes = np.abs(weights[nonzero]) if nonzero.any() else np.zeros(1)
    flat = weights.ravel()
    clip = abs(float(flat.mean())) + sigma * (float(flat.std(ddof=1)) if flat.size > 1 else 0.0)
    if isinstance(next_quant, snn.RadixNeuronOp):
        top = (1 << next_quant.time_steps.value.data) - 1
        activations = golden_out[next_quant]
        saturated = float((activations == top).mean())
        silent = float((activations == 0).mean())
        scale = next_quant.output_scale.value.data
        error = _relative_error(float_out, activations * 2.0**-scale)
    else:  # the output layer: logits V = W a + B at scale s_w + s_in
        saturated = silent = None
        scale = quant_op.weight_scale.value.data + quant_op.input_scale.value.data
        error = _relative_error(float_out, golden_out[quant_op] * 2.0**-scale)
    return LayerHealth(
        name, lost, saturated, silent, error, float(magnitudes.max()), float(np.median(magnitudes)), clip
    )


def check_quantization(
    float_module: ModuleOp,
    quant_module: ModuleOp,
    calibration_x: np.ndarray,
    *,
    sigma: float = 3.0,
    images: int = HEALTH_IMAGES,
    agreement_limit: float = AGREEMENT_LIMIT,
    refuse: bool = True,
) -> HealthReport:
    """The health of `quant_module` (from `float_module` by quantize_module) on calibration images.

    With `refuse`, a quantized network that cannot tell the calibration images apart is an
    E3NEError naming the cause (a destroyed layer's weights, or too few time steps);
    without, that is the first of the report's warnings.
    """
    from e3ne.interpreters.float_model import run_float
    from e3ne.interpreters.golden import run_golden

    x = np.asarray(calibration_x, dtype=np.float32)[:images]
    lif_steps = snn.network_time_steps(network_function(quant_module))
    if lif_steps is not None:
        return _lif_health(float_module, quant_module, x, lif_steps, agreement_limit, refuse)
    folded = _folded(float_module)
    float_ops, quant_ops = _compute_ops(folded), _compute_ops(quant_module)
    if len(float_ops) != len(quant_ops):
        raise E3NEError("the quantized module does not correspond op for op to the float module")
    float_logits, float_outputs = run_float(folded, x, record=True)
    golden_logits, golden_outputs = run_golden(quant_module, x, record=True)
    names = _stage_names(network_function(quant_module))
    time_steps = next(op.time_steps.value.data for op in quant_ops if isinstance(op, snn.EncodeOp))
    layers: list[LayerHealth] = []
    for index, quant_op in enumerate(quant_ops):
        if not isinstance(quant_op, snn.Conv2dOp | snn.LinearOp):
            continue
        next_quant = quant_ops[index + 1] if index + 1 < len(quant_ops) else None
        hidden = isinstance(next_quant, snn.RadixNeuronOp)
        float_out = float_outputs[float_ops[index + 1] if hidden else float_ops[index]]
        layers.append(
            _layer_health(
                names[quant_op], float_ops[index], quant_op, next_quant, float_out, golden_outputs, sigma
            )
        )
    agreement = float((float_logits.argmax(axis=1) == golden_logits.argmax(axis=1)).mean())
    report = HealthReport(layers, agreement, len(x), time_steps)
    report.warnings = _warnings(report, sigma, agreement_limit)
    dead = _dead_network(report, golden_logits, sigma)
    if dead is not None:
        if refuse:
            raise dead
        report.warnings.insert(0, dead.render().replace("\n  hint: ", "; "))
    return report


def _lif_health(float_module, quant_module, x, time_steps: int, agreement_limit: float, refuse: bool) -> HealthReport:
    """The health of an IF/LIF network (docs/lif.md): float/golden agreement of the readout's
    class and a readout that is the same for every image; no per-layer figures."""
    from e3ne.interpreters.float_model import run_float
    from e3ne.interpreters.golden import run_golden

    float_readout, golden_readout = run_float(_folded(float_module), x), run_golden(quant_module, x)
    agreement = float((float_readout.argmax(axis=1) == golden_readout.argmax(axis=1)).mean())
    report = HealthReport([], agreement, len(x), time_steps)
    if agreement < agreement_limit:
        report.warnings.append(
            f"float and golden models give the same class on only {100 * agreement:.1f}% of the {len(x)} "
            f"calibration images (below {100 * agreement_limit:.0f}%): use more weight bits or leak bits"
        )
    if len(golden_readout) > 1 and bool((golden_readout == golden_readout[0]).all()):
        dead = E3NEError(
            f"the readout is the same for all {len(x)} calibration images: the quantized IF/LIF network gives "
            "the same answer for every image",
            hint="check that the float network spikes on these images (thresholds, weights), or use more weight bits",
        )
        if refuse:
            raise dead
        report.warnings.insert(0, dead.render().replace("\n  hint: ", "; "))
    return report


def _dead_network(report: HealthReport, golden_logits: np.ndarray, sigma: float) -> E3NEError | None:
    """The error for a quantized network that gives one answer for every image, naming the cause."""
    silent = next((layer for layer in report.layers if layer.silent == 1.0), None)
    constant = len(golden_logits) > 1 and bool((golden_logits == golden_logits[0]).all())
    if silent is None and not constant:
        return None
    upto = report.layers if silent is None else report.layers[: report.layers.index(silent) + 1]
    destroyed = next((layer for layer in upto if layer.zero_weights > ZERO_WEIGHT_LIMIT), None)
    if silent is None:
        what = f"the logits are the same for all {report.images} calibration images"
    elif silent is destroyed:
        what = f"every activation is 0 on all {report.images} calibration images"
    else:
        what = f"every activation of {silent.name} is 0 on all {report.images} calibration images"
    if destroyed is not None:
        return E3NEError(
            f"{what}: the quantized network gives the same answer for every image, because "
            f"{100 * destroyed.zero_weights:.1f}% of {destroyed.name}'s weights quantize to 0",
            location=destroyed.name,
            hint=_weight_advice(destroyed, sigma),
        )
    return E3NEError(
        f"{what}: the quantized network gives the same answer for every image",
        location=silent.name if silent is not None else None,
        hint=f"use more time steps (now T={report.time_steps}; each activation has T bits, and too few round "
        "every small activation to 0), e.g. --time-steps 4",
    )


def _weight_advice(layer: LayerHealth, sigma: float) -> str:
    ratio = layer.largest_weight / layer.median_weight if layer.median_weight else float("inf")
    if ratio > 100:
        return (
            f"its largest |weight| {layer.largest_weight:.3g} is {ratio:.3g}x the median {layer.median_weight:.3g} "
            f"and widens the clip |mu| + {sigma:g}*sigma to {layer.clip:.3g}: remove or clip that outlier "
            "weight (e.g. to the 99.9th percentile of |W|) before compiling"
        )
    return f"the clip |mu| + {sigma:g}*sigma is {layer.clip:.3g}: use more weight bits or a smaller --sigma"


def _warnings(report: HealthReport, sigma: float, agreement_limit: float) -> list[str]:
    warnings = []
    for layer in report.layers:
        if layer.zero_weights > ZERO_WEIGHT_LIMIT:
            warnings.append(
                f"{layer.name}: {100 * layer.zero_weights:.1f}% of its non-zero weights quantize to 0, the layer is "
                f"destroyed; {_weight_advice(layer, sigma)}"
            )
        if layer.saturated is not None and layer.saturated > SATURATION_LIMIT:
            warnings.append(
                f"{layer.name}: {100 * layer.saturated:.1f}% of its activations saturate at 2^T - 1 on the "
                "calibration images; calibrate on images like the ones it will classify, or use more time steps"
            )
    if report.agreement < agreement_limit:
        largest = max(layer.relative_error for layer in report.layers)
        worst = next(layer for layer in report.layers if layer.relative_error >= 0.9 * largest)
        warnings.append(
            f"float and golden models give the same class on only {100 * report.agreement:.1f}% of the "
            f"{report.images} calibration images (below {100 * agreement_limit:.0f}%); the error grows largest first at "
            f"{worst.name} (relative error {worst.relative_error:.2f}): use more time steps or weight bits "
            f"(now T={report.time_steps})"
        )
    return warnings
