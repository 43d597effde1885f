"""Honest clocks: report.json/md say whether the clock is the part preset's (assumed) or
nextpnr-ecp5's Fmax (measured, after `e3ne bitstream`), and compute the figures from it."""

import json
from pathlib import Path

from e3ne.backend.clock import apply_measured_clock, clocked
from e3ne.backend.report import (
    build_report,
    render_markdown,
    summary_lines,
    write_report,
)
from e3ne.model import cost
from e3ne.model.parts import get_part
from e3ne.transforms.snnhw.estimate import DesignEstimate, LayerEstimate

FPGA = {"fmax_mhz": 80.0, "device": "LFE5U-85F", "clock_mhz": 125.0, "met": False, "seed": 1}


def design() -> DesignEstimate:
    layer = LayerEstimate(
        name="fc1", kind="linear", shape="784 -> 128", time_steps=4, weight_bits=4, parallelism={"P": 16},
        cycles=10_000, parts={"logic": cost.Cost(lut=1000, ff=100, carry=10)},
        additions_per_spike=128, rom_bits_per_cycle=64, accumulator_width=16,
    )  # fmt: skip
    return DesignEstimate([layer], {}, 10_000)


def test_compile_report_says_the_clock_is_assumed():
    report = build_report(design(), get_part("xc7z020"), {"model": "m.py:Net"})
    clock = report["target"]["clock"]
    assert clock["kind"] == "assumed" and clock["mhz"] == 100.0
    assert clock["source"].startswith("assumed: xc7z020 preset 100 MHz")
    assert report["latency_us"] == 100.0  # 10,000 cycles at 100 MHz
    text = render_markdown(report)
    assert "clock 100 MHz (assumed: xc7z020 preset 100 MHz" in text
    assert "clock assumed" in summary_lines(report)[0]


def test_measured_fmax_recomputes_latency_and_rerenders(tmp_path: Path):
    report = build_report(design(), get_part("xc7z020"), {"model": "m.py:Net"})
    write_report(tmp_path, report)
    health = "## Quantization health\n\nFloat vs golden on 8 calibration images: same class on 100.0%.\n"
    markdown = tmp_path / "report.md"
    markdown.write_text(markdown.read_text().rstrip("\n") + "\n\n" + health)

    new = apply_measured_clock(tmp_path, FPGA)
    assert new["target"]["clock_mhz"] == 80.0
    assert new["target"]["clock"]["kind"] == "measured"
    assert new["latency_us"] == 125.0  # 10,000 cycles at 80 MHz
    assert new["throughput_images_per_s"] == 8000.0
    assert json.loads((tmp_path / "report.json").read_text()) == new
    text = markdown.read_text()
    assert "clock 80 MHz (measured: nextpnr-ecp5 Fmax 80.0 MHz on LFE5U-85F (BUILD/fpga/fpga.json))" in text
    assert "125 µs" in text and "assumed" not in text
    assert text.endswith(health) and text.count("## Quantization health") == 1


def test_apply_reads_fpga_json_and_does_nothing_without_it(tmp_path: Path):
    write_report(tmp_path, build_report(design(), get_part("xc7z020")))
    assert apply_measured_clock(tmp_path) is None  # no fpga/fpga.json yet
    (tmp_path / "fpga").mkdir()
    (tmp_path / "fpga" / "fpga.json").write_text(json.dumps({**FPGA, "fmax_mhz": 50.0}))
    assert apply_measured_clock(tmp_path)["latency_us"] == 200.0


def test_offchip_bandwidth_follows_the_clock():
    report = {
        "target": {"part": "xc7z020", "clock_mhz": 100.0},
        "cycles_per_image": 1000,
        "offchip": {
            "bytes_per_image": 64_000,
            "axi_data_width": 64,
            "per_layer": {"fc1": {"bytes_per_image": 64_000, "groups": 8, "compute_cycles_per_group": 100}},
        },
    }
    new = clocked(report, {"mhz": 50.0, "kind": "measured", "source": "measured"})
    assert new["latency_us"] == 20.0
    assert new["offchip"]["average_bandwidth_gbps"] == 3.2  # 64 kB in 20 µs
    assert new["offchip"]["bus_bandwidth_gbps"] == 0.4  # 8 bytes x 50 MHz
    assert new["offchip"]["per_layer"]["fc1"]["bandwidth_needed_gbps"] == 4.0  # 8 kB per 100 cycles at 50 MHz
    assert report["target"]["clock_mhz"] == 100.0  # the input is not changed


def test_logic_depth_goes_into_the_report(tmp_path: Path):
    from e3ne.backend.clock import apply_logic_depth

    write_report(tmp_path, build_report(design(), get_part("xc7z020")))
    depth = {
        "cells": 9, "lut_levels": 5, "muxf_levels": 1, "carry_cells": 3, "from": "a", "to": "b",
        "estimated_ns": 6.85, "clock_mhz": 100.0, "period_ns": 10.0, "within_clock": True, "rule": "RULE",
    }  # fmt: skip
    report = apply_logic_depth(tmp_path, depth)
    assert report["logic_depth"] == depth
    text = (tmp_path / "report.md").read_text()
    assert "5 LUT levels, 1 MUXF and 3 carry cells, about 6.85 ns" in text
    assert "within the 10 ns period of the part preset's 100 MHz." in text
