"""`snn-fold-current-pooling`: average pooling of a convolution's current, right before an
snn.lif (snnTorch's `lif(avg_pool(conv(x)))`, NIR's Conv2d -> SumPool2d -> LIF), folded into
the convolution (docs/lif.md).

Average pooling with window (ph, pw) = its stride and no padding is linear, so
`avg_pool(conv(x, W, B, stride s, pad P))` is `conv(x, W', B, stride s*p, pad P)` with kernel
`K + (p - 1)*s` and `W'[.., a, b] = 1/(ph*pw) * sum_{i<ph, j<pw} W[.., a - i*s_h, b - j*s_w]`.
The float result differs only by float rounding; the integer IR has no pooling of currents
(pools take activations), so `quantize_module` runs this on IF/LIF networks first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects import snn


def folded_weights(weight: np.ndarray, stride: tuple[int, int], pool: tuple[int, int]) -> np.ndarray:
    """W' of the convolution equal to `avg_pool(pool) o conv(weight, stride)` (float64 sums)."""
    oc, ic, kh, kw = weight.shape
    (sh, sw), (ph, pw) = stride, pool
    folded = np.zeros((oc, ic, kh + (ph - 1) * sh, kw + (pw - 1) * sw), dtype=np.float64)
    for i in range(ph):
        for j in range(pw):
            folded[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += weight
    return (folded / (ph * pw)).astype(np.float32)


class FoldCurrentPooling(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snn.AvgPool2dOp, rewriter: PatternRewriter) -> None:
        conv = op.input.owner
        users = [use.operation for use in op.output.uses]
        if not (
            isinstance(conv, snn.Conv2dOp)
            and not conv.is_quantized()
            and len(list(conv.output.uses)) == 1
            and users
            and all(isinstance(user, snn.LifOp) for user in users)
            and op.kernel_size() == op.strides()
            and op.paddings() == (0, 0)
        ):
            return
        stride = conv.strides()
        pool = op.kernel_size()
        weight = folded_weights(dense_to_numpy(conv.weight), stride, pool)
        new = snn.Conv2dOp(
            conv.input,
            numpy_to_dense(weight, Float32Type()),
            conv.bias,
            (stride[0] * pool[0], stride[1] * pool[1]),
            conv.paddings(),
            TensorType(Float32Type(), snn.shape_of(op.output)),
        )
        rewriter.replace(op, new)
        rewriter.erase(conv)


@dataclass(frozen=True)
class FoldCurrentPoolingPass(ModulePass):
    """Fold `snn.avg_pool2d` (window = stride, no padding) between a float conv2d and snn.lif into the conv."""

    name = "snn-fold-current-pooling"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldCurrentPooling(), apply_recursively=False).rewrite_module(op)
