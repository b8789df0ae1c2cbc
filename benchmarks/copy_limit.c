/*
 * copy_limit.c — the copy and in-place floors of copy_limit.h.
 *
 * The vector paths are compiled with function target attributes, so this
 * file needs no ISA flag and runs on any x86-64: each path is used only
 * after __builtin_cpu_supports() (which also checks that the OS saves the
 * register state) says the CPU has it.
 */
#define _GNU_SOURCE /* pthreads and CPU affinity on glibc with -std=c11 */

#include "copy_limit.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define COPY_LIMIT_X86 1
#include <immintrin.h>
#else
#define COPY_LIMIT_X86 0
#endif

/* Streaming stores write whole cache lines; dst is first brought to this
 * alignment with ordinary stores. */
#define LINE_BYTES 64
/* Chunks handed to threads start on page boundaries so no two threads write
 * the same cache line or page. */
#define CHUNK_ALIGN 4096

typedef enum vector_isa { VECTOR_NONE, VECTOR_AVX2, VECTOR_AVX512 } vector_isa;

static vector_isa detect_vector_isa(void) {
#if COPY_LIMIT_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        return VECTOR_AVX512;
    }
    if (__builtin_cpu_supports("avx2")) {
        return VECTOR_AVX2;
    }
#endif
    return VECTOR_NONE;
}

/* Detection is cheap and idempotent, so a benign race between threads that
 * both see "not yet" only repeats it. */
static vector_isa cached_vector_isa(void) {
    static volatile int detected = -1;
    if (detected < 0) {
        detected = (int)detect_vector_isa();
    }
    return (vector_isa)detected;
}

const char *copy_limit_vector_isa(void) {
    switch (cached_vector_isa()) {
    case VECTOR_AVX512:
        return "avx512";
    case VECTOR_AVX2:
        return "avx2";
    default:
        return "none";
    }
}

int copy_limit_available(copy_limit_method method) {
    switch (method) {
    case COPY_LIMIT_REP_MOVSB:
        return COPY_LIMIT_X86;
    case COPY_LIMIT_MEMCPY:
    case COPY_LIMIT_RMW_TEMPORAL: /* has a portable word loop */
        return 1;
    case COPY_LIMIT_STREAM:
    case COPY_LIMIT_RMW_STREAM:
        return cached_vector_isa() != VECTOR_NONE;
    default:
        return 0;
    }
}

static int is_copy_method(copy_limit_method method) {
    return method == COPY_LIMIT_REP_MOVSB || method == COPY_LIMIT_MEMCPY || method == COPY_LIMIT_STREAM;
}

static int is_inplace_method(copy_limit_method method) {
    return method == COPY_LIMIT_RMW_TEMPORAL || method == COPY_LIMIT_RMW_STREAM;
}

/* ------------------------------------------------------------------------- */
/* Copy                                                                      */
/* ------------------------------------------------------------------------- */

#if COPY_LIMIT_X86
static void copy_rep_movsb(unsigned char *dst, const unsigned char *src, size_t n_bytes) {
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n_bytes) : : "memory");
}

/* Bytes before p reaches the next LINE_BYTES boundary, at most n_bytes. */
static size_t bytes_to_line(const unsigned char *p, size_t n_bytes) {
    size_t head = (size_t)(-(uintptr_t)p & (LINE_BYTES - 1));
    return head < n_bytes ? head : n_bytes;
}

__attribute__((target("avx512f"))) static void copy_stream_avx512(unsigned char *dst, const unsigned char *src,
                                                                   size_t n_bytes) {
    size_t head = bytes_to_line(dst, n_bytes);
    memcpy(dst, src, head);
    dst += head, src += head, n_bytes -= head;
    /* Four lines per iteration keep enough loads in flight. */
    for (; n_bytes >= 4 * LINE_BYTES; dst += 4 * LINE_BYTES, src += 4 * LINE_BYTES, n_bytes -= 4 * LINE_BYTES) {
        __m512i a = _mm512_loadu_si512((const void *)(src + 0 * LINE_BYTES));
        __m512i b = _mm512_loadu_si512((const void *)(src + 1 * LINE_BYTES));
        __m512i c = _mm512_loadu_si512((const void *)(src + 2 * LINE_BYTES));
        __m512i d = _mm512_loadu_si512((const void *)(src + 3 * LINE_BYTES));
        _mm512_stream_si512((void *)(dst + 0 * LINE_BYTES), a);
        _mm512_stream_si512((void *)(dst + 1 * LINE_BYTES), b);
        _mm512_stream_si512((void *)(dst + 2 * LINE_BYTES), c);
        _mm512_stream_si512((void *)(dst + 3 * LINE_BYTES), d);
    }
    for (; n_bytes >= LINE_BYTES; dst += LINE_BYTES, src += LINE_BYTES, n_bytes -= LINE_BYTES) {
        _mm512_stream_si512((void *)dst, _mm512_loadu_si512((const void *)src));
    }
    memcpy(dst, src, n_bytes);
    _mm_sfence(); /* streaming stores are weakly ordered: publish them before returning */
}

__attribute__((target("avx2"))) static void copy_stream_avx2(unsigned char *dst, const unsigned char *src,
                                                              size_t n_bytes) {
    size_t head = bytes_to_line(dst, n_bytes);
    memcpy(dst, src, head);
    dst += head, src += head, n_bytes -= head;
    for (; n_bytes >= 2 * LINE_BYTES; dst += 2 * LINE_BYTES, src += 2 * LINE_BYTES, n_bytes -= 2 * LINE_BYTES) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(src + 0));
        __m256i b = _mm256_loadu_si256((const __m256i *)(src + 32));
        __m256i c = _mm256_loadu_si256((const __m256i *)(src + 64));
        __m256i d = _mm256_loadu_si256((const __m256i *)(src + 96));
        _mm256_stream_si256((__m256i *)(dst + 0), a);
        _mm256_stream_si256((__m256i *)(dst + 32), b);
        _mm256_stream_si256((__m256i *)(dst + 64), c);
        _mm256_stream_si256((__m256i *)(dst + 96), d);
    }
    for (; n_bytes >= 32; dst += 32, src += 32, n_bytes -= 32) {
        _mm256_stream_si256((__m256i *)dst, _mm256_loadu_si256((const __m256i *)src));
    }
    memcpy(dst, src, n_bytes);
    _mm_sfence();
}
#endif

static int copy_one(copy_limit_method method, unsigned char *dst, const unsigned char *src, size_t n_bytes) {
    switch (method) {
    case COPY_LIMIT_MEMCPY:
        memcpy(dst, src, n_bytes);
        return 0;
#if COPY_LIMIT_X86
    case COPY_LIMIT_REP_MOVSB:
        copy_rep_movsb(dst, src, n_bytes);
        return 0;
    case COPY_LIMIT_STREAM:
        switch (cached_vector_isa()) {
        case VECTOR_AVX512:
            copy_stream_avx512(dst, src, n_bytes);
            return 0;
        case VECTOR_AVX2:
            copy_stream_avx2(dst, src, n_bytes);
            return 0;
        default:
            return -1;
        }
#endif
    default:
        return -1;
    }
}

int copy_limit_copy(copy_limit_method method, void *dst, const void *src, size_t n_bytes) {
    if ((dst == NULL || src == NULL) && n_bytes != 0) {
        return -2;
    }
    if (!is_copy_method(method) || !copy_limit_available(method)) {
        return -1;
    }
    return copy_one(method, dst, src, n_bytes);
}

/* ------------------------------------------------------------------------- */
/* In-place read + modify + write                                            */
/* ------------------------------------------------------------------------- */

static void xor_bytes(unsigned char *buf, size_t n_bytes, unsigned char xor_byte) {
    for (size_t i = 0; i < n_bytes; ++i) {
        buf[i] ^= xor_byte;
    }
}

#if COPY_LIMIT_X86
__attribute__((target("avx512f"))) static void rmw_avx512(unsigned char *buf, size_t n_bytes,
                                                           unsigned char xor_byte, int streaming) {
    size_t head = bytes_to_line(buf, n_bytes);
    xor_bytes(buf, head, xor_byte);
    buf += head, n_bytes -= head;
    const __m512i pattern = _mm512_set1_epi8((char)xor_byte);
    if (streaming) {
        for (; n_bytes >= LINE_BYTES; buf += LINE_BYTES, n_bytes -= LINE_BYTES) {
            _mm512_stream_si512((void *)buf, _mm512_xor_si512(_mm512_load_si512((const void *)buf), pattern));
        }
        _mm_sfence();
    } else {
        for (; n_bytes >= 2 * LINE_BYTES; buf += 2 * LINE_BYTES, n_bytes -= 2 * LINE_BYTES) {
            __m512i a = _mm512_load_si512((const void *)buf);
            __m512i b = _mm512_load_si512((const void *)(buf + LINE_BYTES));
            _mm512_store_si512((void *)buf, _mm512_xor_si512(a, pattern));
            _mm512_store_si512((void *)(buf + LINE_BYTES), _mm512_xor_si512(b, pattern));
        }
        for (; n_bytes >= LINE_BYTES; buf += LINE_BYTES, n_bytes -= LINE_BYTES) {
            _mm512_store_si512((void *)buf, _mm512_xor_si512(_mm512_load_si512((const void *)buf), pattern));
        }
    }
    xor_bytes(buf, n_bytes, xor_byte);
}

__attribute__((target("avx2"))) static void rmw_avx2(unsigned char *buf, size_t n_bytes, unsigned char xor_byte,
                                                      int streaming) {
    size_t head = bytes_to_line(buf, n_bytes);
    xor_bytes(buf, head, xor_byte);
    buf += head, n_bytes -= head;
    const __m256i pattern = _mm256_set1_epi8((char)xor_byte);
    for (; n_bytes >= LINE_BYTES; buf += LINE_BYTES, n_bytes -= LINE_BYTES) {
        __m256i a = _mm256_xor_si256(_mm256_load_si256((const __m256i *)buf), pattern);
        __m256i b = _mm256_xor_si256(_mm256_load_si256((const __m256i *)(buf + 32)), pattern);
        if (streaming) {
            _mm256_stream_si256((__m256i *)buf, a);
            _mm256_stream_si256((__m256i *)(buf + 32), b);
        } else {
            _mm256_store_si256((__m256i *)buf, a);
            _mm256_store_si256((__m256i *)(buf + 32), b);
        }
    }
    if (streaming) {
        _mm_sfence();
    }
    xor_bytes(buf, n_bytes, xor_byte);
}
#endif

/* Without vectors: 8 bytes at a time (memcpy keeps it free of aliasing and
 * alignment traps; compilers turn it into plain loads and stores). */
static void rmw_words(unsigned char *buf, size_t n_bytes, unsigned char xor_byte) {
    const uint64_t pattern = (uint64_t)xor_byte * UINT64_C(0x0101010101010101);
    for (; n_bytes >= 8; buf += 8, n_bytes -= 8) {
        uint64_t word;
        memcpy(&word, buf, 8);
        word ^= pattern;
        memcpy(buf, &word, 8);
    }
    xor_bytes(buf, n_bytes, xor_byte);
}

static int inplace_one(copy_limit_method method, unsigned char *buf, size_t n_bytes, unsigned char xor_byte) {
    int streaming;
    switch (method) {
    case COPY_LIMIT_RMW_TEMPORAL:
        streaming = 0;
        break;
    case COPY_LIMIT_RMW_STREAM:
        streaming = 1;
        break;
    default:
        return -1;
    }
    switch (cached_vector_isa()) {
#if COPY_LIMIT_X86
    case VECTOR_AVX512:
        rmw_avx512(buf, n_bytes, xor_byte, streaming);
        return 0;
    case VECTOR_AVX2:
        rmw_avx2(buf, n_bytes, xor_byte, streaming);
        return 0;
#endif
    default:
        if (streaming) {
            return -1;
        }
        rmw_words(buf, n_bytes, xor_byte);
        return 0;
    }
}

int copy_limit_inplace(copy_limit_method method, void *buf, size_t n_bytes, int xor_byte) {
    if ((buf == NULL && n_bytes != 0) || xor_byte < 0 || xor_byte > 255) {
        return -2;
    }
    if (!is_inplace_method(method) || !copy_limit_available(method)) {
        return -1;
    }
    return inplace_one(method, buf, n_bytes, (unsigned char)xor_byte);
}

/* ------------------------------------------------------------------------- */
/* Threads                                                                   */
/* ------------------------------------------------------------------------- */

/* The benchmark machine may have many cores; more threads than this gain
 * nothing for a copy and only cost start-up. */
#define MAX_THREADS 256

typedef struct chunk_job {
    copy_limit_method method;
    int in_place;
    unsigned char *dst; /* the buffer, for in-place */
    const unsigned char *src;
    size_t n_bytes;
    unsigned char xor_byte;
} chunk_job;

static void run_chunk(const chunk_job *job) {
    if (job->in_place) {
        inplace_one(job->method, job->dst, job->n_bytes, job->xor_byte);
    } else {
        copy_one(job->method, job->dst, job->src, job->n_bytes);
    }
}

static void *chunk_thread(void *arg) {
    run_chunk(arg);
    return NULL;
}

static void run_split(chunk_job whole, int num_threads) {
    if (num_threads > MAX_THREADS) {
        num_threads = MAX_THREADS;
    }
    size_t chunk = (whole.n_bytes / (size_t)num_threads + CHUNK_ALIGN - 1) / CHUNK_ALIGN * CHUNK_ALIGN;
    if (num_threads <= 1 || chunk == 0 || chunk >= whole.n_bytes) {
        run_chunk(&whole);
        return;
    }
    chunk_job jobs[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    int started[MAX_THREADS];
    int num_jobs = 0;
    for (size_t offset = 0; offset < whole.n_bytes; offset += chunk, ++num_jobs) {
        jobs[num_jobs] = whole;
        jobs[num_jobs].dst = whole.dst + offset;
        jobs[num_jobs].src = whole.in_place ? NULL : whole.src + offset;
        jobs[num_jobs].n_bytes = whole.n_bytes - offset < chunk ? whole.n_bytes - offset : chunk;
    }
    for (int i = 1; i < num_jobs; ++i) {
        started[i] = pthread_create(&threads[i], NULL, chunk_thread, &jobs[i]) == 0;
    }
    run_chunk(&jobs[0]);
    for (int i = 1; i < num_jobs; ++i) {
        if (started[i]) {
            pthread_join(threads[i], NULL);
        } else {
            run_chunk(&jobs[i]);
        }
    }
}

int copy_limit_copy_threads(copy_limit_method method, void *dst, const void *src, size_t n_bytes, int num_threads) {
    if (((dst == NULL || src == NULL) && n_bytes != 0) || num_threads < 1) {
        return -2;
    }
    if (!is_copy_method(method) || !copy_limit_available(method)) {
        return -1;
    }
    chunk_job whole = {method, 0, dst, src, n_bytes, 0};
    run_split(whole, num_threads);
    return 0;
}

int copy_limit_inplace_threads(copy_limit_method method, void *buf, size_t n_bytes, int xor_byte, int num_threads) {
    if ((buf == NULL && n_bytes != 0) || xor_byte < 0 || xor_byte > 255 || num_threads < 1) {
        return -2;
    }
    if (!is_inplace_method(method) || !copy_limit_available(method)) {
        return -1;
    }
    chunk_job whole = {method, 1, buf, NULL, n_bytes, (unsigned char)xor_byte};
    run_split(whole, num_threads);
    return 0;
}

/* ------------------------------------------------------------------------- */
/* CPUs together                                                             */
/* ------------------------------------------------------------------------- */

/* Untimed start of every phase: a vCPU that slept runs slowly for a few
 * milliseconds after it wakes (benchmarks/timing.py measured the ramp). */
#define TOGETHER_SETTLE_NS 5000000L
#define TOGETHER_XOR_BYTE 0x5A
#define PHASE_ALL (-1)
#define PHASE_EXIT (-2)

typedef struct together_thread {
    _Alignas(LINE_BYTES) _Atomic uint64_t passes; /* a line of its own: counting moves no shared line */
    struct together_run *run;
    unsigned char *buf;
    int index;
} together_thread;

typedef struct together_run {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    _Atomic int phase; /* the one thread that runs (its index), PHASE_ALL or PHASE_EXIT */
    size_t n_bytes;
} together_run;

static int thread_runs_in(int phase, int index) {
    return phase == PHASE_ALL || phase == index;
}

static void *together_main(void *arg) {
    together_thread *self = arg;
    together_run *run = self->run;
    for (;;) {
        int phase = atomic_load_explicit(&run->phase, memory_order_acquire);
        if (phase == PHASE_EXIT) {
            return NULL;
        }
        if (thread_runs_in(phase, self->index)) {
            /* A non-zero xor: no compiler can prove the pass does nothing. */
            inplace_one(COPY_LIMIT_RMW_TEMPORAL, self->buf, run->n_bytes, TOGETHER_XOR_BYTE);
            atomic_fetch_add_explicit(&self->passes, 1, memory_order_relaxed);
            continue;
        }
        /* Asleep, not spinning: a spinning vCPU would compete with the
         * ones being measured. */
        pthread_mutex_lock(&run->lock);
        while (atomic_load_explicit(&run->phase, memory_order_acquire) == phase) {
            pthread_cond_wait(&run->changed, &run->lock);
        }
        pthread_mutex_unlock(&run->lock);
    }
}

static void set_phase(together_run *run, int phase) {
    pthread_mutex_lock(&run->lock);
    atomic_store_explicit(&run->phase, phase, memory_order_release);
    pthread_cond_broadcast(&run->changed);
    pthread_mutex_unlock(&run->lock);
}

static int64_t now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void sleep_ns(long ns) {
    struct timespec interval = {ns / 1000000000L, ns % 1000000000L};
    while (nanosleep(&interval, &interval) != 0 && errno == EINTR) {
    }
}

/* Runs `phase` and stores the bytes per ns of each thread that ran in it. */
static void measure_phase(together_run *run, together_thread *threads, int num_threads, int phase, long phase_ns,
                          double *gb_per_s) {
    set_phase(run, phase);
    sleep_ns(TOGETHER_SETTLE_NS);
    uint64_t before[MAX_THREADS];
    for (int i = 0; i < num_threads; ++i) {
        before[i] = atomic_load_explicit(&threads[i].passes, memory_order_relaxed);
    }
    int64_t start = now_ns();
    sleep_ns(phase_ns);
    int64_t elapsed = now_ns() - start;
    for (int i = 0; i < num_threads; ++i) {
        if (thread_runs_in(phase, i)) {
            uint64_t passes = atomic_load_explicit(&threads[i].passes, memory_order_relaxed) - before[i];
            gb_per_s[i] = (double)passes * 2.0 * (double)run->n_bytes / (double)elapsed;
        }
    }
}

#if defined(__linux__)
int copy_limit_cpus_together(const int *cpus, int num_cpus, size_t n_bytes, long phase_ns, double *alone_gb_per_s,
                             double *together_gb_per_s) {
    if (cpus == NULL || num_cpus < 1 || num_cpus > MAX_THREADS || n_bytes == 0 || n_bytes > SIZE_MAX / 2 ||
        phase_ns <= 0 || alone_gb_per_s == NULL || together_gb_per_s == NULL) {
        return -2;
    }
    for (int i = 0; i < num_cpus; ++i) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) {
            return -2;
        }
    }
    together_thread *threads = aligned_alloc(LINE_BYTES, sizeof(together_thread) * (size_t)num_cpus);
    if (threads == NULL) {
        return -1;
    }
    together_run run = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER, .n_bytes = n_bytes};
    atomic_init(&run.phase, num_cpus); /* no thread's index: all asleep */
    pthread_t handles[MAX_THREADS];
    int started = 0;
    int result = 0;
    const size_t buffer_bytes = (n_bytes + LINE_BYTES - 1) / LINE_BYTES * LINE_BYTES; /* aligned_alloc wants a multiple */
    for (; started < num_cpus; ++started) {
        together_thread *t = &threads[started];
        atomic_init(&t->passes, 0);
        t->run = &run;
        t->index = started;
        t->buf = aligned_alloc(LINE_BYTES, buffer_bytes);
        if (t->buf == NULL) {
            result = -1;
            break;
        }
        memset(t->buf, 0x5A, n_bytes);
        cpu_set_t one_cpu;
        CPU_ZERO(&one_cpu);
        CPU_SET(cpus[started], &one_cpu);
        pthread_attr_t attributes;
        int created = 0;
        if (pthread_attr_init(&attributes) == 0) {
            created = pthread_attr_setaffinity_np(&attributes, sizeof one_cpu, &one_cpu) == 0 &&
                      pthread_create(&handles[started], &attributes, together_main, t) == 0;
            pthread_attr_destroy(&attributes);
        }
        if (!created) { /* e.g. the CPU is outside this process's affinity */
            free(t->buf);
            result = -1;
            break;
        }
    }
    if (result == 0) {
        for (int i = 0; i < num_cpus; ++i) {
            measure_phase(&run, threads, num_cpus, i, phase_ns, alone_gb_per_s);
        }
        measure_phase(&run, threads, num_cpus, PHASE_ALL, phase_ns, together_gb_per_s);
    }
    set_phase(&run, PHASE_EXIT);
    for (int i = 0; i < started; ++i) {
        pthread_join(handles[i], NULL);
        free(threads[i].buf);
    }
    free(threads);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.changed);
    return result;
}
#else
int copy_limit_cpus_together(const int *cpus, int num_cpus, size_t n_bytes, long phase_ns, double *alone_gb_per_s,
                             double *together_gb_per_s) {
    (void)cpus, (void)num_cpus, (void)n_bytes, (void)phase_ns, (void)alone_gb_per_s, (void)together_gb_per_s;
    return -1; /* pinning threads to CPUs is Linux's here */
}
#endif
