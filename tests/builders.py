"""Small builders the tests share: one-op and chain graphs, compiled for arrays."""

from __future__ import annotations

from typing import Sequence

import numpy as np

import pygraph


def chain_graph(dtype: str, shape, alphas: Sequence[float], first_tensor_id: int = 0) -> tuple:
    """A finalized graph of LeakyReLU ops chained src -> t1 -> ... -> dst.

    Returns (graph, tensor logical tensors in order)."""
    graph = pygraph.Graph()
    tensors = [pygraph.LogicalTensor(first_tensor_id + i, dtype, shape) for i in range(len(alphas) + 1)]
    for i, alpha in enumerate(alphas):
        graph.add_op(pygraph.Op(i, "LeakyReLU", [tensors[i]], [tensors[i + 1]], name=f"relu{i}", attrs={"alpha": alpha}))
    graph.finalize()
    return graph, tensors


def compile_for(x: np.ndarray, alphas: Sequence[float], out: np.ndarray | None = None, engine=None):
    """A compiled fused chain for exactly x's layout (and out's, else layout any)."""
    src = pygraph.LogicalTensor.from_array(0, x)
    graph = pygraph.Graph()
    n = len(alphas)
    for i, alpha in enumerate(alphas):
        op_src = src if i == 0 else pygraph.LogicalTensor(i, src.dtype, x.shape)
        op_dst = pygraph.LogicalTensor(i + 1, src.dtype, x.shape)
        graph.add_op(pygraph.Op(i, "LeakyReLU", [op_src], [op_dst], attrs={"alpha": alpha}))
    graph.finalize()
    (partition,) = graph.get_partitions()
    dst = (
        pygraph.LogicalTensor(n, src.dtype, x.shape, "any")
        if out is None
        else pygraph.LogicalTensor.from_array(n, out)
    )
    return partition.compile([src], [dst], engine)
