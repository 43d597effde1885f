"""Runs the network function of an snn module on a batch with xDSL's Interpreter.

Both reference models share this driver: the batch is cut into chunks (bounded
memory), each chunk is passed through the function by the interpreter, and with
`record` a listener keeps every op's result, concatenated over chunks in op order.

A time-stepped (IF/LIF) network (docs/lif.md) is a step function: each chunk is passed
through it T times; the functions object keeps the per-chunk state (`TimeSteps`), the
result is that of the last step (the `snn.readout`), and recorded values are stacked per
step as `(N, T, ...)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Operation
from xdsl.utils.exceptions import VerifyException

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.transforms.common import network_function

CHUNK = 256


class TimeSteps:
    """Per-chunk state of the time-stepped ops: `step` (0..T-1), `steps` (T) and `state`
    (op -> its value carried between steps, e.g. a membrane), cleared for each chunk."""

    step: int = 0
    steps: int = 1
    state: dict

    def begin(self, steps: int) -> None:
        self.steps = steps
        self.step = 0
        self.state = {}


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
    try:
        steps = snn.network_time_steps(function)
    except VerifyException as error:
        raise E3NEError(str(error), location=f"@{function.sym_name.data}") from None
    if steps is not None and not isinstance(functions, TimeSteps):
        raise E3NEError("this interpreter does not run time-stepped (IF/LIF) networks")
    chunk = chunk or CHUNK
    outputs: list[np.ndarray] = []
    recorded: dict[Operation, list[np.ndarray]] = {}
    for start in range(0, max(len(x), 1), chunk):
        batch = to_value(x[start : start + chunk])
        if steps is None:
            recorder = _Recorder()
            result = _call(module, functions, function, batch, recorder if record else None)
            for op, value in recorder.outputs.items():
                recorded.setdefault(op, []).append(to_numpy(value))
        else:
            functions.begin(steps)
            per_step: dict[Operation, list[np.ndarray]] = {}
            for step in range(steps):
                functions.step = step
                recorder = _Recorder()
                result = _call(module, functions, function, batch, recorder if record else None)
                for op, value in recorder.outputs.items():
                    per_step.setdefault(op, []).append(to_numpy(value))
            for op, values in per_step.items():
                recorded.setdefault(op, []).append(np.stack(values, axis=1))
        outputs.append(to_numpy(result))
    output = np.concatenate(outputs)
    if not record:
        return output
    return output, {op: np.concatenate(values) for op, values in recorded.items()}


def _call(module: ModuleOp, functions: InterpreterFunctions, function, batch, recorder: _Recorder | None):
    interpreter = Interpreter(module, listeners=(recorder,) if recorder is not None else ())
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(functions)
    (result,) = interpreter.call_op(function, (batch,))
    return result
