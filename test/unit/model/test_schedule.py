"""`e3ne.model.schedule`: latency and initiation interval of each schedule kind, buffer words."""

from __future__ import annotations

import pytest

from e3ne.model.schedule import (
    ScheduleKind,
    bottleneck,
    buffer_address_bits,
    dataflow_done_cycles,
    dataflow_image_cycles,
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


def test_dataflow_with_constant_stage_times_gives_latency_then_interval():
    # host: 10 words in, 10 out a result; stages 30 and 12 (the host keeps up: 10 + 1 < 30)
    assert dataflow_image_cycles([[30] * 5, [12] * 5], 10, 10) == [43, 30, 30, 30, 30]
    # stages faster than the host: it writes 10 words and starts a cycle later, every 11 cycles
    assert dataflow_image_cycles([[5] * 4, [3] * 4], 10, 10) == [9, 11, 11, 11]


def test_dataflow_with_data_dependent_stage_times_by_hand():
    # Two stages, 2 input words, 1 result word; stage 0 takes 10, 3, 3, 10 and stage 1 4 each.
    # image 0: start 2 (words at 0, 1); done0 = 2 + 10 = 12; done1 = 12 + 4 = 16; read 17, ack 18
    # image 1: writes 3, 4, start 5; done0 = max(12, 5) + 3 = 15; done1 = max(16, 15) + 4 = 20;
    #          read max(18 + 2, 21) = 21, ack 22
    # image 2: in_ready once image 0 left stage 0's input (done0 12 + 1 = 13): start 15;
    #          stage 0 waits for its output half, freed by stage 1's done of image 0 (16):
    #          done0 = max(15, 15, 16) + 3 = 19; done1 = max(20, 19, ack 18) + 4 = 24
    # image 3: writes from max(15 + 1, 15 + 1) = 16, start 18; done0 = max(19, 18, 20) + 10 = 30;
    #          done1 = max(24, 30, ack 22) + 4 = 34
    done = dataflow_done_cycles([[10, 3, 3, 10], [4, 4, 4, 4]], 2, 1)
    assert done == [[12, 15, 19, 30], [16, 20, 24, 34], [2, 5, 15, 18]]
    # reported: image 0 its latency 16 + 1 - 2, then the gaps between the dones of stage 1
    assert dataflow_image_cycles([[10, 3, 3, 10], [4, 4, 4, 4]], 2, 1) == [15, 4, 4, 10]
