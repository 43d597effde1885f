"""Off-chip weights: the AXI/buffer cost on hand-countable units,
`e3ne.offchip.decide` (fits -> none, too big -> biggest layers first, overrides, errors),
the report's external-memory section, and explore choosing off-chip layers under a tiny
block RAM budget (its numbers equal the estimate of the lowered design)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from e3ne.model import cost  # noqa: E402
from e3ne.model.units import SPIKE_SELECT_LATENCY  # noqa: E402
from e3ne.backend.report import build_report, render_markdown  # noqa: E402
from e3ne.datasets import mnist  # noqa: E402
from e3ne.errors import E3NEError  # noqa: E402
from e3ne.design_space import StageModel, budget_of, candidate_settings, choose, lower, sweep  # noqa: E402
from e3ne.frontend import import_model, load_model  # noqa: E402
from e3ne.offchip import decide  # noqa: E402
from e3ne.transforms.snnhw.estimate import estimate_accelerator  # noqa: E402
from e3ne.transforms.snn.quantize_pipeline import quantize_module  # noqa: E402
from e3ne.model.parts import Part, get_part  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def tiny_part(bram36: int) -> Part:
    return Part("tiny", "test part", "xc7", 1_000_000, 2_000_000, bram36, 1, 100.0)


# --------------------------------------------------------------------------- timing and cost


def test_axi_master_keeps_all_but_the_last_beat_of_a_word():
    narrow = cost.axi_read_master(word_width=96, axi_width=128, group_words=10, groups=4)
    wide = cost.axi_read_master(word_width=300, axi_width=128, group_words=10, groups=4)
    # 2 x 128 assembly flip-flops, beat-in-word counter 2 bits instead of 1, and the two beat
    # counters hold 0..30 beats instead of 0..10 (5 bits each instead of 4)
    assert wide.ff - narrow.ff == 2 * 128 + 1 + 2 * 1
    assert narrow.bram == 0 and narrow.dsp == 0
    # two banks of 10 words, and the unit's register of the word (in step with the selected spikes)
    assert cost.weight_buffer(96, 10) == cost.ram(96, 20) + cost.register(SPIKE_SELECT_LATENCY * 96)
    assert cost.rom(96, 1000, "offchip") == cost.Cost()  # no on-chip storage


def test_axi_master_flip_flops_follow_the_primitive():
    """The registers of e3ne_axi_weight_buffer (Yosys keeps 118 for this, the MLP's fc1 at P=16)."""
    fc1 = cost.axi_read_master(word_width=64, axi_width=128, group_words=784, groups=8)
    # group counters 0..8 (4 bits each), beat counters 0..784 (10 bits each), ar_beat and araddr
    # (32 - 4 bits each), arlen, 7 flags, consume_base (13 bits, the low 4 constant:
    # 784 = 49 x 16), fill_index (11), beat_in_word (1)
    assert fc1.ff == 2 * 4 + 2 * 10 + 2 * 28 + 8 + 7 + (13 - 4) + 11 + 1
    assert (fc1.lut, fc1.carry) == (cost.AXI_MASTER_LUTS, cost.AXI_MASTER_CARRY)
    # a 64-bit bus: one more beat-index bit each; 256-bit words take 4 beats (3 x 64 assembly
    # bits, beat counters 0..3136: 12 bits each); groups 0..2 (2 bits each)
    narrow_bus = cost.axi_read_master(word_width=256, axi_width=64, group_words=784, groups=2)
    assert narrow_bus.ff == 2 * 2 + 2 * 12 + 2 * 29 + 8 + 7 + (11 - 4) + 11 + 2 + 3 * 64


# --------------------------------------------------------------------------- decisions on a 3-layer MLP


@pytest.fixture(scope="module")
def mlp3():
    """784-512-256-10 with random weights: fc1 has the most weights, then fc2."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    x, _ = mnist("calibration")
    return quantize_module(import_model(model.eval(), (1, 28, 28)), x[:32])


@pytest.fixture(scope="module")
def mlp3_hw(mlp3):
    return lower(mlp3, "")


def _weight_bram(accelerator) -> dict[str, float]:
    design = estimate_accelerator(accelerator)
    return {layer.name: layer.parts["weights"].bram for layer in design.layers}


def test_weights_stay_on_chip_when_they_fit(mlp3_hw):
    decision = decide(mlp3_hw, get_part("xcvu13p"))
    assert decision.layers == () and decision.option_text() == "none"
    assert "stay on-chip" in decision.reason


def test_the_biggest_layers_go_off_chip_first_until_block_ram_fits(mlp3_hw):
    bram = _weight_bram(mlp3_hw)
    assert bram["fc1"] > bram["fc2"] > bram["fc3"]
    total = estimate_accelerator(mlp3_hw).totals.bram
    # a budget that needs fc1 gone, but not fc2 as well
    part = tiny_part(int((total - bram["fc1"] + 4) / 0.8) + 1)
    decision = decide(mlp3_hw, part)
    assert decision.layers == ("fc1",)
    assert decision.reason.startswith("fc1 streams its weights from external memory: on-chip they would need")
    assert f"{total:,g} BRAM36" in decision.reason
    assert decide(mlp3_hw, tiny_part(2)).layers[:2] == ("fc1", "fc2")


def test_the_user_overrides_the_choice(mlp3_hw):
    part = get_part("xcvu13p")
    assert decide(mlp3_hw, part, "fc2").layers == ("fc2",)
    assert decide(mlp3_hw, part, "fc3,fc1").layers == ("fc1", "fc3")  # network order
    assert decide(mlp3_hw, part, "all").layers == ("fc1", "fc2", "fc3")
    assert decide(mlp3_hw, tiny_part(2), "none").layers == ()


def test_an_unknown_layer_is_a_clear_error(mlp3_hw):
    with pytest.raises(E3NEError) as error:
        decide(mlp3_hw, get_part("xcvu13p"), "fc1,fc9")
    assert "unknown layer(s) fc9" in str(error.value)
    assert "fc1, fc2, fc3" in error.value.render()


def test_no_layer_streams_when_streaming_frees_no_block_ram(mlp3_hw, monkeypatch):
    """Over budget, but every double buffer would need as much BRAM as its ROM: nothing moves,
    and the reason says so instead of naming no layers."""
    monkeypatch.setattr(cost, "weight_buffer", lambda word_width, group_words: cost.Cost(bram36=10_000))
    decision = decide(mlp3_hw, tiny_part(2))
    assert decision.layers == ()
    assert decision.reason.startswith("no layer's weights would free block RAM by streaming")


def test_none_and_auto_requests_mean_the_same_everywhere():
    from e3ne.offchip import request_text

    assert request_text(None) == request_text(" auto ") == request_text("") == "auto"
    assert request_text(("fc2", "fc1")) == "fc2,fc1" and request_text(()) == "none"


def test_estimate_of_an_offchip_layer(mlp3_hw):
    design = estimate_accelerator(mlp3_hw, offchip=("fc1",))
    fc1 = design.layers[0]
    unit = mlp3_hw.schedule().stage_ops()[0]
    streaming = unit.streaming()
    assert set(fc1.parts) == {"logic", "weight buffer", "axi master", "output"}
    assert fc1.cycles == streaming.cycles > unit.cycles()
    assert design.cycles == sum(layer.cycles for layer in design.layers)
    assert design.bytes_per_image == streaming.bytes_per_image == unit.groups() * unit.chunks() * 16
    on_chip = estimate_accelerator(mlp3_hw)
    assert design.totals.bram < on_chip.totals.bram


def test_report_explains_the_offchip_layers(mlp3_hw):
    part = tiny_part(2)
    decision = decide(mlp3_hw, part)
    design = estimate_accelerator(mlp3_hw, offchip=decision.layers)
    activity = [{"input_spikes": 100.0, "inputs": n} for n in (784, 512, 256)]
    report = build_report(design, part, {"model": "mlp3"}, activity, decision)
    fc1_energy = report["energy"]["layers"][0]
    assert fc1_energy["external_memory_nj"] == pytest.approx(design.layers[0].streaming.bytes_per_image * 8 * 2.0 / 64, abs=1e-3)
    assert report["energy"]["layers"][2]["external_memory_nj"] == 0
    assert report["offchip"]["layers"] == list(decision.layers)
    assert report["offchip"]["bytes_per_image"] == design.bytes_per_image
    text = render_markdown(report)
    assert "## Weights in external memory" in text
    assert "**Why:** fc1, fc2" in text
    assert "| fc1 | linear | 784 -> 512 | 4 | 4 | external |" in text
    assert "| fc3 | linear | 256 -> 10 | 4 | 4 |" in text


def test_small_examples_stay_on_chip_under_auto():
    x, _ = mnist("calibration")
    for folder, cls, shape in (("mlp", "MLP", (1, 28, 28)), ("fang_cnn", "FangCNN", (1, 28, 28))):
        model = load_model(f"{EXAMPLES / folder / 'model.py'}:{cls}", str(EXAMPLES / folder / "weights.pt"))
        quant = quantize_module(import_model(model, shape), x[:32])
        assert decide(lower(quant, ""), get_part("xc7z020")).layers == (), folder


# --------------------------------------------------------------------------- explore


def test_explore_moves_a_layer_off_chip_under_a_tiny_block_ram_budget(mlp3):
    budget = budget_of(tiny_part(10), 1.0)
    assert choose(sweep(mlp3, offchip="none", budget=budget), budget) is None
    exploration = sweep(mlp3, offchip="auto", budget=budget)
    point = choose(exploration, budget)
    assert point is not None
    layers = exploration.offchip_layers(point)
    assert "fc1" in layers
    design = estimate_accelerator(lower(mlp3, exploration.parallelism_text(point)), offchip=layers)
    assert design.cycles == exploration.cycles[point]
    for key in ("lut", "ff", "carry", "bram"):
        assert getattr(design.totals, key) == pytest.approx(exploration.totals(point)[key], abs=0.01), key


def test_explore_search_of_a_space_too_large_to_enumerate_fits_the_budget(mlp3):
    budget = budget_of(tiny_part(10), 1.0)
    exploration = sweep(mlp3, max_points=50, offchip="auto", budget=budget)
    assert not exploration.exhaustive and exploration.space > 50
    point = choose(exploration, budget)
    assert point is not None
    assert all(exploration.totals(point)[key] <= limit for key, limit in budget.items())
    design = estimate_accelerator(lower(mlp3, exploration.parallelism_text(point)), offchip=exploration.offchip_layers(point))
    assert design.cycles == exploration.cycles[point]


def test_explore_candidates_equal_the_lowered_estimate_on_a_cnn():
    """Explore evaluates settings without lowering; every one must match the real lowering."""
    x, _ = mnist("calibration")
    model = load_model(f"{EXAMPLES / 'fang_cnn' / 'model.py'}:FangCNN", str(EXAMPLES / "fang_cnn" / "weights.pt"))
    quant = quantize_module(import_model(model, (1, 28, 28)), x[:32])
    stages = lower(quant, "").schedule().stage_ops()
    rng = np.random.default_rng(0)
    for index, stage in enumerate(stages):
        model_ = StageModel(stage)
        settings = candidate_settings(stage)
        for choice in rng.choice(len(settings), min(8, len(settings)), replace=False):
            chosen = settings[int(choice)]
            text = ",".join(f"{stage.symbol}.{key}={value}" for key, value in chosen.items())
            result = model_.evaluate(chosen)
            if result is None:  # explore skips what the lowering rejects
                with pytest.raises(E3NEError):
                    lower(quant, text)
                continue
            layer = estimate_accelerator(lower(quant, text)).layers[index]
            assert result.cycles == layer.cycles and result.parallelism == layer.parallelism, text
            mine = result.logic + result.weights + result.output
            for key in ("lut", "ff", "carry", "bram"):
                assert getattr(mine, key) == pytest.approx(getattr(layer.cost, key), abs=1e-6), (text, key)


def test_cli_rejects_an_unknown_offchip_layer(tmp_path: Path, capsys):
    from e3ne import cli
    from e3ne.datasets import write_npz

    x, _ = mnist("calibration")
    write_npz(tmp_path / "calib.npz", x[:16])
    status = cli.main(
        ["-q", "compile", f"{EXAMPLES / 'mlp' / 'model.py'}:MLP", "--weights", str(EXAMPLES / "mlp" / "weights.pt"),
         "--input-shape", "1,28,28", "--calibration", str(tmp_path / "calib.npz"), "--offchip-weights", "fc1,fc7",
         "-o", str(tmp_path / "build")]
    )  # fmt: skip
    assert status == 1
    err = capsys.readouterr().err
    assert "unknown layer(s) fc7" in err and "Traceback" not in err
