"""Integer helpers shared by every formula of the hardware model."""

from __future__ import annotations


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def bits_for(count: int) -> int:
    """Address/counter width holding 0..count-1 (the same rule as hwbuilder.bits_for)."""
    return max(1, (count - 1).bit_length())
