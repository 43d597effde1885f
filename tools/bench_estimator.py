"""Held-out benchmark of the resource estimator: random small networks and parallelism,
compiled, synthesized with Yosys, and compared with e3ne.model.cost's estimates.

    python tools/bench_estimator.py run [--set heldout|fitting|all] [--family xc7|ecp5] [--limit N]
    python tools/bench_estimator.py report [--set heldout] [--family xc7]

Designs are generated from seeds (`random_spec`): chains of conv (kernel 1/3/5, stride
1/2, padding 0/1, bias or not), max/avg pooling and linear layers on small inputs, random
T (2..6) and b (3..6), random parallelism per layer (P, Q, columns, channels, units).
Two disjoint sets: `heldout` (seeds 0..29, never used for fitting) and `fitting` (seeds
1000..1019, the ones `tools/fit_cost.py` fits the coefficients on, with the bundled examples).
None of them is a bundled example.

`run` compiles each design (cached in --out by the design's hash), runs Yosys on them one
at a time, smallest first (`synth_xilinx -family xc7 -flatten`, or `synth_ecp5` with
`--family ecp5`), and records the counts in tools/data/estimator_bench.json after each one,
so an interrupted run resumes where it stopped. `report` recomputes the estimates with
the current cost model (from each build's snnhw.mlir, rebuilt if missing) and prints the
error distribution of LUT and FF: median and 90th percentile of |error|, the worst, and
the fraction within +-15%.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tools" / "data" / "estimator_bench.json"
OUT = ROOT / "build" / "bench_estimator"
SETS = {"heldout": range(30), "fitting": range(1000, 1020), "examples": range(-5, 0)}
# The bundled examples (the designs the first coefficients were fitted on; fitted on again):
# seed -> (folder, class, input shape, parallelism)
EXAMPLES = {
    -5: ("mlp", "MLP", [1, 28, 28], ""),
    -4: ("mlp", "MLP", [1, 28, 28], "P=32"),
    -3: ("mlp", "MLP", [1, 28, 28], "P=4"),
    -2: ("lenet5", "LeNet5", [1, 32, 32], ""),
    -1: ("fang_cnn", "FangCNN", [1, 28, 28], ""),
}
TARGETS = {"xc7": "xc7z020", "ecp5": "lfe5u-85f"}
SPEC_VERSION = 1
# The generated RTL's revision, part of every spec and so of the design hash (the cache key):
# bump it when the RTL of the units changes, so that `run` synthesizes every design again.
# 1: before the Fmax pipelining; 2: memory read latency 3, registered gated sums and
# potentials (docs/timing-pipelining.md); 3: memory read latency 4 (issue 11: registered
# read addresses, two-level bank multiplexers). Earlier counts: tools/data/estimator_bench_rtl1.json,
# tools/data/estimator_bench_rtl2.json.
RTL_REVISION = 3


# --------------------------------------------------------------------------- designs


def _conv_layers(
    rng: random.Random, channels: int, side: int
) -> tuple[list[list], int, int]:
    layers, h = [], side
    for _ in range(rng.choice([1, 2, 2])):
        k = rng.choice([1, 3, 3, 3, 5])
        s = rng.choice([1, 1, 1, 2])
        p = rng.choice([0, 0, 1]) if k > 1 else 0
        out = (h + 2 * p - k) // s + 1
        if out < 3:
            break
        channels = rng.choice([2, 4, 6, 8, 12, 16])
        layers.append(["conv", channels, k, s, p, rng.random() < 0.5])
        h = out
        if h >= 4 and rng.random() < 0.6:
            layers.append(["pool", rng.choice(["max", "max", "avg"]), 2])
            h //= 2
    return layers, channels, h


def random_spec(seed: int) -> dict:
    """A small random network and a parallelism setting for it (deterministic in `seed`);
    a negative seed is one of the bundled `EXAMPLES`."""
    if seed < 0:
        folder, cls, shape, parallelism = EXAMPLES[seed]
        return {
            "version": SPEC_VERSION,
            "rtl": RTL_REVISION,
            "seed": seed,
            "example": f"{folder}:{cls}",
            "input": shape,
            "parallelism": parallelism,
        }
    rng = random.Random(seed)
    spec = {
        "version": SPEC_VERSION,
        "rtl": RTL_REVISION,
        "seed": seed,
        "T": rng.choice([2, 3, 4, 4, 5, 6]),
        "b": rng.choice([3, 4, 4, 5, 6]),
    }
    if rng.random() < 0.35:
        side = rng.choice([8, 10, 12, 14, 16])
        spec["input"] = [1, side, side]
        layers = [
            ["linear", rng.choice([16, 24, 32, 48, 64, 96, 128]), rng.random() < 0.6]
            for _ in range(rng.choice([1, 1, 2]))
        ]
    else:
        channels, side = (
            rng.choice([1, 1, 1, 2, 3]),
            rng.choice([10, 12, 14, 16, 18, 20]),
        )
        spec["input"] = [channels, side, side]
        layers, channels, _height = _conv_layers(rng, channels, side)
        if rng.random() < 0.5:
            layers.append(["linear", rng.choice([16, 32, 48, 64]), rng.random() < 0.5])
    layers.append(["linear", rng.choice([4, 8, 10, 10, 16]), rng.random() < 0.5])
    spec["layers"] = layers
    spec["parallelism"] = random_parallelism(rng, spec)
    return spec


def _out_widths(spec: dict) -> list[int]:
    """Output width of each conv layer (for the columns setting)."""
    h, widths = spec["input"][1], []
    for layer in spec["layers"]:
        if layer[0] == "conv":
            _, _, k, s, p, _ = layer
            h = (h + 2 * p - k) // s + 1
            widths.append(h)
        elif layer[0] == "pool":
            h //= layer[2]
    return widths


def random_parallelism(rng: random.Random, spec: dict) -> str:
    items = []
    widths = iter(_out_widths(spec))
    conv = fc = 0
    for layer in spec["layers"]:
        if layer[0] == "conv":
            conv += 1
            width, out = next(widths), layer[1]
            columns = rng.choice(
                [1, 2, max(1, width // 2), width, rng.randint(1, width)]
            )
            divisors = [d for d in range(1, out + 1) if out % d == 0]
            channels = rng.choice(divisors)
            units = rng.choice([u for u in (1, 1, 2) if (out // channels) % u == 0])
            items += [
                f"conv{conv}.columns={columns}",
                f"conv{conv}.channels={channels}",
            ]
            if units > 1:
                items.append(f"conv{conv}.units={units}")
        elif layer[0] == "linear":
            fc += 1
            p = rng.choice([p for p in (1, 2, 4, 8, 16, 32) if p <= layer[1]])
            items.append(f"fc{fc}.P={p}")
            q = rng.choice([1, 1, 1, 2, 4])
            if q > 1:
                items.append(f"fc{fc}.Q={q}")
    return ",".join(items)


def design_hash(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]


def build_model(spec: dict):
    import torch
    from torch import nn

    torch.manual_seed(spec["seed"])
    modules, channels, flat = [], spec["input"][0], None
    h = spec["input"][1]
    hidden = [i for i, layer in enumerate(spec["layers"]) if layer[0] != "pool"][:-1]
    for i, layer in enumerate(spec["layers"]):
        if layer[0] == "conv":
            _, out, k, s, p, bias = layer
            modules.append(nn.Conv2d(channels, out, k, stride=s, padding=p, bias=bias))
            channels, h = out, (h + 2 * p - k) // s + 1
        elif layer[0] == "pool":
            modules.append(
                (nn.MaxPool2d if layer[1] == "max" else nn.AvgPool2d)(layer[2])
            )
            h //= layer[2]
            continue
        else:
            if flat is None:
                modules.append(nn.Flatten())
                flat = channels * h * h
            modules.append(nn.Linear(flat, layer[1], bias=layer[2]))
            flat = layer[1]
        if i in hidden:
            modules.append(nn.ReLU())
    model = nn.Sequential(*modules)
    for (
        module
    ) in model.modules():  # spread weights so that quantization keeps most of them
        if isinstance(module, nn.Conv2d | nn.Linear):
            nn.init.normal_(
                module.weight, 0.0, 1.0 / max(1, module.weight[0].numel()) ** 0.5
            )
    return model.eval()


def compile_design(spec: dict, build: Path, family: str = "xc7") -> Path:
    """Compile `spec` into `build` (skipped if already there)."""
    import numpy as np

    import e3ne
    from e3ne.driver.options import CompileOptions

    if (build / "hardware.json").is_file():
        return build
    if "example" in spec:
        from e3ne.datasets import mnist

        folder, cls = spec["example"].split(":")
        model = ROOT / "examples" / folder / "model.py"
        calibration, _ = mnist(
            "calibration", pad_to=32 if spec["input"][-1] == 32 else None
        )
        options = CompileOptions(
            parallelism=spec["parallelism"] or None,
            offchip_weights="none",
            target=TARGETS[family],
        )
        e3ne.compile(f"{model}:{cls}", weights=model.with_name("weights.pt"), input_shape=tuple(spec["input"]),
                     calibration=calibration[:64], options=options, output=build, progress=lambda *a, **k: None)  # fmt: skip
        return build
    rng = np.random.default_rng(spec["seed"])
    calibration = rng.random((32, *spec["input"])).astype(np.float32)
    options = CompileOptions(
        time_steps=spec["T"], weight_bits=spec["b"], parallelism=spec["parallelism"],
        offchip_weights="none", target=TARGETS[family],
    )  # fmt: skip
    e3ne.compile(build_model(spec), input_shape=tuple(spec["input"]), calibration=calibration, options=options,
                 output=build, progress=lambda *a, **k: None)  # fmt: skip
    return build


def specs(which: str, seeds: set[int] | None = None) -> list[tuple[str, dict]]:
    names = list(SETS) if which == "all" else [which]
    return [
        (name, random_spec(seed))
        for name in names
        for seed in SETS[name]
        if seeds is None or seed in seeds
    ]


# --------------------------------------------------------------------------- estimates, data


def estimate(build: Path, family: str = "xc7") -> dict:
    from e3ne.dialects import snnhw
    from e3ne.ir import parse_module
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    module = parse_module(build / "snnhw.mlir")
    accelerator = next(
        op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp)
    )
    kwargs = {"family": family} if family != "xc7" else {}
    return estimate_accelerator(accelerator, **kwargs).totals.as_dict()


def load_data() -> dict:
    return json.loads(DATA.read_text()) if DATA.is_file() else {"designs": {}}


def save_data(data: dict) -> None:
    DATA.parent.mkdir(parents=True, exist_ok=True)
    data["designs"] = dict(
        sorted(
            data["designs"].items(),
            key=lambda kv: (kv[1]["set"], kv[1]["spec"]["seed"]),
        )
    )
    DATA.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")


def synthesize(build: Path, family: str) -> dict:
    from e3ne.backend.synth import run_yosys
    from e3ne.model.parts import get_part

    manifest = json.loads((build / "hardware.json").read_text())
    rtl = build / "rtl"
    sources = sorted(p.name for p in rtl.glob("*.sv") if not p.name.startswith("tb"))
    result = run_yosys(rtl, sources, get_part(TARGETS[family]), manifest.get("top", "e3ne_top"),
                       build / f"synth_{family}.log", progress=lambda m: None)  # fmt: skip
    counts = result["counts"]
    return {
        **{k: counts[k] for k in ("lut", "ff", "carry", "bram", "dsp", "lutram")},
        "seconds": result["seconds"],
    }


def run(
    which: str, family: str, limit: int | None, out: Path, seeds: set[int] | None = None
) -> None:
    data = load_data()
    todo = []
    for name, spec in specs(which, seeds):
        key = design_hash(spec)
        entry = data["designs"].setdefault(key, {"set": name, "spec": spec})
        if family in entry:
            continue
        build = out / key
        try:
            compile_design(spec, build)
        except Exception as error:  # noqa: BLE001 (a generator bug or an unsupported net: record it, go on)
            entry["error"] = (
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            )
            print(
                f"{key} (seed {spec['seed']}): compile failed: {entry['error']}",
                file=sys.stderr,
            )
            continue
        entry.pop("error", None)
        todo.append((estimate(build)["lut"], key, build))
    mine = {key: data["designs"][key] for key in (design_hash(s) for _, s in specs(which, seeds))}
    data = load_data()  # another run may have recorded results meanwhile: add, don't overwrite
    for key, entry in mine.items():
        data["designs"].setdefault(key, entry).update({k: v for k, v in entry.items() if k not in TARGETS})
        if "error" not in entry:
            data["designs"][key].pop("error", None)
    save_data(data)
    todo.sort()  # smallest first
    for n, (size, key, build) in enumerate(todo[:limit]):
        started = time.perf_counter()
        print(
            f"[{n + 1}/{len(todo)}] {key} ({size:.0f} est. LUT): yosys {family} ...",
            file=sys.stderr,
            flush=True,
        )
        result = synthesize(build, family)
        data = load_data()
        data["designs"][key][family] = result
        save_data(data)
        print(
            f"    done in {time.perf_counter() - started:.0f} s: {result}",
            file=sys.stderr,
            flush=True,
        )


def distribution(errors: list[float]) -> dict:
    import numpy as np

    magnitude = np.abs(np.asarray(errors))
    return {
        "n": len(errors),
        "median": float(np.median(magnitude)),
        "p90": float(np.percentile(magnitude, 90)),
        "worst": float(errors[int(np.argmax(magnitude))]),
        "within15": float(np.mean(magnitude <= 0.15)),
        "within20": float(np.mean(magnitude <= 0.20)),
    }


def report(which: str, family: str, out: Path, verbose: bool) -> dict:
    data = load_data()
    rows = []
    for name, spec in specs(which):
        key = design_hash(spec)
        entry = data["designs"].get(key)
        if not entry or family not in entry:
            continue
        build = compile_design(spec, out / key)
        guess = estimate(build, family)
        rows.append((key, spec, entry[family], guess))
    result = {}
    for resource in ("lut", "ff"):
        errors = [
            (g[resource] - r[resource]) / r[resource]
            for _, _, r, g in rows
            if r[resource]
        ]
        if errors:
            result[resource] = distribution(errors)
    if verbose:
        print(
            f"{'design':<13} {'seed':>4} {'LUT yosys':>9} {'est':>7} {'err':>7} {'FF yosys':>9} {'est':>7} {'err':>7}  parallelism"
        )
        for key, spec, real, guess in rows:
            cells = []
            for resource in ("lut", "ff"):
                n, m = real[resource], guess[resource]
                cells.append(f"{n:>9g} {m:>7g} {(m - n) / n if n else 0:>+7.1%}")
            print(
                f"{key:<13} {spec['seed']:>4} {' '.join(cells)}  {spec['parallelism']}"
            )
    print(f"{which} designs, {family} ({len(rows)} synthesized):")
    for resource, d in result.items():
        print(
            f"  {resource.upper():<3} |error| median {d['median']:.1%}, 90th percentile {d['p90']:.1%}, "
            f"worst {d['worst']:+.1%}; within +-15%: {d['within15']:.0%}, within +-20%: {d['within20']:.0%}"
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("run", "report", "list"))
    parser.add_argument("--set", default="heldout", choices=(*SETS, "all"))
    parser.add_argument("--family", default="xc7", choices=tuple(TARGETS))
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="synthesize at most N designs (the smallest)",
    )
    parser.add_argument(
        "--seeds", default=None, help="only these seeds of the set, e.g. -5,-2,-1"
    )
    parser.add_argument(
        "--out", default=str(OUT), help="build cache (one folder per design hash)"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="one line per design"
    )
    args = parser.parse_args()
    out = Path(args.out)
    seeds = (
        None
        if args.seeds is None
        else {int(s) for s in args.seeds.split(",") if s.strip()}
    )
    if args.command == "list":
        for name, spec in specs(args.set, seeds):
            print(name, design_hash(spec), json.dumps(spec))
    elif args.command == "run":
        run(args.set, args.family, args.limit, out, seeds)
    else:
        report(args.set, args.family, out, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
