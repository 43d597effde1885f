"""The weight image: the contents of external memory for the off-chip ROMs (BUILD/rtl/weights.hex).

Layout (docs/interface.md "Off-chip weights"): byte address 0 is the image's first byte;
ROM r starts at its `base_address` (4 KiB aligned, ROMs in layer order, zero gaps); its
word i occupies beats_per_word = ceil(word_width / axi_data_width) whole AXI beats from
`base_address + i * beats_per_word * axi_data_width/8`, lane 0 in the lowest bits, the
word's low bits in its first beat, the padding bits zero. The file holds one beat a line
(lowest address first) as hex, most significant digit first: `$readmemh` order.

Packing is vectorised (numpy bit planes of a slice of words at a time), so AlexNet's
21 M weights are written in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from e3ne.backend.verilog import chunk_rows, lane_bits
from e3ne.dense import dense_to_numpy
from e3ne.dialects import snnhw
from e3ne.model.memory import AXI_ADDRESS_BITS, beats_per_word, fetch_cycles


def rom_beats(data: np.ndarray, element_bits: int, axi_data_width: int) -> np.ndarray:
    """(depth, lanes) signed weights -> (depth * beats_per_word, axi_data_width/8) uint8 beats,
    each beat little-endian (byte 0 = bits 0..7)."""
    depth, lanes = data.shape
    word_bits = lanes * element_bits
    per_word = beats_per_word(word_bits, axi_data_width)
    padded_bits = per_word * axi_data_width
    bits = lane_bits(data, element_bits)
    if padded_bits > word_bits:
        bits = np.concatenate([bits, np.zeros((depth, padded_bits - word_bits), dtype=np.uint8)], axis=1)
    packed = np.packbits(bits, axis=1, bitorder="little")  # (depth, per_word * beat bytes)
    return packed.reshape(depth * per_word, axi_data_width // 8)


def hex_lines(beats: np.ndarray) -> bytes:
    """(n, beat bytes) little-endian beats -> n hex lines, most significant digit first."""
    if beats.shape[0] == 0:
        return b""
    text = beats[:, ::-1].tobytes().hex().encode()
    digits = np.frombuffer(text, dtype=np.uint8).reshape(beats.shape[0], 2 * beats.shape[1])
    newline = np.full((beats.shape[0], 1), ord("\n"), dtype=np.uint8)
    return np.concatenate([digits, newline], axis=1).tobytes()


def image_layout(accelerator: snnhw.AcceleratorOp) -> dict:
    """The manifest's "axi" section: memory model, image size and each off-chip layer's place."""
    axi, latency = accelerator.memory_model()
    beat_bytes = axi // 8
    layers = []
    end = 0
    stages = [s for s in accelerator.stages() if s.HAS_WEIGHTS]
    for stage in stages:
        rom = stage.weight_rom()
        if not rom.is_offchip():
            continue
        word_width = rom.word_width.value.data
        base = rom.base_address.value.data
        size = rom.image_bytes(axi)
        end = max(end, base + size)
        layers.append(
            {
                "name": stage.symbol,
                "rom": rom.symbol,
                "base_address": base,
                "bytes": size,
                "words": rom.depth.value.data,
                "word_width": word_width,
                "beats_per_word": beats_per_word(word_width, axi),
                "group_words": stage.group_words(),
                "groups": stage.groups(),
                "fetch_cycles": fetch_cycles(stage.group_words(), word_width, axi, latency),
                "stall_cycles": stage.stall_cycles(),
            }
        )
    return {
        "data_width": axi,
        "address_width": AXI_ADDRESS_BITS,
        "memory_latency": latency,
        "image": "rtl/weights.hex",
        "bytes": end,
        "beats": end // beat_bytes,
        "layers": layers,
    }


def write_weight_image(accelerator: snnhw.AcceleratorOp, path: Path) -> dict:
    """Writes the image of every off-chip ROM to `path`; returns `image_layout`."""
    layout = image_layout(accelerator)
    axi = layout["data_width"]
    beat_bytes = axi // 8
    roms = {op.symbol: op for op in accelerator.offchip_roms()}
    written = 0  # bytes so far
    with open(path, "wb") as handle:
        for layer in sorted(layout["layers"], key=lambda entry: entry["base_address"]):
            rom = roms[layer["rom"]]
            gap = layer["base_address"] - written
            handle.write(hex_lines(np.zeros((gap // beat_bytes, beat_bytes), dtype=np.uint8)))
            data = dense_to_numpy(rom.data)
            bits = rom.element_bits()
            words_per_slice = chunk_rows(data.shape[1] * bits)
            for first in range(0, data.shape[0], words_per_slice):
                handle.write(hex_lines(rom_beats(data[first : first + words_per_slice], bits, axi)))
            written = layer["base_address"] + layer["bytes"]
    return layout
