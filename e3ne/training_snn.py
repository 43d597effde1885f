"""Training recipe of the snnTorch examples (examples/snntorch_*/train.py), on real MNIST.

The model is a single-step snnTorch module (one `forward` call = one time step, the
`snn.Leaky` layers with `init_hidden=True`). Each batch: reset the membranes, feed the
image at every one of T steps (direct coding), sum the output spikes, cross-entropy on
the spike counts (snnTorch's `ce_count_loss`), backpropagation through time with
snnTorch's default surrogate gradient. Adam with a one-cycle schedule and random shifts
as in e3ne.training. Deterministic (fixed seeds, 1 thread). Needs the `snn` extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from e3ne.datasets import mnist
from e3ne.training import shift_images


def reset_state(model: torch.nn.Module) -> None:
    """Zero the hidden membrane of every snnTorch neuron in `model`."""
    import snntorch as snn

    for module in model.modules():
        if isinstance(module, snn.SpikingNeuron) and getattr(module, "init_hidden", False):
            module.reset_mem()


def spike_counts(model: torch.nn.Module, images: torch.Tensor, time_steps: int) -> torch.Tensor:
    """Output spike counts (N, classes) of `time_steps` steps with the image fed every step."""
    reset_state(model)
    counts = None
    for _ in range(time_steps):
        spikes = model(images)
        counts = spikes if counts is None else counts + spikes
    return counts


def snn_accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, time_steps: int, batch: int = 250) -> float:
    """Test accuracy from the output spike counts (ties go to the lowest class, as argmax)."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for first in range(0, len(images), batch):
            counts = spike_counts(model, images[first : first + batch], time_steps)
            correct += (counts.argmax(dim=1) == labels[first : first + batch]).sum().item()
    return correct / len(images)


def train_snn_mnist(
    make_model: Callable[[], torch.nn.Module],
    out_dir: Path,
    epochs: int,
    learning_rate: float,
    time_steps: int,
    batch_size: int = 64,
    weight_decay: float = 1e-4,
    max_shift: int = 2,
    seed: int = 0,
) -> float:
    """Build a model after seeding, train it on the `train` split, write out_dir/weights.pt.

    Returns the test accuracy (spike-count argmax) on the `test` split.
    """
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)

    train_x, train_y = (torch.from_numpy(a) for a in mnist("train"))
    test_x, test_y = (torch.from_numpy(a) for a in mnist("test"))

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
            loss = F.cross_entropy(spike_counts(model, images, time_steps), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(batch)
        test_accuracy = snn_accuracy(model, test_x, test_y, time_steps)
        print(f"epoch {epoch + 1:2d}/{epochs}  loss {total_loss / len(train_x):.4f}  test accuracy {test_accuracy:.4f}", flush=True)
    elapsed = time.perf_counter() - start

    final = snn_accuracy(model, test_x, test_y, time_steps)
    print(f"trained in {elapsed:.1f} s")
    print(f"spike-count test accuracy at T={time_steps}: {final:.4f} ({len(test_x)} images)")
    torch.save(model.state_dict(), out_dir / "weights.pt")
    print(f"wrote {out_dir / 'weights.pt'}")
    return final
