"""`SpikingChain` -> float `snn` IR of one time step (docs/lif.md): `snn.input` (direct coding)
or `snn.rate_encode` of the argument (rate coding), the layers, `snn.lif` per neuron layer,
`snn.readout` of the output layer (spike count, or the last membrane).

NIR SumPool2d becomes `snn.avg_pool2d` with the preceding layer's weights and bias
multiplied by the window size (exact in float for power-of-two windows such as 2x2).
Per-neuron beta/threshold must be one value per channel (dim 1): a conv neuron with
per-pixel values is refused. How the chain was read (NIR dt and leak, learned values,
threshold gains) is recorded as module attributes `e3ne.frontend` and `e3ne.notes`.
"""

from __future__ import annotations

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr, TensorType, f32
from xdsl.ir import Block, Region, SSAValue

from e3ne.dense import numpy_to_dense
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.frontend.network import verify_with_origins
from e3ne.frontend.spiking import chain as c

CODINGS = ("direct", "rate")
MAX_TIME_STEPS = 32


def _dense(array: np.ndarray):
    return numpy_to_dense(np.asarray(array, dtype=np.float32), f32)


def per_channel(layer: c.Neuron, what: str, shape: tuple[int, ...]) -> np.ndarray:
    """`beta`/`threshold` as 1 value or one per channel (dim 0 of the neuron shape)."""
    value = np.asarray(getattr(layer, what), dtype=np.float32)
    if value.ndim == 0 or value.size == 1:
        return value.reshape(1)
    full = np.broadcast_to(value, shape)
    channels = full.reshape(shape[0], -1)
    if not np.all(channels == channels[:, :1]):
        raise layer.error(
            f"has a {what} that differs between neurons of one channel; e3ne's neurons take one value per layer "
            "or per channel"
        )
    flat = channels[:, 0].copy()
    return flat[:1] if np.all(flat == flat[0]) else flat


def emit_chain(chain: c.SpikingChain, time_steps: int, coding: str = "direct", seed: int = 1,
               name: str = "net", fold_pooling: bool = False) -> ModuleOp:
    """The verified float snn module of `chain` run for `time_steps` steps.

    `fold_pooling`: average pooling between a convolution and its neuron becomes part of the
    convolution (`fold_average_pools`), as the IF/LIF hardware needs (every compute layer
    feeds its neuron directly); equal in exact arithmetic, float rounding may differ."""
    if not 1 <= time_steps <= MAX_TIME_STEPS:
        raise E3NEError(f"--time-steps must be in [1, {MAX_TIME_STEPS}] for IF/LIF networks, got {time_steps}")
    if coding not in CODINGS:
        raise E3NEError(f"--coding must be one of {', '.join(CODINGS)}, got {coding!r}")
    c.check_chain(chain)
    layers = _fold_sum_pools(chain.layers)
    folded = []
    if fold_pooling:
        layers, folded = fold_average_pools(layers)
    shapes = _shapes(layers, chain.input_shape)
    input_type = TensorType(f32, [1, *chain.input_shape])
    block = Block(arg_types=[input_type])
    block.args[0].name_hint = "x"
    origins = {}
    last_neuron = max(i for i, layer in enumerate(layers) if isinstance(layer, c.Neuron))
    with ImplicitBuilder(block):
        if coding == "rate":  # docs/lif.md: snn.rate_encode reads the function argument itself
            value: SSAValue = snn.RateEncodeOp(block.args[0], time_steps, seed=seed).results[0]
        else:
            value = snn.InputOp(block.args[0]).results[0]
        for index, (layer, shape) in enumerate(zip(layers, shapes)):
            result_type = TensorType(f32, [1, *shape])
            if isinstance(layer, c.Linear):
                bias = None if layer.bias is None else _dense(layer.bias)
                op = snn.LinearOp(value, _dense(layer.weight), bias, result_type)
            elif isinstance(layer, c.Conv2d):
                bias = None if layer.bias is None else _dense(layer.bias)
                op = snn.Conv2dOp(value, _dense(layer.weight), bias, layer.stride, layer.padding, result_type)
            elif isinstance(layer, c.Pool2d):
                pool = snn.MaxPool2dOp if layer.mode == "max" else snn.AvgPool2dOp
                op = pool(value, layer.kernel, layer.stride, (0, 0), result_type)
            elif isinstance(layer, c.Flatten):
                op = snn.FlattenOp(value)
            else:
                output = "membrane" if index == last_neuron and chain.readout == "membrane" else "spikes"
                op = snn.LifOp(value, time_steps, per_channel(layer, "beta", shape),
                               per_channel(layer, "threshold", shape), reset=layer.reset, output=output)
            origins[op] = layer
            value = op.results[0]
        reduce = "last" if chain.readout == "membrane" else "sum"
        value = snn.ReadoutOp(value, time_steps, reduce=reduce).results[0]
        func.ReturnOp(value)
    function = func.FuncOp(name, ([input_type], [value.type]), Region(block))
    module = ModuleOp([function])
    notes = list(chain.notes) + [f"{name}: folded into the convolution before it" for name in folded] + [f"{layer.describe()}: {note}" for layer in layers for note in getattr(layer, "notes", [])]
    module.attributes["e3ne.frontend"] = StringAttr(f"{chain.source}, {coding} coding, T={time_steps}")
    if notes:
        module.attributes["e3ne.notes"] = ArrayAttr([StringAttr(note) for note in notes])
    verify_with_origins(module, {op: _Origin(layer) for op, layer in origins.items()})
    return module


class _Origin:
    def __init__(self, layer: c.Layer):
        self.layer = layer
        self.location = layer.location

    def describe(self) -> str:
        return self.layer.describe()


def _fold_sum_pools(layers: list[c.Layer]) -> list[c.Layer]:
    """SumPool2d -> AvgPool2d with the preceding Linear/Conv2d scaled by the window size."""
    out: list[c.Layer] = []
    for layer in layers:
        if isinstance(layer, c.Pool2d) and layer.mode == "sum":
            previous = out[-1] if out else None
            if not isinstance(previous, c.Conv2d):
                raise layer.error("does not directly follow a Conv2d; e3ne folds sum pooling into the convolution")
            size = np.float32(layer.kernel[0] * layer.kernel[1])
            scaled = c.Conv2d(name=previous.name, kind=previous.kind, location=previous.location,
                              weight=previous.weight * size, bias=None if previous.bias is None else previous.bias * size,
                              stride=previous.stride, padding=previous.padding)
            out[-1] = scaled
            out.append(c.Pool2d(name=layer.name, kind=layer.kind, location=layer.location, mode="avg",
                                kernel=layer.kernel, stride=layer.stride))
        else:
            out.append(layer)
    return out


def _shapes(layers: list[c.Layer], input_shape) -> list[tuple[int, ...]]:
    shapes, shape = [], tuple(input_shape)
    for layer in layers:
        shape = c.output_shape(layer, shape)
        shapes.append(shape)
    return shapes


def fold_average_pools(layers: list[c.Layer]) -> tuple[list[c.Layer], list[str]]:
    """Conv2d (kernel k, stride s, padding p) -> AvgPool2d (window w, stride v, no padding)
    == Conv2d (kernel k + (w-1)*s, stride s*v, padding p) with the window's shifted kernels
    averaged; the bias stays. Returns the new layers and the described pools folded away."""
    out: list[c.Layer] = []
    folded = []
    for layer in layers:
        previous = out[-1] if out else None
        if isinstance(layer, c.Pool2d) and layer.mode == "avg" and isinstance(previous, c.Conv2d):
            (wh, ww), (sh, sw) = layer.kernel, previous.stride
            k_out, k_in, kh, kw = previous.weight.shape
            weight = np.zeros((k_out, k_in, kh + (wh - 1) * sh, kw + (ww - 1) * sw), dtype=np.float64)
            for i in range(wh):
                for j in range(ww):
                    weight[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += previous.weight
            weight /= wh * ww
            out[-1] = c.Conv2d(
                name=previous.name, kind=previous.kind, location=previous.location,
                weight=weight.astype(np.float32), bias=previous.bias,
                stride=(sh * layer.stride[0], sw * layer.stride[1]), padding=previous.padding,
            )  # fmt: skip
            folded.append(layer.describe())
        else:
            out.append(layer)
    return out, folded
