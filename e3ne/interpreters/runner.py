"""Runs the network function of an snn module on a batch with xDSL's Interpreter.

Both reference models share this driver: the batch is cut into chunks (bounded
memory), each chunk is passed through the function by the interpreter, and with
`record` a listener keeps every op's result, concatenated over chunks in op order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Operation

from e3ne.errors import E3NEError
from e3ne.transforms.common import network_function

CHUNK = 256


class _Recorder(Interpreter.Listener):
    def __init__(self) -> None:
        self.outputs: dict[Operation, Any] = {}

    def did_interpret_op(self, op: Operation, results) -> None:
        if len(results) == 1 and op.name.startswith("snn."):
            self.outputs[op] = results[0]


def run_network(
    module: ModuleOp,
    functions: InterpreterFunctions,
    x: np.ndarray,
    record: bool,
    to_numpy,
    to_value=lambda chunk: chunk,
    chunk: int | None = None,
):
    """The network's output on batch `x` (and, with `record`, a dict op -> output)."""
    function = network_function(module)
    (arg,) = function.body.blocks.first.args
    assert isinstance(arg.type, TensorType)
    expected = tuple(arg.type.get_shape())[1:]
    x = np.asarray(x)
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
        raise E3NEError(
            f"input batch has shape {x.shape}, expected (N, {', '.join(map(str, expected))})",
            location=f"@{function.sym_name.data}",
        )
    chunk = chunk or CHUNK
    outputs: list[np.ndarray] = []
    recorded: dict[Operation, list[np.ndarray]] = {}
    for start in range(0, max(len(x), 1), chunk):
        recorder = _Recorder()
        interpreter = Interpreter(module, listeners=(recorder,) if record else ())
        interpreter.register_implementations(FuncFunctions())
        interpreter.register_implementations(functions)
        (result,) = interpreter.call_op(function, (to_value(x[start : start + chunk]),))
        outputs.append(to_numpy(result))
        for op, value in recorder.outputs.items():
            recorded.setdefault(op, []).append(to_numpy(value))
    output = np.concatenate(outputs)
    if not record:
        return output
    return output, {op: np.concatenate(values) for op, values in recorded.items()}
