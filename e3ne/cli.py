"""`e3ne`: the command line, argument parsing over the library driver (e3ne/driver/).

    e3ne compile model.py:Net --weights net.pt --input-shape 1,28,28 --calibration calib.npz -o build/
    e3ne simulate build/ --data test.npz [--limit N] [--golden-only | --per-layer [--layers conv1,fc2]]
    e3ne synth build/ [--target xc7z020|lfe5u-85f]
    e3ne bitstream build/ [--board ulx3s-85f] [--clock 100] [--seed 1] [--pll] [--no-bram-outreg] [--max-fanout 8] [--router auto] [--require-timing]
    e3ne run build/ --port /dev/ttyUSB0 --data test.npz [--baud 115200] [--check]   (--shell uart builds; --port sim)
    e3ne explore model.py:Net --weights net.pt --input-shape 1,28,28 --calibration calib.npz [--target xc7z020]

Every user error is an E3NEError printed as one or two plain lines; an unexpected
exception is reported as an internal error (set E3NE_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from e3ne.driver.options import CODINGS, EMIT_LEVELS, NIR_LEAKS, SHELLS, CompileOptions
from e3ne.driver.progress import Progress, to_stderr
from e3ne.errors import E3NEError
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY
from e3ne.model.parts import ECP5_ROUTABLE_LUT
from e3ne.model.schedule import SCHEDULE_KINDS
from e3ne.parallelism import Parallelism


def _say(args: argparse.Namespace):
    return None if args.quiet else to_stderr


def _options(args: argparse.Namespace) -> CompileOptions:
    """The flags of `compile` and `explore` as CompileOptions (`--linear-parallelism N` is `P=N`)."""
    input_mean, input_std = args.input_mean, args.input_std
    if getattr(args, "normalize", None):
        if input_mean is not None or input_std is not None:
            raise E3NEError("give either --normalize or --input-mean/--input-std, not both")
        from e3ne.frontend.normalize import normalization_from_spec

        input_mean, input_std = normalization_from_spec(args.normalize)
    parallelism = Parallelism.parse(getattr(args, "parallelism", None))
    parallelism = parallelism.with_linear_parallelism(getattr(args, "linear_parallelism", None))
    return CompileOptions(
        time_steps=args.time_steps,
        weight_bits=args.weight_bits,
        sigma=args.sigma,
        parallelism=parallelism,
        target=args.target,
        offchip_weights=args.offchip_weights,
        axi_width=args.axi_width,
        memory_latency=args.memory_latency,
        max_utilization=args.max_utilization,
        max_luts=args.max_luts,
        emit=getattr(args, "emit", "verilog"),
        shell=getattr(args, "shell", "none"),
        schedule=getattr(args, "schedule", "sequential"),
        skip_zeros=getattr(args, "skip_zeros", False),
        baud=getattr(args, "baud", 115_200),
        uart_clock_mhz=getattr(args, "uart_clock", 25.0),
        input_mean=input_mean,
        input_std=input_std,
        coding=getattr(args, "coding", "direct"),
        rate_seed=getattr(args, "rate_seed", 1),
        dt=getattr(args, "dt", 1e-4),
        nir_leak=getattr(args, "nir_leak", "euler"),
    )


def cmd_compile(args: argparse.Namespace) -> int:
    from e3ne.driver import compile

    compile(
        args.model, input_shape=args.input_shape, calibration=args.calibration, weights=args.weights,
        options=_options(args), output=args.output, progress=_say(args),
    )  # fmt: skip
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from e3ne.driver import Build

    result = Build(args.build).simulate(
        args.data, limit=args.limit, golden_only=args.golden_only, per_layer=args.per_layer, layers=args.layers,
        progress=_say(args), jobs=args.jobs, ray=args.ray, cluster=args.cluster,
        shared_filesystem=args.shared_filesystem,
    )  # fmt: skip
    if args.per_layer:
        print(result.table())
    else:
        print(json.dumps(result.summary, indent=2))
    if not result.ok:
        print(f"e3ne: error: {result.error_message()}", file=sys.stderr)
        return 1
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from e3ne.driver import Build
    from e3ne.driver.synth import SUMMARY_KEYS

    synth = Build(args.build).synth(args.target, progress=_say(args))
    print(json.dumps({k: synth[k] for k in SUMMARY_KEYS}, indent=2))
    return 0


# --------------------------------------------------------------------------- bitstream


def cmd_bitstream(args: argparse.Namespace) -> int:
    from e3ne.backend.bitstream import timing_message
    from e3ne.driver import Build

    result = Build.open(args.build).bitstream(
        args.board, args.clock, args.seed, pll=args.pll, bram_outreg=not args.no_bram_outreg,
        max_fanout=args.max_fanout, router=args.router, progress=_say(args),
    )  # fmt: skip
    keys = ("device", "clock_mhz", "fmax_mhz", "met", "critical_path", "utilisation", "seconds")
    print(json.dumps({key: result[key] for key in keys}, indent=2))
    print(f"e3ne: {timing_message(result)}", file=sys.stderr)
    return 1 if args.require_timing and not result["met"] else 0


# --------------------------------------------------------------------------- run (UART shell)


def cmd_run(args: argparse.Namespace) -> int:
    from e3ne.driver import Build

    result = Build.open(args.build).run(
        args.data, args.port, baud=args.baud, check=args.check, limit=args.limit, progress=_say(args)
    )
    print(json.dumps(result, indent=2))
    return 1 if args.check and result.get("mismatches") else 0


# --------------------------------------------------------------------------- explore


def cmd_explore(args: argparse.Namespace) -> int:
    from e3ne.driver import explore

    if args.choose_verified and not args.synthesize:
        raise E3NEError("--choose-verified chooses among synthesized designs; add --synthesize K")
    progress = Progress(3 + args.compile, _say(args))
    result = explore(
        args.model, input_shape=args.input_shape, calibration=args.calibration, weights=args.weights,
        options=_options(args), output=args.output, progress=progress,
    )  # fmt: skip
    part = result.part
    print(f"latency-LUT Pareto front ({part.name}, {part.clock_mhz:g} MHz assumed clock; estimates):")
    print(result.front_table())
    if args.synthesize:
        from e3ne.backend.synth_designs import table

        synthesized = result.synthesize(
            args.synthesize, args.jobs, args.ray, args.cluster, progress=_say(args), choose_verified=args.choose_verified
        )
        print(f"Yosys synth_xilinx of the {len(synthesized)} fastest designs within budget (estimate/yosys):")
        print(table(synthesized))
    if not result.fits:
        print(f"e3ne: {result.no_fit_error().render()}", file=sys.stderr)
        return 1
    for line in result.summary_lines():
        print(line)
    if args.compile:
        if not args.output:
            raise E3NEError("--compile needs -o BUILD")
        result.recompile_source()  # its checks before the step starts
        progress.step(f"compiling the chosen design into {args.output}")
        result.compile(args.output, progress=_say(args))
        progress.done()
    return 0


# --------------------------------------------------------------------------- main


def add_schedule_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schedule", choices=SCHEDULE_KINDS, default="sequential",
        help="sequential: one image at a time (default); dataflow: all layers at once on successive images, "
        "double-buffered, initiation interval = the slowest layer; explore then minimises the interval (docs/dataflow.md)",
    )  # fmt: skip


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


def add_skip_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-zeros", action="store_true",
        help="linear units skip the all-zero input chunks of each bit-plane after their first group of "
        "outputs: fewer cycles, data-dependent (docs/zero-skipping.md); off by default",
    )  # fmt: skip


def add_normalization_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input-mean", default=None,
        help="the model was trained on (x - mean) / std: the mean, one value or one per channel (0.485,0.456,0.406); "
        "folded into the first layer, so --calibration and simulate --data are raw pixels (docs/inputs.md)",
    )  # fmt: skip
    parser.add_argument("--input-std", default=None, help="with --input-mean: the std, one value or one per channel")
    parser.add_argument(
        "--normalize", default=None, metavar="FILE.py:NAME",
        help="read the mean and std from the transforms.Normalize (or a Compose holding one) NAME in FILE.py, "
        "instead of --input-mean/--input-std; folded the same way",
    )  # fmt: skip


def cmd_compare(args: argparse.Namespace) -> int:
    from e3ne.driver.compare import compare

    options = CompileOptions(
        weight_bits=args.weight_bits, sigma=args.sigma, target=args.target, coding=args.coding,
        rate_seed=args.rate_seed, dt=args.dt, nir_leak=args.nir_leak,
    )  # fmt: skip
    compare(
        args.radix, args.lif, input_shape=args.input_shape, calibration=args.calibration, data=args.data,
        radix_weights=args.radix_weights, lif_weights=args.lif_weights,
        radix_time_steps=_int_list(args.radix_time_steps, "--radix-time-steps"),
        lif_time_steps=_int_list(args.lif_time_steps, "--lif-time-steps"), options=options, limit=args.limit,
        synth=args.synth, output=args.output, progress=_say(args),
    )  # fmt: skip
    print((Path(args.output) / "compare.md").read_text())
    return 0


def _int_list(text: str, flag: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise E3NEError(f"{flag} must be comma-separated integers, got '{text}'") from None


def add_spiking_arguments(parser: argparse.ArgumentParser) -> None:
    """IF/LIF networks: snnTorch models and .nir files (docs/lif.md "Frontends")."""
    parser.add_argument(
        "--coding", choices=CODINGS, default="direct",
        help="IF/LIF networks: input coding, direct (the input every step, default) or rate (LFSR spikes)",
    )  # fmt: skip
    parser.add_argument("--rate-seed", type=int, default=1, help="--coding rate: the LFSR seed (default 1)")
    parser.add_argument(
        "--dt", type=float, default=1e-4,
        help="NIR: the time step in seconds for LIF tau (default 1e-4, snnTorch's NIR export)",
    )  # fmt: skip
    parser.add_argument(
        "--nir-leak", choices=NIR_LEAKS, default="euler",
        help="NIR LIF: beta = 1 - dt/tau (euler, snnTorch's convention, default) or exp(-dt/tau)",
    )  # fmt: skip


def add_global_arguments(parser: argparse.ArgumentParser, top: bool) -> None:
    """-q on the command and on each subcommand (`e3ne -q compile ...` or `e3ne compile ... -q`)."""
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=False if top else argparse.SUPPRESS, help="no progress output"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="e3ne", description=__doc__.split("\n")[0])
    add_global_arguments(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True)

    compile_ = commands.add_parser("compile", help="compile a PyTorch model to an SNN accelerator")
    compile_.add_argument(
        "model", help="MODEL.py:ClassName (constructed with no arguments; snnTorch models too), or MODEL.nir"
    )
    compile_.add_argument("--weights", help="state_dict (.pt) to load into the model")
    compile_.add_argument("--input-shape", required=True, help="one input's shape without batch, e.g. 1,28,28")
    compile_.add_argument("--calibration", required=True, help=".npz with key x: calibration images")
    compile_.add_argument(
        "--time-steps", type=int, default=4,
        help="T: time steps = activation bits of a radix network (1..16), or an IF/LIF network's steps (1..32); default 4",
    )
    compile_.add_argument("--weight-bits", type=int, default=4, help="b: weight bits (default 4)")
    compile_.add_argument("--sigma", type=float, default=3.0, help="r: weight clipping in std devs (default 3)")
    compile_.add_argument(
        "--linear-parallelism", type=int, default=None,
        help="P: output neurons per linear unit, the same as --parallelism P=N (default: chosen)",
    )  # fmt: skip
    compile_.add_argument(
        "--parallelism",
        default=None,
        help="[layer.]key=value,... (keys P, Q, columns, channels, units), or 'auto': the fastest design "
        "that fits --target (see `e3ne explore`)",
    )
    compile_.add_argument(
        "--target", default="xc7z020", help="part preset: xc7z020 (default), xczu9eg, xcvu13p, lfe5u-25f/45f/85f (ECP5)"
    )
    compile_.add_argument(
        "--max-luts", type=int, default=None,
        help="with --parallelism auto: LUT budget (replaces an ECP5 part's routability limit, "
        f"{ECP5_ROUTABLE_LUT * 100:.0f}%% of its LUT4s)",
    )  # fmt: skip
    compile_.add_argument(
        "--max-utilization", type=float, default=0.8,
        help="use at most this share of each resource for --parallelism auto and --offchip-weights auto (default 0.8)",
    )  # fmt: skip
    add_offchip_arguments(compile_)
    add_skip_arguments(compile_)
    add_normalization_arguments(compile_)
    add_spiking_arguments(compile_)
    compile_.add_argument(
        "--emit", choices=EMIT_LEVELS, default="verilog", help="stop after this level (default: verilog)"
    )
    compile_.add_argument(
        "--shell", choices=SHELLS, default="none",
        help="axi: AXI4-Lite registers and AXI4-Stream image/result ports around the core, and a host "
        "driver in BUILD/driver/ (docs/interface.md); uart: a UART with a framed protocol (for open boards, "
        "`e3ne run --port`); none: the core's own ports (default)",
    )  # fmt: skip
    compile_.add_argument("--baud", type=int, default=115_200, help="--shell uart: baud rate (default 115200)")
    compile_.add_argument(
        "--uart-clock", type=float, default=25.0,
        help="--shell uart: the clock in MHz the baud divider assumes (default 25, the ULX3S oscillator; "
        "e3ne bitstream sets it for the clock it builds)",
    )  # fmt: skip
    add_schedule_argument(compile_)
    compile_.add_argument("-o", "--output", required=True, help="build directory")
    add_global_arguments(compile_, top=False)
    compile_.set_defaults(run=cmd_compile)

    compare = commands.add_parser(
        "compare", help="the radix-vs-IF/LIF trade-off: a ReLU model and a trained spiking model of the same task"
    )
    compare.add_argument("--radix", required=True, help="the ReLU network, MODEL.py:ClassName")
    compare.add_argument("--radix-weights", help="its state_dict (.pt)")
    compare.add_argument("--lif", required=True, help="the IF/LIF network, MODEL.py:ClassName (snnTorch) or MODEL.nir")
    compare.add_argument("--lif-weights", help="its state_dict (.pt)")
    compare.add_argument("--input-shape", required=True, help="one input's shape without batch, e.g. 1,28,28")
    compare.add_argument("--calibration", required=True, help=".npz with key x: calibration images")
    compare.add_argument("--data", required=True, help=".npz with x and y: test images and labels")
    compare.add_argument("--limit", type=int, default=None, help="use the first N test images")
    compare.add_argument("--radix-time-steps", default="4", help="radix T (activation bits), e.g. 4 or 3,4,6")
    compare.add_argument("--lif-time-steps", default="8", help="IF/LIF T' (time steps), e.g. 8 or 8,16")
    compare.add_argument("--weight-bits", type=int, default=4, help="b: weight bits of both (default 4)")
    compare.add_argument("--sigma", type=float, default=3.0, help="r: weight clipping in std devs (default 3)")
    compare.add_argument("--target", default="xc7z020", help="part preset for the estimates and Yosys")
    compare.add_argument("--synth", action="store_true", help="also run Yosys on every design (minutes each)")
    add_spiking_arguments(compare)
    compare.add_argument("-o", "--output", required=True, help="directory for the builds, compare.md and compare.json")
    add_global_arguments(compare, top=False)
    compare.set_defaults(run=cmd_compare)

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
    add_global_arguments(simulate, top=False)
    simulate.set_defaults(run=cmd_simulate)

    synth = commands.add_parser("synth", help="synthesize a build with Yosys and compare with the estimates")
    synth.add_argument("build", help="build directory written by `e3ne compile`")
    synth.add_argument(
        "--target", default=None,
        help="part preset: xc7z020, xczu9eg, xcvu13p (synth_xilinx), lfe5u-25f/45f/85f (synth_ecp5); default: the compile's",
    )  # fmt: skip
    add_global_arguments(synth, top=False)
    synth.set_defaults(run=cmd_synth)

    bitstream = commands.add_parser("bitstream", help="open flow to an ECP5 bitstream: yosys, nextpnr-ecp5, ecppack")
    bitstream.add_argument("build", help="build directory written by `e3ne compile`")
    bitstream.add_argument("--board", default="ulx3s-85f", help="ulx3s-85f (default), ulx3s-25f, lfe5u-85f, lfe5u-25f")
    bitstream.add_argument("--clock", type=float, default=100.0, help="design clock constraint in MHz (default 100)")
    bitstream.add_argument("--seed", type=int, default=1, help="nextpnr placement seed (default 1)")
    bitstream.add_argument(
        "--pll", action="store_true",
        help="clock from the board's 25 MHz oscillator through an EHXPLLL (generated top; ULX3S boards)",
    )  # fmt: skip
    bitstream.add_argument(
        "--no-bram-outreg", action="store_true",
        help="keep the flip-flops after block-RAM reads in the fabric (default: moved into the DP16KD output register)",
    )  # fmt: skip
    bitstream.add_argument(
        "--max-fanout", type=int, default=None, metavar="N",
        help="copy every flip-flop and LUT4 that drives more than N cell inputs (default: 8 for a design over "
        "15%% of the part's LUT4s, else off; 0: off)",
    )  # fmt: skip
    bitstream.add_argument(
        "--router", choices=("auto", "router1", "router2"), default=None,
        help="nextpnr's router (default auto: router2 for a design over 15%% of the part's LUT4s, where router1 "
        "congests; router1 below, its routes were faster there; docs/timing.md)",
    )  # fmt: skip
    bitstream.add_argument("--require-timing", action="store_true", help="exit non-zero when Fmax < --clock")
    bitstream.set_defaults(run=cmd_bitstream)

    run = commands.add_parser("run", help="run a --shell uart build on a board over a serial port (or `--port sim`)")
    run.add_argument("build", help="build directory written by `e3ne compile --shell uart`")
    run.add_argument("--port", required=True, help="serial port (/dev/ttyUSB0, COM3), or `sim`: the RTL in Verilator")
    run.add_argument("--data", required=True, help=".npz with x (N,C,H,W) and optionally y (labels)")
    run.add_argument("--baud", type=int, default=None, help="baud rate (default: the build's, driver/constants.json)")
    run.add_argument("--limit", type=int, default=None, help="only the first N images")
    run.add_argument("--check", action="store_true", help="compare every logit with the golden model (exit 1 if any differ)")
    add_global_arguments(run, top=False)
    run.set_defaults(run=cmd_run)

    explore = commands.add_parser("explore", help="sweep parallelism, print the latency-resource Pareto front")
    explore.add_argument("model", help="MODEL.py:ClassName, or a build directory holding snn.quant.mlir")
    explore.add_argument("--weights", help="state_dict (.pt) to load into the model")
    explore.add_argument("--input-shape", help="one input's shape without batch, e.g. 1,28,28")
    explore.add_argument("--calibration", help=".npz with key x: calibration images")
    explore.add_argument("--time-steps", type=int, default=4, help="T (default 4)")
    explore.add_argument("--weight-bits", type=int, default=4, help="b (default 4)")
    explore.add_argument("--sigma", type=float, default=3.0, help="r (default 3)")
    explore.add_argument(
        "--target", default="xc7z020", help="part preset: xc7z020 (default), xczu9eg, xcvu13p, lfe5u-25f/45f/85f (ECP5)"
    )
    explore.add_argument(
        "--max-luts", type=int, default=None,
        help="LUT budget (below the part's; replaces an ECP5 part's routability limit, "
        f"{ECP5_ROUTABLE_LUT * 100:.0f}%% of its LUT4s)",
    )  # fmt: skip
    explore.add_argument(
        "--max-utilization", type=float, default=0.8, help="use at most this share of each resource (default 0.8)"
    )
    add_offchip_arguments(explore)
    add_schedule_argument(explore)
    add_normalization_arguments(explore)
    add_spiking_arguments(explore)
    explore.add_argument("--compile", action="store_true", help="compile the chosen design into -o")
    explore.add_argument("--synthesize", type=int, default=0, metavar="K", help="Yosys on the K fastest designs that fit")
    explore.add_argument(
        "--choose-verified", action="store_true",
        help="with --synthesize: choose the fastest synthesized design whose Yosys counts fit the budget",
    )
    explore.add_argument("--jobs", type=int, default=None, help="with --synthesize: local workers (default: every core)")
    explore.add_argument("--ray", action="store_true", help="with --synthesize: Yosys runs as Ray tasks")
    explore.add_argument("--cluster", default=None, metavar="ADDRESS", help="with --synthesize: on this Ray cluster")
    explore.add_argument("-o", "--output", default=None, help="where to write explore.png/json (and the build)")
    add_global_arguments(explore, top=False)
    explore.set_defaults(run=cmd_explore)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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
