"""Deep block ROMs are split into registered banks by their Verilog wrapper (docs/timing-pipelining.md)."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from gate_level import icarus
from xdsl.dialects.builtin import IntegerType, ModuleOp, Signedness

from e3ne.backend.verilog import _wrapper, rom_banks, write_memory_files
from e3ne.dense import numpy_to_dense
from e3ne.lowering.hw.hwbuilder import extern_memory

PRIMITIVES = Path(__file__).resolve().parents[3] / "e3ne" / "backend" / "rtl" / "e3ne_primitives.sv"


def block_rom(depth: int, latency: int, addr: int = 11):
    op = extern_memory(
        "net_w",
        {"addr": addr},
        {"data": 8},
        "e3ne_rom_block",
        {"WIDTH": 8, "DEPTH": depth, "ADDR_WIDTH": addr, "INIT_FILE": "net_w.hex", "READ_LATENCY": latency},
    )
    words = (np.arange(depth * 2) % 7 - 3).reshape(depth, 2)
    op.attributes["e3ne.init"] = numpy_to_dense(words, IntegerType(4, Signedness.SIGNED))
    return op


def test_deep_block_rom_is_banked_with_one_file_per_bank(tmp_path: Path):
    op = block_rom(1100, 3)
    assert rom_banks(op) == 3  # 512 + 512 + 76 words
    text = _wrapper(op)
    assert '.DEPTH(76), .ADDR_WIDTH(9), .INIT_FILE("net_w_bank2.hex"), .READ_LATENCY(2)) bank2' in text
    assert "select1 <= addr[10:9]; select2 <= select1;" in text
    assert ".LATENCY(2)) out_reg (.clk(clk), .d(bank_data[select2]), .q(data));" in text
    written = write_memory_files(ModuleOp([op]), tmp_path)
    assert [p.name for p in written] == ["net_w_bank0.hex", "net_w_bank1.hex", "net_w_bank2.hex"]
    lines = [p.read_text().split() for p in written]
    assert [len(x) for x in lines] == [512, 512, 76]
    # word 512 (first of bank 1): lanes 1024 % 7 - 3 = -1 and 1025 % 7 - 3 = 0 -> 0x0f (lane 0 low)
    assert lines[1][0] == "0f"


def test_shallow_or_single_cycle_roms_are_not_banked():
    assert rom_banks(block_rom(512, 3)) == 1
    assert rom_banks(block_rom(1100, 1)) == 1
    assert "e3ne_rom_block #(" in _wrapper(block_rom(512, 3))


def test_read_latency_4_registers_a_two_level_bank_multiplexer():
    # 6,272 words (the MLP's fc1 ROM): 13 banks, 4 select bits; groups of ROM_BANK_GROUP = 4
    # banks (select2[1:0]), each registered and cleared unless its bit of the one-hot
    # `group_hot` (= 1 << select1[3:2], registered, so in step with select2) is set, then the 4
    # groups ORed: 2 (bank) + 1 (group) + 1 (output) = 4 cycles
    op = block_rom(6272, 4, addr=13)
    assert rom_banks(op) == 13
    text = _wrapper(op)
    assert "logic [7:0] bank_data [0:15];" in text
    assert "assign bank_data[13] = '0;" in text and "assign bank_data[15] = '0;" in text
    assert "logic [3:0] group_hot;" in text and "group_hot <= 4'(1) << select1[3:2];" in text
    assert "group_data[0] <= group_hot[0] ? bank_data[0 + select2[1:0]] : '0;" in text
    assert "group_data[3] <= group_hot[3] ? bank_data[12 + select2[1:0]] : '0;" in text
    chosen = "group_data[0] | group_data[1] | group_data[2] | group_data[3]"
    assert f".LATENCY(2)) out_reg (.clk(clk), .d({chosen}), .q(data));" in text
    # three banks (2 select bits) make one group: each bank's word registered (the fourth slot
    # is the constant 0), the select delayed to match, then the multiplexer into the output
    # register: 2 (bank) + 1 (bank_q) + 1 (output) = 4 cycles
    small = _wrapper(block_rom(1100, 4))
    assert "group_hot" not in small and "group_data" not in small
    assert "bank_q[0] <= bank_data[0];" in small and "bank_q[3] <= bank_data[3];" in small
    assert "assign bank_data[3] = '0;" in small and "select3 <= select2;" in small
    assert ".LATENCY(2)) out_reg (.clk(clk), .d(bank_q[select3]), .q(data));" in small


@pytest.mark.parametrize("depth, addr", [(1100, 11), (6272, 13)], ids=["one-group", "four-groups"])
def test_banked_rom_reads_every_word_with_latency_4(tmp_path: Path, depth: int, addr: int):
    # the wrapper in Icarus, one group of banks (1,100 words, 3 banks) and four groups (6,272
    # words, 13 banks): a new address every cycle, in order, then from the last word back to
    # the first (every bank and group change); the word of the address set before clock edge
    # n is on `data` after edge n + 3 (4 cycles)
    if shutil.which("iverilog") is None:
        pytest.skip("iverilog not installed")
    op = block_rom(depth, 4, addr=addr)
    write_memory_files(ModuleOp([op]), tmp_path)
    (tmp_path / "net_w.sv").write_text(_wrapper(op))
    (tmp_path / "tb.sv").write_text(
        f"module tb;\n  logic clk = 0;\n  logic [{addr - 1}:0] addr = 0;\n  logic [7:0] data;\n"
        "  net_w dut (.clk(clk), .addr(addr), .data(data));\n  integer n;\n"
        f"  initial begin\n    for (n = 0; n < {2 * depth + 3}; n = n + 1) begin\n"
        f"      addr = n < {depth} ? n : n < {2 * depth} ? {2 * depth - 1} - n : 0;\n      #5 clk = 1; #5 clk = 0;\n"
        '      if (n >= 3) $display("%0d", data);\n    end\n    $finish;\n  end\nendmodule\n'
    )
    shown = icarus(tmp_path, "tb.sv", "net_w.sv", str(PRIMITIVES)).split()
    lanes = (np.arange(depth * 2) % 7 - 3).reshape(depth, 2) & 0xF
    words = list(lanes[:, 0] | lanes[:, 1] << 4)
    assert [int(x) for x in shown] == words + words[::-1]
