"""e3ne.dense replaces xDSL's printing of large dense attributes by a faster one; the text must
be byte-identical to xDSL's for every kind of attribute the pipeline writes."""

from io import StringIO

import numpy as np
import pytest
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerType, Signedness, f32, f64
from xdsl.printer import Printer

from e3ne import dense
from e3ne.dense import numpy_to_dense


def _printed(attr, method) -> str:
    out = StringIO()
    printer = Printer(stream=out)
    method(attr, printer)
    return out.getvalue()


RNG = np.random.default_rng(0)
CASES = {
    "si6 large": (RNG.integers(-32, 32, size=(64, 9)), IntegerType(6, Signedness.SIGNED)),
    "si6 small": (RNG.integers(-32, 32, size=(4, 5)), IntegerType(6, Signedness.SIGNED)),
    "i32 large": (RNG.integers(-(2**31), 2**31, size=(300,)), IntegerType(32)),
    "ui4 large splat": (np.full((20, 20), 7), IntegerType(4, Signedness.UNSIGNED)),
    "f32 large": (RNG.standard_normal((8, 3, 3, 3)), f32),
    "f32 large splat zero": (np.zeros((16, 16)), f32),
    "f64 large": (RNG.standard_normal((101,)), f64),
    "f32 exactly 100": (RNG.standard_normal((100,)), f32),
    "i1 large": (RNG.integers(-1, 1, size=(200,)), IntegerType(1)),
}


@pytest.mark.parametrize("name", CASES)
def test_dense_printing_is_byte_identical_to_xdsl(name):
    values, element_type = CASES[name]
    attr = numpy_to_dense(values, element_type)
    assert DenseIntOrFPElementsAttr.print_without_type is dense._print_dense_without_type
    expected = _printed(attr, dense._XDSL_PRINT_WITHOUT_TYPE)
    assert _printed(attr, DenseIntOrFPElementsAttr.print_without_type) == expected
    if values.size > 100 and len(np.unique(values)) > 1:
        assert expected.startswith('dense<"0x')
