"""What the benchmark measures: pygraph's ways to run LeakyReLU, the copy
limits, NumPy's formulations and PyTorch, each as a ready-to-call
Implementation over one Workload's buffers.

Data.  The input is x = ±2**u with u uniform in [-4, 4] and random signs:
no zeros, no NaN, and magnitudes far from the subnormal range.  Subnormal
operands make f32 multiplies take a slow microcode path on x86 CPUs, which
would measure the data instead of the code.  In place, every call multiplies
the negatives by alpha again, so in-place samples restore x from a pristine
copy, untimed, before every run of in_place_calls_per_restore(alpha) calls
(8 for alpha = 0.01), which keeps them normal in f32 and bf16.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import ml_dtypes
import numpy as np

from .report import one_thread_key
from .timing import Implementation

OUT_OF_PLACE = "out_of_place"
IN_PLACE = "in_place"
PLACEMENTS = (OUT_OF_PLACE, IN_PLACE)

DTYPES = {"f32": np.dtype(np.float32), "bf16": np.dtype(ml_dtypes.bfloat16), "f16": np.dtype(np.float16)}
# Unsigned integers of each element's width, for bit-pattern comparisons.
BITS = {"f32": np.uint32, "bf16": np.uint16, "f16": np.uint16}

IN_PLACE_CALLS_PER_RESTORE = 8  # at most; fewer when alpha shrinks values fast
INPUT_MIN_EXPONENT, INPUT_MAX_EXPONENT = -4.0, 4.0  # |x| in [2**-4, 2**4]
# Products stay above 2**-100, far from f32's subnormals (below 2**-126).
SAFE_MIN_EXPONENT = -100
ALIGNMENT = 64  # bytes: a cache line, and the widest vector


class Unavailable(Exception):
    """An implementation that cannot run here (library missing, API absent)."""


def aligned_empty(n: int, dtype: np.dtype, offset: int = 0) -> np.ndarray:
    """An uninitialised 1-d array of n elements starting `offset` bytes
    past a 64-byte boundary (NumPy only promises 16; its large arrays often
    start 16 bytes into a line, after malloc's header)."""
    nbytes = n * dtype.itemsize
    raw = np.empty(nbytes + 2 * ALIGNMENT, dtype=np.uint8)
    start = (-raw.ctypes.data) % ALIGNMENT + offset
    return raw[start : start + nbytes].view(dtype)


def make_input(n: int, dtype: np.dtype, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    magnitudes = np.exp2(rng.uniform(INPUT_MIN_EXPONENT, INPUT_MAX_EXPONENT, n)).astype(np.float32)
    signs = np.where(rng.random(n) < 0.5, np.float32(-1.0), np.float32(1.0))
    x = aligned_empty(n, dtype)
    np.copyto(x, magnitudes * signs, casting="unsafe")  # round to nearest even
    return x


def in_place_calls_per_restore(alpha: float) -> int:
    """How many in-place calls in a row keep every negative input normal:
    each call multiplies them by alpha."""
    shrink = -np.log2(abs(alpha)) if 0 < abs(alpha) < 1 else 0.0  # exponent lost per call
    if shrink == 0.0 or not np.isfinite(shrink):
        return IN_PLACE_CALLS_PER_RESTORE  # no shrinking (or straight to zero, which is not slow)
    calls = int((INPUT_MIN_EXPONENT - SAFE_MIN_EXPONENT) // shrink)
    return max(1, min(IN_PLACE_CALLS_PER_RESTORE, calls))


def reference_leaky_relu(x: np.ndarray, alpha: float) -> np.ndarray:
    """SPEC §2 evaluated independently with NumPy, for inputs without NaN:
    widen to f32, alpha * x in f32 for the negatives, round once to x's
    type."""
    wide = x.astype(np.float32)
    result = np.where(wide >= 0, wide, np.float32(alpha) * wide)
    return result.astype(x.dtype)


@dataclass
class Workload:
    """The buffers of one (dtype, n), allocated once and shared by every
    implementation and every round."""

    dtype_name: str
    n: int
    alpha: float
    x0: np.ndarray  # pristine input, never written after creation
    x: np.ndarray  # input of out-of-place calls; the buffer of in-place calls
    y: np.ndarray  # output of out-of-place calls
    _scratch: dict = field(default_factory=dict)
    # Objects prepared once per workload by a peer (e.g. oneDNN's primitive).
    prepared: dict = field(default_factory=dict)

    @classmethod
    def create(cls, dtype_name: str, n: int, alpha: float, seed: int, offset: int = 0) -> "Workload":
        """x and y start `offset` bytes past a cache line."""
        dtype = DTYPES[dtype_name]
        x0 = make_input(n, dtype, seed)
        x = aligned_empty(n, dtype, offset)
        np.copyto(x, x0)
        y = aligned_empty(n, dtype, offset)
        y.view(np.uint8).fill(0)  # touch every page now, not in a timed call
        return cls(dtype_name, n, alpha, x0, x, y)

    @property
    def dtype(self) -> np.dtype:
        return DTYPES[self.dtype_name]

    @property
    def nbytes(self) -> int:
        return self.n * self.dtype.itemsize

    def scratch(self, name: str, dtype: Any) -> np.ndarray:
        """A temporary of n elements for formulations that need one
        (allocated once, touched, reused)."""
        key = (name, np.dtype(dtype))
        if key not in self._scratch:
            buffer = aligned_empty(self.n, np.dtype(dtype))
            buffer.view(np.uint8).fill(0)
            self._scratch[key] = buffer
        return self._scratch[key]

    def restore(self) -> None:
        np.copyto(self.x, self.x0)

    def in_place_prepare(self) -> dict:
        return {"prepare": self.restore, "max_calls_per_prepare": in_place_calls_per_restore(self.alpha)}


# ---------------------------------------------------------------------------
# pygraph
# ---------------------------------------------------------------------------


class PygraphAccess:
    """The installed pygraph: its Python API where it exists and the C
    library through its cffi module for what the Python layer lacks."""

    def __init__(self) -> None:
        import pygraph
        from pygraph._native import ffi, lib

        self.pygraph, self.ffi, self.lib = pygraph, ffi, lib
        self._engine = self._stream = None

    def check(self, status: int, what: str) -> None:
        if status != 0:
            message = self.ffi.string(self.lib.pygraph_last_error_message()).decode()
            raise RuntimeError(f"{what} failed with status {status}: {message}")

    def set_num_threads(self, num_threads: int) -> None:
        setter = getattr(self.pygraph, "set_num_threads", None)
        if setter is not None:
            setter(num_threads)
        else:
            self.check(self.lib.pygraph_set_num_threads(num_threads), "pygraph_set_num_threads")

    def get_num_threads(self) -> int:
        value = self.ffi.new("int *")
        self.check(self.lib.pygraph_get_num_threads(value), "pygraph_get_num_threads")
        return int(value[0])

    def _static_string(self, function: Callable, *args: Any) -> str:
        out = self.ffi.new("const char **")
        self.check(function(*args, out), function.__name__)
        return self.ffi.string(out[0]).decode()

    def cpu_isa(self) -> str:
        return self._static_string(self.lib.pygraph_get_cpu_isa)

    def cpu_features(self) -> str:
        return self._static_string(self.lib.pygraph_get_cpu_features)

    def kernel_name(self, dtype_name: str) -> str:
        return self._static_string(self.lib.pygraph_get_kernel_name, self.data_type(dtype_name))

    def data_type(self, dtype_name: str) -> int:
        return getattr(self.lib, f"pygraph_data_type_{dtype_name}")

    def version(self) -> str:
        return getattr(self.pygraph, "__version__", None) or self.ffi.string(self.lib.pygraph_version()).decode()

    def engine_and_stream(self) -> tuple[Any, Any]:
        if self._engine is None:
            self._engine = self.pygraph.Engine("cpu", 0)
            self._stream = self.pygraph.Stream(self._engine)
        return self._engine, self._stream


@dataclass
class PygraphPrepared:
    """pygraph objects compiled for one Workload (compiling is not timed)."""

    compiled: Any = None  # pygraph.CompiledPartition, or None
    src_lt: Any = None
    dst_lt: Any = None
    python_error: Optional[str] = None
    native: Optional["NativeCompiledPartition"] = None
    native_error: Optional[str] = None


def compile_python(access: PygraphAccess, w: Workload) -> tuple[Any, Any, Any]:
    pg = access.pygraph
    engine, _ = access.engine_and_stream()
    src = pg.LogicalTensor(0, w.dtype_name, (w.n,))
    dst = pg.LogicalTensor(1, w.dtype_name, (w.n,))
    op = pg.Op(0, "LeakyReLU", inputs=[src], outputs=[dst], name="bench", attrs={"alpha": w.alpha})
    graph = pg.Graph("cpu")
    graph.add_op(op)
    graph.finalize()
    partitions = graph.get_partitions()
    if len(partitions) != 1 or not partitions[0].is_supported():
        raise RuntimeError(f"expected one supported partition, got {partitions!r}")
    return partitions[0].compile([src], [dst], engine), src, dst


class NativeCompiledPartition:
    """The same partition built through the C API alone: the floor under the
    Python layer (one cffi call per execution)."""

    def __init__(self, access: PygraphAccess, w: Workload) -> None:
        ffi, lib, check = access.ffi, access.lib, access.check
        self._keep = []  # cffi objects the handles' lifetimes depend on
        engine = ffi.new("pygraph_engine **")
        check(lib.pygraph_engine_create(engine, lib.pygraph_engine_kind_cpu, 0), "pygraph_engine_create")
        self.engine = ffi.gc(engine[0], lib.pygraph_engine_destroy)
        stream = ffi.new("pygraph_stream **")
        check(lib.pygraph_stream_create(stream, self.engine), "pygraph_stream_create")
        self.stream = ffi.gc(stream[0], lib.pygraph_stream_destroy)

        dims = ffi.new("int64_t[1]", [w.n])
        data_type = access.data_type(w.dtype_name)
        ports = []
        for tensor_id in (0, 1):
            lt = ffi.new("pygraph_logical_tensor *")
            check(
                lib.pygraph_logical_tensor_init(
                    lt, tensor_id, data_type, 1, dims, lib.pygraph_layout_type_strided,
                    lib.pygraph_property_type_variable,
                ),
                "pygraph_logical_tensor_init",
            )
            ports.append(lt)
        src, dst = ports

        op_out = ffi.new("pygraph_op **")
        check(lib.pygraph_op_create(op_out, 0, b"LeakyReLU", b"bench"), "pygraph_op_create")
        op = ffi.gc(op_out[0], lib.pygraph_op_destroy)
        check(lib.pygraph_op_set_attr_f32(op, b"alpha", w.alpha), "pygraph_op_set_attr_f32")
        check(lib.pygraph_op_add_input(op, src), "pygraph_op_add_input")
        check(lib.pygraph_op_add_output(op, dst), "pygraph_op_add_output")

        graph_out = ffi.new("pygraph_graph **")
        check(lib.pygraph_graph_create(graph_out, lib.pygraph_engine_kind_cpu), "pygraph_graph_create")
        graph = ffi.gc(graph_out[0], lib.pygraph_graph_destroy)
        check(lib.pygraph_graph_add_op(graph, op), "pygraph_graph_add_op")
        check(lib.pygraph_graph_finalize(graph), "pygraph_graph_finalize")
        num = ffi.new("size_t *")
        policy = lib.pygraph_partition_policy_fusion
        check(lib.pygraph_graph_get_partition_num(graph, policy, num), "pygraph_graph_get_partition_num")
        if num[0] != 1:
            raise RuntimeError(f"expected 1 partition, got {num[0]}")
        partitions = ffi.new("pygraph_partition *[1]")
        check(lib.pygraph_graph_get_partitions(graph, policy, 1, partitions), "pygraph_graph_get_partitions")
        partition = ffi.gc(partitions[0], lib.pygraph_partition_destroy)
        compiled = ffi.new("pygraph_compiled_partition **")
        check(
            lib.pygraph_partition_compile(partition, compiled, 1, src, 1, dst, self.engine),
            "pygraph_partition_compile",
        )
        self.compiled = ffi.gc(compiled[0], lib.pygraph_compiled_partition_destroy)
        self.access = access

    def call_for(self, src: np.ndarray, dst: np.ndarray) -> Callable[[], int]:
        ffi = self.access.ffi
        inputs = ffi.new("void *[1]", [ffi.cast("void *", src.ctypes.data)])
        outputs = ffi.new("void *[1]", [ffi.cast("void *", dst.ctypes.data)])
        self._keep.append((inputs, outputs))
        call = functools.partial(
            self.access.lib.pygraph_compiled_partition_execute_buffers,
            self.compiled, self.stream, 1, inputs, 1, outputs,
        )
        self.access.check(call(), "pygraph_compiled_partition_execute_buffers")
        return call


def prepare_pygraph(access: PygraphAccess, w: Workload) -> PygraphPrepared:
    prepared = PygraphPrepared()
    try:
        prepared.compiled, prepared.src_lt, prepared.dst_lt = compile_python(access, w)
    except Exception as error:  # the Python API may be incomplete: measure what exists
        prepared.python_error = f"{type(error).__name__}: {error}"
    try:
        prepared.native = NativeCompiledPartition(access, w)
    except Exception as error:
        prepared.native_error = f"{type(error).__name__}: {error}"
    return prepared


# With more than one thread, these pygraph implementations are measured a
# second time on one thread (report.one_thread_key), in the same rounds as
# the threaded calls: the baseline of the "vs 1 thread" figure.  A one-thread
# group measured seconds earlier may have met another phase of a shared
# machine (on the 2-vCPU Zen 4 VM, one-thread times of the same in-cache call
# moved by 1.6x between runs of a minute apart), and the ratio of two groups
# would then measure the machine, not the threads.
# Keys of the plain-array call and the functional form (the JSON's and the
# tables' names for them).
ARRAYS_KEY = "pygraph_arrays"
FUNCTIONAL_KEY = "pygraph_leaky_relu"
SCALED_KEYS = (ARRAYS_KEY, FUNCTIONAL_KEY)


def pygraph_implementations(
    access: PygraphAccess, prepared: PygraphPrepared, w: Workload, placement: str, threads: int
) -> tuple[list[Implementation], list[dict]]:
    """pygraph's four ways: compiled partition with Tensors, with plain
    arrays, the functional form, and the bare C call (the floor), each run on
    `threads` threads; with more than one, the SCALED_KEYS ones once more on
    one thread."""
    pg = access.pygraph
    in_place = placement == IN_PLACE
    dst = w.x if in_place else w.y
    out_text = "x" if in_place else "y"
    extra = w.in_place_prepare() if in_place else {}
    impls, skipped = [], []

    def on_threads(count: int) -> Callable[[], None]:
        return lambda: access.set_num_threads(count)

    def add(key: str, label: str, build: Callable[[], Callable[[], object]]) -> None:
        try:
            call = build()
            call()  # fails here, not in the middle of the rounds
        except Exception as error:
            skipped.append({"key": key, "label": label, "reason": f"{type(error).__name__}: {error}"})
            return
        impls.append(Implementation(key, label, "pygraph", call, before_sample=on_threads(threads), **extra))
        if threads > 1 and key in SCALED_KEYS:
            impls.append(Implementation(one_thread_key(key), f"{label} · 1 thread", "pygraph", call,
                                        before_sample=on_threads(1), **extra))

    def need_compiled() -> Any:
        if prepared.compiled is None:
            raise Unavailable(prepared.python_error)
        return prepared.compiled

    def tensors() -> Callable[[], object]:
        compiled = need_compiled()
        engine, stream = access.engine_and_stream()
        src_t = pg.Tensor(prepared.src_lt, engine, w.x)
        dst_t = pg.Tensor(prepared.dst_lt, engine, dst)
        return functools.partial(compiled.execute, stream, [src_t], [dst_t])

    def arrays() -> Callable[[], object]:
        return functools.partial(need_compiled(), w.x, out=dst)

    def functional() -> Callable[[], object]:
        return functools.partial(pg.leaky_relu, w.x, w.alpha, out=dst)

    def native() -> Callable[[], object]:
        if prepared.native is None:
            raise Unavailable(prepared.native_error)
        return prepared.native.call_for(w.x, dst)

    add("pygraph_tensor", "pygraph cp.execute(Tensor)", tensors)
    add(ARRAYS_KEY, f"pygraph cp(x, out={out_text})", arrays)
    add(FUNCTIONAL_KEY, f"pygraph leaky_relu(x, a, out={out_text})", functional)
    add("pygraph_c", "pygraph C execute_buffers (cffi)", native)
    return impls, skipped


# ---------------------------------------------------------------------------
# The copy limit
# ---------------------------------------------------------------------------


def load_copy_limit() -> tuple[Any, Any]:
    from ._copy_limit import ffi, lib

    return ffi, lib


def limit_implementations(w: Workload, placement: str, threads: int) -> tuple[list[Implementation], list[dict]]:
    """The floors: out of place, copying the bytes (rep movsb, memcpy,
    streaming stores); in place, reading and writing them back.  With more
    than one thread, the same split across threads is a candidate too."""
    ffi, lib = load_copy_limit()
    px = ffi.cast("void *", w.x.ctypes.data)
    py = ffi.cast("void *", w.y.ctypes.data)
    vector_isa = ffi.string(lib.copy_limit_vector_isa()).decode()
    impls, skipped = [], []
    if placement == OUT_OF_PLACE:
        family, label_prefix = "copy", "copy limit"
        methods = [
            ("rep_movsb", "rep movsb", lib.COPY_LIMIT_REP_MOVSB),
            ("memcpy", "memcpy", lib.COPY_LIMIT_MEMCPY),
            ("stream", f"{vector_isa} streaming stores", lib.COPY_LIMIT_STREAM),
        ]
        threaded_methods = ("rep_movsb", "stream")
        one = lambda method: functools.partial(lib.copy_limit_copy, method, py, px, w.nbytes)  # noqa: E731
        split = lambda method: functools.partial(  # noqa: E731
            lib.copy_limit_copy_threads, method, py, px, w.nbytes, threads
        )
        extra = {}
    else:
        family, label_prefix = "inplace", "in-place limit"
        methods = [
            ("rmw", f"{vector_isa} load+store", lib.COPY_LIMIT_RMW_TEMPORAL),
            ("rmw_stream", f"{vector_isa} load+streaming store", lib.COPY_LIMIT_RMW_STREAM),
        ]
        threaded_methods = ("rmw", "rmw_stream")
        # xor with 0: the bytes keep their values (see copy_limit.h).
        one = lambda method: functools.partial(lib.copy_limit_inplace, method, px, w.nbytes, 0)  # noqa: E731
        split = lambda method: functools.partial(  # noqa: E731
            lib.copy_limit_inplace_threads, method, px, w.nbytes, 0, threads
        )
        extra = w.in_place_prepare()
    for name, text, method in methods:
        variants = [(f"limit_{name}", f"{label_prefix} [{text}]", one(method))]
        if threads > 1 and name in threaded_methods:
            variants.append(
                (f"limit_{name}_x{threads}", f"{label_prefix} [{text}, {threads} threads]", split(method))
            )
        for key, label, call in variants:
            if not lib.copy_limit_available(method):
                skipped.append({"key": key, "label": label, "reason": "not available on this CPU"})
                continue
            status = call()
            if status != 0:
                skipped.append({"key": key, "label": label, "reason": f"returned {status}"})
                continue
            impls.append(Implementation(key, label, "limit", call, limit_family=family, **extra))
    return impls, skipped


# ---------------------------------------------------------------------------
# NumPy
# ---------------------------------------------------------------------------


@dataclass
class NumpyCandidate:
    key: str
    label: str
    call: Callable[[], object]
    exact: bool  # computes SPEC §2's bits on this benchmark's data
    why: str


def numpy_candidates(w: Workload, placement: str) -> list[NumpyCandidate]:
    """Ways to write LeakyReLU with NumPy ufuncs and out= buffers.

    Exactness on this benchmark's data (no zeros, no NaN): max(x, a*x) is
    LeakyReLU when alpha <= 1; the masked forms for any alpha.  bf16 and f16
    are computed in f32 (x widened by the ufunc loop, the result rounded once
    when cast back), which is SPEC §2 exactly; the "native" form multiplies
    in x's own type, which first rounds alpha to that type."""
    dst = w.x if placement == IN_PLACE else w.y
    x, alpha = w.x, w.alpha
    a32 = np.float32(alpha)
    max_form_exact = float(a32) <= 1.0
    candidates = []

    if w.dtype_name == "f32":
        t = w.scratch("t", np.float32)
        mask = w.scratch("mask", np.bool_)

        def multiply_maximum():
            np.multiply(x, a32, out=t)
            np.maximum(x, t, out=dst)

        candidates.append(NumpyCandidate("numpy_mul_max", "numpy multiply+maximum", multiply_maximum,
                                         max_form_exact, "max(x, a*x)"))
        if placement == OUT_OF_PLACE:

            def multiply_maximum_into_out():
                np.multiply(x, a32, out=dst)
                np.maximum(x, dst, out=dst)

            candidates.append(NumpyCandidate("numpy_mul_max_out", "numpy multiply+maximum in out",
                                             multiply_maximum_into_out, max_form_exact, "max(x, a*x)"))

        def masked_multiply():
            np.less(x, 0, out=mask)
            if dst is not x:
                np.copyto(dst, x)
            np.multiply(x, a32, out=dst, where=mask)

        candidates.append(NumpyCandidate("numpy_masked", "numpy less+multiply(where=)", masked_multiply,
                                         True, "masked"))

        def where_allocating():
            np.copyto(dst, np.where(x >= 0, x, x * a32))

        candidates.append(NumpyCandidate("numpy_where", "numpy where (allocates)", where_allocating, True,
                                         "where"))
        return candidates

    # bf16 and f16
    t32 = w.scratch("t32", np.float32)
    mask = w.scratch("mask", np.bool_)

    def via_f32():
        np.multiply(x, a32, out=t32)
        np.maximum(x, t32, out=t32)
        np.copyto(dst, t32, casting="same_kind")

    candidates.append(NumpyCandidate("numpy_f32_mul_max", "numpy multiply+maximum in f32, cast", via_f32,
                                     max_form_exact, "max(x, a*x) in f32"))

    def masked_via_f32():
        np.less(x, 0, out=mask)
        if dst is not x:
            np.copyto(dst, x)
        np.multiply(x, a32, out=dst, where=mask, casting="same_kind")

    candidates.append(NumpyCandidate("numpy_f32_masked", "numpy less+multiply(where=) in f32",
                                     masked_via_f32, True, "masked, f32 multiply"))

    native_alpha = w.dtype.type(alpha)
    t = w.scratch("t", w.dtype)

    def native():
        np.multiply(x, native_alpha, out=t)
        np.maximum(x, t, out=dst)

    alpha_exact = float(native_alpha) == float(a32)
    candidates.append(NumpyCandidate(
        "numpy_native_mul_max", f"numpy multiply+maximum in {w.dtype_name} (alpha rounded)", native,
        max_form_exact and alpha_exact,
        f"max(x, a*x) with alpha rounded to {w.dtype_name}" + ("" if alpha_exact else " (inexact)"),
    ))
    return candidates


# torch and oneDNN compute x > 0 ? x : alpha * x (in f32, one rounding).
X_GREATER_THAN_ZERO_NOTE = ("x > 0 rule: SPEC §2's bits except the sign of a zero when alpha is negative, "
                            "NaN or inf; this benchmark's data has no zeros")


def x_greater_than_zero_is_exact(alpha: float) -> bool:
    """On data without zeros or NaN the x > 0 rule gives SPEC §2's bits,
    unless alpha is NaN (whose payload SPEC §2 fixes and they need not)."""
    return not np.isnan(np.float32(alpha))

# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------


def load_torch() -> Any:
    try:
        import torch
    except ImportError as error:
        raise Unavailable(f"torch is not installed ({error})") from None
    return torch


def as_torch(torch: Any, array: np.ndarray) -> Any:
    """A tensor sharing the array's memory (bf16 through its bits)."""
    if array.dtype == DTYPES["bf16"]:
        return torch.from_numpy(array.view(np.uint16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def torch_implementations(w: Workload, placement: str) -> tuple[list[Implementation], list[dict]]:
    """torch's leaky_relu with out= (or in place), called through its C++
    binding: the lowest-overhead way a PyTorch user has."""
    key = "torch"
    label = "torch leaky_relu_(x, a)" if placement == IN_PLACE else "torch leaky_relu(x, a, out=y)"
    try:
        torch = load_torch()
    except Unavailable as error:
        return [], [{"key": key, "label": label, "reason": str(error)}]
    xt = as_torch(torch, w.x)
    nn = torch._C._nn
    if placement == IN_PLACE:
        call = functools.partial(nn.leaky_relu_, xt, w.alpha)
        extra = w.in_place_prepare()
    else:
        call = functools.partial(nn.leaky_relu, xt, w.alpha, out=as_torch(torch, w.y))
        extra = {}
    try:
        call()
    except Exception as error:  # e.g. a dtype this torch build lacks on CPU
        return [], [{"key": key, "label": label, "reason": f"{type(error).__name__}: {error}"}]
    return [Implementation(key, label, "peer", call, expected_exact=x_greater_than_zero_is_exact(w.alpha),
                           note=X_GREATER_THAN_ZERO_NOTE, **extra)], []


# ---------------------------------------------------------------------------
# oneDNN
# ---------------------------------------------------------------------------

# The subset of oneDNN's C API (v3) the benchmark calls.  oneDNN's Python-
# installable packages ship the shared library without headers or bindings,
# so it is called through cffi's ABI mode; the enum values are checked at
# load time against the library's own *2str functions.
_DNNL_CDEF = """
typedef int dnnl_status_t;
typedef struct dnnl_engine *dnnl_engine_t;
typedef struct dnnl_stream *dnnl_stream_t;
typedef struct dnnl_memory_desc *dnnl_memory_desc_t;
typedef struct dnnl_memory *dnnl_memory_t;
typedef struct dnnl_primitive_desc *dnnl_primitive_desc_t;
typedef struct dnnl_primitive *dnnl_primitive_t;
typedef struct dnnl_primitive_attr *dnnl_primitive_attr_t;
typedef struct { int arg; dnnl_memory_t memory; } dnnl_exec_arg_t;
typedef struct { int major; int minor; int patch; const char *hash; unsigned cpu_runtime; unsigned gpu_runtime; }
    dnnl_version_t;
const dnnl_version_t *dnnl_version(void);
const char *dnnl_alg_kind2str(int v);
const char *dnnl_fmt_tag2str(int v);
const char *dnnl_prop_kind2str(int v);
dnnl_status_t dnnl_engine_create(dnnl_engine_t *engine, int kind, size_t index);
dnnl_status_t dnnl_engine_destroy(dnnl_engine_t engine);
dnnl_status_t dnnl_stream_create(dnnl_stream_t *stream, dnnl_engine_t engine, unsigned flags);
dnnl_status_t dnnl_stream_destroy(dnnl_stream_t stream);
dnnl_status_t dnnl_memory_desc_create_with_tag(dnnl_memory_desc_t *memory_desc, int ndims, const int64_t *dims,
                                               int data_type, int tag);
dnnl_status_t dnnl_memory_desc_destroy(dnnl_memory_desc_t memory_desc);
dnnl_status_t dnnl_memory_create(dnnl_memory_t *memory, dnnl_memory_desc_t memory_desc, dnnl_engine_t engine,
                                 void *handle);
dnnl_status_t dnnl_memory_destroy(dnnl_memory_t memory);
dnnl_status_t dnnl_eltwise_forward_primitive_desc_create(dnnl_primitive_desc_t *primitive_desc,
    dnnl_engine_t engine, int prop_kind, int alg_kind, dnnl_memory_desc_t src_desc, dnnl_memory_desc_t dst_desc,
    float alpha, float beta, dnnl_primitive_attr_t attr);
dnnl_status_t dnnl_primitive_desc_destroy(dnnl_primitive_desc_t primitive_desc);
dnnl_status_t dnnl_primitive_create(dnnl_primitive_t *primitive, dnnl_primitive_desc_t primitive_desc);
dnnl_status_t dnnl_primitive_destroy(dnnl_primitive_t primitive);
dnnl_status_t dnnl_primitive_execute(dnnl_primitive_t primitive, dnnl_stream_t stream, int nargs,
                                     const dnnl_exec_arg_t *args);
void omp_set_num_threads(int num_threads);  /* GNU OpenMP's, for the onednn-cpu-gomp build */
"""
_DNNL_CPU, _DNNL_STREAM_IN_ORDER = 1, 0x1
_DNNL_FORWARD_INFERENCE, _DNNL_ELTWISE_RELU, _DNNL_TAG_A = 96, 0x20, 2
_DNNL_ARG_SRC, _DNNL_ARG_DST = 1, 17
_DNNL_UNIMPLEMENTED = 3  # dnnl_status_t
_DNNL_DATA_TYPES = {"f16": 1, "bf16": 2, "f32": 3}


def _dnnl_library_candidates() -> list[str]:
    import ctypes.util
    import sys

    candidates = []
    if os.environ.get("PYGRAPH_BENCH_LIBDNNL"):
        candidates.append(os.environ["PYGRAPH_BENCH_LIBDNNL"])
    # Where the `onednn*` packages of PyPI put it.
    candidates += [os.path.join(sys.prefix, "lib", name) for name in ("libdnnl.so.3", "libdnnl.so")]
    found = ctypes.util.find_library("dnnl")
    if found:
        candidates.append(found)
    return candidates


class OneDnn:
    """oneDNN's C library, loaded once (or the reason it is unavailable)."""

    _instance: Optional["OneDnn"] = None
    _error: Optional[str] = None

    @classmethod
    def load(cls) -> "OneDnn":
        if cls._instance is None and cls._error is None:
            try:
                cls._instance = cls()
            except Unavailable as error:
                cls._error = str(error)
        if cls._instance is None:
            raise Unavailable(cls._error)
        return cls._instance

    def __init__(self) -> None:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(_DNNL_CDEF)
        candidates = _dnnl_library_candidates()
        failures = []
        for path in candidates:
            if os.path.sep in path and not os.path.exists(path):
                continue
            try:
                self.lib = ffi.dlopen(path)
                self.path = path
                break
            except OSError as error:  # present but unloadable: say why
                failures.append(f"{path}: {error}")
        else:
            raise Unavailable("oneDNN's library was not found (looked for " + ", ".join(candidates)
                              + "; pip install onednn-cpu-gomp, or set PYGRAPH_BENCH_LIBDNNL)"
                              + "".join(f"; {failure}" for failure in failures))
        self.ffi = ffi
        version = self.lib.dnnl_version()
        if version.major != 3:
            raise Unavailable(f"oneDNN {version.major}.{version.minor} found; the benchmark speaks the v3 API")
        self.version = f"{version.major}.{version.minor}.{version.patch}"
        names = {"alg": ffi.string(self.lib.dnnl_alg_kind2str(_DNNL_ELTWISE_RELU)).decode(),
                 "tag": ffi.string(self.lib.dnnl_fmt_tag2str(_DNNL_TAG_A)).decode(),
                 "prop": ffi.string(self.lib.dnnl_prop_kind2str(_DNNL_FORWARD_INFERENCE)).decode()}
        if names != {"alg": "eltwise_relu", "tag": "a", "prop": "forward_inference"}:
            raise Unavailable(f"oneDNN {self.version}: unexpected enum values {names}")
        engine = ffi.new("dnnl_engine_t *")
        self.check(self.lib.dnnl_engine_create(engine, _DNNL_CPU, 0), "dnnl_engine_create")
        self.engine = ffi.gc(engine[0], self.lib.dnnl_engine_destroy)
        stream = ffi.new("dnnl_stream_t *")
        self.check(self.lib.dnnl_stream_create(stream, self.engine, _DNNL_STREAM_IN_ORDER), "dnnl_stream_create")
        self.stream = ffi.gc(stream[0], self.lib.dnnl_stream_destroy)
        try:  # the onednn-cpu-gomp build runs on GNU OpenMP's pool
            self._gomp = ffi.dlopen("libgomp.so.1")
        except OSError:
            self._gomp = None

    def check(self, status: int, what: str) -> None:
        if status == _DNNL_UNIMPLEMENTED:
            # e.g. oneDNN 3.2's f16 eltwise on a CPU without AVX512-FP16
            raise Unavailable(f"{what}: oneDNN has no implementation on this CPU (dnnl_unimplemented)")
        if status != 0:
            raise Unavailable(f"{what} returned oneDNN status {status}")

    def set_num_threads(self, num_threads: int) -> None:
        if self._gomp is not None:
            self._gomp.omp_set_num_threads(num_threads)

    def primitive(self, w: Workload) -> Any:
        """The eltwise_relu (alpha) forward-inference primitive for w's
        dtype and shape, created once per workload."""
        if "onednn_primitive" not in w.prepared:
            ffi, lib = self.ffi, self.lib
            dims = ffi.new("int64_t[1]", [w.n])
            desc = ffi.new("dnnl_memory_desc_t *")
            self.check(lib.dnnl_memory_desc_create_with_tag(desc, 1, dims, _DNNL_DATA_TYPES[w.dtype_name],
                                                            _DNNL_TAG_A), "dnnl_memory_desc_create_with_tag")
            desc = ffi.gc(desc[0], lib.dnnl_memory_desc_destroy)
            primitive_desc = ffi.new("dnnl_primitive_desc_t *")
            self.check(lib.dnnl_eltwise_forward_primitive_desc_create(
                primitive_desc, self.engine, _DNNL_FORWARD_INFERENCE, _DNNL_ELTWISE_RELU, desc, desc,
                w.alpha, 0.0, ffi.NULL), f"dnnl_eltwise_forward_primitive_desc_create ({w.dtype_name})")
            primitive_desc = ffi.gc(primitive_desc[0], lib.dnnl_primitive_desc_destroy)
            primitive = ffi.new("dnnl_primitive_t *")
            self.check(lib.dnnl_primitive_create(primitive, primitive_desc), "dnnl_primitive_create")
            w.prepared["onednn_primitive"] = (desc, primitive_desc, ffi.gc(primitive[0], lib.dnnl_primitive_destroy))
        return w.prepared["onednn_primitive"]

    def memory(self, desc: Any, array: np.ndarray) -> Any:
        memory = self.ffi.new("dnnl_memory_t *")
        self.check(self.lib.dnnl_memory_create(memory, desc, self.engine, self.ffi.cast("void *", array.ctypes.data)),
                   "dnnl_memory_create")
        return self.ffi.gc(memory[0], self.lib.dnnl_memory_destroy)


def onednn_implementations(w: Workload, placement: str) -> tuple[list[Implementation], list[dict]]:
    """oneDNN's eltwise_relu primitive (its LeakyReLU kernel) on memory
    objects wrapping the same buffers; execution on a CPU stream is
    synchronous."""
    in_place = placement == IN_PLACE
    key = "onednn"
    label = f"oneDNN eltwise_relu{' in place' if in_place else ''} (cffi ABI)"
    try:
        dnnl = OneDnn.load()
        desc, _, primitive = dnnl.primitive(w)
        src = dnnl.memory(desc, w.x)
        dst = src if in_place else dnnl.memory(desc, w.y)
        args = dnnl.ffi.new("dnnl_exec_arg_t[2]", [(_DNNL_ARG_SRC, src), (_DNNL_ARG_DST, dst)])
        w.prepared.setdefault("onednn_keep", []).append((src, dst, args))
        call = functools.partial(dnnl.lib.dnnl_primitive_execute, primitive, dnnl.stream, 2, args)
        dnnl.check(call(), "dnnl_primitive_execute")
    except Unavailable as error:
        return [], [{"key": key, "label": label, "reason": str(error)}]
    extra = w.in_place_prepare() if in_place else {}
    return [Implementation(key, label.replace("eltwise_relu", f"{dnnl.version} eltwise_relu"), "peer", call,
                           expected_exact=x_greater_than_zero_is_exact(w.alpha), note=X_GREATER_THAN_ZERO_NOTE,
                           details={"library": dnnl.path}, **extra)], []

