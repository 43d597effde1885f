"""`--normalize FILE.py:NAME`: the mean/std read from the user's transforms.Normalize (or a
Compose holding one, or anything with .mean/.std or .transforms), folded exactly like
--input-mean/--input-std. torchvision is not installed here: the tests use look-alikes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from e3ne.cli import main  # noqa: E402
from e3ne.errors import E3NEError  # noqa: E402
from e3ne.frontend.normalize import normalization_from_spec, normalization_of  # noqa: E402

TRANSFORMS = '''
import torch


class Normalize:  # the shape of torchvision.transforms.Normalize
    def __init__(self, mean, std):
        self.mean, self.std = mean, std

    def __call__(self, x):
        return (x - torch.tensor(self.mean).view(-1, 1, 1)) / torch.tensor(self.std).view(-1, 1, 1)


class ToTensor:
    def __call__(self, x):
        return torch.as_tensor(x)


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms


transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
normalize = Normalize([0.1307], [0.3081])
tensors = Normalize(torch.tensor([0.1307]), torch.tensor([0.3081]))
no_normalize = Compose([ToTensor()])


def make_transform():
    return Normalize((0.1307,), (0.3081,))
'''

MODEL = """
from torch import nn


class TinyMLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.ReLU(), nn.Linear(10, 3))
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "transforms_like.py").write_text(TRANSFORMS)
    (tmp_path / "model.py").write_text(MODEL)
    np.savez(tmp_path / "calib.npz", x=np.random.default_rng(0).random((16, 1, 5, 8), dtype=np.float32))
    torch.manual_seed(0)
    weights = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(40, 10), torch.nn.ReLU(), torch.nn.Linear(10, 3))
    torch.save(weights.state_dict(), tmp_path / "weights.pt")
    return tmp_path


@pytest.mark.parametrize("name", ["transform", "normalize", "tensors", "make_transform"])
def test_reads_the_normalization(files, name):
    mean, std = normalization_from_spec(f"{files / 'transforms_like.py'}:{name}")
    assert mean == pytest.approx((0.1307,), abs=1e-7) and std == pytest.approx((0.3081,), abs=1e-7)


def test_two_normalizations_compose_exactly():
    class N:
        def __init__(self, mean, std):
            self.mean, self.std = mean, std

    class C:
        transforms = [N((0.5, 0.25), (0.5, 0.5)), N(0.1, 2.0)]

    mean, std = normalization_of(C())
    assert mean == (0.55, 0.30) and std == (1.0, 1.0)  # ((x - m1)/s1 - m2)/s2 = (x - (m1 + m2 s1))/(s1 s2)
    x = np.array([0.0, 0.7, 1.0])
    assert np.allclose(((x - 0.5) / 0.5 - 0.1) / 2.0, (x - mean[0]) / std[0])


def test_refusals(files):
    with pytest.raises(E3NEError, match=r"no_normalize \(Compose\) holds no normalisation"):
        normalization_from_spec(f"{files / 'transforms_like.py'}:no_normalize")
    with pytest.raises(E3NEError, match="no 'missing' in the file"):
        normalization_from_spec(f"{files / 'transforms_like.py'}:missing")
    with pytest.raises(E3NEError, match="must look like path/to/file.py:NAME"):
        normalization_from_spec("transforms_like.py")

    class Bad:
        mean, std = (0.5,), (0.0,)

    with pytest.raises(E3NEError, match="std must be positive"):
        normalization_of(Bad())


def test_cli_folds_it_like_input_mean_and_std(files, capsys):
    common = ["-q", "compile", f"{files / 'model.py'}:TinyMLP", "--weights", str(files / "weights.pt"),
              "--input-shape", "1,5,8", "--calibration", str(files / "calib.npz"), "--emit", "snn"]  # fmt: skip
    assert main([*common, "--normalize", f"{files / 'transforms_like.py'}:transform", "-o", str(files / "a")]) == 0
    assert main([*common, "--input-mean", "0.1307", "--input-std", "0.3081", "-o", str(files / "b")]) == 0
    for name in ("snn.mlir", "snn.quant.mlir"):
        assert (files / "a" / name).read_bytes() == (files / "b" / name).read_bytes()
    assert main([*common, "--normalize", f"{files / 'transforms_like.py'}:transform", "--input-mean", "0.1",
                 "--input-std", "0.3", "-o", str(files / "c")]) == 1  # fmt: skip
    assert "give either --normalize or --input-mean/--input-std, not both" in capsys.readouterr().err
