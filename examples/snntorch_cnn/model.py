"""A small snnTorch LIF CNN for 28x28 MNIST: 8C3-P2-16C3-P2-FC64-FC10, no bias (the layer
pattern of the Fang et al. CNN in examples/fang_cnn, with fewer channels so that it trains
in minutes on a shared CPU), with LIF neurons instead of ReLU.

Pooling is 2x2 average pooling of the synaptic current, before the neuron (conv ->
AvgPool2d -> Leaky), so every layer is linear up to its neuron and the network is
expressible in NIR 1.0.8 (which has AvgPool2d/SumPool2d but no max pooling).
One call of `forward` is one time step (direct coding, `init_hidden=True`); run T steps
and read the output spike counts; call `reset_state(model)` before each new batch.
Every neuron: beta 0.875 (= 1 - 1/8), threshold 1, reset to zero.
"""

import snntorch as snn
from torch import nn

BETA = 0.875
TIME_STEPS = 8


def _leaky():
    return snn.Leaky(beta=BETA, init_hidden=True, reset_mechanism="zero")


class LeakyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, bias=False)
        self.pool1 = nn.AvgPool2d(2)
        self.lif1 = _leaky()
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, bias=False)
        self.pool2 = nn.AvgPool2d(2)
        self.lif2 = _leaky()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(400, 64, bias=False)
        self.lif3 = _leaky()
        self.fc2 = nn.Linear(64, 10, bias=False)
        self.lif4 = _leaky()

    def forward(self, x):
        x = self.lif1(self.pool1(self.conv1(x)))
        x = self.lif2(self.pool2(self.conv2(x)))
        x = self.lif3(self.fc1(self.flatten(x)))
        return self.lif4(self.fc2(x))
