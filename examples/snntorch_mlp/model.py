"""snnTorch LIF MLP for 28x28 MNIST, the spiking twin of examples/mlp (784-128-64-10).

One call of `forward` is one time step (the single-step module form): the image is fed
to the first layer at every step (direct coding) and each `snn.Leaky` keeps its
membrane as hidden state (`init_hidden=True`). Run T steps and read the output layer's
spike counts; call `reset_state(model)` before each new image batch.
Every neuron: beta 0.875 (= 1 - 1/8), threshold 1, reset to zero.
"""

import snntorch as snn
from torch import nn

BETA = 0.875
TIME_STEPS = 8


class LeakyMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 128)
        self.lif1 = snn.Leaky(beta=BETA, init_hidden=True, reset_mechanism="zero")
        self.fc2 = nn.Linear(128, 64)
        self.lif2 = snn.Leaky(beta=BETA, init_hidden=True, reset_mechanism="zero")
        self.fc3 = nn.Linear(64, 10)
        self.lif3 = snn.Leaky(beta=BETA, init_hidden=True, reset_mechanism="zero")

    def forward(self, x):
        x = self.flatten(x)
        x = self.lif1(self.fc1(x))
        x = self.lif2(self.fc2(x))
        return self.lif3(self.fc3(x))
