"""Property tests over random graphs (hypothesis).

Each example is a random graph — LeakyReLU chains and branches, Wildcard
ops standing for what the host framework runs, End ops and marked outputs
that cut chains — over random shapes (0 to 12 dims, zero-size included),
dtypes (f32, bf16, f16) and alphas (0, -0, negative, > 1, ±inf, NaN,
subnormal, the largest f32).  The graph is partitioned under a random
policy and executed partition by partition, the way a host framework would:
supported partitions through pygraph, unsupported ones (Wildcard, End) by
"the host" (random data for a Wildcard's outputs).  Sources are laid out at
random (permuted, stepped, reversed = negative strides, broadcast = zero
strides), outputs in layout "any", in a random padded/permuted layout, or
in place; data is random bit patterns (NaN payloads, infinities,
subnormals) plus special values.

Checked, bit for bit:
  * every output equals pygraph/reference.py (SPEC §2, the NaN rules of
    native/src/kernels/leaky_relu.h) applied to the partition's ops in
    order, rounding after each op;
  * sources are never written (unless executed in place), and no byte of an
    output buffer outside the output's elements changes;
  * the partitions are exactly the ones SPEC §3 defines: under "fusion",
    every maximal chain of LeakyReLU ops whose intermediate tensors feed only
    the next op and are not graph outputs is one partition, every other op
    is its own unsupported partition; under "debug", one op per partition;
    either way in topological order.

The example count (PYGRAPH_GRAPH_EXAMPLES, default 3000; 400 under a
sanitizer) is sized so the file runs in well under two minutes on the
2-core CI machine.
"""

from __future__ import annotations

import dataclasses
import os
import random
from typing import Optional

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pygraph
from pygraph.reference import FORMATS, leaky_relu_bits, to_bits

_UNDER_SANITIZER = bool(os.environ.get("PYGRAPH_SANITIZER"))
EXAMPLES = int(os.environ.get("PYGRAPH_GRAPH_EXAMPLES", "400" if _UNDER_SANITIZER else "3000"))
# Elements per tensor: enough for every kernel path of a small graph
# (vector bodies and tails), small enough for thousands of graphs a run.
MAX_ELEMENTS = 600
DTYPES = ("f32", "bf16", "f16")
SENTINEL_BYTE = 0xA7


# --------------------------------------------------------------------------
# The random graph, as plain data (hypothesis shrinks it)
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SourceLayout:
    """How an array handed to pygraph as a source is laid out: a dense base
    array is transposed by `order`, each dim taken with step `steps[d]`
    (negative: reversed), and the dims in `broadcast` (of extent > 1) read
    from one element (stride 0)."""

    order: tuple[int, ...]
    steps: tuple[int, ...]
    broadcast: frozenset[int]


@dataclasses.dataclass(frozen=True)
class OutputLayout:
    """How pygraph's output is described at compile: "any" (pygraph picks),
    "strided" (a padded, permuted dense layout we choose) or "inplace"
    (written over the source, when the source allows it)."""

    kind: str
    order: tuple[int, ...] = ()
    pad: int = 0
    call_style: str = "execute"  # "execute" (plain arrays), "tensor" (pygraph.Tensor), "call" (cp(x) / cp(x, out=))


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    id: int
    dtype: str
    shape: tuple[int, ...]
    describe_unknown: bool  # described to the graph with unknown dims (layout any)
    source_layout: SourceLayout
    output_layout: OutputLayout


@dataclasses.dataclass(frozen=True)
class OpSpec:
    id: int
    kind: str  # "LeakyReLU", "Wildcard", "End"
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    alpha: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class GraphSpec:
    tensors: dict
    ops: tuple[OpSpec, ...]
    marked_outputs: tuple[int, ...]
    policy: str
    data_seed: int


SPECIAL_ALPHAS = (0.0, -0.0, 0.01, 0.2, 1.0, -1.0, -0.5, 2.5, 100.0, float("inf"), float("-inf"), float("nan"),
                  1.401298464324817e-45, 1.1754942106924411e-38, 3.4028234663852886e38, -3.4028234663852886e38)
alphas = st.one_of(st.sampled_from(SPECIAL_ALPHAS), st.floats(width=32, allow_nan=False))


@st.composite
def shapes(draw) -> tuple[int, ...]:
    ndims = draw(st.sampled_from((0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12)))
    dims = draw(st.lists(st.integers(1, 9), min_size=ndims, max_size=ndims))
    budget = MAX_ELEMENTS
    for axis, dim in enumerate(dims):
        dims[axis] = min(dim, max(budget, 1))
        budget //= dims[axis]
    if ndims and draw(st.integers(0, 11)) == 0:
        dims[draw(st.integers(0, ndims - 1))] = 0  # a zero-size tensor now and then
    return tuple(dims)


def random_layouts(seed: int, ndims: int) -> tuple[SourceLayout, OutputLayout]:
    # Layouts come from a seeded RNG rather than from hypothesis draws:
    # drawing permutations per tensor made generation, not pygraph, the
    # cost of an example.
    rng = random.Random(seed)
    order = list(range(ndims))
    rng.shuffle(order)
    steps = tuple(rng.choice((1, 1, 1, -1, 2, -2)) for _ in range(ndims))
    broadcast = frozenset(rng.randrange(ndims) for _ in range(rng.choice((0, 0, 1, 2)))) if ndims else frozenset()
    out_order = list(range(ndims))
    rng.shuffle(out_order)
    output = OutputLayout(
        rng.choice(("any", "any", "strided", "inplace")),
        tuple(out_order),
        rng.randrange(3),
        rng.choice(("execute", "tensor", "call")),
    )
    return SourceLayout(tuple(order), steps, broadcast), output


@st.composite
def graph_specs(draw) -> GraphSpec:
    tensors: dict[int, TensorSpec] = {}
    first_id = draw(st.sampled_from((0, 1000, 2**40)))  # ids need not be small or dense
    layout_seed = draw(st.integers(0, 2**32 - 1))

    def new_tensor(dtype: str, shape: tuple[int, ...], known: bool = False) -> int:
        tid = first_id + 2 * len(tensors)
        source, output = random_layouts(layout_seed ^ tid, len(shape))
        unknown = not known and draw(st.integers(0, 3)) == 0
        tensors[tid] = TensorSpec(tid, dtype, shape, unknown, source, output)
        return tid

    # Graph inputs are described with known dims (they are what the host hands in).
    for _ in range(draw(st.integers(1, 3))):
        new_tensor(draw(st.sampled_from(DTYPES)), draw(shapes()), known=True)

    ops: list[OpSpec] = []
    for op_id in range(draw(st.integers(1, 8))):
        available = list(tensors)
        # Prefer the newest tensor: that grows chains; any tensor: branches.
        src = available[-1] if draw(st.booleans()) else draw(st.sampled_from(available))
        kind = draw(st.sampled_from(("LeakyReLU",) * 6 + ("Wildcard", "End")))
        if kind == "LeakyReLU":
            dst = new_tensor(tensors[src].dtype, tensors[src].shape)
            ops.append(OpSpec(op_id, kind, (src,), (dst,), draw(alphas)))
        elif kind == "End":
            ops.append(OpSpec(op_id, kind, (src,), ()))
        else:
            inputs = tuple(draw(st.lists(st.sampled_from(available), max_size=2, unique=True)))
            outputs = tuple(
                new_tensor(draw(st.sampled_from(DTYPES)), draw(shapes())) for _ in range(draw(st.integers(0, 2)))
            )
            ops.append(OpSpec(op_id, kind, inputs, outputs))
    in_graph = sorted({t for op in ops for t in op.inputs + op.outputs})
    marked = tuple(draw(st.lists(st.sampled_from(in_graph), max_size=2, unique=True))) if in_graph else ()
    policy = draw(st.sampled_from(("fusion", "fusion", "fusion", "debug")))
    return GraphSpec(tensors, tuple(ops), marked, policy, draw(st.integers(0, 2**32 - 1)))


# --------------------------------------------------------------------------
# What SPEC §3 says the partitions are (computed independently)
# --------------------------------------------------------------------------


def expected_partitions(spec: GraphSpec) -> list[tuple[tuple[int, ...], bool]]:
    """(op ids in execution order, supported) for every partition, in the
    order the ops were added (which is topological: an op only consumes
    tensors that existed before it)."""
    consumers: dict[int, list[OpSpec]] = {}
    for op in spec.ops:
        for tid in op.inputs:
            consumers.setdefault(tid, []).append(op)
    if spec.policy == "debug":
        return [((op.id,), op.kind == "LeakyReLU") for op in spec.ops]

    def fuses_into_next(op: OpSpec) -> Optional[OpSpec]:
        if op.kind != "LeakyReLU":
            return None
        (dst,) = op.outputs
        users = consumers.get(dst, [])
        if len(users) == 1 and users[0].kind == "LeakyReLU" and dst not in spec.marked_outputs:
            return users[0]
        return None

    has_fused_predecessor = {nxt.id for op in spec.ops if (nxt := fuses_into_next(op)) is not None}
    result = []
    for op in spec.ops:
        if op.kind != "LeakyReLU":
            result.append(((op.id,), False))
        elif op.id not in has_fused_predecessor:
            chain = [op]
            while (nxt := fuses_into_next(chain[-1])) is not None:
                chain.append(nxt)
            result.append((tuple(o.id for o in chain), True))
    return result


# --------------------------------------------------------------------------
# Memory: sources with random layouts, outputs with sentinels around them
# --------------------------------------------------------------------------

SPECIAL_BITS = {
    "f32": [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0x00000001,
            0x807FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0xBF800000, 0x3F800000],
    "bf16": [0x0000, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0xFFC1, 0x7F81, 0x0001, 0x807F, 0x7F7F, 0xFF7F, 0xBF80],
    "f16": [0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x7C01, 0x0001, 0x83FF, 0x7BFF, 0xFBFF, 0xBC00],
}


def random_bits(rng: np.random.Generator, dtype: str, count: int) -> np.ndarray:
    udtype = FORMATS[dtype][1]
    bits = rng.integers(0, np.iinfo(udtype).max, size=count, dtype=udtype, endpoint=True)
    # Random bit patterns are mostly huge or NaN; mix in specials and
    # ordinary values so both branches and the rounding get exercised.
    specials = np.array(SPECIAL_BITS[dtype], udtype)
    pick = rng.random(count)
    bits[pick < 0.25] = rng.choice(specials, size=int((pick < 0.25).sum()))
    ordinary = (pick >= 0.25) & (pick < 0.6)
    values = rng.standard_normal(int(ordinary.sum())).astype(np.float32)
    bits[ordinary] = to_bits(values.astype(FORMATS[dtype][0]))
    return bits


def make_source(rng: np.random.Generator, spec: TensorSpec) -> np.ndarray:
    """An array of spec's shape, laid out as spec.source_layout says, full of random bits."""
    layout = spec.source_layout
    shape = spec.shape
    ndims = len(shape)
    value_dtype = FORMATS[spec.dtype][0]
    # Base extent per (transposed) dim: broadcast dims hold one element,
    # stepped dims hold |step| times as many.
    base_dims = []
    for axis in layout.order:
        n = shape[axis]
        if axis in layout.broadcast and n > 1:
            base_dims.append(1)
        else:
            base_dims.append(max(n, 1) * abs(layout.steps[axis]) if n else 0)
    base = random_bits(rng, spec.dtype, int(np.prod(base_dims, dtype=np.int64))).reshape(base_dims).view(value_dtype)
    # Undo the transposition, then step and broadcast.
    view = base.transpose(np.argsort(layout.order)) if ndims else base
    index = []
    for axis in range(ndims):
        n, step = shape[axis], layout.steps[axis]
        if axis in layout.broadcast and n > 1:
            index.append(slice(None))
        elif step > 0:
            index.append(slice(0, n * step, step) if n else slice(0, 0))
        else:
            index.append(slice(None, None, step) if n else slice(0, 0))
    view = view[tuple(index)] if ndims else view
    view = np.broadcast_to(view, shape) if layout.broadcast else view
    assert view.shape == shape and view.dtype == value_dtype
    return view


class OutputBuffer:
    """An output array over a byte buffer filled with a sentinel, so writes
    outside the output's elements are seen."""

    def __init__(self, dtype: str, shape: tuple[int, ...], element_strides: tuple[int, ...]):
        value_dtype = FORMATS[dtype][0]
        itemsize = value_dtype.itemsize
        if 0 in shape:
            span = 1
        else:
            span = 1 + sum((n - 1) * s for n, s in zip(shape, element_strides))
        self.raw = np.full(span * itemsize, SENTINEL_BYTE, np.uint8)
        self.array = np.lib.stride_tricks.as_strided(
            self.raw.view(value_dtype), shape, tuple(s * itemsize for s in element_strides), writeable=True
        )
        self.itemsize = itemsize
        self.strides = element_strides

    def assert_only_elements_written(self) -> None:
        touched = np.zeros(self.raw.size // self.itemsize, bool)
        if 0 not in self.array.shape:
            positions = np.lib.stride_tricks.as_strided(
                np.arange(touched.size), self.array.shape, tuple(s * 8 for s in self.strides)
            )
            touched[positions.ravel()] = True
        untouched_bytes = np.repeat(~touched, self.itemsize)
        assert (self.raw[untouched_bytes] == SENTINEL_BYTE).all(), "a byte outside the output's elements was written"


def padded_strides(shape: tuple[int, ...], order: tuple[int, ...], pad: int) -> tuple[int, ...]:
    """Dense strides visiting dims in `order` (outermost first), the innermost
    extent padded by `pad` elements."""
    strides = [0] * len(shape)
    step = 1
    for position, axis in enumerate(reversed(order)):
        strides[axis] = step
        step *= max(shape[axis], 1) + (pad if position == 0 else 0)
    return tuple(strides)


# --------------------------------------------------------------------------
# The host framework: run the graph partition by partition
# --------------------------------------------------------------------------


def build_graph(spec: GraphSpec) -> pygraph.Graph:
    graph = pygraph.Graph("cpu")

    def describe(tid: int) -> pygraph.LogicalTensor:
        t = spec.tensors[tid]
        if t.describe_unknown:
            return pygraph.LogicalTensor(tid, t.dtype, [-1] * len(t.shape), "any")
        return pygraph.LogicalTensor(tid, t.dtype, t.shape)

    for op in spec.ops:
        attrs = {"alpha": op.alpha} if op.kind == "LeakyReLU" else None
        graph.add_op(
            pygraph.Op(op.id, op.kind, [describe(t) for t in op.inputs], [describe(t) for t in op.outputs], attrs=attrs)
        )
    for tid in spec.marked_outputs:
        graph.mark_output(tid)
    graph.finalize()
    return graph


def run_supported(partition, spec: GraphSpec, values: dict, engine, stream) -> None:
    (src_port,) = partition.input_ports
    (dst_port,) = partition.output_ports
    src_id, dst_id = src_port.id, dst_port.id
    x = values[src_id]
    dtype = spec.tensors[src_id].dtype
    dst_spec = spec.tensors[dst_id]
    src_bits_before = to_bits(x)
    op_by_id = {op.id: op for op in spec.ops}
    alphas = [op_by_id[op_id].alpha for op_id in partition.ops]  # execution order
    expected = leaky_relu_bits(src_bits_before, dtype, alphas).reshape(x.shape)

    layout = dst_spec.output_layout
    src_lt = pygraph.LogicalTensor.from_array(src_id, x)
    in_place = (
        layout.kind == "inplace"
        and x.flags.writeable
        and all(s > 0 for s in x.strides)
        and not any(n > 1 and s == 0 for n, s in zip(x.shape, x.strides))
    )
    buffer = None
    if in_place:
        dst_lt = pygraph.LogicalTensor.from_array(dst_id, x)
    elif layout.kind == "strided":
        strides = padded_strides(x.shape, layout.order, layout.pad)
        buffer = OutputBuffer(dtype, x.shape, strides)
        dst_lt = pygraph.LogicalTensor.from_array(dst_id, buffer.array)
    else:
        dst_lt = pygraph.LogicalTensor(dst_id, dtype, [-1] * len(x.shape), "any")
    compiled = partition.compile([src_lt], [dst_lt], engine)
    (compiled_out,) = compiled.outputs
    assert compiled_out.shape == x.shape, "shape inference is not the identity"
    if buffer is None and not in_place:
        buffer = OutputBuffer(dtype, x.shape, compiled_out.strides)
    y = x if in_place else buffer.array

    if layout.call_style == "call":
        result = compiled(x, out=y)
        assert result is y
    elif layout.call_style == "tensor":
        compiled.execute(
            stream,
            [pygraph.Tensor(src_lt, engine, x)],
            [pygraph.Tensor(compiled_out if not in_place else dst_lt, engine, y)],
        )
    else:
        compiled.execute(stream, [x], [y])

    got = to_bits(y)
    if not np.array_equal(got, expected):
        bad = np.argwhere(got != expected)[0]
        raise AssertionError(
            f"partition {partition.ops} ({dtype}, alphas {alphas}) at index {tuple(bad)}: "
            f"src bits {src_bits_before[tuple(bad)]:#x}, got {got[tuple(bad)]:#x}, expected {expected[tuple(bad)]:#x}"
        )
    if not in_place:
        assert np.array_equal(to_bits(x), src_bits_before), "the source was written"
        buffer.assert_only_elements_written()
    values[dst_id] = y


def run_graph(spec: GraphSpec, engine, stream) -> None:
    rng = np.random.default_rng(spec.data_seed)
    graph = build_graph(spec)
    partitions = graph.get_partitions(spec.policy)
    # Topological order is not unique (independent branches may come in any
    # order): compare the partitions as a set, and check the order below.
    got_structure = sorted((tuple(p.ops), p.is_supported()) for p in partitions)
    assert got_structure == sorted(expected_partitions(spec)), "partitions differ from SPEC §3"
    assert [p.id for p in partitions] == list(range(len(partitions)))

    produced = {t for op in spec.ops for t in op.outputs}
    values = {tid: make_source(rng, t) for tid, t in spec.tensors.items() if tid not in produced}
    for partition in partitions:
        for port in partition.input_ports:
            assert port.id in values, f"partition {partition.ops} comes before the producer of its input {port.id}"
        if partition.is_supported():
            run_supported(partition, spec, values, engine, stream)
            continue
        # The host framework runs Wildcard itself: its outputs are whatever it computes.
        for port in partition.output_ports:
            values[port.id] = make_source(rng, spec.tensors[port.id])


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(spec=graph_specs())
def test_random_graphs_match_the_reference_partition_by_partition(spec, engine, stream):
    run_graph(spec, engine, stream)


@pytest.mark.parametrize("policy", ["fusion", "debug"])
def test_a_long_chain_with_every_special_alpha(policy, engine, stream):
    # Deterministic companion of the property: one chain through every
    # special alpha, on a 12-dim reversed-and-broadcast source.
    shape = (1, 2, 1, 3, 1, 2, 1, 2, 1, 2, 1, 3)
    layout = SourceLayout(tuple(reversed(range(12))), (1, -1, 1, 2, 1, -2, 1, 1, 1, -1, 1, 1), frozenset({3}))
    tensors = {}
    ops = []
    for i in range(len(SPECIAL_ALPHAS) + 1):
        tensors[i] = TensorSpec(i, "bf16", shape, False, layout, OutputLayout("any"))
    for i, alpha in enumerate(SPECIAL_ALPHAS):
        ops.append(OpSpec(i, "LeakyReLU", (i,), (i + 1,), alpha))
    run_graph(GraphSpec(tensors, tuple(ops), (), policy, 7), engine, stream)
