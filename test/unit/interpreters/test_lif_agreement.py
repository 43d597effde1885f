"""Golden model vs float model of IF/LIF networks (docs/lif.md "Golden model vs float model"):
the statistics of `count_agreement`, and the stated agreement on a trained example."""

from __future__ import annotations

import numpy as np
import pytest

from e3ne.interpreters.agreement import count_agreement


def test_count_agreement_by_hand():
    float_counts = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 3.0]])
    golden_counts = np.array([[1, 1, 0], [0, 3, 5]])
    stats = count_agreement(float_counts, golden_counts)
    # argmax: float (0, 1), golden (0, 2): one image of two agrees; |diff| = 1,0,0 / 0,0,2
    assert stats == {
        "images": 2,
        "class_agreement": 0.5,
        "outputs": 6,
        "equal_outputs": 4 / 6,
        "max_abs_diff": 2,
        "mean_abs_diff": 0.5,
        "histogram": [4, 1, 1],
    }


def test_count_agreement_refuses_a_membrane_readout():
    with pytest.raises(ValueError, match="not spike counts"):
        count_agreement(np.array([[0.5, 1.0]]), np.array([[1, 1]]))


def test_trained_mlp_golden_agrees_with_float_within_the_stated_bound():
    """examples/snntorch_mlp, rate coding, T' = 8, b = 4, the first 200 test images. docs/lif.md
    states, measured on 1,000 images: the same class on 96.0%, mean |count diff| 0.147 per output;
    the thresholds here leave room for the smaller sample (at least 90%, at most 0.3)."""
    pytest.importorskip("snntorch")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))
    from lif_agreement import measure

    stats = measure("snntorch_mlp", "rate", images=200)
    assert stats["images"] == 200 and stats["time_steps"] == 8
    assert stats["class_agreement"] >= 0.9, stats
    assert stats["mean_abs_diff"] <= 0.3, stats
    assert stats["max_abs_diff"] <= 8  # a count is in [0, T']
