"""Image and label checks (e3ne.data_checks): each bad input is named with its fraction and what to do."""

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp

from e3ne.data_checks import check_images, check_input_range, check_labels
from e3ne.errors import E3NEError

FOLD_HINT = (
    "give raw, non-negative pixels (e.g. 0-1) and fold the normalisation (x - mean) / std into the first "
    "layer: e3ne-opt -p 'snn-fold-normalization{mean=0.1307 std=0.3081}' (see docs/inputs.md)"
)


def images(count=4, value=0.5):
    return np.full((count, 1, 2, 2), value, dtype=np.float32)


def test_good_images_pass_as_float32():
    x, warnings = check_images(images().astype(np.float64), role="calibration", path="c.npz")
    assert x.dtype == np.float32 and x.shape == (4, 1, 2, 2) and warnings == []


def test_nan_and_inf_pixels_are_counted():
    x = images()
    x[1, 0, 0, 0] = np.nan
    x[3, 0, 1, 1] = np.inf
    with pytest.raises(E3NEError) as error:
        check_images(x, role="calibration", path="c.npz")
    assert error.value.render() == (
        "c.npz: the calibration images hold 1 NaN and 1 infinite pixel values (in 2 of 4 images, the first is "
        "image 1)\n  hint: drop or repair those images; a NaN in calibration shifts every scale after it"
    )
    with pytest.raises(E3NEError, match="the test images hold 1 NaN"):
        check_images(x, role="test", path="t.npz")


def test_object_and_text_arrays_are_not_numbers():
    x = np.empty(2, dtype=object)
    x[0], x[1] = images(1), "image"
    with pytest.raises(E3NEError) as error:
        check_images(x, role="test", path="t.npz")
    assert error.value.message == "'x' is an object array (mixed or nested Python values), not numbers"
    with pytest.raises(E3NEError) as error:
        check_images(np.array([["a", "b"]]), role="test", path="t.npz")
    assert error.value.message == "'x' holds <U1 values, not numbers"


def test_negative_calibration_pixels_ask_for_the_folded_normalisation():
    x = images()
    x[0, 0, 0, :] = -0.4242  # 2 of 16 pixels
    with pytest.raises(E3NEError) as error:
        check_images(x, role="calibration", path="c.npz")
    assert error.value.message == (
        "12.5% of the calibration pixels are negative (min -0.4242): the input encoder clips them to 0 (it encodes "
        "non-negative pixels only), so the hardware would see other data than the model was trained on"
    )
    assert error.value.hint == FOLD_HINT


def test_negative_test_pixels_are_a_warning():
    x = images()
    x[0, 0, 0, 0] = -1.0
    _, warnings = check_images(x, role="test", path="t.npz")
    assert warnings == [
        "t.npz: warning: 6.2% of the test pixels are negative (min -1): the input encoder clips them to 0 "
        "(it encodes non-negative pixels only), so the hardware would see other data than the model was "
        f"trained on; {FOLD_HINT}"
    ]


def test_all_zero_calibration_images():
    with pytest.raises(E3NEError) as error:
        check_images(images(value=0.0), role="calibration", path="c.npz")
    assert error.value.message == "all 4 calibration images are all zero: there is no input range to calibrate"
    x = images()
    x[2] = 0
    _, warnings = check_images(x, role="calibration", path="c.npz")
    assert warnings == [
        "c.npz: warning: 1 of 4 calibration images are all zero; calibrate on real images of the kind the "
        "network will classify"
    ]
    assert check_images(images(value=0.0), role="test")[1] == []  # a blank test image is a valid input


def test_labels_outside_the_classes():
    with pytest.raises(E3NEError) as error:
        check_labels(np.array([0, 9, 10, -1, 3]), 10, path="t.npz")
    assert error.value.render() == (
        "t.npz: 2 of 5 labels are outside the network's 10 classes [0, 9] (e.g. 10 at index 2)\n"
        "  hint: labels must be class indices matching the network's outputs (0-based)"
    )


def test_label_shapes_and_types():
    assert check_labels(np.array([0.0, 2.0]), 3).tolist() == [0, 2]
    with pytest.raises(E3NEError, match="non-integer labels"):
        check_labels(np.array([0.5, 2.0]), 3)
    with pytest.raises(E3NEError) as error:
        check_labels(np.eye(3), 3, path="t.npz")
    assert error.value.hint == "for one-hot labels, store y.argmax(axis=1)"
    with pytest.raises(E3NEError, match="'y' has 2 labels for 3 images"):
        check_labels(np.array([0, 1]), 3, images=3)


def _encoder_module(scale: int, time_steps: int) -> ModuleOp:
    from xdsl.builder import ImplicitBuilder
    from xdsl.dialects import func
    from xdsl.dialects.builtin import TensorType, f32

    from e3ne.dialects import snn

    function = func.FuncOp("net", ([TensorType(f32, [1, 4])], []))
    with ImplicitBuilder(function.body) as (x,):
        snn.EncodeOp(x, scale, time_steps)
        func.ReturnOp()
    return ModuleOp([function])


def test_test_images_beyond_the_calibrated_range_saturate():
    module = _encoder_module(scale=4, time_steps=4)  # calibrated on max 1.0 -> represents up to 2^(4-4) = 1
    x = np.zeros((2, 4), dtype=np.float32)
    x[0] = [0, 255, 1.0, 0.5]  # 0-255 data: 1 of 8 pixels above 1
    assert check_input_range(x, module, path="t.npz") == [
        "t.npz: warning: 12.5% of the pixels (max 255) are above 1, the top of the input range the build was "
        "calibrated for; they saturate in the input encoder. Scale the images as the calibration images were "
        "scaled (e.g. x / 255), or recompile with calibration images in the same range"
    ]
    assert check_input_range(np.ones((2, 4)), module) == []  # 1.0 is inside the calibrated range
