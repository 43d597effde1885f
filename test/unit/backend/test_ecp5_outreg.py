"""The DP16KD output-register pass (e3ne/backend/ecp5_outreg.py).

On hand-written synth_ecp5-style netlists: which read ports are absorbed and which are kept
(an enable, a reset, another clock or edge, a non-flip-flop reader), what the rewired
netlist looks like. On a tiny compiled network: the netlist before and after the pass,
written back to Verilog by Yosys, gives the same logits as an independent numpy model in a
gate-level simulation (Icarus Verilog, Yosys's ECP5 cell models, the test-only DP16KD model
dp16kd_sim.v that adds the output register for REGMODE "OUTREG").
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from e3ne.backend.ecp5_outreg import absorb_output_registers
from gate_level import (
    CLK,
    IMAGES,
    INPUT_SHAPE,
    TIME_STEPS,
    cell_models,
    flip_flop,
    gate_level_logits,
    lut,
    make_network,
    needs_tools,
    reference,
    yosys,
)

OTHER_CLK, CE, RST = 3, 4, 5  # net bits of the hand-written netlists (CLK: 2)
DATA = [10, 11]  # the RAM's two used read-data bits (DOA0, DOA1)
Q = [20, 21]  # the flip-flops' outputs
LOGIC = 30  # a LUT's output


def ram(pdp: bool = False) -> dict:
    """A DP16KD as brams_map_16kd.v instantiates it: port A reads (DOA0/1 used), or in
    pseudo-dual-port mode (DATA_WIDTH_A = 36) port B reads and OCEA is tied to 0."""
    connections = {"CLKA": [CLK], "CLKB": [CLK], "OCEA": ["0" if pdp else "1"], "OCEB": ["1"], "RSTA": ["0"], "RSTB": ["0"],
                   "CEA": ["1"], "CEB": ["1"]}  # fmt: skip
    connections.update({f"DOA{i}": [DATA[i]] for i in range(2)})
    connections.update({f"DOA{i}": [100 + i] for i in range(2, 18)})  # unused outputs
    parameters = {"DATA_WIDTH_A": "00000000000000000000000000100100" if pdp else "00000000000000000000000000010010",
                  "DATA_WIDTH_B": "00000000000000000000000000100100" if pdp else "00000000000000000000000000010010",
                  "REGMODE_A": "NOREG", "REGMODE_B": "NOREG", "CLKAMUX": "CLKA", "CLKBMUX": "CLKB"}  # fmt: skip
    directions = {port: "output" if port.startswith("DO") else "input" for port in connections}
    return {"type": "DP16KD", "parameters": parameters, "port_directions": directions, "connections": connections}


def netlist(cells: dict) -> dict:
    """The module `net`: the RAM, `cells`, and a LUT reading both flip-flop outputs."""
    return {"modules": {"net": {
        "ports": {"clk": {"direction": "input", "bits": [CLK]}, "y": {"direction": "output", "bits": [LOGIC]}},
        "cells": {"ram": ram(), "reader": lut(Q, LOGIC), **cells},
        "netnames": {"read_word": {"bits": DATA}, "word_q": {"bits": Q}},
    }}}  # fmt: skip


def plain() -> dict:
    return {"ff0": flip_flop(DATA[0], Q[0]), "ff1": flip_flop(DATA[1], Q[1])}


def test_plain_flip_flops_become_the_output_register():
    design = netlist(plain())
    summary = absorb_output_registers(design, "net")
    assert summary == {"ports_absorbed": 1, "bits_absorbed": 2, "bits_through_lut": 0, "flip_flops_removed": 2,
                       "flip_flops_added": 0, "ports_read": 1, "ports_kept": {}}  # fmt: skip
    module = design["modules"]["net"]
    assert set(module["cells"]) == {"ram", "reader"}
    block = module["cells"]["ram"]
    assert block["parameters"]["REGMODE_A"] == "OUTREG" and block["parameters"]["REGMODE_B"] == "NOREG"
    assert block["connections"]["OCEA"] == ["1"]
    # the RAM now drives the flip-flops' nets; the unregistered word has no net left
    assert block["connections"]["DOA0"] == [Q[0]] and block["connections"]["DOA1"] == [Q[1]]
    assert module["cells"]["reader"]["connections"]["A"] == [Q[0]]
    assert module["netnames"]["read_word"]["bits"] == ["x", "x"]
    assert module["netnames"]["word_q"]["bits"] == Q


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"CEMUX": "CE", "CE": CE}, "read data flip-flop with a clock enable"),
        ({"LSR": RST}, "read data flip-flop with a set/reset"),
        ({"REGSET": "SET"}, "read data flip-flop that starts at 1"),
        ({"CLKMUX": "INV"}, "read data flip-flop on the other clock edge"),
    ],
)
def test_a_flip_flop_that_is_not_plain_keeps_the_whole_port(change, reason):
    cells = plain()
    cells["ff1"] = flip_flop(DATA[1], Q[1], **change)  # only bit 1's flip-flop differs
    design = netlist(cells)
    before = copy.deepcopy(design)
    summary = absorb_output_registers(design, "net")
    assert summary["ports_absorbed"] == 0 and summary["bits_absorbed"] == 0 and summary["flip_flops_removed"] == 0
    assert summary["ports_kept"] == {reason: 1}
    assert design == before  # all or nothing: bit 0 stays unregistered too


def test_enable_tied_high_and_reset_tied_low_still_absorb():
    cells = plain()
    cells["ff0"] = flip_flop(DATA[0], Q[0], CEMUX="CE", CE="1")
    cells["ff1"] = flip_flop(DATA[1], Q[1], LSRMUX="INV", LSR="1")
    assert absorb_output_registers(netlist(cells), "net")["bits_absorbed"] == 2


def test_another_clock_or_a_logic_reader_keeps_the_port():
    cells = plain()
    cells["ff1"] = flip_flop(DATA[1], Q[1], clock=OTHER_CLK)
    assert absorb_output_registers(netlist(cells), "net")["ports_kept"] == {"read data flip-flop on another clock": 1}
    cells = {**plain(), "peek": lut([DATA[0], DATA[1]], 31)}  # a LUT reads the word directly
    assert absorb_output_registers(netlist(cells), "net")["ports_kept"] == {"read data drives a LUT4": 1}
    design = netlist(plain())
    design["modules"]["net"]["ports"]["raw"] = {"direction": "output", "bits": [DATA[0]]}
    assert absorb_output_registers(design, "net")["ports_kept"] == {"read data leaves the module": 1}


def bypass_netlist(init: str = "1100101011001010") -> dict:
    """Yosys's read-port bypass: bit 0 passes `flag ? bypass : DO0` (a LUT4, C ? B : A) to its
    flip-flop; bit 1 has a flip-flop of its own."""
    bypass, flag, mux = 50, 51, 52
    cells = {"ff0": flip_flop(mux, Q[0]), "ff1": flip_flop(DATA[1], Q[1]),
             "mux": {**lut([DATA[0], bypass], mux), "parameters": {"INIT": init}}}  # fmt: skip
    cells["mux"]["connections"]["C"] = [flag]
    cells["mux"]["port_directions"]["C"] = "input"
    return netlist(cells)


def test_a_bypass_lut_before_the_flip_flop_is_retimed():
    # forward retiming: FF(LUT(DO0, bypass, flag)) = LUT(OUTREG(DO0), FF(bypass), FF(flag))
    design = bypass_netlist()
    summary = absorb_output_registers(design, "net")
    assert summary["ports_absorbed"] == 1 and summary["bits_absorbed"] == 2 and summary["bits_through_lut"] == 1
    assert summary["flip_flops_removed"] == 2 and summary["flip_flops_added"] == 2  # ff0, ff1 out; bypass, flag in
    cells = design["modules"]["net"]["cells"]
    mux = cells["mux"]["connections"]
    assert mux["A"] == [DATA[0]] and mux["Z"] == [Q[0]]  # reads the RAM's registered bit, drives ff0's net
    added = {c["connections"]["DI"][0]: c for n, c in cells.items() if n.startswith("mux$outreg_retime")}
    assert set(added) == {50, 51}
    assert mux["B"] == added[50]["connections"]["Q"] and mux["C"] == added[51]["connections"]["Q"]
    assert all(c["type"] == "TRELLIS_FF" and c["connections"]["CLK"] == [CLK] for c in added.values())
    assert cells["ram"]["connections"]["DOA1"] == [Q[1]]


def test_a_bypass_lut_that_is_1_at_power_up_keeps_the_port():
    # INIT bit 0 (all inputs 0, as every register starts) is 1: the retimed output would start at 1
    summary = absorb_output_registers(bypass_netlist(init="1100101011001011"), "net")
    assert summary["ports_kept"] == {"read data drives a LUT4 that is 1 at power-up": 1}


def test_a_read_port_with_a_reset_is_kept():
    design = netlist(plain())
    design["modules"]["net"]["cells"]["ram"]["connections"]["RSTA"] = [RST]
    assert absorb_output_registers(design, "net")["ports_kept"] == {"read port with a reset": 1}


def test_duplicate_flip_flops_on_one_bit_merge_into_the_register():
    cells = {**plain(), "ff0_copy": flip_flop(DATA[0], 40)}  # Yosys keeps two copies of bit 0
    design = netlist(cells)
    design["modules"]["net"]["cells"]["copy_reader"] = lut([40, Q[1]], 41)
    summary = absorb_output_registers(design, "net")
    assert summary["bits_absorbed"] == 2 and summary["flip_flops_removed"] == 3
    module = design["modules"]["net"]
    assert module["cells"]["copy_reader"]["connections"]["A"] == [Q[0]]  # the copy's readers now read the register


def test_pseudo_dual_port_sets_both_regmodes_and_the_read_enable():
    design = netlist(plain())
    design["modules"]["net"]["cells"]["ram"] = ram(pdp=True)
    assert absorb_output_registers(design, "net")["ports_absorbed"] == 1
    block = design["modules"]["net"]["cells"]["ram"]
    assert block["parameters"]["REGMODE_A"] == block["parameters"]["REGMODE_B"] == "OUTREG"
    assert block["connections"]["OCEB"] == ["1"] and block["connections"]["OCEA"] == ["0"]


# --------------------------------------------------------------------------- gate-level simulation

@needs_tools
@pytest.mark.parametrize(("lanes", "pseudo_dual_port"), [(4, False), (8, True)])
def test_absorbed_netlist_is_bit_exact_in_gate_level_simulation(tmp_path: Path, lanes: int, pseudo_dual_port: bool):
    from e3ne.backend.build import build_hardware

    # 64 inputs x 32 outputs of 4-bit weights is 8,192 bits, over the 4,096-bit LUT-ROM limit
    # (snn_to_snnhw.DISTRIBUTED_ROM_BITS): a block ROM. P = 4 lanes: 512 words x 16 bits, a
    # DP16KD read at width 18; P = 8: 256 words x 32 bits, read at width 36 (Yosys's PDPW16KD
    # mapping, DATA_WIDTH_A = 36: the word leaves on DOA and DOB, both read port B's).
    shift = 3
    module, layers = make_network([64, 32, 4], shift)
    build = tmp_path / "build"
    manifest = build_hardware(module, build, linear_parallelism=[lanes, 2], progress=lambda _: None)
    work = tmp_path / "work"
    work.mkdir()
    for source in (build / "rtl").iterdir():
        if source.name != "tb.sv":
            shutil.copy(source, work / source.name)
    # force the small activation buffers (LUT RAM by Yosys's cost) into DP16KDs too: their read
    # port has Yosys's bypass multiplexer (write/read collision) before the read-stage register
    primitives = work / "e3ne_primitives.sv"
    text = primitives.read_text()
    ram_memory = "  logic [WIDTH-1:0] mem [0:DEPTH-1];\n  logic [WIDTH-1:0] read_word;\n  always_ff @(posedge clk) begin\n    if (we)"
    assert text.count(ram_memory) == 1, "e3ne_ram_sdp changed: update this test"
    primitives.write_text(text.replace(ram_memory, '  (* ram_style = "block" *)' + ram_memory[1:]))
    top = manifest["top"]
    yosys(f"read_verilog -sv e3ne_primitives.sv {top}.sv; synth_ecp5 -top {top} -json before.json", work)
    design = json.loads((work / "before.json").read_text())
    rams = [c for c in design["modules"][top]["cells"].values() if c["type"] == "DP16KD"]
    assert rams, "the weight ROM should be a DP16KD"
    assert any(int(c["parameters"]["DATA_WIDTH_A"], 2) == 36 for c in rams) == pseudo_dual_port
    summary = absorb_output_registers(design, top)
    (work / "after.json").write_text(json.dumps(design))
    # the weight ROM's word and the two buffers a unit reads (input, fc1 -> fc2) at least;
    # the logits buffer's read port (read latency 1) reaches the host port through the bypass
    # multiplexer with no register: it stays
    assert summary["ports_absorbed"] >= 3 and summary["bits_through_lut"] > 0, summary
    assert summary["ports_kept"] == {"read data drives a LUT4 that is not followed by one flip-flop": 1}, summary
    assert summary["flip_flops_removed"] == summary["bits_absorbed"]

    rng = np.random.default_rng(1)
    encoded = rng.integers(0, 1 << TIME_STEPS, size=(IMAGES, *INPUT_SHAPE))
    encoded[0] = 0
    encoded[1] = (1 << TIME_STEPS) - 1
    expected = reference(encoded, layers, shift)
    for name in ("before", "after"):
        logits, cycles = gate_level_logits(work / f"{name}.json", build, work, encoded, name)
        np.testing.assert_array_equal(logits, expected, err_msg=name)
        assert (cycles == manifest["cycles_expected"]).all(), (name, cycles, manifest["cycles_expected"])


COLLISION_TB = """
`timescale 1ns/1ps
module tb;
  logic clk = 1'b0;
  always #5 clk = ~clk;
  logic we = 1'b0;
  logic [8:0] waddr = '0, raddr = '0;
  logic [7:0] wdata = '0;
  logic [7:0] rdata;
  ram dut (.clk(clk), .we(we), .waddr(waddr), .wdata(wdata), .raddr(raddr), .rdata(rdata));
  integer out, cycle, seed = 7;
  initial begin
    out = $fopen("rdata.txt", "w");
    for (cycle = 0; cycle < 3000; cycle++) begin
      @(negedge clk);
      $fwrite(out, "%0d %h\\n", cycle, rdata);
      we = cycle < 4 ? 1'b1 : $random(seed);  // cycles 0-3 write the four words once
      waddr = cycle < 4 ? cycle : $unsigned($random(seed)) % 4;  // many reads of the word being written
      raddr = $unsigned($random(seed)) % 4;
      wdata = $random(seed);
    end
    $fclose(out);
    $finish;
  end
endmodule
"""


@needs_tools
@pytest.mark.parametrize("latency, address_register", [(2, 0), (3, 0), (4, 1)])
def test_retimed_bypass_is_cycle_exact_under_read_write_collisions(tmp_path: Path, latency: int, address_register: int):
    # a 512 x 8 simple dual-port RAM (e3ne_ram_sdp, read latency 2 or 3; 4 with the registered
    # read address of the buffers a unit reads) forced into a DP16KD: the write port and the
    # read port often hit the same word in the same cycle, so Yosys's bypass logic (the
    # multiplexer the pass retimes) decides the read data
    from importlib.resources import files

    primitives = (files("e3ne.backend") / "rtl" / "e3ne_primitives.sv").read_text()
    ram_memory = "  logic [WIDTH-1:0] mem [0:DEPTH-1];\n  logic [WIDTH-1:0] read_word;\n  always_ff @(posedge clk) begin\n    if (we)"
    (tmp_path / "e3ne_primitives.sv").write_text(primitives.replace(ram_memory, '  (* ram_style = "block" *)' + ram_memory[1:]))
    (tmp_path / "ram.sv").write_text(
        "module ram(input logic clk, we, input logic [8:0] waddr, raddr, input logic [7:0] wdata, output logic [7:0] rdata);\n"
        f"  e3ne_ram_sdp #(.WIDTH(8), .DEPTH(512), .ADDR_WIDTH(9), .READ_LATENCY({latency}), "
        f".ADDRESS_REGISTER({address_register})) memory (.*);\nendmodule\n"
    )
    (tmp_path / "tb.sv").write_text(COLLISION_TB)
    yosys("read_verilog -sv e3ne_primitives.sv ram.sv; synth_ecp5 -top ram -json before.json", tmp_path)
    design = json.loads((tmp_path / "before.json").read_text())
    summary = absorb_output_registers(design, "ram")
    assert summary["ports_absorbed"] == 1 and summary["bits_absorbed"] == 8 and summary["bits_through_lut"] == 8, summary
    (tmp_path / "after.json").write_text(json.dumps(design))
    models = cell_models(tmp_path)
    traces = {}
    for name in ("rtl", "before", "after"):
        if name == "rtl":
            sources = ["e3ne_primitives.sv", "ram.sv"]
        else:
            yosys(f"read_json {name}.json; write_verilog -noattr {name}.v", tmp_path)
            sources = [f"{name}.v", str(models), str(Path(__file__).with_name("dp16kd_sim.v"))]
        command = ["iverilog", "-g2012", "-o", f"{name}.vvp", "-s", "tb", "tb.sv", *sources]
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        run = subprocess.run(["vvp", "-n", f"{name}.vvp"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        traces[name] = (tmp_path / "rdata.txt").read_text().splitlines()[8:]  # from cycle 8: all words written and read
    assert len(traces["rtl"]) == 2992 and "x" not in "".join(traces["rtl"])
    assert traces["before"] == traces["rtl"]
    assert traces["after"] == traces["rtl"]
