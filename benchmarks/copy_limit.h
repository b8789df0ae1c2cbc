/*
 * copy_limit.h — the physical limit of a streaming op, measured with the
 * benchmark (not part of the pygraph library).
 *
 * LeakyReLU reads every byte of src once and writes every byte of dst once,
 * so no implementation can beat a plain copy of the same bytes (out of
 * place) or a read+write of the same bytes (in place).  These functions are
 * those two floors, each in the ways the CPU offers, so the harness can take
 * the best of them as "the limit":
 *
 *   copy methods (dst <- src, n_bytes):
 *     COPY_LIMIT_REP_MOVSB   one `rep movsb` (fast on CPUs with ERMS/FSRM)
 *     COPY_LIMIT_MEMCPY      the C library's memcpy
 *     COPY_LIMIT_STREAM      vector loads + non-temporal (streaming) stores,
 *                            AVX-512 or AVX2, whichever the CPU and OS allow
 *   in-place methods (buf read, modified and written back, n_bytes):
 *     COPY_LIMIT_RMW_TEMPORAL  vector load, xor, ordinary store
 *     COPY_LIMIT_RMW_STREAM    vector load, xor, streaming store
 *
 * The in-place functions xor every byte with `xor_byte`; the harness passes
 * 0 so the bytes keep their values (the compiler cannot know that, so the
 * read and the write both happen).
 *
 * Every function returns 0 on success, -1 for a method this build or CPU
 * does not offer (nothing touched), -2 for a bad argument.  All are
 * thread-safe; only copy_limit_cpus_together allocates.  Called through
 * cffi in API mode, which releases the GIL around every call.
 */
#ifndef PYGRAPH_BENCH_COPY_LIMIT_H
#define PYGRAPH_BENCH_COPY_LIMIT_H

#include <stddef.h>

typedef enum copy_limit_method {
    COPY_LIMIT_REP_MOVSB = 0,
    COPY_LIMIT_MEMCPY = 1,
    COPY_LIMIT_STREAM = 2,
    COPY_LIMIT_RMW_TEMPORAL = 10,
    COPY_LIMIT_RMW_STREAM = 11
} copy_limit_method;

/* The vector instruction set the streaming and in-place methods use on this
 * CPU: "avx512", "avx2" or "none" (then COPY_LIMIT_STREAM and the RMW
 * methods return -1).  Static storage. */
const char *copy_limit_vector_isa(void);

/* 1 if `method` is available here, else 0. */
int copy_limit_available(copy_limit_method method);

/* Copies n_bytes from src to dst (which must not overlap) with a copy
 * method. */
int copy_limit_copy(copy_limit_method method, void *dst, const void *src, size_t n_bytes);

/* Reads, xors with xor_byte and writes back n_bytes at buf with an in-place
 * method. */
int copy_limit_inplace(copy_limit_method method, void *buf, size_t n_bytes, int xor_byte);

/* The same with the bytes split into `num_threads` page-aligned chunks, one
 * per thread: num_threads - 1 threads are started for the call and the
 * calling thread does the first chunk (thread start-up is part of the cost,
 * as it is for anyone who would copy this way).  A thread that cannot be
 * started leaves its chunk to the calling thread. */
int copy_limit_copy_threads(copy_limit_method method, void *dst, const void *src, size_t n_bytes, int num_threads);
int copy_limit_inplace_threads(copy_limit_method method, void *buf, size_t n_bytes, int xor_byte, int num_threads);

/* What the CPUs deliver together: an estimate, taken in the same rounds,
 * of what threads can gain.  Two "cores" need not be two cores' worth of
 * work: under a hypervisor a vCPU may share its physical core with another
 * (an SMT sibling, another guest's or the host's work), and then two busy
 * vCPUs do less than twice the work of one.  Measured with this function
 * on the 2-vCPU Zen 3 VM (16 KiB, 20 ms phases): the work of both CPUs
 * together against the faster one alone ranged from 0.82x to 2.37x over
 * 50 rounds in two minutes; below 1x the two vCPUs were taking turns on
 * one core.  A C harness of pygraph's pool on that VM gained 1.00-1.04x
 * from a second thread in some runs and 1.8-1.9x in others, with the same
 * code.  It is no strict bound: the "alone" phases are as noisy as the
 * rest (single rounds above 2x on 2 CPUs), and it sees the cores, not the
 * shared caches.
 *
 * One round: a thread pinned to each of the num_cpus CPUs in `cpus` runs
 * COPY_LIMIT_RMW_TEMPORAL passes over a buffer of n_bytes of its own (in
 * cache when n_bytes is small), first each thread alone while the others
 * sleep, CPU by CPU, then all at once.  Each phase runs 5 ms untimed (a
 * vCPU that slept runs slowly for a few milliseconds) and then phase_ns
 * timed.  alone_gb_per_s[i] and together_gb_per_s[i] get CPU cpus[i]'s
 * bytes read + written per nanosecond in the two phases.
 *
 * Returns 0; -1 when the threads, their buffers or their pinning are not
 * available here (a CPU outside the process's affinity; not Linux); -2 for
 * a bad argument; the rates are written only on success.  Allocates the
 * buffers and starts the threads for the call; nothing outlives it. */
int copy_limit_cpus_together(const int *cpus, int num_cpus, size_t n_bytes, long phase_ns, double *alone_gb_per_s,
                             double *together_gb_per_s);

#endif /* PYGRAPH_BENCH_COPY_LIMIT_H */
