"""torch.fx graph -> float `snn` IR, in the shape of torch-mlir's FX importer.

`FxImporter` walks `graph.nodes` once, dispatches on `node.op`, and binds each node's
value once in `self.values`: an `SSAValue` for an activation tensor, a constant for
everything that does not depend on the input (`get_attr` parameters, the size
arithmetic of a flatten such as `x.size(0)`, weight transforms such as
`self.weight * self.mask`; such nodes are evaluated while importing). Ops are created inside an `ImplicitBuilder` on the
function body. Layer semantics (what a conv or pool may look like) live in
`e3ne.frontend.layers`; network-level rules (ReLU placement) in `.network`.
"""

from __future__ import annotations

import builtins
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.fx import GraphModule, Node
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, f32
from xdsl.ir import Block, Operation, Region, SSAValue

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.frontend import layers
from e3ne.frontend.layers import LayerBuilder
from e3ne.frontend.network import check_network, verify_with_origins
from e3ne.frontend.tracing import Origin, propagate_shapes, trace_model

_DROPOUT_FUNCTIONS = {F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout}
_IDENTITY_METHODS = {"contiguous", "clone", "detach", "float"}
_SOFTMAX_HINT = "remove the final softmax: e3ne's network output is the logits (their argmax is the prediction)"


def import_model(model: nn.Module, input_shape: tuple[int, ...], name: str = "net") -> ModuleOp:
    """Trace `model` with torch.fx and return a verified module holding `func.func @<name>`."""
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) not in (1, 3) or min(input_shape, default=0) < 1:
        raise E3NEError(
            f"input shape {'x'.join(map(str, input_shape)) or '()'} is not supported",
            hint="give (channels, height, width) for a CNN or (features,) for an MLP, without the batch",
        )
    graph_module = trace_model(model)
    importer = FxImporter(graph_module)
    importer.check_structure()
    propagate_shapes(graph_module, input_shape)
    try:
        return importer.import_graph(name, input_shape)
    except E3NEError:
        raise
    except Exception as error:  # an importer bug: still no traceback for the user
        raise E3NEError(
            f"internal error importing {type(model).__name__}: {type(error).__name__}: {error}",
            hint="this is a bug in e3ne's frontend; please report it with the model",
        ) from None


class FxImporter:
    """Imports one traced `GraphModule` into a `func.func` of float snn ops."""

    def __init__(self, graph_module: GraphModule):
        self.graph_module = graph_module
        self.values: dict[Node, Any] = {}
        self.origins: dict[Operation, Origin] = {}
        self.consumer: dict[SSAValue, Node] = {}
        self.input_value: SSAValue | None = None
        self.block = Block()

    # ------------------------------------------------------------------ graph

    def check_structure(self) -> None:
        """Errors visible before running the model: extra inputs, unsupported modules."""
        inputs = [node for node in self.graph_module.graph.nodes if node.op == "placeholder"]
        if len(inputs) > 1:
            raise self.error(inputs[1], f"forward() takes a second input '{inputs[1].name}'; "
                             "e3ne networks have exactly one input")
        for node in self.graph_module.graph.nodes:
            if node.op != "call_module":
                continue
            module = self.graph_module.get_submodule(str(node.target))
            if not any(isinstance(module, module_type) for module_type, _ in MODULE_BUILDERS):
                softmax = isinstance(module, (nn.Softmax, nn.LogSoftmax))
                raise self.unsupported(node, hint=_SOFTMAX_HINT if softmax else None)
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.running_mean is None:
                raise self.layer(node).reject(
                    "track_running_stats=False", "batch norm with running statistics (eval mode)"
                )

    def import_graph(self, name: str, input_shape: tuple[int, ...]) -> ModuleOp:
        input_type = TensorType(f32, [1, *input_shape])
        self.input_value = self.block.insert_arg(input_type, 0)
        self.input_value.name_hint = "x"
        with ImplicitBuilder(self.block):
            for node in self.graph_module.graph.nodes:
                try:
                    self.values[node] = getattr(self, f"_import_{node.op}")(node)
                except E3NEError:
                    raise
                except Exception as error:  # an importer bug: still no traceback for the user
                    origin = Origin.of(node, self.graph_module)
                    raise E3NEError(
                        f"internal error importing {origin.describe()}: {type(error).__name__}: {error}",
                        location=origin.location,
                        hint="this is a bug in e3ne's frontend; please report it with the model",
                    ) from None
        check_network(self.block, self.origins)
        result_type = self.block.last_op.operands[0].type
        function = func.FuncOp(name, ([input_type], [result_type]), Region(self.block))
        module = ModuleOp([function])
        verify_with_origins(module, self.origins)
        return module

    def _import_placeholder(self, node: Node) -> SSAValue:
        return self.emit(node, snn.InputOp(self.input_value))

    def _import_get_attr(self, node: Node) -> Any:
        value: Any = self.graph_module
        for part in str(node.target).split("."):
            value = getattr(value, part)
        return value

    def _import_output(self, node: Node) -> None:
        result = node.args[0]
        if isinstance(result, (tuple, list, dict)):
            raise self.error(node, "forward() returns several values; it must return one tensor of logits")
        value = self.values.get(result) if isinstance(result, Node) else None
        if not isinstance(value, SSAValue):
            raise self.error(node, "forward() must return a tensor computed from its input")
        self.consume(value, node)
        for op, origin in self.origins.items():
            if op.results and op.results[0] not in self.consumer:
                raise E3NEError(
                    f"the result of {origin.describe()} is never used; e3ne compiles a single chain of layers",
                    location=origin.location,
                )
        func.ReturnOp(value)

    def _import_call_module(self, node: Node) -> Any:
        module = self.graph_module.get_submodule(str(node.target))
        x = self.tensor_arg(node, 0)
        for module_type, build in MODULE_BUILDERS:
            if isinstance(module, module_type):
                return build(self.layer(node), x, module)
        raise self.unsupported(node)  # check_structure has named it already

    def _import_call_function(self, node: Node) -> Any:
        target = node.target
        args = [self.resolve(a) for a in node.args]
        kwargs = {k: self.resolve(v) for k, v in node.kwargs.items()}
        tensor_args = [a for a in _leaves([*args, *kwargs.values()]) if isinstance(a, SSAValue)]
        if target is builtins.getattr and len(args) == 2 and args[1] == "shape" and tensor_args:
            return tuple(snn.shape_of(args[0]))
        if not tensor_args:
            return self.fold_constant(node, target, args, kwargs)
        if target in _DROPOUT_FUNCTIONS:
            return self.tensor_arg(node, 0)
        build = FUNCTION_BUILDERS.get(target)
        if build is None:
            hint = None
            if target in (F.softmax, F.log_softmax, torch.softmax, torch.log_softmax):
                hint = _SOFTMAX_HINT
            if len(tensor_args) > 1 or target in (torch.cat, torch.stack):
                hint = (
                    "combining tensors (residual connections, concatenation, products) is not supported: "
                    "the network must be a single chain"
                )
            raise self.unsupported(node, hint=hint)
        return build(self.layer(node), args, kwargs)

    def _import_call_method(self, node: Node) -> Any:
        method = str(node.target)
        args = [self.resolve(a) for a in node.args[1:]]
        x = self.resolve(node.args[0])
        if not isinstance(x, SSAValue):
            kwargs = {k: self.resolve(v) for k, v in node.kwargs.items()}
            return self.fold_constant(node, getattr(x, method, None), args, kwargs)
        if method == "size":
            shape = torch.Size(snn.shape_of(x))
            return shape if not args and "dim" not in node.kwargs else shape[(args or [node.kwargs["dim"]])[0]]
        if method == "dim":
            return len(snn.shape_of(x))
        if method in _IDENTITY_METHODS:
            return x
        layer = self.layer(node)
        if method in ("relu", "relu_"):
            return layer.relu(x)
        if method in ("flatten", "view", "reshape"):
            return layer.reshape(x)
        if method == "mean":
            return layers.mean_call(layer, [x, *args], {k: self.resolve(v) for k, v in node.kwargs.items()})
        raise self.unsupported(node, hint=_SOFTMAX_HINT if method in ("softmax", "log_softmax") else None)

    # ------------------------------------------------------------------ helpers

    def fold_constant(self, node: Node, function: Any, args: list, kwargs: dict) -> Any:
        """Evaluate a node that does not depend on the input (size arithmetic, weight transforms)."""
        if function is None:
            raise self.unsupported(node)
        try:
            with torch.no_grad():
                return function(*args, **kwargs)
        except Exception as error:
            raise self.unsupported(node, f"evaluating it on constants failed: {type(error).__name__}: {error}")

    def layer(self, node: Node) -> LayerBuilder:
        return LayerBuilder(node, Origin.of(node, self.graph_module), lambda op: self.emit(node, op))

    def emit(self, node: Node, op: Operation) -> SSAValue:
        """Record where `op` comes from, check its operand has no other consumer, return its result."""
        for operand in op.operands:
            self.consume(operand, node)
        self.origins[op] = Origin.of(node, self.graph_module)
        return op.results[0]

    def consume(self, value: SSAValue, node: Node) -> None:
        if value in self.consumer:
            first = Origin.of(self.consumer[value], self.graph_module)
            second = Origin.of(node, self.graph_module)
            raise E3NEError(
                f"one value feeds both {first.describe()} and {second.describe()}; "
                "e3ne compiles a single chain of layers (no branches, residual connections or concatenation)",
                location=second.location,
            )
        self.consumer[value] = node

    def resolve(self, arg: Any) -> Any:
        if isinstance(arg, Node):
            return self.values[arg]
        if isinstance(arg, (tuple, list)):
            return type(arg)(self.resolve(a) for a in arg)
        return arg

    def tensor_arg(self, node: Node, index: int) -> SSAValue:
        value = self.resolve(node.args[index]) if len(node.args) > index else None
        if not isinstance(value, SSAValue):
            raise self.unsupported(node, "it does not take the network's activations as its input")
        return value

    def error(self, node: Node, message: str) -> E3NEError:
        return E3NEError(message, location=Origin.of(node, self.graph_module).location)

    def unsupported(self, node: Node, reason: str | None = None, hint: str | None = None) -> E3NEError:
        origin = Origin.of(node, self.graph_module)
        because = f" ({reason})" if reason else ""
        return E3NEError(
            f"{origin.describe()} is not supported{because}",
            location=origin.location,
            hint=hint or layers.SUPPORTED,
        )


def _leaves(values: Any) -> list[Any]:
    if isinstance(values, (tuple, list)):
        return [leaf for v in values for leaf in _leaves(v)]
    return [values]


def _build_module_conv(layer: LayerBuilder, x: SSAValue, m: nn.Conv2d) -> SSAValue:
    if m.padding_mode != "zeros":
        raise layer.reject(f"padding_mode='{m.padding_mode}'", "only zero padding (padding_mode='zeros')")
    return layer.conv2d(x, m.weight, m.bias, m.stride, m.padding, m.dilation, m.groups)


def _build_module_batchnorm(layer: LayerBuilder, x: SSAValue, m: nn.modules.batchnorm._BatchNorm) -> SSAValue:
    if isinstance(m, (nn.BatchNorm3d, nn.SyncBatchNorm)):
        raise layer.unsupported()
    return layer.batchnorm(x, m.running_mean, m.running_var, m.weight, m.bias, m.eps, type(m).__name__)


MODULE_BUILDERS: list[tuple[type, Callable[[LayerBuilder, SSAValue, Any], Any]]] = [
    (nn.Conv2d, _build_module_conv),
    (nn.Linear, lambda layer, x, m: layer.linear(x, m.weight, m.bias)),
    (nn.modules.batchnorm._BatchNorm, _build_module_batchnorm),
    (nn.ReLU, lambda layer, x, m: layer.relu(x)),
    (
        nn.MaxPool2d,
        lambda layer, x, m: layer.pool(
            x, "max", m.kernel_size, m.stride, m.padding, dilation=m.dilation,
            ceil_mode=m.ceil_mode, return_indices=m.return_indices,
        ),
    ),
    (
        nn.AvgPool2d,
        lambda layer, x, m: layer.pool(
            x, "avg", m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode,
            count_include_pad=m.count_include_pad, divisor_override=m.divisor_override,
        ),
    ),
    (nn.AdaptiveAvgPool2d, lambda layer, x, m: layer.adaptive_pool(x, "avg", m.output_size)),
    (nn.AdaptiveMaxPool2d, lambda layer, x, m: layer.adaptive_pool(x, "max", m.output_size, m.return_indices)),
    (nn.Flatten, lambda layer, x, m: layer.reshape(x)),
    (nn.modules.dropout._DropoutNd, lambda layer, x, m: x),
    (nn.Identity, lambda layer, x, m: x),
]

FUNCTION_BUILDERS: dict[Any, Callable[[LayerBuilder, list, dict], Any]] = {
    **dict.fromkeys([F.relu, torch.relu, torch.relu_, F.relu_], layers.relu_call),
    **dict.fromkeys([F.max_pool2d, torch.max_pool2d], layers.max_pool_call),
    **dict.fromkeys([F.avg_pool2d, torch._C._nn.avg_pool2d], layers.avg_pool_call),
    **dict.fromkeys([F.adaptive_avg_pool2d, torch._C._nn.adaptive_avg_pool2d], layers.adaptive_avg_pool_call),
    F.adaptive_max_pool2d: layers.adaptive_max_pool_call,
    **dict.fromkeys([torch.flatten, torch.reshape], layers.reshape_call),
    torch.mean: layers.mean_call,
    **dict.fromkeys([F.conv2d, torch.conv2d], layers.conv2d_call),
    **dict.fromkeys([F.linear, torch._C._nn.linear], layers.linear_call),
    F.batch_norm: layers.batchnorm_call,
}
