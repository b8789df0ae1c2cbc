"""The error hierarchy of SPEC §3 and the mapping from native statuses."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import pygraph
from pygraph import errors
from pygraph._native import lib

from builders import chain_graph

CLASSES = {
    pygraph.InvalidArgumentsError: (ValueError, "pygraph_invalid_arguments", 2),
    pygraph.InvalidDataTypeError: (TypeError, "pygraph_invalid_data_type", 10),
    pygraph.InvalidShapeError: (ValueError, "pygraph_invalid_shape", 9),
    pygraph.InvalidGraphOpError: (ValueError, "pygraph_invalid_graph_op", 8),
    pygraph.InvalidGraphError: (ValueError, "pygraph_invalid_graph", 7),
    pygraph.UnimplementedError: (NotImplementedError, "pygraph_unimplemented", 3),
    pygraph.OutOfMemoryError: (MemoryError, "pygraph_out_of_memory", 1),
}


@pytest.mark.parametrize("cls", list(CLASSES))
def test_each_class_inherits_error_and_its_natural_builtin(cls):
    builtin, c_name, value = CLASSES[cls]
    assert issubclass(cls, pygraph.Error)
    assert issubclass(cls, builtin)
    assert cls.status == getattr(lib, c_name) == value
    assert cls.__name__ not in dir(__builtins__)  # never shadows a builtin name


def test_error_is_an_exception_with_status_and_message():
    assert issubclass(pygraph.Error, Exception)
    err = pygraph.InvalidShapeError("dims differ")
    assert err.status == 9 and err.message == "dims differ" == str(err)
    assert err.status_name == "invalid_shape"
    assert "InvalidShapeError" in repr(err) and "invalid_shape" in repr(err)


@pytest.mark.parametrize("status", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99])
def test_status_mapping_falls_back_to_error(status):
    err = errors.error_for_status(status, "text")
    mapped = {cls.status: cls for cls in CLASSES}
    assert type(err) is mapped.get(status, pygraph.Error)
    assert err.status == status and err.message == "text"


def test_errors_pickle_with_their_status():
    err = errors.error_for_status(lib.pygraph_runtime_error, "thread did not start")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is pygraph.Error and again.status == 5 and again.message == "thread did not start"


def test_native_invalid_arguments_carries_the_native_message():
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        pygraph.Op(1, "NoSuchKind")
    assert info.value.status == lib.pygraph_invalid_arguments
    message = info.value.message
    for kind in pygraph.list_schemas():  # the message lists the known kinds
        assert kind in message
    assert "NoSuchKind" in message


def test_native_invalid_graph_op_names_op_and_attribute():
    graph = pygraph.Graph()
    src = pygraph.LogicalTensor(0, "f32", (2,))
    dst = pygraph.LogicalTensor(1, "f32", (2,))
    with pytest.raises(pygraph.InvalidGraphOpError) as info:
        graph.add_op(pygraph.Op(7, "LeakyReLU", [src], [dst], name="relu_seven"))
    message = str(info.value)
    assert "7" in message and "LeakyReLU" in message and "relu_seven" in message and "alpha" in message


def test_native_invalid_data_type_names_the_port():
    graph = pygraph.Graph()
    src = pygraph.LogicalTensor(0, "s32", (2,))
    dst = pygraph.LogicalTensor(1, "s32", (2,))
    with pytest.raises(pygraph.InvalidDataTypeError) as info:
        graph.add_op(pygraph.Op(3, "LeakyReLU", [src], [dst], name="r", attrs={"alpha": 0.5}))
    message = str(info.value)
    assert "src" in message and "s32" in message and "f32" in message


def test_native_invalid_graph_says_to_call_finalize():
    graph = pygraph.Graph()
    graph.add_op(
        pygraph.Op(0, "LeakyReLU", [pygraph.LogicalTensor(0, "f32", (2,))], [pygraph.LogicalTensor(1, "f32", (2,))],
                   attrs={"alpha": 0.5})
    )
    with pytest.raises(pygraph.InvalidGraphError) as info:
        graph.get_partitions()
    assert "finalize()" in str(info.value)


def test_native_invalid_shape_names_both_shapes():
    graph, (src, dst) = chain_graph("f32", (2, 3), [0.5])
    (partition,) = graph.get_partitions()
    with pytest.raises(pygraph.InvalidShapeError) as info:
        partition.compile([src], [pygraph.LogicalTensor(1, "f32", (3, 2))])
    message = str(info.value)
    assert "2" in message and "3" in message and ("dst" in message or "output" in message)


def test_native_unimplemented_for_a_gpu_engine():
    with pytest.raises(pygraph.UnimplementedError) as info:
        pygraph.Engine("gpu")
    message = str(info.value)
    assert "engine kind" in message and "cpu" in message


def test_python_side_errors_use_the_same_classes():
    with pytest.raises(pygraph.InvalidArgumentsError):
        pygraph.LogicalTensor(-1, "f32", (1,))
    with pytest.raises(pygraph.InvalidDataTypeError):
        pygraph.leaky_relu(np.zeros(3, np.float64), 0.5)
    with pytest.raises(ValueError):  # the builtin still catches it
        pygraph.LogicalTensor(0, "f64", (1,))


def test_last_error_message_is_empty_after_success():
    pygraph.Engine()
    assert pygraph._ffi.string(lib.pygraph_last_error_message()) == b""
