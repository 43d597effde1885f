"""snnTorch LIF twin of the Fang et al. CNN (examples/fang_cnn): 32C3-P2-32C3-P2-FC256-FC10.

The same layers and shapes as `FangCNN` (28x28 input, 3x3 convolutions without padding,
no bias anywhere, 32*5*5 = 800 features into FC256), with `snn.Leaky` neurons instead of
ReLU. Pooling is 2x2 average pooling of the synaptic current, before the neuron (conv ->
AvgPool2d -> Leaky) instead of max pooling after ReLU: every layer is linear up to its
neuron, which e3ne folds into a strided convolution, and the network is expressible in
NIR 1.0.8 (no max pooling node). One call of `forward` is one time step (direct coding,
`init_hidden=True`); run T steps and read the output spike counts; call
`reset_state(model)` (e3ne.training_snn) before each new batch.
Every neuron: beta 0.875 (= 1 - 1/8), threshold 1, reset to zero. The weights start at
3x torch's default initialisation: with the default, no spike reaches the output layer of
this deeper, wider network, and the loss stays at ln 10 through the learning-rate warm-up.
"""

import snntorch as snn
import torch
from torch import nn

BETA = 0.875
TIME_STEPS = 8
INIT_GAIN = 3.0


def _leaky():
    return snn.Leaky(beta=BETA, init_hidden=True, reset_mechanism="zero")


class LeakyFangCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, bias=False)
        self.pool1 = nn.AvgPool2d(2)
        self.lif1 = _leaky()
        self.conv2 = nn.Conv2d(32, 32, kernel_size=3, bias=False)
        self.pool2 = nn.AvgPool2d(2)
        self.lif2 = _leaky()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(800, 256, bias=False)
        self.lif3 = _leaky()
        self.fc2 = nn.Linear(256, 10, bias=False)
        self.lif4 = _leaky()
        with torch.no_grad():
            for weight in (self.conv1.weight, self.conv2.weight, self.fc1.weight, self.fc2.weight):
                weight.mul_(INIT_GAIN)

    def forward(self, x):
        x = self.lif1(self.pool1(self.conv1(x)))
        x = self.lif2(self.pool2(self.conv2(x)))
        x = self.lif3(self.fc1(self.flatten(x)))
        return self.lif4(self.fc2(x))
