"""snnTorch frontend: the float snn IR (lif-core's float model) equals snnTorch's forward pass
exactly (spike counts and membranes) on random small nets of every supported style, and
every unsupported option is refused with a message naming the module."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from spiking_nets import ExplicitStateMLP, conv_net, counts_and_membrane, leaky, mlp, scaled, snn
from torch import nn

from e3ne.dialects import snn as snn_dialect
from e3ne.errors import E3NEError
from e3ne.frontend.spiking.emit import emit_chain
from e3ne.frontend.spiking.reference import run_chain
from e3ne.frontend.spiking.snntorch_import import import_snntorch
from e3ne.interpreters.float_model import run_float
from e3ne.lif_numerics import rate_spikes

T = 6


def ops(module) -> list[str]:
    return [op.name for op in module.body.block.first_op.body.block.ops]


def lif_ops(module):
    return [op for op in module.walk() if isinstance(op, snn_dialect.LifOp)]


def check_equal(model, input_shape, states=0, time_steps=T, batch=8, seed=3):
    """float IR == snnTorch == the chain reference, exactly; returns the module."""
    torch.manual_seed(seed)
    x = torch.rand(batch, *input_shape)
    expected, _ = counts_and_membrane(model, x, time_steps, states=states)
    chain = import_snntorch(model, input_shape)
    module = emit_chain(chain, time_steps)
    np.testing.assert_array_equal(run_float(module, x.numpy()), expected)
    np.testing.assert_array_equal(run_chain(chain, x.numpy(), time_steps)[0], expected)
    assert expected.sum() > 0 and (expected < time_steps).any()  # the test exercises spikes and silences
    return module


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_mlp_init_hidden_each_reset(reset):
    module = check_equal(scaled(mlp(reset)), (1, 3, 4))
    assert ops(module) == [
        "snn.input", "snn.flatten", "snn.linear", "snn.lif", "snn.linear", "snn.lif", "snn.readout", "func.return",
    ]
    assert [op.reset_kind() for op in lif_ops(module)] == [reset, reset]


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("pool", ["avg", "max"])
def test_cnn_with_pooling_and_per_channel_beta(reset, pool):
    beta = torch.tensor([0.5, 0.75, 0.9, 1.0]).reshape(4, 1, 1)
    threshold = torch.tensor([0.5, 1.0, 1.5, 2.0]).reshape(4, 1, 1)
    module = check_equal(scaled(conv_net(reset, pool, beta, threshold)), (1, 8, 8))
    first = lif_ops(module)[0]
    np.testing.assert_array_equal(np.asarray(first.beta.get_values()), np.float32([0.5, 0.75, 0.9, 1.0]))
    np.testing.assert_array_equal(np.asarray(first.threshold.get_values()), [0.5, 1.0, 1.5, 2.0])


def test_per_neuron_beta_and_threshold_of_a_linear_layer():
    beta = torch.linspace(0.3, 1.0, 16)
    threshold = torch.linspace(0.4, 2.0, 16)
    check_equal(scaled(mlp("subtract", beta=beta, threshold=threshold)), (12,))


@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_explicit_state_style(reset):
    module = check_equal(scaled(ExplicitStateMLP(reset)), (12,), states=2)
    assert lif_ops(module)[-1].output_mode() == "spikes"


def test_explicit_state_membrane_readout():
    model = scaled(ExplicitStateMLP("subtract", membrane_out=True))
    x = torch.rand(8, 12)
    _, last_membrane = counts_and_membrane(model, x, T, states=2)
    chain = import_snntorch(model, (12,))
    assert chain.readout == "membrane"
    module = emit_chain(chain, T)
    readout = [op for op in module.walk() if isinstance(op, snn_dialect.ReadoutOp)][0]
    assert readout.reduce.data == "last"
    np.testing.assert_array_equal(run_float(module, x.numpy()), last_membrane)


def test_rate_coding_equals_snntorch_fed_the_same_spikes():
    model = scaled(mlp("zero"))
    x = torch.rand(8, 1, 3, 4)
    spikes = torch.from_numpy(rate_spikes(x.numpy(), T, seed=7).astype(np.float32))
    expected, _ = counts_and_membrane(model, x, T, inputs=spikes)
    module = emit_chain(import_snntorch(model, (1, 3, 4)), T, coding="rate", seed=7)
    assert ops(module)[:2] == ["snn.rate_encode", "snn.flatten"]
    np.testing.assert_array_equal(run_float(module, x.numpy()), expected)


def test_learned_beta_and_threshold_use_the_trained_value_and_are_noted():
    model = scaled(mlp("subtract", learn_beta=True, learn_threshold=True))
    with torch.no_grad():
        model[2].beta.fill_(0.8)
        model[2].threshold.fill_(1.25)
    module = check_equal(model, (12,))
    notes = [note.data for note in module.attributes["e3ne.notes"].data]
    assert "snntorch.Leaky '2': learned beta and threshold: the trained value is used" in notes
    assert np.asarray(lif_ops(module)[0].beta.get_values()).tolist() == [pytest.approx(0.8)]


def test_beta_above_one_is_clamped_as_snntorch_does():
    module = check_equal(scaled(mlp("subtract", beta=1.5)), (12,))
    assert np.asarray(lif_ops(module)[0].beta.get_values()).tolist() == [1.0]


# ---------------------------------------------------------------------- refusals


def _refused(model, input_shape, *fragments):
    with pytest.raises(E3NEError) as info:
        emit_chain(import_snntorch(model, input_shape), T)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    "neuron, fragment",
    [
        (lambda: snn.Synaptic(alpha=0.9, beta=0.8, init_hidden=True), "second state variable"),
        (lambda: snn.RLeaky(beta=0.9, linear_features=16, init_hidden=True), "recurrent"),
        (lambda: snn.RSynaptic(alpha=0.9, beta=0.8, linear_features=16, init_hidden=True), "recurrent"),
        (lambda: snn.Alpha(alpha=0.9, beta=0.8, init_hidden=True), "two state variables"),
    ],
    ids=["Synaptic", "RLeaky", "RSynaptic", "Alpha"],
)
def test_other_snntorch_neurons_are_refused_by_name(neuron, fragment):
    model = nn.Sequential(nn.Linear(12, 16), neuron(), nn.Linear(16, 5), leaky())
    kind = type(model[1]).__name__
    _refused(model, (12,), f"snntorch.{kind} '1' is not supported", fragment)


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"inhibition": True}, "has inhibition=True"),
        ({"graded_spikes_factor": 2.0}, "has graded_spikes_factor=2"),
        ({"state_quant": lambda mem: mem}, "has state_quant"),
        ({"reset_delay": False}, "has reset_delay=False with reset by subtraction"),
    ],
    ids=["inhibition", "graded", "state_quant", "reset_delay"],
)
def test_unsupported_leaky_options_are_refused(options, fragment):
    model = nn.Sequential(nn.Linear(12, 16), leaky(**options), nn.Linear(16, 5), leaky())
    _refused(model, (12,), f"snntorch.Leaky '1' {fragment}")


def test_reset_delay_false_with_reset_to_zero_is_the_same_network():
    model = scaled(mlp("zero", reset_delay=False))
    check_equal(model, (12,))


def test_per_pixel_conv_threshold_is_refused():
    model = conv_net(threshold=torch.rand(4, 4, 4) + 0.5)
    _refused(model, (1, 8, 8), "snntorch.Leaky '2' has a threshold that differs between neurons of one channel")


def test_layer_without_a_neuron_is_refused():
    model = nn.Sequential(nn.Linear(12, 16), nn.Linear(16, 5), leaky())
    _refused(model, (12,), "nn.Linear '1' follows nn.Linear '0' without a spiking neuron")


def test_output_without_a_neuron_is_refused():
    model = nn.Sequential(nn.Linear(12, 16), leaky(), nn.Linear(16, 5))
    _refused(model, (12,), "nn.Linear '2' ends the network")


def test_relu_in_a_spiking_network_is_refused():
    model = nn.Sequential(nn.Linear(12, 16), leaky(), nn.ReLU(), nn.Linear(16, 5), leaky())
    _refused(model, (12,), "nn.ReLU '2' is not supported")


def test_time_steps_out_of_range():
    chain = import_snntorch(scaled(mlp()), (12,))
    with pytest.raises(E3NEError, match=r"--time-steps must be in \[1, 32\]"):
        emit_chain(chain, 33)


@pytest.mark.parametrize("stride, padding, window", [(1, 0, 2), (2, 1, 2), (1, 1, 3)])
def test_average_pooling_folds_into_the_convolution(stride, padding, window):
    import torch.nn.functional as F

    from e3ne.frontend.spiking import chain as c
    from e3ne.frontend.spiking.emit import fold_average_pools

    rng = np.random.default_rng(stride + padding + window)
    conv = c.Conv2d(name="conv", kind="nn.Conv2d", weight=rng.normal(size=(3, 2, 3, 3)).astype(np.float32),
                    bias=rng.normal(size=3).astype(np.float32), stride=(stride, stride), padding=(padding, padding))
    pool = c.Pool2d(name="pool", kind="nn.AvgPool2d", mode="avg", kernel=(window, window), stride=(window, window))
    layers, folded = fold_average_pools([conv, pool])
    assert folded == ["nn.AvgPool2d 'pool'"] and len(layers) == 1
    x = torch.from_numpy(rng.random((4, 2, 13, 13), dtype=np.float32))
    expected = F.avg_pool2d(F.conv2d(x, torch.from_numpy(conv.weight), torch.from_numpy(conv.bias), stride, padding),
                            window)
    got = F.conv2d(x, torch.from_numpy(layers[0].weight), torch.from_numpy(conv.bias), layers[0].stride, padding)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_folded_pooling_is_noted_and_keeps_the_spikes():
    model = scaled(conv_net("zero", "avg"))
    x = torch.rand(8, 1, 8, 8)
    expected, _ = counts_and_membrane(model, x, T)
    module = emit_chain(import_snntorch(model, (1, 8, 8)), T, fold_pooling=True)
    assert "snn.avg_pool2d" not in ops(module)
    assert "nn.AvgPool2d '1': folded into the convolution before it" in [n.data for n in module.attributes["e3ne.notes"].data]
    np.testing.assert_array_equal(run_float(module, x.numpy()), expected)
