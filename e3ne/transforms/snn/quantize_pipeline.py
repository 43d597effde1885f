"""`quantize_module`: the float -> integer snn pipeline as one call (used by `e3ne compile`);
`quantize_and_check` adds the quantization health check (`health.check_quantization`)."""

from __future__ import annotations

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from e3ne.transforms.snn.calibrate import calibrate
from e3ne.transforms.snn.fold_batchnorm import FoldBatchNormPass
from e3ne.transforms.snn.fold_current_pooling import FoldCurrentPoolingPass
from e3ne.transforms.snn.infer_widths import InferWidthsPass
from e3ne.transforms.snn.quantize import QuantizePass


def quantize_module(
    float_module: ModuleOp,
    calibration_x: np.ndarray,
    time_steps: int = 4,
    weight_bits: int = 4,
    sigma: float = 3.0,
    input_bits: int = 8,
    leak_bits: int = 8,
) -> ModuleOp:
    """fold batch norm (and, in IF/LIF networks, current pooling) -> calibrate -> quantize -> infer
    widths, on a clone; `float_module` is untouched.
    `input_bits`/`leak_bits` apply to IF/LIF networks only (docs/lif.md)."""
    module = float_module.clone()
    context = Context()
    FoldBatchNormPass().apply(context, module)
    FoldCurrentPoolingPass().apply(context, module)  # IF/LIF networks only (needs snn.lif after the pool)
    calibrate(module, calibration_x)
    QuantizePass(
        time_steps=time_steps, weight_bits=weight_bits, sigma=float(sigma), input_bits=input_bits, leak_bits=leak_bits
    ).apply(context, module)
    InferWidthsPass().apply(context, module)
    module.verify()
    return module


def quantize_and_check(
    float_module: ModuleOp,
    calibration_x: np.ndarray,
    time_steps: int = 4,
    weight_bits: int = 4,
    sigma: float = 3.0,
    refuse: bool = True,
    input_bits: int = 8,
    leak_bits: int = 8,
):
    """`quantize_module`, then its health on the calibration images: `(module, HealthReport)`.

    E3NEError (with `refuse`) when the quantized network gives one answer for every image.
    """
    from e3ne.transforms.snn.health import check_quantization

    module = quantize_module(float_module, calibration_x, time_steps, weight_bits, sigma, input_bits, leak_bits)
    return module, check_quantization(float_module, module, calibration_x, sigma=float(sigma), refuse=refuse)
