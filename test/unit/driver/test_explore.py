"""Design-space exploration: explore's per-layer sums equal snnhw-estimate on the lowered IR,
the Pareto front is non-dominated, and `e3ne explore` picks (and compiles) a design that fits."""

import json
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context

from e3ne import cli
from e3ne.datasets import mnist, write_npz
from e3ne.dialects import snnhw
from e3ne.design_space import budget_of, choose, pareto_front, sweep
from e3ne.frontend import import_model, load_model
from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw
from e3ne.transforms.snnhw.estimate import estimate_accelerator, fit
from e3ne.transforms.snn.quantize_pipeline import quantize_module
from e3ne.model.parts import get_part

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MLP = f"{EXAMPLES / 'mlp' / 'model.py'}:MLP"
MLP_WEIGHTS = str(EXAMPLES / "mlp" / "weights.pt")


@pytest.fixture(scope="module")
def mlp_quant():
    x, _ = mnist("calibration")
    return quantize_module(import_model(load_model(MLP, MLP_WEIGHTS), (1, 28, 28)), x[:64])


def _estimate(quant, text):
    module = quant.clone()
    LowerSnnToSnnhw(parallelism=text).apply(Context(), module)
    accelerator = next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp))
    return estimate_accelerator(accelerator)


def test_explore_points_equal_the_estimate_of_the_lowered_design(mlp_quant):
    exploration = sweep(mlp_quant)
    assert len(exploration.cycles) >= 100
    rng = np.random.default_rng(1)
    for point in rng.choice(len(exploration.cycles), 4, replace=False):
        design = _estimate(mlp_quant, exploration.parallelism_text(int(point)))
        assert design.cycles == exploration.cycles[point]
        totals = exploration.totals(int(point))
        for key in ("lut", "ff", "carry", "bram", "dsp"):
            assert getattr(design.totals, key) == pytest.approx(totals[key], abs=0.01), key


def test_pareto_front_is_non_dominated():
    cycles = np.array([10, 20, 30, 15, 40])
    area = np.array([100, 50, 60, 100, 10])
    assert list(pareto_front(cycles, area)) == [0, 1, 4]


def test_choose_respects_the_budget(mlp_quant):
    exploration = sweep(mlp_quant)
    budget = budget_of(get_part("xc7z020"), 1.0, max_luts=3000)
    point = choose(exploration, budget)
    assert exploration.resources["lut"][point] <= 3000
    faster = exploration.cycles < exploration.cycles[point]
    assert not np.any(faster & (exploration.resources["lut"] <= 3000) & (exploration.resources["bram"] <= 140))
    assert choose(exploration, {"lut": 10}) is None


def test_cli_explore_picks_and_compiles_a_design_that_fits(tmp_path: Path):
    calibration = tmp_path / "calib.npz"
    x, _ = mnist("calibration")
    write_npz(calibration, x[:32])
    build = tmp_path / "build"
    status = cli.main(
        ["-q", "explore", MLP, "--weights", MLP_WEIGHTS, "--input-shape", "1,28,28",
         "--calibration", str(calibration), "--target", "xc7z020", "--max-luts", "5000",
         "--compile", "-o", str(build)]
    )  # fmt: skip
    assert status == 0
    assert (build / "explore.png").stat().st_size > 1000
    explored = json.loads((build / "explore.json").read_text())
    report = json.loads((build / "report.json").read_text())
    assert report["fits"] and report["totals"]["lut"] <= 5000
    assert report["cycles_per_image"] == explored["chosen"]["cycles"]
    assert report["totals"]["lut"] == pytest.approx(explored["chosen"]["lut"], abs=1)
    assert json.loads((build / "hardware.json").read_text())["cycles_expected"] == report["cycles_per_image"]
    assert all(entry["overflow"] == 0 for entry in fit_of(report).values())


def fit_of(report):
    return report["fit"]


@pytest.mark.slow
def test_explore_fang_cnn_xc7z020_pick_fits(tmp_path: Path):
    from e3ne.driver import CompileOptions
    from e3ne.driver.compiler import explore_and_choose_design
    from e3ne.design_space import lower

    x, _ = mnist("calibration")
    model = load_model(f"{EXAMPLES / 'fang_cnn' / 'model.py'}:FangCNN", str(EXAMPLES / "fang_cnn" / "weights.pt"))
    quant = quantize_module(import_model(model, (1, 28, 28)), x[:64])
    chosen, _, _ = explore_and_choose_design(quant, get_part("xc7z020"), tmp_path, CompileOptions(offchip_weights="none"))
    design = estimate_accelerator(lower(quant, chosen.text()))
    assert all(entry["overflow"] == 0 for entry in fit(design.totals, get_part("xc7z020")).values())
