"""Benchmark the linear hardware path on a 784-128-64-10 MLP (random quantized weights).

Prints: RTL generation time, Verilator build time, simulation time for N images,
cycles measured vs the schedule vs the ideal sum(ceil(out/P)*in*T), and checks the
logits against an integer numpy model. Usage:

    python tools/bench_mlp_sim.py [--parallelism 16] [--images 1000] [--build build/bench_mlp]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
from xdsl.ir import Block, Region

from e3ne.backend.build import build_hardware
from e3ne.backend.simulate import build_simulator, run_rtl
from e3ne.dense import numpy_to_dense
from e3ne.dialects import snn
from e3ne.numerics import accumulator_range, radix_neuron, signed_width


def mlp(sizes: list[int], time_steps: int, weight_bits: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    block = Block(arg_types=[TensorType(Float32Type(), [1, sizes[0]])])
    encode = snn.EncodeOp(block.args[0], 4, time_steps)
    ops: list = [encode]
    value = encode.output
    layers = []
    for index, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        half = 1 << (weight_bits - 1)
        weight = np.clip(np.round(rng.normal(0, half / 3, size=(n_out, n_in))), -half, half - 1).astype(np.int64)
        bias = rng.integers(-64, 65, size=n_out)
        width = signed_width(*accumulator_range(weight, bias, time_steps))
        linear = snn.LinearOp(
            value,
            numpy_to_dense(weight, snn.signed_type(weight_bits)),
            numpy_to_dense(bias, snn.signed_type(32)),
            TensorType(snn.signed_type(width), [1, n_out]),
            weight_scale=3,
            input_scale=4,
        )
        ops.append(linear)
        value = linear.output
        shift = None
        if index < len(sizes) - 2:
            shift = max(1, int(np.sqrt(n_in)).bit_length() + 2)
            neuron = snn.RadixNeuronOp(value, shift, time_steps, 4)
            ops.append(neuron)
            value = neuron.output
        layers.append((weight, bias, shift))
    ops.append(func.ReturnOp(value))
    block.add_ops(ops)
    function = func.FuncOp("mlp", ([block.args[0].type], [value.type]), Region(block))
    return ModuleOp([function]), layers


def reference(encoded: np.ndarray, layers, time_steps: int) -> np.ndarray:
    a = encoded.reshape(len(encoded), -1)
    for weight, bias, shift in layers:
        v = a @ weight.T + bias
        if shift is None:
            return v
        a = radix_neuron(v, shift, time_steps)
    raise AssertionError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallelism", default="16", help="P for all layers, or a comma-separated list")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--time-steps", type=int, default=4)
    parser.add_argument("--build", default="build/bench_mlp")
    args = parser.parse_args()
    build = Path(args.build)
    if build.exists():
        shutil.rmtree(build)
    module, layers = mlp([784, 128, 64, 10], args.time_steps, 4)
    quiet = lambda _: None  # noqa: E731

    began = time.monotonic()
    manifest = build_hardware(module, build, args.parallelism, progress=quiet)
    generate = time.monotonic() - began
    began = time.monotonic()
    build_simulator(build, progress=quiet)
    verilate = time.monotonic() - began

    rng = np.random.default_rng(1)
    encoded = rng.integers(0, 1 << args.time_steps, size=(args.images, 784))
    began = time.monotonic()
    logits, cycles = run_rtl(build, encoded, progress=quiet)
    simulate = time.monotonic() - began

    exact = np.array_equal(logits, reference(encoded, layers, args.time_steps))
    ideal = manifest["ideal_cycles"]
    print(f"parallelism         {[l['parallelism'] for l in manifest['layers']]}")
    print(f"RTL generation      {generate:6.1f} s")
    print(f"Verilator build     {verilate:6.1f} s")
    print(f"simulation          {simulate:6.1f} s for {args.images} images")
    print(f"cycles measured     {int(cycles.min())}..{int(cycles.max())} per image")
    print(f"cycles scheduled    {manifest['cycles_expected']}")
    print(f"cycles ideal        {ideal}  (sum ceil(out/P)*in*T; ratio {cycles.max() / ideal:.4f})")
    print(f"bit-exact logits    {exact}")
    return 0 if exact and (cycles == manifest["cycles_expected"]).all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
