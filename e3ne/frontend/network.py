"""Network-level rules on the imported chain of float snn ops (docs/numerics.md §6, §8).

* every hidden compute layer (conv/linear, optionally followed by batchnorm) is
  followed by a ReLU; max pooling and flatten may sit between the layer and its ReLU
  (they commute with ReLU) and are moved after it; average pooling may not;
* batchnorm directly follows a compute layer (it is folded into it);
* the last compute layer is the output: no ReLU and no pooling after it, and the
  network returns (1, K) logits.

A ReLU that follows a layer's own ReLU (its input is already non-negative) is dropped.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.frontend.tracing import Origin

COMPUTE = (snn.Conv2dOp, snn.LinearOp)
COMMUTES_WITH_RELU = (snn.MaxPool2dOp, snn.FlattenOp)


def check_network(block: Block, origins: dict[Operation, Origin]) -> None:
    """Check the chain in `block` (input ... return) and move ReLUs next to their layer."""
    layers = [op for op in block.ops if op in origins and not isinstance(op, snn.InputOp)]
    computes = [i for i, op in enumerate(layers) if isinstance(op, COMPUTE)]
    if not computes:
        raise E3NEError(
            "the model has no nn.Conv2d or nn.Linear layer; e3ne needs at least one to produce logits",
            location=next(iter(origins.values())).location if origins else None,
        )
    for op in layers:
        shape = snn.shape_of(op.results[0]) if op.results else ()
        if 0 in shape:
            raise _misplaced(
                op, origins, f"gives an empty output (shape {'x'.join(map(str, shape))}); every layer needs at "
                "least one feature, channel and pixel"
            )

    for op in layers[: computes[0]]:
        if isinstance(op, (snn.ReluOp, snn.BatchNormOp)):
            raise _misplaced(op, origins, "comes before the first nn.Conv2d/nn.Linear layer")

    for position, start in enumerate(computes):
        end = computes[position + 1] if position + 1 < len(computes) else len(layers)
        segment = layers[start + 1 : end]
        compute = layers[start]
        anchor = segment[0] if segment and isinstance(segment[0], snn.BatchNormOp) else compute
        for op in segment[1:]:
            if isinstance(op, snn.BatchNormOp):
                raise _misplaced(
                    op, origins, f"does not directly follow {origins[compute].describe()}; "
                    "batch norm must come right after a conv/linear layer (it is folded into it)"
                )
        if end == len(layers):
            _check_output_layer(compute, segment, origins)
        else:
            _place_relu(compute, anchor, segment, origins)


def _place_relu(compute: Operation, anchor: Operation, segment: list[Operation], origins) -> None:
    relus = [op for op in segment if isinstance(op, snn.ReluOp)]
    layer = origins[compute]
    if not relus:
        raise E3NEError(
            f"hidden layer {layer.describe()} is not followed by a ReLU; every conv/linear layer except "
            "the last must be followed by ReLU (radix neurons are ReLU neurons)",
            location=layer.location,
            hint="add nn.ReLU() after it, or make it the last layer",
        )
    relu = relus[0]
    between = segment[segment.index(anchor) + 1 if anchor is not compute else 0 : segment.index(relu)]
    for op in between:
        if not isinstance(op, COMMUTES_WITH_RELU):
            raise E3NEError(
                f"{origins[op].describe()} sits between {layer.describe()} and its ReLU "
                f"{origins[relu].describe()}; only max pooling and flatten commute with ReLU",
                location=origins[op].location,
                hint="apply the ReLU before the average pooling",
            )
    for extra in relus[1:]:  # its input is already non-negative
        extra.output.replace_all_uses_with(extra.input)
        extra.detach()
        extra.erase()
        del origins[extra]
    if between:  # conv -> maxpool -> relu  ==>  conv -> relu -> maxpool
        relu.output.replace_all_uses_with(relu.input)
        relu.detach()
        relu.erase()
        moved = snn.ReluOp(anchor.results[0])
        follower = between[0]
        anchor.parent_block().insert_op_after(moved, anchor)
        follower.operands[0] = moved.output
        origins[moved] = origins.pop(relu)


def _flatten_hint(compute: Operation) -> str:
    """What to add after a final convolution: its output's C*H*W features into a linear layer."""
    _, channels, height, width = snn.shape_of(compute.results[0])
    features = channels * height * width
    return (
        f"end the network with a linear layer: after this convolution add nn.ReLU(), nn.Flatten() and "
        f"nn.Linear({features}, CLASSES) ({channels}x{height}x{width} = {features} features), then retrain or "
        "fine-tune; the hardware's output layer is a linear unit"
    )


def _check_output_layer(compute: Operation, segment: list[Operation], origins) -> None:
    layer = origins[compute]
    for op in segment:
        if isinstance(op, snn.ReluOp):
            raise E3NEError(
                f"the output layer {layer.describe()} is followed by ReLU {origins[op].describe()}; "
                "the last conv/linear layer gives the logits and must not have a ReLU",
                location=origins[op].location,
                hint="remove the final ReLU (argmax of the logits is the prediction)",
            )
        if not isinstance(op, (snn.BatchNormOp, snn.FlattenOp)):
            raise E3NEError(
                f"{origins[op].describe()} comes after the output layer {layer.describe()}; only flatten may follow it",
                location=origins[op].location,
                hint=_flatten_hint(compute) if isinstance(compute, snn.Conv2dOp) else None,
            )
    if isinstance(compute, snn.Conv2dOp):  # a fully convolutional classifier
        raise E3NEError(
            f"the output layer {layer.describe()} is a convolution; e3ne's last layer must be an nn.Linear "
            "that gives the (batch, classes) logits",
            location=layer.location,
            hint=_flatten_hint(compute),
        )
    result = segment[-1].results[0] if segment else compute.results[0]
    shape = snn.shape_of(result)
    if len(shape) != 2:
        raise E3NEError(
            f"the network returns a tensor of shape {'x'.join(map(str, shape))}; it must return (batch, classes) "
            "logits",
            location=origins[segment[-1] if segment else compute].location,
            hint="flatten the output of a final convolution",
        )


def _misplaced(op: Operation, origins: dict[Operation, Origin], what: str) -> E3NEError:
    return E3NEError(f"{origins[op].describe()} {what}", location=origins[op].location)


def verify_with_origins(module: ModuleOp, origins: dict[Operation, Origin]) -> None:
    """Verify each op, naming its layer on failure (a failure here is an importer bug)."""
    for op in module.walk():
        if isinstance(op, (ModuleOp, func.FuncOp)):
            continue
        try:
            op.verify()
        except (VerifyException, DiagnosticException) as error:
            origin = origins.get(op)
            name = origin.describe() if origin else op.name
            raise E3NEError(
                f"the imported IR of {name} does not verify: {error}",
                location=origin.location if origin else None,
            ) from None
    try:
        module.verify()
    except (VerifyException, DiagnosticException) as error:
        raise E3NEError(f"the imported IR does not verify: {error}") from None
