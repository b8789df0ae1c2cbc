/*
 * test_logical_tensor.c — the logical tensor value struct and the library's
 * small lookups: init, init_with_strides, get_mem_size, data type names and
 * sizes, status names, version, the last-error message.
 */
#include "test_util.h"

static void test_init_dense_row_major(void) {
    pygraph_logical_tensor lt;
    const int64_t dims[3] = {2, 3, 4};
    CHECK_OK(pygraph_logical_tensor_init(&lt, 77, pygraph_data_type_f32, 3, dims, pygraph_layout_type_strided,
                                         pygraph_property_type_constant));
    CHECK(lt.id == 77);
    CHECK(lt.ndims == 3);
    CHECK(lt.dims[0] == 2 && lt.dims[1] == 3 && lt.dims[2] == 4);
    CHECK(lt.data_type == pygraph_data_type_f32);
    CHECK(lt.property == pygraph_property_type_constant);
    CHECK(lt.layout_type == pygraph_layout_type_strided);
    CHECK(lt.strides[0] == 12 && lt.strides[1] == 4 && lt.strides[2] == 1);

    /* Twelve dims, the maximum. */
    int64_t twelve[PYGRAPH_MAX_NDIMS];
    for (int i = 0; i < PYGRAPH_MAX_NDIMS; i++) twelve[i] = 2;
    CHECK_OK(pygraph_logical_tensor_init(&lt, 1, pygraph_data_type_bf16, PYGRAPH_MAX_NDIMS, twelve,
                                         pygraph_layout_type_strided, pygraph_property_type_variable));
    CHECK(lt.ndims == 12);
    for (int i = 0; i < PYGRAPH_MAX_NDIMS; i++) CHECK(lt.strides[i] == (int64_t)1 << (PYGRAPH_MAX_NDIMS - 1 - i));

    /* Zero-size: the innermost strides are still the row-major ones. */
    const int64_t zero_dims[3] = {2, 0, 3};
    CHECK_OK(pygraph_logical_tensor_init(&lt, 2, pygraph_data_type_f16, 3, zero_dims, pygraph_layout_type_strided,
                                         pygraph_property_type_variable));
    CHECK(lt.dims[1] == 0);
    CHECK(lt.strides[1] == 3 && lt.strides[2] == 1);
}

static void test_init_scalar_and_unknown(void) {
    pygraph_logical_tensor lt;
    /* 0-d: dims may be NULL. */
    CHECK_OK(pygraph_logical_tensor_init(&lt, 5, pygraph_data_type_f32, 0, NULL, pygraph_layout_type_strided,
                                         pygraph_property_type_variable));
    CHECK(lt.ndims == 0);
    CHECK(lt.id == 5);

    /* Unknown rank: dims may be NULL. */
    CHECK_OK(pygraph_logical_tensor_init(&lt, 6, pygraph_data_type_bf16, PYGRAPH_UNKNOWN_NDIMS, NULL,
                                         pygraph_layout_type_any, pygraph_property_type_undef));
    CHECK(lt.ndims == -1);
    CHECK(lt.layout_type == pygraph_layout_type_any);
    CHECK(lt.property == pygraph_property_type_undef);

    /* An unknown dim leaves every stride unknown, even in layout strided. */
    const int64_t dims[2] = {PYGRAPH_UNKNOWN_DIM, 8};
    CHECK_OK(pygraph_logical_tensor_init(&lt, 7, pygraph_data_type_f16, 2, dims, pygraph_layout_type_strided,
                                         pygraph_property_type_variable));
    CHECK(lt.dims[0] == PYGRAPH_UNKNOWN_DIM && lt.dims[1] == 8);
    CHECK(lt.strides[0] == PYGRAPH_UNKNOWN_DIM && lt.strides[1] == PYGRAPH_UNKNOWN_DIM);

    /* Layout any: strides unknown although every dim is known. */
    const int64_t known[2] = {3, 5};
    CHECK_OK(pygraph_logical_tensor_init(&lt, 8, pygraph_data_type_f32, 2, known, pygraph_layout_type_any,
                                         pygraph_property_type_variable));
    CHECK(lt.strides[0] == PYGRAPH_UNKNOWN_DIM && lt.strides[1] == PYGRAPH_UNKNOWN_DIM);

    /* Layout undef likewise. */
    CHECK_OK(pygraph_logical_tensor_init(&lt, 9, pygraph_data_type_f32, 2, known, pygraph_layout_type_undef,
                                         pygraph_property_type_variable));
    CHECK(lt.layout_type == pygraph_layout_type_undef);
    CHECK(lt.strides[0] == PYGRAPH_UNKNOWN_DIM && lt.strides[1] == PYGRAPH_UNKNOWN_DIM);

    /* Every oneDNN data type loads, even those LeakyReLU cannot compute on. */
    const pygraph_data_type all_types[] = {
        pygraph_data_type_undef,  pygraph_data_type_f16,     pygraph_data_type_bf16,    pygraph_data_type_f32,
        pygraph_data_type_s32,    pygraph_data_type_s8,      pygraph_data_type_u8,      pygraph_data_type_boolean,
        pygraph_data_type_f8_e5m2, pygraph_data_type_f8_e4m3, pygraph_data_type_s4,      pygraph_data_type_u4,
    };
    for (size_t i = 0; i < sizeof all_types / sizeof all_types[0]; i++) {
        CHECK_OK(pygraph_logical_tensor_init(&lt, 10, all_types[i], 2, known, pygraph_layout_type_strided,
                                             pygraph_property_type_variable));
        CHECK(lt.data_type == all_types[i]);
    }
}

static void test_init_with_strides(void) {
    pygraph_logical_tensor lt;
    const int64_t dims[3] = {2, 3, 4};
    const int64_t strides[3] = {-1, 0, 7};
    CHECK_OK(pygraph_logical_tensor_init_with_strides(&lt, 11, pygraph_data_type_bf16, 3, dims, strides,
                                                      pygraph_property_type_variable));
    CHECK(lt.layout_type == pygraph_layout_type_strided);
    CHECK(lt.strides[0] == -1 && lt.strides[1] == 0 && lt.strides[2] == 7);
    CHECK(lt.dims[0] == 2 && lt.dims[1] == 3 && lt.dims[2] == 4);
    CHECK(lt.id == 11 && lt.data_type == pygraph_data_type_bf16 && lt.property == pygraph_property_type_variable);

    CHECK_OK(pygraph_logical_tensor_init_with_strides(&lt, 12, pygraph_data_type_f32, 0, NULL, NULL,
                                                      pygraph_property_type_variable));
    CHECK(lt.ndims == 0);
}

static void check_mem_size(pygraph_data_type type, int32_t ndims, const int64_t *dims, const int64_t *strides,
                           size_t expected, int line) {
    pygraph_logical_tensor lt;
    REQUIRE_OK(pygraph_logical_tensor_init_with_strides(&lt, 1, type, ndims, dims, strides,
                                                        pygraph_property_type_variable));
    size_t size = 12345;
    CHECK_OK(pygraph_logical_tensor_get_mem_size(&lt, &size));
    if (!CHECK(size == expected)) {
        fprintf(stderr, "  (mem size case at line %d: expected %zu, got %zu)\n", line, expected, size);
    }
}

static void test_mem_size(void) {
    /* dense */
    check_mem_size(pygraph_data_type_f32, 3, (int64_t[]){2, 3, 4}, (int64_t[]){12, 4, 1}, 96, __LINE__);
    check_mem_size(pygraph_data_type_bf16, 3, (int64_t[]){2, 3, 4}, (int64_t[]){12, 4, 1}, 48, __LINE__);
    check_mem_size(pygraph_data_type_f16, 1, (int64_t[]){5}, (int64_t[]){1}, 10, __LINE__);
    check_mem_size(pygraph_data_type_s8, 1, (int64_t[]){5}, (int64_t[]){1}, 5, __LINE__);
    /* padded rows: last element at 1*10 + 2 */
    check_mem_size(pygraph_data_type_f32, 2, (int64_t[]){2, 3}, (int64_t[]){10, 1}, 13 * 4, __LINE__);
    /* column-major */
    check_mem_size(pygraph_data_type_f32, 2, (int64_t[]){2, 3}, (int64_t[]){1, 2}, 6 * 4, __LINE__);
    /* negative stride: offsets 0, -2, -4 span 5 elements */
    check_mem_size(pygraph_data_type_f32, 1, (int64_t[]){3}, (int64_t[]){-2}, 5 * 4, __LINE__);
    /* mixed signs: offsets from -2*3 to +1*5 */
    check_mem_size(pygraph_data_type_bf16, 2, (int64_t[]){3, 2}, (int64_t[]){-3, 5}, (6 + 5 + 1) * 2, __LINE__);
    /* zero stride: every element is the same one */
    check_mem_size(pygraph_data_type_f32, 2, (int64_t[]){4, 5}, (int64_t[]){0, 0}, 4, __LINE__);
    /* zero elements: 0 bytes whatever the strides */
    check_mem_size(pygraph_data_type_f32, 2, (int64_t[]){0, 5}, (int64_t[]){5, 1}, 0, __LINE__);
    check_mem_size(pygraph_data_type_f32, 2, (int64_t[]){7, 0}, (int64_t[]){-1000, 99}, 0, __LINE__);
    /* 0-d: one element */
    check_mem_size(pygraph_data_type_f32, 0, NULL, NULL, 4, __LINE__);
    check_mem_size(pygraph_data_type_f16, 0, NULL, NULL, 2, __LINE__);
    /* extent-1 dims contribute nothing whatever their stride */
    check_mem_size(pygraph_data_type_f32, 3, (int64_t[]){1, 4, 1}, (int64_t[]){1000000, 1, -77}, 16, __LINE__);

    /* From init (dense row-major) */
    pygraph_logical_tensor lt =
        tu_lt(1, pygraph_data_type_f32, 2, (int64_t[]){1000, 1000}, pygraph_layout_type_strided);
    size_t size = 0;
    CHECK_OK(pygraph_logical_tensor_get_mem_size(&lt, &size));
    CHECK(size == 4000000);

    /* Unknown dims or strides: invalid_shape, size untouched. */
    lt = tu_lt(31, pygraph_data_type_f32, 2, (int64_t[]){PYGRAPH_UNKNOWN_DIM, 3}, pygraph_layout_type_strided);
    size = 4242;
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&lt, &size), pygraph_invalid_shape, "31");
    CHECK(size == 4242);
    lt = tu_lt(32, pygraph_data_type_f32, 2, (int64_t[]){2, 3}, pygraph_layout_type_any);
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&lt, &size), pygraph_invalid_shape, "32");
    CHECK(size == 4242);
    lt = tu_lt(33, pygraph_data_type_f32, PYGRAPH_UNKNOWN_NDIMS, NULL, pygraph_layout_type_any);
    CHECK_FAIL(pygraph_logical_tensor_get_mem_size(&lt, &size), pygraph_invalid_shape, "33");
    CHECK(size == 4242);
}

static void test_names_and_sizes(void) {
    static const struct {
        pygraph_data_type type;
        const char *name;
        size_t size;
    } types[] = {
        {pygraph_data_type_undef, "undef", 0},   {pygraph_data_type_f16, "f16", 2},
        {pygraph_data_type_bf16, "bf16", 2},     {pygraph_data_type_f32, "f32", 4},
        {pygraph_data_type_s32, "s32", 4},       {pygraph_data_type_s8, "s8", 1},
        {pygraph_data_type_u8, "u8", 1},         {pygraph_data_type_boolean, "boolean", 1},
        {pygraph_data_type_f8_e5m2, "f8_e5m2", 1}, {pygraph_data_type_f8_e4m3, "f8_e4m3", 1},
        {pygraph_data_type_s4, "s4", 0},         {pygraph_data_type_u4, "u4", 0},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const char *name = pygraph_data_type_name(types[i].type);
        if (!CHECK(name != NULL && strcmp(name, types[i].name) == 0)) {
            fprintf(stderr, "  data type %d: expected \"%s\", got \"%s\"\n", (int)types[i].type, types[i].name,
                    name ? name : "(null)");
        }
        CHECK(pygraph_data_type_size(types[i].type) == types[i].size);
    }
    /* 7 is oneDNN's f64, not a pygraph type; 99 and -1 are nothing. */
    CHECK(pygraph_data_type_name((pygraph_data_type)7) == NULL);
    CHECK(pygraph_data_type_name((pygraph_data_type)99) == NULL);
    CHECK(pygraph_data_type_name((pygraph_data_type)-1) == NULL);
    CHECK(pygraph_data_type_size((pygraph_data_type)7) == 0);
    CHECK(pygraph_data_type_size((pygraph_data_type)99) == 0);

    static const char *const status_names[] = {
        "success",      "out_of_memory", "invalid_arguments", "unimplemented",    "last_impl_reached", "runtime_error",
        "not_required", "invalid_graph", "invalid_graph_op",  "invalid_shape",    "invalid_data_type",
    };
    for (int status = 0; status <= 10; status++) {
        const char *name = pygraph_status_name((pygraph_status)status);
        if (!CHECK(name != NULL && strcmp(name, status_names[status]) == 0)) {
            fprintf(stderr, "  status %d: expected \"%s\", got \"%s\"\n", status, status_names[status],
                    name ? name : "(null)");
        }
    }
    CHECK(strcmp(pygraph_status_name((pygraph_status)11), "unknown") == 0);
    CHECK(strcmp(pygraph_status_name((pygraph_status)-1), "unknown") == 0);

    /* The status values are oneDNN's. */
    CHECK(pygraph_success == 0 && pygraph_out_of_memory == 1 && pygraph_invalid_arguments == 2 &&
          pygraph_unimplemented == 3 && pygraph_last_impl_reached == 4 && pygraph_runtime_error == 5 &&
          pygraph_not_required == 6 && pygraph_invalid_graph == 7 && pygraph_invalid_graph_op == 8 &&
          pygraph_invalid_shape == 9 && pygraph_invalid_data_type == 10);
    CHECK(PYGRAPH_UNKNOWN_DIM == INT64_MIN);

    /* The version is "major.minor.patch". */
    const char *version = pygraph_version();
    REQUIRE(version != NULL);
    unsigned major, minor, patch;
    char rest;
    CHECK(sscanf(version, "%u.%u.%u%c", &major, &minor, &patch, &rest) == 3);
}

static void test_last_error_message_lifecycle(void) {
    pygraph_logical_tensor lt;
    /* A failure leaves a message ... */
    CHECK_FAIL(pygraph_logical_tensor_init(&lt, 1, pygraph_data_type_f32, 2, NULL, pygraph_layout_type_strided,
                                           pygraph_property_type_variable),
               pygraph_invalid_arguments, "dims");
    CHECK(pygraph_last_error_message()[0] != '\0');
    /* ... that the next successful call empties. */
    CHECK_OK(pygraph_logical_tensor_init(&lt, 1, pygraph_data_type_f32, 0, NULL, pygraph_layout_type_strided,
                                         pygraph_property_type_variable));
    CHECK(pygraph_last_error_message()[0] == '\0');
}

int main(void) {
    test_init_dense_row_major();
    test_init_scalar_and_unknown();
    test_init_with_strides();
    test_mem_size();
    test_names_and_sizes();
    test_last_error_message_lifecycle();
    return tu_finish("test_logical_tensor");
}
