/*
 * threadpool.c — see threadpool.h for what it promises and why.
 *
 * One job slot.  A call that gets the slot (a try-lock: a second concurrent
 * call never waits for the first, it runs alone) publishes the job and
 * wakes the workers, then claims chunks itself like any worker.  When no
 * chunk is left to claim it waits only for chunks that workers are running;
 * a worker that wakes late finds nothing to claim and goes back to sleep.
 *
 * Claims carry the job's generation (high 32 bits of one atomic word, the
 * chunk index in the low 32), so a worker still finishing an old job can
 * never claim a chunk of the next one with the old job's function.
 *
 * Waking a sleeping thread costs tens of microseconds, as long as a whole
 * in-cache call, so both sides spin briefly before sleeping: a worker for a
 * while after its last job (back-to-back calls find it awake), the caller
 * while the last chunks finish.  Lock order: call_lock, then lock.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include "kernels/threadpool.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PG_CPU_RELAX() _mm_pause()
#else
#define PG_CPU_RELAX() ((void)0)
#endif

/* Workers run kernels only (a few KiB of stack); keep their reservation
 * small but roomy enough for sanitizer builds. */
#define PG_WORKER_STACK_BYTES (512 * 1024)

/* How long a worker stays awake after a job, and how long a caller spins
 * for the last running chunks before sleeping. */
#define PG_WORKER_SPIN_NS 100000
#define PG_CALLER_SPIN_NS 200000

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

static void compute_default_threads(void)
{
    int from_environment = parse_positive_int(getenv("PYGRAPH_NUM_THREADS"));
    if (from_environment > 0) {
        default_threads = from_environment;
        return;
    }
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
        default_threads = CPU_COUNT(&allowed);
        return;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    default_threads = online > 0 && online < INT_MAX ? (int)online : 1;
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

typedef struct pool {
    pthread_mutex_t call_lock; /* owned by the one call using the job slot */
    pthread_mutex_t lock;      /* guards the fields up to `context` */
    pthread_cond_t wake;       /* workers: a job was published, or shutdown */
    pthread_cond_t done;       /* the caller: the last chunk finished */
    pthread_t workers[PG_MAX_WORKERS];
    int num_workers;
    int sleeping; /* workers blocked on `wake` */
    bool shut_down;
    bool spinning_pays; /* false when there are fewer CPUs than threads */
    /* The job.  Workers copy run/context/num_chunks under `lock` when they
     * join; they stay valid until every chunk has finished. */
    uint32_t generation; /* of the latest job */
    int job_workers;     /* workers with an index below this may join */
    pg_chunk_fn *run;
    void *context;
    size_t num_chunks;
    /* Lock-free parts. */
    _Atomic uint32_t published_generation; /* == generation; read by spinning workers */
    _Atomic uint64_t next_claim;           /* generation << 32 | next chunk index */
    _Atomic size_t chunks_finished;
    _Atomic bool stopping; /* == shut_down */
} pool;

static pool the_pool = {
    .call_lock = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static int64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Claims the next chunk of job `generation`; false when it has none left
 * (or a newer job replaced it). */
static bool claim_chunk(uint32_t generation, size_t num_chunks, size_t *chunk)
{
    pool *p = &the_pool;
    uint64_t claim = atomic_load_explicit(&p->next_claim, memory_order_relaxed);
    for (;;) {
        if ((uint32_t)(claim >> 32) != generation || (size_t)(claim & 0xFFFFFFFFu) >= num_chunks) {
            return false;
        }
        if (atomic_compare_exchange_weak_explicit(&p->next_claim, &claim, claim + 1, memory_order_acquire,
                                                  memory_order_relaxed)) {
            *chunk = (size_t)(claim & 0xFFFFFFFFu);
            return true;
        }
    }
}

/* Runs chunks of the job until none is left to claim. */
static void run_claimed_chunks(uint32_t generation, pg_chunk_fn *run, void *context, size_t num_chunks)
{
    pool *p = &the_pool;
    size_t chunk;
    while (claim_chunk(generation, num_chunks, &chunk)) {
        run(context, chunk);
        /* Release: the chunk's writes happen before the caller sees it
         * finished. */
        size_t finished = atomic_fetch_add_explicit(&p->chunks_finished, 1, memory_order_acq_rel) + 1;
        if (finished == num_chunks) {
            /* The caller may be asleep waiting for this; the lock makes the
             * signal impossible to miss. */
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
}

/* Spins (without the lock) until a job newer than `seen` is published, the
 * pool stops, or the spin budget runs out. */
static void spin_for_job(uint32_t seen)
{
    pool *p = &the_pool;
    int64_t deadline = monotonic_ns() + PG_WORKER_SPIN_NS;
    for (unsigned i = 1;; ++i) {
        if (atomic_load_explicit(&p->published_generation, memory_order_relaxed) != seen ||
            atomic_load_explicit(&p->stopping, memory_order_relaxed)) {
            return;
        }
        PG_CPU_RELAX();
        if (i % 64 == 0) {
            if (monotonic_ns() > deadline) {
                return;
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
    const int index = (int)(intptr_t)argument;
    uint32_t seen_generation = 0; /* jobs are numbered from 1 */
    pool *p = &the_pool;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (!p->shut_down && !(p->generation != seen_generation && index < p->job_workers) && p->spinning_pays) {
            pthread_mutex_unlock(&p->lock);
            spin_for_job(seen_generation);
            pthread_mutex_lock(&p->lock);
        }
        while (!p->shut_down && !(p->generation != seen_generation && index < p->job_workers)) {
            p->sleeping += 1;
            pthread_cond_wait(&p->wake, &p->lock);
            p->sleeping -= 1;
        }
        if (p->shut_down) {
            break;
        }
        seen_generation = p->generation;
        pg_chunk_fn *run = p->run;
        void *context = p->context;
        size_t num_chunks = p->num_chunks;
        pthread_mutex_unlock(&p->lock);

        run_claimed_chunks(seen_generation, run, context, num_chunks);

        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
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
}

static int online_cpus(void)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
        return CPU_COUNT(&allowed);
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 && online < INT_MAX ? (int)online : 1;
}

/* In a forked child only the forking thread exists: forget the parent's
 * workers and start from a fresh pool on the next call.  The locks may have
 * been held by threads that no longer exist, so they are made anew. */
static void reset_in_child(void)
{
    pool *p = &the_pool;
    pthread_mutex_init(&p->call_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->num_workers = 0;
    p->sleeping = 0;
    p->job_workers = 0;
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

/* Waits until all `num_chunks` chunks have finished: spinning first (the
 * last chunks are usually microseconds from done), then asleep. */
static void wait_for_chunks(size_t num_chunks)
{
    pool *p = &the_pool;
    int64_t deadline = monotonic_ns() + PG_CALLER_SPIN_NS;
    for (unsigned i = 1; atomic_load_explicit(&p->chunks_finished, memory_order_acquire) < num_chunks; ++i) {
        PG_CPU_RELAX();
        if (i % 64 != 0) {
            continue;
        }
        /* Yield as the worker does: the chunk we wait for may be running
         * on this very CPU. */
        sched_yield();
        if (monotonic_ns() > deadline) {
            pthread_mutex_lock(&p->lock);
            while (atomic_load_explicit(&p->chunks_finished, memory_order_acquire) < num_chunks) {
                pthread_cond_wait(&p->done, &p->lock);
            }
            pthread_mutex_unlock(&p->lock);
            return;
        }
    }
}

void pg_parallel_for(size_t num_chunks, int max_threads, pg_chunk_fn *run, void *context)
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
    if (pthread_mutex_trylock(&p->call_lock) != 0) {
        goto alone; /* another call owns the pool: never wait for it */
    }
    pthread_mutex_lock(&p->lock);
    if (!p->shut_down) {
        start_workers(helpers);
    }
    if (p->shut_down || p->num_workers == 0) {
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_unlock(&p->call_lock);
        goto alone;
    }
    /* Spinning helps only when every thread can have a CPU of its own. */
    p->spinning_pays = p->num_workers < online_cpus();
    p->generation += 1;
    if (p->generation == 0) {
        p->generation = 1; /* 0 means "no job seen yet" to a new worker */
    }
    uint32_t generation = p->generation;
    p->run = run;
    p->context = context;
    p->num_chunks = num_chunks;
    p->job_workers = helpers;
    atomic_store_explicit(&p->chunks_finished, 0, memory_order_relaxed);
    atomic_store_explicit(&p->next_claim, (uint64_t)generation << 32, memory_order_release);
    atomic_store_explicit(&p->published_generation, generation, memory_order_release);
    if (p->sleeping > 0) {
        pthread_cond_broadcast(&p->wake);
    }
    pthread_mutex_unlock(&p->lock);

    run_claimed_chunks(generation, run, context, num_chunks);
    wait_for_chunks(num_chunks);
    pthread_mutex_unlock(&p->call_lock);
    return;

alone:
    for (size_t chunk = 0; chunk < num_chunks; ++chunk) {
        run(context, chunk);
    }
}
