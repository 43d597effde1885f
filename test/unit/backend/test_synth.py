"""Yosys synthesis runner: resource counting on hand-countable designs."""

from pathlib import Path

from e3ne.backend.synth import compare, resource_counts, run_yosys
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
