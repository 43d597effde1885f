"""The training recipe of the bundled examples (examples/*/train.py), on real MNIST.

Deterministic (fixed seeds, 2 threads, deterministic algorithms): Adam with a one-cycle
learning-rate schedule, weight decay, light augmentation (random shifts), on the fixed
`train` split of e3ne.datasets; accuracy on the `test` split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from e3ne.datasets import mnist


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


def train_mnist(
    make_model: Callable[[], torch.nn.Module],
    out_dir: Path,
    epochs: int,
    learning_rate: float,
    pad_to: int | None = None,
    batch_size: int = 64,
    weight_decay: float = 1e-4,
    max_shift: int = 2,
    seed: int = 0,
) -> float:
    """Build a model after seeding, train it on the `train` split, write out_dir/weights.pt.

    Returns the float accuracy on the `test` split.
    """
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)

    train_x, train_y = (torch.from_numpy(a) for a in mnist("train", pad_to=pad_to))
    test_x, test_y = (torch.from_numpy(a) for a in mnist("test", pad_to=pad_to))

    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    steps_per_epoch = (len(train_x) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=learning_rate, total_steps=epochs * steps_per_epoch)

    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss = 0.0
        for first in range(0, len(train_x), batch_size):
            batch = order[first : first + batch_size]
            images = shift_images(train_x[batch], max_shift, generator)
            loss = F.cross_entropy(model(images), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(batch)
        print(f"epoch {epoch + 1:2d}/{epochs}  loss {total_loss / len(train_x):.4f}  test accuracy {accuracy(model, test_x, test_y):.4f}")
    elapsed = time.perf_counter() - start

    print(f"trained in {elapsed:.1f} s")
    print(f"float test accuracy: {accuracy(model, test_x, test_y):.4f} ({len(test_x)} images)")
    torch.save(model.state_dict(), out_dir / "weights.pt")
    print(f"wrote {out_dir / 'weights.pt'}")
    return accuracy(model, test_x, test_y)
