"""Conversions between xDSL dense element attributes and numpy arrays.

Weights live in the IR as `dense<...>` attributes (printed as hex when large), so every
pass and interpreter goes through these two functions instead of Python lists.
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
