/*
 * test_compile.c — pygraph_partition_compile: shape inference (unknown
 * dims, unknown rank), layout any -> dense in the src's stride order, port
 * matching by id, rejection of contradicting descriptions, and the compiled
 * partition's queries (logical tensors, ports, in-place pairs).
 */
#include "test_util.h"

static pygraph_engine *engine;

/* One partition holding a chain of `num_ops` LeakyReLU ops over tensors
 * 100..100+num_ops, described in the graph as `graph_desc` (ids replaced). */
static pygraph_partition *chain_partition(size_t num_ops, pygraph_logical_tensor graph_desc) {
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    for (size_t i = 0; i < num_ops; i++) {
        pygraph_logical_tensor src = graph_desc, dst = graph_desc;
        src.id = 100 + i;
        dst.id = 101 + i;
        REQUIRE_OK(tu_add_lrelu(graph, 1 + i, "chain_op", 0.5f, &src, &dst));
    }
    REQUIRE_OK(pygraph_graph_finalize(graph));
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    pygraph_partition *partition = parts[0];
    free(parts);
    REQUIRE_OK(pygraph_graph_destroy(graph));
    return partition;
}

static pygraph_logical_tensor unknown_lt(uint64_t id, pygraph_data_type type, int32_t ndims) {
    int64_t dims[PYGRAPH_MAX_NDIMS];
    for (int i = 0; i < PYGRAPH_MAX_NDIMS; i++) dims[i] = PYGRAPH_UNKNOWN_DIM;
    return tu_lt(id, type, ndims, dims, pygraph_layout_type_any);
}

static int same_values(const int64_t *a, const int64_t *b, int n) {
    for (int i = 0; i < n; i++) {
        if (a[i] != b[i]) return 0;
    }
    return 1;
}

static void print_values(const char *what, const int64_t *values, int n) {
    fprintf(stderr, "  %s: [", what);
    for (int i = 0; i < n; i++) fprintf(stderr, "%s%" PRId64, i ? ", " : "", values[i]);
    fprintf(stderr, "]\n");
}

/* Compiles the one-op partition for src (strided, known) and an output
 * described as `dst`, and checks the inferred output's dims and strides. */
static void check_inferred_output(pygraph_logical_tensor src, pygraph_logical_tensor dst, const int64_t *dims,
                                  const int64_t *strides, int line) {
    int failures_before = tu_failures;
    pygraph_partition *partition = chain_partition(1, unknown_lt(0, src.data_type, PYGRAPH_UNKNOWN_NDIMS));
    src.id = 100;
    dst.id = 101;
    pygraph_compiled_partition *compiled = NULL;
    if (CHECK_OK(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine))) {
        pygraph_logical_tensor out;
        memset(&out, 0, sizeof out);
        CHECK_OK(pygraph_compiled_partition_query_logical_tensor(compiled, 101, &out));
        CHECK(out.id == 101);
        CHECK(out.data_type == src.data_type);
        CHECK(out.layout_type == pygraph_layout_type_strided);
        CHECK(out.ndims == src.ndims);
        if (!CHECK(same_values(out.dims, dims, src.ndims))) print_values("dims", out.dims, src.ndims);
        /* Strides of extent-0/1 dims are never compared, so neither here. */
        int strides_ok = 1;
        for (int d = 0; d < src.ndims; d++) strides_ok &= dims[d] <= 1 || out.strides[d] == strides[d];
        if (!CHECK(strides_ok)) {
            print_values("got strides", out.strides, src.ndims);
            print_values("expected strides", strides, src.ndims);
        }
        /* The input port is the given description. */
        pygraph_logical_tensor in;
        CHECK_OK(pygraph_compiled_partition_query_logical_tensor(compiled, 100, &in));
        CHECK(in.ndims == src.ndims && same_values(in.dims, src.dims, src.ndims));
        CHECK_OK(pygraph_compiled_partition_destroy(compiled));
    }
    CHECK_OK(pygraph_partition_destroy(partition));
    if (tu_failures != failures_before) fprintf(stderr, "  ^ inference case at line %d\n", line);
}

static void test_shape_inference(void) {
    const pygraph_data_type f32 = pygraph_data_type_f32;
    /* Unknown rank and layout any: dense row-major for a row-major src. */
    check_inferred_output(tu_lt(0, f32, 3, (int64_t[]){2, 3, 4}, pygraph_layout_type_strided),
                          unknown_lt(0, f32, PYGRAPH_UNKNOWN_NDIMS), (int64_t[]){2, 3, 4}, (int64_t[]){12, 4, 1},
                          __LINE__);
    /* Known rank, unknown dims. */
    check_inferred_output(tu_lt(0, f32, 2, (int64_t[]){5, 7}, pygraph_layout_type_strided), unknown_lt(0, f32, 2),
                          (int64_t[]){5, 7}, (int64_t[]){7, 1}, __LINE__);
    /* Some dims known, strided layout with unknown strides. */
    check_inferred_output(tu_lt(0, f32, 2, (int64_t[]){5, 7}, pygraph_layout_type_strided),
                          tu_lt(0, f32, 2, (int64_t[]){5, PYGRAPH_UNKNOWN_DIM}, pygraph_layout_type_strided),
                          (int64_t[]){5, 7}, (int64_t[]){7, 1}, __LINE__);
    /* A padded (non-dense) src still gives a dense output. */
    check_inferred_output(tu_lt_strided(0, f32, 2, (int64_t[]){5, 7}, (int64_t[]){16, 1}), unknown_lt(0, f32, 2),
                          (int64_t[]){5, 7}, (int64_t[]){7, 1}, __LINE__);
    /* Column-major src: dense column-major output. */
    check_inferred_output(tu_lt_strided(0, f32, 2, (int64_t[]){5, 7}, (int64_t[]){1, 5}), unknown_lt(0, f32, 2),
                          (int64_t[]){5, 7}, (int64_t[]){1, 5}, __LINE__);
    /* A permutation: src strides order dims as 1, 2, 0. */
    check_inferred_output(tu_lt_strided(0, f32, 3, (int64_t[]){2, 3, 4}, (int64_t[]){1, 8, 2}),
                          unknown_lt(0, f32, 3), (int64_t[]){2, 3, 4}, (int64_t[]){1, 8, 2}, __LINE__);
    /* Another permutation, with gaps: order 2, 0, 1. */
    check_inferred_output(tu_lt_strided(0, f32, 3, (int64_t[]){2, 3, 4}, (int64_t[]){3, 1, 100}),
                          unknown_lt(0, f32, 3), (int64_t[]){2, 3, 4}, (int64_t[]){3, 1, 6}, __LINE__);
    /* Negative strides sort by magnitude: order 1, 0. */
    check_inferred_output(tu_lt_strided(0, f32, 2, (int64_t[]){3, 4}, (int64_t[]){-1, -3}), unknown_lt(0, f32, 2),
                          (int64_t[]){3, 4}, (int64_t[]){1, 3}, __LINE__);
    /* Ties (a broadcast src, all strides 0) fall back to row-major. */
    check_inferred_output(tu_lt_strided(0, f32, 2, (int64_t[]){3, 4}, (int64_t[]){0, 0}), unknown_lt(0, f32, 2),
                          (int64_t[]){3, 4}, (int64_t[]){4, 1}, __LINE__);
    check_inferred_output(tu_lt_strided(0, f32, 3, (int64_t[]){2, 3, 4}, (int64_t[]){5, 5, 1}),
                          unknown_lt(0, f32, 3), (int64_t[]){2, 3, 4}, (int64_t[]){12, 4, 1}, __LINE__);
    /* An extent-1 dim's stride says nothing: still row-major. */
    check_inferred_output(tu_lt_strided(0, f32, 3, (int64_t[]){2, 1, 3}, (int64_t[]){3, 1000, 1}),
                          unknown_lt(0, f32, 3), (int64_t[]){2, 1, 3}, (int64_t[]){3, 3, 1}, __LINE__);
    /* 0-d and zero-size. */
    check_inferred_output(tu_lt(0, f32, 0, NULL, pygraph_layout_type_strided),
                          unknown_lt(0, f32, PYGRAPH_UNKNOWN_NDIMS),
                          NULL, NULL, __LINE__);
    check_inferred_output(tu_lt(0, f32, 2, (int64_t[]){0, 3}, pygraph_layout_type_strided), unknown_lt(0, f32, 2),
                          (int64_t[]){0, 3}, (int64_t[]){3, 1}, __LINE__);
    /* Twelve dims, reversed order. */
    {
        int64_t dims[PYGRAPH_MAX_NDIMS], src_strides[PYGRAPH_MAX_NDIMS], expected[PYGRAPH_MAX_NDIMS];
        int64_t stride = 1;
        for (int d = 0; d < PYGRAPH_MAX_NDIMS; d++) {
            dims[d] = 2 + d % 2;
            src_strides[d] = stride; /* dim 0 innermost */
            stride *= dims[d];
        }
        memcpy(expected, src_strides, sizeof expected);
        check_inferred_output(tu_lt_strided(0, f32, PYGRAPH_MAX_NDIMS, dims, src_strides),
                              unknown_lt(0, f32, PYGRAPH_UNKNOWN_NDIMS), dims, expected, __LINE__);
    }
    /* A fully known strided output is kept as given (padded dst). */
    check_inferred_output(tu_lt(0, f32, 2, (int64_t[]){5, 7}, pygraph_layout_type_strided),
                          tu_lt_strided(0, f32, 2, (int64_t[]){5, 7}, (int64_t[]){10, 1}), (int64_t[]){5, 7},
                          (int64_t[]){10, 1}, __LINE__);
}

static void test_fused_chain_compiles_with_unknown_intermediates(void) {
    /* Intermediate tensors never need shapes: the chain's inside is the
     * library's business. */
    pygraph_partition *partition = chain_partition(3, unknown_lt(0, pygraph_data_type_bf16, PYGRAPH_UNKNOWN_NDIMS));
    pygraph_logical_tensor src = tu_lt(100, pygraph_data_type_bf16, 2, (int64_t[]){8, 9}, pygraph_layout_type_strided);
    pygraph_logical_tensor dst = unknown_lt(103, pygraph_data_type_bf16, PYGRAPH_UNKNOWN_NDIMS);
    pygraph_compiled_partition *compiled = NULL;
    REQUIRE_OK(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine));

    size_t num = 0;
    const pygraph_inplace_pair *pairs = NULL;
    CHECK_OK(pygraph_compiled_partition_get_inplace_ports(compiled, &num, &pairs));
    CHECK(num == 1 && pairs[0].input_id == 100 && pairs[0].output_id == 103);

    const pygraph_logical_tensor *ports = NULL;
    CHECK_OK(pygraph_compiled_partition_get_input_ports(compiled, &num, &ports));
    CHECK(num == 1 && ports[0].id == 100 && ports[0].dims[0] == 8 && ports[0].dims[1] == 9);
    CHECK_OK(pygraph_compiled_partition_get_output_ports(compiled, &num, &ports));
    CHECK(num == 1 && ports[0].id == 103 && ports[0].ndims == 2 && ports[0].dims[0] == 8 && ports[0].dims[1] == 9 &&
          ports[0].strides[0] == 9 && ports[0].strides[1] == 1 && ports[0].layout_type == pygraph_layout_type_strided &&
          ports[0].data_type == pygraph_data_type_bf16);

    /* Intermediates are no ports. */
    pygraph_logical_tensor lt;
    memset(&lt, 0x5A, sizeof lt);
    pygraph_logical_tensor before = lt;
    CHECK_FAIL(pygraph_compiled_partition_query_logical_tensor(compiled, 101, &lt), pygraph_invalid_arguments, "101");
    CHECK(memcmp(&lt, &before, sizeof lt) == 0);

    /* One partition compiles for many shapes; compiled partitions outlive
     * the partition and the engine they came from. */
    pygraph_compiled_partition *other = NULL;
    pygraph_logical_tensor src3 =
        tu_lt(100, pygraph_data_type_bf16, 3, (int64_t[]){2, 3, 4}, pygraph_layout_type_strided);
    CHECK_OK(pygraph_partition_compile(partition, &other, 1, &src3, 1, &dst, engine));
    CHECK_OK(pygraph_partition_destroy(partition));
    CHECK_OK(pygraph_compiled_partition_query_logical_tensor(other, 103, &lt));
    CHECK(lt.ndims == 3 && lt.dims[2] == 4 && lt.strides[0] == 12);
    CHECK_OK(pygraph_compiled_partition_query_logical_tensor(compiled, 103, &lt));
    CHECK(lt.ndims == 2 && lt.dims[1] == 9);
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
    CHECK_OK(pygraph_compiled_partition_destroy(other));
}

static void test_invalid_shapes(void) {
    const pygraph_data_type f32 = pygraph_data_type_f32;
    pygraph_partition *partition = chain_partition(1, unknown_lt(0, f32, PYGRAPH_UNKNOWN_NDIMS));
    pygraph_logical_tensor src = tu_lt(100, f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
    pygraph_compiled_partition *compiled = (pygraph_compiled_partition *)&src;

    /* dst dims differ: invalid_shape naming both shapes and the op. */
    pygraph_logical_tensor dst = tu_lt(101, f32, 2, (int64_t[]){2, 4}, pygraph_layout_type_strided);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine), pygraph_invalid_shape,
               "[2, 3]", "[2, 4]", "chain_op", "LeakyReLU", "output 0 (dst)", "101");
    CHECK(compiled == NULL);
    /* dst rank differs. */
    dst = tu_lt(101, f32, 1, (int64_t[]){6}, pygraph_layout_type_strided);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine), pygraph_invalid_shape,
               "[2, 3]", "[6]", "output 0 (dst)");
    /* Only the known dim contradicts. */
    dst = tu_lt(101, f32, 2, (int64_t[]){PYGRAPH_UNKNOWN_DIM, 4}, pygraph_layout_type_any);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine), pygraph_invalid_shape,
               "[2, 3]", "4");

    /* The input needs concrete dims, strided layout and known strides. */
    dst = unknown_lt(101, f32, PYGRAPH_UNKNOWN_NDIMS);
    pygraph_logical_tensor bad_src =
        tu_lt(100, f32, 2, (int64_t[]){2, PYGRAPH_UNKNOWN_DIM}, pygraph_layout_type_strided);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &bad_src, 1, &dst, engine), pygraph_invalid_shape,
               "100", "src");
    CHECK(compiled == NULL);
    bad_src = unknown_lt(100, f32, PYGRAPH_UNKNOWN_NDIMS);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &bad_src, 1, &dst, engine), pygraph_invalid_shape,
               "100", "src");
    bad_src = tu_lt(100, f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_any);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &bad_src, 1, &dst, engine),
               pygraph_invalid_arguments, "100", "src", "any", "strided");
    bad_src = tu_lt(100, f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
    bad_src.layout_type = pygraph_layout_type_opaque;
    /* A valid layout that pygraph does not implement. */
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &bad_src, 1, &dst, engine), pygraph_unimplemented,
               "100", "src", "opaque");
    /* An opaque output layout is refused too: pygraph has none. */
    dst = tu_lt(101, f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
    dst.layout_type = pygraph_layout_type_opaque;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine), pygraph_unimplemented,
               "101", "dst", "opaque");
    CHECK(compiled == NULL);

    /* An output whose elements would share memory (a zero stride, or
     * strides that interleave dims) cannot be written. */
    dst = tu_lt_strided(101, f32, 2, (int64_t[]){2, 3}, (int64_t[]){0, 1});
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine), pygraph_invalid_shape,
               "output 0 (dst)", "101", "[0, 1]", "[2, 3]", "overlap");
    CHECK(compiled == NULL);
    dst = tu_lt_strided(101, f32, 2, (int64_t[]){2, 3}, (int64_t[]){2, 1});
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine), pygraph_invalid_shape,
               "output 0 (dst)", "[2, 1]", "overlap");
    /* Negative output strides are fine: the elements stay distinct. */
    dst = tu_lt_strided(101, f32, 2, (int64_t[]){2, 3}, (int64_t[]){-3, -1});
    CHECK_OK(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));

    /* A description that contradicts the graph's data type is rejected like
     * in add_op. */
    dst = unknown_lt(101, pygraph_data_type_bf16, PYGRAPH_UNKNOWN_NDIMS);
    bad_src = tu_lt(100, pygraph_data_type_bf16, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &bad_src, 1, &dst, engine), pygraph_invalid_graph,
               "100", "bf16", "f32");
    CHECK(compiled == NULL);
    CHECK_OK(pygraph_partition_destroy(partition));

    /* ... and the graph's known dims. */
    partition = chain_partition(1, tu_lt(0, f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided));
    bad_src = tu_lt(100, f32, 2, (int64_t[]){3, 2}, pygraph_layout_type_strided);
    dst = unknown_lt(101, f32, PYGRAPH_UNKNOWN_NDIMS);
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &bad_src, 1, &dst, engine), pygraph_invalid_graph,
               "100", "[3, 2]", "[2, 3]");
    /* The graph's description itself compiles. */
    CHECK_OK(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
    CHECK_OK(pygraph_partition_destroy(partition));
}

static void test_port_matching(void) {
    const pygraph_data_type f16 = pygraph_data_type_f16;
    pygraph_partition *partition = chain_partition(2, unknown_lt(0, f16, PYGRAPH_UNKNOWN_NDIMS));
    pygraph_logical_tensor src = tu_lt(100, f16, 1, (int64_t[]){10}, pygraph_layout_type_strided);
    pygraph_logical_tensor dst = unknown_lt(102, f16, 1);
    pygraph_compiled_partition *compiled = NULL;

    /* An id that is no port of the partition (here: the intermediate). */
    pygraph_logical_tensor wrong = src;
    wrong.id = 101;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &wrong, 1, &dst, engine),
               pygraph_invalid_arguments, "101");
    CHECK(compiled == NULL);
    wrong.id = 999;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &wrong, 1, &dst, engine),
               pygraph_invalid_arguments, "999");
    /* An output given as an input (ports swapped). */
    pygraph_logical_tensor swapped_in = src, swapped_out = dst;
    swapped_in.id = 102;
    swapped_out.id = 100;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &swapped_in, 1, &swapped_out, engine),
               pygraph_invalid_arguments, "102");
    /* Counts: missing and extra ports. */
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 0, &src, 1, &dst, engine), pygraph_invalid_arguments,
               "1", "0");
    pygraph_logical_tensor twice[2] = {src, src};
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 2, twice, 1, &dst, engine), pygraph_invalid_arguments,
               "1", "2");
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 0, &dst, engine), pygraph_invalid_arguments,
               "1", "0");
    CHECK(compiled == NULL);
    /* The right ports compile. */
    CHECK_OK(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
    CHECK_OK(pygraph_partition_destroy(partition));
}

static void test_unsupported_partition(void) {
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    pygraph_logical_tensor in = tu_lt(1, pygraph_data_type_f32, 1, (int64_t[]){4}, pygraph_layout_type_strided);
    pygraph_logical_tensor out = tu_lt(2, pygraph_data_type_f32, 1, (int64_t[]){4}, pygraph_layout_type_strided);
    REQUIRE_OK(tu_add_plain_op(graph, 31, "Wildcard", "host_op", 1, &in, 1, &out));
    REQUIRE_OK(pygraph_graph_finalize(graph));
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    pygraph_compiled_partition *compiled = (pygraph_compiled_partition *)&num;
    CHECK_FAIL(pygraph_partition_compile(parts[0], &compiled, 1, &in, 1, &out, engine), pygraph_unimplemented,
               "supported", "Wildcard");
    CHECK(compiled == NULL);
    tu_destroy_partitions(parts, num);
    CHECK_OK(pygraph_graph_destroy(graph));
}

int main(void) {
    REQUIRE_OK(pygraph_engine_create(&engine, pygraph_engine_kind_cpu, 0));
    pygraph_engine_kind kind = pygraph_engine_kind_any;
    CHECK_OK(pygraph_engine_get_kind(engine, &kind));
    CHECK(kind == pygraph_engine_kind_cpu);
    test_shape_inference();
    test_fused_chain_compiles_with_unknown_intermediates();
    test_invalid_shapes();
    test_port_matching();
    test_unsupported_partition();
    CHECK_OK(pygraph_engine_destroy(engine));
    return tu_finish("test_compile");
}
