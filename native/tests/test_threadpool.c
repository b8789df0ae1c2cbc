/*
 * test_threadpool.c — what the thread pool promises when a worker stalls.
 *
 * Unlike the other C tests this one drives an internal function,
 * pg_parallel_for, with chunk functions of its own: a chunk run on a worker
 * can sleep, which stands for a worker that keeps losing its CPU in the
 * middle of a call (a busy machine, a VM whose other vCPU is slow).  The
 * stalls are far longer than anything the pool measures otherwise, so the
 * checks can count what ran where, with wide margins, instead of timing
 * anything.  A worker whose chunks slow the caller's is simulated the same
 * way, by a factor far beyond what the probes must detect.  It needs two CPUs (with one, calls never wake a worker) and
 * reports itself skipped otherwise.
 */
#define _GNU_SOURCE /* nanosleep, clock_gettime, sched_getaffinity with -std=c11 */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernels/threadpool.h"
#include "test_util.h"

#define NUM_CHUNKS 16
/* Each chunk keeps its thread busy this long, so that two threads would
 * halve a call: 0.8 ms alone, long enough for a worker woken from sleep to
 * join it (waking one took up to ~0.2 ms on a VM). */
#define CHUNK_WORK_NS 50000
/* What the calls tell the pool a chunk touches: small enough that the
 * workers make room in their L1 after every job, so every test runs that
 * path too (under the sanitizers as well). */
#define CHUNK_BYTES 1024
/* How long a stalling worker sleeps in each run of chunks it is given. */
#define STALL_NS 2000000


static int64_t now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* How the workers behave in a call. */
typedef enum workers_kind {
    WORKERS_HELP,
    WORKERS_STALL, /* sleep STALL_NS in every run of chunks given to a worker */
    WORKERS_SLOW,  /* while a worker runs a chunk, every chunk takes SHARED_CHUNK_WORK_NS */
    WORKERS_LAG,   /* a worker's run of chunks ends only once the caller has run every other chunk */
    WORKERS_BEHIND, /* a worker starts BEHIND_NS late, then runs at the caller's pace */
} workers_kind;

/* A worker far slower than the caller (on the VMs, one on a vCPU just woken
 * from sleep runs slowly for a while), without timing: each run of chunks
 * it is given lasts until the caller has run all the other chunks of the
 * call, or at most this long (a caller that lost its CPU). */
#define LAG_MAX_NS 100000000

/* A worker that starts a chunk and a quarter after the caller: it claims
 * its last chunk a quarter of a chunk after the caller has run its own,
 * well inside the caller's grace of one chunk time (threadpool.c,
 * take_from_workers). */
#define BEHIND_NS (CHUNK_WORK_NS + CHUNK_WORK_NS / 4)
/* Calls count only if the worker began its first run at most this long
 * after the caller: one that has to wait for its CPU (a spinning worker
 * yields it to anything else runnable) is behind by more than that, and
 * the caller rightly takes its chunk. */
#define BEHIND_COUNTED_LAG_NS (CHUNK_WORK_NS / 4)

/* A VM whose two vCPUs take turns on one core, exaggerated: while both
 * work, each chunk takes 4 times as long, so two threads take twice as
 * long as one.  A probe that met a stall (a worker descheduled in the
 * pooled call it compares with) still reads well above the 2 that
 * tells the account the pool loses. */
#define SHARED_CHUNK_WORK_NS (CHUNK_WORK_NS * 4)

/* Runs of chunks that WORKERS_SLOW workers are running. */
static _Atomic int chunks_on_workers;

typedef struct call_state {
    pthread_t caller;
    workers_kind workers;
    _Atomic int runs[NUM_CHUNKS];  /* how often each chunk ran in this call */
    _Atomic size_t worker_chunks; /* chunks run by a thread other than the caller */
    _Atomic int run_calls;        /* calls of run_chunks, by any thread */
    _Atomic int whole_runs;       /* of those, runs of every chunk at once */
    _Atomic size_t caller_chunks; /* chunks the caller has finished */
    _Atomic int64_t caller_began; /* when the caller's first run of chunks began (0: not yet) */
    _Atomic int64_t worker_began; /* when a worker's first run of chunks began (0: not yet) */
} call_state;

static void busy_for(int64_t ns)
{
    int64_t until = now_ns() + ns;
    while (now_ns() < until) {
    }
}

static void run_chunks(void *context, size_t first_chunk, size_t num_chunks)
{
    call_state *state = context;
    bool on_worker = !pthread_equal(pthread_self(), state->caller);
    int64_t not_yet = 0;
    bool first_run = atomic_compare_exchange_strong(on_worker ? &state->worker_began : &state->caller_began,
                                                    &not_yet, now_ns());
    atomic_fetch_add(&state->run_calls, 1);
    if (first_chunk == 0 && num_chunks == NUM_CHUNKS) {
        atomic_fetch_add(&state->whole_runs, 1);
    }
    for (size_t i = 0; i < num_chunks; ++i) {
        atomic_fetch_add(&state->runs[first_chunk + i], 1);
    }
    if (on_worker) {
        atomic_fetch_add(&state->worker_chunks, num_chunks);
        if (state->workers == WORKERS_STALL) {
            struct timespec stall = {.tv_sec = 0, .tv_nsec = STALL_NS};
            nanosleep(&stall, NULL);
            return;
        }
        if (state->workers == WORKERS_SLOW) {
            atomic_fetch_add(&chunks_on_workers, 1);
            busy_for((int64_t)num_chunks * SHARED_CHUNK_WORK_NS);
            atomic_fetch_sub(&chunks_on_workers, 1);
            return;
        }
        if (state->workers == WORKERS_BEHIND && first_run) {
            busy_for(BEHIND_NS);
        }
        if (state->workers == WORKERS_LAG) {
            int64_t give_up = now_ns() + LAG_MAX_NS;
            while (atomic_load(&state->caller_chunks) < NUM_CHUNKS - num_chunks && now_ns() < give_up) {
            }
            return;
        }
    }
    for (size_t i = 0; i < num_chunks; ++i) {
        bool shared = state->workers == WORKERS_SLOW && atomic_load(&chunks_on_workers) > 0;
        busy_for(shared ? SHARED_CHUNK_WORK_NS : CHUNK_WORK_NS);
    }
    if (!on_worker) {
        atomic_fetch_add(&state->caller_chunks, num_chunks);
    }
}

/* One two-thread call of job shape `shape` (0: none, never probed) with
 * the fresh `state` (which records what ran where); returns how many
 * chunks a worker ran (0: the caller ran them all).  Every chunk must run
 * exactly once, whoever runs it, and a run of every chunk at once must be
 * the call's only run, on the caller: plan.c takes it for one thread's work
 * (threadpool.h). */
static size_t call_with_two_threads(call_state *state, uint64_t shape)
{
    pg_parallel_for(NUM_CHUNKS, 2, shape, CHUNK_BYTES, run_chunks, state);
    for (int chunk = 0; chunk < NUM_CHUNKS; ++chunk) {
        int runs = atomic_load(&state->runs[chunk]);
        CHECK_EXPLAINED(runs == 1, "chunk %d ran %d times", chunk, runs);
    }
    const int whole_runs = atomic_load(&state->whole_runs), run_calls = atomic_load(&state->run_calls);
    const size_t worker_chunks = atomic_load(&state->worker_chunks);
    CHECK_EXPLAINED(whole_runs == 0 || (run_calls == 1 && worker_chunks == 0),
                    "a run of all %d chunks among %d runs (%zu chunks on a worker)", NUM_CHUNKS, run_calls,
                    worker_chunks);
    return worker_chunks;
}

/* The same with workers of kind `workers`. */
static size_t call_workers(workers_kind workers, uint64_t shape)
{
    call_state state = {.caller = pthread_self(), .workers = workers};
    return call_with_two_threads(&state, shape);
}

/* Claims take runs of chunks, not one chunk each (a claim is a locked
 * instruction, which waits for the claimer's stores: threadpool.c,
 * chunks_per_claim).  Each thread's home range holds 8 of the 16 chunks, and
 * every claim on a range takes at least half of what is left there (a
 * worker's first on its own range a quarter of the range: 2, 3, 2, 1), so
 * a range goes in at most 4 claims and a call in at most 8 runs, whoever
 * runs them, where one chunk per claim made 16.  Counted over calls a worker
 * helped with (up to 3 s for 20 of them), since a call run alone is a single
 * run anyway. */
static void test_chunks_are_claimed_in_runs(void)
{
    const int64_t deadline = now_ns() + 3000000000LL;
    int helped = 0;
    int most_runs = 0;
    while (helped < 20 && now_ns() < deadline) {
        call_state state = {.caller = pthread_self(), .workers = WORKERS_HELP};
        if (call_with_two_threads(&state, 0) > 0) {
            int runs = atomic_load(&state.run_calls);
            helped += 1;
            most_runs = runs > most_runs ? runs : most_runs;
        }
    }
    CHECK_EXPLAINED(helped > 0, "no worker joined a call within 3 s");
    CHECK_EXPLAINED(most_runs <= NUM_CHUNKS / 2, "a call of %d chunks on two threads ran in %d runs (at most %d)",
                    NUM_CHUNKS, most_runs, NUM_CHUNKS / 2);
}

/* Two-thread calls of `shape` until a worker has helped with 40 that
 * count (or 3 s have passed): calls whose worker began its first run of
 * chunks at most max_lag_ns after the caller began its own.  Checks that
 * a worker helped at all. */
typedef struct helped_calls {
    int counted; /* calls a worker helped with, in time */
    int within;  /* of those, calls in which it ran between `least` and `most` chunks */
} helped_calls;

static helped_calls calls_helped(workers_kind workers, uint64_t shape, size_t least, size_t most, int64_t max_lag_ns)
{
    const int64_t deadline = now_ns() + 3000000000LL;
    helped_calls calls = {0, 0};
    int helped = 0;
    while (calls.counted < 40 && now_ns() < deadline) {
        call_state state = {.caller = pthread_self(), .workers = workers};
        size_t worker_chunks = call_with_two_threads(&state, shape);
        if (worker_chunks == 0) {
            continue;
        }
        helped += 1;
        if (atomic_load(&state.worker_began) - atomic_load(&state.caller_began) <= max_lag_ns) {
            calls.counted += 1;
            calls.within += worker_chunks >= least && worker_chunks <= most;
        }
    }
    CHECK_EXPLAINED(helped > 0, "no worker joined a call within 3 s");
    CHECK_EXPLAINED(calls.counted > 0, "in none of %d calls did the worker begin within %lld us of the caller",
                    helped, (long long)(max_lag_ns / 1000));
    return calls;
}

/* A worker slower than the caller keeps only the chunks it claimed: its
 * first claim takes a quarter of its home range (2 of 8), and while it runs
 * them (WORKERS_LAG: until the caller has run everything else) the caller
 * runs its own 8 and takes the other 6.  A first claim of half (4) made the
 * caller wait for 4, and one of 7 for 7 (one chunk per claim passes too,
 * the runs test above catches that).  Checked over calls the worker helped
 * with (up to 3 s for 40), of which at least half must have left it at
 * most 2 chunks: a worker that starts after the caller has taken some of
 * its chunks gets no more (half of what is left), and only a caller that
 * loses its CPU for LAG_MAX_NS lets it claim more.  The calls have a job
 * shape, so the caller first gives the running worker its grace
 * (take_from_workers): a grace that never ended would keep the caller
 * waiting until the worker gave up lagging and claimed the rest. */
static void test_a_lagging_worker_keeps_only_what_it_claimed(void)
{
    helped_calls calls = calls_helped(WORKERS_LAG, 2, 1, NUM_CHUNKS / 8, INT64_MAX);
    const int helped = calls.counted, kept_a_quarter = calls.within;
    CHECK_EXPLAINED(kept_a_quarter * 2 >= helped,
                    "a worker slower than the caller ran more than %d of %d chunks in %d of %d calls",
                    NUM_CHUNKS / 8, NUM_CHUNKS, helped - kept_a_quarter, helped);
}

/* A worker a little behind the caller keeps its chunks: the caller, its own
 * range done, gives a worker that is running its range one of its own
 * chunk times before it takes from it (threadpool.c, take_from_workers), so
 * a worker that started a chunk and a quarter late (WORKERS_BEHIND) runs
 * all 8 chunks of its home range.  Without the grace the caller finds the
 * worker's last chunk unclaimed when its own are done and takes it: the
 * worker ran 7 in 38-39 of 40 calls.  The grace needs the caller's chunk
 * time, which the pool's account keeps per job shape, so the calls have a
 * shape (the first call of it has no grace).  Counted over calls whose
 * worker began its first run at most BEHIND_COUNTED_LAG_NS after the caller
 * (up to 3 s for 40), of which at least half must have left it 8 or more:
 * it can lose a chunk still when it loses its CPU for longer than the
 * grace, as it should. */
static void test_a_worker_just_behind_keeps_its_chunks(void)
{
    helped_calls calls = calls_helped(WORKERS_BEHIND, 3, NUM_CHUNKS / 2, NUM_CHUNKS, BEHIND_COUNTED_LAG_NS);
    const int helped = calls.counted, kept_all = calls.within;
    CHECK_EXPLAINED(kept_all * 2 >= helped,
                    "a worker %d us behind the caller ran fewer than its %d chunks in %d of %d calls",
                    (int)(BEHIND_NS / 1000), NUM_CHUNKS / 2, helped - kept_all, helped);
}

/* A worker that stalls in every run of chunks it is given makes calls wait
 * for it far longer than running alone; the pool must notice and leave it
 * alone, trying it again only now and then, at longer and longer
 * intervals.  Measured on the 2-vCPU VM when claims took one chunk each
 * (a stall per chunk): without the back-off the worker joined 99-132 of
 * these 300 calls; with it 8-10, and 9-20 with two busy processes
 * competing for the CPUs. */
static void test_a_stalling_worker_is_left_alone(void)
{
    const int calls = 300;
    int helped = 0;
    for (int i = 0; i < calls; ++i) {
        helped += call_workers(WORKERS_STALL, 0) > 0;
    }
    CHECK_EXPLAINED(helped <= calls / 6, "a worker that stalled in every chunk still joined %d of %d calls",
                    helped, calls);
}

/* Backing off is temporary: once the worker runs at full speed again, it
 * is back in the calls after at most the longest back-off (256 ms); the
 * check allows 3 s. */
static void test_the_pool_comes_back_after_backing_off(void)
{
    int64_t deadline = now_ns() + 3000000000LL;
    bool helped = false;
    while (!helped && now_ns() < deadline) {
        helped = call_workers(WORKERS_HELP, 0) > 0;
    }
    CHECK_EXPLAINED(helped, "no worker joined a call within 3 s of the stalls ending");
}

/* A worker that slows the caller more than it helps leaves the pooled
 * call slower than running alone, and the caller's own pace would say the
 * pool saves half: the pool's probes, which time a call alone now and
 * then (pool_account.h), must find it out.  The probes need
 * 2 x PG_PROBE_MIN_CALLS pooled calls and two probes of two calls each
 * before the account knows; after that the worker joins a call only at the
 * end of each back-off.  Measured on the 2-vCPU VM, of 1000 calls it
 * joined 262 alone and 528 with the other C tests running (a probe that
 * meets a stall costs another PG_PROBE_MIN_CALLS pooled calls); without
 * probes (shape 0), 989-1000.  2000 calls leave room for more stalls.
 * That probes leave a helping worker in the calls is checked in
 * test_pool_account, with made-up times: here, with the other tests
 * running in parallel on two CPUs, a worker that helps may stall for real. */
static void test_a_worker_that_slows_the_caller_is_left_alone(void)
{
    const int calls = 2000;
    int helped = 0;
    for (int i = 0; i < calls; ++i) {
        helped += call_workers(WORKERS_SLOW, 1) > 0;
    }
    CHECK_EXPLAINED(helped <= calls / 2, "a worker that slowed the caller joined %d of %d calls", helped, calls);
}

/* A call another thread was in the middle of when the process forked is
 * gone from the child with that thread, chunks left unclaimed and all: a
 * worker the child starts must never run them (on the child's copies of
 * that call's buffers, which the child may have freed and reused).  The
 * parent keeps a thread making calls whose chunks mark `forked_target`;
 * each child clears it, pins itself to one CPU, so that its call starts a
 * worker and then runs alone (the worker is left reading what was
 * published last), and checks that nothing marked it.  Before threadpool.c
 * closed the parent's ranges in the child, 16-18 of these 20 children
 * found marks on the Xeon VM. */
enum { FORKED_CHUNKS = 64, FORKS = 20 };
static unsigned char forked_target[FORKED_CHUNKS];
static _Atomic bool forking_done;

static void mark_chunks(void *context, size_t first_chunk, size_t num_chunks)
{
    (void)context;
    for (size_t c = first_chunk; c < first_chunk + num_chunks; ++c) {
        forked_target[c] = 1;
        busy_for(20000);
    }
}

static void no_work(void *context, size_t first_chunk, size_t num_chunks)
{
    (void)context;
    (void)first_chunk;
    (void)num_chunks;
}

static void *call_until_forking_is_done(void *unused)
{
    (void)unused;
    while (!atomic_load(&forking_done)) {
        pg_parallel_for(FORKED_CHUNKS, 2, 0, 0, mark_chunks, NULL);
    }
    return NULL;
}

static void test_a_forked_child_never_runs_its_parents_chunks(void)
{
    pthread_t caller;
    REQUIRE(pthread_create(&caller, NULL, call_until_forking_is_done, NULL) == 0);
    int children_marked = 0, children_failed = 0;
    for (int f = 0; f < FORKS; ++f) {
        nanosleep(&(struct timespec){.tv_nsec = 300000}, NULL); /* into the middle of a call */
        pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            memset(forked_target, 0, sizeof forked_target);
            cpu_set_t one_cpu;
            CPU_ZERO(&one_cpu);
            CPU_SET(sched_getcpu(), &one_cpu);
            sched_setaffinity(0, sizeof one_cpu, &one_cpu);
            pg_parallel_for(FORKED_CHUNKS, 2, 0, 0, no_work, NULL);
            nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL); /* time for a new worker to do harm */
            size_t marked = 0;
            for (int c = 0; c < FORKED_CHUNKS; ++c) {
                marked += forked_target[c];
            }
            _exit(marked == 0 ? 0 : 1);
        }
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        if (!WIFEXITED(status)) {
            children_failed += 1;
        } else if (WEXITSTATUS(status) != 0) {
            children_marked += 1;
        }
    }
    atomic_store(&forking_done, true);
    REQUIRE(pthread_join(caller, NULL) == 0);
    CHECK_EXPLAINED(children_marked == 0 && children_failed == 0,
                    "%d of %d forked children ran chunks of the parent's call (%d did not exit)", children_marked,
                    FORKS, children_failed);
}

int main(void)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) < 2) {
        printf("test_threadpool: skipped, needs two CPUs\n");
        return 77; /* meson's "skipped" */
    }
    /* First: the tests after it leave the pool backing off, and its parent
     * must have a call in the pool when it forks. */
    test_a_forked_child_never_runs_its_parents_chunks();
    test_chunks_are_claimed_in_runs();
    test_a_lagging_worker_keeps_only_what_it_claimed();
    test_a_worker_just_behind_keeps_its_chunks();
    test_a_stalling_worker_is_left_alone();
    test_the_pool_comes_back_after_backing_off();
    test_a_worker_that_slows_the_caller_is_left_alone();
    return tu_finish("test_threadpool");
}
