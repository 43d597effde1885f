"""e3ne.compile lowers to snnhw once (the off-chip decision, the RTL and the report share
that lowering), placing weights off chip afterwards equals lowering them off chip, and
Build reads and checks a build directory."""

from pathlib import Path

import pytest
from xdsl.context import Context

import e3ne
from e3ne.backend.build import _text, lower_to_snnhw
from e3ne.datasets import mnist
from e3ne.errors import E3NEError
from e3ne.frontend import import_model, load_model
from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw
from e3ne.transforms.snn.quantize_pipeline import quantize_module
from e3ne.transforms.snnhw.place_offchip import place_weights_offchip

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MLP = f"{EXAMPLES / 'mlp' / 'model.py'}:MLP"
MLP_WEIGHTS = str(EXAMPLES / "mlp" / "weights.pt")


@pytest.fixture(scope="module")
def calibration():
    x, _ = mnist("calibration")
    return x[:64]


@pytest.fixture(scope="module")
def mlp_quant(calibration):
    return quantize_module(import_model(load_model(MLP, MLP_WEIGHTS), (1, 28, 28)), calibration)


def test_placing_weights_off_chip_equals_lowering_them_off_chip(mlp_quant):
    for layers, axi, latency in ((("fc1",), 64, 16), (("fc1", "fc3"), 256, 40)):
        _, lowered, _ = lower_to_snnhw(
            mlp_quant, parallelism="fc1.P=64", offchip_weights=",".join(layers), axi_data_width=axi,
            memory_latency=latency,
        )  # fmt: skip
        _, placed, accelerator = lower_to_snnhw(mlp_quant, parallelism="fc1.P=64")
        place_weights_offchip(accelerator, layers, axi, latency)
        placed.verify()
        assert _text(placed) == _text(lowered)


def test_placing_no_layers_changes_nothing(mlp_quant):
    _, module, accelerator = lower_to_snnhw(mlp_quant)
    before = _text(module)
    place_weights_offchip(accelerator, (), 128, 16)
    assert _text(module) == before


def test_compile_lowers_to_snnhw_once(calibration, tmp_path, monkeypatch):
    applied = []
    original = LowerSnnToSnnhw.apply

    def counting(self, ctx: Context, op) -> None:
        applied.append(self.parallelism)
        original(self, ctx, op)

    monkeypatch.setattr(LowerSnnToSnnhw, "apply", counting)
    options = e3ne.CompileOptions(parallelism="P=32", offchip_weights="fc1", axi_width=64)
    build = e3ne.compile(
        MLP, weights=MLP_WEIGHTS, input_shape="1,28,28", calibration=calibration, options=options, output=tmp_path
    )
    assert applied == ["P=32"]
    assert build.manifest["axi"]["layers"][0]["name"] == "fc1"
    assert build.report["offchip"]["layers"] == ["fc1"]
    assert build.settings["offchip_chosen"] == "fc1" and build.settings["parallelism"] == "P=32"
    assert build.settings["calibration"] is None  # an array, not a file
    snnhw_text = (tmp_path / "snnhw.mlir").read_text()
    assert snnhw_text.count('kind = "offchip"') == 1 and "axi_data_width = 64" in snnhw_text


def test_build_open_and_simulate_check_their_arguments(tmp_path):
    with pytest.raises(E3NEError, match="build directory not found"):
        e3ne.Build.open(tmp_path / "missing")
    build = e3ne.Build.open(tmp_path)
    assert build.manifest is None and build.report is None and build.settings is None
    with pytest.raises(E3NEError, match="--layers selects layers for --per-layer"):
        build.simulate("x.npz", layers="fc1")
    with pytest.raises(E3NEError, match="--limit must be >= 1, got 0"):
        build.simulate("x.npz", limit=0)
    with pytest.raises(E3NEError, match="snn.mlir not found"):
        build.simulate("x.npz")


def test_compile_rejects_weights_with_a_module(tmp_path, calibration):
    model = load_model(MLP, MLP_WEIGHTS)
    with pytest.raises(E3NEError, match="weights= is for a 'file.py:Class' model"):
        e3ne.compile(model, weights=MLP_WEIGHTS, input_shape=(1, 28, 28), calibration=calibration, output=tmp_path)


def test_explore_api_chooses_a_design_within_the_budget(mlp_quant, tmp_path):
    from e3ne.driver import Build, CompileOptions
    from e3ne.ir import write_module
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    write_module(mlp_quant, tmp_path / "snn.quant.mlir")  # a build directory with only the integer module
    result = e3ne.explore(Build.open(tmp_path), options=CompileOptions(max_luts=20000, offchip_weights="none"))
    assert result.fits and result.output == tmp_path and (tmp_path / "explore.json").is_file()
    _, _, accelerator = lower_to_snnhw(mlp_quant, parallelism=result.parallelism.text())
    design = estimate_accelerator(accelerator)
    assert design.cycles == result.cycles
    assert design.totals.lut <= 20000
    assert result.compile_options().parallelism == result.parallelism
    assert result.compile_options().offchip_weights == "none"
    with pytest.raises(E3NEError, match="--compile needs the model, not a build directory"):
        result.compile(tmp_path / "again")
