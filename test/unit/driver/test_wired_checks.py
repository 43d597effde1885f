"""The reliability checks (issue 14) as `e3ne compile` / `simulate` / the CLI use them: each case
gives its message (data checks, quantization health, input normalisation, stale and broken
build directories, cycles against the schedule, too-large parallelism, -q after the
subcommand), and two compiles of the same inputs give byte-identical outputs."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import e3ne
from e3ne.backend.build import lower_to_snnhw
from e3ne.cli import build_parser, main
from e3ne.datasets import mnist
from e3ne.dialects.snnhw import LinearUnitOp
from e3ne.errors import E3NEError
from e3ne.frontend import import_model, load_model
from e3ne.transforms.snn.quantize_pipeline import quantize_module

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MLP = f"{EXAMPLES / 'mlp' / 'model.py'}:MLP"
MLP_WEIGHTS = str(EXAMPLES / "mlp" / "weights.pt")
SHAPE = (1, 28, 28)


@pytest.fixture(scope="module")
def calibration():
    x, _ = mnist("calibration")
    return x[:64]


@pytest.fixture(scope="module")
def test_set():
    x, y = mnist("test")
    return x[:8], y[:8]


def _compile(output, calibration, say=None, **options):
    return e3ne.compile(
        MLP, weights=MLP_WEIGHTS, input_shape=SHAPE, calibration=calibration,
        options=e3ne.CompileOptions(**options), output=output, progress=say,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hardware_build(tmp_path_factory, calibration):
    """An MLP build with hardware (fc1.P=32), compiled once for the tests that only read it."""
    return _compile(tmp_path_factory.mktemp("mlp") / "build", calibration, parallelism="fc1.P=32")


def _copy(build, tmp_path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(build.path, copy)
    return copy


# --------------------------------------------------------------------------- data checks


def test_negative_calibration_pixels_are_refused_with_the_fold_hint(tmp_path, calibration):
    normalised = (calibration - 0.1307) / 0.3081
    np.savez(tmp_path / "calib.npz", x=normalised)
    with pytest.raises(E3NEError) as error:
        _compile(tmp_path / "build", str(tmp_path / "calib.npz"), emit="snn")
    assert "of the calibration pixels are negative (min -0.4242)" in error.value.message
    assert error.value.location == str(tmp_path / "calib.npz")
    assert "snn-fold-normalization" in error.value.hint


def test_nan_calibration_pixel_is_refused(tmp_path, calibration):
    x = calibration.copy()
    x[3, 0, 5, 5] = np.nan
    with pytest.raises(E3NEError, match=r"the calibration images hold 1 NaN and 0 infinite pixel values \(in 1 of 64 images, the first is image 3\)"):
        _compile(tmp_path, x, emit="snn")


def test_some_all_zero_calibration_images_warn_through_progress(tmp_path, calibration):
    x = calibration.copy()
    x[:2] = 0
    said = []
    _compile(tmp_path, x, say=said.append, emit="snn")
    assert "warning: 2 of 64 calibration images are all zero; calibrate on real images of the kind the network will classify" in said


def test_npy_given_as_calibration_names_the_file(tmp_path, calibration):
    np.save(tmp_path / "calib.npy", calibration)
    with pytest.raises(E3NEError) as error:
        _compile(tmp_path / "build", str(tmp_path / "calib.npy"), emit="snn")
    assert error.value.message == "a single array (.npy), not an .npz archive with key 'x'"
    assert error.value.location == str(tmp_path / "calib.npy")
    assert "np.savez(path, x=images)" in error.value.hint


def test_object_array_images_are_refused(tmp_path):
    np.savez(tmp_path / "calib.npz", x=np.array([[1, "a"]], dtype=object))
    with pytest.raises(E3NEError, match=r"'x' is an object array \(mixed or nested Python values\), not numbers"):
        _compile(tmp_path / "build", str(tmp_path / "calib.npz"), emit="snn")


# --------------------------------------------------------------------------- quantization health


def test_one_time_step_is_refused_by_the_health_check(tmp_path, calibration):
    with pytest.raises(E3NEError, match="the quantized network gives the same answer for every image") as error:
        _compile(tmp_path, calibration, emit="snn", time_steps=1)
    assert "use more time steps (now T=1" in error.value.hint


def test_health_warnings_are_printed(tmp_path, calibration, monkeypatch):
    from e3ne.transforms.snn import quantize_pipeline

    original = quantize_pipeline.quantize_and_check

    def with_warning(*args, **kwargs):
        module, report = original(*args, **kwargs)
        report.warnings.append("fc1: 95.0% of its non-zero weights quantize to 0, the layer is destroyed")
        return module, report

    monkeypatch.setattr(quantize_pipeline, "quantize_and_check", with_warning)
    said = []
    _compile(tmp_path, calibration, say=said.append, emit="snn")
    assert "warning: fc1: 95.0% of its non-zero weights quantize to 0, the layer is destroyed" in said


def test_report_has_the_health_section(hardware_build):
    markdown = (hardware_build.path / "report.md").read_text()
    assert "## Quantization health" in markdown
    assert "| layer | weights quantized to 0 | activations saturated | activations 0 | relative error |" in markdown
    health = hardware_build.report["health"]
    assert [layer["name"] for layer in health["layers"]] == ["fc1", "fc2", "fc3"]
    assert health["images"] == 64 and health["warnings"] == []
    assert health["agreement"] >= 0.9


# --------------------------------------------------------------------------- normalisation


def test_input_normalization_options_are_checked():
    assert e3ne.CompileOptions(input_mean="0.485,0.456,0.406", input_std=0.2).input_mean == (0.485, 0.456, 0.406)
    with pytest.raises(E3NEError, match=r"--input-mean needs --input-std as well \(the normalisation is \(x - mean\) / std\)"):
        e3ne.CompileOptions(input_mean=0.1)
    with pytest.raises(E3NEError, match="--input-std must be positive, got 0"):
        e3ne.CompileOptions(input_mean=0.1, input_std="0")
    with pytest.raises(E3NEError, match="--input-mean must be a number or comma-separated numbers"):
        e3ne.CompileOptions(input_mean="a,b", input_std=1)


def test_normalised_model_compiles_with_the_normalization_folded(tmp_path, calibration):
    """The MLP as if trained on (x - 0.1307) / 0.3081: wrapped so it normalises itself, it is the
    same function of raw pixels; compiling the bare MLP with --input-mean/--input-std folds
    the normalisation instead, and both quantize alike on raw calibration pixels."""
    build = _compile(tmp_path, calibration, emit="snn", input_mean="0.1307", input_std="0.3081")
    assert build.settings["input_mean"] == [0.1307] and build.settings["input_std"] == [0.3081]
    from e3ne.interpreters.float_model import run_float
    from e3ne.ir import parse_module

    folded = run_float(parse_module(tmp_path / "snn.mlir"), calibration[:16])
    reference = load_model(MLP, MLP_WEIGHTS)
    import torch

    with torch.no_grad():
        expected = reference(torch.from_numpy((calibration[:16] - 0.1307) / 0.3081)).numpy()
    assert np.allclose(folded, expected, atol=1e-4)
    with pytest.raises(E3NEError, match="mean has 2 values but the input has 1 channels"):
        _compile(tmp_path, calibration, emit="snn", input_mean="0.1,0.2", input_std="0.3")


def test_cli_takes_the_normalization_and_quiet_after_the_subcommand():
    args = build_parser().parse_args(
        ["compile", "m.py:M", "--input-shape", "1,28,28", "--calibration", "c.npz", "-o", "b",
         "--input-mean", "0.1307", "--input-std", "0.3081", "-q"]
    )  # fmt: skip
    assert args.quiet and args.input_mean == "0.1307" and args.input_std == "0.3081"
    assert build_parser().parse_args(["-q", "synth", "b"]).quiet
    assert not build_parser().parse_args(["synth", "b"]).quiet
    args = build_parser().parse_args(["explore", "b", "--input-mean", "0", "--input-std", "255", "--quiet"])
    assert args.quiet and args.input_std == "255"


# --------------------------------------------------------------------------- build directories


def test_output_at_an_existing_file_is_refused(tmp_path, calibration, capsys):
    (tmp_path / "file").write_text("")
    code = main(["compile", MLP, "--weights", MLP_WEIGHTS, "--input-shape", "1,28,28", "--calibration", "x.npz",
                 "-o", str(tmp_path / "file")])  # fmt: skip
    assert code == 1
    assert "the output path is an existing file, not a directory" in capsys.readouterr().err


def test_emit_snn_into_a_hardware_build_removes_its_hardware(tmp_path, hardware_build, calibration, test_set):
    copy = _copy(hardware_build, tmp_path)
    (copy / "notes.txt").write_text("mine")
    said = []
    _compile(copy, calibration, say=said.append, emit="snn")
    assert sorted(p.name for p in copy.iterdir()) == ["compile.json", "notes.txt", "snn.mlir", "snn.quant.mlir"]
    assert f"removed the outputs of an earlier compile in {copy}: snnhw.mlir, hw.mlir, hardware.json, report.md, report.json, rtl" in said
    with pytest.raises(E3NEError, match=r"no hardware.json: this build has no hardware \(compiled with --emit snn\?\)"):
        e3ne.Build(copy).simulate(test_set)


def test_recompiling_with_other_layers_leaves_no_stale_memory_images(tmp_path, calibration):
    """A build of the MLP, then of a two-layer network into the same directory: no fc3 file survives."""
    import torch

    _compile(tmp_path, calibration, emit="verilog")
    assert any("_fc3_" in name for name in (p.name for p in (tmp_path / "rtl").iterdir()))
    small = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    torch.manual_seed(0)
    e3ne.compile(small, input_shape=SHAPE, calibration=calibration, output=tmp_path)
    assert not [p.name for p in (tmp_path / "rtl").iterdir() if "_fc3_" in p.name]


def test_missing_and_cut_off_memory_images_are_named(tmp_path, hardware_build, test_set):
    copy = _copy(hardware_build, tmp_path)
    hex_file = min((copy / "rtl").glob("*.hex"))
    words = hex_file.read_text().split()
    hex_file.write_text("\n".join(words[: len(words) // 2]) + "\n")
    with pytest.raises(E3NEError, match=f"has {len(words) // 2} words, the memory holds {len(words)} \\(the file is cut off\\)") as error:
        e3ne.Build(copy).simulate(test_set)
    assert error.value.location == str(hex_file)
    hex_file.unlink()
    with pytest.raises(E3NEError, match=r"memory image missing \(the RTL loads it with \$readmemh\)"):
        e3ne.Build(copy).simulate(test_set)


# --------------------------------------------------------------------------- simulate


def test_labels_outside_the_classes_are_refused(tmp_path, hardware_build, test_set):
    x, y = test_set
    np.savez(tmp_path / "test.npz", x=x, y=np.where(np.arange(len(y)) == 2, 10, y))
    with pytest.raises(E3NEError) as error:
        hardware_build.simulate(str(tmp_path / "test.npz"), golden_only=True)
    assert error.value.message == "1 of 8 labels are outside the network's 10 classes [0, 9] (e.g. 10 at index 2)"
    assert error.value.location == str(tmp_path / "test.npz")


def test_images_above_the_calibrated_range_warn(tmp_path, hardware_build, test_set):
    x, y = test_set
    np.savez(tmp_path / "test255.npz", x=x * 255, y=y)
    said = []
    result = hardware_build.simulate(str(tmp_path / "test255.npz"), golden_only=True, progress=said.append)
    warnings = [line for line in said if "warning" in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"{tmp_path / 'test255.npz'}: warning: ")
    assert "are above 1, the top of the input range the build was calibrated for" in warnings[0]
    summary = json.loads((hardware_build.path / "sim" / "summary.json").read_text())
    assert summary["warnings"] == warnings == result.summary["warnings"]
    assert set(summary) == {"images", "float_accuracy", "golden_accuracy", "warnings"}


def test_whole_network_simulate_checks_cycles_against_the_schedule(tmp_path, hardware_build, test_set):
    x, y = test_set
    result = hardware_build.simulate((x[:2], y[:2]))
    assert result.ok and result.summary["cycles_per_image"] == result.summary["cycles_expected"]
    assert "warnings" not in result.summary
    copy = _copy(hardware_build, tmp_path)
    manifest = json.loads((copy / "hardware.json").read_text())
    expected = manifest["cycles_expected"]
    manifest["cycles_expected"] = 27416
    (copy / "hardware.json").write_text(json.dumps(manifest))
    with pytest.raises(E3NEError) as error:
        e3ne.Build(copy).simulate((x[:2], y[:2]))
    assert error.value.message == (
        f"the RTL took {expected:,} cycles per image, the static schedule (hardware.json cycles_expected) says 27,416"
    )


# --------------------------------------------------------------------------- parallelism


@pytest.fixture(scope="module")
def mlp_quant(calibration):
    return quantize_module(import_model(load_model(MLP, MLP_WEIGHTS), SHAPE), calibration)


def test_too_large_linear_parallelism_for_a_named_layer_is_an_error(mlp_quant):
    with pytest.raises(E3NEError, match=r"parallelism fc2.P=100 exceeds 64 for layer 'fc2'"):
        lower_to_snnhw(mlp_quant, parallelism="fc2.P=100")
    with pytest.raises(E3NEError, match=r"parallelism fc3.P=11 exceeds 10 for layer 'fc3'"):
        lower_to_snnhw(mlp_quant, parallelism="fc3.P=11")
    # a value for every layer is clamped to each: P=100 is fc1.P=100, fc2.P=64, fc3.P=10
    _, _, accelerator = lower_to_snnhw(mlp_quant, parallelism="P=100")
    units = {op.sym_name.data: op.parallelism.value.data for op in accelerator.walk() if isinstance(op, LinearUnitOp)}
    assert units == {"fc1": 100, "fc2": 64, "fc3": 10}


# --------------------------------------------------------------------------- determinism


def test_two_compiles_give_byte_identical_outputs(tmp_path, hardware_build, calibration):
    again = _compile(tmp_path / "again", calibration, parallelism="fc1.P=32")
    names = ["snn.quant.mlir", "snnhw.mlir"] + sorted(
        f"rtl/{p.name}" for p in (hardware_build.path / "rtl").iterdir() if p.suffix in (".sv", ".hex")
    )
    assert any(name.endswith(".hex") for name in names) and any(name.endswith(".sv") for name in names)
    assert sorted(f"rtl/{p.name}" for p in (again.path / "rtl").iterdir() if p.suffix in (".sv", ".hex")) == names[2:]
    for name in names:
        assert (again.path / name).read_bytes() == (hardware_build.path / name).read_bytes(), name
