"""Fixtures of the backend tests: a compiled tiny MLP build (no Verilator needed to make it)."""

from __future__ import annotations

import numpy as np
import pytest

MLP = """
from torch import nn


class TinyMLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.ReLU(), nn.Linear(10, 6), nn.ReLU(), nn.Linear(6, 3))
"""


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    """A compiled TinyMLP build and 23 images (so shards are uneven)."""
    torch = pytest.importorskip("torch")
    from e3ne.cli import main

    root = tmp_path_factory.mktemp("shards")
    (root / "mlp.py").write_text(MLP)
    torch.manual_seed(0)
    namespace: dict = {}
    exec(MLP, namespace)
    torch.save(namespace["TinyMLP"]().state_dict(), root / "mlp.pt")
    np.savez(root / "calib.npz", x=np.random.default_rng(0).random((32, 1, 5, 8), dtype=np.float32))
    np.savez(root / "data.npz", x=np.random.default_rng(1).random((23, 1, 5, 8), dtype=np.float32),
             y=np.arange(23) % 3)  # fmt: skip
    build = root / "build"
    assert main([
        "-q", "compile", f"{root / 'mlp.py'}:TinyMLP", "--weights", str(root / "mlp.pt"),
        "--input-shape", "1,5,8", "--calibration", str(root / "calib.npz"), "--parallelism", "P=4,fc3.Q=2",
        "-o", str(build),
    ]) == 0  # fmt: skip
    return root, build
