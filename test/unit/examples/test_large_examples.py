"""The large examples' models (examples/alexnet, examples/vgg11) have the sizes their READMEs
state, and the `width` multiplier the compile-time benchmark uses scales them."""

import importlib.util
from pathlib import Path

import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def example_class(folder: str, class_name: str):
    spec = importlib.util.spec_from_file_location(f"example_{folder}_model_sizes", EXAMPLES / folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, class_name)


def weights(model: torch.nn.Module) -> tuple[int, int]:
    """(convolution weights, linear weights)."""
    conv = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    return conv, linear


@pytest.mark.parametrize(
    "folder, class_name, classes, conv, linear",
    [("alexnet", "AlexNet", 10, 2_250_432, 21_012_480), ("vgg11", "VGG11", 100, 9_217_728, 19_283_968)],
)
def test_large_example_sizes_and_logits(folder, class_name, classes, conv, linear):
    model = example_class(folder, class_name)().eval()
    assert weights(model) == (conv, linear)
    assert f"{(conv + linear) / 1e6:.1f} M weights" in (EXAMPLES / folder / "README.md").read_text()
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, classes)


@pytest.mark.parametrize("folder, class_name", [("alexnet", "AlexNet"), ("vgg11", "VGG11")])
def test_width_multiplier_scales_channels_and_features(folder, class_name):
    cls = example_class(folder, class_name)
    full, quarter = cls(), cls(width=0.25)
    convs = [m for m in quarter.modules() if isinstance(m, torch.nn.Conv2d)]
    full_convs = [m for m in full.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels * 4 for m in convs] == [m.out_channels for m in full_convs]
    linears = [m for m in quarter.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears][:2] == [1024, 1024]
    assert linears[-1].out_features == [m for m in full.modules() if isinstance(m, torch.nn.Linear)][-1].out_features
    with torch.no_grad():
        assert quarter.eval()(torch.zeros(1, 3, 32, 32)).shape[0] == 1
