"""The MNIST CNN of Fang et al. (ICCAD 2020) that E3NE accelerates: 32C3-P2-32C3-P2-FC256-FC10.

28x28 input, 3x3 convolutions without padding, 2x2 max pooling, and no bias in any layer
(26x26 -> 13x13 -> 11x11 -> 5x5, so 32*5*5 = 800 features into FC256).
"""

import torch.nn.functional as F
from torch import nn


class FangCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, bias=False)
        self.conv2 = nn.Conv2d(32, 32, kernel_size=3, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(800, 256, bias=False)
        self.fc2 = nn.Linear(256, 10, bias=False)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)
