/*
 * plan.c — turns an n-d strided LeakyReLU into calls of 1-d kernels.
 *
 * pg_lrelu_plan_init simplifies the layout once (at compile time): dims of
 * extent 1 go, dims are ordered by decreasing |dst stride| (an elementwise
 * op may visit elements in any order, and this makes a column-major or
 * permuted tensor contiguous innermost), and neighbours that are contiguous
 * in both src and dst merge.  A dense tensor thus becomes one run.
 *
 * pg_lrelu_plan_run walks the outer dims with an odometer and hands each
 * innermost run to the kernel.  Work is cut into ranges of the flat element
 * index, so threads only partition elements: the bits never depend on the
 * thread count.
 */
#include "kernels/leaky_relu.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels/lrelu_kernels.h"
#include "kernels/stream_trials.h"
#include "kernels/threadpool.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define PG_HAVE_MXCSR 1
#endif

/* Below this many elements per thread, handing work to a worker costs more
 * than it saves.  Measured on the 2-core Xeon VM (Sapphire Rapids,
 * a cache line takes ~150 ns between cores): a job round trip to a
 * spinning worker costs ~0.5 us, the time of ~5K elements in cache; with
 * 16K per thread two threads run 1e5 elements 1.5-1.7x faster than one,
 * and 8K per thread made 3e4 no faster.  In place a call touches half the
 * memory per element, so the same overhead needs twice the elements: at 4e4
 * elements (20K per thread) two threads were 0.6-0.85x one thread in place
 * for every dtype (out of place 1.0-1.55x), at 7e4 1.1-1.5x.  A sleeping
 * worker takes tens of microseconds to wake, but the caller never waits
 * for one that has not started. */
#define PG_MIN_ELEMENTS_PER_THREAD (16 * 1024)
#define PG_MIN_ELEMENTS_PER_THREAD_IN_PLACE (32 * 1024)

/* Chunks per thread: more chunks balance a worker that starts late or is
 * preempted.  A claim takes half of a range's unclaimed chunks (a worker's
 * first a quarter: threadpool.c), so a thread's home range of 8 goes in 4
 * claims, not 8. */
#define PG_CHUNKS_PER_THREAD 8

/* Chunk lengths are multiples of this many elements, so every chunk of a
 * dense run has the run's alignment (whole cache lines per chunk). */
#define PG_CHUNK_GRANULE 256

/* Strided runs on ISA levels without a strided kernel go through a stack
 * buffer of this many elements: gather bits, compute contiguously in
 * place, scatter bits. */
#define PG_PACK_ELEMENTS 512

typedef struct plan_dim {
    int64_t extent;
    int64_t src_stride;
    int64_t dst_stride;
} plan_dim;

static int64_t magnitude(int64_t v)
{
    return v < 0 ? -v : v;
}

/* True when `outer` continues `inner` contiguously in both tensors. */
static bool mergeable(const plan_dim *outer, const plan_dim *inner)
{
    int64_t src_span, dst_span;
    if (__builtin_mul_overflow(inner->src_stride, inner->extent, &src_span) ||
        __builtin_mul_overflow(inner->dst_stride, inner->extent, &dst_span)) {
        return false;
    }
    return outer->src_stride == src_span && outer->dst_stride == dst_span;
}

void pg_lrelu_plan_init(pg_lrelu_plan *plan, pygraph_data_type data_type, int ndims, const int64_t *dims,
                        const int64_t *src_strides, const int64_t *dst_strides, const float *alphas,
                        size_t num_alphas)
{
    memset(plan, 0, sizeof *plan);
    plan->data_type = data_type;
    plan->alphas = alphas;
    plan->num_alphas = num_alphas;

    /* A zero extent anywhere makes the tensor empty, whatever the other
     * extents: look for it first, since the product of the others need not
     * fit (the caller checks only the sizes of non-empty tensors). */
    int64_t num_elements = 1;
    for (int i = 0; i < ndims; ++i) {
        if (dims[i] == 0) {
            num_elements = 0;
            break;
        }
    }
    for (int i = 0; i < ndims && num_elements != 0; ++i) {
        num_elements *= dims[i]; /* non-empty: the caller checked that it fits */
    }
    plan->num_elements = num_elements;
    if (num_elements == 0) {
        plan->ndims = 0;
        return;
    }

    plan_dim kept[PYGRAPH_MAX_NDIMS];
    int num_kept = 0;
    for (int i = 0; i < ndims; ++i) {
        if (dims[i] != 1) {
            kept[num_kept++] = (plan_dim){dims[i], src_strides[i], dst_strides[i]};
        }
    }
    if (num_kept == 0) {
        /* A scalar (0-d or all extents 1): one contiguous element. */
        plan->ndims = 1;
        plan->dims[0] = 1;
        plan->src_strides[0] = 1;
        plan->dst_strides[0] = 1;
        return;
    }

    /* Stable insertion sort, outermost first: decreasing |dst stride|, then
     * decreasing |src stride|.  At most 12 entries. */
    for (int i = 1; i < num_kept; ++i) {
        plan_dim moving = kept[i];
        int j = i;
        while (j > 0) {
            const plan_dim *before = &kept[j - 1];
            bool before_is_inner = magnitude(before->dst_stride) < magnitude(moving.dst_stride) ||
                                   (magnitude(before->dst_stride) == magnitude(moving.dst_stride) &&
                                    magnitude(before->src_stride) < magnitude(moving.src_stride));
            if (!before_is_inner) {
                break;
            }
            kept[j] = kept[j - 1];
            --j;
        }
        kept[j] = moving;
    }

    /* Merge from the innermost dim outwards. */
    plan_dim merged[PYGRAPH_MAX_NDIMS]; /* innermost first */
    int num_merged = 0;
    merged[num_merged++] = kept[num_kept - 1];
    for (int i = num_kept - 2; i >= 0; --i) {
        plan_dim *inner = &merged[num_merged - 1];
        if (mergeable(&kept[i], inner)) {
            inner->extent *= kept[i].extent;
        } else {
            merged[num_merged++] = kept[i];
        }
    }
    plan->ndims = num_merged;
    for (int i = 0; i < num_merged; ++i) {
        const plan_dim *d = &merged[num_merged - 1 - i];
        plan->dims[i] = d->extent;
        plan->src_strides[i] = d->src_stride;
        plan->dst_strides[i] = d->dst_stride;
    }
}

/* ---- running ----------------------------------------------------------- */

/* How a call's contiguous runs go: the kernel (near or far, streaming or
 * not) and whether to descend for the caches (pg_lrelu_descending_pays). */
typedef struct pass_choice {
    pg_lrelu_contiguous_fn *contiguous;
    bool descending_for_the_caches;
} pass_choice;

typedef struct plan_job {
    const pg_lrelu_plan *plan;
    const unsigned char *src;
    unsigned char *dst;
    size_t element_size;
    const pg_lrelu_kernels *kernels;
    /* Chosen per call: for the chunks of a pooled call (which never
     * descend for the caches), and for one thread running every element (a
     * call on one thread, or one the pool runs alone). */
    pass_choice pooled;
    pass_choice whole;
    int64_t chunk_elements;
} plan_job;

/* Copies `n` elements of `size` bytes between strided places (bits only). */
static void copy_strided(size_t n, size_t size, const unsigned char *from, ptrdiff_t from_stride_bytes,
                         unsigned char *to, ptrdiff_t to_stride_bytes)
{
    for (size_t i = 0; i < n; ++i) {
        memcpy(to + (ptrdiff_t)i * to_stride_bytes, from + (ptrdiff_t)i * from_stride_bytes, size);
    }
}

static void run_strided_packed(const plan_job *job, size_t n, const unsigned char *src, ptrdiff_t src_stride,
                               unsigned char *dst, ptrdiff_t dst_stride)
{
    _Alignas(64) unsigned char buffer[PG_PACK_ELEMENTS * 4];
    size_t size = job->element_size;
    ptrdiff_t src_step = src_stride * (ptrdiff_t)size;
    ptrdiff_t dst_step = dst_stride * (ptrdiff_t)size;
    for (size_t done = 0; done < n; done += PG_PACK_ELEMENTS) {
        size_t count = n - done < PG_PACK_ELEMENTS ? n - done : PG_PACK_ELEMENTS;
        copy_strided(count, size, src + (ptrdiff_t)done * src_step, src_step, buffer, (ptrdiff_t)size);
        job->kernels->contiguous(count, buffer, buffer, job->plan->alphas, job->plan->num_alphas, false);
        copy_strided(count, size, buffer, (ptrdiff_t)size, dst + (ptrdiff_t)done * dst_step, dst_step);
    }
}

/* One innermost run of `n` elements, contiguous ones as `pass` says. */
static void run_inner(const plan_job *job, const pass_choice *pass, size_t n, const unsigned char *src,
                      unsigned char *dst)
{
    const pg_lrelu_plan *plan = job->plan;
    int inner = plan->ndims - 1;
    ptrdiff_t src_stride = (ptrdiff_t)plan->src_strides[inner];
    ptrdiff_t dst_stride = (ptrdiff_t)plan->dst_strides[inner];
    if (src_stride == 1 && dst_stride == 1) {
        pass->contiguous(n, src, dst, plan->alphas, plan->num_alphas,
                         pg_lrelu_descending_pays(src, dst, pass->descending_for_the_caches));
    } else if (job->kernels->strided != NULL) {
        job->kernels->strided(n, src, src_stride, dst, dst_stride, plan->alphas, plan->num_alphas);
    } else {
        run_strided_packed(job, n, src, src_stride, dst, dst_stride);
    }
}

/* Runs the elements with flat (row-major over the plan's dims) indices in
 * [begin, end), contiguous runs as `pass` says. */
static void run_range(const plan_job *job, const pass_choice *pass, int64_t begin, int64_t end)
{
    const pg_lrelu_plan *plan = job->plan;
    const int inner = plan->ndims - 1;
    const ptrdiff_t size = (ptrdiff_t)job->element_size;

    int64_t index[PYGRAPH_MAX_NDIMS];
    int64_t rest = begin;
    for (int d = inner; d >= 0; --d) {
        index[d] = rest % plan->dims[d];
        rest /= plan->dims[d];
    }
    /* Offsets (elements) of the start of the current innermost row. */
    int64_t src_row = 0, dst_row = 0;
    for (int d = 0; d < inner; ++d) {
        src_row += index[d] * plan->src_strides[d];
        dst_row += index[d] * plan->dst_strides[d];
    }

    int64_t position = begin;
    int64_t column = index[inner];
    while (position < end) {
        int64_t count = plan->dims[inner] - column;
        if (count > end - position) {
            count = end - position;
        }
        int64_t src_offset = src_row + column * plan->src_strides[inner];
        int64_t dst_offset = dst_row + column * plan->dst_strides[inner];
        run_inner(job, pass, (size_t)count, job->src + (ptrdiff_t)src_offset * size,
                  job->dst + (ptrdiff_t)dst_offset * size);
        position += count;
        column = 0;
        /* Advance the odometer over the outer dims. */
        for (int d = inner - 1; d >= 0; --d) {
            src_row += plan->src_strides[d];
            dst_row += plan->dst_strides[d];
            if (++index[d] < plan->dims[d]) {
                break;
            }
            src_row -= plan->src_strides[d] * plan->dims[d];
            dst_row -= plan->dst_strides[d] * plan->dims[d];
            index[d] = 0;
        }
    }
}

/* The kernels need IEEE behaviour whatever the host process set: round to
 * nearest, no flush-to-zero, no denormals-are-zero (a library built with
 * -ffast-math may have set them), exceptions masked.  Each thread has its
 * own MXCSR, so every participant sets it around its work. */
typedef struct fp_state {
#if PG_HAVE_MXCSR
    unsigned int mxcsr;
#else
    int unused;
#endif
} fp_state;

static fp_state fp_enter(void)
{
    fp_state saved;
#if PG_HAVE_MXCSR
    saved.mxcsr = _mm_getcsr();
    /* Only the control bits matter; the low six are sticky status flags. */
    if ((saved.mxcsr & ~0x3Fu) != 0x1F80u) {
        _mm_setcsr(0x1F80u); /* all exceptions masked, round to nearest, no FTZ/DAZ */
    }
#else
    saved.unused = 0;
#endif
    return saved;
}

static void fp_leave(fp_state saved)
{
#if PG_HAVE_MXCSR
    /* Restore the caller's modes only when fp_enter changed them: ldmxcsr
     * costs tens of cycles, a third of a small call.  Like any IEEE
     * arithmetic, a call may leave status flags (inexact, overflow) set. */
    if ((saved.mxcsr & ~0x3Fu) != 0x1F80u) {
        _mm_setcsr(saved.mxcsr);
    }
#else
    (void)saved;
#endif
}

pg_lrelu_contiguous_fn *pg_lrelu_choose_contiguous_as(const pg_lrelu_kernels *kernels, bool dense, int64_t bytes,
                                                      bool in_place, bool prefetch, bool streaming)
{
    /* The streaming threshold stands for "the data comes from DRAM". */
    bool reaches_streaming_min = dense && bytes >= pg_streaming_min_bytes();
    pg_lrelu_contiguous_fn *chosen = kernels->contiguous;
    if (kernels->contiguous_unprefetched != NULL && !prefetch && !pg_software_prefetch_pays() &&
        !(reaches_streaming_min && kernels->prefetch_pays_from_dram)) {
        chosen = kernels->contiguous_unprefetched;
    }
    if (!dense) {
        return chosen;
    }
    streaming = streaming && !in_place;
    pg_lrelu_contiguous_fn *special = streaming ? kernels->contiguous_streaming : NULL;
    if (pg_lrelu_footprint(bytes, in_place) >= pg_far_min_bytes()) {
        pg_lrelu_contiguous_fn *far_kernel = streaming ? kernels->contiguous_far_streaming : kernels->contiguous_far;
        special = far_kernel != NULL ? far_kernel : special;
    }
    return special != NULL ? special : chosen;
}

pg_lrelu_contiguous_fn *pg_lrelu_choose_contiguous(const pg_lrelu_kernels *kernels, bool dense, int64_t bytes,
                                                   bool in_place, int64_t threads)
{
    return pg_lrelu_choose_contiguous_as(kernels, dense, bytes, in_place, false,
                                         bytes >= pg_streaming_min_bytes_on(threads));
}

/* ---- stream trials (stream_trials.h) ------------------------------------ */

/* The process's trials, under a flag that is only ever tried: a call that
 * finds it taken runs what pg_lrelu_choose_contiguous chooses by size (not
 * the trial's choice; from the crossover up, on threads, streaming stores)
 * and books nothing.  (A fork while another thread holds it leaves it
 * taken in the child, whose calls then keep to that choice.) */
static pg_stream_trials stream_trials;
static atomic_flag stream_trials_taken = ATOMIC_FLAG_INIT;

/* A call that takes part in a trial: key 0 when it does not. */
typedef struct stream_trial_call {
    uint64_t key;
    pg_stream_trial *trial; /* its size's record when the call began */
    pg_trial_way way;
    int64_t started;
} stream_trial_call;

/* Three values mixed into one key (for the plan's keys of calls that take
 * the same time). */
static uint64_t mix_key(uint64_t a, uint64_t b, uint64_t c)
{
    return a * 0x9E3779B97F4A7C15u ^ b * 0xC2B2AE3D27D4EB4Fu ^ c * 0x165667B19E3779F9u;
}

/* A trial's key: the kernels (dtype and ISA level), dst's bytes and the
 * threads the call may use.  Never 0. */
static uint64_t trial_key(const pg_lrelu_kernels *kernels, int64_t bytes, int64_t threads)
{
    uint64_t key = mix_key((uint64_t)(uintptr_t)kernels, (uint64_t)bytes, (uint64_t)threads);
    return key != 0 ? key : 1;
}

/* The kernel each way of a trial runs (dense, out of place, `bytes` in
 * the trial range). */
static pg_lrelu_contiguous_fn *trial_way_kernel(const pg_lrelu_kernels *kernels, int64_t bytes, pg_trial_way way)
{
    return pg_lrelu_choose_contiguous_as(kernels, true, bytes, false, way == PG_WAY_PREFETCHED,
                                         way == PG_WAY_STREAMING);
}

/* The ways a trial of `kernels` at `bytes` tries: the prefetched way only
 * where it runs another kernel than the normal one. */
static unsigned trial_ways(const pg_lrelu_kernels *kernels, int64_t bytes)
{
    unsigned ways = 1u << PG_WAY_NORMAL | 1u << PG_WAY_STREAMING;
    if (trial_way_kernel(kernels, bytes, PG_WAY_PREFETCHED) != trial_way_kernel(kernels, bytes, PG_WAY_NORMAL)) {
        ways |= 1u << PG_WAY_PREFETCHED;
    }
    return ways;
}

/* For a dense out-of-place call in the trial range: how it runs, with
 * the job's kernels set to match. */
static stream_trial_call begin_stream_trial(plan_job *job, bool dense, int64_t bytes, int64_t threads)
{
    stream_trial_call call = {0};
    if (!dense || job->src == job->dst || job->kernels->contiguous_streaming == NULL ||
        bytes < pg_streaming_trial_min_bytes() || bytes >= pg_streaming_trial_max_bytes(threads)) {
        return call;
    }
    const uint64_t key = trial_key(job->kernels, bytes, threads);
    const unsigned ways = trial_ways(job->kernels, bytes);
    if (atomic_flag_test_and_set_explicit(&stream_trials_taken, memory_order_acquire)) {
        return call; /* key 0: the usual choice, nothing booked */
    }
    call.key = key;
    call.trial = pg_stream_trials_find_or_add(&stream_trials, key, ways);
    call.started = pg_monotonic_ns();
    call.way = pg_stream_trial_way(call.trial, call.started);
    atomic_flag_clear_explicit(&stream_trials_taken, memory_order_release);
    /* The way is the call's, however many threads end up running it. */
    job->pooled.contiguous = job->whole.contiguous = trial_way_kernel(job->kernels, bytes, call.way);
    return call;
}

static void end_stream_trial(const stream_trial_call *call)
{
    if (call->key == 0) {
        return;
    }
    const int64_t now = pg_monotonic_ns();
    if (atomic_flag_test_and_set_explicit(&stream_trials_taken, memory_order_acquire)) {
        return;
    }
    /* Calls of other sizes may have taken the record's slot meanwhile (the
     * least recently used gives way).  The time then counts nowhere: a
     * lookup by key would make the record afresh, evicting another size,
     * for one booking of a way the new record never chose. */
    if (call->trial->key == call->key) {
        pg_stream_trial_book(call->trial, call->way, now - call->started, now);
    }
    atomic_flag_clear_explicit(&stream_trials_taken, memory_order_release);
}

bool pg_lrelu_stream_trial_of(const pg_lrelu_kernels *kernels, int64_t bytes, int64_t threads,
                              struct pg_stream_trial *copy)
{
    if (atomic_flag_test_and_set_explicit(&stream_trials_taken, memory_order_acquire)) {
        return false;
    }
    const pg_stream_trial *trial = pg_stream_trials_find(&stream_trials, trial_key(kernels, bytes, threads));
    if (trial != NULL) {
        *copy = *trial;
    }
    atomic_flag_clear_explicit(&stream_trials_taken, memory_order_release);
    return trial != NULL;
}

static void run_chunks(void *context, size_t first_chunk, size_t num_chunks)
{
    const plan_job *job = context;
    int64_t begin = (int64_t)first_chunk * job->chunk_elements;
    int64_t end = begin + (int64_t)num_chunks * job->chunk_elements;
    if (end > job->plan->num_elements) {
        end = job->plan->num_elements;
    }
    /* One run of every chunk is a call on one thread, or one the pool runs
     * alone (threadpool.h): one thread's choices. */
    const bool whole = begin == 0 && end == job->plan->num_elements;
    fp_state saved = fp_enter();
    run_range(job, whole ? &job->whole : &job->pooled, begin, end);
    fp_leave(saved);
}

/* The pool's key for calls that take the same time (threadpool.h): the
 * kernel (dtype, ISA, streaming or not), the elements and the chunk length
 * (which follows the thread count), dense or strided, in place or not.
 * Strided layouts of the same size share a key; a mix of them only makes
 * the pool's probes less exact.  Never 0. */
static uint64_t job_shape(const plan_job *job, bool dense)
{
    uint64_t key = mix_key((uint64_t)job->plan->num_elements, (uint64_t)job->chunk_elements,
                           (uint64_t)(uintptr_t)job->pooled.contiguous);
    key = key << 2 | (uint64_t)dense << 1 | (uint64_t)(job->src == job->dst);
    return key != 0 ? key : 1;
}

void pg_lrelu_plan_run(const pg_lrelu_plan *plan, const void *src, void *dst)
{
    int64_t n = plan->num_elements;
    if (n == 0) {
        return;
    }
    int dtype = pg_lrelu_dtype_from_public(plan->data_type);
    plan_job job;
    job.plan = plan;
    job.src = src;
    job.dst = dst;
    job.element_size = pg_lrelu_dtype_size((pg_lrelu_dtype)dtype);
    job.kernels = pg_lrelu_kernels_for((pg_lrelu_dtype)dtype);
    bool dense = plan->ndims == 1 && plan->src_strides[0] == 1 && plan->dst_strides[0] == 1;
    /* n * element_size fits: the tensor is in memory. */
    int64_t bytes = n * (int64_t)job.element_size;
    int64_t threads = pg_threads_get();
    int64_t min_per_thread = src == dst ? PG_MIN_ELEMENTS_PER_THREAD_IN_PLACE : PG_MIN_ELEMENTS_PER_THREAD;
    if (threads > n / min_per_thread) {
        threads = n / min_per_thread;
    }
    /* One thread running the whole call meets first what the code before
     * left in the caches by running descending.  Where the streaming
     * crossover is each core's own cache, so is each thread's share of
     * dst: the pooled chunks' kernel may differ from one thread's. */
    const bool in_place = src == dst;
    job.whole = (pass_choice){pg_lrelu_choose_contiguous(job.kernels, dense, bytes, in_place, 1),
                              pg_lrelu_whole_pass_descends(dense, bytes, in_place)};
    job.pooled = (pass_choice){
        threads > 1 ? pg_lrelu_choose_contiguous(job.kernels, dense, bytes, in_place, threads) : job.whole.contiguous,
        false};
    const stream_trial_call trial = begin_stream_trial(&job, dense, bytes, threads);
    if (threads <= 1) {
        job.chunk_elements = n;
        run_chunks(&job, 0, 1);
    } else {
        int64_t chunks_wanted = threads * PG_CHUNKS_PER_THREAD;
        int64_t chunk = (n + chunks_wanted - 1) / chunks_wanted;
        chunk = (chunk + PG_CHUNK_GRANULE - 1) / PG_CHUNK_GRANULE * PG_CHUNK_GRANULE;
        job.chunk_elements = chunk;
        size_t num_chunks = (size_t)((n + chunk - 1) / chunk);
        /* In place a chunk's lines are read and written; out of place
         * both tensors' are touched.  Strided rows touch lines their
         * elements do not fill: unknown (0). */
        const size_t chunk_bytes = dense ? (size_t)chunk * job.element_size * (src == dst ? 1 : 2) : 0;
        pg_parallel_for(num_chunks, (int)threads, job_shape(&job, dense), chunk_bytes, run_chunks, &job);
    }
    end_stream_trial(&trial);
}
