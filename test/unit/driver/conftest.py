"""Shared fixtures of the driver tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def chain_quant():
    """A quantized 64-24-16-10 MLP (a chain of three linear layers) on 8x8 MNIST crops."""
    torch = pytest.importorskip("torch")
    from torch import nn

    from e3ne.datasets import mnist
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 24), nn.ReLU(), nn.Linear(24, 16), nn.ReLU(), nn.Linear(16, 10)).eval()
    x, _ = mnist("calibration")
    return quantize_module(import_model(model, (1, 8, 8)), np.ascontiguousarray(x[:64, :, 10:18, 10:18]), 4, 4)
