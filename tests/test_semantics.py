"""LeakyReLU's semantics, bit for bit (SPEC §2): the NumPy reference in
pygraph/reference.py, hypothesis property tests over shapes, strides, dtypes and
alphas, every bf16/f16 pattern, PyTorch and the ONNX backend data as oracles."""

from __future__ import annotations

import glob
import math
import os

import ml_dtypes
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import pygraph

from pygraph import reference
from builders import compile_for

NAN_PAYLOAD = np.array(0x7F812345, np.uint32).view(np.float32)[()]  # a signaling NaN with a payload
NEGATIVE_NAN = np.array(0xFFC01234, np.uint32).view(np.float32)[()]
ALPHAS = [0.01, 0.0, -0.0, -0.5, 2.0, 0.2, math.nan, NAN_PAYLOAD, NEGATIVE_NAN, math.inf, -math.inf,
          1e-40, 3.0e38, -1.0]


def alpha_id(alpha):
    return hex(int(np.array(alpha, np.float32).view(np.uint32)))


def isa_levels():
    """The ISA levels this machine can run, best last (capping selects each)."""
    best = pygraph.cpu_isa()
    order = ["scalar", "avx2", "avx512", "avx512_bf16"]
    return order[: order.index(best) + 1] if best in order else ["scalar"]


@pytest.fixture(params=isa_levels())
def isa(request):
    pygraph.set_max_cpu_isa(request.param)
    try:
        assert pygraph.cpu_isa() == request.param
        yield request.param
    finally:
        pygraph.set_max_cpu_isa("best")


def test_seed_examples():
    assert pygraph.leaky_relu(np.array([-2, -1, 0, 1, 2], np.float32), 0.5).tolist() == [-1, -0.5, 0, 1, 2]
    got = pygraph.leaky_relu(np.array([[-1, 4, -8], [2, -5, 9]], np.float32), 0.2)
    expected = np.array([[-0.2, 4, -1.6], [2, -1, 9]], np.float32)
    assert reference.same_bits(got, expected)
    for dtype in (ml_dtypes.bfloat16, np.float16):
        x = np.array([[-1, 4, -8], [2, -5, 9]], dtype)
        assert reference.same_bits(pygraph.leaky_relu(x, 0.2), reference.leaky_relu(x, 0.2))


@pytest.mark.parametrize("name", ["bf16", "f16"])
@pytest.mark.parametrize("alpha", ALPHAS, ids=alpha_id)
def test_every_16_bit_pattern(isa, name, alpha):
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    x = bits.view(reference.value_dtype(name))
    expected = reference.leaky_relu_bits(bits, name, alpha)
    assert np.array_equal(pygraph.leaky_relu(x, alpha).view(np.uint16), expected)
    # strided (every other pattern, reversed) and in place give the same bits
    assert np.array_equal(pygraph.leaky_relu(x[::-2], alpha).view(np.uint16), expected[::-2])
    inplace = x.copy()
    pygraph.leaky_relu(inplace, alpha, out=inplace)
    assert np.array_equal(inplace.view(np.uint16), expected)


def f32_patterns():
    specials = [0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000, 0x80800000, 0x7F7FFFFF,
                0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001,
                0x7FBFFFFF, 0x3F800000, 0xBF800000, 0x34000000, 0xB4000000]
    rng = np.random.default_rng(2024)
    return np.concatenate([np.array(specials, np.uint32), rng.integers(0, 1 << 32, 1 << 18, dtype=np.uint64).astype(np.uint32)])


@pytest.mark.parametrize("alpha", ALPHAS, ids=alpha_id)
def test_f32_special_and_random_patterns(isa, alpha):
    bits = f32_patterns()
    expected = reference.leaky_relu_bits(bits, "f32", alpha)
    assert np.array_equal(pygraph.leaky_relu(bits.view(np.float32), alpha).view(np.uint32), expected)


@pytest.mark.parametrize("name", reference.DTYPES)
def test_fused_chain_equals_op_by_op(name):
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 1 << (32 if name == "f32" else 16), 4099, dtype=np.uint64)
    x = bits.astype(reference.bits_dtype(name)).view(reference.value_dtype(name))
    alphas = [0.5, -3.0, 1e-3, math.nan]
    fused = compile_for(x, alphas)
    assert len(fused.inputs) == 1
    one_by_one = x
    for alpha in alphas:
        one_by_one = pygraph.leaky_relu(one_by_one, alpha)
    expected = reference.leaky_relu_bits(reference.to_bits(x), name, alphas)
    assert np.array_equal(reference.to_bits(fused(x)), expected)
    assert np.array_equal(reference.to_bits(one_by_one), expected)


def test_thread_count_does_not_change_bits():
    x = np.random.default_rng(1).standard_normal(1 << 20).astype(np.float32)
    expected = reference.leaky_relu(x, 0.3)
    default = pygraph.get_num_threads()
    try:
        for threads in (1, 2, 3):
            pygraph.set_num_threads(threads)
            assert pygraph.get_num_threads() == threads
            assert reference.same_bits(pygraph.leaky_relu(x, 0.3), expected)
    finally:
        pygraph.set_num_threads(0)
    assert pygraph.get_num_threads() == default


@pytest.mark.parametrize("name", reference.DTYPES)
@pytest.mark.parametrize("mib, threads", [(5, 1), (5, 2), (13, 2)])
def test_outputs_whose_kernels_are_tried_every_way_get_the_same_bits(name, mib, threads):
    """Dense out-of-place outputs from 4 MiB up to 12 MiB (24 MiB on more
    than one thread) take turns between normal stores, prefetched normal
    stores and streaming stores while pygraph measures which pays (on CPUs
    other than Intel, native/src/kernels/stream_trials.h; on Intel these
    sizes simply stream): every call writes the reference's bits.
    test_kernel_choice checks that the turns happen."""
    bits_dtype = reference.bits_dtype(name)
    n = (mib << 20) // np.dtype(bits_dtype).itemsize
    bits = np.random.default_rng(7).integers(0, 1 << (8 * np.dtype(bits_dtype).itemsize), n, dtype=np.uint64)
    x = bits.astype(bits_dtype).view(reference.value_dtype(name))
    expected = reference.leaky_relu_bits(reference.to_bits(x), name, 0.3)
    y = np.empty_like(x)
    try:
        pygraph.set_num_threads(threads)
        for call in range(20):  # the unbooked first call, the turns, then the choice
            y.view(bits_dtype).fill(0xA5)
            pygraph.leaky_relu(x, 0.3, out=y)
            assert np.array_equal(reference.to_bits(y), expected), f"call {call}"
    finally:
        pygraph.set_num_threads(0)


# -- property tests -----------------------------------------------------------

DTYPE_OF = {name: reference.value_dtype(name) for name in reference.DTYPES}

alphas = st.one_of(
    st.floats(width=32, allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.01, -0.5, 2.0, math.inf, -math.inf, math.nan]),
    st.integers(0, (1 << 32) - 1).map(lambda b: np.array(b, np.uint32).view(np.float32)[()]),
)


@st.composite
def strided_arrays(draw, max_dims=12):
    """A view with any steps (negative included) and broadcast (zero) strides."""
    name = draw(st.sampled_from(reference.DTYPES))
    ndims = draw(st.integers(0, max_dims))
    shape = draw(st.lists(st.integers(0, 4 if ndims <= 4 else 2), min_size=ndims, max_size=ndims))
    assume(int(np.prod(shape, dtype=np.int64)) <= 4096)
    steps = draw(st.lists(st.sampled_from([1, 1, 2, -1, -2, 3]), min_size=ndims, max_size=ndims))
    broadcast = draw(st.lists(st.booleans(), min_size=ndims, max_size=ndims))
    base_shape = [1 if b else n * abs(s) for n, s, b in zip(shape, steps, broadcast)]
    count = int(np.prod(base_shape, dtype=np.int64))
    bits = draw(st.lists(st.integers(0, (1 << (32 if name == "f32" else 16)) - 1), min_size=min(count, 64),
                         max_size=min(count, 64)))
    pattern = np.array(bits or [0], np.uint64).astype(reference.bits_dtype(name))
    base = np.resize(pattern, count).reshape(base_shape).view(DTYPE_OF[name])
    index = tuple(slice(None, None, s) if not b else slice(None) for s, b in zip(steps, broadcast))
    view = base[index] if ndims else base  # base[()] would be a NumPy scalar
    view = np.broadcast_to(view, shape) if any(broadcast) else view
    return name, view


@given(strided_arrays(), alphas)
def test_property_functional_matches_reference(case, alpha):
    name, x = case
    expected = reference.leaky_relu(np.ascontiguousarray(x), alpha)
    got = pygraph.leaky_relu(x, alpha)
    assert reference.same_bits(np.ascontiguousarray(got), expected)


@given(strided_arrays(max_dims=6), alphas, st.sampled_from(["dense", "strided", "in place"]))
def test_property_execute_matches_reference(case, alpha, layout):
    name, x = case
    expected = reference.leaky_relu(np.ascontiguousarray(x), alpha)
    if layout == "in place":
        x = x.copy()  # writable, the same values
        compiled = compile_for(x, [alpha], out=x)
        compiled.execute(None, [x], [x])
        got = x
    elif layout == "strided":
        big = np.zeros(tuple(2 * n for n in x.shape), x.dtype)
        out = big[tuple(slice(None, None, 2) for _ in x.shape)] if x.ndim else big[...]
        compiled = compile_for(x, [alpha], out=out)
        compiled.execute(None, [x], [out])
        got = out
    else:
        compiled = compile_for(x, [alpha])
        got = np.empty(x.shape, x.dtype)
        if got.shape == tuple(compiled.outputs[0].shape) and compiled.outputs[0].strides == tuple(
            s // x.dtype.itemsize for s in got.strides
        ):
            compiled.execute(None, [x], [got])
        else:
            got = compiled(x)
    assert reference.same_bits(np.ascontiguousarray(got), expected)


@given(st.sampled_from(reference.DTYPES), st.lists(alphas, min_size=1, max_size=5), st.integers(0, 300))
def test_property_chains(name, chain, size):
    rng = np.random.default_rng(size)
    bits = rng.integers(0, 1 << (32 if name == "f32" else 16), size, dtype=np.uint64).astype(reference.bits_dtype(name))
    x = bits.view(DTYPE_OF[name])
    assert np.array_equal(reference.to_bits(compile_for(x, chain)(x)), reference.leaky_relu_bits(bits, name, chain))


# -- PyTorch as a second oracle -------------------------------------------------


@pytest.mark.parametrize("name", reference.DTYPES)
@pytest.mark.parametrize("alpha", [0.01, 0.0, -0.5, 2.0, math.nan, math.inf], ids=alpha_id)
def test_pytorch_agrees_except_for_the_sign_of_zero_and_nan_payloads(name, alpha):
    torch = pytest.importorskip("torch")
    if name == "f32":
        bits = f32_patterns()
        x = bits.view(np.float32)
        tx = torch.from_numpy(x.copy())
    else:
        bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
        x = bits.view(DTYPE_OF[name])
        tx = torch.from_numpy(bits.view(np.int16).copy()).view(torch.bfloat16 if name == "bf16" else torch.float16)
    ours = reference.to_bits(pygraph.leaky_relu(x, alpha))
    theirs_t = torch.nn.functional.leaky_relu(tx, alpha)
    theirs = theirs_t.view(torch.int32 if name == "f32" else torch.int16).numpy().view(ours.dtype)
    ours_values = reference.widen(ours, name)
    theirs_values = reference.widen(theirs, name)
    both_nan = np.isnan(ours_values) & np.isnan(theirs_values)
    zero_input = reference.widen(bits, name) == 0
    sign_of_zero_may_differ = zero_input & (np.float32(alpha) < 0 or not np.isfinite(np.float32(alpha)))
    compared = ~both_nan & ~sign_of_zero_may_differ
    mismatch = np.flatnonzero(compared & (ours != theirs))
    assert mismatch.size == 0, [(hex(int(bits[i])), hex(int(ours[i])), hex(int(theirs[i]))) for i in mismatch[:10]]
    # where they may differ, PyTorch's x > 0 rule gives alpha * 0
    if sign_of_zero_may_differ.any():
        assert np.all(np.isnan(theirs_values[zero_input]) | (theirs_values[zero_input] == 0))


# -- ONNX backend test data -------------------------------------------------------


def onnx_cases():
    try:
        import onnx
    except ImportError:
        return []
    root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    return sorted(d for d in glob.glob(os.path.join(root, "test_leakyrelu*")) if not d.endswith("_expanded"))


@pytest.mark.parametrize("case", onnx_cases() or ["onnx not installed"], ids=os.path.basename)
def test_onnx_backend_data(case):
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    model = onnx.load(os.path.join(case, "model.onnx"))
    (node,) = model.graph.node
    assert node.op_type == "LeakyRelu"
    alpha = next((onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == "alpha"), 0.01)
    data_sets = sorted(glob.glob(os.path.join(case, "test_data_set_*")))
    assert data_sets
    for data_set in data_sets:
        tensors = []
        for file_name in ("input_0.pb", "output_0.pb"):
            proto = onnx.TensorProto()
            with open(os.path.join(data_set, file_name), "rb") as f:
                proto.ParseFromString(f.read())
            tensors.append(numpy_helper.to_array(proto))
        x, expected = tensors
        assert x.dtype == np.float32
        got = pygraph.leaky_relu(x, alpha)
        assert reference.same_bits(got, reference.leaky_relu(x, alpha))
        # ONNX's expected values were computed in double, then rounded: allow
        # one f32 rounding step of difference.
        np.testing.assert_allclose(got, expected, rtol=2e-7, atol=0)


def test_the_reference_itself_follows_the_nan_rules():
    """Pins pygraph.reference (used by the tests and `pygraph run`) to SPEC §2."""
    x = np.array([1.0, -2.0, -0.0, np.nan, -np.inf, np.inf], np.float32)
    got = reference.leaky_relu(x, 0.5).view(np.uint32)
    want = np.array([1.0, -1.0, -0.0, np.nan, -np.inf, np.inf], np.float32).view(np.uint32)
    assert (got == want).all()
    nan_alpha = np.array(0x7FA00000, np.uint32).view(np.float32)[()]  # a signalling NaN
    got = reference.leaky_relu(np.array([-1.0, 2.0], np.float32), nan_alpha).view(np.uint32)
    assert got.tolist() == [0x7FE00000, 0x40000000]
    got = reference.leaky_relu(np.array([-np.inf], np.float32), 0.0).view(np.uint32)
    assert got.tolist() == [0xFFC00000]
