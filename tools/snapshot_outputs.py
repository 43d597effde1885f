"""Refactor guard: compile a fixed set of example builds and fingerprint their outputs.

    python tools/snapshot_outputs.py snapshot OUT.json [--work DIR] [--only NAME,...]
    python tools/snapshot_outputs.py compare BEFORE.json AFTER.json

`snapshot` compiles, through the `e3ne compile` command line (so the same script works
before and after a restructuring), the MLP, Fang CNN and LeNet-5 at their default
parallelism, at `--parallelism auto`, at two hand-given settings, plus an off-chip build,
and writes the SHA-256 of every `snn.quant.mlir`, `snnhw.mlir`, `rtl/*.sv` and
`rtl/*.hex` (the outputs a refactor must not change). `compare` lists every file that
differs, is missing or is new, and exits non-zero if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODELS = {
    "mlp": "examples/mlp/model.py:MLP",
    "fang": "examples/fang_cnn/model.py:FangCNN",
    "lenet5": "examples/lenet5/model.py:LeNet5",
}
WEIGHTS = {
    "mlp": "examples/mlp/weights.pt",
    "fang": "examples/fang_cnn/weights.pt",
    "lenet5": "examples/lenet5/weights.pt",
}
SHAPES = {"mlp": "1,28,28", "fang": "1,28,28", "lenet5": "1,32,32"}
# name -> (model, extra compile arguments)
BUILDS = {
    "mlp-default": ("mlp", []),
    "mlp-auto": ("mlp", ["--parallelism", "auto"]),
    "mlp-p64q4": ("mlp", ["--parallelism", "fc1.P=64,Q=4"]),
    "mlp-lp32": ("mlp", ["--linear-parallelism", "32"]),
    "mlp-offchip": ("mlp", ["--offchip-weights", "fc1", "--axi-width", "64"]),
    "fang-default": ("fang", []),
    "fang-auto": ("fang", ["--parallelism", "auto"]),
    "fang-fast": ("fang", ["--parallelism", "conv1.channels=3,conv2.channels=11,fc1.P=64,fc1.Q=5,fc2.P=10,fc2.Q=8"]),
    "fang-small": ("fang", ["--parallelism", "conv1.channels=1,conv2.channels=1,fc1.P=8,fc1.Q=5,fc2.P=2,fc2.Q=4"]),
    "fang-offchip": ("fang", ["--offchip-weights", "all"]),
    "lenet5-default": ("lenet5", []),
    "lenet5-auto": ("lenet5", ["--parallelism", "auto"]),
    "lenet5-cols": ("lenet5", ["--parallelism", "conv1.columns=4,conv2.channels=4,conv3.units=2,fc1.P=32"]),
    "lenet5-units": ("lenet5", ["--parallelism", "conv1.channels=2,conv1.units=3,conv2.columns=2,fc1.P=8,fc1.Q=4"]),
}
PATTERNS = ("snn.quant.mlir", "snnhw.mlir", "rtl/*.sv", "rtl/*.hex")


def fingerprint(build: Path) -> dict[str, str]:
    files = {}
    for pattern in PATTERNS:
        for path in sorted(build.glob(pattern)):
            files[str(path.relative_to(build))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def snapshot(out: Path, work: Path, only: list[str] | None) -> int:
    work.mkdir(parents=True, exist_ok=True)
    calibrations = {"1,28,28": work / "calib.npz", "1,32,32": work / "calib32.npz"}
    for shape, path in calibrations.items():
        if not path.exists():
            pad = ["--pad-to", "32"] if shape == "1,32,32" else []
            subprocess.run([sys.executable, "-m", "e3ne.datasets", "calib", str(path), *pad], check=True, cwd=ROOT)
    result = {}
    for name, (model, extra) in BUILDS.items():
        if only and name not in only:
            continue
        build = work / name
        command = [
            "e3ne", "-q", "compile", MODELS[model], "--weights", WEIGHTS[model], "--input-shape", SHAPES[model],
            "--calibration", str(calibrations[SHAPES[model]]), *extra, "-o", str(build),
        ]  # fmt: skip
        print(f"snapshot: {name}: {' '.join(command[2:])}", file=sys.stderr, flush=True)
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            result[name] = {"error": done.stderr.strip().splitlines()[-1:]}
            continue
        result[name] = fingerprint(build)
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"snapshot: {sum(len(v) for v in result.values())} files in {len(result)} builds -> {out}", file=sys.stderr)
    return 0


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    problems = []
    for build in sorted(set(a) | set(b)):
        files_a, files_b = a.get(build, {}), b.get(build, {})
        for name in sorted(set(files_a) | set(files_b)):
            if name not in files_b:
                problems.append(f"{build}/{name}: missing after")
            elif name not in files_a:
                problems.append(f"{build}/{name}: new after")
            elif files_a[name] != files_b[name]:
                problems.append(f"{build}/{name}: differs")
    count = sum(len(v) for v in a.values())
    if problems:
        print("\n".join(problems))
        print(f"{len(problems)} of {count} files differ")
        return 1
    print(f"all {count} files in {len(a)} builds byte-identical")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    snap = commands.add_parser("snapshot")
    snap.add_argument("out")
    snap.add_argument("--work", default=str(ROOT / "build" / "snapshot"))
    snap.add_argument("--only", default=None, help="comma list of build names")
    cmp = commands.add_parser("compare")
    cmp.add_argument("before")
    cmp.add_argument("after")
    args = parser.parse_args()
    if args.command == "snapshot":
        only = args.only.split(",") if args.only else None
        return snapshot(Path(args.out), Path(args.work), only)
    return compare(Path(args.before), Path(args.after))


if __name__ == "__main__":
    sys.exit(main())
