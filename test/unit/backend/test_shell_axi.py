"""The AXI shell (`--shell axi`) in Verilator through its real protocols: the generated
testbench is an AXI4-Lite master and AXI4-Stream source/sink with random TVALID/TREADY gaps,
fed and decoded by the build's own host driver (BUILD/driver: pack_images, unpack_results).

The example MLP (trained weights) on real MNIST test images: every logit and class equals the
golden model, back-to-back images take at most 2% more cycles than the core's compute, and each
malformed stream sets its error bit, yields an error frame in order, and the next image is right.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import e3ne
from e3ne.backend.shell import input_bytes, load_driver
from e3ne.backend.shell_testbench import run_shell_rtl
from e3ne.backend.testbench import input_words
from e3ne.datasets import mnist
from e3ne.driver.inputs import encoded_inputs, input_scale
from e3ne.driver.options import CompileOptions
from e3ne.interpreters.golden import run_golden
from e3ne.ir import parse_module

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
needs_verilator = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")

CTRL, STATUS, ERROR, IMAGES, CYCLES, BUILD_ID, MAGIC, BAD_FRAMES = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    calibration, _ = mnist("calibration")
    build = e3ne.compile(
        f"{EXAMPLES / 'mlp' / 'model.py'}:MLP", weights=str(EXAMPLES / "mlp" / "weights.pt"), input_shape=(1, 28, 28),
        calibration=calibration[:64], options=CompileOptions(shell="axi", parallelism="P=32"),
        output=tmp_path_factory.mktemp("mlp-axi"), progress=lambda *_: None,
    )  # fmt: skip
    x, y = mnist("test")
    quant = parse_module(build.path / "snn.quant.mlir")
    return build, load_driver(build.path), quant, x, y


def frames_of(driver, images) -> list[list[tuple[int, bool]]]:
    """Each image's stream beats (tdata, tlast), from the driver's own packing."""
    depth = driver.CONSTANTS["depth"]
    values = driver.beat_values(driver.pack_images(images))
    return [[(v, k == depth - 1) for k, v in enumerate(values[i * depth : (i + 1) * depth])] for i in range(len(images))]


def test_driver_packing_is_the_input_buffer_layout(mlp):
    build, driver, quant, x, _ = mlp
    a0 = encoded_inputs(quant, x[:5]).reshape(5, -1)
    layout = build.manifest["input"]
    expected = input_words(a0, layout)  # the core testbench's words
    for packed in (driver.pack_images(x[:5]), driver.pack_images(a0)):  # float images and a0 give the same beats
        assert packed.shape == (5, layout["depth"], 4)
        assert driver.beat_values(packed) == [int(w) for w in expected.ravel()]
    assert driver.CONSTANTS["input_scale"] == input_scale(quant)
    assert build.manifest["shell"]["top"] == build.manifest["top"] + "_axi"


def test_unpack_results_sign_extends_and_flags_bad_frames(mlp):
    _, driver, _, _, _ = mlp
    good = [5, 0xFFFFFFFD, 0, 1, 2, 3, 4, 0xFFFFFF80, 6, 7, 0]
    bad = [0] * 10 + [1 << 31]
    logits, classes = driver.unpack_results(good + bad)
    assert logits[0].tolist() == [5, -3, 0, 1, 2, 3, 4, -128, 6, 7] and logits[1].tolist() == [0] * 10
    assert classes.tolist() == [0, -1]
    with pytest.raises(ValueError, match="not whole frames of 11"):
        driver.unpack_results(good[:-1])


def test_image_beats_are_a_power_of_two_of_bytes():
    assert [input_bytes(w) for w in (1, 8, 9, 17, 28, 32, 33, 65)] == [1, 1, 2, 4, 4, 4, 8, 16]


def test_vivado_handoff_names_the_part_the_top_and_the_stream_width(mlp):
    build, _, _, _, _ = mlp
    top = build.manifest["shell"]["top"]
    tcl = (build.path / "vivado" / "create_project.tcl").read_text()
    assert "-part xc7z020clg400-1" in tcl and f"set_property top {top} [current_fileset]" in tcl
    assert f"e3ne.org:e3ne:{top}:1.0 e3ne_0" in tcl and "CONFIG.c_m_axis_mm2s_tdata_width {32}" in tcl
    assert "processing_system7" in tcl and "*/tb*" in tcl
    assert "-period 10.000 [get_ports aclk]" in (build.path / "vivado" / "e3ne.xdc").read_text()


@needs_verilator
def test_mlp_back_to_back_with_random_gaps_is_bit_exact(mlp):
    build, driver, quant, x, y = mlp
    x, y = x[:50], y[:50]
    beats = [beat for frame in frames_of(driver, x) for beat in frame]
    result = run_shell_rtl(build.path, beats, frames=50, gaps=25, seed=7)
    assert not result["timeout"]
    logits, classes = driver.unpack_results(result["words"])
    golden = run_golden(quant, x)
    np.testing.assert_array_equal(logits, golden)
    np.testing.assert_array_equal(classes, np.argmax(golden, axis=1))
    assert (classes == y).mean() > 0.9
    registers, constants = result["registers"], driver.CONSTANTS
    assert registers[IMAGES] == 50 and registers[ERROR] == 0 and registers[BAD_FRAMES] == 0
    assert registers[CYCLES] == build.manifest["cycles_expected"]
    assert registers[BUILD_ID] == constants["build_id"] and registers[MAGIC] == driver.MAGIC
    assert registers[STATUS] == driver.STATUS_DONE and result["irq"] == 1  # done, idle, no error
    # throughput: the frames leave one per max(compute, load) cycles, within 2%
    ends = np.array([edge for edge, last in zip(result["edges"], result["last"]) if last])
    period = float(np.diff(ends[5:]).mean())
    assert period <= 1.02 * max(build.manifest["cycles_expected"], constants["depth"])


@needs_verilator
def test_long_stalls_on_both_streams_only_wait(mlp):
    build, driver, quant, x, _ = mlp
    x = x[60:63]
    result = run_frames(build, frames_of(driver, x), 3, gaps=90, seed=2)  # TVALID gaps before 90% of the beats, TREADY low 90% of the cycles
    logits, classes = driver.unpack_results(result["words"])
    golden = run_golden(quant, x)
    np.testing.assert_array_equal(logits, golden)
    np.testing.assert_array_equal(classes, np.argmax(golden, axis=1))
    assert result["registers"][ERROR] == 0 and result["registers"][IMAGES] == 3


def run_frames(build, frames, expected_frames, **kwargs):
    result = run_shell_rtl(build.path, [beat for frame in frames for beat in frame], frames=expected_frames, **kwargs)
    assert not result["timeout"]
    return result


@needs_verilator
@pytest.mark.parametrize(
    "case", ["tlast_early", "tlast_late", "tlast_missing", "beats_after_tlast", "soft_reset", "soft_reset_busy"]
)
def test_malformed_stream_sets_error_and_next_image_is_right(mlp, case):
    build, driver, quant, x, _ = mlp
    x = x[50:54]
    golden = run_golden(quant, x)
    frames = frames_of(driver, x)
    depth = driver.CONSTANTS["depth"]
    good, bad_at = [0, 2, 3], 1  # images whose results must come out right; where the error frame is
    kwargs = {"gaps": 30, "seed": 11}
    if case == "tlast_early":  # image 1 ends 10 beats early
        frames[1] = frames[1][: depth - 10]
        frames[1][-1] = (frames[1][-1][0], True)
        cause = driver.ERROR_TLAST_EARLY
    elif case == "tlast_late":  # image 1 has 5 beats after its last word, TLAST on the fifth
        frames[1] = [(v, False) for v, _ in frames[1]] + [(0x1234567, False)] * 4 + [(0, True)]
        cause = driver.ERROR_TLAST_LATE
    elif case == "tlast_missing":  # no TLAST on image 1: it runs into image 2, both are lost
        frames[1] = [(v, False) for v, _ in frames[1]]
        good = [0, 3]
        cause = driver.ERROR_TLAST_LATE
    elif case == "beats_after_tlast":  # 3 stray beats after image 0's TLAST run into image 1: it is lost
        frames[0] = frames[0] + [(0xABC, False)] * 3
        cause = driver.ERROR_TLAST_LATE
    elif case == "soft_reset":  # soft reset half way through image 1 (after image 0's results): the rest is a short frame
        kwargs.update(soft_reset_at=depth + depth // 2, reset_after=1)
        cause = driver.ERROR_ABORTED | driver.ERROR_TLAST_EARLY
    else:  # the same while image 0 computes: image 0 is lost too
        kwargs.update(soft_reset_at=depth + depth // 2, reset_after=0)
        good, bad_at = [2, 3], 0
        cause = driver.ERROR_ABORTED | driver.ERROR_TLAST_EARLY
    result = run_frames(build, frames, len(good) + 1, **kwargs)
    logits, classes = driver.unpack_results(result["words"])
    assert len(classes) == len(good) + 1
    assert classes[bad_at] == -1 and logits[bad_at].tolist() == [0] * 10  # the error frame, in order
    kept = [k for k in range(len(good) + 1) if k != bad_at]
    np.testing.assert_array_equal(logits[kept], golden[good])
    np.testing.assert_array_equal(classes[kept], np.argmax(golden[good], axis=1))
    registers = result["registers"]
    assert registers[ERROR] == cause and registers[STATUS] & driver.STATUS_ERROR
    assert registers[BAD_FRAMES] == 1 and result["irq"] == 1
    assert registers[IMAGES] == len(good)  # the counters survive a soft reset
