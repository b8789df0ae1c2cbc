/*
 * test_execute_heap.c — "execute allocates nothing on the heap" (pygraph.h,
 * pygraph_compiled_partition_execute), measured.
 *
 * The program is linked with -Wl,--wrap=malloc (and calloc, realloc,
 * aligned_alloc, posix_memalign): every call the library's objects make to
 * those functions goes through the counters below.  After one warm-up
 * execution (the thread pool may start lazily), executions of every kind
 * must not allocate at all.
 */
#include <stdatomic.h>

#include "test_util.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *pointer, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
int __real_posix_memalign(void **pointer, size_t alignment, size_t size);

static atomic_int counting;
static atomic_long allocations;

static void count_allocation(void) {
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
}

void *__wrap_malloc(size_t size) {
    count_allocation();
    return __real_malloc(size);
}
void *__wrap_calloc(size_t count, size_t size) {
    count_allocation();
    return __real_calloc(count, size);
}
void *__wrap_realloc(void *pointer, size_t size) {
    count_allocation();
    return __real_realloc(pointer, size);
}
void *__wrap_aligned_alloc(size_t alignment, size_t size) {
    count_allocation();
    return __real_aligned_alloc(alignment, size);
}
int __wrap_posix_memalign(void **pointer, size_t alignment, size_t size) {
    count_allocation();
    return __real_posix_memalign(pointer, alignment, size);
}

static pygraph_engine *engine;
static pygraph_stream *stream;

typedef struct execution {
    pygraph_compiled_partition *compiled;
    pygraph_logical_tensor src, dst;
    void *src_data, *dst_data;
} execution;

static execution prepare(pygraph_data_type type, const float *alphas, size_t num_alphas, pygraph_logical_tensor src,
                         pygraph_logical_tensor dst, size_t src_bytes, size_t src_origin_offset, int in_place) {
    execution e;
    e.compiled = tu_compile_chain(engine, alphas, num_alphas, src, dst);
    src.id = 100;
    e.src = src;
    REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(e.compiled, 100 + num_alphas, &e.dst));
    unsigned char *memory = tu_malloc(src_bytes);
    memset(memory, 0x3C, src_bytes);
    e.src_data = memory + src_origin_offset;
    size_t dst_bytes = 0;
    REQUIRE_OK(pygraph_logical_tensor_get_mem_size(&e.dst, &dst_bytes));
    e.dst_data = in_place ? e.src_data : tu_malloc(dst_bytes);
    (void)type;
    return e;
}

/* Executes with counting on; returns the number of allocations seen. */
static long counted_execute(const execution *e, int lean) {
    atomic_store(&allocations, 0);
    atomic_store(&counting, 1);
    pygraph_status status;
    if (lean) {
        void *inputs[1] = {e->src_data}, *outputs[1] = {e->dst_data};
        status = pygraph_compiled_partition_execute_buffers(e->compiled, stream, 1, inputs, 1, outputs);
    } else {
        status = tu_execute1(e->compiled, stream, &e->src, e->src_data, &e->dst, e->dst_data);
    }
    atomic_store(&counting, 0);
    CHECK_OK(status);
    return atomic_load(&allocations);
}

int main(void) {
    REQUIRE_OK(pygraph_engine_create(&engine, pygraph_engine_kind_cpu, 0));
    REQUIRE_OK(pygraph_stream_create(&stream, engine));
    const float one[1] = {0.01f};
    const float three[3] = {0.5f, -2.0f, 0.25f};
    const int64_t large = (int64_t)1 << 21;

    /* The wrapping works: an allocation in this window is seen. */
    atomic_store(&allocations, 0);
    atomic_store(&counting, 1);
    void *volatile probe = malloc(16); /* volatile: the pair may not be optimised away */
    free(probe);
    atomic_store(&counting, 0);
    long probe_count = atomic_load(&allocations);
    REQUIRE(probe_count == 1);
    /* ... and so are the library's own (creating a graph allocates). */
    atomic_store(&allocations, 0);
    atomic_store(&counting, 1);
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    atomic_store(&counting, 0);
    REQUIRE_OK(pygraph_graph_destroy(graph));
    long library_count = atomic_load(&allocations);
    REQUIRE(library_count >= 1);

    struct {
        const char *what;
        execution e;
    } cases[] = {
        {"small f32", prepare(pygraph_data_type_f32, one, 1,
                              tu_lt(0, pygraph_data_type_f32, 2, (int64_t[]){3, 5}, pygraph_layout_type_strided),
                              tu_lt(0, pygraph_data_type_f32, PYGRAPH_UNKNOWN_NDIMS, NULL, pygraph_layout_type_any),
                              15 * 4, 0, 0)},
        {"large bf16 chain", prepare(pygraph_data_type_bf16, three, 3,
                                     tu_lt(0, pygraph_data_type_bf16, 1, &large, pygraph_layout_type_strided),
                                     tu_lt(0, pygraph_data_type_bf16, PYGRAPH_UNKNOWN_NDIMS, NULL,
                                           pygraph_layout_type_any),
                                     (size_t)large * 2, 0, 0)},
        {"large f16 reversed", prepare(pygraph_data_type_f16, one, 1,
                                       tu_lt_strided(0, pygraph_data_type_f16, 1, &large, (int64_t[]){-1}),
                                       tu_lt(0, pygraph_data_type_f16, PYGRAPH_UNKNOWN_NDIMS, NULL,
                                             pygraph_layout_type_any),
                                       (size_t)large * 2, (size_t)(large - 1) * 2, 0)},
        {"large f32 in place", prepare(pygraph_data_type_f32, one, 1,
                                       tu_lt(0, pygraph_data_type_f32, 1, &large, pygraph_layout_type_strided),
                                       tu_lt(0, pygraph_data_type_f32, 1, &large, pygraph_layout_type_strided),
                                       (size_t)large * 4, 0, 1)},
        {"strided 3-d f32", prepare(pygraph_data_type_f32, three, 3,
                                    tu_lt_strided(0, pygraph_data_type_f32, 3, (int64_t[]){64, 33, 65},
                                                  (int64_t[]){1, 64 * 65, 64}),
                                    tu_lt(0, pygraph_data_type_f32, PYGRAPH_UNKNOWN_NDIMS, NULL,
                                          pygraph_layout_type_any),
                                    (size_t)64 * 33 * 65 * 4, 0, 0)},
    };
    size_t num_cases = sizeof cases / sizeof cases[0];

    for (int threads = 1; threads <= 2; threads++) {
        REQUIRE_OK(pygraph_set_num_threads(threads));
        for (size_t c = 0; c < num_cases; c++) {
            counted_execute(&cases[c].e, 0); /* warm-up: lazy start-up may allocate */
            for (int lean = 0; lean <= 1; lean++) {
                long seen = counted_execute(&cases[c].e, lean);
                if (!CHECK(seen == 0)) {
                    fprintf(stderr, "  %s (%s, %d threads): %ld heap allocations\n", cases[c].what,
                            lean ? "execute_buffers" : "execute", threads, seen);
                }
            }
        }
    }

    for (size_t c = 0; c < num_cases; c++) {
        CHECK_OK(pygraph_compiled_partition_destroy(cases[c].e.compiled));
        if (cases[c].e.dst_data != cases[c].e.src_data) free(cases[c].e.dst_data);
    }
    /* the src blocks: recompute each block start from its origin */
    free(cases[0].e.src_data);
    free(cases[1].e.src_data);
    free((unsigned char *)cases[2].e.src_data - (size_t)(large - 1) * 2);
    free(cases[3].e.src_data);
    free(cases[4].e.src_data);
    CHECK_OK(pygraph_set_num_threads(0));
    CHECK_OK(pygraph_stream_destroy(stream));
    CHECK_OK(pygraph_engine_destroy(engine));
    return tu_finish("test_execute_heap");
}
