/*
 * threadpool.h — intra-op threads for the kernels: a small pthreads pool.
 *
 * Not OpenMP: libgomp hangs a child forked after its pool started, and its
 * fixed per-thread shares stall a call for a scheduler tick whenever a
 * worker is late on a busy machine.  Here a call is split into chunks that
 * the calling thread and the workers claim from an atomic counter, so the
 * caller never waits for a worker that has not started; it waits only for
 * chunks already being run.  The pool starts lazily, restarts lazily in a
 * forked child, and is joined at exit.
 */
#ifndef PYGRAPH_KERNELS_THREADPOOL_H
#define PYGRAPH_KERNELS_THREADPOOL_H

#include <stddef.h>
#include <stdint.h>

/* Largest number of threads (the caller included) a call may use; larger
 * settings are honoured up to this many. */
#define PG_MAX_THREADS 256

/* Threads an execution may use, the calling thread included (>= 1): the
 * pygraph_set_num_threads setting, else PYGRAPH_NUM_THREADS, else the CPUs
 * this process may run on. */
int pg_threads_get(void);

/* 0 restores the default; callers have checked num_threads >= 0. */
void pg_threads_set(int num_threads);

/* Runs chunks [first_chunk, first_chunk + num_chunks) of a job. */
typedef void pg_chunk_fn(void *context, size_t first_chunk, size_t num_chunks);

/* Runs every chunk in [0, num_chunks) exactly once, on at most max_threads
 * threads (the calling thread works too), and returns when all have
 * finished.  Threads claim runs of adjacent chunks, each run in one call of
 * `run` (threadpool.c says how long the runs are).  A call that runs alone
 * (the pool is busy with another call, cannot start or has been shut down
 * at exit; the caller may run on one CPU only; the pool is backing off
 * because its latest calls cost more than they saved; or the call is one
 * of a probe's, pool_account.h) runs them all in one
 * run(context, 0, num_chunks).  A run of every chunk at once is always
 * the call's only run, so `run` may take it for one thread's work (plan.c
 * then runs one thread's kernel and direction).
 * `shape` names jobs that take the same time (same kernel, elements,
 * layout and placement), which the probes compare; 0 when the caller
 * cannot say (never probed, and the caller gives a worker behind it no
 * grace before taking its chunks).  `chunk_bytes` is how many bytes of
 * memory a chunk touches (0: unknown): after a job of at most
 * PG_L1_ROOM_MAX_BYTES per thread, the workers make room in their L1 for
 * the next (threadpool.c).  Never allocates on the heap after the pool has
 * started. */
void pg_parallel_for(size_t num_chunks, int max_threads, uint64_t shape, size_t chunk_bytes, pg_chunk_fn *run,
                     void *context);

/* CLOCK_MONOTONIC in nanoseconds: the clock the pool's account and the
 * plan's stream trials time calls with. */
int64_t pg_monotonic_ns(void);

#endif /* PYGRAPH_KERNELS_THREADPOOL_H */
