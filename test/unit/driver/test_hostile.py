"""A hostile set of inputs to the `e3ne` command line (issue 14): weird models, bad files, bad
options, broken build directories. Each case runs `e3ne.cli.main` and asserts the exit code and
the user-facing message, and that no traceback or internal error reaches the user.

The list (with the messages) is docs/errors.md "Hostile set"; keep the two in step.
No case needs Verilator or Yosys: every bad build directory must be refused before them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from e3ne.cli import main  # noqa: E402

HERE = Path(__file__).resolve().parent
MODELS = HERE / "hostile_models.py"
SHAPE = "1,5,8"


def model(name: str) -> str:
    return f"{MODELS}:{name}"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Data, weight and build files the cases refer to by name (`{name}` in their arguments)."""
    root = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    paths: dict[str, str] = {"root": str(root)}

    def save(name: str, **arrays) -> None:
        np.savez(root / name, **arrays)
        paths[Path(name).stem] = str(root / name)

    good = rng.random((32, 1, 5, 8), dtype=np.float32)
    save("calib.npz", x=good)
    save("test.npz", x=good[:6], y=np.arange(6) % 3)
    save("nox.npz", images=good)
    save("intx.npz", x=(good * 255).astype(np.uint8))
    save("strx.npz", x=np.array([["a", "b"]]))
    save("complexx.npz", x=good.astype(np.complex64))
    save("wrongsize.npz", x=rng.random((8, 1, 6, 8), dtype=np.float32), y=np.zeros(8, dtype=np.int64))
    save("nochannel.npz", x=good[:, 0])
    save("noimages.npz", x=np.zeros((0, 1, 5, 8), dtype=np.float32))
    save("inf.npz", x=np.where(np.arange(40).reshape(1, 1, 5, 8) == 3, np.inf, good).astype(np.float32))
    save("ylen.npz", x=good[:6], y=np.arange(4) % 3)
    save("yfloat.npz", x=good[:6], y=np.array([0.5, 1, 2, 0, 1, 2]))
    save("yneg.npz", x=good[:6], y=np.array([-1, 1, 2, 0, 1, 2]))
    save("bool.npz", x=good > 0.5)
    np.save(root / "calib.npy", good)
    paths["npy"] = str(root / "calib.npy")
    (root / "text.npz").write_text("not a zip archive\n")
    paths["textnpz"] = str(root / "text.npz")

    from hostile_models import TinyMLP

    torch.manual_seed(0)
    state = TinyMLP().state_dict()
    torch.save(state, root / "weights.pt")
    paths["weights"] = str(root / "weights.pt")
    (root / "empty.pt").write_bytes(b"")
    paths["emptypt"] = str(root / "empty.pt")
    (root / "text.pt").write_text("weights\n")
    paths["textpt"] = str(root / "text.pt")
    torch.save({"fc.weight": torch.zeros(3, 40)}, root / "keys.pt")
    paths["keyspt"] = str(root / "keys.pt")
    torch.save({**state, "1.weight": torch.zeros(10, 41)}, root / "shapes.pt")
    paths["shapespt"] = str(root / "shapes.pt")
    torch.save({**state, "1.weight": torch.full((10, 40), float("nan"))}, root / "nan.pt")
    paths["nanpt"] = str(root / "nan.pt")
    torch.save([1, 2, 3], root / "list.pt")
    paths["listpt"] = str(root / "list.pt")
    (root / "broken.py").write_text("from torch import nn\nclass Net(nn.Module)\n    pass\n")
    paths["brokenpy"] = str(root / "broken.py")
    (root / "afile").write_text("x")
    paths["afile"] = str(root / "afile")

    build = root / "build"
    argv = ["-q", "compile", model("TinyMLP"), "--weights", paths["weights"], "--input-shape", SHAPE,
            "--calibration", paths["calib"], "--parallelism", "P=4", "-o", str(build)]  # fmt: skip
    assert main(argv) == 0
    paths["build"] = str(build)
    snn_only = root / "snnonly"
    assert main([*argv[:-1], str(snn_only), "--emit", "snn"]) == 0
    paths["snnonly"] = str(snn_only)
    return paths


def broken_build(files, tmp_path, edit) -> str:
    """A copy of the good build with `edit(path)` applied."""
    copy = tmp_path / "build"
    shutil.copytree(files["build"], copy)
    edit(copy)
    return str(copy)


def _rewrite_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _first_hex(build: Path) -> Path:
    return sorted((build / "rtl").glob("*.hex"))[0]


def _edit_hex_value(build: Path) -> None:
    path = _first_hex(build)
    lines = path.read_text().splitlines()
    first = lines[0]
    flipped = format(int(first, 16) ^ 1, "x").rjust(len(first), "0")
    path.write_text("\n".join([flipped, *lines[1:]]) + "\n")


def compile_args(files, *extra, model_name="TinyMLP", weights="weights", calib="calib", shape=SHAPE):
    args = ["compile", model(model_name), "--input-shape", shape, "--calibration", files[calib]]
    if weights:
        args += ["--weights", files[weights]]
    return [*args, "-o", str(Path(files["root"]) / "out"), *extra]


# (id, argv builder (files, tmp_path) -> argv, exit code, expected message fragments)
CASES = [
    # ---- weird models
    ("no layers", lambda f, t: compile_args(f, model_name="NoLayers", weights=None), 1,
     ["no nn.Conv2d or nn.Linear layer"]),
    ("empty Sequential", lambda f, t: compile_args(f, model_name="EmptySequential", weights=None), 1,
     ["no nn.Conv2d or nn.Linear layer"]),
    ("unsupported op (sigmoid)", lambda f, t: compile_args(f, model_name="Sigmoid", weights=None), 1, ["Sigmoid"]),
    ("softmax at the end", lambda f, t: compile_args(f, model_name="Softmax", weights=None), 1, ["softmax"]),
    ("data-dependent control flow", lambda f, t: compile_args(f, model_name="Dynamic", weights=None), 1,
     ["control flow"]),
    ("skip connection", lambda f, t: compile_args(f, model_name="Residual", weights=None), 1, ["chain"]),
    ("two outputs", lambda f, t: compile_args(f, model_name="TwoOutputs", weights=None), 1, ["one tensor"]),
    ("two inputs", lambda f, t: compile_args(f, model_name="TwoInputs", weights=None), 1, ["input"]),
    ("ReLU after the output layer", lambda f, t: compile_args(f, model_name="FinalReLU", weights=None), 1,
     ["must not have a ReLU"]),
    ("hidden layer without ReLU", lambda f, t: compile_args(f, model_name="HiddenWithoutReLU", weights=None), 1,
     ["is not followed by a ReLU"]),
    ("batch norm before any layer", lambda f, t: compile_args(f, model_name="BatchNormFirst", weights=None), 1,
     ["comes before the first"]),
    ("grouped convolution", lambda f, t: compile_args(f, model_name="Grouped", weights=None), 1, ["groups=2"]),
    ("dilated convolution", lambda f, t: compile_args(f, model_name="Dilated", weights=None), 1, ["dilation"]),
    ("ceil_mode pooling", lambda f, t: compile_args(f, model_name="CeilPool", weights=None), 1, ["ceil_mode=True"]),
    ("fully convolutional, no flatten", lambda f, t: compile_args(f, model_name="FullyConvolutional", weights=None),
     1, ["nn.Conv2d '2' is a convolution", "add nn.ReLU(), nn.Flatten() and nn.Linear(3, CLASSES)"]),
    ("fully convolutional, flattened", lambda f, t: compile_args(f, model_name="FullyConvolutionalFlattened",
                                                                 weights=None), 1,
     ["is a convolution", "nn.Linear(3, CLASSES)"]),
    ("zero-width layer", lambda f, t: compile_args(f, model_name="ZeroFeatures", weights=None), 1,
     ["gives an empty output (shape 1x0)"]),
    ("linear on an image (no flatten)", lambda f, t: compile_args(f, model_name="LinearOnImage", weights=None), 1,
     ["flatten before a linear layer"]),
    ("constructor needs arguments", lambda f, t: compile_args(f, model_name="NeedsArguments", weights=None), 1,
     ["give every __init__ parameter a default"]),
    ("constructor raises", lambda f, t: compile_args(f, model_name="FailsToConstruct", weights=None), 1,
     ["no GPU found"]),
    ("class is not a module", lambda f, t: compile_args(f, model_name="NotAModule", weights=None), 1,
     ["is not a torch.nn.Module class"]),
    ("unknown class", lambda f, t: compile_args(f, model_name="Nope", weights=None), 1, ["no class 'Nope'"]),
    ("model file with a syntax error", lambda f, t: ["compile", f"{f['brokenpy']}:Net", "--input-shape", SHAPE,
                                                    "--calibration", f["calib"], "-o", str(t / "o")], 1,
     ["SyntaxError"]),
    ("model spec without a class", lambda f, t: ["compile", str(MODELS), "--input-shape", SHAPE, "--calibration",
                                                 f["calib"], "-o", str(t / "o")], 1, ["path/to/model.py:ClassName"]),
    ("wrong input shape", lambda f, t: compile_args(f, shape="1,5,9", calib="wrongsize"), 1,
     ["fails on an input of shape 1x1x5x9", "check --input-shape"]),
    ("zero-size input dimension", lambda f, t: compile_args(f, shape="1,0,8"), 1, ["must be positive"]),
    ("input shape not integers", lambda f, t: compile_args(f, shape="1x5x8"), 1, ["comma-separated integers"]),
    # ---- bad weight files
    ("empty .pt", lambda f, t: compile_args(f, weights="emptypt"), 1, ["empty.pt: the weights file is empty"]),
    ("text file as .pt", lambda f, t: compile_args(f, weights="textpt"), 1, ["text.pt"]),
    ("state_dict with wrong keys", lambda f, t: compile_args(f, weights="keyspt"), 1, ["fc.weight"]),
    ("state_dict with wrong shapes", lambda f, t: compile_args(f, weights="shapespt"), 1, ["1.weight"]),
    ("NaN weights", lambda f, t: compile_args(f, weights="nanpt"), 1, ["NaN"]),
    ("a list saved as .pt", lambda f, t: compile_args(f, weights="listpt"), 1, ["list.pt"]),
    ("missing weights file", lambda f, t: [*compile_args(f, weights=None), "--weights", str(t / "no.pt")], 1,
     ["no.pt"]),
    # ---- bad data files
    ("calibration .npz without x", lambda f, t: compile_args(f, calib="nox"), 1, ["missing key 'x'", "images"]),
    ("calibration of strings", lambda f, t: compile_args(f, calib="strx"), 1, ["numbers"]),
    ("calibration of complex numbers", lambda f, t: compile_args(f, calib="complexx"), 1, ["complex"]),
    ("calibration images of the wrong size", lambda f, t: compile_args(f, calib="wrongsize"), 1,
     ["expected (N, 1, 5, 8)"]),
    ("calibration without the channel axis", lambda f, t: compile_args(f, calib="nochannel"), 1,
     ["expected (N, 1, 5, 8)"]),
    ("calibration with no images", lambda f, t: compile_args(f, calib="noimages"), 1, ["no images"]),
    ("calibration with an Inf pixel", lambda f, t: compile_args(f, calib="inf"), 1, ["infinite pixel values"]),
    ("calibration of booleans", lambda f, t: compile_args(f, calib="bool"), 1, ["bool"]),
    ("calibration: a text file named .npz", lambda f, t: compile_args(f, calib="textnpz"), 1,
     ["text.npz: not an .npz archive (an .npz is a zip file)"]),
    ("calibration: .npy", lambda f, t: compile_args(f, calib="npy"), 1, ["not an .npz archive"]),
    ("test images of the wrong size", lambda f, t: ["simulate", f["build"], "--data", f["wrongsize"],
                                                    "--golden-only"], 1, ["expected (N, 1, 5, 8)"]),
    ("labels of the wrong length", lambda f, t: ["simulate", f["build"], "--data", f["ylen"], "--golden-only"], 1,
     ["4 labels", "6 images"]),
    ("fractional labels", lambda f, t: ["simulate", f["build"], "--data", f["yfloat"], "--golden-only"], 1,
     ["integer"]),
    ("negative labels", lambda f, t: ["simulate", f["build"], "--data", f["yneg"], "--golden-only"], 1,
     ["outside"]),
    ("missing data file", lambda f, t: ["simulate", f["build"], "--data", str(t / "no.npz"), "--golden-only"], 1,
     ["file not found"]),
    # ---- bad options
    ("T=0", lambda f, t: compile_args(f, "--time-steps", "0"), 1, ["time-steps must be in [1,"]),
    ("T=99", lambda f, t: compile_args(f, "--time-steps", "99"), 1, ["time-steps must be in [1,"]),
    ("T=17 radix", lambda f, t: compile_args(f, "--time-steps", "17"), 1, ["[1, 16] for a radix network"]),
    ("b=1", lambda f, t: compile_args(f, "--weight-bits", "1"), 1, ["weight-bits must be in [2,"]),
    ("b=99", lambda f, t: compile_args(f, "--weight-bits", "99"), 1, ["weight-bits must be in [2,"]),
    ("T not a number", lambda f, t: compile_args(f, "--time-steps", "four"), 2, ["invalid int value: 'four'"]),
    ("sigma 0", lambda f, t: compile_args(f, "--sigma", "0"), 1, ["sigma"]),
    ("sigma NaN", lambda f, t: compile_args(f, "--sigma", "nan"), 1, ["sigma"]),
    ("negative parallelism", lambda f, t: compile_args(f, "--parallelism", "P=-4"), 1, [">= 1"]),
    ("zero parallelism", lambda f, t: compile_args(f, "--parallelism", "fc1.Q=0"), 1, [">= 1"]),
    ("unknown parallelism key", lambda f, t: compile_args(f, "--parallelism", "lanes=4"), 1, ["lanes"]),
    ("parallelism for an unknown layer", lambda f, t: compile_args(f, "--parallelism", "fc9.P=2"), 1, ["fc9"]),
    ("conv parallelism on an MLP layer", lambda f, t: compile_args(f, "--parallelism", "fc1.columns=2"), 1,
     ["columns"]),
    ("parallelism P larger than the layer", lambda f, t: compile_args(f, "--parallelism", "fc2.P=7"), 1,
     ["fc2.P=7 exceeds 6"]),
    ("off-chip weights of an unknown layer", lambda f, t: compile_args(f, "--offchip-weights", "conv1"), 1,
     ["unknown layer(s) conv1"]),
    ("AXI width not a power of two", lambda f, t: compile_args(f, "--offchip-weights", "all", "--axi-width", "48"),
     1, ["48"]),
    ("negative memory latency", lambda f, t: compile_args(f, "--offchip-weights", "all", "--memory-latency", "-1"),
     1, ["-1"]),
    ("unknown target", lambda f, t: compile_args(f, "--target", "xc9999"), 1, ["xc9999"]),
    ("--input-mean without --input-std", lambda f, t: compile_args(f, "--input-mean", "0.5"), 1, ["--input-std"]),
    ("--input-std 0", lambda f, t: compile_args(f, "--input-mean", "0.5", "--input-std", "0"), 1, ["positive"]),
    ("per-channel mean for the wrong channel count", lambda f, t: compile_args(
        f, "--input-mean", "0.1,0.2,0.3", "--input-std", "0.3"), 1, ["3"]),
    ("unknown option", lambda f, t: compile_args(f, "--timesteps", "4"), 2, ["unrecognized arguments: --timesteps"]),
    ("simulate --layers without --per-layer", lambda f, t: ["simulate", f["build"], "--data", f["test"],
                                                            "--golden-only", "--layers", "fc1"], 1, ["--per-layer"]),
    ("simulate --limit 0", lambda f, t: ["simulate", f["build"], "--data", f["test"], "--golden-only", "--limit",
                                        "0"], 1, ["--limit"]),
    ("simulate --jobs 0", lambda f, t: ["simulate", f["build"], "--data", f["test"], "--jobs", "0"], 1, ["--jobs"]),
    ("simulate --per-layer --golden-only", lambda f, t: ["simulate", f["build"], "--data", f["test"], "--per-layer",
                                                         "--golden-only"], 1, ["--golden-only"]),
    # ---- bad build directories
    ("simulate a missing build", lambda f, t: ["simulate", str(t / "nothing"), "--data", f["test"]], 1,
     ["nothing: build directory not found"]),
    ("simulate a file as the build", lambda f, t: ["simulate", f["afile"], "--data", f["test"]], 1,
     ["afile: is a file, not a build directory"]),
    ("simulate an --emit snn build with RTL", lambda f, t: ["simulate", f["snnonly"], "--data", f["test"]], 1,
     ["hardware.json"]),
    ("simulate without snn.quant.mlir", lambda f, t: ["simulate", broken_build(
        f, t, lambda b: (b / "snn.quant.mlir").unlink()), "--data", f["test"], "--golden-only"], 1,
     ["snn.quant.mlir"]),
    ("hardware.json without its layers", lambda f, t: ["simulate", broken_build(
        f, t, lambda b: _rewrite_json(b / "hardware.json", lambda d: d.pop("layers"))), "--data", f["test"]], 1,
     ["hardware.json"]),
    ("hardware.json not JSON", lambda f, t: ["simulate", broken_build(
        f, t, lambda b: (b / "hardware.json").write_text("{")), "--data", f["test"]], 1, ["hardware.json"]),
    ("edited memory image", lambda f, t: ["simulate", broken_build(f, t, _edit_hex_value), "--data", f["test"]], 1,
     ["changed since"]),
    ("deleted SystemVerilog file", lambda f, t: ["simulate", broken_build(
        f, t, lambda b: (b / "rtl" / "net.sv").unlink()), "--data", f["test"]], 1, ["net.sv"]),
    ("build of another e3ne version", lambda f, t: ["simulate", broken_build(
        f, t, lambda b: _rewrite_json(b / "hardware.json", lambda d: d.update(e3ne_version="0.0.1"))), "--data",
        f["test"]], 1, ["0.0.1"]),
    ("synth a missing build", lambda f, t: ["synth", str(t / "nothing")], 1, ["nothing"]),
    ("synth an --emit snn build", lambda f, t: ["synth", f["snnonly"]], 1, ["hardware.json"]),
    ("synth with a deleted SystemVerilog file", lambda f, t: ["synth", broken_build(
        f, t, lambda b: (b / "rtl" / "net.sv").unlink())], 1, ["net.sv: missing"]),
    ("bitstream of a missing build", lambda f, t: ["bitstream", str(t / "nothing")], 1, ["nothing"]),
    ("bitstream of an --emit snn build", lambda f, t: ["bitstream", f["snnonly"]], 1, ["hardware.json"]),
    ("bitstream for an unknown board", lambda f, t: ["bitstream", f["build"], "--board", "de10"], 1, ["de10"]),
    ("explore a directory without snn.quant.mlir", lambda f, t: ["explore", str(t)], 1, ["snn.quant.mlir"]),
]  # fmt: skip


def run_case(argv, capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("argv, code, fragments", [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_hostile_input(argv, code, fragments, files, tmp_path, capsys, monkeypatch, request):
    monkeypatch.syspath_prepend(str(HERE))
    got_code, output = run_case(argv(files, tmp_path), capsys)
    if os.environ.get("E3NE_HOSTILE_DUMP"):  # docs/errors.md is written from this dump
        with open(os.environ["E3NE_HOSTILE_DUMP"], "a") as dump:
            dump.write(json.dumps({"case": request.node.callspec.id, "code": got_code, "output": output}) + "\n")
    assert "Traceback" not in output and "internal error" not in output, output
    assert got_code == code, output
    for fragment in fragments:
        assert fragment in output, output


def test_the_set_is_large_enough():
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)
