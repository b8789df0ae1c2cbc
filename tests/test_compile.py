"""Partition.compile: shape inference, layout any, refusals, the compiled ports."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import pygraph
from pygraph import LogicalTensor

from builders import chain_graph


def single(dtype="f32", shape=(2, 3), alpha=0.5):
    graph, tensors = chain_graph(dtype, shape, [alpha])
    (partition,) = graph.get_partitions()
    return partition, tensors


def test_compile_with_known_shapes(engine):
    partition, (src, dst) = single()
    compiled = partition.compile([src], [dst], engine)
    assert compiled.inputs == [src] and compiled.outputs == [dst]
    assert compiled.query_logical_tensor(1) == dst
    assert compiled.inplace_ports == [(0, 1)]


def test_engine_defaults_to_cpu():
    partition, (src, dst) = single()
    assert partition.compile([src], [dst]).outputs == [dst]


def test_shape_inference_fills_unknown_output_dims_and_rank():
    partition, (src, _) = single(shape=(4, 5))
    for dst in (LogicalTensor(1, "f32", (-1, 5), "any"), LogicalTensor(1, "f32", None, "any"),
                LogicalTensor(1, "f32", (None, None))):
        out = partition.compile([src], [dst]).query_logical_tensor(1)
        assert out.shape == (4, 5) and out.strides == (5, 1) and out.layout_type is pygraph.LayoutType.strided


def test_layout_any_follows_the_src_stride_order():
    graph, _ = chain_graph("f32", (2, 3, 4), [0.5])
    (partition,) = graph.get_partitions()
    fortran = LogicalTensor(0, "f32", (2, 3, 4), strides=(1, 2, 6))
    assert partition.compile([fortran], [LogicalTensor(1, "f32", (2, 3, 4), "any")]).outputs[0].strides == (1, 2, 6)
    # |stride| decides the order; the dst is dense and positive
    reversed_rows = LogicalTensor(0, "f32", (2, 3, 4), strides=(-12, 4, 1))
    assert partition.compile([reversed_rows], [LogicalTensor(1, "f32", None, "any")]).outputs[0].strides == (12, 4, 1)
    # a broadcast (zero) stride sorts last; ties keep row-major order
    broadcast = LogicalTensor(0, "f32", (2, 3, 4), strides=(0, 1, 0))
    # (dim 1 outermost, then dims 0 and 2 in row-major order)
    assert partition.compile([broadcast], [LogicalTensor(1, "f32", None, "any")]).outputs[0].strides == (4, 8, 1)


def test_incompatible_output_shape_names_both_shapes():
    partition, (src, _) = single(shape=(2, 3))
    with pytest.raises(pygraph.InvalidShapeError) as info:
        partition.compile([src], [LogicalTensor(1, "f32", (2, 4))])
    message = str(info.value)
    assert "[2, 3]" in message and "[2, 4]" in message and "dst" in message and "src" in message


def test_inputs_need_concrete_shapes():
    graph, _ = chain_graph("f32", (-1, 3), [0.5])
    (partition,) = graph.get_partitions()
    with pytest.raises(pygraph.Error) as info:
        partition.compile([LogicalTensor(0, "f32", (-1, 3))], [LogicalTensor(1, "f32", (-1, 3), "any")])
    assert "input 0 (src)" in str(info.value) and "known shape" in str(info.value)
    # the graph left dims unknown; compile supplies them
    compiled = partition.compile([LogicalTensor(0, "f32", (7, 3))], [LogicalTensor(1, "f32", (-1, 3), "any")])
    assert compiled.outputs[0].shape == (7, 3)


def test_description_contradicting_the_graph_is_refused():
    partition, (src, dst) = single(dtype="f32")
    with pytest.raises(pygraph.Error):
        partition.compile([LogicalTensor(0, "bf16", (2, 3))], [LogicalTensor(1, "bf16", (2, 3))])


def test_every_port_exactly_once():
    partition, (src, dst) = single()
    with pytest.raises(pygraph.Error):
        partition.compile([], [dst])
    with pytest.raises(pygraph.Error):
        partition.compile([src, src], [dst])
    with pytest.raises(pygraph.InvalidArgumentsError):
        partition.compile(src, [dst])  # not a list
    with pytest.raises(pygraph.InvalidArgumentsError):
        partition.compile([np.zeros((2, 3), np.float32)], [dst])


def test_query_of_an_id_that_is_not_a_port():
    partition, (src, dst) = single()
    compiled = partition.compile([src], [dst])
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        compiled.query_logical_tensor(42)
    assert "42" in str(info.value)


def test_a_fused_chain_compiles_to_its_outer_ports():
    graph, tensors = chain_graph("bf16", (8,), [0.5, 0.25, 2.0])
    (partition,) = graph.get_partitions()
    compiled = partition.compile([tensors[0]], [LogicalTensor(3, "bf16", (8,), "any")])
    assert [lt.id for lt in compiled.inputs] == [0] and [lt.id for lt in compiled.outputs] == [3]
    assert compiled.inplace_ports == [(0, 3)]


def test_compiled_partition_outlives_graph_partition_and_engine():
    engine = pygraph.Engine()
    partition, (src, dst) = single(alpha=0.5)
    compiled = partition.compile([src], [dst], engine)
    partition.close()
    engine.close()
    del partition, engine
    gc.collect()
    x = np.array([[-2, 2, -4], [0, 1, -1]], np.float32)
    np.testing.assert_array_equal(compiled(x), [[-1, 2, -2], [0, 1, -0.5]])


def test_compiled_partition_repr_and_close():
    partition, (src, dst) = single()
    compiled = partition.compile([src], [dst])
    assert repr(compiled) == "CompiledPartition(inputs=[0: f32 (2, 3) strides (3, 1)], outputs=[1: f32 (2, 3) strides (3, 1)])"
    compiled.close()
    compiled.close()
    assert repr(compiled) == "CompiledPartition(closed)"
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        compiled(np.zeros((2, 3), np.float32))
    assert "compiled partition is closed" in str(info.value)
    with pytest.raises(pygraph.InvalidArgumentsError):
        pygraph.CompiledPartition()
