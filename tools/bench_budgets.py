"""Dataflow + zero skipping at two LUT budgets, E3NE's (17,040) and 80% of xc7z020, in one run.

For the MLP, the Fang CNN and LeNet-5 (and, with --fang-parallelism, a hand-picked Fang design)
it runs what a user runs:

    e3ne compile MODEL --parallelism auto [--max-luts L] --schedule dataflow --skip-zeros
    e3ne simulate BUILD --data test.npz       # Verilator: every logit, every image's cycles == predicted
    e3ne synth BUILD                          # Yosys synth_xilinx -family xc7 -flatten

and prints one table: Yosys LUT / FF / BRAM36, the latency (each image on its own: 1 + the sum of
its stages' exact cycles, averaged over the images; the simulation checks every image's count),
the measured average interval between results of images streamed back to back (II), and the
accumulator utilisation (report.json: spike-gated additions / (adder inputs x cycles), expected
on 64 calibration images).

    python tools/bench_budgets.py [--images 1000] [--only fang,lenet5] [--budgets e3ne,xc7z020]
        [--fang-parallelism SPEC] [--out build/bench_budgets] [--jobs N]

Explore ranks by the estimate (e3ne/model/cost.py), which reads 2-9 % under Yosys on these picks
(9-31 % before session 11, when the memories' read chains that Yosys makes shift-register LUTs
were counted as flip-flops), so E3NE's budget goes to explore as `--max-luts 16000` and 80 % of
the part as explore's default; while Yosys counts more LUTs than
the budget (17,040; 42,560), explore runs again with `--max-luts` = the pick's estimate x budget
/ Yosys (at most 3 tries; a design still over is marked). Results: OUT/bench_budgets.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# name: (Yosys LUT limit, explore's first --max-luts or None for its default of 80 % of the part)
BUDGETS = {
    "e3ne": (17_040, 16_000),  # E3NE's Fang CNN (IEEE TPDS 2022); estimates read low, so start lower
    "xc7z020": (42_560, None),  # 80 % of the xc7z020's 53,200 LUTs
}
NETWORKS = {
    "mlp": ("examples/mlp/model.py:MLP", "examples/mlp/weights.pt", "1,28,28", None),
    "fang": ("examples/fang_cnn/model.py:FangCNN", "examples/fang_cnn/weights.pt", "1,28,28", None),
    "lenet5": ("examples/lenet5/model.py:LeNet5", "examples/lenet5/weights.pt", "1,32,32", 32),
}


def e3ne(*args: str) -> None:
    """Run the CLI (its results are read from the build's JSON files; errors go to stderr)."""
    subprocess.run([str(Path(sys.executable).parent / "e3ne"), *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def data(out: Path, split: str, pad: int | None, limit: int | None = None) -> Path:
    path = out / f"{split}{pad or ''}{f'-{limit}' if limit else ''}.npz"  # another --images: another file
    if not path.exists():
        extra = (["--pad-to", str(pad)] if pad else []) + (["--limit", str(limit)] if limit else [])
        subprocess.run([sys.executable, "-m", "e3ne.datasets", split, str(path), *extra], check=True, cwd=ROOT)
    return path


def build_and_synth(name: str, network: str, parallelism: list[str], out: Path) -> tuple[Path, dict]:
    """`e3ne compile` then `e3ne synth`: the build directory and synth.json."""
    model, weights, shape, pad = NETWORKS[network]
    build = out / name
    e3ne("-q", "compile", model, "--weights", weights, "--input-shape", shape, "--calibration", str(data(out, "calib", pad)),
         *parallelism, "--schedule", "dataflow", "--skip-zeros", "-o", str(build))  # fmt: skip
    e3ne("-q", "synth", str(build))
    return build, json.loads((build / "synth.json").read_text())


def within(name: str, network: str, out: Path, limit: int, max_luts: int | None) -> tuple[Path, dict, int | None]:
    """Explore's pick within `limit` Yosys LUTs: explore with `--max-luts max_luts` (None: its
    default budget) and, while Yosys counts more than `limit`, again with `--max-luts` scaled by
    this pick's Yosys / estimate ratio (3 tries). Returns the last build, its synth.json and
    the `--max-luts` it was explored with."""
    for attempt in range(3):
        budget = ["--max-luts", str(max_luts)] if max_luts else []
        build, synth = build_and_synth(name, network, ["--parallelism", "auto", *budget], out)
        if synth["lut"]["yosys"] <= limit or attempt == 2:
            break
        max_luts = int(synth["lut"]["estimate"] * limit / synth["lut"]["yosys"] * 0.99)
    return build, synth, max_luts


def measure(build: Path, synth: dict, network: str, out: Path, images: int, jobs: str | None) -> dict:
    """`e3ne simulate` on `images` test images; the table's row."""
    test = data(out, "test", NETWORKS[network][3], images)
    e3ne("-q", "simulate", str(build), "--data", str(test), *(["--jobs", jobs] if jobs else []))
    sim = json.loads((build / "sim" / "summary.json").read_text())
    report = json.loads((build / "report.json").read_text())
    return {
        "design": build.name,
        "parallelism": report["settings"].get("parallelism_chosen", report["settings"]["parallelism"]),
        "images": sim["images"],
        "mismatches": sim["mismatches"],
        # no unit skips (explore found dense units faster): every image takes the schedule's cycles
        "cycle_mismatches": sim.get(
            "cycle_mismatches", int((sim["latency_measured"], sim["interval_measured"]) != (sim["cycles_expected"], sim["interval_expected"]))
        ),
        "latency_average": sim.get("latency_alone_predicted_average", sim["latency_measured"]),
        "interval_average": sim.get("interval_average", sim["interval_measured"]),
        "interval_worst_case": sim["interval_expected"],
        "lut": synth["lut"]["yosys"],
        "ff": synth["ff"]["yosys"],
        "bram36": synth["bram"]["yosys"],
        "lut_estimate": synth["lut"]["estimate"],
        "utilisation": {layer["name"]: layer["utilisation_expected"] for layer in report["cycles"]["layers"]},
        "utilisation_total": report["cycles"]["utilisation_expected"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--only", default=",".join(NETWORKS), help="networks, comma-separated")
    parser.add_argument("--budgets", default=",".join(BUDGETS))
    parser.add_argument("--fang-parallelism", default=None, help="a hand-picked Fang design, measured as fang-custom")
    parser.add_argument("--out", default="build/bench_budgets")
    parser.add_argument("--jobs", default=None, help="simulation workers (default: every core)")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    runs = [(network, budget) for network in args.only.split(",") for budget in args.budgets.split(",")]
    if args.fang_parallelism:
        runs.append(("fang", "custom"))
    rows = []
    for network, budget in runs:
        name = f"{network}-{budget}"
        print(f"bench_budgets: {name}", file=sys.stderr, flush=True)
        max_luts = None
        if budget == "custom":
            build, synth = build_and_synth(name, network, ["--parallelism", args.fang_parallelism], out)
        else:
            build, synth, max_luts = within(name, network, out, *BUDGETS[budget])
        rows.append({**measure(build, synth, network, out, args.images, args.jobs), "max_luts": max_luts})
        (out / "bench_budgets.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"{'design':<16}{'LUT':>8}{'FF':>8}{'BRAM36':>8}{'latency':>10}{'II':>9}{'util.':>7}  mismatches (logits, cycles)")
    for row in rows:
        budget = row["design"].rpartition("-")[2]
        over = f" (over {BUDGETS[budget][0]:,})" if budget in BUDGETS and row["lut"] > BUDGETS[budget][0] else ""
        explored = f"; explore --max-luts {row['max_luts']}" if row["max_luts"] else ""
        print(
            f"{row['design']:<16}{row['lut']:>8,}{row['ff']:>8,}{row['bram36']:>8}{row['latency_average']:>10,.1f}"
            f"{row['interval_average']:>9,.1f}{row['utilisation_total']:>7.1%}  {row['mismatches']}, {row['cycle_mismatches']}{over}{explored}"
        )
        print(f"{'':<16}{row['parallelism']}")


if __name__ == "__main__":
    main()
