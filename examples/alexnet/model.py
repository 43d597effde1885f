"""AlexNet for CIFAR-10 as E3NE evaluated it, with batch norm:
64C3s2-P2-192C3-P2-384C3-256C3-256C3-P2-FC4096-FC4096-FC10.

3x32x32 input; every convolution is 3x3 with padding 1 (the first with stride 2) and is
followed by batch norm and ReLU; pooling is 2x2 max. 32 -> 16 -> 8 -> 8 -> 4 -> 4 -> 4 -> 4
-> 2, so 256*2*2 = 1,024 features go into FC4096. About 23.3 M weights (21 M in the
fully connected layers), so the classifier's weights live in external memory.

`AlexNet(width=0.5)` scales every channel and hidden feature count (for the compile-time
benchmark, tools/bench_compile.py); the default is the network above.
"""

from torch import nn


def conv_bn(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class AlexNet(nn.Module):
    def __init__(self, num_classes: int = 10, width: float = 1.0):
        super().__init__()
        c1, c2, c3, c4, c5, hidden = (max(1, round(n * width)) for n in (64, 192, 384, 256, 256, 4096))
        self.features = nn.Sequential(
            *conv_bn(3, c1, stride=2),
            nn.MaxPool2d(2),
            *conv_bn(c1, c2),
            nn.MaxPool2d(2),
            *conv_bn(c2, c3),
            *conv_bn(c3, c4),
            *conv_bn(c4, c5),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(c5 * 2 * 2, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
