"""`CompileOptions`: every setting of a compile (and of an exploration), typed and checked.

    CompileOptions(time_steps=4, weight_bits=4, parallelism="fc1.P=64", target="xc7z020")

Invalid values raise `E3NEError` when the options are made, with the CLI flag's name in
the message (the CLI builds these options from its flags).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from e3ne.errors import E3NEError
from e3ne.lif_numerics import MAX_LIF_TIME_STEPS
from e3ne.model.memory import (
    DEFAULT_AXI_DATA_WIDTH,
    DEFAULT_MEMORY_LATENCY,
    check_memory_model,
)
from e3ne.model.schedule import SCHEDULE_KINDS
from e3ne.numerics import MAX_TIME_STEPS
from e3ne.parallelism import Parallelism

EMIT_LEVELS = ("snn", "verilog")
SHELLS = ("none", "axi", "uart")  # the top around the core (docs/interface.md "AXI shell", "UART shell")
DEFAULT_TARGET = "xc7z020"
DEFAULT_MAX_UTILIZATION = 0.8  # leave room for estimate error and place-and-route
CODINGS = ("direct", "rate")  # input coding of IF/LIF networks (docs/lif.md "Frontends")
NIR_LEAKS = ("euler", "exp")  # NIR LIF tau -> beta (docs/lif.md "Frontends")


@dataclass(frozen=True)
class CompileOptions:
    """time_steps: T (activation bits); weight_bits: b; sigma: r (weight clipping in std devs);
    parallelism: a `Parallelism` or its text (`auto` explores); target: part preset;
    offchip_weights: `auto`, `none`, `all` or layer names (`fc1,fc2`); axi_width,
    memory_latency: the external weight memory; max_utilization, max_luts: the budget of
    `auto` (max_luts replaces an ECP5 part's routability limit, `Part.routable_lut`); emit: `verilog` (hardware) or `snn` (stop after quantizing); input_mean,
    input_std: the normalisation `(x - mean) / std` the model was trained with (one value, or
    one per input channel, as numbers or text `0.485,0.456,0.406`), folded into the first
    layer so the hardware takes raw non-negative pixels (docs/inputs.md); shell: `none` (the
    core's own ports) or `axi` (AXI4-Lite registers + AXI4-Stream images/results around it,
    and the host driver in BUILD/driver/); schedule: `sequential` (one image at a time) or
    `dataflow` (layer-pipelined: all stages at once on successive images, docs/dataflow.md;
    weights on chip, core ports only); skip_zeros: eligible linear units skip all-zero
    input chunks (e3ne.transforms.snnhw.skip_zeros). IF/LIF networks (snnTorch, NIR; docs/lif.md
    "Frontends"): coding: `direct` (the input every step) or `rate` (deterministic LFSR
    spikes, seed rate_seed); dt: NIR's time step in seconds; nir_leak: `euler`
    (beta = 1 - dt/tau, snnTorch's convention) or `exp` (beta = exp(-dt/tau))."""

    time_steps: int = 4
    weight_bits: int = 4
    sigma: float = 3.0
    parallelism: Parallelism = field(default_factory=Parallelism)
    target: str = DEFAULT_TARGET
    offchip_weights: str = "auto"
    axi_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY
    max_utilization: float = DEFAULT_MAX_UTILIZATION
    max_luts: int | None = None
    emit: str = "verilog"
    shell: str = "none"
    input_mean: tuple[float, ...] | None = None
    input_std: tuple[float, ...] | None = None
    schedule: str = "sequential"
    skip_zeros: bool = False  # linear units skip all-zero input chunks (docs/zero-skipping.md)
    baud: int = 115_200  # --shell uart: the UART's baud rate
    uart_clock_mhz: float = 25.0  # --shell uart: the clock its baud divider assumes (the ULX3S oscillator)
    coding: str = "direct"
    rate_seed: int = 1
    dt: float = 1e-4
    nir_leak: str = "euler"

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_mean", _values(self.input_mean, "--input-mean"))
        object.__setattr__(self, "input_std", _values(self.input_std, "--input-std"))
        object.__setattr__(self, "parallelism", Parallelism.of(self.parallelism))
        object.__setattr__(self, "offchip_weights", (self.offchip_weights or "none").strip())
        self.validate()

    def validate(self) -> None:
        if not 1 <= self.time_steps <= MAX_LIF_TIME_STEPS:
            raise E3NEError(
                f"--time-steps must be in [1, {MAX_LIF_TIME_STEPS}] (radix networks: [1, {MAX_TIME_STEPS}]), "
                f"got {self.time_steps}"
            )
        if not 2 <= self.weight_bits <= 16:
            raise E3NEError(f"--weight-bits must be in [2, 16], got {self.weight_bits}")
        if not 0 < self.sigma < float("inf"):  # also NaN
            raise E3NEError(f"--sigma must be a positive finite number, got {self.sigma}")
        check_memory_model(self.axi_width, self.memory_latency)
        if not 0 < self.max_utilization <= 1:
            raise E3NEError(f"--max-utilization must be in (0, 1], got {self.max_utilization}")
        if self.max_luts is not None and self.max_luts < 1:
            raise E3NEError(f"--max-luts must be >= 1, got {self.max_luts}")
        if self.emit not in EMIT_LEVELS:
            raise E3NEError(f"--emit must be one of {', '.join(EMIT_LEVELS)}, got '{self.emit}'")
        if self.shell not in SHELLS:
            raise E3NEError(f"--shell must be one of {', '.join(SHELLS)}, got '{self.shell}'")
        self._validate_schedule()
        if self.shell == "uart":
            from e3ne.backend.shell_uart import check_divider

            check_divider(self.uart_clock_mhz, self.baud, "--shell uart")
        if (self.input_mean is None) != (self.input_std is None):
            given, missing = ("--input-mean", "--input-std") if self.input_std is None else ("--input-std", "--input-mean")
            raise E3NEError(
                f"{given} needs {missing} as well (the normalisation is (x - mean) / std)",
                hint="for a model trained on x / std only, give --input-mean 0",
            )
        if self.coding not in CODINGS:
            raise E3NEError(f"--coding must be one of {', '.join(CODINGS)}, got '{self.coding}'")
        if not 1 <= self.rate_seed <= 0xFFFF:
            raise E3NEError(f"--rate-seed must be in [1, 65535] (a 16-bit LFSR state), got {self.rate_seed}")
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise E3NEError(f"--dt must be a positive time step in seconds, got {self.dt}")
        if self.nir_leak not in NIR_LEAKS:
            raise E3NEError(f"--nir-leak must be one of {', '.join(NIR_LEAKS)}, got '{self.nir_leak}'")
        if self.input_std is not None and min(self.input_std) <= 0:
            raise E3NEError(f"--input-std must be positive, got {','.join(f'{v:g}' for v in self.input_std)}")

    def _validate_schedule(self) -> None:
        if self.schedule not in SCHEDULE_KINDS:
            raise E3NEError(f"--schedule must be one of {', '.join(SCHEDULE_KINDS)}, got '{self.schedule}'")
        if not self.dataflow:
            return
        if self.offchip_weights not in ("auto", "none"):
            raise E3NEError(
                f"--schedule dataflow needs every weight ROM on chip, got --offchip-weights {self.offchip_weights} "
                "(all stages run at once and would share the one AXI read port)",
                hint="use --offchip-weights none (or auto, which then keeps the weights on chip)",
            )
        if self.shell != "none":
            raise E3NEError(
                f"--shell {self.shell} drives the core one image at a time; --schedule dataflow has only the core's ports",
                hint="use --shell none with --schedule dataflow (docs/dataflow.md)",
            )

    @property
    def dataflow(self) -> bool:
        """Whether the stages are layer-pipelined (`schedule="dataflow"`)."""
        return self.schedule == "dataflow"

    @property
    def normalization(self) -> bool:
        """Whether the model was trained on normalised inputs (input_mean/input_std given)."""
        return self.input_mean is not None

    @property
    def hardware(self) -> bool:
        """Whether the compile goes on to snnhw and RTL (not `emit="snn"`)."""
        return self.emit != "snn"

    def quantization_text(self) -> str:
        return f"time steps T={self.time_steps}, weight bits b={self.weight_bits}, sigma r={self.sigma}"


def _values(value, flag: str) -> tuple[float, ...] | None:
    """`value` (None, a number, a sequence or text `0.1,0.2`) as a tuple of finite floats."""
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else [value]
    try:
        values = tuple(float(part) for part in parts)
    except (TypeError, ValueError):
        raise E3NEError(
            f"{flag} must be a number or comma-separated numbers (one per input channel), got '{value}'"
        ) from None
    if not values or not all(np.isfinite(values)):
        raise E3NEError(f"{flag} must be finite numbers, got '{value}'")
    return values
