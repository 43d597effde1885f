"""Yosys synthesis runner: resource counting on hand-countable designs."""

from pathlib import Path

from e3ne.backend.synth import compare, ecp5_resource_counts, resource_counts, run_yosys, yosys_command
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
