"""`lower-snn-to-snnhw`: integer `snn` network -> `snnhw` micro-architecture.

Input: `snn.encode` (or `snn.layer_input`: a slice, which may end in a hidden layer whose
bit-plane buffer the host then reads), then conv2d + radix_neuron, max/avg pooling, flatten, and
linear + radix_neuron layers, ending with an output `snn.linear`. Each conv2d becomes an
`snnhw.conv_unit` (with weight ROM), each pooling an `snnhw.pool_unit`, each linear an
`snnhw.linear_unit`; every stage writes a C x H x W x T bit-plane buffer, and flatten
disappears (a linear unit reads a C x H x W buffer in NCHW feature order). The function
becomes one `snnhw.accelerator` with a static schedule. Stage names: conv1.., pool1..,
fc1.. in network order.

A rate-coded IF/LIF network (`snn.rate_encode`, then conv2d/linear + `snn.lif` layers ending
in a linear `snn.lif` + `snn.readout`, docs/lif.md) becomes the same units in LIF mode
(`snnhw_lif.py`); a direct-coded network (`snn.encode`) needs a hidden linear first layer,
which computes its radix current once and runs the LIF steps while it drains (`lif_steps`);
direct-coded convolutions, per-channel LIF parameters and pooling of spikes are refused.

Option `fuse-pooling` (default true): a max/avg pooling whose window equals its stride
(no padding) right after a convolution is done at the conv unit's output
(`pool_mode`/`pool_kernel` on the conv unit) instead of by its own `snnhw.pool_unit`.

Option `parallelism`: a setting of `e3ne.parallelism` (`[layer.]key=value,...`, keys
P, Q, columns, channels, units), e.g. `{parallelism="conv1.channels=8,P=16"}`.

Options `offchip-weights` (`none`, `all` or a comma list of layer names, see
`e3ne.offchip`), `axi-data-width` and `memory-latency`: the chosen layers' ROMs become
`kind = "offchip"` with 4 KiB-aligned `base_address`es in the weight image, and the
accelerator carries the memory model, e.g.
`{offchip-weights="fc1,fc2" axi-data-width=128 memory-latency=16}`.

A parallelism value given for a layer by name (`fc1.P=64`, `conv1.channels=8`) must fit
that layer (an error names the layer and its limit); the unnamed defaults (`P=64`) and
option `linear-parallelism` apply to every linear layer and are clamped to each. `Q` is
clamped to the width of the layer's input words.

Option `linear-parallelism`: P for every layer (clamped to out_features), or a
comma-separated list with one P per linear layer, e.g. `{linear-parallelism=16,8,1}`.
Without it, P = min(out_features, DEFAULT_PARALLELISM).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerType, ModuleOp, Signedness
from xdsl.ir import Block, Region
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects import snn, snnhw
from e3ne.dialects.snnhw_lif import LifNeuron
from e3ne.errors import E3NEError
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY, check_memory_model
from e3ne.model.arith import ceil_div
from e3ne.model.units import chunk_count
from e3ne.offchip import assign_base_addresses, offchip_layers
from e3ne.parallelism import Parallelism
from e3ne.parallelism import parse_parallelism as parse_settings
from e3ne.transforms.stages import network_input, network_stages

DISTRIBUTED_ROM_BITS = 4096  # smaller weight ROMs go to LUTRAM, larger to block RAM
INPUT_WORD_BITS = 32  # word width of a flat (N, F) input buffer
DEFAULT_PARALLELISM = 16
DEFAULT_CONV_CHANNELS = 8


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


def pack_weights(weights: np.ndarray, parallelism: int, q: int = 1, word_width: int | None = None) -> np.ndarray:
    """(out, in) -> ROM words (groups*chunks, Q*P).

    Q = 1: word g*in + i, lane k = W[g*P + k, i] (0 past out). Q > 1: the inputs lie in
    words of `word_width` spikes; chunk c of a time step is word c // ceil(W/Q), spikes
    (c % ceil(W/Q))*Q + q; lane q*P + k holds the weight of that spike (0 past the word or `in`).
    """
    out_features, in_features = weights.shape
    groups = ceil_div(out_features, parallelism)
    padded = np.zeros((groups * parallelism, in_features), dtype=np.int64)
    padded[:out_features] = weights
    if q == 1:
        return padded.reshape(groups, parallelism, in_features).transpose(0, 2, 1).reshape(-1, parallelism)
    assert word_width is not None
    per_word = ceil_div(word_width, q)
    chunks = chunk_count(in_features, word_width, q)
    features = np.full((chunks, q), -1, dtype=np.int64)
    for chunk in range(chunks):
        word, part = divmod(chunk, per_word)
        for lane in range(q):
            bit = part * q + lane
            feature = word * word_width + bit
            if bit < word_width and feature < in_features:
                features[chunk, lane] = feature
    gathered = np.where(features[None, None] >= 0, padded.reshape(groups, parallelism, in_features)[:, :, np.maximum(features, 0)], 0)
    # (groups, P, chunks, Q) -> words (groups, chunks), lanes q*P + k
    return gathered.transpose(0, 2, 3, 1).reshape(groups * chunks, q * parallelism)


def pack_conv_weights(weights: np.ndarray, lanes: int) -> np.ndarray:
    """(OC, IC, KH, KW) -> ROM words (groups*IC*KH, lanes*KW): word (g*IC + ic)*KH + ky,
    lane l*KW + kx = W[g*lanes + l, ic, ky, kx] (0 past OC)."""
    oc, ic, kh, kw = weights.shape
    groups = ceil_div(oc, lanes)
    padded = np.zeros((groups * lanes, ic, kh, kw), dtype=np.int64)
    padded[:oc] = weights
    return padded.reshape(groups, lanes, ic, kh, kw).transpose(0, 2, 3, 1, 4).reshape(groups * ic * kh, lanes * kw)


def default_conv_parallelism(out_shape: tuple[int, int, int], block_cycles: int, time_steps: int) -> dict[str, int]:
    """Whole output rows, and as many channels as the drain (lanes*T words a row) hides behind
    the row's reads, at most DEFAULT_CONV_CHANNELS."""
    oc, _, ow = out_shape
    channels = max(1, min(oc, DEFAULT_CONV_CHANNELS, block_cycles // time_steps))
    return {"columns": ow, "channels": channels, "units": 1}


def _rom(name: str, packed: np.ndarray, weight_type) -> snnhw.RomOp:
    bits = weight_type.width.data
    kind = "distributed" if packed.size * bits <= DISTRIBUTED_ROM_BITS else "block"
    return snnhw.RomOp(name, numpy_to_dense(packed, weight_type), kind)


def _bias(op: snn.ComputeOp, count: int):
    if op.bias is None:
        return numpy_to_dense(np.zeros(count, dtype=np.int64), IntegerType(32, Signedness.SIGNED))
    return op.bias


def _check_options(settings: dict[str, int], name: str, limits: dict[str, int]) -> None:
    for key, value in settings.items():
        if key in limits and value > limits[key]:
            raise E3NEError(f"parallelism {name}.{key}={value} exceeds {limits[key]} for layer '{name}'")


def lower_function(
    function: func.FuncOp,
    parallelism: Parallelism | None = None,
    linear_list: list[int] | None = None,
    fuse_pooling: bool = True,
    offchip_weights: str = "none",
    axi_data_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
) -> snnhw.AcceleratorOp:
    """The accelerator of an integer snn network: conv/pool units, flatten, linear units."""
    parallelism = parallelism or Parallelism()
    encode = network_input(function)
    network = network_stages(function, fuse_pooling)
    location = f"func @{function.sym_name.data}"
    time_steps = snn.width_of(encode.output)
    lif_network = any(stage.lif is not None for stage in network)
    if lif_network:
        time_steps = check_lif_network(encode, network, location)
    linear_count = sum(stage.kind == "linear" for stage in network)
    if linear_list is not None and len(linear_list) not in (1, linear_count):
        raise E3NEError(
            f"linear-parallelism has {len(linear_list)} values for {linear_count} linear layers",
            hint="give one P for all layers or one per layer",
        )
    shape = snn.shape_of(encode.output)
    if shape[0] != 1:
        raise E3NEError(f"the accelerator processes one image at a time; batch is {shape[0]}")
    if len(shape) == 4:
        _, c, h, w = shape
    elif len(shape) == 2:
        w = min(shape[1], INPUT_WORD_BITS)
        if isinstance(encode, snn.LayerInputOp) and encode.row_width is not None:
            w = encode.row_width.value.data  # the row width of the producer's buffer
        c, h = ceil_div(shape[1], w), 1
    else:
        raise E3NEError(f"input of shape {'x'.join(map(str, shape))} is not supported; use (1, F) or (1, C, H, W)")
    # a direct-coded LIF network's input holds the radix planes of snn.encode (docs/lif.md)
    input_steps = snn.width_of(encode.output) if isinstance(encode, snn.EncodeOp) else time_steps
    source = snnhw.BufferOp("input", c, h, w, input_steps, "input")
    body: list = [source]
    units: list = []  # the snnhw unit of each stage
    names = [stage.name for stage in network]
    linear_index = 0
    # a flatten disappears: a C x H x W buffer already holds features in NCHW order
    for stage in network:
        op, neuron, name = stage.layer, stage.neuron, stage.name
        if stage.kind == "conv":
            pooling = stage.pooling
            pool = None
            if pooling is not None:
                pool = ("max" if isinstance(pooling, snn.MaxPool2dOp) else "avg", pooling.kernel_size())
            weights = dense_to_numpy(op.weight)
            oc, ic, kh, kw = weights.shape
            _, _, oh, ow = snn.shape_of(op.output)
            in_shape = source.shape()[:3]
            block_cycles = ic * time_steps * kh
            pool_h, pool_w = (1, 1) if pool is None else pool[1]
            written = (oc, oh // pool_h, ow // pool_w)
            settings = {**default_conv_parallelism((oc, oh, written[2] * pool_w), block_cycles * pool_h, time_steps)}
            settings.update(parallelism.for_layer(name, "conv"))
            _check_options(settings, name, {"columns": written[2] * pool_w, "channels": oc, "units": oc})
            if settings["channels"] * settings["units"] > oc:
                raise E3NEError(
                    f"parallelism {name}: channels x units = {settings['channels']}x{settings['units']} "
                    f"exceeds the {oc} output channels"
                )
            lanes = settings["channels"] * settings["units"]
            lif = None if stage.lif is None else lif_neuron(stage, location)
            weight_type = op.weight.get_element_type()
            rom = _rom(f"{name}_weights", pack_conv_weights(weights, lanes), weight_type)
            target = snnhw.BufferOp(f"{name}_out", *written, time_steps, "hidden")
            unit = snnhw.ConvUnitOp(
                name,
                in_shape=in_shape,
                out_shape=(oc, oh, ow),
                kernel=(kh, kw),
                stride=op.strides(),
                padding=op.paddings(),
                columns=settings["columns"],
                channels=settings["channels"],
                units=settings["units"],
                time_steps=time_steps,
                weight_bits=weight_type.width.data,
                accumulator_width=snn.width_of(op.output) if lif is None else lif.accumulator_bits(
                    weights, dense_to_numpy(_bias(op, oc)), time_steps
                ),
                shift=0 if lif is not None else neuron.shift.value.data,
                bias=_bias(op, oc),
                input=source.symbol,
                weights=rom.symbol,
                output=target.symbol,
                pool=pool,
                lif=lif,
            )
            body += [rom, unit, target]
        elif stage.kind == "pool":
            channels, ih, iw = source.shape()[:3]
            _, _, oh, ow = snn.shape_of(op.output)
            target = snnhw.BufferOp(f"{name}_out", channels, oh, ow, time_steps, "hidden")
            unit = snnhw.PoolUnitOp(
                name,
                mode="max" if isinstance(op, snn.MaxPool2dOp) else "avg",
                channels=channels,
                in_size=(ih, iw),
                out_size=(oh, ow),
                kernel=op.kernel_size(),
                stride=op.strides(),
                padding=op.paddings(),
                time_steps=time_steps,
                input=source.symbol,
                output=target.symbol,
            )
            body += [unit, target]
        else:
            index = linear_index
            linear_index += 1
            weights = dense_to_numpy(op.weight)
            out_features, in_features = weights.shape
            lif = None if stage.lif is None else lif_neuron(stage, location)
            unit_steps = source.shape()[3]  # planes read: T, or the radix input's bits (direct coding)
            if lif is not None:
                neuron = None if stage.readout is not None else stage.lif  # None: the output layer
                if lif_network and isinstance(encode, snn.EncodeOp) and stage is network[0]:
                    lif = dataclasses.replace(lif, steps=time_steps)
            settings = {"P": DEFAULT_PARALLELISM}
            if linear_list is not None:
                settings["P"] = linear_list[0 if len(linear_list) == 1 else index]
            settings.update(parallelism.for_layer(name, "linear"))
            p, q = settings["P"], settings.get("Q", 1)
            word = source.word_width.value.data
            # P given for this layer by name must fit it (as conv's settings); the defaults and
            # --linear-parallelism apply to every layer and are clamped to each. Q is clamped to
            # the input buffer's word width (a property of the layer before, not of this one).
            _check_options(parallelism.layers.get(name, {}), name, {"P": out_features})
            q = min(q, word)
            if p < 1:
                raise E3NEError(f"linear-parallelism must be >= 1, got {p}")
            p = min(p, out_features)
            if neuron is None:
                # the P logits drain while the next group accumulates
                drain = chunk_count(in_features, word, q) * unit_steps
                if parallelism.layers.get(name, {}).get("P", 0) > drain:
                    raise E3NEError(
                        f"parallelism {name}.P={parallelism.layers[name]['P']} exceeds {drain} for layer '{name}': the output layer's P logits "
                        f"drain while the next group accumulates ({drain} cycles with Q={q})",
                        hint=f"use {name}.P={drain} or less",
                    )
                p = min(p, drain)
            weight_type = op.weight.get_element_type()
            rom = _rom(f"{name}_weights", pack_weights(weights, p, q, source.word_width.value.data), weight_type)
            accumulator_width = snn.width_of(op.output)
            if lif is not None and lif.steps is None:
                accumulator_width = lif.accumulator_bits(weights, dense_to_numpy(_bias(op, out_features)), time_steps)
            groups = ceil_div(out_features, p)
            if neuron is None:
                target = snnhw.LogitBufferOp("logits", out_features, groups * p, accumulator_width)
            else:
                target = snnhw.BufferOp(f"{name}_out", groups, 1, p, time_steps, "hidden")
            unit = snnhw.LinearUnitOp(
                name,
                in_features=in_features,
                out_features=out_features,
                parallelism=p,
                time_steps=unit_steps,
                weight_bits=weight_type.width.data,
                accumulator_width=accumulator_width,
                shift=0 if neuron is None or lif is not None else neuron.shift.value.data,
                output_layer=neuron is None,
                bias=_bias(op, out_features),
                input=source.symbol,
                weights=rom.symbol,
                output=target.symbol,
                input_parallelism=q,
                lif=lif,
            )
            body += [rom, unit, target]
        units.append(unit)
        source = target
    is_slice = isinstance(encode, snn.LayerInputOp)  # a slice may end in a hidden layer
    if not units or not (is_slice or units[-1].is_output()):
        raise E3NEError("the network must end with an output snn.linear (no neuron)", location=location)
    parallelism.check_layers(names)
    weighted = [s for s in units if s.HAS_WEIGHTS]
    chosen = offchip_layers(offchip_weights, [s.symbol for s in weighted])
    memory_model: dict[str, int] = {}
    if chosen:
        check_memory_model(axi_data_width, memory_latency)
        memory_model = {"axi_data_width": axi_data_width, "memory_latency": memory_latency}
        roms = {op.symbol: op for op in body if isinstance(op, snnhw.RomOp)}
        assign_base_addresses([roms[s.weights.root_reference.data] for s in weighted if s.symbol in chosen], axi_data_width)
    accelerator = snnhw.AcceleratorOp(function.sym_name.data, time_steps, Region(Block(body)), **memory_model)
    # the schedule is computed once the units sit in the accelerator (they look up their buffers)
    accelerator.body.block.add_op(
        snnhw.ScheduleOp(
            [s.symbol for s in units], [s.cycles() for s in units], [s.overhead_cycles() for s in units]
        )
    )
    return accelerator


def check_lif_network(encode, network, location: str) -> int:
    """T of an IF/LIF network the hardware supports, else an error: conv2d/linear layers each with
    an snn.lif, fed by rate coding, or by direct coding (`snn.encode` read at every step) into a
    hidden linear first layer."""
    for stage in network:
        if stage.lif is None or stage.pooling is not None:
            raise E3NEError(
                f"stage {stage.name} ({stage.layer.name}): the hardware builds IF/LIF networks of snn.conv2d/"
                "snn.linear layers each followed by snn.lif (and flatten); pooling spikes is not built yet",
                location=location,
            )
        if stage.kind == "conv" and stage.readout is not None:
            raise E3NEError(f"stage {stage.name}: the output layer must be linear", location=location)
    if isinstance(encode, snn.EncodeOp):
        first = network[0]
        if first.kind != "linear" or first.readout is not None:
            raise E3NEError(
                "a direct-coded IF/LIF network (snn.encode at every step) is built only with a hidden "
                "linear first layer; direct-coded convolutions are not built yet (use snn.rate_encode)",
                location=location,
            )
        return first.lif.steps()
    if not isinstance(encode, snn.RateEncodeOp):
        raise E3NEError("an IF/LIF network must start with snn.rate_encode or snn.encode", location=location)
    return encode.steps()


def lif_neuron(stage, location: str) -> LifNeuron:
    """The unit's LIF neuron from the stage's integer snn.lif (and readout, for the output layer)."""
    lif = stage.lif
    where = f"{location}, stage {stage.name}"
    beta, threshold = lif.beta_values(), lif.threshold_values()
    if len(set(beta.tolist())) != 1 or len(set(threshold.tolist())) != 1:
        raise E3NEError(
            "per-channel beta or threshold is not built in hardware yet (one value per layer is)", location=where
        )
    readout = None
    if stage.readout is not None:
        pair = (lif.output_mode(), stage.readout.reduction())
        readouts = {("spikes", "sum"): "count", ("membrane", "last"): "membrane"}
        if pair not in readouts:
            raise E3NEError(
                f"the hardware reads out spike counts (output = \"spikes\", reduce = \"sum\") or the last "
                f"membrane (output = \"membrane\", reduce = \"last\"), got output = \"{pair[0]}\", reduce = \"{pair[1]}\"",
                location=where,
            )
        readout = readouts[pair]
    elif lif.output_mode() != "spikes":
        raise E3NEError("a hidden snn.lif must give spikes (output = \"spikes\")", location=where)
    return LifNeuron(int(beta[0]), lif.leak_bits.value.data, int(threshold[0]), lif.reset_kind(), readout)


def needs_width_inference(module: ModuleOp) -> bool:
    return any(
        snn.width_of(layer.output) >= snn.MAX_ACCUMULATOR_BITS
        for layer in module.walk()
        if isinstance(layer, snn.LinearOp | snn.Conv2dOp) and layer.is_quantized()
    )


@dataclass(frozen=True)
class LowerSnnToSnnhw(ModulePass):
    name = "lower-snn-to-snnhw"

    linear_parallelism: tuple[int, ...] = ()
    parallelism: str = ""
    fuse_pooling: bool = True
    offchip_weights: str = "none"
    axi_data_width: int = DEFAULT_AXI_DATA_WIDTH
    memory_latency: int = DEFAULT_MEMORY_LATENCY

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = [f for f in op.body.ops if isinstance(f, func.FuncOp)]
        if len(functions) != 1:
            raise E3NEError(f"expected one network function, found {len(functions)}")
        if needs_width_inference(op):
            raise E3NEError("accumulator widths are not inferred (si64); run snn-infer-widths first")
        accelerator = lower_function(
            functions[0],
            parse_settings(self.parallelism),
            parse_parallelism(self.linear_parallelism),
            self.fuse_pooling,
            self.offchip_weights,
            self.axi_data_width,
            self.memory_latency,
        )
        Rewriter.replace_op(functions[0], accelerator, [])
