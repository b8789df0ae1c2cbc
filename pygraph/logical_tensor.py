"""LogicalTensor: the description of a tensor (SPEC §3, "Logical tensor").

Backed by the native value struct ``pygraph_logical_tensor``; the checks of
ndims, dims, enums and size are the native ``pygraph_logical_tensor_init``
ones, so a description means the same in Python and in C.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

from ._binding import check, ffi, lib, to_int64, to_uint64
from .arrays import describe
from .enums import DataType, LayoutType, PropertyType
from .errors import InvalidArgumentsError

__all__ = ["LogicalTensor", "UNKNOWN_DIM", "MAX_NDIMS"]

#: The native value of an unknown dim or stride (oneDNN's INT64_MIN).  Python
#: shows unknown dims as -1 and accepts -1, None or this value for them.
UNKNOWN_DIM: int = lib.PYGRAPH_UNKNOWN_DIM
#: The largest number of dims a logical tensor may have.
MAX_NDIMS: int = lib.PYGRAPH_MAX_NDIMS

Shape = Optional[Sequence[Optional[int]]]
Strides = Optional[Sequence[Optional[int]]]


def _dims_argument(shape: Any, what: str) -> tuple[int, list[int]]:
    """(ndims, native dims) of a Python shape; None is an unknown rank."""
    if shape is None:
        return lib.PYGRAPH_UNKNOWN_NDIMS, []
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) and not hasattr(shape, "__iter__"):
        raise InvalidArgumentsError(f"{what}: shape must be a sequence of dims or None; got {shape!r}")
    dims = []
    for axis, dim in enumerate(shape):
        if dim is None:
            dims.append(UNKNOWN_DIM)
            continue
        value = to_int64(dim, f"{what}: dim {axis}")
        dims.append(UNKNOWN_DIM if value == -1 else value)
    return len(dims), dims


class LogicalTensor:
    """Describes a tensor: id, data type, shape, layout, strides and property.

    ``LogicalTensor(id, dtype, shape, layout_type="strided", strides=None,
    property_type="variable")`` — the positional order of oneDNN's C++ API.

    * `dtype`, `layout_type`, `property_type`: an enum member or its name.
    * `shape`: a sequence of dims; ``-1`` or ``None`` is an unknown dim (shown
      as ``-1``); ``shape=None`` is an unknown rank.  ``()`` is a scalar.
    * `strides`: in elements, any sign (``None`` entries are unknown).  When
      omitted for a strided layout with every dim known, the dense row-major
      strides; otherwise unknown.

    Immutable, comparable (``==``) and hashable.
    """

    __slots__ = ("_struct",)

    def __init__(
        self,
        id: int,
        dtype: Union[DataType, str],
        shape: Shape,
        layout_type: Union[LayoutType, str] = "strided",
        strides: Strides = None,
        property_type: Union[PropertyType, str] = "variable",
    ) -> None:
        tensor_id = to_uint64(id, "logical tensor id")
        what = f"logical tensor {tensor_id}"
        data_type = DataType.coerce(dtype, f"{what}: data type")
        layout = LayoutType.coerce(layout_type, f"{what}: layout type")
        prop = PropertyType.coerce(property_type, f"{what}: property type")
        ndims, dims = _dims_argument(shape, what)
        struct = ffi.new("pygraph_logical_tensor *")
        c_dims = ffi.new("int64_t[]", dims) if dims else ffi.NULL
        if strides is None:
            check(lib.pygraph_logical_tensor_init(struct, tensor_id, data_type, ndims, c_dims, layout, prop))
        else:
            if layout != LayoutType.strided:
                raise InvalidArgumentsError(
                    f"{what}: strides are given but the layout type is {layout}; strides need layout strided"
                )
            if isinstance(strides, (str, bytes)) or ndims < 0 or len(strides) != ndims:
                rank = "unknown" if ndims < 0 else str(ndims)
                raise InvalidArgumentsError(
                    f"{what}: expected one stride per dim ({rank} dims); got strides {strides!r}"
                )
            values = [
                UNKNOWN_DIM if s is None else to_int64(s, f"{what}: stride {axis}") for axis, s in enumerate(strides)
            ]
            c_strides = ffi.new("int64_t[]", values) if values else ffi.NULL
            check(
                lib.pygraph_logical_tensor_init_with_strides(struct, tensor_id, data_type, ndims, c_dims, c_strides, prop)
            )
        self._struct = struct

    @classmethod
    def _from_struct(cls, source: Any) -> "LogicalTensor":
        """A LogicalTensor holding a copy of the native struct `source` (pointer or value)."""
        self = cls.__new__(cls)
        struct = ffi.new("pygraph_logical_tensor *")
        struct[0] = source[0] if ffi.typeof(source).kind == "pointer" else source
        self._struct = struct
        return self

    @classmethod
    def from_array(
        cls, id: int, array: Any, property_type: Union[PropertyType, str] = "variable"
    ) -> "LogicalTensor":
        """The description of `array`'s memory: its data type, shape and strides
        (in elements; a byte stride that is not a multiple of the item size is
        InvalidArgumentsError).  `array` is anything pygraph executes on
        (NumPy, ml_dtypes bf16, buffer protocol, ``__dlpack__``)."""
        tensor_id = to_uint64(id, "logical tensor id")
        info = describe(array, f"logical tensor {tensor_id}: array")
        return cls(tensor_id, info.data_type, info.shape, "strided", info.strides, property_type)

    # -- read-only attributes ------------------------------------------------

    @property
    def id(self) -> int:
        """The tensor's id within its graph."""
        return int(self._struct.id)

    @property
    def dtype(self) -> DataType:
        """The element data type."""
        return DataType(self._struct.data_type)

    @property
    def ndims(self) -> int:
        """Number of dims; -1 while the rank is unknown."""
        return int(self._struct.ndims)

    @property
    def shape(self) -> Optional[tuple[int, ...]]:
        """The dims (-1 for an unknown dim), or None while the rank is unknown."""
        ndims = self._struct.ndims
        if ndims < 0:
            return None
        dims = self._struct.dims
        return tuple(-1 if dims[i] == UNKNOWN_DIM else int(dims[i]) for i in range(ndims))

    @property
    def strides(self) -> Optional[tuple[int, ...]]:
        """Strides in elements, or None while any of them is unknown (layout any,
        unknown dims, unknown rank)."""
        ndims = self._struct.ndims
        if ndims < 0 or self._struct.layout_type != lib.pygraph_layout_type_strided:
            return None
        strides = tuple(int(self._struct.strides[i]) for i in range(ndims))
        return None if UNKNOWN_DIM in strides else strides

    @property
    def layout_type(self) -> LayoutType:
        """undef, any, strided or opaque."""
        return LayoutType(self._struct.layout_type)

    @property
    def property_type(self) -> PropertyType:
        """undef, variable or constant."""
        return PropertyType(self._struct.property)

    @property
    def mem_size(self) -> int:
        """Bytes spanned by the elements (0 for no elements); InvalidShapeError
        while dims or strides are unknown."""
        size = ffi.new("size_t *")
        check(lib.pygraph_logical_tensor_get_mem_size(self._struct, size))
        return int(size[0])

    @property
    def is_concrete(self) -> bool:
        """Whether dims and strides are all known (the memory is fully described)."""
        return self.strides is not None and -1 not in (self.shape or ())

    # -- value semantics -----------------------------------------------------

    def _key(self) -> tuple:
        s = self._struct
        ndims = max(int(s.ndims), 0)
        return (
            int(s.id),
            int(s.data_type),
            int(s.ndims),
            tuple(s.dims[0:ndims]),
            int(s.layout_type),
            int(s.property),
            tuple(s.strides[0:ndims]) if s.layout_type == lib.pygraph_layout_type_strided else (),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogicalTensor):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        parts = [f"id={self.id}", f"dtype='{self.dtype}'", f"shape={self.shape!r}", f"layout_type='{self.layout_type}'"]
        if self._struct.layout_type == lib.pygraph_layout_type_strided and self._struct.ndims >= 0:
            raw = [int(self._struct.strides[i]) for i in range(self._struct.ndims)]
            if any(s != UNKNOWN_DIM for s in raw):
                parts.append(f"strides={tuple(None if s == UNKNOWN_DIM else s for s in raw)!r}")
        parts.append(f"property_type='{self.property_type}'")
        return f"LogicalTensor({', '.join(parts)})"

    def __reduce__(self):
        raw_strides = None
        if self._struct.layout_type == lib.pygraph_layout_type_strided and self._struct.ndims >= 0:
            raw = [int(self._struct.strides[i]) for i in range(self._struct.ndims)]
            if any(s != UNKNOWN_DIM for s in raw):
                raw_strides = tuple(None if s == UNKNOWN_DIM else s for s in raw)
        return (
            LogicalTensor,
            (self.id, self.dtype.name, self.shape, self.layout_type.name, raw_strides, self.property_type.name),
        )
