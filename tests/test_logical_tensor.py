"""LogicalTensor: construction, unknown dims, strides, value semantics, from_array."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import pygraph
from pygraph import LogicalTensor


def test_defaults_are_strided_dense_row_major_variable():
    lt = LogicalTensor(3, "f32", (2, 3, 4))
    assert (lt.id, lt.dtype, lt.shape, lt.ndims) == (3, pygraph.DataType.f32, (2, 3, 4), 3)
    assert lt.layout_type is pygraph.LayoutType.strided
    assert lt.property_type is pygraph.PropertyType.variable
    assert lt.strides == (12, 4, 1)
    assert lt.mem_size == 2 * 3 * 4 * 4
    assert lt.is_concrete


def test_positional_order_is_onednn_cpp():
    lt = LogicalTensor(1, pygraph.DataType.bf16, [4, 5], pygraph.LayoutType.strided, [1, 4], pygraph.PropertyType.constant)
    assert lt.strides == (1, 4) and lt.property_type is pygraph.PropertyType.constant


@pytest.mark.parametrize("unknown", [-1, None, pygraph.UNKNOWN_DIM])
def test_unknown_dims_show_as_minus_one_and_leave_strides_unknown(unknown):
    lt = LogicalTensor(0, "f32", (2, unknown))
    assert lt.shape == (2, -1)
    assert lt.strides is None
    assert not lt.is_concrete
    with pytest.raises(pygraph.InvalidShapeError):
        _ = lt.mem_size


def test_unknown_rank():
    lt = LogicalTensor(0, "f16", None, "any")
    assert lt.ndims == -1 and lt.shape is None and lt.strides is None


def test_layout_any_has_no_strides():
    lt = LogicalTensor(0, "f32", (2, 3), "any")
    assert lt.strides is None and lt.layout_type is pygraph.LayoutType.any


def test_scalar_and_zero_size():
    scalar = LogicalTensor(0, "f32", ())
    assert scalar.ndims == 0 and scalar.shape == () and scalar.strides == () and scalar.mem_size == 4
    empty = LogicalTensor(1, "f32", (3, 0))
    assert empty.mem_size == 0


def test_explicit_strides_any_sign():
    lt = LogicalTensor(0, "f32", (3, 4), strides=(-4, 0))
    assert lt.strides == (-4, 0)
    assert lt.mem_size == (2 * 4 + 1) * 4


def test_partially_unknown_strides_read_as_none():
    lt = LogicalTensor(0, "f32", (3, 4), strides=(None, 1))
    assert lt.strides is None
    assert "strides=(None, 1)" in repr(lt)


def test_value_semantics():
    a = LogicalTensor(5, "f32", (2, 3))
    b = LogicalTensor(5, "f32", [2, 3], "strided", (3, 1), "variable")
    c = LogicalTensor(5, "f32", (2, 3), property_type="constant")
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    assert a != "not a tensor"


@pytest.mark.parametrize(
    "lt",
    [
        LogicalTensor(0, "f32", (2, 3)),
        LogicalTensor(1, "bf16", (2, -1), "strided"),
        LogicalTensor(2, "f16", None, "any"),
        LogicalTensor(3, "s8", (4,), strides=(-2,), property_type="constant"),
        LogicalTensor(4, "f32", (2, 2), "undef", property_type="undef"),
    ],
)
def test_repr_evaluates_back(lt):
    text = repr(lt)
    assert text.startswith("LogicalTensor(id=")
    assert eval(text, {"LogicalTensor": LogicalTensor}) == lt


def test_pickle_round_trip():
    import pickle

    lt = LogicalTensor(9, "bf16", (3, 5), strides=(-5, 1))
    assert pickle.loads(pickle.dumps(lt)) == lt


def test_from_array_describes_dtype_shape_and_element_strides():
    x = np.zeros((4, 6), np.float32)
    assert LogicalTensor.from_array(0, x) == LogicalTensor(0, "f32", (4, 6))
    view = x[::-2, ::3]
    lt = LogicalTensor.from_array(1, view, "constant")
    assert (lt.shape, lt.strides, lt.property_type) == ((2, 2), (-12, 3), pygraph.PropertyType.constant)
    assert LogicalTensor.from_array(2, np.asfortranarray(x)).strides == (1, 4)
    broadcast = np.broadcast_to(np.float16(1), (3, 2))
    assert LogicalTensor.from_array(3, broadcast).strides == (0, 0)
    assert LogicalTensor.from_array(4, np.zeros(3, ml_dtypes.bfloat16)).dtype is pygraph.DataType.bf16


def test_from_array_takes_buffers_and_dlpack():
    import array

    assert LogicalTensor.from_array(0, array.array("f", [1, 2, 3])).shape == (3,)
    assert LogicalTensor.from_array(1, memoryview(bytearray(8)).cast("f")).dtype is pygraph.DataType.f32

    class OnlyDLPack:
        def __init__(self, a):
            self._a = a

        def __dlpack__(self, **kwargs):
            return self._a.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self._a.__dlpack_device__()

    lt = LogicalTensor.from_array(2, OnlyDLPack(np.zeros((2, 5), np.float16)[:, ::2]))
    assert (lt.dtype, lt.shape, lt.strides) == (pygraph.DataType.f16, (2, 3), (5, 2))


def test_from_array_refuses_strides_that_are_not_whole_elements():
    record = np.zeros(4, dtype=[("a", np.float32), ("b", np.uint8)])
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        LogicalTensor.from_array(0, record["a"])
    assert "multiple of the item size" in str(info.value)
    # Strides that never matter are not refused: an extent-1 dim, or an
    # array without elements (SPEC §3), as NumPy calls them contiguous.
    one = np.zeros(1, dtype=[("a", np.float32), ("b", np.uint8)])["a"]
    assert one.strides == (5,) and one.flags.c_contiguous
    assert LogicalTensor.from_array(1, one).strides == (1,)
    empty = np.zeros((0, 3), dtype=[("a", np.float32), ("b", np.uint8)])["a"]
    assert LogicalTensor.from_array(2, empty).shape == (0, 3)


def test_from_array_refuses_types_without_a_pygraph_data_type():
    with pytest.raises(pygraph.InvalidDataTypeError) as info:
        LogicalTensor.from_array(0, np.zeros(2, np.float64))
    assert "float64" in str(info.value)
    with pytest.raises(pygraph.InvalidDataTypeError) as info:
        LogicalTensor.from_array(0, np.zeros(2, ">f4"))
    assert "byte order" in str(info.value)
    with pytest.raises(pygraph.InvalidArgumentsError):
        LogicalTensor.from_array(0, [1.0, 2.0])  # a list has no memory to describe


@pytest.mark.parametrize(
    "args, error, words",
    [
        ((-1, "f32", (1,)), pygraph.InvalidArgumentsError, ["id", "-1"]),
        ((2**64, "f32", (1,)), pygraph.InvalidArgumentsError, ["id"]),
        ((True, "f32", (1,)), pygraph.InvalidArgumentsError, ["bool"]),
        ((0, "f64", (1,)), pygraph.InvalidArgumentsError, ["data type", "f64"]),
        ((0, "f32", (2, "3")), pygraph.InvalidArgumentsError, ["dim 1"]),
        ((0, "f32", 5), pygraph.InvalidArgumentsError, ["shape"]),
        ((0, "f32", (1,), "blocked"), pygraph.InvalidArgumentsError, ["layout", "blocked"]),
        ((0, "f32", (2,), "any", (1,)), pygraph.InvalidArgumentsError, ["strides", "any"]),
        ((0, "f32", (2, 3), "strided", (1,)), pygraph.InvalidArgumentsError, ["stride"]),
    ],
)
def test_python_side_refusals(args, error, words):
    with pytest.raises(error) as info:
        LogicalTensor(*args)
    for word in words:
        assert word in str(info.value)


def test_native_refusals_of_dims():
    with pytest.raises(pygraph.Error) as info:
        LogicalTensor(0, "f32", (1,) * 13)
    assert "13" in str(info.value) and "12" in str(info.value)
    with pytest.raises(pygraph.Error) as info:
        LogicalTensor(0, "f32", (2, -2))
    assert "-2" in str(info.value)
    with pytest.raises(pygraph.InvalidShapeError):
        LogicalTensor(0, "f32", (2**40, 2**40))  # the byte size cannot be represented


def test_twelve_dims_is_the_maximum():
    lt = LogicalTensor(0, "f32", (1,) * 12)
    assert lt.ndims == pygraph.MAX_NDIMS == 12
