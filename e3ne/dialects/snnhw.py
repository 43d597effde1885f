"""The `snnhw` dialect: the accelerator's micro-architecture (docs/architecture.md).

An `snnhw.accelerator` holds, in one symbol table:

* memories: `snnhw.buffer` (activation bit-planes, word = one row of `width` spikes,
  address = row + height * (channel + channels * t)), `snnhw.rom` (weights, a word packs
  the `lanes` weights read in one cycle), `snnhw.logit_buffer` (the output layer's
  signed values, one per word);
* stages: units that read one buffer and write the next: `snnhw.conv_unit`,
  `snnhw.pool_unit`, `snnhw.linear_unit` (all read and write the same C x H x W x T
  bit-plane buffers; a linear unit reads feature c*H*W + h*W + w from word h + H*(c + C*t), bit w);
* `snnhw.schedule`: the static layer order and each stage's cycle count.

Every parallelism and width is an attribute; every verifier states its rule. The stage ops
share `StageOp` (and `WeightedStageOp` for the units with a weight ROM): `shape()` returns
the unit's hardware-model dataclass (`e3ne.model.units`), which alone defines groups, drain
and cycles; the ops' schedule methods ask it. String-valued choices (ROM kind, buffer role,
pool mode) are `e3ne.model.kinds` enums, checked by an IRDL constraint.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FlatSymbolRefAttr,
    IntegerAttr,
    IntegerType,
    Signedness,
    StringAttr,
    SymbolRefAttr,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, Region
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.irdl import (
    AttrSetConstraint,
    IRDLOperation,
    VerificationContext,
    ParsePropInAttrDict,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.traits import NoTerminator, SymbolOpInterface, SymbolTable
from xdsl.utils.exceptions import VerifyException

from e3ne.dense import dense_to_numpy
from e3ne.model.kinds import BufferRole, PoolMode, RomKind
from e3ne.model.memory import (
    AXI_ADDRESS_BITS,
    AXI_DATA_WIDTHS,
    DEFAULT_AXI_DATA_WIDTH,
    DEFAULT_MEMORY_LATENCY,
    OFFCHIP_ALIGNMENT,
    MemoryModel,
    Streaming,
    image_bytes,
)
from e3ne.model.units import ConvShape, LinearShape, PoolShape, StageShape, window_output
from e3ne.dialects.snnhw_lif import LifNeuron, verify_lif
from e3ne.numerics import accumulator_range, signed_width


def _int(attr: IntegerAttr) -> int:
    return attr.value.data


def _i(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


@dataclass(frozen=True)
class EnumConstraint(AttrSetConstraint[StringAttr]):
    """The IRDL constraint of a string-valued enum property: a StringAttr holding one of
    `enum`'s values (the IR keeps printing the plain string)."""

    enum: type[StrEnum] = StrEnum

    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        if attr not in self.values:
            allowed = ", ".join(f"'{value.value}'" for value in self.enum)
            got = f"'{attr.data}'" if isinstance(attr, StringAttr) else str(attr)
            raise VerifyException(f"{self.enum.__name__} must be one of {allowed}, got {got}")


def _one_of(enum: type[StrEnum]) -> EnumConstraint:
    return EnumConstraint(frozenset(StringAttr(value.value) for value in enum), enum)


def _lookup(op: Operation, ref: SymbolRefAttr, kind: type, role: str):
    target = SymbolTable.lookup_symbol(op, ref)
    if target is None:
        raise VerifyException(f"{role} @{ref.root_reference.data} is not defined in the accelerator")
    if not isinstance(target, kind):
        kinds = " or ".join(k.name for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise VerifyException(f"{role} @{ref.root_reference.data} must be a {kinds}, got {target.name}")
    return target


class SymbolOp(IRDLOperation):
    """An op named by a symbol, printed `snnhw.<op> @name {properties}`."""

    sym_name = prop_def(StringAttr)
    traits = traits_def(SymbolOpInterface())

    @property
    def symbol(self) -> str:
        return self.sym_name.data

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        properties = {k: v for k, v in self.properties.items() if k != "sym_name"}
        printer.print_op_attributes({**properties, **self.attributes})

    @classmethod
    def parse(cls, parser: Parser):
        name = parser.parse_symbol_name()
        attributes = parser.parse_optional_attr_dict()
        names = set(cls.get_irdl_definition().properties)
        properties = {k: v for k, v in attributes.items() if k in names}
        others = {k: v for k, v in attributes.items() if k not in names}
        return cls.create(properties={"sym_name": name, **properties}, attributes=others)


@irdl_op_definition
class AcceleratorOp(IRDLOperation):
    """The whole accelerator: memories, stages and the schedule, in one symbol table."""

    name = "snnhw.accelerator"
    sym_name = prop_def(StringAttr)
    time_steps = prop_def(IntegerAttr[I64])
    axi_data_width = opt_prop_def(IntegerAttr[I64])
    memory_latency = opt_prop_def(IntegerAttr[I64])
    body = region_def("single_block")
    traits = traits_def(SymbolOpInterface(), SymbolTable(), NoTerminator())

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        fields = [f"time_steps = {self.time_steps.value.data}"]
        for key in ("axi_data_width", "memory_latency"):
            if (value := self.properties.get(key)) is not None:
                fields.append(f"{key} = {value.value.data}")
        printer.print_string(f" {{{', '.join(fields)}}} ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=False)

    @classmethod
    def parse(cls, parser: Parser) -> AcceleratorOp:
        name = parser.parse_symbol_name()
        position = parser.pos
        attributes = parser.parse_optional_attr_dict()
        if "time_steps" not in attributes:
            parser.raise_error(
                f"snnhw.accelerator @{name.data} needs time_steps (the number of spike time steps T)",
                position,
                parser.pos,
            )
        body = parser.parse_region()
        properties = {"sym_name": name, "time_steps": attributes["time_steps"]}
        for key in ("axi_data_width", "memory_latency"):
            if key in attributes:
                value = attributes[key]
                properties[key] = _i(value.value.data) if isinstance(value, IntegerAttr) else value
        return cls.create(properties=properties, regions=[body])

    def __init__(
        self,
        name: str,
        time_steps: int,
        body: Region,
        axi_data_width: int | None = None,
        memory_latency: int | None = None,
    ):
        axi = {} if axi_data_width is None else {"axi_data_width": _i(axi_data_width)}
        latency = {} if memory_latency is None else {"memory_latency": _i(memory_latency)}
        super().__init__(
            properties={"sym_name": StringAttr(name), "time_steps": _i(time_steps), **axi, **latency}, regions=[body]
        )

    def offchip_roms(self) -> list[RomOp]:
        return [op for op in self.body.ops if isinstance(op, RomOp) and op.is_offchip()]

    def memory_model(self) -> tuple[int, int]:
        """(axi_data_width, memory_latency) of the external weight memory."""
        if self.axi_data_width is None or self.memory_latency is None:
            roms = ", ".join(f"@{rom.symbol}" for rom in self.offchip_roms())
            raise VerifyException(f"ROM {roms} is off-chip: the accelerator needs axi_data_width and memory_latency")
        return _int(self.axi_data_width), _int(self.memory_latency)

    def memory(self) -> MemoryModel:
        """The external weight memory: the IR's axi_data_width/memory_latency, each defaulting
        (DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY) when the accelerator has none."""
        return MemoryModel(
            DEFAULT_AXI_DATA_WIDTH if self.axi_data_width is None else _int(self.axi_data_width),
            DEFAULT_MEMORY_LATENCY if self.memory_latency is None else _int(self.memory_latency),
        )

    def stages(self) -> list[StageOp]:
        return self.schedule().stage_ops()

    def schedule(self) -> ScheduleOp:
        for op in self.body.ops:
            if isinstance(op, ScheduleOp):
                return op
        raise VerifyException("the accelerator has no snnhw.schedule")

    def verify_(self) -> None:
        schedules = [op for op in self.body.ops if isinstance(op, ScheduleOp)]
        if len(schedules) != 1:
            raise VerifyException(f"an accelerator needs exactly one snnhw.schedule, got {len(schedules)}")
        if self.axi_data_width is not None and _int(self.axi_data_width) not in AXI_DATA_WIDTHS:
            raise VerifyException(
                f"axi_data_width {_int(self.axi_data_width)} must be a power of two in [32, 1024]"
            )
        if self.memory_latency is not None and _int(self.memory_latency) < 1:
            raise VerifyException(f"memory_latency {_int(self.memory_latency)} must be at least 1 cycle")
        offchip = self.offchip_roms()
        if offchip and (self.axi_data_width is None or self.memory_latency is None):
            raise VerifyException(
                f"ROM @{offchip[0].symbol} is off-chip: the accelerator needs axi_data_width and memory_latency"
            )
        previous: RomOp | None = None
        for rom in sorted(offchip, key=lambda r: _int(r.base_address)):
            base, size = _int(rom.base_address), rom.image_bytes(_int(self.axi_data_width))
            if previous is not None and base < _int(previous.base_address) + previous.image_bytes(_int(self.axi_data_width)):
                raise VerifyException(
                    f"off-chip ROMs @{previous.symbol} and @{rom.symbol} overlap in the weight image "
                    f"(@{rom.symbol} starts at {base})"
                )
            if base + size > 1 << AXI_ADDRESS_BITS:
                raise VerifyException(f"off-chip ROM @{rom.symbol} ends past the 4 GiB of the 32-bit AXI address")
            previous = rom


@irdl_op_definition
class BufferOp(SymbolOp):
    """Activation bit-planes: `time_steps` planes of channels x height x width spikes.

    A word is one row (`width` spikes, bit w = column w); the word of (channel, row, t)
    is at address `row + height * (channel + channels * t)`, so `depth = channels * height * T`.
    `role` is "input" (written by the host) or "hidden" (written by a unit).
    """

    name = "snnhw.buffer"
    channels = prop_def(IntegerAttr[I64])
    height = prop_def(IntegerAttr[I64])
    width = prop_def(IntegerAttr[I64])
    time_steps = prop_def(IntegerAttr[I64])
    word_width = prop_def(IntegerAttr[I64])
    depth = prop_def(IntegerAttr[I64])
    role = prop_def(_one_of(BufferRole))

    def __init__(self, name: str, channels: int, height: int, width: int, time_steps: int, role: BufferRole | str):
        super().__init__(
            properties={
                "sym_name": StringAttr(name),
                "channels": _i(channels),
                "height": _i(height),
                "width": _i(width),
                "time_steps": _i(time_steps),
                "word_width": _i(width),
                "depth": _i(channels * height * time_steps),
                "role": StringAttr(BufferRole(role).value),
            }
        )

    def shape(self) -> tuple[int, int, int, int]:
        return (_int(self.channels), _int(self.height), _int(self.width), _int(self.time_steps))

    def features(self) -> int:
        c, h, w, _ = self.shape()
        return c * h * w

    def words_per_step(self) -> int:
        c, h, _, _ = self.shape()
        return c * h

    def verify_(self) -> None:
        c, h, w, t = self.shape()
        if min(c, h, w, t) < 1:
            raise VerifyException(f"buffer shape {c}x{h}x{w}x{t} must be positive")
        if _int(self.word_width) != w:
            raise VerifyException(f"word width {_int(self.word_width)} must equal the row width {w}")
        if _int(self.depth) != c * h * t:
            raise VerifyException(f"depth {_int(self.depth)} must be channels*height*T = {c * h * t}")
    def buffer_role(self) -> BufferRole:
        return BufferRole(self.role.data)


@irdl_op_definition
class LogitBufferOp(SymbolOp):
    """The output layer's signed values V, one `word_width`-bit word per output (padded to `depth`)."""

    name = "snnhw.logit_buffer"
    entries = prop_def(IntegerAttr[I64])
    depth = prop_def(IntegerAttr[I64])
    word_width = prop_def(IntegerAttr[I64])

    def __init__(self, name: str, entries: int, depth: int, word_width: int):
        super().__init__(
            properties={
                "sym_name": StringAttr(name),
                "entries": _i(entries),
                "depth": _i(depth),
                "word_width": _i(word_width),
            }
        )

    def verify_(self) -> None:
        if not 1 <= _int(self.entries) <= _int(self.depth):
            raise VerifyException(f"entries {_int(self.entries)} must be in [1, depth = {_int(self.depth)}]")


@irdl_op_definition
class RomOp(SymbolOp):
    """Weight ROM: `data[address, lane]`; a word packs `lanes` weights of `weight_bits` (lane 0 lowest)."""

    name = "snnhw.rom"
    data = prop_def(DenseIntOrFPElementsAttr)
    word_width = prop_def(IntegerAttr[I64])
    depth = prop_def(IntegerAttr[I64])
    kind = prop_def(_one_of(RomKind))
    base_address = opt_prop_def(IntegerAttr[I64])

    def __init__(
        self, name: str, data: DenseIntOrFPElementsAttr, kind: RomKind | str, base_address: int | None = None
    ):
        depth, lanes = data.get_shape()
        bits = data.get_element_type().width.data
        base = {} if base_address is None else {"base_address": _i(base_address)}
        super().__init__(
            properties={
                "sym_name": StringAttr(name),
                "data": data,
                "word_width": _i(lanes * bits),
                "depth": _i(depth),
                "kind": StringAttr(RomKind(kind).value),
                **base,
            }
        )

    def is_offchip(self) -> bool:
        """Off-chip: the words live in the external weight image at `base_address` and
        stream through the unit's double buffer (`kind = "offchip"`)."""
        return self.rom_kind() == RomKind.OFFCHIP

    def rom_kind(self) -> RomKind:
        return RomKind(self.kind.data)

    def image_bytes(self, axi_data_width: int) -> int:
        """Bytes the ROM occupies in the weight image: depth words of whole AXI beats."""
        return image_bytes(_int(self.depth), _int(self.word_width), axi_data_width)

    def lanes(self) -> int:
        return self.data.get_shape()[1]

    def element_bits(self) -> int:
        return self.data.get_element_type().width.data

    def verify_(self) -> None:
        shape = tuple(self.data.get_shape())
        element = self.data.get_element_type()
        if len(shape) != 2:
            raise VerifyException(f"ROM data must have shape depth x lanes, got rank {len(shape)}")
        if not (isinstance(element, IntegerType) and element.signedness.data == Signedness.SIGNED):
            raise VerifyException(f"ROM data must be signed integers, got {element}")
        if _int(self.depth) != shape[0]:
            raise VerifyException(f"depth {_int(self.depth)} does not match the data's {shape[0]} words")
        if _int(self.word_width) != shape[1] * element.width.data:
            raise VerifyException(
                f"word width {_int(self.word_width)} must be lanes*bits = {shape[1]}*{element.width.data}"
            )
        if self.is_offchip() != (self.base_address is not None):
            raise VerifyException(
                "an off-chip ROM needs base_address"
                if self.is_offchip()
                else f"base_address is only for off-chip ROMs, this one is '{self.kind.data}'"
            )
        if self.base_address is not None:
            base = _int(self.base_address)
            if base < 0 or base % OFFCHIP_ALIGNMENT:
                raise VerifyException(f"base_address {base} must be a non-negative multiple of 4096 (4 KiB)")


class StageOp(SymbolOp):
    """A stage: a unit that reads one activation buffer and writes the next.

    Its schedule is the hardware model's (`e3ne.model.units`): `shape()` returns the unit's
    model dataclass, and the cycle counts below ask it, with the external memory's
    `MemoryModel` when the unit's weights stream from it."""

    KIND: ClassVar[str]  # "linear", "conv", "pool"
    HAS_WEIGHTS: ClassVar[bool] = False

    def shape(self) -> StageShape:
        raise NotImplementedError

    def is_output(self) -> bool:
        """The network's output layer (writes the logit buffer)."""
        return False

    def is_offchip(self) -> bool:
        """The unit's weights stream from external memory (its ROM has kind = "offchip")."""
        return False

    def memory(self) -> MemoryModel | None:
        """The memory the unit's weights stream from, None when they are on chip."""
        if not self.is_offchip():
            return None
        accelerator = self.parent_op()
        if not isinstance(accelerator, AcceleratorOp):
            raise VerifyException(f"stage @{self.symbol} with off-chip weights must sit in an snnhw.accelerator")
        return MemoryModel(*accelerator.memory_model())

    def input_buffer(self) -> BufferOp:
        return _lookup(self, self.input, BufferOp, "input buffer")

    def output_buffer(self) -> BufferOp | LogitBufferOp:
        return _lookup(self, self.output, BufferOp, "output buffer")

    def input_features(self) -> int:
        """Features the stage reads a time step (C*H*W of its input buffer)."""
        return self.input_buffer().features()

    def output_features(self) -> int:
        """Features the stage writes a time step (C*H*W of its output buffer)."""
        return self.output_buffer().features()

    # -- the static schedule of this stage (e3ne.model.units)
    def drain_cycles(self) -> int:
        return self.shape().drain_cycles

    def ideal_cycles(self) -> int:
        return self.shape().ideal_cycles

    def stall_cycles(self) -> int:
        """Cycles the unit waits for off-chip weight groups (0 with on-chip weights)."""
        return self.shape().stall_cycles(self.memory())

    def cycles(self) -> int:
        """Start to the next stage's start."""
        return self.shape().cycles(self.memory())

    def overhead_cycles(self) -> int:
        """Cycles beyond `ideal_cycles`: pipeline, last drain, waits for the drain or weights."""
        return self.shape().overhead_cycles(self.memory())


class WeightedStageOp(StageOp):
    """A stage with a weight ROM, read one group of output lanes at a time."""

    HAS_WEIGHTS: ClassVar[bool] = True

    def shape(self) -> LinearShape | ConvShape:
        raise NotImplementedError

    def weight_rom(self) -> RomOp:
        return _lookup(self, self.weights, RomOp, "weight ROM")

    def is_offchip(self) -> bool:
        return self.weight_rom().is_offchip()

    def streaming(self, memory: MemoryModel | None = None) -> Streaming:
        """The unit's timing if its weights streamed from `memory` (default: the accelerator's
        memory model, each value defaulted when the IR has none)."""
        if memory is None:
            accelerator = self.parent_op()
            memory = accelerator.memory() if isinstance(accelerator, AcceleratorOp) else MemoryModel()
        return self.shape().streaming(memory)

    def groups(self) -> int:
        return self.shape().groups

    def lanes(self) -> int:
        """Output lanes accumulated side by side (P, or channels * units)."""
        return self.shape().lanes

    def group_words(self) -> int:
        """Weight words of one group of output lanes."""
        return self.shape().group_words

    def group_cycles(self) -> int:
        """Issue cycles of one group of output lanes."""
        return self.shape().group_cycles

    def bias_bits(self) -> int:
        """Width of a bias ROM lane."""
        raise NotImplementedError

    def bias_values(self):
        """The bias ROM's value per output lane, as int64 (before padding to whole groups)."""
        raise NotImplementedError


@irdl_op_definition
class LinearUnitOp(WeightedStageOp):
    """A linear unit: `parallelism` (P) output neurons accumulate at once, one input spike per cycle.

    For each group of P outputs, for t in 0..T-1, for each input i:
    `acc <- (i == 0 ? 2*acc : acc) + (spike[t][i] ? W : 0)` (docs/numerics.md §9); then `+ Bq`,
    then the radix neuron with `shift` writes T bit-planes (P bits a word) to `output`,
    or, for the output layer, V goes to the logit buffer. The neuron write-back of a
    group drains from a shadow bank while the next group accumulates.
    """

    name = "snnhw.linear_unit"
    in_features = prop_def(IntegerAttr[I64])
    out_features = prop_def(IntegerAttr[I64])
    parallelism = prop_def(IntegerAttr[I64])
    time_steps = prop_def(IntegerAttr[I64])
    weight_bits = prop_def(IntegerAttr[I64])
    accumulator_width = prop_def(IntegerAttr[I64])
    shift = prop_def(IntegerAttr[I64])
    output_layer = prop_def(IntegerAttr[I64])
    bias = prop_def(DenseIntOrFPElementsAttr)
    input = prop_def(SymbolRefAttr)
    weights = prop_def(SymbolRefAttr)
    output = prop_def(SymbolRefAttr)
    input_parallelism = opt_prop_def(IntegerAttr[I64])
    # IF/LIF mode (snnhw_lif.py); absent on a radix unit
    neuron = opt_prop_def(StringAttr)
    lif_leak = opt_prop_def(IntegerAttr[I64])
    lif_leak_bits = opt_prop_def(IntegerAttr[I64])
    lif_threshold = opt_prop_def(IntegerAttr[I64])
    lif_reset = opt_prop_def(StringAttr)
    readout = opt_prop_def(StringAttr)
    lif_steps = opt_prop_def(IntegerAttr[I64])  # direct coding (snnhw_lif.py)

    def __init__(
        self,
        name: str,
        *,
        in_features: int,
        out_features: int,
        parallelism: int,
        time_steps: int,
        weight_bits: int,
        accumulator_width: int,
        shift: int,
        output_layer: bool,
        bias: DenseIntOrFPElementsAttr,
        input: str,
        weights: str,
        output: str,
        input_parallelism: int = 1,
        lif: LifNeuron | None = None,
    ):
        extra = {"input_parallelism": _i(input_parallelism)} if input_parallelism != 1 else {}
        if lif is not None:
            extra.update(lif.properties())
        super().__init__(
            properties={
                **extra,
                "sym_name": StringAttr(name),
                "in_features": _i(in_features),
                "out_features": _i(out_features),
                "parallelism": _i(parallelism),
                "time_steps": _i(time_steps),
                "weight_bits": _i(weight_bits),
                "accumulator_width": _i(accumulator_width),
                "shift": _i(shift),
                "output_layer": _i(int(output_layer)),
                "bias": bias,
                "input": FlatSymbolRefAttr(input),
                "weights": FlatSymbolRefAttr(weights),
                "output": FlatSymbolRefAttr(output),
            }
        )

    KIND: ClassVar[str] = "linear"

    def shape(self) -> LinearShape:
        source = self.input_buffer()
        return LinearShape(
            in_features=_int(self.in_features),
            out_features=_int(self.out_features),
            parallelism=_int(self.parallelism),
            time_steps=_int(self.time_steps),
            weight_bits=_int(self.weight_bits),
            accumulator_width=_int(self.accumulator_width),
            output_layer=self.is_output(),
            input_word_width=_int(source.word_width),
            input_depth=_int(source.depth),
            input_parallelism=self.q(),
            output_time_steps=0 if self.lif_steps is None else _int(self.lif_steps),
        )

    def q(self) -> int:
        """Input parallelism Q: input spikes (of one buffer word) taken per cycle (default 1)."""
        return 1 if self.input_parallelism is None else _int(self.input_parallelism)

    def chunks(self) -> int:
        """Cycles per time step (`LinearShape.chunks`)."""
        return self.shape().chunks

    def is_output(self) -> bool:
        return _int(self.output_layer) != 0

    def input_features(self) -> int:
        return _int(self.in_features)

    def output_features(self) -> int:
        return _int(self.out_features)

    def bias_bits(self) -> int:
        """The bias ROM holds Bq at the accumulator's width."""
        return _int(self.accumulator_width)

    def bias_values(self):
        return dense_to_numpy(self.bias)

    def output_buffer(self) -> BufferOp | LogitBufferOp:
        kind = LogitBufferOp if self.is_output() else BufferOp
        return _lookup(self, self.output, kind, "output logit buffer" if self.is_output() else "output buffer")

    def verify_(self) -> None:
        in_f, out_f, p = _int(self.in_features), _int(self.out_features), _int(self.parallelism)
        t, bits, width = _int(self.time_steps), _int(self.weight_bits), _int(self.accumulator_width)
        if not 1 <= p <= out_f:
            raise VerifyException(f"parallelism P = {p} must be in [1, {out_f}] (out_features)")
        if in_f < 1:
            raise VerifyException(f"in_features must be positive, got {in_f}")
        source = self.input_buffer()
        if source.features() < in_f or source.features() - _int(source.width) >= in_f:
            raise VerifyException(
                f"input buffer @{source.symbol} holds {source.features()} features a step, "
                f"the unit reads {in_f}"
            )
        if _int(source.time_steps) != t:
            raise VerifyException(f"input buffer has T = {_int(source.time_steps)}, the unit T = {t}")
        q = self.q()
        if not 1 <= q <= _int(source.word_width):
            raise VerifyException(
                f"input parallelism Q = {q} must be in [1, {_int(source.word_width)}] (the input word width)"
            )
        chunks = self.chunks()
        rom = self.weight_rom()
        if rom.lanes() != p * q:
            raise VerifyException(f"weight ROM has {rom.lanes()} lanes, P*Q is {p * q}")
        if rom.element_bits() != bits:
            raise VerifyException(f"weight ROM holds si{rom.element_bits()}, weight_bits is {bits}")
        if _int(rom.word_width) != p * q * bits:
            raise VerifyException(f"weight ROM word width {_int(rom.word_width)} must be P*Q*b = {p * q * bits}")
        if _int(rom.depth) != self.groups() * chunks:
            raise VerifyException(
                f"weight ROM depth {_int(rom.depth)} must be ceil(out/P)*chunks = {self.groups() * chunks}"
            )
        if tuple(self.bias.get_shape()) != (out_f,):
            raise VerifyException(f"bias must have {out_f} values, got shape {list(self.bias.get_shape())}")
        weights = dense_to_numpy(rom.data).reshape(self.groups(), chunks * q, p).transpose(0, 2, 1)
        weights = weights.reshape(self.groups() * p, chunks * q)[:out_f]
        verify_lif(self, self.is_output(), weights, dense_to_numpy(self.bias), t, width)
        low, high = accumulator_range(weights, dense_to_numpy(self.bias), t)
        needed = signed_width(low, high)
        if (self.neuron is None or self.lif_steps is not None) and width < needed:
            raise VerifyException(
                f"accumulator width {width} can overflow: values reach [{low}, {high}], which needs {needed} bits"
            )
        if self.lif_steps is not None and self.drain_cycles() > chunks * t:
            raise VerifyException(
                f"a direct-coded LIF layer runs its {self.drain_cycles()} steps while the next group accumulates "
                f"(chunks*T = {chunks * t} cycles); fewer steps or a smaller P"
            )
        target = self.output_buffer()
        if self.is_output():
            if _int(target.word_width) != width or _int(target.entries) != out_f:
                raise VerifyException(
                    f"logit buffer @{target.symbol} must hold {out_f} words of {width} bits "
                    f"(the accumulator width)"
                )
            if _int(target.depth) < self.groups() * p:
                raise VerifyException(f"logit buffer depth must be at least ceil(out/P)*P = {self.groups() * p}")
            if self.drain_cycles() > chunks * t:
                raise VerifyException(
                    f"output layer with P = {p} drains {p} logits a group but accumulates only chunks*T = "
                    f"{chunks * t} cycles; lower P"
                )
        else:
            if _int(target.width) != p or _int(target.channels) != self.groups() or _int(target.height) != 1:
                raise VerifyException(
                    f"output buffer @{target.symbol} must be {self.groups()}x1x{p} (groups x 1 x P), "
                    f"got {target.shape()[0]}x{target.shape()[1]}x{target.shape()[2]}"
                )
            planes = self.shape().written_planes
            if _int(target.time_steps) != planes:
                if self.lif_steps is None:
                    raise VerifyException(f"output buffer has T = {_int(target.time_steps)}, the unit T = {t}")
                raise VerifyException(f"output buffer has T = {_int(target.time_steps)}, the unit writes {planes} planes")


def _pair(attr: DenseArrayBase) -> tuple[int, int]:
    values = tuple(int(v) for v in attr.get_values())
    if len(values) != 2:
        raise VerifyException(f"expected a pair (height, width), got {list(values)}")
    return values  # type: ignore[return-value]


def _pair_attr(values: tuple[int, int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def _check_hidden_buffer(op: IRDLOperation, target: BufferOp, shape: tuple[int, int, int], time_steps: int) -> None:
    c, h, w, t = target.shape()
    if (c, h, w) != shape or t != time_steps:
        raise VerifyException(
            f"output buffer @{target.symbol} must be {shape[0]}x{shape[1]}x{shape[2]}x{time_steps} "
            f"(CxHxWxT), got {c}x{h}x{w}x{t}"
        )


def _check_input_buffer(source: BufferOp, shape: tuple[int, int, int], time_steps: int) -> None:
    c, h, w, t = source.shape()
    if (c, h, w) != shape or t != time_steps:
        raise VerifyException(
            f"input buffer @{source.symbol} is {c}x{h}x{w}x{t} (CxHxWxT), the unit reads "
            f"{shape[0]}x{shape[1]}x{shape[2]}x{time_steps}"
        )


@irdl_op_definition
class ConvUnitOp(WeightedStageOp):
    """A row-stationary convolution unit (docs/architecture.md "Convolution unit").

    `lanes = channels * units` output channels x `columns` output pixels of one output row
    are spike-gated accumulators. For each output-channel group, output row oy and column
    block, for t in 0..T-1, input channel ic and kernel row ky it reads one input row
    (`oy*stride_h + ky - pad_h` of plane (ic, t), zero outside the image) and every
    accumulator adds `sum_kx W[oc][ic][ky][kx] * spike[ox*stride_w + kx - pad_w]` through a
    kernel_w-input adder tree, doubling on the first (ic, ky) of each step (docs/numerics.md §9).
    After the row, `+ Bq` and the radix neuron with `shift`; the T output bit-planes of the
    `lanes` channels (lanes*T words) drain from a shadow bank while the next row accumulates.

    Weight ROM word `(g*in_channels + ic)*kernel_h + ky` packs lane l, kernel column kx at
    lane index `l*kernel_w + kx` (W[g*lanes + l][ic][ky][kx], 0 past out_channels).
    Parallelism: `columns` (output pixels per row, <= out_width), `channels` (output channels
    packed in one unit) and `units` (duplicated units on further output channels, sharing
    the broadcast input row); `channels*units <= out_channels`.

    Optional fused pooling (`pool_mode` "max"/"avg", `pool_kernel` = window = stride, no
    padding): only the rows/columns a window uses are computed; the rows of a window combine
    at the neuron's output and one pooled row (lanes*T words) is written per window height.
    The output buffer is then the pooled C x H/kh x W/kw.
    """

    name = "snnhw.conv_unit"
    in_channels = prop_def(IntegerAttr[I64])
    in_height = prop_def(IntegerAttr[I64])
    in_width = prop_def(IntegerAttr[I64])
    out_channels = prop_def(IntegerAttr[I64])
    out_height = prop_def(IntegerAttr[I64])
    out_width = prop_def(IntegerAttr[I64])
    kernel = prop_def(DenseArrayBase)
    stride = prop_def(DenseArrayBase)
    padding = prop_def(DenseArrayBase)
    columns = prop_def(IntegerAttr[I64])
    channels = prop_def(IntegerAttr[I64])
    units = prop_def(IntegerAttr[I64])
    time_steps = prop_def(IntegerAttr[I64])
    weight_bits = prop_def(IntegerAttr[I64])
    accumulator_width = prop_def(IntegerAttr[I64])
    shift = prop_def(IntegerAttr[I64])
    bias = prop_def(DenseIntOrFPElementsAttr)
    input = prop_def(SymbolRefAttr)
    weights = prop_def(SymbolRefAttr)
    output = prop_def(SymbolRefAttr)
    pool_mode = opt_prop_def(_one_of(PoolMode))
    pool_kernel = opt_prop_def(DenseArrayBase)
    # IF/LIF mode (snnhw_lif.py); absent on a radix unit; a conv unit is never the output layer
    neuron = opt_prop_def(StringAttr)
    lif_leak = opt_prop_def(IntegerAttr[I64])
    lif_leak_bits = opt_prop_def(IntegerAttr[I64])
    lif_threshold = opt_prop_def(IntegerAttr[I64])
    lif_reset = opt_prop_def(StringAttr)
    readout = opt_prop_def(StringAttr)

    KIND: ClassVar[str] = "conv"

    def __init__(
        self,
        name: str,
        *,
        in_shape: tuple[int, int, int],
        out_shape: tuple[int, int, int],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        columns: int,
        channels: int,
        units: int,
        time_steps: int,
        weight_bits: int,
        accumulator_width: int,
        shift: int,
        bias: DenseIntOrFPElementsAttr,
        input: str,
        weights: str,
        output: str,
        pool: tuple[PoolMode | str, tuple[int, int]] | None = None,
        lif: LifNeuron | None = None,
    ):
        extra = {} if pool is None else {"pool_mode": StringAttr(PoolMode(pool[0]).value), "pool_kernel": _pair_attr(pool[1])}
        if lif is not None:
            extra.update(lif.properties())
        super().__init__(
            properties={
                **extra,
                "sym_name": StringAttr(name),
                "in_channels": _i(in_shape[0]),
                "in_height": _i(in_shape[1]),
                "in_width": _i(in_shape[2]),
                "out_channels": _i(out_shape[0]),
                "out_height": _i(out_shape[1]),
                "out_width": _i(out_shape[2]),
                "kernel": _pair_attr(kernel),
                "stride": _pair_attr(stride),
                "padding": _pair_attr(padding),
                "columns": _i(columns),
                "channels": _i(channels),
                "units": _i(units),
                "time_steps": _i(time_steps),
                "weight_bits": _i(weight_bits),
                "accumulator_width": _i(accumulator_width),
                "shift": _i(shift),
                "bias": bias,
                "input": FlatSymbolRefAttr(input),
                "weights": FlatSymbolRefAttr(weights),
                "output": FlatSymbolRefAttr(output),
            }
        )

    def in_shape(self) -> tuple[int, int, int]:
        return (_int(self.in_channels), _int(self.in_height), _int(self.in_width))

    def out_shape(self) -> tuple[int, int, int]:
        return (_int(self.out_channels), _int(self.out_height), _int(self.out_width))

    def kernel_size(self) -> tuple[int, int]:
        return _pair(self.kernel)

    def strides(self) -> tuple[int, int]:
        return _pair(self.stride)

    def paddings(self) -> tuple[int, int]:
        return _pair(self.padding)

    def bias_bits(self) -> int:
        """Width of a bias ROM lane: the accumulator's + 1, since it holds `Bq + 2^(shift-1)`
        (the neuron's rounding constant folded in, see `bias_values`)."""
        return _int(self.accumulator_width) + 1

    def bias_values(self):
        """`Bq + 2^(shift-1)` per output channel (`Bq` when shift <= 0), as int64."""
        shift = _int(self.shift)
        return dense_to_numpy(self.bias) + ((1 << (shift - 1)) if shift >= 1 else 0)

    def shape(self) -> ConvShape:
        return ConvShape(
            in_shape=self.in_shape(),
            out_shape=self.out_shape(),
            kernel=self.kernel_size(),
            stride=self.strides(),
            padding=self.paddings(),
            columns=_int(self.columns),
            channels=_int(self.channels),
            units=_int(self.units),
            time_steps=_int(self.time_steps),
            weight_bits=_int(self.weight_bits),
            accumulator_width=_int(self.accumulator_width),
            pool_mode=None if self.pool_mode is None else PoolMode(self.pool_mode.data),
            pool_kernel=None if self.pool_kernel is None else _pair(self.pool_kernel),
        )

    def pool_size(self) -> tuple[int, int]:
        """The fused pooling window (= its stride, no padding), (1, 1) without pooling."""
        return (1, 1) if self.pool_kernel is None else _pair(self.pool_kernel)

    def computed_size(self) -> tuple[int, int]:
        return self.shape().computed_size

    def written_shape(self) -> tuple[int, int, int]:
        return self.shape().written_shape

    def blocks(self) -> int:
        return self.shape().blocks

    def block_cycles(self) -> int:
        return self.shape().block_cycles

    def row_cycles(self) -> int:
        return self.shape().row_cycles

    def weight_array(self):
        """The (out_channels, in_channels, kh, kw) weights unpacked from the ROM."""
        kh, kw = self.kernel_size()
        data = dense_to_numpy(self.weight_rom().data)
        lanes = self.lanes()
        ic = _int(self.in_channels)
        unpacked = data.reshape(self.groups(), ic, kh, lanes, kw).transpose(0, 3, 1, 2, 4)
        return unpacked.reshape(self.groups() * lanes, ic, kh, kw)[: _int(self.out_channels)]

    def verify_(self) -> None:
        ic, ih, iw = self.in_shape()
        oc, oh, ow = self.out_shape()
        kh, kw = self.kernel_size()
        sh, sw = self.strides()
        ph, pw = self.paddings()
        t, bits, width = _int(self.time_steps), _int(self.weight_bits), _int(self.accumulator_width)
        if min(ic, ih, iw, oc, oh, ow, kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
            raise VerifyException("conv unit shapes, kernel and stride must be positive, padding non-negative")
        if ih + 2 * ph < kh or iw + 2 * pw < kw:
            raise VerifyException(f"kernel {kh}x{kw} does not fit input {ih}x{iw} with padding {ph}x{pw}")
        expected = (window_output(ih, kh, sh, ph), window_output(iw, kw, sw, pw))
        if (oh, ow) != expected:
            raise VerifyException(f"output {oh}x{ow} must be {expected[0]}x{expected[1]} for this kernel, stride and padding")
        if self.pool_kernel is not None or self.pool_mode is not None:
            if self.pool_kernel is None or self.pool_mode is None:
                raise VerifyException("fused pooling needs both pool_mode and pool_kernel")
            pkh, pkw = self.pool_size()
            if not (1 <= pkh <= oh and 1 <= pkw <= ow):
                raise VerifyException(f"pooling window {pkh}x{pkw} does not fit the output {oh}x{ow}")
        columns, channels, units = _int(self.columns), _int(self.channels), _int(self.units)
        computed_width = self.computed_size()[1]
        if not 1 <= columns <= computed_width:
            raise VerifyException(f"columns = {columns} must be in [1, {computed_width}] (out_width)")
        if channels < 1 or units < 1 or channels * units > oc:
            raise VerifyException(
                f"channels x units = {channels}x{units} must be in [1, {oc}] (out_channels)"
            )
        _check_input_buffer(self.input_buffer(), (ic, ih, iw), t)
        _check_hidden_buffer(self, self.output_buffer(), self.written_shape(), t)
        rom = self.weight_rom()
        lanes = self.lanes()
        if rom.lanes() != lanes * kw:
            raise VerifyException(f"weight ROM has {rom.lanes()} lanes, channels*units*kernel_w is {lanes * kw}")
        if rom.element_bits() != bits:
            raise VerifyException(f"weight ROM holds si{rom.element_bits()}, weight_bits is {bits}")
        if _int(rom.depth) != self.groups() * ic * kh:
            raise VerifyException(
                f"weight ROM depth {_int(rom.depth)} must be groups*in_channels*kernel_h = {self.groups() * ic * kh}"
            )
        if tuple(self.bias.get_shape()) != (oc,):
            raise VerifyException(f"bias must have {oc} values, got shape {list(self.bias.get_shape())}")
        verify_lif(self, False, self.weight_array(), dense_to_numpy(self.bias), t, width)
        if self.neuron is not None and (self.pool_mode is not None or _int(self.shift) != 0):
            raise VerifyException("a LIF conv unit has shift 0 and no fused pooling (spike trains do not pool as values)")
        low, high = accumulator_range(self.weight_array(), dense_to_numpy(self.bias), t)
        needed = signed_width(low, high)
        if self.neuron is None and width < needed:
            raise VerifyException(
                f"accumulator width {width} can overflow: values reach [{low}, {high}], which needs {needed} bits"
            )


@irdl_op_definition
class PoolUnitOp(StageOp):
    """A pooling unit on T-bit values rebuilt from bit-planes (docs/numerics.md §7).

    For each channel and output row it reads the T planes of the window's `kernel_h` input
    rows (zero outside the image), rebuilds the T-bit values column by column, combines
    the rows and then the `kernel_w` columns of each window (`max`, or
    `avg` = floor((sum + floor(n/2)) / n) with n = kernel_h*kernel_w), and writes the T
    bit-planes of the pooled row. Cycles: C * OH * kernel_h * T + pipeline + T.
    """

    name = "snnhw.pool_unit"
    mode = prop_def(_one_of(PoolMode))
    channels = prop_def(IntegerAttr[I64])
    in_height = prop_def(IntegerAttr[I64])
    in_width = prop_def(IntegerAttr[I64])
    out_height = prop_def(IntegerAttr[I64])
    out_width = prop_def(IntegerAttr[I64])
    kernel = prop_def(DenseArrayBase)
    stride = prop_def(DenseArrayBase)
    padding = prop_def(DenseArrayBase)
    time_steps = prop_def(IntegerAttr[I64])
    input = prop_def(SymbolRefAttr)
    output = prop_def(SymbolRefAttr)

    KIND: ClassVar[str] = "pool"

    def __init__(
        self,
        name: str,
        *,
        mode: PoolMode | str,
        channels: int,
        in_size: tuple[int, int],
        out_size: tuple[int, int],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
        time_steps: int,
        input: str,
        output: str,
    ):
        super().__init__(
            properties={
                "sym_name": StringAttr(name),
                "mode": StringAttr(PoolMode(mode).value),
                "channels": _i(channels),
                "in_height": _i(in_size[0]),
                "in_width": _i(in_size[1]),
                "out_height": _i(out_size[0]),
                "out_width": _i(out_size[1]),
                "kernel": _pair_attr(kernel),
                "stride": _pair_attr(stride),
                "padding": _pair_attr(padding),
                "time_steps": _i(time_steps),
                "input": FlatSymbolRefAttr(input),
                "output": FlatSymbolRefAttr(output),
            }
        )

    def kernel_size(self) -> tuple[int, int]:
        return _pair(self.kernel)

    def strides(self) -> tuple[int, int]:
        return _pair(self.stride)

    def paddings(self) -> tuple[int, int]:
        return _pair(self.padding)

    def shape(self) -> PoolShape:
        return PoolShape(
            mode=PoolMode(self.mode.data),
            channels=_int(self.channels),
            in_size=(_int(self.in_height), _int(self.in_width)),
            out_size=(_int(self.out_height), _int(self.out_width)),
            kernel=self.kernel_size(),
            stride=self.strides(),
            padding=self.paddings(),
            time_steps=_int(self.time_steps),
        )

    def row_cycles(self) -> int:
        return self.shape().row_cycles

    def verify_(self) -> None:
        c, ih, iw = _int(self.channels), _int(self.in_height), _int(self.in_width)
        oh, ow = _int(self.out_height), _int(self.out_width)
        kh, kw = self.kernel_size()
        sh, sw = self.strides()
        ph, pw = self.paddings()
        if min(c, ih, iw, kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
            raise VerifyException("pool unit shapes, kernel and stride must be positive, padding non-negative")
        if 2 * ph > kh or 2 * pw > kw:
            raise VerifyException(f"padding {ph}x{pw} must be at most half the kernel {kh}x{kw}")
        expected = (window_output(ih, kh, sh, ph), window_output(iw, kw, sw, pw))
        if (oh, ow) != expected or min(expected) < 1:
            raise VerifyException(f"output {oh}x{ow} must be {expected[0]}x{expected[1]} for this kernel, stride and padding")
        t = _int(self.time_steps)
        _check_input_buffer(self.input_buffer(), (c, ih, iw), t)
        _check_hidden_buffer(self, self.output_buffer(), (c, oh, ow), t)


STAGE_KINDS = (LinearUnitOp, ConvUnitOp, PoolUnitOp)


@irdl_op_definition
class ScheduleOp(IRDLOperation):
    """The static schedule: stages run one after another; `stage_cycles[i]` is stage i's
    start-to-next-start count, of which `stage_overhead[i]` is fixed overhead beyond the
    ideal one-spike-per-cycle count; `cycles` (start to done, per image) is their sum.
    Only the last stage may be the output layer; a network slice (`snn-slice-layer`) may end
    in a hidden stage, whose buffer the host reads."""

    name = "snnhw.schedule"
    stages = prop_def(ArrayAttr[SymbolRefAttr])
    stage_cycles = prop_def(DenseArrayBase)
    stage_overhead = prop_def(DenseArrayBase)
    cycles = prop_def(IntegerAttr[I64])
    assembly_format = "$stages attr-dict"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, stages: list[str], stage_cycles: list[int], stage_overhead: list[int]):
        super().__init__(
            properties={
                "stages": ArrayAttr([FlatSymbolRefAttr(s) for s in stages]),
                "stage_cycles": DenseArrayBase.from_list(i64, stage_cycles),
                "stage_overhead": DenseArrayBase.from_list(i64, stage_overhead),
                "cycles": _i(sum(stage_cycles)),
            }
        )

    def stage_ops(self) -> list[StageOp]:
        return [_lookup(self, ref, STAGE_KINDS, "stage") for ref in self.stages.data]

    def verify_(self) -> None:
        stages = self.stage_ops()
        counts = [int(c) for c in self.stage_cycles.get_values()]
        if len(counts) != len(stages):
            raise VerifyException(f"{len(stages)} stages but {len(counts)} stage cycle counts")
        overheads = [int(c) for c in self.stage_overhead.get_values()]
        if len(overheads) != len(stages):
            raise VerifyException(f"{len(stages)} stages but {len(overheads)} stage overheads")
        for stage, count, overhead in zip(stages, counts, overheads):
            if stage.cycles() != count:
                raise VerifyException(f"stage @{stage.symbol} takes {stage.cycles()} cycles, schedule says {count}")
            if stage.overhead_cycles() != overhead:
                raise VerifyException(
                    f"stage @{stage.symbol} has {stage.overhead_cycles()} overhead cycles, schedule says {overhead}"
                )
        if _int(self.cycles) != sum(counts):
            raise VerifyException(f"cycles {_int(self.cycles)} must be the sum of stage cycles {sum(counts)}")
        if not stages:
            raise VerifyException("the schedule has no stages")
        for stage in stages[:-1]:
            if stage.is_output():
                raise VerifyException(f"only the last stage may be the output layer, @{stage.symbol} is")
        for producer, consumer in zip(stages, stages[1:]):
            if producer.output != consumer.input:
                raise VerifyException(
                    f"stage @{consumer.symbol} reads {consumer.input}, but the previous stage writes {producer.output}"
                )


SNNHW = Dialect(
    "snnhw",
    [AcceleratorOp, BufferOp, LogitBufferOp, RomOp, LinearUnitOp, ConvUnitOp, PoolUnitOp, ScheduleOp],
    [],
)

