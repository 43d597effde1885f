"""Randomly initialised AlexNet weights (no CIFAR-10 can be downloaded here).

    python examples/alexnet/make_weights.py OUT.pt [--seed 0] [--no-check]

Deterministic: He-normal weights from torch.manual_seed(seed), random batch-norm affine
parameters, running statistics measured on 256 synthetic 32x32x3 images
(`python -m e3ne.datasets synthetic calib.npz --shape 3,32,32 --classes 10`, seed 0).
Then checks that the quantized network (T=6, b=6) is alive: prints every spiking layer's
activity in the golden model on 32 other synthetic images (seed 1) and exits non-zero if
a layer never spikes or the logits do not vary. Writes a state_dict (~93 MB: keep it out
of git, e.g. in build/).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e3ne.random_weights import main  # noqa: E402
from model import AlexNet  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(AlexNet, classes=10, argv=sys.argv[1:]))
