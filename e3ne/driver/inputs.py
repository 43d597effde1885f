"""What a compile or a simulation reads: shapes, .npz image sets, models, encoded inputs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from e3ne.driver.progress import Say
from e3ne.errors import E3NEError


def parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise E3NEError(f"--input-shape must be comma-separated integers like 1,28,28, got '{text}'") from None
    if not shape or min(shape) < 1:
        raise E3NEError(f"--input-shape dimensions must be positive, got '{text}'")
    return shape


def shape_of(shape: str | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """An input shape given as text (`"1,28,28"`) or as a sequence of integers."""
    if isinstance(shape, str):
        return parse_shape(shape)
    return parse_shape(",".join(str(int(n)) for n in shape))


def load_npz(
    path: str,
    input_shape: tuple[int, ...] | None,
    need_labels: bool,
    role: str = "test",
    say: Say | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read `x` (N, *input_shape) float32 and optionally `y` (N,) from an .npz file.

    `role` ("calibration" or "test") selects the data checks (e3ne.data_checks); their
    warnings go to `say`."""
    if not Path(path).is_file():
        raise E3NEError("file not found", location=str(path))
    if Path(path).suffix == ".npz" and not zipfile.is_zipfile(path):
        raise E3NEError(
            "not an .npz archive (an .npz is a zip file)",
            location=str(path),
            hint="save the images with np.savez(path, x=images) (add y=labels for accuracy)",
        )
    try:
        data = np.load(path)
    except Exception as error:  # numpy raises several types for bad files
        raise E3NEError(f"not a readable .npz file ({error})", location=str(path)) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise E3NEError(
            f"a single array ({'.npy' if isinstance(data, np.ndarray) else type(data).__name__}), "
            "not an .npz archive with key 'x'",
            location=str(path),
            hint="save the images as an .npz: np.savez(path, x=images) (add y=labels for accuracy)",
        )
    if "x" not in data:
        raise E3NEError(f"missing key 'x' (found: {', '.join(data.files) or 'nothing'})", location=str(path))
    x = check_images(_array(data, "x", path), input_shape, str(path), role=role, say=say)
    y = None
    if "y" in data:
        y = _array(data, "y", path)  # checked against the network's classes by simulate (check_labels)
    elif need_labels:
        raise E3NEError("missing key 'y' (labels)", location=str(path))
    return x, y


def _array(data, key: str, path) -> np.ndarray:
    """`data[key]` of an .npz; object arrays (pickled Python values) are refused, not unpickled."""
    try:
        return data[key]
    except ValueError as error:
        if "allow_pickle" not in str(error):
            raise E3NEError(f"cannot read '{key}' ({error})", location=str(path)) from None
        raise E3NEError(
            f"'{key}' is an object array (mixed or nested Python values), not numbers",
            location=str(path),
            hint=f"save it as a numeric array, e.g. np.savez(path, {key}=np.asarray({key}, dtype=np.float32))",
        ) from None
    except Exception as error:  # a damaged archive member
        raise E3NEError(f"cannot read '{key}' ({error})", location=str(path)) from None


def check_images(
    x, input_shape: tuple[int, ...] | None, location: str | None = None, role: str = "test", say: Say | None = None
) -> np.ndarray:
    """`x` as float32 (N, *input_shape), or an E3NEError naming what is wrong; the content
    checks of e3ne.data_checks for `role` ("calibration" or "test"), warnings to `say`."""
    from e3ne import data_checks

    raw = x
    try:
        x = np.asarray(raw)
    except Exception:  # ragged nested lists and the like: data_checks names it
        x = None
    if x is None or x.dtype == object or x.dtype == bool or not np.issubdtype(x.dtype, np.number):
        data_checks.check_images(raw, role=role, path=location)  # raises, naming what is wrong
        raise E3NEError("'x' must be numeric", location=location)
    if input_shape is not None and tuple(x.shape[1:]) != tuple(input_shape):
        raise E3NEError(
            f"'x' has shape {x.shape}, expected (N, {', '.join(map(str, input_shape))})", location=location
        )
    if len(x) == 0:
        raise E3NEError("'x' holds no images", location=location)
    x, warnings = data_checks.check_images(x, role=role, path=location)
    for warning in warnings:
        if say is not None:
            say(warning)
    return x


def images(
    data, input_shape: tuple[int, ...] | None = None, role: str = "test", say: Say | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(x, y) from an .npz path, an `(x, y)` pair, or an array `x` alone (no labels).
    `y` is as given (checked against the classes by the caller: data_checks.check_labels)."""
    if isinstance(data, str | Path):
        return load_npz(str(data), input_shape, need_labels=False, role=role, say=say)
    if isinstance(data, tuple) and len(data) == 2:
        x = check_images(data[0], input_shape, role=role, say=say)
        return x, None if data[1] is None else np.asarray(data[1])
    return check_images(data, input_shape, role=role, say=say), None


def model_of(model, weights: str | None):
    """The PyTorch module to compile: `"file.py:Class"` (with `weights`, a state_dict .pt,
    loaded into it), or an `nn.Module` as it is."""
    if isinstance(model, str | Path):
        from e3ne.frontend import load_model

        return load_model(str(model), None if weights is None else str(weights))
    if weights is not None:
        raise E3NEError("weights= is for a 'file.py:Class' model; load the state_dict into the nn.Module first")
    if not callable(getattr(model, "eval", None)):
        raise E3NEError(f"model must be an nn.Module or 'path/to/model.py:ClassName', got {type(model).__name__}")
    return model.eval()


def model_text(model) -> str:
    return str(model) if isinstance(model, str | Path) else f"{type(model).__name__} (nn.Module)"


def encoded_inputs(quant_module, x: np.ndarray) -> np.ndarray:
    """The integer activations a0 the hardware is loaded with (output of snn.encode), or, for a
    rate-coded IF/LIF network, the T-bit spike words of snn.rate_encode (docs/numerics.md §13, §17)."""
    from e3ne.dialects.snn import EncodeOp, RateEncodeOp
    from e3ne.lif_numerics import rate_spikes, spike_words
    from e3ne.numerics import encode_input

    for op in quant_module.walk():
        if isinstance(op, EncodeOp):
            return encode_input(x, op.scale.value.data, op.time_steps.value.data)
        if isinstance(op, RateEncodeOp):
            return spike_words(rate_spikes(x, op.steps(), op.seed.value.data))
    raise E3NEError("the quantized module has no snn.encode op")


def input_scale(quant_module) -> int:
    """The scale s of the module's snn.encode (a0 = clip(round(x * 2^s), 0, 2^T - 1))."""
    from e3ne.dialects.snn import EncodeOp

    for op in quant_module.walk():
        if isinstance(op, EncodeOp):
            return op.scale.value.data
    raise E3NEError("the quantized module has no snn.encode op")


def model_source(model, weights, input_shape, calibration, from_file: bool, options) -> dict:
    """What a recompile of `model` needs (the first keys of compile.json; explore keeps it too):
    model and weights paths, input shape, calibration file, quantization and normalisation."""
    spiking = {}  # only for IF/LIF compiles, so that radix builds' compile.json stays as it was
    if options.coding != "direct":
        spiking.update(coding=options.coding, rate_seed=options.rate_seed)
    if isinstance(model, str | Path) and str(model).lower().endswith(".nir"):
        spiking.update(dt=options.dt, nir_leak=options.nir_leak)
    return {
        "model": str(model) if isinstance(model, str | Path) else None,
        "weights": None if weights is None else str(weights),
        "input_shape": list(input_shape),
        "calibration": str(calibration) if from_file else None,
        "time_steps": options.time_steps,
        "weight_bits": options.weight_bits,
        "sigma": options.sigma,
        "input_mean": None if options.input_mean is None else list(options.input_mean),
        "input_std": None if options.input_std is None else list(options.input_std),
        **spiking,
    }
