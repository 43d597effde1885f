"""Conversions between xDSL dense element attributes and numpy arrays.

Weights live in the IR as `dense<...>` attributes (printed as hex when large), so every
pass and interpreter goes through these two functions instead of Python lists.

Importing this module also speeds up xDSL's printing of large dense attributes (see
`_print_dense_without_type`): xDSL 0.74 unpacks every element into a Python tuple twice
(values and the splat test) before printing a large attribute as hex, which took about a
sixth of AlexNet's and VGG-11's compile time. The output is byte-identical.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    IntegerType,
    Signedness,
    TensorType,
)
from xdsl.ir import Attribute


def _storage_dtype(element_type: Attribute) -> np.dtype:
    if isinstance(element_type, Float32Type):
        return np.dtype("<f4")
    if isinstance(element_type, Float64Type):
        return np.dtype("<f8")
    if isinstance(element_type, IntegerType):
        return np.dtype(element_type.format)
    raise TypeError(f"no numpy storage for element type {element_type}")


def dense_to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The attribute's values as a numpy array of its shape (int64 or float)."""
    element_type = attr.get_element_type()
    raw = np.frombuffer(attr.data.data, dtype=_storage_dtype(element_type))
    shape = tuple(attr.get_shape())
    if raw.size == 1 and int(np.prod(shape)) != 1:
        raw = np.broadcast_to(raw, (int(np.prod(shape)),))
    values = raw.reshape(shape)
    if isinstance(element_type, IntegerType):
        return values.astype(np.int64)
    return values.copy()


_XDSL_PRINT_WITHOUT_TYPE = DenseIntOrFPElementsAttr.print_without_type
_HEX_THRESHOLD = 100  # xDSL prints attributes with more elements than this as one hex string


def _print_dense_without_type(self: DenseIntOrFPElementsAttr, printer) -> None:
    """xDSL's `print_without_type` with the splat test done in numpy for large int/float attributes."""
    length = len(self)
    element_type = self.get_element_type()
    if length <= _HEX_THRESHOLD or not isinstance(element_type, IntegerType | Float32Type | Float64Type):
        return _XDSL_PRINT_WITHOUT_TYPE(self, printer)
    values = np.frombuffer(self.data.data, dtype=_storage_dtype(element_type))
    if (values == values[0]).all():  # a splat: xDSL prints the one value
        return _XDSL_PRINT_WITHOUT_TYPE(self, printer)
    printer.print_string("dense")
    with printer.in_angle_brackets():
        printer.print_string(f'"0x{self.data.data.hex().upper()}"')


DenseIntOrFPElementsAttr.print_without_type = _print_dense_without_type


def numpy_to_dense(values: np.ndarray, element_type: Attribute) -> DenseIntOrFPElementsAttr:
    """A dense attribute of `element_type` holding `values` (checked to fit the type)."""
    values = np.asarray(values)
    dtype = _storage_dtype(element_type)
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        if element_type.signedness.data == Signedness.UNSIGNED:
            lo, hi = 0, (1 << width) - 1
        else:
            lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        if values.size and (values.min() < lo or values.max() > hi):
            raise ValueError(
                f"values in [{values.min()}, {values.max()}] do not fit {element_type}"
            )
    storage = np.ascontiguousarray(values.astype(dtype))
    tensor_type = TensorType(element_type, list(values.shape))
    return DenseIntOrFPElementsAttr(tensor_type, BytesAttr(storage.tobytes()))
