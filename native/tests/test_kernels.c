/*
 * test_kernels.c — the LeakyReLU bits, through the public API, against the
 * independent oracle of lrelu_oracle.h:
 *   - all 65,536 bf16 and all 65,536 f16 bit patterns for many alphas
 *     (0.01, 0, -0, -0.5, 2, NaN, a signalling NaN with payload, ±inf, a
 *     subnormal alpha, a huge alpha);
 *   - f32 special values, every sign/exponent with random mantissas, and
 *     random bit patterns;
 *   - every length 0..300 (vector bodies and tails), misaligned, with guard
 *     elements that must not be written; in place; strided src (incl.
 *     negative and zero strides) and strided dst;
 *   - dst a few bytes past src modulo 4 KiB, where the kernels run from
 *     the end to the start (every length 0..300, and a tensor past the
 *     streaming-store threshold, also run in place), and just outside
 *     that window;
 *   - large tensors (2^21 elements: contiguous, reversed, in place, and a
 *     column-major to row-major 2-d copy) with 1, 2 and 3 threads (3: more
 *     threads than a 2-CPU CI machine has, so workers sleep and chunks are
 *     taken from each other's ranges);
 * each repeated once per instruction set the CPU supports, selected with
 * pygraph_set_max_cpu_isa.  Every kernel must give identical bits.
 * meson runs it four times: as is; with PYGRAPH_FAR_MIN_BYTES=1, which puts
 * every dense call on the far kernels (the ones for data in DRAM); and with
 * PYGRAPH_KERNEL_TUNING at zen4 and at intel, so the kernels of both
 * tunings (f16 on ymm or zmm vectors, with or without software prefetch)
 * run on any CPU.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lrelu_oracle.h"
#include "test_util.h"

/* The one internal function this test reads (the library is linked
 * statically): the far-kernel crossover, to confirm that the second run
 * really moved it, the tuning, and the streaming-store crossover, to size a
 * tensor past it.  Declared in kernels/lrelu_kernels.h. */
int64_t pg_far_min_bytes(void);
bool pg_software_prefetch_pays(void);
int64_t pg_streaming_min_bytes(void);

static pygraph_engine *engine;
static pygraph_stream *stream;
static const char *current_isa = "?";
static int current_threads = 0;

static const pygraph_data_type all_types[3] = {pygraph_data_type_f32, pygraph_data_type_bf16, pygraph_data_type_f16};

static oracle_format format_of(pygraph_data_type type) {
    return type == pygraph_data_type_f32 ? oracle_f32 : type == pygraph_data_type_bf16 ? oracle_bf16 : oracle_f16;
}

static size_t size_of(pygraph_data_type type) { return pygraph_data_type_size(type); }

static uint32_t get_bits(const void *base, int64_t index, pygraph_data_type type) {
    if (size_of(type) == 4) {
        uint32_t bits;
        memcpy(&bits, (const char *)base + index * 4, 4);
        return bits;
    }
    uint16_t bits;
    memcpy(&bits, (const char *)base + index * 2, 2);
    return bits;
}

static void set_bits(void *base, int64_t index, pygraph_data_type type, uint32_t bits) {
    if (size_of(type) == 4) {
        memcpy((char *)base + index * 4, &bits, 4);
    } else {
        uint16_t narrow = (uint16_t)bits;
        memcpy((char *)base + index * 2, &narrow, 2);
    }
}

static float nan_with_payload(void) { return tu_f32_from_bits(0xFFA12345u); /* negative, signalling */ }

/* The alphas every exhaustive sweep uses. */
#define NUM_ALPHAS 14
static float sweep_alphas[NUM_ALPHAS];
static void init_alphas(void) {
    /* 1, the f32 just below it and the one just above: the edges of the
     * kernels' max form (0 < alpha <= 1, lrelu_kernels.h). */
    const float alphas[NUM_ALPHAS] = {0.01f,      0.0f,      -0.0f,    -0.5f, 2.0f, NAN, nan_with_payload(),
                                      INFINITY, -INFINITY, 1e-40f, 3e38f, 1.0f, 0.99999994f, 1.00000012f};
    memcpy(sweep_alphas, alphas, sizeof alphas);
}

/* A compiled single-op (or chain) partition for a 1-d tensor. */
typedef struct compiled_1d {
    pygraph_compiled_partition *compiled;
    pygraph_logical_tensor src;
    pygraph_logical_tensor dst;
} compiled_1d;

static compiled_1d compile_1d(pygraph_data_type type, const float *alphas, size_t num_alphas, int64_t length,
                              int64_t src_stride, int64_t dst_stride) {
    compiled_1d result;
    pygraph_logical_tensor src = tu_lt_strided(0, type, 1, &length, &src_stride);
    pygraph_logical_tensor dst = tu_lt_strided(0, type, 1, &length, &dst_stride);
    result.compiled = tu_compile_chain(engine, alphas, num_alphas, src, dst);
    src.id = 100;
    dst.id = 100 + num_alphas;
    result.src = src;
    result.dst = dst;
    return result;
}

static void report_mismatch(int *mismatches, const char *what, pygraph_data_type type, uint32_t input, float alpha,
                            uint32_t expected, uint32_t got, int64_t index) {
    if ((*mismatches)++ < 8) {
        fprintf(stderr, "  [isa %s, %d threads] %s %s index %" PRId64 ": src 0x%08" PRIx32
                        " alpha %g (0x%08" PRIx32 ") expected 0x%08" PRIx32 " got 0x%08" PRIx32 "\n",
                current_isa, current_threads, what, pygraph_data_type_name(type), index, input, (double)alpha,
                tu_f32_bits(alpha), expected, got);
    }
}

/* ---- exhaustive half-precision sweep -------------------------------------- */

static void test_exhaustive_half(pygraph_data_type type) {
    enum { count = 65536 };
    uint16_t *src = tu_malloc(count * 2), *dst = tu_malloc(count * 2), *expected = tu_malloc(count * 2);
    for (uint32_t i = 0; i < count; i++) src[i] = (uint16_t)i;
    for (int a = 0; a < NUM_ALPHAS; a++) {
        float alpha = sweep_alphas[a];
        for (uint32_t i = 0; i < count; i++) expected[i] = (uint16_t)oracle_lrelu(i, alpha, format_of(type));
        compiled_1d c = compile_1d(type, &alpha, 1, count, 1, 1);
        memset(dst, 0, count * 2);
        int mismatches = 0;
        if (CHECK_OK(tu_execute1(c.compiled, stream, &c.src, src, &c.dst, dst))) {
            for (uint32_t i = 0; i < count; i++) {
                if (dst[i] != expected[i]) {
                    report_mismatch(&mismatches, "exhaustive", type, i, alpha, expected[i], dst[i], i);
                }
            }
        }
        /* In place over the same patterns. */
        memcpy(dst, src, count * 2);
        if (CHECK_OK(tu_execute1(c.compiled, stream, &c.src, dst, &c.dst, dst))) {
            for (uint32_t i = 0; i < count; i++) {
                if (dst[i] != expected[i]) {
                    report_mismatch(&mismatches, "exhaustive in-place", type, i, alpha, expected[i], dst[i], i);
                }
            }
        }
        /* Reversed src (stride -1): element i reads pattern 65535 - i. */
        compiled_1d reversed = compile_1d(type, &alpha, 1, count, -1, 1);
        memset(dst, 0, count * 2);
        if (CHECK_OK(tu_execute1(reversed.compiled, stream, &reversed.src, src + count - 1, &reversed.dst, dst))) {
            for (uint32_t i = 0; i < count; i++) {
                uint32_t pattern = count - 1 - i;
                if (dst[i] != expected[pattern]) {
                    report_mismatch(&mismatches, "exhaustive reversed", type, pattern, alpha, expected[pattern], dst[i],
                                    i);
                }
            }
        }
        CHECK(mismatches == 0);
        CHECK_OK(pygraph_compiled_partition_destroy(c.compiled));
        CHECK_OK(pygraph_compiled_partition_destroy(reversed.compiled));
    }
    free(src);
    free(dst);
    free(expected);
}

/* ---- f32 ------------------------------------------------------------------ */

static const uint32_t f32_specials[] = {
    0x00000000, 0x80000000, /* ±0 */
    0x00000001, 0x80000001, /* ±smallest subnormal */
    0x007FFFFF, 0x807FFFFF, /* ±largest subnormal */
    0x00800000, 0x80800000, /* ±smallest normal */
    0x3F800000, 0xBF800000, /* ±1 */
    0x7F7FFFFF, 0xFF7FFFFF, /* ±largest finite */
    0x7F800000, 0xFF800000, /* ±inf */
    0x7FC00000, 0xFFC00000, /* quiet NaNs */
    0x7F800001, 0xFF800001, /* signalling NaNs */
    0x7FBFFFFF, 0xFFA5A5A5, /* signalling NaNs with payloads */
    0x7FFFFFFF, 0xFFFFFFFF, /* quiet NaNs, all payload bits */
    0xBF000001, 0xC1200000, /* -0.5 - ulp, -10 */
    0xC2C80000, 0xB3800000, /* -100, -2^-24 */
    0xFF000000, 0x80400000, /* -2^127, -subnormal 2^-127 */
};

static void test_f32(void) {
    /* specials, then every sign/exponent with 32 random mantissas, then
     * random bit patterns */
    enum { random_count = 1 << 18 };
    size_t num_specials = sizeof f32_specials / sizeof f32_specials[0];
    size_t count = num_specials + 512 * 32 + random_count;
    uint32_t *src = tu_malloc(count * 4), *dst = tu_malloc(count * 4);
    size_t n = 0;
    for (size_t i = 0; i < num_specials; i++) src[n++] = f32_specials[i];
    uint64_t seed = 0xF32;
    for (uint32_t sign_exponent = 0; sign_exponent < 512; sign_exponent++) {
        for (int k = 0; k < 32; k++) src[n++] = (sign_exponent << 23) | (uint32_t)(tu_random(&seed) & 0x7FFFFF);
    }
    while (n < count) src[n++] = (uint32_t)tu_random(&seed);

    for (int a = 0; a < NUM_ALPHAS; a++) {
        float alpha = sweep_alphas[a];
        compiled_1d c = compile_1d(pygraph_data_type_f32, &alpha, 1, (int64_t)count, 1, 1);
        memset(dst, 0, count * 4);
        int mismatches = 0;
        if (CHECK_OK(tu_execute1(c.compiled, stream, &c.src, src, &c.dst, dst))) {
            for (size_t i = 0; i < count; i++) {
                uint32_t expected = oracle_lrelu(src[i], alpha, oracle_f32);
                if (dst[i] != expected) {
                    report_mismatch(&mismatches, "f32", pygraph_data_type_f32, src[i], alpha, expected, dst[i],
                                    (int64_t)i);
                }
            }
        }
        CHECK(mismatches == 0);
        CHECK_OK(pygraph_compiled_partition_destroy(c.compiled));
    }
    free(src);
    free(dst);
}

/* ---- every length 0..300 --------------------------------------------------- */

#define GUARD 19 /* odd: the data starts misaligned for every vector width */

static void fill_random(void *base, size_t count, pygraph_data_type type, uint64_t *seed) {
    for (size_t i = 0; i < count; i++) {
        uint64_t r = tu_random(seed);
        /* One value in four is a special (NaN, inf, zero, subnormal). */
        uint32_t bits = (uint32_t)r;
        if ((r >> 40) % 4 == 0) {
            static const uint32_t f32_choice[] = {0x80000000, 0x7FC00000, 0xFF800000, 0x80000001, 0x7F800001};
            static const uint32_t bf16_choice[] = {0x8000, 0x7FC0, 0xFF80, 0x8001, 0x7F81};
            static const uint32_t f16_choice[] = {0x8000, 0x7E00, 0xFC00, 0x8001, 0x7C01};
            size_t k = (size_t)((r >> 48) % 5);
            bits = type == pygraph_data_type_f32    ? f32_choice[k]
                   : type == pygraph_data_type_bf16 ? bf16_choice[k]
                                                    : f16_choice[k];
        }
        set_bits(base, (int64_t)i, type, bits);
    }
}

static int guards_intact(const unsigned char *buffer, size_t before_bytes, size_t after_offset, size_t after_bytes) {
    return tu_is_canary(buffer, before_bytes) && tu_is_canary(buffer + after_offset, after_bytes);
}

/* Element i of `got` against the oracle's chain applied to element i of
 * `input`, for every i < length. */
static void compare_with_oracle(const char *what, pygraph_data_type type, const float *alphas, size_t chain,
                                const void *input, const void *got, int64_t length, int *mismatches) {
    for (int64_t i = 0; i < length; i++) {
        uint32_t in = get_bits(input, i, type), out = get_bits(got, i, type);
        uint32_t expected = oracle_lrelu_chain(in, alphas, chain, format_of(type));
        if (out != expected) {
            report_mismatch(mismatches, what, type, in, alphas[0], expected, out, i);
        }
    }
}

/* Out of place, dst also starts DST_SHIFT elements later than src in its
 * block: the kernels align their stores to dst, and src must be read right
 * from any other alignment. */
#define DST_SHIFT 5

static void test_every_length(pygraph_data_type type) {
    /* Chains of 1 and 2 alphas at every length, and up to 70 elements of 33
     * (two passes on the SIMD kernels: the first in place too, descending
     * where one thread's whole passes do, the second ascending). */
    enum { long_chain = 33 };
    float alphas[long_chain];
    for (int i = 0; i < long_chain; i++) alphas[i] = i % 2 ? 0.01f : -0.5f;
    const size_t chains[3] = {1, 2, long_chain};
    size_t size = size_of(type);
    enum { max_length = 300, block_elements = max_length + 2 * GUARD + DST_SHIFT };
    unsigned char *src_block = tu_malloc(block_elements * 4);
    unsigned char *dst_block = tu_malloc(block_elements * 4);
    uint64_t seed = 0x1E5 + (uint64_t)type;
    int mismatches = 0, stray = 0;
    for (int64_t length = 0; length <= max_length; length++) {
        for (size_t which = 0; which < (length <= 70 ? 3u : 2u); which++) {
            size_t chain = chains[which];
            compiled_1d c = compile_1d(type, alphas, chain, length, 1, 1);
            void *src = src_block + GUARD * size;
            for (size_t shift = 0; shift <= DST_SHIFT; shift += DST_SHIFT) {
                void *shifted_dst = dst_block + (GUARD + shift) * size;
                fill_random(src, (size_t)length, type, &seed);
                tu_fill_canary(dst_block, block_elements * 4);
                if (CHECK_OK(tu_execute1(c.compiled, stream, &c.src, src, &c.dst, shifted_dst))) {
                    compare_with_oracle("length sweep", type, alphas, chain, src, shifted_dst, length, &mismatches);
                    size_t before = (GUARD + shift) * size, after = before + (size_t)length * size;
                    if (!guards_intact(dst_block, before, after, block_elements * 4 - after) && stray++ < 4) {
                        fprintf(stderr, "  [isa %s] %s length %" PRId64 " dst shift %zu: write outside the dst\n",
                                current_isa, pygraph_data_type_name(type), length, shift);
                    }
                }
            }
            /* In place, misaligned the same way, guards around. */
            void *dst = dst_block + GUARD * size;
            tu_fill_canary(dst_block, block_elements * 4);
            memcpy(dst, src, (size_t)length * size);
            if (CHECK_OK(tu_execute1(c.compiled, stream, &c.src, dst, &c.dst, dst))) {
                compare_with_oracle("length sweep in-place", type, alphas, chain, src, dst, length, &mismatches);
                if (!guards_intact(dst_block, GUARD * size, GUARD * size + (size_t)length * size, GUARD * size) &&
                    stray++ < 4) {
                    fprintf(stderr, "  [isa %s] %s in-place length %" PRId64 ": write outside the tensor\n",
                            current_isa, pygraph_data_type_name(type), length);
                }
            }
            CHECK_OK(pygraph_compiled_partition_destroy(c.compiled));
        }
    }
    CHECK(mismatches == 0);
    CHECK(stray == 0);
    free(src_block);
    free(dst_block);
}

/* ---- strided 1-d and 2-d ----------------------------------------------------- */

static void test_strided(pygraph_data_type type) {
    const int64_t src_strides[] = {2, 3, -1, -2, 0, 7};
    const int64_t dst_strides[] = {1, 2, 5};
    const float alpha = -1.25f;
    size_t size = size_of(type);
    uint64_t seed = 0x57 + (uint64_t)type;
    int mismatches = 0, stray = 0;
    for (size_t s = 0; s < sizeof src_strides / sizeof src_strides[0]; s++) {
        for (size_t d = 0; d < sizeof dst_strides / sizeof dst_strides[0]; d++) {
            for (int64_t length = 1; length <= 70; length += (length < 40 ? 1 : 7)) {
                int64_t src_stride = src_strides[s], dst_stride = dst_strides[d];
                compiled_1d c = compile_1d(type, &alpha, 1, length, src_stride, dst_stride);
                int64_t src_span = (length - 1) * (src_stride < 0 ? -src_stride : src_stride) + 1;
                int64_t dst_span = (length - 1) * dst_stride + 1;
                unsigned char *src_block = tu_malloc((size_t)(src_span + 2 * GUARD) * size);
                unsigned char *dst_block = tu_malloc((size_t)(dst_span + 2 * GUARD) * size);
                fill_random(src_block, (size_t)(src_span + 2 * GUARD), type, &seed);
                tu_fill_canary(dst_block, (size_t)(dst_span + 2 * GUARD) * size);
                /* element 0 sits at the high end for a negative stride */
                unsigned char *src = src_block + (size_t)(GUARD + (src_stride < 0 ? src_span - 1 : 0)) * size;
                unsigned char *dst = dst_block + GUARD * size;
                if (CHECK_OK(tu_execute1(c.compiled, stream, &c.src, src, &c.dst, dst))) {
                    for (int64_t i = 0; i < length; i++) {
                        uint32_t in = get_bits(src, i * src_stride, type);
                        uint32_t got = get_bits(dst, i * dst_stride, type);
                        uint32_t expected = oracle_lrelu(in, alpha, format_of(type));
                        if (got != expected) {
                            report_mismatch(&mismatches, "strided", type, in, alpha, expected, got, i);
                        }
                    }
                    /* Gaps between dst elements and the guards keep the canary. */
                    for (int64_t slot = -GUARD; slot < dst_span + GUARD; slot++) {
                        int is_element = slot >= 0 && slot < dst_span && slot % dst_stride == 0;
                        if (!is_element && !tu_is_canary(dst + slot * (int64_t)size, size) && stray++ < 4) {
                            fprintf(stderr, "  [isa %s] %s src stride %" PRId64 " dst stride %" PRId64
                                            " length %" PRId64 ": slot %" PRId64 " written\n",
                                    current_isa, pygraph_data_type_name(type), src_stride, dst_stride, length, slot);
                        }
                    }
                }
                free(src_block);
                free(dst_block);
                CHECK_OK(pygraph_compiled_partition_destroy(c.compiled));
            }
        }
    }

    /* 2-d: reversed padded rows into padded rows; and a transpose. */
    {
        const int64_t dims[2] = {37, 129};
        pygraph_logical_tensor src_lt = tu_lt_strided(0, type, 2, dims, (int64_t[]){-140, 1});
        pygraph_logical_tensor dst_lt = tu_lt_strided(0, type, 2, dims, (int64_t[]){131, 1});
        const float alphas[2] = {0.3f, -2.0f};
        pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, 2, src_lt, dst_lt);
        src_lt.id = 100;
        dst_lt.id = 102;
        size_t src_elements = 140 * 37, dst_elements = 131 * 37;
        unsigned char *src_block = tu_malloc(src_elements * size), *dst_block = tu_malloc(dst_elements * size);
        fill_random(src_block, src_elements, type, &seed);
        tu_fill_canary(dst_block, dst_elements * size);
        unsigned char *src = src_block + 140 * 36 * size;
        if (CHECK_OK(tu_execute1(compiled, stream, &src_lt, src, &dst_lt, dst_block))) {
            for (int64_t r = 0; r < 37; r++) {
                for (int64_t k = 0; k < 131; k++) {
                    if (k >= 129) {
                        if (!tu_is_canary(dst_block + (size_t)(r * 131 + k) * size, size)) stray++;
                        continue;
                    }
                    uint32_t in = get_bits(src, -140 * r + k, type);
                    uint32_t got = get_bits(dst_block, r * 131 + k, type);
                    uint32_t expected = oracle_lrelu_chain(in, alphas, 2, format_of(type));
                    if (got != expected) {
                        report_mismatch(&mismatches, "2-d padded", type, in, alphas[0], expected, got, r * 131 + k);
                    }
                }
            }
        }
        free(src_block);
        free(dst_block);
        CHECK_OK(pygraph_compiled_partition_destroy(compiled));

        /* transpose: column-major src into a row-major dst */
        src_lt = tu_lt_strided(0, type, 2, dims, (int64_t[]){1, 37});
        dst_lt = tu_lt(0, type, 2, dims, pygraph_layout_type_strided);
        compiled = tu_compile_chain(engine, alphas, 1, src_lt, dst_lt);
        src_lt.id = 100;
        dst_lt.id = 101;
        src_block = tu_malloc(37 * 129 * size);
        dst_block = tu_malloc(37 * 129 * size);
        fill_random(src_block, 37 * 129, type, &seed);
        if (CHECK_OK(tu_execute1(compiled, stream, &src_lt, src_block, &dst_lt, dst_block))) {
            for (int64_t r = 0; r < 37; r++) {
                for (int64_t k = 0; k < 129; k++) {
                    uint32_t in = get_bits(src_block, r + 37 * k, type);
                    uint32_t got = get_bits(dst_block, r * 129 + k, type);
                    uint32_t expected = oracle_lrelu(in, alphas[0], format_of(type));
                    if (got != expected) {
                        report_mismatch(&mismatches, "2-d transpose", type, in, alphas[0], expected, got, r * 129 + k);
                    }
                }
            }
        }
        free(src_block);
        free(dst_block);
        CHECK_OK(pygraph_compiled_partition_destroy(compiled));
    }
    CHECK(mismatches == 0);
    CHECK(stray == 0);
}

/* ---- large tensors, where threads are used ----------------------------------- */

/* How dst element i relates to the src memory. */
typedef enum large_mode { LARGE_CONTIGUOUS, LARGE_REVERSED, LARGE_TRANSPOSED } large_mode;

/* The transposed case views the 2^21 src elements as a column-major
 * [512, 4096] matrix and writes it row-major: the threads must split a 2-d
 * iteration whose src and dst orders differ. */
#define LARGE_ROWS 512
#define LARGE_COLS 4096

typedef struct large_case {
    pygraph_data_type type;
    size_t count;
    void *src;
    void *expected_contiguous; /* chain over src */
    void *expected_reversed;   /* chain over src read backwards */
    void *expected_transposed; /* chain over src read column-major */
    pygraph_compiled_partition *contiguous;
    pygraph_compiled_partition *reversed;
    pygraph_compiled_partition *transposed;
    pygraph_logical_tensor src_lt, dst_lt, reversed_src_lt, transposed_src_lt, transposed_dst_lt;
} large_case;

static size_t large_src_index(size_t i, size_t count, large_mode mode) {
    if (mode == LARGE_REVERSED) return count - 1 - i;
    if (mode == LARGE_TRANSPOSED) return i / LARGE_COLS + LARGE_ROWS * (i % LARGE_COLS);
    return i;
}

static const float large_alphas[2] = {0.01f, -3.5f};

/* expected[i] = the oracle's chain of `alphas` over src[i], i < count. */
static void oracle_fill(void *expected, const void *src, size_t count, pygraph_data_type type, const float *alphas,
                        size_t num_alphas) {
    for (size_t i = 0; i < count; i++) {
        uint32_t out = oracle_lrelu_chain(get_bits(src, (int64_t)i, type), alphas, num_alphas, format_of(type));
        set_bits(expected, (int64_t)i, type, out);
    }
}

static large_case make_large_case(pygraph_data_type type) {
    large_case c;
    c.type = type;
    c.count = (size_t)1 << 21;
    size_t size = size_of(type);
    c.src = tu_malloc(c.count * size);
    c.expected_contiguous = tu_malloc(c.count * size);
    c.expected_reversed = tu_malloc(c.count * size);
    c.expected_transposed = tu_malloc(c.count * size);
    uint64_t seed = 0xB16 + (uint64_t)type;
    fill_random(c.src, c.count, type, &seed);
    oracle_fill(c.expected_contiguous, c.src, c.count, type, large_alphas, 2);
    for (size_t i = 0; i < c.count; i++) {
        uint32_t out = get_bits(c.expected_contiguous, (int64_t)i, type);
        set_bits(c.expected_reversed, (int64_t)(c.count - 1 - i), type, out);
    }
    for (size_t i = 0; i < c.count; i++) {
        uint32_t in = get_bits(c.src, (int64_t)large_src_index(i, c.count, LARGE_TRANSPOSED), type);
        set_bits(c.expected_transposed, (int64_t)i, type, oracle_lrelu_chain(in, large_alphas, 2, format_of(type)));
    }
    compiled_1d a = compile_1d(type, large_alphas, 2, (int64_t)c.count, 1, 1);
    compiled_1d b = compile_1d(type, large_alphas, 2, (int64_t)c.count, -1, 1);
    c.contiguous = a.compiled;
    c.reversed = b.compiled;
    c.src_lt = a.src;
    c.dst_lt = a.dst;
    c.reversed_src_lt = b.src;
    const int64_t matrix[2] = {LARGE_ROWS, LARGE_COLS};
    c.transposed_src_lt = tu_lt_strided(0, type, 2, matrix, (int64_t[]){1, LARGE_ROWS});
    c.transposed_dst_lt = tu_lt(0, type, 2, matrix, pygraph_layout_type_strided);
    c.transposed = tu_compile_chain(engine, large_alphas, 2, c.transposed_src_lt, c.transposed_dst_lt);
    c.transposed_src_lt.id = 100;
    c.transposed_dst_lt.id = 102;
    return c;
}

static void free_large_case(large_case *c) {
    free(c->src);
    free(c->expected_contiguous);
    free(c->expected_reversed);
    free(c->expected_transposed);
    CHECK_OK(pygraph_compiled_partition_destroy(c->transposed));
    CHECK_OK(pygraph_compiled_partition_destroy(c->contiguous));
    CHECK_OK(pygraph_compiled_partition_destroy(c->reversed));
}

static void compare_large(const large_case *c, const void *got, const void *expected, large_mode mode,
                          const char *what) {
    size_t size = size_of(c->type);
    if (memcmp(got, expected, c->count * size) == 0) {
        CHECK(1);
        return;
    }
    int mismatches = 0;
    for (size_t i = 0; i < c->count; i++) {
        uint32_t g = get_bits(got, (int64_t)i, c->type), e = get_bits(expected, (int64_t)i, c->type);
        if (g != e) {
            uint32_t input = get_bits(c->src, (int64_t)large_src_index(i, c->count, mode), c->type);
            report_mismatch(&mismatches, what, c->type, input, large_alphas[0], e, g, (int64_t)i);
        }
    }
    CHECK(mismatches == 0);
}

static void test_large(const large_case *c) {
    size_t size = size_of(c->type);
    unsigned char *dst = tu_malloc(c->count * size);
    memset(dst, 0, c->count * size);
    if (CHECK_OK(tu_execute1(c->contiguous, stream, &c->src_lt, c->src, &c->dst_lt, dst))) {
        compare_large(c, dst, c->expected_contiguous, LARGE_CONTIGUOUS, "large contiguous");
    }
    /* reversed src: dst[i] = f(src[count-1-i]) */
    memset(dst, 0, c->count * size);
    if (CHECK_OK(tu_execute1(c->reversed, stream, &c->reversed_src_lt, (unsigned char *)c->src + (c->count - 1) * size,
                             &c->dst_lt, dst))) {
        compare_large(c, dst, c->expected_reversed, LARGE_REVERSED, "large reversed");
    }
    /* column-major src into a row-major dst */
    memset(dst, 0, c->count * size);
    if (CHECK_OK(tu_execute1(c->transposed, stream, &c->transposed_src_lt, c->src, &c->transposed_dst_lt, dst))) {
        compare_large(c, dst, c->expected_transposed, LARGE_TRANSPOSED, "large transposed");
    }
    /* in place */
    memcpy(dst, c->src, c->count * size);
    if (CHECK_OK(tu_execute1(c->contiguous, stream, &c->src_lt, dst, &c->dst_lt, dst))) {
        compare_large(c, dst, c->expected_contiguous, LARGE_CONTIGUOUS, "large in-place");
    }
    free(dst);
}

/* ---- dst just past src modulo 4 KiB ------------------------------------------- */

/* dst - src modulo 4096, in bytes: 1-511 makes the plan run descending
 * passes (pg_lrelu_descending_pays in kernels/lrelu_kernels.h); 0 and 512
 * too where one thread's whole passes descend for the caches, and 4032
 * ascending ones everywhere, for comparison. */
static const size_t past_offsets[] = {0, 4, 16, 64, 256, 508, 512, 4032};
#define NUM_PAST_OFFSETS (sizeof past_offsets / sizeof past_offsets[0])

/* Bytes from `block` to the first 4 KiB boundary at or after it. */
static size_t to_page(const unsigned char *block) { return (4096 - (uintptr_t)block % 4096) % 4096; }

/* Every length 0..300 (up to 70 also chains of two, and of 33 alphas,
 * which the SIMD kernels run in two passes: the second in place), src
 * starting on a page or 5 elements into it, dst `past_offsets` bytes past
 * src modulo 4096 with guards around it. */
static void test_dst_just_past_src(pygraph_data_type type) {
    enum { long_chain = 33 };
    float alphas[long_chain];
    for (int i = 0; i < long_chain; i++) alphas[i] = i % 2 ? 0.01f : -0.5f;
    const size_t chains[3] = {1, 2, long_chain};
    size_t size = size_of(type);
    enum { max_length = 300, span = 2 * 4096 };
    unsigned char *block = tu_malloc(4096 + 2 * span + 8192);
    unsigned char *page = block + to_page(block);
    uint64_t seed = 0xA11A5 + (uint64_t)type;
    int mismatches = 0, stray = 0;
    for (int64_t length = 0; length <= max_length; length++) {
        for (size_t which = 0; which < (length <= 70 ? 3u : 1u); which++) {
            size_t chain = chains[which];
            compiled_1d c = compile_1d(type, alphas, chain, length, 1, 1);
            for (size_t shift = 0; shift <= 5; shift += 5) {
                unsigned char *src = page + shift * size;
                fill_random(src, (size_t)length, type, &seed);
                for (size_t k = 0; k < NUM_PAST_OFFSETS; k++) {
                    unsigned char *dst = src + span + past_offsets[k];
                    unsigned char *guarded = dst - GUARD * size;
                    size_t guarded_bytes = ((size_t)length + 2 * GUARD) * size;
                    tu_fill_canary(guarded, guarded_bytes);
                    if (!CHECK_OK(tu_execute1(c.compiled, stream, &c.src, src, &c.dst, dst))) {
                        continue;
                    }
                    compare_with_oracle("dst just past src", type, alphas, chain, src, dst, length, &mismatches);
                    size_t after = (GUARD + (size_t)length) * size;
                    if (!guards_intact(guarded, GUARD * size, after, GUARD * size) && stray++ < 4) {
                        fprintf(stderr, "  [isa %s] %s length %" PRId64 " dst %zu bytes past src: write outside dst\n",
                                current_isa, pygraph_data_type_name(type), length, past_offsets[k]);
                    }
                }
            }
            CHECK_OK(pygraph_compiled_partition_destroy(c.compiled));
        }
    }
    CHECK(mismatches == 0);
    CHECK(stray == 0);
    free(block);
}

/* A tensor whose dst is past the streaming-store threshold (so the
 * descending pass runs with non-temporal stores), dst 64 bytes and two
 * elements past src modulo 4096, and the same bytes in place (where the
 * 16-bit AVX2 kernels prefetch from that size on, whatever the tuning):
 * made once per dtype, run at every ISA and thread count. */
typedef struct past_streaming_case {
    pygraph_data_type type;
    size_t count;
    unsigned char *block;
    unsigned char *src, *dst;
    void *expected;
    compiled_1d compiled;
} past_streaming_case;

static past_streaming_case make_past_streaming_case(pygraph_data_type type) {
    past_streaming_case c;
    size_t size = size_of(type);
    c.type = type;
    /* The threshold rounded up to 64 elements, then 141 more: the 16-bit
     * streaming loops (two or four vectors a step) get an odd number of
     * whole vectors after the head, so one or three go on their own, and an
     * odd tail to finish with.  (The threshold need not be a multiple of
     * 64 elements: two thirds of an L2 on Intel.) */
    c.count = ((size_t)pg_streaming_min_bytes() / size + 63) / 64 * 64 + 141;
    size_t span = (c.count * size + GUARD * size + 4095) / 4096 * 4096;
    c.block = tu_malloc(4096 + 2 * span + 4096 + GUARD * size);
    c.src = c.block + to_page(c.block);
    c.dst = c.src + span + 64 + 2 * size; /* not 32-byte aligned: the kernels peel a head first */
    c.expected = tu_malloc(c.count * size);
    uint64_t seed = 0x57AE + (uint64_t)type;
    fill_random(c.src, c.count, type, &seed);
    oracle_fill(c.expected, c.src, c.count, type, large_alphas, 1);
    c.compiled = compile_1d(type, large_alphas, 1, (int64_t)c.count, 1, 1);
    return c;
}

/* Checks c->dst against the oracle and the guards around it. */
static void check_past_streaming_result(const past_streaming_case *c, const char *what) {
    size_t size = size_of(c->type);
    int mismatches = 0;
    if (memcmp(c->dst, c->expected, c->count * size) != 0) {
        for (size_t i = 0; i < c->count; i++) {
            uint32_t got = get_bits(c->dst, (int64_t)i, c->type), want = get_bits(c->expected, (int64_t)i, c->type);
            if (got != want) {
                report_mismatch(&mismatches, what, c->type, get_bits(c->src, (int64_t)i, c->type), large_alphas[0],
                                want, got, (int64_t)i);
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(guards_intact(c->dst - GUARD * size, GUARD * size, (GUARD + c->count) * size, GUARD * size));
}

static void test_past_streaming(const past_streaming_case *c) {
    size_t size = size_of(c->type);
    unsigned char *guarded = c->dst - GUARD * size;
    tu_fill_canary(guarded, (c->count + 2 * GUARD) * size);
    if (CHECK_OK(tu_execute1(c->compiled.compiled, stream, &c->compiled.src, c->src, &c->compiled.dst, c->dst))) {
        check_past_streaming_result(c, "past the streaming threshold, dst 64 bytes + 2 elements past src");
    }
    tu_fill_canary(guarded, (c->count + 2 * GUARD) * size);
    memcpy(c->dst, c->src, c->count * size);
    if (CHECK_OK(tu_execute1(c->compiled.compiled, stream, &c->compiled.src, c->dst, &c->compiled.dst, c->dst))) {
        check_past_streaming_result(c, "past the streaming threshold, in place");
    }
}

static void free_past_streaming_case(past_streaming_case *c) {
    CHECK_OK(pygraph_compiled_partition_destroy(c->compiled.compiled));
    free(c->block);
    free(c->expected);
}

/* ---- ISA and thread control --------------------------------------------------- */

static void check_kernel_names(void) {
    for (int t = 0; t < 3; t++) {
        const char *name = NULL;
        if (!CHECK_OK(pygraph_get_kernel_name(all_types[t], &name))) continue;
        REQUIRE(name != NULL);
        const char *type_name = pygraph_data_type_name(all_types[t]);
        CHECK(strncmp(name, type_name, strlen(type_name)) == 0 && name[strlen(type_name)] == '_');
        /* The cap holds: no AVX kernel under "scalar", no AVX-512 kernel
         * under "avx2". */
        if (strcmp(current_isa, "scalar") == 0 && !CHECK(strstr(name, "avx") == NULL)) {
            fprintf(stderr, "  isa scalar selected kernel %s\n", name);
        }
        if (strcmp(current_isa, "avx2") == 0 && !CHECK(strstr(name, "avx512") == NULL)) {
            fprintf(stderr, "  isa avx2 selected kernel %s\n", name);
        }
        if (strcmp(current_isa, "avx512") == 0 && !CHECK(strstr(name, "avx512_bf16") == NULL)) {
            fprintf(stderr, "  isa avx512 selected kernel %s\n", name);
        }
        /* PYGRAPH_KERNEL_TUNING took: at the AVX-512 levels f16 runs on
         * ymm vectors exactly under zen4, which also drops the prefetch. */
        const char *tuning = getenv("PYGRAPH_KERNEL_TUNING");
        int tuning_known = tuning != NULL && (strcmp(tuning, "zen4") == 0 || strcmp(tuning, "intel") == 0);
        if (tuning_known && all_types[t] == pygraph_data_type_f16 && strncmp(current_isa, "avx512", 6) == 0) {
            int on_ymm = strstr(name, "_ymm") != NULL;
            int zen4 = strcmp(tuning, "zen4") == 0;
            if (!CHECK(on_ymm == zen4) || !CHECK(pg_software_prefetch_pays() == !zen4)) {
                fprintf(stderr, "  PYGRAPH_KERNEL_TUNING=%s selected kernel %s\n", tuning, name);
            }
        }
        printf("  isa %-11s %-4s kernel %s\n", current_isa, type_name, name);
    }
    const char *name = (const char *)1;
    CHECK_FAIL(pygraph_get_kernel_name(pygraph_data_type_s8, &name), pygraph_invalid_data_type, "s8");
    CHECK(name == NULL);
}

int main(void) {
    init_alphas();
    REQUIRE_OK(pygraph_engine_create(&engine, pygraph_engine_kind_cpu, 0));
    REQUIRE_OK(pygraph_stream_create(&stream, engine));

    const char *features = NULL;
    CHECK_OK(pygraph_get_cpu_features(&features));
    printf("cpu features: %s\n", features ? features : "(null)");
    const char *far_setting = getenv("PYGRAPH_FAR_MIN_BYTES");
    if (far_setting != NULL) {
        CHECK(pg_far_min_bytes() == strtoll(far_setting, NULL, 10));
    }
    printf("far kernels from %lld bytes\n", (long long)pg_far_min_bytes());

    /* Which levels can run here: the cap is honoured exactly when the CPU
     * has the level, and "best" gives the highest one. */
    enum { num_levels = 4 };
    const char *levels[num_levels] = {"scalar", "avx2", "avx512", "avx512_bf16"};
    int supported[num_levels] = {0};
    const char *best = NULL;
    REQUIRE_OK(pygraph_set_max_cpu_isa("best"));
    REQUIRE_OK(pygraph_get_cpu_isa(&best));
    for (int l = 0; l < num_levels; l++) {
        const char *isa = NULL;
        REQUIRE_OK(pygraph_set_max_cpu_isa(levels[l]));
        REQUIRE_OK(pygraph_get_cpu_isa(&isa));
        supported[l] = strcmp(isa, levels[l]) == 0;
        if (!supported[l]) printf("isa %s: not supported by this CPU (capped to %s), skipped\n", levels[l], isa);
    }
    CHECK(supported[0]);
    int highest = 0;
    for (int l = 0; l < num_levels; l++) {
        if (supported[l]) highest = l;
    }
    CHECK(strcmp(best, levels[highest]) == 0);

    large_case large[3];
    past_streaming_case past_streaming[3];
    for (int t = 0; t < 3; t++) {
        large[t] = make_large_case(all_types[t]);
        past_streaming[t] = make_past_streaming_case(all_types[t]);
    }

    for (int l = 0; l < num_levels; l++) {
        if (!supported[l]) continue;
        current_isa = levels[l];
        REQUIRE_OK(pygraph_set_max_cpu_isa(current_isa));
        REQUIRE_OK(pygraph_set_num_threads(0)); /* the default */
        REQUIRE_OK(pygraph_get_num_threads(&current_threads));
        CHECK(current_threads >= 1);
        check_kernel_names();
        int failures_before = tu_failures;
        test_exhaustive_half(pygraph_data_type_bf16);
        test_exhaustive_half(pygraph_data_type_f16);
        test_f32();
        for (int t = 0; t < 3; t++) {
            test_every_length(all_types[t]);
            test_dst_just_past_src(all_types[t]);
            test_strided(all_types[t]);
        }
        for (int threads = 1; threads <= 3; threads++) {
            REQUIRE_OK(pygraph_set_num_threads(threads));
            REQUIRE_OK(pygraph_get_num_threads(&current_threads));
            CHECK(current_threads == threads);
            for (int t = 0; t < 3; t++) {
                test_large(&large[t]);
                test_past_streaming(&past_streaming[t]);
            }
        }
        printf("isa %s: %s\n", current_isa, tu_failures == failures_before ? "all bits match" : "MISMATCHES");
    }

    for (int t = 0; t < 3; t++) {
        free_large_case(&large[t]);
        free_past_streaming_case(&past_streaming[t]);
    }
    CHECK_OK(pygraph_set_max_cpu_isa("best"));
    CHECK_OK(pygraph_set_num_threads(0));
    CHECK_OK(pygraph_stream_destroy(stream));
    CHECK_OK(pygraph_engine_destroy(engine));
    return tu_finish("test_kernels");
}
