"""Host side of an e3ne accelerator behind the AXI shell (copied verbatim into BUILD/driver/).

Needs only numpy (and `pynq` for `Accelerator`); the build's numbers are in constants.json
next to this file (`CONSTANTS`). The same `pack_images` / `unpack_results` drive the
simulation tests (e3ne.backend.shell_sim) and the board.

    from driver import pack_images, unpack_results, REGISTERS
    beats = pack_images(x)                 # float images (N, C, H, W) or a0 integers (N, features)
    logits, classes = unpack_results(words)

Stream formats (docs/interface.md "AXI shell"):
  images  one beat per input-buffer word: `input_bytes` little-endian bytes, bit w of the word
          = spike of feature (word % words_per_step) * word_width + w at time step
          word // words_per_step (t = 0 is the most significant bit of a0); TLAST on the
          last of `depth` beats (one DMA transfer per image, or one per batch: the DMA sets
          TLAST only at the end of a transfer, so use one transfer per image).
  results per image `classes` 32-bit beats of sign-extended logits, then one status beat:
          bits 15:0 the predicted class (first index of the maximum), bit 31 = the input frame
          was malformed (its logits are zero; `unpack_results` gives class -1); TLAST on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

_HERE = Path(__file__).parent
CONSTANTS: dict | None = (
    json.loads((_HERE / "constants.json").read_text()) if (_HERE / "constants.json").is_file() else None
)

# AXI4-Lite register byte offsets
REGISTERS = {
    "CTRL": 0x00,  # bit 0 RUN (compute images as they arrive), bit 1 SOFT_RESET (self-clearing), bit 2 IRQ_ENABLE
    "STATUS": 0x04,  # bit 0 BUSY, bit 1 DONE (a result frame was sent; write 1 to clear), bit 2 ERROR
    "ERROR": 0x08,  # bit 0 TLAST early, bit 1 TLAST late/missing, bit 2 aborted by soft reset; write 1 to clear
    "IMAGES": 0x0C,  # images computed since reset
    "CYCLES": 0x10,  # cycles of the last image, start to done
    "BUILD_ID": 0x14,  # 32 bits of the build's hash (CONSTANTS["build_id"])
    "MAGIC": 0x18,  # 0x454E3345 ("E3NE" as little-endian bytes)
    "BAD_FRAMES": 0x1C,  # malformed input frames since reset
    "DEPTH": 0x20,  # input beats per image
    "WORD_WIDTH": 0x24,
    "TIME_STEPS": 0x28,
    "FEATURES": 0x2C,
    "CLASSES": 0x30,
    "LOGIT_WIDTH": 0x34,
    "CYCLES_EXPECTED": 0x38,
}
CTRL_RUN, CTRL_SOFT_RESET, CTRL_IRQ_ENABLE = 1, 2, 4
STATUS_BUSY, STATUS_DONE, STATUS_ERROR = 1, 2, 4
ERROR_TLAST_EARLY, ERROR_TLAST_LATE, ERROR_ABORTED = 1, 2, 4
MAGIC = 0x454E3345
BAD_FRAME = 1 << 31


def _constants(constants: dict | None) -> dict:
    if constants is None:
        if CONSTANTS is None:
            raise ValueError("no constants.json next to the driver: pass constants=")
        return CONSTANTS
    return constants


def encode(images, constants: dict | None = None) -> np.ndarray:
    """Float images -> a0 = clip(round_half_even(x * 2^scale), 0, 2^T - 1), (N, features) int64."""
    c = _constants(constants)
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return np.clip(np.rint(x * 2.0 ** c["input_scale"]), 0, (1 << c["time_steps"]) - 1).astype(np.int64)


def pack_images(images, constants: dict | None = None) -> np.ndarray:
    """Images -> the input stream: uint8 (N, depth, input_bytes), one row a beat.

    Float arrays are encoded with the build's input scale; integer arrays are taken as a0."""
    c = _constants(constants)
    images = np.asarray(images)
    n = len(images)
    a0 = encode(images, c) if images.dtype.kind == "f" else images.reshape(n, -1).astype(np.int64)
    if a0.shape[1] != c["features"]:
        raise ValueError(f"each image has {a0.shape[1]} values, the accelerator expects {c['features']}")
    if a0.size and (a0.min() < 0 or a0.max() >= 1 << c["time_steps"]):
        raise ValueError(f"a0 values must lie in [0, {(1 << c['time_steps']) - 1}]")
    t, wps, ww, nbytes = c["time_steps"], c["words_per_step"], c["word_width"], c["input_bytes"]
    padded = np.zeros((n, wps * ww), dtype=np.int64)
    padded[:, : a0.shape[1]] = a0
    shifts = np.arange(t - 1, -1, -1, dtype=np.int64)  # plane t holds bit T-1-t
    planes = (padded[:, None, :] >> shifts[None, :, None]) & 1  # (N, T, wps*ww)
    bits = np.zeros((n, t, wps, nbytes * 8), dtype=np.uint8)
    bits[..., :ww] = planes.reshape(n, t, wps, ww)
    return np.packbits(bits, axis=-1, bitorder="little").reshape(n, t * wps, nbytes)


def beat_values(packed: np.ndarray) -> list[int]:
    """The stream beats of `pack_images` as integers (TDATA values)."""
    flat = np.asarray(packed, dtype=np.uint8).reshape(-1, packed.shape[-1])
    return [int.from_bytes(row.tobytes(), "little") for row in flat]


def unpack_results(words, constants: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The result stream (32-bit words) -> logits int64 (N, classes), classes int64 (N,);
    a malformed input frame's class is -1."""
    c = _constants(constants)
    frame = c["classes"] + 1
    words = np.asarray(words, dtype=np.uint64).astype(np.int64) & 0xFFFFFFFF
    if words.size % frame:
        raise ValueError(f"{words.size} result words are not whole frames of {frame}")
    frames = words.reshape(-1, frame)
    logits = np.where(frames[:, :-1] >= 1 << 31, frames[:, :-1] - (1 << 32), frames[:, :-1])
    status = frames[:, -1]
    classes = np.where(status & BAD_FRAME, -1, status & 0xFFFF)
    return logits.astype(np.int64), classes.astype(np.int64)


class Accelerator:
    """The accelerator on a PYNQ board: `Accelerator("e3ne.bit").infer(images) -> logits, classes`.

    Expects the block design of BUILD/vivado (the shell IP `ip`, an AXI DMA `dma` whose MM2S
    feeds s_axis and whose S2MM takes m_axis). Polls STATUS (the interrupt line is wired for
    users of `pynq.Interrupt`)."""

    def __init__(self, bitfile: str, ip: str = "e3ne_0", dma: str = "axi_dma_0", constants: dict | None = None):
        from pynq import Overlay  # only on the board

        self.constants = _constants(constants)
        self.overlay = Overlay(bitfile)
        self.ip = getattr(self.overlay, ip)
        self.dma = getattr(self.overlay, dma)
        build_id = self.read("BUILD_ID")
        if build_id != self.constants["build_id"]:
            raise RuntimeError(f"the bitstream's build ID {build_id:#010x} is not this driver's {self.constants['build_id']:#010x}")
        self.write("CTRL", CTRL_SOFT_RESET)
        self.write("CTRL", CTRL_RUN)

    def read(self, name: str) -> int:
        return int(self.ip.read(REGISTERS[name]))

    def write(self, name: str, value: int) -> None:
        self.ip.write(REGISTERS[name], value)

    def infer(self, images) -> tuple[np.ndarray, np.ndarray]:
        from pynq import allocate

        packed = pack_images(images, self.constants)
        frame = self.constants["classes"] + 1
        source = allocate(shape=packed.shape[1:], dtype=np.uint8)
        sink = allocate(shape=(frame,), dtype=np.uint32)
        words = np.zeros((len(packed), frame), dtype=np.uint32)
        try:
            for i, image in enumerate(packed):  # one transfer per image: TLAST on its last beat
                source[:] = image
                source.flush()
                self.dma.recvchannel.transfer(sink)
                self.dma.sendchannel.transfer(source)
                self.dma.sendchannel.wait()
                self.dma.recvchannel.wait()
                sink.invalidate()
                words[i] = sink
        finally:
            source.freebuffer()
            sink.freebuffer()
        if self.read("STATUS") & STATUS_ERROR:
            raise RuntimeError(f"the shell reports a stream error (ERROR = {self.read('ERROR'):#x})")
        return unpack_results(words.ravel(), self.constants)
