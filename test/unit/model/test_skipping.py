"""Zero skipping's cycle model (e3ne.model.skipping), checked against hand counts."""

from __future__ import annotations

import numpy as np

from e3ne.model.skipping import (
    SKIP_GAP,
    dense_additions,
    image_cycles,
    linear_kept_chunks,
    utilisation,
)
from e3ne.model.units import PIPELINE_LATENCY, LinearShape


def shape(**changes) -> LinearShape:
    base = dict(
        in_features=8, out_features=6, parallelism=2, time_steps=2, weight_bits=4, accumulator_width=12,
        output_layer=False, input_word_width=4, input_depth=4, input_parallelism=2, skip_zeros=True,
    )
    return LinearShape(**{**base, **changes})


def test_gap_is_read_latency_plus_list_read():
    assert SKIP_GAP == 4 + 2  # memory read latency + skip list read latency


def test_kept_chunks_by_hand():
    # 8 features in words of 4, Q = 2: chunks {0,1}, {2,3}, {4,5}, {6,7}; T = 2 (plane 0 = bit 1).
    # image 0: value 2 at feature 5 -> plane 0 chunk 2; value 1 at feature 0 -> plane 1 chunk 0.
    # kept: plane 0: chunk 0 (first), chunk 2 (spike); plane 1: chunk 0 (first and spike) -> 3
    values = np.zeros((3, 8), dtype=np.int64)
    values[0, 5], values[0, 0] = 2, 1
    values[2] = 3  # dense: every chunk of both planes -> 8
    kept = linear_kept_chunks(shape(), values)
    assert kept.tolist() == [3, 2, 8]  # image 1 is all zero: only the first chunk of each plane


def test_image_cycles_by_hand():
    values = np.zeros((2, 8), dtype=np.int64)
    values[1] = 3
    s = shape()
    # dense group: 4 chunks * 2 planes = 8; 3 groups; pipeline; drain T = 2
    tail = PIPELINE_LATENCY + 2
    assert s.cycles() == 3 * 8 + SKIP_GAP + tail
    assert image_cycles(s, values).tolist() == [8 + SKIP_GAP + 2 * 2 + tail, 8 + SKIP_GAP + 2 * 8 + tail]
    assert image_cycles(shape(skip_zeros=False), values).tolist() == [3 * 8 + tail] * 2


def test_output_layer_keeps_the_first_p_chunks():
    # output layer, P = 3: positions 0, 1, 2 (plane 0 chunks 0-2) are kept even when zero
    s = shape(output_layer=True, parallelism=3)
    kept = linear_kept_chunks(s, np.zeros((1, 8), dtype=np.int64))
    assert kept.tolist() == [4]  # chunks 0, 1, 2 of plane 0 and chunk 0 of plane 1


def test_utilisation_counts_additions_per_adder_input_and_cycle():
    values = np.zeros((1, 8), dtype=np.int64)
    values[0, :2] = 3  # 2 features x 2 spikes = 4 spikes, each feeds 6 outputs
    s = shape()
    assert dense_additions(s, values).tolist() == [24]
    assert utilisation(24, s, 30) == 24 / (2 * 2 * 30)


def conv_shape(**changes):
    from e3ne.model.units import ConvShape

    base = dict(
        in_shape=(2, 3, 3), out_shape=(4, 3, 3), kernel=(3, 3), stride=(1, 1), padding=(1, 1), columns=3,
        channels=2, units=1, time_steps=2, weight_bits=4, accumulator_width=12, skip_zeros=True,
    )
    return ConvShape(**{**base, **changes})


def test_conv_kept_reads_by_hand():
    from e3ne.model.skipping import conv_kept_reads

    # 2 input channels of 3x3, kernel 3 pad 1, T = 2: a row reads 2*2*3 = 12 input rows (ky fastest,
    # then ic, then t); drain = 2 lanes * 2 = 4 -> the first 4 reads of each row are kept.
    s = conv_shape()
    assert s.min_row_reads == 4 and s.block_cycles == 12 and s.groups == 2
    zero = np.zeros((1, 2, 3, 3), dtype=np.int64)
    # all zero: per row the first 4 reads (t0: ic0 ky0-2, ic1 ky0), the first of step t1
    # (ic0 ky0) and the block end (t1 ic1 ky2): 6 per row, 3 rows
    assert conv_kept_reads(s, zero).tolist() == [18]
    one = zero.copy()
    one[0, 1, 2, 0] = 1  # channel 1, input row 2, plane t1 only (value 1 = LSB)
    # row 2 of channel 1 in plane 1 is read by output rows 1 (ky 2) and 2 (ky 1): kept there,
    # except that output row 2's ky 2 would be row 3 (padding) -> +1 for oy 1 (t1 ic1 ky2 is
    # the block end, kept anyway) ... oy 1 reads it at ky = 2 = the block end: no change;
    # oy 2 reads it at ky = 1 (t1 ic1 ky1): +1
    assert conv_kept_reads(s, one).tolist() == [19]
    dense = np.full((1, 2, 3, 3), 3, dtype=np.int64)
    # every in-range row has spikes: a padding row is skipped unless forced. Positions in a row:
    # p = (t*2 + ic)*3 + ky; kept anyway: p 0-3 (the first 4), p 6 (t1 ic0 ky0), p 11 (block end).
    # oy 0 (ky 0 is padding at p 0, 3, 6, 9): only p 9 skipped -> 11; oy 1: 12;
    # oy 2 (ky 2 is padding at p 2, 5, 8, 11): p 5 and 8 skipped -> 10
    assert conv_kept_reads(s, dense).tolist() == [11 + 12 + 10]
    # cycles: dense group 3 rows * 12 + SKIP_GAP + 1 further group * K + pipeline (kernel_w 3:
    # a two-level tree, one cycle more) + drain 4
    assert image_cycles(s, zero).tolist() == [36 + SKIP_GAP + 18 + PIPELINE_LATENCY + 1 + 4]


def test_conv_kept_reads_per_column_block():
    from e3ne.model.skipping import conv_kept_reads

    # 2 columns per block over 3 computed columns (kernel 3, pad 1): block 0 computes columns 0-1
    # and reads input columns 0-2, block 1 computes column 2 and reads input columns 1-2.
    s = conv_shape(columns=2)
    assert s.blocks == 2 and s.block_input_columns == ((0, 1, 2), (1, 2))
    zero = np.zeros((1, 2, 3, 3), dtype=np.int64)
    # a row reads 2 blocks x 12; kept with no spike: the row's first 4 reads (all in block 0),
    # then per block the first of each step (p 0, 6) and the block end (p 11), p = (t*2 + ic)*3 + ky:
    # block 0 p 0-3, 6, 11 (6), block 1 p 0, 6, 11 (3) -> 9 a row, 3 rows
    assert conv_kept_reads(s, zero).tolist() == [27]
    left = zero.copy()
    left[0, 1, 2, 0] = 1  # channel 1, input row 2, column 0 (block 0's only), plane t1
    # read by oy 1 at ky 2 (p 11, the block end: kept anyway) and oy 2 at ky 1 (p 10): +1, block 0 only
    assert conv_kept_reads(s, left).tolist() == [28]
    right = zero.copy()
    right[0, 1, 2, 2] = 1  # column 2: under both blocks -> p 10 of oy 2 in each block
    assert conv_kept_reads(s, right).tolist() == [29]
