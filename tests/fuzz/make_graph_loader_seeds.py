"""Writes the committed seed corpus of fuzz_graph_loader.py.

Each seed is a graph file in oneDNN's JSON graph format (SPEC §5): working
graphs of every shape the loader must read (a single LeakyReLU, a fused
chain, branches, Wildcard ops standing for Convolution and friends, End,
output ports that cut a chain, unknown dims as INT64_MIN and -1, every
dtype) and files broken in one way each (a wrong type, a missing field, a
dangling port, a cycle, a duplicate id, absurd numbers), so the fuzzer starts
from inputs that reach every part of the loader and mutates outward.

    python3 tests/fuzz/make_graph_loader_seeds.py tests/fuzz/corpus/graph_loader

Needs nothing but the standard library.  Re-run it after changing a seed;
the files it writes are committed.
"""

from __future__ import annotations

import copy
import json
import pathlib
import sys

INT64_MIN = -(2**63)


def tensor(tid, shape, dtype="f32", stride=None, layout="strided", prop="undef"):
    if stride is None:
        stride = []
        step = 1
        for dim in reversed(shape):
            stride.insert(0, step)
            step *= max(dim, 1)
    return {
        "id": tid,
        "dtype": dtype,
        "shape": shape,
        "stride": stride,
        "layout_type": layout,
        "property_type": prop,
    }


def lrelu(op_id, src, dst, alpha=0.01, name=None):
    return {
        "id": op_id,
        "name": name or f"leaky_relu_{op_id}",
        "kind": "LeakyReLU",
        "attrs": {"alpha": {"type": "f32", "value": alpha}},
        "inputs": [src],
        "outputs": [dst],
    }


def graph_file(ops, input_ports, output_ports, version="3.5.0"):
    return {
        "version": version,
        "engine_kind": "cpu",
        "fpmath_mode": "strict",
        "fpmath_mode_apply_to_int": "false",
        "input_ports": input_ports,
        "output_ports": output_ports,
        "graph": ops,
    }


def valid_seeds():
    shape = [2, 3, 4]
    seeds = {}
    seeds["single_f32"] = graph_file([lrelu(0, tensor(0, shape), tensor(1, shape))], [0], [1])
    for dtype in ("bf16", "f16"):
        seeds[f"single_{dtype}"] = graph_file(
            [lrelu(0, tensor(0, shape, dtype), tensor(1, shape, dtype), alpha=0.25)], [0], [1]
        )
    seeds["chain_of_three"] = graph_file(
        [
            lrelu(0, tensor(0, shape), tensor(1, shape), 0.1),
            lrelu(1, tensor(1, shape), tensor(2, shape), -2.0),
            lrelu(2, tensor(2, shape), tensor(3, shape), 3.5),
        ],
        [0],
        [3],
    )
    seeds["chain_cut_by_output_port"] = copy.deepcopy(seeds["chain_of_three"])
    seeds["chain_cut_by_output_port"]["output_ports"] = [2, 3]
    seeds["branch"] = graph_file(
        [
            lrelu(0, tensor(0, shape), tensor(1, shape)),
            lrelu(1, tensor(1, shape), tensor(2, shape)),
            lrelu(2, tensor(1, shape), tensor(3, shape)),
        ],
        [0],
        [2, 3],
    )
    conv = {
        "id": 0,
        "name": "conv",
        "kind": "Convolution",
        "attrs": {
            "strides": {"type": "s64[]", "value": [1, 1]},
            "pads_begin": {"type": "s64[]", "value": [0, 0]},
            "pads_end": {"type": "s64[]", "value": [0, 0]},
            "dilations": {"type": "s64[]", "value": [1, 1]},
            "auto_pad": {"type": "string", "value": "None"},
            "groups": {"type": "s64", "value": 1},
            "data_format": {"type": "string", "value": "NCX"},
            "weights_format": {"type": "string", "value": "OIX"},
        },
        "inputs": [tensor(0, [1, 3, 8, 8]), tensor(1, [4, 3, 3, 3], prop="constant")],
        "outputs": [tensor(2, [1, 4, 6, 6])],
    }
    end = {"id": 2, "name": "end", "kind": "End", "attrs": {}, "inputs": [tensor(3, [1, 4, 6, 6])], "outputs": []}
    seeds["conv_lrelu_end"] = graph_file(
        [conv, lrelu(1, tensor(2, [1, 4, 6, 6]), tensor(3, [1, 4, 6, 6]), 0.2), end], [0, 1], [3]
    )
    quantize = {
        "id": 5,
        "name": "quant",
        "kind": "Quantize",
        "attrs": {
            "axis": {"type": "s64", "value": 1},
            "qtype": {"type": "string", "value": "per_tensor"},
            "scales": {"type": "f32[]", "value": [0.5]},
            "zps": {"type": "s64[]", "value": [0]},
        },
        "inputs": [tensor(1, shape)],
        "outputs": [tensor(2, shape, "u8")],
    }
    seeds["lrelu_then_quantize"] = graph_file([lrelu(4, tensor(0, shape), tensor(1, shape)), quantize], [0], [2])
    unknown = [INT64_MIN, 3, INT64_MIN]
    seeds["unknown_dims_int64_min"] = graph_file(
        [lrelu(0, tensor(0, unknown, stride=[INT64_MIN] * 3, layout="any"), tensor(1, unknown, stride=[INT64_MIN] * 3, layout="any"))],
        [0],
        [1],
    )
    minus_one = graph_file([lrelu(0, tensor(0, [-1, 4], layout="any"), tensor(1, [-1, 4], layout="any"))], [0], [1])
    for port in minus_one["graph"][0]["inputs"] + minus_one["graph"][0]["outputs"]:
        del port["stride"]  # layout any: no strides at all
    seeds["unknown_dims_minus_one"] = minus_one
    seeds["unknown_strides_minus_one"] = graph_file(
        [lrelu(0, tensor(0, [-1, 4], stride=[-1, -1], layout="any"), tensor(1, [-1, 4], stride=[-1, -1], layout="any"))],
        [0],
        [1],
    )
    seeds["strided_negative_zero"] = graph_file(
        [lrelu(0, tensor(0, [3, 4], stride=[-4, 0]), tensor(1, [3, 4], stride=[1, 3]))], [0], [1]
    )
    seeds["twelve_dims"] = graph_file(
        [lrelu(0, tensor(0, [1, 2] * 6, "f16"), tensor(1, [1, 2] * 6, "f16"))], [0], [1]
    )
    seeds["scalar_and_empty"] = graph_file(
        [
            lrelu(0, tensor(0, []), tensor(1, [])),
            lrelu(1, tensor(2, [0, 5]), tensor(3, [0, 5])),
        ],
        [0, 2],
        [1, 3],
    )
    # Non-finite f32 values are written as the strings "nan", "inf", "-inf"
    # (JSON has no literal for them).
    special = graph_file(
        [
            lrelu(0, tensor(0, shape), tensor(1, shape), "nan"),
            lrelu(1, tensor(1, shape), tensor(2, shape), "-inf"),
            lrelu(2, tensor(2, shape), tensor(3, shape), 1.401298464324817e-45),
            lrelu(3, tensor(3, shape), tensor(4, shape), 3.4028234663852886e38),
        ],
        [0],
        [4],
    )
    seeds["special_alphas"] = special
    seeds["empty_graph"] = graph_file([], [], [])
    seeds["old_version_no_fpmath"] = {
        "version": "3.0.0",
        "engine_kind": "cpu",
        "graph": [lrelu(7, tensor(70, [5]), tensor(71, [5]))],
    }
    every_dtype = []
    for index, dtype in enumerate(["s32", "s8", "u8", "boolean", "f8_e5m2", "f8_e4m3", "s4", "u4", "undef"]):
        every_dtype.append(
            {
                "id": 100 + index,
                "name": f"wild_{dtype}",
                "kind": "Wildcard",
                "attrs": {},
                "inputs": [tensor(200 + index, [2], dtype)],
                "outputs": [tensor(300 + index, [2], dtype)],
            }
        )
    seeds["wildcards_every_dtype"] = graph_file(every_dtype, [200 + i for i in range(9)], [300 + i for i in range(9)])
    return seeds


def broken_seeds(valid):
    base = valid["single_f32"]
    broken = {}

    def variant(name, change):
        doc = copy.deepcopy(base)
        change(doc)
        broken[name] = doc

    variant("alpha_as_string", lambda d: d["graph"][0]["attrs"]["alpha"].update(value="0.01"))
    variant("alpha_wrong_type", lambda d: d["graph"][0]["attrs"]["alpha"].update(type="s64"))
    variant("alpha_missing", lambda d: d["graph"][0]["attrs"].clear())
    variant("alpha_overflows_f32", lambda d: d["graph"][0]["attrs"]["alpha"].update(value=1e39))
    variant("unknown_attribute", lambda d: d["graph"][0]["attrs"].update(beta={"type": "f32", "value": 1.0}))
    variant("dtype_s32", lambda d: [t.update(dtype="s32") for t in d["graph"][0]["inputs"] + d["graph"][0]["outputs"]])
    variant("dtype_unknown_name", lambda d: d["graph"][0]["inputs"][0].update(dtype="f64"))
    variant("dtypes_differ", lambda d: d["graph"][0]["outputs"][0].update(dtype="bf16"))
    variant("two_inputs", lambda d: d["graph"][0]["inputs"].append(tensor(9, [2, 3, 4])))
    variant("no_outputs", lambda d: d["graph"][0]["outputs"].clear())
    variant("shape_not_list", lambda d: d["graph"][0]["inputs"][0].update(shape="2x3"))
    variant("shape_floats", lambda d: d["graph"][0]["inputs"][0].update(shape=[2.5, 3, 4]))
    variant("shape_huge", lambda d: d["graph"][0]["inputs"][0].update(shape=[2**62, 2**62, 4], stride=[1, 1, 1]))
    variant("shape_negative", lambda d: d["graph"][0]["inputs"][0].update(shape=[-5, 3, 4]))
    variant("thirteen_dims", lambda d: d["graph"][0]["inputs"][0].update(shape=[1] * 13, stride=[1] * 13))
    variant("stride_length_differs", lambda d: d["graph"][0]["inputs"][0].update(stride=[1]))
    variant("id_is_string", lambda d: d["graph"][0].update(id="zero"))
    variant("id_negative", lambda d: d["graph"][0]["inputs"][0].update(id=-3))
    variant("id_too_large", lambda d: d["graph"][0]["inputs"][0].update(id=2**64))
    variant("kind_missing", lambda d: d["graph"][0].pop("kind"))
    variant("layout_unknown", lambda d: d["graph"][0]["inputs"][0].update(layout_type="blocked"))
    variant("property_unknown", lambda d: d["graph"][0]["inputs"][0].update(property_type="sometimes"))
    variant("input_port_dangling", lambda d: d.update(input_ports=[42]))
    variant("output_port_not_int", lambda d: d.update(output_ports=["1"]))
    variant("engine_gpu", lambda d: d.update(engine_kind="gpu"))
    variant("graph_not_list", lambda d: d.update(graph={"0": d["graph"][0]}))
    variant("version_missing", lambda d: d.pop("version"))
    variant("tensor_conflict", lambda d: d["graph"].append(lrelu(1, tensor(1, [9, 9]), tensor(2, [9, 9]))))
    variant("duplicate_op_id", lambda d: d["graph"].append(lrelu(0, tensor(1, [2, 3, 4]), tensor(2, [2, 3, 4]))))
    variant("produced_twice", lambda d: d["graph"].append(lrelu(1, tensor(0, [2, 3, 4]), tensor(1, [2, 3, 4]))))
    variant("cycle", lambda d: d["graph"].append(lrelu(1, tensor(1, [2, 3, 4]), tensor(0, [2, 3, 4]))))
    return broken


def raw_seeds():
    # Text the JSON layer itself must survive: truncation, nesting, numbers
    # outside every integer type, a BOM, NaN literals and non-objects.
    return {
        "raw_truncated": '{"version": "3.5.0", "graph": [{"id": 0, "kind": "LeakyRe',
        "raw_deep_nesting": "[" * 5000 + "]" * 5000,
        "raw_big_number": '{"version": "3.5.0", "engine_kind": "cpu", "graph": [{"id": 1' + "0" * 400 + "}]}",
        "raw_not_object": "[1, 2, 3]",
        "raw_nan_literal": '{"version": "3.5.0", "engine_kind": "cpu", "graph": [], "input_ports": [NaN]}',
        "raw_bom": "\ufeff{}",
        "raw_empty": "",
    }


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUTPUT_DIR", file=sys.stderr)
        return 2
    out = pathlib.Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    valid = valid_seeds()
    documents = {**valid, **{f"bad_{k}": v for k, v in broken_seeds(valid).items()}}
    for name, doc in documents.items():
        (out / f"{name}.json").write_text(json.dumps(doc, indent=1, allow_nan=True) + "\n")
    for name, text in raw_seeds().items():
        (out / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(documents) + len(raw_seeds())} seeds to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
