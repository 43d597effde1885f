"""`e3ne.model.schedule`: latency and initiation interval of each schedule kind, buffer words."""

from __future__ import annotations

import pytest

from e3ne.model.schedule import (
    ScheduleKind,
    bottleneck,
    buffer_address_bits,
    buffer_words,
    images_per_second,
    interval,
    latency,
    schedule_kind,
)


def test_sequential_latency_and_interval_are_the_sum():
    assert latency([30, 12, 7]) == 49
    assert interval([30, 12, 7]) == 49
    assert latency([30, 12, 7], "sequential") == interval([30, 12, 7], ScheduleKind.SEQUENTIAL) == 49


def test_dataflow_interval_is_the_slowest_stage_and_latency_adds_the_input_handoff():
    assert interval([30, 12, 7], "dataflow") == 30
    assert latency([30, 12, 7], "dataflow") == 50
    assert bottleneck([12, 30, 30, 7]) == 1


def test_images_per_second_at_the_clock():
    assert images_per_second(4000, 200.0) == 50_000.0


def test_two_copies_put_the_second_half_above_the_image_address():
    assert (buffer_words(100, 1), buffer_address_bits(100, 1)) == (100, 7)
    assert (buffer_words(100, 2), buffer_address_bits(100, 2)) == (128 + 100, 8)
    assert (buffer_words(4, 2), buffer_address_bits(4, 2)) == (8, 3)
    assert (buffer_words(1, 2), buffer_address_bits(1, 2)) == (3, 2)


def test_schedule_kind_names_the_allowed_values():
    assert schedule_kind(None) == schedule_kind("") == ScheduleKind.SEQUENTIAL
    with pytest.raises(ValueError, match="schedule must be one of sequential, dataflow, got 'pipelined'"):
        schedule_kind("pipelined")
