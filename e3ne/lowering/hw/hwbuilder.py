"""The builder layer between snnhw units and CIRCT `hw`/`comb`/`seq` ops.

Units (`linear_unit.py`, `controller.py`, ...) and the datapath constructs they share
(`constructs.py`) are written in a handful of nouns — `register`, `counter`, `sequencer`,
`stepping_base`, `accumulator` (a bank of registers), `rom`/`ram`/`memory` instances, `mux`,
`flag` (the step sequencer's pieces) — and never create ops directly.
Every value is a signless `i<width>` SSA value; widths come from the caller (the IR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import comb, hw, seq
from xdsl.dialects.builtin import FlatSymbolRefAttr, IntegerAttr, IntegerType, StringAttr, i1
from xdsl.ir import Block, Operation, Region, SSAValue

Value = SSAValue


def width(value: Value) -> int:
    assert isinstance(value.type, IntegerType), value.type
    return value.type.width.data


def bits_for(count: int) -> int:
    """Address/counter width that holds 0..count-1 (at least 1 bit)."""
    return max(1, (count - 1).bit_length())


@dataclass
class Port:
    name: str
    width: int  # 0 = the clock


class Register:
    """A `seq.compreg` with synchronous reset; `drive(next, enable)` closes its loop."""

    def __init__(self, builder: ModuleBuilder, name: str, bits: int, reset_value: int):
        self.builder = builder
        self.reset_value = builder.const(reset_value, bits)
        self.op = seq.CompRegOp(self.reset_value, builder.clock, (builder.reset, self.reset_value))
        self.op.data.name_hint = name
        builder.append(self.op)
        self.value: Value = self.op.data
        self.driven = False

    def drive(self, next_value: Value, enable: Value | None = None) -> None:
        assert not self.driven, "register driven twice"
        assert width(next_value) == width(self.value), (width(next_value), width(self.value))
        if enable is not None:
            next_value = self.builder.mux(enable, next_value, self.value)
        self.op.operands[0] = next_value
        self.driven = True


@dataclass
class Memory:
    """A memory instance: `data` is its read data; `connect` drives its inputs."""

    builder: ModuleBuilder
    op: hw.InstanceOp
    data: Value

    def connect(self, **ports: Value) -> None:
        for port, value in ports.items():
            self.builder.connect(self.op, port, value)


class ModuleBuilder:
    """Builds one `hw.module` with a clock `clk` and a synchronous reset `rst`."""

    def __init__(self, name: str, inputs: Sequence[Port], outputs: Sequence[Port]):
        ports = [Port("clk", 0), Port("rst", 1), *inputs]
        self.name = name
        self.outputs = list(outputs)
        types = [seq.ClockType() if p.width == 0 else IntegerType(p.width) for p in ports]
        module_ports = [
            hw.ModulePort(StringAttr(p.name), t, hw.DirectionAttr(hw.Direction.INPUT)) for p, t in zip(ports, types)
        ] + [
            hw.ModulePort(StringAttr(p.name), IntegerType(p.width), hw.DirectionAttr(hw.Direction.OUTPUT))
            for p in outputs
        ]
        self.block = Block(arg_types=types)
        for arg, port in zip(self.block.args, ports):
            arg.name_hint = port.name
        self.module = hw.HWModuleOp(StringAttr(name), hw.ModuleType(hw.ArrayAttr(module_ports)), Region(self.block))
        self.clock = self.block.args[0]
        self.reset = self.block.args[1]
        self.inputs = {p.name: arg for p, arg in zip(ports[2:], self.block.args[2:])}
        self._constants: dict[tuple[int, int], Value] = {}

    def append(self, op: Operation) -> Operation:
        self.block.add_op(op)
        return op

    def finish(self, outputs: dict[str, Value]) -> hw.HWModuleOp:
        values = [outputs[p.name] for p in self.outputs]
        for port, value in zip(self.outputs, values):
            assert width(value) == port.width, (port.name, width(value), port.width)
        self.append(hw.OutputOp(values))
        return self.module

    def named(self, value: Value, name: str) -> Value:
        value.name_hint = name
        return value

    # -- combinational nouns
    def const(self, value: int, bits: int) -> Value:
        key = (value, bits)
        if key not in self._constants:
            value %= 1 << bits
            if value >= 1 << (bits - 1) and bits > 1:
                value -= 1 << bits
            if bits == 1:
                value = -value if value else 0
            op = self.append(hw.ConstantOp(value, IntegerType(bits)))
            self._constants[key] = op.result
        return self._constants[key]

    def add(self, a: Value, b: Value | int) -> Value:
        b = self.const(b, width(a)) if isinstance(b, int) else b
        return self.append(comb.AddOp([a, b])).result

    def sub(self, a: Value, b: Value | int) -> Value:
        b = self.const(b, width(a)) if isinstance(b, int) else b
        return self.append(comb.SubOp(a, b)).result

    def and_(self, *values: Value) -> Value:
        return values[0] if len(values) == 1 else self.append(comb.AndOp(list(values))).result

    def or_(self, *values: Value) -> Value:
        return values[0] if len(values) == 1 else self.append(comb.OrOp(list(values))).result

    def not_(self, value: Value) -> Value:
        return self.append(comb.XorOp([value, self.const(-1, width(value))])).result

    def compare(self, predicate: str, a: Value, b: Value | int) -> Value:
        b = self.const(b, width(a)) if isinstance(b, int) else b
        return self.append(comb.ICmpOp(a, b, predicate)).result

    def eq(self, a: Value, b: Value | int) -> Value:
        return self.compare("eq", a, b)

    def mux(self, condition: Value, if_true: Value, if_false: Value) -> Value:
        return self.append(comb.MuxOp(condition, if_true, if_false)).result

    def extract(self, value: Value, low: int, bits: int) -> Value:
        if low == 0 and bits == width(value):
            return value
        return self.append(comb.ExtractOp(value, IntegerAttr(low, 32), IntegerType(bits))).result

    def bit(self, value: Value, index: int) -> Value:
        return self.extract(value, index, 1)

    def concat(self, *values: Value) -> Value:
        """Most significant first, as in Verilog `{a, b}`."""
        if len(values) == 1:
            return values[0]
        total = sum(width(v) for v in values)
        return self.append(comb.ConcatOp(list(values), IntegerType(total))).result

    def zext(self, value: Value, bits: int) -> Value:
        if bits == width(value):
            return value
        return self.concat(self.const(0, bits - width(value)), value)

    def sext(self, value: Value, bits: int) -> Value:
        extra = bits - width(value)
        if extra == 0:
            return value
        sign = self.bit(value, width(value) - 1)
        return self.concat(self.append(comb.ReplicateOp(sign, IntegerType(extra))).result, value)

    def shift_left(self, value: Value, amount: int) -> Value:
        """`value << amount` keeping the width (the high bits fall off)."""
        if amount == 0:
            return value
        if amount >= width(value):
            return self.const(0, width(value))
        return self.concat(self.extract(value, 0, width(value) - amount), self.const(0, amount))

    def select_bit(self, value: Value, index: Value) -> Value:
        """`value[index]` for a run-time index (a barrel shift, then bit 0)."""
        if width(value) == 1:
            return value
        shifted = self.append(comb.ShrUOp(value, self.zext(self._fit(index, width(value)), width(value)))).result
        return self.bit(shifted, 0)

    def _fit(self, value: Value, bits: int) -> Value:
        return self.extract(value, 0, bits) if width(value) > bits else value

    def select(self, condition: Value, if_true: Value | int, if_false: Value | int, bits: int) -> Value:
        t = self.const(if_true, bits) if isinstance(if_true, int) else if_true
        f = self.const(if_false, bits) if isinstance(if_false, int) else if_false
        return self.mux(condition, t, f)

    # -- sequential nouns
    def register(self, name: str, bits: int, reset_value: int = 0) -> Register:
        return Register(self, name, bits, reset_value)

    def delay(self, value: Value, name: str, enable: Value | None = None) -> Value:
        """`value` one cycle later (a pipeline register)."""
        reg = self.register(name, width(value))
        reg.drive(value, enable)
        return reg.value

    def delay_chain(self, value: Value, name: str, cycles: int) -> list[Value]:
        """`value` and its `cycles` pipeline registers (`name`_d1 .. and the last one `name`):
        element k is `value` k cycles later."""
        chain = [value]
        for k in range(1, cycles + 1):
            chain.append(self.delay(chain[-1], name if k == cycles else f"{name}_d{k}"))
        return chain

    def delay_by(self, value: Value, name: str, cycles: int) -> Value:
        """`value` `cycles` cycles later (a chain of pipeline registers, the last one `name`)."""
        return self.delay_chain(value, name, cycles)[-1]

    def flag(self, name: str, set_: Value, clear: Value) -> Value:
        """A set/reset flip-flop; `set_` wins."""
        reg = self.register(name, 1)
        reg.drive(self.or_(set_, self.and_(reg.value, self.not_(clear))))
        return reg.value

    def counter(self, name: str, count: int, step: Value, clear: Value | None = None) -> tuple[Value, Value]:
        """Counts 0..count-1 on `step`, wrapping; returns (value, at_last).

        `at_last` (value == count-1) is a flip-flop, `name`_last, set a step early (when the
        value steps from count-2, unless `clear`): the nested loops' wraps (`sequencer`) and
        the decisions built on them start at registers, not at a chain of compares."""
        reg = self.register(name, bits_for(count))
        zero = self.const(0, width(reg.value))
        enable = step if clear is None else self.or_(step, clear)
        if count == 1:
            at_last = self.eq(reg.value, 0)
        else:
            last = self.register(f"{name}_last", 1)
            at_last = last.value
            becomes_last = self.eq(reg.value, count - 2)
            last.drive(becomes_last if clear is None else self.and_(self.not_(clear), becomes_last), enable)
        next_value = self.mux(at_last, zero, self.add(reg.value, 1))
        if clear is not None:
            next_value = self.mux(clear, zero, next_value)
        reg.drive(next_value, enable)
        return reg.value, at_last

    def stepping_base(self, name: str, bits: int, stride: int, advance: Value, restart: Value) -> Value:
        """A base address: adds `stride` on `advance`, back to 0 instead when `restart` is high too."""
        reg = self.register(name, bits)
        reg.drive(self.select(restart, 0, self.add(reg.value, stride), bits), advance)
        return reg.value

    def sequencer(self, step: Value, loops: Sequence[tuple[str, int]]) -> list[tuple[Value, Value]]:
        """Nested loop counters, innermost first, advancing on `step`.

        Returns, per loop, (index, wraps): `wraps` is high in the cycle the loop and every
        loop inside it finish (`step` included), i.e. when the next outer loop advances.
        """
        result = []
        advance = step
        for name, count in loops:
            index, at_last = self.counter(name, count, advance)
            advance = self.and_(advance, at_last)
            result.append((index, advance))
        return result

    def accumulator(self, name: str, lanes: int, bits: int) -> list[Register]:
        """A bank of `lanes` registers of `bits` each (one per parallel output)."""
        return [self.register(f"{name}{k}", bits) for k in range(lanes)]

    def lane_hold(self, name: str, word: Value, lanes: int, bits: int, load: Value) -> list[Value]:
        """Captures the `lanes` fields of `bits` of `word` (lane 0 lowest) when `load` is high,
        one register per lane (no single register wider than a lane: tools limit constant
        widths, e.g. Verilator's 65,536-bit literals)."""
        bank = self.accumulator(name, lanes, bits)
        for k, reg in enumerate(bank):
            reg.drive(self.extract(word, k * bits, bits), load)
        return [reg.value for reg in bank]

    # -- hierarchy: memories and submodules are instances
    def instance(
        self, name: str, module: str, inputs: dict[str, Value], outputs: dict[str, int]
    ) -> dict[str, Value]:
        op = hw.InstanceOp(
            name,
            FlatSymbolRefAttr(module),
            [("clk", self.clock), *(inputs.items())] if "clk" not in inputs else list(inputs.items()),
            [(port, IntegerType(bits)) for port, bits in outputs.items()],
        )
        self.append(op)
        self.last_instance = op
        results = dict(zip(outputs, op.results))
        for port, value in results.items():
            value.name_hint = f"{name}_{port}"
        return results

    def memory(self, name: str, module: str, inputs: dict[str, int], output: tuple[str, int]) -> Memory:
        """An instance of a memory extern (`extern_memory`); its inputs are connected later."""
        data = self.instance(
            name, module, {port: self.const(0, bits) for port, bits in inputs.items()}, dict([output])
        )[output[0]]
        return Memory(self, self.last_instance, data)

    def rom(self, name: str, module: str, addr_bits: int, width: int) -> Memory:
        """A registered-read ROM: `data` is the word at the address of READ_LATENCY cycles before."""
        return self.memory(name, module, {"addr": addr_bits}, ("data", width))

    def ram(self, name: str, module: str, addr_bits: int, width: int) -> Memory:
        """A simple dual-port RAM: write port (we, waddr, wdata), registered read (raddr -> rdata)."""
        return self.memory(
            name, module, {"we": 1, "waddr": addr_bits, "wdata": width, "raddr": addr_bits}, ("rdata", width)
        )

    def connect(self, instance: hw.InstanceOp, port: str, value: Value) -> None:
        """Drive an instance input after the fact (closes loops between instances)."""
        names = [n.data for n in instance.arg_names.data]
        index = names.index(port)
        assert instance.operands[index].type == value.type, (port, instance.operands[index].type, value.type)
        instance.operands[index] = value


def extern_memory(
    name: str, inputs: dict[str, int], outputs: dict[str, int], primitive: str, parameters: dict[str, int | str]
) -> hw.HWModuleExternOp:
    """A `hw.module.extern` standing for one configuration of a primitive memory.

    `e3ne.primitive` and `e3ne.parameters` tell the Verilog target which library
    module (e3ne_primitives.sv) to instantiate, with which parameters, in the wrapper.
    """
    from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr

    ports = [hw.ModulePort(StringAttr("clk"), seq.ClockType(), hw.DirectionAttr(hw.Direction.INPUT))]
    ports += [
        hw.ModulePort(StringAttr(n), IntegerType(b), hw.DirectionAttr(hw.Direction.INPUT)) for n, b in inputs.items()
    ]
    ports += [
        hw.ModulePort(StringAttr(n), IntegerType(b), hw.DirectionAttr(hw.Direction.OUTPUT)) for n, b in outputs.items()
    ]
    op = hw.HWModuleExternOp(StringAttr(name), hw.ModuleType(ArrayAttr(ports)))
    op.attributes["e3ne.primitive"] = StringAttr(primitive)
    op.attributes["e3ne.parameters"] = DictionaryAttr(
        {k: StringAttr(v) if isinstance(v, str) else IntegerAttr(v, 64) for k, v in parameters.items()}
    )
    return op


__all__ = ["Memory", "ModuleBuilder", "Port", "Register", "bits_for", "extern_memory", "i1", "width"]
