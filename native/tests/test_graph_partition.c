/*
 * test_graph_partition.c — graph rules (duplicate ids, producers, cycles,
 * conflicting descriptions, states) and partitioning (fusion and debug
 * policies, topological order, ports, independence of lifetimes).
 */
#include "random_graph.h"
#include "test_util.h"

static pygraph_logical_tensor t_f32(uint64_t id) {
    return tu_lt(id, pygraph_data_type_f32, 2, (int64_t[]){4, 5}, pygraph_layout_type_strided);
}

static pygraph_graph *new_graph(void) {
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    REQUIRE(graph != NULL);
    return graph;
}

static void add_chain_op(pygraph_graph *graph, uint64_t op_id, uint64_t in, uint64_t out) {
    pygraph_logical_tensor src = t_f32(in), dst = t_f32(out);
    REQUIRE_OK(tu_add_lrelu(graph, op_id, NULL, 0.1f, &src, &dst));
}

static void add_end(pygraph_graph *graph, uint64_t op_id, uint64_t in) {
    pygraph_logical_tensor src = t_f32(in);
    REQUIRE_OK(tu_add_plain_op(graph, op_id, "End", NULL, 1, &src, 0, NULL));
}

static void add_wildcard(pygraph_graph *graph, uint64_t op_id, size_t num_in, const uint64_t *in, size_t num_out,
                         const uint64_t *out) {
    pygraph_logical_tensor inputs[4], outputs[4];
    for (size_t i = 0; i < num_in; i++) inputs[i] = t_f32(in[i]);
    for (size_t i = 0; i < num_out; i++) outputs[i] = t_f32(out[i]);
    REQUIRE_OK(tu_add_plain_op(graph, op_id, "Wildcard", NULL, num_in, inputs, num_out, outputs));
}

/* The expected shape of one partition. */
typedef struct expected_partition {
    int supported;
    size_t num_ops;
    uint64_t ops[8];
    size_t num_inputs;
    uint64_t inputs[4];
    size_t num_outputs;
    uint64_t outputs[4];
} expected_partition;

static int id_in(uint64_t id, const uint64_t *ids, size_t num) {
    for (size_t i = 0; i < num; i++) {
        if (ids[i] == id) return 1;
    }
    return 0;
}

/* Ports are compared as sets (their order is not part of the contract). */
static void check_partition(const pygraph_partition *partition, size_t index, const expected_partition *expected,
                            int line) {
    int failures_before = tu_failures;
    size_t id = 999;
    CHECK_OK(pygraph_partition_get_id(partition, &id));
    CHECK(id == index);
    int supported = -1;
    CHECK_OK(pygraph_partition_is_supported(partition, &supported));
    CHECK(supported == expected->supported);
    size_t num_ops = 0;
    const uint64_t *op_ids = NULL;
    CHECK_OK(pygraph_partition_get_ops(partition, &num_ops, &op_ids));
    if (CHECK(num_ops == expected->num_ops)) {
        /* Ops come in execution order. */
        for (size_t i = 0; i < num_ops; i++) CHECK(op_ids[i] == expected->ops[i]);
    }
    size_t num_ports = 0;
    const pygraph_logical_tensor *ports = NULL;
    CHECK_OK(pygraph_partition_get_input_ports(partition, &num_ports, &ports));
    if (CHECK(num_ports == expected->num_inputs)) {
        for (size_t i = 0; i < num_ports; i++) CHECK(id_in(ports[i].id, expected->inputs, expected->num_inputs));
    }
    CHECK_OK(pygraph_partition_get_output_ports(partition, &num_ports, &ports));
    if (CHECK(num_ports == expected->num_outputs)) {
        for (size_t i = 0; i < num_ports; i++) CHECK(id_in(ports[i].id, expected->outputs, expected->num_outputs));
    }
    if (tu_failures != failures_before) fprintf(stderr, "  ^ partition %zu of the case at line %d\n", index, line);
}

static void check_partitions(const pygraph_graph *graph, pygraph_partition_policy policy,
                             const expected_partition *expected, size_t num_expected, int line) {
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, policy, &parts);
    if (!CHECK(num == num_expected)) {
        fprintf(stderr, "  case at line %d: expected %zu partitions, got %zu\n", line, num_expected, num);
    } else {
        for (size_t i = 0; i < num; i++) check_partition(parts[i], i, &expected[i], line);
    }
    tu_destroy_partitions(parts, num);
}

/* Topological order as a property: an input port of partition i is never
 * produced by partition j >= i. */
static void check_topological(const pygraph_graph *graph, pygraph_partition_policy policy, int line) {
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, policy, &parts);
    for (size_t i = 0; i < num; i++) {
        size_t num_in = 0;
        const pygraph_logical_tensor *in = NULL;
        REQUIRE_OK(pygraph_partition_get_input_ports(parts[i], &num_in, &in));
        for (size_t j = i; j < num; j++) {
            size_t num_out = 0;
            const pygraph_logical_tensor *out = NULL;
            REQUIRE_OK(pygraph_partition_get_output_ports(parts[j], &num_out, &out));
            for (size_t a = 0; a < num_in; a++) {
                for (size_t b = 0; b < num_out; b++) {
                    if (!CHECK(in[a].id != out[b].id)) {
                        fprintf(stderr, "  line %d: partition %zu consumes tensor %" PRIu64
                                        " produced by partition %zu\n",
                                line, i, in[a].id, j);
                    }
                }
            }
        }
    }
    tu_destroy_partitions(parts, num);
}

static void test_chain_fuses(void) {
    /* 100 -op1-> 101 -op2-> 102 -op3-> 103, added out of order. */
    pygraph_graph *graph = new_graph();
    add_chain_op(graph, 3, 102, 103);
    add_chain_op(graph, 1, 100, 101);
    add_chain_op(graph, 2, 101, 102);
    int finalized = -1;
    CHECK_OK(pygraph_graph_is_finalized(graph, &finalized));
    CHECK(finalized == 0);
    CHECK_OK(pygraph_graph_finalize(graph));
    CHECK_OK(pygraph_graph_is_finalized(graph, &finalized));
    CHECK(finalized == 1);
    /* finalize is idempotent */
    CHECK_OK(pygraph_graph_finalize(graph));

    const expected_partition fused[] = {{1, 3, {1, 2, 3}, 1, {100}, 1, {103}}};
    check_partitions(graph, pygraph_partition_policy_fusion, fused, 1, __LINE__);
    const expected_partition debug[] = {
        {1, 1, {1}, 1, {100}, 1, {101}},
        {1, 1, {2}, 1, {101}, 1, {102}},
        {1, 1, {3}, 1, {102}, 1, {103}},
    };
    check_partitions(graph, pygraph_partition_policy_debug, debug, 3, __LINE__);

    /* The ports are described as in the graph. */
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    size_t num_ports = 0;
    const pygraph_logical_tensor *ports = NULL;
    CHECK_OK(pygraph_partition_get_input_ports(parts[0], &num_ports, &ports));
    REQUIRE(num_ports == 1);
    CHECK(ports[0].data_type == pygraph_data_type_f32 && ports[0].ndims == 2 && ports[0].dims[0] == 4 &&
          ports[0].dims[1] == 5);
    tu_destroy_partitions(parts, num);
    CHECK_OK(pygraph_graph_destroy(graph));
}

static void test_chain_breaks(void) {
    /* An intermediate consumed by End (a graph output) ends the chain. */
    pygraph_graph *graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    add_chain_op(graph, 2, 101, 102);
    add_end(graph, 9, 101);
    CHECK_OK(pygraph_graph_finalize(graph));
    {
        pygraph_partition **parts = NULL;
        size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
        CHECK(num == 3);
        /* op 1 first; op 2 and End (both consume 101) follow in either order. */
        if (num == 3) {
            const expected_partition first = {1, 1, {1}, 1, {100}, 1, {101}};
            check_partition(parts[0], 0, &first, __LINE__);
            for (size_t i = 1; i < 3; i++) {
                size_t num_ops = 0;
                const uint64_t *ops = NULL;
                REQUIRE_OK(pygraph_partition_get_ops(parts[i], &num_ops, &ops));
                REQUIRE(num_ops == 1);
                int supported = -1;
                CHECK_OK(pygraph_partition_is_supported(parts[i], &supported));
                CHECK(supported == (ops[0] == 2));
                CHECK(ops[0] == 2 || ops[0] == 9);
            }
        }
        tu_destroy_partitions(parts, num);
    }
    check_topological(graph, pygraph_partition_policy_fusion, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A branch: 101 feeds two ops, so nothing fuses across it. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    add_chain_op(graph, 2, 101, 102);
    add_chain_op(graph, 3, 101, 103);
    add_chain_op(graph, 4, 103, 104);
    CHECK_OK(pygraph_graph_finalize(graph));
    {
        pygraph_partition **parts = NULL;
        size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
        /* {1}, {2}, {3, 4}: op 3's output feeds only op 4 and fuses. */
        CHECK(num == 3);
        size_t total_ops = 0;
        for (size_t i = 0; i < num; i++) {
            size_t num_ops = 0;
            const uint64_t *ops = NULL;
            REQUIRE_OK(pygraph_partition_get_ops(parts[i], &num_ops, &ops));
            total_ops += num_ops;
            if (num_ops == 2) CHECK(ops[0] == 3 && ops[1] == 4);
            if (i == 0) CHECK(num_ops == 1 && ops[0] == 1);
        }
        CHECK(total_ops == 4);
        tu_destroy_partitions(parts, num);
    }
    check_topological(graph, pygraph_partition_policy_fusion, __LINE__);
    check_topological(graph, pygraph_partition_policy_debug, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A declared output ends the chain, like a file's output_ports. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    add_chain_op(graph, 2, 101, 102);
    add_chain_op(graph, 3, 102, 103);
    CHECK_OK(pygraph_graph_mark_output(graph, 102));
    CHECK_OK(pygraph_graph_finalize(graph));
    const expected_partition marked[] = {
        {1, 2, {1, 2}, 1, {100}, 1, {102}},
        {1, 1, {3}, 1, {102}, 1, {103}},
    };
    check_partitions(graph, pygraph_partition_policy_fusion, marked, 2, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A Wildcard in the middle: three partitions, the middle one unsupported. */
    graph = new_graph();
    add_chain_op(graph, 20, 102, 103);
    add_wildcard(graph, 10, 1, (uint64_t[]){101}, 1, (uint64_t[]){102});
    add_chain_op(graph, 1, 100, 101);
    CHECK_OK(pygraph_graph_finalize(graph));
    const expected_partition with_wildcard[] = {
        {1, 1, {1}, 1, {100}, 1, {101}},
        {0, 1, {10}, 1, {101}, 1, {102}},
        {1, 1, {20}, 1, {102}, 1, {103}},
    };
    check_partitions(graph, pygraph_partition_policy_fusion, with_wildcard, 3, __LINE__);
    check_partitions(graph, pygraph_partition_policy_debug, with_wildcard, 3, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A longer graph: two chains joined by a two-input Wildcard, then End. */
    graph = new_graph();
    add_end(graph, 99, 206);
    add_chain_op(graph, 6, 205, 206);
    add_wildcard(graph, 50, 2, (uint64_t[]){202, 212}, 1, (uint64_t[]){205});
    add_chain_op(graph, 12, 211, 212);
    add_chain_op(graph, 11, 210, 211);
    add_chain_op(graph, 2, 201, 202);
    add_chain_op(graph, 1, 200, 201);
    CHECK_OK(pygraph_graph_finalize(graph));
    {
        pygraph_partition **parts = NULL;
        size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
        /* {1,2}, {11,12}, {50}, {6}, {99} */
        CHECK(num == 5);
        int supported_count = 0;
        for (size_t i = 0; i < num; i++) {
            int supported = 0;
            REQUIRE_OK(pygraph_partition_is_supported(parts[i], &supported));
            supported_count += supported;
        }
        CHECK(supported_count == 3);
        tu_destroy_partitions(parts, num);
    }
    check_topological(graph, pygraph_partition_policy_fusion, __LINE__);
    check_topological(graph, pygraph_partition_policy_debug, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));
}

static void test_empty_and_single(void) {
    pygraph_graph *graph = new_graph();
    CHECK_OK(pygraph_graph_finalize(graph));
    size_t num = 99;
    CHECK_OK(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, &num));
    CHECK(num == 0);
    pygraph_partition *unused[1] = {NULL};
    CHECK_OK(pygraph_graph_get_partitions(graph, pygraph_partition_policy_fusion, 0, unused));
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A lone End is one unsupported partition with one input port. */
    graph = new_graph();
    add_end(graph, 5, 300);
    CHECK_OK(pygraph_graph_finalize(graph));
    const expected_partition lone_end[] = {{0, 1, {5}, 1, {300}, 0, {0}}};
    check_partitions(graph, pygraph_partition_policy_fusion, lone_end, 1, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));
}

static void test_graph_rules(void) {
    pygraph_logical_tensor none[1];

    /* Duplicate op id: invalid_graph naming the id; the first op stays. */
    pygraph_graph *graph = new_graph();
    add_chain_op(graph, 77, 100, 101);
    {
        pygraph_logical_tensor src = t_f32(200), dst = t_f32(201);
        CHECK_FAIL(tu_add_lrelu(graph, 77, "dup", 0.1f, &src, &dst), pygraph_invalid_graph, "77", "dup");
    }
    /* The failed op registered nothing: tensor 201 can still be produced. */
    add_chain_op(graph, 78, 200, 201);
    CHECK_OK(pygraph_graph_finalize(graph));
    size_t num = 0;
    CHECK_OK(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_debug, &num));
    CHECK(num == 2);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A tensor produced by two ops. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    {
        pygraph_logical_tensor src = t_f32(102), dst = t_f32(101);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "second_producer", 0.1f, &src, &dst), pygraph_invalid_graph, "101",
                   "second_producer");
    }
    add_chain_op(graph, 2, 102, 103); /* op id 2 is still free */
    CHECK_OK(pygraph_graph_destroy(graph));

    /* Incompatible descriptions of one tensor id: dims, dtype, ndims,
     * layout, property. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101); /* 101 is f32 [4, 5] strided variable */
    {
        pygraph_logical_tensor src = tu_lt(101, pygraph_data_type_f32, 2, (int64_t[]){4, 6},
                                           pygraph_layout_type_strided);
        pygraph_logical_tensor dst = tu_lt(102, pygraph_data_type_f32, 2, (int64_t[]){4, 6},
                                           pygraph_layout_type_strided);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "wrong_dims", 0.1f, &src, &dst), pygraph_invalid_graph, "101", "[4, 5]",
                   "[4, 6]", "wrong_dims");

        src = tu_lt(101, pygraph_data_type_bf16, 2, (int64_t[]){4, 5}, pygraph_layout_type_strided);
        dst = tu_lt(102, pygraph_data_type_bf16, 2, (int64_t[]){4, 5}, pygraph_layout_type_strided);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "wrong_dtype", 0.1f, &src, &dst), pygraph_invalid_graph, "101", "f32",
                   "bf16", "wrong_dtype");

        src = tu_lt(101, pygraph_data_type_f32, 3, (int64_t[]){4, 5, 1}, pygraph_layout_type_strided);
        dst = tu_lt(102, pygraph_data_type_f32, 3, (int64_t[]){4, 5, 1}, pygraph_layout_type_strided);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "wrong_rank", 0.1f, &src, &dst), pygraph_invalid_graph, "101", "[4, 5]",
                   "[4, 5, 1]");

        src = tu_lt(101, pygraph_data_type_f32, 2, (int64_t[]){4, 5}, pygraph_layout_type_strided);
        src.property = pygraph_property_type_constant;
        dst = tu_lt(102, pygraph_data_type_f32, 2, (int64_t[]){4, 5}, pygraph_layout_type_strided);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "wrong_property", 0.1f, &src, &dst), pygraph_invalid_graph, "101",
                   "constant", "variable");

        src = tu_lt_strided(101, pygraph_data_type_f32, 2, (int64_t[]){4, 5}, (int64_t[]){1, 4});
        dst = tu_lt(102, pygraph_data_type_f32, 2, (int64_t[]){4, 5}, pygraph_layout_type_strided);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "wrong_strides", 0.1f, &src, &dst), pygraph_invalid_graph, "101",
                   "[5, 1]", "[1, 4]");

        /* Compatible: unknown dims, unknown rank, layout and property undef,
         * unknown strides all match the earlier description. */
        src = tu_lt(101, pygraph_data_type_f32, 2, (int64_t[]){PYGRAPH_UNKNOWN_DIM, 5}, pygraph_layout_type_undef);
        src.property = pygraph_property_type_undef;
        dst = tu_lt(102, pygraph_data_type_f32, PYGRAPH_UNKNOWN_NDIMS, NULL, pygraph_layout_type_any);
        CHECK_OK(tu_add_lrelu(graph, 2, "compatible", 0.1f, &src, &dst));
        src = tu_lt(102, pygraph_data_type_f32, 2, (int64_t[]){4, PYGRAPH_UNKNOWN_DIM}, pygraph_layout_type_any);
        dst = tu_lt(103, pygraph_data_type_f32, PYGRAPH_UNKNOWN_NDIMS, NULL, pygraph_layout_type_undef);
        CHECK_OK(tu_add_lrelu(graph, 3, "also_compatible", 0.1f, &src, &dst));
    }
    CHECK_OK(pygraph_graph_finalize(graph));
    const expected_partition chain3[] = {{1, 3, {1, 2, 3}, 1, {100}, 1, {103}}};
    check_partitions(graph, pygraph_partition_policy_fusion, chain3, 1, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* Cycles: rejected at add_op where possible, at finalize at the latest. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    add_chain_op(graph, 2, 101, 102);
    {
        pygraph_logical_tensor src = t_f32(102), dst = t_f32(100);
        pygraph_status status = tu_add_lrelu(graph, 3, "closer", 0.1f, &src, &dst);
        if (status == pygraph_success) {
            CHECK_FAIL(pygraph_graph_finalize(graph), pygraph_invalid_graph, "cycle");
        } else {
            CHECK_FAIL(status, pygraph_invalid_graph, "cycle", "closer");
            /* nothing was added: the graph is still a valid chain */
            CHECK_OK(pygraph_graph_finalize(graph));
            const expected_partition chain2[] = {{1, 2, {1, 2}, 1, {100}, 1, {102}}};
            check_partitions(graph, pygraph_partition_policy_fusion, chain2, 1, __LINE__);
        }
    }
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A cycle through a Wildcard. */
    graph = new_graph();
    add_wildcard(graph, 1, 1, (uint64_t[]){100}, 1, (uint64_t[]){101});
    {
        pygraph_logical_tensor in = t_f32(101), out = t_f32(100);
        pygraph_status status = tu_add_plain_op(graph, 2, "Wildcard", "back_edge", 1, &in, 1, &out);
        if (status == pygraph_success) {
            CHECK_FAIL(pygraph_graph_finalize(graph), pygraph_invalid_graph, "cycle");
        } else {
            CHECK_FAIL(status, pygraph_invalid_graph, "cycle");
        }
    }
    CHECK_OK(pygraph_graph_destroy(graph));

    /* An op that consumes its own output. */
    graph = new_graph();
    {
        pygraph_logical_tensor same = t_f32(100);
        pygraph_status status = tu_add_lrelu(graph, 1, "self_loop", 0.1f, &same, &same);
        if (status == pygraph_success) {
            CHECK_FAIL(pygraph_graph_finalize(graph), pygraph_invalid_graph, "cycle");
        } else {
            CHECK_FAIL(status, pygraph_invalid_graph, "100", "self_loop");
        }
    }
    CHECK_OK(pygraph_graph_destroy(graph));

    /* States: add_op and mark_output after finalize; partitions before. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    num = 1234;
    CHECK_FAIL(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, &num), pygraph_invalid_graph,
               "finalize");
    CHECK(num == 1234);
    pygraph_partition *parts[1] = {(pygraph_partition *)&num};
    CHECK_FAIL(pygraph_graph_get_partitions(graph, pygraph_partition_policy_fusion, 1, parts), pygraph_invalid_graph,
               "finalize");
    CHECK(parts[0] == NULL);
    CHECK_OK(pygraph_graph_finalize(graph));
    {
        pygraph_logical_tensor src = t_f32(101), dst = t_f32(102);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "late", 0.1f, &src, &dst), pygraph_invalid_graph, "finalize");
    }
    CHECK_FAIL(pygraph_graph_mark_output(graph, 101), pygraph_invalid_graph, "finalize");
    const expected_partition single[] = {{1, 1, {1}, 1, {100}, 1, {101}}};
    check_partitions(graph, pygraph_partition_policy_fusion, single, 1, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* A declared output that is no tensor of the graph fails finalize. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    CHECK_OK(pygraph_graph_mark_output(graph, 5555));
    CHECK_FAIL(pygraph_graph_finalize(graph), pygraph_invalid_graph, "5555");
    int finalized = -1;
    CHECK_OK(pygraph_graph_is_finalized(graph, &finalized));
    CHECK(finalized == 0);
    /* The failed finalize froze nothing: once 5555 exists, it succeeds. */
    add_chain_op(graph, 2, 101, 5555);
    CHECK_OK(pygraph_graph_finalize(graph));
    const expected_partition up_to_marked[] = {{1, 2, {1, 2}, 1, {100}, 1, {5555}}};
    check_partitions(graph, pygraph_partition_policy_fusion, up_to_marked, 1, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* Layouts conflict unless one is undef: strided vs any. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101); /* 101 strided */
    {
        pygraph_logical_tensor src = tu_lt(101, pygraph_data_type_f32, 2, (int64_t[]){4, 5}, pygraph_layout_type_any);
        pygraph_logical_tensor dst = t_f32(102);
        CHECK_FAIL(tu_add_lrelu(graph, 2, "wrong_layout", 0.1f, &src, &dst), pygraph_invalid_graph, "101", "any",
                   "strided", "wrong_layout");
    }
    CHECK_OK(pygraph_graph_destroy(graph));

    /* The wrong partition count: invalid_arguments, every entry NULL. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    CHECK_OK(pygraph_graph_finalize(graph));
    pygraph_partition *two[2] = {(pygraph_partition *)&num, (pygraph_partition *)&num};
    CHECK_FAIL(pygraph_graph_get_partitions(graph, pygraph_partition_policy_fusion, 2, two),
               pygraph_invalid_arguments, "1", "2");
    CHECK(two[0] == NULL && two[1] == NULL);
    (void)none;
    CHECK_OK(pygraph_graph_destroy(graph));
}

static void test_partitions_outlive_their_graph(void) {
    pygraph_graph *graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    add_chain_op(graph, 2, 101, 102);
    CHECK_OK(pygraph_graph_finalize(graph));
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    CHECK_OK(pygraph_graph_destroy(graph));

    const expected_partition fused = {1, 2, {1, 2}, 1, {100}, 1, {102}};
    check_partition(parts[0], 0, &fused, __LINE__);
    pygraph_engine *engine = NULL;
    REQUIRE_OK(pygraph_engine_create(&engine, pygraph_engine_kind_cpu, 0));
    pygraph_logical_tensor src = t_f32(100), dst = t_f32(102);
    pygraph_compiled_partition *compiled = NULL;
    CHECK_OK(pygraph_partition_compile(parts[0], &compiled, 1, &src, 1, &dst, engine));
    CHECK(compiled != NULL);
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
    CHECK_OK(pygraph_engine_destroy(engine));
    tu_destroy_partitions(parts, num);

    /* Partitions of one graph are independent: asking twice gives handles
     * that live on their own. */
    graph = new_graph();
    add_chain_op(graph, 1, 100, 101);
    CHECK_OK(pygraph_graph_finalize(graph));
    pygraph_partition **first = NULL, **second = NULL;
    size_t num_first = tu_partitions(graph, pygraph_partition_policy_fusion, &first);
    size_t num_second = tu_partitions(graph, pygraph_partition_policy_fusion, &second);
    CHECK(num_first == 1 && num_second == 1);
    tu_destroy_partitions(first, num_first);
    const expected_partition one = {1, 1, {1}, 1, {100}, 1, {101}};
    if (num_second == 1) check_partition(second[0], 0, &one, __LINE__);
    tu_destroy_partitions(second, num_second);
    CHECK_OK(pygraph_graph_destroy(graph));
}

/* ---- property test over random graphs ------------------------------------- */

/* Which partition holds each op (index into the generated ops), -1 if none. */
static int check_random_partitioning(const rg_graph *g, const pygraph_graph *graph, pygraph_partition_policy policy,
                                     int case_number) {
    int failures_before = tu_failures;
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, policy, &parts);
    int partition_of[RG_MAX_OPS];
    for (size_t i = 0; i < g->num_ops; i++) partition_of[i] = -1;
    int tensor_partition[RG_MAX_TENSORS]; /* producing partition */
    for (size_t t = 0; t < g->num_tensors; t++) tensor_partition[t] = -1;

    for (size_t p = 0; p < num; p++) {
        size_t num_ops = 0;
        const uint64_t *ops = NULL;
        REQUIRE_OK(pygraph_partition_get_ops(parts[p], &num_ops, &ops));
        int supported = -1;
        REQUIRE_OK(pygraph_partition_is_supported(parts[p], &supported));
        CHECK(num_ops >= 1);
        if (policy == pygraph_partition_policy_debug) CHECK(num_ops == 1);
        for (size_t k = 0; k < num_ops; k++) {
            int op = rg_op_index(g, ops[k]);
            if (!CHECK(op >= 0)) continue;
            CHECK(partition_of[op] == -1); /* every op in one partition only */
            partition_of[op] = (int)p;
            for (size_t o = 0; o < g->ops[op].num_outputs; o++) tensor_partition[g->ops[op].outputs[o]] = (int)p;
            /* supported <=> LeakyReLU; anything else stands alone */
            CHECK(supported == (g->ops[op].kind == RG_LEAKY_RELU));
            if (g->ops[op].kind != RG_LEAKY_RELU) CHECK(num_ops == 1);
            /* a chain: each op reads the previous op's output, which feeds
             * nothing else and is no graph output */
            if (k > 0) {
                int previous = rg_op_index(g, ops[k - 1]);
                if (CHECK(previous >= 0)) {
                    size_t link = g->ops[previous].outputs[0];
                    CHECK(g->ops[op].inputs[0] == link);
                    CHECK(rg_use_count(g, link) == 1);
                    CHECK(!g->marked[link]);
                }
            }
        }
    }
    for (size_t i = 0; i < g->num_ops; i++) CHECK(partition_of[i] >= 0);

    /* Ports, and topological order, per partition. */
    for (size_t p = 0; p < num; p++) {
        int consumed[RG_MAX_TENSORS] = {0}, produced[RG_MAX_TENSORS] = {0};
        for (size_t i = 0; i < g->num_ops; i++) {
            if (partition_of[i] != (int)p) continue;
            for (size_t k = 0; k < g->ops[i].num_inputs; k++) consumed[g->ops[i].inputs[k]] = 1;
            for (size_t k = 0; k < g->ops[i].num_outputs; k++) produced[g->ops[i].outputs[k]] = 1;
        }
        size_t num_ports = 0;
        const pygraph_logical_tensor *ports = NULL;
        int seen[RG_MAX_TENSORS] = {0};
        size_t expected_inputs = 0, expected_outputs = 0;
        REQUIRE_OK(pygraph_partition_get_input_ports(parts[p], &num_ports, &ports));
        for (size_t k = 0; k < num_ports; k++) {
            size_t t = (size_t)(ports[k].id - RG_TENSOR_BASE);
            if (!CHECK(ports[k].id >= RG_TENSOR_BASE && t < g->num_tensors)) continue;
            CHECK(!seen[t]); /* each port once */
            seen[t] = 1;
            CHECK(consumed[t] && !produced[t]);
            /* produced by an earlier partition, or a graph input */
            CHECK(tensor_partition[t] < (int)p);
            CHECK(ports[k].data_type == g->data_type && ports[k].ndims == 1 && ports[k].dims[0] == g->length);
        }
        for (size_t t = 0; t < g->num_tensors; t++) expected_inputs += consumed[t] && !produced[t];
        CHECK(num_ports == expected_inputs);

        memset(seen, 0, sizeof seen);
        REQUIRE_OK(pygraph_partition_get_output_ports(parts[p], &num_ports, &ports));
        for (size_t k = 0; k < num_ports; k++) {
            size_t t = (size_t)(ports[k].id - RG_TENSOR_BASE);
            if (!CHECK(ports[k].id >= RG_TENSOR_BASE && t < g->num_tensors)) continue;
            CHECK(!seen[t]);
            seen[t] = 1;
            CHECK(produced[t] && !consumed[t]);
        }
        for (size_t t = 0; t < g->num_tensors; t++) expected_outputs += produced[t] && !consumed[t];
        CHECK(num_ports == expected_outputs);
    }

    /* Maximal chains: a LeakyReLU whose output feeds exactly one
     * LeakyReLU, and is no graph output, shares its partition. */
    if (policy == pygraph_partition_policy_fusion) {
        for (size_t i = 0; i < g->num_ops; i++) {
            if (g->ops[i].kind != RG_LEAKY_RELU) continue;
            size_t out = g->ops[i].outputs[0];
            if (g->marked[out] || rg_use_count(g, out) != 1) continue;
            for (size_t j = 0; j < g->num_ops; j++) {
                if (g->ops[j].num_inputs > 0 && g->ops[j].inputs[0] == out && g->ops[j].kind == RG_LEAKY_RELU) {
                    if (!CHECK(partition_of[i] == partition_of[j])) {
                        fprintf(stderr, "  ops %" PRIu64 " -> %" PRIu64 " (tensor %" PRIu64 ") were not fused\n",
                                g->ops[i].id, g->ops[j].id, rg_tensor_id(out));
                    }
                }
            }
        }
    } else {
        CHECK(num == g->num_ops);
    }
    tu_destroy_partitions(parts, num);
    if (tu_failures != failures_before) {
        fprintf(stderr, "  ^ random graph case %d, policy %s\n", case_number,
                policy == pygraph_partition_policy_fusion ? "fusion" : "debug");
        return 0;
    }
    return 1;
}

static void test_random_graphs(void) {
    uint64_t seed = 0x6A7;
    int failing_cases = 0;
    for (int case_number = 0; case_number < 600; case_number++) {
        rg_graph g;
        rg_generate(&g, &seed, 1 + (size_t)(tu_random(&seed) % RG_MAX_OPS));
        pygraph_graph *graph = rg_build(&g, &seed);
        failing_cases += !check_random_partitioning(&g, graph, pygraph_partition_policy_fusion, case_number);
        failing_cases += !check_random_partitioning(&g, graph, pygraph_partition_policy_debug, case_number);
        CHECK_OK(pygraph_graph_destroy(graph));
        if (failing_cases > 5) break;
    }
}

static void test_long_and_wide_graphs(void) {
    /* A chain of 3000 ops (added in reverse) is one partition; nothing in
     * the partitioner may recurse per op. */
    enum { chain_length = 3000, width = 1000 };
    pygraph_graph *graph = new_graph();
    for (uint64_t i = chain_length; i >= 1; i--) add_chain_op(graph, i, 10000 + i - 1, 10000 + i);
    CHECK_OK(pygraph_graph_finalize(graph));
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    if (CHECK(num == 1)) {
        size_t num_ops = 0;
        const uint64_t *ops = NULL;
        CHECK_OK(pygraph_partition_get_ops(parts[0], &num_ops, &ops));
        CHECK(num_ops == chain_length);
        int in_order = 1;
        for (size_t i = 0; i < num_ops; i++) in_order &= ops[i] == i + 1;
        CHECK(in_order);
    }
    tu_destroy_partitions(parts, num);
    num = tu_partitions(graph, pygraph_partition_policy_debug, &parts);
    CHECK(num == chain_length);
    tu_destroy_partitions(parts, num);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* 1000 independent ops: 1000 partitions. */
    graph = new_graph();
    for (uint64_t i = 0; i < width; i++) add_chain_op(graph, i, 20000 + 2 * i, 20001 + 2 * i);
    CHECK_OK(pygraph_graph_finalize(graph));
    num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    CHECK(num == width);
    tu_destroy_partitions(parts, num);
    check_topological(graph, pygraph_partition_policy_fusion, __LINE__);
    CHECK_OK(pygraph_graph_destroy(graph));
}

int main(void) {
    test_chain_fuses();
    test_chain_breaks();
    test_empty_and_single();
    test_graph_rules();
    test_partitions_outlive_their_graph();
    test_random_graphs();
    test_long_and_wide_graphs();
    return tu_finish("test_graph_partition");
}
