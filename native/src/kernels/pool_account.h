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
 *   Misses in the first PG_WAKING_NS after the pool woke sleeping workers
 *   (or started new ones) do not count.  A worker woken from sleep takes as
 *   long to arrive as PG_MISSES_MAX in-cache calls last, or longer: on the
 *   Xeon VM the wake-up cost the caller 30-40 us and the worker started
 *   10-30 us after it (threadpool.c), and on a loaded machine workers saw
 *   the job 145-217 us after it was published, while 8 calls of 1e5 f32
 *   take ~56 us.  The rule would send it back to sleep before it arrived,
 *   every call after a back-off, a probe or a pause would wake it again,
 *   and the back-offs would double until the pool ran alone nearly all the
 *   time (back-offs of up to PG_BACKOFF_MAX_NS).  Where every call wakes a
 *   worker that never helps (calls further apart than a worker's spin, or
 *   more threads than CPUs, and no CPU for the worker), every call opens a
 *   window and the misses never count; but every such call pays for its
 *   wake-up (a futex wake: microseconds, and 30-40 us on the Xeon VM for
 *   an idle vCPU), which the debt below charges, so the account backs off
 *   all the same, after at most PG_DEBT_MAX_NS of wake-ups.  Opening a
 *   window only after a wake-up some worker answered (a helped call) was
 *   tried: in the benchmark's 1e5 groups it backed off 13-18 times where
 *   windows on every wake-up backed off 6-9 times (19-27 without windows).
 *
 * A back-off makes the calls of the next PG_BACKOFF_MIN_NS run alone; if
 * the account backs off again before the calls after a back-off have saved
 * PG_DEBT_MAX_NS, the next back-off lasts twice as long, up to
 * PG_BACKOFF_MAX_NS.  So a stall now and then is paid from the savings,
 * and while the workers keep costing more than they save, calls run on the
 * calling thread alone and the pool tries the workers again at longer and
 * longer intervals.
 *
 * The caller's own pace stands for running alone only while the workers
 * leave it alone.  On a VM whose two vCPUs sometimes take turns on one core
 * they do not: a worker's chunks then slow the caller's as much as they
 * help, the pooled call takes as long as running alone plus the pool's
 * costs, and the caller's slowed pace tells the account it saved.  In the
 * benchmark on the Zen 3 VM (f32 in place, 1e5 elements), for six rounds
 * in a row two threads took 9.9-13.5 us against one thread's 7.7-11.0 in
 * the same rounds.
 *
 * So the pool now and then runs a call of a job shape alone with its
 * workers asleep, and times it: a probe (two calls of the shape: the first
 * warms the caches for the data the workers' chunks touched, the second is
 * timed).  The caller's pace in the latest pooled call of that shape over
 * its pace alone is the shape's slowdown, and the account divides the pace
 * by it before it estimates running alone.  A probe runs what a call run
 * alone runs, one thread's kernel and direction (plan.c), so where those
 * differ from the pooled chunks' (streaming stores from one thread's
 * crossover, say) the slowdown carries that difference too: the estimate
 * stays one of running alone.  The smaller of the latest two
 * probes counts, at least 1: one probe that met a stall cannot make the
 * pool back off, and the estimate is never more generous to the pool than
 * the caller's pace.  A probe is due after PG_PROBE_MIN_CALLS pooled calls
 * of the shape and PG_PROBE_INTERVAL_NS since its last: in cache the
 * interval rules (two calls alone every 10 ms forgo ~10 us at 1e5
 * elements, 0.1 %, and the next pooled call wakes the workers from sleep,
 * a futex wake and the setting of their CPUs), at DRAM sizes the count
 * (two calls in 130 run alone, each ~1.3x as long as pooled there:
 * ~0.5 %).  These are estimates from the calls' times, not measured.  The account keeps
 * PG_PROBE_SHAPES shapes, the least recently used giving way; a workload
 * of more shapes than that goes unprobed, as before.
 *
 * What the probes measured and gained on the Zen 3 VM is in the README
 * ("CPU dispatch and threads"): a modest gain, since the state is rare and
 * a slowdown shows only part of it.
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
/* Pooled calls in a row without a worker's chunk that make calls run alone;
 * how long after a wake-up of sleeping workers misses do not count (five
 * times the slowest arrival measured, and no longer than the shortest
 * back-off: one window costs at most the pool's overhead on the calls of
 * a millisecond). */
#define PG_MISSES_MAX 8
#define PG_WAKING_NS 1000000
/* How long calls run alone: after the first back-off, and at most while
 * back-offs keep coming before the pool recovers. */
#define PG_BACKOFF_MIN_NS 1000000
#define PG_BACKOFF_MAX_NS 256000000

/* Job shapes the account follows; pooled calls of a shape between two
 * probes, and the least time between them. */
#define PG_PROBE_SHAPES 4
#define PG_PROBE_MIN_CALLS 128
#define PG_PROBE_INTERVAL_NS 10000000

/* One job shape: how the caller's pace in pooled calls compares with its
 * pace alone. */
typedef struct pg_shape_pace {
    uint64_t shape;              /* the caller's key for jobs that take the same time; 0: a free slot */
    uint64_t last_use;           /* the account's count of lookups at this shape's latest */
    double pooled_ns_per_chunk;  /* the caller's own chunks in the latest pooled call (0: none yet) */
    double slowdowns[2];         /* the latest two probes: pooled pace / alone pace */
    int num_slowdowns;           /* how many of slowdowns[] are set */
    uint32_t pooled_since_probe; /* pooled calls since the latest probe */
    int64_t probed_at;           /* when the latest probe ended or was given up (0: never) */
    bool warmed;                 /* the probe's first call ran alone: the next one is timed */
} pg_shape_pace;

typedef struct pg_pool_account {
    int64_t credit_ns;  /* time saved by the latest calls (negative: lost) */
    int64_t backoff_ns; /* the latest back-off's length (0: none yet) */
    bool recovered;     /* the calls since that back-off saved PG_DEBT_MAX_NS */
    int misses;         /* pooled calls in a row that no worker helped */
    int64_t woken_ns;   /* the latest wake-up of sleeping workers, or start of new ones (0: none yet) */
    uint64_t lookups;   /* of shapes, for choosing the least recently used */
    pg_shape_pace shapes[PG_PROBE_SHAPES];
} pg_pool_account;

/* What a call of a shape does about probing. */
typedef enum pg_probe_step {
    PG_PROBE_NONE,  /* run pooled */
    PG_PROBE_WARM,  /* run alone, untimed: the probe's first call */
    PG_PROBE_TIMED, /* run alone with the workers asleep, timed: pg_pool_account_probed */
} pg_probe_step;

/* The account's record of `shape` (never 0), made afresh in the least
 * recently used slot if it has none. */
pg_shape_pace *pg_pool_account_shape(pg_pool_account *account, uint64_t shape);

/* What the next call of `pace`'s shape, starting at `now`, does. */
pg_probe_step pg_pool_account_probe_step(const pg_shape_pace *pace, int64_t now);

/* The probe's first call ran alone. */
void pg_pool_account_probe_warmed(pg_shape_pace *pace);

/* The probe's timed call of `num_chunks` chunks ran alone from `started` to
 * `finished`; num_chunks > 0. */
void pg_pool_account_probed(pg_shape_pace *pace, int64_t started, int64_t finished, size_t num_chunks);

/* The probe was given up at `now` (the workers did not go to sleep in
 * time); the next comes a whole interval later. */
void pg_pool_account_probe_given_up(pg_shape_pace *pace, int64_t now);

/* The divisor of the caller's pace for `pace`'s shape: the smaller of the
 * latest two probes' slowdowns, at least 1; 1 before two probes (and for
 * NULL: no shape). */
double pg_shape_pace_slowdown(const pg_shape_pace *pace);

/* One pooled call, timed by the caller (nanoseconds, one clock). */
typedef struct pg_pooled_call {
    int64_t started;   /* the call began: before the job was published */
    int64_t begun;     /* the job was published; the caller's chunks began */
    int64_t own_done;  /* the caller found no chunk left to claim */
    int64_t not_running; /* of begun .. own_done, spent otherwise than running chunks (a late wake-up, a grace) */
    int64_t finished;  /* every chunk had finished */
    size_t ran;        /* chunks the caller ran */
    size_t num_chunks; /* chunks in the call */
    pg_shape_pace *pace; /* the call's shape (NULL: none): its slowdown applies, its pace is kept */
} pg_pooled_call;

/* The pool woke sleeping workers, or started new ones, at `now`: misses of
 * calls that start less than PG_WAKING_NS later do not count. */
void pg_pool_account_woke(pg_pool_account *account, int64_t now);

/* Books `call`; returns when the back-off it starts ends (calls before that
 * time run alone), or 0 when the pool goes on. */
int64_t pg_pool_account_settle(pg_pool_account *account, const pg_pooled_call *call);

#endif /* PYGRAPH_KERNELS_POOL_ACCOUNT_H */
