"""`-p` pipelines: paths as bare option values, and the checks that name a bad pass or option."""

import pytest
from xdsl.universe import Universe

from e3ne.errors import E3NEError
from e3ne.tools.pass_options import check_pipeline, quote_bare_values, with_bare_values_quoted

PASSES = Universe.get_multiverse().all_passes


@pytest.mark.parametrize(
    "spec, quoted",
    [
        ("snn-calibrate{data=calib.npz}", 'snn-calibrate{data="calib.npz"}'),
        ("a,snn-calibrate{data=/tmp/x-1/c.npz},b", 'a,snn-calibrate{data="/tmp/x-1/c.npz"},b'),
        ("snn-quantize{time-steps=4 weight-bits=4 sigma=3.0}", "snn-quantize{time-steps=4 weight-bits=4 sigma=3.0}"),
        ('snn-calibrate{data="c.npz"}', 'snn-calibrate{data="c.npz"}'),
        ("p{list=1,2,x.y}", 'p{list=1,2,"x.y"}'),
        ("p{flag other=a.b}", 'p{flag other="a.b"}'),
        ("mlir-opt[a.b{c=d.e}]", "mlir-opt[a.b{c=d.e}]"),
        ("snn-quantize{sigma=1e-3 time-steps=4}", "snn-quantize{sigma=0.001 time-steps=4}"),
        ("p{x=.5,2E2}", "p{x=0.5,200.0}"),
    ],
)
def test_quote_bare_values(spec, quoted):
    assert quote_bare_values(spec) == quoted


def test_text_xdsl_reads_is_left_alone():
    assert with_bare_values_quoted("snn-slice-layer{stage=conv1}") == "snn-slice-layer{stage=conv1}"
    assert with_bare_values_quoted("snn-calibrate{data=a.npz}") == 'snn-calibrate{data="a.npz"}'
    assert with_bare_values_quoted("snn-calibrate{data=a.npz") == "snn-calibrate{data=a.npz"  # error shows it as typed


@pytest.mark.parametrize(
    "spec, rendered",
    [
        (
            "snn-quantize{time-step=4}",
            "pass snn-quantize has no option 'time-step'\n  hint: did you mean 'time-steps'? options of snn-quantize: "
            "time-steps, weight-bits, sigma, input-bits, leak-bits "
            "(e.g. snn-quantize{time-steps=4 weight-bits=4 sigma=3.0 input-bits=8 leak-bits=8})",
        ),
        (
            "snn-quantize{weight-bits=4.5}",
            "pass snn-quantize: option weight-bits=4.5 must be an integer\n"
            "  hint: e.g. -p 'snn-quantize{time-steps=4 weight-bits=4 sigma=3.0 input-bits=8 leak-bits=8}'",
        ),
        (
            "snn-quantize{sigma=wide}",
            "pass snn-quantize: option sigma=wide must be a number\n"
            "  hint: e.g. -p 'snn-quantize{time-steps=4 weight-bits=4 sigma=3.0 input-bits=8 leak-bits=8}'",
        ),
        (
            "snn-slice-layer{fuse-pooling=maybe}",
            "pass snn-slice-layer: option fuse-pooling=maybe must be true or false\n"
            "  hint: e.g. -p 'snn-slice-layer{stage= fuse-pooling=true row-width=0}'",
        ),
        ("snn-calibrate", "pass snn-calibrate needs option 'data'\n  hint: e.g. -p 'snn-calibrate{data=...}'"),
        ("snn-infer-widths{x}", "pass snn-infer-widths takes no options, got 'x'\n  hint: write just snn-infer-widths"),
    ],
)
def test_bad_options_are_named(spec, rendered):
    with pytest.raises(E3NEError) as error:
        check_pipeline(spec, PASSES)
    assert error.value.render() == rendered


def test_unknown_pass_suggests_the_closest():
    with pytest.raises(E3NEError) as error:
        check_pipeline("snn-fold-batchnorm,snn-quantise", PASSES)
    assert error.value.message == "unknown pass 'snn-quantise'"
    assert error.value.hint.startswith("did you mean 'snn-quantize'? e3ne's passes: lower-snn-to-hw, ")


def test_exponent_floats_are_numbers():
    check_pipeline(with_bare_values_quoted("snn-quantize{sigma=2.5e0}"), PASSES)  # xDSL alone: the text "2.5e0"


def test_good_pipeline_passes():
    check_pipeline('snn-fold-batchnorm,snn-calibrate{data="c.npz"},snn-quantize{time-steps=6 sigma=2.5}', PASSES)
