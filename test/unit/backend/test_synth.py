"""Yosys synthesis runner: resource counting on hand-countable designs."""

from pathlib import Path

from e3ne.backend.synth import compare, ecp5_resource_counts, logic_depth, resource_counts, run_yosys, yosys_command
from e3ne.model.parts import get_part

COUNTER = """
module counter(input logic clk, input logic rst, output logic [7:0] count);
  always_ff @(posedge clk) if (rst) count <= 8'd0; else count <= count + 8'd1;
endmodule
"""


def test_resource_counts_sums_cell_kinds():
    cells = {"LUT2": 3, "LUT6": 2, "RAM64M": 1, "FDRE": 5, "FDSE": 1, "CARRY4": 2, "RAMB36E1": 2, "RAMB18E1": 1, "DSP48E1": 1, "MUXF7": 4}
    counts = resource_counts(cells)
    assert counts["lut"] == 3 + 2 + 4  # a RAM64M occupies 4 LUTs; MUXF7 is not a LUT
    assert counts["lutram"] == 4
    assert counts["ff"] == 6
    assert counts["carry"] == 2
    assert counts["bram"] == 2.5
    assert counts["dsp"] == 1


def test_compare_reports_relative_error():
    table = compare({"lut": 100, "ff": 50, "carry": 0, "bram": 2, "dsp": 0}, {"lut": 110, "ff": 40, "carry": 3, "bram": 2, "dsp": 0})
    assert table["lut"] == {"yosys": 100, "estimate": 110, "error": 0.1}
    assert table["ff"]["error"] == -0.2
    assert table["carry"]["error"] is None  # nothing to compare against
    assert table["bram"]["error"] == 0.0


def test_yosys_counts_a_counter(tmp_path: Path):
    (tmp_path / "counter.sv").write_text(COUNTER)
    result = run_yosys(tmp_path, ["counter.sv"], get_part("xc7z020"), "counter", tmp_path / "synth.log", progress=lambda _: None)
    assert result["counts"]["ff"] == 8
    assert result["counts"]["carry"] == 2  # an 8-bit incrementer spans two CARRY4
    assert "Yosys" in result["yosys_version"]


def test_ecp5_resource_counts_count_carry_and_lutram_cells_as_lut4s():
    cells = {"LUT4": 10, "CCU2C": 3, "TRELLIS_DPR16X4": 2, "TRELLIS_FF": 7, "DP16KD": 3, "MULT18X18D": 1, "PFUMX": 4}
    counts = ecp5_resource_counts(cells)
    assert counts["lut"] == 10 + 2 * 3 + 6 * 2  # a CCU2C is two LUT4s, a DPR16X4 six; PFUMX is not a LUT
    assert (counts["lutram"], counts["ff"], counts["carry"]) == (12, 7, 3)
    assert (counts["ramb18"], counts["bram"], counts["dsp"]) == (3, 1.5, 1)


def test_yosys_command_follows_the_part_family():
    assert "synth_ecp5 -top net;" in yosys_command(["net.sv"], get_part("lfe5u-85f"), "net")
    assert "synth_xilinx -family xc7 -flatten -top net;" in yosys_command(["net.sv"], get_part("xc7z020"), "net")


def test_yosys_ecp5_counts_a_counter(tmp_path: Path):
    (tmp_path / "counter.sv").write_text(COUNTER)
    result = run_yosys(tmp_path, ["counter.sv"], get_part("lfe5u-25f"), "counter", tmp_path / "synth.log", progress=lambda _: None)
    assert result["counts"]["ff"] == 8
    assert result["counts"]["carry"] == 4  # an 8-bit incrementer: four 2-bit CCU2C cells
    assert result["logic_depth"] is None  # the depth rule is Xilinx's


ADDER = """
module add16(input logic clk, input logic [15:0] a, b, output logic [15:0] s);
  logic [15:0] ra, rb;
  always_ff @(posedge clk) begin ra <= a; rb <= b; s <= ra + rb; end
endmodule
"""

LTP = """
3. Executing LTP pass (find longest path).

Longest topological path in net (length=4):
    0: \\fc1.bit1 [2]
    1: $abc$1$lut$7.A [4] (via $abc$1$lut$5)
    2: $abc$1$aiger$i9 (via $auto$alumacc.cc:1$2.slice[0].genblk1.carry4)
    3: $abc$1$aiger$i10 (via $auto$alumacc.cc:1$2.slice[1].genblk1.carry4)
    4: $abc$1$aiger$o3 (via $abc$1$mux$4)
"""
CARRY = "net/$auto$alumacc.cc:1$2.slice[0].genblk1.carry4\nnet/$auto$alumacc.cc:1$2.slice[1].genblk1.carry4\n"
MUXF = "net/$abc$1$mux$4\n"


def test_logic_depth_counts_the_cells_of_ltps_path_by_kind():
    depth = logic_depth(LTP, CARRY, MUXF, "xc7", 100.0)
    assert depth["cells"] == 4
    assert (depth["lut_levels"], depth["muxf_levels"], depth["carry_cells"]) == (1, 1, 2)
    assert depth["from"] == "fc1.bit1" and depth["to"] == "$abc$1$aiger$o3"
    assert depth["estimated_ns"] == 3.1  # the xc7 rule of thumb: 1 + 0.9 x 2 levels + 0.15 x 2 carries
    assert depth["period_ns"] == 10.0 and depth["within_clock"]
    assert not logic_depth(LTP, CARRY, MUXF, "xc7", 400.0)["within_clock"]  # 2.5 ns
    assert logic_depth("Longest topological path in net (length=-1):\n", "", "", "xc7", 100.0) is None


def test_yosys_logic_depth_of_a_registered_adder(tmp_path: Path):
    # ra + rb, 16 bits: one LUT level (the propagate XOR) into four CARRY4, into the register
    (tmp_path / "add.sv").write_text(ADDER)
    result = run_yosys(tmp_path, ["add.sv"], get_part("xc7z020"), "add16", tmp_path / "synth.log", progress=lambda _: None)
    depth = result["logic_depth"]
    assert (depth["lut_levels"], depth["muxf_levels"], depth["carry_cells"]) == (1, 0, 4)
    assert depth["from"] in ("ra", "rb") and depth["within_clock"]
    assert not any(tmp_path.glob("yosys_*"))  # the tool's side files are removed
