"""The torch.fx frontend: op sequences, numerical agreement with PyTorch, and user errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from e3ne.dialects import snn
from e3ne.errors import E3NEError
from e3ne.frontend import import_model
from e3ne.interpreters.float_model import run_float

LOCATION = re.compile(r"test_frontend\.py:\d+")


def body_ops(module) -> list[str]:
    function = module.body.block.first_op
    return [op.name for op in function.body.block.ops]


def check_import(model: nn.Module, input_shape: tuple[int, ...], expected: list[str], batch: int = 3):
    """Import `model`, compare the op sequence, and compare run_float with PyTorch."""
    torch.manual_seed(1)
    module = import_model(model, input_shape)
    assert body_ops(module) == ["snn.input", *expected, "func.return"]
    x = torch.randn(batch, *input_shape)
    with torch.no_grad():
        expected_out = model(x).numpy()
    np.testing.assert_allclose(run_float(module, x.numpy()), expected_out, rtol=1e-5, atol=1e-5)
    return module


def randomize_batchnorm(model: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            if m.affine:
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
    return model


# ---------------------------------------------------------------------- supported models


def test_sequential_mlp():
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 20), nn.ReLU(inplace=True), nn.Linear(20, 10))
    module = check_import(model, (16,), ["snn.linear", "snn.relu", "snn.linear", "snn.relu", "snn.linear"])
    function = module.body.block.first_op
    assert function.sym_name.data == "net"
    assert str(function.function_type) == "(tensor<1x16xf32>) -> tensor<1x10xf32>"


def test_function_name_and_input():
    module = import_model(nn.Sequential(nn.Flatten(), nn.Linear(12, 3)), (3, 2, 2), name="tiny")
    function = module.body.block.first_op
    assert function.sym_name.data == "tiny"
    assert str(function.function_type) == "(tensor<1x3x2x2xf32>) -> tensor<1x3xf32>"
    first = function.body.block.first_op
    assert isinstance(first, snn.InputOp) and first.input is function.body.block.args[0]


def test_cnn_stride_padding_batchnorm_pools():
    model = randomize_batchnorm(
        nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 6, (3, 5), padding=(1, 2), bias=False),
            nn.BatchNorm2d(6, affine=False, eps=1e-3),
            nn.ReLU(),
            nn.AvgPool2d(2, stride=1, padding=1),
            nn.Flatten(),
            nn.Linear(6 * 4 * 4, 10),
        )
    )
    module = check_import(
        model,
        (1, 12, 12),
        [
            "snn.conv2d", "snn.batchnorm", "snn.relu", "snn.max_pool2d",
            "snn.conv2d", "snn.batchnorm", "snn.relu", "snn.avg_pool2d",
            "snn.flatten", "snn.linear",
        ],
    )
    ops = list(module.body.block.first_op.body.block.ops)
    assert ops[1].strides() == (2, 2) and ops[1].paddings() == (1, 1)
    assert ops[5].kernel() == (3, 5) and ops[5].paddings() == (1, 2) and ops[5].bias is None
    assert ops[6].eps.value.data == pytest.approx(1e-3)


class FunctionalNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding="same")
        self.conv2 = nn.Conv2d(4, 4, 3, padding="valid")
        self.fc1 = nn.Linear(4 * 2 * 2, 8)
        self.fc2 = nn.Linear(8, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = torch.relu(self.conv2(x))
        x = F.avg_pool2d(x, kernel_size=2)
        x = x.view(x.size(0), -1)
        x = self.fc1(x).relu()
        return self.fc2(x)


def test_functional_forward():
    check_import(
        FunctionalNet(),
        (3, 12, 12),
        ["snn.conv2d", "snn.relu", "snn.max_pool2d", "snn.conv2d", "snn.relu", "snn.avg_pool2d",
         "snn.flatten", "snn.linear", "snn.relu", "snn.linear"],
    )


class FlattenStyles(nn.Module):
    def __init__(self, style: str):
        super().__init__()
        self.style = style
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        x = F.relu(self.conv(x))
        if self.style == "reshape":
            x = x.reshape(x.shape[0], -1)
        elif self.style == "torch.flatten":
            x = torch.flatten(x, 1)
        elif self.style == "method":
            x = x.flatten(1)
        elif self.style == "view-size":
            x = x.view(x.size()[0], x.size(1) * x.size(2) * x.size(3))
        else:
            x = x.view(-1, 2 * 4 * 4)
        return self.fc(x)


@pytest.mark.parametrize("style", ["reshape", "torch.flatten", "method", "view-size", "view-constant"])
def test_flatten_styles(style):
    check_import(FlattenStyles(style), (1, 6, 6), ["snn.conv2d", "snn.relu", "snn.flatten", "snn.linear"])


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class NestedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(Block(1, 3), nn.Sequential(nn.Sequential(nn.MaxPool2d(2)), Block(3, 4)))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(4 * 4 * 4, 6)))

    def forward(self, x):
        return self.classifier(self.features(x))


def test_nested_sequential_and_submodules():
    check_import(
        NestedNet(), (1, 8, 8),
        ["snn.conv2d", "snn.relu", "snn.max_pool2d", "snn.conv2d", "snn.relu", "snn.flatten", "snn.linear"],
    )


class DropoutNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.drop2d = nn.Dropout2d(0.3)
        self.fc1 = nn.Linear(2 * 4 * 4, 8)
        self.drop = nn.Dropout(0.5)
        self.identity = nn.Identity()
        self.alpha = nn.AlphaDropout(0.1)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        x = self.drop2d(F.relu(self.conv(x)))
        x = F.dropout(torch.flatten(x, 1), 0.5, self.training)
        x = self.identity(self.drop(F.relu(self.fc1(x))))
        return self.fc2(self.alpha(x))


def test_dropout_and_identity_are_dropped():
    model = DropoutNet()
    model.train()  # import_model puts it in eval mode
    check_import(model, (1, 6, 6), ["snn.conv2d", "snn.relu", "snn.flatten", "snn.linear", "snn.relu", "snn.linear"])


def test_conv_maxpool_relu_is_reordered():
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(3, 2, 3), nn.Flatten(), nn.ReLU(), nn.Linear(2 * 2 * 2, 4),
    )
    check_import(
        model, (1, 8, 8),
        ["snn.conv2d", "snn.relu", "snn.max_pool2d", "snn.conv2d", "snn.relu", "snn.flatten", "snn.linear"],
    )


def test_conv_batchnorm_maxpool_relu_is_reordered():
    model = randomize_batchnorm(
        nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
    )
    check_import(
        model, (1, 6, 6), ["snn.conv2d", "snn.batchnorm", "snn.relu", "snn.max_pool2d", "snn.flatten", "snn.linear"]
    )


def test_batchnorm1d_mlp():
    model = randomize_batchnorm(
        nn.Sequential(
            nn.Linear(10, 12), nn.BatchNorm1d(12), nn.ReLU(),
            nn.Linear(12, 8, bias=False), nn.BatchNorm1d(8, affine=False), nn.ReLU(),
            nn.Linear(8, 4), nn.BatchNorm1d(4),
        )
    )
    check_import(
        model, (10,),
        ["snn.linear", "snn.batchnorm", "snn.relu", "snn.linear", "snn.batchnorm", "snn.relu",
         "snn.linear", "snn.batchnorm"],
    )


class ParameterNet(nn.Module):
    """Weights used through get_attr nodes (functional layers on module attributes)."""

    def __init__(self):
        super().__init__()
        self.kernel = nn.Parameter(torch.randn(3, 2, 3, 3) * 0.3)
        self.register_buffer("mean", torch.randn(3) * 0.1)
        self.register_buffer("var", torch.rand(3) + 0.5)
        self.w = nn.Parameter(torch.randn(4, 3 * 2 * 2) * 0.3)
        self.b = nn.Parameter(torch.randn(4) * 0.1)

    def forward(self, x):
        x = F.conv2d(x, self.kernel, stride=2)
        x = F.batch_norm(x, self.mean, self.var, training=False, eps=1e-4)
        x = F.adaptive_avg_pool2d(F.relu(x), (2, 2))
        return F.linear(x.flatten(1), self.w, self.b)


def test_get_attr_parameters_and_adaptive_pool():
    check_import(
        ParameterNet(), (2, 9, 9),
        ["snn.conv2d", "snn.batchnorm", "snn.relu", "snn.avg_pool2d", "snn.flatten", "snn.linear"],
    )


def test_adaptive_pools_identity_and_global():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AdaptiveAvgPool2d((4, 4)), nn.AdaptiveMaxPool2d(1),
        nn.Flatten(), nn.Linear(2, 2),
    )
    check_import(model, (1, 6, 6), ["snn.conv2d", "snn.relu", "snn.max_pool2d", "snn.flatten", "snn.linear"])


def test_conv_output_layer_is_refused_with_what_to_add():
    """A fully convolutional classifier (issue 14): the hardware's output layer is a linear unit, so
    the message names the final convolution and the layers to add, with its feature count."""
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 10, 4), nn.Flatten())
    message = import_error(model, (1, 6, 6))
    assert "the output layer nn.Conv2d '2' is a convolution" in message
    assert "add nn.ReLU(), nn.Flatten() and nn.Linear(10, CLASSES) (10x1x1 = 10 features)" in message
    unflattened = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3))
    assert "nn.Linear(8, CLASSES) (2x2x2 = 8 features)" in import_error(unflattened, (1, 6, 6))


def test_redundant_relu_is_dropped():
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.ReLU(), nn.Linear(6, 2))
    check_import(model, (4,), ["snn.linear", "snn.relu", "snn.linear"])


# ---------------------------------------------------------------------- rejected models


def import_error(model: nn.Module, input_shape=(1, 8, 8)) -> str:
    with pytest.raises(E3NEError) as info:
        import_model(model, input_shape)
    assert "Traceback" not in str(info.value)
    return str(info.value)


class SigmoidNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3), nn.Sigmoid())
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


def test_unsupported_module_names_layer_kind_location_and_support():
    message = import_error(SigmoidNet())
    assert "nn.Sigmoid 'features.3' is not supported" in message
    assert LOCATION.search(message)
    assert "supported layers: nn.Conv2d" in message


def test_unsupported_module_in_plain_sequential_falls_back_to_model_name():
    message = import_error(nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2)), (4,))
    assert "nn.Tanh '1' is not supported" in message and "model Sequential" in message


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(16, 8)

    def forward(self, x):
        return self.rnn(x)


def test_lstm_rejected():
    message = import_error(LSTMNet(), (16,))
    assert "nn.LSTM 'rnn' is not supported" in message and LOCATION.search(message)


class ResidualNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        x = x + self.conv(x)
        return self.fc(x.flatten(1))


def test_residual_add_rejected():
    message = import_error(ResidualNet())
    assert "torch.add (+) 'add' is not supported" in message
    assert "residual connections" in message and "single chain" in message and LOCATION.search(message)


class CatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(torch.cat([x, x], 1))


def test_cat_rejected():
    message = import_error(CatNet(), (4,))
    assert "torch.cat 'cat' is not supported" in message and "single chain" in message


class BranchNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x):
        y = F.relu(self.a(x))
        z = self.b(y)
        self.a(y)
        return z


def test_branch_rejected():
    message = import_error(BranchNet(), (4,))
    assert "feeds both" in message and "single chain" in message and LOCATION.search(message)


@pytest.mark.parametrize(
    "layer, text",
    [
        (nn.Conv2d(1, 2, 3, dilation=2), "nn.Conv2d '0' has dilation=(2, 2); e3ne supports dilation=1 only"),
        (nn.Conv2d(2, 2, 3, groups=2), "has groups=2; e3ne supports groups=1 only"),
        (nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
        (nn.MaxPool2d(2, ceil_mode=True), "nn.MaxPool2d '0' has ceil_mode=True; e3ne supports ceil_mode=False"),
        (nn.MaxPool2d(2, dilation=2), "has dilation=2"),
        (nn.AvgPool2d(2, ceil_mode=True), "nn.AvgPool2d '0' has ceil_mode=True"),
        (nn.AvgPool2d(3, padding=1, count_include_pad=False), "count_include_pad=False"),
        (nn.AvgPool2d(2, divisor_override=3), "divisor_override=3"),
        (nn.AdaptiveAvgPool2d(3), "output size 3x3 for a 8x8 input"),
    ],
)
def test_unsupported_layer_parameters(layer, text):
    channels = 2 if isinstance(layer, nn.Conv2d) and layer.groups == 2 else 1
    model = nn.Sequential(layer, nn.Flatten(), nn.LazyLinear(2))
    message = import_error(model, (channels, 8, 8))
    assert text in message


class FunctionalCeilNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc(F.max_pool2d(x, 2, ceil_mode=True).flatten(1))


def test_functional_ceil_mode_rejected():
    message = import_error(FunctionalCeilNet(), (1, 7, 7))
    assert "F.max_pool2d 'max_pool2d' has ceil_mode=True" in message and LOCATION.search(message)


def test_hidden_layer_without_relu():
    message = import_error(nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2)), (4,))
    assert "hidden layer nn.Linear '0' is not followed by a ReLU" in message


def test_output_layer_with_relu():
    message = import_error(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2), nn.ReLU()), (4,))
    assert "output layer nn.Linear '2' is followed by ReLU nn.ReLU '3'" in message


def test_avgpool_before_relu():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(18, 2))
    message = import_error(model)
    assert "nn.AvgPool2d '1' sits between nn.Conv2d '0' and its ReLU" in message


def test_batchnorm_after_relu():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 2))
    message = import_error(model, (4,))
    assert "nn.BatchNorm1d '2' does not directly follow nn.Linear '0'" in message


def test_batchnorm_without_running_stats():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, track_running_stats=False), nn.ReLU(), nn.Linear(8, 2))
    assert "track_running_stats=False" in import_error(model, (4,))


def test_no_compute_layer():
    assert "no nn.Conv2d or nn.Linear" in import_error(nn.Sequential(nn.MaxPool2d(2), nn.Flatten()))


def test_pooling_after_output_layer():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Flatten())
    assert "nn.MaxPool2d '1' comes after the output layer nn.Conv2d '0'" in import_error(model)


def test_linear_on_image_rejected():
    message = import_error(nn.Sequential(nn.Linear(8, 2)))
    assert "nn.Linear '0' has an input of shape 1x1x8x8" in message


class SqueezeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(x.view(-1, 8))


def test_reshape_that_is_not_a_flatten():
    message = import_error(SqueezeNet(), (2, 2, 4))
    assert "Tensor.view 'view' has a reshape from 1x2x2x4 to 2x8" in message


class BranchingForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        if x.sum() > 0:
            x = -x
        return self.fc(x)


def test_untraceable_model():
    message = import_error(BranchingForward(), (4,))
    assert "torch.fx cannot trace BranchingForward.forward" in message
    assert LOCATION.search(message)
    assert "must not branch or loop on tensor values" in message


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x, y):
        return self.fc(x)


def test_two_inputs_rejected():
    message = import_error(TwoInputs(), (4,))
    assert "second input" in message


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        y = self.fc(x)
        return y, y


def test_two_outputs_rejected():
    assert "returns several values" in import_error(TwoOutputs(), (4,))


def test_wrong_input_shape(capfd):
    message = import_error(nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten(), nn.Linear(72, 2)))
    assert "Traceback" not in capfd.readouterr().err
    assert "the model fails on an input of shape 1x1x8x8 at nn.Conv2d '0'" in message
    assert "--input-shape" in message


def test_bad_input_rank():
    assert "input shape 4x4 is not supported" in import_error(nn.Sequential(nn.Linear(4, 2)), (4, 4))


def test_imported_ir_prints_and_parses_back():
    from xdsl.parser import Parser

    from e3ne.ir import make_context, module_text

    module = import_model(NestedNet(), (1, 8, 8))
    text = module_text(module)
    reparsed = Parser(make_context(), text).parse_module()
    reparsed.verify()
    assert module_text(reparsed) == text


class GlobalMeanNet(nn.Module):
    def __init__(self, functional: bool):
        super().__init__()
        self.functional = functional
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = torch.mean(x, dim=(-2, -1)) if self.functional else x.mean([2, 3], keepdim=True).flatten(1)
        return self.fc(x)


@pytest.mark.parametrize("functional", [True, False])
def test_global_mean_is_average_pooling(functional):
    module = check_import(
        GlobalMeanNet(functional), (1, 6, 6), ["snn.conv2d", "snn.relu", "snn.avg_pool2d", "snn.flatten", "snn.linear"]
    )
    pool = list(module.body.block.first_op.body.block.ops)[3]
    assert pool.kernel_size() == (4, 4)


class LogSoftmaxNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return F.log_softmax(self.fc(x), dim=1)


def test_final_softmax_rejected_with_hint():
    message = import_error(LogSoftmaxNet(), (4,))
    assert "F.log_softmax 'log_softmax' is not supported" in message and "remove the final softmax" in message
    message = import_error(nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1)), (4,))
    assert "nn.Softmax '1' is not supported" in message and "remove the final softmax" in message


def test_float64_model_rejected():
    message = import_error(nn.Sequential(nn.Linear(4, 2)).double(), (4,))
    assert "torch.float64" in message and "model.float()" in message


class MaskedConv(nn.Conv2d):
    """A user subclass: fx traces through it, so its weight is computed from get_attr nodes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("mask", (torch.rand_like(self.weight) > 0.5).float())

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias.mul(2.0), self.stride, self.padding)


def test_constant_weight_transforms_are_folded():
    model = nn.Sequential(MaskedConv(1, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 5 * 5, 2))
    check_import(model, (1, 5, 5), ["snn.conv2d", "snn.relu", "snn.flatten", "snn.linear"])
