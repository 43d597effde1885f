"""e3ne.numerics on tiny cases computed by hand from docs/numerics.md."""

from __future__ import annotations

import numpy as np
import pytest

from e3ne.numerics import (
    accumulator_range,
    activation_scale,
    avg_pool_divide,
    bitplanes,
    encode_input,
    quantize_bias,
    quantize_weights,
    radix_neuron,
    signed_width,
    weight_scale,
)


def test_weight_quantization_rounds_half_to_even():
    # s_w = 2: W * 4 = [0.5, 1.5, -0.5, 2.5, -1.5] -> [0, 2, 0, 2, -2]
    weights = np.array([0.125, 0.375, -0.125, 0.625, -0.375])
    assert quantize_weights(weights, 2, 4).tolist() == [0, 2, 0, 2, -2]


def test_weight_quantization_saturates_to_b_bits():
    # s_w = 3, b = 4: [8, -8, 16, -16, 7.4] -> clip to [-8, 7]
    weights = np.array([1.0, -1.0, 2.0, -2.0, 0.925])
    assert quantize_weights(weights, 3, 4).tolist() == [7, -8, 7, -8, 7]
    # b = 2: range [-2, 1]
    assert quantize_weights(np.array([0.75, -0.75, 0.25]), 2, 2).tolist() == [1, -2, 1]


def test_negative_bias_rounds_half_to_even_without_clipping():
    # s_w + s_in = 3: B * 8 = [-2.4, -3.0, -2.5, -3.5, 1000.0] -> [-2, -3, -2, -4, 1000]
    bias = np.array([-0.3, -0.375, -0.3125, -0.4375, 125.0])
    assert quantize_bias(bias, 2, 1).tolist() == [-2, -3, -2, -4, 1000]
    # a negative exponent: B * 2^-1
    assert quantize_bias(np.array([-3.0, -5.0]), -2, 1).tolist() == [-2, -2]


def test_activation_scale():
    T = 4
    assert activation_scale(0.0, T) == T  # m <= 0
    assert activation_scale(-2.0, T) == T
    assert activation_scale(1.0, T) == 4  # ceil(log2 1) = 0
    assert activation_scale(0.5, T) == 5  # ceil(-1) = -1
    assert activation_scale(0.3, T) == 5  # ceil(-1.74) = -1
    assert activation_scale(3.0, T) == 2  # ceil(1.58) = 2
    assert activation_scale(4.0, T) == 2  # exactly 2
    assert activation_scale(4.0000005, T) == 1  # just above a power of two
    assert activation_scale(float(np.float32(4.0) + np.float32(4.0) * np.float32(2**-23)), T) == 1


def test_weight_scale_formula():
    # W = [1, -1, 1, -1]: mu = 0, unbiased sigma = sqrt(4/3) = 1.1547; 3 sigma = 3.46 -> ceil(log2) = 2
    assert weight_scale(np.array([1.0, -1.0, 1.0, -1.0]), 4, 3.0) == 4 - 1 - 2
    # constant weights: sigma = 0, |mu| = 0.5 -> ceil(log2 0.5) = -1 -> s_w = 3 + 1
    assert weight_scale(np.full((2, 2), 0.5), 4, 3.0) == 4
    # W = [0.25, 0.75]: mu = 0.5, sigma = 0.35355 (ddof=1); r = 1 -> 0.854 -> ceil = 0
    assert weight_scale(np.array([0.25, 0.75]), 4, 1.0) == 3
    # same with r = 3: 0.5 + 1.0607 = 1.56 -> ceil = 1; b = 8
    assert weight_scale(np.array([0.25, 0.75]), 8, 3.0) == 6
    with pytest.raises(ValueError):
        weight_scale(np.zeros(3), 4, 3.0)


def test_input_encoding_rounds_and_saturates():
    # s = 4: x * 16 = [0.5, 1.5, 2.5, 16, -8, 14.6] -> [0, 2, 2, 15 (sat), 0 (sat), 15]
    x = np.array([0.03125, 0.09375, 0.15625, 1.0, -0.5, 0.9125])
    assert encode_input(x, 4, 4).tolist() == [0, 2, 2, 15, 0, 15]


def test_bitplanes_msb_first():
    planes = bitplanes(np.array([5, 12]), 4)  # 0101, 1100
    assert planes.tolist() == [[0, 1], [1, 1], [0, 0], [1, 0]]


def test_radix_neuron_scl_at_most_zero_shifts_left_and_saturates():
    assert radix_neuron(np.array([-5, 0, 3, 20]), 0, 4).tolist() == [0, 0, 3, 15]
    assert radix_neuron(np.array([-1, 1, 3, 4]), -2, 4).tolist() == [0, 4, 12, 15]


def test_radix_neuron_scl_at_least_one_rounds_half_up():
    # SCL = 2: floor((V + 2) / 4): 1 -> 0, 2 -> 1 (0.5 up), 5 -> 1, 6 -> 2 (1.5 up),
    # 10 -> 3 (2.5 up, not half-even 2), -3 -> 0 (ReLU), 61 -> 15, 62 -> 16 -> 15 (sat)
    v = np.array([1, 2, 5, 6, 10, -3, 61, 62])
    assert radix_neuron(v, 2, 4).tolist() == [0, 1, 1, 2, 3, 0, 15, 15]
    # SCL = 1, T = 2: floor((V + 1) / 2): 1 -> 1, 3 -> 2, 5 -> 3, 7 -> 3 (sat)
    assert radix_neuron(np.array([1, 3, 5, 7]), 1, 2).tolist() == [1, 2, 3, 3]


def test_avg_pool_division_rounds_half_up():
    # n = 4: floor((s + 2) / 4)
    assert avg_pool_divide(np.arange(10), 4).tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    # n = 9: floor((s + 4) / 9): 4 -> 0, 5 -> 1, 13 -> 1, 14 -> 2
    assert avg_pool_divide(np.array([4, 5, 13, 14]), 9).tolist() == [0, 1, 1, 2]


def test_accumulator_range_and_width_are_tight():
    # W = [3, -2], Bq = 5, T = 3 (a in [0, 7]): partial sums in [-14, 21], final + 5 in [-9, 26]
    weights, bias = np.array([[3, -2]]), np.array([5])
    low, high = accumulator_range(weights, bias, 3)
    assert (low, high) == (-14, 26)
    # both ends are reached: a = [7, 0] gives 26 at the end, a = [0, 7] gives -14 before the bias
    assert int((weights @ np.array([7, 0]) + bias)[0]) == high
    assert int((weights @ np.array([0, 7]))[0]) == low
    assert signed_width(low, high) == 6  # [-32, 31]; 5 bits hold only [-16, 15]
    assert signed_width(-16, 15) == 5 and signed_width(-17, 15) == 6 and signed_width(-16, 16) == 6
    assert signed_width(0, 0) == 1 and signed_width(-1, 0) == 1 and signed_width(0, 1) == 2


def test_accumulator_range_with_large_negative_bias():
    low, high = accumulator_range(np.array([[1, 1], [2, 0]]), np.array([-100, 0]), 2)
    # channel 0: [0, 6] - 100 -> [-100, -94]; channel 1: [0, 6]
    assert (low, high) == (-100, 6)
    assert signed_width(low, high) == 8

