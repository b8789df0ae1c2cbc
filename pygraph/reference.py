"""The NumPy reference of LeakyReLU's semantics — SPEC §2 with the NaN rules
of native/src/kernels/leaky_relu.h — written independently of the C kernels.

It is the executable definition on the Python side: the test suite and
``pygraph run`` compare the library's results with it bit for bit.

Everything works on bit patterns: inputs and outputs are unsigned integer
arrays (uint32 for f32, uint16 for bf16 and f16), so comparisons are exact
and NaN payloads and signed zeros count.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

# dtype name -> (NumPy value dtype, unsigned bits dtype, quiet bit, x86 default NaN)
FORMATS = {
    "f32": (np.dtype(np.float32), np.dtype(np.uint32), 0x00400000, 0xFFC00000),
    "bf16": (np.dtype(ml_dtypes.bfloat16), np.dtype(np.uint16), 0x0040, 0xFFC0),
    "f16": (np.dtype(np.float16), np.dtype(np.uint16), 0x0200, 0xFE00),
}
DTYPES = tuple(FORMATS)


def value_dtype(name: str) -> np.dtype:
    return FORMATS[name][0]


def bits_dtype(name: str) -> np.dtype:
    return FORMATS[name][1]


def to_bits(array: np.ndarray) -> np.ndarray:
    """The bit patterns of a f32/bf16/f16 array (a copy, C order, same shape;
    np.ascontiguousarray would turn a 0-d array into a 1-d one)."""
    return np.array(array, order="C", copy=True).view(np.uint32 if array.dtype.itemsize == 4 else np.uint16)


def widen(bits: np.ndarray, name: str) -> np.ndarray:
    """f32 values of `bits` (exact for every type)."""
    if name == "f32":
        return bits.astype(np.uint32).view(np.float32)
    if name == "bf16":
        return (bits.astype(np.uint32) << 16).view(np.float32)
    return bits.astype(np.uint16).view(np.float16).astype(np.float32)


def narrow(values: np.ndarray, name: str) -> np.ndarray:
    """Bits of f32 `values` rounded once, to nearest-even, to `name` (non-NaN values)."""
    if name == "f32":
        return values.view(np.uint32).copy()
    if name == "bf16":
        # Integer round-to-nearest-even on the top 16 bits; a carry into the
        # exponent gives the next binade or infinity, as IEEE rounding does.
        wide = values.view(np.uint32).astype(np.uint64)
        rounded = (wide + 0x7FFF + ((wide >> 16) & 1)) >> 16
        return rounded.astype(np.uint16)
    with np.errstate(over="ignore"):
        return values.astype(np.float16).view(np.uint16)


def quiet_alpha_nan(alpha_bits: int, name: str) -> int:
    """alpha's NaN quieted and narrowed to `name` (top payload bits kept)."""
    if name == "f32":
        return alpha_bits | 0x00400000
    if name == "bf16":
        return (alpha_bits >> 16) | 0x0040
    sign = (alpha_bits >> 16) & 0x8000
    return sign | 0x7C00 | ((alpha_bits >> 13) & 0x3FF) | 0x0200


def f32_bits(alpha: float) -> int:
    return int(np.array(alpha, np.float32).view(np.uint32))


def leaky_relu_bits(bits: np.ndarray, name: str, alphas) -> np.ndarray:
    """dst bits of a chain of LeakyReLU ops over src `bits` of type `name`.

    `alphas`: one alpha (a float, or an np.float32 for a NaN with a payload)
    or a sequence of them, applied in order with rounding after each step.
    """
    if np.isscalar(alphas) or isinstance(alphas, np.floating):
        alphas = [alphas]
    _, udtype, quiet, default_nan = FORMATS[name]
    shape = np.shape(bits)
    # 1-d inside: NumPy arithmetic on 0-d arrays returns immutable scalars.
    bits = np.asarray(bits).astype(udtype).reshape(-1)
    for alpha in alphas:
        alpha32 = np.float32(alpha)
        x = widen(bits, name)
        is_nan = np.isnan(x)
        keep = x >= 0  # +0 and -0 included; False for NaN
        with np.errstate(all="ignore"):
            product = x * alpha32
        out = narrow(product, name).astype(udtype)
        product_nan = np.isnan(product) & ~is_nan & ~keep
        if np.isnan(alpha32):
            nan_bits = quiet_alpha_nan(int(alpha32.view(np.uint32)), name)
        else:
            nan_bits = default_nan
        out[product_nan] = nan_bits
        out[keep] = bits[keep]
        out[is_nan] = bits[is_nan] | quiet
        bits = out
    return bits.reshape(shape)


def leaky_relu(array: np.ndarray, alphas) -> np.ndarray:
    """The reference result as an array of `array`'s dtype and shape (C order)."""
    name = {v[0]: k for k, v in FORMATS.items()}[array.dtype]
    result = leaky_relu_bits(to_bits(array), name, alphas)
    return result.view(array.dtype).reshape(array.shape)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays of one dtype hold identical bit patterns."""
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(to_bits(a), to_bits(b))
