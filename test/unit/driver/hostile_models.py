"""Models for the hostile-input tests (test_hostile.py): one good tiny MLP and many that e3ne must
refuse with a plain message. Inputs are 1x5x8 images (40 features)."""

import torch
import torch.nn.functional as F
from torch import nn


class TinyMLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.ReLU(), nn.Linear(10, 6), nn.ReLU(), nn.Linear(6, 3))


class NoLayers(nn.Module):
    def forward(self, x):
        return x


class EmptySequential(nn.Sequential):
    def __init__(self):
        super().__init__()


class Sigmoid(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.Sigmoid(), nn.Linear(10, 3))


class Softmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(40, 3)

    def forward(self, x):
        return F.softmax(self.fc(x.flatten(1)), dim=1)


class Dynamic(nn.Module):
    """Data-dependent control flow."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(40, 3)

    def forward(self, x):
        x = x.flatten(1)
        if x.sum() > 0:
            return self.fc(x)
        return -self.fc(x)


class Residual(nn.Module):
    """Not a chain: a skip connection."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(40, 40)
        self.fc2 = nn.Linear(40, 3)

    def forward(self, x):
        x = x.flatten(1)
        return self.fc2(torch.relu(self.fc1(x)) + x)


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(40, 3)

    def forward(self, x):
        y = self.fc(x.flatten(1))
        return y, y


class FinalReLU(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.ReLU(), nn.Linear(10, 3), nn.ReLU())


class HiddenWithoutReLU(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 10), nn.Linear(10, 3))


class BatchNormFirst(nn.Sequential):
    def __init__(self):
        super().__init__(nn.BatchNorm2d(1), nn.Flatten(), nn.Linear(40, 3))


class Grouped(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 2, 3, groups=1), nn.ReLU(), nn.Conv2d(2, 4, 1, groups=2), nn.ReLU(),
                         nn.Flatten(), nn.Linear(4 * 3 * 6, 3))  # fmt: skip


class Dilated(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 2, 3, dilation=2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 1 * 4, 3))


class CeilPool(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True), nn.Flatten(),
                         nn.Linear(2 * 3 * 4, 3))  # fmt: skip


class FullyConvolutional(nn.Sequential):
    """Ends in a convolution: no flatten, no linear layer."""

    def __init__(self):
        super().__init__(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 3, (3, 6)))


class FullyConvolutionalFlattened(nn.Sequential):
    """Ends in a convolution whose 1x1 output is flattened: the logits come from a conv."""

    def __init__(self):
        super().__init__(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 3, (3, 6)), nn.Flatten())


class ZeroFeatures(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Flatten(), nn.Linear(40, 0), nn.ReLU(), nn.Linear(0, 3))


class LinearOnImage(nn.Sequential):
    """nn.Linear on an NCHW image (no flatten): PyTorch applies it to the last axis."""

    def __init__(self):
        super().__init__(nn.Linear(8, 3))


class NeedsArguments(nn.Sequential):
    def __init__(self, width):
        super().__init__(nn.Flatten(), nn.Linear(40, width))


class FailsToConstruct(nn.Module):
    def __init__(self):
        super().__init__()
        raise RuntimeError("no GPU found")


class NotAModule:
    pass


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(40, 3)

    def forward(self, x, y):
        return self.fc(x.flatten(1) + y.flatten(1))
