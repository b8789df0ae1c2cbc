"""Load a oneDNN graph dump and run it: pygraph runs its supported
partitions, "the framework" (here: NumPy) runs the rest.

A dump taken with ONEDNN_GRAPH_DUMP=graph contains the whole graph a
framework handed to oneDNN, e.g. an int8 block
Dequantize -> Convolution -> LeakyReLU -> Quantize.  pygraph loads every op
(the ones it does not implement become Wildcard ops that remember their
kind), partitions the graph, and compiles the LeakyReLU partitions.  This
script walks the partitions in their topological order: supported ones run
in pygraph, unsupported ones in the small NumPy stand-ins below (ops without
a stand-in produce random data).  Every pygraph result is checked against
NumPy.

Run:  python examples/run_dump.py [GRAPH.json]
      (default: examples/graphs/int8_conv_leaky_relu.json)
"""

import sys
from pathlib import Path

import ml_dtypes
import numpy as np

import pygraph

DEFAULT = Path(__file__).parent / "graphs" / "int8_conv_leaky_relu.json"
NUMPY_DTYPES = {
    "f32": np.float32,
    "bf16": ml_dtypes.bfloat16,
    "f16": np.float16,
    "s32": np.int32,
    "s8": np.int8,
    "u8": np.uint8,
    "boolean": np.bool_,
}


# --- the framework's side: NumPy versions of a few oneDNN ops ---------------


def dequantize(op, x):
    scale, zero_point = op.attrs["scales"][0], op.attrs["zps"][0]
    return ((x.astype(np.float32) - zero_point) * np.float32(scale)).astype(np.float32)


def quantize(op, x):
    scale, zero_point = op.attrs["scales"][0], op.attrs["zps"][0]
    dtype = NUMPY_DTYPES[str(op.outputs[0].dtype)]
    info = np.iinfo(dtype)
    return np.clip(np.rint(x / np.float32(scale)) + zero_point, info.min, info.max).astype(dtype)


def convolution(op, x, w, bias=None):
    """NCHW convolution with OIHW weights, stride 1, no padding (what the example uses)."""
    if list(op.attrs.get("strides", (1, 1))) != [1, 1] or any(op.attrs.get("pads_begin", (0, 0))):
        raise NotImplementedError("this stand-in only does stride 1 without padding")
    kernel_h, kernel_w = w.shape[2], w.shape[3]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_h, kernel_w), axis=(2, 3))
    y = np.einsum("nchwij,ocij->nohw", windows, w, optimize=True).astype(np.float32)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)


def matmul(op, a, b):
    return (a.astype(np.float32) @ b.astype(np.float32)).astype(a.dtype)


STAND_INS = {"Dequantize": dequantize, "Quantize": quantize, "Convolution": convolution, "MatMul": matmul}


def random_array(lt, rng):
    dtype = np.dtype(NUMPY_DTYPES[str(lt.dtype)])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, lt.shape, endpoint=True).astype(dtype)
    return rng.standard_normal(lt.shape).astype(dtype)


def main(argv) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    graph = pygraph.load(path)
    ops = {op.id: op for op in graph.ops}
    engine = pygraph.Engine("cpu", 0)
    stream = pygraph.Stream(engine)
    rng = np.random.default_rng(0)
    values = {}  # tensor id -> array

    def value_of(lt):
        if lt.id not in values:  # a graph input: random data stands for the real one
            values[lt.id] = random_array(lt, rng)
        return values[lt.id]

    for partition in graph.get_partitions():
        names = ", ".join(f"{ops[i].original_kind or ops[i].kind} '{ops[i].name}'" for i in partition.ops)
        if partition.is_supported():
            compiled = partition.compile(partition.input_ports, partition.output_ports, engine)
            inputs = [value_of(lt) for lt in compiled.inputs]
            outputs = [np.empty(lt.shape, NUMPY_DTYPES[str(lt.dtype)]) for lt in compiled.outputs]
            compiled.execute(stream, inputs, outputs)
            # NumPy check, op by op (rounding to the tensor's type after each).
            (x,) = inputs
            for op_id in partition.ops:
                alpha = np.float32(ops[op_id].attrs["alpha"])
                wide = x.astype(np.float32)
                x = np.where(wide >= 0, wide, alpha * wide).astype(x.dtype)
            if not np.array_equal(outputs[0].astype(np.float32), x.astype(np.float32), equal_nan=True):
                print(f"partition {partition.id} ({names}): FAILED, differs from NumPy", file=sys.stderr)
                return 1
            values.update((lt.id, array) for lt, array in zip(compiled.outputs, outputs))
            print(f"partition {partition.id}: pygraph ran {names}: matches NumPy")
            continue
        (op_id,) = partition.ops
        op = ops[op_id]
        kind = op.original_kind or str(op.kind)
        if kind == "End":
            print(f"partition {partition.id}: End marks tensor {op.inputs[0].id} as an output")
            continue
        stand_in = STAND_INS.get(kind)
        arguments = [value_of(lt) for lt in op.inputs]
        if stand_in is None:
            results = [random_array(lt, rng) for lt in op.outputs]
            print(f"partition {partition.id}: framework op {names}: no stand-in, random outputs")
        else:
            results = [stand_in(op, *arguments)]
            print(f"partition {partition.id}: framework ran {names} in NumPy")
        values.update((lt.id, array) for lt, array in zip(op.outputs, results))

    for tensor_id in pygraph.io.graph_ports(graph.ops, graph.output_ids)[1]:
        array = values[tensor_id]
        print(f"graph output {tensor_id}: {array.dtype}{list(array.shape)}, mean {array.astype(np.float64).mean():.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
