"""The report of an IF/LIF build (docs/lif.md "Hardware"): its stages' inputs are the spike
trains as the hardware stores them (T-bit words, plane t = step t), so a rate-coded LIF CNN
compiles (the report's cycle activity used to reshape (N, T, ...) spikes as radix words and
fail) and the spike-gated additions count every input spike of every step."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("snntorch")

STEPS = 5
CNN = """
import snntorch as snn
import torch
from torch import nn
class Net(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 2, 3), snn.Leaky(beta=0.875, init_hidden=True), nn.Flatten(),
                         nn.Linear(32, 4), snn.Leaky(beta=0.875, init_hidden=True))
        with torch.no_grad():  # excitatory enough that the output spikes
            self[0].weight.uniform_(0.0, 0.5)
            self[0].bias.zero_()
            self[3].weight.uniform_(-0.2, 0.4)
            self[3].bias.zero_()
"""


def test_rate_coded_lif_cnn_report_counts_every_input_spike(tmp_path):
    import torch

    from e3ne.driver import CompileOptions, compile
    from e3ne.lif_numerics import rate_spikes

    torch.manual_seed(0)
    (tmp_path / "cnn.py").write_text(CNN)
    rng = np.random.default_rng(0)
    x = (rng.random((20, 1, 6, 6)) * rng.random((20, 1, 1, 1))).astype(np.float32)  # dim to bright images
    build = compile(
        f"{tmp_path}/cnn.py:Net", input_shape=(1, 6, 6), calibration=x, output=tmp_path / "build",
        options=CompileOptions(time_steps=STEPS, coding="rate", weight_bits=6), progress=lambda _: None,
    )  # fmt: skip
    report = json.loads((build.path / "report.json").read_text())
    assert report["network"] == "IF/LIF"
    assert "IF/LIF network's number of time steps" in (build.path / "report.md").read_text()
    conv1 = next(layer for layer in report["cycles"]["layers"] if layer["name"] == "conv1")
    # 3x3 kernel, no padding, 6x6 -> 4x4: input row (column) y feeds 1, 2, 3, 3, 2, 1 output rows
    # (columns); each spike (any step) is added into that many output pixels of each of 2 channels.
    fan = np.outer([1, 2, 3, 3, 2, 1], [1, 2, 3, 3, 2, 1])
    spikes = rate_spikes(x, STEPS, seed=1)  # (N, T, 1, 6, 6), the seed CompileOptions defaults to
    per_image = (spikes.sum(axis=(1, 2)) * fan).sum(axis=(1, 2)) * 2
    assert conv1["additions"] == round(per_image.mean())
