"""Graph files: reading, writing and lossless round trips (SPEC §5).

Reading and writing oneDNN's graph JSON: the example files (written the way
ONEDNN_GRAPH_DUMP writes them) come back byte for byte; graphs built in
Python survive ``loads(to_json(g))`` with every description, attribute type
and f32 bit pattern; the port lists follow the graph.
"""

from __future__ import annotations

import io as stdio
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pygraph
from pygraph import io

from pygraph import reference

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "graphs"
GOOD_EXAMPLES = sorted(p for p in EXAMPLES.glob("*.json") if not p.name.startswith("bad"))
UNKNOWN = -(2**63)


def lt(tid, dtype="f32", shape=(2, 3), **kwargs):
    return pygraph.LogicalTensor(tid, dtype, shape, **kwargs)


def leaky(op_id, src, dst, alpha=0.5, **kwargs):
    return pygraph.Op(op_id, "LeakyReLU", [src], [dst], attrs={"alpha": alpha}, **kwargs)


def graph_of(*ops, outputs=()):
    graph = pygraph.Graph()
    for op in ops:
        graph.add_op(op)
    for tensor_id in outputs:
        graph.mark_output(tensor_id)
    return graph


def roundtrip(graph):
    """(text, graph read back); asserts that writing again gives the same text."""
    text = graph.to_json()
    again = pygraph.loads(text)
    assert again.to_json() == text
    return text, again


# ---------------------------------------------------------------------------
# The example files, as oneDNN writes them
# ---------------------------------------------------------------------------


def test_there_are_good_examples():
    names = {p.name for p in GOOD_EXAMPLES}
    assert {"leaky_relu_chain.json", "int8_conv_leaky_relu.json", "bf16_matmul_leaky_relu.json"} <= names


@pytest.mark.parametrize("path", GOOD_EXAMPLES, ids=lambda p: p.name)
def test_example_file_is_written_back_byte_for_byte(path, tmp_path):
    graph = pygraph.load(path)
    assert graph.is_finalized
    assert graph.to_json() == path.read_text(encoding="utf-8")
    out = tmp_path / "out.json"
    pygraph.dump(graph, out)
    assert out.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("path", GOOD_EXAMPLES, ids=lambda p: p.name)
def test_example_file_validates_clean(path):
    assert io.validate(path) == []


def test_int8_dump_partitions_runs_and_round_trips():
    """The acceptance case: Dequantize -> Convolution -> LeakyReLU -> Quantize."""
    path = EXAMPLES / "int8_conv_leaky_relu.json"
    graph = pygraph.load(path)
    ops = {op.id: op for op in graph.ops}
    assert [(op.id, str(op.kind), op.original_kind) for op in graph.ops] == [
        (0, "Wildcard", "Dequantize"),
        (1, "Wildcard", "Dequantize"),
        (2, "Wildcard", "Convolution"),
        (3, "LeakyReLU", None),
        (4, "Wildcard", "Quantize"),
    ]
    # Foreign attributes keep their types and values (oneDNN's hash order too).
    assert list(ops[2].attrs) == [
        "strides",
        "pads_begin",
        "auto_pad",
        "data_format",
        "pads_end",
        "groups",
        "dilations",
        "weights_format",
    ]
    assert ops[2].attr_types["groups"] == "s64" and ops[2].attrs["groups"] == 1
    assert ops[0].attr_types["scales"] == "f32[]"
    assert ops[0].attrs["scales"] == (float(np.float32(0.0235294)),)
    assert ops[0].attrs["qtype"] == "per_tensor"
    assert graph.output_ids == [7]

    partitions = graph.get_partitions()
    assert [(p.ops, p.is_supported()) for p in partitions] == [
        ((0,), False),
        ((1,), False),
        ((2,), False),
        ((3,), True),
        ((4,), False),
    ]
    (supported,) = [p for p in partitions if p.is_supported()]
    assert [lt.id for lt in supported.input_ports] == [5]
    assert [lt.id for lt in supported.output_ports] == [6]

    compiled = supported.compile(supported.input_ports, supported.output_ports, pygraph.Engine())
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 32, 26, 26)).astype(np.float32)
    x.flat[::97] = -0.0
    y = np.empty_like(x)
    compiled.execute(pygraph.Stream(pygraph.Engine()), [x], [y])
    assert reference.same_bits(y, reference.leaky_relu(x, float(np.float32(0.1))))

    assert graph.to_json() == path.read_text(encoding="utf-8")


def test_benchdnn_style_file_without_ports_loads_and_gains_them():
    """benchdnn's inputs (tests/benchdnn/inputs/graph/op/bf16/leakyrelu.json)
    have no ports and no fpmath_mode_apply_to_int; pygraph writes them."""
    text = json.dumps(
        {
            "version": "3.0.0",
            "engine_kind": "cpu",
            "fpmath_mode": "strict",
            "graph": [
                {
                    "id": 0,
                    "name": "ELTWISE_0",
                    "kind": "LeakyReLU",
                    "attrs": {"alpha": {"type": "f32", "value": 0}},
                    "inputs": [
                        {
                            "id": 0,
                            "dtype": "bf16",
                            "shape": [1, 32, 32, 32],
                            "stride": [32768, 1024, 32, 1],
                            "layout_type": "strided",
                            "property_type": "undef",
                        }
                    ],
                    "outputs": [
                        {
                            "id": 1,
                            "dtype": "bf16",
                            "shape": [1, 32, 32, 32],
                            "stride": [32768, 1024, 32, 1],
                            "layout_type": "strided",
                            "property_type": "undef",
                        }
                    ],
                }
            ],
        },
        indent=2,
    )
    graph = pygraph.loads(text)
    written = json.loads(graph.to_json())
    assert list(written) == [
        "version",
        "engine_kind",
        "fpmath_mode",
        "fpmath_mode_apply_to_int",
        "input_ports",
        "output_ports",
        "graph",
    ]
    assert written["fpmath_mode_apply_to_int"] == "false"
    assert written["input_ports"] == [0] and written["output_ports"] == [1]
    assert written["graph"][0]["attrs"] == {"alpha": {"type": "f32", "value": 0}}
    assert pygraph.loads(graph.to_json()).to_json() == graph.to_json()


# ---------------------------------------------------------------------------
# The layout and key order of what pygraph writes
# ---------------------------------------------------------------------------


def test_written_layout_is_onednns():
    graph = graph_of(leaky(0, lt(0), lt(1), alpha=0.25, name="relu"))
    text = graph.to_json()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2) + "\n"  # two-space indent, one item per line
    doc = json.loads(text)
    assert list(doc) == [
        "version",
        "engine_kind",
        "fpmath_mode",
        "fpmath_mode_apply_to_int",
        "input_ports",
        "output_ports",
        "graph",
    ]
    assert doc["version"] == io.DEFAULT_VERSION and doc["engine_kind"] == "cpu" and doc["fpmath_mode"] == "strict"
    (op,) = doc["graph"]
    assert list(op) == ["id", "name", "kind", "attrs", "inputs", "outputs"]
    assert list(op["attrs"]["alpha"]) == ["type", "value"]
    assert op["attrs"]["alpha"] == {"type": "f32", "value": 0.25}
    assert list(op["inputs"][0]) == ["id", "dtype", "shape", "stride", "layout_type", "property_type"]
    assert op["inputs"][0] == {
        "id": 0,
        "dtype": "f32",
        "shape": [2, 3],
        "stride": [3, 1],
        "layout_type": "strided",
        "property_type": "variable",
    }


def test_file_metadata_is_kept():
    text = pygraph.loads(
        json.dumps(
            {
                "version": "3.7.1",
                "engine_kind": "cpu",
                "fpmath_mode": "bf16",
                "fpmath_mode_apply_to_int": "true",
                "graph": [{"id": 0, "kind": "End", "inputs": [{"id": 4, "dtype": "f32", "shape": [1]}], "outputs": []}],
            }
        )
    ).to_json()
    doc = json.loads(text)
    assert (doc["version"], doc["fpmath_mode"], doc["fpmath_mode_apply_to_int"]) == ("3.7.1", "bf16", "true")
    # A JSON boolean is read too, and written the way oneDNN writes it.
    doc["fpmath_mode_apply_to_int"] = False
    assert json.loads(pygraph.loads(json.dumps(doc)).to_json())["fpmath_mode_apply_to_int"] == "false"


def test_defaults_of_omitted_keys():
    graph = pygraph.loads(
        json.dumps(
            {
                "graph": [
                    {
                        "id": 3,
                        "kind": "LeakyReLU",
                        "attrs": {"alpha": {"type": "f32", "value": 0.5}},
                        "inputs": [{"id": 0, "dtype": "f32", "shape": [4, 5]}],
                        "outputs": [{"id": 1, "dtype": "f32", "shape": [4, 5]}],
                    }
                ]
            }
        )
    )
    (op,) = graph.ops
    assert op.name == "LeakyReLU_3"
    src = op.inputs[0]
    assert (src.layout_type.name, src.property_type.name, src.strides) == ("strided", "undef", (5, 1))
    doc = json.loads(graph.to_json())
    assert (doc["version"], doc["engine_kind"], doc["fpmath_mode"]) == (io.DEFAULT_VERSION, "cpu", "strict")


# ---------------------------------------------------------------------------
# Logical tensors: unknown dims and strides, layouts, properties
# ---------------------------------------------------------------------------


def wildcard_with(*tensors):
    """A graph of one Wildcard op consuming `tensors` (any description loads)."""
    return graph_of(pygraph.Op(0, "Wildcard", list(tensors), [], original_kind="Custom"))


def test_tensor_descriptions_round_trip():
    tensors = [
        lt(0, "f32", (2, 3)),
        lt(1, "bf16", (2, 3), strides=(1, 2)),  # column-major
        lt(2, "f16", (4, 5), strides=(-5, 1)),  # negative stride
        lt(3, "f32", (2, -1)),  # an unknown dim: strides unknown
        lt(4, "f32", None),  # unknown rank
        lt(5, "f32", (2, 3), layout_type="any"),
        lt(6, "f32", ()),  # scalar
        lt(7, "f32", (0, 3)),  # no elements
        lt(8, "s8", (7,), property_type="constant"),
        lt(9, "u8", (3, 3), layout_type="undef", property_type="undef"),
        lt(10, "f32", (2, 3), strides=(None, 1)),  # one stride unknown
        lt(11, "boolean", (2, 2), layout_type="opaque"),
        lt(12, "f8_e4m3", (2,)),
        lt(13, "s4", (8,)),
        lt(14, "f32", (1, 5), strides=(0, 0)),  # broadcast strides
    ]
    text, again = roundtrip(wildcard_with(*tensors))
    assert again.ops[0].inputs == tensors
    doc = json.loads(text)["graph"][0]["inputs"]
    assert doc[3]["shape"] == [2, UNKNOWN] and doc[3]["stride"] == [UNKNOWN]
    assert doc[4]["shape"] == [UNKNOWN] and doc[4]["stride"] == [UNKNOWN]
    assert doc[5]["stride"] == [UNKNOWN] and doc[5]["layout_type"] == "any"
    assert doc[6]["shape"] == [] and doc[6]["stride"] == []
    assert doc[10]["stride"] == [UNKNOWN, 1]


def test_minus_one_reads_as_an_unknown_dim_and_is_written_as_int64_min():
    graph = pygraph.loads(
        json.dumps(
            {
                "graph": [
                    {
                        "id": 0,
                        "kind": "Wildcard",
                        "inputs": [{"id": 0, "dtype": "f32", "shape": [-1, 8], "stride": [UNKNOWN, UNKNOWN]}],
                        "outputs": [],
                    }
                ]
            }
        )
    )
    (src,) = graph.ops[0].inputs
    assert src.shape == (-1, 8) and src.strides is None
    assert json.loads(graph.to_json())["graph"][0]["inputs"][0]["shape"] == [UNKNOWN, 8]


def test_single_unknown_entry_shape_is_an_unknown_rank():
    """oneDNN writes [INT64_MIN] for every shape that is not fully known."""
    graph = pygraph.loads(
        json.dumps(
            {
                "graph": [
                    {
                        "id": 0,
                        "kind": "Wildcard",
                        "inputs": [
                            {"id": 0, "dtype": "f32", "shape": [UNKNOWN], "stride": [UNKNOWN], "layout_type": "any"}
                        ],
                        "outputs": [],
                    }
                ]
            }
        )
    )
    assert graph.ops[0].inputs[0].shape is None


def test_stride_minus_one_reads_as_unknown_and_other_negative_strides_as_given():
    """SPEC §5: unknown strides are INT64_MIN, -1 read too (as for dims)."""

    def strides_read(stride):
        text = json.dumps(
            {
                "graph": [
                    {
                        "id": 0,
                        "kind": "Wildcard",
                        "inputs": [{"id": 0, "dtype": "f32", "shape": [3, 2], "stride": stride}],
                        "outputs": [],
                    }
                ]
            }
        )
        return pygraph.loads(text).ops[0].inputs[0]

    assert strides_read([-1, -1]).strides is None
    assert "None" in repr(strides_read([-1, 1]))  # partly known: the first stride unknown
    assert strides_read([-2, 1]).strides == (-2, 1)


def test_strides_of_other_layouts_and_unknown_ranks_are_ignored():
    graph = pygraph.loads(
        json.dumps(
            {
                "graph": [
                    {
                        "id": 0,
                        "kind": "Wildcard",
                        "outputs": [],
                        "inputs": [
                            {"id": 0, "dtype": "f32", "shape": [2, 3], "stride": [0, 0], "layout_type": "any"},
                            {"id": 1, "dtype": "f32", "shape": [UNKNOWN], "stride": [5, 1]},
                        ],
                    }
                ]
            }
        )
    )
    any_layout, unknown_rank = graph.ops[0].inputs
    assert (any_layout.layout_type.name, any_layout.strides) == ("any", None)
    assert (unknown_rank.shape, unknown_rank.strides) == (None, None)
    written = json.loads(graph.to_json())["graph"][0]["inputs"]
    assert written[0]["stride"] == [UNKNOWN] and written[1]["stride"] == [UNKNOWN]


def test_all_unknown_strides_of_a_strided_tensor_stay_unknown():
    graph = pygraph.loads(
        json.dumps(
            {
                "graph": [
                    {
                        "id": 0,
                        "kind": "Wildcard",
                        "inputs": [{"id": 0, "dtype": "f32", "shape": [2, 3], "stride": [UNKNOWN]}],
                        "outputs": [],
                    }
                ]
            }
        )
    )
    src = graph.ops[0].inputs[0]
    assert src.shape == (2, 3) and src.strides is None


# ---------------------------------------------------------------------------
# Attributes: every type, foreign ops, order
# ---------------------------------------------------------------------------


def test_foreign_op_keeps_kind_and_typed_attributes():
    op = pygraph.Op(5, "Wildcard", [lt(0)], [lt(1)], name="conv", original_kind="Convolution")
    op.set_attr("strides", [1, 2], "s64[]")
    op.set_attr("scales", [0.5, 0.25], "f32[]")
    op.set_attr("empty_f32", [], "f32[]")
    op.set_attr("empty_s64", [], "s64[]")
    op.set_attr("groups", 4, "s64")
    op.set_attr("beta", 1.5, "f32")
    op.set_attr("transpose", True, "bool")
    op.set_attr("format", "NXC", "string")
    op.set_attr("big", -(2**63), "s64")
    text, again = roundtrip(graph_of(op))
    (back,) = again.ops
    assert back.original_kind == "Convolution" and back.name == "conv"
    assert back.attr_types == op.attr_types
    assert back.attrs == op.attrs
    assert list(back.attrs) == list(op.attrs)
    attrs = json.loads(text)["graph"][0]["attrs"]
    assert json.loads(text)["graph"][0]["kind"] == "Convolution"
    assert attrs["transpose"] == {"type": "bool", "value": 1}  # oneDNN writes bools as 0/1
    assert attrs["empty_f32"] == {"type": "f32[]", "value": []}
    assert attrs["big"]["value"] == -(2**63)


@pytest.mark.parametrize("spelling, expected", [(0, False), (1, True), (True, True), (False, False)])
def test_bool_attribute_spellings(spelling, expected):
    graph = pygraph.loads(
        json.dumps(
            {
                "graph": [
                    {
                        "id": 0,
                        "kind": "MatMul",
                        "attrs": {"transpose_a": {"type": "bool", "value": spelling}},
                        "inputs": [],
                        "outputs": [],
                    }
                ]
            }
        )
    )
    assert graph.ops[0].attrs["transpose_a"] is expected


# ---------------------------------------------------------------------------
# f32 values: shortest text, exact reading, non-finite values
# ---------------------------------------------------------------------------


def f32_of_bits(bits):
    return np.array(bits, np.uint32).view(np.float32)[()]


def bits_of(value):
    return int(np.array(value, np.float32).view(np.uint32))


@pytest.mark.parametrize(
    "value, text",
    [
        (0.01, "0.01"),
        (0.1, "0.1"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (0.0, "0"),
        (-0.0, "-0.0"),
        (16777216.0, "16777216"),
        (1e-45, "1e-45"),
        (-1e-45, "-1e-45"),
        (1e-5, "1e-05"),
        (1e-4, "0.0001"),
        (3.4028234663852886e38, "3.4028235e+38"),
        (1.1754943508222875e-38, "1.1754944e-38"),
        (1e16, "1e+16"),
        (float("inf"), '"inf"'),
        (float("-inf"), '"-inf"'),
        (float("nan"), '"nan"'),
    ],
)
def test_format_f32(value, text):
    assert io.format_f32(value) == text


def test_format_f32_of_a_nan_with_payload_gives_its_bits():
    assert io.format_f32(f32_of_bits(0xFFC00000)) == '"nan(0xffc00000)"'
    assert io.format_f32(f32_of_bits(0x7FC00123)) == '"nan(0x7fc00123)"'


def alpha_after_roundtrip(alpha):
    graph = graph_of(pygraph.Op(0, "LeakyReLU", [lt(0)], [lt(1)], attrs={"alpha": float(alpha)}))
    _, again = roundtrip(graph)
    return np.float32(again.ops[0].attrs["alpha"])


@pytest.mark.parametrize(
    "bits",
    [
        0x00000000,
        0x80000000,
        0x00000001,
        0x80000001,
        0x007FFFFF,
        0x00800000,
        0x7F7FFFFF,
        0xFF7FFFFF,
        0x7F800000,
        0xFF800000,
        0x7FC00000,
        0xFFC00000,
        0x7FC12345,
        0x3C23D70A,
        0x3F800001,
    ],
)
def test_alpha_bits_survive_the_round_trip(bits):
    assert bits_of(alpha_after_roundtrip(f32_of_bits(bits))) == bits


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_every_f32_is_read_back_exactly(bits):
    value = f32_of_bits(bits)
    if np.isnan(value):
        bits |= 0x00400000  # a signalling NaN is quieted on its way through a Python float
        value = f32_of_bits(bits)
    graph = graph_of(pygraph.Op(0, "Wildcard", [], [], original_kind="Custom").set_attr("v", [float(value)], "f32[]"))
    _, again = roundtrip(graph)
    assert bits_of(again.ops[0].attrs["v"][0]) == bits


def test_all_subnormal_boundaries_and_binade_edges_round_trip():
    edges = []
    for exponent in range(0, 255):
        base = exponent << 23
        edges += [base, base + 1, base + 0x7FFFFF, 0x80000000 | base | 1]
    op = pygraph.Op(0, "Wildcard", [], [], original_kind="Custom")
    op.set_attr("v", [float(f32_of_bits(b)) for b in edges], "f32[]")
    _, again = roundtrip(graph_of(op))
    assert [bits_of(v) for v in again.ops[0].attrs["v"]] == edges


@pytest.mark.parametrize(
    "text, bits",
    [
        # Decimals just off the midpoint between two f32 values: rounding through a
        # double would land on the midpoint and round to even, the wrong way.
        ("1.000000059604644775390625000001", 0x3F800001),
        ("1.000000059604644775390624999999", 0x3F800000),
        ("1.000000059604644775390625", 0x3F800000),  # exactly halfway: ties to even
        ("7.0064923216240854e-46", 0x00000001),
        ("7.006492321624085e-46", 0x00000000),
        ("-7.0064923216240854e-46", 0x80000001),
        ("3.4028235677973362e38", 0x7F7FFFFF),
        ("0.01", 0x3C23D70A),
        ("1E2", 0x42C80000),
    ],
)
def test_f32_values_are_rounded_once_from_the_decimal(text, bits):
    doc = (
        '{"graph": [{"id": 0, "kind": "LeakyReLU", "attrs": {"alpha": {"type": "f32", "value": %s}}, '
        '"inputs": [{"id": 0, "dtype": "f32", "shape": [1]}], "outputs": [{"id": 1, "dtype": "f32", "shape": [1]}]}]}'
    )
    graph = pygraph.loads(doc % text)
    assert bits_of(graph.ops[0].attrs["alpha"]) == bits


@pytest.mark.parametrize(
    "spelling, bits",
    [
        ("nan", 0x7FC00000),
        ("NaN", 0x7FC00000),
        ("-nan", 0xFFC00000),
        ("inf", 0x7F800000),
        ("+inf", 0x7F800000),
        ("-inf", 0xFF800000),
        ("Infinity", 0x7F800000),
        ("-INFINITY", 0xFF800000),
        ("nan(0x7fc00001)", 0x7FC00001),
        ("nan(0xFFE00000)", 0xFFE00000),
    ],
)
def test_non_finite_f32_spellings(spelling, bits):
    doc = {
        "graph": [
            {"id": 0, "kind": "Custom", "attrs": {"v": {"type": "f32", "value": spelling}}, "inputs": [], "outputs": []}
        ]
    }
    assert bits_of(pygraph.loads(json.dumps(doc)).ops[0].attrs["v"]) == bits


# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------


def test_ports_are_inputs_and_outputs_in_op_order():
    a, b, c, d, e = (lt(i) for i in range(5))
    graph = graph_of(
        leaky(0, a, b),
        leaky(1, b, c),  # c: consumed by End -> output
        pygraph.Op(2, "End", [c], []),
        leaky(3, d, e),  # e: never consumed -> output
    )
    assert io.graph_ports(graph.ops, graph.output_ids) == ([0, 3], [2, 4])
    doc = json.loads(graph.to_json())
    assert (doc["input_ports"], doc["output_ports"]) == ([0, 3], [2, 4])


def test_output_ports_keep_their_order_when_read_back():
    # Found by the graph-loader fuzzer: b is an output only because End
    # consumes it, after c's producer; read back, b is a marked output and
    # must not move ahead of c.
    a, b, c = lt(0), lt(1), lt(2)
    graph = graph_of(leaky(0, a, b), leaky(1, b, c), pygraph.Op(2, "End", [b], []))
    text, again = roundtrip(graph)
    assert json.loads(text)["output_ports"] == [1, 2]
    assert again.to_json() == text


def test_marked_output_is_written_and_ends_the_chain_after_reading():
    a, b, c = lt(0), lt(1), lt(2)
    graph = graph_of(leaky(0, a, b), leaky(1, b, c), outputs=[1])
    graph.finalize()
    assert [p.ops for p in graph.get_partitions()] == [(0,), (1,)]
    text, again = roundtrip(graph)
    assert json.loads(text)["output_ports"] == [1, 2]
    assert again.output_ids == [1, 2]
    assert [p.ops for p in again.get_partitions()] == [(0,), (1,)]


def test_file_output_port_splits_a_chain():
    doc = json.loads((EXAMPLES / "leaky_relu_chain.json").read_text())
    assert [p.ops for p in pygraph.loads(json.dumps(doc)).get_partitions()] == [(0, 1, 2)]
    doc["output_ports"] = [1, 3]
    assert [p.ops for p in pygraph.loads(json.dumps(doc)).get_partitions()] == [(0,), (1, 2)]


# ---------------------------------------------------------------------------
# The public functions and their arguments
# ---------------------------------------------------------------------------


def test_load_and_dump_take_streams(tmp_path):
    path = EXAMPLES / "leaky_relu_chain.json"
    with open(path, encoding="utf-8") as stream:
        graph = pygraph.load(stream)
    buffer = stdio.StringIO()
    pygraph.dump(graph, buffer)
    assert buffer.getvalue() == path.read_text()
    with open(path, "rb") as stream:
        assert pygraph.load(stream).to_json() == path.read_text()


def test_loads_takes_bytes_with_or_without_bom():
    text = (EXAMPLES / "leaky_relu_chain.json").read_text()
    assert pygraph.loads(text.encode()).to_json() == text
    assert pygraph.loads(b"\xef\xbb\xbf" + text.encode()).to_json() == text
    assert pygraph.loads("\ufeff" + text).to_json() == text


def test_loaded_graph_is_finalized_and_partitions():
    graph = pygraph.load(EXAMPLES / "leaky_relu_chain.json")
    assert graph.is_finalized
    with pytest.raises(pygraph.InvalidGraphError):
        graph.add_op(leaky(9, lt(90), lt(91)))


def test_to_json_needs_a_graph():
    with pytest.raises(TypeError):
        io.to_json("not a graph")


def test_unicode_names_round_trip():
    op = pygraph.Op(0, "Wildcard", [], [], name='größe "x" \\ ✓', original_kind="Custom")
    text, again = roundtrip(graph_of(op))
    assert again.ops[0].name == 'größe "x" \\ ✓'
    assert "größe" in text
