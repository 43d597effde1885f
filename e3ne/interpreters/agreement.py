"""How far the golden model (integer IF/LIF numerics) is from the float model (= snnTorch) on
the same images: class agreement and the per-output spike-count difference (docs/lif.md
"Golden model vs float model").

    stats = count_agreement(run_float(float_module, x), run_golden(quant_module, x))

Both readouts are spike counts (`snn.readout` sum of spikes): the golden model's counts are
integers in [0, T], the float model's too (sums of 0.0/1.0). Classes are the argmax (ties to
the lowest index, as everywhere in e3ne).
"""

from __future__ import annotations

import numpy as np


def count_agreement(float_counts: np.ndarray, golden_counts: np.ndarray) -> dict:
    """Class agreement and |golden - float| per output over `(N, classes)` spike counts.

    Returns images, class_agreement (fraction of images with the same argmax), outputs,
    equal_outputs (fraction of outputs with the same count), max_abs_diff, mean_abs_diff
    (over all outputs) and histogram (count of outputs per absolute difference 0, 1, ...).
    """
    float_counts = np.asarray(float_counts, dtype=np.float64)
    golden_counts = np.asarray(golden_counts, dtype=np.float64)
    if float_counts.shape != golden_counts.shape or float_counts.ndim != 2:
        raise ValueError(
            f"expected two (N, classes) arrays of one shape, got {float_counts.shape} and {golden_counts.shape}"
        )
    diff = np.abs(golden_counts - float_counts)
    if not np.array_equal(diff, np.round(diff)):
        raise ValueError("the readouts are not spike counts (a membrane readout has no count difference)")
    diff = diff.astype(np.int64)
    return {
        "images": int(len(diff)),
        "class_agreement": float((float_counts.argmax(axis=1) == golden_counts.argmax(axis=1)).mean()),
        "outputs": int(diff.size),
        "equal_outputs": float((diff == 0).mean()),
        "max_abs_diff": int(diff.max(initial=0)),
        "mean_abs_diff": float(diff.mean()),
        "histogram": np.bincount(diff.ravel()).tolist(),
    }
