"""Build a graph in Python, partition it, compile and execute the supported
partition, and check the result.

The graph stands for a piece of a model: a MatMul the host framework runs
itself (a Wildcard op that remembers its kind), then two LeakyReLU ops that
pygraph fuses into one partition, then End to mark the result as a graph
output:

    x, w --MatMul--> t2 --LeakyReLU(0.2)--> t3 --LeakyReLU(0.5)--> t4 --End

Run:  python examples/build_graph.py
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

import pygraph

BATCH, FEATURES, HIDDEN = 32, 64, 128


def build() -> pygraph.Graph:
    x = pygraph.LogicalTensor(0, "f32", (BATCH, FEATURES))
    w = pygraph.LogicalTensor(1, "f32", (FEATURES, HIDDEN), property_type="constant")
    t2 = pygraph.LogicalTensor(2, "f32", (BATCH, HIDDEN))
    t3 = pygraph.LogicalTensor(3, "f32", (BATCH, HIDDEN))
    t4 = pygraph.LogicalTensor(4, "f32", (BATCH, HIDDEN))

    graph = pygraph.Graph("cpu")
    graph.add_op(pygraph.Op(0, "Wildcard", [x, w], [t2], name="matmul", original_kind="MatMul"))
    graph.add_op(pygraph.Op(1, "LeakyReLU", [t2], [t3], name="act0", attrs={"alpha": 0.2}))
    graph.add_op(pygraph.Op(2, "LeakyReLU", [t3], [t4], name="act1", attrs={"alpha": 0.5}))
    graph.add_op(pygraph.Op(3, "End", [t4], [], name="end"))
    return graph.finalize()


def main() -> int:
    graph = build()
    partitions = graph.get_partitions()  # policy "fusion"
    for partition in partitions:
        kinds = [op.original_kind or str(op.kind) for op in graph.ops if op.id in partition.ops]
        print(f"partition {partition.id}: supported={partition.is_supported()} ops={list(partition.ops)} {kinds}")

    # The MatMul is the framework's job; here NumPy plays the framework.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, FEATURES), dtype=np.float32)
    w = rng.standard_normal((FEATURES, HIDDEN), dtype=np.float32)
    t2 = x @ w

    (fused,) = [p for p in partitions if p.is_supported()]
    engine = pygraph.Engine("cpu", 0)
    compiled = fused.compile(fused.input_ports, fused.output_ports, engine)
    t4 = np.empty((BATCH, HIDDEN), np.float32)
    compiled.execute(pygraph.Stream(engine), [t2], [t4])

    # The same two steps in NumPy: x if x >= 0 else alpha * x, in f32.
    expected = t2
    for alpha in (np.float32(0.2), np.float32(0.5)):
        expected = np.where(expected >= 0, expected, alpha * expected)
    if not np.array_equal(t4.view(np.uint32), expected.view(np.uint32)):
        print("FAILED: the fused partition differs from NumPy", file=sys.stderr)
        return 1
    print(f"fused partition {fused.id} ({len(fused.ops)} ops in one pass): bit-exact against NumPy")

    # The graph as a oneDNN graph file, and back.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "graph.json"
        pygraph.dump(graph, path)
        again = pygraph.load(path)
        same = again.to_json() == path.read_text()
    print(f"written as oneDNN graph JSON ({path.name}) and read back: {'identical' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
