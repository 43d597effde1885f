"""SystemVerilog emission through CIRCT, and the memory files the RTL reads.

The bridge is MLIR text: xDSL prints the hw/comb/seq module in custom syntax, the
`circt` bindings parse it, run `lower-seq-to-sv` and `export_verilog`. Memories are
`hw.module.extern`s tagged `e3ne.primitive`; each gets a three-line wrapper module that
instantiates the primitive of `rtl/e3ne_primitives.sv` with its parameters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from xdsl.context import Context
from xdsl.dialects import hw
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.printer import Printer
from xdsl.utils.target import Target

from e3ne.dense import dense_to_numpy
from e3ne.errors import E3NEError
from e3ne.model.cost import ROM_BANK_DEPTH, ROM_BANK_GROUP
from e3ne.model.cost import rom_banks as block_rom_banks

PRIMITIVES = Path(__file__).parent / "rtl" / "e3ne_primitives.sv"
LOWERING_OPTIONS = "locationInfoStyle=none,omitVersionComment"


def _externs(module: ModuleOp) -> list[hw.HWModuleExternOp]:
    return [op for op in module.body.ops if isinstance(op, hw.HWModuleExternOp) and "e3ne.primitive" in op.attributes]


def top_module(module: ModuleOp) -> hw.HWModuleOp:
    tops = [op for op in module.body.ops if isinstance(op, hw.HWModuleOp) and "e3ne.top" in op.attributes]
    if len(tops) != 1:
        raise E3NEError(f"expected one top hw.module (lowered from snnhw), found {len(tops)}")
    return tops[0]


def _circt_text(module: ModuleOp) -> str:
    clone = module.clone()
    for op in clone.body.ops:
        for key in [k for k in op.attributes if k.startswith("e3ne.")]:
            del op.attributes[key]
    clone.attributes["circt.loweringOptions"] = StringAttr(LOWERING_OPTIONS)
    text = io.StringIO()
    Printer(stream=text).print_op(clone)
    return text.getvalue()


def rom_banks(op: hw.HWModuleExternOp) -> int:
    """How many banks the wrapper splits a block ROM into (1: not split). A block ROM deeper
    than ROM_BANK_DEPTH with READ_LATENCY >= 3 becomes banks of ROM_BANK_DEPTH words, each
    read through two registers, then the (registered) bank multiplexers and the remaining
    registers (`banked_rom_body`): no path runs from a block RAM output through the
    multiplexer the tools would build."""
    parameters = op.attributes["e3ne.parameters"].data
    latency = parameters["READ_LATENCY"].value.data if "READ_LATENCY" in parameters else 1
    depth = parameters["DEPTH"].value.data if "DEPTH" in parameters else 0
    return block_rom_banks(depth, latency) if op.attributes["e3ne.primitive"].data == "e3ne_rom_block" else 1


def bank_file(init_file: str, bank: int) -> str:
    return f"{init_file.removesuffix('.hex')}_bank{bank}.hex"


def banked_rom_body(width: int, depth: int, addr: int, latency: int, init: str) -> str:
    """The wrapper body of a banked block ROM (`rom_banks` banks of ROM_BANK_DEPTH words).

    Each bank is read through two registers (the block RAM's read register and its output
    register, which the ECP5 flow moves into the DP16KD), the bank select is delayed to
    match. READ_LATENCY 3: one bank multiplexer, then the output register(s). READ_LATENCY
    >= 4: a registered two-level multiplexer, so that neither level is a deep tree of
    LUTs spread over the banks: groups of ROM_BANK_GROUP banks (each group's multiplexer
    ends in a register, held at 0 unless its bit of a registered one-hot group select is
    set), then the groups' words ORed into the output register(s); with one group, each bank's word registered, then the bank
    multiplexer into the output register(s)."""
    banks = block_rom_banks(depth, latency)
    low = (ROM_BANK_DEPTH - 1).bit_length()
    select = addr - low
    group_bits = min((ROM_BANK_GROUP - 1).bit_length(), select)
    groups = -(-banks // (1 << group_bits))
    two_level = latency >= 4
    padded = groups << group_bits if two_level else banks
    lines = [f"  logic [{width - 1}:0] bank_data [0:{padded - 1}];"]
    for k in range(banks):
        bank_depth = min(ROM_BANK_DEPTH, depth - k * ROM_BANK_DEPTH)
        lines.append(
            f"  e3ne_rom_block #(.WIDTH({width}), .DEPTH({bank_depth}), .ADDR_WIDTH({low}), "
            f'.INIT_FILE("{bank_file(init, k)}"), .READ_LATENCY(2)) bank{k} '
            f"(.clk(clk), .addr(addr[{low - 1}:0]), .data(bank_data[{k}]));"
        )
    lines += [f"  assign bank_data[{k}] = '0;  // no bank: never addressed" for k in range(banks, padded)]
    lines += [
        f"  logic [{select - 1}:0] select1, select2;",
        f"  always_ff @(posedge clk) begin select1 <= addr[{addr - 1}:{low}]; select2 <= select1; end",
    ]
    if not two_level:
        lines.append(
            f"  e3ne_read_stage #(.WIDTH({width}), .LATENCY({latency - 1})) out_reg "
            "(.clk(clk), .d(bank_data[select2]), .q(data));"
        )
        return "\n".join(lines) + "\n"
    if groups == 1:
        # one group: each bank's word is registered first (a flip-flop the placer puts near its
        # block RAMs: a wide ROM's banks sit far apart), then the bank multiplexer into the output register
        lines += [
            f"  logic [{width - 1}:0] bank_q [0:{padded - 1}];",
            f"  logic [{select - 1}:0] select3;",
            "  always_ff @(posedge clk) begin",
            *[f"    bank_q[{k}] <= bank_data[{k}];" for k in range(padded)],
            "    select3 <= select2;",
            "  end",
            f"  e3ne_read_stage #(.WIDTH({width}), .LATENCY({latency - 2})) out_reg "
            "(.clk(clk), .d(bank_q[select3]), .q(data));",
        ]
        return "\n".join(lines) + "\n"
    # several groups (so group_bits = log2(ROM_BANK_GROUP)): each group's multiplexer into a
    # register that is cleared unless the group is addressed (its one-hot select bit, a
    # flip-flop registered from select1, is the register's synchronous reset: no select
    # reaches the groups' words through LUTs), then the groups' words ORed
    lines += [
        f"  logic [{width - 1}:0] group_data [0:{groups - 1}];",
        f"  logic [{groups - 1}:0] group_hot;",
        "  always_ff @(posedge clk) begin",
        f"    group_hot <= {groups}'(1) << select1[{select - 1}:{group_bits}];",
        *[
            f"    group_data[{g}] <= group_hot[{g}] ? bank_data[{g << group_bits} + select2[{group_bits - 1}:0]] : '0;"
            for g in range(groups)
        ],
        "  end",
    ]
    chosen = " | ".join(f"group_data[{g}]" for g in range(groups))
    lines.append(
        f"  e3ne_read_stage #(.WIDTH({width}), .LATENCY({latency - 2})) out_reg (.clk(clk), .d({chosen}), .q(data));"
    )
    return "\n".join(lines) + "\n"


def _banked_body(op: hw.HWModuleExternOp) -> str:
    parameters = op.attributes["e3ne.parameters"].data
    return banked_rom_body(
        parameters["WIDTH"].value.data,
        parameters["DEPTH"].value.data,
        parameters["ADDR_WIDTH"].value.data,
        parameters["READ_LATENCY"].value.data,
        parameters["INIT_FILE"].data,
    )


def _wrapper(op: hw.HWModuleExternOp) -> str:
    primitive = op.attributes["e3ne.primitive"]
    parameters = op.attributes["e3ne.parameters"]
    assert isinstance(primitive, StringAttr) and isinstance(parameters, DictionaryAttr)
    ports = []
    for port in op.module_type.ports.data:
        direction = "input " if port.dir.data.is_input_like() else "output"
        bits = getattr(port.type, "width", None)
        range_ = f"[{bits.data - 1}:0] " if bits is not None and bits.data > 1 else ""
        ports.append(f"  {direction} logic {range_}{port.port_name.data}")
    values = []
    for name, value in parameters.data.items():
        text = f'"{value.data}"' if isinstance(value, StringAttr) else str(value.value.data)
        values.append(f".{name}({text})")
    banks = rom_banks(op)
    body = _banked_body(op) if banks > 1 else f"  {primitive.data} #({', '.join(values)}) memory (.*);\n"
    return f"module {op.sym_name.data} (\n" + ",\n".join(ports) + "\n);\n" + body + "endmodule\n"


def emit_verilog(module: ModuleOp) -> str:
    """The design as SystemVerilog (CIRCT's export plus the memory wrappers)."""
    try:
        import circt
        from circt.ir import Context as CirctContext
        from circt.ir import Module as CirctModule
        from circt.passmanager import PassManager
    except ImportError as error:  # pragma: no cover - circt is a dependency
        raise E3NEError(f"the circt Python bindings are not importable: {error}") from None
    others = sorted({op.name for op in module.body.ops if not op.name.startswith("hw.")})
    if others:
        raise E3NEError(
            f"Verilog needs CIRCT hw/comb/seq IR, found {', '.join(others)}",
            hint="lower first: e3ne-opt --lower-snn-to-hw (or -p lower-snnhw-to-circt) -t verilog",
        )
    text = _circt_text(module)
    with CirctContext() as ctx:
        circt.register_dialects(ctx)
        try:
            parsed = CirctModule.parse(text)
            PassManager.parse("builtin.module(lower-seq-to-sv)").run(parsed.operation)
        except Exception as error:
            raise E3NEError(f"CIRCT rejected the hw module: {error}") from None
        out = io.StringIO()
        circt.export_verilog(parsed, out)
    wrappers = "\n".join(_wrapper(op) for op in _externs(module))
    return out.getvalue() + "\n// ----- memory wrappers (primitives: e3ne_primitives.sv)\n" + wrappers


HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
HEX_CHUNK_BITS = 1 << 22  # bits converted at a time (bounds the temporary arrays to ~50 MB)


def lane_bits(rows: np.ndarray, element_bits: int) -> np.ndarray:
    """(words, lanes) signed values -> (words, lanes * element_bits) uint8 bits of each word,
    lane 0 and bit 0 first (two's complement comes from the shift)."""
    rows = np.asarray(rows, dtype=np.int64)
    shifts = np.arange(element_bits, dtype=np.int64)
    return ((rows[:, :, None] >> shifts) & 1).astype(np.uint8).reshape(len(rows), -1)


def chunk_rows(word_bits: int) -> int:
    """Words converted at a time so that a chunk holds about HEX_CHUNK_BITS bits."""
    return max(1, HEX_CHUNK_BITS // max(1, word_bits))


def hex_text(data: np.ndarray, element_bits: int) -> str:
    """Rows of signed lanes -> one hex word per line, lane 0 in the lowest bits (numpy, no per-weight loop).

    Each row's lanes, two's complement in `element_bits`, are concatenated lane 0 first
    into one little-endian bit string, padded to whole hex digits and printed MSB first.
    """
    rows = np.asarray(data, dtype=np.int64).reshape(data.shape[0], -1)
    lanes = rows.shape[1]
    word_bits = lanes * element_bits
    digits = max(1, -(-word_bits // 4))
    weights = np.array([1, 2, 4, 8], dtype=np.uint8)
    parts = []
    step = chunk_rows(word_bits)
    for start in range(0, rows.shape[0], step):
        chunk = rows[start : start + step]
        bits = lane_bits(chunk, element_bits)
        bits = np.pad(bits, ((0, 0), (0, digits * 4 - word_bits)))
        nibbles = bits.reshape(len(chunk), digits, 4) @ weights
        text = np.empty((len(chunk), digits + 1), dtype=np.uint8)
        text[:, :digits] = HEX_DIGITS[nibbles[:, ::-1]]
        text[:, digits] = ord("\n")
        parts.append(text.tobytes().decode("ascii"))
    return "".join(parts)


def hex_words(data: np.ndarray, element_bits: int) -> list[str]:
    """Rows of signed lanes -> hex words, lane 0 in the lowest bits."""
    return hex_text(data, element_bits).splitlines()


def write_memory_files(module: ModuleOp, directory: Path) -> list[Path]:
    """Writes one `.hex` per ROM (its `INIT_FILE`) into `directory`."""
    written = []
    for op in _externs(module):
        init = op.attributes.get("e3ne.init")
        if init is None:
            continue
        parameters = op.attributes["e3ne.parameters"]
        name = parameters.data["INIT_FILE"].data
        bits = init.get_element_type().width.data
        words = dense_to_numpy(init)
        banks = rom_banks(op)
        if banks > 1:  # one file per bank (see `rom_banks`)
            for k in range(banks):
                path = directory / bank_file(name, k)
                path.write_text(hex_text(words[k * ROM_BANK_DEPTH : (k + 1) * ROM_BANK_DEPTH], bits))
                written.append(path)
            continue
        path = directory / name
        path.write_text(hex_text(words, bits))
        written.append(path)
    return written


def cycles_of(module: ModuleOp) -> int:
    attr = top_module(module).attributes["e3ne.cycles"]
    assert isinstance(attr, IntegerAttr)
    return attr.value.data


@dataclass(frozen=True)
class VerilogTarget(Target):
    """`e3ne-opt -t verilog`: hw/comb/seq -> SystemVerilog (design and memory wrappers)."""

    name = "verilog"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(emit_verilog(module))
