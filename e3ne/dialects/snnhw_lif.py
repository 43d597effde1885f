"""The IF/LIF neuron of an `snnhw` unit (docs/lif.md, docs/numerics.md §15-17).

A linear unit with `neuron = "lif"` keeps each output's membrane in its accumulator over the
T steps of a group: at the first input of every step the accumulator becomes
`leak/reset(acc) + Bq` (the previous step's spike read from `acc > threshold`), then adds
the step's spike-gated weights; a hidden unit writes the T spikes (plane t = step t) and an
output unit writes, per output, the spike count (`readout = "count"`) or the last membrane
(`readout = "membrane"`) as its logit. Attributes (absent on a radix unit, which prints as
before): `neuron = "lif"`, `lif_leak` (beta_q), `lif_leak_bits` (F), `lif_threshold` (thr_q),
`lif_reset` ("subtract" | "zero" | "none"), `readout` (output layer only).

Direct coding (`lif_steps`, a first hidden linear layer on radix input): the unit computes its
constant current `V = Wq*a0 + Bq` as a radix unit does (over the `time_steps` input planes),
then runs the `lif_steps` LIF steps on V while it drains, one step (one plane) a cycle, with
the membrane in a register per lane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64
from xdsl.utils.exceptions import VerifyException

from e3ne.lif_numerics import MAX_LEAK_BITS, RESETS, membrane_range
from e3ne.numerics import accumulator_range, signed_width

READOUTS = ("count", "membrane")


@dataclass(frozen=True)
class LifNeuron:
    leak: int  # beta_q
    leak_bits: int  # F
    threshold: int  # thr_q
    reset: str
    readout: str | None = None  # output layer: "count" or "membrane"
    steps: int | None = None  # direct coding: the LIF steps run on the constant current

    def properties(self) -> dict:
        props = {
            "neuron": StringAttr("lif"),
            "lif_leak": IntegerAttr(self.leak, i64),
            "lif_leak_bits": IntegerAttr(self.leak_bits, i64),
            "lif_threshold": IntegerAttr(self.threshold, i64),
            "lif_reset": StringAttr(self.reset),
        }
        if self.readout is not None:
            props["readout"] = StringAttr(self.readout)
        if self.steps is not None:
            props["lif_steps"] = IntegerAttr(self.steps, i64)
        return props

    def direct_membrane_bits(self, current_bits: int) -> int:
        """Bits of a direct-coded layer's membrane register: `steps` steps of a constant
        `si<current_bits>` current (numerics.md §16)."""
        half = 1 << (current_bits - 1)
        return signed_width(*membrane_range(-half, half - 1, self.threshold, self.steps, self.reset))

    def accumulator_bits(self, weights: np.ndarray, bias: np.ndarray, time_steps: int) -> int:
        """Bits that hold every membrane and partial sum (numerics.md §16) and a spike count."""
        low, high = accumulator_range(weights, bias, 1)  # per-step partial sums, bias included or not
        bits = signed_width(*membrane_range(low, high, self.threshold, time_steps, self.reset))
        return max(bits, signed_width(0, time_steps)) if self.readout == "count" else bits


def lif_of(op) -> LifNeuron | None:
    """The LIF neuron of a unit op, or None for a radix unit."""
    if op.neuron is None:
        return None
    readout = None if op.readout is None else op.readout.data
    steps = None if getattr(op, "lif_steps", None) is None else op.lif_steps.value.data
    return LifNeuron(
        op.lif_leak.value.data, op.lif_leak_bits.value.data, op.lif_threshold.value.data, op.lif_reset.data, readout,
        steps,
    )


def verify_lif(op, is_output: bool, weights: np.ndarray, bias: np.ndarray, time_steps: int, width: int) -> None:
    names = ("lif_leak", "lif_leak_bits", "lif_threshold", "lif_reset")
    if op.neuron is None:
        if any(getattr(op, name, None) is not None for name in names + ("readout", "lif_steps")):
            raise VerifyException("lif_* and readout attributes need neuron = \"lif\"")
        return
    if op.neuron.data != "lif":
        raise VerifyException(f"neuron must be \"lif\" (absent: radix), got \"{op.neuron.data}\"")
    missing = [name for name in names if getattr(op, name) is None]
    if missing:
        raise VerifyException(f"a LIF unit needs {', '.join(missing)}")
    if is_output != (op.readout is not None):
        raise VerifyException("readout (\"count\" or \"membrane\") is given exactly on the output layer")
    neuron = lif_of(op)
    if neuron.reset not in RESETS:
        raise VerifyException(f"lif_reset must be one of {', '.join(RESETS)}, got \"{neuron.reset}\"")
    if neuron.readout is not None and neuron.readout not in READOUTS:
        raise VerifyException(f"readout must be one of {', '.join(READOUTS)}, got \"{neuron.readout}\"")
    if not 0 <= neuron.leak_bits <= MAX_LEAK_BITS:
        raise VerifyException(f"lif_leak_bits must be in [0, {MAX_LEAK_BITS}], got {neuron.leak_bits}")
    if not 0 <= neuron.leak <= 1 << neuron.leak_bits:
        raise VerifyException(f"lif_leak must be in [0, 2^lif_leak_bits], got {neuron.leak}")
    if neuron.threshold < 0:
        raise VerifyException(f"lif_threshold must be >= 0, got {neuron.threshold}")
    if neuron.steps is not None:
        if is_output:
            raise VerifyException("lif_steps (direct coding) is for a hidden layer")
        if not 1 <= neuron.steps <= 32:
            raise VerifyException(f"lif_steps must be in [1, 32], got {neuron.steps}")
        return  # the accumulator holds the radix current V, checked as a radix unit's
    needed = neuron.accumulator_bits(weights, bias, time_steps)
    if width < needed:
        raise VerifyException(f"accumulator width {width} can overflow: the LIF membrane needs {needed} bits")
