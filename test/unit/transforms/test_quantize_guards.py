"""Broken weights, NaN/Inf calibration data and an infinite sigma are E3NEErrors naming the layer, not
Python errors from deep inside the numerics."""

import numpy as np
import pytest
import torch
from torch import nn

from e3ne.errors import E3NEError
from e3ne.frontend import import_model
from e3ne.transforms.snn.quantize_pipeline import quantize_module


def mlp(nan_in_fc2: bool = False):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2))
    if nan_in_fc2:
        with torch.no_grad():
            model[3].weight[1, 2] = float("nan")
            model[3].bias[0] = float("inf")
    return import_model(model.eval(), (1, 2, 2))


CALIBRATION = np.random.default_rng(0).random((8, 1, 2, 2), dtype=np.float32)


def test_nan_weights_name_the_layer():
    with pytest.raises(E3NEError) as error:
        quantize_module(mlp(nan_in_fc2=True), CALIBRATION)
    assert error.value.render() == (
        "fc2 (snn.linear #4 in @net): 1 NaN and 0 infinite values in the weights (6 values)\n"
        "  hint: the checkpoint is broken (a diverged training run?); retrain or load other weights"
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_calibration_pixel(bad):
    x = CALIBRATION.copy()
    x[3, 0, 1, 0] = bad
    with pytest.raises(E3NEError) as error:
        quantize_module(mlp(), x)
    assert error.value.render() == (
        f"snn.input #0 in @net: on the calibration images the input reaches {float(bad)}, which no scale can "
        "represent\n  hint: check the calibration images for NaN/Inf pixels and the weights for huge values"
    )


@pytest.mark.parametrize("sigma", [float("inf"), float("nan"), 0.0])
def test_sigma_must_be_positive_and_finite(sigma):
    with pytest.raises(E3NEError) as error:
        quantize_module(mlp(), CALIBRATION, sigma=sigma)
    assert error.value.message == f"sigma must be a positive finite number, got {sigma}"
