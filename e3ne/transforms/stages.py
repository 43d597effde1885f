"""The hardware stages of an integer snn network: which snn ops become one unit.

A stage is an `snn.conv2d` with its `snn.radix_neuron` (and, with `fuse_pooling`, the
max/avg pooling right after it whose window equals its stride, no padding), a stand-alone
max/avg pooling, or an `snn.linear` with its `snn.radix_neuron` (the output linear, the last
layer, has none); a `snn.flatten` in front of a layer belongs to that layer's stage. Stages
are named as the hardware names them: conv1.., pool1.., fc1.. in network order.

`lower-snn-to-snnhw` makes one unit of each stage, `snn-slice-layer` cuts one stage out.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.ir import Operation, SSAValue

from e3ne.dialects import snn
from e3ne.errors import E3NEError

PREFIXES = {"conv": "conv", "pool": "pool", "linear": "fc"}  # stage kind -> name prefix


@dataclass
class Stage:
    """The snn ops of one hardware stage, in program order (leading flattens included)."""

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

    @property
    def layer(self) -> Operation:
        """The conv2d, linear or pooling op the stage is built around."""
        return next(op for op in self.ops if not isinstance(op, snn.FlattenOp))

    @property
    def neuron(self) -> snn.RadixNeuronOp | None:
        return next((op for op in self.ops if isinstance(op, snn.RadixNeuronOp)), None)

    @property
    def lif(self) -> snn.LifOp | None:
        """The IF/LIF neuron of the stage (docs/lif.md), None for a radix stage."""
        return next((op for op in self.ops if isinstance(op, snn.LifOp)), None)

    @property
    def readout(self) -> snn.ReadoutOp | None:
        """The readout of a LIF network's output stage."""
        return next((op for op in self.ops if isinstance(op, snn.ReadoutOp)), None)

    @property
    def pooling(self) -> snn.Pool2dOp | None:
        """The pooling fused into a conv stage (None for a stand-alone pooling stage)."""
        if self.kind != "conv":
            return None
        return next((op for op in self.ops if isinstance(op, snn.MaxPool2dOp | snn.AvgPool2dOp)), None)


def fusable_pooling(op: Operation) -> bool:
    """Pooling that a conv unit can do at its output: window = stride, no padding."""
    return (
        isinstance(op, snn.MaxPool2dOp | snn.AvgPool2dOp)
        and op.kernel_size() == op.strides()
        and op.paddings() == (0, 0)
    )


def network_input(function: func.FuncOp) -> snn.EncodeOp | snn.LayerInputOp | snn.RateEncodeOp:
    """The network's first op: `snn.encode`, `snn.rate_encode` (a rate-coded LIF network), or
    `snn.layer_input` for a slice."""
    ops = list(function.body.ops)
    if not ops or not isinstance(ops[0], snn.EncodeOp | snn.LayerInputOp | snn.RateEncodeOp):
        raise E3NEError(
            "the network must start with snn.encode or snn.rate_encode (or snn.layer_input, for a slice)",
            location=f"func @{function.sym_name.data}",
        )
    return ops[0]


def network_stages(function: func.FuncOp, fuse_pooling: bool = True) -> list[Stage]:
    """The stages of an integer network (after its `network_input`), in network order."""
    location = f"func @{function.sym_name.data}"
    network_input(function)
    rest = [op for op in function.body.ops if not isinstance(op, func.ReturnOp)][1:]
    for op in rest:
        if isinstance(op, snn.ComputeOp) and not op.is_quantized():
            raise E3NEError(f"{op.name} is still float; run snn-quantize first", location=location)
    stages: list[Stage] = []
    counts = {prefix: 0 for prefix in PREFIXES.values()}
    pending: list[Operation] = []  # flattens in front of the next layer
    while rest:
        op = rest.pop(0)
        if isinstance(op, snn.FlattenOp):
            pending.append(op)
            continue
        group = [*pending, op]
        pending = []
        if isinstance(op, snn.Conv2dOp):
            kind = "conv"
            if rest and isinstance(rest[0], snn.LifOp):
                group.append(rest.pop(0))
            elif not rest or not isinstance(rest[0], snn.RadixNeuronOp):
                raise E3NEError(
                    "a convolution must be followed by snn.radix_neuron (the output layer must be linear)",
                    location=location,
                )
            else:
                group.append(rest.pop(0))
            if fuse_pooling and rest and fusable_pooling(rest[0]):
                group.append(rest.pop(0))
        elif isinstance(op, snn.MaxPool2dOp | snn.AvgPool2dOp):
            kind = "pool"
        elif isinstance(op, snn.LinearOp):
            kind = "linear"
            if rest and isinstance(rest[0], snn.RadixNeuronOp):
                group.append(rest.pop(0))
            elif rest and isinstance(rest[0], snn.LifOp):
                group.append(rest.pop(0))
                if rest and isinstance(rest[0], snn.ReadoutOp):
                    group.append(rest.pop(0))
            elif rest:
                raise E3NEError(
                    f"snn.linear must be followed by snn.radix_neuron, found {rest[0].name}"
                    " (only the output linear, the last layer, has none)",
                    location=location,
                )
        else:
            raise E3NEError(
                f"the hardware path does not support {op.name} here",
                location=location,
                hint="supported: snn.conv2d/snn.linear + snn.radix_neuron, snn.max_pool2d, snn.avg_pool2d, snn.flatten",
            )
        prefix = PREFIXES[kind]
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
