"""The enums: read from the native library, named as in oneDNN, and taken by
name wherever the API takes one."""

from __future__ import annotations

import pytest

import pygraph
from pygraph._native import ffi


@pytest.mark.parametrize(
    "enum, c_type",
    [
        (pygraph.DataType, "pygraph_data_type"),
        (pygraph.LayoutType, "pygraph_layout_type"),
        (pygraph.PropertyType, "pygraph_property_type"),
        (pygraph.EngineKind, "pygraph_engine_kind"),
        (pygraph.PartitionPolicy, "pygraph_partition_policy"),
    ],
)
def test_members_are_the_c_enum(enum, c_type):
    expected = {name[len(c_type) + 1 :]: value for name, value in ffi.typeof(c_type).relements.items()}
    assert {m.name: m.value for m in enum} == expected


def test_onednn_names_and_values():
    D = pygraph.DataType
    assert (D.undef, D.f16, D.bf16, D.f32, D.s32, D.s8, D.u8) == (0, 1, 2, 3, 4, 5, 6)
    assert (D.boolean, D.f8_e5m2, D.f8_e4m3, D.s4, D.u4) == (8, 9, 10, 11, 12)
    assert [m.name for m in pygraph.LayoutType] == ["undef", "any", "strided", "opaque"]
    assert [m.name for m in pygraph.PropertyType] == ["undef", "variable", "constant"]
    assert [m.name for m in pygraph.EngineKind] == ["any", "cpu", "gpu"]


def test_op_kind_is_the_schema_list():
    assert [k.value for k in pygraph.OpKind] == pygraph.list_schemas()
    assert {"LeakyReLU", "Wildcard", "End"} <= set(pygraph.list_schemas())
    assert pygraph.OpKind.LeakyReLU == "LeakyReLU"
    assert pygraph.OpKind("Wildcard") is pygraph.OpKind.Wildcard


def test_str_and_format_give_the_name():
    assert str(pygraph.DataType.bf16) == "bf16"
    assert f"{pygraph.LayoutType.any}" == "any"
    assert str(pygraph.OpKind.End) == "End"
    assert repr(pygraph.DataType.f32) == "<DataType.f32: 3>"


@pytest.mark.parametrize("value", ["f32", pygraph.DataType.f32, 3])
def test_coerce_takes_member_name_or_value(value):
    assert pygraph.DataType.coerce(value) is pygraph.DataType.f32


@pytest.mark.parametrize("value", ["f64", "F32", True, 7, 3.0, None])
def test_coerce_refuses_anything_else_listing_the_names(value):
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        pygraph.DataType.coerce(value, "data type of x")
    message = str(info.value)
    assert message.startswith("data type of x")
    assert "f32, s32" in message or ("f32" in message and "bf16" in message)
    assert repr(value) in message


def test_every_api_taking_an_enum_takes_its_name():
    lt = pygraph.LogicalTensor(1, "bf16", (2,), "any", None, "constant")
    assert lt.dtype is pygraph.DataType.bf16
    assert lt.layout_type is pygraph.LayoutType.any
    assert lt.property_type is pygraph.PropertyType.constant
    assert pygraph.Engine("cpu").kind is pygraph.EngineKind.cpu
    assert pygraph.Graph("cpu").engine_kind is pygraph.EngineKind.cpu
    assert pygraph.Op(0, pygraph.OpKind.End).kind is pygraph.OpKind.End
    assert pygraph.kernel_name("f16") == pygraph.kernel_name(pygraph.DataType.f16)


def test_enums_pickle():
    import pickle

    for member in (pygraph.DataType.bf16, pygraph.LayoutType.strided, pygraph.OpKind.LeakyReLU):
        assert pickle.loads(pickle.dumps(member)) is member
