"""Tracing a PyTorch model with torch.fx, and naming each traced node for error messages.

`trace_model` returns a `GraphModule` whose nodes carry stack traces, and
`propagate_shapes` gives its tensor nodes `meta["tensor_meta"]` (`ShapeProp` on a
zero input), so that
`Origin.of(node)` can say which layer a node is and where it is written in the user's
source. Every torch/fx failure leaves this module as an `E3NEError`.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import operator
import os
import re
import traceback
from dataclasses import dataclass

import torch
from torch import nn
from torch.fx import GraphModule, Node, Tracer
from torch.fx.passes.shape_prop import ShapeProp

from e3ne.errors import E3NEError

_TORCH_DIR = os.path.dirname(torch.__file__)
_E3NE_DIR = os.path.dirname(os.path.dirname(__file__))
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')

OPERATOR_SYMBOLS = {
    operator.add: "torch.add (+)",
    operator.iadd: "torch.add (+=)",
    operator.sub: "torch.sub (-)",
    operator.mul: "torch.mul (*)",
    operator.truediv: "torch.div (/)",
    operator.matmul: "torch.matmul (@)",
    operator.neg: "torch.neg (unary -)",
    operator.getitem: "indexing ([])",
}


def _is_user_file(path: str) -> bool:
    path = os.path.abspath(path)
    return not (path.startswith(_TORCH_DIR) or path.startswith(_E3NE_DIR) or path.startswith("<"))


def display_path(path: str) -> str:
    """`path` relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _user_frame_of_stack(stack_trace: str | None) -> str | None:
    """`file:line` of the innermost frame of the user's code in an fx stack trace."""
    frames = [m for m in _FRAME.finditer(stack_trace or "") if _is_user_file(m["file"])]
    if not frames:
        return None
    return f"{display_path(frames[-1]['file'])}:{frames[-1]['line']}"


def user_frame_of_exception(error: BaseException) -> str | None:
    """`file:line` of the innermost frame of the user's code in an exception's traceback."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_user_file(f.filename)]
    if not frames:
        return None
    return f"{display_path(frames[-1].filename)}:{frames[-1].lineno}"


def class_location(cls: type) -> str | None:
    """`file:line (class Name)` of a class definition, when its source is available."""
    try:
        path = inspect.getsourcefile(cls)
        _, line = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    if path is None:
        return None
    return f"{display_path(path)}:{line} (class {cls.__name__})"


def module_kind(module: nn.Module) -> str:
    """`nn.Conv2d` for torch.nn's own layers, `package.module.Class` for others."""
    cls = type(module)
    if cls.__module__.startswith("torch.nn"):
        return f"nn.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def function_kind(target) -> str:
    """A readable name of a call_function target: `F.relu`, `torch.cat`, `torch.add (+)`."""
    if target in OPERATOR_SYMBOLS:
        return OPERATOR_SYMBOLS[target]
    name = getattr(target, "__name__", repr(target))
    module = getattr(target, "__module__", None) or ""
    if module.startswith("torch.nn.functional") or module == "torch._C._nn":
        return f"F.{name}"
    if module.startswith("torch") or getattr(torch, name, None) is target:
        return f"torch.{name}"
    if module == "builtins" or module == "_operator":
        return name
    return f"{module}.{name}" if module else name


@dataclass(frozen=True)
class Origin:
    """Which layer of the user's model a traced node is, and where it is written."""

    name: str
    kind: str
    location: str

    @staticmethod
    def of(node: Node, graph_module: GraphModule) -> Origin:
        if node.op == "call_module":
            name = str(node.target)
            kind = module_kind(graph_module.get_submodule(name))
        elif node.op == "call_function":
            name, kind = node.name, function_kind(node.target)
        elif node.op == "call_method":
            name, kind = node.name, f"Tensor.{node.target}"
        else:
            name, kind = node.name, node.op
        location = _user_frame_of_stack(node.stack_trace) or _owner_location(node, graph_module)
        return Origin(name, kind, location)

    def describe(self) -> str:
        return f"{self.kind} '{self.name}'"


def _owner_location(node: Node, graph_module: GraphModule) -> str:
    """The class definition of the innermost user-written module around `node`."""
    root = graph_module.root_class  # type: ignore[attr-defined]
    owners = [root] if not root.__module__.startswith("torch.") else []
    for _, (_, cls) in (node.meta.get("nn_module_stack") or {}).items():
        if isinstance(cls, type) and not cls.__module__.startswith("torch."):
            owners.append(cls)
    for cls in reversed(owners):
        location = class_location(cls)
        if location is not None:
            return location
    return f"model {root.__name__}"


class _RecordingShapeProp(ShapeProp):
    """ShapeProp that remembers the node it is running, to name it when it fails."""

    current: Node | None = None

    def run_node(self, n: Node):
        self.current = n
        return super().run_node(n)


def trace_model(model: nn.Module) -> GraphModule:
    """Trace `model` in eval mode with stack traces recorded on every node."""
    model.eval()
    model_name = type(model).__name__
    dtypes = {t.dtype for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()}
    if dtypes - {torch.float32}:
        raise E3NEError(
            f"the parameters of {model_name} are {', '.join(sorted(map(str, dtypes)))}; e3ne imports float32 models",
            location=class_location(type(model)),
            hint="convert it with model.float() first",
        )
    tracer = Tracer()
    tracer.record_stack_traces = True
    try:
        graph = tracer.trace(model)
        graph_module = GraphModule(tracer.root, graph, model_name)
    except Exception as error:  # torch.fx raises many types (TraceError, TypeError, ...)
        raise E3NEError(
            f"torch.fx cannot trace {model_name}.forward: {_first_line(error)}",
            location=user_frame_of_exception(error) or class_location(type(model)),
            hint="forward() must not branch or loop on tensor values, nor call non-torch code on them",
        ) from None
    graph_module.root_class = type(model)  # type: ignore[attr-defined]
    return graph_module


def propagate_shapes(graph_module: GraphModule, input_shape: tuple[int, ...]) -> None:
    """Run ShapeProp on a zero input of shape (1, *input_shape): sets `meta["tensor_meta"]`."""
    shape_prop = _RecordingShapeProp(graph_module)
    shape = "x".join(map(str, (1, *input_shape)))
    try:  # ShapeProp prints the traceback of a failing node itself: keep it from the user
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            shape_prop.propagate(torch.zeros((1, *input_shape), dtype=torch.float32))
    except Exception as error:
        cause = error.__cause__ or error
        node = shape_prop.current
        origin = Origin.of(node, graph_module) if node is not None else None
        where = f" at {origin.describe()}" if origin else ""
        raise E3NEError(
            f"the model fails on an input of shape {shape}{where}: {_first_line(cause)}",
            location=origin.location if origin else class_location(graph_module.root_class),
            hint="check --input-shape (channels,height,width or features, without the batch)",
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
