"""Train the Fang et al. CNN on the fixed MNIST `train` split (4,000 real images) on the CPU.

    python examples/fang_cnn/train.py

Deterministic (fixed seeds, 2 threads); prints the float accuracy on the `test` split
(1,000 images) and writes weights.pt (a state_dict) next to this file.
"""

from pathlib import Path

from e3ne.training import train_mnist
from model import FangCNN

if __name__ == "__main__":
    train_mnist(FangCNN, Path(__file__).resolve().parent, epochs=30, learning_rate=2e-3, pad_to=None)
