"""`snn-fold-normalization{mean=0.1307 std=0.3081}`: fold the input normalisation into the first layer.

A network trained on `z = (x - mean) / std` (torchvision's `Normalize`) sees negative inputs,
which the radix input encoder cannot represent (Numerics 4 clips them to 0). Folding the
normalisation into the first compute layer makes the network take the raw, non-negative
pixels `x` instead, with the same outputs:

    W'[o, c, ...] = W[o, c, ...] / std[c]
    B'[o]         = B[o] - sum_{c, ...} W[o, c, ...] * mean[c] / std[c]

`mean` and `std` are one value for all channels or one per input channel. A linear first
layer (after snn.flatten) scales each input feature by the statistics of its channel. Max
pooling and average pooling without padding before the first layer commute with the
normalisation (std > 0) and are kept. Exactness needs the first layer to see no padded
values: zero padding of the normalised input is the value `x = mean`, not a raw 0 pixel, so a
padded first convolution (or padded average pooling) with a non-zero mean is refused.

Run it on float IR before snn-calibrate (the calibration images are then raw pixels).
Arithmetic in float64, rounded once to float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import Float32Type, ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.transforms.common import describe, network_function


def _per_channel(values, channels: int, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 1:
        array = np.full(channels, array[0])
    if array.size != channels:
        raise E3NEError(
            f"{what} has {array.size} values but the input has {channels} channels",
            hint=f"give one {what} for all channels or one per channel ({channels})",
        )
    if not np.isfinite(array).all():
        raise E3NEError(f"{what} must be finite numbers, got {array.tolist()}")
    return array


def _first_layer(input_op: snn.InputOp) -> tuple[snn.ComputeOp, list[Operation]]:
    """The first compute layer and the ops between snn.input and it (flatten, pools)."""
    between: list[Operation] = []
    value = input_op.output
    while True:
        users = [use.operation for use in value.uses]
        if len(users) != 1:
            raise E3NEError(
                "the network input must reach exactly one first layer to fold the normalisation into it",
                location=describe(input_op),
            )
        (user,) = users
        if isinstance(user, snn.Conv2dOp | snn.LinearOp):
            return user, between
        if not isinstance(user, snn.FlattenOp | snn.MaxPool2dOp | snn.AvgPool2dOp):
            raise E3NEError(
                f"cannot fold the input normalisation past {user.name}: only snn.flatten and pooling may come "
                "before the first conv2d/linear",
                location=describe(user),
            )
        between.append(user)
        value = user.output


def fold_normalization(module: ModuleOp, mean, std) -> ModuleOp:
    """Fold `(x - mean) / std` into the first compute layer of float `module`, in place; returns it."""
    function = network_function(module)
    inputs = [op for op in function.walk() if isinstance(op, snn.InputOp)]
    if len(inputs) != 1:
        quantized = any(isinstance(op, snn.EncodeOp) for op in function.walk())
        raise E3NEError(
            "snn-fold-normalization runs on float IR before snn-quantize"
            if quantized
            else f"expected one snn.input, found {len(inputs)}",
            location=f"@{function.sym_name.data}",
        )
    (input_op,) = inputs
    for op in function.walk():
        if isinstance(op, snn.InputOp | snn.ReluOp) and op.calib_max is not None:
            raise E3NEError(
                "the network is already calibrated (on normalised inputs): run snn-fold-normalization before "
                "snn-calibrate and calibrate on raw pixels",
                location=describe(op),
            )
    shape = snn.shape_of(input_op.output)
    channels = shape[1]
    mean_c = _per_channel(mean, channels, "mean")
    std_c = _per_channel(std, channels, "std")
    if (std_c <= 0).any():
        raise E3NEError(f"std must be positive, got {std_c.tolist()}")
    layer, between = _first_layer(input_op)
    shifted = bool((mean_c != 0).any())
    for op in [*between, layer]:
        padded = isinstance(op, snn.Conv2dOp | snn.AvgPool2dOp) and any(op.paddings())
        if padded and shifted:
            raise E3NEError(
                f"cannot fold a non-zero mean into a layer that pads its input: the padding is 0 in the normalised "
                f"input, which is the raw pixel value mean ({', '.join(f'{m:g}' for m in mean_c)}), not 0, so the "
                "border outputs would change",
                location=describe(op),
                hint="pad the raw images yourself (with value `mean`) and remove the first layer's padding, or "
                "train on raw pixels (no mean subtraction; dividing by std alone folds exactly)",
            )
    weight = dense_to_numpy(layer.weight).astype(np.float64)
    bias = np.zeros(weight.shape[0]) if layer.bias is None else dense_to_numpy(layer.bias).astype(np.float64)
    if isinstance(layer, snn.Conv2dOp):
        if weight.shape[1] != channels:
            raise E3NEError(
                f"the first convolution reads {weight.shape[1]} channels, the input has {channels}",
                location=describe(layer),
            )
        per_input = lambda values: values.reshape(1, -1, 1, 1)  # noqa: E731
    else:  # a flattened (C, H, W) input or a flat (F,) one: each feature takes its channel's statistics
        features = weight.shape[1]
        per_input = lambda values: np.repeat(values, features // channels).reshape(1, -1)  # noqa: E731
    folded_weight = weight / per_input(std_c)
    folded_bias = bias - (weight * per_input(mean_c / std_c)).reshape(weight.shape[0], -1).sum(axis=1)
    layer.weight = numpy_to_dense(folded_weight.astype(np.float32), Float32Type())
    layer.bias = numpy_to_dense(folded_bias.astype(np.float32), Float32Type())
    return module


def _values(option) -> tuple[float, ...]:
    return tuple(float(v) for v in (option if isinstance(option, tuple) else (option,)))


@dataclass(frozen=True)
class FoldNormalizationPass(ModulePass):
    """Make the network take raw pixels x instead of (x - mean) / std (per channel or one value)."""

    name = "snn-fold-normalization"

    mean: tuple[float | int, ...]
    std: tuple[float | int, ...]

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fold_normalization(op, _values(self.mean), _values(self.std))
