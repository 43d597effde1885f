"""An ECP5 part as the compile target: estimates with the ECP5 coefficients, explore within
the ECP5 budget, and `Build.synth` running synth_ecp5 on a build compiled for it."""

import json

import numpy as np
import pytest
import torch
from torch import nn

import e3ne
from e3ne.dialects import snnhw
from e3ne.driver.options import CompileOptions
from e3ne.ir import parse_module
from e3ne.model import cost
from e3ne.model.parts import get_part
from e3ne.transforms.snnhw.estimate import estimate_accelerator


def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 4)
    ).eval()


@pytest.fixture(scope="module")
def calibration():
    return np.random.default_rng(0).random((16, 1, 8, 8)).astype(np.float32)


def compile_for(target: str, tmp_path, calibration, parallelism: str = "P=4"):
    options = CompileOptions(target=target, parallelism=parallelism)
    return e3ne.compile(tiny_model(), input_shape=(1, 8, 8), calibration=calibration, options=options,
                        output=tmp_path / target, progress=lambda *a, **k: None)  # fmt: skip


def test_ecp5_build_is_estimated_with_the_ecp5_coefficients(tmp_path, calibration):
    build = compile_for("lfe5u-25f", tmp_path, calibration)
    report = json.loads((build.path / "report.json").read_text())
    assert (
        report["target"]["part"] == "lfe5u-25f" and report["target"]["family"] == "ecp5"
    )
    assert "synth_ecp5" in report["estimator"]
    accelerator = next(
        op
        for op in parse_module(build.path / "snnhw.mlir").walk()
        if isinstance(op, snnhw.AcceleratorOp)
    )
    ecp5 = estimate_accelerator(accelerator, family="ecp5").totals.as_dict()
    xc7 = estimate_accelerator(accelerator, family="xc7").totals.as_dict()
    assert report["totals"]["lut"] == ecp5["lut"] != xc7["lut"]
    assert report["fit"]["lut"]["available"] == get_part("lfe5u-25f").lut
    assert "EBR (DP16KD)" in (build.path / "report.md").read_text()
    assert (
        cost.coefficients() is cost.XC7
    )  # the compile leaves the default coefficients in place


def test_auto_parallelism_fits_the_ecp5_budget(tmp_path, calibration):
    build = compile_for("lfe5u-25f", tmp_path, calibration, parallelism="auto")
    report = json.loads((build.path / "report.json").read_text())
    assert report["fits"] is True
    assert report["fit"]["lut"]["used"] <= 0.8 * get_part("lfe5u-25f").lut
    assert (
        json.loads((build.path / "explore.json").read_text())["target"] == "lfe5u-25f"
    )


def test_synth_of_an_ecp5_build_runs_synth_ecp5(tmp_path, calibration):
    build = compile_for("lfe5u-25f", tmp_path, calibration)
    synth = build.synth(
        progress=lambda *a, **k: None
    )  # the compile's target by default
    assert synth["target"] == "lfe5u-25f"
    assert "synth_ecp5 -top" in synth["command"]
    assert (
        "TRELLIS_FF" in synth["cells"]
        and synth["ff"]["yosys"] == synth["cells"]["TRELLIS_FF"]
    )
    assert synth["lut"]["estimate"] is not None and synth["ramb36"] == 0
