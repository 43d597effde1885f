"""`e3ne`: the user-facing driver (compile a PyTorch model, simulate the result).

    e3ne compile model.py:Net --weights net.pt --input-shape 1,28,28 --calibration calib.npz -o build/
    e3ne simulate build/ --data test.npz [--limit N] [--golden-only | --per-layer [--layers conv1,fc2]]
    e3ne synth build/ [--target xc7z020]
    e3ne explore model.py:Net --weights net.pt --input-shape 1,28,28 --calibration calib.npz [--target xc7z020]

Every user error is an E3NEError printed as one or two plain lines; an unexpected
exception is reported as an internal error (set E3NE_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from e3ne.errors import E3NEError
from e3ne.offchip import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY, check_memory_model

EMIT_LEVELS = ("snn", "verilog")


class Progress:
    """Numbered steps with their durations, on stderr (stdout stays clean for results)."""

    def __init__(self, steps: int, quiet: bool = False):
        self.steps = steps
        self.index = 0
        self.quiet = quiet
        self.started = 0.0

    def step(self, text: str) -> None:
        self.index += 1
        self.started = time.perf_counter()
        self.say(f"[{self.index}/{self.steps}] {text}")

    def done(self, detail: str = "") -> None:
        elapsed = time.perf_counter() - self.started
        self.say(f"      done in {elapsed:.1f} s{'; ' + detail if detail else ''}")

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"e3ne: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- inputs


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise E3NEError(f"--input-shape must be comma-separated integers like 1,28,28, got '{text}'") from None
    if not shape or min(shape) < 1:
        raise E3NEError(f"--input-shape dimensions must be positive, got '{text}'")
    return shape


def load_npz(path: str, input_shape: tuple[int, ...] | None, need_labels: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Read `x` (N, *input_shape) float32 and optionally `y` (N,) from an .npz file."""
    if not Path(path).is_file():
        raise E3NEError("file not found", location=path)
    try:
        data = np.load(path)
    except Exception as error:  # numpy raises several types for bad files
        raise E3NEError(f"not a readable .npz file ({error})", location=path) from None
    if "x" not in data:
        raise E3NEError(f"missing key 'x' (found: {', '.join(data.files) or 'nothing'})", location=path)
    x = np.asarray(data["x"])
    if not np.issubdtype(x.dtype, np.number):
        raise E3NEError(f"'x' must be numeric, got {x.dtype}", location=path)
    if input_shape is not None and tuple(x.shape[1:]) != tuple(input_shape):
        raise E3NEError(
            f"'x' has shape {x.shape}, expected (N, {', '.join(map(str, input_shape))})", location=path
        )
    if len(x) == 0:
        raise E3NEError("'x' holds no images", location=path)
    y = None
    if "y" in data:
        y = np.asarray(data["y"]).astype(np.int64).reshape(-1)
        if len(y) != len(x):
            raise E3NEError(f"'y' has {len(y)} labels for {len(x)} images", location=path)
    elif need_labels:
        raise E3NEError("missing key 'y' (labels)", location=path)
    return x.astype(np.float32), y


# --------------------------------------------------------------------------- compile


def cmd_compile(args: argparse.Namespace) -> int:
    from e3ne.frontend import import_model, load_model
    from e3ne.ir import write_module
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    build = Path(args.output)
    build.mkdir(parents=True, exist_ok=True)
    input_shape = parse_shape(args.input_shape)
    hardware = args.emit != "snn"
    auto = hardware and args.parallelism == "auto"
    progress = Progress((5 + auto) if hardware else 3, args.quiet)

    progress.step(f"importing {args.model} (input shape {'x'.join(map(str, input_shape))})")
    model = load_model(args.model, args.weights)
    float_module = import_model(model, input_shape)
    write_module(float_module, build / "snn.mlir")
    progress.done(f"wrote {build / 'snn.mlir'}")

    progress.step(f"reading calibration set {args.calibration}")
    calibration_x, _ = load_npz(args.calibration, input_shape, need_labels=False)
    progress.done(f"{len(calibration_x)} images")

    progress.step(
        f"quantizing (time steps T={args.time_steps}, weight bits b={args.weight_bits}, sigma r={args.sigma})"
    )
    quant_module = quantize_module(float_module, calibration_x, args.time_steps, args.weight_bits, args.sigma)
    write_module(quant_module, build / "snn.quant.mlir")
    progress.done(f"wrote {build / 'snn.quant.mlir'}")

    settings = {
        "model": args.model,
        "weights": args.weights,
        "input_shape": list(input_shape),
        "calibration": args.calibration,
        "time_steps": args.time_steps,
        "weight_bits": args.weight_bits,
        "sigma": args.sigma,
        "emit": args.emit,
        "linear_parallelism": args.linear_parallelism,
        "parallelism": args.parallelism,
        "target": args.target,
        "offchip_weights": args.offchip_weights,
        "axi_width": args.axi_width,
        "memory_latency": args.memory_latency,
    }
    if hardware:
        from e3ne.backend.build import build_hardware
        from e3ne.backend.report import report_build, summary_lines
        from e3ne.targets import get_part

        part = get_part(args.target)
        parallelism = args.parallelism
        axi = {"axi_width": args.axi_width, "memory_latency": args.memory_latency}
        decision = None
        if auto:
            from e3ne.explore import explore_and_choose_design

            progress.step(f"exploring parallelism for {part.name}")
            parallelism, offchip_layers, line = explore_and_choose_design(
                quant_module, part, args.max_luts, build, args.max_utilization, offchip=args.offchip_weights, **axi
            )
            settings["parallelism_chosen"] = parallelism
            progress.done(line)
            decision = offchip_decision(quant_module, args, part, parallelism, args.offchip_weights, offchip_layers)
        else:
            decision = offchip_decision(quant_module, args, part, parallelism, args.offchip_weights)
        settings["offchip_chosen"] = decision.option_text()
        if decision.layers:
            progress.say(decision.reason)
        progress.step("generating hardware (snnhw, hw, SystemVerilog)")
        manifest = build_hardware(
            quant_module,
            build,
            linear_parallelism=args.linear_parallelism,
            progress=progress.say,
            parallelism=parallelism or None,
            offchip_weights=decision.option_text(),
            axi_data_width=args.axi_width,
            memory_latency=args.memory_latency,
        )
        progress.done(f"{manifest.get('cycles_expected', '?')} cycles per image; RTL in {build / 'rtl'}")
        progress.step(f"estimating resources, speed and energy for {part.name}")
        report = report_build(build, quant_module, calibration_x, part, settings, decision)
        progress.done(f"wrote {build / 'report.md'} and report.json")
        for line in summary_lines(report):
            progress.say(line)
    (build / "compile.json").write_text(json.dumps(settings, indent=2) + "\n")
    return 0


def offchip_decision(quant_module, args: argparse.Namespace, part, parallelism: str | None, request: str, explored=None):
    """Which layers stream their weights (e3ne.offchip.decide on the all-on-chip lowering)."""
    from e3ne.backend.build import lower_to_snnhw
    from e3ne.offchip import decide

    _, _, accelerator = lower_to_snnhw(quant_module, args.linear_parallelism, parallelism)
    return decide(
        accelerator, part, request, args.max_utilization, args.axi_width, args.memory_latency,
        explored=tuple(explored) if explored is not None and request == "auto" else None,
    )  # fmt: skip


# --------------------------------------------------------------------------- simulate


def _accuracy(logits: np.ndarray, labels: np.ndarray | None) -> float | None:
    if labels is None:
        return None
    return float((np.argmax(logits, axis=1) == labels).mean())


def encoded_inputs(quant_module, x: np.ndarray) -> np.ndarray:
    """The integer activations a0 the hardware is loaded with (output of snn.encode)."""
    from e3ne.dialects.snn import EncodeOp
    from e3ne.numerics import encode_input

    for op in quant_module.walk():
        if isinstance(op, EncodeOp):
            return encode_input(x, op.scale.value.data, op.time_steps.value.data)
    raise E3NEError("the quantized module has no snn.encode op")


def cmd_simulate(args: argparse.Namespace) -> int:
    from e3ne.interpreters.float_model import run_float
    from e3ne.interpreters.golden import run_golden
    from e3ne.ir import parse_module

    build = Path(args.build)
    for name in ("snn.mlir", "snn.quant.mlir"):
        if not (build / name).is_file():
            raise E3NEError(f"{name} not found; run `e3ne compile ... -o {build}` first", location=str(build))
    float_module = parse_module(build / "snn.mlir")
    quant_module = parse_module(build / "snn.quant.mlir")
    x, y = load_npz(args.data, None, need_labels=False)
    if args.limit is not None:
        x, y = x[: args.limit], (None if y is None else y[: args.limit])
    rtl = not args.golden_only
    if args.per_layer:
        return simulate_layers(build, quant_module, x, args)
    if rtl and not (build / "hardware.json").is_file():
        raise E3NEError(
            "no hardware in this build (compiled with --emit snn); use --golden-only or recompile",
            location=str(build),
        )
    progress = Progress(3 if rtl else 2, args.quiet)

    progress.step(f"float model on {len(x)} images")
    float_logits = run_float(float_module, x)
    progress.done()
    progress.step("golden model (integer radix numerics)")
    golden = run_golden(quant_module, x)
    progress.done()

    summary: dict = {
        "images": int(len(x)),
        "float_accuracy": _accuracy(float_logits, y),
        "golden_accuracy": _accuracy(golden, y),
    }
    outputs = {"golden": golden.astype(np.int64)}
    if rtl:
        from e3ne.backend.simulate import run_rtl

        progress.step("RTL simulation (Verilator)")
        rtl_logits, cycles = run_rtl(
            build, encoded_inputs(quant_module, x), progress=progress.say, jobs=args.jobs, ray=args.ray,
            cluster=args.cluster, shared_filesystem=args.shared_filesystem,
        )
        progress.done()
        manifest = json.loads((build / "hardware.json").read_text())
        mismatched = np.flatnonzero(np.any(rtl_logits != golden, axis=1))
        outputs["rtl"] = rtl_logits.astype(np.int64)
        summary.update(
            rtl_accuracy=_accuracy(rtl_logits, y),
            mismatches=int(len(mismatched)),
            first_mismatches=[int(i) for i in mismatched[:10]],
            cycles_per_image=int(cycles.max()),
            cycles_min=int(cycles.min()),
            cycles_expected=int(manifest["cycles_expected"]),
        )
    sim_dir = build / "sim"
    sim_dir.mkdir(exist_ok=True)
    from e3ne.backend.simulate import write_outputs  # atomic, byte-stable outputs.npz

    write_outputs(sim_dir, outputs, summary)
    print(json.dumps(summary, indent=2))
    if rtl and summary["mismatches"]:
        print(
            f"e3ne: error: RTL logits differ from the golden model on {summary['mismatches']} of "
            f"{len(x)} images (first: {summary['first_mismatches']})",
            file=sys.stderr,
        )
        return 1
    return 0


def simulate_layers(build: Path, quant_module, x: np.ndarray, args: argparse.Namespace) -> int:
    """`--per-layer`: one one-stage accelerator per layer, each checked bit-exactly in RTL."""
    from e3ne.backend.layerwise import table, verify_layers, write_report

    if args.golden_only:
        raise E3NEError("--per-layer simulates RTL; it cannot be combined with --golden-only")
    if not (build / "hardware.json").is_file():
        raise E3NEError("no hardware in this build (compiled with --emit snn); recompile", location=str(build))
    hardware = json.loads((build / "hardware.json").read_text())
    layers = hardware["layers"]
    only = [name.strip() for name in args.layers.split(",") if name.strip()] if args.layers else None
    progress = Progress(1, args.quiet)
    progress.step(f"per-layer RTL verification of {len(only) if only else len(layers)} layers on {len(x)} images")
    sim_dir = build / "sim"
    sim_dir.mkdir(exist_ok=True)
    checks = verify_layers(
        quant_module, x, sim_dir / "layers", layers=layers, only=only, progress=progress.say, axi=hardware.get("axi"),
        jobs=args.jobs, ray=args.ray, cluster=args.cluster, shared_filesystem=args.shared_filesystem,
    )
    progress.done(f"wrote {sim_dir / 'layers.json'}")
    summary = write_report(checks, sim_dir / "layers.json", len(x))
    print(table(checks))
    if summary["mismatches"] or summary["cycle_mismatches"]:
        wrong = [c.layer for c in checks if c.mismatches]
        print(
            f"e3ne: error: {summary['mismatches']} values differ from the golden model (layers: {', '.join(wrong) or '-'}); "
            f"cycles differ from the schedule in: {', '.join(summary['cycle_mismatches']) or '-'}",
            file=sys.stderr,
        )
        return 1
    return 0


# --------------------------------------------------------------------------- synth


def cmd_synth(args: argparse.Namespace) -> int:
    from e3ne.backend.synth import compare, run_yosys
    from e3ne.targets import get_part

    build = Path(args.build)
    manifest_path = build / "hardware.json"
    if not manifest_path.is_file():
        raise E3NEError("no hardware.json; run `e3ne compile` (without --emit snn) first", location=str(build))
    manifest = json.loads(manifest_path.read_text())
    part = get_part(args.target)
    rtl = build / "rtl"
    sources = sorted(p.name for p in rtl.glob("*.sv") if p.name != manifest.get("testbench", "tb.sv"))
    if not sources:
        raise E3NEError("no SystemVerilog sources", location=str(rtl))
    top = manifest.get("top", "e3ne_top")
    progress = Progress(1, args.quiet)
    progress.step(f"Yosys synth_xilinx -family {part.family} on {len(sources)} files (top {top})")
    result = run_yosys(rtl, sources, part, top, build / "synth.log", progress=progress.say)
    progress.done(f"log in {build / 'synth.log'}")
    estimate = None
    if (build / "report.json").is_file():
        estimate = json.loads((build / "report.json").read_text()).get("totals")
    synth = {
        "target": part.name,
        **compare(result["counts"], estimate),
        "ramb36": result["counts"]["ramb36"],
        "ramb18": result["counts"]["ramb18"],
        "lutram": result["counts"]["lutram"],
        "cells": result["cells"],
        "yosys_version": result["yosys_version"],
        "command": result["command"],
        "seconds": result["seconds"],
    }
    (build / "synth.json").write_text(json.dumps(synth, indent=2) + "\n")
    print(json.dumps({k: synth[k] for k in ("lut", "ff", "carry", "bram", "dsp")}, indent=2))
    return 0


# --------------------------------------------------------------------------- explore


def cmd_explore(args: argparse.Namespace) -> int:
    from e3ne.explore import run_explore

    return run_explore(args, Progress(3 + args.compile, args.quiet))


# --------------------------------------------------------------------------- main


def add_offchip_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offchip-weights", default="auto",
        help="layers whose weights stream from external memory: auto (default: only when the weights do not "
        "fit the block RAM budget), none, all, or a list such as fc1,fc2",
    )  # fmt: skip
    parser.add_argument(
        "--axi-width", type=int, default=DEFAULT_AXI_DATA_WIDTH, help="AXI4 read data width in bits, 32..1024 (default 128)"
    )
    parser.add_argument(
        "--memory-latency", type=int, default=DEFAULT_MEMORY_LATENCY,
        help="external memory: cycles from an AR handshake to the first R beat (default 16)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="e3ne", description=__doc__.split("\n")[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    commands = parser.add_subparsers(dest="command", required=True)

    compile_ = commands.add_parser("compile", help="compile a PyTorch model to an SNN accelerator")
    compile_.add_argument("model", help="MODEL.py:ClassName (constructed with no arguments)")
    compile_.add_argument("--weights", help="state_dict (.pt) to load into the model")
    compile_.add_argument("--input-shape", required=True, help="one input's shape without batch, e.g. 1,28,28")
    compile_.add_argument("--calibration", required=True, help=".npz with key x: calibration images")
    compile_.add_argument("--time-steps", type=int, default=4, help="T: time steps = activation bits (default 4)")
    compile_.add_argument("--weight-bits", type=int, default=4, help="b: weight bits (default 4)")
    compile_.add_argument("--sigma", type=float, default=3.0, help="r: weight clipping in std devs (default 3)")
    compile_.add_argument(
        "--linear-parallelism", type=int, default=None, help="P: output neurons per linear unit (default: chosen)"
    )
    compile_.add_argument(
        "--parallelism",
        default=None,
        help="[layer.]key=value,... (keys P, Q, columns, channels, units), or 'auto': the fastest design "
        "that fits --target (see `e3ne explore`)",
    )
    compile_.add_argument("--target", default="xc7z020", help="part preset: xc7z020 (default), xczu9eg, xcvu13p")
    compile_.add_argument("--max-luts", type=int, default=None, help="with --parallelism auto: LUT budget")
    compile_.add_argument(
        "--max-utilization", type=float, default=0.8,
        help="use at most this share of each resource for --parallelism auto and --offchip-weights auto (default 0.8)",
    )  # fmt: skip
    add_offchip_arguments(compile_)
    compile_.add_argument(
        "--emit", choices=EMIT_LEVELS, default="verilog", help="stop after this level (default: verilog)"
    )
    compile_.add_argument("-o", "--output", required=True, help="build directory")
    compile_.set_defaults(run=cmd_compile)

    simulate = commands.add_parser("simulate", help="golden model and RTL co-simulation of a build")
    simulate.add_argument("build", help="build directory written by `e3ne compile`")
    simulate.add_argument("--data", required=True, help=".npz with x (N,C,H,W) and optionally y (labels)")
    simulate.add_argument("--limit", type=int, default=None, help="only the first N images")
    simulate.add_argument("--golden-only", action="store_true", help="skip RTL simulation")
    simulate.add_argument(
        "--per-layer", action="store_true",
        help="check each layer on its own: a one-layer accelerator per layer, driven with the golden model's "
        "activations, every output value compared (BUILD/sim/layers.json)",
    )
    simulate.add_argument("--layers", default=None, help="with --per-layer: only these layers, e.g. conv3,fc1")
    simulate.add_argument("--jobs", type=int, default=None, help="local workers (default: every core)")
    simulate.add_argument("--ray", action="store_true", help="run the shards as Ray tasks (RAY_ADDRESS, else a local Ray)")
    simulate.add_argument("--cluster", default=None, metavar="ADDRESS", help="run the shards on this Ray cluster")
    simulate.add_argument(
        "--shared-filesystem", action="store_true", help="Ray workers see this build directory (no file transfer)"
    )
    simulate.set_defaults(run=cmd_simulate)

    synth = commands.add_parser("synth", help="synthesize a build with Yosys and compare with the estimates")
    synth.add_argument("build", help="build directory written by `e3ne compile`")
    synth.add_argument("--target", default="xc7z020", help="part preset: xc7z020, xczu9eg, xcvu13p")
    synth.set_defaults(run=cmd_synth)

    explore = commands.add_parser("explore", help="sweep parallelism, print the latency-resource Pareto front")
    explore.add_argument("model", help="MODEL.py:ClassName, or a build directory holding snn.quant.mlir")
    explore.add_argument("--weights", help="state_dict (.pt) to load into the model")
    explore.add_argument("--input-shape", help="one input's shape without batch, e.g. 1,28,28")
    explore.add_argument("--calibration", help=".npz with key x: calibration images")
    explore.add_argument("--time-steps", type=int, default=4, help="T (default 4)")
    explore.add_argument("--weight-bits", type=int, default=4, help="b (default 4)")
    explore.add_argument("--sigma", type=float, default=3.0, help="r (default 3)")
    explore.add_argument("--target", default="xc7z020", help="part preset: xc7z020 (default), xczu9eg, xcvu13p")
    explore.add_argument("--max-luts", type=int, default=None, help="LUT budget (below the part's)")
    explore.add_argument(
        "--max-utilization", type=float, default=0.8, help="use at most this share of each resource (default 0.8)"
    )
    add_offchip_arguments(explore)
    explore.add_argument("--compile", action="store_true", help="compile the chosen design into -o")
    explore.add_argument("--synthesize", type=int, default=0, metavar="K", help="Yosys on the K fastest designs that fit")
    explore.add_argument("--jobs", type=int, default=None, help="with --synthesize: local workers (default: every core)")
    explore.add_argument("--ray", action="store_true", help="with --synthesize: Yosys runs as Ray tasks")
    explore.add_argument("--cluster", default=None, metavar="ADDRESS", help="with --synthesize: on this Ray cluster")
    explore.add_argument("-o", "--output", default=None, help="where to write explore.png/json (and the build)")
    explore.set_defaults(run=cmd_explore)
    return parser


def validate(args: argparse.Namespace) -> None:
    if args.command == "compile":
        if not 1 <= args.time_steps <= 16:
            raise E3NEError(f"--time-steps must be in [1, 16], got {args.time_steps}")
        if not 2 <= args.weight_bits <= 16:
            raise E3NEError(f"--weight-bits must be in [2, 16], got {args.weight_bits}")
        if args.sigma <= 0:
            raise E3NEError(f"--sigma must be positive, got {args.sigma}")
        if args.linear_parallelism is not None and args.linear_parallelism < 1:
            raise E3NEError(f"--linear-parallelism must be >= 1, got {args.linear_parallelism}")
    if args.command in ("compile", "explore"):
        check_memory_model(args.axi_width, args.memory_latency)
        if not 0 < args.max_utilization <= 1:
            raise E3NEError(f"--max-utilization must be in (0, 1], got {args.max_utilization}")
    if args.command == "simulate" and args.layers and not args.per_layer:
        raise E3NEError("--layers selects layers for --per-layer; add --per-layer or leave it out")
    if args.command == "simulate" and args.limit is not None and args.limit < 1:
        raise E3NEError(f"--limit must be >= 1, got {args.limit}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        validate(args)
        return args.run(args)
    except E3NEError as error:
        print(f"e3ne: error: {error.render()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("e3ne: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug in e3ne, not in the user's input
        if os.environ.get("E3NE_DEBUG"):
            traceback.print_exc()
        print(
            f"e3ne: internal error: {type(error).__name__}: {error}\n"
            "  (this is a bug in e3ne; rerun with E3NE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
