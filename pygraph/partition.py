"""Partition and CompiledPartition (SPEC §3, "Compile" and "Execute").

A CompiledPartition precomputes, once, everything a call needs: the
compiled ports, their NumPy dtypes, shapes and byte strides.  A call with
plain NumPy arrays then checks (dtype, shape, strides) against those
cached values and passes bare data pointers to the library — for
``cp(x, out=y)``, through one hand-written C call (``run_unary`` in
``_native_init.c``); anything that does not match exactly takes the
general path, where the native library compares every port and words the
error.  The GIL is released during execution: by cffi on every call, by
run_unary on calls that write at least RELEASE_GIL_MIN_BYTES (a smaller
one is done sooner than the GIL changes hands).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

import numpy as np

from . import _native as _native_module
from ._binding import Handle, check, ffi, lib, to_uint64
from .arrays import as_ndarray, data_type_of, element_strides, address_of, numpy_dtype
from .engine import Engine, Stream, default_engine, default_stream
from .errors import InvalidArgumentsError
from .logical_tensor import LogicalTensor
from .schema import port_name
from .tensor import Tensor, _strides_agree

__all__ = ["Partition", "CompiledPartition", "PortLabels"]

ArrayOrTensor = Any  # a Tensor or anything with the buffer protocol / __array_interface__ / __dlpack__


class PortLabels:
    """Names tensor ids after the ops that use them, for error messages:
    ``'src of op 0 (LeakyReLU "relu0")'`` (the native messages' wording).
    Built from a graph's ops."""

    __slots__ = ("_consumers", "_producers")

    def __init__(self, ops: Sequence[Any]) -> None:
        self._consumers: dict[int, list[tuple[int, str]]] = {}
        self._producers: dict[int, list[tuple[int, str]]] = {}
        for op in ops:
            kind = op.kind.value
            where = f'op {op.id} ({kind} "{op.name}")'
            for index, lt in enumerate(op.inputs):
                self._consumers.setdefault(lt.id, []).append((op.id, f"{port_name(kind, 'input', index)} of {where}"))
            for index, lt in enumerate(op.outputs):
                self._producers.setdefault(lt.id, []).append((op.id, f"{port_name(kind, 'output', index)} of {where}"))

    def label(self, direction: str, index: int, tensor_id: int, op_ids: Sequence[int] = ()) -> str:
        """``'input 0 (tensor 1: src of op 0 (LeakyReLU "relu0"))'``."""
        users = (self._consumers if direction == "input" else self._producers).get(tensor_id, [])
        inside = [text for op_id, text in users if op_id in op_ids] or [text for _, text in users]
        detail = f": {inside[0]}" if inside else ""
        return f"{direction} {index} (tensor {tensor_id}{detail})"



def _read_ports(getter: Any, ptr: Any) -> tuple[LogicalTensor, ...]:
    count = ffi.new("size_t *")
    ports = ffi.new("const pygraph_logical_tensor **")
    check(getter(ptr, count, ports))
    return tuple(LogicalTensor._from_struct(ports[0] + i) for i in range(count[0]))


class Partition(Handle):
    """A part of a finalized graph: a fused LeakyReLU chain (supported) or one
    op the host framework runs itself (unsupported).  Made by
    :meth:`Graph.get_partitions`; independent of its graph afterwards."""

    __slots__ = ("_labels", "_ops_cache", "_inputs_cache", "_outputs_cache")
    _what = "partition"
    _labels: PortLabels
    _ops_cache: tuple[int, ...]
    _inputs_cache: tuple[LogicalTensor, ...]
    _outputs_cache: tuple[LogicalTensor, ...]

    def __init__(self) -> None:
        raise InvalidArgumentsError("Partition objects come from Graph.get_partitions()")

    @classmethod
    def _adopt(cls, owned_ptr: Any, labels: PortLabels) -> "Partition":
        self = cls.__new__(cls)
        self._ptr = owned_ptr  # already under ffi.gc
        self._labels = labels
        handle = self._ptr
        count = ffi.new("size_t *")
        op_ids = ffi.new("const uint64_t **")
        check(lib.pygraph_partition_get_ops(handle, count, op_ids))
        self._ops_cache = tuple(int(op_ids[0][i]) for i in range(count[0]))
        self._inputs_cache = _read_ports(lib.pygraph_partition_get_input_ports, handle)
        self._outputs_cache = _read_ports(lib.pygraph_partition_get_output_ports, handle)
        return self

    @property
    def id(self) -> int:
        """The partition's position in the graph's topological order."""
        value = ffi.new("size_t *")
        check(lib.pygraph_partition_get_id(self._handle, value))
        return int(value[0])

    def is_supported(self) -> bool:
        """True for a partition pygraph compiles (a LeakyReLU chain)."""
        supported = ffi.new("int *")
        check(lib.pygraph_partition_is_supported(self._handle, supported))
        return bool(supported[0])

    @property
    def ops(self) -> tuple[int, ...]:
        """The ids of the partition's ops, in execution order."""
        return self._ops_cache

    @property
    def input_ports(self) -> list[LogicalTensor]:
        """Tensors the partition consumes and does not produce, as described in the graph."""
        return list(self._inputs_cache)

    @property
    def output_ports(self) -> list[LogicalTensor]:
        """Tensors the partition produces that leave it, as described in the graph."""
        return list(self._outputs_cache)

    def compile(
        self,
        inputs: Sequence[LogicalTensor],
        outputs: Sequence[LogicalTensor],
        engine: Optional[Engine] = None,
    ) -> "CompiledPartition":
        """Compile for concrete shapes.

        `inputs` and `outputs` describe each port once (matched by id, any
        order).  Inputs need known dims and strides; outputs may leave dims
        unknown and use layout "any" (resolved to a dense layout in the
        src's stride order).  An unsupported partition is
        :class:`~pygraph.UnimplementedError`; a shape conflict
        :class:`~pygraph.InvalidShapeError` naming both shapes.
        """
        engine = default_engine() if engine is None else engine
        if not isinstance(engine, Engine):
            raise InvalidArgumentsError(f"Partition.compile: engine must be an Engine; got {type(engine).__name__}")
        c_inputs = _struct_array(inputs, "Partition.compile: inputs")
        c_outputs = _struct_array(outputs, "Partition.compile: outputs")
        out = ffi.new("pygraph_compiled_partition **")
        check(
            lib.pygraph_partition_compile(
                self._handle, out, len(inputs), c_inputs, len(outputs), c_outputs, engine._handle
            )
        )
        compiled = ffi.gc(out[0], lib.pygraph_compiled_partition_destroy)
        return CompiledPartition._adopt(compiled, self._labels, self._ops_cache)

    def __repr__(self) -> str:
        if self.closed:
            return "Partition(closed)"
        return (
            f"Partition(id={self.id}, supported={self.is_supported()}, ops={list(self._ops_cache)}, "
            f"inputs={[lt.id for lt in self._inputs_cache]}, outputs={[lt.id for lt in self._outputs_cache]})"
        )


def _struct_array(lts: Sequence[LogicalTensor], what: str) -> Any:
    if isinstance(lts, LogicalTensor) or not isinstance(lts, Sequence):
        raise InvalidArgumentsError(f"{what}: expected a list of LogicalTensor; got {type(lts).__name__}")
    array = ffi.new("pygraph_logical_tensor[]", max(len(lts), 1))
    for i, lt in enumerate(lts):
        if not isinstance(lt, LogicalTensor):
            raise InvalidArgumentsError(f"{what}[{i}]: expected a LogicalTensor; got {type(lt).__name__}")
        array[i] = lt._struct[0]
    return array


class _Port:
    """A compiled port and what a call checks an array against."""

    __slots__ = ("index", "id", "lt", "label", "dtype", "shape", "strides", "byte_strides", "contiguous", "mem_size")

    def __init__(self, index: int, lt: LogicalTensor, label: str) -> None:
        self.index, self.id, self.lt, self.label = index, lt.id, lt, label
        self.dtype = numpy_dtype(lt.dtype)
        shape, strides = lt.shape, lt.strides
        # compile resolves every dim and stride of every port
        assert shape is not None and strides is not None, f"compiled port {lt!r} is not concrete"
        self.shape: tuple[int, ...] = shape
        self.strides: tuple[int, ...] = strides
        itemsize = self.dtype.itemsize
        self.byte_strides = tuple(s * itemsize for s in self.strides)
        dense, running = [], 1
        for n in reversed(self.shape):
            dense.append(running)
            running *= n
        self.contiguous = _strides_agree(self.shape, self.strides, tuple(reversed(dense)))
        self.mem_size = lt.mem_size

    def matches(self, array: np.ndarray) -> bool:
        """Whether `array` has exactly this port's dtype, shape and strides."""
        if array.dtype != self.dtype or array.shape != self.shape:
            return False
        if array.strides == self.byte_strides:
            return True
        itemsize = self.dtype.itemsize
        if any(b % itemsize for b in array.strides):
            return False
        return _strides_agree(self.shape, tuple(b // itemsize for b in array.strides), self.strides)


class CompiledPartition(Handle):
    """A partition compiled for concrete shapes; call :meth:`execute` (or
    ``cp(x)`` / ``cp(x, out=y)``) any number of times, from any number of
    threads at once.  Independent of its graph, partition and engine."""

    __slots__ = (
        "_inputs", "_outputs", "_inplace", "_single", "_lean_shape", "_lean_dtype", "_stream_ptr",
        "_address", "_stream_address",
    )
    _what = "compiled partition"
    _inputs: tuple["_Port", ...]
    _outputs: tuple["_Port", ...]
    _inplace: list[tuple[int, int]]
    _single: bool
    _lean_shape: Optional[tuple[int, ...]]
    _lean_dtype: Optional[np.dtype]
    _stream_ptr: Any
    # The lean path's arguments to run_unary: the native addresses as ints
    # (converted once here, not per call); _address is 0 once closed.
    _address: int
    _stream_address: int

    def __init__(self) -> None:
        raise InvalidArgumentsError("CompiledPartition objects come from Partition.compile()")

    @classmethod
    def _adopt(cls, owned_ptr: Any, labels: PortLabels, op_ids: Sequence[int]) -> "CompiledPartition":
        self = cls.__new__(cls)
        self._ptr = owned_ptr
        inputs = _read_ports(lib.pygraph_compiled_partition_get_input_ports, owned_ptr)
        outputs = _read_ports(lib.pygraph_compiled_partition_get_output_ports, owned_ptr)
        self._inputs = tuple(_Port(i, lt, labels.label("input", i, lt.id, op_ids)) for i, lt in enumerate(inputs))
        self._outputs = tuple(_Port(i, lt, labels.label("output", i, lt.id, op_ids)) for i, lt in enumerate(outputs))
        count = ffi.new("size_t *")
        pairs = ffi.new("const pygraph_inplace_pair **")
        check(lib.pygraph_compiled_partition_get_inplace_ports(owned_ptr, count, pairs))
        self._inplace = [(int(pairs[0][i].input_id), int(pairs[0][i].output_id)) for i in range(count[0])]
        self._single = len(self._inputs) == 1 and len(self._outputs) == 1
        # cp(x, out=y)'s lean path: one C-contiguous input and output of one
        # dtype, compared by shape and dtype and passed as bare pointers.
        # _lean_shape None (no array's shape equals it) turns the path off.
        self._lean_shape, self._lean_dtype = None, None
        if self._single and self._inputs[0].contiguous and self._outputs[0].contiguous:
            src, dst = self._inputs[0], self._outputs[0]
            if src.dtype == dst.dtype and src.shape == dst.shape:
                self._lean_shape, self._lean_dtype = src.shape, src.dtype
        self._stream_ptr = _default_stream_pointer()  # cp(x) runs on the default stream
        self._address = _address_of_pointer(owned_ptr)
        self._stream_address = _address_of_pointer(self._stream_ptr)
        return self

    def close(self) -> None:
        """Release the native object now (idempotent)."""
        self._address = 0  # first: the lean path then refuses, and the general path says "closed"
        super().close()

    # -- description ---------------------------------------------------------

    @property
    def inputs(self) -> list[LogicalTensor]:
        """The compiled input ports, in the order plain arrays are taken."""
        return [p.lt for p in self._inputs]

    @property
    def outputs(self) -> list[LogicalTensor]:
        """The compiled output ports, in the order plain arrays are taken."""
        return [p.lt for p in self._outputs]

    @property
    def inplace_ports(self) -> list[tuple[int, int]]:
        """(input id, output id) pairs that may share memory (LeakyReLU: (src, dst))."""
        return list(self._inplace)

    def query_logical_tensor(self, id: int) -> LogicalTensor:
        """The compiled (concrete) description of port `id`."""
        tensor_id = to_uint64(id, "CompiledPartition.query_logical_tensor: id")
        lt = ffi.new("pygraph_logical_tensor *")
        check(lib.pygraph_compiled_partition_query_logical_tensor(self._handle, tensor_id, lt))
        return LogicalTensor._from_struct(lt)

    # -- execution -----------------------------------------------------------

    def execute(
        self,
        stream: Optional[Stream],
        inputs: Sequence[ArrayOrTensor],
        outputs: Sequence[ArrayOrTensor],
    ) -> None:
        """Run on `inputs`, writing `outputs`.

        Each item is a :class:`Tensor` (matched to a port by its logical
        tensor id) or a plain array (bound to the port at its position in
        ``cp.inputs`` / ``cp.outputs``).  Everything is checked before any
        memory is written: every port present once, dtype, shape, strides,
        buffer size, writable outputs, no partial overlap between an output
        and any other tensor (exact in-place aliasing is allowed).  `stream`
        may be None for the default stream.
        """
        handle = self._ptr
        if handle is None:
            raise InvalidArgumentsError("compiled partition is closed")
        if stream is None:
            stream_ptr = self._stream_ptr
        elif type(stream) is Stream:
            stream_ptr = stream._handle
        else:
            stream_ptr = _stream_pointer(stream)  # a subclass, or the refusal
        if type(inputs) in _LISTS and type(outputs) in _LISTS and len(inputs) == 1 and len(outputs) == 1:
            # The two common unary calls, tried before anything general.
            x, out = inputs[0], outputs[0]
            if type(x) is Tensor and type(out) is Tensor and not out._readonly:
                # oneDNN's form: each Tensor built its native struct once,
                # and the library checks it against the port (and words
                # any mismatch), so nothing is checked twice.
                status = _execute_tensors(handle, stream_ptr, 1, x._struct, 1, out._struct)
                if status:
                    check(status)
                return
            if self._run_lean(stream_ptr, x, out):
                return
        if type(inputs) not in _LISTS:
            _check_sequence(inputs, "inputs")
        if type(outputs) not in _LISTS:
            _check_sequence(outputs, "outputs")
        # NumPy arrays laid out exactly as the compiled ports, any number.
        in_ports, out_ports = self._inputs, self._outputs
        if len(inputs) == len(in_ports) and len(outputs) == len(out_ports):
            pointers_in = _lean_pointers(inputs, in_ports, False)
            if pointers_in is not None:
                pointers_out = _lean_pointers(outputs, out_ports, True)
                if pointers_out is not None:
                    status = _execute_buffers(
                        handle, stream_ptr, len(pointers_in), pointers_in, len(pointers_out), pointers_out
                    )
                    if status:
                        check(status)
                    return
        self._execute_general(handle, stream_ptr, inputs, outputs)

    def _execute_general(self, handle: Any, stream_ptr: Any, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        keep_alive: list = []
        c_inputs = self._tensor_array(inputs, self._inputs, "input", False, keep_alive)
        c_outputs = self._tensor_array(outputs, self._outputs, "output", True, keep_alive)
        check(_execute_tensors(handle, stream_ptr, len(inputs), c_inputs, len(outputs), c_outputs))

    @staticmethod
    def _tensor_array(items: Sequence[Any], ports: tuple, direction: str, writable: bool, keep_alive: list) -> Any:
        array = ffi.new("pygraph_tensor[]", max(len(items), 1))
        for position, item in enumerate(items):
            if isinstance(item, Tensor):
                if writable and item.readonly:
                    raise InvalidArgumentsError(
                        f"execute: {direction} {position} (Tensor of logical tensor {item.logical_tensor.id}) "
                        "is read-only; an output must be writable"
                    )
                array[position] = item._struct[0]
                keep_alive.append(item)
                continue
            if position >= len(ports):
                raise InvalidArgumentsError(
                    f"execute: {direction} {position} is a plain array, which binds to the {direction} port at its "
                    f"position, but the compiled partition has {len(ports)} {direction} port(s)"
                )
            port = ports[position]
            ndarray = as_ndarray(item, f"execute: {port.label}")
            if writable and not ndarray.flags.writeable:
                raise InvalidArgumentsError(f"execute: {port.label} is read-only; an output must be writable")
            data_type = data_type_of(ndarray.dtype, f"execute: {port.label}")
            strides = element_strides(ndarray, f"execute: {port.label}")
            # The array's own description: the native checks compare it with
            # the compiled port and word any mismatch (one source of messages).
            described = ffi.new("pygraph_logical_tensor *")
            c_dims = ffi.new("int64_t[]", list(ndarray.shape) or [0])
            c_strides = ffi.new("int64_t[]", list(strides) or [0])
            check(
                lib.pygraph_logical_tensor_init_with_strides(
                    described, port.id, data_type, ndarray.ndim, c_dims, c_strides, lib.pygraph_property_type_variable
                )
            )
            array[position].desc = described[0]
            array[position].data = ffi.cast("void *", address_of(ndarray))
            keep_alive.append(ndarray)
        return array

    def __call__(self, x: Any, out: Any = None) -> Any:
        """``cp(x)`` / ``cp(x, out=y)`` for a one-input, one-output partition.

        Without `out`, a new NumPy array laid out as the compiled output
        is returned; with it, `out` is written (``out=x`` runs in place
        when the partition allows it) and returned.
        """
        shape = self._lean_shape
        # The lean path's checks, inlined and ordered for the common call (a
        # method call costs a tenth of a 100-element call).  dtypes are
        # compared by identity (NumPy's and ml_dtypes' are singletons); an
        # equal but distinct dtype, like anything else that does not match
        # exactly, takes the general path, which checks and words it.
        # Strides need no check: run_unary takes only C-contiguous buffers,
        # and those agree with the (dense) compiled strides wherever strides
        # matter.
        if type(x) is _ndarray and x.shape == shape:
            dtype = self._lean_dtype
            if out is None:
                out = _empty(shape, dtype)
            if x.dtype is dtype and (
                x is out  # in place: one array, checked once
                or (type(out) is _ndarray and out.shape == shape and out.dtype is dtype)
            ):
                status = _run_unary(self._address, self._stream_address, x, out)
                if status == 0:
                    return out
                if status is not None:
                    check(status)
                # None: closed, read-only out or not C-contiguous — the
                # general path words it.
        if not self._single:
            raise InvalidArgumentsError(
                f"cp(x) needs a compiled partition with one input and one output; this one has "
                f"{len(self._inputs)} input(s) and {len(self._outputs)} output(s): use execute()"
            )
        if out is None:
            out = self._new_output(self._outputs[0])
        self.execute(None, [x], [out])
        return out

    def _run_lean(self, stream_ptr: Any, x: Any, out: Any) -> bool:
        """Execute on one C-contiguous NumPy input and output of the compiled
        dtype and shape through run_unary; False (nothing done) for anything
        else, which the general path then checks and words."""
        shape, dtype = self._lean_shape, self._lean_dtype
        if not (
            type(x) is _ndarray
            and type(out) is _ndarray
            and x.shape == shape
            and out.shape == shape
            and x.dtype is dtype
            and out.dtype is dtype
        ):
            return False
        stream_address = self._stream_address if stream_ptr is self._stream_ptr else _address_of_pointer(stream_ptr)
        status = _run_unary(self._address, stream_address, x, out)
        if status is None:
            return False
        check(status)
        return True

    @staticmethod
    def _new_output(port: _Port) -> np.ndarray:
        if port.contiguous:
            return np.empty(port.shape, port.dtype)
        itemsize = port.dtype.itemsize
        lowest = 0 if 0 in port.shape else sum(s * (n - 1) for n, s in zip(port.shape, port.strides) if s < 0)
        buffer = np.empty(port.mem_size, np.uint8)
        return np.ndarray(port.shape, port.dtype, buffer, -lowest * itemsize, port.byte_strides)

    def __repr__(self) -> str:
        if self.closed:
            return "CompiledPartition(closed)"
        ports = lambda ps: ", ".join(f"{p.id}: {p.lt.dtype} {p.shape} strides {p.strides}" for p in ps)  # noqa: E731
        return f"CompiledPartition(inputs=[{ports(self._inputs)}], outputs=[{ports(self._outputs)}])"


_ndarray = np.ndarray
_LISTS = (list, tuple)  # what execute() takes without a further check
_empty = np.empty
_from_buffer = ffi.from_buffer
# from_buffer's keyword argument costs more than the rest of the call:
# _lean_pointers passes (type, buffer, require_writable) positionally.
_BYTES = ffi.typeof("char[]")
_execute_buffers = lib.pygraph_compiled_partition_execute_buffers
_execute_tensors = lib.pygraph_compiled_partition_execute
# cp(x, out=y)'s call: the hand-written C function in _native_init.c (one
# call from Python, where cffi's route takes three: two from_buffer and the
# call).
_run_unary = _native_module.run_unary
_default_stream_cache: list = []


def _address_of_pointer(pointer: Any) -> int:
    return int(ffi.cast("uintptr_t", pointer))


def _default_stream_pointer() -> Any:
    if not _default_stream_cache:
        _default_stream_cache.append(default_stream()._ptr)
    return _default_stream_cache[0]


def _stream_pointer(stream: Any) -> Any:
    if not isinstance(stream, Stream):
        raise InvalidArgumentsError(f"execute: stream must be a Stream or None; got {type(stream).__name__}")
    return stream._handle


def _check_sequence(items: Any, what: str) -> None:
    if isinstance(items, (Tensor, np.ndarray, str, bytes)) or not isinstance(items, Sequence):
        raise InvalidArgumentsError(f"execute: {what} must be a list; got {type(items).__name__}")


def _lean_pointers(items: Sequence[Any], ports: tuple, writable: bool) -> Optional[list]:
    """Data pointers when every item is a NumPy array laid out exactly as its
    port (dtype, shape, byte strides as compiled); None sends the call to
    the general path, which also words every refusal."""
    pointers = []
    for item, port in zip(items, ports):
        if type(item) is not _ndarray:
            return None
        if item.shape != port.shape or not (item.dtype is port.dtype or item.dtype == port.dtype):
            return None
        if item.strides != port.byte_strides and not port.matches(item):
            return None
        if writable and not item.flags.writeable:
            return None
        if port.contiguous and item.flags.c_contiguous:
            pointers.append(_from_buffer(_BYTES, item, writable))
        else:
            pointers.append(ffi.cast("void *", address_of(item)))
    return pointers
