"""`e3ne compare`: a tiny ReLU MLP (radix) and a tiny snnTorch LIF MLP (rate coded) of the same
task built side by side; every figure is read back from its own build."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("snntorch")

RELU = """
from torch import nn
class Net(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4))
"""
LIF = """
import snntorch as snn
from torch import nn
class Net(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(12, 16), snn.Leaky(beta=0.875, init_hidden=True),
                         nn.Linear(16, 4), snn.Leaky(beta=0.875, init_hidden=True))
"""


def test_compare_builds_both_and_reports_each_builds_figures(tmp_path):
    import torch

    from e3ne.driver.compare import compare
    from e3ne.driver.options import CompileOptions

    torch.manual_seed(0)
    for name, text in (("relu", RELU), ("lif", LIF)):
        (tmp_path / f"{name}.py").write_text(text)
    rng = np.random.default_rng(0)
    x = rng.random((40, 12), dtype=np.float32)
    np.savez(tmp_path / "calib.npz", x=x)
    np.savez(tmp_path / "test.npz", x=x[:20], y=rng.integers(0, 4, 20))
    points = compare(
        f"{tmp_path}/relu.py:Net", f"{tmp_path}/lif.py:Net", input_shape=(12,), calibration=tmp_path / "calib.npz",
        data=tmp_path / "test.npz", radix_time_steps=[4], lif_time_steps=[6],
        options=CompileOptions(coding="rate", weight_bits=6), output=tmp_path / "cmp",
    )  # fmt: skip
    assert [(p.design, p.time_steps, p.coding) for p in points] == [("radix", 4, "radix"), ("lif", 6, "rate")]
    saved = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert [row["design"] for row in saved] == ["radix", "lif"]
    for point in points:
        manifest = json.loads((tmp_path / "cmp" / f"{point.design}-t{point.time_steps}" / "hardware.json").read_text())
        report = json.loads((tmp_path / "cmp" / f"{point.design}-t{point.time_steps}" / "report.json").read_text())
        assert point.cycles == manifest["cycles_expected"] > 0
        assert point.lut == report["totals"]["lut"] and point.energy_nj == report["energy"]["per_image_nj"]
    table = (tmp_path / "cmp" / "compare.md").read_text()
    assert "| lif | " in table and "| 6 | rate |" in table and "| radix | " in table
