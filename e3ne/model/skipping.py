"""Zero skipping: the one definition of a skipping unit's data-dependent cycles.

A linear unit with `skip_zeros` (docs/zero-skipping.md) reads its first group of output
lanes densely and, while it does, records in a skip list every chunk (the Q spikes of one
buffer word it takes in a cycle) of every bit-plane that it must not skip:

    kept(t, i) = chunk i of plane t has a spike
                 or i == 0                      (the first chunk of a step: it doubles the accumulator)
                 or t*chunks + i < P            (output layer: a group lasts >= its P-logit drain)

After the dense group the unit waits `SKIP_GAP` cycles (the last list entry is written
MEMORY_READ_LATENCY cycles after its issue, and the list is read SKIP_LIST_READ_LATENCY
cycles ahead of its use), then every further group issues only the K kept chunks:

    issue_cycles(image) = chunks*T + SKIP_GAP + (groups - 1) * K(image)
    cycles(image)       = issue_cycles(image) + pipeline_latency + drain_cycles

The worst case (every chunk kept) is the dense count + SKIP_GAP; that is the static
schedule's figure (`LinearShape.cycles`). `image_cycles` gives the exact count per image
from the layer's input activations (the golden model's integer values); the simulation
check, the estimator's expected cycles, explore and the report all use it.

Utilisation (`utilisation`) is the spike-gated additions a layer performs over the
additions its adders could perform in the cycles it takes: additions / (adder inputs x cycles).
"""

from __future__ import annotations

import numpy as np

from e3ne.model.arith import ceil_div
from e3ne.model.units import (
    SKIP_GAP,
    SKIP_LIST_READ_LATENCY,
    ConvShape,
    LinearShape,
    PoolShape,
)


def spike_planes(values: np.ndarray, time_steps: int) -> np.ndarray:
    """(N, T, features) booleans: plane t (t = 0 the MSB) of T-bit activations (N, ...)."""
    flat = np.asarray(values, dtype=np.int64).reshape(len(values), -1)
    shifts = np.arange(time_steps - 1, -1, -1, dtype=np.int64)
    return ((flat[:, None, :] >> shifts[None, :, None]) & 1).astype(bool)


def linear_kept_chunks(shape: LinearShape, values: np.ndarray) -> np.ndarray:
    """K per image: the chunks (t, i) a skipping linear unit issues in each group after the first."""
    t_steps, q, word = shape.time_steps, shape.input_parallelism, shape.input_word_width
    planes = spike_planes(values, t_steps)[:, :, : shape.in_features]
    features = np.arange(shape.in_features)
    per_word = ceil_div(word, q)
    chunk_of = (features // word) * per_word + (features % word) // q
    busy = np.zeros((len(planes), t_steps, shape.chunks), dtype=bool)
    for i in range(shape.chunks):  # any spike of the chunk
        members = features[chunk_of == i]
        busy[:, :, i] = planes[:, :, members].any(axis=2)
    busy[:, :, 0] = True
    if shape.output_layer:
        busy.reshape(len(planes), -1)[:, : shape.parallelism] = True
    return busy.reshape(len(planes), -1).sum(axis=1)


def conv_kept_reads(shape: ConvShape, values: np.ndarray) -> np.ndarray:
    """K per image: the row reads a skipping convolution unit issues in each group after the
    first. A read (output row oy, column block xb, step t, input channel ic, kernel row ky; in
    that order, ky fastest) is kept if its input row iy = oy*stride + ky - pad lies in the
    image and has a spike in plane t in one of the columns that block xb reads
    (`ConvShape.block_input_columns`), or ic == ky == 0 (it doubles the accumulators), or it
    ends the column block (t, ic, ky all last: the neuron's load), or it is among the row's
    first `min_row_reads` (a row lasts at least its share of the drain)."""
    c, h, w = shape.in_shape
    t_steps, (kh, _), (sh, _), (ph, _) = shape.time_steps, shape.kernel, shape.stride, shape.padding
    images = len(values)
    planes = spike_planes(values, t_steps).reshape(images, t_steps, c, h, w)
    # (images, blocks, T, C, H): the row has a spike under the block
    windows_nonzero = np.stack(
        [planes[..., list(columns)].any(axis=4) for columns in shape.block_input_columns], axis=1
    )
    total = np.zeros(images, dtype=np.int64)
    for oy in range(shape.computed_size[0]):
        keep = np.zeros((images, shape.blocks, t_steps, c, kh), dtype=bool)
        for ky in range(kh):
            iy = oy * sh + ky - ph
            if 0 <= iy < h:
                keep[:, :, :, :, ky] = windows_nonzero[..., iy]
        keep[:, :, :, 0, 0] = True
        keep[:, :, t_steps - 1, c - 1, kh - 1] = True
        flat = keep.reshape(images, -1)
        flat[:, : shape.min_row_reads] = True
        total += flat.sum(axis=1)
    return total


def image_issue_cycles(shape: LinearShape | ConvShape, values: np.ndarray) -> np.ndarray:
    """Issue cycles per image of a skipping unit: its dense first group, SKIP_GAP, and the
    kept chunks (linear) or row reads (conv) of every further group."""
    kept = linear_kept_chunks(shape, values) if isinstance(shape, LinearShape) else conv_kept_reads(shape, values)
    return shape.group_cycles + SKIP_GAP + (shape.groups - 1) * kept


def image_cycles(shape: LinearShape | ConvShape | PoolShape, values: np.ndarray) -> np.ndarray:
    """Cycles per image (N,) of one stage on its input activations `values` (N, ...)."""
    if getattr(shape, "skip_zeros", False):
        return image_issue_cycles(shape, values) + shape.pipeline_latency + shape.drain_cycles
    return np.full(len(values), shape.cycles(), dtype=np.int64)


def dense_additions(shape: LinearShape | ConvShape | PoolShape, values: np.ndarray) -> np.ndarray:
    """Spike-gated additions per image (N,): every input spike times the outputs it feeds
    (linear: out_features; conv: the output pixels computed whose window holds it x out channels)."""
    planes = spike_planes(values, shape.time_steps)
    if isinstance(shape, LinearShape):
        return planes[:, :, : shape.in_features].sum(axis=(1, 2)) * shape.out_features
    if isinstance(shape, ConvShape):
        c, h, w = shape.in_shape
        grid = planes.reshape(len(planes), shape.time_steps, c, h, w).sum(axis=(1, 2))
        fan = _conv_fan_out(shape)
        return (grid * fan[None]).sum(axis=(1, 2)) * shape.out_shape[0]
    return np.zeros(len(values), dtype=np.int64)


def _conv_fan_out(shape: ConvShape) -> np.ndarray:
    """(H, W): how many computed output pixels read input pixel (y, x)."""
    _, h, w = shape.in_shape
    (kh, kw), (sh, sw), (ph, pw) = shape.kernel, shape.stride, shape.padding
    rows, cols = shape.computed_size
    fan = np.zeros((h, w), dtype=np.int64)
    for oy in range(rows):
        for ky in range(kh):
            y = oy * sh + ky - ph
            if not 0 <= y < h:
                continue
            for ox in range(cols):
                for kx in range(kw):
                    x = ox * sw + kx - pw
                    if 0 <= x < w:
                        fan[y, x] += 1
    return fan


def adder_inputs(shape: LinearShape | ConvShape | PoolShape) -> int:
    """Spike-gated additions the unit can do a cycle: P*Q (linear), lanes*columns*kernel_w (conv)."""
    if isinstance(shape, LinearShape):
        return shape.parallelism * shape.input_parallelism
    if isinstance(shape, ConvShape):
        return shape.lanes * shape.columns * shape.kernel[1]
    return 0


def utilisation(additions: float, shape: LinearShape | ConvShape | PoolShape, cycles: float) -> float | None:
    """additions / (adder inputs x cycles), None for a unit without adders."""
    capacity = adder_inputs(shape) * cycles
    return None if capacity == 0 else additions / capacity


__all__ = [
    "SKIP_GAP",
    "SKIP_LIST_READ_LATENCY",
    "adder_inputs",
    "dense_additions",
    "image_cycles",
    "image_issue_cycles",
    "linear_kept_chunks",
    "spike_planes",
    "utilisation",
]
