"""The integer IF/LIF semantics (docs/numerics.md §13-17): quantization, the golden model
against the float model (exact when nothing rounds, close at 12 bits), the rules themselves."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.interpreters.float_model import run_float
from e3ne.interpreters.golden import run_golden
from e3ne.lif_numerics import leak, lfsr_sequence, lif_step, rate_spikes, spike_words
from e3ne.transforms.snn.quantize_pipeline import quantize_module
from lif_nets import float_ir, random_layers


def _dyadic_net(kind: str, reset: str, beta: float):
    """A net whose weights, biases and thresholds are multiples of 1/4 (exact at 8 weight bits)."""
    layers, neurons = random_layers(kind, 5, reset, False)
    with torch.no_grad():
        for layer in layers:
            layer.weight.copy_(torch.round(layer.weight * 4).clamp(-4, 4) / 4)
            layer.bias.copy_(torch.round(layer.bias * 4) / 4)
        for neuron in neurons:
            neuron.beta.fill_(beta)
    return layers, neurons


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("beta", [1.0, 0.0])
def test_golden_equals_float_when_nothing_rounds(kind, reset, beta):
    """IF (beta 1) or beta 0, dyadic weights and inputs k/256: every quantity is exact, so the golden
    membrane is the float membrane times 2^s and the spike counts are equal."""
    layers, neurons = _dyadic_net(kind, reset, beta)
    shape = (32, 12) if kind == "mlp" else (32, 1, 6, 6)
    x = (torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(1)) / 256).numpy()
    x[0] = 255 / 256  # calibration maximum in (1/2, 1]: input scale 8, so x is exact
    for readout in ("count", "membrane"):
        module = float_ir(kind, layers, neurons, (1,) + shape[1:], 6, "direct", readout)
        quantized = quantize_module(module, x, weight_bits=8, input_bits=8)
        expected = run_float(module, x)
        got = run_golden(quantized, x)
        if readout == "membrane":
            scale = [op for op in quantized.walk() if isinstance(op, snn.LifOp)][-1].scale.value.data
            got = got / 2.0**scale
        else:
            assert expected.sum() > 0
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_golden_close_to_float_at_12_bits(kind):
    """With leak (beta 0.55/0.65), 12-bit weights and leak: the quantization changes few spike counts
    (measured: >= 90% of counts equal, the predicted class the same for >= 90% of inputs)."""
    layers, neurons = random_layers(kind, 1, "subtract", False)
    shape = (64, 12) if kind == "mlp" else (64, 1, 6, 6)
    x = torch.rand(shape, generator=torch.Generator().manual_seed(0)).numpy()
    module = float_ir(kind, layers, neurons, (1,) + shape[1:], 10, "rate", "count")
    quantized = quantize_module(module, x, weight_bits=12, leak_bits=12)
    expected, got = run_float(module, x), run_golden(quantized, x)
    assert (expected == got).mean() >= 0.9
    assert (expected.argmax(1) == got.argmax(1)).mean() >= 0.9


def test_quantized_lif_attributes():
    layers, neurons = random_layers("mlp", 1, "zero", False)
    x = torch.rand((16, 12), generator=torch.Generator().manual_seed(0)).numpy()
    module = float_ir("mlp", layers, neurons, (1, 12), 4, "rate", "membrane", seed=9)
    quantized = quantize_module(module, x, weight_bits=8, leak_bits=6)
    rate, linear1, lif1, linear2, lif2, readout = [op for op in quantized.walk() if op.name.startswith("snn.")]
    assert snn.is_spike_tensor(rate.output.type) and rate.seed.value.data == 9
    assert lif1.scale.value.data == linear1.weight_scale.value.data + 0  # spikes have scale 0
    assert lif1.beta_values().tolist() == [round(0.55 * 64)]  # 35.2 -> 35
    assert lif1.threshold_values().tolist() == [1 << lif1.scale.value.data]
    assert snn.is_spike_tensor(lif1.output.type)
    assert snn.width_of(lif2.output) > snn.width_of(lif2.input)
    assert snn.width_of(readout.output) == snn.width_of(lif2.output)


def test_lif_net_must_not_mix_relu():
    from xdsl.dialects.builtin import TensorType

    layers, neurons = random_layers("mlp", 1, "zero", False)
    module = float_ir("mlp", layers, neurons, (1, 12), 4, "rate", "count")
    lif = [op for op in module.walk() if isinstance(op, snn.LifOp)][0]
    relu = snn.ReluOp(lif.input)
    lif.parent.insert_op_before(relu, lif)
    lif.operands[0] = relu.output
    assert isinstance(relu.output.type, TensorType)
    with pytest.raises(E3NEError, match="snn.relu cannot be mixed with IF/LIF ops"):
        quantize_module(module, np.zeros((2, 12), dtype=np.float32))


# --------------------------------------------------------------------------- the rules


def test_leak_is_floor_of_the_fixed_point_product():
    assert leak(np.array([7, -7, 8, -8, 0]), 128, 8).tolist() == [3, -4, 4, -4, 0]  # floor(3.5), floor(-3.5)
    assert leak(np.array([5, -5]), 256, 8).tolist() == [5, -5]  # beta_q = 2^F: IF


def test_lif_step_resets():
    mem = np.array([5, 2, -1])
    spike, new = lif_step(mem, np.array([1, 1, 1]), 256, 8, 3, "subtract")  # 5 > 3 spiked before
    assert new.tolist() == [5 + 1 - 3, 3, 0] and spike.tolist() == [0, 0, 0]  # 3 > 3 is false
    spike, new = lif_step(mem, np.array([1, 2, 1]), 256, 8, 3, "zero")
    assert new.tolist() == [1, 4, 0] and spike.tolist() == [0, 1, 0]
    spike, new = lif_step(mem, np.array([0, 0, 0]), 128, 8, 3, "none")
    assert new.tolist() == [2, 1, -1] and spike.tolist() == [0, 0, 0]


def test_lfsr_and_rate_spikes():
    # 16-bit Galois LFSR, taps 0xB400, from 1: 1 -> 0xB400 -> 0x5A00 -> 0x2D00 -> 0x1680
    assert lfsr_sequence(1, 4).tolist() == [0xB400, 0x5A00, 0x2D00, 0x1680]
    assert len(set(lfsr_sequence(1, 0xFFFF).tolist())) == 0xFFFF  # maximal length
    x = np.array([[0.0, 1.0, 0.5]])
    spikes = rate_spikes(x, 4, 1)
    assert spikes.shape == (1, 4, 3)
    assert spikes[0, :, 0].tolist() == [0, 0, 0, 0] and spikes[0, :, 1].tolist() == [1, 1, 1, 1]
    # element k at step t compares the top byte of LFSR state number t*K + k (K = 3 elements) with 128
    states = lfsr_sequence(1, 12)
    assert spikes[0, :, 2].tolist() == [int((states[t * 3 + 2] >> 8) < 128) for t in range(4)]
    assert rate_spikes(np.full((1, 2000), 0.25), 16, 7).mean() == pytest.approx(0.25, abs=0.02)


def test_spike_words_put_step_t_in_plane_t():
    spikes = np.array([[[1], [0], [1], [1]]])  # (N=1, T=4, F=1)
    assert spike_words(spikes).tolist() == [[0b1011]]


def test_current_pooling_folds_into_the_convolution():
    """lif(avg_pool(conv(x))) (snnTorch's pooled-current CNNs): the fold gives the same currents
    (to float rounding) from one strided conv, and the network then quantizes and runs."""
    from xdsl.context import Context
    from xdsl.dialects import func
    from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType
    from xdsl.ir import Block, Region

    from e3ne.dense import numpy_to_dense
    from e3ne.transforms.snn.fold_current_pooling import FoldCurrentPoolingPass

    rng = np.random.default_rng(4)
    f32 = Float32Type()
    block = Block(arg_types=[TensorType(f32, [1, 2, 9, 9])])
    rate = snn.RateEncodeOp(block.args[0], 5, seed=3)
    conv = snn.Conv2dOp(
        rate.output, numpy_to_dense(rng.normal(0, 1, (3, 2, 3, 3)).astype(np.float32), f32),
        numpy_to_dense(np.array([0.1, 0.2, -0.1], dtype=np.float32), f32), (1, 1), (1, 1), TensorType(f32, [1, 3, 9, 9]),
    )
    pool = snn.AvgPool2dOp(conv.output, (2, 2), (2, 2), (0, 0), TensorType(f32, [1, 3, 4, 4]))
    lif = snn.LifOp(pool.output, 5, 0.9, 1.0, "subtract", "spikes")
    flatten = snn.FlattenOp(lif.output)
    linear = snn.LinearOp(
        flatten.output, numpy_to_dense(rng.normal(0, 1, (4, 48)).astype(np.float32), f32), None, TensorType(f32, [1, 4])
    )
    lif2 = snn.LifOp(linear.output, 5, 0.9, 1.0, "subtract", "spikes")
    readout = snn.ReadoutOp(lif2.output, 5, "sum")
    block.add_ops([rate, conv, pool, lif, flatten, linear, lif2, readout, func.ReturnOp(readout.output)])
    module = ModuleOp([func.FuncOp("cnn", ([block.args[0].type], [readout.output.type]), Region(block))])
    module.verify()
    x = rng.random((8, 2, 9, 9)).astype(np.float32)
    _, before = run_float(module, x, record=True)
    folded = module.clone()
    FoldCurrentPoolingPass().apply(Context(), folded)
    folded.verify()
    convs = [op for op in folded.walk() if isinstance(op, snn.Conv2dOp)]
    assert not any(isinstance(op, snn.AvgPool2dOp) for op in folded.walk())
    assert convs[0].kernel() == (4, 4) and convs[0].strides() == (2, 2) and convs[0].paddings() == (1, 1)
    _, after = run_float(folded, x, record=True)
    np.testing.assert_allclose(after[convs[0]], before[pool], rtol=1e-5, atol=1e-5)
    quantized = quantize_module(module, x, weight_bits=8)
    assert not any(isinstance(op, snn.AvgPool2dOp) for op in quantized.walk())
    assert run_golden(quantized, x).shape == (8, 4)
