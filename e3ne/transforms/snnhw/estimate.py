"""`snnhw-estimate`: estimated LUT/FF/CARRY/BRAM/DSP and cycles for every unit and memory.

Works on the `snnhw` level (no lowering to hw needed; fast). Each unit and memory op gets
a discardable attribute

    estimate = {lut = 812, ff = 640, carry = 177, bram18 = 0, bram36 = 0, dsp = 0, cycles = 25094}

(`cycles` on units only; a unit's figure includes its bias ROM, which `snnhw` keeps inside
the unit). The `snnhw.schedule` op carries the design totals and the fit against
`target`'s budget. The cost functions are `e3ne.model.cost`'s, the same ones `e3ne explore`
evaluates without building IR, applied to each op's model shape (`StageOp.shape()`).

`estimate_accelerator` returns the same numbers as a `DesignEstimate` (used by reports).

A unit whose weight ROM has `kind = "offchip"` (or that is named in `estimate_accelerator`'s
`offchip` argument) costs its two-bank weight buffer and AXI read master instead of the ROM,
and its cycles include the first group's fill and any bandwidth stalls (`e3ne.model.memory.Streaming`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from e3ne.dense import dense_to_numpy
from e3ne.dialects import snnhw
from e3ne.errors import E3NEError
from e3ne.model import cost
from e3ne.model.kinds import RomKind
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY, MemoryModel, Streaming
from e3ne.model.parts import DEFAULT_PART, Part, get_part
from e3ne.model.schedule import ScheduleKind, buffer_words
from e3ne.model.schedule import interval as schedule_interval
from e3ne.model.schedule import latency as schedule_latency
from e3ne.model.units import ConvShape, LinearShape, PoolShape


@dataclass
class LayerEstimate:
    """One stage (unit + its weight/bias ROMs + the buffer it writes)."""

    name: str
    kind: str  # linear, conv, pool
    shape: str  # "784 -> 128" or "1x28x28 -> 32x28x28"
    time_steps: int
    weight_bits: int | None
    parallelism: dict[str, int]
    cycles: int
    parts: dict[str, cost.Cost] = field(default_factory=dict)
    additions_per_spike: int = 0  # fan-out: accumulator additions one input spike causes
    rom_bits_per_cycle: int = 0  # weight bits read each cycle
    accumulator_width: int = 0
    streaming: Streaming | None = None  # set when the weights come from external memory

    @property
    def offchip(self) -> bool:
        return self.streaming is not None

    @property
    def cost(self) -> cost.Cost:
        return cost.total(self.parts.values())


@dataclass
class DesignEstimate:
    layers: list[LayerEstimate]
    shared: dict[str, cost.Cost]  # input buffer, controller
    cycles: int
    axi_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY
    schedule: ScheduleKind = ScheduleKind.SEQUENTIAL

    @property
    def dataflow(self) -> bool:
        return self.schedule == ScheduleKind.DATAFLOW

    @property
    def latency(self) -> int:
        """Start to result of one image (`e3ne.model.schedule.latency`)."""
        return schedule_latency([layer.cycles for layer in self.layers], self.schedule)

    @property
    def interval(self) -> int:
        """Cycles between images streamed back to back (`e3ne.model.schedule.interval`)."""
        return schedule_interval([layer.cycles for layer in self.layers], self.schedule)

    @property
    def offchip_layers(self) -> list[LayerEstimate]:
        return [layer for layer in self.layers if layer.offchip]

    @property
    def bytes_per_image(self) -> int:
        """External memory traffic per image: every off-chip weight word, once."""
        return sum(layer.streaming.bytes_per_image for layer in self.offchip_layers)

    @property
    def totals(self) -> cost.Cost:
        return cost.total([layer.cost for layer in self.layers] + list(self.shared.values()))


def fit(totals: cost.Cost, part: Part) -> dict[str, dict]:
    """Per resource: used, available, utilization, and overflow (0 when it fits)."""
    used = {"lut": totals.lut, "ff": totals.ff, "bram": totals.bram, "dsp": totals.dsp}
    result = {}
    for key, budget in part.budget().items():
        value = used[key]
        result[key] = {
            "used": round(value, 1),
            "available": budget,
            "utilization": round(value / budget, 4),
            "overflow": round(max(0.0, value - budget), 1),
        }
    return result


# --------------------------------------------------------------------------- from snnhw ops


def _int(attr) -> int:
    return attr.value.data


def rom_cost(op: snnhw.RomOp) -> cost.Cost:
    width, depth, kind = _int(op.word_width), _int(op.depth), op.rom_kind()
    stored = None
    if kind == RomKind.DISTRIBUTED:
        stored = cost.rom_bits(dense_to_numpy(op.data), op.element_bits())
    return cost.rom(width, depth, kind, stored, keep_output=True)  # a weight ROM (a bias ROM: `bias_rom`)


def memory_cost(op: Operation) -> cost.Cost:
    if isinstance(op, snnhw.RomOp):
        return rom_cost(op)
    if isinstance(op, snnhw.BufferOp | snnhw.LogitBufferOp):
        host_read = isinstance(op, snnhw.LogitBufferOp)  # the host's one-cycle read port
        words = buffer_words(_int(op.depth), op.image_copies())  # two images in dataflow mode
        if host_read:
            return cost.ram(_int(op.word_width), words, read_latency=1)
        return cost.ram(_int(op.word_width), words, address_register=True)  # read by a unit
    raise TypeError(op.name)


def bias_words(bias: np.ndarray, groups: int, lanes: int) -> np.ndarray:
    padded = np.zeros(groups * lanes, dtype=np.int64)
    padded[: len(bias)] = bias
    return padded.reshape(groups, lanes)


def bias_rom(bias: np.ndarray, groups: int, lanes: int, accumulator_width: int) -> tuple[cost.Cost, int]:
    """The unit's bias ROM (LUT logic, one word of `lanes` biases per group) and its distinct
    bits, which the bias-hold register keeps (Yosys folds constant and duplicate outputs; `cost.rom_bits`)."""
    bits = _bias_bits(np.asarray(bias, dtype=np.int64).tobytes(), groups, lanes, accumulator_width)
    return cost.rom(lanes * accumulator_width, groups, "distributed", bits), bits.distinct


@functools.lru_cache(maxsize=512)
def _bias_bits(raw: bytes, groups: int, lanes: int, accumulator_width: int) -> cost.RomBits:
    """`cost.rom_bits` of a bias ROM, remembered: explore evaluates the same bias layout for many
    settings (a linear layer after a linear one, once per previous P), and the bits take a sort."""
    return cost.rom_bits(bias_words(np.frombuffer(raw, dtype=np.int64), groups, lanes), accumulator_width)


def linear_cost(shape: LinearShape, bias: np.ndarray) -> cost.Cost:
    """A linear unit's logic and bias ROM."""
    rom, stored = bias_rom(bias, shape.groups, shape.parallelism, shape.accumulator_width)
    return cost.linear_unit(shape, stored) + rom


def conv_cost(shape: ConvShape, bias: np.ndarray) -> cost.Cost:
    """A convolution unit's logic and bias ROM."""
    rom, stored = bias_rom(bias, shape.groups, shape.lanes, shape.accumulator_width)
    logic = cost.conv_unit(
        lanes=shape.lanes,
        columns=shape.columns,
        computed_width=shape.computed_size[1],
        written_width=shape.written_shape[2],
        kernel_w=shape.kernel[1],
        weight_bits=shape.weight_bits,
        accumulator_width=shape.accumulator_width,
        time_steps=shape.time_steps,
        address_bits=cost.bits_for(shape.input_depth),
        weight_address_bits=cost.bits_for(shape.rom_depth),
        bias_bits=stored,
        pool_rows=shape.pool_size[0],
        pool_cols=shape.pool_size[1],
        pool_value_bits=shape.pool_value_bits,
        select_luts=cost.conv_spike_select(
            columns=shape.columns,
            blocks=shape.blocks,
            kernel_w=shape.kernel[1],
            stride=shape.stride[1],
            pad=shape.padding[1],
            in_width=shape.in_shape[2],
            out_width=shape.computed_size[1],
        ),
    )
    if shape.skip_zeros:
        logic = logic + cost.conv_skip_issue(shape)
    return logic + rom


def pool_cost(shape: PoolShape) -> cost.Cost:
    kh, kw = shape.kernel
    return cost.pool_unit(
        width=shape.in_size[1],
        time_steps=shape.time_steps,
        kernel_h=kh,
        kernel_w=kw,
        address_bits=cost.bits_for(shape.input_depth),
    )


def unit_cost(unit: snnhw.StageOp) -> cost.Cost:
    """The unit's own logic (and bias ROM), without the weight ROM and buffers."""
    shape = unit.shape()
    if isinstance(shape, LinearShape):
        return linear_cost(shape, dense_to_numpy(unit.bias))
    if isinstance(shape, ConvShape):
        return conv_cost(shape, dense_to_numpy(unit.bias))
    return pool_cost(shape)


def _describe(unit: snnhw.StageOp) -> tuple[str, int | None, dict[str, int], int, int]:
    """Shape text, weight bits, parallelism, additions per input spike, ROM bits/cycle."""
    shape = unit.shape()
    if isinstance(shape, LinearShape):
        q = shape.input_parallelism
        return (
            f"{shape.in_features} -> {shape.out_features}",
            shape.weight_bits,
            {"P": shape.parallelism, **({"Q": q} if q > 1 else {})},
            shape.out_features,
            shape.word_width,
        )
    if isinstance(shape, ConvShape):
        (kh, kw), (sh, sw) = shape.kernel, shape.stride
        oc = shape.out_shape[0]
        fan_out = oc * max(1, (kh * kw) // (sh * sw))
        return (
            f"{'x'.join(map(str, shape.in_shape))} -> {'x'.join(map(str, shape.out_shape))} (kernel {kh}x{kw})",
            shape.weight_bits,
            {"columns": shape.columns, "channels": shape.channels, "units": shape.units},
            fan_out,
            shape.word_width,
        )
    kh, kw = shape.kernel
    c, (ih, iw), (oh, ow) = shape.channels, shape.in_size, shape.out_size
    return f"{c}x{ih}x{iw} -> {c}x{oh}x{ow} ({shape.mode} {kh}x{kw})", None, {}, 0, 0


def offchip_parts(streaming: Streaming) -> dict[str, cost.Cost]:
    """What an off-chip unit has instead of its weight ROM: the two-bank buffer and the AXI read master."""
    return {
        "weight buffer": cost.weight_buffer(streaming.word_width, streaming.group_words),
        "axi master": cost.axi_read_master(
            word_width=streaming.word_width,
            axi_width=streaming.axi_width,
            group_words=streaming.group_words,
            groups=streaming.groups,
        ),
    }


def estimate_accelerator(
    accelerator: snnhw.AcceleratorOp,
    offchip=None,
    axi_width: int | None = None,
    memory_latency: int | None = None,
    family: str | None = None,
) -> DesignEstimate:
    """Estimate every stage. A stage streams its weights if its ROM has `kind = "offchip"`,
    or, when `offchip` (layer names) is given, if it is listed there (what-if estimates of
    an all-on-chip lowering). `axi_width`/`memory_latency` default to the accelerator's.
    `family`: the coefficients of a part family (`xc7`, `ecp5`; default: those in use,
    see `cost.for_family`)."""
    if family is not None:
        with cost.for_family(family):
            return estimate_accelerator(accelerator, offchip, axi_width, memory_latency)
    ir = accelerator.memory()
    axi_width = ir.axi_data_width if axi_width is None else axi_width
    memory_latency = ir.memory_latency if memory_latency is None else memory_latency
    stages = accelerator.stages()
    layers = []
    for unit in stages:
        shape, bits, parallelism, fan_out, rom_bits = _describe(unit)
        parts = {"logic": unit_cost(unit)}
        cycles = unit.cycles()
        streaming = None
        if unit.HAS_WEIGHTS:
            streams = unit.is_offchip() if offchip is None else unit.symbol in offchip
            if streams:
                streaming = unit.streaming(MemoryModel(axi_width, memory_latency))
                parts.update(offchip_parts(streaming))
                cycles = streaming.cycles
            elif unit.is_offchip():
                raise E3NEError(
                    f"cannot estimate {unit.symbol} with its weights on chip: its ROM is off-chip in this IR",
                    hint="what-if estimates (offchip=...) need an all-on-chip lowering",
                )
            else:
                parts["weights"] = rom_cost(unit.weight_rom())
        parts["output"] = memory_cost(unit.output_buffer())
        layers.append(
            LayerEstimate(
                name=unit.symbol,
                kind=unit.KIND,
                shape=shape,
                time_steps=_int(unit.time_steps),
                weight_bits=bits,
                parallelism=parallelism,
                cycles=cycles,
                parts=parts,
                additions_per_spike=fan_out,
                rom_bits_per_cycle=rom_bits,
                accumulator_width=_int(unit.accumulator_width) if unit.HAS_WEIGHTS else 0,
                streaming=streaming,
            )
        )
    kind = accelerator.schedule().schedule_kind()
    controller = cost.dataflow_controller if kind == ScheduleKind.DATAFLOW else cost.controller
    shared = {
        "input buffer": memory_cost(stages[0].input_buffer()),
        "controller": controller(len(stages)),
    }
    return DesignEstimate(layers, shared, sum(layer.cycles for layer in layers), axi_width, memory_latency, kind)


# --------------------------------------------------------------------------- the pass


def estimate_attr(value: cost.Cost, cycles: int | None = None, **extra) -> DictionaryAttr:
    entries = {key: IntegerAttr(round(getattr(value, key)), i64) for key in cost.RESOURCES}
    if cycles is not None:
        entries["cycles"] = IntegerAttr(cycles, i64)
    for key, item in extra.items():
        entries[key] = StringAttr(item) if isinstance(item, str) else IntegerAttr(item, i64)
    return DictionaryAttr(entries)


def annotate(accelerator: snnhw.AcceleratorOp, part: Part) -> DesignEstimate:
    design = estimate_accelerator(accelerator)
    stages = {layer.name: layer for layer in design.layers}
    for op in accelerator.body.ops:
        if isinstance(op, snnhw.RomOp | snnhw.BufferOp | snnhw.LogitBufferOp):
            op.attributes["estimate"] = estimate_attr(memory_cost(op))
        elif isinstance(op, snnhw.StageOp) and op.symbol in stages:
            layer = stages[op.symbol]
            own = cost.total(c for name, c in layer.parts.items() if name not in ("weights", "output"))
            op.attributes["estimate"] = estimate_attr(own, layer.cycles)
    totals = design.totals
    fits = all(entry["overflow"] == 0 for entry in fit(totals, part).values())
    interval = {"interval": design.interval} if design.dataflow else {}
    accelerator.schedule().attributes["estimate"] = estimate_attr(
        totals, design.cycles, target=part.name, fits=int(fits), **interval
    )
    return design


@dataclass(frozen=True)
class EstimatePass(ModulePass):
    name = "snnhw-estimate"

    target: str = DEFAULT_PART

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        part = get_part(self.target)
        with cost.for_family(part.family):
            for accelerator in op.walk():
                if isinstance(accelerator, snnhw.AcceleratorOp):
                    annotate(accelerator, part)
