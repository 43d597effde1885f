"""`snn-slice-layer`: cut one hardware stage out of an integer snn network.

A stage is what `lower-snn-to-snnhw` turns into one unit, grouped by
`e3ne.transforms.stages.network_stages` (conv + neuron + fused pooling, stand-alone pooling,
linear + neuron; a leading flatten included), named conv1.., pool1.., fc1.. in order.

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
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.transforms.common import network_function
from e3ne.transforms.stages import Stage, find_stage, network_stages


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
