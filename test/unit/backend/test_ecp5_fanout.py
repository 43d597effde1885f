"""The high fan-out pass (e3ne/backend/ecp5_fanout.py).

On hand-written synth_ecp5-style netlists: which drivers get copies, which sinks each copy
takes (runs in the natural order of the readers' names, a group of one RTL name's cells
together), what a copy carries, repeated
rounds when copies raise their inputs' fan-out. On a tiny compiled network: the netlist after
the output-register pass and after this pass (with a fan-out limit of 4, so that most
control nets split), written back to Verilog by Yosys, gives the same logits and cycles as
an independent numpy model in a gate-level simulation.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from e3ne.backend.ecp5_fanout import BLOCK_RAMS_PER_COPY, group_of, replicate_high_fanout, split_runs
from e3ne.backend.ecp5_outreg import absorb_output_registers
from gate_level import (
    CLK,
    IMAGES,
    INPUT_SHAPE,
    TIME_STEPS,
    flip_flop,
    gate_level_logits,
    lut,
    make_network,
    needs_tools,
    reference,
    yosys,
)

D, CE, Q, OUT = 3, 4, 5, 6  # net bits: the flip-flop's input, its enable, its output, a module output


def readers(count: int, source: int, first_bit: int = 1000, prefix: str = "lane") -> dict:
    """`count` LUT4s `lane0`... reading `source`, each driving its own net."""
    return {f"{prefix}{k}": lut([source, CLK], first_bit + k) for k in range(count)}


def module_of(cells: dict) -> dict:
    return {"modules": {"net": {
        "ports": {"clk": {"direction": "input", "bits": [CLK]}, "d": {"direction": "input", "bits": [D]},
                  "ce": {"direction": "input", "bits": [CE]}, "y": {"direction": "output", "bits": [Q]}},
        "cells": cells,
        "netnames": {"state": {"bits": [Q], "hide_name": 0, "attributes": {"src": "net.sv:12.3-12.9"}}},
    }}}  # fmt: skip


def driver_of(cells: dict, name: str, port: str = "A") -> str:
    """The cell whose output the reader `name` reads on `port`."""
    bit = cells[name]["connections"][port][0]
    return next(n for n, c in cells.items() if bit in c["connections"].get("Q", []) + c["connections"].get("Z", []))


def test_a_flip_flop_over_the_limit_gets_copies_that_take_runs_of_its_readers():
    netlist = module_of({"state": flip_flop(D, Q, CE=CE, REGSET="SET"), **readers(70, Q)})
    summary = replicate_high_fanout(netlist, "net", max_fanout=32)
    cells = netlist["modules"]["net"]["cells"]
    assert summary["nets_split"] == 1 and summary["copies"] == {"TRELLIS_FF": 2, "LUT4": 0}
    assert (summary["largest_before"], summary["largest_after"]) == (70, 24)
    # three runs of equal size in natural order: lane0..lane22 stay on the original (lane2
    # before lane10), lane23..lane45 and lane46..lane69 move
    assert {driver_of(cells, f"lane{k}") for k in range(23)} == {"state"}
    assert {driver_of(cells, f"lane{k}") for k in range(23, 46)} == {"state$fanout1"}
    assert {driver_of(cells, f"lane{k}") for k in range(46, 70)} == {"state$fanout2"}
    for name in ("state$fanout1", "state$fanout2"):
        copy_ = cells[name]
        assert copy_["type"] == "TRELLIS_FF" and copy_["parameters"] == cells["state"]["parameters"]
        assert {p: b for p, b in copy_["connections"].items() if p != "Q"} == {
            p: b for p, b in cells["state"]["connections"].items() if p != "Q"
        }
        assert copy_["connections"]["Q"] != cells["state"]["connections"]["Q"]
    # the module's output port keeps the original's net; the copies' nets are named after it
    assert netlist["modules"]["net"]["ports"]["y"]["bits"] == [Q] == cells["state"]["connections"]["Q"]
    assert undriven(netlist) == set()
    names = netlist["modules"]["net"]["netnames"]
    assert names["state$fanout1$net"]["bits"] == cells["state$fanout1"]["connections"]["Q"]
    assert names["state$fanout2$net"]["attributes"] == {"src": "net.sv:12.3-12.9"}  # the RTL line, for nextpnr's report


def test_copies_of_a_lut_raise_its_input_flip_flops_fan_out_which_splits_next_round():
    # the flip-flop drives a LUT4 `gate` (40 readers) and 31 other readers: 32, at the limit;
    # gate's copy reads it too (33), so a second round copies the flip-flop
    cells = {"state": flip_flop(D, Q), "gate": lut([Q, CE], OUT), **readers(40, OUT), **readers(31, Q, 2000, "other")}
    netlist = module_of(cells)
    summary = replicate_high_fanout(netlist, "net", max_fanout=32)
    cells = netlist["modules"]["net"]["cells"]
    assert summary["copies"] == {"TRELLIS_FF": 1, "LUT4": 1} and summary["nets_split"] == 2
    assert summary["largest_after"] <= 32 and undriven(netlist) == set()
    assert cells["gate$fanout1"]["connections"]["B"] == [CE]
    assert {driver_of(cells, f"lane{k}") for k in range(32, 40)} == {"gate$fanout1"}
    assert {driver_of(cells, gate) for gate in ("gate", "gate$fanout1")} <= {"state", "state$fanout1"}


def test_a_block_ram_input_counts_as_a_quarter_of_the_limit():
    # an address flip-flop driving 10 DP16KDs' ADB0 (10 inputs, under the limit of 32) is over
    # it in load: each DP16KD counts 32 / BLOCK_RAMS_PER_COPY = 8, 80 in all -> three drivers;
    # the equal runs' cuts (26, 53) move to the nearest block RAM's edge (24, 56): bram0..2,
    # bram3..6, bram7..9
    assert BLOCK_RAMS_PER_COPY == 4
    rams = {f"bram{k}": {"type": "DP16KD", "parameters": {}, "port_directions": {"ADB0": "input", "DOB0": "output"},
                         "connections": {"ADB0": [Q], "DOB0": [1000 + k]}} for k in range(10)}  # fmt: skip
    netlist = module_of({"state": flip_flop(D, Q), **rams})
    summary = replicate_high_fanout(netlist, "net", max_fanout=32)
    cells = netlist["modules"]["net"]["cells"]
    assert summary["copies"] == {"TRELLIS_FF": 2, "LUT4": 0} and undriven(netlist) == set()
    drivers = [driver_of(cells, f"bram{k}", "ADB0") for k in range(10)]
    assert drivers == ["state"] * 3 + ["state$fanout1"] * 4 + ["state$fanout2"] * 3


def adder_luts(register: str, count: int, source: int, first_bit: int) -> dict:
    """`count` LUT4s named as synth_ecp5 names an accumulator's adder LUTs, reading `source`."""
    names = [f"{register}_TRELLIS_FF_Q_{k}_DI_CCU2C_S0_A{k % 2}_LUT4_Z" for k in range(count)]
    return {name: lut([source, CLK], first_bit + k) for k, name in enumerate(names)}


def test_a_copy_takes_whole_groups_of_sinks_and_a_group_over_the_limit_in_equal_pieces():
    # 20 sinks at a limit of 8: equal runs (7/7/6) would each reach two accumulators; whole
    # groups take four drivers, one per accumulator
    cells = {"first": flip_flop(D, Q)}
    for k in range(4):
        cells.update(adder_luts(f"fc2.acc{k}", 5, Q, 1000 + 10 * k))
    netlist = module_of(cells)
    summary = replicate_high_fanout(netlist, "net", max_fanout=8)
    cells = netlist["modules"]["net"]["cells"]
    assert summary["copies"] == {"TRELLIS_FF": 3, "LUT4": 0} and undriven(netlist) == set()
    by_driver = {}
    for name in cells:
        if name.startswith("fc2.acc"):
            by_driver.setdefault(driver_of(cells, name), set()).add(name.split("_")[0])
    assert by_driver == {"first": {"fc2.acc0"}, "first$fanout1": {"fc2.acc1"},
                         "first$fanout2": {"fc2.acc2"}, "first$fanout3": {"fc2.acc3"}}  # fmt: skip
    # a group of 12 (over the limit) is cut into two pieces of 6; the group of 3 after it
    # (acc10 comes after acc9 in natural order) fits beside neither: three runs
    cells = {"first": flip_flop(D, Q), **adder_luts("fc2.acc10", 3, Q, 1000), **adder_luts("fc2.acc9", 12, Q, 2000)}
    netlist = module_of(cells)
    replicate_high_fanout(netlist, "net", max_fanout=8)
    cells = netlist["modules"]["net"]["cells"]
    drivers = [driver_of(cells, name) for name in adder_luts("fc2.acc9", 12, Q, 0)]
    assert drivers == ["first"] * 6 + ["first$fanout1"] * 6
    assert {driver_of(cells, name) for name in adder_luts("fc2.acc10", 3, Q, 0)} == {"first$fanout2"}


def test_runs_keep_the_readers_order_stay_within_the_limit_and_never_split_a_small_group():
    # seeded random groups of adder LUTs and single block RAMs, including the cases where no cut
    # of the equal runs can move to a group's edge (the pass then packs the groups in order)
    rng = np.random.default_rng(11)
    for case in range(300):
        limit = int(rng.choice([2, 4, 8, 32]))
        cells, sinks = {}, []
        for group in range(int(rng.integers(2, 25))):
            if rng.random() < 0.2:
                names = [f"rom{group}.mem.0.0"]
                cells[names[0]] = {"type": "DP16KD"}
            else:
                names = [f"acc{group}_TRELLIS_FF_Q_{k}_DI_CCU2C_S0_A0_LUT4_Z" for k in range(int(rng.integers(1, 12)))]
                cells.update({name: {"type": "LUT4"} for name in names})
            sinks += [(name, "C", 0) for name in names]
        runs = split_runs(sinks, cells, limit)
        assert [sink for run in runs for sink in run] == sinks, case
        ram = max(1, limit // BLOCK_RAMS_PER_COPY)
        loads = [sum(ram if cells[name]["type"] == "DP16KD" else 1 for name, _, _ in run) for run in runs]
        assert max(loads) <= limit, (case, limit, loads)
        for group in {group_of(name) for name, _, _ in sinks}:
            size = sum(1 for name, _, _ in sinks if group_of(name) == group)
            spanned = [k for k, run in enumerate(runs) if any(group_of(name) == group for name, _, _ in run)]
            assert len(spanned) == 1 or size > limit, (case, group, spanned)


def undriven(netlist: dict) -> set:
    """Net bits some cell reads that no cell output or module input drives."""
    module = netlist["modules"]["net"]
    driven = {b for p in module["ports"].values() if p["direction"] == "input" for b in p["bits"]}
    read = set()
    for cell in module["cells"].values():
        for port, bits in cell["connections"].items():
            target = driven if cell["port_directions"].get(port) == "output" else read
            target.update(b for b in bits if not isinstance(b, str))
    return read - driven


def test_a_driver_split_in_two_rounds_keeps_every_copy():
    # round 1 copies `state` (9 readers; its copy reads `z_gate`'s original output for its
    # clock enable) and `z_gate` (16: a0..a14 and state's CE; two runs of 8); the copy's CE
    # makes `z_gate` 9 again, so round 2 copies it once more: a second copy, not the first
    # one replaced
    cells = {"state": flip_flop(D, Q, CE=OUT), **readers(9, Q), "z_gate": lut([D, CE], OUT), **readers(15, OUT, 2000, "a")}
    netlist = module_of(cells)
    summary = replicate_high_fanout(netlist, "net", max_fanout=8)
    cells = netlist["modules"]["net"]["cells"]
    assert {"z_gate$fanout1", "z_gate$fanout2", "state$fanout1"} <= set(cells)
    assert summary["copies"] == {"TRELLIS_FF": 1, "LUT4": 2} and summary["largest_after"] <= 8
    assert undriven(netlist) == set()
    gates = {"z_gate", "z_gate$fanout1", "z_gate$fanout2"}
    readers_ = [(f"a{k}", "A") for k in range(15)] + [("state", "CE"), ("state$fanout1", "CE")]
    assert {driver_of(cells, name, port) for name, port in readers_} == gates


def test_a_second_run_with_a_lower_limit_numbers_its_copies_after_the_first_runs():
    # `python -m e3ne.backend.ecp5_fanout` run again on a netlist it already split (to try a
    # lower limit): state$fanout1 exists, so the new copies of `state` take the next numbers;
    # state$fanout1 (20 readers) is a driver like any other and gets copies of its own
    netlist = module_of({"state": flip_flop(D, Q), **readers(40, Q)})
    replicate_high_fanout(netlist, "net", max_fanout=32)
    summary = replicate_high_fanout(netlist, "net", max_fanout=8)
    cells = netlist["modules"]["net"]["cells"]
    assert summary["largest_after"] <= 8 and undriven(netlist) == set()
    drivers = {"state", "state$fanout1", "state$fanout2", "state$fanout3", "state$fanout1$fanout1", "state$fanout1$fanout2"}
    assert {name for name in cells if name.startswith("state")} == drivers
    assert {driver_of(cells, f"lane{k}") for k in range(40)} == drivers


def test_a_netlist_within_the_limit_is_left_as_it_is():
    netlist = module_of({"state": flip_flop(D, Q), **readers(32, Q)})
    before = copy.deepcopy(netlist)
    summary = replicate_high_fanout(netlist, "net", max_fanout=32)
    assert netlist == before
    assert summary["nets_split"] == 0 and summary["largest_after"] == 32


def test_a_limit_below_two_is_refused():
    with pytest.raises(ValueError, match="at least 2"):
        replicate_high_fanout(module_of({"state": flip_flop(D, Q)}), "net", max_fanout=1)


@needs_tools
def test_replicated_netlist_is_bit_exact_in_gate_level_simulation(tmp_path: Path):
    from e3ne.backend.build import build_hardware

    shift = 3
    module, layers = make_network([64, 32, 4], shift)
    build = tmp_path / "build"
    manifest = build_hardware(module, build, linear_parallelism=[8, 2], progress=lambda _: None)
    work = tmp_path / "work"
    work.mkdir()
    for source in (build / "rtl").iterdir():
        if source.name != "tb.sv":
            shutil.copy(source, work / source.name)
    top = manifest["top"]
    yosys(f"read_verilog -sv e3ne_primitives.sv {top}.sv; synth_ecp5 -top {top} -json before.json", work)
    design = json.loads((work / "before.json").read_text())
    absorb_output_registers(design, top)  # as `e3ne bitstream` runs them: output registers, then fan-out
    summary = replicate_high_fanout(design, top, max_fanout=4)
    assert summary["copies"]["TRELLIS_FF"] > 0 and summary["copies"]["LUT4"] > 0, summary
    assert summary["largest_before"] > 4 and summary["largest_after"] <= 4, summary
    (work / "after.json").write_text(json.dumps(design))

    rng = np.random.default_rng(2)
    encoded = rng.integers(0, 1 << TIME_STEPS, size=(IMAGES, *INPUT_SHAPE))
    encoded[0] = 0
    encoded[1] = (1 << TIME_STEPS) - 1
    expected = reference(encoded, layers, shift)
    logits, cycles = gate_level_logits(work / "after.json", build, work, encoded, "after")
    np.testing.assert_array_equal(logits, expected)
    assert (cycles == manifest["cycles_expected"]).all(), (cycles, manifest["cycles_expected"])
