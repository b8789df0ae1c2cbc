"""The enumerations of pygraph, read from the native library.

Every member and value comes from the C header through cffi
(``ffi.typeof("pygraph_data_type").relements`` ...), and :class:`OpKind` from
the schema registry (``pygraph_schema_list``), so a new data type in the
header or a new schema file adds a member here without an edit.  Members are
named as in oneDNN (``DataType.f32``, ``LayoutType.strided``,
``LayoutType.any``, ``OpKind.LeakyReLU``).

Wherever the API takes one of these enums it also takes the member's name
as a string (``"f32"``, ``"any"``, ``"LeakyReLU"``); :meth:`coerce` is that
conversion, with a message listing the valid names when it fails.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from ._native import ffi, lib
from .errors import InvalidArgumentsError

__all__ = ["DataType", "LayoutType", "PropertyType", "EngineKind", "PartitionPolicy", "OpKind"]

_E = TypeVar("_E", bound="enum.Enum")


class _NamedByString:
    """Mixin: conversion from a member, its name, or (for int enums) its value."""

    @classmethod
    def coerce(cls: type[_E], value: Any, what: str | None = None) -> _E:  # type: ignore[misc]
        """The member for `value`: a member, its name, or its integer value.

        `what` names the argument in the error message ("data type of
        logical tensor 3", ...).  Anything else raises
        :class:`~pygraph.InvalidArgumentsError` listing the valid names.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value)
            if member is not None:
                return member
        elif isinstance(value, int) and not isinstance(value, bool) and issubclass(cls, int):
            try:
                return cls(value)
            except ValueError:
                pass
        label = what or cls._label  # type: ignore[attr-defined]
        names = ", ".join(cls.__members__)
        raise InvalidArgumentsError(f"{label}: expected one of {names}; got {value!r}")

    def __str__(self) -> str:  # "f32", not "DataType.f32" or "3": the name users write
        return self.name  # type: ignore[attr-defined]

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)  # type: ignore[attr-defined]


class _LibraryIntEnum(_NamedByString, enum.IntEnum):
    """An int enum whose members are read from a C enum of the header."""


def _members_of_c_enum(c_type: str) -> list[tuple[str, int]]:
    prefix = c_type + "_"
    members = sorted(ffi.typeof(c_type).relements.items(), key=lambda item: item[1])
    return [(name[len(prefix):], value) for name, value in members]


def _int_enum(name: str, c_type: str, label: str, doc: str) -> Any:
    cls = _LibraryIntEnum(name, _members_of_c_enum(c_type), module=__name__, qualname=name)
    cls._label = label
    cls.__doc__ = doc
    return cls


DataType = _int_enum(
    "DataType",
    "pygraph_data_type",
    "data type",
    "Element data types (oneDNN's names and values): undef, f16, bf16, f32, s32, s8, u8, "
    "boolean, f8_e5m2, f8_e4m3, s4, u4.  LeakyReLU computes on f32, bf16 and f16.",
)
LayoutType = _int_enum(
    "LayoutType",
    "pygraph_layout_type",
    "layout type",
    "Layout of a logical tensor: undef, any (the library chooses at compile time), "
    "strided (dims + strides), opaque.",
)
PropertyType = _int_enum(
    "PropertyType",
    "pygraph_property_type",
    "property type",
    "Property of a logical tensor: undef, variable, constant.",
)
EngineKind = _int_enum(
    "EngineKind",
    "pygraph_engine_kind",
    "engine kind",
    "Engine kinds (oneDNN's names): any, cpu, gpu.  pygraph runs on the cpu.",
)
PartitionPolicy = _int_enum(
    "PartitionPolicy",
    "pygraph_partition_policy",
    "partition policy",
    "Partitioning policies: fusion (maximal LeakyReLU chains become one partition) and "
    "debug (one op per partition).",
)


class _LibraryStrEnum(_NamedByString, str, enum.Enum):
    """A string enum whose members are read from the native library."""


def _schema_kinds() -> list[str]:
    count = ffi.new("size_t *")
    kinds = ffi.new("const char *const **")
    status = lib.pygraph_schema_list(count, kinds)
    if status != lib.pygraph_success:  # cannot happen with valid pointers; never hide it
        from ._binding import check

        check(status)
    return [ffi.string(kinds[0][i]).decode("utf-8") for i in range(count[0])]


OpKind = _LibraryStrEnum("OpKind", [(kind, kind) for kind in _schema_kinds()], module=__name__, qualname="OpKind")
OpKind._label = "op kind"
OpKind.__doc__ = (
    "The op kinds the library has a schema for (one member per schemas/<Kind>.json), "
    "e.g. OpKind.LeakyReLU, OpKind.Wildcard, OpKind.End.  The value is the kind's name."
)
