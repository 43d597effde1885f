"""Small helpers shared by the snn passes: finding the network function, naming ops in errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp
from xdsl.ir import Operation

from e3ne.errors import E3NEError

if TYPE_CHECKING:
    from e3ne.dialects import snn


def describe(op: Operation) -> str:
    """`snn.relu #3 in @net`: the op's name, its position in its block and its function."""
    parent = op.parent_op()
    where = f" in @{parent.sym_name.data}" if isinstance(parent, func.FuncOp) else ""
    block = op.parent_block()
    index = "" if block is None else f" #{list(block.ops).index(op)}"
    location = str(op.location) if "unknown" not in str(op.location) else ""
    return f"{op.name}{index}{where}" + (f" ({location})" if location else "")


def network_function(module: ModuleOp) -> func.FuncOp:
    """The one func.func with a body: the network."""
    functions = [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    if len(functions) != 1:
        raise E3NEError(f"expected exactly one func.func with a body, found {len(functions)}")
    return functions[0]


def update_function_type(function: func.FuncOp) -> None:
    """Make the function type match its block arguments and its func.return operands."""
    block = function.body.blocks.first
    assert block is not None
    returns = [op for op in block.ops if isinstance(op, func.ReturnOp)]
    outputs = [value.type for value in returns[0].arguments] if returns else []
    function.function_type = FunctionType.from_lists([arg.type for arg in block.args], outputs)


def layer_name(op: Operation) -> str:
    """`conv2`, `fc1`: a compute layer's name as the hardware stages name it (per kind, in order)."""
    prefix = "conv" if op.name == "snn.conv2d" else "fc" if op.name == "snn.linear" else op.name
    block = op.parent_block()
    if block is None or prefix == op.name:
        return describe(op)
    same_kind = [other for other in block.ops if other.name == op.name]
    return f"{prefix}{same_kind.index(op) + 1}"


def check_finite(op: snn.ComputeOp, weights: np.ndarray, bias: np.ndarray | None) -> None:
    """E3NEError naming the layer when its float weights or bias hold NaN or Inf."""
    for what, values in (("weights", weights), ("bias", bias)):
        if values is None or np.isfinite(values).all():
            continue
        raise E3NEError(
            f"{int(np.isnan(values).sum())} NaN and {int(np.isinf(values).sum())} infinite values in the "
            f"{what} ({values.size} values)",
            location=f"{layer_name(op)} ({describe(op)})",
            hint="the checkpoint is broken (a diverged training run?); retrain or load other weights",
        )
