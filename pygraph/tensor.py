"""Tensor: a logical tensor bound to memory (SPEC §3, "Execute").

The native ``pygraph_tensor`` struct (description + data pointer) is built
once, here, so that executing with Tensors costs no conversion per call.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._binding import ffi, lib
from .arrays import as_ndarray, data_type_of, element_strides, address_of
from .engine import Engine, default_engine
from .errors import InvalidArgumentsError, InvalidDataTypeError, InvalidShapeError
from .logical_tensor import LogicalTensor

__all__ = ["Tensor"]


def _strides_agree(shape: tuple[int, ...], a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Equal strides wherever they matter: extent-0/1 dims are never compared
    and a tensor with no elements has no stride constraint (SPEC §3)."""
    if 0 in shape:
        return True
    return all(x == y for n, x, y in zip(shape, a, b) if n > 1)


def _is_raw_bytes(data: Any) -> bool:
    """bytes-like memory without an element type of its own (bytearray,
    bytes, mmap, a memoryview of bytes)."""
    if isinstance(data, np.ndarray) or hasattr(data, "__array_interface__") or hasattr(data, "__dlpack__"):
        return False
    try:
        view = memoryview(data)
    except TypeError:
        return False
    return view.itemsize == 1 and view.format in ("B", "b", "c") and view.c_contiguous


class Tensor:
    """``Tensor(lt, engine, data)``: memory described by logical tensor `lt`.

    `data` is either an array (NumPy, ml_dtypes bf16, buffer protocol,
    ``__dlpack__``) whose dtype, shape and strides agree with `lt`, or a raw
    byte buffer (bytearray, memoryview of bytes, mmap ...) of at least
    ``lt.mem_size`` bytes.  In a raw buffer, the element with the lowest
    address sits at byte 0 (so with negative strides element (0, ..., 0) is
    further in).  The tensor keeps a reference to `data`; `engine` may be
    None for the default cpu engine.
    """

    __slots__ = ("_lt", "_engine", "_data", "_owner", "_struct", "_readonly", "__weakref__")

    def __init__(self, lt: LogicalTensor, engine: Optional[Engine], data: Any) -> None:
        if not isinstance(lt, LogicalTensor):
            raise InvalidArgumentsError(f"Tensor: expected a LogicalTensor; got {type(lt).__name__}")
        if engine is None:
            engine = default_engine()
        elif not isinstance(engine, Engine):
            raise InvalidArgumentsError(f"Tensor: expected an Engine or None; got {type(engine).__name__}")
        what = f"Tensor of logical tensor {lt.id}"
        if lt.layout_type.name != "strided" or not lt.is_concrete:
            raise InvalidShapeError(
                f"{what}: the logical tensor must describe memory (layout strided, known dims and strides); got {lt!r}"
            )
        mem_size = lt.mem_size
        shape, strides = lt.shape, lt.strides
        assert shape is not None and strides is not None  # is_concrete said so
        if _is_raw_bytes(data):
            owner = ffi.from_buffer(data)  # keeps the buffer exported (no resize) while held
            if len(owner) < mem_size:
                raise InvalidArgumentsError(
                    f"{what}: the buffer has {len(owner)} bytes; the logical tensor spans {mem_size} bytes"
                )
            itemsize = lib.pygraph_data_type_size(lt.dtype)
            # Element (0, ..., 0) sits above the lowest element by the
            # negative strides' reach.
            lowest = 0 if 0 in shape else sum(s * (n - 1) for n, s in zip(shape, strides) if s < 0)
            address = int(ffi.cast("uintptr_t", owner)) - lowest * itemsize
            readonly = memoryview(data).readonly
        else:
            array = as_ndarray(data, f"{what}: data")
            data_type = data_type_of(array.dtype, f"{what}: data")
            if data_type != lt.dtype:
                raise InvalidDataTypeError(f"{what}: data has data type {data_type}; the logical tensor has {lt.dtype}")
            if tuple(array.shape) != shape:
                raise InvalidShapeError(f"{what}: data has shape {tuple(array.shape)}; the logical tensor has {shape}")
            array_strides = element_strides(array, f"{what}: data")
            if not _strides_agree(shape, array_strides, strides):
                raise InvalidShapeError(
                    f"{what}: data has strides {array_strides} (elements); the logical tensor has {strides}"
                )
            owner = array
            address = address_of(array)
            readonly = not array.flags.writeable
        struct = ffi.new("pygraph_tensor *")
        struct.desc = lt._struct[0]
        struct.data = ffi.cast("void *", address)
        self._lt, self._engine, self._data, self._owner = lt, engine, data, owner
        self._struct, self._readonly = struct, readonly

    @property
    def logical_tensor(self) -> LogicalTensor:
        """The description of the memory."""
        return self._lt

    def get_logical_tensor(self) -> LogicalTensor:
        """oneDNN's spelling of :attr:`logical_tensor`."""
        return self._lt

    @property
    def engine(self) -> Engine:
        """The engine the tensor belongs to."""
        return self._engine

    @property
    def data(self) -> Any:
        """The object given as `data`."""
        return self._data

    @property
    def data_ptr(self) -> int:
        """The address of element (0, ..., 0)."""
        return int(ffi.cast("uintptr_t", self._struct.data))

    @property
    def readonly(self) -> bool:
        """Whether the memory is read-only (such a tensor can only be an input)."""
        return self._readonly

    def __repr__(self) -> str:
        return (
            f"Tensor(logical_tensor={self._lt!r}, data={type(self._data).__name__} at 0x{self.data_ptr:x}"
            f"{', read-only' if self._readonly else ''})"
        )
