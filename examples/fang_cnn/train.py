"""Train the Fang et al. CNN on the fixed MNIST `train` split (4,000 real images) on the CPU.

    python examples/fang_cnn/train.py

Deterministic (fixed seeds, 2 threads); prints the float accuracy on the `test` split
(1,000 images) and writes weights.pt (a state_dict) next to this file.
"""

import time
from pathlib import Path

import torch
import torch.nn.functional as F

from e3ne.datasets import mnist
from model import FangCNN

HERE = Path(__file__).resolve().parent
SEED = 0
EPOCHS = 30
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
MAX_SHIFT = 2  # light augmentation: random translation by up to this many pixels


def shift_images(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by a random whole number of pixels, filling with zeros."""
    if max_shift == 0:
        return images
    height, width = images.shape[-2:]
    padded = F.pad(images, (max_shift, max_shift, max_shift, max_shift))
    offsets = torch.randint(0, 2 * max_shift + 1, (images.shape[0], 2), generator=generator)
    return torch.stack([padded[i, :, dy : dy + height, dx : dx + width] for i, (dy, dx) in enumerate(offsets.tolist())])


def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        predictions = model(images).argmax(dim=1)
    return (predictions == labels).float().mean().item()


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(SEED)

    train_x, train_y = (torch.from_numpy(a) for a in mnist("train"))
    test_x, test_y = (torch.from_numpy(a) for a in mnist("test"))

    model = FangCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps_per_epoch = (len(train_x) + BATCH_SIZE - 1) // BATCH_SIZE
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=EPOCHS * steps_per_epoch)

    start = time.perf_counter()
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss = 0.0
        for first in range(0, len(train_x), BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            images = shift_images(train_x[batch], MAX_SHIFT, generator)
            loss = F.cross_entropy(model(images), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(batch)
        print(f"epoch {epoch + 1:2d}/{EPOCHS}  loss {total_loss / len(train_x):.4f}  test accuracy {accuracy(model, test_x, test_y):.4f}")
    elapsed = time.perf_counter() - start

    print(f"trained in {elapsed:.1f} s")
    print(f"float test accuracy: {accuracy(model, test_x, test_y):.4f} ({len(test_x)} images)")
    torch.save(model.state_dict(), HERE / "weights.pt")
    print(f"wrote {HERE / 'weights.pt'}")


if __name__ == "__main__":
    main()
