"""Graph: ops joined by logical tensor ids, validated, finalized, partitioned.

Every check of SPEC §3 "Graph and partitions" (schemas, duplicate ids,
double producers, conflicting tensor descriptions, cycles, state) runs in
the native library; its message reaches the exception unchanged.
"""

from __future__ import annotations

from typing import Union

from ._binding import Handle, check, ffi, lib, to_uint64
from .enums import EngineKind, PartitionPolicy
from .errors import InvalidArgumentsError
from .op import Op
from .partition import Partition, PortLabels

__all__ = ["Graph"]


class Graph(Handle):
    """A graph of ops for engines of `engine_kind`: ``Graph(engine_kind="cpu")``.

    Build it with :meth:`add_op`, freeze it with :meth:`finalize`, then split
    it with :meth:`get_partitions`.  Not synchronised: do not change one
    graph from two threads at once.
    """

    __slots__ = ("_engine_kind", "_ops", "_output_ids", "_finalized", "__dict__")
    _what = "graph"

    def __init__(self, engine_kind: Union[EngineKind, str] = "cpu") -> None:
        kind = EngineKind.coerce(engine_kind, "Graph: engine_kind")
        out = ffi.new("pygraph_graph **")
        check(lib.pygraph_graph_create(out, kind))
        super().__init__(out[0], lib.pygraph_graph_destroy)
        self._engine_kind = kind
        self._ops: list[Op] = []
        self._output_ids: list[int] = []
        self._finalized = False

    @property
    def engine_kind(self) -> EngineKind:
        """The engine kind the graph was created for."""
        return self._engine_kind

    def add_op(self, op: Op) -> "Graph":
        """Validate `op` against its schema and the graph, then add a copy of it.

        Raises :class:`~pygraph.InvalidGraphOpError` (attributes, port
        counts), :class:`~pygraph.InvalidDataTypeError` (type constraints)
        or :class:`~pygraph.InvalidGraphError` (duplicate op id, second
        producer, conflicting tensor description, cycle, finalized graph);
        a failed add changes nothing.  Returns self.
        """
        if not isinstance(op, Op):
            raise InvalidArgumentsError(f"Graph.add_op: expected an Op; got {type(op).__name__}")
        check(lib.pygraph_graph_add_op(self._handle, op._handle))
        self._ops.append(op._snapshot())
        return self

    def mark_output(self, tensor_id: int) -> "Graph":
        """Declare tensor `tensor_id` an output of the graph (a fused chain ends
        there), as a graph file's ``output_ports`` does.  Before finalize."""
        tid = to_uint64(tensor_id, "Graph.mark_output: tensor id")
        check(lib.pygraph_graph_mark_output(self._handle, tid))
        if tid not in self._output_ids:
            self._output_ids.append(tid)
        return self

    def finalize(self) -> "Graph":
        """Check the graph as a whole and freeze it (idempotent).  Returns self."""
        check(lib.pygraph_graph_finalize(self._handle))
        self._finalized = True
        return self

    @property
    def is_finalized(self) -> bool:
        """Whether :meth:`finalize` has succeeded."""
        finalized = ffi.new("int *")
        check(lib.pygraph_graph_is_finalized(self._handle, finalized))
        return bool(finalized[0])

    @property
    def ops(self) -> list[Op]:
        """Read-only snapshots of the ops added, in the order they were added."""
        return list(self._ops)

    @property
    def output_ids(self) -> list[int]:
        """The tensor ids declared with :meth:`mark_output`, in order."""
        return list(self._output_ids)

    def get_partitions(self, policy: Union[PartitionPolicy, str] = "fusion") -> list[Partition]:
        """The partitions under `policy` ("fusion" or "debug"), in topological order.

        Before :meth:`finalize` this is :class:`~pygraph.InvalidGraphError`
        (the message says to call finalize()).
        """
        chosen = PartitionPolicy.coerce(policy, "Graph.get_partitions: policy")
        handle = self._handle
        count = ffi.new("size_t *")
        check(lib.pygraph_graph_get_partition_num(handle, chosen, count))
        parts = ffi.new("pygraph_partition *[]", max(count[0], 1))
        check(lib.pygraph_graph_get_partitions(handle, chosen, count[0], parts))
        owned = [ffi.gc(parts[i], lib.pygraph_partition_destroy) for i in range(count[0])]
        labels = PortLabels(self._ops)
        return [Partition._adopt(ptr, labels) for ptr in owned]

    def to_json(self) -> str:
        """The graph as oneDNN graph JSON text (see :func:`pygraph.dump`)."""
        from . import io

        return io.to_json(self)

    def __repr__(self) -> str:
        if self.closed:
            return "Graph(closed)"
        state = "finalized" if self._finalized else "open"
        return f"Graph(engine_kind='{self._engine_kind}', ops={len(self._ops)}, {state})"
