"""The accelerator's schedule: the one definition of latency and initiation interval (II).

Each stage's `cycles` (`e3ne.model.units`) counts from its `start` to the cycle its
successor may start: its issue cycles, the pipeline and the drain of its last results,
including the one-cycle hand-off register between its `done` and the next `start`.

* `sequential` (the default): stage l+1 starts the cycle after stage l's done; one image at
  a time. latency = sum(stage cycles); the next image may start when the previous is done,
  so interval = latency.
* `dataflow` (layer-pipelined): every activation buffer between stages (and the input and
  output buffers) holds two images (ping-pong halves); each stage has a handshake and starts
  image n+1 the cycle after all of: it finished image n, its input half holds image n+1
  (the producer's done), and its output half is free (the consumer's done with image n-1).
  All stages work at once on successive images:

      interval = max(stage cycles)                      (the slowest stage, hand-off included)
      latency  = DATAFLOW_INPUT_HANDOFF + sum(stage cycles)

  `latency` counts from the host's `start` (image committed) to the first cycle the result
  is readable (`done`): one cycle more than sequential, the register that turns the host's
  commit into the first stage's start. In steady state each image completes `interval`
  cycles after the previous one (a chain with two-image buffers: the event graph's largest
  cycle mean is the slowest stage, (c_l + c_l+1)/2 <= max c for a producer/consumer pair),
  provided the host writes each image and reads each result within `interval` cycles
  (the generated testbench does: one word a cycle).

A stage whose time depended on the data (e.g. skipping zero chunks) would still be correct
under the handshake (each start waits for the real done); the interval would then be the
largest stage time of each image, not a constant. No unit does that yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from e3ne.model.arith import bits_for


class ScheduleKind(StrEnum):
    SEQUENTIAL = "sequential"
    DATAFLOW = "dataflow"


SCHEDULE_KINDS = tuple(kind.value for kind in ScheduleKind)
DATAFLOW_INPUT_HANDOFF = 1  # the host's start -> the first stage's start (a register)
DATAFLOW_COPIES = 2  # images each activation buffer holds in dataflow mode (ping-pong)


def schedule_kind(value: str | ScheduleKind | None) -> ScheduleKind:
    """`value` as a ScheduleKind (None = sequential); ValueError names the allowed values."""
    if value is None or value == "":
        return ScheduleKind.SEQUENTIAL
    try:
        return ScheduleKind(value)
    except ValueError:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULE_KINDS)}, got '{value}'") from None


def latency(stage_cycles: Sequence[int], kind: ScheduleKind | str = ScheduleKind.SEQUENTIAL) -> int:
    """Cycles from the host's start to the result of one image."""
    total = sum(int(c) for c in stage_cycles)
    return total + DATAFLOW_INPUT_HANDOFF if schedule_kind(kind) == ScheduleKind.DATAFLOW else total


def interval(stage_cycles: Sequence[int], kind: ScheduleKind | str = ScheduleKind.SEQUENTIAL) -> int:
    """Initiation interval: cycles between the completions of consecutive images streamed
    back to back (sequential: the whole latency; dataflow: the slowest stage)."""
    if schedule_kind(kind) == ScheduleKind.DATAFLOW:
        return max(int(c) for c in stage_cycles)
    return latency(stage_cycles, kind)


def bottleneck(stage_cycles: Sequence[int]) -> int:
    """Index of the slowest stage (the first one when several tie)."""
    counts = [int(c) for c in stage_cycles]
    return counts.index(max(counts))


def buffer_address_bits(depth: int, copies: int = 1) -> int:
    """Address bits of an activation buffer RAM: one image's, plus the half bit on top."""
    return bits_for(depth) + (copies > 1)


def buffer_words(depth: int, copies: int = 1) -> int:
    """Words of an activation buffer RAM holding `copies` images of `depth` words: the second
    half starts at 2^bits_for(depth) (its address is the half bit above the image's address)."""
    return depth if copies == 1 else (1 << bits_for(depth)) + depth


def images_per_second(interval_cycles: int, clock_mhz: float) -> float:
    return clock_mhz * 1e6 / interval_cycles if interval_cycles > 0 else 0.0
