"""`Build.synth`: Yosys on a build's RTL, counts compared with the estimates (synth.json)."""

from __future__ import annotations

import json
from pathlib import Path

from e3ne.driver.progress import Progress, Say, progress_of
from e3ne.errors import E3NEError

SUMMARY_KEYS = ("lut", "ff", "carry", "bram", "dsp")


def estimate_for(snnhw_path: Path, family: str) -> dict:
    """The estimate totals of a build's snnhw.mlir with `family`'s cost coefficients."""
    from e3ne.dialects import snnhw
    from e3ne.ir import parse_module
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    accelerator = next(op for op in parse_module(snnhw_path).walk() if isinstance(op, snnhw.AcceleratorOp))
    return estimate_accelerator(accelerator, family=family).totals.as_dict()


def synth(build: Path, target: str, progress: Progress | Say | None = None) -> dict:
    from e3ne.backend.synth import compare, run_yosys, synth_step
    from e3ne.model.parts import get_part

    from e3ne.build_checks import check_build, check_memory_files, read_manifest

    if not (build / "hardware.json").is_file():
        raise E3NEError("no hardware.json; run `e3ne compile` (without --emit snn) first", location=str(build))
    manifest = read_manifest(build)
    check_memory_files(build / "rtl", manifest)
    check_build(build, manifest)
    part = get_part(target)
    rtl = build / "rtl"
    sources = sorted(p.name for p in rtl.glob("*.sv") if not p.name.startswith("tb"))  # not tb.sv, tb_axi.sv
    if not sources:
        raise E3NEError("no SystemVerilog sources", location=str(rtl))
    top = manifest.get("shell", {}).get("top") or manifest.get("top", "e3ne_top")  # the shell's top includes the core
    steps = progress_of(progress, 1)
    steps.step(f"Yosys {synth_step(part, top).removesuffix(f' -top {top}')} on {len(sources)} files (top {top})")
    result = run_yosys(rtl, sources, part, top, build / "synth.log", progress=steps.say)
    steps.done(f"log in {build / 'synth.log'}")
    estimate = None
    if (build / "report.json").is_file():
        report = json.loads((build / "report.json").read_text())
        estimate = report.get("totals")
        if report.get("target", {}).get("family", part.family) != part.family and (build / "snnhw.mlir").is_file():
            estimate = estimate_for(build / "snnhw.mlir", part.family)  # compiled for another family
    synth = {
        "target": part.name,
        "top": top,
        **compare(result["counts"], estimate),
        "logic_depth": result["logic_depth"],
        "ramb36": result["counts"]["ramb36"],
        "ramb18": result["counts"]["ramb18"],
        "lutram": result["counts"]["lutram"],
        "cells": result["cells"],
        "yosys_version": result["yosys_version"],
        "command": result["command"],
        "seconds": result["seconds"],
    }
    (build / "synth.json").write_text(json.dumps(synth, indent=2) + "\n")
    if result["logic_depth"] is not None:
        from e3ne.backend.clock import apply_logic_depth

        apply_logic_depth(build, result["logic_depth"])
    return synth
