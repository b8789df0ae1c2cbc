/*
 * lrelu_reference.h — the semantics of leaky_relu.h in plain, portable C.
 *
 * These functions are the definition every other kernel is tested against,
 * so they are written to be obviously right rather than fast: software
 * conversions on integer bits (no hardware F16C/BF16 instructions, whose
 * treatment of subnormals and NaN payloads varies), one f32 multiply per
 * step, explicit NaN results.  The only floating-point operation is the
 * multiply; the build's -ffp-contract=off and c11 keep it a plain IEEE
 * multiply (no FMA, no excess precision on x86-64's SSE).
 */
#ifndef PYGRAPH_KERNELS_REFERENCE_LRELU_REFERENCE_H
#define PYGRAPH_KERNELS_REFERENCE_LRELU_REFERENCE_H

#include <stdint.h>
#include <string.h>

#include "kernels/lrelu_kernels.h"

static inline float pg_f32_from_bits(uint32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline int pg_f32_bits_is_nan(uint32_t bits)
{
    return (bits & 0x7FFFFFFFu) > 0x7F800000u;
}

/* ---- bf16 <-> f32 ------------------------------------------------------ */

/* Exact: a bf16 is the top half of an f32. */
static inline uint32_t pg_bf16_to_f32_bits(uint16_t h)
{
    return (uint32_t)h << 16;
}

/* Round to nearest, ties to even, for a non-NaN f32.  Adding 0x7FFF plus
 * the lowest kept bit carries into the kept half exactly when the dropped
 * half is above the tie, or at the tie with an odd kept half; a carry out
 * of the largest finite value lands on infinity, as it should.  Subnormals
 * need no special case. */
static inline uint16_t pg_f32_bits_to_bf16_rne(uint32_t f)
{
    uint32_t lowest_kept_bit = (f >> 16) & 1u;
    return (uint16_t)((f + 0x7FFFu + lowest_kept_bit) >> 16);
}

/* NaN narrowing of leaky_relu.h: top payload bits kept, quiet bit set. */
static inline uint16_t pg_f32_nan_bits_to_bf16(uint32_t f)
{
    return (uint16_t)((f >> 16) | 0x0040u);
}

/* ---- f16 <-> f32 ------------------------------------------------------- */

/* Exact for every f16, subnormals included; NaN payloads are moved, not
 * quieted (quieting is the step's job). */
static inline uint32_t pg_f16_to_f32_bits(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0x1Fu) {
        return sign | 0x7F800000u | (mantissa << 13); /* inf or NaN */
    }
    if (exponent != 0) {
        return sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
    }
    if (mantissa == 0) {
        return sign; /* ±0 */
    }
    /* Subnormal mantissa * 2^-24: shift the leading one up to the implicit
     * position, one exponent step per shift. */
    uint32_t biased = 127 - 15 + 1;
    while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        biased -= 1;
    }
    return sign | (biased << 23) | ((mantissa & 0x3FFu) << 13);
}

/* Round to nearest, ties to even, for a non-NaN f32. */
static inline uint16_t pg_f32_bits_to_f16_rne(uint32_t f)
{
    uint16_t sign = (uint16_t)((f >> 16) & 0x8000u);
    uint32_t magnitude = f & 0x7FFFFFFFu;
    if (magnitude >= 0x477FF000u) {
        /* 65520 = 65504 + half an ulp rounds (to even) past the largest
         * finite f16: infinity; so does everything above, inf included. */
        return sign | 0x7C00u;
    }
    if (magnitude >= 0x38800000u) {
        /* Normal f16 (>= 2^-14): rebias the exponent, round 13 bits away;
         * a carry out of the mantissa correctly bumps the exponent. */
        uint32_t rebiased = magnitude - ((uint32_t)(127 - 15) << 23);
        uint32_t lowest_kept_bit = (rebiased >> 13) & 1u;
        return sign | (uint16_t)((rebiased + 0xFFFu + lowest_kept_bit) >> 13);
    }
    if (magnitude <= 0x33000000u) {
        /* At most 2^-25, half the smallest subnormal: the tie goes to even
         * (zero). */
        return sign;
    }
    /* Subnormal f16: the value in units of 2^-24 is m * 2^(e - 126), with m
     * the 24-bit significand; shift right by 126 - e (14..24) and round. */
    uint32_t exponent = magnitude >> 23;
    uint32_t significand = (magnitude & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126 - exponent;
    uint32_t quotient = significand >> shift;
    uint32_t remainder = significand & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (remainder > half || (remainder == half && (quotient & 1u))) {
        quotient += 1; /* may reach 0x400, the smallest normal: right encoding */
    }
    return sign | (uint16_t)quotient;
}

static inline uint16_t pg_f32_nan_bits_to_f16(uint32_t f)
{
    return (uint16_t)(((f >> 16) & 0x8000u) | 0x7C00u | ((f >> 13) & 0x3FFu) | 0x0200u);
}

/* ---- one step of the chain --------------------------------------------- */

/* The negative branch before narrowing: the bits of alpha * x in f32 and
 * whether they are NaN (the caller then applies the NaN rules). */
static inline uint32_t pg_ref_negative_product_bits(float alpha, uint32_t x_bits, int *is_nan)
{
    float product = alpha * pg_f32_from_bits(x_bits);
    uint32_t bits = pg_f32_bits(product);
    *is_nan = pg_f32_bits_is_nan(bits);
    return bits;
}

static inline uint32_t pg_ref_f32_step(uint32_t x, float alpha)
{
    if (pg_f32_bits_is_nan(x)) {
        return x | 0x00400000u;
    }
    if ((x & 0x80000000u) == 0 || x == 0x80000000u) {
        return x; /* x >= 0, -0 included */
    }
    int is_nan;
    uint32_t r = pg_ref_negative_product_bits(alpha, x, &is_nan);
    if (is_nan) {
        uint32_t alpha_bits = pg_f32_bits(alpha);
        return pg_f32_bits_is_nan(alpha_bits) ? alpha_bits | 0x00400000u : PG_F32_DEFAULT_NAN;
    }
    return r;
}

static inline uint16_t pg_ref_bf16_step(uint16_t x, float alpha)
{
    if ((x & 0x7FFFu) > 0x7F80u) {
        return x | 0x0040u;
    }
    if ((x & 0x8000u) == 0 || x == 0x8000u) {
        return x;
    }
    int is_nan;
    uint32_t r = pg_ref_negative_product_bits(alpha, pg_bf16_to_f32_bits(x), &is_nan);
    if (is_nan) {
        uint32_t alpha_bits = pg_f32_bits(alpha);
        return pg_f32_bits_is_nan(alpha_bits) ? pg_f32_nan_bits_to_bf16(alpha_bits) : 0xFFC0u;
    }
    return pg_f32_bits_to_bf16_rne(r);
}

static inline uint16_t pg_ref_f16_step(uint16_t x, float alpha)
{
    if ((x & 0x7FFFu) > 0x7C00u) {
        return x | 0x0200u;
    }
    if ((x & 0x8000u) == 0 || x == 0x8000u) {
        return x;
    }
    int is_nan;
    uint32_t r = pg_ref_negative_product_bits(alpha, pg_f16_to_f32_bits(x), &is_nan);
    if (is_nan) {
        uint32_t alpha_bits = pg_f32_bits(alpha);
        return pg_f32_bits_is_nan(alpha_bits) ? pg_f32_nan_bits_to_f16(alpha_bits) : 0xFE00u;
    }
    return pg_f32_bits_to_f16_rne(r);
}

/* ---- the reference kernels (lrelu_reference.c) ------------------------- */

pg_lrelu_contiguous_fn pg_f32_lrelu__scalar;
pg_lrelu_contiguous_fn pg_bf16_lrelu__scalar;
pg_lrelu_contiguous_fn pg_f16_lrelu__scalar;
pg_lrelu_strided_fn pg_f32_lrelu_strided__scalar;
pg_lrelu_strided_fn pg_bf16_lrelu_strided__scalar;
pg_lrelu_strided_fn pg_f16_lrelu_strided__scalar;

#endif /* PYGRAPH_KERNELS_REFERENCE_LRELU_REFERENCE_H */
