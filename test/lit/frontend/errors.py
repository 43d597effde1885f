# RUN: %python %s | filecheck %s
# What a user sees for a model e3ne cannot compile: the layer, its kind, where it is
# written, and what is supported (one or two plain lines, no traceback).

import torch
from torch import nn

from e3ne.errors import E3NEError
from e3ne.frontend import import_model


class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.gate = nn.Sigmoid()
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.gate(self.fc1(x)))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)) + x)


def show(model: nn.Module, input_shape: tuple[int, ...]) -> None:
    try:
        import_model(model, input_shape)
    except E3NEError as error:
        print(f"error: {error}")


# CHECK:      error: {{.*}}errors.py:20: nn.Sigmoid 'gate' is not supported
# CHECK-NEXT:   hint: supported layers: nn.Conv2d (groups=1, dilation=1), nn.Linear,
show(Gated(), (4,))

# CHECK:      error: {{.*}}errors.py:30: torch.add (+) 'add' is not supported
# CHECK-NEXT:   hint: combining tensors (residual connections, concatenation, products) is not supported
show(Residual(), (4,))

# CHECK:      error: model Sequential: nn.Conv2d '0' has groups=2; e3ne supports groups=1 only
show(nn.Sequential(nn.Conv2d(2, 2, 3, groups=2), nn.Flatten(), nn.Linear(8, 2)), (2, 4, 4))

# CHECK:      error: model Sequential: hidden layer nn.Linear '0' is not followed by a ReLU
show(nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2)), (4,))

# CHECK:      error: model Sequential: the output layer nn.Linear '2' is followed by ReLU nn.ReLU '3'
show(nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU()), (4,))
