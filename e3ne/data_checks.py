"""What is in the images and labels a compile or a simulation reads (the shape is checked elsewhere).

The input encoder (Numerics 4) computes `clip(round(x * 2^s_in0), 0, 2^T - 1)`: it can only
represent non-negative pixels up to the calibrated maximum. Data outside that range does not
fail anywhere later; it is silently clipped and the accuracy drops. These checks say so first:

* `check_images(x, role=..., path=...)`: numbers only, no NaN/Inf; calibration images
  non-negative (else: fold the normalisation into the first layer) and not all zero.
  Returns the images as float32 and a list of warnings (strings to show the user).
* `check_labels(y, classes, path=...)`: integer class indices in [0, classes).
* `check_input_range(x, quant_module, path=...)`: warnings when test images exceed what the
  build's encoder represents (0-255 pixels on a build calibrated on 0-1 saturate).
"""

from __future__ import annotations

import numpy as np

from e3ne.errors import E3NEError

CALIBRATION = "calibration"
TEST = "test"

FOLD_NORMALIZATION_HINT = (
    "give raw, non-negative pixels (e.g. 0-1) and fold the normalisation (x - mean) / std into the first "
    "layer: e3ne-opt -p 'snn-fold-normalization{mean=0.1307 std=0.3081}' (see docs/inputs.md)"
)

# Above this fraction of saturated test pixels, check_input_range warns.
SATURATION_WARNING_FRACTION = 0.001


def _percent(fraction: float) -> str:
    if fraction == 0:
        return "0%"
    if fraction < 0.001:
        return "<0.1%"
    return f"{100 * fraction:.1f}%"


def _numeric(x, name: str, path: str | None) -> np.ndarray:
    try:
        array = np.asarray(x)
    except Exception as error:  # ragged nested lists and the like
        raise E3NEError(f"'{name}' is not an array of numbers ({error})", location=path) from None
    if array.dtype == object:
        raise E3NEError(
            f"'{name}' is an object array (mixed or nested Python values), not numbers",
            location=path,
            hint=f"save it as a numeric array, e.g. np.savez(path, {name}=np.asarray({name}, dtype=np.float32))",
        )
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise E3NEError(f"'{name}' holds {array.dtype} values, not numbers", location=path)
    if np.iscomplexobj(array):
        raise E3NEError(f"'{name}' holds complex numbers", location=path)
    return array


def check_images(x, *, role: str, path: str | None = None) -> tuple[np.ndarray, list[str]]:
    """`x` (N, ...) as float32 and the warnings about it; E3NEError for data that gives wrong answers.

    `role` is "calibration" (the images that set the scales) or "test" (images to classify).
    """
    if role not in (CALIBRATION, TEST):
        raise ValueError(f"role must be '{CALIBRATION}' or '{TEST}', got {role!r}")
    array = _numeric(x, "x", path)
    if array.ndim < 2 or len(array) == 0:
        raise E3NEError(f"'x' has shape {array.shape}: expected a batch (N, ...) of at least one image", location=path)
    warnings: list[str] = []
    where = f"{path}: " if path else ""
    as_float = array.astype(np.float64)
    finite = np.isfinite(as_float)
    if not finite.all():
        bad_images = np.flatnonzero(~finite.reshape(len(array), -1).all(axis=1))
        nans, infs = int(np.isnan(as_float).sum()), int(np.isinf(as_float).sum())
        raise E3NEError(
            f"the {role} images hold {nans} NaN and {infs} infinite pixel values "
            f"(in {len(bad_images)} of {len(array)} images, the first is image {bad_images[0]})",
            location=path,
            hint="drop or repair those images; a NaN in calibration shifts every scale after it",
        )
    if array.size and np.abs(as_float).max() > np.finfo(np.float32).max:
        raise E3NEError(f"the {role} images hold values beyond float32's range", location=path)
    negative = as_float < 0
    if negative.any():
        fraction = float(negative.mean())
        text = (
            f"{_percent(fraction)} of the {role} pixels are negative (min {as_float.min():.4g}): the input encoder "
            "clips them to 0 (it encodes non-negative pixels only), so the hardware would see other data than "
            "the model was trained on"
        )
        if role == CALIBRATION:
            raise E3NEError(text, location=path, hint=FOLD_NORMALIZATION_HINT)
        warnings.append(f"{where}warning: {text}; {FOLD_NORMALIZATION_HINT}")
    if role == CALIBRATION:
        per_image_max = as_float.reshape(len(array), -1).max(axis=1)
        zero_images = int((per_image_max == 0).sum())
        if zero_images == len(array):
            raise E3NEError(
                f"all {len(array)} calibration images are all zero: there is no input range to calibrate",
                location=path,
                hint="calibrate on real images of the kind the network will classify (a few hundred are enough)",
            )
        if zero_images:
            warnings.append(
                f"{where}warning: {zero_images} of {len(array)} calibration images are all zero; "
                "calibrate on real images of the kind the network will classify"
            )
    return array.astype(np.float32), warnings


def check_labels(y, classes: int, *, path: str | None = None, images: int | None = None) -> np.ndarray:
    """`y` as int64 class indices (N,) in [0, classes); E3NEError naming the bad labels."""
    array = _numeric(y, "y", path)
    flat = array.reshape(-1)
    if array.ndim != 1:
        raise E3NEError(
            f"'y' has shape {array.shape}: expected one class index per image (N,)",
            location=path,
            hint="for one-hot labels, store y.argmax(axis=1)",
        )
    if images is not None and len(flat) != images:
        raise E3NEError(f"'y' has {len(flat)} labels for {images} images", location=path)
    if np.issubdtype(flat.dtype, np.floating):
        if not np.isfinite(flat).all() or (flat != np.round(flat)).any():
            raise E3NEError("'y' holds non-integer labels; expected class indices 0, 1, 2, ...", location=path)
    labels = flat.astype(np.int64)
    outside = (labels < 0) | (labels >= classes)
    if outside.any():
        raise E3NEError(
            f"{int(outside.sum())} of {len(labels)} labels are outside the network's {classes} classes "
            f"[0, {classes - 1}] (e.g. {labels[np.flatnonzero(outside)[0]]} at index {np.flatnonzero(outside)[0]})",
            location=path,
            hint="labels must be class indices matching the network's outputs (0-based)",
        )
    return labels


def calibrated_input_limit(scale: int, time_steps: int) -> float:
    """`2^(T - s_in0)` = `2^ceil(log2 m)`, the power of two the calibration maximum m was rounded up
    to (Numerics 2): the top of the range the encoder was sized for. Pixels above it saturate."""
    return 2.0 ** (time_steps - scale)


def check_input_range(x: np.ndarray, quant_module, *, path: str | None = None) -> list[str]:
    """Warnings when images exceed the range the build's encoder represents (they saturate).

    `quant_module` is the quantized snn module (its snn.encode op holds `s_in0` and `T`).
    """
    from e3ne.dialects.snn import EncodeOp, RateEncodeOp

    if any(isinstance(op, RateEncodeOp) for op in quant_module.walk()):
        return []  # rate coding (docs/numerics.md §13) takes any x: x <= 0 never spikes, x >= 1 always does
    encode = next((op for op in quant_module.walk() if isinstance(op, EncodeOp)), None)
    if encode is None:
        raise E3NEError("the quantized module has no snn.encode op")
    scale, time_steps = encode.scale.value.data, encode.time_steps.value.data
    limit = calibrated_input_limit(scale, time_steps)
    values = np.asarray(x, dtype=np.float64)
    above = values > limit
    if not values.size or above.mean() <= SATURATION_WARNING_FRACTION:
        return []
    where = f"{path}: " if path else ""
    return [
        f"{where}warning: {_percent(float(above.mean()))} of the pixels (max {values.max():.4g}) are above "
        f"{limit:.4g}, the top of the input range the build was calibrated for; they saturate "
        "in the input encoder. Scale the images as the calibration images were scaled (e.g. x / 255), or "
        "recompile with calibration images in the same range"
    ]
