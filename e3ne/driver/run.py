"""`e3ne run BUILD --port PORT --data test.npz`: a UART-shell build on a board (or in simulation).

    e3ne run build/mlp --port /dev/ttyUSB0 --data test.npz [--baud 115200] [--check] [--limit N]
    e3ne run build/mlp --port sim --data test.npz --limit 20 --check    # the RTL in Verilator

The host side is BUILD/driver (numpy, pyserial; no e3ne): its `image_frames` encode the images
with the build's input scale and frame them; its `FrameDecoder` and `collect` read the answers.
On a port, `UartAccelerator` resets the shell, checks the build ID and keeps two images in
flight. With `sim` the same frames go into rtl/tb_uart.sv (the same two-image window, at a few
clocks per bit) and the same decoder reads what `uart_tx` sent. `check` compares every logit with
the golden model.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from e3ne.driver.progress import Progress, Say, progress_of
from e3ne.errors import E3NEError


def run_images(
    build: Path,
    data,
    port: str,
    baud: int | None = None,
    check: bool = False,
    limit: int | None = None,
    progress: Progress | Say | None = None,
) -> dict:
    """Send `data`'s images (an .npz path, an (x, y) pair or x) to the build's UART shell on
    `port` (or `sim`); returns accuracy, images/s, and with `check` the golden-model mismatches."""
    from e3ne.backend.shell import load_driver
    from e3ne.driver.inputs import images

    build = Path(build)
    manifest_path = build / "hardware.json"
    import json

    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    if manifest.get("shell", {}).get("kind") != "uart":
        raise E3NEError("e3ne run needs a build compiled with --shell uart", location=str(build))
    if limit is not None and limit < 1:
        raise E3NEError(f"--limit must be >= 1, got {limit}")
    steps = progress_of(progress, 1 + check)
    x, y = images(data, role="test", say=steps.say)
    x, y = x[:limit], (None if y is None else np.asarray(y)[:limit])
    driver = load_driver(build)
    constants = driver.CONSTANTS
    result: dict = {"images": len(x), "port": port}
    if port == "sim":
        from e3ne.backend.shell_uart_testbench import SIM_CLKS_PER_BIT, run_uart_rtl

        steps.step(f"{len(x)} images through rtl/tb_uart.sv (Verilator, {SIM_CLKS_PER_BIT} clocks per bit)")
        frames = driver.image_frames(x)
        started = time.perf_counter()
        rtl = run_uart_rtl(build, [("I", f) for f in frames] + [("W", None)])
        if rtl["timeout"]:
            raise E3NEError("the simulated UART shell stopped answering", location=str(build / "sim"))
        out = driver.collect(driver.FrameDecoder().feed(rtl["bytes"]), len(x))
        result["seconds"] = round(time.perf_counter() - started, 2)
        result["simulated_cycles"] = rtl["cycles"]
        result["simulated_cycles_per_image"] = round(rtl["cycles"] / len(x), 1)
        if out["errors"]:
            raise E3NEError(f"the shell reported errors: {out['errors'][:3]}", location=str(build / "sim"))
        logits, classes = out["logits"], out["classes"]
        steps.done(f"{len(x)} answers, {result['simulated_cycles_per_image']:.0f} simulated cycles per image")
    else:
        steps.step(f"{len(x)} images over {port} at {baud or constants['baud']} baud")
        try:
            board = driver.UartAccelerator(port, baud or constants["baud"])
        except ImportError:
            raise E3NEError("e3ne run --port needs pyserial", hint="pip install 'e3ne[uart]' (or pip install pyserial)") from None
        except OSError as error:  # serial.SerialException (an OSError): no such port, permission
            raise E3NEError(f"cannot open {port}: {error}") from None
        with board:
            try:
                board.reset()
                board.check_build()
                started = time.perf_counter()
                logits, classes = board.infer(x)
                seconds = time.perf_counter() - started
            except (TimeoutError, RuntimeError) as error:
                raise E3NEError(f"{port}: {error}", hint="is the bitstream of this build loaded, at this baud?") from None
        result["seconds"] = round(seconds, 3)
        result["images_per_s"] = round(len(x) / seconds, 1)
        steps.done(f"{result['images_per_s']:g} images/s")
    result["baud"] = baud or constants["baud"]
    result["model_images_per_s"] = round(model_rate(constants, baud), 1)
    if y is not None:
        result["accuracy"] = round(float((classes == y).mean()), 4)
    if check:
        from e3ne.interpreters.golden import run_golden
        from e3ne.ir import parse_module

        steps.step("golden model")
        golden = run_golden(parse_module(build / "snn.quant.mlir"), x)
        bad = np.flatnonzero((logits != golden).any(axis=1))
        result["mismatches"] = len(bad)
        result["first_mismatch"] = int(bad[0]) if len(bad) else None
        steps.done("every logit equal" if not len(bad) else f"{len(bad)} images differ from the golden model")
    return result


def model_rate(constants: dict, baud: int | None = None) -> float:
    """Images/s the link allows with two images in flight: 1 / max(image frame on the wire,
    compute + result frame) at the build's clock and baud (10 bits a byte, no gaps)."""
    baud = baud or constants["baud"]
    frame_bits = 10 * (6 + constants["depth"] * constants["input_bytes"])
    result_bits = 10 * (6 + 4 * (constants["classes"] + 1))
    compute = constants["cycles_expected"] / (constants["clock_mhz"] * 1e6)
    return 1.0 / max(frame_bits / baud, compute + result_bits / baud)
