"""The routability limit of the ECP5 presets (`Part.routable_lut`): `--parallelism auto` /
explore keep the LUT4s within it and say so, `--max-luts` replaces it with a warning, and an
explicit `--parallelism` above it compiles with a warning, not an error."""

import json
from pathlib import Path

import numpy as np
import pytest

import e3ne
from e3ne.datasets import mnist
from e3ne.design_space import Candidate, Exploration, LayerOptions, budget_of, choose, explain_no_fit, pareto_front
from e3ne.design_space import routability_lines
from e3ne.driver.compiler import explore_and_choose_design
from e3ne.driver.options import CompileOptions
from e3ne.frontend import import_model, load_model
from e3ne.model import cost
from e3ne.model.parts import get_part, routability_warning
from e3ne.transforms.snn.quantize_pipeline import quantize_module

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MLP = f"{EXAMPLES / 'mlp' / 'model.py'}:MLP"
MLP_WEIGHTS = str(EXAMPLES / "mlp" / "weights.pt")
SAY = lambda *a, **k: None  # noqa: E731


def one_layer(luts: list[float], cycles: list[int]) -> Exploration:
    """An exploration of one layer `fc1` whose candidates P=1, 2, 4, ... cost `luts`."""
    candidates = [
        Candidate({"P": 2**i}, c, cost.Cost(lut=lut)) for i, (lut, c) in enumerate(zip(luts, cycles))
    ]  # fmt: skip
    layer = LayerOptions("fc1", "linear", candidates)
    count = len(candidates)
    resources = {key: np.zeros(count) for key in ("lut", "ff", "carry", "bram", "dsp")}
    resources["lut"] = np.array(luts, dtype=float)
    cycle_array = np.array(cycles, dtype=np.int64)
    front = pareto_front(cycle_array, resources["lut"])
    return Exploration([layer], cost.Cost(), np.arange(count)[:, None], cycle_array, resources, front, 0.0, count)


# LFE5U-85F: 83,640 LUT4; routability limit 30% = 25,092; --max-utilization 80% = 66,912.
EXPLORATION = one_layer([10_000, 20_000, 30_000, 70_000], [1_000, 500, 250, 125])


def test_the_ecp5_presets_have_the_limit_and_xilinx_presets_do_not():
    assert get_part("lfe5u-85f").routable_luts == pytest.approx(25_092)
    assert get_part("lfe5u-25f").routable_luts == pytest.approx(7_286.4)
    assert get_part("lfe5u-45f").routable_luts == pytest.approx(13_154.4)
    assert get_part("xc7z020").routable_luts is None


def test_budget_takes_the_limit_unless_max_luts_replaces_it():
    part = get_part("lfe5u-85f")
    assert budget_of(part, 0.8)["lut"] == pytest.approx(25_092)
    assert budget_of(part, 0.8)["ff"] == pytest.approx(66_912)  # the limit is on LUT4s only
    assert budget_of(part, 0.8, routable=False)["lut"] == pytest.approx(66_912)
    assert budget_of(part, 0.8, max_luts=40_000)["lut"] == 40_000
    assert budget_of(part, 0.8, max_luts=90_000)["lut"] == pytest.approx(66_912)
    assert budget_of(part, 0.2)["lut"] == pytest.approx(16_728)  # --max-utilization is tighter
    assert budget_of(get_part("xc7z020"), 0.8)["lut"] == pytest.approx(42_560)


def test_auto_picks_the_fastest_design_within_the_limit_and_says_which_it_left_out():
    part = get_part("lfe5u-85f")
    budget = budget_of(part, 0.8)
    chosen = choose(EXPLORATION, budget)
    assert EXPLORATION.parallelism_text(chosen) == "fc1.P=2"  # 20,000 LUT4; P=4 (30,000) is above 25,092
    assert routability_lines(EXPLORATION, part, budget, chosen, 0.8) == [
        "routability limit: LUT4 kept within 30% of lfe5u-85f's 83,640 LUT4 = 25,092 "
        '(docs/timing.md "Routability limit")',
        "  not chosen above it: --parallelism fc1.P=4 (250 cycles, ~30,000 LUT4 = 36%); "
        "compile it with that --parallelism (a warning, not an error) or raise the limit with --max-luts",
    ]


def test_limit_is_said_without_a_left_out_design_when_none_is_faster():
    part = get_part("lfe5u-85f")
    exploration = one_layer([10_000, 20_000], [1_000, 500])
    budget = budget_of(part, 0.8)
    chosen = choose(exploration, budget)
    assert exploration.parallelism_text(chosen) == "fc1.P=2"
    assert routability_lines(exploration, part, budget, chosen, 0.8) == [
        "routability limit: LUT4 kept within 30% of lfe5u-85f's 83,640 LUT4 = 25,092 "
        '(docs/timing.md "Routability limit")',
    ]


def test_max_luts_replaces_the_limit_with_a_warning():
    part = get_part("lfe5u-85f")
    budget = budget_of(part, 0.8, max_luts=40_000)
    chosen = choose(EXPLORATION, budget)
    assert EXPLORATION.parallelism_text(chosen) == "fc1.P=4"
    assert routability_lines(EXPLORATION, part, budget, chosen, 0.8, max_luts=40_000) == [
        "warning: --max-luts 40,000 replaces the routability limit (30% of lfe5u-85f's 83,640 LUT4 = 25,092); "
        'the chosen design\'s ~30,000 LUT4 may not route (docs/timing.md "Routability limit")'
    ]
    budget = budget_of(part, 0.8, max_luts=22_000)  # within the limit: nothing to say
    assert routability_lines(EXPLORATION, part, budget, choose(EXPLORATION, budget), 0.8, max_luts=22_000) == []


def test_nothing_is_said_where_the_limit_does_not_bind():
    xilinx = get_part("xc7z020")
    budget = budget_of(xilinx, 0.8)
    assert routability_lines(EXPLORATION, xilinx, budget, choose(EXPLORATION, budget), 0.8) == []
    part = get_part("lfe5u-85f")
    budget = budget_of(part, 0.25)  # 20,910 < 25,092: --max-utilization bounds the LUT4s
    assert routability_lines(EXPLORATION, part, budget, choose(EXPLORATION, budget), 0.25) == []


def test_no_fit_under_the_limit_names_it_and_max_luts():
    part = get_part("lfe5u-85f")
    exploration = one_layer([30_000, 40_000], [1_000, 500])
    budget = budget_of(part, 0.8)
    assert choose(exploration, budget) is None
    error = explain_no_fit(exploration, part, budget)
    assert error.message == "no design fits lfe5u-85f within the budget; even the smallest one needs lut 30,000 > 25,092"
    assert error.hint == (
        "the LUT4 budget is the routability limit (30% of lfe5u-85f's 83,640 LUT4 = 25,092); the smallest design "
        "needs 30,000: give --max-luts 30,000 (it may not route), or a bigger part"
    )


def test_routability_warning_only_between_the_limit_and_the_part():
    part = get_part("lfe5u-85f")
    assert routability_warning(part, 25_000) is None
    assert routability_warning(part, 90_000) is None  # over the part: the fit check's error, not this
    assert routability_warning(get_part("xc7z020"), 50_000) is None
    assert routability_warning(part, 52_569) == (
        "~52,569 LUT4 (63%) is above lfe5u-85f's routability limit (30% of lfe5u-85f's 83,640 LUT4 = 25,092): "
        'it fits the part, but nextpnr may not route it (docs/timing.md "Routability limit"); '
        "--parallelism auto keeps within the limit"
    )


@pytest.fixture(scope="module")
def mlp():
    x, _ = mnist("calibration")
    model = load_model(MLP, MLP_WEIGHTS)
    return model, x[:64], quantize_module(import_model(model, (1, 28, 28)), x[:64])


def test_auto_on_the_25f_keeps_the_mlp_within_the_limit(tmp_path, mlp):
    _, _, quant = mlp
    part = get_part("lfe5u-25f")
    notes = []
    with cost.for_family("ecp5"):
        chosen, _, _ = explore_and_choose_design(
            quant, part, tmp_path, CompileOptions(target="lfe5u-25f", offchip_weights="none"), notes=notes
        )
        unlimited, _, _ = explore_and_choose_design(
            quant, part, tmp_path, CompileOptions(target="lfe5u-25f", offchip_weights="none", max_luts=19_430)
        )
    explored = json.loads((tmp_path / "explore.json").read_text())  # the second run's (--max-luts)
    assert explored["routable_lut"] == {"fraction": 0.3, "lut": 7286.4, "binds": False}
    assert explored["chosen"]["lut"] > 7286.4 and explored["chosen"]["parallelism"] == unlimited.text()
    assert chosen.text() != unlimited.text()
    assert notes[0] == (
        "routability limit: LUT4 kept within 30% of lfe5u-25f's 24,288 LUT4 = 7,286 "
        '(docs/timing.md "Routability limit")'
    )
    assert notes[1].startswith(f"  not chosen above it: --parallelism {unlimited.text()} (")


def test_explicit_parallelism_above_the_limit_compiles_with_a_warning(tmp_path, mlp):
    model, x, quant = mlp
    part = get_part("lfe5u-25f")
    with cost.for_family("ecp5"):  # the fastest design within 80% of the 25F, above its limit
        big, _, _ = explore_and_choose_design(
            quant, part, tmp_path / "explore", CompileOptions(target="lfe5u-25f", offchip_weights="none", max_luts=19_430)
        )
    said = []
    options = CompileOptions(target="lfe5u-25f", parallelism=big.text(), offchip_weights="none")
    build = e3ne.compile(
        model, input_shape=(1, 28, 28), calibration=x, options=options, output=tmp_path / "big",
        progress=lambda *a, **k: said.append(" ".join(map(str, a))),
    )  # fmt: skip
    report = json.loads((build.path / "report.json").read_text())
    lut = report["totals"]["lut"]
    assert report["fits"] is True and 7_286.4 < lut <= 24_288
    expected = (
        f"~{lut:,.0f} LUT4 ({lut / 24_288:.0%}) is above lfe5u-25f's routability limit (30% of lfe5u-25f's "
        '24,288 LUT4 = 7,286): it fits the part, but nextpnr may not route it (docs/timing.md "Routability limit"); '
        "--parallelism auto keeps within the limit"
    )
    assert report["routability"] == expected
    assert f"- **Routability**: {expected}." in (build.path / "report.md").read_text()
    assert any(f"warning: {expected}" in line for line in said)
