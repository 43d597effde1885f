"""The external memory model (e3ne.model.memory): the double buffer's closed form against its
edge recurrence, and the timing of a streamed unit on hand-counted cases."""

from __future__ import annotations

import pytest

from e3ne.model.memory import Streaming, aligned, beats_per_word, fetch_cycles, image_bytes, offchip_issue_cycles


def recurrence(groups: int, group_cycles: int, fetch: int) -> int:
    """The double buffer's edge recurrence, step by step (offchip_issue_cycles' docstring)."""
    last_fill, consumed, decide_at = 0, [-1, -1], 0
    for g in range(groups):
        if g > 0:
            decide_at = max(last_fill, consumed[0])
        last_fill = decide_at + fetch
        first_issue = max(last_fill, consumed[1]) + 1
        consumed = [consumed[1], first_issue + group_cycles - 1]
    return consumed[1] + 1


@pytest.mark.parametrize("groups", [1, 2, 3, 7])
@pytest.mark.parametrize("group_cycles", [1, 5, 26, 40])
@pytest.mark.parametrize("fetch", [2, 26, 27, 100])
def test_closed_form_issue_cycles_equal_the_recurrence(groups, group_cycles, fetch):
    assert offchip_issue_cycles(groups, group_cycles, fetch) == recurrence(groups, group_cycles, fetch)


def test_streaming_cycles_add_the_first_fill_and_bandwidth_stalls():
    # 4 groups of 10 words, 96-bit words on a 128-bit bus: 1 beat a word, 160 bytes a group;
    # a group's bursts go out back to back: fetch = 16 (latency) + 10 beats = 26 cycles
    slow = Streaming(groups=4, group_words=10, word_width=96, compute_cycles=20, overhead_cycles=4)
    assert slow.fetch_cycles == 26
    assert slow.cycles == 4 * 26 + 20 + 1 + 4  # compute (20) waits for every fetch (26)
    assert slow.onchip_cycles == 4 * 20 + 4
    assert slow.stall_cycles == 4 * 26 + 20 + 1 - 80 and not slow.hides_bandwidth
    assert slow.bytes_per_image == 640
    fast = Streaming(groups=4, group_words=10, word_width=96, compute_cycles=60, overhead_cycles=4)
    assert fast.cycles == 26 + 4 * 60 + 1 + 4 and fast.hides_bandwidth
    assert fast.stall_cycles == 27  # only the first group's fill and its ready register
    # 300-bit words: 3 beats each; 10 words = 30 beats, 480 bytes
    wide = Streaming(groups=9, group_words=10, word_width=300, compute_cycles=100, overhead_cycles=0)
    assert wide.beats_per_word == 3 and wide.group_bytes == 480
    assert wide.fetch_cycles == 16 + 30



def test_beats_and_image_bytes_pad_each_word_to_whole_beats():
    assert beats_per_word(96, 32) == 3 and beats_per_word(64, 128) == 1 and beats_per_word(129, 128) == 2
    # 10 words of 96 bits on a 32-bit bus: 3 beats of 4 bytes each
    assert image_bytes(10, 96, 32) == 120
    assert fetch_cycles(10, 96, 32, 5) == 5 + 30
    assert aligned(1) == aligned(4096) == 4096 and aligned(4097) == 8192 and aligned(0) == 0
