"""The input normalisation a model was trained with, read from the user's own transform object.

`e3ne compile --normalize data.py:transform` (and `explore`) names a `transforms.Normalize`, a
`transforms.Compose` holding one, or anything shaped like them: an object with `.mean` and
`.std` (numbers, sequences or tensors), or with a `.transforms` list. Several normalisations in
one Compose are composed exactly: `((x - m1) / s1 - m2) / s2 = (x - (m1 + m2*s1)) / (s1*s2)`.
Other steps of a Compose (ToTensor, Resize, ...) are not normalisations and are skipped: e3ne's
calibration and test images are the tensors those steps produce. A function or class with no
arguments is called to get the object. The result is `(mean, std)`, folded into the first layer
exactly as `--input-mean/--input-std` (docs/inputs.md); torchvision is not needed.

    mean, std = normalization_of(transforms.Normalize((0.1307,), (0.3081,)))   # ((0.1307,), (0.3081,))
    mean, std = normalization_from_spec("train.py:transform")
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

from e3ne.errors import E3NEError


def _numbers(value, what: str, name: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        array = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
    except (TypeError, ValueError):
        raise E3NEError(f"{name}.{what} is {value!r}, not numbers") from None
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise E3NEError(f"{name}.{what} must be finite numbers, got {array.tolist()}")
    return array


def _steps(obj, name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (mean, std) of each normalisation in `obj`, in the order they apply."""
    if hasattr(obj, "mean") and hasattr(obj, "std") and not callable(getattr(obj, "mean")):
        return [(_numbers(obj.mean, "mean", name), _numbers(obj.std, "std", name))]
    if hasattr(obj, "transforms"):
        steps = []
        for index, step in enumerate(list(obj.transforms)):
            steps += _steps(step, f"{name}.transforms[{index}]")
        return steps
    return []


def normalization_of(obj, name: str = "the transform") -> tuple[tuple[float, ...], tuple[float, ...]]:
    """`(mean, std)` of a Normalize-like object or a Compose-like list of transforms holding one or more."""
    if (inspect.isfunction(obj) or inspect.isclass(obj)) and not hasattr(obj, "transforms"):
        try:
            obj = obj()
        except Exception as error:
            raise E3NEError(f"calling {name}() failed: {type(error).__name__}: {error}") from None
    steps = _steps(obj, name)
    if not steps:
        raise E3NEError(
            f"{name} ({type(obj).__name__}) holds no normalisation: expected an object with .mean and .std "
            "(transforms.Normalize) or with a .transforms list containing one (transforms.Compose)",
            hint="or give the values: --input-mean M --input-std S",
        )
    mean, std = steps[0]
    for next_mean, next_std in steps[1:]:
        if not (len(next_mean) in (1, len(mean)) or len(mean) == 1):
            raise E3NEError(f"{name}: its normalisations have different channel counts ({len(mean)}, {len(next_mean)})")
        mean, std = mean + next_mean * std, std * next_std
    if len(mean) != len(std):
        if len(mean) == 1:
            mean = np.repeat(mean, len(std))
        elif len(std) == 1:
            std = np.repeat(std, len(mean))
        else:
            raise E3NEError(f"{name}: mean has {len(mean)} values and std {len(std)}")
    if np.any(std <= 0):
        raise E3NEError(f"{name}: std must be positive, got {std.tolist()}")
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)


def normalization_from_spec(spec: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """`(mean, std)` of the object `NAME` in the Python file of `path/to/file.py:NAME`."""
    from e3ne.frontend.loader import _import_file

    path_text, separator, name = spec.rpartition(":")
    if not separator or not path_text or not name:
        raise E3NEError(f"--normalize '{spec}' must look like path/to/file.py:NAME (a transforms.Normalize or Compose)")
    source = _import_file(Path(path_text))
    if not hasattr(source, name):
        raise E3NEError(f"no '{name}' in the file", location=path_text, hint="name a transforms.Normalize or Compose object")
    return normalization_of(getattr(source, name), name)
