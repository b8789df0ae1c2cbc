"""Graph files: every kind of bad file, and hostile input (SPEC §5, §8).

Each mistake is reported with its exact JSON path and a plain sentence;
messages written by pygraph.io are pinned exactly, messages from the
library's add_op (the op schema and graph rules) by the facts they must
name.  However broken the input — truncated, wrong types, huge numbers,
deep nesting, megabytes of junk, NaN literals, duplicate keys — the
result is a pygraph.Error (GraphFileError), never another exception, a
crash or a hang.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
import time
from pathlib import Path

import pytest

import pygraph
from pygraph import io

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "graphs"
CHAIN = json.loads((EXAMPLES / "leaky_relu_chain.json").read_text())
UNKNOWN = -(2**63)


def mutated(change):
    doc = copy.deepcopy(CHAIN)
    change(doc)
    return json.dumps(doc)


def problems_of(text):
    return [(p.path, p.message) for p in io.validates(text)]


# ---------------------------------------------------------------------------
# Mistakes found by pygraph.io itself: exact path and exact message
# ---------------------------------------------------------------------------

EXACT = {
    "alpha as a string": (
        lambda d: d["graph"][1]["attrs"]["alpha"].update(value="fast"),
        [
            (
                "graph[1].attrs.alpha.value",
                'attribute \'alpha\' (f32) must be a number, or "nan", "inf", "-inf" or "nan(0xHHHHHHHH)"; '
                'got the string "fast"',
            )
        ],
    ),
    "unknown attribute type": (
        lambda d: d["graph"][1]["attrs"].update(alpha={"type": "float", "value": 1}),
        [
            (
                "graph[1].attrs.alpha.type",
                "the type of attribute 'alpha' must be one of f32, s64, bool, string, f32[], s64[]; got \"float\"",
            )
        ],
    ),
    "f32 that rounds to infinity": (
        lambda d: d["graph"][1]["attrs"]["alpha"].update(value=1e39),
        [
            (
                "graph[1].attrs.alpha.value",
                "attribute 'alpha' (f32): 1E+39 is outside the f32 range (it would round to infinity)",
            )
        ],
    ),
    "value before type": (
        lambda d: d["graph"][1]["attrs"].update(alpha={"value": 1.0, "type": "f32"}),
        [
            (
                "graph[1].attrs.alpha",
                'attribute \'alpha\': "type" must come before "value" (oneDNN\'s reader needs it first)',
            )
        ],
    ),
    "extra key in an attribute": (
        lambda d: d["graph"][1]["attrs"]["alpha"].update(doc="x"),
        [("graph[1].attrs.alpha.doc", "unknown key \"doc\" in attribute 'alpha'; expected keys: type, value")],
    ),
    "attribute without type and value": (
        lambda d: d["graph"][1]["attrs"].update(alpha=0.5),
        [("graph[1].attrs.alpha", "attribute 'alpha' must be an object; got the number 0.5")],
    ),
    "unknown dtype": (
        lambda d: d["graph"][1]["inputs"][0].update(dtype="float32"),
        [
            (
                "graph[1].inputs[0].dtype",
                'dtype must be one of undef, f16, bf16, f32, s32, s8, u8, boolean, f8_e5m2, f8_e4m3, s4, u4; got "float32"',
            )
        ],
    ),
    "dtype in the wrong case": (
        lambda d: d["graph"][1]["inputs"][0].update(dtype="F32"),
        [
            (
                "graph[1].inputs[0].dtype",
                'dtype must be one of undef, f16, bf16, f32, s32, s8, u8, boolean, f8_e5m2, f8_e4m3, s4, u4; got "F32" '
                "(names are case-sensitive: 'f32')",
            )
        ],
    ),
    "output port that is no tensor": (
        lambda d: d.update(output_ports=[3, 42]),
        [("output_ports[1]", "tensor 42 is not a tensor of the graph (no op consumes or produces it)")],
    ),
    "input port that an op produces": (
        lambda d: d.update(input_ports=[0, 2]),
        [("input_ports[1]", "tensor 2 is produced by op graph[1], so it is not a graph input")],
    ),
    "port listed twice": (
        lambda d: d.update(output_ports=[3, 3]),
        [("output_ports[1]", "tensor 3 is listed twice in output_ports")],
    ),
    "negative port id": (
        lambda d: d.update(output_ports=[-3]),
        [("output_ports[0]", "output_ports[0] must be an integer in 0..2**64-1; got -3")],
    ),
    "kind in the wrong case": (
        lambda d: d["graph"][1].update(kind="LeakyRelu"),
        [("graph[1].kind", "unknown op kind 'LeakyRelu'; did you mean 'LeakyReLU'? (kinds are case-sensitive)")],
    ),
    "kind that is no name": (
        lambda d: d["graph"][1].update(kind="Leaky ReLU"),
        [("graph[1].kind", 'op kind must be a name such as LeakyReLU; got "Leaky ReLU"')],
    ),
    "unknown engine kind": (
        lambda d: d.update(engine_kind="tpu"),
        [("engine_kind", 'engine_kind must be one of any, cpu, gpu; got "tpu"')],
    ),
    "unknown fpmath mode": (
        lambda d: d.update(fpmath_mode="fast"),
        [("fpmath_mode", 'fpmath_mode must be one of strict, bf16, f16, tf32, any; got "fast"')],
    ),
    "apply_to_int not a boolean": (
        lambda d: d.update(fpmath_mode_apply_to_int="yes"),
        [("fpmath_mode_apply_to_int", 'fpmath_mode_apply_to_int must be "true" or "false"; got the string "yes"')],
    ),
    "version as a number": (
        lambda d: d.update(version=3),
        [("version", "version must be a string; got the integer 3")],
    ),
    "version text": (
        lambda d: d.update(version="v3"),
        [("version", 'version must look like "3.5.0"; got "v3"')],
    ),
    "top-level typo": (
        lambda d: d.update(graphs=[]),
        [
            (
                "graphs",
                'unknown key "graphs" in a graph file; expected keys: version, engine_kind, fpmath_mode, '
                "fpmath_mode_apply_to_int, input_ports, output_ports, graph",
            )
        ],
    ),
    "no graph": (
        lambda d: d.pop("graph"),
        [("", 'a graph file has no "graph"')],
    ),
    "op id as a float": (
        lambda d: d["graph"][0].update(id=1.0),
        [("graph[0].id", "op id must be an integer in 0..2**64-1; got the number 1.0")],
    ),
    "op id as a bool": (
        lambda d: d["graph"][0].update(id=True),
        [("graph[0].id", "op id must be an integer in 0..2**64-1; got true")],
    ),
    "op id past uint64": (
        lambda d: d["graph"][0].update(id=2**64),
        [("graph[0].id", "op id must be an integer in 0..2**64-1; got 18446744073709551616")],
    ),
    "name as a number": (
        lambda d: d["graph"][0].update(name=5),
        [("graph[0].name", "op name must be a string; got the integer 5")],
    ),
    "name with a NUL": (
        lambda d: d["graph"][0].update(name="a\u0000b"),
        [("graph[0].name", "op name must not contain a NUL character")],
    ),
    "negative dim": (
        lambda d: d["graph"][0]["inputs"][0].update(shape=[-5, 1024]),
        [("graph[0].inputs[0].shape[0]", f"a dim must be >= 0, or -1 or {UNKNOWN} for unknown; got -5")],
    ),
    "13 dims": (
        lambda d: d["graph"][0]["inputs"][0].update(shape=[1] * 13, stride=[1] * 13),
        [
            ("graph[0].inputs[0].shape", "a tensor has at most 12 dims; got 13"),
            ("graph[0].inputs[0].stride", "a tensor has at most 12 strides; got 13"),
        ],
    ),
    "shape as a string": (
        lambda d: d["graph"][0]["inputs"][0].update(shape="8x1024"),
        [("graph[0].inputs[0].shape", 'shape must be an array; got the string "8x1024"')],
    ),
    "stride of the wrong length": (
        lambda d: d["graph"][0]["inputs"][0].update(stride=[1]),
        [("graph[0].inputs[0].stride", "stride has 1 entry but shape has 2; they must match")],
    ),
    "unknown layout": (
        lambda d: d["graph"][0]["inputs"][0].update(layout_type="blocked"),
        [("graph[0].inputs[0].layout_type", 'layout_type must be one of undef, any, strided, opaque; got "blocked"')],
    ),
    "unknown property": (
        lambda d: d["graph"][0]["inputs"][0].update(property_type="const"),
        [("graph[0].inputs[0].property_type", 'property_type must be one of undef, variable, constant; got "const"')],
    ),
    "tensor without dtype": (
        lambda d: d["graph"][0]["inputs"][0].pop("dtype"),
        [("graph[0].inputs[0]", 'a logical tensor has no "dtype"')],
    ),
    "tensor key typo": (
        lambda d: d["graph"][0]["inputs"][0].update(data_type="f32"),
        [
            (
                "graph[0].inputs[0].data_type",
                'unknown key "data_type" in a logical tensor; expected keys: id, dtype, shape, stride, layout_type, property_type',
            )
        ],
    ),
    "op key typo": (
        lambda d: d["graph"][2].update(ouputs=d["graph"][2].pop("outputs")),
        [
            ("graph[2].ouputs", 'unknown key "ouputs" in an op; expected keys: id, name, kind, attrs, inputs, outputs'),
            ("graph[2]", 'an op has no "outputs"'),
        ],
    ),
    "s64 attribute as a float": (
        lambda d: d["graph"][0].update(kind="Custom", attrs={"axis": {"type": "s64", "value": 1.5}}),
        [
            (
                "graph[0].attrs.axis.value",
                "attribute 'axis' (s64) must be an integer in the int64 range; got the number 1.5",
            )
        ],
    ),
    "s64 attribute past int64": (
        lambda d: d["graph"][0].update(kind="Custom", attrs={"axis": {"type": "s64", "value": 2**63}}),
        [
            (
                "graph[0].attrs.axis.value",
                "attribute 'axis' (s64) must be an integer in the int64 range; got 9223372036854775808",
            )
        ],
    ),
    "bad item of an f32 array": (
        lambda d: d["graph"][0].update(kind="Custom", attrs={"scales": {"type": "f32[]", "value": [1, "x", 2]}}),
        [
            (
                "graph[0].attrs.scales.value[1]",
                'attribute \'scales\' (f32[]) item 1 must be a number, or "nan", "inf", "-inf" or "nan(0xHHHHHHHH)"; '
                'got the string "x"',
            )
        ],
    ),
    "bool attribute of 2": (
        lambda d: d["graph"][0].update(kind="Custom", attrs={"t": {"type": "bool", "value": 2}}),
        [("graph[0].attrs.t.value", "attribute 't' (bool) must be 0, 1, true or false; got the integer 2")],
    ),
    "nan() bits that are no NaN": (
        lambda d: d["graph"][0]["attrs"]["alpha"].update(value="nan(0x3f800000)"),
        [("graph[0].attrs.alpha.value", "attribute 'alpha' (f32): nan(0x3f800000) is not the bit pattern of a NaN")],
    ),
    "attribute name with a space": (
        lambda d: d["graph"][0].update(kind="Custom", attrs={"a b": {"type": "f32", "value": 1}}),
        [('graph[0].attrs["a b"]', 'attribute names are identifiers; got "a b"')],
    ),
}


@pytest.mark.parametrize("name", list(EXACT))
def test_mistake_found_by_io(name):
    change, expected = EXACT[name]
    text = mutated(change)
    assert problems_of(text) == expected
    with pytest.raises(io.GraphFileError) as caught:
        pygraph.loads(text)
    assert [(p.path, p.message) for p in caught.value.problems] == expected
    for path, message in expected:
        assert f"{path or '(document)'}: {message}" in str(caught.value)


# ---------------------------------------------------------------------------
# Mistakes found by the library's own validation (add_op, mark_output, Graph)
# ---------------------------------------------------------------------------

FROM_LIBRARY = {
    "missing alpha": (
        lambda d: d["graph"][0]["attrs"].pop("alpha"),
        "graph[0].attrs",
        pygraph.InvalidGraphOpError,
        ["op 0", "LeakyReLU", "leaky_relu_0", "alpha", "missing"],
    ),
    "alpha of type s64": (
        lambda d: d["graph"][1]["attrs"].update(alpha={"type": "s64", "value": 1}),
        "graph[1].attrs.alpha.type",
        pygraph.InvalidGraphOpError,
        ["op 1", "alpha", "f32", "s64"],
    ),
    "alpha of type bool": (
        lambda d: d["graph"][1]["attrs"].update(alpha={"type": "bool", "value": 1}),
        "graph[1].attrs.alpha.type",
        pygraph.InvalidGraphOpError,
        ["op 1", "alpha", "f32", "bool"],
    ),
    "attribute LeakyReLU does not define": (
        lambda d: d["graph"][2]["attrs"].update(beta={"type": "f32", "value": 1}),
        "graph[2].attrs.beta",
        pygraph.InvalidGraphOpError,
        ["op 2", "beta", "alpha"],
    ),
    "s8 data": (
        lambda d: [t.update(dtype="s8") for t in d["graph"][0]["inputs"] + d["graph"][0]["outputs"]],
        "graph[0].inputs[0].dtype",
        pygraph.InvalidDataTypeError,
        ["op 0", "input 0 (src)", "s8", "f32, bf16, f16"],
    ),
    "src f32, dst f16": (
        lambda d: d["graph"][2]["outputs"][0].update(dtype="f16"),
        "graph[2].outputs[0].dtype",
        pygraph.InvalidDataTypeError,
        ["op 2", "src", "f32", "dst", "f16"],
    ),
    "duplicate op id": (
        lambda d: d["graph"][2].update(id=0),
        "graph[2].id",
        pygraph.InvalidGraphError,
        ["op id 0", "leaky_relu_0", "leaky_relu_2"],
    ),
    "tensor produced twice": (
        lambda d: (d["graph"][2]["outputs"][0].update(id=2), d.update(output_ports=[2])),
        "graph[2].outputs[0]",
        pygraph.InvalidGraphError,
        ["op 2", "tensor 2", "op 1"],
    ),
    "conflicting descriptions of one tensor": (
        lambda d: d["graph"][1]["inputs"][0].update(shape=[8, 1025], stride=[1025, 1]),
        "graph[1].inputs[0]",
        pygraph.InvalidGraphError,
        ["tensor 1", "[8, 1025]", "[8, 1024]"],
    ),
    "cycle": (
        lambda d: (d["graph"][0]["inputs"][0].update(id=3), d.update(input_ports=[])),
        "graph[2].outputs[0]",
        pygraph.InvalidGraphError,
        ["op 2", "cycle"],
    ),
    "two inputs": (
        lambda d: d["graph"][0]["inputs"].append(dict(d["graph"][0]["inputs"][0], id=50)),
        "graph[0].inputs",
        pygraph.InvalidGraphOpError,
        ["op 0", "1 input", "got 2"],
    ),
    "End with an output": (
        lambda d: (d["graph"][2].update(kind="End", attrs={}), d.update(output_ports=[])),
        "graph[2].outputs",
        pygraph.InvalidGraphOpError,
        ["op 2", "End", "0 outputs", "got 1"],
    ),
    "element count overflow": (
        lambda d: d["graph"][0]["inputs"][0].update(shape=[2**62, 2**62], stride=[1, 1]),
        "graph[0].inputs[0].shape",
        pygraph.InvalidShapeError,
        ["logical tensor 0", "overflow"],
    ),
    "gpu engine": (
        lambda d: d.update(engine_kind="gpu"),
        "engine_kind",
        pygraph.UnimplementedError,
        ["gpu", "cpu"],
    ),
}


@pytest.mark.parametrize("name", list(FROM_LIBRARY))
def test_mistake_found_by_the_library(name):
    change, path, error_class, fragments = FROM_LIBRARY[name]
    text = mutated(change)
    problems = io.validates(text)
    assert [p.path for p in problems] == [path]
    for fragment in fragments:
        assert fragment in problems[0].message
    # The message is the library's own: the same text as building the op by hand raises.
    assert issubclass(error_class, pygraph.Error)
    with pytest.raises(io.GraphFileError):
        pygraph.loads(text)


def test_the_bad_example_lists_every_mistake():
    problems = [(p.path, p.message) for p in io.validate(EXAMPLES / "bad_graph.json")]
    assert [path for path, _ in problems] == [
        "output_ports[0]",
        "graph[1].attrs",
        "graph[2].attrs.alpha.value",
        "graph[3].attrs.alpha.type",
        "graph[4].inputs[0].dtype",
        "graph[5].outputs[0].dtype",
        "graph[6].attrs.beta",
        "graph[7].id",
        "graph[8].outputs[0]",
        "graph[9].ouputs",
        "graph[9]",
    ]
    messages = dict(problems)
    assert messages["output_ports[0]"] == "tensor 99 is not a tensor of the graph (no op consumes or produces it)"
    assert "relu_no_alpha" in messages["graph[1].attrs"] and "alpha" in messages["graph[1].attrs"]
    assert "s8" in messages["graph[4].inputs[0].dtype"]
    assert "relu_ok" in messages["graph[7].id"]


def test_several_mistakes_in_one_op_and_across_ops_are_all_reported():
    def change(d):
        d["graph"][0]["inputs"][0].update(dtype="float32", layout_type="blocked")
        d["graph"][2]["attrs"]["alpha"].update(value="x")
        d.update(fpmath_mode="fast")

    assert [path for path, _ in problems_of(mutated(change))] == [
        "fpmath_mode",
        "graph[0].inputs[0].dtype",
        "graph[0].inputs[0].layout_type",
        "graph[2].attrs.alpha.value",
    ]


def test_graph_file_error_is_a_pygraph_error_and_pickles():
    with pytest.raises(io.GraphFileError) as caught:
        pygraph.load(EXAMPLES / "bad_graph.json")
    error = caught.value
    assert isinstance(error, pygraph.InvalidGraphError) and isinstance(error, pygraph.Error)
    assert isinstance(error, ValueError)
    assert str(error).startswith(f"{EXAMPLES / 'bad_graph.json'}: 11 problems:\n  output_ports[0]: ")
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error) and again.status == error.status


def test_long_problem_lists_are_cut_in_the_message():
    doc = copy.deepcopy(CHAIN)
    doc["output_ports"] = list(range(100, 130))
    with pytest.raises(io.GraphFileError) as caught:
        pygraph.loads(json.dumps(doc))
    assert len(caught.value.problems) == 30
    assert str(caught.value).count("\n") == 11  # the heading, 10 problems, the rest counted
    assert "... and 20 more (`pygraph validate` lists them all)" in str(caught.value)


def test_a_missing_file_raises_os_error():
    with pytest.raises(FileNotFoundError):
        pygraph.load(EXAMPLES / "no_such_file.json")
    with pytest.raises(FileNotFoundError):
        io.validate(EXAMPLES / "no_such_file.json")


# ---------------------------------------------------------------------------
# Hostile input
# ---------------------------------------------------------------------------


def assert_refused(text, within=10.0):
    """`text` is refused with a GraphFileError, quickly; returns its problems."""
    start = time.perf_counter()
    with pytest.raises(io.GraphFileError) as caught:
        pygraph.loads(text)
    assert time.perf_counter() - start < within
    assert caught.value.problems
    return caught.value.problems


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "line 1, column 1: invalid JSON: Expecting value"),
        ("   ", "line 1, column 4: invalid JSON: Expecting value"),
        ("{", "line 1, column 2: invalid JSON: Expecting property name enclosed in double quotes"),
        ('{"graph": []} trailing', "line 1, column 15: invalid JSON: Extra data"),
        ("null", "(document): a graph file must be an object; got null"),
        ("[1, 2, 3]", "(document): a graph file must be an object; got an array of 3 items"),
        ('"text"', '(document): a graph file must be an object; got the string "text"'),
        ('{"graph": null}', "graph: graph must be an array; got null"),
        ('{"graph": [], "graph": []}', 'graph: the key "graph" appears more than once in a graph file'),
        (
            '{"graph": [], "version": NaN}',
            "version: invalid value: the literal NaN, which is not JSON; write a non-finite f32 as the string "
            '"nan", "inf" or "-inf"',
        ),
        (
            '{"graph": [], "version": -Infinity}',
            "version: invalid value: the literal -Infinity, which is not JSON; write a non-finite f32 as the string "
            '"nan", "inf" or "-inf"',
        ),
        ('{"graph": [], "version": 1e999999}', "version: version must be a string; got the number 1E+999999"),
        (b"\xff\xfe{}", "(document): the file is not UTF-8 text (byte 0: invalid start byte)"),
    ],
)
def test_malformed_documents(text, problem):
    (found,) = assert_refused(text)
    assert str(found) == problem


def test_nan_literal_as_an_alpha_value():
    text = mutated(lambda d: None).replace('"value": 0.01', '"value": NaN')
    (found,) = assert_refused(text)
    assert found.path == "graph[0].attrs.alpha.value"
    assert "the literal NaN, which is not JSON" in found.message


def test_duplicate_attribute():
    text = mutated(lambda d: None).replace('"alpha": {', '"alpha": {"type": "f32", "value": 1}, "alpha": {', 1)
    (found,) = assert_refused(text)
    assert (found.path, found.message) == ("graph[0].attrs.alpha", 'the attribute "alpha" appears more than once')


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_nesting(depth):
    for text in ("[" * depth + "]" * depth, '{"graph": ' + "[" * depth, '{"a":' * depth + "1" + "}" * depth):
        problems = assert_refused(text)
        assert len(problems) == 1


def test_megabytes_of_junk():
    rng = random.Random(5)
    junk = "".join(rng.choice('{}[]:,"0123456789.eE+-abc \n\t\\') for _ in range(3_000_000))
    assert_refused(junk)
    assert_refused(bytes(rng.randrange(256) for _ in range(1_000_000)))
    assert_refused("\x00" * 2_000_000)


def test_huge_numbers():
    digits = "9" * 5000  # past Python's limit of 4300 digits for int("...")
    (found,) = assert_refused('{"graph": [], "input_ports": [%s]}' % digits)
    assert (found.path, found.message) == ("", "invalid graph file: a number has thousands of digits")
    (found,) = assert_refused('{"graph": [], "input_ports": [%s]}' % ("9" * 1000))
    assert (found.path, found.message) == (
        "input_ports[0]",
        "input_ports[0] must be an integer in 0..2**64-1; got an integer of 1000 digits",
    )
    (found,) = assert_refused(mutated(lambda d: None).replace('"value": 0.01', '"value": 0.%s' % ("1" * 901)))
    assert (found.path, found.message) == (
        "graph[0].attrs.alpha.value",
        "attribute 'alpha' (f32): a number of 901 digits (at most 800 are read)",
    )
    # An exponent beyond what Decimal represents (a fuzzer finding: it
    # escaped as decimal.InvalidOperation).
    (found,) = assert_refused("[1e3900000000000000000000]")
    assert (found.path, found.message) == (
        "",
        "invalid graph file: a number's exponent is out of any representable range",
    )
    # A long but reasonable decimal is read exactly.
    graph = pygraph.loads(
        '{"graph": [{"id": 0, "kind": "Custom", "inputs": [], "outputs": [], '
        '"attrs": {"v": {"type": "f32", "value": 1%se-700}}}]}' % ("0" * 700)
    )
    assert graph.ops[0].attrs["v"] == 1.0
    problems = assert_refused(
        mutated(lambda d: d["graph"][0]["inputs"][0].update(shape=[2**63, 1], stride=[1, -(2**63) - 1]))
    )
    assert [(p.path, p.message) for p in problems] == [
        ("graph[0].inputs[0].shape[0]", "a dim must be an integer in the int64 range; got 9223372036854775808"),
        ("graph[0].inputs[0].stride[1]", "a stride must be an integer in the int64 range; got -9223372036854775809"),
    ]


def test_every_truncation_of_a_file_is_refused():
    text = (EXAMPLES / "leaky_relu_chain.json").read_text()
    for end in range(len(text.rstrip())):
        with pytest.raises(io.GraphFileError):
            pygraph.loads(text[:end])


def test_random_damage_never_escapes_as_another_exception():
    """Bytes flipped, deleted and duplicated at random: every outcome is a
    graph or a GraphFileError."""
    original = (EXAMPLES / "int8_conv_leaky_relu.json").read_bytes()
    rng = random.Random(11)
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(400):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            action = rng.choice(("flip", "delete", "copy", "digit"))
            if action == "flip":
                data[position] = rng.randrange(256)
            elif action == "delete":
                del data[position : position + rng.randint(1, 20)]
            elif action == "copy":
                data[position:position] = data[rng.randrange(len(data)) :][: rng.randint(1, 40)]
            else:
                data[position:position] = str(rng.choice((0, -1, 2**63, 2**64, -(2**63) - 1, 10**30))).encode()
        try:
            pygraph.loads(bytes(data))
            outcomes["loaded"] += 1
        except io.GraphFileError as error:
            assert error.problems
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0


def test_size_limit(monkeypatch, tmp_path):
    text = (EXAMPLES / "leaky_relu_chain.json").read_text()
    monkeypatch.setattr(io, "MAX_FILE_BYTES", len(text) - 1)
    (found,) = assert_refused(text)
    assert found.message == f"the file is {len(text)} bytes; pygraph reads graph files of at most {len(text) - 1} bytes"
    path = tmp_path / "big.json"
    path.write_text(text)
    with pytest.raises(io.GraphFileError, match="pygraph reads graph files of at most"):
        pygraph.load(path)


def test_the_default_size_limit_is_64_mib():
    assert io.MAX_FILE_BYTES == 64 * 1024 * 1024


def test_too_many_problems_stop_the_report():
    doc = {"graph": [{"id": "x"}] * 5000}
    problems = assert_refused(json.dumps(doc))
    assert len(problems) == io.MAX_PROBLEMS + 1
    assert problems[-1].message == f"more than {io.MAX_PROBLEMS} problems; stopped looking"


@pytest.mark.parametrize("value", [None, 5, "x", [1], {"id": 0}])
def test_wrong_types_everywhere(value):
    """Any key of the format holding a value of the wrong kind is a problem at that key."""
    paths = [
        ("version",),
        ("engine_kind",),
        ("fpmath_mode",),
        ("input_ports",),
        ("output_ports",),
        ("graph",),
        ("graph", 0),
        ("graph", 0, "id"),
        ("graph", 0, "name"),
        ("graph", 0, "kind"),
        ("graph", 0, "attrs"),
        ("graph", 0, "attrs", "alpha"),
        ("graph", 0, "attrs", "alpha", "type"),
        ("graph", 0, "attrs", "alpha", "value"),
        ("graph", 0, "inputs"),
        ("graph", 0, "inputs", 0),
        ("graph", 0, "inputs", 0, "id"),
        ("graph", 0, "inputs", 0, "dtype"),
        ("graph", 0, "inputs", 0, "shape"),
        ("graph", 0, "inputs", 0, "stride"),
        ("graph", 0, "inputs", 0, "layout_type"),
        ("graph", 0, "inputs", 0, "property_type"),
    ]
    for path in paths:
        doc = copy.deepcopy(CHAIN)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        try:
            graph = pygraph.loads(json.dumps(doc))
        except io.GraphFileError as error:
            assert error.problems
        else:  # only values that happen to be valid there
            assert graph.is_finalized


def test_partitioning_dump_annotations_get_a_hint():
    """oneDNN's graph-<id>-partitioning.json adds partition_id and backend
    attributes to every op; LeakyReLU's schema has neither."""

    def change(d):
        d["graph"][0]["attrs"]["partition_id"] = {"type": "string", "value": "0"}
        d["graph"][0]["attrs"]["backend"] = {"type": "string", "value": "dnnl_backend"}

    (found,) = io.validates(mutated(change))
    assert found.path == "graph[0].attrs.partition_id"
    assert found.message.endswith("load the graph-<id>.json dump instead")
    # Foreign ops keep such attributes like any other.
    doc = json.loads(mutated(change))
    doc["graph"][0]["kind"] = "ReLU"
    doc["graph"][0]["attrs"].pop("alpha")
    assert io.validates(json.dumps(doc)) == []
