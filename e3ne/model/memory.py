"""The external weight memory and the timing of a unit that streams its weights from it
(docs/interface.md "Off-chip weights").

Memory model: an AXI4 read port `axi_data_width` bits wide with 32-bit addresses; arready
is always high, the first R beat of a burst arrives `memory_latency` cycles after its AR
handshake, then one beat a cycle. A ROM word takes `beats_per_word` whole beats in the
weight image; each off-chip ROM starts on a 4 KiB page (`OFFCHIP_ALIGNMENT`).

A streaming unit has a two-bank weight buffer of `group_words` words; group g+1 is
fetched into one bank while group g computes from the other (`offchip_issue_cycles`),
and the weights cross the bus once per image (`Streaming`).
"""

from __future__ import annotations

from dataclasses import dataclass

from e3ne.errors import E3NEError
from e3ne.model.arith import ceil_div

DEFAULT_AXI_DATA_WIDTH = 128
DEFAULT_MEMORY_LATENCY = 16
AXI_DATA_WIDTHS = (32, 64, 128, 256, 512, 1024)  # powers of two
AXI_ADDRESS_BITS = 32
OFFCHIP_ALIGNMENT = 4096  # an off-chip ROM's image starts on a 4 KiB page (AXI bursts never cross one)


@dataclass(frozen=True)
class MemoryModel:
    """The external weight memory: AXI data width (bits) and read latency (cycles)."""

    axi_data_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY


def check_memory_model(axi_data_width: int, memory_latency: int) -> None:
    if axi_data_width not in AXI_DATA_WIDTHS:
        raise E3NEError(f"AXI data width {axi_data_width} must be a power of two in [32, 1024]")
    if memory_latency < 1:
        raise E3NEError(f"memory latency {memory_latency} must be at least 1 cycle")


def beats_per_word(word_width: int, axi_data_width: int) -> int:
    """AXI beats one weight word occupies in the image (padded to whole beats)."""
    return ceil_div(word_width, axi_data_width)


def image_bytes(depth: int, word_width: int, axi_data_width: int) -> int:
    """Bytes a ROM of `depth` words occupies in the weight image: whole AXI beats a word."""
    return depth * beats_per_word(word_width, axi_data_width) * axi_data_width // 8


def aligned(size: int) -> int:
    """`size` bytes rounded up to whole 4 KiB pages (the next ROM's base address)."""
    return ceil_div(size, OFFCHIP_ALIGNMENT) * OFFCHIP_ALIGNMENT


def fetch_cycles(group_words: int, word_width: int, axi_data_width: int, memory_latency: int) -> int:
    """Cycles to fetch one group of weight words into a bank of the off-chip weight buffer.

    The buffer issues a group's bursts on consecutive cycles, so its beats arrive back to
    back: from the cycle the buffer decides to fetch (its AR goes out the next cycle) to
    the edge that writes the last beat is `memory_latency + beats`, whatever the burst split.
    """
    return memory_latency + group_words * beats_per_word(word_width, axi_data_width)


def offchip_issue_cycles(groups: int, group_cycles: int, fetch: int) -> int:
    """Issue cycles of a stage whose weights stream through the double buffer: `groups`
    groups of `group_cycles` issue cycles each, one group fetched at a time (`fetch`
    cycles each, `fetch_cycles`) into the bank freed when the group two before is consumed.

    Edge numbers, the stage starting in cycle 0: fetch g decided at edge X_g, last beat
    written at F_g = X_g + fetch; X_0 = 0, X_g = max(F_{g-1}, C_{g-2}); group g issues from
    I_g = max(F_g, C_{g-1}) + 1 (its bank's `ready` registers) to C_g = I_g + group_cycles - 1.
    Returns C_{G-1} + 1 (= groups * group_cycles + the stall cycles).

    Closed form of that recurrence (by induction on g): with fetch <= group_cycles every
    later fetch hides behind the previous group and C_g = fetch + (g+1)*group_cycles; with
    fetch > group_cycles the bus is the bottleneck and C_g = (g+1)*fetch + group_cycles.
    test_memory.py checks it against the recurrence itself.
    """
    return max(fetch + groups * group_cycles, groups * fetch + group_cycles) + 1


@dataclass(frozen=True)
class Streaming:
    """The timing of one unit whose weights stream from external memory."""

    groups: int
    group_words: int
    word_width: int
    compute_cycles: int  # one group's issue cycles
    overhead_cycles: int  # pipeline + last drain
    axi_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY

    @property
    def beats_per_word(self) -> int:
        return beats_per_word(self.word_width, self.axi_width)

    @property
    def group_bytes(self) -> int:
        return self.group_words * self.beats_per_word * self.axi_width // 8

    @property
    def fetch_cycles(self) -> int:
        return fetch_cycles(self.group_words, self.word_width, self.axi_width, self.memory_latency)

    @property
    def issue_cycles(self) -> int:
        return offchip_issue_cycles(self.groups, self.compute_cycles, self.fetch_cycles)

    @property
    def cycles(self) -> int:
        return self.issue_cycles + self.overhead_cycles

    @property
    def onchip_cycles(self) -> int:
        return self.groups * self.compute_cycles + self.overhead_cycles

    @property
    def stall_cycles(self) -> int:
        """Cycles beyond the on-chip unit's: the first group's fill and bandwidth stalls."""
        return self.cycles - self.onchip_cycles

    @property
    def hides_bandwidth(self) -> bool:
        """Every later group's fetch fits behind the previous group's compute."""
        return self.groups == 1 or self.fetch_cycles <= self.compute_cycles

    @property
    def bytes_per_image(self) -> int:
        return self.groups * self.group_bytes

    def bandwidth_needed(self, clock_mhz: float) -> float:
        """Bytes/s the unit reads while it computes without stalling (one group per compute)."""
        return self.group_bytes / max(1, self.compute_cycles) * clock_mhz * 1e6

    def as_dict(self, clock_mhz: float) -> dict:
        return {
            "groups": self.groups,
            "group_words": self.group_words,
            "word_width": self.word_width,
            "beats_per_word": self.beats_per_word,
            "compute_cycles_per_group": self.compute_cycles,
            "fetch_cycles_per_group": self.fetch_cycles,
            "stall_cycles": self.stall_cycles,
            "hides_bandwidth": self.hides_bandwidth,
            "bytes_per_image": self.bytes_per_image,
            "bandwidth_needed_gbps": round(self.bandwidth_needed(clock_mhz) / 1e9, 3),
        }
