"""Array interoperability: how pygraph sees the memory of a Python array.

pygraph takes anything with the buffer protocol, ``__array_interface__`` or
``__dlpack__`` (NumPy, ``ml_dtypes`` bf16 arrays, ``memoryview``,
``bytearray``, ``array.array``, PyTorch CPU tensors ...) and uses its memory
in place: strided arrays, including negative and zero strides, are never
copied.  Each is viewed as a NumPy array (a view, not a copy) because NumPy
already knows how to read all three protocols; the view also keeps the
owner alive for as long as pygraph holds it.

The table below is the one place where a pygraph data type meets a NumPy
dtype (bf16 and the f8/4-bit types come from ``ml_dtypes``).
"""

from __future__ import annotations

import ctypes
import math
from typing import Any, NamedTuple

import ml_dtypes
import numpy as np

from .enums import DataType
from .errors import InvalidArgumentsError, InvalidDataTypeError

__all__ = ["ArrayInfo", "as_ndarray", "describe", "numpy_dtype", "data_type_of", "address_of"]

# pygraph data type name -> NumPy dtype, for the types a NumPy array can hold
# with the same memory layout.
_NUMPY_DTYPE_OF_NAME: dict[str, np.dtype] = {
    "f32": np.dtype(np.float32),
    "bf16": np.dtype(ml_dtypes.bfloat16),
    "f16": np.dtype(np.float16),
    "s32": np.dtype(np.int32),
    "s8": np.dtype(np.int8),
    "u8": np.dtype(np.uint8),
    "boolean": np.dtype(np.bool_),
    "f8_e5m2": np.dtype(ml_dtypes.float8_e5m2),
    "f8_e4m3": np.dtype(ml_dtypes.float8_e4m3fn),
    # s4/u4 are packed two to a byte in oneDNN; ml_dtypes stores one per
    # byte, so no NumPy array describes their memory.
}
_NUMPY_DTYPE_OF: dict[DataType, np.dtype] = {
    DataType[name]: dtype for name, dtype in _NUMPY_DTYPE_OF_NAME.items() if name in DataType.__members__
}
_DATA_TYPE_OF: dict[np.dtype, DataType] = {dtype: data_type for data_type, dtype in _NUMPY_DTYPE_OF.items()}


def numpy_dtype(data_type: DataType) -> np.dtype:
    """The NumPy dtype that holds `data_type` (InvalidDataTypeError for undef)."""
    try:
        return _NUMPY_DTYPE_OF[data_type]
    except KeyError:
        raise InvalidDataTypeError(f"data type {data_type} has no NumPy equivalent") from None


def data_type_of(dtype: np.dtype, what: str) -> DataType:
    """The pygraph data type of a NumPy dtype, else InvalidDataTypeError naming `what`."""
    data_type = _DATA_TYPE_OF.get(dtype)
    if data_type is None:
        known = ", ".join(f"{d} ({np.dtype(t).name})" for d, t in _NUMPY_DTYPE_OF.items())
        note = " (non-native byte order)" if dtype.byteorder not in "=|" else ""
        raise InvalidDataTypeError(f"{what}: dtype {dtype}{note} has no pygraph data type; expected one of {known}")
    return data_type


def as_ndarray(obj: Any, what: str) -> np.ndarray:
    """A NumPy view of `obj`'s memory — never a copy.

    Lists, scalars and other objects without one of the three array
    protocols are refused (InvalidArgumentsError): converting them would
    copy, and an output written into a copy is silently lost.
    """
    if isinstance(obj, np.ndarray):
        return obj
    if isinstance(obj, np.generic):
        # A NumPy scalar is immutable: its value is readable, but anything
        # written to it would land in a temporary copy.
        array = np.asarray(obj)
        array.flags.writeable = False
        return array
    if hasattr(obj, "__array_interface__"):
        return np.asarray(obj)
    try:
        view = memoryview(obj)
    except TypeError:
        pass
    else:
        return np.asarray(view)
    if hasattr(obj, "__dlpack__"):
        try:
            return np.from_dlpack(obj)
        except (BufferError, TypeError, ValueError, RuntimeError) as exc:
            # NumPy reads no bf16 from DLPack (PyTorch's bfloat16 tensors).
            bf16 = _bf16_from_dlpack(obj)
            if bf16 is None:
                raise InvalidArgumentsError(f"{what}: its DLPack memory cannot be used in place: {exc}") from None
            return bf16
    raise InvalidArgumentsError(
        f"{what}: expected an array (buffer protocol, __array_interface__ or __dlpack__); "
        f"got {type(obj).__name__} (convert it first, e.g. numpy.asarray(x, dtype=numpy.float32))"
    )


def address_of(array: np.ndarray) -> int:
    """The address of `array`'s element (0, ..., 0)."""
    return array.__array_interface__["data"][0]


class ArrayInfo(NamedTuple):
    """What pygraph needs to know of an array (strides in elements)."""

    array: np.ndarray  # the NumPy view; holding it keeps the memory alive
    data_type: DataType
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    address: int
    readonly: bool


def element_strides(array: np.ndarray, what: str) -> tuple[int, ...]:
    """`array`'s strides counted in elements (InvalidArgumentsError when a byte
    stride is not a multiple of the item size, as in a view of a struct field).

    Strides that never matter (SPEC §3: those of extent-0/1 dims, and all of
    them in an array without elements) are not checked; one that is not a
    whole number of items becomes the row-major stride of its dim, as NumPy
    too treats such an array as contiguous."""
    itemsize = array.dtype.itemsize
    shape = array.shape
    has_elements = 0 not in shape
    strides = []
    for axis, byte_stride in enumerate(array.strides):
        if byte_stride % itemsize == 0:
            strides.append(byte_stride // itemsize)
        elif shape[axis] <= 1 or not has_elements:
            strides.append(math.prod(shape[axis + 1:]))
        else:
            raise InvalidArgumentsError(
                f"{what}: stride {byte_stride} bytes of axis {axis} is not a multiple of the item size "
                f"{itemsize}; pygraph counts strides in elements"
            )
    return tuple(strides)


def describe(obj: Any, what: str) -> ArrayInfo:
    """Data type, shape, strides (elements), address and writability of `obj`."""
    array = as_ndarray(obj, what)
    data_type = data_type_of(array.dtype, what)
    return ArrayInfo(
        array,
        data_type,
        tuple(array.shape),
        element_strides(array, what),
        address_of(array),
        not array.flags.writeable,
    )


# -- DLPack bf16 -------------------------------------------------------------
# NumPy's from_dlpack refuses DLPack's bfloat16 code; ml_dtypes' bfloat16 has
# the same memory layout, so the tensor is viewed here directly (no copy).
# The capsule stays referenced by the view: while it lives, the producer's
# capsule destructor has not run, so the memory stays valid; when the view
# dies, the capsule's destructor calls the producer's deleter.


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensor(ctypes.Structure):  # capsule "dltensor" (DLPack < 1.0)
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


class _DLManagedTensorVersioned(ctypes.Structure):  # capsule "dltensor_versioned"
    _fields_ = [
        ("major", ctypes.c_uint32),
        ("minor", ctypes.c_uint32),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", _DLTensor),
    ]


_DL_CPU, _DL_BFLOAT = 1, 4
_DL_FLAG_READ_ONLY = 1
_capsule_is_valid = ctypes.pythonapi.PyCapsule_IsValid
_capsule_is_valid.restype, _capsule_is_valid.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_char_p]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype, _capsule_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


def _bf16_from_dlpack(obj: Any) -> np.ndarray | None:
    """A bfloat16 NumPy view of a CPU DLPack tensor, or None if it is not one."""
    try:
        capsule = obj.__dlpack__()
    except Exception:  # the producer's own refusal; the caller reports NumPy's
        return None
    readonly = False
    if _capsule_is_valid(capsule, b"dltensor"):
        tensor = _DLManagedTensor.from_address(_capsule_pointer(capsule, b"dltensor")).dl_tensor
    elif _capsule_is_valid(capsule, b"dltensor_versioned"):
        managed = _DLManagedTensorVersioned.from_address(_capsule_pointer(capsule, b"dltensor_versioned"))
        tensor, readonly = managed.dl_tensor, bool(managed.flags & _DL_FLAG_READ_ONLY)
    else:
        return None
    if (
        tensor.device.device_type != _DL_CPU
        or (tensor.dtype.code, tensor.dtype.bits, tensor.dtype.lanes) != (_DL_BFLOAT, 16, 1)
    ):
        return None
    ndim = tensor.ndim
    shape = tuple(tensor.shape[i] for i in range(ndim))
    if tensor.strides:
        strides = tuple(tensor.strides[i] for i in range(ndim))
    else:  # NULL strides: C-contiguous
        dense: list[int] = []
        running = 1
        for n in reversed(shape):
            dense.insert(0, running)
            running *= n
        strides = tuple(dense)
    itemsize = 2
    origin = (tensor.data or 0) + tensor.byte_offset
    if 0 in shape:
        low = high = 0
    else:
        low = sum(s * (n - 1) for n, s in zip(shape, strides) if s < 0)
        high = sum(s * (n - 1) for n, s in zip(shape, strides) if s > 0)
    span = (high - low + 1) * itemsize if 0 not in shape else 0
    memory: Any = (ctypes.c_char * span).from_address(origin + low * itemsize) if span else bytearray(0)
    if span:
        memory._dlpack_capsule = capsule  # keeps the producer's memory alive
    view = np.ndarray(
        shape, np.dtype(ml_dtypes.bfloat16), memory, -low * itemsize, tuple(s * itemsize for s in strides)
    )
    if readonly:
        view.flags.writeable = False
    return view
