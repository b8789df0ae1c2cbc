/*
 * stream_trials.h — whether streaming stores, or software prefetch, pay
 * for a size of output, learned from the calls themselves.
 *
 * Non-temporal stores pay once the output would not stay in the caches
 * until it is read again: they skip reading dst for ownership and leave the
 * cache to src.  Below that they cost up to ~40 %.  Where the crossover lies
 * depends on how much of the last-level cache the process really gets,
 * which on a VM is what the host's other tenants leave, so a constant per
 * CPU cannot be right everywhere: the project's two AMD VMs put it 2x
 * apart (below).  Measured on the 2-vCPU Zen 3 VM (one thread, C
 * timing, interleaved, the same buffers call after call, two runs),
 * streaming against normal stores, medians of the rounds' ratios of speed
 * (above 1: streaming wins): f32
 * 0.63-0.73x at 3-5.5 MiB of dst, 0.89-1.20x at 6, 1.06 at 7, 1.39-1.45x
 * at 8, 1.63x at 10, 1.78x at 12; bf16 0.83-0.99x at 3-5.5 MiB,
 * 1.00-1.13x at 6, 1.15-1.42x at 7-8; f16 1.09-1.20x at 3-5.5 MiB (its
 * streaming kernel's steps of four vectors pay there too), 1.13-1.39x at
 * 6.  On the Zen 4 VM the crossover had been 12-16 MiB (dispatch.c).  In
 * the benchmark at 3e6 f32 elements (11.4 MiB of dst) pygraph ran at
 * 66-82 % of the copy limit and 0.94-1.08x torch's speed with normal
 * stores.
 *
 * On more than one thread the crossover lies higher: the threads' cores draw
 * on the L3 together, faster than one core can, while DRAM's write bandwidth
 * stays what it was.  Measured on the same VM another day (C timing as above,
 * two runs of nine rounds), two threads, streaming against the faster normal
 * kernel, ratios of the median times (above 1: streaming loses): f32 1.42-1.55x at 12 MiB of dst, 1.06-1.21x
 * at 16, 0.77-0.90x at 24; bf16 0.99-1.44x at 12, 0.94-1.08x at 16,
 * 0.77-0.91x at 24; f16 1.53-1.97x at 12, 0.97-1.38x at 16, 0.96-0.99x at 24.
 * One thread, the same day: 0.70-0.99x at 12 MiB, 0.73-0.88x at 16.  Hence
 * the range of two threads and more ends at twice the crossover (dispatch.c).
 *
 * In the same range, with normal stores, software prefetch paid on the CPU
 * that otherwise leaves prefetching to the hardware
 * (pg_software_prefetch_pays): the data comes from the L3, not from L2 or
 * DRAM.  Prefetched against unprefetched, medians of the rounds' ratios of
 * time (below 1: prefetch wins), at 8-16 MiB: f32 0.89-0.96x on one thread,
 * 0.84-0.94x on two; bf16 0.84-1.03x and 0.81-1.05x; f16 0.80-0.97x and
 * 0.81-0.94x; f32 0.92-1.02x at 3-6 MiB.  So prefetch is a third way.
 *
 * So between pg_streaming_trial_min_bytes() and
 * pg_streaming_trial_max_bytes() (dispatch.c) of dst, a dense out-of-place
 * call tries each way: the plan times each such call and books it here, per
 * size (the kernels, the bytes and the thread count).  A size's first call is
 * not booked (it may pay for a fresh buffer's page faults).
 *
 * The ways are compared in pairs of calls, as the benchmark compares
 * implementations: one way is the chosen one (normal stores to begin with),
 * and a call of another way books its time over the chosen way's latest call,
 * a ratio.  The trial begins with rounds of turns, one call of each way in
 * order, until every other way has PG_STREAM_TRIAL_SAMPLES ratios.  From then
 * on, whenever a ratio is booked, a way whose median ratio is below 1 becomes
 * the chosen one (the smallest; on a tie the earlier way: normal, prefetched,
 * streaming).  Then, after PG_STREAM_TRIAL_FIRST_RECHECK_CALLS calls of the
 * chosen way, one call runs another way, the others in turn, replacing that
 * way's oldest ratio; once every other way has PG_STREAM_TRIAL_SAMPLES ratios
 * booked since the choice, the rechecks come every
 * PG_STREAM_TRIAL_RECHECK_CALLS calls, until the choice moves again.  The
 * time between two rechecks is at least PG_STREAM_TRIAL_RECHECK_NS in
 * proportion (10 ms for 64 calls), so that small calls do not recheck more
 * often.  The early rechecks renew the turns' ratios, because the turns tend
 * to run while the caller is starting up: in the benchmark's first calls
 * (f16, 3e6 elements, two threads) normal stores took 240-456 us, where a
 * recheck later took 192 us and prefetched ones ran at 191-220; the turns
 * chose streaming stores, which ran at ~260 us, and rechecks every 64 calls
 * (pairs already, no early rechecks yet) took 130 calls to leave them.  When
 * the host's load changes, the choice follows within three rechecks of the
 * way that became faster (six with three ways).  When the choice moves, the
 * way left behind takes the new one's ratios inverted (each was a pair of the
 * two), and a third way's ratios are divided by the new one's median; both
 * are renewed by early rechecks again.  Rechecks cost at most one call in 65
 * run a slower way (up to ~2x as long: ~1.5 %), and after a choice one in 9
 * for 5 rechecks of each other way.  PG_STREAM_TRIAL_SIZES sizes are followed at a
 * time, the least recently used giving way.  The bits are the same every way.
 *
 * Why pairs: the host's speed moves, from one few milliseconds to the next,
 * by more than the ways differ, and it moves the ways unequally (normal
 * stores fed from the L3 suffer from a slow vCPU, streaming ones from a busy
 * memory bus).  Traced in the benchmark (f32, 3e6 elements, two threads),
 * where each sample's calls follow a pause and other implementations' work,
 * with each way judged by its own latest five calls: by their medians the
 * trial went to streaming stores after three slow normal calls and kept them
 * (~550 us a timed call, as slow as one thread, where another run timed
 * 358-377 us); by their second-fastest, normal stores ran at 290-400 us until
 * four calls in a row took 820-1018 us, the trial moved to streaming stores
 * on times from a fast spell (290-340 us), and they then ran at ~550 us for
 * the last 150 calls of the run.  With pairs, four runs of that benchmark
 * timed 380-512 us.
 *
 * What is timed is the whole call, as the caller sees it: with threads, a
 * call the pool ran alone (a back-off or a probe, pool_account.h) is booked
 * like any other, and the median absorbs two such pairs of five. The ways are
 * whole kernels of the level, which on some levels differ in more than the
 * stores: the AVX2 streaming kernels always prefetch, and under the zen4
 * tuning take four vectors a step for bf16 and f16 (lrelu_avx2.c); the
 * trial measures the kernels as they are.  Where the level's usual kernel already prefetches (no
 * unprefetched twin, or a CPU that prefetches everywhere), the prefetched way
 * is the normal one and is left out of the trial.
 *
 * Pure bookkeeping: no clock, no atomics, no locks.  plan.c calls it with the
 * times it read, under a flag it only ever tries: a call that finds the flag
 * taken (another thread is booking, for ~0.1 us) runs the kernel the size
 * alone would choose (pg_lrelu_choose_contiguous) and books nothing.
 */
#ifndef PYGRAPH_KERNELS_STREAM_TRIALS_H
#define PYGRAPH_KERNELS_STREAM_TRIALS_H

#include <stdbool.h>
#include <stdint.h>

#define PG_STREAM_TRIAL_SIZES 8
#define PG_STREAM_TRIAL_SAMPLES 5 /* ratios kept per way */
#define PG_STREAM_TRIAL_FIRST_RECHECK_CALLS 8
#define PG_STREAM_TRIAL_RECHECK_CALLS 64
#define PG_STREAM_TRIAL_RECHECK_NS 10000000  /* for PG_STREAM_TRIAL_RECHECK_CALLS; fewer calls, less */

/* The ways a call may run, indexing the ratios, in the order of turns
 * and of ties: normal stores with the level's usual kernel, normal stores
 * with software prefetch, streaming stores. */
typedef enum pg_trial_way {
    PG_WAY_NORMAL = 0,
    PG_WAY_PREFETCHED = 1,
    PG_WAY_STREAMING = 2,
    PG_TRIAL_WAYS = 3
} pg_trial_way;

/* A set of ways, as bits (1u << way). */
#define PG_WAYS_ALL ((1u << PG_TRIAL_WAYS) - 1u)

/* One size of output. */
typedef struct pg_stream_trial {
    uint64_t key;      /* the caller's key for the size (never 0); 0: a free slot */
    uint64_t last_use; /* the trials' count of lookups at this size's latest */
    unsigned ways;     /* the ways tried, as bits: normal, and those the caller asked for */
    bool seen;         /* its first call has run (and was not booked) */
    bool decided;      /* the rounds of turns are over */
    uint32_t turns;    /* calls booked in the rounds of turns */
    pg_trial_way chosen;
    int64_t chosen_ns; /* the chosen way's latest call (0: none since it was chosen) */
    /* Each other way's calls over the chosen way's latest, a ring; none
     * for the chosen way and the ways not tried. */
    double ratios[PG_TRIAL_WAYS][PG_STREAM_TRIAL_SAMPLES];
    int num_ratios[PG_TRIAL_WAYS];
    int oldest[PG_TRIAL_WAYS];  /* the ring's next slot to overwrite */
    pg_trial_way rechecked;     /* the way of the latest recheck (the chosen one before any) */
    int fresh_ratios[PG_TRIAL_WAYS]; /* ratios booked since the latest choice, at most all */
    uint32_t since_recheck;     /* calls run the chosen way since the latest recheck */
    int64_t rechecked_at;       /* when the latest recheck (or the end of the turns) was booked */
} pg_stream_trial;

typedef struct pg_stream_trials {
    uint64_t lookups;
    pg_stream_trial sizes[PG_STREAM_TRIAL_SIZES];
} pg_stream_trials;

/* The record of the size `key` names (never 0); NULL if there is none.
 * Leaves the order of use as it was. */
const pg_stream_trial *pg_stream_trials_find(const pg_stream_trials *trials, uint64_t key);

/* The record of the size `key` names (never 0), made afresh in the least
 * recently used slot if there is none, to try `ways` (bits; normal and at
 * least one more; the same for every call of a key). */
pg_stream_trial *pg_stream_trials_find_or_add(pg_stream_trials *trials, uint64_t key, unsigned ways);

/* The calls of the chosen way between two rechecks, for now:
 * PG_STREAM_TRIAL_FIRST_RECHECK_CALLS until every other way has all its
 * ratios afresh since the latest choice, PG_STREAM_TRIAL_RECHECK_CALLS
 * from then on. */
uint32_t pg_stream_trial_recheck_calls(const pg_stream_trial *trial);

/* How the next call of `trial`'s size, starting at `now`, runs. */
pg_trial_way pg_stream_trial_way(const pg_stream_trial *trial, int64_t now);

/* Books a call of `trial`'s size that ran `way` and took `took_ns`,
 * ending at `now`. */
void pg_stream_trial_book(pg_stream_trial *trial, pg_trial_way way, int64_t took_ns, int64_t now);

#endif /* PYGRAPH_KERNELS_STREAM_TRIALS_H */
