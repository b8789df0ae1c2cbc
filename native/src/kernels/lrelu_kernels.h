/*
 * lrelu_kernels.h — what every per-ISA LeakyReLU kernel looks like, and the
 * table the dispatcher picks them from.
 *
 * A kernel runs a whole chain of alphas over one run of elements.  Lengths
 * and strides count elements, never bytes (XNNPACK counts bytes and
 * newcomers trip on it).  Kernels never read or write outside
 * [src, src + n) and [dst, dst + n); src == dst (in place) is allowed, any
 * other overlap is not.  Pointers need only the alignment of a byte: NumPy
 * hands us unaligned arrays.
 *
 * The bits each kernel produces are defined by leaky_relu.h; the reference
 * kernels in reference/ are that definition in executable form and every
 * other kernel is tested against them bit for bit.
 */
#ifndef PYGRAPH_KERNELS_LRELU_KERNELS_H
#define PYGRAPH_KERNELS_LRELU_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pygraph/pygraph.h"

/* Instruction-set levels, best last.  The order is the dispatch order. */
typedef enum pg_isa {
    pg_isa_scalar = 0,
    pg_isa_avx2 = 1,   /* AVX2 + F16C (no FMA: every multiply rounds on its own) */
    pg_isa_avx512 = 2, /* AVX-512 F + BW + VL */
    pg_isa_avx512_bf16 = 3, /* + DQ + AVX512_BF16 (bf16 kernels only; the rest fall back to avx512) */
    pg_isa_count = 4
} pg_isa;

/* The dtypes LeakyReLU computes on, as a dense index into kernel tables. */
typedef enum pg_lrelu_dtype {
    pg_lrelu_f32 = 0,
    pg_lrelu_bf16 = 1,
    pg_lrelu_f16 = 2,
    pg_lrelu_dtype_count = 3
} pg_lrelu_dtype;

/* dst[i] = chain(src[i]) for i in [0, n), from i = 0 up; `descending`
 * asks for the pass from i = n - 1 down.  The order changes no result,
 * only speed, for two reasons (pg_lrelu_descending_pays says when to ask):
 *  - a load whose address matches a store still in flight in its low 12
 *    bits waits for that store (4K aliasing): when dst lies a few hundred
 *    bytes past src modulo 4 KiB, every store of an ascending pass matches
 *    a load that comes right after it; descending, the loads move away from
 *    the stores (and the other way round when dst lies just before src);
 *  - what the caches hold of the data is what was touched last, and the
 *    code before a call (a producer, a copy, NumPy) mostly ran ascending:
 *    a descending pass meets those lines first, an ascending one evicts
 *    them before it gets there.
 * A chain that takes several passes runs the later ones in place,
 * ascending (lrelu_avx512.c says why).
 * The scalar kernels ignore it (their speed was not measured to depend on
 * it); the AVX2 and AVX-512 ones follow it. */
typedef void pg_lrelu_contiguous_fn(size_t n, const void *src, void *dst, const float *alphas, size_t num_alphas,
                                    bool descending);

/* dst[i * dst_stride] = chain(src[i * src_stride]) for i in [0, n); strides
 * in elements, any sign for src (0 included). */
typedef void pg_lrelu_strided_fn(size_t n, const void *src, ptrdiff_t src_stride, void *dst, ptrdiff_t dst_stride,
                                 const float *alphas, size_t num_alphas);

/* Software prefetch of the cache line holding byte `address` (an integer:
 * outside the arrays pointer arithmetic is undefined) with `hint`, for the
 * SIMD kernels, which include the intrinsics.  Kernels prefetch only lines
 * of the run they were given (lrelu_avx512.c says why); the test that
 * checks it (native/tests/test_prefetch_bounds.c) builds them with
 * PG_PREFETCH_HOOK naming a function that records the addresses
 * instead. */
#if defined(PG_PREFETCH_HOOK)
void PG_PREFETCH_HOOK(uintptr_t address);
#define PG_PREFETCH(address, hint) PG_PREFETCH_HOOK(address)
#else
#define PG_PREFETCH(address, hint) _mm_prefetch((const char *)(address), (hint))
#endif

/* The kernels of one dtype on one ISA level. */
typedef struct pg_lrelu_kernels {
    const char *name; /* XNNPACK style: dtype, op, ISA — "f32_lrelu__avx512" */
    pg_lrelu_contiguous_fn *contiguous;
    /* Same bits as `contiguous`, without software prefetch, for the CPUs
     * whose hardware prefetchers do better alone (pg_software_prefetch_pays);
     * NULL: `contiguous` serves them too. */
    pg_lrelu_contiguous_fn *contiguous_unprefetched;
    /* Where `contiguous_unprefetched` is the CPU's choice, whether a dense
     * pass over data from DRAM prefetches all the same (out of place such
     * a pass streams; in place it runs `contiguous`).  The streaming
     * threshold, pg_streaming_min_bytes() per buffer, stands for "from
     * DRAM" on the CPUs that leave prefetching to the hardware (dispatch.c
     * has its value there).  True for kernels that do so much arithmetic
     * per byte that the hardware prefetchers alone keep too few misses in
     * flight (the 16-bit AVX2 ones; lrelu_avx2.c has the figures). */
    bool prefetch_pays_from_dram;
    /* Same bits as `contiguous`, written with non-temporal stores (dst is
     * not pulled into the cache; ends with a store fence).  Worth it once
     * dst outgrows the cache the core would keep it in (dispatch.c); NULL
     * when the ISA level has none. */
    pg_lrelu_contiguous_fn *contiguous_streaming;
    /* Same bits again, tuned for data beyond the caches (the dense tensor's
     * footprint, src and dst bytes, reaches pg_far_min_bytes()): prefetched further
     * ahead, into L2.  `contiguous_far` stores normally (in place);
     * `contiguous_far_streaming` is `contiguous_streaming`'s far twin.
     * NULL: the plan uses the near kernel instead. */
    pg_lrelu_contiguous_fn *contiguous_far;
    pg_lrelu_contiguous_fn *contiguous_far_streaming;
    /* NULL: the plan runs strided runs through a small buffer and
     * `contiguous` (gather bits, compute, scatter bits). */
    pg_lrelu_strided_fn *strided;
} pg_lrelu_kernels;

/* Per-ISA tables, indexed by pg_lrelu_dtype.  The SIMD ones exist only when
 * the build compiled them (x86 with a compiler that accepts the flags). */
extern const pg_lrelu_kernels pg_lrelu_kernels_scalar[pg_lrelu_dtype_count];
#if defined(PYGRAPH_HAVE_AVX2_KERNELS)
extern const pg_lrelu_kernels pg_lrelu_kernels_avx2[pg_lrelu_dtype_count];
/* bf16 and f16 at the avx2 level with four vectors a loop step in place
 * (bf16) and with streaming stores, for the CPUs where that is faster
 * (dispatch.c picks one of the two tables; f32 is NULL-named). */
extern const pg_lrelu_kernels pg_lrelu_kernels_avx2_x4[pg_lrelu_dtype_count];
#endif
#if defined(PYGRAPH_HAVE_AVX512_KERNELS)
extern const pg_lrelu_kernels pg_lrelu_kernels_avx512[pg_lrelu_dtype_count];
/* f16 at the avx512 level on 256-bit vectors, for the CPUs where that is
 * faster (dispatch.c picks one of the two). */
extern const pg_lrelu_kernels pg_lrelu_kernels_avx512_f16_ymm;
#endif
/* Entries a level does not improve on are NULL-named: the level below
 * serves them. */
#if defined(PYGRAPH_HAVE_AVX512_BF16_KERNELS)
extern const pg_lrelu_kernels pg_lrelu_kernels_avx512_bf16[pg_lrelu_dtype_count];
#endif

/* Dispatch (dispatch.c).  The ISA level kernels use now: the best the CPU
 * and OS support, capped by PYGRAPH_MAX_ISA and pygraph_set_max_cpu_isa. */
pg_isa pg_current_isa(void);
/* The kernels for `dtype` at the current ISA level. */
const pg_lrelu_kernels *pg_lrelu_kernels_for(pg_lrelu_dtype dtype);

/* Dense out-of-place output of at least this many bytes is written with the
 * streaming kernel on one thread (a measured, CPU-dependent crossover;
 * dispatch.c; on more threads see pg_streaming_min_bytes_on), except
 * where the stream trials choose (below it down to
 * pg_streaming_trial_min_bytes(), and on more than one thread up to
 * pg_streaming_trial_max_bytes()); in place, kernels with
 * prefetch_pays_from_dram prefetch from this size on. */
int64_t pg_streaming_min_bytes(void);
/* The same for a call on `threads` threads: where the crossover is each
 * core's own L2 (Intel), pg_streaming_min_bytes() times the L2s the
 * threads spread over (`threads`, at most the L2s the CPUs have: SMT
 * siblings share one), since each writes its share of dst; elsewhere the
 * crossover follows the shared L3 and stays pg_streaming_min_bytes() (the
 * stream trials measure more threads above it).  pg_lrelu_choose_contiguous
 * chooses with it. */
int64_t pg_streaming_min_bytes_on(int64_t threads);
/* From this many bytes of dst up to pg_streaming_trial_max_bytes(), dense
 * out-of-place calls measure whether streaming stores or software prefetch
 * pay (stream_trials.h, plan.c); equal to pg_streaming_min_bytes() where
 * they never do. */
int64_t pg_streaming_trial_min_bytes(void);
/* The end of the trial range for calls on `threads` threads:
 * pg_streaming_min_bytes() for one thread and where there are no trials,
 * twice that for more threads (their crossover lies higher). */
int64_t pg_streaming_trial_max_bytes(int64_t threads);
/* Whether a pass that one thread runs over a whole call (`dense`, `bytes`
 * per buffer, in place or not) runs descending to meet first what the code
 * before it left in the caches (pg_lrelu_contiguous_fn; dispatch.c has the
 * figures): for dense calls whose footprint stays below pg_far_min_bytes()
 * where that is finite (Intel), except under the "zen4" tuning.  The
 * `for_the_caches` of pg_lrelu_descending_pays. */
bool pg_lrelu_whole_pass_descends(bool dense, int64_t bytes, bool in_place);
/* A dense call whose footprint (pg_lrelu_footprint) is at least this many
 * bytes runs a far kernel (dispatch.c: 64 MiB on Intel, never elsewhere;
 * PYGRAPH_FAR_MIN_BYTES overrides it). */
int64_t pg_far_min_bytes(void);
/* The memory a dense call with `bytes` per buffer touches: src and dst, the
 * one buffer in place. */
static inline int64_t pg_lrelu_footprint(int64_t bytes, bool in_place)
{
    return in_place ? bytes : 2 * bytes;
}

/* Whether a contiguous pass from src to dst should run descending
 * (pg_lrelu_contiguous_fn).
 *  - Always when dst lies 1 to PG_ALIASING_WINDOW_BYTES - 1 bytes past src
 *    modulo 4 KiB (4K aliasing).  Measured on the Zen 4 VM, one thread, C
 *    timing, dst - src modulo 4096 against the time at 0: f32 at 1e5
 *    elements 64 and 128 bytes cost +16-18 %, 256 +7 %, 384 +2 %, 512 and
 *    beyond nothing; bf16 at 3e5 +21-25 % (64, 128); f32 at 1e7 (streaming
 *    stores) +5-11 %, bf16 +9-26 %.  The AVX2 kernels showed nothing of it
 *    there (the same time within 2 % at every offset, f32 and bf16 at 1e5)
 *    but did on the Xeon VM, descending against ascending, three runs of
 *    alternating calls: 64 bytes past, f32 at 1e5 -2 to -10 %, bf16 at 3e5
 *    -4 to -5 %; 128 past -2 to -4 % and -2 to -11 %; 256, 512 and 0
 *    within 2 %.
 *  - Otherwise when `for_the_caches` (pg_lrelu_whole_pass_descends, for a
 *    pass one thread runs over a whole call), unless dst lies 1 to
 *    PG_ALIASING_WINDOW_BYTES - 1 bytes before src, the mirror image of the
 *    above (the ascending pass there costs nothing, its loads run ahead of
 *    the stores; descending, f32 at 3e4 elements on the Xeon VM, 64 bytes
 *    before: +5 %, 128 and more: nothing; AVX2 64 bytes before, f32 at 1e5
 *    +1 to +7 %, bf16 at 3e5 +5 to +29 %). */
#define PG_ALIASING_WINDOW_BYTES 512
static inline bool pg_lrelu_descending_pays(const void *src, const void *dst, bool for_the_caches)
{
    uintptr_t past = ((uintptr_t)dst - (uintptr_t)src) % 4096u;
    if (past != 0 && past < PG_ALIASING_WINDOW_BYTES) {
        return true;
    }
    uintptr_t before = ((uintptr_t)src - (uintptr_t)dst) % 4096u;
    return for_the_caches && !(before != 0 && before < PG_ALIASING_WINDOW_BYTES);
}

/* The contiguous kernel of `kernels` for a pass (plan.c) of a call on
 * `threads` threads (1 also for a call the pool runs alone): `dense` (one
 * contiguous run in src and dst), `bytes` per buffer, in place or not.
 * Applies, in order: prefetch or not (pg_software_prefetch_pays,
 * prefetch_pays_from_dram), streaming stores from
 * pg_streaming_min_bytes_on(threads) out of place, far kernels from
 * pg_far_min_bytes() of footprint; a NULL entry falls back to the choice
 * before it.  Never changes bits.  In the trial range the plan asks the
 * stream trials instead. */
pg_lrelu_contiguous_fn *pg_lrelu_choose_contiguous(const pg_lrelu_kernels *kernels, bool dense, int64_t bytes,
                                                   bool in_place, int64_t threads);
/* The same with streaming stores or not as `streaming` says (ignored in
 * place and for strided passes), and with software prefetch whatever the
 * CPU's choice if `prefetch`: what a stream trial's way runs. */
pg_lrelu_contiguous_fn *pg_lrelu_choose_contiguous_as(const pg_lrelu_kernels *kernels, bool dense, int64_t bytes,
                                                      bool in_place, bool prefetch, bool streaming);

/* A copy of the stream trial (stream_trials.h) that dense out-of-place calls
 * with `kernels`, `bytes` of dst and `threads` (as the plan counts them:
 * at most one per PG_MIN_ELEMENTS_PER_THREAD elements) book into; false
 * when there is none (a size outside the trial range, never called, or
 * the trials were busy).  For tests: the choice never shows in the bits. */
struct pg_stream_trial;
bool pg_lrelu_stream_trial_of(const pg_lrelu_kernels *kernels, int64_t bytes, int64_t threads,
                              struct pg_stream_trial *copy);

/* Whether non-streaming calls run `contiguous` (software prefetch ahead
 * of the loads) rather than `contiguous_unprefetched` (dispatch.c: measured
 * per CPU; PYGRAPH_KERNEL_TUNING overrides it); kernels with
 * prefetch_pays_from_dram prefetch from DRAM either way. */
bool pg_software_prefetch_pays(void);

/* Element size in bytes of a LeakyReLU dtype. */
static inline size_t pg_lrelu_dtype_size(pg_lrelu_dtype dtype)
{
    return dtype == pg_lrelu_f32 ? 4 : 2;
}

/* Maps a public data type to the kernel index; -1 for a type LeakyReLU
 * does not compute on. */
static inline int pg_lrelu_dtype_from_public(pygraph_data_type data_type)
{
    switch (data_type) {
    case pygraph_data_type_f32: return pg_lrelu_f32;
    case pygraph_data_type_bf16: return pg_lrelu_bf16;
    case pygraph_data_type_f16: return pg_lrelu_f16;
    default: return -1;
    }
}

/*
 * SIMD kernels compute every dtype in the f32 domain: an f32 value, or a
 * bf16/f16 value widened exactly to f32.  One step of the chain is
 *     x NaN      -> x with the f32 quiet bit set (bit 22: it is also the
 *                   bf16 quiet bit 6 and the f16 quiet bit 9 once widened);
 *     x >= 0     -> x;
 *     otherwise  -> round_T(alpha * x).
 * The negative branch is NaN in two cases only (x is not NaN there):
 *   - alpha is NaN: the result is the constant `nan_bits` (alpha quieted
 *     and narrowed to T, widened back), substituted explicitly instead of
 *     trusting which NaN operand the hardware propagates;
 *   - -inf * ±0: x86 defines the product as the default NaN 0xFFC00000,
 *     which is exactly leaky_relu.h's result and narrows (by round to
 *     nearest even, which leaves it alone) to bf16 0xFFC0 / f16 0xFE00.
 * For 0 < alpha <= 1 (`takes_the_larger`, the usual LeakyReLU) the step is
 * also max(x, round_T(alpha * x)) with x86's max, which returns its second
 * operand when either is NaN: a NaN x gives its quieted product; for
 * x >= 0 the rounded product is at most x, for x < 0 at least x (rounding
 * to nearest is monotonic and x is representable in T), and the only
 * equal values with different bits, ±0, come out as x does.  One max
 * instead of a compare and a blend.
 */
typedef struct pg_lrelu_step {
    float alpha;
    int alpha_is_nan;
    int takes_the_larger; /* 0 < alpha <= 1: the step is max(x, round_T(alpha * x)) */
    uint32_t nan_bits;    /* the result of the negative branch when alpha_is_nan */
} pg_lrelu_step;

/* Steps a SIMD kernel prepares per pass; a longer chain is applied in
 * passes of this many alphas (later passes run in place on dst), which
 * gives the same bits because every step rounds to T anyway. */
#define PG_LRELU_STEPS_PER_PASS 32

#define PG_F32_QUIET_BIT 0x00400000u
#define PG_F32_DEFAULT_NAN 0xFFC00000u /* x86's "indefinite" NaN, e.g. -inf * 0 */

static inline uint32_t pg_f32_bits(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline pg_lrelu_step pg_lrelu_step_prepare(pg_lrelu_dtype dtype, float alpha)
{
    pg_lrelu_step step;
    uint32_t alpha_bits = pg_f32_bits(alpha);
    step.alpha = alpha;
    step.alpha_is_nan = (alpha_bits & 0x7FFFFFFFu) > 0x7F800000u;
    step.takes_the_larger = alpha > 0.0f && alpha <= 1.0f;
    /* Keep the payload bits T can hold (f32: all, bf16: top 7, f16: top
     * 10), set the quiet bit. */
    uint32_t kept = dtype == pg_lrelu_f32 ? 0xFFFFFFFFu : dtype == pg_lrelu_bf16 ? 0xFFFF0000u : 0xFFFFE000u;
    step.nan_bits = step.alpha_is_nan ? (alpha_bits & kept) | PG_F32_QUIET_BIT : PG_F32_DEFAULT_NAN;
    return step;
}

#endif /* PYGRAPH_KERNELS_LRELU_KERNELS_H */
