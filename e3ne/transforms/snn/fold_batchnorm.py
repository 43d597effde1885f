"""`snn-fold-batchnorm`: fold each snn.batchnorm into the conv2d/linear right before it.

docs/numerics.md §1: `g = gamma / sqrt(var + eps)`, `W' = W * g` per output channel,
`B' = (B - mean) * g + beta` (B = 0 without bias). Computed with float32 torch tensor
ops, as a user folding in PyTorch would, so the folded weights match theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from xdsl.context import Context
from xdsl.dialects.builtin import Float32Type, ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.transforms.common import describe


def _as_tensor(values: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(values, dtype=np.float32))


def fold_batchnorm_params(
    weight: np.ndarray,
    bias: np.ndarray | None,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """`(W', B')` of docs/numerics.md §1 in float32 torch arithmetic."""
    w, g_, b_, m, v = (_as_tensor(a) for a in (weight, gamma, beta, mean, var))
    b = torch.zeros(w.shape[0], dtype=torch.float32) if bias is None else _as_tensor(bias)
    g = g_ / torch.sqrt(v + eps)
    folded_weight = w * g.reshape(-1, *([1] * (w.dim() - 1)))
    folded_bias = (b - m) * g + b_
    return folded_weight.numpy(), folded_bias.numpy()


@dataclass
class FoldBatchNormPattern(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.BatchNormOp, rewriter: PatternRewriter) -> None:
        producer = op.input.owner
        if not isinstance(producer, snn.Conv2dOp | snn.LinearOp):
            source = producer.name if isinstance(producer, Operation) else "a block argument"
            raise E3NEError(
                f"batch norm must directly follow snn.conv2d or snn.linear to be folded, "
                f"but its input comes from {source}",
                location=describe(op),
            )
        if producer.is_quantized():
            raise E3NEError("cannot fold batch norm into a quantized layer", location=describe(op))
        if sum(1 for _ in producer.output.uses) != 1:
            raise E3NEError(
                f"cannot fold batch norm: the output of {producer.name} has other users",
                location=describe(op),
            )
        weight, bias = fold_batchnorm_params(
            dense_to_numpy(producer.weight),
            None if producer.bias is None else dense_to_numpy(producer.bias),
            dense_to_numpy(op.gamma),
            dense_to_numpy(op.beta),
            dense_to_numpy(op.mean),
            dense_to_numpy(op.var),
            op.eps.value.data,
        )
        producer.weight = numpy_to_dense(weight, Float32Type())
        producer.bias = numpy_to_dense(bias, Float32Type())
        rewriter.replace_all_uses_with(op.output, producer.output)
        rewriter.handle_operation_modification(producer)
        rewriter.erase(op)


@dataclass(frozen=True)
class FoldBatchNormPass(ModulePass):
    """Fold every snn.batchnorm into the compute layer before it."""

    name = "snn-fold-batchnorm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldBatchNormPattern(), apply_recursively=False).rewrite_module(op)
