"""CompileOptions checks its values (messages name the CLI flag), and Parallelism parses
and formats the `[layer.]key=value,...` setting."""

import pytest

from e3ne.driver import CompileOptions, Parallelism
from e3ne.errors import E3NEError


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_steps": 0}, "--time-steps must be in [1, 32] (radix networks: [1, 16]), got 0"),
        ({"time_steps": 33}, "--time-steps must be in [1, 32] (radix networks: [1, 16]), got 33"),
        ({"weight_bits": 1}, "--weight-bits must be in [2, 16], got 1"),
        ({"sigma": 0.0}, "--sigma must be a positive finite number, got 0.0"),
        ({"sigma": float("inf")}, "--sigma must be a positive finite number, got inf"),
        ({"sigma": float("nan")}, "--sigma must be a positive finite number, got nan"),
        ({"input_mean": "0.1"}, "--input-mean needs --input-std as well"),
        ({"input_mean": "x", "input_std": "1"}, "--input-mean must be a number or comma-separated numbers"),
        ({"axi_width": 48}, "AXI data width 48 must be a power of two in [32, 1024]"),
        ({"memory_latency": 0}, "memory latency 0 must be at least 1 cycle"),
        ({"max_utilization": 1.5}, "--max-utilization must be in (0, 1], got 1.5"),
        ({"max_utilization": 0}, "--max-utilization must be in (0, 1], got 0"),
        ({"max_luts": 0}, "--max-luts must be >= 1, got 0"),
        ({"emit": "hw"}, "--emit must be one of snn, verilog, got 'hw'"),
        ({"shell": "pcie"}, "--shell must be one of none, axi, uart, got 'pcie'"),
        ({"parallelism": "fc1.R=3"}, "bad parallelism item 'fc1.R=3': expected [layer.]key=value"),
        ({"parallelism": "P=0"}, "bad parallelism item 'P=0': value must be >= 1"),
    ],
)
def test_compile_options_reject_bad_values(changes, message):
    with pytest.raises(E3NEError) as error:
        CompileOptions(**changes)
    assert str(error.value).startswith(message)


def test_compile_options_defaults_are_the_cli_defaults():
    options = CompileOptions()
    assert (options.time_steps, options.weight_bits, options.sigma) == (4, 4, 3.0)
    assert (options.target, options.offchip_weights, options.axi_width, options.memory_latency) == (
        "xc7z020", "auto", 128, 16,
    )  # fmt: skip
    assert (options.max_utilization, options.max_luts, options.emit, options.shell) == (0.8, None, "verilog", "none")
    assert options.parallelism == Parallelism() and options.parallelism.text() == ""
    assert options.hardware and not CompileOptions(emit="snn").hardware


def test_compile_options_take_parallelism_text_or_object():
    assert CompileOptions(parallelism="fc1.P=64").parallelism == Parallelism({}, {"fc1": {"P": 64}})
    assert CompileOptions(parallelism=Parallelism.parse("auto")).parallelism.auto


@pytest.mark.parametrize(
    ("text", "defaults", "layers", "formatted"),
    [
        ("P=16", {"P": 16}, {}, "P=16"),
        ("fc1.P=64,Q=4", {"Q": 4}, {"fc1": {"P": 64}}, "Q=4,fc1.P=64"),
        (
            " conv1.channels=8 , conv1.units=2,fc2.Q=2,columns=4",
            {"columns": 4},
            {"conv1": {"channels": 8, "units": 2}, "fc2": {"Q": 2}},
            "columns=4,conv1.channels=8,conv1.units=2,fc2.Q=2",
        ),
        ("", {}, {}, ""),
        (None, {}, {}, ""),
    ],
)
def test_parallelism_parse_and_format(text, defaults, layers, formatted):
    parallelism = Parallelism.parse(text)
    assert (parallelism.defaults, parallelism.layers, parallelism.auto) == (defaults, layers, False)
    assert parallelism.text() == formatted == str(parallelism)
    assert Parallelism.parse(formatted) == parallelism  # round trip


def test_parallelism_auto():
    auto = Parallelism.parse(" auto ")
    assert auto.auto and auto.text() == "auto" and Parallelism.parse(auto.text()) == auto
    with pytest.raises(E3NEError, match="has no settings until the explorer chooses"):
        auto.settings()


def test_linear_parallelism_is_P_for_every_linear_layer():
    assert Parallelism.parse(None).with_linear_parallelism(32).text() == "P=32"
    assert Parallelism.parse("fc1.P=8").with_linear_parallelism(32).text() == "P=32,fc1.P=8"
    assert Parallelism.parse("P=8").with_linear_parallelism(32).text() == "P=8"  # P= wins, as in the lowering
    assert Parallelism.parse("auto").with_linear_parallelism(32).text() == "auto"
    assert Parallelism.parse("Q=2").with_linear_parallelism(None).text() == "Q=2"
    with pytest.raises(E3NEError, match=r"--linear-parallelism must be >= 1, got 0"):
        Parallelism.parse(None).with_linear_parallelism(0)


def test_settings_apply_per_layer_kind():
    settings = Parallelism.parse("P=16,conv1.channels=8,fc2.Q=2").settings()
    assert settings.for_layer("fc2", "linear") == {"P": 16, "Q": 2}
    assert settings.for_layer("conv1", "conv") == {"channels": 8}
    assert settings.for_layer("fc1", "linear") == {"P": 16}


def test_import_e3ne_is_light():
    import subprocess
    import sys

    code = (
        "import sys, e3ne; e3ne.CompileOptions; e3ne.Build; "
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'circt')]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_shell_flag_reaches_the_options():
    from e3ne.cli import _options, build_parser

    common = ["compile", "m.py:M", "--input-shape", "1,28,28", "--calibration", "c.npz", "-o", "out"]
    assert _options(build_parser().parse_args(common)).shell == "none"
    assert _options(build_parser().parse_args([*common, "--shell", "axi"])).shell == "axi"
