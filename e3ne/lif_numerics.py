"""The IF/LIF numerics contract (docs/numerics.md §13-17) as pure functions.

One place for every rule of the LIF integer semantics: the quantize pass, the golden model,
the testbench / host input words and the hardware lowering call these. The float rules
(what snnTorch 1.0.0 `snn.Leaky` computes) are in `float_lif_step`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from e3ne.numerics import round_half_even

RESETS = ("subtract", "zero", "none")
OUTPUTS = ("spikes", "membrane")
REDUCES = ("sum", "last")
MAX_LIF_TIME_STEPS = 32  # spike words (§17) are T-bit integers in int64
MAX_LEAK_BITS = 24
DEFAULT_LEAK_BITS = 8
RATE_BITS = 8  # rate coding compares an 8-bit pseudo-random number with round(x * 2^8)
LFSR_TAPS = 0xB400  # 16-bit maximal-length Galois LFSR x^16 + x^14 + x^13 + x^11 + 1


# --------------------------------------------------------------------------- float (snnTorch) semantics


def float_lif_step(mem, current, beta, threshold, reset: str):
    """One snnTorch `Leaky` step (reset_delay=True, ATan/Heaviside fire `mem - thr > 0`), in the
    input's float arithmetic (torch or numpy). Returns `(spike, new_mem)`.

    subtract: `mem' = (beta*mem + I) - r*thr`; zero: `mem' = beta*((1-r)*mem) + I`;
    none: `mem' = beta*mem + I`; with `r = (mem - thr > 0)` of the previous membrane
    and `spike = (mem' - thr > 0)`.
    """
    previous_spike = ((mem - threshold) > 0) * 1.0
    if reset == "subtract":
        new = (beta * mem + current) - previous_spike * threshold
    elif reset == "zero":
        new = beta * ((1 - previous_spike) * mem) + current
    else:
        new = beta * mem + current
    return ((new - threshold) > 0) * 1.0, new


# --------------------------------------------------------------------------- integer semantics


def quantize_leak(beta: np.ndarray, leak_bits: int) -> np.ndarray:
    """`beta_q = round_half_even(beta * 2^F)` (§14), beta in [0, 1] so beta_q in [0, 2^F]."""
    return round_half_even(np.asarray(beta, dtype=np.float64) * (1 << leak_bits)).astype(np.int64)


def quantize_threshold(threshold: np.ndarray, scale: int) -> np.ndarray:
    """`thr_q = round_half_even(thr * 2^s)`, s = s_w + s_in the scale of the layer's current (§14)."""
    return round_half_even(np.asarray(threshold, dtype=np.float64) * 2.0**scale).astype(np.int64)


def leak(mem: np.ndarray, beta_q, leak_bits: int) -> np.ndarray:
    """`floor(beta_q * mem / 2^F)`: a multiply and an arithmetic shift right by F (§15)."""
    return (np.asarray(mem, dtype=np.int64) * np.asarray(beta_q, dtype=np.int64)) >> leak_bits


def lif_step(mem, current, beta_q, leak_bits: int, threshold_q, reset: str):
    """One integer LIF step (§15), int64: returns `(spike (0/1 int64), new_mem)`.

    `r = mem > thr_q` (the previous step's spike); subtract: `mem' = leak(mem) + I - r*thr_q`;
    zero: `mem' = leak(r ? 0 : mem) + I`; none: `mem' = leak(mem) + I`; `spike = mem' > thr_q`.
    """
    mem = np.asarray(mem, dtype=np.int64)
    threshold_q = np.asarray(threshold_q, dtype=np.int64)
    previous_spike = (mem > threshold_q).astype(np.int64)
    if reset == "zero":
        mem = mem * (1 - previous_spike)
    new = leak(mem, beta_q, leak_bits) + np.asarray(current, dtype=np.int64)
    if reset == "subtract":
        new = new - previous_spike * threshold_q
    return (new > threshold_q).astype(np.int64), new


def membrane_range(current_low: int, current_high: int, threshold_max: int, time_steps: int, reset: str):
    """Bounds of every membrane value and of every partial sum the hardware forms (§16).

    `current_low/high` bound every per-step current and its partial sums (0 included). The leak
    never moves a value away from 0 (`floor(beta_q*m/2^F)` lies between `min(m, 0)` and
    `max(m, 0)`), so after t steps `mem` lies in `[t*(low - thr), t*high]` (the `- thr` only
    with reset by subtraction).
    """
    low = min(current_low, 0) - (threshold_max if reset == "subtract" else 0)
    return time_steps * low, time_steps * max(current_high, 0)


# --------------------------------------------------------------------------- input coding


def lfsr_sequence(seed: int, count: int) -> np.ndarray:
    """`count` successive states (after each step) of the 16-bit Galois LFSR with taps 0xB400
    started at `seed` (1..65535), as int64. Period 65535."""
    if not 1 <= seed <= 0xFFFF:
        raise ValueError(f"LFSR seed must be in [1, 65535], got {seed}")
    repeats = -(-count // 0xFFFF)
    return np.tile(_lfsr_period(seed), repeats)[:count]


@lru_cache(maxsize=8)
def _lfsr_period(seed: int) -> np.ndarray:
    period = np.empty(0xFFFF, dtype=np.int64)
    state = seed
    for index in range(0xFFFF):
        lsb = state & 1
        state >>= 1
        if lsb:
            state ^= LFSR_TAPS
        period[index] = state
    period.flags.writeable = False
    return period


def rate_probability(x: np.ndarray) -> np.ndarray:
    """`p = clip(round_half_even(x * 2^8), 0, 2^8)`: the spike probability of x in 1/256 (§13)."""
    return np.clip(round_half_even(np.asarray(x, dtype=np.float64) * (1 << RATE_BITS)), 0, 1 << RATE_BITS).astype(
        np.int64
    )


def rate_spikes(x: np.ndarray, time_steps: int, seed: int) -> np.ndarray:
    """Deterministic rate coding (§13): `(N, T, ...)` 0/1 int64 spikes of the batch `x` `(N, ...)`.

    Element k (flat index within one sample, NCHW/NF order) spikes at step t when
    `r[t, k] < p[k]`, where `r[t, k]` is the top 8 bits of LFSR state number `t*K + k` (K
    elements per sample, the same numbers for every sample), `p` from `rate_probability`. x = 0
    never spikes, x >= 1 spikes at every step: the mean rate is p/256 (snnTorch's
    `spikegen.rate` draws a Bernoulli(x) instead, with torch's random numbers).
    """
    x = np.asarray(x)
    per_sample = int(np.prod(x.shape[1:]))
    states = lfsr_sequence(seed, time_steps * per_sample).reshape((time_steps,) + tuple(x.shape[1:]))
    random = states >> (16 - RATE_BITS)
    probability = rate_probability(x)
    return (random[None] < probability[:, None]).astype(np.int64)


def spike_words(spikes: np.ndarray) -> np.ndarray:
    """T-bit words of a `(N, T, ...)` 0/1 spike train as stored in the buffers (§17):
    bit `T-1-t` = spike at step t, so the buffer's bit-plane t (MSB first, as the radix planes of
    §4) is step t."""
    spikes = np.asarray(spikes, dtype=np.int64)
    time_steps = spikes.shape[1]
    weights = (1 << np.arange(time_steps - 1, -1, -1, dtype=np.int64)).reshape((1, time_steps) + (1,) * (spikes.ndim - 2))
    return (spikes * weights).sum(axis=1)
