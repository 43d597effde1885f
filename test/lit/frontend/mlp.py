# RUN: %python %s | filecheck %s
# Sequential MLPs imported from PyTorch: linear/batchnorm/relu, dropout dropped.

import torch
from torch import nn

from e3ne.frontend import import_model
from e3ne.ir import module_text


def constant_weights(model: nn.Module) -> nn.Module:
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.copy_(torch.full_like(parameter, 0.5 if name.endswith("weight") else 0.25))
    return model


def show(model: nn.Module, input_shape: tuple[int, ...], name: str) -> None:
    print(module_text(import_model(constant_weights(model), input_shape, name)))


# CHECK-LABEL: func.func @mlp(%x: tensor<1x4xf32>) -> tensor<1x2xf32>
# CHECK-NEXT:    %0 = snn.input %x : tensor<1x4xf32> -> tensor<1x4xf32>
# CHECK-NEXT:    %1 = snn.linear %0 {weight = dense<5.000000e-01> : tensor<3x4xf32>, bias = dense<2.500000e-01> : tensor<3xf32>} : tensor<1x4xf32> -> tensor<1x3xf32>
# CHECK-NEXT:    %2 = snn.relu %1 : tensor<1x3xf32> -> tensor<1x3xf32>
# CHECK-NEXT:    %3 = snn.linear %2 {weight = dense<5.000000e-01> : tensor<2x3xf32>} : tensor<1x3xf32> -> tensor<1x2xf32>
# CHECK-NEXT:    func.return %3 : tensor<1x2xf32>
show(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 2, bias=False)), (4,), "mlp")

# CHECK-LABEL: func.func @mlp_batchnorm(%x: tensor<1x4xf32>) -> tensor<1x2xf32>
# CHECK-NEXT:    %0 = snn.input %x
# CHECK-NEXT:    %1 = snn.linear %0 {{.*}} : tensor<1x4xf32> -> tensor<1x3xf32>
# CHECK-NEXT:    %2 = snn.batchnorm %1 {gamma = dense<1.000000e+00> : tensor<3xf32>, beta = dense<0.000000e+00> : tensor<3xf32>, mean = dense<0.000000e+00> : tensor<3xf32>, var = dense<1.000000e+00> : tensor<3xf32>, eps = 1.000000e-03 : f32} : tensor<1x3xf32> -> tensor<1x3xf32>
# CHECK-NEXT:    %3 = snn.relu %2
# CHECK-NEXT:    %4 = snn.linear %3
# CHECK-NEXT:    func.return %4 : tensor<1x2xf32>
show(
    nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3, eps=1e-3, affine=False), nn.ReLU(), nn.Identity(), nn.Linear(3, 2)),
    (4,),
    "mlp_batchnorm",
)
