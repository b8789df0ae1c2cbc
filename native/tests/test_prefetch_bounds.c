/*
 * test_prefetch_bounds.c — the SIMD kernels prefetch only cache lines of
 * the run they were given.  Past a run lie bytes the call never wants
 * (another thread's chunk, which in place the other core is writing, or
 * the gap a strided row's stride skips): lrelu_avx512.c has the figures.
 *
 * meson builds this program with its own copies of the ISA kernel files,
 * compiled with PG_PREFETCH_HOOK=pg_test_prefetch_seen, so every software
 * prefetch calls the function below instead of reaching the CPU.  Every
 * kernel variant (near, unprefetched, streaming, far, far streaming) of
 * every dtype, at every ISA level the CPU runs, ascending and descending,
 * in place and out of place, over lengths from 0 to well past the farthest
 * prefetch distance and src and dst offsets within a line: each prefetched
 * line must hold a byte of [src, src + n).  The bits are test_kernels'
 * concern, not this program's.  The copies' tables are renamed
 * (pg_hooked_..., meson.build), so the library linked beside them keeps its
 * own, and its dispatch says which levels the CPU and OS run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/lrelu_kernels.h"

/* The lines the current call may prefetch: [first_line, last_line], or
 * none when the run is empty. */
static uintptr_t first_line, last_line;
static bool run_is_empty;
static uint64_t prefetches, outside;
static uintptr_t first_outside;

void pg_test_prefetch_seen(uintptr_t address)
{
    prefetches += 1;
    uintptr_t line = address & ~(uintptr_t)63;
    if (run_is_empty || line < first_line || line > last_line) {
        if (outside == 0) {
            first_outside = address;
        }
        outside += 1;
    }
}

typedef struct level {
    const char *name;
    const pg_lrelu_kernels *kernels; /* `count` tables, of dtypes first_dtype, first_dtype + 1, ... */
    int count;
    pg_lrelu_dtype first_dtype;
    pg_isa isa; /* the level the CPU and OS must run */
} level;

enum { max_elements = 20000, line_bytes = 64 };

static int failures;

/* One call of `kernel` over n elements at src (dst for out of place),
 * checked. */
static void check_call(const char *where, pg_lrelu_contiguous_fn *kernel, size_t size, size_t n,
                       const unsigned char *src, unsigned char *dst, bool descending)
{
    const float alpha = 0.5f;
    run_is_empty = n == 0;
    if (n > 0) {
        first_line = (uintptr_t)src & ~(uintptr_t)63;
        last_line = ((uintptr_t)src + n * size - 1) & ~(uintptr_t)63;
    }
    uint64_t outside_before = outside;
    kernel(n, src, dst, &alpha, 1, descending);
    if (outside != outside_before && failures < 20) {
        failures += 1;
        long long past = (long long)(first_outside - (uintptr_t)src);
        printf("FAIL %s: n=%zu src%%64=%u %s %s: prefetched byte %lld of a run of %zu bytes\n", where, n,
               (unsigned)((uintptr_t)src % line_bytes), src == dst ? "in place" : "out of place",
               descending ? "descending" : "ascending", past, n * size);
    }
}

/* Every length, offset, placement and direction for one kernel. */
static void check_kernel(const char *where, pg_lrelu_contiguous_fn *kernel, size_t size, unsigned char *src_base,
                         unsigned char *dst_base)
{
    size_t lengths[400];
    size_t num_lengths = 0;
    for (size_t n = 0; n < 130; n++) {
        lengths[num_lengths++] = n;
    }
    for (size_t n = 130; n < 9000; n += 61) {
        lengths[num_lengths++] = n;
    }
    lengths[num_lengths++] = 16383;
    lengths[num_lengths++] = 16384;
    lengths[num_lengths++] = max_elements;
    const size_t offsets[] = {0, 4, 16, 60}; /* bytes into a line; whole elements of every dtype */
    for (size_t l = 0; l < num_lengths; l++) {
        for (size_t s = 0; s < sizeof offsets / sizeof offsets[0]; s++) {
            unsigned char *src = src_base + offsets[s];
            /* dst elsewhere in its line than src, and 64 bytes past src
             * modulo 4 KiB, where the SIMD kernels descend. */
            unsigned char *dst = dst_base + (offsets[s] + 4) % line_bytes;
            for (int descending = 0; descending <= 1; descending++) {
                check_call(where, kernel, size, lengths[l], src, dst, descending);
                check_call(where, kernel, size, lengths[l], src, src, descending);
            }
        }
    }
}

int main(void)
{
    level levels[] = {
#if defined(PYGRAPH_HAVE_AVX2_KERNELS)
        {"avx2", pg_lrelu_kernels_avx2, pg_lrelu_dtype_count, pg_lrelu_f32, pg_isa_avx2},
        {"avx2 four vectors a step", &pg_lrelu_kernels_avx2_x4[pg_lrelu_bf16], 2, pg_lrelu_bf16, pg_isa_avx2},
#endif
#if defined(PYGRAPH_HAVE_AVX512_KERNELS)
        {"avx512", pg_lrelu_kernels_avx512, pg_lrelu_dtype_count, pg_lrelu_f32, pg_isa_avx512},
        {"avx512 f16 on ymm", &pg_lrelu_kernels_avx512_f16_ymm, 1, pg_lrelu_f16, pg_isa_avx512},
#endif
#if defined(PYGRAPH_HAVE_AVX512_BF16_KERNELS)
        {"avx512_bf16", pg_lrelu_kernels_avx512_bf16, pg_lrelu_dtype_count, pg_lrelu_f32, pg_isa_avx512_bf16},
#endif
        {NULL, NULL, 0, pg_lrelu_f32, pg_isa_scalar},
    };
    /* The best level dispatch runs: what the CPU and OS support, under
     * PYGRAPH_MAX_ISA when it is set (meson sets none for this test). */
    const pg_isa supported = pg_current_isa();
    /* The bytes past the arrays' ends leave room for the offsets; dst
     * starts 64 bytes past src modulo 4 KiB. */
    const size_t buffer_bytes = (size_t)max_elements * 4 + 2 * line_bytes;
    /* C11's aligned_alloc wants a multiple of the alignment. */
    const size_t allocated = (buffer_bytes + 4096 + 4095) / 4096 * 4096;
    unsigned char *src_base = aligned_alloc(4096, allocated);
    unsigned char *dst_base = aligned_alloc(4096, allocated);
    if (src_base == NULL || dst_base == NULL) {
        printf("FAIL: no memory\n");
        return 1;
    }
    dst_base += 64;
    /* Ones in every dtype's bits are normal numbers (0x3F80: bf16 1.0,
     * f16 1.875; 0x3F803F80: f32 1.0039). */
    for (size_t i = 0; i + 1 < buffer_bytes; i += 2) {
        src_base[i] = 0x80;
        src_base[i + 1] = 0x3F;
    }
    int levels_run = 0;
    for (const level *lv = levels; lv->name != NULL; lv++) {
        if (lv->isa > supported) {
            printf("skip %s: above the level dispatch runs (%d)\n", lv->name, (int)supported);
            continue;
        }
        levels_run += 1;
        uint64_t prefetches_before = prefetches;
        for (int d = 0; d < lv->count; d++) {
            const pg_lrelu_kernels *k = &lv->kernels[d];
            if (k->name == NULL) {
                continue; /* the level below serves this dtype */
            }
            size_t size = pg_lrelu_dtype_size((pg_lrelu_dtype)(lv->first_dtype + d));
            pg_lrelu_contiguous_fn *variants[] = {k->contiguous, k->contiguous_unprefetched, k->contiguous_streaming,
                                                  k->contiguous_far, k->contiguous_far_streaming};
            const char *variant_names[] = {"near", "unprefetched", "streaming", "far", "far streaming"};
            for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
                if (variants[v] == NULL) {
                    continue;
                }
                char where[128];
                snprintf(where, sizeof where, "%s %s", k->name, variant_names[v]);
                check_kernel(where, variants[v], size, src_base, dst_base);
            }
        }
        /* A hook nobody calls would pass everything. */
        if (prefetches == prefetches_before) {
            failures += 1;
            printf("FAIL %s: no prefetch was recorded (is PG_PREFETCH_HOOK wired?)\n", lv->name);
        }
    }
    printf("%d ISA levels, %" PRIu64 " prefetches recorded, %" PRIu64 " outside their run\n", levels_run,
           prefetches, outside);
    free(src_base);
    free(dst_base - 64);
    if (levels_run == 0) {
        printf("SKIP: no SIMD level on this CPU or build\n");
        return 77; /* meson's "skipped" */
    }
    return failures == 0 ? 0 : 1;
}
