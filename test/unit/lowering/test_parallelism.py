"""The --parallelism setting: parsing, per-layer resolution, errors."""

import pytest

from e3ne.errors import E3NEError
from e3ne.parallelism import parse_parallelism


def test_defaults_and_layer_overrides():
    setting = parse_parallelism("P=16, Q=2, conv1.channels=8, fc1.P=64")
    assert setting.for_layer("fc1", "linear") == {"P": 64, "Q": 2}
    assert setting.for_layer("fc2", "linear") == {"P": 16, "Q": 2}
    assert setting.for_layer("conv1", "conv") == {"channels": 8}
    assert setting.for_layer("conv2", "conv") == {}
    assert parse_parallelism(setting.text()) == setting


def test_empty_means_compiler_defaults():
    assert parse_parallelism(None).for_layer("fc1", "linear") == {}
    assert parse_parallelism("").for_layer("conv1", "conv") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("P", "expected [layer.]key=value"),
        ("speed=3", "expected [layer.]key=value with key one of P, Q, columns, channels, units"),
        ("P=fast", "value must be an integer"),
        ("fc1.P=0", "value must be >= 1"),
    ],
)
def test_bad_items_are_rejected(text, message):
    with pytest.raises(E3NEError, match=message.replace("[", r"\[").replace(".", r"\.")):
        parse_parallelism(text)


def test_key_of_the_wrong_kind_and_unknown_layer():
    setting = parse_parallelism("fc1.channels=4,conv9.units=2")
    with pytest.raises(E3NEError, match="does not apply to linear layer 'fc1'"):
        setting.for_layer("fc1", "linear")
    with pytest.raises(E3NEError, match="unknown layer\\(s\\) conv9, fc1; this network's layers are: conv1"):
        setting.check_layers(["conv1"])
