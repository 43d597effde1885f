"""The snnTorch LIF examples: their committed weights reach the stated accuracy, e3ne's
float snn IR (imported from the model, and read back from the committed .nir file) gives
snnTorch's own spike counts on all 1,000 test images exactly."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from e3ne.datasets import mnist
from e3ne.frontend.spiking.emit import emit_chain
from e3ne.frontend.spiking.nir_import import import_nir
from e3ne.frontend.spiking.snntorch_import import import_snntorch
from e3ne.interpreters.float_model import run_float

pytest.importorskip("snntorch")
pytest.importorskip("nir")

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
T = 8
# (folder, class, spike-count test accuracy at T = 8 measured by train.py and stated in its README)
CASES = [
    ("snntorch_mlp", "LeakyMLP", 0.959),
    ("snntorch_cnn", "LeakyCNN", 0.934),
    ("snntorch_fang", "LeakyFangCNN", 0.978),
]


def load(folder: str, class_name: str) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location(f"example_{folder}_model", EXAMPLES / folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, class_name)()
    model.load_state_dict(torch.load(EXAMPLES / folder / "weights.pt", weights_only=True), strict=True)
    return model.eval()


@pytest.mark.parametrize("folder, class_name, stated", CASES, ids=[case[0] for case in CASES])
def test_float_ir_and_nir_equal_snntorch_on_the_test_split(folder, class_name, stated):
    from e3ne.training_snn import spike_counts

    model = load(folder, class_name)
    x, y = mnist("test")
    with torch.no_grad():
        expected = spike_counts(model, torch.from_numpy(x), T).numpy()
    accuracy = float((expected.argmax(1) == y).mean())
    readme = (EXAMPLES / folder / "README.md").read_text()
    assert f"{accuracy * 100:.1f}%" in readme, f"{folder}/README.md does not state {accuracy * 100:.1f}%"
    if stated is not None:
        assert accuracy == pytest.approx(stated, abs=1e-9)

    module = emit_chain(import_snntorch(model, (1, 28, 28)), T)
    np.testing.assert_array_equal(run_float(module, x), expected)
    folded = emit_chain(import_snntorch(model, (1, 28, 28)), T, fold_pooling=True)  # what the driver compiles
    np.testing.assert_array_equal(run_float(folded, x), expected)
    from_nir = emit_chain(import_nir(EXAMPLES / folder / "model.nir"), T)
    np.testing.assert_array_equal(run_float(from_nir, x), expected)
