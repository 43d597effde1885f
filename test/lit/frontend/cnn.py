# RUN: %python %s | filecheck %s
# CNNs imported from PyTorch: module and functional style; conv -> maxpool -> relu
# becomes conv -> relu -> maxpool (max and ReLU commute).

import torch
import torch.nn.functional as F
from torch import nn

from e3ne.frontend import import_model
from e3ne.ir import module_text


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(2)
        self.conv2 = nn.Conv2d(2, 4, (3, 3), stride=(2, 2))
        self.fc = nn.Linear(4 * 1 * 1, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc(x)


# CHECK-LABEL: func.func @lenet(%x: tensor<1x1x12x12xf32>) -> tensor<1x10xf32>
# CHECK-NEXT:    %0 = snn.input %x : tensor<1x1x12x12xf32> -> tensor<1x1x12x12xf32>
# CHECK-NEXT:    %1 = snn.conv2d %0 {weight = {{.*}}, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>{{.*}} : tensor<1x1x12x12xf32> -> tensor<1x2x12x12xf32>
# CHECK-NEXT:    %2 = snn.batchnorm %1 {{.*}} : tensor<1x2x12x12xf32> -> tensor<1x2x12x12xf32>
# CHECK-NEXT:    %3 = snn.relu %2 : tensor<1x2x12x12xf32> -> tensor<1x2x12x12xf32>
# CHECK-NEXT:    %4 = snn.max_pool2d %3 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x12x12xf32> -> tensor<1x2x6x6xf32>
# CHECK-NEXT:    %5 = snn.conv2d %4 {weight = {{.*}}, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>{{.*}} : tensor<1x2x6x6xf32> -> tensor<1x4x2x2xf32>
# CHECK-NEXT:    %6 = snn.relu %5 : tensor<1x4x2x2xf32> -> tensor<1x4x2x2xf32>
# CHECK-NEXT:    %7 = snn.avg_pool2d %6 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x4x2x2xf32> -> tensor<1x4x1x1xf32>
# CHECK-NEXT:    %8 = snn.flatten %7 : tensor<1x4x1x1xf32> -> tensor<1x4xf32>
# CHECK-NEXT:    %9 = snn.linear %8 {{.*}} : tensor<1x4xf32> -> tensor<1x10xf32>
# CHECK-NEXT:    func.return %9 : tensor<1x10xf32>
print(module_text(import_model(LeNet(), (1, 12, 12), "lenet")))

# The ReLU after a max pool moves up to the convolution; the weights are exact.
# CHECK-LABEL: func.func @reordered(%x: tensor<1x1x4x4xf32>) -> tensor<1x3xf32>
# CHECK-NEXT:    %0 = snn.input %x
# CHECK-NEXT:    %1 = snn.conv2d %0 {weight = dense<2.500000e-01> : tensor<2x1x3x3xf32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x2x4x4xf32>
# CHECK-NEXT:    %2 = snn.relu %1 : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
# CHECK-NEXT:    %3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
# CHECK-NEXT:    %4 = snn.flatten %3 : tensor<1x2x2x2xf32> -> tensor<1x8xf32>
# CHECK-NEXT:    %5 = snn.linear %4 {{.*}} : tensor<1x8xf32> -> tensor<1x3xf32>
# CHECK-NEXT:    func.return %5 : tensor<1x3xf32>
reordered = nn.Sequential(
    nn.Conv2d(1, 2, 3, padding="same", bias=False), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3)
)
nn.init.constant_(reordered[0].weight, 0.25)
print(module_text(import_model(reordered, (1, 4, 4), "reordered")))
