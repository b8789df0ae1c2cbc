/*
 * test_execute.c — pygraph_compiled_partition_execute and _execute_buffers:
 * results (against the independent oracle), every layout the contract
 * allows (strided, negative and zero src strides, padded dst, 0-d,
 * zero-size, 12 dims, in place), fused chains giving exactly the op-by-op
 * bits, the checks made before any memory is touched (a failed execute
 * leaves the output's canary pattern intact), and concurrent executions of
 * one compiled partition.
 */
/* fork, waitpid, alarm (the fork-after-use test) are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lrelu_oracle.h"
#include "random_graph.h"
#include "test_util.h"

static pygraph_engine *engine;
static pygraph_stream *stream;

/* ---- memory described by a logical tensor -------------------------------- */

static size_t element_size(pygraph_data_type type) { return pygraph_data_type_size(type); }

static oracle_format format_of(pygraph_data_type type) {
    return type == pygraph_data_type_f32 ? oracle_f32 : type == pygraph_data_type_bf16 ? oracle_bf16 : oracle_f16;
}

static uint32_t load_bits(const void *origin, int64_t offset, pygraph_data_type type) {
    if (element_size(type) == 4) {
        uint32_t bits;
        memcpy(&bits, (const char *)origin + offset * 4, 4);
        return bits;
    }
    uint16_t bits;
    memcpy(&bits, (const char *)origin + offset * 2, 2);
    return bits;
}

static void store_bits(void *origin, int64_t offset, pygraph_data_type type, uint32_t bits) {
    if (element_size(type) == 4) {
        memcpy((char *)origin + offset * 4, &bits, 4);
    } else {
        uint16_t narrow = (uint16_t)bits;
        memcpy((char *)origin + offset * 2, &narrow, 2);
    }
}

/* Memory for a strided description, with guard elements on both sides so
 * that writes outside the described elements are seen. */
typedef struct strided_memory {
    unsigned char *block;
    size_t block_bytes;
    void *origin; /* element (0, ..., 0) */
} strided_memory;

#define GUARD_ELEMENTS 16

static void extent_offsets(const pygraph_logical_tensor *lt, int64_t *lowest, int64_t *highest) {
    *lowest = 0;
    *highest = 0;
    for (int d = 0; d < lt->ndims; d++) {
        if (lt->dims[d] == 0) {
            *lowest = 0;
            *highest = -1;
            return;
        }
        int64_t reach = (lt->dims[d] - 1) * lt->strides[d];
        if (reach < 0) {
            *lowest += reach;
        } else {
            *highest += reach;
        }
    }
}

static strided_memory memory_for(const pygraph_logical_tensor *lt) {
    int64_t lowest, highest;
    extent_offsets(lt, &lowest, &highest);
    size_t elements = (size_t)(highest - lowest + 1) + 2 * GUARD_ELEMENTS;
    strided_memory memory;
    memory.block_bytes = elements * element_size(lt->data_type);
    memory.block = tu_malloc(memory.block_bytes);
    tu_fill_canary(memory.block, memory.block_bytes);
    memory.origin = memory.block + (size_t)(GUARD_ELEMENTS - lowest) * element_size(lt->data_type);
    return memory;
}

/* Advances a row-major multi-index; 0 when it wrapped around. */
static int next_index(int64_t *index, const pygraph_logical_tensor *lt) {
    for (int d = lt->ndims - 1; d >= 0; d--) {
        if (++index[d] < lt->dims[d]) return 1;
        index[d] = 0;
    }
    return 0;
}

static int64_t offset_of(const int64_t *index, const pygraph_logical_tensor *lt) {
    int64_t offset = 0;
    for (int d = 0; d < lt->ndims; d++) offset += index[d] * lt->strides[d];
    return offset;
}

static int64_t element_count(const pygraph_logical_tensor *lt) {
    int64_t count = 1;
    for (int d = 0; d < lt->ndims; d++) count *= lt->dims[d];
    return count;
}

/* Interesting values first, then random bit patterns (NaNs, subnormals,
 * infinities and large values all occur). */
static uint32_t test_value(uint64_t *state, int64_t i, pygraph_data_type type) {
    static const uint32_t f32_specials[] = {0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000,
                                            0x7FC00000, 0xFFC00001, 0x7F800001, 0xFF812345, 0x00000001, 0x80000001,
                                            0x807FFFFF, 0xFF7FFFFF, 0x7F7FFFFF, 0xC0490FDB};
    static const uint32_t half_specials[] = {0x0000, 0x8000, 0x3C00, 0xBC00, 0x7C00, 0xFC00, 0x7E00, 0xFE01,
                                             0x7C01, 0xFD23, 0x0001, 0x8001, 0x83FF, 0xFBFF, 0x7BFF, 0xC248};
    static const uint32_t bf16_specials[] = {0x0000, 0x8000, 0x3F80, 0xBF80, 0x7F80, 0xFF80, 0x7FC0, 0xFFC1,
                                             0x7F81, 0xFF92, 0x0001, 0x8001, 0x807F, 0xFF7F, 0x7F7F, 0xC049};
    if (i < 16) {
        return type == pygraph_data_type_f32 ? f32_specials[i]
               : type == pygraph_data_type_bf16 ? bf16_specials[i]
                                                : half_specials[i];
    }
    uint64_t r = tu_random(state);
    if (type != pygraph_data_type_f32) return (uint32_t)(r & 0xFFFF);
    /* Half of the f32 values near 1 so that products stay ordinary. */
    if (r & 1) return (uint32_t)((r >> 8) & 0x807FFFFFu) | 0x3F000000u;
    return (uint32_t)(r >> 32);
}

static void fill_values(const pygraph_logical_tensor *lt, void *origin, uint64_t seed) {
    if (element_count(lt) == 0) return;
    int64_t index[PYGRAPH_MAX_NDIMS] = {0};
    int64_t i = 0;
    do {
        store_bits(origin, offset_of(index, lt), lt->data_type, test_value(&seed, i++, lt->data_type));
    } while (next_index(index, lt));
}

/* Every dst element is the oracle's chain of its src element, and every dst
 * byte outside the described elements still holds the canary. */
static int check_results(const pygraph_logical_tensor *src_lt, const void *src_copy_origin,
                         const pygraph_logical_tensor *dst_lt, const strided_memory *dst, const float *alphas,
                         size_t num_alphas, int line) {
    size_t size = element_size(dst_lt->data_type);
    size_t slots = dst->block_bytes / size;
    unsigned char *reached = calloc(slots, 1);
    REQUIRE(reached != NULL);
    int mismatches = 0;
    if (element_count(dst_lt) > 0) {
        int64_t index[PYGRAPH_MAX_NDIMS] = {0};
        do {
            uint32_t src_bits = load_bits(src_copy_origin, offset_of(index, src_lt), src_lt->data_type);
            int64_t dst_offset = offset_of(index, dst_lt);
            uint32_t got = load_bits(dst->origin, dst_offset, dst_lt->data_type);
            uint32_t expected = oracle_lrelu_chain(src_bits, alphas, num_alphas, format_of(dst_lt->data_type));
            reached[((const unsigned char *)dst->origin - dst->block) / size + dst_offset] = 1;
            if (got != expected && mismatches++ < 5) {
                fprintf(stderr, "  line %d: %s element at offset %" PRId64 ": src 0x%08" PRIx32 " alpha[0] %g -> "
                                "expected 0x%08" PRIx32 ", got 0x%08" PRIx32 "\n",
                        line, pygraph_data_type_name(dst_lt->data_type), dst_offset, src_bits, (double)alphas[0],
                        expected, got);
            }
        } while (next_index(index, dst_lt));
    }
    int stray_writes = 0;
    for (size_t slot = 0; slot < slots; slot++) {
        if (!reached[slot] && !tu_is_canary(dst->block + slot * size, size) && stray_writes++ < 5) {
            fprintf(stderr, "  line %d: element slot %zu outside the dst description was written\n", line, slot);
        }
    }
    free(reached);
    int ok = CHECK(mismatches == 0) & CHECK(stray_writes == 0);
    if (!ok) fprintf(stderr, "  ^ %d mismatches, %d stray writes (case at line %d)\n", mismatches, stray_writes, line);
    return ok;
}

/* Compiles a chain for src_lt (strided) and dst_lt, executes it on fresh
 * memory and checks every bit; the src memory must be left unchanged. */
static void run_case(pygraph_logical_tensor src_lt, pygraph_logical_tensor dst_lt, const float *alphas,
                     size_t num_alphas, uint64_t seed, int line) {
    pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, num_alphas, src_lt, dst_lt);
    src_lt.id = 100;
    dst_lt.id = 100 + num_alphas;
    pygraph_logical_tensor compiled_dst;
    REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(compiled, dst_lt.id, &compiled_dst));
    strided_memory src = memory_for(&src_lt), dst = memory_for(&compiled_dst);
    fill_values(&src_lt, src.origin, seed);
    unsigned char *src_copy = tu_malloc(src.block_bytes);
    memcpy(src_copy, src.block, src.block_bytes);
    if (CHECK_OK(tu_execute1(compiled, stream, &src_lt, src.origin, &compiled_dst, dst.origin))) {
        check_results(&src_lt, src_copy + ((unsigned char *)src.origin - src.block), &compiled_dst, &dst, alphas,
                      num_alphas, line);
    } else {
        fprintf(stderr, "  ^ case at line %d\n", line);
    }
    if (!CHECK(memcmp(src_copy, src.block, src.block_bytes) == 0)) {
        fprintf(stderr, "  line %d: execute modified its input\n", line);
    }
    free(src_copy);
    free(src.block);
    free(dst.block);
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

static pygraph_logical_tensor any_output(pygraph_data_type type) {
    return tu_lt(0, type, PYGRAPH_UNKNOWN_NDIMS, NULL, pygraph_layout_type_any);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_known_values(void) {
    /* A hand-checked case, independent of the oracle. */
    const float alphas[1] = {0.5f};
    pygraph_logical_tensor src = tu_lt(0, pygraph_data_type_f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
    pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, 1, src, any_output(pygraph_data_type_f32));
    src.id = 100;
    pygraph_logical_tensor dst;
    REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(compiled, 101, &dst));
    float in[6] = {-2.0f, -1.0f, 0.0f, 1.0f, 2.0f, -0.0f};
    float out[6];
    memset(out, 0, sizeof out);
    CHECK_OK(tu_execute1(compiled, stream, &src, in, &dst, out));
    const float expected[6] = {-1.0f, -0.5f, 0.0f, 1.0f, 2.0f, -0.0f};
    for (int i = 0; i < 6; i++) CHECK(tu_f32_bits(out[i]) == tu_f32_bits(expected[i]));
    CHECK_OK(pygraph_stream_wait(stream));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

static void test_layouts(void) {
    const pygraph_data_type types[3] = {pygraph_data_type_f32, pygraph_data_type_bf16, pygraph_data_type_f16};
    const float alphas[2] = {-0.375f, 1.5f};
    for (int t = 0; t < 3; t++) {
        pygraph_data_type type = types[t];
        uint64_t seed = 1000 + (uint64_t)t;
        /* contiguous, odd sizes */
        run_case(tu_lt(0, type, 2, (int64_t[]){17, 33}, pygraph_layout_type_strided), any_output(type), alphas, 1,
                 seed++, __LINE__);
        /* padded rows and an element stride of 2 */
        run_case(tu_lt_strided(0, type, 2, (int64_t[]){7, 9}, (int64_t[]){40, 2}), any_output(type), alphas, 1,
                 seed++, __LINE__);
        /* negative strides (reversed in both dims) */
        run_case(tu_lt_strided(0, type, 2, (int64_t[]){5, 11}, (int64_t[]){-11, -1}), any_output(type), alphas, 1,
                 seed++, __LINE__);
        run_case(tu_lt_strided(0, type, 1, (int64_t[]){100}, (int64_t[]){-3}), any_output(type), alphas, 2, seed++,
                 __LINE__);
        /* zero strides: a broadcast row, a broadcast column, one element */
        run_case(tu_lt_strided(0, type, 2, (int64_t[]){6, 13}, (int64_t[]){0, 1}), any_output(type), alphas, 1,
                 seed++, __LINE__);
        run_case(tu_lt_strided(0, type, 2, (int64_t[]){6, 13}, (int64_t[]){1, 0}), any_output(type), alphas, 1,
                 seed++, __LINE__);
        run_case(tu_lt_strided(0, type, 2, (int64_t[]){4, 4}, (int64_t[]){0, 0}), any_output(type), alphas, 2,
                 seed++, __LINE__);
        /* column-major src, dense dst in the same order */
        run_case(tu_lt_strided(0, type, 3, (int64_t[]){3, 4, 5}, (int64_t[]){1, 3, 12}), any_output(type), alphas, 1,
                 seed++, __LINE__);
        /* column-major src into an explicitly row-major dst */
        run_case(tu_lt_strided(0, type, 3, (int64_t[]){3, 4, 5}, (int64_t[]){1, 3, 12}),
                 tu_lt(0, type, 3, (int64_t[]){3, 4, 5}, pygraph_layout_type_strided), alphas, 1, seed++, __LINE__);
        /* padded dst: the padding keeps its canary */
        run_case(tu_lt(0, type, 2, (int64_t[]){9, 10}, pygraph_layout_type_strided),
                 tu_lt_strided(0, type, 2, (int64_t[]){9, 10}, (int64_t[]){13, 1}), alphas, 1, seed++, __LINE__);
        /* reversed dst (negative output strides keep elements distinct) */
        run_case(tu_lt(0, type, 2, (int64_t[]){7, 19}, pygraph_layout_type_strided),
                 tu_lt_strided(0, type, 2, (int64_t[]){7, 19}, (int64_t[]){-19, -1}), alphas, 1, seed++, __LINE__);
        /* strided dst with an element stride */
        run_case(tu_lt(0, type, 1, (int64_t[]){77}, pygraph_layout_type_strided),
                 tu_lt_strided(0, type, 1, (int64_t[]){77}, (int64_t[]){3}), alphas, 2, seed++, __LINE__);
        /* 0-d */
        run_case(tu_lt(0, type, 0, NULL, pygraph_layout_type_strided), any_output(type), alphas, 1, seed++, __LINE__);
        /* extent-1 dims with arbitrary strides */
        run_case(tu_lt_strided(0, type, 3, (int64_t[]){1, 50, 1}, (int64_t[]){-999, 1, 12345}), any_output(type),
                 alphas, 1, seed++, __LINE__);
        /* 12 dims: mixed signs, a permutation and a zero stride */
        {
            int64_t dims[PYGRAPH_MAX_NDIMS] = {2, 3, 2, 1, 2, 2, 3, 2, 1, 2, 2, 2};
            int64_t src_strides[PYGRAPH_MAX_NDIMS], padded_strides[PYGRAPH_MAX_NDIMS];
            int64_t stride = 1;
            /* dim 0 innermost, every fourth dim padded by one */
            for (int d = 0; d < PYGRAPH_MAX_NDIMS; d++) {
                padded_strides[d] = stride;
                src_strides[d] = (d % 3 == 1) ? -stride : stride;
                stride *= dims[d] + (d % 4 == 0);
            }
            src_strides[5] = 0;
            run_case(tu_lt_strided(0, type, PYGRAPH_MAX_NDIMS, dims, src_strides), any_output(type), alphas, 2,
                     seed++, __LINE__);
            run_case(tu_lt(0, type, PYGRAPH_MAX_NDIMS, dims, pygraph_layout_type_strided),
                     tu_lt_strided(0, type, PYGRAPH_MAX_NDIMS, dims, padded_strides), alphas, 1, seed++, __LINE__);
        }
    }
}

/* A stream and a compiled partition do not depend on the engine they came
 * from: both work after it is destroyed. */
static void test_lifetimes(void) {
    pygraph_engine *short_lived = NULL;
    pygraph_stream *own_stream = NULL;
    REQUIRE_OK(pygraph_engine_create(&short_lived, pygraph_engine_kind_cpu, 0));
    REQUIRE_OK(pygraph_stream_create(&own_stream, short_lived));
    const float alphas[1] = {-1.0f};
    pygraph_logical_tensor src = tu_lt(0, pygraph_data_type_f32, 1, (int64_t[]){4}, pygraph_layout_type_strided);
    pygraph_compiled_partition *compiled = tu_compile_chain(short_lived, alphas, 1, src, src);
    CHECK_OK(pygraph_engine_destroy(short_lived));
    src.id = 100;
    pygraph_logical_tensor dst = src;
    dst.id = 101;
    float in[4] = {-1.0f, 2.0f, -3.0f, -0.0f}, out[4] = {0};
    CHECK_OK(tu_execute1(compiled, own_stream, &src, in, &dst, out));
    CHECK(out[0] == 1.0f && out[1] == 2.0f && out[2] == 3.0f && tu_f32_bits(out[3]) == 0x80000000u);
    CHECK_OK(pygraph_stream_wait(own_stream));
    CHECK_OK(pygraph_stream_destroy(own_stream));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

static void test_zero_size(void) {
    const float alphas[1] = {0.1f};
    pygraph_logical_tensor src = tu_lt(0, pygraph_data_type_f32, 2, (int64_t[]){0, 5}, pygraph_layout_type_strided);
    pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, 1, src, any_output(pygraph_data_type_f32));
    src.id = 100;
    pygraph_logical_tensor dst;
    REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(compiled, 101, &dst));
    CHECK(dst.ndims == 2 && dst.dims[0] == 0 && dst.dims[1] == 5);
    /* Zero elements: NULL data is fine, and nothing is touched. */
    CHECK_OK(tu_execute1(compiled, stream, &src, NULL, &dst, NULL));
    float canary[4];
    tu_fill_canary(canary, sizeof canary);
    CHECK_OK(tu_execute1(compiled, stream, &src, canary, &dst, canary + 2));
    CHECK(tu_is_canary(canary, sizeof canary));
    /* A zero-size tensor has no stride constraint. */
    pygraph_logical_tensor odd = tu_lt_strided(100, pygraph_data_type_f32, 2, (int64_t[]){0, 5}, (int64_t[]){-7, 3});
    CHECK_OK(tu_execute1(compiled, stream, &odd, canary, &dst, canary + 2));
    CHECK(tu_is_canary(canary, sizeof canary));
    void *null_buffers[1] = {NULL};
    CHECK_OK(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, null_buffers, 1, null_buffers));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));

    /* Extents whose product overflows int64, with a zero among them: still
     * empty (a fuzzer finding: the kernel plan multiplied the extents
     * before meeting the zero, a signed overflow). */
    const int64_t huge_dims[3] = {(int64_t)1 << 40, (int64_t)1 << 40, 0};
    pygraph_logical_tensor huge = tu_lt_strided(0, pygraph_data_type_f32, 3, huge_dims, (int64_t[]){1, 1, 1});
    compiled = tu_compile_chain(engine, alphas, 1, huge, huge);
    pygraph_logical_tensor huge_src = huge, huge_dst = huge;
    huge_src.id = 100;
    huge_dst.id = 101;
    CHECK_OK(tu_execute1(compiled, stream, &huge_src, NULL, &huge_dst, NULL));
    CHECK_OK(pygraph_compiled_partition_execute_unary(compiled, stream, NULL, NULL));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

static void test_in_place(void) {
    const pygraph_data_type types[3] = {pygraph_data_type_f32, pygraph_data_type_bf16, pygraph_data_type_f16};
    const float alphas[3] = {0.25f, -3.0f, 0.0f};
    for (int t = 0; t < 3; t++) {
        pygraph_data_type type = types[t];
        /* dense and padded, both with dst described exactly as src */
        const pygraph_logical_tensor layouts[2] = {
            tu_lt(0, type, 2, (int64_t[]){31, 37}, pygraph_layout_type_strided),
            tu_lt_strided(0, type, 2, (int64_t[]){31, 37}, (int64_t[]){41, 1}),
        };
        for (int l = 0; l < 2; l++) {
            pygraph_logical_tensor lt = layouts[l];
            pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, 3, lt, lt);
            size_t num_pairs = 0;
            const pygraph_inplace_pair *pairs = NULL;
            CHECK_OK(pygraph_compiled_partition_get_inplace_ports(compiled, &num_pairs, &pairs));
            CHECK(num_pairs == 1 && pairs[0].input_id == 100 && pairs[0].output_id == 103);
            pygraph_logical_tensor src_lt = lt, dst_lt = lt;
            src_lt.id = 100;
            dst_lt.id = 103;
            strided_memory memory = memory_for(&lt);
            fill_values(&lt, memory.origin, 77 + (uint64_t)t);
            unsigned char *original = tu_malloc(memory.block_bytes);
            memcpy(original, memory.block, memory.block_bytes);
            if (CHECK_OK(tu_execute1(compiled, stream, &src_lt, memory.origin, &dst_lt, memory.origin))) {
                check_results(&lt, original + ((unsigned char *)memory.origin - memory.block), &lt, &memory, alphas, 3,
                              __LINE__);
            }
            /* The lean form, in place too. */
            memcpy(memory.block, original, memory.block_bytes);
            void *buffers[1] = {memory.origin};
            if (CHECK_OK(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, buffers, 1, buffers))) {
                check_results(&lt, original + ((unsigned char *)memory.origin - memory.block), &lt, &memory, alphas, 3,
                              __LINE__);
            }
            free(original);
            free(memory.block);
            CHECK_OK(pygraph_compiled_partition_destroy(compiled));
        }
    }
}

/* Runs the chain op by op through the debug policy (each partition compiled
 * and executed on its own, intermediates in dense buffers of the chain's
 * dtype) and through the fusion policy; both must give the same bits, and
 * the oracle's. */
static void check_fused_equals_op_by_op(pygraph_data_type type, const float *alphas, size_t num_alphas,
                                        pygraph_logical_tensor src_lt, uint64_t seed, int line) {
    int failures_before = tu_failures;
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    for (size_t i = 0; i < num_alphas; i++) {
        pygraph_logical_tensor in = tu_lt(100 + i, type, src_lt.ndims, src_lt.dims, pygraph_layout_type_any);
        pygraph_logical_tensor out = tu_lt(101 + i, type, src_lt.ndims, src_lt.dims, pygraph_layout_type_any);
        REQUIRE_OK(tu_add_lrelu(graph, 1 + i, NULL, alphas[i], &in, &out));
    }
    REQUIRE_OK(pygraph_graph_finalize(graph));
    src_lt.id = 100;
    src_lt.data_type = type;
    strided_memory src = memory_for(&src_lt);
    fill_values(&src_lt, src.origin, seed);
    int64_t count = element_count(&src_lt);
    size_t size = element_size(type);

    /* fused */
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    pygraph_logical_tensor dst_any = any_output(type);
    dst_any.id = 100 + num_alphas;
    pygraph_compiled_partition *fused = NULL;
    REQUIRE_OK(pygraph_partition_compile(parts[0], &fused, 1, &src_lt, 1, &dst_any, engine));
    tu_destroy_partitions(parts, num);
    pygraph_logical_tensor fused_dst;
    REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(fused, 100 + num_alphas, &fused_dst));
    strided_memory fused_out = memory_for(&fused_dst);
    CHECK_OK(tu_execute1(fused, stream, &src_lt, src.origin, &fused_dst, fused_out.origin));
    check_results(&src_lt, src.origin, &fused_dst, &fused_out, alphas, num_alphas, line);
    CHECK_OK(pygraph_compiled_partition_destroy(fused));

    /* op by op */
    num = tu_partitions(graph, pygraph_partition_policy_debug, &parts);
    REQUIRE(num == num_alphas);
    pygraph_logical_tensor current_lt = src_lt;
    void *current = src.origin;
    void *buffers[2] = {tu_malloc((size_t)count * size), tu_malloc((size_t)count * size)};
    for (size_t i = 0; i < num; i++) {
        pygraph_logical_tensor out_lt = any_output(type);
        out_lt.id = 101 + i;
        pygraph_compiled_partition *step = NULL;
        REQUIRE_OK(pygraph_partition_compile(parts[i], &step, 1, &current_lt, 1, &out_lt, engine));
        REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(step, 101 + i, &out_lt));
        void *out = buffers[i % 2];
        CHECK_OK(tu_execute1(step, stream, &current_lt, current, &out_lt, out));
        CHECK_OK(pygraph_compiled_partition_destroy(step));
        current_lt = out_lt;
        current = out;
    }
    tu_destroy_partitions(parts, num);
    /* Same layout (dense in src order) for both results: compare bytes. */
    CHECK(current_lt.ndims == fused_dst.ndims &&
          memcmp(current_lt.strides, fused_dst.strides, sizeof(int64_t) * (size_t)fused_dst.ndims) == 0);
    int64_t lowest, highest;
    extent_offsets(&fused_dst, &lowest, &highest);
    CHECK(lowest == 0 && highest == count - 1);
    if (!CHECK(memcmp(current, fused_out.origin, (size_t)count * size) == 0)) {
        fprintf(stderr, "  line %d: fused and op-by-op bits differ\n", line);
    }
    free(buffers[0]);
    free(buffers[1]);
    free(src.block);
    free(fused_out.block);
    CHECK_OK(pygraph_graph_destroy(graph));
    if (tu_failures != failures_before) fprintf(stderr, "  ^ fused vs op-by-op case at line %d\n", line);
}

static void test_fused_chains(void) {
    const pygraph_data_type types[3] = {pygraph_data_type_f32, pygraph_data_type_bf16, pygraph_data_type_f16};
    const float nan_payload = tu_f32_from_bits(0x7F812345u);
    const float chains[][4] = {
        {0.01f, 0.01f, 0.01f, 0.01f},
        {-0.5f, 3.0f, -7.0f, 0.1f},
        {2.0f, INFINITY, 0.0f, -1.0f},
        {nan_payload, -1.0f, 0.3f, 65504.0f},
        {1e-30f, -1e30f, 1e-8f, -3e4f},
    };
    for (int t = 0; t < 3; t++) {
        for (size_t c = 0; c < sizeof chains / sizeof chains[0]; c++) {
            uint64_t seed = 5000 + (uint64_t)(t * 10) + c;
            check_fused_equals_op_by_op(types[t], chains[c], 4,
                                        tu_lt(0, types[t], 1, (int64_t[]){100003}, pygraph_layout_type_strided), seed,
                                        __LINE__);
            check_fused_equals_op_by_op(types[t], chains[c], 2,
                                        tu_lt_strided(0, types[t], 2, (int64_t[]){301, 67}, (int64_t[]){-1, 400}),
                                        seed + 100, __LINE__);
        }
    }
}

/* Checks made before any memory is touched: each failure keeps the output's
 * canary and names the port and expected vs got. */
static void test_tensor_checks(void) {
    const float alphas[1] = {0.5f};
    const pygraph_data_type f32 = pygraph_data_type_f32;
    pygraph_logical_tensor src = tu_lt(0, f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
    pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, 1, src, any_output(f32));
    src.id = 100;
    pygraph_logical_tensor dst;
    REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(compiled, 101, &dst));
    float in[16];
    for (int i = 0; i < 16; i++) in[i] = -1.0f - (float)i;
    float out[16];
    tu_fill_canary(out, sizeof out);

#define EXPECT_REFUSED(input_tensor, output_tensor, status, ...)                                              \
    do {                                                                                                        \
        pygraph_tensor inputs_[1] = {input_tensor};                                                             \
        pygraph_tensor outputs_[1] = {output_tensor};                                                           \
        CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 1, inputs_, 1, outputs_), status,       \
                   __VA_ARGS__);                                                                                \
        CHECK(tu_is_canary(out, sizeof out));                                                                   \
    } while (0)

    pygraph_tensor good_in = {src, in}, good_out = {dst, out};
    pygraph_tensor t;

    /* dtype */
    t = good_in;
    t.desc.data_type = pygraph_data_type_bf16;
    EXPECT_REFUSED(t, good_out, pygraph_invalid_data_type, "input 0 (src)", "100", "f32", "bf16");
    t = good_out;
    t.desc.data_type = pygraph_data_type_f16;
    EXPECT_REFUSED(good_in, t, pygraph_invalid_data_type, "output 0 (dst)", "101", "f32", "f16");
    /* dims */
    t = good_in;
    t.desc.dims[1] = 4;
    t.desc.strides[0] = 4;
    EXPECT_REFUSED(t, good_out, pygraph_invalid_shape, "input 0 (src)", "100", "[2, 3]", "[2, 4]");
    t = good_out;
    t.desc.ndims = 3;
    t.desc.dims[2] = 1;
    t.desc.strides[2] = 1;
    EXPECT_REFUSED(good_in, t, pygraph_invalid_shape, "output 0 (dst)", "101", "[2, 3]", "[2, 3, 1]");
    /* strides */
    t = good_in;
    t.desc.strides[0] = 1;
    t.desc.strides[1] = 2;
    EXPECT_REFUSED(t, good_out, pygraph_invalid_shape, "input 0 (src)", "100", "stride", "[3, 1]", "[1, 2]");
    t = good_out;
    t.desc.strides[0] = 4;
    EXPECT_REFUSED(good_in, t, pygraph_invalid_shape, "output 0 (dst)", "101", "stride", "[3, 1]", "[4, 1]");
    /* unknown dims in an execute-time description */
    t = good_in;
    t.desc.dims[0] = PYGRAPH_UNKNOWN_DIM;
    EXPECT_REFUSED(t, good_out, pygraph_invalid_shape, "input 0 (src)", "100", "[?, 3]");
    /* ports: unknown id, missing, duplicated */
    t = good_in;
    t.desc.id = 555;
    EXPECT_REFUSED(t, good_out, pygraph_invalid_arguments, "555");
    t = good_out;
    t.desc.id = 100; /* the input's id given as the output */
    EXPECT_REFUSED(good_in, t, pygraph_invalid_arguments, "100");
    {
        pygraph_tensor two_inputs[2] = {good_in, good_in};
        CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 2, two_inputs, 1, &good_out),
                   pygraph_invalid_arguments, "100");
        CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 0, two_inputs, 1, &good_out),
                   pygraph_invalid_arguments, "100");
        pygraph_tensor two_outputs[2] = {good_out, good_out};
        CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 1, &good_in, 2, two_outputs),
                   pygraph_invalid_arguments, "101");
        CHECK(tu_is_canary(out, sizeof out));
    }
    /* NULL data with elements */
    t = good_in;
    t.data = NULL;
    EXPECT_REFUSED(t, good_out, pygraph_invalid_arguments, "input 0 (src", "100", "NULL");
    t = good_out;
    t.data = NULL;
    EXPECT_REFUSED(good_in, t, pygraph_invalid_arguments, "output 0 (dst", "101", "NULL");
    /* Partial overlap of output and input. */
    {
        float shared[16];
        tu_fill_canary(shared, sizeof shared);
        pygraph_tensor overlapping_in = {src, shared}, overlapping_out = {dst, shared + 1};
        CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 1, &overlapping_in, 1, &overlapping_out),
                   pygraph_invalid_arguments, "overlap");
        CHECK(tu_is_canary(shared, sizeof shared));
        overlapping_out.data = shared + 5; /* shares one element only */
        CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 1, &overlapping_in, 1, &overlapping_out),
                   pygraph_invalid_arguments, "overlap");
        CHECK(tu_is_canary(shared, sizeof shared));
        overlapping_out.data = shared + 6; /* adjacent: fine */
        CHECK_OK(pygraph_compiled_partition_execute(compiled, stream, 1, &overlapping_in, 1, &overlapping_out));
        /* The same pointer with a different layout is not in place: a
         * partition compiled for a column-major src and a row-major dst. */
        float before[16];
        tu_fill_canary(shared, sizeof shared);
        memcpy(before, shared, sizeof before);
        {
            pygraph_logical_tensor cm_src = tu_lt_strided(0, f32, 2, (int64_t[]){2, 3}, (int64_t[]){1, 2});
            pygraph_logical_tensor rm_dst = tu_lt(0, f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
            pygraph_compiled_partition *transposing = tu_compile_chain(engine, alphas, 1, cm_src, rm_dst);
            cm_src.id = 100;
            rm_dst.id = 101;
            CHECK_FAIL(tu_execute1(transposing, stream, &cm_src, shared, &rm_dst, shared), pygraph_invalid_arguments,
                       "overlap");
            CHECK(memcmp(before, shared, sizeof before) == 0);
            CHECK_OK(pygraph_compiled_partition_destroy(transposing));
        }
        /* execute_buffers checks overlap too */
        void *in_buffers[1] = {shared}, *out_buffers[1] = {shared + 2};
        CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, in_buffers, 1, out_buffers),
                   pygraph_invalid_arguments, "overlap");
        CHECK(memcmp(before, shared, sizeof before) == 0);
    }
    /* A stride of an extent-1 dim is never compared. */
    {
        pygraph_logical_tensor row = tu_lt(0, f32, 2, (int64_t[]){1, 6}, pygraph_layout_type_strided);
        pygraph_compiled_partition *row_compiled = tu_compile_chain(engine, alphas, 1, row, any_output(f32));
        pygraph_logical_tensor row_dst;
        REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(row_compiled, 101, &row_dst));
        pygraph_logical_tensor row_src = tu_lt_strided(100, f32, 2, (int64_t[]){1, 6}, (int64_t[]){-12345, 1});
        row_dst.strides[0] = 99999;
        float row_out[6];
        CHECK_OK(tu_execute1(row_compiled, stream, &row_src, in, &row_dst, row_out));
        for (int i = 0; i < 6; i++) CHECK(row_out[i] == in[i] * 0.5f);
        CHECK_OK(pygraph_compiled_partition_destroy(row_compiled));
    }
    /* After all refusals the good call works. */
    CHECK_OK(pygraph_compiled_partition_execute(compiled, stream, 1, &good_in, 1, &good_out));
    for (int i = 0; i < 6; i++) CHECK(out[i] == in[i] * 0.5f);
    CHECK(tu_is_canary(out + 6, sizeof out - 6 * sizeof out[0]));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
#undef EXPECT_REFUSED
}

static void test_execute_buffers(void) {
    const float alphas[2] = {0.5f, 0.5f};
    pygraph_logical_tensor src = tu_lt_strided(0, pygraph_data_type_f32, 1, (int64_t[]){8}, (int64_t[]){-1});
    pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, 2, src, any_output(pygraph_data_type_f32));
    size_t num = 0;
    const pygraph_logical_tensor *ports = NULL;
    REQUIRE_OK(pygraph_compiled_partition_get_input_ports(compiled, &num, &ports));
    REQUIRE(num == 1 && ports[0].strides[0] == -1);
    float in[8], out[8];
    for (int i = 0; i < 8; i++) in[i] = (float)(i - 4);
    tu_fill_canary(out, sizeof out);
    void *in_buffers[1] = {in + 7}; /* element 0 is the last in memory */
    void *out_buffers[1] = {out};
    CHECK_OK(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, in_buffers, 1, out_buffers));
    for (int i = 0; i < 8; i++) {
        float x = in[7 - i];
        CHECK(out[i] == (x >= 0 ? x : x * 0.25f));
    }
    tu_fill_canary(out, sizeof out);
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, stream, 0, in_buffers, 1, out_buffers),
               pygraph_invalid_arguments, "1", "0");
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, in_buffers, 2, out_buffers),
               pygraph_invalid_arguments, "1", "2");
    void *null_buffer[1] = {NULL};
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, null_buffer, 1, out_buffers),
               pygraph_invalid_arguments, "NULL");
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, in_buffers, 1, null_buffer),
               pygraph_invalid_arguments, "NULL");
    CHECK(tu_is_canary(out, sizeof out));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

/* Many threads executing one compiled partition at once: each gets exactly
 * the single-threaded bits. */
typedef struct concurrent_job {
    const pygraph_compiled_partition *compiled;
    const pygraph_logical_tensor *src_lt;
    const pygraph_logical_tensor *dst_lt;
    const uint16_t *src;
    uint16_t *dst;
    pygraph_status status;
} concurrent_job;

static void *concurrent_worker(void *argument) {
    concurrent_job *job = argument;
    job->status = pygraph_success;
    for (int repeat = 0; repeat < 5 && job->status == pygraph_success; repeat++) {
        job->status = tu_execute1(job->compiled, stream, job->src_lt, job->src, job->dst_lt, job->dst);
    }
    return NULL;
}

/* A thread that builds, compiles, runs and destroys its own graphs while
 * other threads execute: objects of different threads are independent.
 * Uses raw calls only (the CHECK machinery is single-threaded). */
typedef struct builder_job {
    uint64_t first_id;
    int rounds_done;
    char failure[512];
} builder_job;

static void builder_fail(builder_job *job, const char *step, pygraph_status status) {
    if (job->failure[0] == '\0') {
        snprintf(job->failure, sizeof job->failure, "round %d, %s: %s: %s", job->rounds_done, step,
                 pygraph_status_name(status), pygraph_last_error_message());
    }
}

#define BUILDER_STEP(job, call)                    \
    do {                                           \
        pygraph_status status_ = (call);           \
        if (status_ != pygraph_success) {          \
            builder_fail((job), #call, status_);   \
            goto cleanup;                          \
        }                                          \
    } while (0)

static void *builder_worker(void *argument) {
    builder_job *job = argument;
    enum { length = 257 };
    const float alphas[3] = {0.5f, -2.0f, 0.25f};
    float src[length], dst[length];
    for (int i = 0; i < length; i++) src[i] = (float)(i - 128) * 0.75f;
    for (int round = 0; round < 150; round++) {
        pygraph_graph *graph = NULL;
        pygraph_op *op = NULL;
        pygraph_partition *partition = NULL;
        pygraph_compiled_partition *compiled = NULL;
        int64_t dims[1] = {length};
        pygraph_logical_tensor lts[4];
        BUILDER_STEP(job, pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
        for (int i = 0; i < 4; i++) {
            BUILDER_STEP(job, pygraph_logical_tensor_init(&lts[i], job->first_id + (uint64_t)i, pygraph_data_type_f32,
                                                          1, dims, pygraph_layout_type_strided,
                                                          pygraph_property_type_variable));
        }
        for (int i = 0; i < 3; i++) {
            BUILDER_STEP(job, pygraph_op_create(&op, (uint64_t)i, "LeakyReLU", NULL));
            BUILDER_STEP(job, pygraph_op_set_attr_f32(op, "alpha", alphas[i]));
            BUILDER_STEP(job, pygraph_op_add_input(op, &lts[i]));
            BUILDER_STEP(job, pygraph_op_add_output(op, &lts[i + 1]));
            BUILDER_STEP(job, pygraph_graph_add_op(graph, op));
            pygraph_op_destroy(op);
            op = NULL;
        }
        BUILDER_STEP(job, pygraph_graph_finalize(graph));
        size_t num = 0;
        BUILDER_STEP(job, pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, &num));
        if (num != 1) {
            builder_fail(job, "partition count", pygraph_runtime_error);
            goto cleanup;
        }
        BUILDER_STEP(job, pygraph_graph_get_partitions(graph, pygraph_partition_policy_fusion, 1, &partition));
        BUILDER_STEP(job, pygraph_partition_compile(partition, &compiled, 1, &lts[0], 1, &lts[3], engine));
        BUILDER_STEP(job, tu_execute1(compiled, stream, &lts[0], src, &lts[3], dst));
        for (int i = 0; i < length; i++) {
            uint32_t expected = oracle_lrelu_chain(tu_f32_bits(src[i]), alphas, 3, oracle_f32);
            if (tu_f32_bits(dst[i]) != expected) {
                builder_fail(job, "result bits", pygraph_runtime_error);
                break;
            }
        }
        job->rounds_done++;
    cleanup:
        pygraph_op_destroy(op);
        pygraph_compiled_partition_destroy(compiled);
        pygraph_partition_destroy(partition);
        pygraph_graph_destroy(graph);
        if (job->failure[0] != '\0') break;
    }
    return NULL;
}

static void test_concurrent_execution(void) {
    /* large enough that each execution may use the thread pool too */
    enum { threads = 4, builders = 2, count = (1 << 20) + 3 };
    const float alphas[2] = {-0.75f, 0.125f};
    pygraph_logical_tensor src_lt =
        tu_lt(0, pygraph_data_type_bf16, 1, (int64_t[]){count}, pygraph_layout_type_strided);
    pygraph_compiled_partition *compiled =
        tu_compile_chain(engine, alphas, 2, src_lt, any_output(pygraph_data_type_bf16));
    src_lt.id = 100;
    pygraph_logical_tensor dst_lt;
    REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(compiled, 102, &dst_lt));
    uint16_t *src = tu_malloc(count * sizeof *src);
    uint64_t seed = 99;
    for (int i = 0; i < count; i++) src[i] = (uint16_t)tu_random(&seed);
    uint16_t *outputs[threads];
    concurrent_job jobs[threads];
    pthread_t ids[threads];
    for (int t = 0; t < threads; t++) {
        outputs[t] = tu_malloc(count * sizeof *src);
        jobs[t] = (concurrent_job){compiled, &src_lt, &dst_lt, src, outputs[t], pygraph_runtime_error};
        REQUIRE(pthread_create(&ids[t], NULL, concurrent_worker, &jobs[t]) == 0);
    }
    builder_job builder_jobs[builders];
    pthread_t builder_ids[builders];
    for (int b = 0; b < builders; b++) {
        memset(&builder_jobs[b], 0, sizeof builder_jobs[b]);
        builder_jobs[b].first_id = 7000 + 10 * (uint64_t)b;
        REQUIRE(pthread_create(&builder_ids[b], NULL, builder_worker, &builder_jobs[b]) == 0);
    }
    for (int t = 0; t < threads; t++) REQUIRE(pthread_join(ids[t], NULL) == 0);
    for (int b = 0; b < builders; b++) {
        REQUIRE(pthread_join(builder_ids[b], NULL) == 0);
        if (!CHECK(builder_jobs[b].failure[0] == '\0')) {
            fprintf(stderr, "  builder %d: %s\n", b, builder_jobs[b].failure);
        }
        CHECK(builder_jobs[b].rounds_done == 150);
    }
    for (int t = 0; t < threads; t++) {
        CHECK(jobs[t].status == pygraph_success);
        int mismatches = 0;
        for (int i = 0; i < count; i++) {
            mismatches += outputs[t][i] != oracle_lrelu_chain(src[i], alphas, 2, oracle_bf16);
        }
        if (!CHECK(mismatches == 0)) fprintf(stderr, "  thread %d: %d mismatches\n", t, mismatches);
        free(outputs[t]);
    }
    free(src);
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

/* Fork after use (SPEC §8): a child forked after executions that used the
 * thread pool can execute, with threads, and gets the right bits. */
static void test_fork_after_use(void) {
    enum { count = 1 << 21 };
    const float alphas[1] = {0.01f};
    pygraph_logical_tensor src_lt = tu_lt(0, pygraph_data_type_f32, 1, (int64_t[]){count}, pygraph_layout_type_strided);
    pygraph_compiled_partition *compiled = tu_compile_chain(engine, alphas, 1, src_lt, src_lt);
    src_lt.id = 100;
    pygraph_logical_tensor dst_lt = src_lt;
    dst_lt.id = 101;
    float *src = tu_malloc(count * sizeof *src), *dst = tu_malloc(count * sizeof *dst);
    for (int i = 0; i < count; i++) src[i] = (float)(i % 1000 - 500);
    int threads_before = 0;
    REQUIRE_OK(pygraph_get_num_threads(&threads_before));
    REQUIRE_OK(pygraph_set_num_threads(2));
    CHECK_OK(tu_execute1(compiled, stream, &src_lt, src, &dst_lt, dst)); /* the pool is running now */
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        alarm(60); /* a deadlocked pool ends the child with SIGALRM */
        memset(dst, 0, count * sizeof *dst);
        pygraph_status status = tu_execute1(compiled, stream, &src_lt, src, &dst_lt, dst);
        int ok = status == pygraph_success;
        for (int i = 0; ok && i < count; i++) {
            ok = tu_f32_bits(dst[i]) == oracle_lrelu(tu_f32_bits(src[i]), alphas[0], oracle_f32);
        }
        _exit(ok ? 0 : 1);
    }
    int wait_status = 0;
    REQUIRE(waitpid(child, &wait_status, 0) == child);
    if (!CHECK(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)) {
        fprintf(stderr, "  forked child: %s %d\n", WIFSIGNALED(wait_status) ? "killed by signal" : "exit status",
                WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : WEXITSTATUS(wait_status));
    }
    /* The parent still works too. */
    CHECK_OK(tu_execute1(compiled, stream, &src_lt, src, &dst_lt, dst));
    REQUIRE_OK(pygraph_set_num_threads(0));
    free(src);
    free(dst);
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

/* Random graphs run partition by partition, in the order given, as a host
 * framework would: Wildcards are "run by the host" (their outputs filled
 * with fresh values), every supported partition is compiled and executed,
 * and its output must be the oracle's chain over its input. */
static void test_random_graphs_end_to_end(void) {
    uint64_t seed = 0xE2E;
    int failing_cases = 0;
    for (int case_number = 0; case_number < 300 && failing_cases < 3; case_number++) {
        int failures_before = tu_failures;
        rg_graph g;
        rg_generate(&g, &seed, 1 + (size_t)(tu_random(&seed) % RG_MAX_OPS));
        pygraph_graph *graph = rg_build(&g, &seed);
        size_t size = element_size(g.data_type);
        void *buffers[RG_MAX_TENSORS] = {NULL};
        pygraph_logical_tensor dense = tu_lt(0, g.data_type, 1, &g.length, pygraph_layout_type_strided);
        for (size_t t = 0; t < g.num_tensors; t++) {
            if (g.producer[t] >= 0) continue;
            buffers[t] = tu_malloc((size_t)g.length * size);
            fill_values(&dense, buffers[t], tu_random(&seed));
        }
        pygraph_partition **parts = NULL;
        size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
        for (size_t p = 0; p < num; p++) {
            size_t num_ops = 0;
            const uint64_t *ops = NULL;
            int supported = 0;
            REQUIRE_OK(pygraph_partition_get_ops(parts[p], &num_ops, &ops));
            REQUIRE_OK(pygraph_partition_is_supported(parts[p], &supported));
            if (!supported) {
                const rg_op *op = &g.ops[rg_op_index(&g, ops[0])];
                for (size_t k = 0; k < op->num_inputs; k++) REQUIRE(buffers[op->inputs[k]] != NULL);
                for (size_t k = 0; k < op->num_outputs; k++) {
                    buffers[op->outputs[k]] = tu_malloc((size_t)g.length * size);
                    fill_values(&dense, buffers[op->outputs[k]], tu_random(&seed));
                }
                continue;
            }
            float alphas[RG_MAX_OPS];
            for (size_t k = 0; k < num_ops; k++) alphas[k] = g.ops[rg_op_index(&g, ops[k])].alpha;
            size_t in_tensor = g.ops[rg_op_index(&g, ops[0])].inputs[0];
            size_t out_tensor = g.ops[rg_op_index(&g, ops[num_ops - 1])].outputs[0];
            /* the input was produced by an earlier partition */
            if (!CHECK(buffers[in_tensor] != NULL)) continue;
            pygraph_logical_tensor in_lt = dense, out_lt = any_output(g.data_type);
            in_lt.id = rg_tensor_id(in_tensor);
            out_lt.id = rg_tensor_id(out_tensor);
            pygraph_compiled_partition *compiled = NULL;
            REQUIRE_OK(pygraph_partition_compile(parts[p], &compiled, 1, &in_lt, 1, &out_lt, engine));
            REQUIRE_OK(pygraph_compiled_partition_query_logical_tensor(compiled, out_lt.id, &out_lt));
            buffers[out_tensor] = tu_malloc((size_t)g.length * size);
            CHECK_OK(tu_execute1(compiled, stream, &in_lt, buffers[in_tensor], &out_lt, buffers[out_tensor]));
            int mismatches = 0;
            for (int64_t i = 0; i < g.length; i++) {
                uint32_t x = load_bits(buffers[in_tensor], i, g.data_type);
                uint32_t expected = oracle_lrelu_chain(x, alphas, num_ops, format_of(g.data_type));
                mismatches += load_bits(buffers[out_tensor], i, g.data_type) != expected;
            }
            CHECK(mismatches == 0);
            CHECK_OK(pygraph_compiled_partition_destroy(compiled));
        }
        tu_destroy_partitions(parts, num);
        for (size_t t = 0; t < g.num_tensors; t++) free(buffers[t]);
        CHECK_OK(pygraph_graph_destroy(graph));
        if (tu_failures != failures_before) {
            failing_cases++;
            fprintf(stderr, "  ^ random graph case %d\n", case_number);
        }
    }
}

int main(void) {
    REQUIRE_OK(pygraph_engine_create(&engine, pygraph_engine_kind_cpu, 0));
    REQUIRE_OK(pygraph_stream_create(&stream, engine));
    test_known_values();
    test_layouts();
    test_lifetimes();
    test_zero_size();
    test_in_place();
    test_fused_chains();
    test_tensor_checks();
    test_execute_buffers();
    test_concurrent_execution();
    test_random_graphs_end_to_end();
    test_fork_after_use();
    CHECK_OK(pygraph_stream_destroy(stream));
    CHECK_OK(pygraph_engine_destroy(engine));
    return tu_finish("test_execute");
}
