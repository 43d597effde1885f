"""Where the report's clock comes from, the figures that follow from it, and the logic depth.

A build's report.json/report.md give latency, throughput and bandwidth at one clock:

* **assumed**: the target part preset's `Part.clock_mhz` (`e3ne compile`), a clock nobody
  checked for this design;
* **measured**: nextpnr-ecp5's Fmax of this build's RTL on the ECP5 of `e3ne bitstream`
  (`BUILD/fpga/fpga.json`). After the flow, `apply_measured_clock` recomputes every figure
  that depends on the clock at that Fmax and re-renders report.md.

report.json `target.clock` = {"mhz", "kind": "assumed"|"measured", "source": one line
saying which}; `target.clock_mhz` is the clock every figure uses. After `e3ne synth` (Xilinx),
`apply_logic_depth` adds Yosys's deepest register-to-register path (`logic_depth`).
"""

from __future__ import annotations

import json
from pathlib import Path

FPGA_JSON = "fpga/fpga.json"
HEALTH_SECTION = "## Quantization health"


def assumed_clock(part) -> dict:
    """The part preset's clock (not measured)."""
    return {
        "mhz": part.clock_mhz,
        "kind": "assumed",
        "source": f"assumed: {part.name} preset {part.clock_mhz:g} MHz (not measured; `e3ne bitstream BUILD` "
        "measures an Fmax on an ECP5)",
    }


def measured_clock(fpga: dict) -> dict:
    """nextpnr-ecp5's Fmax from an fpga.json (`e3ne bitstream`)."""
    fmax = float(fpga["fmax_mhz"])
    return {
        "mhz": fmax,
        "kind": "measured",
        "source": f"measured: nextpnr-ecp5 Fmax {fmax:.1f} MHz on {fpga['device']} (BUILD/{FPGA_JSON})",
        "device": fpga["device"],
        "constraint_mhz": fpga["clock_mhz"],
        "met": fpga["met"],
        "seed": fpga.get("seed"),
    }


def clocked(report: dict, clock: dict) -> dict:
    """`report` with every clock-dependent figure computed at `clock` (from the cycle and
    byte counts it holds): latency, throughput and the off-chip bandwidths."""
    report = json.loads(json.dumps(report))  # a deep copy
    mhz = clock["mhz"]
    seconds = report["cycles_per_image"] / (mhz * 1e6)
    report["target"]["clock_mhz"] = mhz
    report["target"]["clock"] = clock
    report["latency_us"] = round(seconds * 1e6, 2)
    report["throughput_images_per_s"] = round(1 / seconds, 1)
    offchip = report.get("offchip")
    if offchip:
        offchip["average_bandwidth_gbps"] = round(offchip["bytes_per_image"] / seconds / 1e9, 3)
        offchip["bus_bandwidth_gbps"] = round(offchip["axi_data_width"] / 8 * mhz * 1e6 / 1e9, 3)
        for entry in offchip["per_layer"].values():
            group_bytes = entry["bytes_per_image"] / entry["groups"]
            needed = group_bytes / max(1, entry["compute_cycles_per_group"]) * mhz * 1e6
            entry["bandwidth_needed_gbps"] = round(needed / 1e9, 3)
    return report


def apply_measured_clock(build: Path, fpga: dict | None = None) -> dict | None:
    """Recompute BUILD/report.json and report.md at the Fmax of BUILD/fpga/fpga.json (or
    `fpga`); returns the new report, None when the build has no report or no fpga.json."""
    build = Path(build)
    if fpga is None:
        path = build / FPGA_JSON
        if not path.is_file():
            return None
        fpga = json.loads(path.read_text())
    if not (build / "report.json").is_file():
        return None
    return rewrite_report(build, clocked(json.loads((build / "report.json").read_text()), measured_clock(fpga)))


def apply_logic_depth(build: Path, depth: dict) -> dict | None:
    """Add Yosys's logic depth (`e3ne.backend.synth.logic_depth`) to BUILD/report.json/md."""
    report_path = Path(build) / "report.json"
    if not report_path.is_file():
        return None
    return rewrite_report(build, {**json.loads(report_path.read_text()), "logic_depth": depth})


def rewrite_report(build: Path, report: dict) -> dict:
    """Write report.json and a re-rendered report.md, keeping the quantization health section."""
    from e3ne.backend.report import render_markdown

    build = Path(build)
    report_path, markdown_path = build / "report.json", build / "report.md"
    markdown = render_markdown(report)
    old = markdown_path.read_text() if markdown_path.is_file() else ""
    if HEALTH_SECTION in old:  # the quantization health section (kept as compile wrote it)
        markdown = markdown.rstrip("\n") + "\n\n" + old[old.index(HEALTH_SECTION) :]
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    markdown_path.write_text(markdown)
    return report
