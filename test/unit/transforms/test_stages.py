"""The grouping of snn ops into hardware stages (e3ne.transforms.stages), on hand-written networks."""

from __future__ import annotations

import pytest
from xdsl.dialects import func
from xdsl.parser import Parser

from e3ne.errors import E3NEError
from e3ne.ir import make_context
from e3ne.transforms.stages import find_stage, network_stages

ENCODE = "%0 = snn.encode %x {scale = 2 : i64, time_steps = 2 : i64} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xui2>"
CONV1 = (
    "%1 = snn.conv2d %0 {weight = dense<1> : tensor<2x1x3x3xsi3>, bias = dense<0> : tensor<2xsi32>, "
    "stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, weight_scale = 2 : i64, input_scale = 2 : i64} "
    ": tensor<1x1x4x4xui2> -> tensor<1x2x4x4xsi7>"
)
NEURON1 = (
    "%2 = snn.radix_neuron %1 {shift = 2 : i64, time_steps = 2 : i64, output_scale = 2 : i64} "
    ": tensor<1x2x4x4xsi7> -> tensor<1x2x4x4xui2>"
)
MAXPOOL = (
    "%3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} "
    ": tensor<1x2x4x4xui2> -> tensor<1x2x2x2xui2>"
)
CONV2 = (
    "%4 = snn.conv2d %3 {weight = dense<1> : tensor<2x2x1x1xsi3>, bias = dense<0> : tensor<2xsi32>, "
    "stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 2 : i64, input_scale = 2 : i64} "
    ": tensor<1x2x2x2xui2> -> tensor<1x2x2x2xsi5>"
)
NEURON2 = (
    "%5 = snn.radix_neuron %4 {shift = 2 : i64, time_steps = 2 : i64, output_scale = 2 : i64} "
    ": tensor<1x2x2x2xsi5> -> tensor<1x2x2x2xui2>"
)
AVGPOOL = (  # stride 1 != window 2: never fused
    "%6 = snn.avg_pool2d %5 {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} "
    ": tensor<1x2x2x2xui2> -> tensor<1x2x1x1xui2>"
)
FLATTEN = "%7 = snn.flatten %6 : tensor<1x2x1x1xui2> -> tensor<1x2xui2>"
FC1 = (
    "%8 = snn.linear %7 {weight = dense<1> : tensor<3x2xsi3>, bias = dense<0> : tensor<3xsi32>, "
    "weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x2xui2> -> tensor<1x3xsi5>"
)
NEURON3 = (
    "%9 = snn.radix_neuron %8 {shift = 1 : i64, time_steps = 2 : i64, output_scale = 2 : i64} "
    ": tensor<1x3xsi5> -> tensor<1x3xui2>"
)
FC2 = (
    "%10 = snn.linear %9 {weight = dense<1> : tensor<2x3xsi3>, bias = dense<0> : tensor<2xsi32>, "
    "weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x3xui2> -> tensor<1x2xsi5>"
)
NETWORK = [ENCODE, CONV1, NEURON1, MAXPOOL, CONV2, NEURON2, AVGPOOL, FLATTEN, FC1, NEURON3, FC2]


def network(lines: list[str], result: str = "%10 : tensor<1x2xsi5>") -> func.FuncOp:
    body = "\n  ".join(lines)
    text = (
        f"func.func @net(%x: tensor<1x1x4x4xf32>) -> {result.split(' : ')[1]} {{\n  {body}\n"
        f"  func.return {result}\n}}"
    )
    module = Parser(make_context(), text).parse_module()
    return next(op for op in module.ops if isinstance(op, func.FuncOp))


def grouping(function: func.FuncOp, fuse_pooling: bool = True) -> list[tuple[str, str, list[str]]]:
    return [(s.name, s.kind, [op.name for op in s.ops]) for s in network_stages(function, fuse_pooling)]


def test_stages_fuse_pooling_into_the_conv_and_keep_flatten_with_its_linear():
    assert grouping(network(NETWORK)) == [
        ("conv1", "conv", ["snn.conv2d", "snn.radix_neuron", "snn.max_pool2d"]),
        ("conv2", "conv", ["snn.conv2d", "snn.radix_neuron"]),
        ("pool1", "pool", ["snn.avg_pool2d"]),
        ("fc1", "linear", ["snn.flatten", "snn.linear", "snn.radix_neuron"]),
        ("fc2", "linear", ["snn.linear"]),
    ]


def test_stages_without_fusion_make_every_pooling_a_stage():
    assert grouping(network(NETWORK), fuse_pooling=False) == [
        ("conv1", "conv", ["snn.conv2d", "snn.radix_neuron"]),
        ("pool1", "pool", ["snn.max_pool2d"]),
        ("conv2", "conv", ["snn.conv2d", "snn.radix_neuron"]),
        ("pool2", "pool", ["snn.avg_pool2d"]),
        ("fc1", "linear", ["snn.flatten", "snn.linear", "snn.radix_neuron"]),
        ("fc2", "linear", ["snn.linear"]),
    ]


def test_stage_parts():
    function = network(NETWORK)
    ops = list(function.body.ops)
    stages = network_stages(function)
    conv1, fc1, fc2 = (find_stage(stages, name) for name in ("conv1", "fc1", "fc2"))
    assert (conv1.layer, conv1.neuron, conv1.pooling, conv1.output) == (ops[1], ops[2], ops[3], ops[3])
    assert conv1.input is ops[0].results[0]
    assert (fc1.layer, fc1.neuron, fc1.pooling, fc1.input) == (ops[8], ops[9], None, ops[6].results[0])
    assert (fc2.neuron, fc2.output) == (None, ops[10])
    assert find_stage(stages, "pool1").pooling is None  # a stand-alone pooling is the stage's layer
    with pytest.raises(E3NEError, match="no stage 'conv3'"):
        find_stage(stages, "conv3")


def test_a_convolution_needs_its_neuron():
    with pytest.raises(E3NEError, match="a convolution must be followed by snn.radix_neuron"):
        network_stages(network([ENCODE, CONV1], "%1 : tensor<1x2x4x4xsi7>"))


def test_a_hidden_linear_needs_its_neuron():
    with pytest.raises(E3NEError, match="snn.linear must be followed by snn.radix_neuron, found snn.flatten"):
        network_stages(network([*NETWORK[:8], FC1, "%9 = snn.flatten %8 : tensor<1x3xsi5> -> tensor<1x3xsi5>"],
                               "%9 : tensor<1x3xsi5>"))


def test_a_network_cannot_end_with_flatten():
    with pytest.raises(E3NEError, match="the network ends with snn.flatten"):
        network_stages(network(NETWORK[:8], "%7 : tensor<1x2xui2>"))


def test_a_network_starts_with_encode():
    with pytest.raises(E3NEError, match="the network must start with snn.encode"):
        network_stages(network([CONV1.replace("%0", "%x").replace("ui2>", "f32>", 1)], "%1 : tensor<1x2x4x4xsi7>"))
