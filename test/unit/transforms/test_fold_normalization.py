"""snn-fold-normalization: the folded float network on raw pixels equals the original on normalised ones."""

import numpy as np
import pytest
import torch
from torch import nn

from e3ne.errors import E3NEError
from e3ne.frontend import import_model
from e3ne.interpreters.float_model import run_float
from e3ne.transforms.snn.fold_normalization import fold_normalization


def _seeded(model: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.3)
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model.eval()


CASES = [
    (  # RGB conv (stride 2, no padding) + batch norm + pool + linear, per-channel statistics
        nn.Sequential(
            nn.Conv2d(3, 4, 3, stride=2), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 5)
        ),
        (3, 18, 18),
        (0.485, 0.456, 0.406),
        (0.229, 0.224, 0.225),
    ),
    (  # MNIST-style MLP with one mean/std
        nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)),
        (1, 8, 8),
        (0.1307,),
        (0.3081,),
    ),
    (  # a pool in front of the first conv
        nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(2, 3, 2), nn.ReLU(), nn.Flatten(), nn.Linear(27, 4)),
        (2, 8, 8),
        (0.2, 0.7),
        (0.5, 1.5),
    ),
]


@pytest.mark.parametrize("model, shape, mean, std", CASES, ids=["rgb-conv", "mlp", "pool-first"])
def test_folded_model_on_raw_pixels_equals_original_on_normalised(model, shape, mean, std):
    model = _seeded(model)
    raw = np.random.default_rng(1).random((32, *shape), dtype=np.float32)  # pixels in [0, 1)
    per_channel = (-1,) + (1,) * (len(shape) - 1)
    normalised = (raw - np.reshape(mean, per_channel)) / np.reshape(std, per_channel)
    original = import_model(model, shape)
    expected = run_float(original, normalised.astype(np.float32))
    with torch.no_grad():
        assert np.allclose(expected, model(torch.from_numpy(normalised.astype(np.float32))).numpy(), atol=1e-5)
    folded = fold_normalization(original.clone(), mean, std)
    assert np.abs(run_float(folded, raw) - expected).max() < 1e-5


def test_padded_first_conv_is_refused_unless_the_mean_is_zero():
    model = _seeded(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32, 2)))
    module = import_model(model, (1, 4, 4))
    with pytest.raises(E3NEError, match="cannot fold a non-zero mean into a layer that pads its input"):
        fold_normalization(module.clone(), (0.1307,), (0.3081,))
    raw = np.random.default_rng(2).random((8, 1, 4, 4), dtype=np.float32)
    folded = fold_normalization(module.clone(), (0.0,), (0.5,))
    assert np.abs(run_float(folded, raw) - run_float(module, raw / np.float32(0.5))).max() < 1e-5


def test_calibrated_module_is_refused():
    from e3ne.transforms.snn.calibrate import calibrate

    module = import_model(_seeded(nn.Sequential(nn.Flatten(), nn.Linear(4, 2))), (1, 2, 2))
    calibrate(module, np.ones((2, 1, 2, 2), dtype=np.float32))
    with pytest.raises(E3NEError) as error:
        fold_normalization(module, (0.5,), (0.5,))
    assert error.value.message == (
        "the network is already calibrated (on normalised inputs): run snn-fold-normalization before "
        "snn-calibrate and calibrate on raw pixels"
    )


def test_mlp_trained_on_normalised_mnist_keeps_its_accuracy_when_folded():
    """The bundled MLP rewritten to expect Normalize((0.1307,), (0.3081,)) inputs: calibrating it on
    normalised images is refused (negative pixels); folded, it quantizes as well as the original."""
    from pathlib import Path

    from e3ne.data_checks import check_images
    from e3ne.datasets import mnist
    from e3ne.frontend.loader import load_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    mean, std = 0.1307, 0.3081
    example = Path(__file__).resolve().parents[3] / "examples" / "mlp"
    model = load_model(f"{example / 'model.py'}:MLP", str(example / "weights.pt"))
    with torch.no_grad():  # fc1(x) == fc1'((x - mean) / std)
        model.fc1.bias += model.fc1.weight.sum(dim=1) * mean
        model.fc1.weight.mul_(std)
    calibration, _ = mnist("calibration")
    x, y = mnist("test")
    with pytest.raises(E3NEError, match="of the calibration pixels are negative"):
        check_images((calibration - mean) / std, role="calibration")
    folded = fold_normalization(import_model(model, (1, 28, 28)), (mean,), (std,))
    golden = run_golden(quantize_module(folded, calibration), x)
    assert (golden.argmax(axis=1) == y).mean() >= 0.94  # 0.950 measured; 0.444 calibrated on normalised images
