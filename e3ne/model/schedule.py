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

A stage whose time depends on the data (zero skipping, `e3ne.model.skipping`) stays correct
under the handshake (each start waits for the real done); every image's completion then
follows the controller's recurrence, `dataflow_done_cycles`, and the static `interval` and
`latency` are the worst case.
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


def dataflow_done_cycles(stage_cycles, input_words: int, result_words: int) -> list[list[int]]:
    """The cycle of every stage's `done` for every image of a dataflow run whose stage times
    may differ per image (zero skipping), with the generated testbench as the host.

    `stage_cycles[k][n]`: stage k's cycles (start to the successor's start) on image n;
    `input_words`: the words the host writes per image (one a cycle); `result_words`: the
    words it reads per result (one a cycle). Cycle 0 is the first cycle the host sees
    `in_ready` after reset. Returns the rows done[k][n] of the K stages and, as row K, the
    host's `start` cycles; the result of image n is readable (`image_done`) at
    done[K-1][n] + 1. The controller (docs/dataflow.md) gives

        done[k][n] = max(done[k][n-1], filled[k][n], freed[k+1][n-2]) + stage_cycles[k][n]

    (stage k's `go` is the first cycle it is idle, its input half holds image n and its
    output half is free, counting that cycle's dones; its start is `go` + 1 and its done
    cycles - 1 later). filled[0][n] = the host's `start`, filled[k][n] = done[k-1][n];
    freed[k+1] = done[k+1] and, for the output buffer, the host's `ack`. The testbench host:

        write[n] = max(start[n-1] + 1, done[0][n-2] + 1)   (in_ready: a half freed a cycle before)
        start[n] = write[n] + input_words
        read[n]  = max(ack[n-1] + 2, done[-1][n] + 1)      (`done`, the register, a cycle after)
        ack[n]   = read[n] + result_words
    """
    counts = [[int(c) for c in stage] for stage in stage_cycles]
    stages, images = len(counts), len(counts[0]) if counts else 0
    never = -(1 << 62)
    done = [[never] * images for _ in range(stages)]
    start, ack = [never] * images, [never] * images

    def at(values: list[int], n: int) -> int:
        return values[n] if n >= 0 else never

    for n in range(images):
        write = 0 if n == 0 else max(start[n - 1] + 1, at(done[0], n - 2) + 1)
        start[n] = write + input_words
        for k in range(stages):
            filled = start[n] if k == 0 else done[k - 1][n]
            freed = at(ack, n - 2) if k == stages - 1 else at(done[k + 1], n - 2)
            done[k][n] = max(at(done[k], n - 1), filled, freed) + counts[k][n]
        read = done[-1][n] + 1 if n == 0 else max(ack[n - 1] + 2, done[-1][n] + 1)
        ack[n] = read + result_words
    done.append(start)  # row K: the host's starts
    return done


def dataflow_image_cycles(stage_cycles, input_words: int, result_words: int) -> list[int]:
    """What the dataflow testbench reports per image of one run (`dataflow_done_cycles`):
    the first image's latency (its `start` to its `image_done`), then for every later image
    the cycles since the previous image's `image_done`. With the same cycles on every image
    these are `latency` and then `interval` (the host keeps up when it writes and reads
    within the slowest stage's time)."""
    *done, start = dataflow_done_cycles(stage_cycles, input_words, result_words)
    if not done or not start:
        return []
    last = done[-1]
    return [last[0] + 1 - start[0]] + [last[n] - last[n - 1] for n in range(1, len(last))]
