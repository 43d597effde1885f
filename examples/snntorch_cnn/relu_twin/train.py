"""Train the ReLU twin on the fixed MNIST `train` split, as examples/fang_cnn/train.py.

    python examples/snntorch_cnn/relu_twin/train.py
"""

from pathlib import Path

from e3ne.training import train_mnist
from model import ReluCNN

if __name__ == "__main__":
    train_mnist(ReluCNN, Path(__file__).resolve().parent, epochs=8, learning_rate=3e-3, pad_to=None)
