"""`ModuleBuilder.counter` in Icarus: its registered `at_last` flag equals `value == count-1`
every cycle, under random steps and clears (docs/timing-pipelining.md, "Seventh step")."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from xdsl.dialects.builtin import ModuleOp

from e3ne.backend.verilog import emit_verilog
from e3ne.lowering.hw.hwbuilder import ModuleBuilder, Port

CYCLES = 300


def counter_module(count: int, with_clear: bool) -> ModuleOp:
    b = ModuleBuilder("counter_under_test", [Port("step", 1), Port("clear", 1)], [Port("value", 3), Port("last", 1)])
    value, at_last = b.counter("c", count, b.inputs["step"], b.inputs["clear"] if with_clear else None)
    return ModuleOp([b.finish({"value": b.extract(value, 0, 3) if count > 4 else b.zext(value, 3), "last": at_last})])


def expected(count: int, stimulus: list[tuple[int, int]], with_clear: bool) -> list[tuple[int, int]]:
    """(value, value == count-1) in each cycle, before that cycle's step/clear takes effect."""
    value, shown = 0, []
    for step, clear in stimulus:
        shown.append((value, int(value == count - 1)))
        if with_clear and clear:
            value = 0
        elif step:
            value = 0 if value == count - 1 else value + 1
    return shown


@pytest.mark.parametrize(("count", "with_clear"), [(5, True), (5, False), (2, True), (1, True)])
def test_counter_flag_matches_its_value_every_cycle(tmp_path: Path, count: int, with_clear: bool):
    if shutil.which("iverilog") is None:
        pytest.skip("iverilog not installed")
    rng = random.Random(count * 2 + with_clear)
    stimulus = [(int(rng.random() < 0.7), int(rng.random() < 0.1)) for _ in range(CYCLES)]
    (tmp_path / "dut.sv").write_text(emit_verilog(counter_module(count, with_clear)))
    drive = "\n".join(
        f"    step = {s}; clear = {c}; #1 $display(\"%0d %0d\", value, last); #4 clk = 1; #5 clk = 0;"
        for s, c in stimulus
    )
    (tmp_path / "tb.sv").write_text(
        "module tb;\n  logic clk = 0, rst = 1, step = 0, clear = 0;\n  logic [2:0] value;\n  logic last;\n"
        "  counter_under_test dut (.clk(clk), .rst(rst), .step(step), .clear(clear), .value(value), .last(last));\n"
        "  initial begin\n    #5 clk = 1; #5 clk = 0; rst = 0;\n" + drive + "\n    $finish;\n  end\nendmodule\n"
    )
    subprocess.run(["iverilog", "-g2012", "-o", "sim", "tb.sv", "dut.sv"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    shown = [tuple(int(x) for x in line.split()) for line in out.splitlines() if line.strip()]
    assert shown == expected(count, stimulus, with_clear)
    assert any(last for _, last in shown)  # the flag was exercised
