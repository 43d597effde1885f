"""VGG-11 for CIFAR-100, with batch norm (configuration "A" of Simonyan and Zisserman):
64C3-P2-128C3-P2-256C3-256C3-P2-512C3-512C3-P2-512C3-512C3-P2-FC4096-FC4096-FC100.

3x32x32 input; every convolution is 3x3 with padding 1, followed by batch norm and ReLU;
pooling is 2x2 max, so five poolings leave 512x1x1 features for the classifier. About
28.5 M weights (9.2 M in the convolutions, 19.3 M in the fully connected layers).

`VGG11(width=0.5)` scales every channel and hidden feature count (for the compile-time
benchmark, tools/bench_compile.py); the default is the network above.
"""

from torch import nn

CONFIG = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


class VGG11(nn.Module):
    def __init__(self, num_classes: int = 100, width: float = 1.0):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for item in CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            item = max(1, round(item * width))
            layers += [
                nn.Conv2d(channels, item, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(item),
                nn.ReLU(inplace=True),
            ]
            channels = item
        self.features = nn.Sequential(*layers)
        hidden = max(1, round(4096 * width))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
