"""Op: kinds, names, attributes (conversion by schema type), ports, handles."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

import pygraph
from pygraph import LogicalTensor, Op


def lt(i, dtype="f32", shape=(2,)):
    return LogicalTensor(i, dtype, shape)


def f32(value):
    return struct.unpack("f", struct.pack("f", value))[0]


def test_construction_and_reading_back():
    src, dst = lt(0), lt(1)
    op = Op(4, "LeakyReLU", [src], [dst], name="act", attrs={"alpha": 0.25})
    assert (op.id, op.kind, op.name) == (4, pygraph.OpKind.LeakyReLU, "act")
    assert op.inputs == [src] and op.outputs == [dst]
    assert op.attrs == {"alpha": 0.25} and op.attr_types == {"alpha": "f32"}
    assert op.original_kind is None


def test_default_name_is_kind_and_id():
    assert Op(12, "LeakyReLU").name == "LeakyReLU_12"
    assert Op(3, pygraph.OpKind.End).name == "End_3"


def test_builder_methods_return_self():
    op = Op(0, "LeakyReLU")
    assert op.set_attr("alpha", 0.5) is op
    assert op.add_input(lt(0)) is op
    assert op.add_output(lt(1)) is op
    assert op.add_inputs([]) is op and op.add_outputs([]) is op


def test_f32_attribute_rounds_to_nearest():
    op = Op(0, "LeakyReLU").set_attr("alpha", 0.1)
    assert op.attrs["alpha"] == f32(0.1) != 0.1
    assert Op(0, "LeakyReLU").set_attr("alpha", 3).attrs["alpha"] == 3.0  # an int is a real number
    assert Op(0, "LeakyReLU").set_attr("alpha", np.float16(0.5)).attrs["alpha"] == 0.5
    # just below the midpoint between FLT_MAX and 2**128 rounds to FLT_MAX;
    # the midpoint itself ties to even, which is 2**128: infinity
    midpoint = 2.0**128 - 2.0**103
    flt_max = float(np.finfo(np.float32).max)
    assert Op(0, "LeakyReLU").set_attr("alpha", math.nextafter(midpoint, 0)).attrs["alpha"] == flt_max
    assert Op(0, "LeakyReLU").set_attr("alpha", -math.nextafter(midpoint, 0)).attrs["alpha"] == -flt_max
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(0, "LeakyReLU").set_attr("alpha", midpoint)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 0.0, -0.0, -2.5, 1e-45])
def test_every_f32_value_is_legal_for_alpha(value):
    op = Op(0, "LeakyReLU").set_attr("alpha", value)
    got = op.attrs["alpha"]
    assert (math.isnan(got) and math.isnan(value)) or (got == f32(value) and math.copysign(1, got) == math.copysign(1, value))


@pytest.mark.parametrize("value", [1e39, -3.5e38, 10**400])
def test_finite_value_that_rounds_to_infinity_is_refused(value):
    op = Op(5, "LeakyReLU", name="big")
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        op.set_attr("alpha", value)
    message = str(info.value)
    assert "op 5" in message and "LeakyReLU" in message and "big" in message and "alpha" in message
    assert "infinity" in message
    assert "alpha" not in op.attrs  # a failed call changes nothing


def test_wrong_attribute_type_is_refused_by_add_op():
    graph = pygraph.Graph()
    for bad in (True, "0.5", [0.5]):
        op = Op(1, "LeakyReLU", [lt(0)], [lt(1)], name="r1", attrs={"alpha": bad})
        with pytest.raises(pygraph.InvalidGraphOpError) as info:
            graph.add_op(op)
        message = str(info.value)
        assert "alpha" in message and "f32" in message and "r1" in message


def test_types_by_python_value_for_undeclared_attributes():
    op = Op(0, "LeakyReLU")
    op.set_attr("i", 3).set_attr("b", False).set_attr("s", "x").set_attr("fs", [1.5, 2]).set_attr("is", (1, 2))
    assert op.attr_types == {"i": "s64", "b": "bool", "s": "string", "fs": "f32[]", "is": "s64[]"}
    assert op.attrs["fs"] == (1.5, 2.0) and op.attrs["is"] == (1, 2)
    with pytest.raises(pygraph.InvalidArgumentsError):
        op.set_attr("d", {"a": 1})
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        op.set_attr("big", 2**63)
    assert "s64" in str(info.value)


def test_attr_type_forces_a_type():
    op = Op(0, "Wildcard").set_attr("pads", [], "s64[]").set_attr("scales", [], "f32[]")
    assert op.attr_types == {"pads": "s64[]", "scales": "f32[]"}
    with pytest.raises(pygraph.InvalidArgumentsError):
        op.set_attr("x", "text", "f32")
    with pytest.raises(pygraph.InvalidArgumentsError):
        op.set_attr("x", 1, "f64")


def test_undefined_attribute_is_refused_by_add_op():
    op = Op(2, "LeakyReLU", [lt(0)], [lt(1)], attrs={"alpha": 0.5, "beta": 1.0})
    with pytest.raises(pygraph.InvalidGraphOpError) as info:
        pygraph.Graph().add_op(op)
    assert "beta" in str(info.value)


def test_unknown_kind_lists_known_kinds():
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        Op(0, "Convolution")
    for kind in ("LeakyReLU", "Wildcard", "End"):
        assert kind in str(info.value)
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(0, 42)


def test_wildcard_keeps_foreign_kind_and_attributes_on_the_python_side():
    op = Op(9, "Wildcard", [lt(0)], [lt(1)], attrs={"strides": [1, 1], "data_format": "NCX"},
            original_kind="Convolution")
    assert op.original_kind == "Convolution"
    assert op.attrs == {"strides": (1, 1), "data_format": "NCX"}
    graph = pygraph.Graph()
    graph.add_op(op)  # the native Wildcard gets no attributes, so the schema check passes
    assert graph.ops[0].original_kind == "Convolution"
    assert graph.ops[0].attrs == op.attrs


def test_original_kind_only_for_wildcard():
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(0, "LeakyReLU", original_kind="Convolution")


def test_ports_must_be_logical_tensors():
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        Op(1, "LeakyReLU", inputs=[np.zeros(2, np.float32)])
    assert "input 0" in str(info.value)
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(1, "LeakyReLU").add_output("dst")


def test_bad_ids_and_names():
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(-1, "LeakyReLU")
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(1.5, "LeakyReLU")
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(1, "LeakyReLU", name="a\0b")
    with pytest.raises(pygraph.InvalidArgumentsError):
        Op(1, "LeakyReLU", attrs=[("alpha", 0.5)])


def test_close_is_idempotent_and_use_after_close_is_refused():
    op = Op(0, "LeakyReLU")
    op.close()
    op.close()
    assert op.closed
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        op.set_attr("alpha", 1.0)
    assert "closed" in str(info.value)
    with pytest.raises(pygraph.InvalidArgumentsError):
        pygraph.Graph().add_op(op)


def test_context_manager_closes():
    with Op(0, "LeakyReLU") as op:
        assert not op.closed
    assert op.closed


def test_repr_is_useful():
    op = Op(3, "LeakyReLU", [lt(0)], [lt(1)], name="r", attrs={"alpha": 0.5})
    text = repr(op)
    assert text == "Op(id=3, kind='LeakyReLU', name='r', inputs=[0], outputs=[1], attrs={'alpha': 0.5})"


def test_the_op_stays_usable_after_add_and_the_graph_keeps_a_snapshot():
    graph = pygraph.Graph()
    op = Op(0, "LeakyReLU", [lt(0)], [lt(1)], attrs={"alpha": 0.5})
    graph.add_op(op)
    op.set_attr("alpha", 2.0)
    assert graph.ops[0].attrs == {"alpha": 0.5}
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        graph.ops[0].set_attr("alpha", 3.0)
    assert "read-only" in str(info.value)
