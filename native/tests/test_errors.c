/*
 * test_errors.c — every public entry point abused: NULL arguments, the
 * wrong state, absurd ndims/dims/strides, sizes that overflow.  Each call
 * must return the documented status with a non-empty message naming what
 * was wrong, set handle out-pointers to NULL, leave value out-parameters
 * untouched, and change nothing (objects keep working; output buffers keep
 * their canary pattern).
 */
#include <pthread.h>

#include "test_util.h"

static pygraph_engine *engine;
static pygraph_stream *stream;

/* A status that the contract allows in two forms (e.g. an impossible
 * allocation size may be refused as invalid or as out of memory). */
#define CHECK_FAIL_EITHER(call, status_a, status_b, ...)                                              \
    do {                                                                                               \
        pygraph_status got_ = (call);                                                                  \
        pygraph_status expected_ = got_ == (status_b) ? (status_b) : (status_a);                       \
        if (tu_check_status(got_, expected_, #call, __FILE__, __LINE__)) {                             \
            tu_check_message((const char *const[]){__VA_ARGS__, NULL}, #call, __FILE__, __LINE__);     \
        }                                                                                              \
    } while (0)

static pygraph_logical_tensor lt_f32(uint64_t id, int64_t rows, int64_t cols) {
    return tu_lt(id, pygraph_data_type_f32, 2, (int64_t[]){rows, cols}, pygraph_layout_type_strided);
}

/* A garbage pointer value that a failed call must overwrite with NULL. */
#define GARBAGE ((void *)(uintptr_t)0x1)

static void test_library_calls(void) {
    CHECK_FAIL(pygraph_get_cpu_features(NULL), pygraph_invalid_arguments, "features");
    CHECK_FAIL(pygraph_get_cpu_isa(NULL), pygraph_invalid_arguments, "isa");

    const char *isa_before = NULL, *isa_after = NULL;
    REQUIRE_OK(pygraph_get_cpu_isa(&isa_before));
    CHECK_FAIL(pygraph_set_max_cpu_isa(NULL), pygraph_invalid_arguments, "isa");
    CHECK_FAIL(pygraph_set_max_cpu_isa("avx9000"), pygraph_invalid_arguments, "avx9000", "scalar", "avx2", "avx512",
               "best");
    CHECK_FAIL(pygraph_set_max_cpu_isa(""), pygraph_invalid_arguments, "scalar");
    CHECK_OK(pygraph_get_cpu_isa(&isa_after));
    CHECK(strcmp(isa_before, isa_after) == 0);

    const char *name = GARBAGE;
    CHECK_FAIL(pygraph_get_kernel_name(pygraph_data_type_f32, NULL), pygraph_invalid_arguments, "name");
    CHECK_FAIL(pygraph_get_kernel_name(pygraph_data_type_s32, &name), pygraph_invalid_data_type, "s32", "f32",
               "bf16", "f16");
    CHECK(name == NULL);
    name = GARBAGE;
    CHECK_FAIL(pygraph_get_kernel_name(pygraph_data_type_undef, &name), pygraph_invalid_data_type, "undef");
    CHECK(name == NULL);
    name = GARBAGE;
    CHECK_FAIL(pygraph_get_kernel_name((pygraph_data_type)99, &name), pygraph_invalid_data_type, "99");
    CHECK(name == NULL);

    int threads_before = 0, threads_after = 0;
    REQUIRE_OK(pygraph_get_num_threads(&threads_before));
    CHECK_FAIL(pygraph_set_num_threads(-3), pygraph_invalid_arguments, "-3");
    CHECK_OK(pygraph_get_num_threads(&threads_after));
    CHECK(threads_before == threads_after);
    CHECK_FAIL(pygraph_get_num_threads(NULL), pygraph_invalid_arguments, "num_threads");

    size_t num = 77;
    const char *const *kinds = GARBAGE;
    CHECK_FAIL(pygraph_schema_list(NULL, &kinds), pygraph_invalid_arguments, "num_kinds");
    CHECK(kinds == NULL);
    CHECK_FAIL(pygraph_schema_list(&num, NULL), pygraph_invalid_arguments, "kinds");
    CHECK(num == 77);
    const char *json = GARBAGE;
    CHECK_FAIL(pygraph_schema_get_json(NULL, &json), pygraph_invalid_arguments, "kind");
    CHECK(json == NULL);
    CHECK_FAIL(pygraph_schema_get_json("LeakyReLU", NULL), pygraph_invalid_arguments, "json");
}

static void test_engine_and_stream(void) {
    pygraph_engine *e = GARBAGE;
    CHECK_FAIL(pygraph_engine_create(NULL, pygraph_engine_kind_cpu, 0), pygraph_invalid_arguments, "engine");
    CHECK_FAIL(pygraph_engine_create(&e, pygraph_engine_kind_gpu, 0), pygraph_unimplemented, "gpu", "2", "cpu");
    CHECK(e == NULL);
    e = GARBAGE;
    CHECK_FAIL(pygraph_engine_create(&e, pygraph_engine_kind_any, 0), pygraph_unimplemented, "any", "0", "cpu");
    CHECK(e == NULL);
    e = GARBAGE;
    CHECK_FAIL(pygraph_engine_create(&e, pygraph_engine_kind_cpu, 1), pygraph_invalid_arguments, "1", "0");
    CHECK(e == NULL);
    pygraph_engine_kind kind = (pygraph_engine_kind)42;
    CHECK_FAIL(pygraph_engine_get_kind(NULL, &kind), pygraph_invalid_arguments, "engine");
    CHECK(kind == (pygraph_engine_kind)42);
    CHECK_FAIL(pygraph_engine_get_kind(engine, NULL), pygraph_invalid_arguments, "kind");

    pygraph_stream *s = GARBAGE;
    CHECK_FAIL(pygraph_stream_create(NULL, engine), pygraph_invalid_arguments, "stream");
    CHECK_FAIL(pygraph_stream_create(&s, NULL), pygraph_invalid_arguments, "engine");
    CHECK(s == NULL);
    CHECK_FAIL(pygraph_stream_wait(NULL), pygraph_invalid_arguments, "stream");

    /* destroy(NULL) is a no-op that succeeds (and leaves no message). */
    CHECK_OK(pygraph_engine_destroy(NULL));
    CHECK_OK(pygraph_stream_destroy(NULL));
    CHECK_OK(pygraph_op_destroy(NULL));
    CHECK_OK(pygraph_graph_destroy(NULL));
    CHECK_OK(pygraph_partition_destroy(NULL));
    CHECK_OK(pygraph_compiled_partition_destroy(NULL));
}

/* init must fail with `status` and leave *lt exactly as it was. */
#define CHECK_INIT_REFUSED(ndims, dims, type, layout, property, status, ...)                                     \
    do {                                                                                                          \
        pygraph_logical_tensor lt_, before_;                                                                      \
        memset(&lt_, TU_CANARY, sizeof lt_);                                                                      \
        before_ = lt_;                                                                                            \
        CHECK_FAIL(pygraph_logical_tensor_init(&lt_, 5, (type), (ndims), (dims), (layout), (property)), status,   \
                   __VA_ARGS__);                                                                                  \
        CHECK(memcmp(&lt_, &before_, sizeof lt_) == 0);                                                           \
    } while (0)

static void test_logical_tensor_calls(void) {
    const pygraph_data_type f32 = pygraph_data_type_f32;
    const pygraph_layout_type strided = pygraph_layout_type_strided;
    const pygraph_property_type variable = pygraph_property_type_variable;
    int64_t dims12[13] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

    CHECK_FAIL(pygraph_logical_tensor_init(NULL, 1, f32, 0, NULL, strided, variable), pygraph_invalid_arguments,
               "lt");
    CHECK_INIT_REFUSED(2, NULL, f32, strided, variable, pygraph_invalid_arguments, "dims");
    CHECK_INIT_REFUSED(13, dims12, f32, strided, variable, pygraph_invalid_shape, "13", "12");
    CHECK_INIT_REFUSED(1000000, dims12, f32, strided, variable, pygraph_invalid_shape, "1000000");
    CHECK_INIT_REFUSED(-2, NULL, f32, strided, variable, pygraph_invalid_shape, "-2");
    CHECK_INIT_REFUSED(INT32_MIN, NULL, f32, strided, variable, pygraph_invalid_shape, "-2147483648");
    CHECK_INIT_REFUSED(2, ((int64_t[]){2, -5}), f32, strided, variable, pygraph_invalid_shape, "-5");
    CHECK_INIT_REFUSED(2, ((int64_t[]){2, PYGRAPH_UNKNOWN_DIM + 1}), f32, strided, variable, pygraph_invalid_shape,
                       "-9223372036854775807");
    /* element counts that do not fit */
    CHECK_INIT_REFUSED(2, ((int64_t[]){(int64_t)1 << 40, (int64_t)1 << 40}), f32, strided, variable,
                       pygraph_invalid_shape, "1099511627776");
    CHECK_INIT_REFUSED(2, ((int64_t[]){INT64_MAX, 2}), f32, strided, variable, pygraph_invalid_shape, "5",
                       "overflow");
    /* Zero elements, but dense strides (extent 0 counted as 1, as NumPy
     * does) that int64 cannot hold. */
    CHECK_INIT_REFUSED(3, ((int64_t[]){INT64_MAX, 2, 0}), f32, strided, variable, pygraph_invalid_shape, "5",
                       "overflow");
    /* enum values outside the enums */
    CHECK_INIT_REFUSED(0, NULL, (pygraph_data_type)7, strided, variable, pygraph_invalid_arguments, "7");
    CHECK_INIT_REFUSED(0, NULL, (pygraph_data_type)-1, strided, variable, pygraph_invalid_arguments, "-1");
    CHECK_INIT_REFUSED(0, NULL, f32, (pygraph_layout_type)9, variable, pygraph_invalid_arguments, "9", "layout");
    CHECK_INIT_REFUSED(0, NULL, f32, strided, (pygraph_property_type)9, pygraph_invalid_arguments, "9", "property");

    /* init_with_strides */
    pygraph_logical_tensor lt, before;
    memset(&lt, TU_CANARY, sizeof lt);
    before = lt;
    CHECK_FAIL(pygraph_logical_tensor_init_with_strides(NULL, 1, f32, 0, NULL, NULL, variable),
               pygraph_invalid_arguments, "lt");
    CHECK_FAIL(pygraph_logical_tensor_init_with_strides(&lt, 1, f32, 2, (int64_t[]){2, 3}, NULL, variable),
               pygraph_invalid_arguments, "strides");
    CHECK_FAIL(pygraph_logical_tensor_init_with_strides(&lt, 1, f32, 2, NULL, (int64_t[]){3, 1}, variable),
               pygraph_invalid_arguments, "dims");
    CHECK_FAIL(pygraph_logical_tensor_init_with_strides(&lt, 1, f32, 13, dims12, dims12, variable),
               pygraph_invalid_shape, "13");
    CHECK_FAIL(pygraph_logical_tensor_init_with_strides(&lt, 1, f32, 1, (int64_t[]){-1}, (int64_t[]){1}, variable),
               pygraph_invalid_shape, "-1");
    CHECK(memcmp(&lt, &before, sizeof lt) == 0);

    /* get_mem_size */
    size_t size = 31337;
    pygraph_logical_tensor good = lt_f32(1, 2, 3);
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(NULL, &size), pygraph_invalid_arguments, "lt");
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&good, NULL), pygraph_invalid_arguments, "size");
    /* Hand-written structs the init functions would refuse. */
    pygraph_logical_tensor absurd = good;
    absurd.ndims = 13;
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_shape, "13");
    absurd = good;
    absurd.ndims = -7;
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_shape, "-7");
    absurd = good;
    absurd.dims[0] = -3;
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_shape, "-3");
    /* offsets that overflow int64 */
    absurd = good;
    absurd.ndims = 1;
    absurd.dims[0] = 3;
    absurd.strides[0] = INT64_MAX / 2 + 1;
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_shape, "1");
    absurd.strides[0] = -INT64_MAX;
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_shape, "1");
    /* in range as an offset, but not as bytes */
    absurd.dims[0] = (int64_t)1 << 62;
    absurd.strides[0] = 1;
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_shape, "1");
    /* a span reaching both far ends */
    absurd.ndims = 2;
    absurd.dims[0] = 2;
    absurd.dims[1] = 2;
    absurd.strides[0] = INT64_MAX - 1;
    absurd.strides[1] = -(INT64_MAX - 1);
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_shape, "1");
    absurd = good;
    absurd.data_type = (pygraph_data_type)99;
    CHECK_STATUS(pygraph_logical_tensor_get_mem_size(&absurd, &size), pygraph_invalid_arguments);
    CHECK(size == 31337);
}

static void test_op_calls(void) {
    pygraph_op *op = GARBAGE;
    CHECK_FAIL(pygraph_op_create(NULL, 1, "LeakyReLU", NULL), pygraph_invalid_arguments, "op");
    CHECK_FAIL(pygraph_op_create(&op, 1, NULL, "x"), pygraph_invalid_arguments, "kind");
    CHECK(op == NULL);
    op = GARBAGE;
    CHECK_FAIL(pygraph_op_create(&op, 1, "", "x"), pygraph_invalid_arguments, "LeakyReLU");
    CHECK(op == NULL);

    REQUIRE_OK(pygraph_op_create(&op, 9, "LeakyReLU", "target"));
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.5f));
    pygraph_logical_tensor src = lt_f32(1, 2, 3), dst = lt_f32(2, 2, 3);

    CHECK_FAIL(pygraph_op_add_input(NULL, &src), pygraph_invalid_arguments, "op");
    CHECK_FAIL(pygraph_op_add_input(op, NULL), pygraph_invalid_arguments, "lt");
    CHECK_FAIL(pygraph_op_add_output(NULL, &dst), pygraph_invalid_arguments, "op");
    CHECK_FAIL(pygraph_op_add_output(op, NULL), pygraph_invalid_arguments, "lt");

    CHECK_FAIL(pygraph_op_set_attr_f32(NULL, "alpha", 1.0f), pygraph_invalid_arguments, "op");
    CHECK_FAIL(pygraph_op_set_attr_f32(op, NULL, 1.0f), pygraph_invalid_arguments, "name");
    CHECK_FAIL(pygraph_op_set_attr_s64(op, NULL, 1), pygraph_invalid_arguments, "name");
    CHECK_FAIL(pygraph_op_set_attr_bool(NULL, "b", 1), pygraph_invalid_arguments, "op");
    CHECK_FAIL(pygraph_op_set_attr_string(op, "alpha", NULL), pygraph_invalid_arguments, "value");
    CHECK_FAIL(pygraph_op_set_attr_string(op, NULL, "v"), pygraph_invalid_arguments, "name");
    /* Failed array sets must not replace the valid alpha. */
    CHECK_FAIL(pygraph_op_set_attr_f32s(op, "alpha", NULL, 3), pygraph_invalid_arguments, "values");
    CHECK_FAIL(pygraph_op_set_attr_s64s(op, "alpha", NULL, 1), pygraph_invalid_arguments, "values");
    /* A count whose byte size overflows: refused before reading anything. */
    float one_float = 1.0f;
    int64_t one_s64 = 1;
    CHECK_FAIL_EITHER(pygraph_op_set_attr_f32s(op, "alpha", &one_float, SIZE_MAX / 2), pygraph_invalid_arguments,
                      pygraph_out_of_memory, "alpha");
    CHECK_FAIL_EITHER(pygraph_op_set_attr_s64s(op, "alpha", &one_s64, SIZE_MAX / 4 + 2), pygraph_invalid_arguments,
                      pygraph_out_of_memory, "alpha");

    uint64_t id = 1234;
    const char *text = GARBAGE;
    CHECK_FAIL(pygraph_op_get_id(NULL, &id), pygraph_invalid_arguments, "op");
    CHECK(id == 1234);
    CHECK_FAIL(pygraph_op_get_id(op, NULL), pygraph_invalid_arguments, "id");
    CHECK_FAIL(pygraph_op_get_kind(NULL, &text), pygraph_invalid_arguments, "op");
    CHECK(text == NULL);
    CHECK_FAIL(pygraph_op_get_kind(op, NULL), pygraph_invalid_arguments, "kind");
    text = GARBAGE;
    CHECK_FAIL(pygraph_op_get_name(NULL, &text), pygraph_invalid_arguments, "op");
    CHECK(text == NULL);
    CHECK_FAIL(pygraph_op_get_name(op, NULL), pygraph_invalid_arguments, "name");

    /* After all that, the op is intact: one input, one output, alpha 0.5. */
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    CHECK_OK(pygraph_graph_add_op(graph, op));
    CHECK_OK(pygraph_op_destroy(op));
    REQUIRE_OK(pygraph_graph_finalize(graph));
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    pygraph_compiled_partition *compiled = NULL;
    REQUIRE_OK(pygraph_partition_compile(parts[0], &compiled, 1, &src, 1, &dst, engine));
    float in[6] = {-4, -2, 0, 2, 4, -8}, out[6];
    CHECK_OK(tu_execute1(compiled, stream, &src, in, &dst, out));
    for (int i = 0; i < 6; i++) CHECK(out[i] == (in[i] < 0 ? in[i] * 0.5f : in[i]));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
    tu_destroy_partitions(parts, num);
    CHECK_OK(pygraph_graph_destroy(graph));
}

/* A port with absurd ndims/dims must be refused by add_input/add_output or,
 * at the latest, by add_op, with invalid_shape naming the value. */
static void check_absurd_port(pygraph_logical_tensor absurd, int as_input, const char *fragment) {
    pygraph_op *op = NULL;
    REQUIRE_OK(pygraph_op_create(&op, 66, "LeakyReLU", "absurd_port"));
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    pygraph_logical_tensor fine_in = lt_f32(1, 2, 3), fine_out = lt_f32(2, 2, 3);
    pygraph_status status = as_input ? pygraph_op_add_input(op, &absurd) : pygraph_op_add_output(op, &absurd);
    if (status == pygraph_success) {
        REQUIRE_OK(as_input ? pygraph_op_add_output(op, &fine_out) : pygraph_op_add_input(op, &fine_in));
        pygraph_graph *graph = NULL;
        REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
        CHECK_FAIL(pygraph_graph_add_op(graph, op), pygraph_invalid_shape, fragment, "66", "absurd_port");
        CHECK_OK(pygraph_graph_finalize(graph));
        size_t num = 9;
        CHECK_OK(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, &num));
        CHECK(num == 0);
        CHECK_OK(pygraph_graph_destroy(graph));
    } else {
        CHECK_FAIL(status, pygraph_invalid_shape, fragment);
    }
    CHECK_OK(pygraph_op_destroy(op));
}

static void test_absurd_ports(void) {
    pygraph_logical_tensor absurd = lt_f32(1, 2, 3);
    absurd.ndims = 13;
    check_absurd_port(absurd, 1, "13");
    absurd.id = 2;
    check_absurd_port(absurd, 0, "13");
    absurd = lt_f32(1, 2, 3);
    absurd.ndims = INT32_MAX;
    check_absurd_port(absurd, 1, "2147483647");
    absurd = lt_f32(1, 2, 3);
    absurd.dims[1] = -9;
    check_absurd_port(absurd, 1, "-9");
    absurd = lt_f32(2, 2, 3);
    absurd.ndims = -5;
    check_absurd_port(absurd, 0, "-5");
}

static void test_graph_calls(void) {
    pygraph_graph *graph = GARBAGE;
    CHECK_FAIL(pygraph_graph_create(NULL, pygraph_engine_kind_cpu), pygraph_invalid_arguments, "graph");
    CHECK_FAIL(pygraph_graph_create(&graph, pygraph_engine_kind_gpu), pygraph_unimplemented, "gpu", "2", "cpu");
    CHECK(graph == NULL);

    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    pygraph_logical_tensor src = lt_f32(1, 2, 3), dst = lt_f32(2, 2, 3);
    pygraph_op *op = tu_lrelu_op(5, "only", 0.25f, &src, &dst);
    CHECK_FAIL(pygraph_graph_add_op(NULL, op), pygraph_invalid_arguments, "graph");
    CHECK_FAIL(pygraph_graph_add_op(graph, NULL), pygraph_invalid_arguments, "op");
    CHECK_FAIL(pygraph_graph_mark_output(NULL, 2), pygraph_invalid_arguments, "graph");
    CHECK_FAIL(pygraph_graph_finalize(NULL), pygraph_invalid_arguments, "graph");
    int finalized = 42;
    CHECK_FAIL(pygraph_graph_is_finalized(NULL, &finalized), pygraph_invalid_arguments, "graph");
    CHECK(finalized == 42);
    CHECK_FAIL(pygraph_graph_is_finalized(graph, NULL), pygraph_invalid_arguments, "finalized");

    /* wrong state: partitions before finalize */
    size_t num = 4321;
    CHECK_FAIL(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, &num), pygraph_invalid_graph,
               "finalize");
    CHECK(num == 4321);
    CHECK_OK(pygraph_graph_add_op(graph, op));
    CHECK_OK(pygraph_graph_finalize(graph));
    /* wrong state: adding after finalize */
    CHECK_FAIL(pygraph_graph_add_op(graph, op), pygraph_invalid_graph, "finalize");
    CHECK_OK(pygraph_op_destroy(op));

    CHECK_FAIL(pygraph_graph_get_partition_num(NULL, pygraph_partition_policy_fusion, &num), pygraph_invalid_arguments,
               "graph");
    CHECK_FAIL(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, NULL),
               pygraph_invalid_arguments, "num");
    CHECK_FAIL(pygraph_graph_get_partition_num(graph, (pygraph_partition_policy)0, &num), pygraph_invalid_arguments,
               "policy");
    CHECK_FAIL(pygraph_graph_get_partition_num(graph, (pygraph_partition_policy)77, &num), pygraph_invalid_arguments,
               "77");
    CHECK(num == 4321);

    pygraph_partition *parts[2] = {GARBAGE, GARBAGE};
    CHECK_FAIL(pygraph_graph_get_partitions(NULL, pygraph_partition_policy_fusion, 1, parts), pygraph_invalid_arguments,
               "graph");
    CHECK(parts[0] == NULL);
    parts[0] = GARBAGE;
    CHECK_FAIL(pygraph_graph_get_partitions(graph, pygraph_partition_policy_fusion, 1, NULL),
               pygraph_invalid_arguments, "partitions");
    CHECK_FAIL(pygraph_graph_get_partitions(graph, (pygraph_partition_policy)3, 1, parts), pygraph_invalid_arguments,
               "3");
    CHECK(parts[0] == NULL);
    CHECK_OK(pygraph_graph_get_partitions(graph, pygraph_partition_policy_fusion, 1, parts));
    CHECK_OK(pygraph_partition_destroy(parts[0]));
    CHECK_OK(pygraph_graph_destroy(graph));
}

static void test_partition_and_compile_calls(void) {
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    pygraph_logical_tensor src = lt_f32(1, 2, 3), dst = lt_f32(2, 2, 3);
    REQUIRE_OK(tu_add_lrelu(graph, 5, "relu", 0.25f, &src, &dst));
    REQUIRE_OK(pygraph_graph_finalize(graph));
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    pygraph_partition *partition = parts[0];

    size_t value = 888;
    int flag = 7;
    const uint64_t *ids = GARBAGE;
    const pygraph_logical_tensor *ports = GARBAGE;
    CHECK_FAIL(pygraph_partition_get_id(NULL, &value), pygraph_invalid_arguments, "partition");
    CHECK_FAIL(pygraph_partition_get_id(partition, NULL), pygraph_invalid_arguments, "id");
    CHECK_FAIL(pygraph_partition_is_supported(NULL, &flag), pygraph_invalid_arguments, "partition");
    CHECK_FAIL(pygraph_partition_is_supported(partition, NULL), pygraph_invalid_arguments, "supported");
    CHECK(value == 888 && flag == 7);
    CHECK_FAIL(pygraph_partition_get_ops(NULL, &value, &ids), pygraph_invalid_arguments, "partition");
    CHECK(ids == NULL);
    CHECK_FAIL(pygraph_partition_get_ops(partition, NULL, &ids), pygraph_invalid_arguments, "num");
    CHECK_FAIL(pygraph_partition_get_ops(partition, &value, NULL), pygraph_invalid_arguments, "op_ids");
    CHECK_FAIL(pygraph_partition_get_input_ports(NULL, &value, &ports), pygraph_invalid_arguments, "partition");
    CHECK(ports == NULL);
    CHECK_FAIL(pygraph_partition_get_input_ports(partition, NULL, &ports), pygraph_invalid_arguments, "num");
    CHECK_FAIL(pygraph_partition_get_input_ports(partition, &value, NULL), pygraph_invalid_arguments, "ports");
    ports = GARBAGE;
    CHECK_FAIL(pygraph_partition_get_output_ports(NULL, &value, &ports), pygraph_invalid_arguments, "partition");
    CHECK(ports == NULL);
    CHECK_FAIL(pygraph_partition_get_output_ports(partition, NULL, &ports), pygraph_invalid_arguments, "num");
    CHECK_FAIL(pygraph_partition_get_output_ports(partition, &value, NULL), pygraph_invalid_arguments, "ports");
    CHECK(value == 888);

    /* compile: NULLs */
    pygraph_compiled_partition *compiled = GARBAGE;
    CHECK_FAIL(pygraph_partition_compile(NULL, &compiled, 1, &src, 1, &dst, engine), pygraph_invalid_arguments,
               "partition");
    CHECK(compiled == NULL);
    CHECK_FAIL(pygraph_partition_compile(partition, NULL, 1, &src, 1, &dst, engine), pygraph_invalid_arguments,
               "compiled");
    compiled = GARBAGE;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, NULL, 1, &dst, engine), pygraph_invalid_arguments,
               "inputs");
    CHECK(compiled == NULL);
    compiled = GARBAGE;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, NULL, engine), pygraph_invalid_arguments,
               "outputs");
    CHECK(compiled == NULL);
    compiled = GARBAGE;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, NULL), pygraph_invalid_arguments,
               "engine");
    CHECK(compiled == NULL);

    /* compile: absurd descriptions, on a partition whose graph leaves the
     * shapes open (so only the shape itself can be wrong) */
    pygraph_partition *open_partition = NULL;
    {
        pygraph_graph *open_graph = NULL;
        REQUIRE_OK(pygraph_graph_create(&open_graph, pygraph_engine_kind_cpu));
        pygraph_logical_tensor open_src = tu_lt(1, pygraph_data_type_f32, PYGRAPH_UNKNOWN_NDIMS, NULL,
                                                pygraph_layout_type_any);
        pygraph_logical_tensor open_dst = open_src;
        open_dst.id = 2;
        REQUIRE_OK(tu_add_lrelu(open_graph, 5, "relu", 0.25f, &open_src, &open_dst));
        REQUIRE_OK(pygraph_graph_finalize(open_graph));
        pygraph_partition **open_parts = NULL;
        REQUIRE(tu_partitions(open_graph, pygraph_partition_policy_fusion, &open_parts) == 1);
        open_partition = open_parts[0];
        free(open_parts);
        CHECK_OK(pygraph_graph_destroy(open_graph));
    }
    pygraph_logical_tensor absurd;
    struct {
        const char *what;
        int64_t dims[2];
        int64_t strides[2];
        int32_t ndims;
        const char *fragment;
        int src_only; /* dims other than [2, 3] would also contradict the src for a dst */
    } shapes[] = {
        {"ndims 13", {2, 3}, {3, 1}, 13, "13", 0},
        {"ndims -9", {2, 3}, {3, 1}, -9, "-9", 0},
        {"negative dim", {2, -3}, {3, 1}, 2, "-3", 0},
        {"element count overflow", {(int64_t)1 << 40, (int64_t)1 << 40}, {1, 1}, 2, "overflow", 1},
        {"offset overflow", {2, 3}, {INT64_MAX / 2 + 7, INT64_MAX / 2 + 7}, 2, "overflow", 0},
        {"byte size overflow", {(int64_t)1 << 62, 1}, {1, 1}, 2, "overflow", 1},
        {"negative offset overflow", {2, 3}, {1, -(INT64_MAX / 2) - 1}, 2, "overflow", 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int failures_before = tu_failures;
        for (int port = 0; port < (shapes[i].src_only ? 1 : 2); port++) {
            absurd = port == 0 ? src : dst;
            absurd.ndims = shapes[i].ndims;
            memcpy(absurd.dims, shapes[i].dims, sizeof shapes[i].dims);
            memcpy(absurd.strides, shapes[i].strides, sizeof shapes[i].strides);
            compiled = GARBAGE;
            CHECK_FAIL(pygraph_partition_compile(open_partition, &compiled, 1, port == 0 ? &absurd : &src, 1,
                                                 port == 0 ? &dst : &absurd, engine),
                       pygraph_invalid_shape, shapes[i].fragment, port == 0 ? "input 0 (src)" : "output 0 (dst)",
                       "relu");
            CHECK(compiled == NULL);
        }
        if (tu_failures != failures_before) fprintf(stderr, "  ^ compile with %s\n", shapes[i].what);
    }
    CHECK_OK(pygraph_partition_destroy(open_partition));
    absurd = src;
    absurd.data_type = (pygraph_data_type)99;
    compiled = GARBAGE;
    CHECK_FAIL_EITHER(pygraph_partition_compile(partition, &compiled, 1, &absurd, 1, &dst, engine),
                      pygraph_invalid_arguments, pygraph_invalid_data_type, "99");
    CHECK(compiled == NULL);
    absurd = src;
    absurd.layout_type = (pygraph_layout_type)17;
    compiled = GARBAGE;
    CHECK_FAIL(pygraph_partition_compile(partition, &compiled, 1, &absurd, 1, &dst, engine), pygraph_invalid_arguments,
               "17");
    CHECK(compiled == NULL);

    /* After all that, the partition still compiles. */
    REQUIRE_OK(pygraph_partition_compile(partition, &compiled, 1, &src, 1, &dst, engine));
    tu_destroy_partitions(parts, num);
    CHECK_OK(pygraph_graph_destroy(graph));

    /* compiled partition queries */
    pygraph_logical_tensor lt, lt_before;
    memset(&lt, TU_CANARY, sizeof lt);
    lt_before = lt;
    CHECK_FAIL(pygraph_compiled_partition_query_logical_tensor(NULL, 1, &lt), pygraph_invalid_arguments, "compiled");
    CHECK_FAIL(pygraph_compiled_partition_query_logical_tensor(compiled, 1, NULL), pygraph_invalid_arguments, "lt");
    CHECK_FAIL(pygraph_compiled_partition_query_logical_tensor(compiled, 3, &lt), pygraph_invalid_arguments, "3");
    CHECK(memcmp(&lt, &lt_before, sizeof lt) == 0);
    const pygraph_inplace_pair *pairs = GARBAGE;
    value = 888;
    CHECK_FAIL(pygraph_compiled_partition_get_inplace_ports(NULL, &value, &pairs), pygraph_invalid_arguments,
               "compiled");
    CHECK(pairs == NULL);
    CHECK_FAIL(pygraph_compiled_partition_get_inplace_ports(compiled, NULL, &pairs), pygraph_invalid_arguments, "num");
    CHECK_FAIL(pygraph_compiled_partition_get_inplace_ports(compiled, &value, NULL), pygraph_invalid_arguments,
               "pairs");
    ports = GARBAGE;
    CHECK_FAIL(pygraph_compiled_partition_get_input_ports(NULL, &value, &ports), pygraph_invalid_arguments,
               "compiled");
    CHECK(ports == NULL);
    CHECK_FAIL(pygraph_compiled_partition_get_input_ports(compiled, &value, NULL), pygraph_invalid_arguments, "ports");
    ports = GARBAGE;
    CHECK_FAIL(pygraph_compiled_partition_get_output_ports(NULL, &value, &ports), pygraph_invalid_arguments,
               "compiled");
    CHECK(ports == NULL);
    CHECK_FAIL(pygraph_compiled_partition_get_output_ports(compiled, NULL, &ports), pygraph_invalid_arguments, "num");
    CHECK(value == 888);

    /* execute: NULLs and absurd descriptions; the output keeps its canary */
    float in[6] = {-1, -2, -3, 4, 5, 6}, out[6];
    tu_fill_canary(out, sizeof out);
    pygraph_tensor input = {src, in}, output = {dst, out};
    CHECK_FAIL(pygraph_compiled_partition_execute(NULL, stream, 1, &input, 1, &output), pygraph_invalid_arguments,
               "compiled");
    CHECK_FAIL(pygraph_compiled_partition_execute(compiled, NULL, 1, &input, 1, &output), pygraph_invalid_arguments,
               "stream");
    CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 1, NULL, 1, &output), pygraph_invalid_arguments,
               "inputs");
    CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 1, &input, 1, NULL), pygraph_invalid_arguments,
               "outputs");
    CHECK(tu_is_canary(out, sizeof out));
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        for (int port = 0; port < 2; port++) {
            pygraph_tensor bad = port == 0 ? input : output;
            bad.desc.ndims = shapes[i].ndims;
            memcpy(bad.desc.dims, shapes[i].dims, sizeof shapes[i].dims);
            memcpy(bad.desc.strides, shapes[i].strides, sizeof shapes[i].strides);
            CHECK_FAIL(pygraph_compiled_partition_execute(compiled, stream, 1, port == 0 ? &bad : &input, 1,
                                                          port == 0 ? &output : &bad),
                       pygraph_invalid_shape, port == 0 ? "input 0 (src)" : "output 0 (dst)");
            CHECK(tu_is_canary(out, sizeof out));
        }
    }
    {
        pygraph_tensor bad = input;
        bad.desc.data_type = (pygraph_data_type)99;
        CHECK_FAIL_EITHER(pygraph_compiled_partition_execute(compiled, stream, 1, &bad, 1, &output),
                          pygraph_invalid_data_type, pygraph_invalid_arguments, "input 0 (src)", "invalid", "f32");
        CHECK(tu_is_canary(out, sizeof out));
    }

    void *in_buffers[1] = {in}, *out_buffers[1] = {out};
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(NULL, stream, 1, in_buffers, 1, out_buffers),
               pygraph_invalid_arguments, "compiled");
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, NULL, 1, in_buffers, 1, out_buffers),
               pygraph_invalid_arguments, "stream");
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, NULL, 1, out_buffers),
               pygraph_invalid_arguments, "inputs");
    CHECK_FAIL(pygraph_compiled_partition_execute_buffers(compiled, stream, 1, in_buffers, 1, NULL),
               pygraph_invalid_arguments, "outputs");
    CHECK(tu_is_canary(out, sizeof out));

    /* The compiled partition still works. */
    CHECK_OK(pygraph_compiled_partition_execute(compiled, stream, 1, &input, 1, &output));
    for (int i = 0; i < 6; i++) CHECK(out[i] == (in[i] < 0 ? in[i] * 0.25f : in[i]));
    CHECK_OK(pygraph_compiled_partition_destroy(compiled));
}

/* Names are data, never formats; long ones are truncated in messages,
 * never overflow them. */
static void test_hostile_strings(void) {
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    pygraph_logical_tensor src = lt_f32(1, 2, 3), dst = lt_f32(2, 2, 3);
    pygraph_op *op = NULL;

    REQUIRE_OK(pygraph_op_create(&op, 4343, "LeakyReLU", "%s%n%s%x"));
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
    CHECK_FAIL(pygraph_graph_add_op(graph, op), pygraph_invalid_graph_op, "4343", "%s%n%s%x", "alpha");
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.5f));
    REQUIRE_OK(pygraph_op_set_attr_s64(op, "%n%n%n%n", 1));
    CHECK_FAIL(pygraph_graph_add_op(graph, op), pygraph_invalid_graph_op, "4343", "%n%n%n%n");
    CHECK_OK(pygraph_op_destroy(op));
    CHECK_FAIL(pygraph_op_create(&op, 1, "%s%s%s%s", NULL), pygraph_invalid_arguments, "%s%s%s%s");
    CHECK(op == NULL);

    /* A 100,000-character name and attribute name. */
    enum { long_length = 100000 };
    char *long_name = tu_malloc(long_length + 1);
    memset(long_name, 'n', long_length);
    long_name[long_length] = '\0';
    REQUIRE_OK(pygraph_op_create(&op, 4444, "LeakyReLU", long_name));
    const char *stored = NULL;
    CHECK_OK(pygraph_op_get_name(op, &stored));
    CHECK(stored != NULL && strlen(stored) == long_length);
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
    /* The message still says what is wrong: echoed names are shortened,
     * not the facts after them. */
    CHECK_FAIL(pygraph_graph_add_op(graph, op), pygraph_invalid_graph_op, "4444", "LeakyReLU", "nnnnnnnn", "alpha");
    CHECK(strlen(pygraph_last_error_message()) < long_length);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.5f));
    REQUIRE_OK(pygraph_op_set_attr_string(op, long_name, long_name));
    CHECK_FAIL(pygraph_graph_add_op(graph, op), pygraph_invalid_graph_op, "4444");
    CHECK_OK(pygraph_op_destroy(op));
    long_name[0] = 'X';
    CHECK_FAIL(pygraph_op_create(&op, 1, long_name, NULL), pygraph_invalid_arguments, "Xnnnn", "LeakyReLU");
    CHECK(op == NULL);
    free(long_name);

    /* Extreme ids are ordinary ids. */
    pygraph_logical_tensor low = lt_f32(0, 2, 3), high = lt_f32(UINT64_MAX, 2, 3);
    CHECK_OK(tu_add_lrelu(graph, 0, NULL, 0.5f, &low, &high));
    CHECK_OK(tu_add_lrelu(graph, UINT64_MAX, NULL, 0.5f, &high, &src));
    CHECK_OK(pygraph_graph_finalize(graph));
    size_t num = 0;
    CHECK_OK(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, &num));
    CHECK(num == 1);
    CHECK_OK(pygraph_graph_destroy(graph));
}

/* The message is per thread: another thread's calls do not replace it. */
static void *other_thread_calls(void *argument) {
    int *saw_own_message = argument;
    int threads = 0;
    pygraph_get_num_threads(&threads); /* success: empties this thread's message */
    pygraph_status status = pygraph_set_max_cpu_isa("other-thread-isa");
    *saw_own_message = status == pygraph_invalid_arguments &&
                       strstr(pygraph_last_error_message(), "other-thread-isa") != NULL;
    return NULL;
}

static void test_messages_are_thread_local(void) {
    CHECK_FAIL(pygraph_set_num_threads(-1), pygraph_invalid_arguments, "-1");
    int saw_own_message = 0;
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, other_thread_calls, &saw_own_message) == 0);
    REQUIRE(pthread_join(thread, NULL) == 0);
    CHECK(saw_own_message);
    const char *message = pygraph_last_error_message();
    CHECK(strstr(message, "-1") != NULL && strstr(message, "other-thread-isa") == NULL);
    /* A success on this thread empties it. */
    int threads = 0;
    CHECK_OK(pygraph_get_num_threads(&threads));
    CHECK(pygraph_last_error_message()[0] == '\0');
}

/* A destroy between a failed call and the read of its message (what a
 * binding's garbage collector does) leaves the message intact. */
static void test_destroy_leaves_the_message_alone(void) {
    pygraph_op *op = NULL;
    pygraph_graph *graph = NULL;
    pygraph_engine *other_engine = NULL;
    pygraph_stream *other_stream = NULL;
    REQUIRE_OK(pygraph_op_create(&op, 1, "LeakyReLU", "doomed"));
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    REQUIRE_OK(pygraph_engine_create(&other_engine, pygraph_engine_kind_cpu, 0));
    REQUIRE_OK(pygraph_stream_create(&other_stream, other_engine));
    CHECK_FAIL(pygraph_set_num_threads(-7), pygraph_invalid_arguments, "-7");
    CHECK_OK(pygraph_op_destroy(op));
    CHECK_OK(pygraph_graph_destroy(graph));
    CHECK_OK(pygraph_stream_destroy(other_stream));
    CHECK_OK(pygraph_engine_destroy(other_engine));
    CHECK_OK(pygraph_partition_destroy(NULL));
    CHECK_OK(pygraph_compiled_partition_destroy(NULL));
    CHECK(strstr(pygraph_last_error_message(), "-7") != NULL);
}

int main(void) {
    REQUIRE_OK(pygraph_engine_create(&engine, pygraph_engine_kind_cpu, 0));
    REQUIRE_OK(pygraph_stream_create(&stream, engine));
    test_library_calls();
    test_engine_and_stream();
    test_logical_tensor_calls();
    test_op_calls();
    test_absurd_ports();
    test_graph_calls();
    test_partition_and_compile_calls();
    test_hostile_strings();
    test_messages_are_thread_local();
    test_destroy_leaves_the_message_alone();
    CHECK_OK(pygraph_stream_destroy(stream));
    CHECK_OK(pygraph_engine_destroy(engine));
    return tu_finish("test_errors");
}
