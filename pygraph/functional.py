"""The functional form: ``pygraph.leaky_relu(x, alpha, out=None)``.

Each call runs a compiled one-op partition taken from a bounded cache keyed
by everything the compilation depends on: dtypes, shapes and byte strides of
x and out, and alpha's f32 bits (for C-contiguous arrays the strides follow
from the shape and are left out of the key).  A hit costs a dict lookup and
a call; a call that repeats the latest dense hit skips the lookup.
"""

from __future__ import annotations

import struct
import threading
from typing import Any, Optional

import numpy as np

from .arrays import as_ndarray, data_type_of
from .errors import InvalidArgumentsError, InvalidDataTypeError
from .graph import Graph
from .logical_tensor import LogicalTensor
from .op import Op
from ._binding import check
from .partition import CompiledPartition, _empty, _ndarray, _run_unary
from .schema import schema

__all__ = ["leaky_relu", "clear_cache", "cache_size", "CACHE_LIMIT"]

#: Compiled partitions kept at most; the oldest is dropped first.
CACHE_LIMIT = 256

# key -> _cache_entry(compiled).  Two kinds of key: (dtype, shape, alpha)
# for C-contiguous x and out, (x dtype/shape/strides, out dtype/shape/
# strides or None, alpha) for every other layout.
_cache: dict[tuple, tuple] = {}
_cache_lock = threading.Lock()

# (dtype, shape, alpha, entry) of the latest call that hit a dense entry
# with a float alpha: a loop calling leaky_relu on one shape finds its
# entry by identity and equality tests (~0.07 us) instead of building and
# hashing the key (~0.14 us, an eighth of a 100-element call).  Replaced
# whole, never mutated, so a thread reads one consistent tuple.
_NO_LAST_HIT = (None, None, None, None)
_last_hit: tuple = _NO_LAST_HIT


def clear_cache() -> None:
    """Forget every cached compiled partition.  (A call running on another
    thread meanwhile may keep the one it uses as its latest hit.)"""
    global _last_hit
    with _cache_lock:
        _cache.clear()
        _last_hit = _NO_LAST_HIT


def cache_size() -> int:
    """How many compiled partitions are cached now."""
    return len(_cache)


def _alpha_key(alpha: Any) -> Any:
    # A float keys by value (cheap) unless value equality is not identity:
    # NaN never equals itself, and -0.0 == 0.0 though they give different
    # results; those key by their f32 bits.
    if type(alpha) is float and alpha == alpha and alpha != 0.0:
        return alpha
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise InvalidArgumentsError(f"leaky_relu: alpha must be a real number; got {type(alpha).__name__} {alpha!r}")
    try:
        return ("f32 bits", struct.unpack("=I", struct.pack("=f", float(alpha)))[0])
    except OverflowError:
        raise InvalidArgumentsError(f"leaky_relu: alpha {alpha!r} is finite but rounds to infinity in f32") from None


def _input_array(x: Any) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__array_interface__") or hasattr(x, "__dlpack__") or _has_buffer(x):
        return as_ndarray(x, "leaky_relu: x")
    # Lists, tuples and Python scalars become f32: there is no memory to
    # share, and f32 is the type LeakyReLU computes in.
    return np.asarray(x, dtype=np.float32)


def _has_buffer(x: Any) -> bool:
    try:
        memoryview(x)
    except TypeError:
        return False
    return True


def _supported_dtypes() -> list[str]:
    return list(schema("LeakyReLU")["type_constraints"]["T"])


def _compile(x: np.ndarray, alpha: Any, out: Optional[np.ndarray]) -> CompiledPartition:
    data_type = data_type_of(x.dtype, "leaky_relu: x")
    supported = _supported_dtypes()
    if data_type.name not in supported:
        raise InvalidDataTypeError(
            f"leaky_relu: x has data type {data_type} ({x.dtype}); LeakyReLU takes {', '.join(supported)}"
        )
    src = LogicalTensor.from_array(0, x)
    # Without out, the result is laid out as NumPy lays out a new array
    # like x (order "K": x's stride order, dense, reversed dims positive).
    dst = LogicalTensor.from_array(1, np.empty_like(x) if out is None else out)
    graph = Graph()
    graph.add_op(Op(0, "LeakyReLU", [src], [dst], name="leaky_relu", attrs={"alpha": alpha}))
    graph.finalize()
    (partition,) = graph.get_partitions()
    return partition.compile([src], [dst])


def leaky_relu(x: Any, alpha: float, out: Any = None) -> np.ndarray:
    """``dst = x if x >= 0 else alpha * x``, element by element, bit-exact (SPEC §2).

    `x`: an array of f32, bf16 (``ml_dtypes.bfloat16``) or f16 — NumPy,
    buffer protocol, ``__array_interface__`` or ``__dlpack__`` (a PyTorch
    CPU tensor), any strides, used in place; another dtype is
    :class:`~pygraph.InvalidDataTypeError`.  A list or Python scalar is
    converted to a new f32 array first.  `alpha`: any real number, rounded
    to f32.

    Without `out`, returns a new NumPy array of x's shape and dtype, laid out
    as ``numpy.empty_like(x)`` lays it out (order "K": dense, in x's stride
    order, reversed dims made positive).  With `out`, writes there and returns `out`; ``out=x``
    computes in place.  A partially overlapping `out` is refused.
    """
    global _last_hit
    if type(x) is not _ndarray:
        x = _input_array(x)
    # The common call: x and out C-contiguous, out of x's dtype and shape
    # (or none).  Its entry is keyed by (dtype, shape, alpha) alone: strides
    # need no key or check, as run_unary takes only C-contiguous
    # arrays (hashing the full key costs 0.15 us, a tenth of the call).
    # A float alpha equal to the last hit's is a nonzero non-NaN float too:
    # its own key.
    last_dtype, last_shape, last_alpha, entry = _last_hit
    if type(alpha) is float and x.dtype is last_dtype and alpha == last_alpha and x.shape == last_shape:
        key_alpha = alpha
    else:
        # (_alpha_key's first case, inlined: the common alpha costs no call)
        key_alpha = alpha if type(alpha) is float and alpha == alpha and alpha != 0.0 else _alpha_key(alpha)
        entry = _cache.get((x.dtype, x.shape, key_alpha))
        if entry is not None and entry[1] is not None and type(key_alpha) is float:
            _last_hit = (x.dtype, x.shape, key_alpha, entry)
    if entry is not None and entry[1] is not None:
        _, address, stream_address, dtype, shape = entry
        if out is None:
            target = _empty(shape, dtype)
        elif out is x or (type(out) is _ndarray and out.shape == shape and (out.dtype is dtype or out.dtype == dtype)):
            target = out
        else:
            target = None
        if target is not None:
            status = _run_unary(address, stream_address, x, target)
            if status == 0:
                return target
            if status is not None:
                check(status)
            # None: read-only or not C-contiguous — the general path below
    return _leaky_relu_general(x, alpha, key_alpha, out)


def _leaky_relu_general(x: np.ndarray, alpha: Any, key_alpha: Any, out: Any) -> np.ndarray:
    """Every other call: any layouts, a first call, and the refusals."""
    result = out
    if out is not None and type(out) is not _ndarray:
        out = as_ndarray(out, "leaky_relu: out")
    dense = x.flags.c_contiguous and (
        out is None or (out.flags.c_contiguous and out.shape == x.shape and out.dtype == x.dtype)
    )
    if dense:
        key = (x.dtype, x.shape, key_alpha)
    elif out is None:
        key = (x.dtype, x.shape, x.strides, None, None, None, key_alpha)
    else:
        key = (x.dtype, x.shape, x.strides, out.dtype, out.shape, out.strides, key_alpha)
    entry = _cache.get(key)
    if entry is None:
        entry = _cache_entry(_compile(x, alpha, out))
        with _cache_lock:
            while len(_cache) >= CACHE_LIMIT:
                del _cache[next(iter(_cache))]
            _cache[key] = entry
    compiled = entry[0]
    written = compiled(x, out)  # checks everything and words any refusal
    return written if result is None else result


def _cache_entry(compiled: CompiledPartition) -> tuple:
    """(compiled, address, stream address, dtype, shape): what a cached call
    passes to run_unary, with address None when the ports are not dense (the
    general path runs)."""
    if compiled._lean_shape is None:
        return (compiled, None, None, None, None)
    return (compiled, compiled._address, compiled._stream_address, compiled._lean_dtype, compiled._lean_shape)
