"""Host side of an e3ne accelerator behind the UART shell (copied verbatim into BUILD/driver/).

Needs numpy (and pyserial for `UartAccelerator`); no e3ne import. `PROTOCOL` is the one table of
the protocol's constants: e3ne passes it to the RTL (rtl/e3ne_shell_uart.sv parameters).

    from driver import UartAccelerator
    with UartAccelerator("/dev/ttyUSB0") as board:      # baud from constants.json
        logits, classes = board.infer(images)           # float images (N, C, H, W) or a0 integers

Frames (both directions, docs/interface.md "UART shell"):
    MAGIC0 MAGIC1 TYPE LEN_LO LEN_HI PAYLOAD[LEN] CRC      CRC-8 (poly 0x07, init 0) over TYPE..PAYLOAD
  host -> device  IMAGE    the AXI shell's image beats (`pack_images`): depth x input_bytes bytes
                  READ     1 byte: register offset (the AXI shell's REGISTERS)
                  WRITE    5 bytes: offset, 32-bit value little-endian
  device -> host  RESULT   (classes + 1) little-endian 32-bit words: the logits, then the status word
                           (bits 15:0 class; bit 31 the image frame went wrong after its header,
                           bits 23:16 its cause; its logits are then zero). One per IMAGE frame whose
                           header was accepted, in order.
                  REGISTER 5 bytes: offset, value (the reply to READ and to WRITE)
                  ERROR    1 byte: cause (bytes outside a frame, bad type/length, a short frame,
                           an overrun: a frame outside the image order)
At most two IMAGE frames may be unanswered (one computing, one in the staging buffer).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .e3ne_axi import (
    BAD_FRAME,
    CTRL_RUN,
    CTRL_SOFT_RESET,
    REGISTERS,
    _constants,
    pack_images,
)

PROTOCOL = {
    "MAGIC0": 0xE3,
    "MAGIC1": 0x4E,
    "T_IMAGE": 0x01,
    "T_READ": 0x02,
    "T_WRITE": 0x03,
    "T_RESULT": 0x81,
    "T_REGISTER": 0x82,
    "T_ERROR": 0x8F,
    "E_MAGIC": 1,  # bytes outside a frame (one error per run of them)
    "E_TYPE": 2,  # unknown frame type
    "E_LENGTH": 3,  # length not the one of the type
    "E_CHECKSUM": 4,
    "E_TIMEOUT": 5,  # the line went quiet inside a frame (a short frame)
    "E_OVERRUN": 6,  # an image frame with no room in the shell (more than two unanswered)
}
CAUSES = {PROTOCOL[k]: k[2:].lower() for k in PROTOCOL if k.startswith("E_")}
HEADER = 5  # magic, type, length
WINDOW = 2  # image frames in flight


def crc8(data: bytes, crc: int = 0) -> int:
    """CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial value 0, MSB first."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def frame(kind: int, payload: bytes = b"") -> bytes:
    body = bytes([kind, len(payload) & 0xFF, len(payload) >> 8]) + bytes(payload)
    return bytes([PROTOCOL["MAGIC0"], PROTOCOL["MAGIC1"]]) + body + bytes([crc8(body)])


def image_frames(images, constants: dict | None = None) -> list[bytes]:
    """One IMAGE frame per image (float images are encoded with the build's input scale)."""
    packed = pack_images(images, _constants(constants))
    return [frame(PROTOCOL["T_IMAGE"], image.tobytes()) for image in packed]


def read_frame(name: str) -> bytes:
    return frame(PROTOCOL["T_READ"], bytes([REGISTERS[name]]))


def write_frame(name: str, value: int) -> bytes:
    return frame(PROTOCOL["T_WRITE"], bytes([REGISTERS[name]]) + int(value).to_bytes(4, "little"))


@dataclass
class Frame:
    kind: int
    payload: bytes


class FrameDecoder:
    """Device bytes -> frames. Bytes outside a frame and frames with a bad checksum are counted
    in `dropped` (the decoder hunts for the next magic)."""

    def __init__(self):
        self.buffer = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[Frame]:
        self.buffer += data
        frames = []
        while True:
            start = self._magic()
            if start < 0 or len(self.buffer) < HEADER:
                return frames
            length = self.buffer[3] | self.buffer[4] << 8
            if len(self.buffer) < HEADER + length + 1:
                return frames
            body = bytes(self.buffer[2 : HEADER + length])
            if crc8(body) == self.buffer[HEADER + length]:
                frames.append(Frame(body[0], body[3:]))
                del self.buffer[: HEADER + length + 1]
            else:
                self.dropped += 1
                del self.buffer[:1]

    def _magic(self) -> int:
        """Drop bytes up to the next MAGIC0 MAGIC1 (or a trailing MAGIC0); -1 when none."""
        magic = bytes([PROTOCOL["MAGIC0"], PROTOCOL["MAGIC1"]])
        at = self.buffer.find(magic)
        if at < 0:
            keep = 1 if self.buffer[-1:] == magic[:1] else 0
            self.dropped += len(self.buffer) - keep
            del self.buffer[: len(self.buffer) - keep]
            return -1
        self.dropped += at
        del self.buffer[:at]
        return 0


def decode_result(payload: bytes, constants: dict | None = None) -> tuple[np.ndarray, int, str | None]:
    """A RESULT payload -> (logits int64 (classes,), class (-1 on error), error cause or None)."""
    c = _constants(constants)
    words = np.frombuffer(bytes(payload), dtype="<u4").astype(np.int64)
    if len(words) != c["classes"] + 1:
        raise ValueError(f"a result has {c['classes'] + 1} words, got {len(words)}")
    logits = np.where(words[:-1] >= 1 << 31, words[:-1] - (1 << 32), words[:-1])
    status = int(words[-1])
    if status & BAD_FRAME:
        return logits, -1, CAUSES.get((status >> 16) & 0xFF, f"cause {(status >> 16) & 0xFF}")
    return logits, status & 0xFFFF, None


def collect(frames: list[Frame], count: int, constants: dict | None = None) -> dict:
    """The device's frames of a run of `count` IMAGE frames -> logits (count, classes), classes
    (-1 where no good result came), errors [(image index or None, cause)], registers {offset: value}."""
    c = _constants(constants)
    logits = np.zeros((count, c["classes"]), dtype=np.int64)
    classes = np.full(count, -1, dtype=np.int64)
    errors, registers, index = [], {}, 0
    for f in frames:
        if f.kind == PROTOCOL["T_RESULT"]:
            if index < count:
                logits[index], classes[index], cause = decode_result(f.payload, c)
                if cause is not None:
                    errors.append((index, cause))
            index += 1
        elif f.kind == PROTOCOL["T_ERROR"]:
            errors.append((None, CAUSES.get(f.payload[0], f"cause {f.payload[0]}") if f.payload else "?"))
        elif f.kind == PROTOCOL["T_REGISTER"] and len(f.payload) == 5:
            registers[f.payload[0]] = int.from_bytes(f.payload[1:], "little")
    return {"logits": logits, "classes": classes, "errors": errors, "registers": registers, "results": index}


class UartAccelerator:
    """The accelerator behind the UART shell on a serial port (pyserial)."""

    def __init__(self, port: str, baud: int | None = None, constants: dict | None = None, timeout: float = 5.0):
        import serial  # pip install pyserial (e3ne's `uart` extra)

        self.constants = _constants(constants)
        self.timeout = timeout
        self.link = serial.Serial(port, baud or self.constants["baud"], timeout=0.01)
        self.decoder = FrameDecoder()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.link.close()

    def _frames(self, until: float) -> list[Frame]:
        data = self.link.read(max(1, self.link.in_waiting))
        if not data and time.monotonic() > until:
            raise TimeoutError(f"no answer from the device for {self.timeout:g} s")
        return self.decoder.feed(data)

    def _register_reply(self, offset: int) -> int:
        until = time.monotonic() + self.timeout
        while True:
            for f in self._frames(until):
                if f.kind == PROTOCOL["T_REGISTER"] and len(f.payload) == 5 and f.payload[0] == offset:
                    return int.from_bytes(f.payload[1:], "little")

    def read(self, name: str) -> int:
        self.link.write(read_frame(name))
        return self._register_reply(REGISTERS[name])

    def reset(self) -> None:
        """Soft reset of the shell and the core; frames still in flight before it are dropped."""
        self.link.reset_input_buffer()
        self.link.write(write_frame("CTRL", CTRL_RUN | CTRL_SOFT_RESET))
        self._register_reply(REGISTERS["CTRL"])

    def check_build(self) -> None:
        build_id = self.read("BUILD_ID")
        if build_id != self.constants["build_id"]:
            raise RuntimeError(f"the device's build ID {build_id:#010x} is not this driver's {self.constants['build_id']:#010x}")

    def infer(self, images, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray]:
        """Logits (N, classes) and classes (N,); at most `window` (<= 2) images unanswered.
        Raises RuntimeError when the device reports an error (after a reset)."""
        frames_out = image_frames(images, self.constants)
        received: list[Frame] = []
        results, sent = 0, 0
        until = time.monotonic() + self.timeout
        while results < len(frames_out):
            while sent < len(frames_out) and sent - results < min(window, WINDOW):
                self.link.write(frames_out[sent])
                sent += 1
            for f in self._frames(until):
                received.append(f)
                if f.kind == PROTOCOL["T_RESULT"]:
                    results += 1
                    until = time.monotonic() + self.timeout
                elif f.kind == PROTOCOL["T_ERROR"]:
                    self.reset()
                    raise RuntimeError(f"the device reported an error: {CAUSES.get(f.payload[0], f.payload[0])}")
        out = collect(received, len(frames_out), self.constants)
        if out["errors"]:
            raise RuntimeError(f"image {out['errors'][0][0]}: {out['errors'][0][1]}")
        return out["logits"], out["classes"]
