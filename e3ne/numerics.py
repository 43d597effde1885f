"""The radix-encoding numerics contract (docs/numerics.md), as pure functions.

Every pass, the golden model and the hardware lowering call these, so the formulas
exist exactly once. Integer results are exact (numpy int64 / Python int).
"""

from __future__ import annotations

import math

import numpy as np

MAX_TIME_STEPS = 16  # radix T (activation bits); IF/LIF networks: lif_numerics.MAX_LIF_TIME_STEPS


def round_half_even(values: np.ndarray) -> np.ndarray:
    """torch.round semantics (round half to even) on a float array, as int64.

    Scaling by 2^s is exact in binary floating point, so rounding the float64 product
    gives the same integer as torch.round on the float32 one.
    """
    return np.rint(np.asarray(values, dtype=np.float64)).astype(np.int64)


def activation_scale(maximum: float, time_steps: int) -> int:
    """`s = T - ceil(log2(m))`, or `T` when `m <= 0` (docs/numerics.md §2)."""
    if maximum <= 0:
        return time_steps
    return time_steps - math.ceil(math.log2(maximum))


def weight_scale(weights: np.ndarray, weight_bits: int, sigma: float) -> int:
    """`s_w = b - 1 - ceil(log2(|mu| + r*sigma))` over all weights (docs/numerics.md §3)."""
    flat = np.asarray(weights, dtype=np.float64).ravel()
    mean = float(flat.mean())
    std = float(flat.std(ddof=1)) if flat.size > 1 else 0.0
    spread = abs(mean) + sigma * std
    if spread <= 0:
        raise ValueError("all weights of the layer are zero; nothing to quantize")
    return weight_bits - 1 - math.ceil(math.log2(spread))


def quantize_weights(weights: np.ndarray, scale: int, weight_bits: int) -> np.ndarray:
    """`Wq = clip(round(W * 2^s_w), -2^(b-1), 2^(b-1)-1)` (docs/numerics.md §3)."""
    scaled = round_half_even(np.asarray(weights, dtype=np.float64) * 2.0**scale)
    return np.clip(scaled, -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1)


def quantize_bias(bias: np.ndarray, weight_scale_: int, input_scale: int) -> np.ndarray:
    """`Bq = round(B * 2^(s_w + s_in))`, no clipping (docs/numerics.md §3)."""
    return round_half_even(np.asarray(bias, dtype=np.float64) * 2.0 ** (weight_scale_ + input_scale))


def encode_input(x: np.ndarray, scale: int, time_steps: int) -> np.ndarray:
    """`a0 = clip(round(x * 2^s_in0), 0, 2^T - 1)` (docs/numerics.md §4)."""
    scaled = round_half_even(np.asarray(x, dtype=np.float64) * 2.0**scale)
    return np.clip(scaled, 0, (1 << time_steps) - 1)


def bitplanes(activations: np.ndarray, time_steps: int) -> np.ndarray:
    """The spike train of integer activations: `spike[t] = bit (T-1-t)`, MSB first.

    Returns an array with a new leading axis of length T.
    """
    a = np.asarray(activations, dtype=np.int64)
    return np.stack([(a >> (time_steps - 1 - t)) & 1 for t in range(time_steps)])


def radix_neuron(potential: np.ndarray, shift: int, time_steps: int) -> np.ndarray:
    """ReLU, rounding shift by SCL = s_w + s_in - s_out, saturation to T bits (docs/numerics.md §6)."""
    v = np.maximum(np.asarray(potential, dtype=np.int64), 0)
    if shift >= 1:
        out = (v + (1 << (shift - 1))) >> shift
    else:
        out = v << (-shift)
    return np.clip(out, 0, (1 << time_steps) - 1)


def avg_pool_divide(window_sum: np.ndarray, count: int) -> np.ndarray:
    """`floor((sum + floor(n/2)) / n)` (docs/numerics.md §7)."""
    return (np.asarray(window_sum, dtype=np.int64) + count // 2) // count


def accumulator_range(weights: np.ndarray, bias: np.ndarray | None, time_steps: int) -> tuple[int, int]:
    """The range every value of a bit-serial accumulator can take (docs/numerics.md §10).

    `weights` has the output channel first. With non-negative T-bit inputs, each
    partial sum `sum W * (a >> (T-t))` lies in `[sum(min(W,0)), sum(max(W,0))] * (2^T-1)`
    (doubling a partial sum never leaves that range), and the final value adds `Bq`.
    """
    w = np.asarray(weights, dtype=np.int64).reshape(weights.shape[0], -1)
    a_max = (1 << time_steps) - 1
    hi = np.clip(w, 0, None).sum(axis=1) * a_max
    lo = np.clip(w, None, 0).sum(axis=1) * a_max
    b = np.zeros_like(hi) if bias is None else np.asarray(bias, dtype=np.int64)
    low = int(min(0, lo.min(), (lo + b).min()))
    high = int(max(0, hi.max(), (hi + b).max()))
    return low, high


def signed_width(low: int, high: int) -> int:
    """The fewest bits of a two's-complement integer that hold every value in [low, high]."""
    width = 1
    while not (-(1 << (width - 1)) <= low and high <= (1 << (width - 1)) - 1):
        width += 1
    return width
