/*
 * stream_trials.h — whether streaming stores pay for a size of output,
 * learned from the calls themselves.
 *
 * Non-temporal stores pay once the output would not stay in the caches
 * until it is read again: they skip reading dst for ownership and leave the
 * cache to src.  Below that they cost up to ~40 %.  Where the crossover lies
 * depends on how much of the last-level cache the process really gets,
 * which on a VM is what the host's other tenants leave, so a constant per
 * CPU cannot be right everywhere: the project's two AMD VMs put it 2x
 * apart (below).  Measured on the 2-vCPU Zen 3 VM (one thread, C
 * timing, interleaved, the same buffers call after call, two runs),
 * streaming against normal stores, medians of the rounds' ratios: f32
 * 0.63-0.73x at 3-5.5 MiB of dst, 0.89-1.20x at 6, 1.06 at 7, 1.39-1.45x
 * at 8, 1.63x at 10, 1.78x at 12; bf16 0.83-0.99x at 3-5.5 MiB,
 * 1.00-1.13x at 6, 1.15-1.42x at 7-8; f16 1.09-1.20x at 3-5.5 MiB (its
 * streaming kernel's steps of four vectors pay there too), 1.13-1.39x at
 * 6.  On the Zen 4 VM the crossover had been 12-16 MiB (dispatch.c).  In
 * the benchmark at 3e6 f32 elements (11.4 MiB of dst) pygraph ran at
 * 66-82 % of the copy limit and 0.94-1.08x torch's speed with normal
 * stores.
 *
 * So between pg_streaming_trial_min_bytes() and pg_streaming_min_bytes()
 * (dispatch.c) of dst, a dense out-of-place call tries both: the plan
 * times each such call and books it here, per size (the kernels, the bytes
 * and the thread count).  A size's first call is not booked (it may pay
 * for a fresh buffer's page faults).  Then the two ways take turns until
 * each has PG_STREAM_TRIAL_SAMPLES calls, and the one with the smaller
 * median runs from then on.  Every PG_STREAM_TRIAL_RECHECK_CALLS calls,
 * and no more often than PG_STREAM_TRIAL_RECHECK_NS, one call runs the
 * other way, replacing that way's oldest sample: when the host's load
 * changes, the choice follows within three rechecks.  Rechecks cost at
 * most one call in 65 run the slower way (~1.8x at worst: ~1 %).
 * PG_STREAM_TRIAL_SIZES sizes are followed at a time, the least recently
 * used giving way.  The bits are the same either way.
 *
 * What is timed is the whole call, as the caller sees it: with threads, a
 * call the pool ran alone (a back-off or a probe, pool_account.h) is booked
 * like any other, and the median absorbs two such calls of five.  The two
 * ways are the level's normal kernel and its streaming one, which on some
 * levels differ in more than the stores: the AVX2 streaming kernels always
 * prefetch, and for bf16 and f16 take four vectors a step (lrelu_avx2.c);
 * the trial measures the kernels as they are.
 *
 * Pure bookkeeping: no clock, no atomics, no locks.  plan.c calls it with
 * the times it read, under a flag it only ever tries: a call that finds
 * the flag taken (another thread is booking, for ~0.1 us) runs the size's
 * usual choice and books nothing.
 */
#ifndef PYGRAPH_KERNELS_STREAM_TRIALS_H
#define PYGRAPH_KERNELS_STREAM_TRIALS_H

#include <stdbool.h>
#include <stdint.h>

#define PG_STREAM_TRIAL_SIZES 8
#define PG_STREAM_TRIAL_SAMPLES 5
#define PG_STREAM_TRIAL_RECHECK_CALLS 64
#define PG_STREAM_TRIAL_RECHECK_NS 10000000

/* The two ways a call may store, indexing the samples. */
typedef enum pg_store_way { PG_STORE_NORMAL = 0, PG_STORE_STREAMING = 1, PG_STORE_WAYS = 2 } pg_store_way;

/* One size of output. */
typedef struct pg_stream_trial {
    uint64_t key;      /* the caller's key for the size (never 0); 0: a free slot */
    uint64_t last_use; /* the trials' count of lookups at this size's latest */
    bool seen;         /* its first call has run (and was not booked) */
    int64_t samples_ns[PG_STORE_WAYS][PG_STREAM_TRIAL_SAMPLES]; /* each way's latest calls, a ring */
    int num_samples[PG_STORE_WAYS];
    int oldest[PG_STORE_WAYS];      /* the ring's next slot to overwrite */
    pg_store_way chosen;            /* the way with the smaller median; meaningful once both ways have
                                       all their samples */
    uint32_t since_recheck;         /* calls run the chosen way since the latest recheck */
    int64_t rechecked_at;           /* when the latest recheck (or the trial's end) was booked */
} pg_stream_trial;

typedef struct pg_stream_trials {
    uint64_t lookups;
    pg_stream_trial sizes[PG_STREAM_TRIAL_SIZES];
} pg_stream_trials;

/* The record of the size `key` names (never 0); NULL if there is none.
 * Leaves the order of use as it was. */
const pg_stream_trial *pg_stream_trials_find(const pg_stream_trials *trials, uint64_t key);

/* The record of the size `key` names (never 0), made afresh in the least
 * recently used slot if there is none. */
pg_stream_trial *pg_stream_trials_find_or_add(pg_stream_trials *trials, uint64_t key);

/* How the next call of `trial`'s size, starting at `now`, stores. */
pg_store_way pg_stream_trial_way(const pg_stream_trial *trial, int64_t now);

/* Books a call of `trial`'s size that stored `way` and took `took_ns`,
 * ending at `now`. */
void pg_stream_trial_book(pg_stream_trial *trial, pg_store_way way, int64_t took_ns, int64_t now);

#endif /* PYGRAPH_KERNELS_STREAM_TRIALS_H */
