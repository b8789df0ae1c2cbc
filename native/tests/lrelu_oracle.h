/*
 * lrelu_oracle.h — LeakyReLU written a second time, independently of the
 * library, straight from SPEC §2 and the NaN rules of
 * native/src/kernels/leaky_relu.h.
 *
 * It deliberately shares no technique with a typical kernel: values are
 * decoded into doubles, the product alpha * x is formed exactly in double
 * (24 x 24 significand bits fit in 53, and every f32 exponent sum fits in
 * double's range), and every rounding (exact product -> f32, f32 -> bf16 or
 * f16) is done by scaling to an integer grid and calling rint(), i.e. the
 * arithmetic definition of round-to-nearest-even rather than bit tricks.
 * The tests compare the library's bits with these bits.
 */
#ifndef PYGRAPH_TESTS_LRELU_ORACLE_H
#define PYGRAPH_TESTS_LRELU_ORACLE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* A binary floating-point format: 1 sign bit, exponent_bits, mantissa_bits. */
typedef struct oracle_format {
    int exponent_bits;
    int mantissa_bits;
} oracle_format;

static const oracle_format oracle_f32 = {8, 23};
static const oracle_format oracle_bf16 = {8, 7};
static const oracle_format oracle_f16 = {5, 10};

static inline int oracle_total_bits(oracle_format format) { return 1 + format.exponent_bits + format.mantissa_bits; }
static inline uint32_t oracle_exponent_mask(oracle_format format) {
    return ((1u << format.exponent_bits) - 1u) << format.mantissa_bits;
}
static inline uint32_t oracle_mantissa_mask(oracle_format format) { return (1u << format.mantissa_bits) - 1u; }
static inline uint32_t oracle_sign_bit(oracle_format format) { return 1u << (oracle_total_bits(format) - 1); }
static inline uint32_t oracle_quiet_bit(oracle_format format) { return 1u << (format.mantissa_bits - 1); }
/* Exponent of the smallest normal number, 1 - bias. */
static inline int oracle_min_exponent(oracle_format format) { return 2 - (1 << (format.exponent_bits - 1)); }

static inline int oracle_is_nan(uint32_t bits, oracle_format format) {
    return (bits & oracle_exponent_mask(format)) == oracle_exponent_mask(format) &&
           (bits & oracle_mantissa_mask(format)) != 0;
}

/* The exact value of a non-NaN encoding. */
static inline double oracle_decode(uint32_t bits, oracle_format format) {
    double sign = (bits & oracle_sign_bit(format)) ? -1.0 : 1.0;
    uint32_t exponent_field = (bits & oracle_exponent_mask(format)) >> format.mantissa_bits;
    uint32_t mantissa = bits & oracle_mantissa_mask(format);
    if (exponent_field == (1u << format.exponent_bits) - 1u) return sign * INFINITY;
    if (exponent_field == 0) {
        return sign * ldexp((double)mantissa, oracle_min_exponent(format) - format.mantissa_bits);
    }
    double significand = (double)((1u << format.mantissa_bits) + mantissa);
    return sign * ldexp(significand, (int)exponent_field - (1 << (format.exponent_bits - 1)) + 1 -
                                         format.mantissa_bits);
}

/* `value` (not NaN) rounded once, to nearest-even, into `format`;
 * overflow gives inf, subnormals are kept, the sign of zero is kept. */
static inline uint32_t oracle_encode(double value, oracle_format format) {
    uint32_t sign = signbit(value) ? oracle_sign_bit(format) : 0u;
    double magnitude = fabs(value);
    if (isinf(magnitude)) return sign | oracle_exponent_mask(format);
    if (magnitude == 0.0) return sign;
    int binary_exponent;
    frexp(magnitude, &binary_exponent); /* magnitude in [2^(e-1), 2^e) */
    int exponent = binary_exponent - 1;
    if (exponent < oracle_min_exponent(format)) exponent = oracle_min_exponent(format); /* subnormal grid */
    /* Units of the last place at this exponent: scaling by a power of two is
     * exact, rint() rounds half to even in the default rounding mode. */
    double units = rint(ldexp(magnitude, format.mantissa_bits - exponent));
    /* (exponent - emin) << m, plus units in [2^m, 2^(m+1)] (or below 2^m for
     * subnormals), is the encoding; a carry out of the mantissa lands in the
     * exponent field, as rounding up to the next binade should. */
    uint64_t magnitude_bits =
        ((uint64_t)(exponent - oracle_min_exponent(format)) << format.mantissa_bits) + (uint64_t)units;
    if (magnitude_bits >= oracle_exponent_mask(format)) return sign | oracle_exponent_mask(format);
    return sign | (uint32_t)magnitude_bits;
}

/* One LeakyReLU step on the encoding `x` of `format` with f32 `alpha`. */
static inline uint32_t oracle_lrelu(uint32_t x, float alpha, oracle_format format) {
    if (oracle_is_nan(x, format)) return x | oracle_quiet_bit(format);
    double value = oracle_decode(x, format);
    if (value >= 0.0) return x; /* +0 and -0 included: bits unchanged */
    if (isnan(alpha)) {
        /* The result is alpha quieted, narrowed by keeping its top payload
         * bits. */
        uint32_t alpha_bits;
        memcpy(&alpha_bits, &alpha, sizeof alpha_bits);
        uint32_t sign = (alpha_bits >> 31) ? oracle_sign_bit(format) : 0u;
        uint32_t payload = (alpha_bits & 0x007FFFFFu) >> (23 - format.mantissa_bits);
        return sign | oracle_exponent_mask(format) | payload | oracle_quiet_bit(format);
    }
    if (isinf(value) && alpha == 0.0f) {
        /* -inf * 0: the x86 default NaN. */
        return oracle_sign_bit(format) | oracle_exponent_mask(format) | oracle_quiet_bit(format);
    }
    double exact_product = (double)alpha * value; /* exact, or ±inf when an operand is infinite */
    uint32_t product_f32 = oracle_encode(exact_product, oracle_f32);
    return oracle_encode(oracle_decode(product_f32, oracle_f32), format);
}

/* A chain of steps, rounding to `format` after each (the fused semantics). */
static inline uint32_t oracle_lrelu_chain(uint32_t x, const float *alphas, size_t num_alphas, oracle_format format) {
    for (size_t i = 0; i < num_alphas; i++) x = oracle_lrelu(x, alphas[i], format);
    return x;
}

#endif /* PYGRAPH_TESTS_LRELU_ORACLE_H */
