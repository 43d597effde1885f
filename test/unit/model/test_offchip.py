"""Off-chip weights without simulation: the layer choice, the weight image's packing, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from e3ne.backend.verilog import hex_words
from e3ne.backend.weight_image import hex_lines, rom_beats
from e3ne.errors import E3NEError
from e3ne.offchip import offchip_layers

LAYERS = ["conv1", "conv2", "fc1", "fc2"]


def test_offchip_layers_parsing():
    assert offchip_layers("none", LAYERS) == []
    assert offchip_layers("", LAYERS) == []
    assert offchip_layers("all", LAYERS) == LAYERS
    assert offchip_layers("fc2,conv1", LAYERS) == ["conv1", "fc2"]  # layer order
    with pytest.raises(E3NEError, match="unknown layer\\(s\\) pool1; the layers with weights are: conv1, conv2, fc1, fc2"):
        offchip_layers("fc1,pool1", LAYERS)


@pytest.mark.parametrize("axi", [32, 64, 128])
def test_image_words_match_the_rom_hex_format(axi):
    """A word's beats, concatenated (last beat most significant), are the on-chip ROM's hex word."""
    rng = np.random.default_rng(3)
    data = rng.integers(-32, 32, size=(7, 13))  # 13 lanes of 6 bits = 78-bit words
    lines = hex_lines(rom_beats(data, 6, axi)).decode().split()
    per_word = -(-78 // axi)
    assert len(lines) == 7 * per_word and all(len(line) == axi // 4 for line in lines)
    for i, word in enumerate(hex_words(data, 6)):
        beats = lines[i * per_word : (i + 1) * per_word]
        assert int("".join(reversed(beats)), 16) == int(word, 16)


def test_cli_rejects_unknown_layer_and_bad_axi_width(tmp_path: Path, capsys):
    from e3ne import cli
    from e3ne.datasets import mnist, write_npz

    examples = Path(__file__).resolve().parents[3] / "examples" / "mlp"
    calibration = tmp_path / "calib.npz"
    write_npz(calibration, mnist("calibration")[0][:16])
    common = ["-q", "compile", f"{examples / 'model.py'}:MLP", "--weights", str(examples / "weights.pt"),
              "--input-shape", "1,28,28", "--calibration", str(calibration), "-o", str(tmp_path / "b")]  # fmt: skip
    assert cli.main([*common, "--axi-width", "48"]) == 1
    assert "AXI data width 48 must be a power of two in [32, 1024]" in capsys.readouterr().err
    assert cli.main([*common, "--offchip-weights", "fc1,fc7"]) == 1
    assert "offchip-weights names unknown layer(s) fc7; the layers with weights are: fc1, fc2, fc3" in capsys.readouterr().err
