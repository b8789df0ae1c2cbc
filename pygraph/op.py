"""Op: one node of a graph (SPEC §3, "Op").

An Op owns a native op handle; its attributes and ports are set on the
native op as they are given, and mirrored here so that ``.attrs``,
``.inputs`` and ``.outputs`` read back what was set.  The schema checks
(required, unknown and mistyped attributes, port counts, type constraints)
run when the op is added to a graph, in the native library.

Attribute values follow the schema's declared type when the schema defines
the attribute, else their Python type:

====================  ===============================================
attribute type        Python value
====================  ===============================================
``f32``               a real number (not bool), rounded to nearest f32;
                      a finite value that rounds to inf is an error
``s64``               an int (not bool) in the int64 range
``bool``              a bool
``string``            a str
``f32[]`` / ``s64[]`` a sequence of the above
====================  ===============================================
"""

from __future__ import annotations

import numbers
import operator
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional, Union

from ._binding import Handle, check, ffi, lib, to_c_string, to_uint64
from .enums import OpKind
from .errors import InvalidArgumentsError
from .logical_tensor import LogicalTensor
from .schema import attribute_types

__all__ = ["Op", "AttrValue", "ATTRIBUTE_TYPES"]

AttrValue = Union[float, int, bool, str, Sequence[float], Sequence[int]]

#: The attribute types of oneDNN graph files, in the order files list them.
ATTRIBUTE_TYPES = ("f32", "s64", "bool", "string", "f32[]", "s64[]")

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_WILDCARD = "Wildcard"


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy.bool_ without importing numpy


def _to_f32(value: Any, what: str) -> float:
    """`value` rounded to the nearest f32 (ties to even), as a Python float."""
    try:
        # PyFloat_Pack4: rounds to nearest and raises OverflowError exactly
        # when a finite value rounds to infinity.
        return struct.unpack("=f", struct.pack("=f", float(value)))[0]
    except OverflowError:
        raise InvalidArgumentsError(f"{what}: {value!r} is finite but rounds to infinity in f32") from None


def _to_s64(value: Any, what: str) -> int:
    number = operator.index(value)
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise InvalidArgumentsError(f"{what}: {number} is outside the s64 range [-2**63, 2**63-1]")
    return number


def _fits(value: Any, attr_type: str) -> bool:
    """Whether `value` can be given as an attribute of `attr_type`."""
    if attr_type == "f32":
        return _is_real(value)
    if attr_type == "s64":
        return _is_int(value)
    if attr_type == "bool":
        return _is_bool(value)
    if attr_type == "string":
        return isinstance(value, str)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return False
    items = list(value)
    if attr_type == "f32[]":
        return all(_is_real(v) for v in items)
    if attr_type == "s64[]":
        return all(_is_int(v) for v in items)
    return False


def _type_by_python_value(value: Any, what: str) -> str:
    if _is_bool(value):
        return "bool"
    if _is_int(value):
        return "s64"
    if _is_real(value):
        return "f32"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = list(value)
        if all(_is_int(v) for v in items):
            return "s64[]"  # also the empty list: oneDNN's array attributes are mostly s64[]
        if all(_is_real(v) for v in items):
            return "f32[]"
    raise InvalidArgumentsError(
        f"{what}: cannot be given as an attribute; expected a real number, int, bool, str "
        f"or a sequence of real numbers or ints; got {type(value).__name__} {value!r}"
    )


def _normalized(value: Any, attr_type: str, what: str) -> AttrValue:
    """The Python value an attribute of `attr_type` holds (f32 rounded, tuples for arrays)."""
    if attr_type == "f32":
        return _to_f32(value, what)
    if attr_type == "s64":
        return _to_s64(value, what)
    if attr_type == "bool":
        return bool(value)
    if attr_type == "string":
        return value
    if attr_type == "f32[]":
        return tuple(_to_f32(v, f"{what}[{i}]") for i, v in enumerate(value))
    return tuple(_to_s64(v, f"{what}[{i}]") for i, v in enumerate(value))


class Op(Handle):
    """An op of kind `kind` (``OpKind`` or its name: "LeakyReLU", "Wildcard", "End").

    ``Op(id, kind, inputs=None, outputs=None, name=None, attrs=None)``; inputs
    and outputs are LogicalTensors, attrs a mapping of attribute values.  An
    unknown kind is :class:`~pygraph.InvalidArgumentsError` listing the known
    kinds.  Without a name the op is named ``"<kind>_<id>"``.

    A Wildcard op stands for an op pygraph does not run.  It may carry
    ``original_kind`` (the kind name it stands for, e.g. "Convolution") and
    any attributes; those stay on the Python side (the native Wildcard
    schema defines none), so a graph file's foreign ops round-trip.

    The ops in ``Graph.ops`` are read-only snapshots of what was added.
    """

    __slots__ = ("_id", "_kind", "_name", "_attrs", "_attr_types", "_inputs", "_outputs", "_original_kind", "_frozen")
    _what = "op"

    def __init__(
        self,
        id: int,
        kind: Union[OpKind, str],
        inputs: Optional[Iterable[LogicalTensor]] = None,
        outputs: Optional[Iterable[LogicalTensor]] = None,
        name: Optional[str] = None,
        attrs: Optional[Mapping[str, AttrValue]] = None,
        *,
        original_kind: Optional[str] = None,
    ) -> None:
        op_id = to_uint64(id, "op id")
        kind_name = kind.value if isinstance(kind, OpKind) else kind
        c_kind = to_c_string(kind_name, f"op {op_id}: kind")
        c_name = ffi.NULL if name is None else to_c_string(name, f"op {op_id} ({kind_name}): name")
        out = ffi.new("pygraph_op **")
        check(lib.pygraph_op_create(out, op_id, c_kind, c_name))
        super().__init__(out[0], lib.pygraph_op_destroy)
        self._frozen = False
        self._id = op_id
        self._kind = OpKind(kind_name)
        name_out = ffi.new("const char **")
        check(lib.pygraph_op_get_name(self._ptr, name_out))
        self._name = ffi.string(name_out[0]).decode("utf-8")
        self._attrs: dict[str, AttrValue] = {}
        self._attr_types: dict[str, str] = {}
        self._inputs: list[LogicalTensor] = []
        self._outputs: list[LogicalTensor] = []
        if original_kind is not None:
            if self._kind.value != _WILDCARD:
                raise InvalidArgumentsError(f"{self._label()}: original_kind is only for Wildcard ops")
            to_c_string(original_kind, f"{self._label()}: original_kind")
        self._original_kind = original_kind
        for lt in inputs or ():
            self.add_input(lt)
        for lt in outputs or ():
            self.add_output(lt)
        if attrs is not None:
            if not isinstance(attrs, Mapping):
                raise InvalidArgumentsError(f"{self._label()}: attrs must be a mapping of name to value; got {attrs!r}")
            for attr_name, value in attrs.items():
                self.set_attr(attr_name, value)

    def _label(self) -> str:
        return f'op {self._id} ({self._kind.value} "{self._name}")' if hasattr(self, "_name") else f"op {self._id}"

    def _mutable_handle(self) -> Any:
        if self._frozen:
            raise InvalidArgumentsError(
                f"{self._label()} is a read-only snapshot of an op added to a graph; create a new Op to change it"
            )
        return self._handle

    # -- building ------------------------------------------------------------

    def set_attr(self, name: str, value: AttrValue, attr_type: Optional[str] = None) -> "Op":
        """Set attribute `name` (replacing any earlier value) and return self.

        The value is converted to the type the schema declares for `name`
        (see the module documentation); `attr_type` ("f32", "s64", "bool",
        "string", "f32[]", "s64[]") forces a type, e.g. for an empty array
        of a foreign Wildcard op.  Whether the schema accepts the attribute
        is checked when the op is added to a graph.
        """
        handle = self._mutable_handle()
        c_name = to_c_string(name, f"{self._label()}: attribute name")
        what = f"{self._label()}: attribute {name}"
        declared = attribute_types(self._kind.value).get(name)
        if attr_type is not None:
            if attr_type not in ATTRIBUTE_TYPES:
                raise InvalidArgumentsError(f"{what}: attr_type must be one of {', '.join(ATTRIBUTE_TYPES)}; got {attr_type!r}")
            if not _fits(value, attr_type):
                raise InvalidArgumentsError(f"{what}: expected a value of type {attr_type}; got {value!r}")
            chosen = attr_type
        elif declared is not None and _fits(value, declared):
            chosen = declared
        else:
            # Not the declared type (or not declared): pass it on by its
            # Python type so that the schema check in add_op reports the
            # mismatch with the op, the attribute, expected and got.
            chosen = _type_by_python_value(value, what)
        normalized = _normalized(value, chosen, what)
        if self._kind.value != _WILDCARD or declared is not None:
            self._set_native_attr(handle, c_name, chosen, normalized)
        self._attrs[name] = normalized
        self._attr_types[name] = chosen
        return self

    @staticmethod
    def _set_native_attr(handle: Any, c_name: bytes, attr_type: str, value: Any) -> None:
        if attr_type == "f32":
            check(lib.pygraph_op_set_attr_f32(handle, c_name, value))
        elif attr_type == "s64":
            check(lib.pygraph_op_set_attr_s64(handle, c_name, value))
        elif attr_type == "bool":
            check(lib.pygraph_op_set_attr_bool(handle, c_name, 1 if value else 0))
        elif attr_type == "string":
            check(lib.pygraph_op_set_attr_string(handle, c_name, to_c_string(value, "attribute value")))
        elif attr_type == "f32[]":
            check(lib.pygraph_op_set_attr_f32s(handle, c_name, ffi.new("float[]", list(value)), len(value)))
        else:
            check(lib.pygraph_op_set_attr_s64s(handle, c_name, ffi.new("int64_t[]", list(value)), len(value)))

    def add_input(self, lt: LogicalTensor) -> "Op":
        """Append `lt` as the next input port; returns self."""
        handle = self._mutable_handle()
        if not isinstance(lt, LogicalTensor):
            raise InvalidArgumentsError(
                f"{self._label()}: input {len(self._inputs)} must be a LogicalTensor; got {type(lt).__name__}"
            )
        check(lib.pygraph_op_add_input(handle, lt._struct))
        self._inputs.append(lt)
        return self

    def add_output(self, lt: LogicalTensor) -> "Op":
        """Append `lt` as the next output port; returns self."""
        handle = self._mutable_handle()
        if not isinstance(lt, LogicalTensor):
            raise InvalidArgumentsError(
                f"{self._label()}: output {len(self._outputs)} must be a LogicalTensor; got {type(lt).__name__}"
            )
        check(lib.pygraph_op_add_output(handle, lt._struct))
        self._outputs.append(lt)
        return self

    def add_inputs(self, lts: Iterable[LogicalTensor]) -> "Op":
        """Append each of `lts` as an input port; returns self."""
        for lt in lts:
            self.add_input(lt)
        return self

    def add_outputs(self, lts: Iterable[LogicalTensor]) -> "Op":
        """Append each of `lts` as an output port; returns self."""
        for lt in lts:
            self.add_output(lt)
        return self

    # -- reading -------------------------------------------------------------

    @property
    def id(self) -> int:
        """The op's id (unique within a graph)."""
        return self._id

    @property
    def kind(self) -> OpKind:
        """The op's kind."""
        return self._kind

    @property
    def name(self) -> str:
        """The op's name (``"<kind>_<id>"`` when none was given)."""
        return self._name

    @property
    def original_kind(self) -> Optional[str]:
        """For a Wildcard op: the kind name it stands for (None if not given)."""
        return self._original_kind

    @property
    def attrs(self) -> dict[str, AttrValue]:
        """The attributes set, as converted (f32 values rounded; arrays as tuples)."""
        return dict(self._attrs)

    @property
    def attr_types(self) -> dict[str, str]:
        """{attribute name: type} ("f32", "s64", "bool", "string", "f32[]", "s64[]")."""
        return dict(self._attr_types)

    @property
    def inputs(self) -> list[LogicalTensor]:
        """The input ports, in order."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[LogicalTensor]:
        """The output ports, in order."""
        return list(self._outputs)

    def _snapshot(self) -> "Op":
        """A read-only copy without a native handle (what Graph.ops holds)."""
        copy = Op.__new__(Op)
        copy._ptr = None
        copy._frozen = True
        copy._id, copy._kind, copy._name = self._id, self._kind, self._name
        copy._attrs, copy._attr_types = dict(self._attrs), dict(self._attr_types)
        copy._inputs, copy._outputs = list(self._inputs), list(self._outputs)
        copy._original_kind = self._original_kind
        return copy

    @property
    def closed(self) -> bool:
        """Whether the native op was released (snapshots in a graph have none)."""
        return self._ptr is None

    def __repr__(self) -> str:
        parts = [f"id={self._id}", f"kind='{self._kind.value}'", f"name={self._name!r}"]
        if self._original_kind is not None:
            parts.append(f"original_kind={self._original_kind!r}")
        parts.append(f"inputs={[lt.id for lt in self._inputs]}")
        parts.append(f"outputs={[lt.id for lt in self._outputs]}")
        if self._attrs:
            parts.append(f"attrs={self._attrs!r}")
        return f"Op({', '.join(parts)})"
