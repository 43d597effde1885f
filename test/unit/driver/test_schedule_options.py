"""`CompileOptions(schedule=...)` and `--schedule`: checked when the options are made."""

from __future__ import annotations

import pytest

from e3ne.driver.options import CompileOptions
from e3ne.errors import E3NEError


def test_sequential_is_the_default():
    options = CompileOptions()
    assert options.schedule == "sequential" and not options.dataflow


def test_dataflow_keeps_auto_and_none_offchip():
    assert CompileOptions(schedule="dataflow").dataflow
    assert CompileOptions(schedule="dataflow", offchip_weights="none").dataflow


def test_unknown_schedule_is_refused():
    with pytest.raises(E3NEError, match="--schedule must be one of sequential, dataflow, got 'pipelined'"):
        CompileOptions(schedule="pipelined")


def test_dataflow_refuses_offchip_weights():
    with pytest.raises(E3NEError, match="--schedule dataflow needs every weight ROM on chip, got --offchip-weights fc1"):
        CompileOptions(schedule="dataflow", offchip_weights="fc1")


def test_dataflow_takes_zero_skipping():
    options = CompileOptions(schedule="dataflow", skip_zeros=True)
    assert options.dataflow and options.skip_zeros


def test_dataflow_averages_split_latencies_from_intervals():
    import numpy as np

    from e3ne.driver.simulate import _dataflow_averages

    # shards start at images 0 and 3: their latencies 50 and 40 (average 45); intervals 20, 30, 10, 20
    averages = _dataflow_averages(np.array([50, 20, 30, 40, 10, 20]), [0, 3])
    assert averages == {"latency_average": 45.0, "interval_average": 20.0, "interval_min": 10, "interval_max": 30}


def test_dataflow_refuses_the_axi_shell():
    with pytest.raises(E3NEError, match="--shell axi drives the core one image at a time"):
        CompileOptions(schedule="dataflow", shell="axi")


def test_cli_passes_schedule():
    from e3ne.cli import _options, build_parser

    args = build_parser().parse_args(
        ["compile", "m.py:M", "--input-shape", "1,8,8", "--calibration", "c.npz", "--schedule", "dataflow", "-o", "b"]
    )
    assert _options(args).schedule == "dataflow"


def test_dataflow_cycles_reports_the_value_that_differs():
    import numpy as np

    from e3ne.driver.simulate import dataflow_cycles

    manifest = {"cycles_expected": 43, "interval_expected": 30}
    exact = dataflow_cycles(np.array([43, 30, 30, 43, 30]), [0, 3], manifest)
    assert exact == {"latency_measured": 43, "interval_measured": 30, "intervals_measured": 3, "interval_expected": 30}
    slow = dataflow_cycles(np.array([43, 30, 31, 44, 30]), [0, 3], manifest)
    assert (slow["latency_measured"], slow["interval_measured"]) == (44, 31)
    one = dataflow_cycles(np.array([43]), [0], manifest)
    assert (one["interval_measured"], one["intervals_measured"]) == (30, 0)
