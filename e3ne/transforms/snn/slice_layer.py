"""`snn-slice-layer`: cut one hardware stage out of an integer snn network.

A stage is what `lower-snn-to-snnhw` turns into one unit: an `snn.conv2d` with its
`snn.radix_neuron` (and, with `fuse-pooling`, the max/avg pooling right after it whose window
equals its stride), a stand-alone pooling, or an `snn.linear` with its `snn.radix_neuron`
(the output linear has none); a `snn.flatten` in front of a layer belongs to that layer's
stage. Stages are named as the hardware names them: conv1.., pool1.., fc1.. in order.

The slice replaces the network function `@net` with `@net_<stage>`, which takes the stage's
integer input activations through `snn.layer_input` and returns the stage's output: T-bit
activations for a hidden stage, the logits for the output layer. The golden model and the
hardware path run it like a whole network, so one layer can be checked on its own.

    e3ne-opt net.quant.mlir -p 'snn-slice-layer{stage=conv2}'

Option `row-width`: for a stage with a flat (N, F) input, the row width of the buffer it reads
in the whole network (the previous linear unit's P), so that its hardware is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.lowering.snn_to_snnhw import fusable_pooling
from e3ne.transforms.common import network_function


@dataclass
class Stage:
    """The snn ops of one hardware stage, in program order (a leading flatten included)."""

    name: str
    kind: str  # "conv", "pool" or "linear"
    ops: list[Operation]

    @property
    def input(self) -> SSAValue:
        return self.ops[0].operands[0]

    @property
    def output(self) -> Operation:
        """The op whose result is the stage's output."""
        return self.ops[-1]


def network_stages(function: func.FuncOp, fuse_pooling: bool = True) -> list[Stage]:
    """The stages of an integer network, grouped as `lower-snn-to-snnhw` groups them."""
    location = f"func @{function.sym_name.data}"
    ops = [op for op in function.body.ops if not isinstance(op, func.ReturnOp)]
    if not ops or not isinstance(ops[0], snn.EncodeOp | snn.LayerInputOp):
        raise E3NEError("the network must start with snn.encode or snn.layer_input", location=location)
    rest = ops[1:]
    stages: list[Stage] = []
    counts = {"conv": 0, "pool": 0, "fc": 0}
    pending: list[Operation] = []  # flattens in front of the next layer
    while rest:
        op = rest.pop(0)
        if isinstance(op, snn.FlattenOp):
            pending.append(op)
            continue
        group = [*pending, op]
        pending = []
        if isinstance(op, snn.Conv2dOp | snn.LinearOp):
            if not op.is_quantized():
                raise E3NEError(f"{op.name} is still float; run snn-quantize first", location=location)
            if rest and isinstance(rest[0], snn.RadixNeuronOp):
                group.append(rest.pop(0))
            elif isinstance(op, snn.Conv2dOp):
                raise E3NEError("a convolution must be followed by snn.radix_neuron", location=location)
            if isinstance(op, snn.Conv2dOp) and fuse_pooling and rest and fusable_pooling(rest[0]):
                group.append(rest.pop(0))
            kind, prefix = ("conv", "conv") if isinstance(op, snn.Conv2dOp) else ("linear", "fc")
        elif isinstance(op, snn.MaxPool2dOp | snn.AvgPool2dOp):
            kind, prefix = "pool", "pool"
        else:
            raise E3NEError(f"{op.name} cannot start a hardware stage", location=location)
        counts[prefix] += 1
        stages.append(Stage(f"{prefix}{counts[prefix]}", kind, group))
    if pending:
        raise E3NEError("the network ends with snn.flatten", location=location)
    return stages


def find_stage(stages: list[Stage], name: str) -> Stage:
    for stage in stages:
        if stage.name == name:
            return stage
    raise E3NEError(f"no stage '{name}'", hint="stages: " + ", ".join(s.name for s in stages))


def slice_function(function: func.FuncOp, stage: Stage, row_width: int | None = None) -> func.FuncOp:
    """`@<net>_<stage>(a) -> the stage's output`, the stage's ops cloned behind `snn.layer_input`."""
    if row_width is not None and len(snn.shape_of(stage.input)) != 2:
        raise E3NEError(f"row-width applies to a stage with a flat input; {stage.name} reads a tensor of rank "
                        f"{len(snn.shape_of(stage.input))}")
    block = Block(arg_types=[stage.input.type])
    layer_input = snn.LayerInputOp(block.args[0], row_width)
    block.add_op(layer_input)
    mapping: dict[SSAValue, SSAValue] = {stage.input: layer_input.output}
    for op in stage.ops:
        block.add_op(op.clone(value_mapper=mapping))
    result = mapping[stage.output.results[0]]
    block.add_op(func.ReturnOp(result))
    return func.FuncOp(
        f"{function.sym_name.data}_{stage.name}", ([stage.input.type], [result.type]), Region(block)
    )


def slice_module(module: ModuleOp, name: str, fuse_pooling: bool = True, row_width: int | None = None) -> ModuleOp:
    """A new module holding only the slice of stage `name` of `module`'s network."""
    function = network_function(module)
    stage = find_stage(network_stages(function, fuse_pooling), name)
    return ModuleOp([slice_function(function, stage, row_width)])


@dataclass(frozen=True)
class SliceLayerPass(ModulePass):
    """Replace the network function with the slice of one stage (`stage=conv2`)."""

    name = "snn-slice-layer"

    stage: str = ""
    fuse_pooling: bool = True
    row_width: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.stage:
            raise E3NEError("snn-slice-layer needs a stage, e.g. {stage=conv1}")
        function = network_function(op)
        stage = find_stage(network_stages(function, self.fuse_pooling), self.stage)
        sliced = slice_function(function, stage, self.row_width or None)
        function.detach()
        function.erase()
        op.body.block.add_op(sliced)
