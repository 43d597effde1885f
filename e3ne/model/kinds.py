"""The enumerated choices of the hardware (stored as strings in the `snnhw` IR)."""

from __future__ import annotations

from enum import StrEnum


class RomKind(StrEnum):
    """Where a weight ROM lives: block RAM, LUT logic, or the external weight image."""

    BLOCK = "block"
    DISTRIBUTED = "distributed"
    OFFCHIP = "offchip"


class BufferRole(StrEnum):
    """Who writes an activation buffer: the host (`input`) or a unit (`hidden`)."""

    INPUT = "input"
    HIDDEN = "hidden"


class PoolMode(StrEnum):
    """How a pooling window combines its values (Numerics 7)."""

    MAX = "max"
    AVG = "avg"
