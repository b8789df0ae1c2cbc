/*
 * lrelu_avx512.c — LeakyReLU kernels for AVX-512 F + BW + VL.
 * Compiled with -mavx512f -mavx512bw -mavx512vl -mavx2 -mf16c (this file
 * only); dispatch.c calls it only after checking the CPU and the OS.
 * meson compiles it a second time with -mavx512dq -mavx512bf16 for the
 * avx512_bf16 level, which then provides only the bf16 kernels (see below).
 *
 * Every dtype is computed in the f32 domain (see pg_lrelu_step in
 * lrelu_kernels.h), one 64-byte vector of input at a time: 16 f32, or 32
 * bf16/f16 as two f32 vectors.  A chain of alphas stays in registers,
 * rounding to the dtype after every step.
 *  - bf16 needs no shuffles: in each 32-bit lane of the input vector the
 *    even element becomes f32 by a left shift and the odd one by masking
 *    off the low half; narrowing is the reverse.  Rounding is integer
 *    round-to-nearest-even, ~6 instructions per vector of 16.
 *  - With AVX512_BF16, the last step's rounding and the narrowing are one
 *    vcvtne2ps2bf16 (round-to-nearest-even, NaNs truncated and quiet, as
 *    SPEC §2 wants) and a vpermw back to element order.  It treats
 *    subnormal f32 as zero, so a vector holding one takes the integer path:
 *    same bits either way, 40 % fewer instructions per vector (measured:
 *    ~20 % faster in L1, 2-5 % nearer the copy limit at 6.4e7 elements).
 *  - f16 converts with vcvtph2ps/vcvtps2ph, exact and subnormal-keeping;
 *    the last step's rounding is left to the final vcvtps2ph (rounding an
 *    f32 to f16 once or twice gives the same bits).
 *  - f16 has a second kernel, `f16_lrelu__avx512_ymm`, that does all of it
 *    on 256-bit vectors (XNNPACK's "avx256skx" idea: AVX-512 instructions,
 *    ymm registers).  On AMD Zen 4 a zmm conversion costs more than two
 *    ymm ones and the f16 loop is bound by them: in L1, in place, 51 GB/s
 *    with zmm against 78 with ymm; 1e5-1e6 elements ran 1.3x faster (one
 *    thread; 1e5 9.07 -> 6.90 us out of place, 8.72 -> 6.65 in place) and
 *    6.4e7 in place 86 -> 85-98 % of the in-place limit (three runs).
 *    dispatch.c says which CPUs get it.
 * Tails use masked loads and stores, which touch no memory outside the
 * mask.
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/lrelu_kernels.h"

#define PG_INLINE static inline __attribute__((always_inline))
#define PG_F16_RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
/* Software prefetch ahead of the loads.  The 16-bit kernels do enough
 * arithmetic per byte that the out-of-order window alone keeps too few
 * cache misses in flight; the hardware prefetchers do not make up for it
 * (without software prefetch, 6.4e7 bf16/f16 in place ran at 58-62 % of
 * the in-place limit).  Three policies; the distances were measured on the
 * Xeon VM (Sapphire Rapids class, 2 MiB L2):
 *  - near (data in the caches): into L1, 4 KiB ahead (better than 1-2 KiB);
 *  - far (data in DRAM, the `far` kernels): into L2 8 KiB ahead, which
 *    takes no L1 fill buffer for the whole DRAM latency, plus into L1 1 KiB
 *    ahead.  At 6.4e7 elements, one thread: bf16 in place 85-89 -> 93-98 %
 *    of the in-place limit, f16 87-90 -> 93-98 %, out of place 92-101 ->
 *    100-111 % of the copy limit; at 1e5-3e6 elements it was up to 10
 *    points worse than near, hence two kernels.
 *  - none (the `unprefetched` kernels, for in-place and in-cache calls on
 *    AMD Zen 4, dispatch.c): there the hardware prefetchers do better
 *    alone.  EPYC VM, one thread, C timing: f32 1e6 out of place 87 -> 98 %
 *    of the copy limit, in place 72 -> 93 %; f16 1e5-1e6 about 12 % faster;
 *    6.4e7 in place f16 88 -> 100 %; bf16 unchanged.  Streaming stores
 *    there still want the near prefetch (6.4e7 f32 out of place 113 % with
 *    it, 92 % without).
 * Prefetches stay inside the run a kernel was given: the stretch next to
 * its end (its start, descending) runs without them.  Past a run lie
 * bytes the call may never want: another thread's chunk, which in place
 * the other core is about to write and must then take back, or the gap a
 * strided row's stride skips, fetched from DRAM for nothing.  Measured on
 * a 2-vCPU Xeon VM (AVX512-FP16, 2 MiB L2), Python loops, interleaved
 * runs of the builds without -> with the limit:
 *  - two threads, 1e5 elements in place, 5000 calls, three runs each: f32
 *    6.1-6.4 -> 4.8-5.4 us per call, f16 5.0-5.8 -> 4.9-5.0; bf16 and out
 *    of place within the runs' noise;
 *  - one thread, 3.2e7 elements in rows of 1024 every 2048 (a view of
 *    every other half row), two runs each: f16 14.7-15.0 -> 11.0-12.0 ms,
 *    f32 27.2-27.4 -> 21.3, bf16 within noise; rows of 2048 every 4096,
 *    bf16 11.9-12.7 -> 9.0-9.6 ms;
 *  - dense on one thread: within noise. */
#define PG_PREFETCH_NEAR_BYTES 4096
#define PG_PREFETCH_FAR_L2_BYTES 8192
#define PG_PREFETCH_FAR_L1_BYTES 1024

typedef enum prefetch_policy { prefetch_none, prefetch_near, prefetch_far } prefetch_policy;

/* The loops stop prefetching where this would reach past the run
 * (prefetch_reach). */
PG_INLINE void prefetch_ahead(const unsigned char *pointer, prefetch_policy prefetch)
{
    uintptr_t address = (uintptr_t)pointer;
    if (prefetch == prefetch_far) {
        PG_PREFETCH(address + PG_PREFETCH_FAR_L2_BYTES, _MM_HINT_T1);
        PG_PREFETCH(address + PG_PREFETCH_FAR_L1_BYTES, _MM_HINT_T0);
    } else if (prefetch == prefetch_near) {
        PG_PREFETCH(address + PG_PREFETCH_NEAR_BYTES, _MM_HINT_T0);
    }
}

/* The same distances behind `pointer`, for passes that run from the end of
 * the arrays to their start. */
PG_INLINE void prefetch_behind(const unsigned char *pointer, prefetch_policy prefetch)
{
    uintptr_t address = (uintptr_t)pointer;
    if (prefetch == prefetch_far) {
        PG_PREFETCH(address - PG_PREFETCH_FAR_L2_BYTES, _MM_HINT_T1);
        PG_PREFETCH(address - PG_PREFETCH_FAR_L1_BYTES, _MM_HINT_T0);
    } else if (prefetch == prefetch_near) {
        PG_PREFETCH(address - PG_PREFETCH_NEAR_BYTES, _MM_HINT_T0);
    }
}

/* How far the policy's farthest prefetch looks, in elements: the
 * stretch next to a run's end (its start, descending) where prefetches
 * would reach past the run.  Descending with src not on a line boundary,
 * the first prefetched line may begin up to 63 bytes before src: src's
 * own line, which the pass loads anyway. */
PG_INLINE size_t prefetch_reach(pg_lrelu_dtype dtype, prefetch_policy prefetch)
{
    size_t bytes = prefetch == prefetch_far ? PG_PREFETCH_FAR_L2_BYTES
                   : prefetch == prefetch_near ? PG_PREFETCH_NEAR_BYTES
                                               : 0;
    return bytes / pg_lrelu_dtype_size(dtype);
}

/* ---- the chain on one f32-domain vector -------------------------------- */

/* bf16 round-to-nearest-even of each lane into its high 16 bits, the low
 * 16 left as they fall: for a caller that keeps only the high halves.
 * Values that are bf16 already, and quiet NaNs widened from bf16 (low
 * halves zero), come through unchanged. */
PG_INLINE __m512 round_bf16_high_half(__m512 r)
{
    __m512i bits = _mm512_castps_si512(r);
    __m512i lowest_kept_bit = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    return _mm512_castsi512_ps(_mm512_add_epi32(bits, _mm512_add_epi32(lowest_kept_bit, _mm512_set1_epi32(0x7FFF))));
}

/* Rounds the products to the dtype (only non-NaN lanes matter). */
PG_INLINE __m512 round_to_dtype(pg_lrelu_dtype dtype, __m512 r)
{
    if (dtype == pg_lrelu_bf16) {
        __m512i bits = _mm512_castps_si512(round_bf16_high_half(r));
        return _mm512_castsi512_ps(_mm512_and_si512(bits, _mm512_set1_epi32((int)0xFFFF0000u)));
    }
    if (dtype == pg_lrelu_f16) {
        return _mm512_cvtph_ps(_mm512_cvtps_ph(r, PG_F16_RNE));
    }
    return r;
}

/* vfixupimmps response per input class (4 bits each, class 0 lowest):
 * QNaN, SNaN -> the input quieted (payload kept); ±0, +1, +inf, positive
 * -> the input unchanged (so -0 passes through); -inf, negative -> the
 * step's result.  One instruction does the whole selection of a step. */
#define PG_FIXUP_QNAN_INPUT 0x2u
#define PG_FIXUP_KEEP_INPUT 0x1u
#define PG_FIXUP_TAKE_RESULT 0x0u
#define PG_LRELU_FIXUP_TABLE                                                                                       \
    (PG_FIXUP_QNAN_INPUT << 0 | PG_FIXUP_QNAN_INPUT << 4 | PG_FIXUP_KEEP_INPUT << 8 | PG_FIXUP_KEEP_INPUT << 12 | \
     PG_FIXUP_TAKE_RESULT << 16 | PG_FIXUP_KEEP_INPUT << 20 | PG_FIXUP_TAKE_RESULT << 24 | PG_FIXUP_KEEP_INPUT << 28)

/* `last_rounded_by_narrowing`: the caller narrows with round-to-nearest-
 * even afterwards, so the last step may skip its own rounding. */
PG_INLINE __m512 apply_steps(pg_lrelu_dtype dtype, __m512 x, const pg_lrelu_step *steps, size_t num_steps,
                             bool last_rounded_by_narrowing)
{
    const __m512i fixup_table = _mm512_set1_epi32((int)PG_LRELU_FIXUP_TABLE);
    for (size_t i = 0; i < num_steps; ++i) {
        __m512 result;
        if (steps[i].alpha_is_nan) {
            result = _mm512_castsi512_ps(_mm512_set1_epi32((int)steps[i].nan_bits));
        } else {
            /* Lanes that are not negative compute garbage here; the fixup
             * below discards it. */
            __m512 product = _mm512_mul_ps(x, _mm512_set1_ps(steps[i].alpha));
            bool skip_rounding = last_rounded_by_narrowing && i + 1 == num_steps;
            result = skip_rounding ? product : round_to_dtype(dtype, product);
        }
        x = _mm512_fixupimm_ps(result, x, fixup_table, 0);
    }
    return x;
}

#if defined(__AVX512BF16__)
/* Lanes holding a subnormal f32 (vfpclassps category 0x20: exponent field
 * zero, mantissa not): one instruction (DQ) where a pair of integer tests
 * took two.  On Zen 4 the bf16 kernel is compute-bound in place, and this
 * took 6.4e7 elements from 86 to 91 % of the in-place limit. */
#define PG_FPCLASS_DENORMAL 0x20
PG_INLINE __mmask16 subnormal_lanes(__m512 x)
{
    return _mm512_fpclass_ps_mask(x, PG_FPCLASS_DENORMAL);
}
#endif

/* One 64-byte vector of elements in, one out. */
PG_INLINE __m512i process_vector(pg_lrelu_dtype dtype, __m512i v, const pg_lrelu_step *steps, size_t num_steps)
{
    if (dtype == pg_lrelu_f32) {
        return _mm512_castps_si512(apply_steps(dtype, _mm512_castsi512_ps(v), steps, num_steps, false));
    }
    if (dtype == pg_lrelu_bf16) {
        const __m512i high_half = _mm512_set1_epi32((int)0xFFFF0000u);
        __m512 even = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
        __m512 odd = _mm512_castsi512_ps(_mm512_and_si512(v, high_half));
#if defined(__AVX512BF16__)
        even = apply_steps(dtype, even, steps, num_steps, true);
        odd = apply_steps(dtype, odd, steps, num_steps, true);
        if (__builtin_expect((subnormal_lanes(even) | subnormal_lanes(odd)) == 0, 1)) {
            /* cvtne2ps2bf16 puts the 16 even results below the 16 odd ones;
             * word 2k comes from word k, word 2k + 1 from word 16 + k. */
            const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                        23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
            __m512i packed = (__m512i)_mm512_cvtne2ps_pbh(odd, even);
            return _mm512_permutexvar_epi16(interleave, packed);
        }
#else
        even = apply_steps(dtype, even, steps, num_steps, true);
        odd = apply_steps(dtype, odd, steps, num_steps, true);
#endif
        /* The last step was left unrounded: round it here, into the high
         * halves, which are all the narrowing keeps (the even ones shift
         * down, the odd ones are blended in as they are): one masking per
         * half less than rounding to exact bf16 values and or-ing them. */
        even = round_bf16_high_half(even);
        odd = round_bf16_high_half(odd);
        return _mm512_mask_blend_epi16(0xAAAAAAAAu, _mm512_srli_epi32(_mm512_castps_si512(even), 16),
                                       _mm512_castps_si512(odd));
    }
    __m512 low = _mm512_cvtph_ps(_mm512_castsi512_si256(v));
    __m512 high = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(v, 1));
    low = apply_steps(dtype, low, steps, num_steps, true);
    high = apply_steps(dtype, high, steps, num_steps, true);
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtps_ph(low, PG_F16_RNE)),
                              _mm512_cvtps_ph(high, PG_F16_RNE), 1);
}

/* ---- f16 on 256-bit vectors --------------------------------------------- */

/* The same chain as apply_steps, for f16 on eight f32 lanes: the last
 * step's rounding is left to the narrowing vcvtps2ph. */
PG_INLINE __m256 apply_f16_steps_ymm(__m256 x, const pg_lrelu_step *steps, size_t num_steps)
{
    const __m256i fixup_table = _mm256_set1_epi32((int)PG_LRELU_FIXUP_TABLE);
    for (size_t i = 0; i < num_steps; ++i) {
        __m256 result;
        if (steps[i].alpha_is_nan) {
            result = _mm256_castsi256_ps(_mm256_set1_epi32((int)steps[i].nan_bits));
        } else {
            result = _mm256_mul_ps(x, _mm256_set1_ps(steps[i].alpha));
            if (i + 1 < num_steps) {
                result = _mm256_cvtph_ps(_mm256_cvtps_ph(result, PG_F16_RNE));
            }
        }
        x = _mm256_fixupimm_ps(result, x, fixup_table, 0);
    }
    return x;
}

/* Eight f16 values widened, computed and narrowed. */
PG_INLINE __m128i process_f16_quarter_ymm(__m128i half, const pg_lrelu_step *steps, size_t num_steps)
{
    return _mm256_cvtps_ph(apply_f16_steps_ymm(_mm256_cvtph_ps(half), steps, num_steps), PG_F16_RNE);
}

/* One 64-byte line of f16 as four quarters of 8 elements.  All loads come
 * before the stores (in place).  Four named vectors, not an array: with an
 * array and a loop over it, GCC 12 at -O2 kept the line on the stack and
 * every quarter's load missed store forwarding (4x slower at 1e5). */
PG_INLINE void process_f16_line_ymm(const unsigned char *src, unsigned char *dst, const pg_lrelu_step *steps,
                                    size_t num_steps, bool streaming)
{
    __m128i q0 = _mm_loadu_si128((const __m128i *)src);
    __m128i q1 = _mm_loadu_si128((const __m128i *)(src + 16));
    __m128i q2 = _mm_loadu_si128((const __m128i *)(src + 32));
    __m128i q3 = _mm_loadu_si128((const __m128i *)(src + 48));
    q0 = process_f16_quarter_ymm(q0, steps, num_steps);
    q1 = process_f16_quarter_ymm(q1, steps, num_steps);
    q2 = process_f16_quarter_ymm(q2, steps, num_steps);
    q3 = process_f16_quarter_ymm(q3, steps, num_steps);
    if (streaming) {
        _mm_stream_si128((__m128i *)dst, q0);
        _mm_stream_si128((__m128i *)(dst + 16), q1);
        _mm_stream_si128((__m128i *)(dst + 32), q2);
        _mm_stream_si128((__m128i *)(dst + 48), q3);
    } else {
        _mm_storeu_si128((__m128i *)dst, q0);
        _mm_storeu_si128((__m128i *)(dst + 16), q1);
        _mm_storeu_si128((__m128i *)(dst + 32), q2);
        _mm_storeu_si128((__m128i *)(dst + 48), q3);
    }
}

/* ---- one pass over the data -------------------------------------------- */

PG_INLINE size_t lanes(pg_lrelu_dtype dtype)
{
    return 64 / pg_lrelu_dtype_size(dtype);
}

/* A vector load the compiler must keep in a register.  GCC 12 at -O3 folds
 * the load into the f32 multiply and loads the same line again for the
 * fixup: twice the loads, and in place at 1e5 (L2) 30 % slower than the
 * -O2 build, which loaded once (4.5 against 3.5 us on Zen 4). */
PG_INLINE __m512i load_once(const unsigned char *from)
{
    __m512i v = _mm512_loadu_si512(from);
    __asm__("" : "+v"(v));
    return v;
}

/* The first `count` (< lanes) elements, with masked loads and stores. */
PG_INLINE void process_partial(pg_lrelu_dtype dtype, size_t count, const unsigned char *src, unsigned char *dst,
                               const pg_lrelu_step *steps, size_t num_steps)
{
    if (dtype == pg_lrelu_f32) {
        __mmask16 mask = (__mmask16)((1u << count) - 1u);
        __m512i v = _mm512_maskz_loadu_epi32(mask, src);
        _mm512_mask_storeu_epi32(dst, mask, process_vector(dtype, v, steps, num_steps));
    } else {
        __mmask32 mask = (__mmask32)((1ull << count) - 1u);
        __m512i v = _mm512_maskz_loadu_epi16(mask, src);
        _mm512_mask_storeu_epi16(dst, mask, process_vector(dtype, v, steps, num_steps));
    }
}

/* Elements before the first one whose dst is 64-byte aligned, done with a
 * masked head: no store splits a cache line after them, and in place no
 * load either.  Large NumPy arrays often start 16 bytes into a line
 * (malloc's header), and there, measured on Zen 4, split lines made f32
 * 1.45x (1e5) to 1.6x (1e6) slower in place, 1.1x out of place.  f16 on
 * ymm moves 16 bytes at a time, which a 16-byte aligned array (any from
 * malloc) never splits; and with this head its loop ran 15 % slower (1e6 on
 * Zen 4: GCC 12 no longer hoisted the NaN-alpha test out of it). */
PG_INLINE size_t head_elements(pg_lrelu_dtype dtype, size_t n, const unsigned char *dst, bool streaming,
                               bool f16_ymm)
{
    const size_t size = pg_lrelu_dtype_size(dtype);
    if ((uintptr_t)dst % size != 0 || (!streaming && f16_ymm)) {
        return 0;
    }
    size_t head = (64 - (uintptr_t)dst % 64) % 64 / size;
    return head < n ? head : n;
}

/* One whole vector, or one line of f16 on ymm. */
PG_INLINE void process_line(pg_lrelu_dtype dtype, const unsigned char *src, unsigned char *dst,
                            const pg_lrelu_step *steps, size_t num_steps, bool streaming, bool f16_ymm)
{
    if (f16_ymm) {
        process_f16_line_ymm(src, dst, steps, num_steps, streaming);
        return;
    }
    __m512i v = process_vector(dtype, load_once(src), steps, num_steps);
    if (streaming) {
        _mm512_stream_si512((void *)dst, v);
    } else {
        _mm512_storeu_si512(dst, v);
    }
}

/* Two adjacent vectors, both loads before both stores (in place stays
 * correct). */
PG_INLINE void process_pair(pg_lrelu_dtype dtype, const unsigned char *src, unsigned char *dst,
                            const pg_lrelu_step *steps, size_t num_steps, bool f16_ymm)
{
    if (f16_ymm) {
        process_f16_line_ymm(src, dst, steps, num_steps, false);
        process_f16_line_ymm(src + 64, dst + 64, steps, num_steps, false);
        return;
    }
    __m512i a = load_once(src);
    __m512i b = load_once(src + 64);
    a = process_vector(dtype, a, steps, num_steps);
    b = process_vector(dtype, b, steps, num_steps);
    _mm512_storeu_si512(dst, a);
    _mm512_storeu_si512(dst + 64, b);
}

/* From the first element to the last. */
PG_INLINE void run_pass_ascending(pg_lrelu_dtype dtype, size_t n, const unsigned char *src, unsigned char *dst,
                                  const pg_lrelu_step *steps, size_t num_steps, bool streaming,
                                  prefetch_policy prefetch, bool f16_ymm)
{
    const size_t size = pg_lrelu_dtype_size(dtype);
    const size_t width = lanes(dtype);
    size_t i = head_elements(dtype, n, dst, streaming, f16_ymm);
    if (i > 0) {
        process_partial(dtype, i, src, dst, steps, num_steps);
    }
    /* Steps that end by here prefetch inside the run (see the top). */
    const size_t reach = prefetch_reach(dtype, prefetch);
    const size_t prefetch_end = n > reach ? n - reach : 0;
    if (streaming && (uintptr_t)dst % size == 0) {
        /* Whole cache lines with non-temporal stores. */
        for (; i + width <= prefetch_end; i += width) {
            prefetch_ahead(src + i * size, prefetch);
            process_line(dtype, src + i * size, dst + i * size, steps, num_steps, true, f16_ymm);
        }
        for (; i + width <= n; i += width) {
            process_line(dtype, src + i * size, dst + i * size, steps, num_steps, true, f16_ymm);
        }
    }
    for (; i + 2 * width <= prefetch_end; i += 2 * width) {
        prefetch_ahead(src + i * size, prefetch);
        prefetch_ahead(src + i * size + 64, prefetch);
        process_pair(dtype, src + i * size, dst + i * size, steps, num_steps, f16_ymm);
    }
    for (; i + 2 * width <= n; i += 2 * width) {
        process_pair(dtype, src + i * size, dst + i * size, steps, num_steps, f16_ymm);
    }
    for (; i + width <= n; i += width) {
        process_line(dtype, src + i * size, dst + i * size, steps, num_steps, false, f16_ymm);
    }
    if (i < n) {
        process_partial(dtype, n - i, src + i * size, dst + i * size, steps, num_steps);
    }
}

/* The same pieces from the last element to the first (lrelu_kernels.h says
 * when that pays): the tail, whole vectors downwards, the head. */
PG_INLINE void run_pass_descending(pg_lrelu_dtype dtype, size_t n, const unsigned char *src, unsigned char *dst,
                                   const pg_lrelu_step *steps, size_t num_steps, bool streaming,
                                   prefetch_policy prefetch, bool f16_ymm)
{
    const size_t size = pg_lrelu_dtype_size(dtype);
    const size_t width = lanes(dtype);
    const size_t head = head_elements(dtype, n, dst, streaming, f16_ymm);
    size_t end = head + (n - head) / width * width; /* whole vectors: [head, end) */
    if (end < n) {
        process_partial(dtype, n - end, src + end * size, dst + end * size, steps, num_steps);
    }
    /* Steps that begin from here up prefetch inside the run (see the top). */
    const size_t prefetch_begin = head + prefetch_reach(dtype, prefetch);
    if (streaming && (uintptr_t)dst % size == 0) {
        for (; end >= prefetch_begin + width; end -= width) {
            prefetch_behind(src + (end - width) * size, prefetch);
            process_line(dtype, src + (end - width) * size, dst + (end - width) * size, steps, num_steps, true,
                         f16_ymm);
        }
        for (; end >= head + width; end -= width) {
            process_line(dtype, src + (end - width) * size, dst + (end - width) * size, steps, num_steps, true,
                         f16_ymm);
        }
    }
    if ((end - head) / width % 2 != 0) {
        end -= width;
        process_line(dtype, src + end * size, dst + end * size, steps, num_steps, false, f16_ymm);
    }
    for (; end >= prefetch_begin + 2 * width; end -= 2 * width) {
        prefetch_behind(src + (end - 2 * width) * size, prefetch);
        prefetch_behind(src + (end - width) * size, prefetch);
        process_pair(dtype, src + (end - 2 * width) * size, dst + (end - 2 * width) * size, steps, num_steps,
                     f16_ymm);
    }
    for (; end >= head + 2 * width; end -= 2 * width) {
        process_pair(dtype, src + (end - 2 * width) * size, dst + (end - 2 * width) * size, steps, num_steps,
                     f16_ymm);
    }
    if (head > 0) {
        process_partial(dtype, head, src, dst, steps, num_steps);
    }
}

PG_INLINE void run_pass(pg_lrelu_dtype dtype, size_t n, const unsigned char *src, unsigned char *dst,
                        const pg_lrelu_step *steps, size_t num_steps, bool streaming, prefetch_policy prefetch,
                        bool f16_ymm, bool descending)
{
    if (descending) {
        run_pass_descending(dtype, n, src, dst, steps, num_steps, streaming, prefetch, f16_ymm);
    } else {
        run_pass_ascending(dtype, n, src, dst, steps, num_steps, streaming, prefetch, f16_ymm);
    }
    if (streaming) {
        _mm_sfence(); /* non-temporal stores are weakly ordered */
    }
}

PG_INLINE void run_chain(pg_lrelu_dtype dtype, size_t n, const void *src, void *dst, const float *alphas,
                         size_t num_alphas, bool streaming, prefetch_policy prefetch, bool f16_ymm, bool descending)
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
        if (count == 1) {
            /* The common single op: a copy of the loop with the step
             * count known, so the constants stay in registers. */
            run_pass(dtype, n, from, dst, steps, 1, streaming && last_pass, prefetch, f16_ymm, descend);
        } else {
            run_pass(dtype, n, from, dst, steps, count, streaming && last_pass, prefetch, f16_ymm, descend);
        }
        /* Later passes run in place, ascending: no direction makes loads
         * wait on aliased stores there, and a chain's passes are bound by
         * arithmetic (33 alphas, f32 in place at 1e6-3e6 elements: 2-6 %
         * slower alternating directions so that each pass begins where the
         * one before ended). */
        from = dst;
        descend = false;
    }
}

/* The kernels, named after the level they serve.  The AVX512_BF16 build
 * improves only bf16; its table leaves the others to the avx512 level. */
#if defined(__AVX512BF16__)
#define PG_KERNEL_NAME(dtype) dtype "_lrelu__avx512_bf16"
#define PG_KERNEL_TABLE pg_lrelu_kernels_avx512_bf16
#else
#define PG_KERNEL_NAME(dtype) dtype "_lrelu__avx512"
#define PG_KERNEL_TABLE pg_lrelu_kernels_avx512
#endif

/* The memory variants of one dtype's kernel (see pg_lrelu_kernels). */
#define PG_DEFINE_KERNEL(function, dtype, streaming, prefetch, f16_ymm)                                            \
    static void function(size_t n, const void *src, void *dst, const float *alphas, size_t num_alphas,             \
                         bool descending)                                                                          \
    {                                                                                                              \
        run_chain(dtype, n, src, dst, alphas, num_alphas, streaming, prefetch, f16_ymm, descending);               \
    }

#define PG_DEFINE_KERNELS(dtype_name, dtype)                                                                       \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu__avx512, dtype, false, prefetch_near, false)                          \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu_unprefetched__avx512, dtype, false, prefetch_none, false)             \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu_streaming__avx512, dtype, true, prefetch_near, false)                 \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu_far__avx512, dtype, false, prefetch_far, false)                       \
    PG_DEFINE_KERNEL(pg_##dtype_name##_lrelu_far_streaming__avx512, dtype, true, prefetch_far, false)

#define PG_KERNEL_ENTRY(dtype_name)                                                                                \
    {                                                                                                              \
        .name = PG_KERNEL_NAME(#dtype_name), .contiguous = pg_##dtype_name##_lrelu__avx512,                        \
        .contiguous_unprefetched = pg_##dtype_name##_lrelu_unprefetched__avx512,                                   \
        .contiguous_streaming = pg_##dtype_name##_lrelu_streaming__avx512,                                         \
        .contiguous_far = pg_##dtype_name##_lrelu_far__avx512,                                                     \
        .contiguous_far_streaming = pg_##dtype_name##_lrelu_far_streaming__avx512, .strided = NULL,                \
    }

#if !defined(__AVX512BF16__)
PG_DEFINE_KERNELS(f32, pg_lrelu_f32)
PG_DEFINE_KERNELS(f16, pg_lrelu_f16)

/* f16 on 256-bit vectors: no far kernels (the plan runs its near kernel
 * where a far one is missing). */
PG_DEFINE_KERNEL(pg_f16_lrelu_ymm__avx512, pg_lrelu_f16, false, prefetch_near, true)
PG_DEFINE_KERNEL(pg_f16_lrelu_ymm_unprefetched__avx512, pg_lrelu_f16, false, prefetch_none, true)
PG_DEFINE_KERNEL(pg_f16_lrelu_ymm_streaming__avx512, pg_lrelu_f16, true, prefetch_near, true)
const pg_lrelu_kernels pg_lrelu_kernels_avx512_f16_ymm = {
    .name = "f16_lrelu__avx512_ymm",
    .contiguous = pg_f16_lrelu_ymm__avx512,
    .contiguous_unprefetched = pg_f16_lrelu_ymm_unprefetched__avx512,
    .contiguous_streaming = pg_f16_lrelu_ymm_streaming__avx512,
};
#endif
PG_DEFINE_KERNELS(bf16, pg_lrelu_bf16)

const pg_lrelu_kernels PG_KERNEL_TABLE[pg_lrelu_dtype_count] = {
#if !defined(__AVX512BF16__)
    [pg_lrelu_f32] = PG_KERNEL_ENTRY(f32),
    [pg_lrelu_f16] = PG_KERNEL_ENTRY(f16),
#endif
    [pg_lrelu_bf16] = PG_KERNEL_ENTRY(bf16),
};
