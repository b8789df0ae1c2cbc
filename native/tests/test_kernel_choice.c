/*
 * test_kernel_choice.c — which contiguous kernel a pass runs
 * (pg_lrelu_choose_contiguous, plan.c).  The choice never changes bits, so
 * test_kernels cannot see it; this program states it case by case, at every
 * ISA level the CPU has, under the tuning the environment sets: meson runs
 * it as is, with PYGRAPH_KERNEL_TUNING=zen4 and =intel, and with
 * PYGRAPH_FAR_MIN_BYTES=1 (every dense pass far).  It sees the library's
 * internal headers.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/lrelu_kernels.h"
#include "test_util.h"

static const char *current_isa = "?";

/* The kernel a pass runs when neither streaming nor far applies. */
static pg_lrelu_contiguous_fn *near_kernel(const pg_lrelu_kernels *k, bool prefetch)
{
    return prefetch || k->contiguous_unprefetched == NULL ? k->contiguous : k->contiguous_unprefetched;
}

/* k->name names the dtype and level ("bf16_lrelu__avx2"). */
static void expect(const pg_lrelu_kernels *k, const char *pass, bool dense, int64_t bytes, bool in_place,
                   pg_lrelu_contiguous_fn *wanted)
{
    pg_lrelu_contiguous_fn *got = pg_lrelu_choose_contiguous(k, dense, bytes, in_place);
    if (!CHECK(got == wanted)) {
        fprintf(stderr, "  [isa %s] %s %s, %lld bytes: another kernel than expected\n", current_isa, k->name, pass,
                (long long)bytes);
    }
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
        /* Below the threshold (and the far crossover: 64 MiB or never). */
        expect(k, "dense", true, streaming_min - 64, false, near_kernel(k, prefetch));
        expect(k, "dense, in place", true, streaming_min - 64, true, near_kernel(k, prefetch));
        /* At it: out of place streams, in place prefetches where it pays. */
        expect(k, "dense past the streaming threshold", true, streaming_min, false,
               k->contiguous_streaming != NULL ? k->contiguous_streaming : near_kernel(k, from_dram_prefetch));
        expect(k, "dense past the streaming threshold, in place", true, streaming_min, true,
               near_kernel(k, from_dram_prefetch));
    }
}

int main(void)
{
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
        if (strcmp(levels[l], best) == 0) {
            break; /* the levels above are not this CPU's */
        }
    }
    CHECK_OK(pygraph_set_max_cpu_isa("best"));
    printf("kernel choice checked up to %s (software prefetch %s, streaming from %lld bytes, far from %lld)\n", best,
           pg_software_prefetch_pays() ? "on" : "off", (long long)pg_streaming_min_bytes(),
           (long long)pg_far_min_bytes());
    return tu_finish("test_kernel_choice");
}
