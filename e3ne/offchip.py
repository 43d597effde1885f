"""Off-chip weights: which layers stream their weights from external memory, where they
sit in the weight image, how long a streaming unit takes, and the automatic choice.

The user's choice (`--offchip-weights`, pass option `offchip-weights`) is parsed by
`offchip_layers` alone:

    auto          (CLI only) `decide`: stream weights only when they do not fit the part
    none          every weight ROM on chip
    all           every conv/linear layer's weights off chip
    fc1,fc2       those layers (hardware names: conv1.., fc1.. in network order)

`assign_base_addresses` lays the chosen ROMs out in the weight image, one after another
in layer order, each starting on a 4 KiB page (snnhw.OFFCHIP_ALIGNMENT).

Timing (`Streaming`) is the hardware's exact model, `snnhw.fetch_cycles` and
`snnhw.offchip_issue_cycles` (docs/interface.md "Off-chip weights"): a unit has a two-bank
weight buffer of `group_words` words (linear: chunks per time step; conv: in_channels *
kernel_h); group g+1 is fetched into one bank while group g computes from the other; a ROM
word takes `ceil(word_width / axi_width)` beats; the weights cross the bus once per image.

`decide` is the automatic choice: keep all weights on-chip if the design's block RAM fits
the budget; otherwise move layers off-chip, those whose reuse hides the bandwidth first and
among them the ones with the most weight block RAM, until it fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from e3ne.errors import E3NEError

if TYPE_CHECKING:
    from e3ne.dialects import snnhw

DEFAULT_AXI_DATA_WIDTH = 128
DEFAULT_MEMORY_LATENCY = 16
AXI_DATA_WIDTHS = (32, 64, 128, 256, 512, 1024)  # powers of two (this module stays free of xDSL for the CLI)
AXI_ADDRESS_BITS = 32


def offchip_layers(spec: str | None, layer_names: list[str]) -> list[str]:
    """The layers (of `layer_names`, the stages with weights, in order) whose weights go off chip."""
    text = (spec or "none").strip()
    if text in ("", "none"):
        return []
    if text == "auto":
        raise E3NEError(
            "offchip-weights=auto needs a target part's memory budget",
            hint="e3ne compile --offchip-weights auto --target PART chooses; at the pass level name the layers, all or none",
        )
    if text == "all":
        return list(layer_names)
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in layer_names]
    if unknown:
        raise E3NEError(
            f"offchip-weights names unknown layer(s) {', '.join(unknown)}; "
            f"the layers with weights are: {', '.join(layer_names)}",
            hint="use none, all, or a comma list of those layer names",
        )
    return [name for name in layer_names if name in chosen]


def request_text(spec) -> str:
    """The CLI-level `--offchip-weights` request as one string: `auto` when not given (the
    compile and explore default), a sequence of names joined with commas; `offchip_layers`
    and `decide` then read it."""
    if spec is None:
        return "auto"
    if not isinstance(spec, str):
        spec = ",".join(spec) or "none"
    return spec.strip() or "auto"


def check_memory_model(axi_data_width: int, memory_latency: int) -> None:
    if axi_data_width not in AXI_DATA_WIDTHS:
        raise E3NEError(f"AXI data width {axi_data_width} must be a power of two in [32, 1024]")
    if memory_latency < 1:
        raise E3NEError(f"memory latency {memory_latency} must be at least 1 cycle")


def assign_base_addresses(roms: list[snnhw.RomOp], axi_data_width: int) -> int:
    """Marks `roms` off-chip with consecutive 4 KiB-aligned base addresses; returns the
    image size in bytes."""
    from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64

    from e3ne.dialects import snnhw

    address = 0
    for rom in roms:
        rom.properties["kind"] = StringAttr("offchip")
        rom.properties["base_address"] = IntegerAttr(address, i64)
        size = rom.image_bytes(axi_data_width)
        address += snnhw.ceil_div(size, snnhw.OFFCHIP_ALIGNMENT) * snnhw.OFFCHIP_ALIGNMENT
    return address


@dataclass(frozen=True)
class Streaming:
    """The timing of one off-chip unit (the hardware's model, see the module docstring)."""

    groups: int
    group_words: int
    word_width: int
    compute_cycles: int  # one group's issue cycles
    overhead_cycles: int  # pipeline + last drain
    axi_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY

    @property
    def beats_per_word(self) -> int:
        from e3ne.dialects import snnhw

        return snnhw.beats_per_word(self.word_width, self.axi_width)

    @property
    def group_bytes(self) -> int:
        return self.group_words * self.beats_per_word * self.axi_width // 8

    @property
    def fetch_cycles(self) -> int:
        from e3ne.dialects import snnhw

        return snnhw.fetch_cycles(self.group_words, self.word_width, self.axi_width, self.memory_latency)

    @property
    def cycles(self) -> int:
        from e3ne.dialects import snnhw

        issue = snnhw.offchip_issue_cycles(self.groups, self.compute_cycles, self.fetch_cycles)
        return issue + self.overhead_cycles

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


def streaming_of(unit, axi_width: int = DEFAULT_AXI_DATA_WIDTH, memory_latency: int = DEFAULT_MEMORY_LATENCY) -> Streaming:
    """The streaming timing of an `snnhw.linear_unit` or `snnhw.conv_unit` if its weights were off-chip."""
    from e3ne.dialects import snnhw

    if not isinstance(unit, snnhw.LinearUnitOp | snnhw.ConvUnitOp):
        raise TypeError(f"{unit.name} has no weights")
    return Streaming(
        groups=unit.groups(),
        group_words=unit.group_words(),
        word_width=unit.weight_rom().word_width.value.data,
        compute_cycles=unit.group_cycles(),
        overhead_cycles=snnhw.PIPELINE_LATENCY + unit.drain_cycles(),
        axi_width=axi_width,
        memory_latency=memory_latency,
    )


def accelerator_axi(accelerator) -> tuple[int, int]:
    """(axi_data_width, memory_latency) of an accelerator, the defaults when it has none."""
    width = getattr(accelerator, "axi_data_width", None)
    latency = getattr(accelerator, "memory_latency", None)
    return (
        DEFAULT_AXI_DATA_WIDTH if width is None else width.value.data,
        DEFAULT_MEMORY_LATENCY if latency is None else latency.value.data,
    )


def is_offchip(unit) -> bool:
    """The unit's weight ROM is marked `kind = "offchip"` in the IR."""
    return hasattr(unit, "weights") and unit.weight_rom().is_offchip()


# --------------------------------------------------------------------------- the request


def weight_layers(accelerator) -> list[str]:
    """Names of the stages that have weights (conv and linear units), in network order."""
    return [unit.symbol for unit in accelerator.schedule().stage_ops() if hasattr(unit, "weights")]


# --------------------------------------------------------------------------- the decision


@dataclass
class OffchipDecision:
    """Which layers stream their weights, and why (for report.md/json)."""

    request: str  # the user's --offchip-weights text
    layers: tuple[str, ...]
    reason: str
    onchip_bram: float  # the design's BRAM36 with every weight on-chip
    budget_bram: float
    axi_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY
    weight_bram: dict[str, float] = field(default_factory=dict)  # on-chip weight BRAM36 per layer

    def option_text(self) -> str:
        """The value for `lower-snn-to-snnhw{offchip-weights=...}` / `--offchip-weights`."""
        return ",".join(self.layers) or "none"

    def as_dict(self) -> dict:
        return {
            "request": self.request,
            "layers": list(self.layers),
            "reason": self.reason,
            "onchip_bram": self.onchip_bram,
            "budget_bram": round(self.budget_bram, 1),
            "axi_data_width": self.axi_width,
            "memory_latency": self.memory_latency,
        }


def _names(layers) -> str:
    return ", ".join(layers)


def decide(
    accelerator,
    part,
    request: str | None = "auto",
    max_utilization: float = 0.8,
    axi_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    explored: tuple[str, ...] | None = None,
) -> OffchipDecision:
    """Choose the off-chip layers of `accelerator` (an `snnhw.accelerator` lowered with its
    weights on-chip) for `part`, using at most `max_utilization` of its block RAM.

    `request`: `auto`, `none`, `all` or a list of layer names (`"fc1,fc2"`). `explored`:
    under `auto`, the layers `e3ne explore` already chose together with the parallelism
    (only the reason is worked out here)."""
    from e3ne import cost
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    text = request_text(request)
    design = estimate_accelerator(accelerator, offchip=())
    onchip = design.totals.bram
    budget = part.bram36 * max_utilization
    units = {unit.symbol: unit for unit in accelerator.schedule().stage_ops()}
    layers = weight_layers(accelerator)
    wanted = None if text == "auto" else offchip_layers(text, layers)
    weight_bram = {layer.name: layer.parts["weights"].bram for layer in design.layers if "weights" in layer.parts}
    common = dict(
        onchip_bram=onchip, budget_bram=budget, axi_width=axi_width, memory_latency=memory_latency,
        weight_bram=weight_bram,
    )  # fmt: skip
    need = f"on-chip they would need {onchip:,g} BRAM36 in all, over the {budget:,.0f} ({max_utilization:.0%} of {part.bram36:,}) that {part.name} allows"
    if wanted is not None:
        if not wanted:
            return OffchipDecision(text, (), f"all weights stay on-chip (--offchip-weights {text})", **common)
        verb = "streams its" if len(wanted) == 1 else "stream their"
        return OffchipDecision(text, tuple(wanted), f"{_names(wanted)} {verb} weights (--offchip-weights {text})", **common)
    if explored is not None:
        chosen = tuple(offchip_layers(",".join(explored) or "none", layers))
        if chosen:
            verb = "streams its" if len(chosen) == 1 else "stream their"
            reason = f"{_names(chosen)} {verb} weights from external memory (chosen with the parallelism by explore): {need}"
            return OffchipDecision(text, chosen, reason, **common)
    if onchip <= budget:
        return OffchipDecision(
            text, (),
            f"all weights stay on-chip: the design needs {onchip:,g} BRAM36, within the {budget:,.0f} "
            f"({max_utilization:.0%} of {part.bram36:,}) that {part.name} allows",
            **common,
        )  # fmt: skip
    saving = {}
    hides = {}
    for name in layers:
        if weight_bram.get(name, 0) <= 0:
            continue  # a LUT ROM: streaming it frees no block RAM
        streaming = streaming_of(units[name], axi_width, memory_latency)
        buffer = cost.weight_buffer(streaming.word_width, streaming.group_words).bram
        saving[name] = weight_bram[name] - buffer
        hides[name] = streaming.hides_bandwidth
    order = sorted(saving, key=lambda name: (not hides[name], -weight_bram[name], layers.index(name)))
    moved, bram = [], onchip
    for name in order:
        if bram <= budget:
            break
        if saving[name] <= 0:
            continue
        moved.append(name)
        bram -= saving[name]
    chosen = tuple(name for name in layers if name in moved)
    if not chosen:
        reason = (
            f"no layer's weights would free block RAM by streaming (they sit in LUTs, or a layer's "
            f"double buffer needs as much as its ROM): {need}"
        )
        return OffchipDecision(text, (), reason, **common)
    verb = "streams its" if len(chosen) == 1 else "stream their"
    reason = f"{_names(chosen)} {verb} weights from external memory: {need}"
    if bram > budget:
        reason += f"; even so the design needs about {bram:,.0f} BRAM36"
    else:
        reason += f"; with {'it' if len(chosen) == 1 else 'them'} off-chip it needs about {bram:,.0f}"
    slow = [name for name in chosen if not hides[name]]
    if slow:
        reason += f" ({_names(slow)} wait for the memory bus: their weights are used too few times to hide the transfer)"
    return OffchipDecision(text, chosen, reason, **common)
