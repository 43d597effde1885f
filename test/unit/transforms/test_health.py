"""Quantization health check on the bundled MLP: an outlier weight that destroys fc1, T=1, and a healthy build."""

from pathlib import Path

import numpy as np
import pytest
import torch

from e3ne.datasets import mnist
from e3ne.errors import E3NEError
from e3ne.frontend import import_model
from e3ne.frontend.loader import load_model
from e3ne.transforms.snn.quantize_pipeline import quantize_and_check

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "mlp"


@pytest.fixture(scope="module")
def calibration():
    return mnist("calibration")[0]


def mlp(outlier: float | None = None):
    model = load_model(f"{EXAMPLE / 'model.py'}:MLP", str(EXAMPLE / "weights.pt"))
    if outlier is not None:
        with torch.no_grad():
            model.fc1.weight[0, 0] = outlier  # pixel (0, 0) is 0 in every MNIST image
    return import_model(model, (1, 28, 28))


def test_healthy_mlp_has_no_warnings(calibration):
    _, report = quantize_and_check(mlp(), calibration)
    assert [layer.name for layer in report.layers] == ["fc1", "fc2", "fc3"]
    assert report.warnings == []
    assert report.agreement > 0.95
    assert all(layer.zero_weights < 0.5 for layer in report.layers)
    assert report.to_json()["layers"][2]["saturated"] is None  # the output layer has no activations


def test_outlier_weight_is_named(calibration):
    module = mlp(outlier=1e6)
    with pytest.raises(E3NEError) as error:
        quantize_and_check(module, calibration)
    assert error.value.location == "fc1"
    assert error.value.message == (
        "every activation is 0 on all 256 calibration images: the quantized network gives the same answer for "
        "every image, because 100.0% of fc1's weights quantize to 0"
    )
    assert error.value.hint.startswith("its largest |weight| 1e+06 is ")
    assert error.value.hint.endswith(
        "and widens the clip |mu| + 3*sigma to 9.48e+03: remove or clip that outlier weight (e.g. to the 99.9th "
        "percentile of |W|) before compiling"
    )
    _, report = quantize_and_check(module, calibration, refuse=False)
    assert len(report.warnings) == 3
    assert report.warnings[0].startswith("fc1: every activation is 0 on all 256 calibration images: ")
    assert report.warnings[1].startswith("fc1: 100.0% of its non-zero weights quantize to 0, the layer is destroyed; ")
    assert report.warnings[2].startswith("float and golden models give the same class on only 10.2% of the 256")
    assert "## Quantization health" in report.to_markdown() and "| fc1 | 100.0% |" in report.to_markdown()


def test_one_time_step_is_refused(calibration):
    with pytest.raises(E3NEError) as error:
        quantize_and_check(mlp(), calibration, time_steps=1)
    assert error.value.render() == (
        "fc2: every activation of fc2 is 0 on all 256 calibration images: the quantized network gives the same "
        "answer for every image\n  hint: use more time steps (now T=1; each activation has T bits, and too few "
        "round every small activation to 0), e.g. --time-steps 4"
    )


def test_two_time_steps_warn_about_agreement(calibration):
    _, report = quantize_and_check(mlp(), calibration, time_steps=2)
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("float and golden models give the same class on only 66.8% of the 256 ")
    assert report.warnings[0].endswith("use more time steps or weight bits (now T=2)")
