"""Op schemas, read from the native library (SPEC §4).

The library embeds the JSON text of every ``schemas/<Kind>.json`` (the one
source its C tables are generated from); these functions parse that text, so
Python sees exactly the schema C validates against.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Union

from ._binding import check, ffi, lib, to_c_string
from .enums import OpKind

__all__ = ["schema", "list_schemas"]


def list_schemas() -> list[str]:
    """The op kinds the library knows, in the library's stable order."""
    return [kind.value for kind in OpKind]


@functools.lru_cache(maxsize=None)
def _schema_text(kind: str) -> str:
    text = ffi.new("const char **")
    check(lib.pygraph_schema_get_json(to_c_string(kind, "schema: kind"), text))
    return ffi.string(text[0]).decode("utf-8")


def schema(kind: Union[OpKind, str]) -> dict[str, Any]:
    """The schema of op kind `kind` as a dict (a fresh copy on every call).

    An unknown kind is :class:`~pygraph.InvalidArgumentsError` whose message
    (from the library) lists the known kinds.
    """
    name = kind.value if isinstance(kind, OpKind) else kind
    return json.loads(_schema_text(name))


@functools.lru_cache(maxsize=None)
def attribute_types(kind: str) -> dict[str, str]:
    """{attribute name: type} that the schema of `kind` declares ("f32", "s64", ...)."""
    attributes = json.loads(_schema_text(kind)).get("attributes") or {}
    if isinstance(attributes, list):  # tolerate a list of {"name": ..., "type": ...}
        return {a["name"]: a["type"] for a in attributes}
    return {name: spec["type"] for name, spec in attributes.items()}


@functools.lru_cache(maxsize=None)
def port_names(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(input names, output names) in index order, as the schema of `kind` declares them."""
    parsed = json.loads(_schema_text(kind))

    def names(ports: list) -> tuple[str, ...]:
        return tuple(p["name"] for p in sorted(ports or [], key=lambda p: p.get("index", 0)))

    return names(parsed.get("inputs")), names(parsed.get("outputs"))


def port_name(kind: str, direction: str, index: int) -> str:
    """The schema name of port `index` ("src", "dst"); variadic ports repeat the last name."""
    inputs, outputs = port_names(kind)
    names = inputs if direction == "input" else outputs
    if not names:
        return "?"
    return names[min(index, len(names) - 1)]
