"""Train LeNet-5 on the fixed MNIST `train` split (4,000 real images, zero-padded to 32x32) on the CPU.

    python examples/lenet5/train.py

Deterministic (fixed seeds, 2 threads); prints the float accuracy on the `test` split
(1,000 images) and writes weights.pt (a state_dict) next to this file.
"""

from pathlib import Path

from e3ne.training import train_mnist
from model import LeNet5

if __name__ == "__main__":
    train_mnist(LeNet5, Path(__file__).resolve().parent, epochs=30, learning_rate=3e-3, pad_to=32)
