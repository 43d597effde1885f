"""`lower-snn-to-snnhw`: integer `snn` MLP -> `snnhw` micro-architecture.

Input: `snn.encode -> [snn.flatten] -> snn.linear -> snn.radix_neuron -> ... -> snn.linear
-> func.return`. Each `snn.linear` becomes an `snnhw.linear_unit` with its weight ROM and
output buffer; the function becomes one `snnhw.accelerator` with a static schedule.

Option `linear-parallelism`: P for every layer (clamped to out_features), or a
comma-separated list with one P per linear layer, e.g. `{linear-parallelism=16,8,1}`.
Without it, P = min(out_features, DEFAULT_PARALLELISM).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerType, ModuleOp, Signedness
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects import snn, snnhw
from e3ne.errors import E3NEError

DISTRIBUTED_ROM_BITS = 4096  # smaller weight ROMs go to LUTRAM, larger to block RAM
INPUT_WORD_BITS = 32  # word width of a flat (N, F) input buffer
DEFAULT_PARALLELISM = 16


def parse_parallelism(spec: str | int | list[int] | tuple[int, ...] | None) -> list[int] | None:
    if spec is None or spec == "" or spec == 0 or spec == ():
        return None
    if isinstance(spec, int):
        return [spec]
    if isinstance(spec, str):
        try:
            return [int(p) for p in spec.replace(";", ",").split(",") if p.strip()]
        except ValueError:
            raise E3NEError(f"linear-parallelism must be integers, got '{spec}'") from None
    return [int(p) for p in spec]


def pack_weights(weights: np.ndarray, parallelism: int) -> np.ndarray:
    """(out, in) -> ROM words (groups*in, P): word g*in + i, lane k = W[g*P + k, i] (0 past out)."""
    out_features, in_features = weights.shape
    groups = snnhw.ceil_div(out_features, parallelism)
    padded = np.zeros((groups * parallelism, in_features), dtype=np.int64)
    padded[:out_features] = weights
    return padded.reshape(groups, parallelism, in_features).transpose(0, 2, 1).reshape(-1, parallelism)


@dataclass
class _Layer:
    linear: snn.LinearOp
    neuron: snn.RadixNeuronOp | None


def _collect_layers(function: func.FuncOp) -> tuple[snn.EncodeOp, list[_Layer]]:
    ops = [op for op in function.body.ops if not isinstance(op, func.ReturnOp)]
    location = f"func @{function.sym_name.data}"
    if not ops or not isinstance(ops[0], snn.EncodeOp):
        raise E3NEError("the network must start with snn.encode", location=location)
    encode, rest = ops[0], ops[1:]
    if rest and isinstance(rest[0], snn.FlattenOp):
        rest = rest[1:]
    layers: list[_Layer] = []
    while rest:
        linear = rest.pop(0)
        if not isinstance(linear, snn.LinearOp):
            raise E3NEError(
                f"the linear hardware path supports snn.linear -> snn.radix_neuron chains, found {linear.name}",
                location=location,
                hint="convolution and pooling units are not implemented yet",
            )
        if not linear.is_quantized():
            raise E3NEError("snn.linear is still float; run snn-quantize first", location=location)
        neuron = None
        if rest and isinstance(rest[0], snn.RadixNeuronOp):
            neuron = rest.pop(0)
        elif rest:
            raise E3NEError(f"snn.linear must be followed by snn.radix_neuron, found {rest[0].name}", location=location)
        layers.append(_Layer(linear, neuron))
    if not layers or layers[-1].neuron is not None:
        raise E3NEError("the network must end with an output snn.linear (no neuron)", location=location)
    return encode, layers


def lower_function(function: func.FuncOp, parallelism: list[int] | None) -> snnhw.AcceleratorOp:
    encode, layers = _collect_layers(function)
    time_steps = snn.width_of(encode.output)
    if parallelism is not None and len(parallelism) not in (1, len(layers)):
        raise E3NEError(
            f"linear-parallelism has {len(parallelism)} values for {len(layers)} linear layers",
            hint="give one P for all layers or one per layer",
        )
    body: list = []
    shape = snn.shape_of(encode.output)
    if shape[0] != 1:
        raise E3NEError(f"the accelerator processes one image at a time; batch is {shape[0]}")
    if len(shape) == 4:
        _, c, h, w = shape
    elif len(shape) == 2:
        w = min(shape[1], INPUT_WORD_BITS)
        c, h = snnhw.ceil_div(shape[1], w), 1
    else:
        raise E3NEError(f"input of shape {'x'.join(map(str, shape))} is not supported; use (1, F) or (1, C, H, W)")
    source = snnhw.BufferOp("input", c, h, w, time_steps, "input")
    body.append(source)
    stages: list[snnhw.LinearUnitOp] = []
    for index, layer in enumerate(layers):
        linear = layer.linear
        name = f"fc{index + 1}"
        weights = dense_to_numpy(linear.weight)
        out_features, in_features = weights.shape
        p = DEFAULT_PARALLELISM if parallelism is None else parallelism[0 if len(parallelism) == 1 else index]
        if p < 1:
            raise E3NEError(f"linear-parallelism must be >= 1, got {p}")
        p = min(p, out_features)
        if layer.neuron is None:
            p = min(p, in_features * time_steps)  # the P logits drain while the next group accumulates
        weight_type = linear.weight.get_element_type()
        bits = weight_type.width.data
        packed = pack_weights(weights, p)
        kind = "distributed" if packed.size * bits <= DISTRIBUTED_ROM_BITS else "block"
        rom = snnhw.RomOp(f"{name}_weights", numpy_to_dense(packed, weight_type), kind)
        accumulator_width = snn.width_of(linear.output)
        is_output = layer.neuron is None
        groups = snnhw.ceil_div(out_features, p)
        if is_output:
            target = snnhw.LogitBufferOp("logits", out_features, groups * p, accumulator_width)
            shift = 0
        else:
            target = snnhw.BufferOp(f"{name}_out", groups, 1, p, time_steps, "hidden")
            shift = layer.neuron.shift.value.data
        bias = linear.bias
        if bias is None:
            bias = numpy_to_dense(np.zeros(out_features, dtype=np.int64), IntegerType(32, Signedness.SIGNED))
        unit = snnhw.LinearUnitOp(
            name,
            in_features=in_features,
            out_features=out_features,
            parallelism=p,
            time_steps=time_steps,
            weight_bits=bits,
            accumulator_width=accumulator_width,
            shift=shift,
            output_layer=is_output,
            bias=bias,
            input=source.symbol,
            weights=rom.symbol,
            output=target.symbol,
        )
        body += [rom, unit, target]
        stages.append(unit)
        source = target
    body.append(
        snnhw.ScheduleOp(
            [s.symbol for s in stages], [s.cycles() for s in stages], [s.overhead_cycles() for s in stages]
        )
    )
    return snnhw.AcceleratorOp(function.sym_name.data, time_steps, Region(Block(body)))


def needs_width_inference(module: ModuleOp) -> bool:
    return any(
        snn.width_of(layer.output) >= snn.MAX_ACCUMULATOR_BITS
        for layer in module.walk()
        if isinstance(layer, snn.LinearOp | snn.Conv2dOp) and layer.is_quantized()
    )


@dataclass
class LowerNetworkFunction(RewritePattern):
    """Replaces the network's `func.func` with its `snnhw.accelerator`."""

    parallelism: list[int] | None

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: func.FuncOp, rewriter: PatternRewriter) -> None:
        rewriter.replace(op, lower_function(op, self.parallelism), [])


@dataclass(frozen=True)
class LowerSnnToSnnhw(ModulePass):
    name = "lower-snn-to-snnhw"

    linear_parallelism: tuple[int, ...] = ()

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = [f for f in op.body.ops if isinstance(f, func.FuncOp)]
        if len(functions) != 1:
            raise E3NEError(f"expected one network function, found {len(functions)}")
        if needs_width_inference(op):
            raise E3NEError("accumulator widths are not inferred (si64); run snn-infer-widths first")
        pattern = LowerNetworkFunction(parse_parallelism(self.linear_parallelism))
        PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(op)
