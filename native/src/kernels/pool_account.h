/*
 * pool_account.h — whether the thread pool's workers are paying for
 * themselves, judged call by call.
 *
 * A pooled call is worth it only if it ends sooner than the calling thread
 * would have alone.  Two things make it end later:
 *
 * - A worker loses its CPU while it runs a chunk (another process or thread
 *   wants that CPU, or the hypervisor runs another vCPU there), and the call
 *   waits for that chunk: milliseconds.  The account credits each call the
 *   time it saved against running alone (the pace of the caller's own chunks
 *   times all the chunks) or debits what it lost, with at most
 *   PG_CREDIT_MAX_NS banked, and backs off when the debt exceeds
 *   PG_DEBT_MAX_NS.
 * - No worker gets there in time to run a chunk: the caller runs them all,
 *   and the call paid for publishing the job, for chunking the work, and for
 *   a worker that competes for a CPU while it spins.  The pace of the
 *   caller's chunks hides these costs (they are in that pace), so the account
 *   counts such misses instead: after PG_MISSES_MAX pooled calls in a row
 *   that no worker helped, it backs off.  It happens next to PyTorch:
 *   its OpenMP workers spin for milliseconds after each of its ops, and on
 *   a 2-vCPU VM that leaves our worker no CPU.  Measured there with
 *   benchmarks/next_to_torch.py (f32): without the rule two threads ran
 *   1e5 elements in place at 0.87-0.91x of one thread's speed, with it at
 *   0.99x (README, "CPU dispatch and threads").
 *
 * A back-off makes the calls of the next PG_BACKOFF_MIN_NS run alone; if
 * the account backs off again before the calls after a back-off have saved
 * PG_DEBT_MAX_NS, the next back-off lasts twice as long, up to
 * PG_BACKOFF_MAX_NS.  So a stall now and then is paid from the savings,
 * and while the workers keep costing more than they save, calls run on the
 * calling thread alone and the pool tries the workers again at longer and
 * longer intervals.
 *
 * Pure bookkeeping: no clock, no atomics, no locks; the pool calls it under
 * its call lock with the times it read.
 */
#ifndef PYGRAPH_KERNELS_POOL_ACCOUNT_H
#define PYGRAPH_KERNELS_POOL_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Savings banked at most; the debt that makes calls run alone. */
#define PG_CREDIT_MAX_NS 1000000
#define PG_DEBT_MAX_NS 100000
/* Pooled calls in a row without a worker's chunk that make calls run alone. */
#define PG_MISSES_MAX 8
/* How long calls run alone: after the first back-off, and at most while
 * back-offs keep coming before the pool recovers. */
#define PG_BACKOFF_MIN_NS 1000000
#define PG_BACKOFF_MAX_NS 256000000

typedef struct pg_pool_account {
    int64_t credit_ns;  /* time saved by the latest calls (negative: lost) */
    int64_t backoff_ns; /* the latest back-off's length (0: none yet) */
    bool recovered;     /* the calls since that back-off saved PG_DEBT_MAX_NS */
    int misses;         /* pooled calls in a row that no worker helped */
} pg_pool_account;

/* One pooled call, timed by the caller (nanoseconds, one clock). */
typedef struct pg_pooled_call {
    int64_t started;   /* the call began: before the job was published */
    int64_t begun;     /* the job was published; the caller's chunks began */
    int64_t own_done;  /* the caller found no chunk left to claim */
    int64_t finished;  /* every chunk had finished */
    size_t ran;        /* chunks the caller ran */
    size_t num_chunks; /* chunks in the call */
} pg_pooled_call;

/* Books `call`; returns when the back-off it starts ends (calls before that
 * time run alone), or 0 when the pool goes on. */
int64_t pg_pool_account_settle(pg_pool_account *account, const pg_pooled_call *call);

#endif /* PYGRAPH_KERNELS_POOL_ACCOUNT_H */
