"""NIR frontend: graphs built with the nir API read into the same float snn IR as the
equivalent snnTorch network (exact spike counts), the dt/leak conversion, write/read round
trips, and refusals naming the node."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from spiking_nets import conv_net, counts_and_membrane, leaky, mlp, scaled
from torch import nn

from e3ne.errors import E3NEError
from e3ne.frontend.spiking.emit import emit_chain
from e3ne.frontend.spiking.nir_export import chain_to_nir, write_nir
from e3ne.frontend.spiking.nir_import import chain_from_nir, import_nir
from e3ne.frontend.spiking.reference import run_chain
from e3ne.frontend.spiking.snntorch_import import import_snntorch
from e3ne.interpreters.float_model import run_float

nir = pytest.importorskip("nir")
T = 6
DT = 1e-4


def lif(shape, beta=0.875, threshold=1.0, r=None, **kwargs):
    """A NIR LIF in snnTorch's export convention: tau = dt/(1-beta), r = tau/dt."""
    beta = np.broadcast_to(np.float32(beta), shape)
    tau = (DT / (1 - beta)).astype(np.float32)
    fields = dict(tau=tau, r=tau / np.float32(DT) if r is None else np.full(shape, r, np.float32),
                  v_leak=np.zeros(shape, np.float32), v_threshold=np.full(shape, threshold, np.float32))
    fields.update(kwargs)
    return nir.LIF(**fields)


def graph(*pairs, input_shape=(12,)):
    nodes = {"input": nir.Input(input_type={"input": np.array(input_shape)})}
    nodes.update(pairs)
    names = list(nodes)
    nodes["output"] = nir.Output(output_type={"output": np.array([5])})
    names.append("output")
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])), type_check=False)


def weights(seed, *shape, scale=3.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, scale / np.sqrt(np.prod(shape[1:])), shape)).astype(np.float32)


def test_nir_mlp_equals_the_snntorch_network():
    w1, b1, w2 = weights(1, 16, 12), weights(2, 16, scale=0.3), weights(3, 5, 16)
    g = graph(("fc1", nir.Affine(weight=w1, bias=b1)), ("lif1", lif((16,))),
              ("fc2", nir.Linear(weight=w2)), ("lif2", lif((5,), threshold=0.8)))
    model = nn.Sequential(nn.Linear(12, 16), leaky(reset_mechanism="zero"), nn.Linear(16, 5, bias=False),
                          leaky(reset_mechanism="zero", threshold=0.8)).eval()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(w1))
        model[0].bias.copy_(torch.from_numpy(b1))
        model[2].weight.copy_(torch.from_numpy(w2))
    chain = chain_from_nir(g, dt=DT)
    assert [layer.describe() for layer in chain.layers] == [
        "NIR Affine 'fc1'", "NIR LIF 'lif1'", "NIR Linear 'fc2'", "NIR LIF 'lif2'",
    ]
    assert float(chain.layers[1].beta) == np.float32(0.875) and chain.layers[1].reset == "zero"
    x = torch.rand(8, 12)
    expected, _ = counts_and_membrane(model, x, T)
    module = emit_chain(chain, T)
    assert expected.sum() > 0
    np.testing.assert_array_equal(run_float(module, x.numpy()), expected)
    assert module.attributes["e3ne.frontend"].data == "nir, direct coding, T=6"
    assert module.attributes["e3ne.notes"].data[0].data == "NIR time step dt = 0.0001 s, leak beta = 1 - dt/tau (forward Euler)"


def test_dt_and_leak_choice_set_beta():
    g = graph(("fc", nir.Linear(weight=weights(1, 5, 12))),
              ("lif", nir.LIF(tau=np.full(5, 0.02, np.float32), r=np.ones(5, np.float32),
                              v_leak=np.zeros(5, np.float32), v_threshold=np.ones(5, np.float32))))
    euler = chain_from_nir(g, dt=1e-3).layers[1]
    exact = chain_from_nir(g, dt=1e-3, leak="exp").layers[1]
    assert float(euler.beta) == np.float32(0.95)
    assert float(exact.beta) == np.float32(np.exp(-0.05))
    # input gain R*(1 - beta) moved into the threshold: thr / (1 - beta)
    assert float(euler.threshold) == pytest.approx(1 / 0.05, rel=1e-6)
    module = emit_chain(chain_from_nir(g, dt=1e-3, leak="exp"), T)
    assert "beta = exp(-dt/tau)" in module.attributes["e3ne.notes"].data[0].data


def test_lif_input_gain_moves_into_the_threshold_without_changing_spikes():
    """LIF with r = 2*tau/dt (gain 2) spikes as the gain-1 LIF with half the threshold."""
    w = weights(4, 5, 12)
    base = graph(("fc", nir.Linear(weight=w)), ("lif", lif((5,), threshold=0.5)))
    gained = graph(("fc", nir.Linear(weight=w)),
                   ("lif", lif((5,), threshold=1.0, r=2 * (DT / (1 - 0.875)) / DT)))
    x = np.random.default_rng(0).random((8, 12), dtype=np.float32)
    a = run_chain(chain_from_nir(base), x, T)[0]
    b = run_chain(chain_from_nir(gained), x, T)[0]
    np.testing.assert_array_equal(a, b)
    assert a.sum() > 0


def test_if_and_sum_pooling_cnn():
    """Conv -> SumPool2d -> IF -> Flatten -> Linear -> IF against the same net with AvgPool2d and
    4x the conv weights in snnTorch (IF = Leaky with beta 1, reset to zero)."""
    wc, wl = weights(5, 4, 1, 3, 3), weights(6, 5, 64)
    g = graph(
        ("conv", nir.Conv2d(input_shape=np.array([8, 8]), weight=wc, stride=1, padding=1, dilation=1, groups=1,
                            bias=np.zeros(4, np.float32))),
        ("pool", nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))),
        ("if1", nir.IF(r=np.ones((4, 4, 4), np.float32), v_threshold=np.full((4, 4, 4), 2.0, np.float32))),
        ("flat", nir.Flatten(input_type={"input": np.array([4, 3, 3])}, start_dim=0, end_dim=-1)),
        ("fc", nir.Linear(weight=wl)),
        ("if2", nir.IF(r=np.ones(5, np.float32), v_threshold=np.ones(5, np.float32))),
        input_shape=(1, 8, 8),
    )
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.AvgPool2d(2),
                          leaky(beta=1.0, threshold=2.0, reset_mechanism="zero"), nn.Flatten(),
                          nn.Linear(64, 5, bias=False), leaky(beta=1.0, reset_mechanism="zero")).eval()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(wc * 4))
        model[4].weight.copy_(torch.from_numpy(wl))
    chain = chain_from_nir(g)
    assert chain.layers[1].mode == "sum" and chain.layers[2].is_if
    x = torch.rand(8, 1, 8, 8)
    expected, _ = counts_and_membrane(model, x, T)
    assert expected.sum() > 0
    np.testing.assert_array_equal(run_float(emit_chain(chain, T), x.numpy()), expected)
    np.testing.assert_array_equal(run_chain(chain, x.numpy(), T)[0], expected)


@pytest.mark.parametrize("make", [lambda: mlp("zero"), lambda: conv_net("zero")], ids=["mlp", "cnn"])
def test_write_then_read_equals_snntorch(tmp_path, make):
    model = scaled(make())
    shape = (1, 3, 4) if isinstance(model[0], nn.Flatten) else (1, 8, 8)
    write_nir(import_snntorch(model, shape), tmp_path / "net.nir")
    chain = import_nir(tmp_path / "net.nir")
    x = torch.rand(8, *shape)
    expected, _ = counts_and_membrane(model, x, T)
    np.testing.assert_array_equal(run_float(emit_chain(chain, T), x.numpy()), expected)


def test_subtract_reset_has_no_nir_form():
    with pytest.raises(E3NEError, match="snntorch.Leaky '2' resets by subtraction; NIR's IF/LIF reset to v_reset"):
        chain_to_nir(import_snntorch(scaled(mlp("subtract")), (12,)))


# ---------------------------------------------------------------------- refusals


def _refused(g, *fragments, **kwargs):
    with pytest.raises(E3NEError) as info:
        chain_from_nir(g, **kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def _fc():
    return ("fc", nir.Linear(weight=weights(1, 5, 12)))


def test_cubalif_is_refused_by_name():
    cuba = nir.CubaLIF(tau_syn=np.ones(5), tau_mem=np.ones(5), r=np.ones(5), v_leak=np.zeros(5),
                       v_threshold=np.ones(5))
    _refused(graph(_fc(), ("neuron", cuba)), "NIR CubaLIF 'neuron' is not supported", "synaptic current")


def test_delay_is_refused_by_name():
    _refused(graph(_fc(), ("wait", nir.Delay(delay=np.ones(5))), ("lif", lif((5,)))),
             "NIR Delay 'wait' is not supported", "no synaptic delays")


def test_leaky_integrator_readout_is_refused():
    li = nir.LI(tau=np.ones(5), r=np.ones(5), v_leak=np.zeros(5))
    _refused(graph(_fc(), ("readout", li)), "NIR LI 'readout' is not supported")


def test_recurrent_graph_is_refused():
    g = graph(_fc(), ("lif", lif((5,))), ("rec", nir.Linear(weight=weights(2, 5, 5))))
    g.edges.append(("rec", "lif"))
    _refused(g, "NIR node 'lif' (LIF) has 2 inputs (fc, rec)")


def test_branch_is_refused():
    g = graph(_fc(), ("lif", lif((5,))))
    g.nodes["side"] = nir.Output(output_type={"output": np.array([5])})
    g.edges.append(("lif", "side"))
    _refused(g, "NIR node 'lif' (LIF) feeds 2 nodes")


def test_subgraph_is_refused():
    inner = graph(_fc(), ("lif", lif((5,))))
    _refused(graph(("block", inner), input_shape=(12,)), "NIR NIRGraph 'block' is not supported", "subgraph")


def test_v_leak_is_refused():
    _refused(graph(_fc(), ("lif", lif((5,), v_leak=np.full(5, 0.1, np.float32)))), "NIR LIF 'lif' has v_leak != 0")


def test_v_reset_is_refused():
    _refused(graph(_fc(), ("lif", lif((5,), v_reset=np.full(5, 0.5, np.float32)))), "NIR LIF 'lif' has v_reset != 0")


def test_tau_shorter_than_dt_is_refused():
    _refused(graph(_fc(), ("lif", lif((5,)))), "NIR LIF 'lif' has tau < dt = 0.01 s", dt=1e-2)


def test_grouped_conv_is_refused():
    conv = nir.Conv2d(input_shape=np.array([8, 8]), weight=weights(1, 4, 1, 3, 3), stride=1, padding=0, dilation=1,
                      groups=2, bias=np.zeros(4))
    _refused(graph(("conv", conv), ("lif", lif((4, 6, 6))), input_shape=(2, 8, 8)), "NIR Conv2d 'conv' has dilation or groups")


def test_partial_flatten_is_refused():
    flat = nir.Flatten(input_type={"input": np.array([1, 3, 4])}, start_dim=2, end_dim=-1)
    _refused(graph(("flat", flat), _fc(), ("lif", lif((5,))), input_shape=(1, 3, 4)), "NIR Flatten 'flat' flattens dimensions 2..-1")


def test_missing_file(tmp_path):
    with pytest.raises(E3NEError, match="NIR file not found"):
        import_nir(tmp_path / "none.nir")
