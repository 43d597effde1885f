"""The ReLU twin of examples/snntorch_cnn (8C3-P2-16C3-P2-FC64-FC10, no bias) for the
radix side of `e3ne compare`: the same layer shapes with ReLU and 2x2 max pooling (as the
Fang et al. CNN of examples/fang_cnn), trained as an ordinary ANN."""

import torch.nn.functional as F
from torch import nn


class ReluCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, bias=False)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(400, 64, bias=False)
        self.fc2 = nn.Linear(64, 10, bias=False)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)
