"""schemas/graph.schema.json: the JSON Schema of graph files (SPEC §4, §5).

The schema is checked with ``jsonschema`` (a test dependency; the runtime
checks the same structure in plain Python): it is a valid draft 2020-12
schema, it accepts the example files and everything pygraph writes, it
rejects broken files at the JSON paths where pygraph.validate reports them,
and its name lists agree with the library's enums.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

import pygraph  # noqa: E402
from pygraph import io  # noqa: E402
from pygraph.op import ATTRIBUTE_TYPES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "graph.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
EXAMPLES = ROOT / "examples" / "graphs"
GOOD_EXAMPLES = sorted(p for p in EXAMPLES.glob("*.json") if not p.name.startswith("bad"))
CHAIN = json.loads((EXAMPLES / "leaky_relu_chain.json").read_text())
UNKNOWN = -(2**63)


def schema_paths(document):
    """JSON paths (pygraph's spelling) where the schema finds errors."""
    return sorted({error.json_path.removeprefix("$").removeprefix(".") for error in VALIDATOR.iter_errors(document)})


def io_paths(document):
    return sorted({p.path for p in io.validates(json.dumps(document))})


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", GOOD_EXAMPLES, ids=lambda p: p.name)
def test_examples_follow_the_schema(path):
    assert schema_paths(json.loads(path.read_text())) == []
    assert io.validate(path) == []


def test_what_pygraph_writes_follows_the_schema():
    op = pygraph.Op(
        0,
        "Wildcard",
        [
            pygraph.LogicalTensor(0, "f32", None),
            pygraph.LogicalTensor(1, "bf16", (2, -1)),
            pygraph.LogicalTensor(2, "f16", (3, 4), layout_type="any"),
            pygraph.LogicalTensor(3, "s8", (), property_type="constant"),
            pygraph.LogicalTensor(4, "f32", (5, 6), strides=(-2, None)),
        ],
        [pygraph.LogicalTensor(5, "u8", (1,))],
        original_kind="Custom",
    )
    op.set_attr("f", float("nan"), "f32").set_attr("g", [float("inf"), -0.0, 1e-45], "f32[]")
    op.set_attr("b", True, "bool").set_attr("s", "x", "string").set_attr("e", [], "s64[]").set_attr("i", -5, "s64")
    relu = pygraph.Op(
        1,
        "LeakyReLU",
        [pygraph.LogicalTensor(7, "f32", (1,))],
        [pygraph.LogicalTensor(8, "f32", (1,))],
        attrs={"alpha": float("-inf")},
    )
    graph = pygraph.Graph()
    graph.add_op(op)
    graph.add_op(relu)
    graph.add_op(pygraph.Op(2, "End", [pygraph.LogicalTensor(5, "u8", (1,))], []))
    graph.mark_output(7)
    assert schema_paths(json.loads(graph.to_json())) == []


def broken(change):
    doc = copy.deepcopy(CHAIN)
    change(doc)
    return doc


# (a structural mistake, the path where both the schema and pygraph.validate find it)
STRUCTURAL = [
    (lambda d: d["graph"][1]["attrs"]["alpha"].update(value="fast"), "graph[1].attrs.alpha.value"),
    (lambda d: d["graph"][1]["attrs"]["alpha"].update(value=1e39), "graph[1].attrs.alpha.value"),
    (lambda d: d["graph"][1]["attrs"].update(alpha={"type": "float", "value": 1}), "graph[1].attrs.alpha.type"),
    (lambda d: d["graph"][1]["attrs"].update(alpha={"type": "s64", "value": 1.5}), "graph[1].attrs.alpha.value"),
    (lambda d: d["graph"][1]["attrs"].update(alpha={"type": "bool", "value": 2}), "graph[1].attrs.alpha.value"),
    (
        lambda d: d["graph"][1]["attrs"].update(alpha={"type": "f32[]", "value": [1, "x"]}),
        "graph[1].attrs.alpha.value[1]",
    ),
    (
        lambda d: d["graph"][1]["attrs"].update(alpha={"type": "s64[]", "value": [2**63]}),
        "graph[1].attrs.alpha.value[0]",
    ),
    (lambda d: d["graph"][1]["attrs"].update(alpha={"type": "string", "value": 3}), "graph[1].attrs.alpha.value"),
    (lambda d: d["graph"][1]["attrs"]["alpha"].update(doc="x"), "graph[1].attrs.alpha"),
    (lambda d: d["graph"][1]["attrs"].update(alpha=0.5), "graph[1].attrs.alpha"),
    (lambda d: d["graph"][0]["inputs"][0].update(dtype="float32"), "graph[0].inputs[0].dtype"),
    (lambda d: d["graph"][0]["inputs"][0].update(layout_type="blocked"), "graph[0].inputs[0].layout_type"),
    (lambda d: d["graph"][0]["inputs"][0].update(property_type="const"), "graph[0].inputs[0].property_type"),
    (lambda d: d["graph"][0]["inputs"][0].update(shape=[-5, 1024]), "graph[0].inputs[0].shape[0]"),
    (lambda d: d["graph"][0]["inputs"][0].update(shape=[1] * 13, stride=[1] * 12), "graph[0].inputs[0].shape"),
    (lambda d: d["graph"][0]["inputs"][0].update(shape="8x1024"), "graph[0].inputs[0].shape"),
    (lambda d: d["graph"][0]["inputs"][0].update(stride=[2**63, 1]), "graph[0].inputs[0].stride[0]"),
    (lambda d: d["graph"][0]["inputs"][0].update(id=-1), "graph[0].inputs[0].id"),
    (lambda d: d["graph"][0]["inputs"][0].pop("dtype"), "graph[0].inputs[0]"),
    (lambda d: d["graph"][0]["inputs"][0].update(data_type="f32"), "graph[0].inputs[0]"),
    (lambda d: d["graph"][0].update(id=2**64), "graph[0].id"),
    (lambda d: d["graph"][0].update(name=5), "graph[0].name"),
    (lambda d: d["graph"][0].update(kind="Leaky ReLU"), "graph[0].kind"),
    (lambda d: d["graph"][0].update(inputs={}), "graph[0].inputs"),
    (lambda d: d["graph"][0].pop("kind"), "graph[0]"),
    (lambda d: d["graph"][0].update(attrs=[]), "graph[0].attrs"),
    (lambda d: d.update(engine_kind="tpu"), "engine_kind"),
    (lambda d: d.update(fpmath_mode="fast"), "fpmath_mode"),
    (lambda d: d.update(fpmath_mode_apply_to_int="yes"), "fpmath_mode_apply_to_int"),
    (lambda d: d.update(version="v3"), "version"),
    (lambda d: d.update(input_ports=[-1]), "input_ports[0]"),
    (lambda d: d.update(output_ports=[3, 3]), "output_ports"),
    (lambda d: d.update(graph=None), "graph"),
    (lambda d: d.pop("graph"), ""),
]


@pytest.mark.parametrize("change, path", STRUCTURAL, ids=[p for _, p in STRUCTURAL])
def test_schema_and_validate_reject_at_the_same_path(change, path):
    doc = broken(change)
    found_by_schema = schema_paths(doc)
    found_by_io = io_paths(doc)
    # The schema's path may be the enclosing object where pygraph names the key
    # (an unknown key, a uniqueItems array): compare by prefix.
    assert found_by_schema, "the schema accepted a broken file"
    assert any(p == path or path.startswith(p) or p.startswith(path) for p in found_by_schema), found_by_schema
    assert any(p == path or p.startswith(path + ".") or p.startswith(path + "[") for p in found_by_io), found_by_io


def test_bad_example_is_rejected_by_the_schema_where_its_structure_is_wrong():
    doc = json.loads((EXAMPLES / "bad_graph.json").read_text())
    assert schema_paths(doc) == ["graph[2].attrs.alpha.value", "graph[9]"]


def test_valid_variants_are_accepted_by_both():
    for change in (
        lambda d: d.pop("input_ports"),
        lambda d: d.pop("fpmath_mode_apply_to_int"),
        lambda d: d.update(fpmath_mode_apply_to_int=True),
        lambda d: d["graph"][0].pop("name"),
        lambda d: d["graph"][0].pop("attrs") and d["graph"][0].update(kind="Custom"),
        lambda d: d["graph"][0]["inputs"][0].pop("stride"),
        lambda d: d["graph"][0]["inputs"][0].update(shape=[-1, 1024], stride=[UNKNOWN, UNKNOWN]),
        lambda d: d["graph"][1]["attrs"]["alpha"].update(value="nan(0x7fc00001)"),
        lambda d: d["graph"][1]["attrs"]["alpha"].update(value="-Infinity"),
        lambda d: d["graph"][2]["outputs"][0].update(layout_type="any", stride=[UNKNOWN]),
        lambda d: d["graph"][2]["outputs"][0].update(layout_type="any"),  # strides of layout any are ignored
    ):
        doc = broken(change)
        assert schema_paths(doc) == []
        assert io_paths(doc) == []


def test_name_lists_agree_with_the_library():
    defs = SCHEMA["$defs"]
    assert defs["data_type"]["enum"] == list(pygraph.DataType.__members__)
    assert SCHEMA["$defs"]["logical_tensor"]["properties"]["layout_type"]["enum"] == list(
        pygraph.LayoutType.__members__
    )
    assert SCHEMA["$defs"]["logical_tensor"]["properties"]["property_type"]["enum"] == list(
        pygraph.PropertyType.__members__
    )
    assert SCHEMA["properties"]["engine_kind"]["enum"] == list(pygraph.EngineKind.__members__)
    assert defs["attribute"]["properties"]["type"]["enum"] == list(ATTRIBUTE_TYPES)
    assert SCHEMA["properties"]["fpmath_mode"]["enum"] == list(io._FPMATH_MODES)
    assert list(SCHEMA["properties"]) == list(io._TOP_KEYS)
    assert list(defs["op"]["properties"]) == list(io._OP_KEYS)
    assert list(defs["logical_tensor"]["properties"]) == list(io._TENSOR_KEYS)
    assert defs["shape"]["maxItems"] == pygraph.MAX_NDIMS
    assert defs["unknown_dim"]["enum"][0] == pygraph.UNKNOWN_DIM
