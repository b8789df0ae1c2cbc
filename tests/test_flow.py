"""The oneDNN graph flow end to end, as a user writes it (SPEC §3): build,
finalize, partition, compile, execute — with the objects, enums and
properties SPEC §3 lists."""

from __future__ import annotations

import numpy as np

import pygraph


def test_the_onednn_flow():
    engine = pygraph.Engine(kind="cpu", index=0)
    stream = pygraph.Stream(engine)

    src = pygraph.LogicalTensor(0, pygraph.DataType.f32, (2, 3), pygraph.LayoutType.strided)
    mid = pygraph.LogicalTensor(1, "f32", (2, 3))
    dst = pygraph.LogicalTensor(2, "f32", (-1, -1), "any")
    first = pygraph.Op(0, pygraph.OpKind.LeakyReLU, [src], [mid], name="relu0").set_attr("alpha", 0.5)
    second = pygraph.Op(1, "LeakyReLU", name="relu1", attrs={"alpha": 0.4})
    second.add_input(mid)
    second.add_output(dst)
    end = pygraph.Op(2, "End", [dst], [])

    graph = pygraph.Graph(engine_kind="cpu")
    for op in (first, second, end):
        graph.add_op(op)
    graph.finalize()
    assert graph.is_finalized

    partitions = graph.get_partitions(policy="fusion")
    assert [p.is_supported() for p in partitions] == [True, False]
    fused = partitions[0]
    assert fused.ops == (0, 1)
    assert [lt.id for lt in fused.input_ports] == [0] and [lt.id for lt in fused.output_ports] == [2]

    compiled = fused.compile(fused.input_ports, fused.output_ports, engine)
    out_desc = compiled.query_logical_tensor(2)
    assert out_desc.shape == (2, 3) and out_desc.strides == (3, 1)
    assert compiled.inplace_ports == [(0, 2)]

    x = np.array([[-1, 4, -8], [2, -5, 9]], np.float32)
    y = np.empty(out_desc.shape, np.float32)
    compiled.execute(stream, [pygraph.Tensor(src, engine, x)], [pygraph.Tensor(out_desc, engine, y)])
    stream.wait()
    expected = np.where(x >= 0, x, np.float32(0.4) * (np.float32(0.5) * x)).astype(np.float32)
    assert np.array_equal(y, expected)

    assert np.array_equal(compiled(x), expected)  # the convenience forms
    assert np.array_equal(pygraph.leaky_relu(pygraph.leaky_relu(x, 0.5), 0.4), expected)


def test_every_object_has_a_useful_repr():
    engine = pygraph.Engine()
    stream = pygraph.Stream(engine)
    lt = pygraph.LogicalTensor(0, "f32", (2,))
    op = pygraph.Op(0, "LeakyReLU", [lt], [pygraph.LogicalTensor(1, "f32", (2,))], attrs={"alpha": 0.5})
    graph = pygraph.Graph()
    graph.add_op(op)
    graph.finalize()
    (partition,) = graph.get_partitions()
    compiled = partition.compile(partition.input_ports, partition.output_ports, engine)
    tensor = pygraph.Tensor(lt, engine, np.zeros(2, np.float32))
    texts = {
        "Engine": repr(engine),
        "Stream": repr(stream),
        "LogicalTensor": repr(lt),
        "Op": repr(op),
        "Graph": repr(graph),
        "Partition": repr(partition),
        "CompiledPartition": repr(compiled),
        "Tensor": repr(tensor),
    }
    assert texts["Engine"] == "Engine(kind='cpu', index=0)"
    assert texts["Stream"] == "Stream(Engine(kind='cpu', index=0))"
    for name, text in texts.items():
        assert text.startswith(name + "("), text
        assert "object at 0x" not in text
