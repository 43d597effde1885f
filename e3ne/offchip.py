"""Off-chip weights, the placement policy: which layers stream their weights from external
memory, where they sit in the weight image, and the automatic choice.

The user's choice (`--offchip-weights`, pass option `offchip-weights`) is parsed by
`offchip_layers` alone:

    auto          (CLI only) `decide`: stream weights only when they do not fit the part
    none          every weight ROM on chip
    all           every conv/linear layer's weights off chip
    fc1,fc2       those layers (hardware names: conv1.., fc1.. in network order)

`assign_base_addresses` lays the chosen ROMs out in the weight image, one after another
in layer order, each starting on a 4 KiB page (`e3ne.model.memory.OFFCHIP_ALIGNMENT`).

The timing of a streaming unit is the hardware model's (`e3ne.model.memory.Streaming`,
asked through `WeightedStageOp.streaming`): a two-bank weight buffer of `group_words`
words; group g+1 is fetched into one bank while group g computes from the other.

`decide` is the automatic choice: keep all weights on-chip if the design's block RAM fits
the budget; otherwise move layers off-chip, those whose reuse hides the bandwidth first and
among them the ones with the most weight block RAM, until it fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64

from e3ne.dialects import snnhw
from e3ne.errors import E3NEError
from e3ne.model import cost
from e3ne.model.kinds import RomKind
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY, MemoryModel, aligned
from e3ne.model.parts import Part
from e3ne.transforms.snnhw.estimate import estimate_accelerator


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


def assign_base_addresses(roms: list[snnhw.RomOp], axi_data_width: int) -> int:
    """Marks `roms` off-chip with consecutive 4 KiB-aligned base addresses; returns the
    image size in bytes."""
    address = 0
    for rom in roms:
        rom.properties["kind"] = StringAttr(RomKind.OFFCHIP.value)
        rom.properties["base_address"] = IntegerAttr(address, i64)
        address += aligned(rom.image_bytes(axi_data_width))
    return address


# --------------------------------------------------------------------------- the request


def weight_layers(accelerator: snnhw.AcceleratorOp) -> list[str]:
    """Names of the stages that have weights (conv and linear units), in network order."""
    return [unit.symbol for unit in accelerator.stages() if unit.HAS_WEIGHTS]


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
    accelerator: snnhw.AcceleratorOp,
    part: Part,
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
    text = request_text(request)
    design = estimate_accelerator(accelerator, offchip=())
    onchip = design.totals.bram
    budget = part.bram36 * max_utilization
    units = {unit.symbol: unit for unit in accelerator.stages()}
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
        streaming = units[name].streaming(MemoryModel(axi_width, memory_latency))
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
