"""The float interpreter against PyTorch, and the golden model against an independent
integer computation written here in torch (it reads Wq, Bq and the scales from the IR
but shares no code with e3ne.numerics or e3ne.interpreters.golden)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, ModuleOp, TensorType, f32

from e3ne.dense import dense_to_numpy, numpy_to_dense
from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.interpreters.float_model import run_float
from e3ne.interpreters.golden import bit_serial_compute, compute, run_golden
from e3ne.transforms.snn.quantize_pipeline import quantize_module

INPUT_SHAPE = (1, 2, 10, 10)


def make_torch_model() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding=1),  # 10x10 -> 5x5
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2, stride=1),  # 5x5 -> 4x4
        nn.Conv2d(4, 6, 3, padding=1, bias=False),  # 4x4
        nn.ReLU(),
        nn.AvgPool2d(3, stride=2, padding=1),  # 4x4 -> 2x2, zero padding counted
        nn.Flatten(),
        nn.Linear(24, 10),
        nn.ReLU(),
        nn.Linear(10, 5),
    )
    bn = model[1]
    bn.running_mean.uniform_(-0.2, 0.2)
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.data.uniform_(0.5, 1.5)
    bn.bias.data.uniform_(-0.1, 0.1)
    return model.eval()


def _dense(tensor: torch.Tensor):
    return numpy_to_dense(tensor.detach().numpy().astype(np.float32), Float32Type())


def float_module_from_torch(model: nn.Sequential, input_shape) -> ModuleOp:
    """The float snn IR of a Sequential, built with the op constructors."""
    module = ModuleOp([])
    with ImplicitBuilder(module.body):
        function = func.FuncOp("net", ((TensorType(f32, input_shape),), ()))
    with ImplicitBuilder(function.body) as (x,):
        value = snn.InputOp(x).output
        for layer in model:
            shape = list(snn.shape_of(value))
            if isinstance(layer, nn.Conv2d):
                with torch.no_grad():
                    out_shape = list(layer(torch.zeros(shape)).shape)
                bias = None if layer.bias is None else _dense(layer.bias)
                value = snn.Conv2dOp(
                    value, _dense(layer.weight), bias, layer.stride, layer.padding, TensorType(f32, out_shape)
                ).output
            elif isinstance(layer, nn.Linear):
                bias = None if layer.bias is None else _dense(layer.bias)
                value = snn.LinearOp(
                    value, _dense(layer.weight), bias, TensorType(f32, [shape[0], layer.out_features])
                ).output
            elif isinstance(layer, nn.BatchNorm2d):
                bn = snn.BatchNormOp.create(
                    operands=[value],
                    result_types=[value.type],
                    properties={
                        "gamma": _dense(layer.weight),
                        "beta": _dense(layer.bias),
                        "mean": _dense(layer.running_mean),
                        "var": _dense(layer.running_var),
                        "eps": snn.FloatAttr(layer.eps, f32),
                    },
                )
                value = bn.output
            elif isinstance(layer, nn.ReLU):
                value = snn.ReluOp(value).output
            elif isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
                pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
                with torch.no_grad():
                    out_shape = list(layer(torch.zeros(shape)).shape)
                cls = snn.MaxPool2dOp if isinstance(layer, nn.MaxPool2d) else snn.AvgPool2dOp
                value = cls(
                    value, pair(layer.kernel_size), pair(layer.stride), pair(layer.padding), TensorType(f32, out_shape)
                ).output
            elif isinstance(layer, nn.Flatten):
                value = snn.FlattenOp(value).output
            else:
                raise NotImplementedError(type(layer))
        func.ReturnOp(value)
    function.update_function_type()
    module.verify()
    return module


@pytest.fixture(scope="module")
def network():
    model = make_torch_model()
    generator = torch.Generator().manual_seed(1)
    calibration = torch.rand((64, *INPUT_SHAPE[1:]), generator=generator)
    test = torch.rand((40, *INPUT_SHAPE[1:]), generator=generator) * 1.2 - 0.1
    float_module = float_module_from_torch(model, INPUT_SHAPE)
    quant = quantize_module(float_module, calibration.numpy(), time_steps=4, weight_bits=4, sigma=3.0)
    return model, float_module, quant, calibration.numpy(), test.numpy()


def test_float_interpreter_matches_pytorch(network):
    model, float_module, _, _, test = network
    with torch.no_grad():
        expected = model(torch.from_numpy(test)).numpy()
    np.testing.assert_allclose(run_float(float_module, test), expected, rtol=1e-5, atol=1e-5)


def test_float_interpreter_chunks_and_records(network):
    _, float_module, _, _, test = network
    from e3ne.interpreters import runner

    whole, recorded = run_float(float_module, test, record=True)
    old = runner.CHUNK
    runner.CHUNK = 7
    try:
        chunked = run_float(float_module, test)
    finally:
        runner.CHUNK = old
    np.testing.assert_array_equal(whole, chunked)
    snn_ops = [op for op in float_module.walk() if op.name.startswith("snn.")]
    assert list(recorded) == snn_ops
    assert all(len(v) == len(test) for v in recorded.values())


def test_quantize_module_leaves_float_module_intact(network):
    _, float_module, quant, _, _ = network
    names = [op.name for op in float_module.walk()]
    assert "snn.batchnorm" in names and "snn.encode" not in names
    assert "snn.batchnorm" not in [op.name for op in quant.walk()]


def test_folding_matches_pytorch_fusion(network):
    model, _, quant, _, _ = network
    from e3ne.transforms.snn.fold_batchnorm import fold_batchnorm_params

    conv, bn = model[0], model[1]
    weight, bias = fold_batchnorm_params(
        conv.weight.detach().numpy(), conv.bias.detach().numpy(), bn.weight.detach().numpy(),
        bn.bias.detach().numpy(), bn.running_mean.numpy(), bn.running_var.numpy(), bn.eps,
    )
    g = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    np.testing.assert_array_equal(weight, (conv.weight * g.reshape(-1, 1, 1, 1)).detach().numpy())
    np.testing.assert_array_equal(bias, ((conv.bias - bn.running_mean) * g + bn.bias).detach().numpy())


# ------------------------------------------------------------------ independent integer reference


def _layers(quant: ModuleOp):
    return [op for op in quant.walk() if op.name.startswith("snn.")]


def reference_integer_forward(model: nn.Sequential, quant: ModuleOp, x: np.ndarray, time_steps: int):
    """docs/numerics.md §2-8, straight from the contract, in torch float64 (every value is a small integer, exact)."""
    ops = _layers(quant)
    encode = ops[0]
    assert isinstance(encode, snn.EncodeOp)
    a = torch.clamp(torch.round(torch.from_numpy(x).double() * 2.0 ** encode.scale.value.data), 0, 2**time_steps - 1)
    computes = [op for op in ops if isinstance(op, snn.Conv2dOp | snn.LinearOp)]
    neurons = [op for op in ops if isinstance(op, snn.RadixNeuronOp)]
    torch_layers = [m for m in model if not isinstance(m, nn.BatchNorm2d | nn.ReLU)]
    scale_out = {id(c): n.output_scale.value.data for c, n in zip(computes, neurons)}
    for layer in torch_layers:
        if isinstance(layer, nn.Conv2d | nn.Linear):
            op = computes.pop(0)
            wq = torch.from_numpy(dense_to_numpy(op.weight)).double()
            bq = None if op.bias is None else torch.from_numpy(dense_to_numpy(op.bias)).double()
            if isinstance(layer, nn.Conv2d):
                v = F.conv2d(a, wq, bq, layer.stride, layer.padding)
            else:
                v = F.linear(a, wq, bq)
            if not computes:
                return v.long().numpy()
            scl = op.weight_scale.value.data + op.input_scale.value.data - scale_out[id(op)]
            relu = torch.clamp(v, min=0)
            if scl >= 1:
                a = torch.floor((relu + 2 ** (scl - 1)) / 2**scl)
            else:
                a = relu * 2 ** (-scl)
            a = torch.clamp(a, 0, 2**time_steps - 1)
        elif isinstance(layer, nn.MaxPool2d):
            a = F.max_pool2d(a, layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, nn.AvgPool2d):
            k = layer.kernel_size
            n = k * k
            total = F.avg_pool2d(a, k, layer.stride, layer.padding, count_include_pad=True, divisor_override=1)
            a = torch.floor((total + n // 2) / n)
        elif isinstance(layer, nn.Flatten):
            a = torch.flatten(a, 1)
    raise AssertionError("no output layer")


def test_golden_matches_independent_integer_reference(network):
    model, _, quant, _, test = network
    logits = run_golden(quant, test)
    assert logits.dtype == np.int64 and logits.shape == (len(test), 5)
    np.testing.assert_array_equal(logits, reference_integer_forward(model, quant, test, 4))


def test_quantized_weights_follow_the_formula(network):
    """s_w, Wq and Bq of every layer, recomputed here from the folded float weights."""
    model, _, quant, _, _ = network
    conv, bn = model[0], model[1]
    g = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    folded = [
        ((conv.weight * g.reshape(-1, 1, 1, 1)), (conv.bias - bn.running_mean) * g + bn.bias),
        (model[4].weight, None),
        (model[8].weight, model[8].bias),
        (model[10].weight, model[10].bias),
    ]
    computes = [op for op in _layers(quant) if isinstance(op, snn.Conv2dOp | snn.LinearOp)]
    for op, (weight, bias) in zip(computes, folded, strict=True):
        w = weight.detach().double()
        spread = abs(w.mean().item()) + 3.0 * w.std().item()
        s_w = 4 - 1 - int(np.ceil(np.log2(spread)))
        assert op.weight_scale.value.data == s_w
        expected_wq = torch.clamp(torch.round(w * 2.0**s_w), -8, 7).long().numpy()
        np.testing.assert_array_equal(dense_to_numpy(op.weight), expected_wq)
        if bias is not None:
            s_in = op.input_scale.value.data
            expected_bq = torch.round(bias.detach().double() * 2.0 ** (s_w + s_in)).long().numpy()
            np.testing.assert_array_equal(dense_to_numpy(op.bias), expected_bq)


def test_golden_record_has_every_integer_tensor(network):
    _, _, quant, _, test = network
    logits, recorded = run_golden(quant, test[:5], record=True)
    ops = _layers(quant)
    assert list(recorded) == ops
    np.testing.assert_array_equal(recorded[ops[-1]], logits)
    for op, value in recorded.items():
        assert value.dtype == np.int64
        assert value.shape[1:] == snn.shape_of(op.output)[1:]
        if snn.is_activation_tensor(op.output.type):
            assert value.min() >= 0 and value.max() <= 15


def test_accumulator_widths_are_tight_and_respected(network):
    _, _, quant, calibration, test = network
    _, recorded = run_golden(quant, np.concatenate([calibration, test]), record=True)
    for op in _layers(quant):
        if isinstance(op, snn.Conv2dOp | snn.LinearOp):
            width = snn.width_of(op.output)
            assert width < 64
            low, high = op.accumulator_range()
            assert -(2 ** (width - 1)) <= low and high < 2 ** (width - 1)
            assert not (-(2 ** (width - 2)) <= low and high < 2 ** (width - 2))  # one bit less would not do
            values = recorded[op]
            assert low <= values.min() and values.max() <= high


def test_bit_serial_equals_direct_product(network):
    _, _, quant, _, test = network
    _, recorded = run_golden(quant, test[:6], record=True)
    ops = _layers(quant)
    for index, op in enumerate(ops):
        if isinstance(op, snn.Conv2dOp | snn.LinearOp):
            a = recorded[ops[index - 1]]
            np.testing.assert_array_equal(bit_serial_compute(op, a), compute(op, a))


def test_bit_serial_small_hand_case():
    # 1 output, weights [3, -2], bias 5, T = 3, a = [5, 6]: V = 15 - 12 + 5 = 8.
    x = TensorType(snn.activation_type(3), [1, 2])
    module = ModuleOp([])
    with ImplicitBuilder(module.body):
        function = func.FuncOp("f", ((x,), ()))
    with ImplicitBuilder(function.body) as (arg,):
        op = snn.LinearOp(
            arg,
            numpy_to_dense(np.array([[3, -2]]), snn.signed_type(4)),
            numpy_to_dense(np.array([5]), snn.signed_type(32)),
            TensorType(snn.signed_type(8), [1, 1]),
            weight_scale=0,
            input_scale=0,
        )
        func.ReturnOp(op)
    a = np.array([[5, 6]])
    # planes MSB first: 5 = 101, 6 = 110 -> t0: [1,1] -> 1; t1: [0,1] -> 2*1 - 2 = 0; t2: [1,0] -> 0 + 3 = 3
    assert bit_serial_compute(op, a).tolist() == [[8]]
    assert compute(op, a).tolist() == [[8]]


def test_golden_rejects_float_ir(network):
    _, float_module, _, _, test = network
    with pytest.raises(E3NEError, match="float form"):
        run_golden(float_module, test)


def test_wrong_input_shape_is_a_clear_error(network):
    _, float_module, _, _, _ = network
    with pytest.raises(E3NEError, match="expected \\(N, 2, 10, 10\\)"):
        run_float(float_module, np.zeros((3, 10, 10), dtype=np.float32))


def test_frontend_import_agrees(network):
    """The same network through e3ne.frontend.import_model: float and golden results agree."""
    frontend = pytest.importorskip("e3ne.frontend")
    model, _, _, calibration, test = network
    float_module = frontend.import_model(model, INPUT_SHAPE[1:])
    with torch.no_grad():
        expected = model(torch.from_numpy(test)).numpy()
    np.testing.assert_allclose(run_float(float_module, test), expected, rtol=1e-5, atol=1e-5)
    quant = quantize_module(float_module, calibration, time_steps=4, weight_bits=4, sigma=3.0)
    np.testing.assert_array_equal(run_golden(quant, test), reference_integer_forward(model, quant, test, 4))


def test_golden_logits_track_the_float_network(network):
    """Dequantized logits V * 2^-(s_w + s_in) of the output layer follow the float ones."""
    _, float_module, quant, _, test = network
    output = [op for op in _layers(quant) if isinstance(op, snn.Conv2dOp | snn.LinearOp)][-1]
    scale = 2.0 ** -(output.weight_scale.value.data + output.input_scale.value.data)
    dequantized = run_golden(quant, test) * scale
    reference = run_float(float_module, test)
    assert np.corrcoef(dequantized.ravel(), reference.ravel())[0, 1] > 0.95
    assert np.abs(dequantized - reference).max() < 0.1


def test_calibration_is_the_same_in_chunks(network, monkeypatch):
    from e3ne.interpreters import runner
    from e3ne.transforms.snn.calibrate import calibrate

    _, float_module, _, calibration, _ = network

    def maxima(module):
        return [op.calib_max.value.data for op in module.walk() if isinstance(op, snn.InputOp | snn.ReluOp)]

    whole = calibrate(float_module.clone(), calibration)
    monkeypatch.setattr(runner, "CHUNK", 5)
    chunked = calibrate(float_module.clone(), calibration)
    assert maxima(whole) == maxima(chunked)
    assert maxima(whole)[0] == float(calibration.max())


def test_network_ending_in_relu_is_rejected():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU()).eval()
    float_module = float_module_from_torch(model, (1, 3))
    with pytest.raises(E3NEError, match="must end in snn.conv2d or snn.linear"):
        quantize_module(float_module, np.random.default_rng(0).random((4, 3), dtype=np.float32))


def test_float_interpreter_rejects_quantized_ir(network):
    _, _, quant, _, test = network
    with pytest.raises(E3NEError, match="quantized form"):
        run_float(quant, test)
