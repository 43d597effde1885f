"""Off-chip weights: how long a unit that streams its weights from external memory takes,
and which layers' weights should go off-chip for a target part.

Streaming model (the off-chip hardware's, docs/interface.md "Off-chip weights"): an off-chip
unit has a two-bank weight buffer of `group_words` words each (linear: the unit's chunks per
time step; conv: in_channels * kernel_h; a word is the weight ROM's word). Group g's words
are fetched over AXI4 into one bank while the unit computes group g-1 from the other. A ROM
word takes `ceil(word_width / axi_width)` beats; word w of group g sits at byte
`(g * group_words + w) * beats_per_word * axi_width / 8` from a 4 KiB-aligned base. Bursts
go one at a time, each at most 256 beats and not crossing a 4 KiB boundary, and cost
`memory_latency` cycles (AR to first beat) plus one cycle per beat. A group starts when the
previous group is done and its own fetch is complete, so a stage takes

    fetch(0) + sum_{g>=1} max(compute, fetch(g)) + compute + pipeline + drain

cycles (`compute` = the group's chunks * T for a linear unit, computed rows * row cycles
for a convolution); the weights cross the bus once per image.

`decide` is the automatic choice (`--offchip-weights auto`): keep all weights on-chip if
the design's block RAM fits the budget; otherwise move layers off-chip, those whose reuse
hides the bandwidth first and among them the ones with the most weight block RAM, until
it fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from e3ne import cost
from e3ne.errors import E3NEError

DEFAULT_AXI_WIDTH = 128
DEFAULT_MEMORY_LATENCY = 16
AXI_BOUNDARY_BYTES = 4096
AXI_MAX_BURST_BEATS = 256
PIPELINE_LATENCY = 2  # snnhw.PIPELINE_LATENCY: memory read register + accumulator register


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def bursts(start_byte: int, beats: int, beat_bytes: int) -> list[int]:
    """Burst lengths (beats) of a read of `beats` beats from `start_byte`: at most 256 beats
    each, none crossing a 4 KiB boundary."""
    lengths = []
    address = start_byte
    while beats > 0:
        to_boundary = (AXI_BOUNDARY_BYTES - address % AXI_BOUNDARY_BYTES) // beat_bytes
        length = min(beats, AXI_MAX_BURST_BEATS, max(1, to_boundary))
        lengths.append(length)
        beats -= length
        address += length * beat_bytes
    return lengths


@dataclass(frozen=True)
class Streaming:
    """The timing of one off-chip unit (see the module docstring)."""

    groups: int
    group_words: int
    word_width: int
    compute_cycles: int  # one group's accumulation
    overhead_cycles: int  # pipeline + last drain
    axi_width: int = DEFAULT_AXI_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY
    _fetch_cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def beats_per_word(self) -> int:
        return ceil_div(self.word_width, self.axi_width)

    @property
    def beat_bytes(self) -> int:
        return self.axi_width // 8

    @property
    def group_beats(self) -> int:
        return self.group_words * self.beats_per_word

    @property
    def group_bytes(self) -> int:
        return self.group_beats * self.beat_bytes

    def fetch_cycles(self, group: int) -> int:
        """Cycles to fetch group `group`: per burst, the memory latency plus its beats."""
        offset = (group * self.group_bytes) % AXI_BOUNDARY_BYTES  # the split repeats with the 4 KiB offset
        if offset not in self._fetch_cache:
            lengths = bursts(offset, self.group_beats, self.beat_bytes)
            self._fetch_cache[offset] = len(lengths) * self.memory_latency + self.group_beats
        return self._fetch_cache[offset]

    @cached_property
    def fetches(self) -> list[int]:
        return [self.fetch_cycles(g) for g in range(self.groups)]

    @cached_property
    def cycles(self) -> int:
        fetches = self.fetches
        compute = self.compute_cycles
        return fetches[0] + sum(max(compute, f) for f in fetches[1:]) + compute + self.overhead_cycles

    @property
    def onchip_cycles(self) -> int:
        return self.groups * self.compute_cycles + self.overhead_cycles

    @property
    def first_fill_cycles(self) -> int:
        return self.fetches[0]

    @property
    def stall_cycles(self) -> int:
        """Cycles beyond the on-chip unit's: the first group's fill and bandwidth stalls."""
        return self.cycles - self.onchip_cycles

    @property
    def hides_bandwidth(self) -> bool:
        """Every later group's fetch fits behind the previous group's compute."""
        return all(f <= self.compute_cycles for f in self.fetches[1:])

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
            "fetch_cycles_per_group": max(self.fetches),
            "first_fill_cycles": self.first_fill_cycles,
            "stall_cycles": self.stall_cycles,
            "hides_bandwidth": self.hides_bandwidth,
            "bytes_per_image": self.bytes_per_image,
            "bandwidth_needed_gbps": round(self.bandwidth_needed(clock_mhz) / 1e9, 3),
        }


def streaming_of(unit, axi_width: int = DEFAULT_AXI_WIDTH, memory_latency: int = DEFAULT_MEMORY_LATENCY) -> Streaming:
    """The streaming timing of an `snnhw.linear_unit` or `snnhw.conv_unit` if its weights were off-chip."""
    from e3ne.dialects import snnhw

    word_width = unit.weight_rom().word_width.value.data
    t = unit.time_steps.value.data
    if isinstance(unit, snnhw.LinearUnitOp):
        group_words = unit.chunks()
        compute = group_words * t
    elif isinstance(unit, snnhw.ConvUnitOp):
        kh = unit.kernel_size()[0]
        group_words = unit.in_channels.value.data * kh
        compute = unit.computed_size()[0] * unit.row_cycles()
    else:
        raise TypeError(f"{unit.name} has no weights")
    return Streaming(
        groups=unit.groups(),
        group_words=group_words,
        word_width=word_width,
        compute_cycles=compute,
        overhead_cycles=PIPELINE_LATENCY + unit.drain_cycles(),
        axi_width=axi_width,
        memory_latency=memory_latency,
    )


def accelerator_axi(accelerator) -> tuple[int, int]:
    """(axi_data_width, memory_latency) of an accelerator, the defaults when it has none."""
    width = getattr(accelerator, "axi_data_width", None)
    latency = getattr(accelerator, "memory_latency", None)
    return (
        DEFAULT_AXI_WIDTH if width is None else width.value.data,
        DEFAULT_MEMORY_LATENCY if latency is None else latency.value.data,
    )


def is_offchip(unit) -> bool:
    """The unit's weight ROM is marked `kind = "offchip"` in the IR."""
    return hasattr(unit, "weights") and unit.weight_rom().kind.data == "offchip"


# --------------------------------------------------------------------------- the request


def parse_request(text: str | None) -> str | tuple[str, ...]:
    """`auto` (default), `none`, `all`, or a comma-separated list of layer names."""
    text = (text or "auto").strip()
    if text in ("auto", "none", "all"):
        return text
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise E3NEError(f"bad --offchip-weights '{text}': expected auto, none, all or a list like fc1,fc2")
    return names


def weight_layers(accelerator) -> list[str]:
    """Names of the stages that have weights (conv and linear units), in network order."""
    return [unit.symbol for unit in accelerator.schedule().stage_ops() if hasattr(unit, "weights")]


def check_names(names: tuple[str, ...], accelerator) -> None:
    stages = [unit.symbol for unit in accelerator.schedule().stage_ops()]
    with_weights = weight_layers(accelerator)
    unknown = [name for name in names if name not in stages]
    if unknown:
        raise E3NEError(
            f"--offchip-weights names unknown layer(s) {', '.join(unknown)}",
            hint=f"layers with weights: {', '.join(with_weights)}",
        )
    weightless = [name for name in names if name not in with_weights]
    if weightless:
        raise E3NEError(
            f"--offchip-weights: layer(s) {', '.join(weightless)} have no weights to stream",
            hint=f"layers with weights: {', '.join(with_weights)}",
        )


# --------------------------------------------------------------------------- the decision


@dataclass
class OffchipDecision:
    """Which layers stream their weights, and why (for report.md/json)."""

    request: str  # the user's --offchip-weights text
    layers: tuple[str, ...]
    reason: str
    onchip_bram: float  # the design's BRAM36 with every weight on-chip
    budget_bram: float
    axi_width: int = DEFAULT_AXI_WIDTH
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
    axi_width: int = DEFAULT_AXI_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    explored: tuple[str, ...] | None = None,
) -> OffchipDecision:
    """Choose the off-chip layers of `accelerator` (an `snnhw.accelerator` lowered with its
    weights on-chip) for `part`, using at most `max_utilization` of its block RAM.

    `request`: `auto`, `none`, `all` or a list of layer names (`"fc1,fc2"`). `explored`:
    under `auto`, the layers `e3ne explore` already chose together with the parallelism
    (only the reason is worked out here)."""
    from e3ne.passes.estimate import estimate_accelerator

    wanted = parse_request(request)
    text = request or "auto"
    design = estimate_accelerator(accelerator, offchip=())
    onchip = design.totals.bram
    budget = part.bram36 * max_utilization
    units = {unit.symbol: unit for unit in accelerator.schedule().stage_ops()}
    layers = weight_layers(accelerator)
    weight_bram = {layer.name: layer.parts["weights"].bram for layer in design.layers if "weights" in layer.parts}
    common = dict(
        onchip_bram=onchip, budget_bram=budget, axi_width=axi_width, memory_latency=memory_latency,
        weight_bram=weight_bram,
    )  # fmt: skip
    need = f"on-chip they would need {onchip:,g} BRAM36 in all, over the {budget:,.0f} ({max_utilization:.0%} of {part.bram36:,}) that {part.name} allows"
    if wanted == "none":
        return OffchipDecision(text, (), "all weights stay on-chip (--offchip-weights none)", **common)
    if wanted == "all":
        return OffchipDecision(text, tuple(layers), "every layer streams its weights (--offchip-weights all)", **common)
    if isinstance(wanted, tuple):
        check_names(wanted, accelerator)
        chosen = tuple(name for name in layers if name in wanted)  # network order
        return OffchipDecision(text, chosen, f"{_names(chosen)} stream their weights (--offchip-weights {text})", **common)
    if explored is not None:
        check_names(tuple(explored), accelerator)
        chosen = tuple(name for name in layers if name in explored)
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
