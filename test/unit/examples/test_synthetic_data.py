"""`python -m e3ne.datasets synthetic`: deterministic smooth 32x32x3 stand-ins for CIFAR, and
the random-weight helper of the large examples (batch norm made non-trivial, activity check)."""

import numpy as np
import pytest
import torch
from torch import nn

from e3ne import datasets
from e3ne.datasets import synthetic
from e3ne.random_weights import activity, initialize


def test_synthetic_shape_range_labels():
    x, y = synthetic((3, 32, 32), classes=10, count=25, seed=0)
    assert x.shape == (25, 3, 32, 32) and x.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == list(range(10)) * 2 + list(range(5))
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert x.std() > 0.05  # not constant


def test_synthetic_is_deterministic_and_seeded():
    a, _ = synthetic((3, 32, 32), 10, 8, seed=3)
    b, _ = synthetic((3, 32, 32), 10, 8, seed=3)
    c, _ = synthetic((3, 32, 32), 10, 8, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_synthetic_has_spatial_structure_and_class_prototypes():
    x, y = synthetic((3, 32, 32), 4, 64, seed=0)
    # Neighbouring pixels are far more alike than random pairs (white noise would not be).
    neighbour = np.abs(np.diff(x, axis=3)).mean()
    shuffled = np.abs(x - x[:, :, ::-1, ::-1][:, :, :, np.random.default_rng(0).permutation(32)]).mean()
    assert neighbour < 0.25 * shuffled
    # Images of one class are closer to each other than to images of another class.
    flat = x.reshape(len(x), -1)
    same = np.linalg.norm(flat[y == 0][:, None] - flat[y == 0][None], axis=-1).mean()
    other = np.linalg.norm(flat[y == 0][:, None] - flat[y == 1][None], axis=-1).mean()
    assert same < other


def test_synthetic_cli(tmp_path, capsys):
    out = tmp_path / "s.npz"
    assert datasets.main(["synthetic", str(out), "--shape", "3,8,8", "--classes", "5", "--limit", "7", "--seed", "2"]) == 0
    with np.load(out) as data:
        expected_x, expected_y = synthetic((3, 8, 8), 5, 7, seed=2)
        assert np.array_equal(data["x"], expected_x) and np.array_equal(data["y"], expected_y)
    assert datasets.main(["synthetic", str(out)]) == 1
    assert "synthetic images need --shape C,H,W" in capsys.readouterr().err
    assert datasets.main(["synthetic", str(out), "--shape", "3,x,8"]) == 1
    assert "--shape must be comma-separated integers" in capsys.readouterr().err


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(8 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 10),
    )  # fmt: skip


def test_initialize_is_deterministic_and_gives_nontrivial_batchnorm():
    x, _ = synthetic((3, 16, 16), 10, 32, seed=0)
    first = initialize(small_cnn(), x, seed=5).state_dict()
    second = initialize(small_cnn(), x, seed=5).state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)
    model = initialize(small_cnn(), x, seed=5)
    assert not model.training
    for bn in (model[1], model[5]):
        assert bn.momentum == 0.1
        assert not torch.allclose(bn.running_mean, torch.zeros(8))
        assert not torch.allclose(bn.running_var, torch.ones(8))
        assert not torch.allclose(bn.weight, torch.ones(8)) and not torch.allclose(bn.bias, torch.zeros(8))
    # The running statistics are the first batch norm's input statistics on these images.
    with torch.no_grad():
        conv = model[0](torch.from_numpy(x))
    assert torch.allclose(model[1].running_mean, conv.mean(dim=(0, 2, 3)), atol=1e-5)
    assert torch.allclose(model[1].running_var, conv.var(dim=(0, 2, 3)), rtol=1e-4)


def test_activity_reports_every_spiking_layer_alive():
    x, _ = synthetic((3, 16, 16), 10, 64, seed=0)
    model = initialize(small_cnn(), x, seed=0)
    layers, logits = activity(model, (3, 16, 16), x, x[:16], time_steps=4, weight_bits=4)
    assert [layer.name for layer in layers] == ["input", "conv1", "conv2", "fc1"]
    assert [layer.neurons for layer in layers] == [768, 2048, 512, 32]
    assert all(0.0 < layer.active <= 1.0 and 0.0 < layer.rate <= layer.active for layer in layers)
    assert logits.shape == (16, 10) and logits.std(axis=0).min() > 0
