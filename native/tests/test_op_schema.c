/*
 * test_op_schema.c — ops (create, attributes, ports, getters) and their
 * validation against the schemas in pygraph_graph_add_op; the schema list
 * and JSON text.
 */
#include <math.h>

#include "test_util.h"

static pygraph_logical_tensor lt_2x3(uint64_t id, pygraph_data_type type) {
    return tu_lt(id, type, 2, (int64_t[]){2, 3}, pygraph_layout_type_strided);
}

/* A graph that must still accept an op with `id` producing tensor `dst_id`
 * proves that a failed add_op registered neither. */
static void check_graph_unchanged_by_failure(pygraph_graph *graph, uint64_t op_id, uint64_t src_id, uint64_t dst_id) {
    pygraph_logical_tensor src = lt_2x3(src_id, pygraph_data_type_f32);
    pygraph_logical_tensor dst = lt_2x3(dst_id, pygraph_data_type_f32);
    CHECK_OK(tu_add_lrelu(graph, op_id, "retry", 0.5f, &src, &dst));
}

static void test_schema_list_and_json(void) {
    size_t num = 0;
    const char *const *kinds = NULL;
    REQUIRE_OK(pygraph_schema_list(&num, &kinds));
    REQUIRE(kinds != NULL);
    int seen_lrelu = 0, seen_wildcard = 0, seen_end = 0;
    for (size_t i = 0; i < num; i++) {
        REQUIRE(kinds[i] != NULL);
        seen_lrelu += strcmp(kinds[i], "LeakyReLU") == 0;
        seen_wildcard += strcmp(kinds[i], "Wildcard") == 0;
        seen_end += strcmp(kinds[i], "End") == 0;
        const char *json = NULL;
        CHECK_OK(pygraph_schema_get_json(kinds[i], &json));
        CHECK(json != NULL && json[0] == '{');
        /* The text is schemas/<kind>.json, which names its op. */
        CHECK(json != NULL && strstr(json, kinds[i]) != NULL);
    }
    CHECK(seen_lrelu == 1 && seen_wildcard == 1 && seen_end == 1);

    /* A stable order: a second call gives the same list. */
    size_t num_again = 0;
    const char *const *kinds_again = NULL;
    CHECK_OK(pygraph_schema_list(&num_again, &kinds_again));
    CHECK(num_again == num);
    for (size_t i = 0; i < num && i < num_again; i++) CHECK(strcmp(kinds[i], kinds_again[i]) == 0);

    /* LeakyReLU's schema text carries its ports, attribute and types. */
    const char *json = NULL;
    REQUIRE_OK(pygraph_schema_get_json("LeakyReLU", &json));
    const char *facts[] = {"\"alpha\"", "\"src\"", "\"dst\"", "\"f32\"", "\"bf16\"", "\"f16\""};
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        if (!CHECK(strstr(json, facts[i]) != NULL)) fprintf(stderr, "  LeakyReLU.json lacks %s\n", facts[i]);
    }

    /* An unknown kind names itself and lists the known kinds. */
    json = "untouched";
    CHECK_FAIL(pygraph_schema_get_json("Convolution", &json), pygraph_invalid_arguments, "Convolution", "LeakyReLU",
               "Wildcard", "End");
    CHECK(json == NULL);
    /* Kinds are case sensitive, as in oneDNN. */
    CHECK_FAIL(pygraph_schema_get_json("leakyrelu", &json), pygraph_invalid_arguments, "leakyrelu", "LeakyReLU");
}

static void test_op_create_and_getters(void) {
    pygraph_op *op = NULL;
    REQUIRE_OK(pygraph_op_create(&op, 42, "LeakyReLU", "my_relu"));
    REQUIRE(op != NULL);
    uint64_t id = 0;
    const char *kind = NULL, *name = NULL;
    CHECK_OK(pygraph_op_get_id(op, &id));
    CHECK(id == 42);
    CHECK_OK(pygraph_op_get_kind(op, &kind));
    CHECK(kind != NULL && strcmp(kind, "LeakyReLU") == 0);
    CHECK_OK(pygraph_op_get_name(op, &name));
    CHECK(name != NULL && strcmp(name, "my_relu") == 0);
    CHECK_OK(pygraph_op_destroy(op));

    /* The op copies its name: the caller's buffer may change afterwards. */
    char buffer[16] = "temporary";
    REQUIRE_OK(pygraph_op_create(&op, 43, "End", buffer));
    strcpy(buffer, "changed");
    CHECK_OK(pygraph_op_get_name(op, &name));
    CHECK(strcmp(name, "temporary") == 0);
    CHECK_OK(pygraph_op_destroy(op));

    /* No name: "<kind>_<id>". */
    REQUIRE_OK(pygraph_op_create(&op, 7, "Wildcard", NULL));
    CHECK_OK(pygraph_op_get_name(op, &name));
    CHECK(name != NULL && strcmp(name, "Wildcard_7") == 0);
    CHECK_OK(pygraph_op_destroy(op));

    /* Ids use all 64 bits. */
    REQUIRE_OK(pygraph_op_create(&op, UINT64_MAX, "LeakyReLU", NULL));
    CHECK_OK(pygraph_op_get_id(op, &id));
    CHECK(id == UINT64_MAX);
    CHECK_OK(pygraph_op_get_name(op, &name));
    CHECK(strcmp(name, "LeakyReLU_18446744073709551615") == 0);
    CHECK_OK(pygraph_op_destroy(op));

    /* An unknown kind is refused, naming it and listing the known ones. */
    op = (pygraph_op *)&id; /* garbage that must become NULL */
    CHECK_FAIL(pygraph_op_create(&op, 1, "Convolution", "conv"), pygraph_invalid_arguments, "Convolution",
               "LeakyReLU", "Wildcard", "End");
    CHECK(op == NULL);

    CHECK_OK(pygraph_op_destroy(NULL));
}

static void test_attributes_of_every_type_are_stored_until_add_op(void) {
    /* Setting is not validating: every attribute type is accepted by the op
     * itself; the replaced value's type is what add_op sees. */
    pygraph_op *op = NULL;
    REQUIRE_OK(pygraph_op_create(&op, 1, "LeakyReLU", "attrs"));
    CHECK_OK(pygraph_op_set_attr_s64(op, "alpha", 3));
    CHECK_OK(pygraph_op_set_attr_bool(op, "alpha", 1));
    CHECK_OK(pygraph_op_set_attr_string(op, "alpha", "text"));
    CHECK_OK(pygraph_op_set_attr_f32s(op, "alpha", (float[]){1.0f, 2.0f}, 2));
    CHECK_OK(pygraph_op_set_attr_s64s(op, "alpha", (int64_t[]){1, 2, 3}, 3));
    CHECK_OK(pygraph_op_set_attr_f32s(op, "alpha", NULL, 0));
    CHECK_OK(pygraph_op_set_attr_s64s(op, "alpha", NULL, 0));
    /* The last value (f32) wins: the op validates. */
    CHECK_OK(pygraph_op_set_attr_f32(op, "alpha", 0.25f));
    pygraph_logical_tensor src = lt_2x3(1, pygraph_data_type_f32), dst = lt_2x3(2, pygraph_data_type_f32);
    CHECK_OK(pygraph_op_add_input(op, &src));
    CHECK_OK(pygraph_op_add_output(op, &dst));
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    CHECK_OK(pygraph_graph_add_op(graph, op));
    CHECK_OK(pygraph_graph_destroy(graph));
    CHECK_OK(pygraph_op_destroy(op));

    /* Special f32 values are legal alphas (SPEC §2). */
    const float alphas[] = {0.0f, -0.0f, -0.5f, 2.0f, INFINITY, -INFINITY, NAN, 1e-45f};
    for (size_t i = 0; i < sizeof alphas / sizeof alphas[0]; i++) {
        REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
        CHECK_OK(tu_add_lrelu(graph, 1, "special_alpha", alphas[i], &src, &dst));
        CHECK_OK(pygraph_graph_destroy(graph));
    }
}

/* Builds an op of `kind` named `name` with id 4242, applies `setup` and
 * returns it. */
typedef void (*op_setup)(pygraph_op *op);

static pygraph_status add_custom_op(pygraph_graph *graph, const char *kind, op_setup setup) {
    pygraph_op *op = NULL;
    REQUIRE_OK(pygraph_op_create(&op, 4242, kind, "victim"));
    setup(op);
    pygraph_status status = pygraph_graph_add_op(graph, op);
    tu_save_message(status);
    pygraph_op_destroy(op);
    return status;
}

static void ports_f32(pygraph_op *op) {
    pygraph_logical_tensor src = lt_2x3(10, pygraph_data_type_f32), dst = lt_2x3(11, pygraph_data_type_f32);
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
}
static void setup_missing_alpha(pygraph_op *op) { ports_f32(op); }
static void setup_alpha_s64(pygraph_op *op) {
    ports_f32(op);
    REQUIRE_OK(pygraph_op_set_attr_s64(op, "alpha", 1));
}
static void setup_alpha_f32s(pygraph_op *op) {
    ports_f32(op);
    REQUIRE_OK(pygraph_op_set_attr_f32s(op, "alpha", (float[]){0.1f}, 1));
}
static void setup_alpha_string(pygraph_op *op) {
    ports_f32(op);
    REQUIRE_OK(pygraph_op_set_attr_string(op, "alpha", "0.1"));
}
static void setup_unknown_attribute(pygraph_op *op) {
    ports_f32(op);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "beta", 0.2f));
}
static void setup_no_input(pygraph_op *op) {
    pygraph_logical_tensor dst = lt_2x3(11, pygraph_data_type_f32);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
}
static void setup_two_inputs(pygraph_op *op) {
    ports_f32(op);
    pygraph_logical_tensor extra = lt_2x3(12, pygraph_data_type_f32);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_input(op, &extra));
}
static void setup_no_output(pygraph_op *op) {
    pygraph_logical_tensor src = lt_2x3(10, pygraph_data_type_f32);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_input(op, &src));
}
static void setup_two_outputs(pygraph_op *op) {
    ports_f32(op);
    pygraph_logical_tensor extra = lt_2x3(12, pygraph_data_type_f32);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_output(op, &extra));
}
static void setup_src_s32(pygraph_op *op) {
    pygraph_logical_tensor src = lt_2x3(10, pygraph_data_type_s32), dst = lt_2x3(11, pygraph_data_type_s32);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
}
static void setup_dst_u8(pygraph_op *op) {
    pygraph_logical_tensor src = lt_2x3(10, pygraph_data_type_f32), dst = lt_2x3(11, pygraph_data_type_u8);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
}
static void setup_src_f32_dst_bf16(pygraph_op *op) {
    pygraph_logical_tensor src = lt_2x3(10, pygraph_data_type_f32), dst = lt_2x3(11, pygraph_data_type_bf16);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
}
static void setup_src_undef(pygraph_op *op) {
    pygraph_logical_tensor src = lt_2x3(10, pygraph_data_type_undef), dst = lt_2x3(11, pygraph_data_type_f16);
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.1f));
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
}
static void setup_end_with_output(pygraph_op *op) { ports_f32(op); }
static void setup_end_without_input(pygraph_op *op) { (void)op; }
static void setup_end_with_attribute(pygraph_op *op) {
    pygraph_logical_tensor src = lt_2x3(10, pygraph_data_type_f32);
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_set_attr_s64(op, "axis", 1));
}

/* Every schema violation: status, and a message naming the op (id, kind,
 * name), the attribute or port, and expected vs got.  After each failure the
 * graph must be unchanged (the op id and its output tensor stay free). */
static void test_add_op_validation(void) {
    static const struct {
        const char *what;
        const char *kind;
        op_setup setup;
        pygraph_status status;
        const char *fragments[4]; /* besides "4242", the kind and "victim" */
    } cases[] = {
        {"missing required attribute", "LeakyReLU", setup_missing_alpha, pygraph_invalid_graph_op,
         {"alpha", "required"}},
        {"attribute of the wrong type (s64)", "LeakyReLU", setup_alpha_s64, pygraph_invalid_graph_op,
         {"alpha", "f32", "s64"}},
        {"attribute of the wrong type (f32[])", "LeakyReLU", setup_alpha_f32s, pygraph_invalid_graph_op,
         {"alpha", "f32", "f32[]"}},
        {"attribute of the wrong type (string)", "LeakyReLU", setup_alpha_string, pygraph_invalid_graph_op,
         {"alpha", "f32", "string"}},
        {"attribute the schema does not define", "LeakyReLU", setup_unknown_attribute, pygraph_invalid_graph_op,
         {"beta"}},
        {"no input", "LeakyReLU", setup_no_input, pygraph_invalid_graph_op, {"input", "1", "0"}},
        {"two inputs", "LeakyReLU", setup_two_inputs, pygraph_invalid_graph_op, {"input", "1", "2"}},
        {"no output", "LeakyReLU", setup_no_output, pygraph_invalid_graph_op, {"output", "1", "0"}},
        {"two outputs", "LeakyReLU", setup_two_outputs, pygraph_invalid_graph_op, {"output", "1", "2"}},
        {"src outside the type constraint", "LeakyReLU", setup_src_s32, pygraph_invalid_data_type,
         {"input 0 (src)", "s32", "f32"}},
        {"dst outside the type constraint", "LeakyReLU", setup_dst_u8, pygraph_invalid_data_type,
         {"output 0 (dst)", "u8"}},
        {"src and dst of different types", "LeakyReLU", setup_src_f32_dst_bf16, pygraph_invalid_data_type,
         {"src", "dst", "f32", "bf16"}},
        {"src of undefined type", "LeakyReLU", setup_src_undef, pygraph_invalid_data_type,
         {"input 0 (src)", "undef"}},
        {"End with an output", "End", setup_end_with_output, pygraph_invalid_graph_op, {"output", "0", "1"}},
        {"End without input", "End", setup_end_without_input, pygraph_invalid_graph_op, {"input", "1", "0"}},
        {"End with an attribute", "End", setup_end_with_attribute, pygraph_invalid_graph_op, {"axis"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pygraph_graph *graph = NULL;
        REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
        int failures_before = tu_failures;
        pygraph_status status = add_custom_op(graph, cases[i].kind, cases[i].setup);
        if (CHECK_STATUS(status, cases[i].status)) {
            CHECK_MESSAGE("4242", cases[i].kind, "victim");
            for (size_t f = 0; f < 4 && cases[i].fragments[f] != NULL; f++) CHECK_MESSAGE(cases[i].fragments[f]);
        }
        /* Nothing was registered: id 4242 and tensor 11 are still free. */
        check_graph_unchanged_by_failure(graph, 4242, 10, 11);
        if (tu_failures != failures_before) fprintf(stderr, "  ^ in case: %s\n", cases[i].what);
        CHECK_OK(pygraph_graph_destroy(graph));
    }
}

static void test_wildcard_takes_anything(void) {
    /* Wildcard stands for an op the host framework runs: any number of
     * inputs and outputs of any data type. */
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    pygraph_logical_tensor a = lt_2x3(1, pygraph_data_type_s8), b = lt_2x3(2, pygraph_data_type_f32),
                           c = lt_2x3(3, pygraph_data_type_u8);
    pygraph_logical_tensor none[1];
    CHECK_OK(tu_add_plain_op(graph, 1, "Wildcard", "source", 0, none, 2, (pygraph_logical_tensor[]){a, b}));
    CHECK_OK(tu_add_plain_op(graph, 2, "Wildcard", "sink", 2, (pygraph_logical_tensor[]){a, b}, 1, &c));
    CHECK_OK(tu_add_plain_op(graph, 3, "Wildcard", "nothing", 0, none, 0, none));
    CHECK_OK(tu_add_plain_op(graph, 4, "End", "end", 1, &c, 0, none));
    CHECK_OK(pygraph_graph_finalize(graph));
    CHECK_OK(pygraph_graph_destroy(graph));
}

static void test_each_supported_dtype_validates(void) {
    const pygraph_data_type types[] = {pygraph_data_type_f32, pygraph_data_type_bf16, pygraph_data_type_f16};
    for (size_t i = 0; i < 3; i++) {
        pygraph_graph *graph = NULL;
        REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
        pygraph_logical_tensor src = lt_2x3(1, types[i]), dst = lt_2x3(2, types[i]);
        CHECK_OK(tu_add_lrelu(graph, 1, NULL, 0.01f, &src, &dst));
        CHECK_OK(pygraph_graph_destroy(graph));
    }
}

static void test_op_copies_its_ports(void) {
    /* add_input copies the struct: changing the caller's copy afterwards
     * changes nothing. */
    pygraph_op *op = NULL;
    pygraph_logical_tensor src = lt_2x3(1, pygraph_data_type_f32), dst = lt_2x3(2, pygraph_data_type_f32);
    REQUIRE_OK(pygraph_op_create(&op, 1, "LeakyReLU", NULL));
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", 0.5f));
    REQUIRE_OK(pygraph_op_add_input(op, &src));
    REQUIRE_OK(pygraph_op_add_output(op, &dst));
    src.data_type = pygraph_data_type_s32; /* would fail validation if the op had kept a pointer */
    dst.data_type = pygraph_data_type_u8;
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    CHECK_OK(pygraph_graph_add_op(graph, op));
    /* The graph copies the op: the op may be destroyed and the graph used. */
    CHECK_OK(pygraph_op_destroy(op));
    CHECK_OK(pygraph_graph_finalize(graph));
    size_t num = 0;
    CHECK_OK(pygraph_graph_get_partition_num(graph, pygraph_partition_policy_fusion, &num));
    CHECK(num == 1);
    CHECK_OK(pygraph_graph_destroy(graph));
}

int main(void) {
    test_schema_list_and_json();
    test_op_create_and_getters();
    test_attributes_of_every_type_are_stored_until_add_op();
    test_add_op_validation();
    test_wildcard_takes_anything();
    test_each_supported_dtype_validates();
    test_op_copies_its_ports();
    return tu_finish("test_op_schema");
}
