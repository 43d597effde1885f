"""The UART shell (`--shell uart`) in Verilator through its serial line: the testbench is the
host's serial port (8N1 at a small clocks-per-bit), the host bytes are the build's own driver's
frames (BUILD/driver: image_frames, read_frame) and the device bytes are decoded by it
(FrameDecoder, collect).

The example MLP (trained weights) and a tiny MLP: every logit and class equals the golden model;
each malformed input (bytes between frames, a bad checksum, a short frame, a bad length or type)
gives the error it should, and the next image is right.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import e3ne
from e3ne.backend.host.e3ne_uart import PROTOCOL, FrameDecoder, crc8, frame
from e3ne.backend.shell import load_driver
from e3ne.backend.shell_uart import check_divider, divider
from e3ne.backend.shell_uart_testbench import run_uart_rtl
from e3ne.datasets import mnist
from e3ne.driver.options import CompileOptions
from e3ne.errors import E3NEError
from e3ne.interpreters.golden import run_golden
from e3ne.ir import parse_module

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
needs_verilator = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")
TIMEOUT = 400  # the simulated shell's TIMEOUT_CYCLES (100 bit times at 4 clocks per bit)
IMAGES_REGISTER = 0x0C
MLP = """
from torch import nn


class TinyMLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.ReLU(), nn.Linear(10, 6), nn.ReLU(), nn.Linear(6, 3))
"""


# --------------------------------------------------------------------------- protocol (no simulator)


def test_crc8_is_the_standard_poly_07_check_value():
    assert crc8(b"123456789") == 0xF4  # CRC-8 (poly 0x07, init 0, no reflection): its catalogue check value
    assert crc8(b"") == 0


def test_frame_layout():
    data = frame(PROTOCOL["T_READ"], bytes([0x14]))
    assert data == bytes([0xE3, 0x4E, 0x02, 0x01, 0x00, 0x14, crc8(bytes([0x02, 0x01, 0x00, 0x14]))])


def test_decoder_skips_garbage_and_bad_frames():
    good = frame(PROTOCOL["T_ERROR"], bytes([PROTOCOL["E_MAGIC"]]))
    bad = bytearray(frame(PROTOCOL["T_REGISTER"], bytes(5)))
    bad[-1] ^= 1
    decoder = FrameDecoder()
    stream = b"\x00\xe3\x11" + bytes(bad) + good
    frames = [f for k in range(len(stream)) for f in decoder.feed(stream[k : k + 1])]  # one byte at a time
    assert [(f.kind, f.payload) for f in frames] == [(PROTOCOL["T_ERROR"], bytes([1]))]
    assert decoder.dropped > 0


def test_baud_divider_and_its_error():
    assert divider(25.0, 115_200) == (217, pytest.approx(25e6 / 217 / 115_200 - 1))
    assert abs(divider(25.0, 115_200)[1]) < 1e-4
    assert divider(48.0, 3_000_000) == (16, 0.0)
    with pytest.raises(E3NEError, match=r"--baud 3000000 from a 25 MHz clock needs a divider of 8.33; 8 gives 3125000 baud, \+4.17%"):
        check_divider(25.0, 3_000_000, "--shell uart")
    with pytest.raises(E3NEError, match="at least 4"):
        check_divider(10.0, 3_000_000, "--shell uart")
    with pytest.raises(E3NEError, match="--baud 3000000 from a 25 MHz clock"):
        CompileOptions(shell="uart", baud=3_000_000)  # 25 MHz default clock


# --------------------------------------------------------------------------- RTL


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    calibration, _ = mnist("calibration")
    build = e3ne.compile(
        f"{EXAMPLES / 'mlp' / 'model.py'}:MLP", weights=str(EXAMPLES / "mlp" / "weights.pt"), input_shape=(1, 28, 28),
        calibration=calibration[:64], options=CompileOptions(shell="uart", parallelism="P=32"),
        output=tmp_path_factory.mktemp("mlp-uart"), progress=lambda *_: None,
    )  # fmt: skip
    x, y = mnist("test")
    quant = parse_module(build.path / "snn.quant.mlir")
    return build, load_driver(build.path), quant, x, y


def play(build, driver, commands, images, **kwargs):
    result = run_uart_rtl(build.path, commands, timeout_cycles=TIMEOUT, **kwargs)
    assert not result["timeout"]
    decoder = driver.FrameDecoder()
    frames = decoder.feed(result["bytes"])
    assert decoder.dropped == 0  # the device sends only well-formed frames
    return driver.collect(frames, images), frames, result


def test_uart_build_files_and_constants(mlp):
    build, driver, _, _, _ = mlp
    shell = build.manifest["shell"]
    assert shell["kind"] == "uart" and shell["top"] == build.manifest["top"] + "_uart"
    assert (shell["baud"], shell["clks_per_bit"]) == (115_200, 217)
    wrapper = (build.path / "rtl" / f"{shell['top']}.sv").read_text()
    assert ".MAGIC0(8'hE3), .MAGIC1(8'h4E)" in wrapper and "parameter int CLKS_PER_BIT = 217" in wrapper
    assert driver.CONSTANTS["baud"] == 115_200 and driver.CONSTANTS["timeout_cycles"] == 250_000


@needs_verilator
def test_mlp_through_the_framed_protocol_is_bit_exact(mlp):
    build, driver, quant, x, y = mlp
    x, y = x[:20], y[:20]
    commands = [("I", f) for f in driver.image_frames(x)] + [("W", None), ("B", driver.read_frame("IMAGES"))]
    out, frames, _ = play(build, driver, commands, 20, gaps=20, seed=3)
    golden = run_golden(quant, x)
    np.testing.assert_array_equal(out["logits"], golden)
    np.testing.assert_array_equal(out["classes"], np.argmax(golden, axis=1))
    assert out["errors"] == [] and out["results"] == 20 and (out["classes"] == y).mean() > 0.85
    assert out["registers"] == {IMAGES_REGISTER: 20}
    assert [f.kind for f in frames] == [PROTOCOL["T_RESULT"]] * 20 + [PROTOCOL["T_REGISTER"]]


def corrupt(case: str, frames: list[bytes]) -> tuple[list, str, bool]:
    """Commands for images 0-2 with image 1's frame (or the gap before it) broken; the expected
    error cause, and whether it is an in-order result (True) or an ERROR frame (False)."""
    f0, f1, f2 = frames
    length = len(f1) - 6
    if case == "garbage":  # bytes between frames (with a lone magic byte among them)
        return [("I", f0), ("B", b"\x00\x17\xe3\x99\xff"), ("I", f1), ("I", f2)], "magic", False
    if case == "checksum":  # the held last beat is dropped: beat DEPTH without TLAST, then a TLAST beat
        return [("I", f0), ("I", f1[:-1] + bytes([f1[-1] ^ 0x5A])), ("I", f2)], "checksum", True
    if case == "short":  # the frame stops half way: the line goes quiet, an early TLAST
        return [("I", f0), ("I", f1[: 5 + length // 2]), ("P", 3 * TIMEOUT), ("I", f2)], "timeout", True
    if case == "short_last_beat":  # only the last beat missing
        cut = 5 + length - 2  # 2 bytes of the last beat and the checksum missing
        return [("I", f0), ("I", f1[:cut]), ("P", 3 * TIMEOUT), ("I", f2)], "timeout", True
    if case == "short_header":
        return [("I", f0), ("B", f1[:3]), ("P", 3 * TIMEOUT), ("I", f1), ("I", f2)], "timeout", False
    if case == "length":  # an IMAGE header with the wrong length: its payload is skipped
        bad = frame(PROTOCOL["T_IMAGE"], f1[5:-2])
        return [("I", f0), ("B", bad), ("I", f1), ("I", f2)], "length", False
    assert case == "type"
    bad = frame(0x55, b"\x01\x02\x03")
    return [("I", f0), ("B", bad), ("I", f1), ("I", f2)], "type", False


@needs_verilator
@pytest.mark.parametrize("case", ["garbage", "checksum", "short", "short_last_beat", "short_header", "length", "type"])
def test_malformed_frames_give_an_error_and_the_next_image_is_right(mlp, case):
    build, driver, quant, x, _ = mlp
    x = x[30:33]
    golden = run_golden(quant, x)
    commands, cause, in_order = corrupt(case, driver.image_frames(x))
    out, _, _ = play(build, driver, commands, 3, gaps=10, seed=5)
    errors = out["errors"]
    assert out["results"] == 3
    if in_order:  # image 1's answer is an error result, in its place; 0 and 2 right
        assert errors == [(1, cause)]
        assert out["classes"][1] == -1 and out["logits"][1].tolist() == [0] * 10
        np.testing.assert_array_equal(out["logits"][[0, 2]], golden[[0, 2]])
        np.testing.assert_array_equal(out["classes"][[0, 2]], np.argmax(golden[[0, 2]], axis=1))
    else:  # one ERROR frame out of band; the three images all right
        assert errors == [(None, cause)]
        np.testing.assert_array_equal(out["logits"], golden)
        np.testing.assert_array_equal(out["classes"], np.argmax(golden, axis=1))


@needs_verilator
def test_soft_reset_by_a_write_frame_is_acknowledged(mlp):
    build, driver, quant, x, _ = mlp
    x = x[40:42]
    reset = driver.write_frame("CTRL", driver.CTRL_RUN | driver.CTRL_SOFT_RESET)
    commands = [("I", driver.image_frames(x[:1])[0]), ("W", None), ("B", reset), ("P", 200),
                ("I", driver.image_frames(x[1:])[0]), ("W", None), ("B", driver.read_frame("IMAGES"))]  # fmt: skip
    out, _, _ = play(build, driver, commands, 2)
    np.testing.assert_array_equal(out["logits"], run_golden(quant, x))
    assert out["registers"] == {0x00: 3, IMAGES_REGISTER: 2}  # the WRITE's echo, then the counter (not reset)


class ReplayedPort:
    """A serial port whose device answers are bytes the simulated shell sent (pyserial's API subset)."""

    def __init__(self, answers: bytes):
        self.answers, self.written = bytearray(answers), bytearray()

    def write(self, data):
        self.written += data

    @property
    def in_waiting(self):
        return min(len(self.answers), 7)  # answers arrive in small pieces

    def read(self, n):
        data = bytes(self.answers[:n])
        del self.answers[:n]
        return data

    def reset_input_buffer(self):
        pass

    def close(self):
        pass


@needs_verilator
def test_serial_host_path_reads_the_simulated_device(mlp, monkeypatch):
    """UartAccelerator (reset, build check, two images in flight) on the bytes the RTL answered
    to the same frames: the serial path writes exactly those frames and decodes bit-exact logits."""
    build, driver, quant, x, _ = mlp
    x = x[70:75]
    sent = [driver.write_frame("CTRL", driver.CTRL_RUN | driver.CTRL_SOFT_RESET), driver.read_frame("BUILD_ID")]
    frames = driver.image_frames(x)
    result = run_uart_rtl(build.path, [("B", sent[0]), ("W", None), ("B", sent[1]), ("P", 400)] + [("I", f) for f in frames])
    port = ReplayedPort(result["bytes"])
    serial = pytest.importorskip("serial")
    monkeypatch.setattr(serial, "Serial", lambda *args, **kwargs: port)
    with driver.UartAccelerator("/dev/null") as board:
        board.reset()
        board.check_build()
        logits, _ = board.infer(x)
    np.testing.assert_array_equal(logits, run_golden(quant, x))
    assert bytes(port.written) == b"".join(sent + frames)


@needs_verilator
def test_e3ne_run_on_the_simulated_port(mlp, tmp_path, capsys):
    import json

    from e3ne.cli import main

    build, _, quant, x, y = mlp
    np.savez(tmp_path / "test.npz", x=x[:6], y=y[:6])
    accuracy = float((np.argmax(run_golden(quant, x[:6]), axis=1) == np.asarray(y[:6])).mean())
    assert main(["-q", "run", str(build.path), "--port", "sim", "--data", str(tmp_path / "test.npz"), "--check"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 6 and result["mismatches"] == 0 and result["accuracy"] == pytest.approx(accuracy, abs=1e-4)


def test_e3ne_run_refuses_a_build_without_the_uart_shell(tiny_build, capsys):
    from e3ne.cli import main

    root, build = tiny_build
    assert main(["run", str(build), "--port", "sim", "--data", str(root / "data.npz")]) == 1
    assert "e3ne run needs a build compiled with --shell uart" in capsys.readouterr().err


@needs_verilator
def test_tiny_mlp_through_the_uart_is_bit_exact(tmp_path):
    """Another shape: 40 features in one 40-bit word (8-byte beats), 4 beats an image, 3 logits."""
    torch = pytest.importorskip("torch")
    namespace: dict = {}
    exec(MLP, namespace)
    torch.manual_seed(0)
    (tmp_path / "mlp.py").write_text(MLP)
    torch.save(namespace["TinyMLP"]().state_dict(), tmp_path / "mlp.pt")
    rng = np.random.default_rng(4)
    build = e3ne.compile(
        f"{tmp_path / 'mlp.py'}:TinyMLP", weights=str(tmp_path / "mlp.pt"), input_shape=(1, 5, 8),
        calibration=rng.random((32, 1, 5, 8), dtype=np.float32), output=tmp_path / "build", progress=lambda *_: None,
        options=CompileOptions(shell="uart", parallelism="P=4,fc3.Q=2", baud=3_000_000, uart_clock_mhz=48),
    )  # fmt: skip
    driver = load_driver(build.path)
    assert (driver.CONSTANTS["clks_per_bit"], driver.CONSTANTS["baud_error"]) == (16, 0.0)
    x = rng.random((12, 1, 5, 8), dtype=np.float32)
    frames = driver.image_frames(x)
    commands = [("I", f) for f in frames[:6]] + [("B", b"\x4e\x4e\xe3")] + [("I", f) for f in frames[6:]]
    out, _, _ = play(build, driver, commands, 12, gaps=30, seed=9)
    golden = run_golden(parse_module(build.path / "snn.quant.mlir"), x)
    np.testing.assert_array_equal(out["logits"], golden)
    assert out["errors"] == [(None, "magic")]


def test_ulx3s_board_top_puts_the_uart_on_the_ftdi_pins(tmp_path):
    from e3ne.backend.board_top import write_uart_board_top
    from e3ne.backend.boards import get_board

    top, lpf = write_uart_board_top(tmp_path, "net_uart", get_board("ulx3s-85f"), 217, 250_000, pll=False)
    constraints, verilog = (tmp_path / lpf).read_text(), (tmp_path / top).read_text()
    # emard/ulx3s doc/constraints/ulx3s_v20.lpf: ftdi_txd M1 (FPGA receives), ftdi_rxd L4 (FPGA transmits)
    for line in ('LOCATE COMP "clk_25mhz" SITE "G2";', 'FREQUENCY PORT "clk_25mhz" 25 MHZ;',
                 'LOCATE COMP "ftdi_txd" SITE "M1";', 'LOCATE COMP "ftdi_rxd" SITE "L4";'):  # fmt: skip
        assert line in constraints
    assert "net_uart #(.CLKS_PER_BIT(217), .TIMEOUT_CYCLES(250000))" in verilog
    assert ".uart_rx(ftdi_txd), .uart_tx(ftdi_rxd)" in verilog and "wire clk = clk_25mhz;" in verilog
    with pytest.raises(E3NEError, match="no known serial pins"):
        write_uart_board_top(tmp_path, "net_uart", get_board("lfe5u-85f"), 217, 250_000, pll=False)


@needs_verilator
def test_a_third_image_in_flight_is_an_overrun_and_the_rest_recovers(tmp_path):
    """A slow small MLP (P=1: compute longer than two frames on the wire) with three images in flight:
    the third finds the shell full (one computing, one staged) and is dropped with ERROR overrun;
    the others are right."""
    torch = pytest.importorskip("torch")
    model = MLP.replace("Linear(40, 10), nn.ReLU(), nn.Linear(10, 6)", "Linear(40, 32), nn.ReLU(), nn.Linear(32, 6)")
    namespace: dict = {}
    exec(model, namespace)
    torch.manual_seed(1)
    (tmp_path / "mlp.py").write_text(model)
    torch.save(namespace["TinyMLP"]().state_dict(), tmp_path / "mlp.pt")
    rng = np.random.default_rng(5)
    build = e3ne.compile(
        f"{tmp_path / 'mlp.py'}:TinyMLP", weights=str(tmp_path / "mlp.pt"), input_shape=(1, 5, 8),
        calibration=rng.random((32, 1, 5, 8), dtype=np.float32), output=tmp_path / "build", progress=lambda *_: None,
        options=CompileOptions(shell="uart", parallelism="P=1"),
    )  # fmt: skip
    driver = load_driver(build.path)
    frame_cycles = 10 * 4 * (6 + driver.CONSTANTS["depth"] * driver.CONSTANTS["input_bytes"])
    assert driver.CONSTANTS["cycles_expected"] > 3 * frame_cycles  # the premise: compute outlasts the frames
    x = rng.random((4, 1, 5, 8), dtype=np.float32)
    frames_out = driver.image_frames(x)
    pause = ("P", 3 * driver.CONSTANTS["cycles_expected"])  # then a fourth image, once the shell is empty
    result = run_uart_rtl(build.path, [("I", f) for f in frames_out[:3]] + [pause, ("I", frames_out[3])], window=3,
                          timeout_cycles=TIMEOUT)  # fmt: skip
    out = driver.collect(driver.FrameDecoder().feed(result["bytes"]), 3)
    golden = run_golden(parse_module(build.path / "snn.quant.mlir"), x)
    assert out["errors"] == [(None, "overrun")] and out["results"] == 3  # images 0, 1 and 3 (the tb never gets a 4th)
    np.testing.assert_array_equal(out["logits"], golden[[0, 1, 3]])
