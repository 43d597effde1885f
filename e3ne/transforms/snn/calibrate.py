"""`snn-calibrate{data=calib.npz}`: record tensor maxima from a float run (docs/numerics.md §2).

`calib_max` goes on snn.input (maximum of the input) and on each snn.relu (maximum of
its output). Values are computed in float32, so every maximum is a float32 number and an
f32 FloatAttr holds it exactly (xDSL prints f32 with round-trip precision), which keeps
`ceil(log2(m))` unchanged through text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp, f32
from xdsl.passes import ModulePass

from e3ne.dialects import snn
from e3ne.errors import E3NEError


def calibrate(module: ModuleOp, x: np.ndarray) -> ModuleOp:
    """Run the float model on calibration batch `x` and set `calib_max` in place; returns `module`."""
    from e3ne.interpreters.float_model import run_float

    from e3ne.interpreters.runner import CHUNK

    from e3ne.dense import dense_to_numpy
    from e3ne.transforms.common import check_finite

    x = np.asarray(x)
    if len(x) == 0:
        raise E3NEError("the calibration set is empty")
    for op in module.walk():
        if isinstance(op, snn.Conv2dOp | snn.LinearOp) and not op.is_quantized():
            check_finite(op, dense_to_numpy(op.weight), None if op.bias is None else dense_to_numpy(op.bias))
    maxima: dict[snn.InputOp | snn.ReluOp, float] = {}
    for start in range(0, len(x), CHUNK):  # keep one chunk's activations at a time
        _, outputs = run_float(module, x[start : start + CHUNK], record=True)
        for op, value in outputs.items():
            if isinstance(op, snn.InputOp | snn.ReluOp):
                # np.max propagates NaN (Python's max would drop it)
                maxima[op] = float(np.max([maxima.get(op, -math.inf), np.max(value)]))
    for op, maximum in maxima.items():
        if not math.isfinite(maximum):
            from e3ne.transforms.common import describe

            what = "the input" if isinstance(op, snn.InputOp) else "this ReLU's output"
            raise E3NEError(
                f"on the calibration images {what} reaches {maximum}, which no scale can represent",
                location=describe(op),
                hint="check the calibration images for NaN/Inf pixels and the weights for huge values",
            )
        op.calib_max = FloatAttr(maximum, f32)
    return module


def load_calibration(path: str) -> np.ndarray:
    file = Path(path)
    if not file.is_file():
        raise E3NEError("calibration file not found", location=path)
    with np.load(file) as data:
        if "x" not in data:
            raise E3NEError(f"no key 'x' in calibration file (keys: {', '.join(data.files)})", location=path)
        return data["x"]


@dataclass(frozen=True)
class CalibratePass(ModulePass):
    """Set calib_max from the calibration inputs stored under key `x` of an .npz file.

    `e3ne-opt -p 'snn-calibrate{data=calib.npz}'` (plain xdsl-opt needs it quoted: `data="calib.npz"`).
    """

    name = "snn-calibrate"

    data: str

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        calibrate(op, load_calibration(self.data))
