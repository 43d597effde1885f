"""Check one random net: compile it (import, quantize), golden model vs the independent reference
(`reference_logits`), and with `rtl=True` the Verilator RTL vs the golden model and measured
cycles vs the static schedule.

The outcome is a `NetResult`: `stage` says how far it got ("refused" = a clear E3NEError from
the compiler, "compiled", "bit_exact" = golden == reference (and RTL == golden with cycles as
scheduled, when run)); `problem` describes a failure.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from e3ne.errors import E3NEError
from e3ne.randnet.generate import NetSpec
from e3ne.randnet.reference import reference_logits


@dataclass
class NetResult:
    spec: NetSpec
    compiled: bool = False
    golden_exact: bool = False
    rtl_run: bool = False
    rtl_exact: bool = False
    refused: str = ""  # the compiler's message when it refused the net
    problem: str = ""  # a wrong result or an internal error (a bug)
    cycles: int = 0

    @property
    def ok(self) -> bool:
        return not self.problem

    def line(self) -> str:
        if self.problem:
            state = f"FAIL {self.problem}"
        elif self.refused:
            state = f"refused: {self.refused}"
        else:
            state = "bit-exact" + (f" (RTL too, {self.cycles} cycles)" if self.rtl_run else "")
        return f"{self.spec.describe()}\n    {state}"


def quantize(spec: NetSpec):
    """The integer snn module of `spec` (e3ne's frontend and quantization pipeline)."""
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    float_module = import_model(spec.model(), spec.input_shape)
    return quantize_module(float_module, spec.calibration(), spec.time_steps, spec.weight_bits, spec.sigma)


def check_net(spec: NetSpec, work_dir: Path | None = None, rtl: bool = False, images: int = 8) -> NetResult:
    """Golden vs reference on `images` test images; with `rtl`, also RTL vs golden (in `work_dir`)."""
    from e3ne.interpreters.golden import run_golden

    result = NetResult(spec)
    x = spec.test_images(images)
    try:
        quant = quantize(spec)
    except E3NEError as error:
        result.refused = str(error).splitlines()[0]
        return result
    except Exception:  # noqa: BLE001 - an internal error is a finding, reported with its traceback
        result.problem = "internal error while compiling:\n" + traceback.format_exc(limit=4)
        return result
    result.compiled = True
    try:
        golden = run_golden(quant, x)
        reference = reference_logits(spec.model(), spec.calibration(), x, spec.time_steps, spec.weight_bits, spec.sigma)
    except Exception:  # noqa: BLE001
        result.problem = "internal error while running:\n" + traceback.format_exc(limit=4)
        return result
    if golden.shape != reference.shape or not np.array_equal(golden, reference):
        differ = int((golden != reference).any(axis=1).sum()) if golden.shape == reference.shape else "all"
        result.problem = f"golden differs from the reference on {differ}/{len(x)} images"
        return result
    result.golden_exact = True
    if rtl:
        check_rtl(spec, quant, x, golden, Path(work_dir), result)
    return result


def check_rtl(spec: NetSpec, quant, x: np.ndarray, golden: np.ndarray, work_dir: Path, result: NetResult) -> None:
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl
    from e3ne.dialects.snn import EncodeOp
    from e3ne.numerics import encode_input

    try:
        manifest = build_hardware(
            quant, work_dir, parallelism=spec.parallelism, offchip_weights=spec.offchip,
            axi_data_width=spec.axi_width, memory_latency=spec.memory_latency, progress=lambda _: None,
        )  # fmt: skip
    except E3NEError as error:
        result.refused = str(error).splitlines()[0]
        return
    except Exception:  # noqa: BLE001
        result.problem = "internal error while building the hardware:\n" + traceback.format_exc(limit=4)
        return
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    encoded = encode_input(x, encode.scale.value.data, encode.time_steps.value.data)
    try:
        logits, cycles = run_rtl(work_dir, encoded, progress=lambda _: None, jobs=1)
    except Exception:  # noqa: BLE001
        result.problem = "RTL simulation failed:\n" + traceback.format_exc(limit=4)
        return
    result.rtl_run = True
    result.cycles = int(manifest["cycles_expected"])
    if not np.array_equal(logits, golden):
        result.problem = f"RTL differs from golden on {int((logits != golden).any(axis=1).sum())}/{len(x)} images"
    elif set(cycles.tolist()) != {manifest["cycles_expected"]}:
        result.problem = f"measured cycles {sorted(set(cycles.tolist()))} != scheduled {manifest['cycles_expected']}"
    else:
        result.rtl_exact = True
