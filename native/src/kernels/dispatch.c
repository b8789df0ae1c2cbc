/*
 * dispatch.c — chooses the kernels once per process from what the CPU and
 * the OS support, best first, and implements the public dispatch and
 * thread-count entry points of pygraph.h.
 *
 * A CPU flag alone is not enough: the OS must also save the wider register
 * state on context switches (XCR0 via XGETBV), or the first AVX-512
 * instruction faults.  The cap (PYGRAPH_MAX_ISA, read once, and
 * pygraph_set_max_cpu_isa, an atomic read at the start of every execution)
 * exists so each path is testable on one machine; all give the same bits.
 */
#define _GNU_SOURCE /* sysconf(_SC_LEVEL2_CACHE_SIZE) */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interface/error.h"
#include "kernels/lrelu_kernels.h"
#include "kernels/threadpool.h"
#include "pygraph/pygraph.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define PG_X86 1
#endif

static const char *const isa_names[pg_isa_count] = {
    [pg_isa_scalar] = "scalar",
    [pg_isa_avx2] = "avx2",
    [pg_isa_avx512] = "avx512",
    [pg_isa_avx512_bf16] = "avx512_bf16",
};

/* Set once by detect(); read-only afterwards. */
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;
static pg_isa best_supported_isa = pg_isa_scalar;
static pg_isa environment_cap = pg_isa_count - 1;
static char cpu_features[128];
static int64_t streaming_min_bytes;
/* The L2 caches the online CPUs have between them where the streaming
 * crossover is each core's own L2 (Intel); 1 elsewhere, where it is not. */
static int64_t l2_caches;
static int64_t streaming_trial_min_bytes;
static int64_t far_min_bytes;
static bool zen4_tuning;

/* pygraph_set_max_cpu_isa's cap; pg_isa_count - 1 means none. */
static _Atomic int user_cap = pg_isa_count - 1;

/* ASCII case-insensitive equality ("AVX512" works like "avx512"). */
static bool name_equals(const char *given, const char *expected)
{
    for (; *given != '\0' && *expected != '\0'; ++given, ++expected) {
        char c = *given;
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != *expected) {
            return false;
        }
    }
    return *given == *expected;
}

/* The level named `name`; "best" is the top level.  -1 when unknown. */
static int isa_from_name(const char *name)
{
    if (name_equals(name, "best")) {
        return pg_isa_count - 1;
    }
    for (int i = 0; i < pg_isa_count; ++i) {
        if (name_equals(name, isa_names[i])) {
            return i;
        }
    }
    return -1;
}

static void append_feature(const char *feature)
{
    if (cpu_features[0] != '\0') {
        strcat(cpu_features, " ");
    }
    strcat(cpu_features, feature);
}

#if PG_X86
static uint64_t read_xcr0(void)
{
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}
#endif

/* The tuning choices below are measured per vendor (and CPU family). */
static bool vendor_is(const char *expected)
{
#if PG_X86
    unsigned int max_leaf, vendor[3];
    return __get_cpuid(0, &max_leaf, &vendor[0], &vendor[2], &vendor[1]) && memcmp(vendor, expected, 12) == 0;
#else
    (void)expected;
    return false;
#endif
}

static bool is_intel(void)
{
    return vendor_is("GenuineIntel");
}

/* AMD family 19h: Zen 3 and Zen 4, of which only Zen 4 has AVX-512. */
static bool is_amd_family_19h(void)
{
#if PG_X86
    unsigned int eax, ebx, ecx, edx;
    if (!vendor_is("AuthenticAMD") || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        return false;
    }
    unsigned int family = (eax >> 8) & 0xFu;
    if (family == 0xFu) {
        family += (eax >> 20) & 0xFFu;
    }
    return family == 0x19u;
#else
    return false;
#endif
}

/*
 * Non-temporal stores skip the read-for-ownership of dst and keep it out of
 * the caches; they pay once dst no longer fits where the core would keep
 * it, and cost ~40 % in cache.  Measured crossovers (dense, one thread):
 *   - Intel Xeon with AVX512-FP16 (Sapphire Rapids class, non-inclusive
 *     L3, 2 MiB of L2 per core): once src and dst together outgrow the
 *     core's L2 by about a third, at about two thirds of the L2 of dst.
 *     Streaming time over normal, kernels timed in a C loop on the Xeon VM
 *     (2026-12-07, medians of 15): dst 0.8 MB 1.98 (f32); 1.2 MB 1.15-1.17
 *     (f32, bf16, f16); 1.3 MB 0.94-0.97; 1.4 MB 0.90; 1.5 MB 0.81-0.83;
 *     1.6 MB 0.80-0.83; 2.0 MB 0.79-0.83; 2.4 MB 0.89-0.91.  (Earlier, on
 *     the same VM: f32 +40 % at 2.4 MB, equal at 1.2 MB, -40 % at 0.4 MB;
 *     the crossover then sat at the L2's size, which left 1e6 bf16 and
 *     f16, 2.0 MB, on normal stores.)  The core's L2 is its own, so on more
 *     threads each L2's share of dst counts (pg_streaming_min_bytes_on:
 *     threads on as many L2s as there are, count_l2_caches);
 *   - AMD Zen 4: above ~12-16 MiB of dst (its L3 is a victim cache that
 *     absorbs dst up to about half its size).
 */
static int64_t streaming_crossover_bytes(void)
{
    const int64_t fallback = (int64_t)12 * 1024 * 1024;
    if (is_intel()) {
        long l2_bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
        const long smallest = 1024 * 1024;
        return (int64_t)(l2_bytes > smallest ? l2_bytes : smallest) * 2 / 3;
    }
    return fallback;
}

/*
 * How many L2 caches the online CPUs have between them: the CPUs divided by
 * how many share CPU 0's L2 (two where SMT siblings share a core, more in
 * a cluster of E-cores), from Linux's sysfs; one CPU per L2 when that is
 * not known.  Threads beyond this many share an L2.
 */
static int64_t count_l2_caches(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online < 1) {
        return 1;
    }
    int64_t sharing = 1;
    for (int index = 0; index < 8; ++index) {
        char path[96];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        FILE *file = fopen(path, "r");
        if (file == NULL) {
            break;
        }
        int level = 0;
        bool read_level = fscanf(file, "%d", &level) == 1;
        fclose(file);
        if (!read_level || level != 2) {
            continue;
        }
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", index);
        file = fopen(path, "r");
        if (file == NULL) {
            break;
        }
        /* "0", "0,64", "0-3" or a mix: count the CPUs listed. */
        int64_t listed = 0;
        long first, last;
        while (fscanf(file, "%ld", &first) == 1) {
            last = first;
            if (fscanf(file, "-%ld", &last) != 1) {
                last = first;
            }
            listed += last >= first ? last - first + 1 : 1;
            if (fgetc(file) != ',') {
                break;
            }
        }
        fclose(file);
        sharing = listed > 0 ? listed : 1;
        break;
    }
    int64_t caches = (int64_t)online / sharing;
    return caches > 0 ? caches : 1;
}

/*
 * Below the crossover, down to this size of dst, the calls measure which
 * stores pay: elsewhere than on Intel the crossover follows the share of
 * the L3 that the host leaves (stream_trials.h has the figures).  Intel's
 * crossover follows the core's own L2 (two thirds of it), which no other
 * process takes: no trials there.
 */
static int64_t streaming_trial_bytes(int64_t crossover)
{
    const int64_t least = (int64_t)4 * 1024 * 1024;
    return is_intel() || crossover < least ? crossover : least;
}

/*
 * The far kernels (prefetch into L2, further ahead) pay once the data comes
 * from DRAM, on Intel.  Measured on a Sapphire Rapids class VM (2 MiB L2, a
 * large shared L3), one thread, points of the copy limits, far minus near,
 * by the call's footprint (the bytes of src and dst; in place, of the one
 * buffer): 2.4e8-5e8 gained 2-15; 1.2e8 -7 to +15; 2e7-8e7 -5 to +11;
 * 6e6-2.4e7 lost 1-8.  64 MiB sits where losses turn into gains.  On AMD
 * Zen 4 (EPYC VM, 6.4e7 elements, one thread) they lost: f32 from 114 to
 * 75 % of the copy limit out of place and from 98 to 77 % of the in-place
 * limit in place, bf16 and f16 within 3 points either way; so elsewhere
 * than Intel they are never chosen.  The L3 size the OS reports is no
 * guide on a VM (it is the host's).  PYGRAPH_FAR_MIN_BYTES (a positive
 * byte count, read once) overrides it on any CPU, so the tests can run the
 * far kernels on small data.
 */
static int64_t far_crossover_bytes(void)
{
    const int64_t measured = is_intel() ? (int64_t)64 * 1024 * 1024 : INT64_MAX;
    const char *text = getenv("PYGRAPH_FAR_MIN_BYTES");
    if (text == NULL || *text == '\0') {
        return measured;
    }
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    /* Anything strtoll does not read whole as a positive number is
     * ignored, as PYGRAPH_MAX_ISA's unknown names are: there is no call to
     * report it through. */
    if (errno != 0 || end == text || *end != '\0' || value <= 0) {
        return measured;
    }
    return (int64_t)value;
}

/*
 * Some shapes of the kernels depend on the CPU; the project measured them
 * on AMD and Intel machines, so there are two tunings:
 *  - "zen4" (AMD family 19h: Zen 3 and Zen 4; measured on EPYC VMs):
 *    - f16 at the avx512 level on ymm vectors, f16_lrelu__avx512_ymm;
 *    - bf16 and f16 at the avx2 level with four vectors a step in place
 *      (bf16) and with streaming stores, the *_lrelu__avx2_x4 kernels;
 *    - no software prefetch outside streaming stores, at the avx512 and
 *      avx2 levels, except for the avx2 bf16 and f16 kernels on data from
 *      DRAM (pg_lrelu_kernels.prefetch_pays_from_dram);
 *    lrelu_avx512.c gives the reasons and the figures of the first and
 *    the last, lrelu_avx2.c its own for the avx2 level;
 *  - "intel" everywhere else: zmm f16, two vectors a step for avx2 bf16
 *    and f16, and prefetch, as measured on a Sapphire Rapids class VM
 *    (93-98 % of the limits at 6.4e7), and whole dense passes on one
 *    thread descending (pg_lrelu_whole_pass_descends).  Zen 5's
 *    full-width AVX-512 is unmeasured, so it gets this one.
 * PYGRAPH_KERNEL_TUNING=zen4 or intel (read once) overrides the choice on
 * any CPU, so the tests run both everywhere; other values are ignored.
 */
static bool choose_zen4_tuning(void)
{
    const char *text = getenv("PYGRAPH_KERNEL_TUNING");
    if (text != NULL && strcmp(text, "zen4") == 0) {
        return true;
    }
    if (text != NULL && strcmp(text, "intel") == 0) {
        return false;
    }
    return is_amd_family_19h();
}

static void detect(void)
{
    cpu_features[0] = '\0';
#if PG_X86
    unsigned int eax, ebx, ecx, edx;
    bool os_saves_ymm = false, os_saves_zmm = false, has_f16c = false;
    bool has_avx2 = false, has_avx512f = false, has_avx512bw = false, has_avx512vl = false;
    bool has_avx512dq = false, has_avx512_bf16 = false;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        bool has_osxsave = (ecx >> 27) & 1u;
        bool has_avx = (ecx >> 28) & 1u;
        has_f16c = (ecx >> 29) & 1u;
        if (has_osxsave && has_avx) {
            uint64_t xcr0 = read_xcr0();
            os_saves_ymm = (xcr0 & 0x6u) == 0x6u;     /* XMM and YMM state */
            os_saves_zmm = (xcr0 & 0xE6u) == 0xE6u;   /* + opmask, ZMM0-15 high, ZMM16-31 */
        }
    }
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        has_avx2 = (ebx >> 5) & 1u;
        has_avx512f = (ebx >> 16) & 1u;
        has_avx512dq = (ebx >> 17) & 1u;
        has_avx512bw = (ebx >> 30) & 1u;
        has_avx512vl = (ebx >> 31) & 1u;
        unsigned int max_subleaf = eax;
        if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) {
            has_avx512_bf16 = (eax >> 5) & 1u;
        }
    }
    bool avx2_usable = os_saves_ymm && has_avx2 && has_f16c;
    bool avx512_usable = avx2_usable && os_saves_zmm && has_avx512f && has_avx512bw && has_avx512vl;
    if (avx2_usable) {
        append_feature("avx2");
        append_feature("f16c");
    }
    if (os_saves_zmm) {
        if (has_avx512f) {
            append_feature("avx512f");
        }
        if (has_avx512dq) {
            append_feature("avx512dq");
        }
        if (has_avx512bw) {
            append_feature("avx512bw");
        }
        if (has_avx512vl) {
            append_feature("avx512vl");
        }
        if (has_avx512_bf16) {
            append_feature("avx512_bf16");
        }
    }
#if defined(PYGRAPH_HAVE_AVX2_KERNELS)
    if (avx2_usable) {
        best_supported_isa = pg_isa_avx2;
    }
#endif
#if defined(PYGRAPH_HAVE_AVX512_KERNELS)
    if (avx512_usable) {
        best_supported_isa = pg_isa_avx512;
    }
#endif
#if defined(PYGRAPH_HAVE_AVX512_BF16_KERNELS)
    /* Its bf16 kernel also uses vfpclassps (DQ); every CPU with
     * AVX512_BF16 so far has DQ, as oneDNN's avx512_core_bf16 assumes. */
    if (avx512_usable && has_avx512dq && has_avx512_bf16) {
        best_supported_isa = pg_isa_avx512_bf16;
    }
#endif
    (void)avx512_usable;
    (void)has_avx512dq;
    (void)has_avx512_bf16;
#endif /* PG_X86 */

    streaming_min_bytes = streaming_crossover_bytes();
    l2_caches = is_intel() ? count_l2_caches() : 1;
    streaming_trial_min_bytes = streaming_trial_bytes(streaming_min_bytes);
    far_min_bytes = far_crossover_bytes();
    zen4_tuning = choose_zen4_tuning();

    /* An unknown value is ignored (no cap) rather than failing every
     * execution later: there is no call to report it through. */
    const char *cap = getenv("PYGRAPH_MAX_ISA");
    if (cap != NULL && *cap != '\0') {
        int level = isa_from_name(cap);
        if (level >= 0) {
            environment_cap = (pg_isa)level;
        }
    }
}

pg_isa pg_current_isa(void)
{
    pthread_once(&detect_once, detect);
    int level = best_supported_isa;
    if (level > (int)environment_cap) {
        level = environment_cap;
    }
    int cap = atomic_load_explicit(&user_cap, memory_order_relaxed);
    if (level > cap) {
        level = cap;
    }
    return (pg_isa)level;
}

int64_t pg_streaming_min_bytes(void)
{
    pthread_once(&detect_once, detect);
    return streaming_min_bytes;
}

int64_t pg_streaming_min_bytes_on(int64_t threads)
{
    pthread_once(&detect_once, detect);
    /* Each L2 the threads spread over takes its share: threads that
     * outnumber the L2s share them (one "L2" where the crossover is not
     * per core). */
    int64_t shares = threads < l2_caches ? threads : l2_caches;
    return shares > 1 ? shares * streaming_min_bytes : streaming_min_bytes;
}

int64_t pg_streaming_trial_min_bytes(void)
{
    pthread_once(&detect_once, detect);
    return streaming_trial_min_bytes;
}

int64_t pg_streaming_trial_max_bytes(int64_t threads)
{
    pthread_once(&detect_once, detect);
    /* Where there are trials at all (stream_trials.h has the figures of
     * two threads against one). */
    const bool tried = streaming_trial_min_bytes < streaming_min_bytes;
    return tried && threads > 1 ? 2 * streaming_min_bytes : streaming_min_bytes;
}

int64_t pg_far_min_bytes(void)
{
    pthread_once(&detect_once, detect);
    return far_min_bytes;
}

bool pg_software_prefetch_pays(void)
{
    pthread_once(&detect_once, detect);
    return !zen4_tuning;
}

/* Measured on the Xeon VM through the plan (AVX-512 kernels, one thread, C
 * timing; medians of 15-41 calls, three alternations of the builds;
 * ascending -> descending, microseconds):
 *  - each call after an ascending copy of its input (what a producer
 *    leaves in the caches): in place, f32 1e6 elements 147-152 -> 125-127,
 *    3e6 431-444 -> 408-420; bf16 3e6 266-272 -> 242-255, 1e7 872-898 ->
 *    794-812; f16 3e6 268-277 -> 240-263, 1e7 862-887 -> 752-779.  Out of
 *    place, f32 1e6 294-296 -> 268-272, 3e6 872-879 -> 845-856; bf16 1e6
 *    137-143 -> 123-128, 3e6 448-449 -> 427-429; f16 1e6 134-138 ->
 *    119-121, 3e6 441-449 -> 419-430; 1e7 within the runs' noise;
 *  - calls repeated one after another: in place bf16 3e6 258-265 ->
 *    234-245, f16 3e6 246-264 -> 208-220, 1e7 857-879 -> 812-847; the
 *    rest within the runs' noise (1e5 both ways took one of two speeds per
 *    process, 6.5 or 8.5 us for f16, either way);
 *  - the far kernels, 6.4e7 f32 in place (kernel timing): 1.04x slower
 *    descending, hence not from the far crossover on.
 * The AVX2 kernels on the same VM (PYGRAPH_MAX_ISA=avx2), through the plan
 * after an ascending copy of the input, three alternations, the build
 * before (ascending; bf16 with four vectors a step where lrelu_avx2.c's
 * `four_a_step` says so) -> descending (bf16 with two): in place, f32 1e6
 * 145-146 -> 128-135, 3e6 445-453 -> 411-439, 5e6 696-739 -> 684-727 (six
 * alternations), but 1e7 (40 MB) 1529-1568 -> 1604-1668 (six; kernel
 * timing 0-5 % slower, whatever the prefetch distance); bf16 1e6 102-108
 * -> 92-97, 3e6 314-335 -> 267-298, 1e7 1062-1119 -> 953-1000; f16 1e6
 * 77-81 -> 73-77, 3e6 234-248 -> 222-230, 1e7 789-837 -> 747-780.  Out of
 * place, f32 1e6 300-308 -> 273-281, 3e6 909-953 -> 887-908; bf16 1e6
 * 156-161 -> 136-159, 3e6 493-496 -> 446-468, 1e7 (40 MB) 1684-1744 ->
 * 1606-1646; f16 1e6 149-153 -> 130-132, 3e6 474-482 -> 431-445.  At 1e5,
 * in the L2 either way, f16 out of place ran 2-3 % slower descending
 * (kernel timing), the rest the same.  At 40 MB bf16 gains and f32 loses,
 * so the AVX2 kernels keep the AVX-512 ones' limit.
 * So up to the far crossover, where there is one: measured on Intel only
 * (elsewhere the far kernels are never chosen, and neither this). */
bool pg_lrelu_whole_pass_descends(bool dense, int64_t bytes, bool in_place)
{
    pthread_once(&detect_once, detect);
    const bool far_kernels_have_a_crossover = far_min_bytes != INT64_MAX;
    return dense && !zen4_tuning && far_kernels_have_a_crossover &&
           pg_lrelu_footprint(bytes, in_place) < far_min_bytes;
}

#if defined(PYGRAPH_HAVE_AVX2_KERNELS)
static const pg_lrelu_kernels *avx2_kernels_for(pg_lrelu_dtype dtype)
{
    if (zen4_tuning && pg_lrelu_kernels_avx2_x4[dtype].name != NULL) {
        return &pg_lrelu_kernels_avx2_x4[dtype];
    }
    return &pg_lrelu_kernels_avx2[dtype];
}
#endif

#if defined(PYGRAPH_HAVE_AVX512_KERNELS)
static const pg_lrelu_kernels *avx512_kernels_for(pg_lrelu_dtype dtype)
{
    if (dtype == pg_lrelu_f16 && zen4_tuning) {
        return &pg_lrelu_kernels_avx512_f16_ymm;
    }
    return &pg_lrelu_kernels_avx512[dtype];
}
#endif

const pg_lrelu_kernels *pg_lrelu_kernels_for(pg_lrelu_dtype dtype)
{
    switch (pg_current_isa()) {
#if defined(PYGRAPH_HAVE_AVX512_BF16_KERNELS)
    case pg_isa_avx512_bf16:
        if (pg_lrelu_kernels_avx512_bf16[dtype].name != NULL) {
            return &pg_lrelu_kernels_avx512_bf16[dtype];
        }
        return avx512_kernels_for(dtype);
#endif
#if defined(PYGRAPH_HAVE_AVX512_KERNELS)
    case pg_isa_avx512: return avx512_kernels_for(dtype);
#endif
#if defined(PYGRAPH_HAVE_AVX2_KERNELS)
    case pg_isa_avx2: return avx2_kernels_for(dtype);
#endif
    default: return &pg_lrelu_kernels_scalar[dtype];
    }
}

/* ---- public entry points ----------------------------------------------- */

pygraph_status pygraph_get_cpu_features(const char **features)
{
    pg_error_clear();
    if (features == NULL) {
        return pg_error(pygraph_invalid_arguments, "pygraph_get_cpu_features: features is NULL");
    }
    pthread_once(&detect_once, detect);
    *features = cpu_features;
    return pygraph_success;
}

pygraph_status pygraph_get_cpu_isa(const char **isa)
{
    pg_error_clear();
    if (isa == NULL) {
        return pg_error(pygraph_invalid_arguments, "pygraph_get_cpu_isa: isa is NULL");
    }
    *isa = isa_names[pg_current_isa()];
    return pygraph_success;
}

pygraph_status pygraph_set_max_cpu_isa(const char *isa)
{
    pg_error_clear();
    if (isa == NULL) {
        return pg_error(pygraph_invalid_arguments, "pygraph_set_max_cpu_isa: isa is NULL");
    }
    int level = isa_from_name(isa);
    if (level < 0) {
        return pg_error(pygraph_invalid_arguments,
                        "pygraph_set_max_cpu_isa: unknown instruction set \"%s\"; expected one of scalar, avx2, "
                        "avx512, avx512_bf16, best",
                        isa);
    }
    atomic_store_explicit(&user_cap, level, memory_order_relaxed);
    return pygraph_success;
}

pygraph_status pygraph_get_kernel_name(pygraph_data_type data_type, const char **name)
{
    pg_error_clear();
    if (name == NULL) {
        return pg_error(pygraph_invalid_arguments, "pygraph_get_kernel_name: name is NULL");
    }
    int dtype = pg_lrelu_dtype_from_public(data_type);
    if (dtype < 0) {
        *name = NULL; /* pointer out-parameters are NULL on failure (pygraph.h) */
        const char *type_name = pygraph_data_type_name(data_type);
        if (type_name != NULL) {
            return pg_error(pygraph_invalid_data_type,
                            "pygraph_get_kernel_name: LeakyReLU has no kernel for data type %s; expected one of "
                            "f32, bf16, f16",
                            type_name);
        }
        return pg_error(pygraph_invalid_data_type,
                        "pygraph_get_kernel_name: LeakyReLU has no kernel for data type value %d; expected one of "
                        "f32, bf16, f16",
                        (int)data_type);
    }
    *name = pg_lrelu_kernels_for((pg_lrelu_dtype)dtype)->name;
    return pygraph_success;
}

pygraph_status pygraph_set_num_threads(int num_threads)
{
    pg_error_clear();
    if (num_threads < 0) {
        return pg_error(pygraph_invalid_arguments,
                        "pygraph_set_num_threads: num_threads must be >= 0 (0 restores the default), got %d",
                        num_threads);
    }
    pg_threads_set(num_threads);
    return pygraph_success;
}

pygraph_status pygraph_get_num_threads(int *num_threads)
{
    pg_error_clear();
    if (num_threads == NULL) {
        return pg_error(pygraph_invalid_arguments, "pygraph_get_num_threads: num_threads is NULL");
    }
    *num_threads = pg_threads_get();
    return pygraph_success;
}
