"""schema(kind) and list_schemas(): the op schemas as the library embeds them."""

from __future__ import annotations

import json
import pathlib

import pytest

import pygraph

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent.parent / "schemas"


def test_list_schemas_names_every_kind():
    kinds = pygraph.list_schemas()
    assert len(kinds) == len(set(kinds))
    assert {"LeakyReLU", "Wildcard", "End"} <= set(kinds)


@pytest.mark.parametrize("kind", ["LeakyReLU", "Wildcard", "End"])
def test_schema_is_the_json_file(kind):
    data = pygraph.schema(kind)
    assert data["kind"] == kind
    source = SCHEMA_DIR / f"{kind}.json"
    if source.is_file():  # running from a source checkout
        assert data == json.loads(source.read_text())


def test_leaky_relu_schema_facts():
    data = pygraph.schema(pygraph.OpKind.LeakyReLU)
    assert data["attributes"]["alpha"]["type"] == "f32"
    assert data["attributes"]["alpha"]["required"] is True
    assert data["type_constraints"]["T"] == ["f32", "bf16", "f16"]
    assert [p["name"] for p in data["inputs"]] == ["src"]
    assert [p["name"] for p in data["outputs"]] == ["dst"]


def test_schema_returns_a_fresh_copy():
    first = pygraph.schema("LeakyReLU")
    first["attributes"].clear()
    assert "alpha" in pygraph.schema("LeakyReLU")["attributes"]


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        pygraph.schema("Convolution")
    for kind in pygraph.list_schemas():
        assert kind in str(info.value)
