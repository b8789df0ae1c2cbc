/*
 * lrelu_avx2.c — LeakyReLU kernels for AVX2 + F16C.
 * Compiled with -mavx2 -mf16c (this file only) and deliberately without
 * -mfma: the multiply must round on its own.  dispatch.c calls it only
 * after checking the CPU and the OS.
 *
 * Every dtype is computed in the f32 domain (see pg_lrelu_step in
 * lrelu_kernels.h), one 32-byte vector of input at a time: 8 f32, or 16
 * bf16/f16 as two f32 vectors.  A chain of alphas stays in registers,
 * rounding to the dtype after every step: bf16 with integer
 * round-to-nearest-even, f16 with F16C (exact, subnormals kept), whose
 * final vcvtps2ph also performs the last step's rounding.  AVX2 has no
 * masked 16-bit loads, so partial vectors go through a small zeroed stack
 * buffer: the same code computes them and no byte outside the caller's
 * buffers is touched.
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels/lrelu_kernels.h"

#define PG_INLINE static inline __attribute__((always_inline))
#define PG_F16_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
/* Software prefetch this far ahead of the loads.  Without it, the
 * out-of-order window alone keeps too few cache misses in flight at DRAM
 * sizes.  How far pays depends on the dtype; measured on the Zen 3 VM, one
 * thread, C timing on huge pages, interleaved, 6.4e7 elements:
 *   f32, 2 KiB: streaming out of place 0.97-0.98 of the streaming copy's
 *     speed against 0.88-0.91 at 4 KiB (3 runs each; 1 KiB was as
 *     good).  In the benchmark, 6.4e7 out of place went from 0.83-0.88 of
 *     the copy limit (4 runs) to 0.95-1.06 (2 runs).
 *   bf16 and f16, 4 KiB: 2 KiB won and lost by a few percent from run to
 *     run; in place at 3e7 f16 ran 2.50 ms against 2.92 at 2 KiB.
 * The loops stop prefetching where it would reach past the run they were
 * given (the AVX-512 kernels say why: another thread's chunk, or a strided
 * row's gap, may begin there). */
#define PG_PREFETCH_BYTES_F32 2048
#define PG_PREFETCH_BYTES_16_BIT 4096

PG_INLINE uintptr_t prefetch_distance(pg_lrelu_dtype dtype)
{
    return dtype == pg_lrelu_f32 ? PG_PREFETCH_BYTES_F32 : PG_PREFETCH_BYTES_16_BIT;
}

/* Prefetches for a step of `count` vectors at `from`, one line per 64
 * bytes it loads (one for a step of one vector), the distance ahead of it
 * or, descending, behind it; only when `prefetch`: the "unprefetched"
 * kernel variants leave it to the hardware, as the AVX-512 ones do on Zen
 * 4 (pg_software_prefetch_pays).  Measured on the Zen 4 VM capped to AVX2,
 * 1 thread: f32 at 1e6 ran 112 -> 84 us out of place and 70 -> 44 us in
 * place without it, bf16 in place at 1e5 15.6 -> 10.4 us; with streaming
 * stores (1e7 out of place) prefetch still paid, 1928 -> 1600 us. */
PG_INLINE void prefetch_for_step(bool prefetch, pg_lrelu_dtype dtype, const unsigned char *from, size_t count,
                                 bool descending)
{
    if (!prefetch) {
        return;
    }
    for (size_t line = 0; line < count * 32; line += 64) {
        uintptr_t address = (uintptr_t)(from + line);
        PG_PREFETCH(descending ? address - prefetch_distance(dtype) : address + prefetch_distance(dtype),
                    _MM_HINT_T0);
    }
}

/* ---- the chain on one f32-domain vector -------------------------------- */

/* bf16 round-to-nearest-even of the products into the high 16 bits of each
 * lane, the low 16 left as they fall: for a caller that keeps only the high
 * halves.  A widened NaN, quiet and with zero low bits, comes through. */
PG_INLINE __m256 round_bf16_high_half(__m256 r)
{
    __m256i bits = _mm256_castps_si256(r);
    __m256i lowest_kept_bit = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    return _mm256_castsi256_ps(_mm256_add_epi32(bits, _mm256_add_epi32(lowest_kept_bit, _mm256_set1_epi32(0x7FFF))));
}

/* Rounds the products to the dtype; a widened NaN, quiet and with zero low
 * bits, comes through as it is. */
PG_INLINE __m256 round_to_dtype(pg_lrelu_dtype dtype, __m256 r)
{
    if (dtype == pg_lrelu_bf16) {
        __m256i bits = _mm256_castps_si256(round_bf16_high_half(r));
        return _mm256_castsi256_ps(_mm256_and_si256(bits, _mm256_set1_epi32((int)0xFFFF0000u)));
    }
    if (dtype == pg_lrelu_f16) {
        return _mm256_cvtph_ps(_mm256_cvtps_ph(r, PG_F16_RNE));
    }
    return r;
}

/* Sets the quiet bit of every f32 NaN lane. */
PG_INLINE __m256 quiet_f32_nans(__m256 x)
{
    const __m256 quiet_bit = _mm256_castsi256_ps(_mm256_set1_epi32((int)PG_F32_QUIET_BIT));
    return _mm256_or_ps(x, _mm256_and_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), quiet_bit));
}

/* How a pass applies its steps, fixed per pass so that a single step
 * compiles without a branch per vector: every step by max (all alphas in
 * (0, 1]: the usual case), every one by compare and blend, or each as its
 * own alpha says (chains that mix both). */
typedef enum step_form { every_step_by_max, every_step_by_blend, each_step_its_own } step_form;

/* `last_rounded_by_narrowing`: the caller narrows with round-to-nearest-
 * even afterwards, so the last step may skip its own rounding. */
PG_INLINE __m256 apply_steps(pg_lrelu_dtype dtype, __m256 x, const pg_lrelu_step *steps, size_t num_steps,
                             step_form form, bool last_rounded_by_narrowing)
{
    for (size_t i = 0; i < num_steps; ++i) {
        if (steps[i].alpha_is_nan) {
            /* NaN lanes keep x, quieted (bit 22 is also the bf16 and f16
             * quiet bit once widened); the negatives take nan_bits.
             * Ordered compare: NaN lanes are not negative; -0 < 0 is
             * false, so -0 passes through unchanged. */
            x = quiet_f32_nans(x);
            __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
            x = _mm256_blendv_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32((int)steps[i].nan_bits)), negative);
            continue;
        }
        __m256 product = _mm256_mul_ps(x, _mm256_set1_ps(steps[i].alpha));
        bool last = i + 1 == num_steps;
        __m256 rounded;
        if (last && last_rounded_by_narrowing) {
            rounded = product;
        } else if (last && dtype == pg_lrelu_bf16) {
            rounded = round_bf16_high_half(product); /* the caller keeps only the high halves */
        } else {
            rounded = round_to_dtype(dtype, product);
        }
        if (form == every_step_by_max || (form == each_step_its_own && steps[i].takes_the_larger)) {
            /* max(x, rounded), x first (lrelu_kernels.h says why it is the
             * step).  Still right where the caller rounds later: an
             * unrounded product lies on the same side of x as its rounding,
             * and the low halves a bf16 caller drops only matter between
             * values whose high halves are equal.  run_chain says when
             * this form runs and what it gains. */
            x = _mm256_max_ps(x, rounded);
            continue;
        }
        /* Every lane that is not >= 0 takes the product: the negatives, and
         * the NaNs, for which a product with a number is that NaN quieted
         * (x86's rule for one NaN operand), as the definition asks; the
         * rounding to bf16 or f16 leaves a widened NaN as it is.  -0 >= 0
         * keeps -0.  One compare, one multiply, one blend: quieting NaNs
         * apart and an ordered compare cost f32 in place at 1e5 on Zen 4
         * 24 % (6.96 against 5.61 us). */
        __m256 not_non_negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NGE_UQ);
        x = _mm256_blendv_ps(x, rounded, not_non_negative);
    }
    return x;
}

/* ---- a vector of elements, widened to f32 and back ---------------------- */

/* One 32-byte vector of elements as the chain computes with it: f32 in `a`
 * alone; bf16 as its even elements in `a` and its odd ones in `b`, each
 * widened within its 32-bit lane (no shuffles); f16 as its low 8 elements
 * in `a` and its high 8 in `b`.  f16 moves through memory as two 16-byte
 * halves because F16C converts between 8 halves and 8 floats: loading 32
 * bytes would take a vextracti128 and storing them a vinserti128, and on
 * Zen 3 both run on the one port that also converts (measured there: a
 * vcvtph2ps, a vcvtps2ph, a vextracti128 and a vinserti128 take a cycle
 * each and never overlap).  With halves, one thread, out of place, C
 * timing: f16 at 1e5 elements 13.6 -> 9.5 us, 1e6 136 -> 93 us; in place
 * at 1e7 1.68 -> 1.36 ms. */
typedef struct widened {
    __m256 a, b;
} widened;

PG_INLINE widened load_widened(pg_lrelu_dtype dtype, const unsigned char *from)
{
    widened w;
    if (dtype == pg_lrelu_f16) {
        w.a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)from));
        w.b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(from + 16)));
        return w;
    }
    __m256i v = _mm256_loadu_si256((const __m256i *)from);
    if (dtype == pg_lrelu_bf16) {
        /* The even element widens by a shift, the odd one by masking off
         * the low half. */
        w.a = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
        w.b = _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u)));
        return w;
    }
    w.a = _mm256_castsi256_ps(v);
    w.b = w.a; /* unused */
    return w;
}

/* Applies the steps; for f16 the narrowing store rounds after the last. */
PG_INLINE widened process_widened(pg_lrelu_dtype dtype, widened w, const pg_lrelu_step *steps, size_t num_steps,
                                  step_form form)
{
    const bool narrowing_rounds = dtype == pg_lrelu_f16;
    w.a = apply_steps(dtype, w.a, steps, num_steps, form, narrowing_rounds);
    if (dtype != pg_lrelu_f32) {
        w.b = apply_steps(dtype, w.b, steps, num_steps, form, narrowing_rounds);
    }
    return w;
}

/* Stores a vector back as the dtype, with non-temporal stores when
 * `streaming` (to must then be 32-byte aligned). */
PG_INLINE void store_narrowed(pg_lrelu_dtype dtype, unsigned char *to, widened w, bool streaming)
{
    if (dtype == pg_lrelu_f16) {
        __m128i low = _mm256_cvtps_ph(w.a, PG_F16_RNE);
        __m128i high = _mm256_cvtps_ph(w.b, PG_F16_RNE);
        if (streaming) {
            _mm_stream_si128((__m128i *)to, low);
            _mm_stream_si128((__m128i *)(to + 16), high);
        } else {
            _mm_storeu_si128((__m128i *)to, low);
            _mm_storeu_si128((__m128i *)(to + 16), high);
        }
        return;
    }
    __m256i v = _mm256_castps_si256(w.a);
    if (dtype == pg_lrelu_bf16) {
        /* The results are the high halves (apply_steps leaves the last
         * rounding's low halves as they fall): even ones shift down, odd
         * ones are blended in as they are. */
        v = _mm256_blend_epi16(_mm256_srli_epi32(v, 16), _mm256_castps_si256(w.b), 0xAA);
    }
    if (streaming) {
        _mm256_stream_si256((__m256i *)to, v);
    } else {
        _mm256_storeu_si256((__m256i *)to, v);
    }
}

/* ---- one pass over the data -------------------------------------------- */

/* Fewer than a vector's worth of elements, through a zeroed stack buffer
 * (AVX2 has no masked 16-bit loads and stores). */
PG_INLINE void process_partial(pg_lrelu_dtype dtype, size_t count, const unsigned char *src, unsigned char *dst,
                               const pg_lrelu_step *steps, size_t num_steps, step_form form)
{
    const size_t size = pg_lrelu_dtype_size(dtype);
    _Alignas(32) unsigned char buffer[32] = {0};
    memcpy(buffer, src, count * size);
    widened w = process_widened(dtype, load_widened(dtype, buffer), steps, num_steps, form);
    store_narrowed(dtype, buffer, w, false);
    memcpy(dst, buffer, count * size);
}

/* How many vectors a step of the loop takes: each step loads and computes
 * all of them before it stores any, so in place stays correct.  The shapes
 * of the 16-bit dtypes depend on the CPU: `four_a_step` (the "zen4"
 * tuning, dispatch.c) takes four in place for bf16 and with non-temporal
 * stores for bf16 and f16, as measured fastest on the Zen 3 VM; elsewhere
 * (the "intel" tuning) they take two, as measured fastest on the Xeon VM.
 *  - Zen 3 VM, one thread, C timing, interleaved, medians, four against
 *    two (one vector for f32 with non-temporal stores):
 *    - non-temporal stores, 6.4e7 elements, 31-41 calls: bf16 and f16
 *      faster in 15 of 16 pairs of runs, by 1-17 % (the most while the
 *      host's memory was busiest: bf16 11.7 -> 10.5 ms, f16 14.6 -> 12.6,
 *      the streaming copy 9.9 and 9.8), whether the prefetch hint was T0
 *      or NTA; f32 1-7 % slower (3 runs of 3);
 *    - in place: f32 at 4e5 elements 26.7-33.3 us against 28.6-38.9, 1e6
 *      66.0-74.3 against 71.5-80.5, 4e6 441-535 against 490-552, from DRAM
 *      (3e7, 6.4e7) within 2 % either way; bf16 1-6 % faster at 1e5-4e6
 *      (9 pairs) and 1-5 % from DRAM (5 of 6 pairs); f16 ~3 % faster in
 *      the caches but 2-5 % slower at 3e7 (3 pairs; at 6.4e7 between 4 %
 *      faster and 2 % slower, 5 pairs), and two benchmark runs put it at
 *      87-89 % of the in-place limit at 6.4e7 against 94-96 %;
 *    - out of place f32 2-5 % slower in 8 of 12 pairs (at the copy's
 *      speed either way).
 *  - Xeon VM (Sapphire Rapids class) capped to AVX2, one thread, kernel
 *    timing with the input copied before each call, medians, processes
 *    alternated, four -> two:
 *    - bf16 in place, ascending: 3e5 elements 25.7-27.6 -> 26.1-26.7 us
 *      (and one 37.9 with four), 1e6 98-102 -> 90-94 (one 142 with two),
 *      3e6 303-325 -> 269-276 (one 401), 1e7 1107-1146 -> 965-1012.
 *      Descending (the direction of a whole pass on one thread there,
 *      lrelu_kernels.h), four ran 3-7 % slower than ascending at 3e6, and
 *      through the plan after a copy of the input at 1e7 1139-1173 us
 *      against 1043-1082; two ran faster than ascending with four;
 *    - non-temporal stores, ascending: bf16 1e7 1600-1702 -> 1575-1613 us,
 *      3e6 the same within 3 %; f16 1e7 1557-1646 -> 1488-1555, 3e6
 *      455-476 -> 454-456.  Descending, bf16 with four ran 1-6 % slower
 *      than ascending, with two 4-8 % faster than ascending with four;
 *    - f32 in place the same either way (1e6 and 1e7). */
PG_INLINE size_t vectors_per_step(pg_lrelu_dtype dtype, bool in_place, bool streaming, bool four_a_step)
{
    if (streaming) {
        return dtype == pg_lrelu_f32 ? 1 : four_a_step ? 4 : 2;
    }
    if (in_place && (dtype == pg_lrelu_f32 || (dtype == pg_lrelu_bf16 && four_a_step))) {
        return 4;
    }
    return 2;
}

/* One step of `count` (1, 2 or 4) whole vectors: every load before any
 * store.  Written out rather than as a loop over an array of vectors, which
 * GCC kept on the stack: a store and a reload of every vector. */
PG_INLINE void run_step(pg_lrelu_dtype dtype, size_t count, const unsigned char *from, unsigned char *to,
                        const pg_lrelu_step *steps, size_t num_steps, step_form form, bool streaming)
{
    widened a = process_widened(dtype, load_widened(dtype, from), steps, num_steps, form);
    if (count == 1) {
        store_narrowed(dtype, to, a, streaming);
        return;
    }
    widened b = process_widened(dtype, load_widened(dtype, from + 32), steps, num_steps, form);
    if (count == 2) {
        store_narrowed(dtype, to, a, streaming);
        store_narrowed(dtype, to + 32, b, streaming);
        return;
    }
    widened c = process_widened(dtype, load_widened(dtype, from + 64), steps, num_steps, form);
    widened d = process_widened(dtype, load_widened(dtype, from + 96), steps, num_steps, form);
    store_narrowed(dtype, to, a, streaming);
    store_narrowed(dtype, to + 32, b, streaming);
    store_narrowed(dtype, to + 64, c, streaming);
    store_narrowed(dtype, to + 96, d, streaming);
}

/* Peel until dst is 32-byte aligned: no store splits a cache line after
 * it, and in place no load either (see the AVX-512 kernel for what split
 * lines cost).  None where dst is not aligned to its elements. */
PG_INLINE size_t head_elements(pg_lrelu_dtype dtype, size_t n, const unsigned char *dst)
{
    const size_t size = pg_lrelu_dtype_size(dtype);
    if ((uintptr_t)dst % size != 0) {
        return 0;
    }
    size_t head = (32 - (uintptr_t)dst % 32) % 32 / size;
    return head < n ? head : n;
}

/* The whole vectors [begin, end) of a run of n elements, in steps of
 * `count` vectors (a constant where this is inlined: run_pass branches on
 * it once per pass), from begin up or, `descending`, from end down; the
 * vectors that do not fill a step go one by one (last ascending, first
 * descending).  A step prefetches while its prefetches stay inside [0, n)
 * (see the top); descending, the first prefetched line may begin before
 * src: src's own line. */
PG_INLINE void run_whole_vectors(pg_lrelu_dtype dtype, size_t count, size_t begin, size_t end, size_t n,
                                 const unsigned char *src, unsigned char *dst, const pg_lrelu_step *steps,
                                 size_t num_steps, step_form form, bool streaming, bool prefetch, bool descending)
{
    const size_t size = pg_lrelu_dtype_size(dtype);
    const size_t width = 32 / size;
    const size_t step = count * width;
    const size_t reach = prefetch ? prefetch_distance(dtype) / size : 0;
    if (!descending) {
        const size_t prefetch_end = n > reach ? n - reach : 0;
        size_t i = begin;
        for (; i + step <= end && i + step <= prefetch_end; i += step) {
            prefetch_for_step(prefetch, dtype, src + i * size, count, false);
            run_step(dtype, count, src + i * size, dst + i * size, steps, num_steps, form, streaming);
        }
        for (; i + step <= end; i += step) {
            run_step(dtype, count, src + i * size, dst + i * size, steps, num_steps, form, streaming);
        }
        for (; i + width <= end; i += width) {
            run_step(dtype, 1, src + i * size, dst + i * size, steps, num_steps, form, streaming);
        }
        return;
    }
    size_t i = end;
    while ((i - begin) / width % count != 0) {
        i -= width;
        run_step(dtype, 1, src + i * size, dst + i * size, steps, num_steps, form, streaming);
    }
    for (; i >= begin + step && i >= reach + step; i -= step) {
        prefetch_for_step(prefetch, dtype, src + (i - step) * size, count, true);
        run_step(dtype, count, src + (i - step) * size, dst + (i - step) * size, steps, num_steps, form, streaming);
    }
    for (; i >= begin + step; i -= step) {
        run_step(dtype, count, src + (i - step) * size, dst + (i - step) * size, steps, num_steps, form, streaming);
    }
}

/* One pass from the first element to the last, or from the last to the
 * first when `descending` (lrelu_kernels.h says when that pays): the head
 * (until dst is 32-byte aligned), whole vectors, the tail, in that order or
 * the reverse. */
PG_INLINE void run_pass(pg_lrelu_dtype dtype, size_t n, const unsigned char *src, unsigned char *dst,
                        const pg_lrelu_step *steps, size_t num_steps, step_form form, bool streaming, bool prefetch,
                        bool four_a_step, bool descending)
{
    const size_t size = pg_lrelu_dtype_size(dtype);
    const size_t width = 32 / size;
    const size_t head = head_elements(dtype, n, dst);
    const size_t end = head + (n - head) / width * width; /* whole vectors: [head, end) */
    if (head > 0 && !descending) {
        process_partial(dtype, head, src, dst, steps, num_steps, form);
    }
    if (end < n && descending) {
        process_partial(dtype, n - end, src + end * size, dst + end * size, steps, num_steps, form);
    }
    /* Non-temporal stores need whole aligned vectors: the head gives them
     * unless dst is not aligned to its elements. */
    const bool stream = streaming && (uintptr_t)dst % size == 0;
    switch (vectors_per_step(dtype, src == dst, stream, four_a_step)) {
    case 4:
        run_whole_vectors(dtype, 4, head, end, n, src, dst, steps, num_steps, form, stream, prefetch, descending);
        break;
    case 2:
        run_whole_vectors(dtype, 2, head, end, n, src, dst, steps, num_steps, form, stream, prefetch, descending);
        break;
    default:
        run_whole_vectors(dtype, 1, head, end, n, src, dst, steps, num_steps, form, stream, prefetch, descending);
        break;
    }
    if (end < n && !descending) {
        process_partial(dtype, n - end, src + end * size, dst + end * size, steps, num_steps, form);
    }
    if (head > 0 && descending) {
        process_partial(dtype, head, src, dst, steps, num_steps, form);
    }
    if (streaming) {
        _mm_sfence(); /* non-temporal stores are weakly ordered */
    }
}

PG_INLINE void run_chain(pg_lrelu_dtype dtype, size_t n, const void *src, void *dst, const float *alphas,
                         size_t num_alphas, bool streaming, bool prefetch, bool four_a_step, bool descending)
{
    pg_lrelu_step steps[PG_LRELU_STEPS_PER_PASS];
    const unsigned char *from = src;
    bool descend = descending;
    for (size_t done = 0; done < num_alphas;) {
        size_t count = num_alphas - done;
        count = count < PG_LRELU_STEPS_PER_PASS ? count : PG_LRELU_STEPS_PER_PASS;
        for (size_t j = 0; j < count; ++j) {
            steps[j] = pg_lrelu_step_prepare(dtype, alphas[done + j]);
        }
        done += count;
        bool last_pass = done == num_alphas;
        bool stream = streaming && last_pass;
        /* f32 keeps compare and blend: with max it measured slower (5e4
         * elements in L2, one thread, Zen 3 VM: 6.34-6.46 us against
         * 5.90-5.97), while bf16 and f16 gain 7-9 % (one thread, alpha
         * 0.01, out of place; bf16 1e5 10.9-11.4 against 11.9-12.1 us,
         * 1e6 99-100 against 108-110; f16 1e5 13.8-14.1 against
         * 15.0-15.3, 1e6 128-129 against 140-142). */
        bool max_pays = dtype != pg_lrelu_f32;
        if (count == 1 && max_pays && steps[0].takes_the_larger) {
            /* The common single op: the step count and form known at
             * compile time keep the alpha in a register and the loop free
             * of branches. */
            run_pass(dtype, n, from, dst, steps, 1, every_step_by_max, stream, prefetch, four_a_step, descend);
        } else if (count == 1) {
            run_pass(dtype, n, from, dst, steps, 1, every_step_by_blend, stream, prefetch, four_a_step, descend);
        } else {
            run_pass(dtype, n, from, dst, steps, count, max_pays ? each_step_its_own : every_step_by_blend, stream,
                     prefetch, four_a_step, descend);
        }
        /* Later passes run in place, ascending (lrelu_avx512.c says why). */
        from = dst;
        descend = false;
    }
}

/* The memory variants of one dtype's kernel (see pg_lrelu_kernels) in one
 * step shape: `four_a_step` is vectors_per_step's, `shape` the suffix that
 * names it after the level (nothing, or _x4). */
#define PG_DEFINE_KERNEL(function, dtype, streaming, prefetch, four_a_step)                                        \
    static void function(size_t n, const void *src, void *dst, const float *alphas, size_t num_alphas,             \
                         bool descending)                                                                          \
    {                                                                                                              \
        run_chain(dtype, n, src, dst, alphas, num_alphas, streaming, prefetch, four_a_step, descending);           \
    }

#define PG_DEFINE_KERNELS(dtype_name, shape, dtype, four_a_step)                                                   \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu__avx2##shape, dtype, false, true, four_a_step)                        \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu_unprefetched__avx2##shape, dtype, false, false, four_a_step)          \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu_streaming__avx2##shape, dtype, true, true, four_a_step)

/* The 16-bit kernels prefetch from DRAM whatever the tuning (below). */
#define PG_KERNEL_ENTRY(dtype_name, shape, dtype)                                                                  \
    {                                                                                                              \
        .name = #dtype_name "_lrelu__avx2" #shape, .contiguous = pg_##dtype_name##_lrelu__avx2##shape,             \
        .contiguous_unprefetched = pg_##dtype_name##_lrelu_unprefetched__avx2##shape,                              \
        .prefetch_pays_from_dram = (dtype) != pg_lrelu_f32,                                                        \
        .contiguous_streaming = pg_##dtype_name##_lrelu_streaming__avx2##shape,                                    \
    }

PG_DEFINE_KERNELS(f32, , pg_lrelu_f32, false)
PG_DEFINE_KERNELS(bf16, , pg_lrelu_bf16, false)
PG_DEFINE_KERNELS(f16, , pg_lrelu_f16, false)
PG_DEFINE_KERNELS(bf16, _x4, pg_lrelu_bf16, true)
PG_DEFINE_KERNELS(f16, _x4, pg_lrelu_f16, true)

/* No far kernels: their prefetch distances were measured on AVX-512
 * machines only, so AVX2 keeps its near prefetch at every size.
 *
 * Where the CPU's tuning leaves prefetch to the hardware (Zen), bf16 and
 * f16 still prefetch once a buffer reaches pg_streaming_min_bytes (12 MiB
 * there: data from DRAM; out of place that is the streaming kernel, which
 * always prefetches), and f32 does not.  Measured on the Zen 3 VM, one
 * thread, C timing, in place, medians of 13-15 interleaved calls on the
 * same buffer, unprefetched -> prefetched: bf16 at 6.4e7 elements 9.5-10.0
 * -> 7.7-8.3 ms (the in-place copy limit 6.8-7.2), 3e7 4.37 -> 3.61, 1e7
 * 1.27 -> 1.04, 8e6 1.17 -> 1.11, 6e6 0.645 -> 0.595; f16 at 6.4e7
 * 10.4-11.2 -> 8.8-9.3 ms, 1e7 1.43 -> 1.32, 6e6 0.83 -> 0.80; but 4e6
 * (8 MB, in the L3) lost, bf16 0.49 -> 0.55 ms.  f32 in place from DRAM
 * ran faster prefetched 2 KiB ahead in C timing (3e7 7.25 -> 6.69 ms), but
 * in the benchmark, two runs each way, alternately, at 6.4e7 and 3e7, it
 * reached 0.79-0.85 of the in-place limit against 0.86-0.93 without. */
const pg_lrelu_kernels pg_lrelu_kernels_avx2[pg_lrelu_dtype_count] = {
    [pg_lrelu_f32] = PG_KERNEL_ENTRY(f32, , pg_lrelu_f32),
    [pg_lrelu_bf16] = PG_KERNEL_ENTRY(bf16, , pg_lrelu_bf16),
    [pg_lrelu_f16] = PG_KERNEL_ENTRY(f16, , pg_lrelu_f16),
};

/* bf16 and f16 with four vectors a step where vectors_per_step takes them
 * (`four_a_step`), for the "zen4" tuning; f32 has one shape. */
const pg_lrelu_kernels pg_lrelu_kernels_avx2_x4[pg_lrelu_dtype_count] = {
    [pg_lrelu_bf16] = PG_KERNEL_ENTRY(bf16, _x4, pg_lrelu_bf16),
    [pg_lrelu_f16] = PG_KERNEL_ENTRY(f16, _x4, pg_lrelu_f16),
};
