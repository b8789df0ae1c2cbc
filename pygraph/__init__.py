"""pygraph — a small, fast, exact oneDNN-style graph API for LeakyReLU.

The flow mirrors oneDNN's graph API::

    import numpy as np, pygraph

    src = pygraph.LogicalTensor(0, "f32", (2, 3))
    dst = pygraph.LogicalTensor(1, "f32", (2, 3))
    op = pygraph.Op(0, "LeakyReLU", [src], [dst], name="relu0", attrs={"alpha": 0.2})
    graph = pygraph.Graph("cpu")
    graph.add_op(op)
    graph.finalize()
    (partition,) = graph.get_partitions()
    engine = pygraph.Engine("cpu", 0)
    compiled = partition.compile([src], [dst], engine)
    x = np.array([[-1, 4, -8], [2, -5, 9]], np.float32)
    y = np.empty_like(x)
    compiled.execute(pygraph.Stream(engine), [x], [y])   # y == [[-0.2, 4, -1.6], [2, -1, 9]]

or, in one call, ``pygraph.leaky_relu(x, 0.2)``.

Layers: ``_native`` (cffi, generated from the C header) → ``_binding`` (call,
check the status, raise) → the classes below.
"""

from ._native import ffi as _ffi, lib as _lib
from .enums import DataType, EngineKind, LayoutType, OpKind, PartitionPolicy, PropertyType
from .errors import (
    Error,
    InvalidArgumentsError,
    InvalidDataTypeError,
    InvalidGraphError,
    InvalidGraphOpError,
    InvalidShapeError,
    OutOfMemoryError,
    UnimplementedError,
)
from .engine import Engine, Stream
from .logical_tensor import MAX_NDIMS, UNKNOWN_DIM, LogicalTensor
from .op import Op
from .graph import Graph
from .partition import CompiledPartition, Partition
from .tensor import Tensor
from .functional import leaky_relu
from .schema import list_schemas, schema
from .runtime import cpu_features, cpu_isa, get_num_threads, kernel_name, set_max_cpu_isa, set_num_threads
from .io import GraphFileError, Problem, dump, load, loads, validate, validates

#: The native library's version (also the package's).
__version__: str = _ffi.string(_lib.pygraph_version()).decode("ascii")

__all__ = [
    "__version__",
    # objects
    "Engine",
    "Stream",
    "LogicalTensor",
    "Op",
    "Graph",
    "Partition",
    "CompiledPartition",
    "Tensor",
    # enums
    "DataType",
    "LayoutType",
    "PropertyType",
    "EngineKind",
    "OpKind",
    "PartitionPolicy",
    # constants
    "MAX_NDIMS",
    "UNKNOWN_DIM",
    # errors
    "Error",
    "InvalidArgumentsError",
    "InvalidDataTypeError",
    "InvalidShapeError",
    "InvalidGraphOpError",
    "InvalidGraphError",
    "UnimplementedError",
    "OutOfMemoryError",
    # functions
    "leaky_relu",
    "schema",
    "list_schemas",
    "load",
    "loads",
    "dump",
    "validate",
    "validates",
    "Problem",
    "GraphFileError",
    "cpu_features",
    "cpu_isa",
    "set_max_cpu_isa",
    "kernel_name",
    "get_num_threads",
    "set_num_threads",
]
