"""report.json / report.md: latency, throughput, fit with overflow and suggestions, energy."""

from pathlib import Path

import pytest

from e3ne.model import cost
from e3ne.backend.report import add_energy_pj, build_report, render_markdown, summary_lines, write_report
from e3ne.transforms.snnhw.estimate import DesignEstimate, LayerEstimate
from e3ne.model.parts import get_part


def design(lut_per_layer: float, bram36: int) -> DesignEstimate:
    layers = [
        LayerEstimate(
            name=name, kind="linear", shape=f"{n_in} -> {n_out}", time_steps=4, weight_bits=4,
            parallelism={"P": 16}, cycles=cycles,
            parts={"logic": cost.Cost(lut=lut_per_layer, ff=100, carry=10), "weights": cost.Cost(bram36=bram36)},
            additions_per_spike=n_out, rom_bits_per_cycle=64, accumulator_width=16,
        )  # fmt: skip
        for name, n_in, n_out, cycles in (("fc1", 784, 128, 9000), ("fc2", 128, 10, 1000))
    ]
    return DesignEstimate(layers, {"controller": cost.Cost(lut=3, ff=2)}, 10_000)


def test_latency_throughput_and_fit():
    report = build_report(design(1000, 2), get_part("xc7z020"), {"model": "m.py:Net"})
    assert report["latency_us"] == 100.0  # 10,000 cycles at 100 MHz
    assert report["throughput_images_per_s"] == 10_000.0
    assert report["totals"]["lut"] == 2003 and report["totals"]["carry"] == 20
    assert report["fits"] and report["overflow"] == []
    assert report["energy"] is None  # no activity given
    assert any("fc1 takes 90%" in tip for tip in report["suggestions"])


def test_overflow_is_reported_with_amount_and_suggestion():
    report = build_report(design(30_000, 80), get_part("xc7z020"))
    assert not report["fits"]
    assert set(report["overflow"]) == {"lut", "bram"}
    assert report["fit"]["lut"]["overflow"] == 60_003 - 53_200
    assert report["fit"]["bram"]["overflow"] == 20
    text = " ".join(report["suggestions"])
    assert "off-chip weights" in text and "lower the parallelism" in text
    lines = summary_lines(report)
    assert "does NOT fit xc7z020" in lines[1] and lines[-1].startswith("suggestion:")


def test_a_design_over_the_routability_limit_is_told_which_layer_to_shrink():
    # lfe5u-85f: 83,640 LUT4, routability limit 30% = 25,092; fc1 and fc2 at 14,000 each (+3
    # controller) are 28,003: within the part, over the limit. fc1 (the first of the two widest)
    # has half the layers' LUTs for 90% of the time.
    report = build_report(design(14_000, 2), get_part("lfe5u-85f"))
    assert report["fits"] and report["routability"] is not None
    assert report["suggestions"][0] == (
        "The design is over the part's routability limit (above): lower the parallelism of fc1 (P=16), "
        "which has 50% of the layers' LUTs for 90% of the time, or let `--parallelism auto` pick a design "
        "within the limit."
    )
    assert "Nothing: the design fits" not in render_markdown(report)
    within = build_report(design(10_000, 2), get_part("lfe5u-85f"))  # 20,003 LUT4: within the limit
    assert within["routability"] is None and not any("routability" in tip for tip in within["suggestions"])


def test_energy_counts_spike_gated_additions():
    activity = [{"input_spikes": 400.0, "inputs": 784}, {"input_spikes": 50.0, "inputs": 128}]
    report = build_report(design(1000, 2), get_part("xc7z020"), activity=activity)
    energy = report["energy"]
    assert energy["additions"] == 400 * 128 + 50 * 10
    assert "ESTIMATE" in energy["label"] and "Horowitz" in energy["source"]
    fc1 = energy["layers"][0]
    expected_pj = 400 * 128 * add_energy_pj(16) + 9000 * (64 + 1) * 10 / 64
    assert fc1["energy_nj"] == pytest.approx(expected_pj / 1000, abs=1e-3)
    assert add_energy_pj(8) == 0.03 and add_energy_pj(32) == pytest.approx(0.1)


def test_markdown_reads_as_plain_words(tmp_path: Path):
    report = build_report(design(30_000, 80), get_part("xc7z020"), {"model": "m.py:Net"})
    write_report(tmp_path, report)
    text = (tmp_path / "report.md").read_text()
    assert "does NOT fit" in text and "images per second" in text
    assert "| fc1 | linear | 784 -> 128 |" in text
    assert (tmp_path / "report.json").is_file()
    assert render_markdown(report) == text
