"""One traced layer -> one float snn op, with the checks of what e3ne can compile.

`LayerBuilder` holds the fx node being imported and its `Origin`; each method checks a
layer's parameters (groups, dilation, ceil_mode, ...) and emits the snn op. The
`*_call` adapters bind the positional/keyword arguments of the functional forms
(`F.max_pool2d(x, 2)`, `F.conv2d(x, self.w, stride=2)`) to the same methods.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch.fx import Node
from xdsl.dialects.builtin import FloatAttr, TensorType, f32
from xdsl.ir import Operation, SSAValue

from e3ne.dense import numpy_to_dense
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.frontend.tracing import Origin

SUPPORTED = (
    "supported layers: nn.Conv2d (groups=1, dilation=1), nn.Linear, nn.BatchNorm1d/2d, "
    "nn.ReLU / F.relu / torch.relu / x.relu(), nn.MaxPool2d / nn.AvgPool2d / F.max_pool2d / F.avg_pool2d "
    "(ceil_mode=False), nn.AdaptiveAvgPool2d / nn.AdaptiveMaxPool2d with exact windows, "
    "flatten of all non-batch dimensions (nn.Flatten, torch.flatten(x, 1), x.view(x.size(0), -1)), "
    "x.mean((2, 3)) as global average pooling, nn.Dropout and nn.Identity (dropped); in a single chain"
)


def _shape_text(shape) -> str:
    return "x".join(str(d) for d in shape)


def _dense(tensor: torch.Tensor):
    return numpy_to_dense(tensor.detach().cpu().to(torch.float32).numpy().astype(np.float32), f32)


class LayerBuilder:
    """Checks and emits the snn op of one fx node."""

    def __init__(self, node: Node, origin: Origin, emit: Callable[[Operation], SSAValue]):
        self.node = node
        self.origin = origin
        self.emit = emit

    # ------------------------------------------------------------------ errors

    def reject(self, what: str, supported: str) -> E3NEError:
        return E3NEError(
            f"{self.origin.describe()} has {what}; e3ne supports {supported}", location=self.origin.location
        )

    def unsupported(self, reason: str | None = None) -> E3NEError:
        because = f" ({reason})" if reason else ""
        return E3NEError(
            f"{self.origin.describe()} is not supported{because}", location=self.origin.location, hint=SUPPORTED
        )

    def result_type(self) -> TensorType:
        meta = self.node.meta.get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            raise self.unsupported("it does not return one tensor")
        return TensorType(f32, list(meta.shape))

    def need_rank(self, x: SSAValue, ranks: tuple[int, ...], layout: str) -> tuple[int, ...]:
        shape = snn.shape_of(x)
        if len(shape) not in ranks:
            raise self.reject(f"an input of shape {_shape_text(shape)}", f"{layout} inputs for this layer")
        return shape

    def pair(self, value: Any, what: str) -> tuple[int, int]:
        if isinstance(value, int):
            return value, value
        if isinstance(value, (tuple, list)) and len(value) in (1, 2) and all(isinstance(v, int) for v in value):
            return (value[0], value[-1])
        raise self.reject(f"{what}={value!r}", f"an int or a pair of ints for {what}")

    def parameter(self, value: Any, what: str, rank: int) -> torch.Tensor:
        if not isinstance(value, torch.Tensor) or value.dim() != rank:
            raise self.unsupported(f"its {what} must be a constant rank-{rank} parameter of the model")
        return value

    # ------------------------------------------------------------------ layers

    def conv2d(self, x, weight, bias, stride, padding, dilation, groups) -> SSAValue:
        self.need_rank(x, (4,), "NCHW")
        weight = self.parameter(weight, "weight", 4)
        if groups != 1:
            raise self.reject(f"groups={groups}", "groups=1 only (no grouped or depthwise convolution)")
        if self.pair(dilation, "dilation") != (1, 1):
            raise self.reject(f"dilation={dilation}", "dilation=1 only")
        kernel = tuple(weight.shape[2:])
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
                raise self.reject(f"padding='same' with the even kernel {_shape_text(kernel)}", "symmetric padding")
            padding = (kernel[0] // 2, kernel[1] // 2)
        bias_attr = None if bias is None else _dense(self.parameter(bias, "bias", 1))
        op = snn.Conv2dOp(
            x, _dense(weight), bias_attr, self.pair(stride, "stride"), self.pair(padding, "padding"), self.result_type()
        )
        return self.emit(op)

    def linear(self, x, weight, bias) -> SSAValue:
        self.need_rank(x, (2,), "(batch, features) - flatten before a linear layer -")
        weight = self.parameter(weight, "weight", 2)
        bias_attr = None if bias is None else _dense(self.parameter(bias, "bias", 1))
        return self.emit(snn.LinearOp(x, _dense(weight), bias_attr, self.result_type()))

    def batchnorm(self, x, mean, var, gamma, beta, eps, kind: str = "batch_norm") -> SSAValue:
        ranks = {"BatchNorm1d": (2,), "BatchNorm2d": (4,)}.get(kind, (2, 4))
        self.need_rank(x, ranks, "(batch, features) or NCHW")
        mean = self.parameter(mean, "running_mean", 1)
        var = self.parameter(var, "running_var", 1)
        gamma = torch.ones_like(mean) if gamma is None else self.parameter(gamma, "weight", 1)
        beta = torch.zeros_like(mean) if beta is None else self.parameter(beta, "bias", 1)
        properties = {
            "gamma": _dense(gamma),
            "beta": _dense(beta),
            "mean": _dense(mean),
            "var": _dense(var),
            "eps": FloatAttr(float(eps), f32),
        }
        return self.emit(snn.BatchNormOp(operands=[x], result_types=[x.type], properties=properties))

    def relu(self, x: SSAValue) -> SSAValue:
        return self.emit(snn.ReluOp(x))

    def pool(
        self, x, kind: str, kernel, stride, padding, dilation=1, ceil_mode=False,
        return_indices=False, count_include_pad=True, divisor_override=None,
    ) -> SSAValue:
        self.need_rank(x, (4,), "NCHW")
        if ceil_mode:
            raise self.reject("ceil_mode=True", "ceil_mode=False only")
        if return_indices:
            raise self.reject("return_indices=True", "return_indices=False only")
        if self.pair(dilation, "dilation") != (1, 1):
            raise self.reject(f"dilation={dilation}", "dilation=1 only")
        if not count_include_pad:
            raise self.reject("count_include_pad=False", "count_include_pad=True only")
        if divisor_override is not None:
            raise self.reject(f"divisor_override={divisor_override}", "divisor_override=None only")
        kernel = self.pair(kernel, "kernel_size")
        stride = kernel if stride is None or stride == [] or stride == () else self.pair(stride, "stride")
        op_type = snn.MaxPool2dOp if kind == "max" else snn.AvgPool2dOp
        return self.emit(op_type(x, kernel, stride, self.pair(padding, "padding"), self.result_type()))

    def adaptive_pool(self, x, kind: str, output_size, return_indices=False) -> SSAValue:
        _, _, height, width = self.need_rank(x, (4,), "NCHW")
        if isinstance(output_size, int) or output_size is None:
            output_size = (output_size, output_size)
        out_h, out_w = (height if output_size[0] is None else output_size[0]), (
            width if output_size[-1] is None else output_size[-1]
        )
        if (out_h, out_w) == (height, width):
            return x
        if height % out_h or width % out_w:
            raise self.reject(
                f"output size {out_h}x{out_w} for a {height}x{width} input",
                "adaptive pooling only when the output size divides the input size (a plain pooling window)",
            )
        window = (height // out_h, width // out_w)
        return self.pool(x, kind, window, window, 0, return_indices=return_indices)

    def global_mean(self, x: SSAValue, dims, keepdim: bool = False) -> SSAValue:
        """`x.mean((2, 3))`: global average pooling (then a flatten unless keepdim)."""
        n, channels, height, width = self.need_rank(x, (4,), "NCHW")
        dims = [dims] if isinstance(dims, int) else list(dims or [])
        if sorted(d % 4 for d in dims) != [2, 3]:
            raise self.reject(f"dim={dims!r}", "a mean over the spatial dimensions (2, 3) only")
        window = (height, width)
        pooled = self.emit(snn.AvgPool2dOp(x, window, window, (0, 0), TensorType(f32, [n, channels, 1, 1])))
        return pooled if keepdim else self.emit(snn.FlattenOp(pooled))

    def reshape(self, x: SSAValue) -> SSAValue:
        """A flatten of all non-batch dimensions (or a no-op); anything else is rejected."""
        in_shape = snn.shape_of(x)
        out_shape = tuple(self.result_type().get_shape())
        if out_shape == in_shape:
            return x
        if len(in_shape) >= 2 and out_shape == (in_shape[0], int(np.prod(in_shape[1:]))):
            return self.emit(snn.FlattenOp(x))
        raise self.reject(
            f"a reshape from {_shape_text(in_shape)} to {_shape_text(out_shape)}",
            "only flattening all non-batch dimensions, e.g. torch.flatten(x, 1) or x.view(x.size(0), -1)",
        )


# ---------------------------------------------------------------------- functional forms


def _bind(layer: LayerBuilder, args: list, kwargs: dict, names: tuple[str, ...], **defaults) -> dict:
    values = dict(defaults)
    values.update(zip(names, args))
    values.update(kwargs)
    if not isinstance(values.get("input"), SSAValue):
        raise layer.unsupported("its first argument must be the network's activations")
    return values


def relu_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    return layer.relu(_bind(layer, args, kwargs, ("input", "inplace"))["input"])


def max_pool_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    names = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
    v = _bind(layer, args, kwargs, names, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)
    return layer.pool(
        v["input"], "max", v["kernel_size"], v["stride"], v["padding"], v["dilation"], v["ceil_mode"],
        v["return_indices"],
    )


def avg_pool_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    names = ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
    v = _bind(
        layer, args, kwargs, names, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
        divisor_override=None,
    )
    return layer.pool(
        v["input"], "avg", v["kernel_size"], v["stride"], v["padding"], ceil_mode=v["ceil_mode"],
        count_include_pad=v["count_include_pad"], divisor_override=v["divisor_override"],
    )


def adaptive_avg_pool_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    v = _bind(layer, args, kwargs, ("input", "output_size"))
    return layer.adaptive_pool(v["input"], "avg", v["output_size"])


def adaptive_max_pool_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    v = _bind(layer, args, kwargs, ("input", "output_size", "return_indices"), return_indices=False)
    return layer.adaptive_pool(v["input"], "max", v["output_size"], v["return_indices"])


def reshape_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    return layer.reshape(_bind(layer, args, kwargs, ("input",))["input"])


def mean_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    v = _bind(layer, args, kwargs, ("input", "dim", "keepdim"), dim=None, keepdim=False)
    return layer.global_mean(v["input"], v["dim"], v["keepdim"])


def conv2d_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    v = _bind(layer, args, kwargs, names, bias=None, stride=1, padding=0, dilation=1, groups=1)
    return layer.conv2d(v["input"], v["weight"], v["bias"], v["stride"], v["padding"], v["dilation"], v["groups"])


def linear_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    v = _bind(layer, args, kwargs, ("input", "weight", "bias"), bias=None)
    return layer.linear(v["input"], v["weight"], v["bias"])


def batchnorm_call(layer: LayerBuilder, args: list, kwargs: dict) -> SSAValue:
    names = ("input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps")
    v = _bind(layer, args, kwargs, names, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5)
    if v["training"]:
        raise layer.reject("training=True", "batch norm in inference mode (running statistics)")
    return layer.batchnorm(v["input"], v["running_mean"], v["running_var"], v["weight"], v["bias"], v["eps"])
