"""Graph: schema validation at add_op, graph-level checks, finalize, partitions."""

from __future__ import annotations

import pytest

import pygraph
from pygraph import LogicalTensor, Op

from builders import chain_graph


def lt(i, dtype="f32", shape=(2, 3), **kw):
    return LogicalTensor(i, dtype, shape, **kw)


def relu(op_id, src, dst, alpha=0.5, name=None):
    return Op(op_id, "LeakyReLU", [src], [dst], name=name, attrs={"alpha": alpha})


def refused(graph, op, error, *words):
    before = len(graph.ops)
    with pytest.raises(error) as info:
        graph.add_op(op)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    assert len(graph.ops) == before
    return str(info.value)


def test_missing_required_attribute():
    refused(pygraph.Graph(), Op(4, "LeakyReLU", [lt(0)], [lt(1)], name="n4"), pygraph.InvalidGraphOpError,
            "alpha", "4", "LeakyReLU", "n4")


def test_wrong_number_of_inputs_and_outputs():
    refused(pygraph.Graph(), Op(1, "LeakyReLU", [lt(0), lt(2)], [lt(1)], attrs={"alpha": 1.0}),
            pygraph.InvalidGraphOpError, "input")
    refused(pygraph.Graph(), Op(1, "LeakyReLU", [lt(0)], [], attrs={"alpha": 1.0}),
            pygraph.InvalidGraphOpError, "output")
    refused(pygraph.Graph(), Op(1, "End", [lt(0)], [lt(1)]), pygraph.InvalidGraphOpError, "End")


def test_data_type_outside_the_constraint_and_mismatched_src_dst():
    refused(pygraph.Graph(), relu(0, lt(0, "u8"), lt(1, "u8")), pygraph.InvalidDataTypeError, "u8")
    message = refused(pygraph.Graph(), relu(0, lt(0, "f32"), lt(1, "bf16")), pygraph.InvalidDataTypeError)
    assert "f32" in message and "bf16" in message


def test_duplicate_op_id():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    refused(graph, relu(0, lt(1), lt(2)), pygraph.InvalidGraphError, "0")


def test_tensor_produced_twice():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    refused(graph, relu(1, lt(2), lt(1)), pygraph.InvalidGraphError, "1")


def test_incompatible_descriptions_of_one_tensor_id():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    refused(graph, relu(1, lt(1, shape=(3, 2)), lt(2, shape=(3, 2))), pygraph.InvalidGraphError)
    refused(graph, relu(1, lt(1, "bf16"), lt(2, "bf16")), pygraph.InvalidGraphError)
    # compatible: unknown dims and undef layout match anything
    graph.add_op(relu(1, LogicalTensor(1, "f32", (2, -1), "undef"), lt(2)))


def test_cycle():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    graph.add_op(relu(1, lt(1), lt(2)))
    with pytest.raises(pygraph.InvalidGraphError) as info:
        graph.add_op(relu(2, lt(2), lt(0)))
        graph.finalize()
    assert "cycle" in str(info.value)


def test_add_after_finalize_and_partitions_before_finalize():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    with pytest.raises(pygraph.InvalidGraphError) as info:
        graph.get_partitions()
    assert "finalize()" in str(info.value)
    assert not graph.is_finalized
    assert graph.finalize() is graph
    graph.finalize()  # idempotent
    assert graph.is_finalized
    refused(graph, relu(1, lt(1), lt(2)), pygraph.InvalidGraphError, "finalize")


def test_a_failed_add_changes_nothing():
    graph = pygraph.Graph()
    with pytest.raises(pygraph.InvalidGraphOpError):
        graph.add_op(Op(0, "LeakyReLU", [lt(0)], [lt(1)]))
    graph.add_op(relu(0, lt(0), lt(1)))  # the same id is still free
    graph.finalize()
    assert len(graph.get_partitions()) == 1


def test_fusion_makes_one_partition_of_a_chain_and_debug_one_per_op():
    graph, tensors = chain_graph("f32", (4,), [0.5, 2.0, -1.0])
    (fused,) = graph.get_partitions()
    assert fused.is_supported() and fused.ops == (0, 1, 2) and fused.id == 0
    assert [p.id for p in fused.input_ports] == [0] and [p.id for p in fused.output_ports] == [3]
    assert fused.input_ports[0] == tensors[0]
    debug = graph.get_partitions("debug")
    assert [p.ops for p in debug] == [(0,), (1,), (2,)]
    assert graph.get_partitions(pygraph.PartitionPolicy.debug)[1].input_ports == [tensors[1]]
    with pytest.raises(pygraph.InvalidArgumentsError):
        graph.get_partitions("fastest")


def test_a_branch_ends_the_chain():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    graph.add_op(relu(1, lt(1), lt(2)))
    graph.add_op(relu(2, lt(1), lt(3)))
    graph.finalize()
    parts = graph.get_partitions()
    assert sorted(p.ops for p in parts) == [(0,), (1,), (2,)]
    assert parts[0].ops == (0,)  # topological order: the producer first


def test_wildcard_and_end_are_unsupported_partitions_in_topological_order():
    graph = pygraph.Graph()
    graph.add_op(Op(10, "Wildcard", [lt(0)], [lt(1)], original_kind="Dequantize"))
    graph.add_op(relu(11, lt(1), lt(2)))
    graph.add_op(relu(12, lt(2), lt(3)))
    graph.add_op(Op(13, "Wildcard", [lt(3)], [lt(4)]))
    graph.add_op(Op(14, "End", [lt(4)], []))
    graph.finalize()
    parts = graph.get_partitions()
    assert [p.ops for p in parts] == [(10,), (11, 12), (13,), (14,)]
    assert [p.is_supported() for p in parts] == [False, True, False, False]
    assert [p.id for p in parts] == [0, 1, 2, 3]
    with pytest.raises(pygraph.UnimplementedError) as info:
        parts[0].compile(parts[0].input_ports, parts[0].output_ports)
    assert "support" in str(info.value)


def test_end_and_mark_output_end_a_fused_chain():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    graph.add_op(relu(1, lt(1), lt(2)))
    graph.add_op(relu(2, lt(2), lt(3)))
    assert graph.mark_output(1) is graph
    graph.finalize()
    assert graph.output_ids == [1]
    assert [p.ops for p in graph.get_partitions()] == [(0,), (1, 2)]
    other = pygraph.Graph()
    other.add_op(relu(0, lt(0), lt(1)))
    other.add_op(relu(1, lt(1), lt(2)))
    other.add_op(Op(2, "End", [lt(1)], []))
    other.finalize()
    assert [p.ops for p in other.get_partitions()] == [(0,), (1,), (2,)]


def test_mark_output_of_a_tensor_not_in_the_graph():
    graph = pygraph.Graph()
    graph.add_op(relu(0, lt(0), lt(1)))
    graph.mark_output(77)
    with pytest.raises(pygraph.InvalidGraphError) as info:
        graph.finalize()
    assert "77" in str(info.value)


def test_ops_are_snapshots_in_order():
    graph, _ = chain_graph("bf16", (3,), [0.1, 0.2])
    assert [op.id for op in graph.ops] == [0, 1]
    assert graph.ops[1].name == "relu1" and graph.ops[1].attrs["alpha"] == pytest.approx(0.2)


def test_partitions_outlive_their_graph():
    import gc

    graph, _ = chain_graph("f32", (3,), [0.5])
    (partition,) = graph.get_partitions()
    graph.close()
    del graph
    gc.collect()
    assert partition.is_supported() and partition.ops == (0,)


def test_graph_handle_lifecycle_and_repr():
    graph = pygraph.Graph("cpu")
    assert repr(graph) == "Graph(engine_kind='cpu', ops=0, open)"
    graph.add_op(relu(0, lt(0), lt(1)))
    graph.finalize()
    assert repr(graph) == "Graph(engine_kind='cpu', ops=1, finalized)"
    (partition,) = graph.get_partitions()
    assert repr(partition) == "Partition(id=0, supported=True, ops=[0], inputs=[0], outputs=[1])"
    with graph:
        pass
    assert graph.closed and repr(graph) == "Graph(closed)"
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        graph.finalize()
    assert "graph is closed" in str(info.value)
    with pytest.raises(pygraph.InvalidArgumentsError):
        graph.add_op("op")
    with pytest.raises(pygraph.InvalidArgumentsError):
        pygraph.Graph("tpu")
    with pytest.raises(pygraph.InvalidArgumentsError):
        pygraph.Partition()
