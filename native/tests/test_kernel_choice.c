/*
 * test_kernel_choice.c — which contiguous kernel a pass runs
 * (pg_lrelu_choose_contiguous, plan.c).  The choice never changes bits, so
 * test_kernels cannot see it; this program states it case by case, at every
 * ISA level the CPU has, under the tuning the environment sets: meson runs
 * it as is, with PYGRAPH_KERNEL_TUNING=zen4 and =intel, and with
 * PYGRAPH_FAR_MIN_BYTES=1 (every dense pass far).  It sees the library's
 * internal headers.
 */
#define _GNU_SOURCE /* sched_getaffinity, sched_setaffinity, sched_getcpu */
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/leaky_relu.h"
#include "kernels/lrelu_kernels.h"
#include "kernels/stream_trials.h"
#include "kernels/threadpool.h"
#include "test_util.h"

static const char *current_isa = "?";

/* The kernel a pass runs when neither streaming nor far applies. */
static pg_lrelu_contiguous_fn *near_kernel(const pg_lrelu_kernels *k, bool prefetch)
{
    return prefetch || k->contiguous_unprefetched == NULL ? k->contiguous : k->contiguous_unprefetched;
}

/* k->name names the dtype and level ("bf16_lrelu__avx2"). */
static void expect_on(const pg_lrelu_kernels *k, const char *pass, bool dense, int64_t bytes, bool in_place,
                      int64_t threads, pg_lrelu_contiguous_fn *wanted)
{
    pg_lrelu_contiguous_fn *got = pg_lrelu_choose_contiguous(k, dense, bytes, in_place, threads);
    if (!CHECK(got == wanted)) {
        fprintf(stderr, "  [isa %s] %s %s, %lld bytes, %lld threads: another kernel than expected\n", current_isa,
                k->name, pass, (long long)bytes, (long long)threads);
    }
}

/* One thread's choice (also a call the pool runs alone). */
static void expect(const pg_lrelu_kernels *k, const char *pass, bool dense, int64_t bytes, bool in_place,
                   pg_lrelu_contiguous_fn *wanted)
{
    expect_on(k, pass, dense, bytes, in_place, 1, wanted);
}

static void check_level(void)
{
    const int64_t streaming_min = pg_streaming_min_bytes();
    const bool far_everywhere = pg_far_min_bytes() == 1; /* PYGRAPH_FAR_MIN_BYTES=1 */
    const bool prefetch = pg_software_prefetch_pays();
    for (int d = 0; d < pg_lrelu_dtype_count; d++) {
        const pg_lrelu_dtype dtype = (pg_lrelu_dtype)d;
        const pg_lrelu_kernels *k = pg_lrelu_kernels_for(dtype);
        const bool avx2 = strstr(k->name, "__avx2") != NULL;
        /* The tuning's shapes (dispatch.c; the zen4 tuning is the one
         * without software prefetch): bf16 and f16 take four vectors a
         * step at the avx2 level and f16 ymm vectors at the avx512 one
         * under zen4, neither elsewhere. */
        const bool zen4_shape = strstr(k->name, "__avx2_x4") != NULL || strstr(k->name, "__avx512_ymm") != NULL;
        const bool f16_at_avx512 = dtype == pg_lrelu_f16 && strstr(k->name, "__avx512") != NULL;
        const bool shaped_by_tuning = avx2 ? dtype != pg_lrelu_f32 : f16_at_avx512;
        if (!CHECK(zen4_shape == (shaped_by_tuning && !prefetch))) {
            fprintf(stderr, "  [isa %s] %s: not the tuning's shape\n", current_isa, k->name);
        }
        /* Only the AVX2 bf16 and f16 kernels prefetch from DRAM whatever
         * the tuning (lrelu_avx2.c has the measurements). */
        CHECK(k->prefetch_pays_from_dram == (avx2 && dtype != pg_lrelu_f32));
        const bool from_dram_prefetch = prefetch || k->prefetch_pays_from_dram;

        /* Strided passes never stream, go far or prefetch for DRAM. */
        expect(k, "strided", false, streaming_min, false, near_kernel(k, prefetch));
        expect(k, "strided, in place", false, streaming_min, true, near_kernel(k, prefetch));
        if (far_everywhere) {
            /* Every dense pass on the far kernels where the level has them. */
            pg_lrelu_contiguous_fn *far_in_place = k->contiguous_far;
            pg_lrelu_contiguous_fn *far_streaming = k->contiguous_far_streaming;
            expect(k, "dense, in place", true, 64, true,
                   far_in_place != NULL ? far_in_place : near_kernel(k, prefetch));
            expect(k, "dense past the streaming threshold", true, streaming_min, false,
                   far_streaming != NULL  ? far_streaming
                   : k->contiguous_streaming != NULL ? k->contiguous_streaming
                                                      : near_kernel(k, from_dram_prefetch));
            continue;
        }
        /* What a stream trial's way runs (below the threshold; in place
         * never streams; prefetch when asked, wherever). */
        const int64_t trial_bytes = pg_streaming_trial_min_bytes();
        if (trial_bytes < streaming_min) {
            pg_lrelu_contiguous_fn *streaming = k->contiguous_streaming;
            CHECK(pg_lrelu_choose_contiguous_as(k, true, trial_bytes, false, false, true) ==
                  (streaming != NULL ? streaming : near_kernel(k, prefetch)));
            CHECK(pg_lrelu_choose_contiguous_as(k, true, trial_bytes, false, true, true) ==
                  (streaming != NULL ? streaming : k->contiguous));
            CHECK(pg_lrelu_choose_contiguous_as(k, true, trial_bytes, false, false, false) == near_kernel(k, prefetch));
            CHECK(pg_lrelu_choose_contiguous_as(k, true, trial_bytes, false, true, false) == k->contiguous);
            CHECK(pg_lrelu_choose_contiguous_as(k, true, trial_bytes, true, false, true) == near_kernel(k, prefetch));
            CHECK(pg_lrelu_choose_contiguous_as(k, true, trial_bytes, true, true, true) == k->contiguous);
            CHECK(pg_lrelu_choose_contiguous_as(k, false, trial_bytes, false, false, true) ==
                  near_kernel(k, prefetch));
        }
        /* Two threads try on to twice the threshold, one thread not. */
        CHECK(pg_streaming_trial_max_bytes(1) == streaming_min);
        CHECK(pg_streaming_trial_max_bytes(2) == (trial_bytes < streaming_min ? 2 * streaming_min : streaming_min));
        /* Where the crossover is each core's own L2 (Intel, the CPUs
         * without trials), a call on more threads streams from the
         * crossover times the L2s its threads spread over (as many as the
         * threads, at most as many as the CPUs have); elsewhere the
         * crossover stays (the trials measure above it). */
        const bool per_core = trial_bytes == streaming_min;
        const int64_t on_two = pg_streaming_min_bytes_on(2), on_four = pg_streaming_min_bytes_on(4);
        CHECK(pg_streaming_min_bytes_on(0) == streaming_min);
        CHECK(pg_streaming_min_bytes_on(1) == streaming_min);
        if (per_core) {
            CHECK(on_two == streaming_min || on_two == 2 * streaming_min);
            CHECK(on_four % streaming_min == 0 && on_four >= on_two && on_four <= 4 * streaming_min);
            CHECK(on_two == 2 * streaming_min || on_four == streaming_min); /* one L2, or at least two */
        } else {
            CHECK(on_two == streaming_min && on_four == streaming_min);
        }
        /* Below the threshold (and the far crossover: 64 MiB or never). */
        expect(k, "dense", true, streaming_min - 64, false, near_kernel(k, prefetch));
        expect(k, "dense, in place", true, streaming_min - 64, true, near_kernel(k, prefetch));
        /* At it: out of place streams, in place prefetches where it pays. */
        expect(k, "dense past the streaming threshold", true, streaming_min, false,
               k->contiguous_streaming != NULL ? k->contiguous_streaming : near_kernel(k, from_dram_prefetch));
        expect(k, "dense past the streaming threshold, in place", true, streaming_min, true,
               near_kernel(k, from_dram_prefetch));
        /* A call on two threads streams from its own crossover, on_two:
         * between one thread's and that, it stores normally (and a call the
         * pool runs alone takes one thread's choice, plan.c). */
        pg_lrelu_contiguous_fn *streaming_kernel =
            k->contiguous_streaming != NULL ? k->contiguous_streaming : near_kernel(k, from_dram_prefetch);
        expect_on(k, "dense past one thread's streaming threshold", true, streaming_min, false, 2,
                  on_two > streaming_min ? near_kernel(k, from_dram_prefetch) : streaming_kernel);
        expect_on(k, "dense past two threads' streaming threshold", true, on_two, false, 2, streaming_kernel);
        expect_on(k, "dense past two threads' streaming threshold, in place", true, on_two, true, 2,
                  near_kernel(k, from_dram_prefetch));
    }
}

/* n f32 of both signs, none of them subnormal. */
static void fill_pattern(float *x, int64_t n)
{
    for (int64_t i = 0; i < n; ++i) {
        x[i] = (float)((i * 7919) % 2001 - 1000) / 64.0f;
    }
}

/* Makes `calls` calls of a 1-d plan over `n` f32 (src's stride in
 * elements, dst dense), each on a dst filled with a pattern first unless
 * in place; returns whether every one wrote `expected` (indexed as dst). */
static bool run_plan_calls(int calls, int64_t n, const float *src, int64_t src_stride, float *dst,
                           const float *expected)
{
    const float alpha = 0.3f;
    pg_lrelu_plan plan;
    const int64_t dims[1] = {n}, src_strides[1] = {src_stride}, dst_strides[1] = {1};
    pg_lrelu_plan_init(&plan, pygraph_data_type_f32, 1, dims, src_strides, dst_strides, &alpha, 1);
    bool all_right = true;
    for (int call = 0; call < calls; ++call) {
        if (src != dst) {
            memset(dst, 0xA5, (size_t)n * sizeof *dst);
        }
        pg_lrelu_plan_run(&plan, src, dst);
        all_right = all_right && memcmp(dst, expected, (size_t)n * sizeof *dst) == 0;
    }
    return all_right;
}

/* The ways a trial of f32 at `bytes` tries: normal and streaming stores,
 * and prefetch where that runs another kernel (stream_trials.h). */
static unsigned expected_ways(const pg_lrelu_kernels *k, int64_t bytes)
{
    const bool prefetched_differs = pg_lrelu_choose_contiguous_as(k, true, bytes, false, true, false) !=
                                    pg_lrelu_choose_contiguous_as(k, true, bytes, false, false, false);
    return 1u << PG_WAY_NORMAL | 1u << PG_WAY_STREAMING | (prefetched_differs ? 1u << PG_WAY_PREFETCHED : 0u);
}

/* Checks that the trial of `k` at `bytes` on `threads` threads exists,
 * tries the ways it should, and is past its turns: every tried way but the
 * chosen one has all its ratios. */
static void check_trial_is_decided(const pg_lrelu_kernels *k, int64_t bytes, int64_t threads)
{
    pg_stream_trial trial;
    const bool found = pg_lrelu_stream_trial_of(k, bytes, threads, &trial);
    CHECK_EXPLAINED(found, "[isa %s] no trial of %lld bytes on %lld threads", current_isa, (long long)bytes,
                    (long long)threads);
    if (!found) {
        return;
    }
    const unsigned ways = expected_ways(k, bytes);
    bool decided = trial.seen && trial.decided && trial.ways == ways;
    for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
        const bool needs_ratios = (ways >> way & 1u) && way != (int)trial.chosen;
        decided = decided && trial.num_ratios[way] == (needs_ratios ? PG_STREAM_TRIAL_SAMPLES : 0);
    }
    CHECK_EXPLAINED(decided,
                    "[isa %s] %lld bytes on %lld threads: decided %d, ways %#x (expected %#x), chose way %d, "
                    "ratios %d/%d/%d",
                    current_isa, (long long)bytes, (long long)threads, trial.decided, trial.ways, ways,
                    (int)trial.chosen, trial.num_ratios[PG_WAY_NORMAL], trial.num_ratios[PG_WAY_PREFETCHED],
                    trial.num_ratios[PG_WAY_STREAMING]);
}

/* The calls a trial of `ways` takes to its choice: the unbooked first one
 * and PG_STREAM_TRIAL_SAMPLES rounds of turns. */
static int calls_to_choose(unsigned ways)
{
    int tried = 0;
    for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
        tried += (int)(ways >> way & 1u);
    }
    return 1 + tried * PG_STREAM_TRIAL_SAMPLES;
}

/* Dense out-of-place calls whose dst lies in the trial range (from
 * pg_streaming_trial_min_bytes to pg_streaming_trial_max_bytes) take turns
 * between the ways and book their times (stream_trials.h): after the
 * unbooked first call and PG_STREAM_TRIAL_SAMPLES rounds of turns, the
 * trial is decided.  In-place and strided calls of that size, dense
 * ones below the range, and one thread's calls past the streaming
 * threshold book nothing; two threads' calls there do.  Every call writes
 * the scalar reference's bits. */
static void check_stream_trials(void)
{
    const int64_t bytes = pg_streaming_trial_min_bytes() + 4096;
    const pg_lrelu_kernels *k = pg_lrelu_kernels_for(pg_lrelu_f32);
    pg_stream_trial trial;
    if (bytes >= pg_streaming_min_bytes() || k->contiguous_streaming == NULL ||
        pg_lrelu_stream_trial_of(k, bytes, 1, &trial)) {
        return; /* no trial range on this CPU (Intel), no streaming kernel at this level, or this level's f32
                   kernels are a lower level's, already tried */
    }
    /* Past the threshold, where only more than one thread tries. */
    const int64_t threaded_bytes = pg_streaming_min_bytes() + 4096;
    REQUIRE(threaded_bytes < pg_streaming_trial_max_bytes(2));
    const int64_t n = bytes / 4, below = (pg_streaming_trial_min_bytes() - 4096) / 4, threaded_n = threaded_bytes / 4;
    float *src = malloc((size_t)threaded_bytes), *dst = malloc((size_t)threaded_bytes);
    float *expected = malloc((size_t)threaded_bytes), *reversed_expected = malloc((size_t)bytes);
    REQUIRE(src != NULL && dst != NULL && expected != NULL && reversed_expected != NULL);
    fill_pattern(src, threaded_n);
    const float alpha = 0.3f;
    pg_lrelu_kernels_scalar[pg_lrelu_f32].contiguous((size_t)threaded_n, src, expected, &alpha, 1, false);
    for (int64_t i = 0; i < n; ++i) {
        reversed_expected[i] = expected[n - 1 - i];
    }
    REQUIRE_OK(pygraph_set_num_threads(1));

    /* Strided (src read backwards), dense below the range, in place: no trial. */
    CHECK(run_plan_calls(3, n, src + n - 1, -1, dst, reversed_expected));
    CHECK(run_plan_calls(3, below, src, 1, dst, expected));
    CHECK_EXPLAINED(!pg_lrelu_stream_trial_of(k, bytes, 1, &trial), "[isa %s] a strided call was booked",
                    current_isa);
    CHECK_EXPLAINED(!pg_lrelu_stream_trial_of(k, below * 4, 1, &trial), "[isa %s] a call below the range was booked",
                    current_isa);
    memcpy(dst, src, (size_t)bytes);
    CHECK(run_plan_calls(1, n, dst, 1, dst, expected));
    CHECK_EXPLAINED(!pg_lrelu_stream_trial_of(k, bytes, 1, &trial), "[isa %s] an in-place call was booked",
                    current_isa);
    /* One thread past the threshold: no trial. */
    CHECK(run_plan_calls(3, threaded_n, src, 1, dst, expected));
    CHECK_EXPLAINED(!pg_lrelu_stream_trial_of(k, threaded_bytes, 1, &trial),
                    "[isa %s] one thread's call past the threshold was booked", current_isa);

    /* Out of place in the range: the trial. */
    if (!CHECK(run_plan_calls(calls_to_choose(expected_ways(k, bytes)), n, src, 1, dst, expected))) {
        fprintf(stderr, "  [isa %s] a call of a trial wrote other bits\n", current_isa);
    }
    check_trial_is_decided(k, bytes, 1);

    /* Two threads past the threshold: a trial of their own. */
    REQUIRE_OK(pygraph_set_num_threads(2));
    if (!CHECK(run_plan_calls(calls_to_choose(expected_ways(k, threaded_bytes)), threaded_n, src, 1, dst,
                              expected))) {
        fprintf(stderr, "  [isa %s] a call of a two-thread trial wrote other bits\n", current_isa);
    }
    check_trial_is_decided(k, threaded_bytes, 2);
    CHECK_OK(pygraph_set_num_threads(0));
    free(src);
    free(dst);
    free(expected);
    free(reversed_expected);
}

/* Which direction a pass asks for (pg_lrelu_descending_pays): always
 * descending with dst 1-511 bytes past src modulo 4 KiB; for the caches
 * also in place and with dst elsewhere, except 1-511 bytes before src; and
 * the caches' reason under the "intel" tuning only. */
static void check_directions(void)
{
    static unsigned char pages[5 * 4096]; /* room for every dst below */
    const unsigned char *src = pages + 2 * 4096;
    const long offsets[] = {0, 4, 64, 511, 512, 1024, -4, -64, -511, -512, 4096 + 64, -4096 - 64};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        const long offset = offsets[i];
        const void *dst = src + offset;
        const long past = ((offset % 4096) + 4096) % 4096;
        const bool aliasing_past = past != 0 && past < PG_ALIASING_WINDOW_BYTES;
        const bool aliasing_before = past != 0 && 4096 - past < PG_ALIASING_WINDOW_BYTES;
        if (!CHECK(pg_lrelu_descending_pays(src, dst, false) == aliasing_past) ||
            !CHECK(pg_lrelu_descending_pays(src, dst, true) == !aliasing_before)) {
            fprintf(stderr, "  dst %ld bytes from src: another direction than expected\n", offset);
        }
    }
    /* A pass one thread runs over a whole call descends for the caches
     * while a dense call's footprint stays below the far crossover, where
     * there is one, except under the zen4 tuning (the variable names it;
     * unset, this CPU's choice is the one tested by the other runs). */
    const char *tuning = getenv("PYGRAPH_KERNEL_TUNING");
    const bool zen4 = tuning != NULL && strcmp(tuning, "zen4") == 0;
    const int64_t far = pg_far_min_bytes();
    const bool below_far_descends = !zen4 && far != INT64_MAX;
    if (tuning != NULL) {
        CHECK(pg_lrelu_whole_pass_descends(true, 64, true) == (below_far_descends && far > 64));
        CHECK(pg_lrelu_whole_pass_descends(true, 64, false) == (below_far_descends && far > 128));
    }
    if (far != INT64_MAX && far > 2) {
        CHECK(!pg_lrelu_whole_pass_descends(true, far, true));
        CHECK(!pg_lrelu_whole_pass_descends(true, far / 2, false)); /* src and dst: the footprint reaches it */
        CHECK(pg_lrelu_whole_pass_descends(true, far - 1, true) == pg_lrelu_whole_pass_descends(true, 1, true));
    }
    CHECK(!pg_lrelu_whole_pass_descends(false, 64, true)); /* strided: rows in order */
    CHECK(!pg_lrelu_whole_pass_descends(false, 64, false));
}

/* The direction of a call's whole pass, seen through the plan's bits: with
 * dst overlapping src 1 KiB further on (outside both 4K-aliasing windows,
 * so only pg_lrelu_whole_pass_descends decides), a descending pass reads
 * every element before it overwrites it and an ascending one does not.
 * Checked on one thread, and on two with the process pinned to one CPU,
 * where the pool runs the call alone (threadpool.h) and the plan must take
 * it for one thread's pass (plan.c, run_chunks), not run the pooled
 * chunks' ascending one.  Runs before anything starts the pool: its workers
 * keep the affinity they were created with. */
static void check_whole_pass_direction(void)
{
#if defined(__linux__)
    if (pg_current_isa() < pg_isa_avx2) {
        return; /* the scalar kernels run ascending whatever they are asked */
    }
    enum { n = 1 << 16, shift = 256 }; /* f32: 256 KiB, dst 1 KiB past src */
    const bool descends = pg_lrelu_whole_pass_descends(true, (int64_t)n * 4, false);
    float *block = malloc((n + shift) * sizeof *block), *once = malloc(n * sizeof *once);
    REQUIRE(block != NULL && once != NULL);
    fill_pattern(block, n);
    const float alpha = 0.5f;
    pg_lrelu_kernels_scalar[pg_lrelu_f32].contiguous(n, block, once, &alpha, 1, false);
    pg_lrelu_plan plan;
    const int64_t dims[1] = {n}, strides[1] = {1};
    pg_lrelu_plan_init(&plan, pygraph_data_type_f32, 1, dims, strides, strides, &alpha, 1);

    cpu_set_t original, one_cpu;
    const int here = sched_getcpu();
    REQUIRE(sched_getaffinity(0, sizeof original, &original) == 0 && here >= 0 && here < CPU_SETSIZE);
    CPU_ZERO(&one_cpu);
    CPU_SET(here, &one_cpu);
    REQUIRE(sched_setaffinity(0, sizeof one_cpu, &one_cpu) == 0);
    for (int threads = 1; threads <= 2; ++threads) {
        fill_pattern(block, n);
        pg_threads_set(threads);
        pg_lrelu_plan_run(&plan, block, block + shift);
        const bool read_before_written = memcmp(block + shift, once, sizeof *once * n) == 0;
        if (!CHECK(read_before_written == descends)) {
            fprintf(stderr, "  %d thread(s) asked, one CPU: the whole pass ran %s, expected %s\n", threads,
                    read_before_written ? "descending" : "ascending", descends ? "descending" : "ascending");
        }
    }
    pg_threads_set(0);
    REQUIRE(sched_setaffinity(0, sizeof original, &original) == 0);
    free(block);
    free(once);
#endif
}

int main(void)
{
    check_whole_pass_direction();
    static const char *const levels[] = {"scalar", "avx2", "avx512", "avx512_bf16"};
    const char *best = NULL;
    REQUIRE_OK(pygraph_get_cpu_isa(&best));
    /* A tensor of pg_streaming_min_bytes() must not reach the far
     * crossover by itself, or the cases above would mean something else. */
    REQUIRE(pg_far_min_bytes() == 1 || pg_far_min_bytes() > 2 * pg_streaming_min_bytes());
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        current_isa = levels[l];
        REQUIRE_OK(pygraph_set_max_cpu_isa(current_isa));
        check_level();
        check_stream_trials();
        if (strcmp(levels[l], best) == 0) {
            break; /* the levels above are not this CPU's */
        }
    }
    CHECK_OK(pygraph_set_max_cpu_isa("best"));
    check_directions();
    printf("kernel choice checked up to %s (software prefetch %s, streaming from %lld bytes, tried from %lld to %lld "
           "on two threads, far from %lld)\n",
           best, pg_software_prefetch_pays() ? "on" : "off", (long long)pg_streaming_min_bytes(),
           (long long)pg_streaming_trial_min_bytes(), (long long)pg_streaming_trial_max_bytes(2),
           (long long)pg_far_min_bytes());
    return tu_finish("test_kernel_choice");
}
