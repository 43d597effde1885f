"""Train the snnTorch LeakyFangCNN on the fixed MNIST `train` split (4,000 real images) on the CPU.

    python examples/snntorch_fang/train.py [--time-steps 8] [--epochs N]

Deterministic (fixed seeds, 1 thread); prints the spike-count accuracy on the `test`
split (1,000 images) and writes weights.pt (a state_dict) next to this file.
See e3ne/training_snn.py for the recipe (shared with examples/snntorch_mlp and snntorch_cnn).
"""

import argparse
from pathlib import Path

from e3ne.training_snn import train_snn_mnist
from model import TIME_STEPS, LeakyFangCNN

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-steps", type=int, default=TIME_STEPS)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    train_snn_mnist(LeakyFangCNN, Path(__file__).resolve().parent, epochs=args.epochs, learning_rate=3e-3, time_steps=args.time_steps)
