"""pygraph.leaky_relu(x, alpha, out=None): the functional form and its cache."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

import pygraph
from pygraph import functional

from pygraph import reference


def test_seed_examples():
    x = np.array([-2, -1, 0, 1, 2], np.float32)
    np.testing.assert_array_equal(pygraph.leaky_relu(x, 0.5), [-1, -0.5, 0, 1, 2])
    y = pygraph.leaky_relu(np.array([[-1, 4, -8], [2, -5, 9]], np.float32), 0.2)
    assert reference.same_bits(y, np.array([[-0.2, 4, -1.6], [2, -1, 9]], np.float32))


def test_without_out_returns_a_new_array_laid_out_like_x():
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    y = pygraph.leaky_relu(x, 0.5)
    assert type(y) is np.ndarray and y is not x and y.dtype == x.dtype and y.shape == x.shape
    assert y.flags.c_contiguous
    f = pygraph.leaky_relu(np.asfortranarray(x), 0.5)
    assert f.flags.f_contiguous and reference.same_bits(np.ascontiguousarray(f), y)
    r = pygraph.leaky_relu(x[::-1, ::-1], 0.5)
    assert r.flags.c_contiguous and reference.same_bits(r, y[::-1, ::-1].copy())
    for view in (np.broadcast_to(x[0], (5, 4)), x[::2, ::-1], np.broadcast_to(x[:, :1], (3, 4))):
        result = pygraph.leaky_relu(view, 0.5)
        assert result.shape == view.shape and result.strides == np.empty_like(view).strides
        assert reference.same_bits(np.ascontiguousarray(result), reference.leaky_relu(np.ascontiguousarray(view), 0.5))


def test_with_out_writes_and_returns_out():
    x = np.arange(-3, 3, dtype=np.float16)
    out = np.empty_like(x)
    assert pygraph.leaky_relu(x, 2.0, out=out) is out
    assert reference.same_bits(out, reference.leaky_relu(x, 2.0))


def test_out_is_x_runs_in_place():
    x = np.arange(-3, 3, dtype=ml_dtypes.bfloat16)
    expected = reference.leaky_relu(x, 0.3)
    assert pygraph.leaky_relu(x, 0.3, out=x) is x
    assert reference.same_bits(x, expected)


def test_lists_and_scalars_become_f32():
    y = pygraph.leaky_relu([-2, -1, 0, 1, 2], 0.5)
    assert y.dtype == np.float32 and y.tolist() == [-1, -0.5, 0, 1, 2]
    assert pygraph.leaky_relu(-4.0, 0.25).tolist() == -1.0


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int8, np.bool_])
def test_other_dtypes_are_refused(dtype):
    with pytest.raises(pygraph.InvalidDataTypeError) as info:
        pygraph.leaky_relu(np.zeros(3, dtype), 0.5)
    assert "f32" in str(info.value)


def test_mismatched_out_is_refused_and_untouched():
    x = np.arange(-3, 3, dtype=np.float32)
    for out, error in ((np.full(6, 7.0, np.float16), pygraph.InvalidDataTypeError),
                       (np.full(5, 7.0, np.float32), pygraph.InvalidShapeError)):
        with pytest.raises(error):
            pygraph.leaky_relu(x, 0.5, out=out)
        assert np.all(out == 7.0)
    readonly = np.full(6, 7.0, np.float32)
    readonly.flags.writeable = False
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        pygraph.leaky_relu(x, 0.5, out=readonly)
    assert "read-only" in str(info.value)
    buffer = np.arange(-6, 7, dtype=np.float32)
    before = buffer.copy()
    with pytest.raises(pygraph.InvalidArgumentsError):
        pygraph.leaky_relu(buffer[:12], 0.5, out=buffer[1:])
    assert np.array_equal(buffer, before)


@pytest.mark.parametrize("alpha", [True, "0.5", None, [0.5], 1e39])
def test_bad_alpha(alpha):
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        pygraph.leaky_relu(np.zeros(3, np.float32), alpha)
    assert "alpha" in str(info.value)


def test_alpha_is_rounded_to_f32():
    x = np.array([-1.0], np.float32)
    assert pygraph.leaky_relu(x, 0.1)[0] == np.float32(0.1) * np.float32(-1.0)
    assert pygraph.leaky_relu(x, np.float32(0.1))[0] == np.float32(-0.1)


def test_cache_hits_and_bound():
    functional.clear_cache()
    x = np.zeros(4, np.float32)
    pygraph.leaky_relu(x, 0.5)
    pygraph.leaky_relu(x, 0.5)
    pygraph.leaky_relu(x, math.nan)
    pygraph.leaky_relu(x, float("nan"))  # another NaN object, same f32 bits: a hit
    assert functional.cache_size() == 2
    for i in range(functional.CACHE_LIMIT + 10):
        pygraph.leaky_relu(np.zeros(i % 7 + 1, np.float32), float(i))
    assert functional.cache_size() == functional.CACHE_LIMIT
    functional.clear_cache()
    assert functional.cache_size() == 0


def test_cache_tells_negative_zero_alpha_from_positive_zero():
    x = np.array([-1.0], np.float32)
    assert math.copysign(1, pygraph.leaky_relu(x, 0.0)[0]) == -1.0
    assert math.copysign(1, pygraph.leaky_relu(x, -0.0)[0]) == 1.0
    assert math.copysign(1, pygraph.leaky_relu(x, 0)[0]) == -1.0


def test_cache_distinguishes_layouts_and_alphas():
    functional.clear_cache()
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    a = pygraph.leaky_relu(x, 0.5)
    b = pygraph.leaky_relu(x.T, 0.5)
    c = pygraph.leaky_relu(x, -0.5)
    d = pygraph.leaky_relu(x, 0.5, out=np.empty((4, 3), np.float32).T)
    assert reference.same_bits(b, np.ascontiguousarray(a.T))
    assert reference.same_bits(c, reference.leaky_relu(x, -0.5))
    assert reference.same_bits(np.ascontiguousarray(d), a)
    assert functional.cache_size() == 4


def test_the_latest_hit_is_reused_only_for_an_equal_call():
    """The entry of the latest dense hit is found without a dict lookup
    (functional._last_hit); every call that differs from it in dtype,
    shape, layout or alpha still gets its own partition, and a bad alpha
    equal to the last one (True == 1.0) is still refused."""
    functional.clear_cache()
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    expected = reference.leaky_relu(x, 1.5)
    for _ in range(2):  # the first call fills the cache, the second hits it ...
        assert reference.same_bits(pygraph.leaky_relu(x, 1.5), expected)
    assert reference.same_bits(pygraph.leaky_relu(x, 1.5), expected)  # ... and this one is served by the latest hit
    assert reference.same_bits(pygraph.leaky_relu(x, np.float64(1.5)), expected)
    assert reference.same_bits(pygraph.leaky_relu(x, 2.5), reference.leaky_relu(x, 2.5))
    assert reference.same_bits(pygraph.leaky_relu(x, 1.5), expected)
    assert functional._last_hit[1] == (3, 4)  # the memo is what served the calls above
    negative = np.full(3, -1.0, np.float32)
    pygraph.leaky_relu(negative, 1.0)
    pygraph.leaky_relu(negative, 1.0)  # the latest hit is now alpha 1.0 ...
    with pytest.raises(pygraph.InvalidArgumentsError):
        pygraph.leaky_relu(negative, True)  # ... which must not serve True
    assert math.copysign(1, pygraph.leaky_relu(negative, -0.0)[0]) == 1.0  # nor -0.0 or 0.0
    assert math.copysign(1, pygraph.leaky_relu(negative, 0.0)[0]) == -1.0
    assert np.isnan(pygraph.leaky_relu(negative, math.nan)).all()
    other_shape = x.reshape(4, 3)
    assert pygraph.leaky_relu(other_shape, 1.5).shape == (4, 3)
    assert pygraph.leaky_relu(x, 1.5).shape == (3, 4)
    half = x.astype(np.float16)
    assert reference.same_bits(pygraph.leaky_relu(half, 1.5), reference.leaky_relu(half, 1.5))
    transposed = np.ascontiguousarray(x.T).T  # shape (3, 4), not C-contiguous
    assert reference.same_bits(pygraph.leaky_relu(transposed, 1.5), expected)
    out = np.full((4, 3), 7, np.float32)
    with pytest.raises(pygraph.InvalidShapeError):
        pygraph.leaky_relu(x, 1.5, out=out)
    assert (out == 7).all()
    functional.clear_cache()
    assert functional.cache_size() == 0
    assert reference.same_bits(pygraph.leaky_relu(x, 1.5), expected)
    assert functional.cache_size() == 1  # compiled anew, not served by a forgotten hit


def test_c_contiguous_calls_share_one_entry_and_other_layouts_still_run():
    # C-contiguous x and out are keyed by (dtype, shape, alpha) only and rely
    # on run_unary refusing anything else: after that entry exists,
    # every other layout of the same shape must still run (or be refused)
    # exactly as before.
    functional.clear_cache()
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    expected = reference.leaky_relu(x, 0.5)
    y = np.full_like(x, 7.0)
    assert reference.same_bits(pygraph.leaky_relu(x, 0.5), expected)
    assert pygraph.leaky_relu(x, 0.5, out=y) is y and reference.same_bits(y, expected)
    z = x.copy()
    assert pygraph.leaky_relu(z, 0.5, out=z) is z and reference.same_bits(z, expected)
    assert functional.cache_size() == 1
    fortran = np.asfortranarray(x)
    f = pygraph.leaky_relu(fortran, 0.5)
    assert f.flags.f_contiguous and reference.same_bits(np.ascontiguousarray(f), expected)
    strided_out = np.full((3, 8), 7.0, np.float32)[:, ::2]
    assert pygraph.leaky_relu(x, 0.5, out=strided_out) is strided_out
    assert reference.same_bits(np.ascontiguousarray(strided_out), expected)
    # x not C-contiguous, out dense: only x's export is refused.
    dense_out = np.full_like(x, 7.0)
    assert pygraph.leaky_relu(fortran, 0.5, out=dense_out) is dense_out
    assert reference.same_bits(dense_out, expected)
    assert functional.cache_size() == 4
    readonly = np.full_like(x, 7.0)
    readonly.flags.writeable = False
    with pytest.raises(pygraph.InvalidArgumentsError, match="read-only"):
        pygraph.leaky_relu(x, 0.5, out=readonly)
    # A stride that is not a whole number of items, on an extent-1 dim: NumPy
    # calls the array C-contiguous, and it runs with or without a cached entry.
    field = np.array([(-2.0, 1)], dtype=[("a", np.float32), ("b", np.uint8)])["a"]
    assert field.strides == (5,) and field.flags.c_contiguous
    functional.clear_cache()
    assert pygraph.leaky_relu(field, 0.5).tolist() == [-1.0]
    assert pygraph.leaky_relu(np.zeros(1, np.float32), 0.5).tolist() == [0.0]
    assert pygraph.leaky_relu(field, 0.5).tolist() == [-1.0]
    assert pygraph.leaky_relu(field, 0.5, out=field) is field and field.tolist() == [-1.0]


def test_zero_size_and_scalar_arrays():
    assert pygraph.leaky_relu(np.zeros((0, 3), np.float32), 0.5).shape == (0, 3)
    assert pygraph.leaky_relu(np.array(-2.0, np.float32), 0.5) == -1.0
