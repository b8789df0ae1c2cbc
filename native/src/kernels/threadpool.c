/*
 * threadpool.c — see threadpool.h for what it promises and why.
 *
 * One job slot.  A call that gets the slot (a try-lock: a second concurrent
 * call never waits for the first, it runs alone) publishes the job and
 * wakes any sleeping workers, then runs chunks itself like any worker.
 * Every participant owns a home range of chunks (the same one call after
 * call, so cached data stays with its core) and, once that is done, takes
 * what is left of the others' ranges, several chunks per claim (a claim
 * costs; chunks_per_claim and first_claim_chunks say how many); so when no
 * chunk is left the caller waits only for chunks being run, never for a
 * worker that has not started.  The caller gives a worker that is running
 * its range a grace of one of its own chunk times before it takes from it
 * (take_from_workers).
 *
 * Claims carry the job's generation (high 32 bits of a range's atomic
 * word, the chunk index in the low 32), so a worker still finishing an old
 * job can never claim a chunk of the next one with the old job's function.
 *
 * Waking a sleeping thread costs tens of microseconds, as long as a whole
 * in-cache call, so both sides spin before sleeping: a worker for up to a
 * millisecond after its last job (calls in a loop find it awake), the
 * caller while the last chunks finish.  While spinning, neither side touches a
 * cache line the other writes except the job, the range counters and the
 * finished count: on a VM a line moving between cores costs ~150 ns.
 *
 * A call still waits for chunks a worker has claimed, and a worker that
 * loses its CPU while it runs one makes the call wait until it gets the CPU
 * back: milliseconds (on the 2-vCPU VMs, whole phases of seconds came where
 * a worker's vCPU barely ran).  A worker that never gets a CPU in time
 * makes every call pay for publishing a job nobody helps with.  So each
 * pooled call is booked in an account (pool_account.h), which makes calls
 * run alone for a while when the workers cost more than they save, and
 * which now and then has a call run alone with the workers asleep, to
 * learn how much the workers slow the caller.  The account costs three
 * clock reads per pooled call (four when the caller waits for chunks, more
 * while it gives a worker its grace), and one per call while backing off.
 * Lock order: call_lock, then lock.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include "kernels/threadpool.h"
#include "kernels/pool_account.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PG_CPU_RELAX() _mm_pause()
#else
#define PG_CPU_RELAX() ((void)0)
#endif

/* Workers run kernels (a few KiB of stack) and keep their L1 room
 * (below) on the stack; keep the reservation small but roomy enough for
 * sanitizer builds. */
#define PG_WORKER_STACK_BYTES (512 * 1024)

/* After a job of at most PG_L1_ROOM_MAX_BYTES per thread, a worker reads
 * PG_L1_ROOM_BYTES of clean lines of its own (make_room_in_l1): the
 * largest L1 data cache of the x86 cores we know (48 KiB on Golden Cove and
 * Sapphire Rapids, 32 KiB on Zen 3 and 4). */
#define PG_L1_ROOM_BYTES (48 * 1024)
#define PG_L1_ROOM_MAX_BYTES (512 * 1024)

/* How long a worker stays awake after a job, and how long a caller spins
 * for the last running chunks before sleeping.  A worker's spin outlasts
 * the gaps of a loop that does other work between calls: waking it from
 * sleep cost the caller 30-40 us on the Xeon VM (the futex wake of an idle
 * vCPU; 7 us more to set its affinity), and it started 10-30 us after
 * that.  In the benchmark's in-place samples, calls come ~150 us apart
 * (the restores of the data); with a 100 us spin the worker slept before
 * nearly every call, a 2 MB call lost more than the worker saved, and
 * two threads ran 1e6 f16 in place at one thread's speed (78-82 us
 * against 77-85); with 1 ms, 39-41 us.  While it spins it yields its CPU
 * to any other thread that wants it every 64 pauses (spin_for_job). */
#define PG_WORKER_SPIN_NS 1000000
#define PG_CALLER_SPIN_NS 200000
/* How long a probe waits for the workers to go to sleep before it gives up
 * (pool_account.h): a running worker takes a few microseconds; one that
 * has lost its CPU would keep the call waiting. */
#define PG_REST_WAIT_NS 50000
/* The most a caller waits for a worker that is behind it before taking
 * from it (take_from_workers): its grace is one of its own chunk times in
 * the latest pooled call of the shape, and a call in which the caller lost
 * its CPU gives a pace far beyond any chunk's.  Chunks this long stream
 * from memory, where a taken chunk costs the taker nothing a cache held
 * for the owner. */
#define PG_GRACE_MAX_NS 50000

/* ---- the thread-count setting ------------------------------------------ */

static _Atomic int requested_threads; /* 0: the default */
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static int default_threads = 1;

static int parse_positive_int(const char *text)
{
    if (text == NULL || *text == '\0') {
        return 0;
    }
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value <= 0 || value > INT_MAX) {
        return 0;
    }
    return (int)value;
}

/* The CPUs this process may run on. */
static int online_cpus(void)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
        return CPU_COUNT(&allowed);
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 && online < INT_MAX ? (int)online : 1;
}

static void compute_default_threads(void)
{
    int from_environment = parse_positive_int(getenv("PYGRAPH_NUM_THREADS"));
    default_threads = from_environment > 0 ? from_environment : online_cpus();
}

int pg_threads_get(void)
{
    int requested = atomic_load_explicit(&requested_threads, memory_order_relaxed);
    if (requested > 0) {
        return requested;
    }
    pthread_once(&default_once, compute_default_threads);
    return default_threads;
}

void pg_threads_set(int num_threads)
{
    atomic_store_explicit(&requested_threads, num_threads, memory_order_relaxed);
}

/* ---- the pool ---------------------------------------------------------- */

#define PG_MAX_WORKERS (PG_MAX_THREADS - 1)

/* One job as workers see it. */
typedef struct job {
    pg_chunk_fn *run;
    void *context;
    size_t num_chunks;
    uint32_t generation; /* numbered from 1; claims carry it */
    int participants;    /* the caller (participant 0) and workers 0 .. participants - 2 */
    bool make_room;      /* workers make room in their L1 after it (make_room_in_l1) */
} job;

typedef struct pool {
    pthread_mutex_t call_lock; /* owned by the one call using the job slot */
    pthread_mutex_t lock;      /* guards the plain fields below, and sleeping on the conditions */
    pthread_cond_t wake;       /* workers: a job was published, or shutdown */
    pthread_cond_t done;       /* the caller: the workers' chunks finished */
    pthread_t workers[PG_MAX_WORKERS];
    int num_workers;
    int sleeping; /* workers blocked on `wake` */
    bool shut_down;
    uint32_t generation; /* of the latest job; written under call_lock */
    pg_pool_account account; /* under call_lock */
    _Atomic int64_t alone_until_ns; /* calls before this time run alone (the latest back-off's end) */

    /* What spinning workers read, on cache lines of their own: the lines
     * above are the caller's alone, so taking `lock` costs it no transfer
     * from another core (~150 ns each on the Xeon VM).
     * The published job is under a sequence lock (odd while being written):
     * a worker reads it without touching `lock`; one that blocked on a
     * mutex the caller held would cost the call a kernel wake-up. */
    _Alignas(64) _Atomic bool stopping;      /* == shut_down */
    _Atomic bool spinning_pays; /* false when there are fewer CPUs than threads */
    _Atomic bool resting;       /* a probe or a back-off wants the workers asleep: stop spinning */
    _Atomic uint32_t job_sequence;
    _Atomic(pg_chunk_fn *) job_run;
    _Atomic(void *) job_context;
    _Atomic size_t job_num_chunks;
    _Atomic uint32_t job_generation;
    _Atomic int job_participants;
    _Atomic bool job_make_room;

    /* Chunks the workers finished, reported once per worker and job, and
     * whether the caller has gone to sleep waiting for them (a worker then
     * signals `done`; otherwise it never touches `lock`). */
    _Alignas(64) _Atomic size_t chunks_finished;
    _Atomic bool caller_sleeping;
} pool;

/* Each participant of a job has a home range of chunks, the same range for
 * the same thread call after call (the caller is participant 0, worker i is
 * participant i + 1): it claims its own chunks first, so data that stays in
 * cache between calls stays in the cache of the core that touches it.
 * Measured on a 2-core Sapphire Rapids VM, 1e5 f32 in L2: chunks claimed
 * from one shared counter moved half the lines between the cores' L2s on
 * every call, and two threads were no faster than one.  A participant with
 * nothing left at home claims from the others' ranges, so nobody waits for
 * a late worker.  One counter per cache line: generation << 32 | next chunk
 * index of the range. */
typedef struct home_range {
    _Alignas(64) _Atomic uint64_t next_claim;
} home_range;

static home_range home_ranges[PG_MAX_THREADS];

/* First chunk of participant k's home range (k == participants: the end). */
static size_t home_range_begin(size_t num_chunks, int participants, int k)
{
    return num_chunks * (size_t)k / (size_t)participants;
}

static pool the_pool = {
    .call_lock = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

int64_t pg_monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Publishes `j` (the caller holds call_lock: one writer at a time). */
static void publish_job(const job *j)
{
    pool *p = &the_pool;
    uint32_t sequence = atomic_load_explicit(&p->job_sequence, memory_order_relaxed);
    atomic_store_explicit(&p->job_sequence, sequence + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&p->job_run, j->run, memory_order_relaxed);
    atomic_store_explicit(&p->job_context, j->context, memory_order_relaxed);
    atomic_store_explicit(&p->job_num_chunks, j->num_chunks, memory_order_relaxed);
    atomic_store_explicit(&p->job_generation, j->generation, memory_order_relaxed);
    atomic_store_explicit(&p->job_participants, j->participants, memory_order_relaxed);
    atomic_store_explicit(&p->job_make_room, j->make_room, memory_order_relaxed);
    atomic_store_explicit(&p->job_sequence, sequence + 2, memory_order_release);
}

/* Reads the published job; false while it is being written. */
static bool read_job(job *j, uint32_t *sequence)
{
    pool *p = &the_pool;
    uint32_t before = atomic_load_explicit(&p->job_sequence, memory_order_acquire);
    if (before % 2 != 0) {
        return false;
    }
    j->run = atomic_load_explicit(&p->job_run, memory_order_relaxed);
    j->context = atomic_load_explicit(&p->job_context, memory_order_relaxed);
    j->num_chunks = atomic_load_explicit(&p->job_num_chunks, memory_order_relaxed);
    j->generation = atomic_load_explicit(&p->job_generation, memory_order_relaxed);
    j->participants = atomic_load_explicit(&p->job_participants, memory_order_relaxed);
    j->make_room = atomic_load_explicit(&p->job_make_room, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    *sequence = before;
    return atomic_load_explicit(&p->job_sequence, memory_order_relaxed) == before;
}

/* How many of the `left` unclaimed chunks of a range one claim takes: half
 * of them, rounded up (8 chunks go as 4, 2, 1, 1), for a range's owner and
 * for a participant taking from another's range alike, except a worker's
 * first claim on its own range (first_claim_chunks).
 *
 * Claims are few because every claim is a compare-exchange, and a locked
 * instruction waits until all the claiming core's earlier stores are
 * written: after a chunk written out of place, tens of nanoseconds.
 * Measured on the Xeon VM in a two-thread kernel loop, 50000 f32 per
 * thread out of place in 8 chunks, a compare-exchange after each chunk
 * made each thread's half 0.4 us slower (4.6-4.7 -> 5.1 us).  C driver, 2
 * threads over 1 at 1e5 elements, three alternations of the builds, one
 * chunk per claim -> halves: f32 out of place 1.58-1.59x -> 1.66-1.71x, in
 * place 1.53-1.60x -> 1.61-1.64x; bf16 1.60-1.61x -> 1.60-1.62x and
 * 1.62-1.66x -> 1.62-1.68x.
 *
 * They are no larger because a claimed chunk is the claimer's to run, and a
 * vCPU woken from sleep runs slowly for a while: with the owner taking all
 * but an eighth (7, then 1), the caller waited for such a worker's 7 chunks
 * (pooled calls of 10-12 us at 1e5 f32 in place, 7 us alone), the pool's
 * account backed off again and again, and in the benchmark with PyTorch in
 * the process two threads ran at one thread's speed (1e5 f32 in place,
 * 0.99-1.06x in 4 runs of 4).  With halves the caller takes the half the
 * slow worker has not claimed yet: 1.30-1.43x in 4 runs (one chunk per
 * claim: 1.37-1.38x in 3). */
static size_t chunks_per_claim(size_t left)
{
    return (left + 1) / 2;
}

/* A worker's first claim on its own range takes a quarter of it, rounded
 * up: 8 chunks go as 2, 3, 2, 1, as many claims as halves (ranges of 3, 6
 * or 7 chunks take one claim more).  Others taking from a range whose
 * owner has not started take halves: a worker that arrives meanwhile then
 * holds no more than half of what is left.  A worker's first chunks are
 * its slowest: it may be a vCPU just woken, and data the calling thread
 * wrote just before the call is in the caller's cache, so the worker
 * fetches its chunks' lines from there while the caller runs its own from
 * its own cache.  Timed on the Xeon VM, f32 at
 * 1e5, the input written by the caller (np.copyto) before every call, 5
 * alternations of the builds: two threads ran at 0.92-0.99x of one
 * thread's speed with a first claim of half, the caller waiting for the 4
 * chunks such a worker holds, and at 0.94-1.09x with a quarter (higher in
 * 9 of the 10 pairs).  Calls on data where the previous call left it ran
 * as before, within the VM's noise (C loop, 4 alternations: out of place
 * 1.56-1.71x against 1.61-1.75x, in place 1.47-1.69x against 1.39-1.68x).
 * The caller's own first claim, made with the job, stays a half: it starts
 * first, with its data at hand. */
static size_t first_claim_chunks(size_t range)
{
    return (range + 3) / 4;
}

/* Claims chunks [*first, *first + *count) of job `j` from participant k's
 * home range, as its owner or not; false when the range has none left (or
 * a newer job replaced `j`). */
static bool claim_chunks(const job *j, int k, bool owner, size_t *first, size_t *count)
{
    _Atomic uint64_t *next_claim = &home_ranges[k].next_claim;
    const size_t begin = home_range_begin(j->num_chunks, j->participants, k);
    const size_t end = home_range_begin(j->num_chunks, j->participants, k + 1);
    uint64_t claim = atomic_load_explicit(next_claim, memory_order_relaxed);
    for (;;) {
        const size_t next = (size_t)(claim & 0xFFFFFFFFu);
        if ((uint32_t)(claim >> 32) != j->generation || next >= end) {
            return false;
        }
        const size_t take = owner && next == begin ? first_claim_chunks(end - begin) : chunks_per_claim(end - next);
        if (atomic_compare_exchange_weak_explicit(next_claim, &claim, claim + take, memory_order_acquire,
                                                  memory_order_relaxed)) {
            *first = next;
            *count = take;
            return true;
        }
    }
}

/* Runs the chunks left in participant k's home range, as its owner or
 * not; returns how many. */
static size_t run_range_chunks(const job *j, int k, bool owner)
{
    size_t ran = 0;
    size_t first, count;
    while (claim_chunks(j, k, owner, &first, &count)) {
        j->run(j->context, first, count);
        ran += count;
    }
    return ran;
}

/* Whether participant k's home range has unclaimed chunks left although
 * some were claimed: its owner is running, behind the caller (or, with
 * more than two threads, another worker is taking from it). */
static bool range_running(const job *j, int k)
{
    const uint64_t claim = atomic_load_explicit(&home_ranges[k].next_claim, memory_order_relaxed);
    const size_t next = (size_t)(claim & 0xFFFFFFFFu);
    return (uint32_t)(claim >> 32) == j->generation && next > home_range_begin(j->num_chunks, j->participants, k) &&
           next < home_range_begin(j->num_chunks, j->participants, k + 1);
}

/* The caller, its home range done, takes what is left of the workers'
 * ranges; returns how many chunks it ran, and in *waited_ns how long it
 * waited instead (the account must not count that as the pace of its
 * chunks).
 *
 * From a worker that has not started it takes at once (the worker may be
 * asleep, or without a CPU).  From one that is running it takes only if
 * the worker has not claimed the rest of its range within grace_ns, one of
 * the caller's own chunk times (at most PG_GRACE_MAX_NS): a worker that
 * started a little after the caller (publishing a job takes a cache line's
 * trip between cores, ~150 ns on the Xeon VM) would otherwise lose its last chunk to the caller on
 * nearly every call, and a taken chunk runs slowly on the taker (its data
 * is in the owner's cache) and leaves its lines in the taker's cache, to be
 * fetched back by the owner on the next call.  Traced on the Xeon VM, C
 * driver, 1e5 f32 in place with the data restored by the caller every 8
 * calls (as the benchmark does): the caller took from the worker in 35 %
 * of the pooled calls, 18 % with the grace (README, "CPU dispatch and
 * threads", has what it gained).  A worker that stalls costs the
 * call at most the grace more than without it.  Workers take from
 * others without a grace: the caller starts first, so a caller with chunks
 * left is rarely one that is just behind. */
static size_t take_from_workers(const job *j, int64_t grace_ns, int64_t *waited_ns)
{
    size_t ran = 0;
    /* First the ranges whose owners have not started (or are done): with
     * more than two threads, a worker without a CPU must not wait for the
     * grace the caller gives another. */
    for (int k = 1; k < j->participants; ++k) {
        if (grace_ns == 0 || !range_running(j, k)) {
            ran += run_range_chunks(j, k, false);
        }
    }
    /* Then the running ones, after the grace (a range that was not running
     * above has nothing left now: it was taken, or its owner finished). */
    int64_t waited = 0, deadline = 0;
    for (int k = 1; k < j->participants && grace_ns > 0; ++k) {
        if (!range_running(j, k)) {
            continue;
        }
        const int64_t wait_started = pg_monotonic_ns();
        int64_t now = wait_started;
        if (deadline == 0) {
            deadline = wait_started + grace_ns; /* one grace for the whole call */
        }
        for (unsigned i = 1; range_running(j, k) && (now = pg_monotonic_ns()) < deadline; ++i) {
            PG_CPU_RELAX();
            if (i % 64 == 0) {
                sched_yield(); /* as wait_for_chunks: the worker may be waiting for this CPU */
            }
        }
        waited += now - wait_started;
        ran += run_range_chunks(j, k, false);
    }
    *waited_ns = waited;
    return ran;
}

/* A worker reports the chunks it ran as soon as its home range is done,
 * before it looks at anyone else's range (that look moves a cache line,
 * ~150 ns on the Xeon VM, and the caller may be waiting only for
 * this report), and again after any chunks it took from others: one
 * shared line written once or twice per worker and job, not per chunk.
 * The chunks' writes happen before the caller sees them done.  Sequentially
 * consistent with the caller's wait_for_chunks: either the caller sees the
 * count, or this sees caller_sleeping and signals. */
static void report_chunks_finished(size_t ran)
{
    pool *p = &the_pool;
    if (ran == 0) {
        return;
    }
    atomic_fetch_add_explicit(&p->chunks_finished, ran, memory_order_seq_cst);
    if (atomic_load_explicit(&p->caller_sleeping, memory_order_seq_cst)) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->lock);
    }
}

/* A worker's share of job `j`: its home range, then the others'. */
static void work_on_job(const job *j, int participant)
{
    report_chunks_finished(run_range_chunks(j, participant, true));
    size_t taken = 0;
    for (int step = 1; step < j->participants; ++step) {
        taken += run_range_chunks(j, (participant + step) % j->participants, false);
    }
    report_chunks_finished(taken);
}

/* A job leaves the worker's L1 full of lines its chunks wrote.  A line
 * written back to L2 makes way for each line the next job brings in, and
 * that traffic shares the L1's port to L2 with the job's own loads.  The
 * caller comes back to the next call with an L1 that its own code (the
 * Python interpreter, say) has filled with clean lines in between, so it
 * starts at full speed and the worker did not: on the Xeon VM, 1e5 f32 in
 * place, the worker's first two chunks ran at 0.52 us each against 0.41
 * for the caller's first four, and its range (5 % smaller) finished after
 * the caller's, which then waited 0.79-0.83 us (medians, traced with rdtsc
 * stamps, 8,000 calls).  So after a job the worker reads PG_L1_ROOM_BYTES
 * of its own clean lines, while it would only spin: the dirty lines go to
 * L2 then, not in the next job.  Traced again: 0.36 us per chunk, a wait of
 * 0.15-0.17 us, and two threads over one from 1.38-1.40x to 1.53-1.55x
 * (calls from Python; 2 processes each, alternated).  In the benchmark's
 * 1e5 groups (3 alternations of the builds) f32 in place went from
 * 1.41-1.47x to 1.52-1.56x; f32 out of place and the 16-bit types, whose
 * kernels do more arithmetic per byte, moved within the noise.  The lines
 * read take room in L2 too: read after every job, they cost f32 out of
 * place at 3e5 elements (1.2 MB per thread) 7 % (3.43-3.83x -> 3.07-3.33x
 * in 3 alternations), hence PG_L1_ROOM_MAX_BYTES.  A new job stops the
 * reading within 16 lines. */
static void make_room_in_l1(const volatile unsigned char *room, uint32_t seen_sequence)
{
    pool *p = &the_pool;
    for (size_t offset = 0; offset < PG_L1_ROOM_BYTES; offset += 64) {
        (void)room[offset];
        if (offset % 1024 == 1024 - 64 &&
            atomic_load_explicit(&p->job_sequence, memory_order_relaxed) != seen_sequence) {
            return;
        }
    }
}

/* Spins until the published sequence differs from `seen` (true), or the
 * pool stops or the spin budget runs out (false). */
static bool spin_for_job(uint32_t seen)
{
    pool *p = &the_pool;
    int64_t deadline = pg_monotonic_ns() + PG_WORKER_SPIN_NS;
    for (unsigned i = 1;; ++i) {
        if (atomic_load_explicit(&p->job_sequence, memory_order_relaxed) != seen) {
            return true;
        }
        if (atomic_load_explicit(&p->stopping, memory_order_relaxed) ||
            atomic_load_explicit(&p->resting, memory_order_relaxed)) {
            return false;
        }
        PG_CPU_RELAX();
        if (i % 64 == 0) {
            if (pg_monotonic_ns() > deadline) {
                return false;
            }
            /* Give the CPU away if anything else wants it: when threads
             * outnumber the CPUs we really get (a busy machine, a VM), a
             * spinning worker must not stand in the caller's way. */
            sched_yield();
        }
    }
}

static void *worker_main(void *argument)
{
    const int participant = (int)(intptr_t)argument + 1;
    pool *p = &the_pool;
#if defined(__linux__)
    /* So top -H, perf and /proc tell pygraph's workers from the rest. */
    pthread_setname_np(pthread_self(), "pygraph-worker");
#endif
    /* Lines of the worker's own (make_room_in_l1), written once so that
     * each page is a page of its own, not the shared zero page. */
    _Alignas(64) unsigned char l1_room[PG_L1_ROOM_BYTES];
    memset(l1_room, 0, sizeof l1_room);
    /* Odd: no published sequence equals it, so a new worker looks at the
     * job published as it starts (often the one that started it). */
    uint32_t seen_sequence = 1;
    uint32_t seen_generation = 0; /* jobs are numbered from 1 */
    for (;;) {
        job j;
        uint32_t sequence;
        if (!read_job(&j, &sequence)) {
            sched_yield(); /* a publication in progress: its caller may need this CPU */
            continue;
        }
        if (sequence != seen_sequence) {
            seen_sequence = sequence;
            if (j.generation != seen_generation && participant < j.participants) {
                seen_generation = j.generation;
                work_on_job(&j, participant);
                if (j.make_room) {
                    make_room_in_l1(l1_room, seen_sequence);
                }
            }
            continue;
        }
        if (atomic_load_explicit(&p->stopping, memory_order_relaxed)) {
            break;
        }
        if (atomic_load_explicit(&p->spinning_pays, memory_order_relaxed) && spin_for_job(seen_sequence)) {
            continue;
        }
        /* Sleep until the sequence moves.  The caller publishes before it
         * takes `lock` to look for sleepers, so a job published before
         * this check is seen here, and one published after finds us
         * counted in `sleeping`. */
        pthread_mutex_lock(&p->lock);
        while (!p->shut_down && atomic_load_explicit(&p->job_sequence, memory_order_acquire) == seen_sequence) {
            p->sleeping += 1;
            pthread_cond_wait(&p->wake, &p->lock);
            p->sleeping -= 1;
        }
        bool shut_down = p->shut_down;
        pthread_mutex_unlock(&p->lock);
        if (shut_down) {
            break;
        }
    }
    return NULL;
}

/* Starts workers until there are `wanted` (called with `lock` held).  A
 * thread that cannot be created just means fewer helpers. */
static void start_workers(int wanted)
{
    pool *p = &the_pool;
    if (p->num_workers >= wanted) {
        return;
    }
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) {
        return;
    }
    pthread_attr_setstacksize(&attributes, PG_WORKER_STACK_BYTES);
    /* Workers block every signal, so signals keep going to the
     * application's threads (Python handles them on its main thread). */
    sigset_t all_signals, previous;
    sigfillset(&all_signals);
    pthread_sigmask(SIG_SETMASK, &all_signals, &previous);
    while (p->num_workers < wanted) {
        if (pthread_create(&p->workers[p->num_workers], &attributes, worker_main,
                           (void *)(intptr_t)p->num_workers) != 0) {
            break;
        }
        p->num_workers += 1;
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    /* Spinning helps only when every thread can have a CPU of its own.
     * Decided when the pool grows, not per call: sched_getaffinity is a
     * system call, a tenth of a small call's time. */
    atomic_store_explicit(&p->spinning_pays, p->num_workers < online_cpus(), memory_order_relaxed);
}

/* In a forked child only the forking thread exists: forget the parent's
 * workers and start from a fresh pool on the next call.  The locks may have
 * been held by threads that no longer exist, so they are made anew, and a
 * job the parent was half-way through publishing is closed.  A call another
 * thread of the parent was in the middle of is gone with that thread, but
 * its job stays published and its ranges may hold unclaimed chunks: a
 * worker the child starts reads the published job first (worker_main), and
 * could run those chunks on the child's copies of the buffers, which the
 * child may have freed and reused by then.  So every range is closed
 * (generation 0 belongs to no job) and no claim of that job succeeds. */
static void reset_in_child(void)
{
    pool *p = &the_pool;
    pthread_mutex_init(&p->call_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->num_workers = 0;
    p->sleeping = 0;
    uint32_t sequence = atomic_load_explicit(&p->job_sequence, memory_order_relaxed);
    atomic_store_explicit(&p->job_sequence, sequence + sequence % 2, memory_order_relaxed);
    for (int k = 0; k < PG_MAX_THREADS; ++k) {
        atomic_store_explicit(&home_ranges[k].next_claim, 0, memory_order_relaxed);
    }
    atomic_store_explicit(&p->caller_sleeping, false, memory_order_relaxed);
    atomic_store_explicit(&p->resting, false, memory_order_relaxed); /* a probe's, cut short by the fork */
    p->account = (pg_pool_account){0}; /* the child's CPUs are not its parent's */
    atomic_store_explicit(&p->alone_until_ns, 0, memory_order_relaxed);
}

static void init_pool_once(void)
{
    pthread_atfork(NULL, NULL, reset_in_child);
}

/* Joins the workers when the process exits or the library is unloaded, so
 * no thread runs library code after it is gone.  Later calls run alone. */
__attribute__((destructor)) static void shut_down_pool(void)
{
    pool *p = &the_pool;
    pthread_mutex_lock(&p->call_lock);
    pthread_mutex_lock(&p->lock);
    p->shut_down = true;
    atomic_store_explicit(&p->stopping, true, memory_order_relaxed);
    pthread_cond_broadcast(&p->wake);
    int num_workers = p->num_workers;
    p->num_workers = 0;
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < num_workers; ++i) {
        pthread_join(p->workers[i], NULL);
    }
    pthread_mutex_unlock(&p->call_lock);
}

/*
 * Some schedulers queue a woken thread on the CPU of the thread that woke it
 * even while another CPU is idle.  The Zen 4 EPYC VM's does (its kernel
 * packs threads onto few vCPUs): once other sleeping threads were in the
 * process (PyTorch's and oneDNN's OpenMP workers), the worker woken for a
 * call queued behind the caller and ran none of the call's chunks, so two
 * threads ran at one thread's speed (1e6 bf16: 63-65 us for both, against
 * 33-37 with the worker's help).  So the workers of a job are kept off the
 * caller's CPU before they are woken from sleep, and by the call that
 * starts them: their affinity becomes the caller's, as it is now, minus the
 * CPU the caller is on.  It stays so until the next wake from sleep sets it
 * again (a different caller, CPU or affinity gets its own, unless it comes
 * while the workers still spin).  Only on these paths: such a call pays a
 * futex wake or a thread's start already.
 *
 * A caller pinned to its one CPU (an application's per-core thread) leaves
 * the workers the CPUs they may use already, minus the caller's: worker 0's
 * set stands for all, as every wake sets them alike.
 *
 * Returns how many of the `helpers` wanted can have a CPU other than the
 * caller's: 0 when neither the caller nor the workers may use another
 * (taskset -c 0 with more threads asked for).  The call then runs alone: a
 * helper could only take turns with the caller on its CPU, and measured so
 * on the Zen 4 VM, 2 threads on one CPU ran 1e5 f32 at 0.48-0.83x of one
 * thread's speed.  Called with `lock` held, before the job is published;
 * the workers concerned are asleep or new (they inherit the affinity of the
 * thread that started them: a caller pinned to one CPU that started the
 * pool ran its first call on one CPU with the workers, test_kernel_choice
 * found).
 */
static int keep_workers_off_callers_cpu(pool *p, int helpers)
{
#if defined(__linux__)
    int here = sched_getcpu();
    cpu_set_t allowed;
    if (here < 0 || here >= CPU_SETSIZE || sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        return helpers; /* nothing known: leave the workers as they are */
    }
    CPU_CLR(here, &allowed);
    if (CPU_COUNT(&allowed) == 0) {
        if (pthread_getaffinity_np(p->workers[0], sizeof allowed, &allowed) != 0) {
            return helpers;
        }
        CPU_CLR(here, &allowed);
    }
    int other_cpus = CPU_COUNT(&allowed);
    if (helpers > other_cpus) {
        helpers = other_cpus;
    }
    for (int i = 0; i < helpers; ++i) { /* helpers <= num_workers (pg_parallel_for) */
        pthread_setaffinity_np(p->workers[i], sizeof allowed, &allowed);
    }
#else
    (void)p;
#endif
    return helpers;
}

/* Waits until the workers have reported `expected` chunks finished:
 * spinning first (the last chunks are usually microseconds from done),
 * then asleep.  `now` is the time the wait starts; returns false when
 * there was nothing to wait for. */
static bool wait_for_chunks(size_t expected, int64_t now)
{
    pool *p = &the_pool;
    if (atomic_load_explicit(&p->chunks_finished, memory_order_acquire) >= expected) {
        return false;
    }
    int64_t deadline = now + PG_CALLER_SPIN_NS;
    for (unsigned i = 1; atomic_load_explicit(&p->chunks_finished, memory_order_acquire) < expected; ++i) {
        PG_CPU_RELAX();
        if (i % 64 != 0) {
            continue;
        }
        /* Yield as the worker does: the chunk we wait for may be running
         * on this very CPU. */
        sched_yield();
        if (pg_monotonic_ns() > deadline) {
            pthread_mutex_lock(&p->lock);
            atomic_store_explicit(&p->caller_sleeping, true, memory_order_seq_cst);
            while (atomic_load_explicit(&p->chunks_finished, memory_order_seq_cst) < expected) {
                pthread_cond_wait(&p->done, &p->lock);
            }
            atomic_store_explicit(&p->caller_sleeping, false, memory_order_relaxed);
            pthread_mutex_unlock(&p->lock);
            return true;
        }
    }
    return true;
}

/* Sends spinning workers to sleep and waits until all are asleep (a probe
 * times the caller alone: on a VM whose vCPUs take turns on one core, a
 * spinning worker slows it as much as a working one).  False when they
 * were not within PG_REST_WAIT_NS; `lock` is only tried, so a worker that
 * lost its CPU while holding it cannot stretch the wait.  Called with
 * call_lock held: no job is published meanwhile, so a sleeping worker
 * stays asleep.  One still on its way out of the latest job's wake-up
 * counts as asleep: it finds no chunk left to claim and, `resting` being
 * set until the caller's timed call is over, goes back to sleep without
 * spinning. */
static bool rest_workers(pool *p)
{
    atomic_store_explicit(&p->resting, true, memory_order_relaxed);
    int64_t deadline = pg_monotonic_ns() + PG_REST_WAIT_NS;
    bool all_asleep = false;
    for (unsigned i = 1;; ++i) {
        if (pthread_mutex_trylock(&p->lock) == 0) {
            all_asleep = p->sleeping >= p->num_workers;
            pthread_mutex_unlock(&p->lock);
        }
        if (all_asleep) {
            break;
        }
        PG_CPU_RELAX();
        if (i % 16 == 0) {
            sched_yield(); /* a worker on this CPU needs it to go to sleep */
            if (pg_monotonic_ns() > deadline) {
                break;
            }
        }
    }
    return all_asleep;
}

/* A probe's call of `pace`'s shape (pool_account.h), run alone: the first
 * warms the caches and sends the workers to sleep, the second is timed
 * with them asleep. */
static void run_probe_call(pool *p, pg_shape_pace *pace, pg_probe_step step, size_t num_chunks, pg_chunk_fn *run,
                           void *context)
{
    if (!rest_workers(p)) {
        run(context, 0, num_chunks);
        pg_pool_account_probe_given_up(pace, pg_monotonic_ns());
    } else if (step == PG_PROBE_WARM) {
        run(context, 0, num_chunks);
        pg_pool_account_probe_warmed(pace);
    } else {
        const int64_t started = pg_monotonic_ns();
        run(context, 0, num_chunks);
        pg_pool_account_probed(pace, started, pg_monotonic_ns(), num_chunks);
    }
    atomic_store_explicit(&p->resting, false, memory_order_relaxed);
}

/* Wakes the workers that sleep (called with call_lock held, the job
 * published) and tells the account (its misses wait for them); returns
 * the time the wake-up took, 0 when none slept. */
static int64_t wake_sleeping_workers(pool *p)
{
    int64_t took = 0;
    pthread_mutex_lock(&p->lock); /* a line no worker touches while it spins */
    if (p->sleeping > 0) {
        const int64_t start = pg_monotonic_ns();
        pthread_cond_broadcast(&p->wake);
        took = pg_monotonic_ns() - start;
        pg_pool_account_woke(&p->account, start);
    }
    pthread_mutex_unlock(&p->lock);
    return took;
}

void pg_parallel_for(size_t num_chunks, int max_threads, uint64_t shape, size_t chunk_bytes, pg_chunk_fn *run,
                     void *context)
{
    pool *p = &the_pool;
    if (num_chunks <= 1 || max_threads <= 1 || num_chunks > 0xFFFFFFFFu) {
        goto alone;
    }
    int helpers = max_threads - 1;
    if (helpers > PG_MAX_WORKERS) {
        helpers = PG_MAX_WORKERS;
    }
    if ((size_t)helpers > num_chunks - 1) {
        helpers = (int)(num_chunks - 1);
    }
    pthread_once(&pool_once, init_pool_once);
    const int64_t started = pg_monotonic_ns();
    if (started < atomic_load_explicit(&p->alone_until_ns, memory_order_relaxed)) {
        goto alone; /* backing off: the latest calls cost more than they saved */
    }
    if (pthread_mutex_trylock(&p->call_lock) != 0) {
        goto alone; /* another call owns the pool: never wait for it */
    }
    pg_shape_pace *pace = shape != 0 ? pg_pool_account_shape(&p->account, shape) : NULL;
    pg_probe_step probe = pace != NULL ? pg_pool_account_probe_step(pace, started) : PG_PROBE_NONE;
    if (probe != PG_PROBE_NONE) {
        run_probe_call(p, pace, probe, num_chunks, run, context);
        pthread_mutex_unlock(&p->call_lock);
        return;
    }
    if (atomic_load_explicit(&p->resting, memory_order_relaxed)) {
        atomic_store_explicit(&p->resting, false, memory_order_relaxed); /* a back-off's: it is over */
    }
    pthread_mutex_lock(&p->lock);
    bool workers_new = false;
    if (!p->shut_down) {
        const int had_workers = p->num_workers;
        start_workers(helpers);
        workers_new = p->num_workers > had_workers;
        if (workers_new) {
            pg_pool_account_woke(&p->account, started); /* new threads arrive as late as woken ones */
        }
    }
    if (p->shut_down || p->num_workers == 0) {
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_unlock(&p->call_lock);
        goto alone;
    }
    if (helpers > p->num_workers) {
        helpers = p->num_workers; /* home ranges only for threads that exist */
    }
    const bool workers_asleep = p->sleeping > 0;
    if (workers_asleep || workers_new) {
        helpers = keep_workers_off_callers_cpu(p, helpers);
    }
    pthread_mutex_unlock(&p->lock);
    if (helpers == 0) {
        pthread_mutex_unlock(&p->call_lock);
        goto alone;
    }

    p->generation += 1;
    if (p->generation == 0) {
        p->generation = 1; /* 0 means "no job seen yet" to a worker */
    }
    const int participants = helpers + 1;
    job j = {.run = run, .context = context, .num_chunks = num_chunks, .generation = p->generation,
             .participants = participants,
             .make_room = chunk_bytes != 0 && chunk_bytes <= PG_L1_ROOM_MAX_BYTES * (size_t)participants / num_chunks};
    /* Every worker of the previous job has reported (the caller waited for
     * it), so nothing else writes these now. */
    atomic_store_explicit(&p->chunks_finished, 0, memory_order_relaxed);
    /* The caller's first claim is made here, with the job: it claims first
     * anyway, and a compare-exchange right after publishing would wait
     * until the job's lines, which spinning workers read, have left their
     * caches.  (So the caller always runs a chunk: one that loses its CPU
     * right after publishing holds these as it would have a moment later.) */
    const size_t callers_first_claim = chunks_per_claim(home_range_begin(num_chunks, j.participants, 1));
    for (int k = 0; k < j.participants; ++k) {
        uint64_t begin = home_range_begin(num_chunks, j.participants, k) + (k == 0 ? callers_first_claim : 0);
        atomic_store_explicit(&home_ranges[k].next_claim, (uint64_t)j.generation << 32 | begin,
                              memory_order_relaxed);
    }
    publish_job(&j); /* release: the counters above are visible with it */
    if (workers_asleep) {
        wake_sleeping_workers(p); /* before `begun`: not the caller's pace */
    }

    /* The account charges the call everything from `started`, but paces
     * the caller's chunks from here, leaving out what it did in between
     * that running alone would not (`not_running`): running alone pays for
     * neither the publishing nor a wake-up nor a grace.  A wake-up (a few
     * microseconds of the caller's time, more for a late worker) stays well
     * inside the debt that triggers a back-off, so the first call after a
     * pause is judged like any other. */
    const int64_t begun = pg_monotonic_ns();
    run(context, 0, callers_first_claim);
    int64_t not_running = 0;
    if (!workers_asleep) {
        /* A worker that went to sleep since the look above is woken now,
         * with the affinity it had.  Not before the first chunks: taking
         * `lock` is a locked instruction, which would wait, as a claim
         * would, for the job's lines to leave the workers' caches (~0.1 us
         * of a 1e5-element call on the Xeon VM); now they have. */
        not_running += wake_sleeping_workers(p);
    }
    size_t ran = callers_first_claim + run_range_chunks(&j, 0, true);
    /* No grace where threads outnumber CPUs: the worker waited for may be
     * waiting for the caller's. */
    int64_t grace_ns = 0;
    if (pace != NULL && atomic_load_explicit(&p->spinning_pays, memory_order_relaxed)) {
        grace_ns = pace->pooled_ns_per_chunk < PG_GRACE_MAX_NS ? (int64_t)pace->pooled_ns_per_chunk : PG_GRACE_MAX_NS;
    }
    int64_t waited = 0;
    ran += take_from_workers(&j, grace_ns, &waited);
    not_running += waited;
    const int64_t own_done = pg_monotonic_ns();
    const int64_t finished = wait_for_chunks(num_chunks - ran, own_done) ? pg_monotonic_ns() : own_done;
    const pg_pooled_call call = {.started = started, .begun = begun, .own_done = own_done, .not_running = not_running,
                                 .finished = finished, .ran = ran, .num_chunks = num_chunks, .pace = pace};
    int64_t alone_until = pg_pool_account_settle(&p->account, &call);
    if (alone_until != 0) {
        atomic_store_explicit(&p->alone_until_ns, alone_until, memory_order_relaxed);
        /* Calls run alone until then (at least 1 ms, as long as a
         * worker's spin): the workers sleep through it instead of taking
         * a CPU the caller or whoever stalled them may want. */
        atomic_store_explicit(&p->resting, true, memory_order_relaxed);
    }
    pthread_mutex_unlock(&p->call_lock);
    return;

alone:
    run(context, 0, num_chunks);
}
