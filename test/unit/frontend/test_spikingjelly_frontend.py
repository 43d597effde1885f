"""SpikingJelly multi-step IFNode/LIFNode networks: the float snn IR equals SpikingJelly's own
multi-step forward pass exactly, and unsupported neurons/options are refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e3ne.errors import E3NEError
from e3ne.frontend.spiking.emit import emit_chain
from e3ne.frontend.spiking.snntorch_import import import_snntorch
from e3ne.interpreters.float_model import run_float

sj = pytest.importorskip("spikingjelly.activation_based")
from spikingjelly.activation_based import functional, layer, neuron

T = 6


def multi_step_counts(net, x):
    functional.reset_net(net)
    with torch.no_grad():
        return net(x.unsqueeze(0).repeat(T, *[1] * x.dim())).sum(0).numpy()


def scale(net, factor=10.0):
    torch.manual_seed(0)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
                m.weight.mul_(factor)
    return net


@pytest.mark.parametrize("decay_input", [True, False])
def test_lif_cnn_and_soft_reset_if_equal_spikingjelly(decay_input):
    torch.manual_seed(1)
    net = scale(torch.nn.Sequential(
        layer.Conv2d(1, 4, 3, padding=1, step_mode="m"), layer.AvgPool2d(2, step_mode="m"),
        neuron.LIFNode(tau=2.0, decay_input=decay_input, step_mode="m"),
        layer.Flatten(step_mode="m"), layer.Linear(64, 5, step_mode="m"), neuron.IFNode(v_reset=None, step_mode="m"),
    ))  # fmt: skip
    x = torch.rand(8, 1, 8, 8)
    expected = multi_step_counts(net, x)
    chain = import_snntorch(net, (1, 8, 8))
    assert chain.source == "spikingjelly"
    assert [n.reset for n in chain.neurons] == ["zero", "subtract"]
    assert float(chain.neurons[0].beta) == 0.5
    assert float(chain.neurons[0].threshold) == (2.0 if decay_input else 1.0)
    assert expected.sum() > 0
    np.testing.assert_array_equal(run_float(emit_chain(chain, T), x.numpy()), expected)
    assert net[2].step_mode == "m"  # the user's model is untouched (a copy runs single-step)


def test_lif_soft_reset_is_refused():
    net = torch.nn.Sequential(layer.Linear(12, 5), neuron.LIFNode(v_reset=None))
    with pytest.raises(E3NEError, match="spikingjelly.LIFNode '1' has a soft reset"):
        import_snntorch(net, (12,))


def test_nonzero_reset_potential_is_refused():
    net = torch.nn.Sequential(layer.Linear(12, 5), neuron.IFNode(v_reset=0.5))
    with pytest.raises(E3NEError, match=r"spikingjelly.IFNode '1' has v_reset=0.5"):
        import_snntorch(net, (12,))


def test_other_spikingjelly_neurons_are_refused():
    net = torch.nn.Sequential(layer.Linear(12, 5), neuron.ParametricLIFNode())
    with pytest.raises(E3NEError, match="spikingjelly.ParametricLIFNode '1' is not supported"):
        import_snntorch(net, (12,))
