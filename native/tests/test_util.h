/*
 * test_util.h — checks and small builders shared by the C test programs.
 *
 * Tests use only the public header.  A failed check prints file:line, the
 * expression, the status name and the library's message, and the program
 * keeps going (so one run shows every failure); REQUIRE_* stops the program
 * when continuing would only produce noise or dereference NULL.
 *
 * The message of a call is copied right after the call: any later pygraph
 * call (even pygraph_status_name) may replace it.
 */
#ifndef PYGRAPH_TESTS_TEST_UTIL_H
#define PYGRAPH_TESTS_TEST_UTIL_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pygraph/pygraph.h"

/* Roomy: a copied message is never cut short by the test itself. */
#define TU_MESSAGE_CAPACITY 16384

static int tu_failures;
static int tu_checks;
/* The message left by the last call a CHECK_* macro ran. */
static char tu_message[TU_MESSAGE_CAPACITY];
/* A helper that must make more pygraph calls after the call under test
 * (e.g. destroy a temporary op) saves that call's message and status here;
 * the next status check uses the saved message when the status matches. */
static int tu_saved_pending;
static pygraph_status tu_saved_status;
static char tu_saved_message[TU_MESSAGE_CAPACITY];

static inline void tu_save_message(pygraph_status status) {
    const char *message = pygraph_last_error_message();
    snprintf(tu_saved_message, sizeof tu_saved_message, "%s", message != NULL ? message : "");
    tu_saved_status = status;
    tu_saved_pending = 1;
}

static inline void tu_capture_message(void) {
    const char *message = pygraph_last_error_message();
    if (message == NULL) {
        snprintf(tu_message, sizeof tu_message, "%s", "<pygraph_last_error_message returned NULL>");
        return;
    }
    snprintf(tu_message, sizeof tu_message, "%s", message);
}

static inline int tu_check(int ok, const char *what, const char *file, int line) {
    tu_checks++;
    if (!ok) {
        tu_failures++;
        fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
    }
    return ok;
}

/* Status check.  On success the message must be empty (header: "a successful
 * call leaves it empty"), except after a destroy, which leaves it alone; on
 * failure it must be non-empty. */
static inline int tu_check_status(pygraph_status got, pygraph_status expected, const char *call, const char *file,
                                  int line) {
    if (tu_saved_pending && tu_saved_status == got) {
        memcpy(tu_message, tu_saved_message, sizeof tu_message);
    } else {
        tu_capture_message();
    }
    tu_saved_pending = 0;
    tu_checks++;
    int ok = got == expected;
    /* Destroys leave the message as it was (header), so they are exempt. */
    int leaves_message_alone = strstr(call, "_destroy(") != NULL;
    if (ok && got == pygraph_success && tu_message[0] != '\0' && !leaves_message_alone) {
        tu_failures++;
        fprintf(stderr, "%s:%d: FAILED: %s succeeded but left the message \"%s\"\n", file, line, call, tu_message);
        return 0;
    }
    if (ok && got != pygraph_success && tu_message[0] == '\0') {
        tu_failures++;
        fprintf(stderr, "%s:%d: FAILED: %s returned %s as expected but with an empty message\n", file, line, call,
                pygraph_status_name(got));
        return 0;
    }
    if (!ok) {
        tu_failures++;
        fprintf(stderr, "%s:%d: FAILED: %s\n    expected status %s, got %s; message: \"%.600s\"\n", file, line, call,
                pygraph_status_name(expected), pygraph_status_name(got), tu_message);
    }
    return ok;
}

/* Every fragment (NULL-terminated list) must occur in the captured message. */
static inline int tu_check_message(const char *const *fragments, const char *call, const char *file, int line) {
    int ok = 1;
    for (const char *const *fragment = fragments; *fragment != NULL; fragment++) {
        tu_checks++;
        if (strstr(tu_message, *fragment) == NULL) {
            tu_failures++;
            ok = 0;
            fprintf(stderr, "%s:%d: FAILED: message of %s lacks \"%s\"\n    message: \"%.600s\"\n", file, line, call,
                    *fragment, tu_message);
        }
    }
    return ok;
}

static inline void tu_abort(const char *file, int line) {
    fprintf(stderr, "%s:%d: cannot continue after this failure (%d failures so far)\n", file, line, tu_failures);
    exit(1);
}

#define CHECK(cond) tu_check((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
#define REQUIRE(cond)                          \
    do {                                       \
        if (!CHECK(cond)) {                    \
            tu_abort(__FILE__, __LINE__);      \
        }                                      \
    } while (0)

/* CHECK_EXPLAINED(cond, "format", ...): CHECK, and on failure a printf-style
 * line saying what was seen, for checks whose expression cannot say it. */
#define CHECK_EXPLAINED(cond, ...)            \
    do {                                      \
        if (!CHECK(cond)) {                   \
            fprintf(stderr, "    ");          \
            fprintf(stderr, __VA_ARGS__);     \
            fputc('\n', stderr);              \
        }                                     \
    } while (0)

#define CHECK_OK(call) tu_check_status((call), pygraph_success, #call, __FILE__, __LINE__)
#define REQUIRE_OK(call)                                                          \
    do {                                                                          \
        if (!tu_check_status((call), pygraph_success, #call, __FILE__, __LINE__)) \
            tu_abort(__FILE__, __LINE__);                                         \
    } while (0)
#define CHECK_STATUS(call, expected) tu_check_status((call), (expected), #call, __FILE__, __LINE__)

/* CHECK_FAIL(call, status, "fragment", ...): the call fails with `status`
 * and its message contains every fragment (at least one is required: a
 * check that accepts any message would prove nothing). */
#define CHECK_FAIL(call, expected, ...)                                                         \
    do {                                                                                        \
        if (tu_check_status((call), (expected), #call, __FILE__, __LINE__)) {                   \
            tu_check_message((const char *const[]){__VA_ARGS__, NULL}, #call, __FILE__, __LINE__); \
        }                                                                                       \
    } while (0)

/* The message captured by the last CHECK_* must contain every fragment. */
#define CHECK_MESSAGE(...) \
    tu_check_message((const char *const[]){__VA_ARGS__, NULL}, "the last call", __FILE__, __LINE__)

static inline int tu_finish(const char *program) {
    if (tu_failures != 0) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", program, tu_failures, tu_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", program, tu_checks);
    return 0;
}

/* ---- bit helpers ---------------------------------------------------------- */

static inline uint32_t tu_f32_bits(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline float tu_f32_from_bits(uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* splitmix64: a fixed seed gives the same sequence on every machine. */
static inline uint64_t tu_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Fills / checks a byte canary pattern: what a failed call must leave alone. */
#define TU_CANARY 0xA5
static inline void tu_fill_canary(void *memory, size_t size) { memset(memory, TU_CANARY, size); }
static inline int tu_is_canary(const void *memory, size_t size) {
    const unsigned char *bytes = memory;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != TU_CANARY) return 0;
    }
    return 1;
}

static inline void *tu_malloc(size_t size) {
    void *memory = malloc(size == 0 ? 1 : size);
    if (memory == NULL) {
        fprintf(stderr, "test: out of memory allocating %zu bytes\n", size);
        exit(1);
    }
    return memory;
}

/* ---- builders ------------------------------------------------------------- */

/* A logical tensor through pygraph_logical_tensor_init (must succeed). */
static inline pygraph_logical_tensor tu_lt(uint64_t id, pygraph_data_type data_type, int32_t ndims,
                                           const int64_t *dims, pygraph_layout_type layout) {
    pygraph_logical_tensor lt;
    REQUIRE_OK(pygraph_logical_tensor_init(&lt, id, data_type, ndims, dims, layout, pygraph_property_type_variable));
    return lt;
}

static inline pygraph_logical_tensor tu_lt_strided(uint64_t id, pygraph_data_type data_type, int32_t ndims,
                                                   const int64_t *dims, const int64_t *strides) {
    pygraph_logical_tensor lt;
    REQUIRE_OK(pygraph_logical_tensor_init_with_strides(&lt, id, data_type, ndims, dims, strides,
                                                        pygraph_property_type_variable));
    return lt;
}

/* A LeakyReLU op src -> dst with attribute alpha (must succeed). */
static inline pygraph_op *tu_lrelu_op(uint64_t id, const char *name, float alpha, const pygraph_logical_tensor *src,
                                      const pygraph_logical_tensor *dst) {
    pygraph_op *op = NULL;
    REQUIRE_OK(pygraph_op_create(&op, id, "LeakyReLU", name));
    REQUIRE_OK(pygraph_op_set_attr_f32(op, "alpha", alpha));
    REQUIRE_OK(pygraph_op_add_input(op, src));
    REQUIRE_OK(pygraph_op_add_output(op, dst));
    return op;
}

/* Adds a LeakyReLU op to `graph` and checks the status of add_op. */
static inline pygraph_status tu_add_lrelu(pygraph_graph *graph, uint64_t id, const char *name, float alpha,
                                          const pygraph_logical_tensor *src, const pygraph_logical_tensor *dst) {
    pygraph_op *op = tu_lrelu_op(id, name, alpha, src, dst);
    pygraph_status status = pygraph_graph_add_op(graph, op);
    tu_save_message(status);
    pygraph_op_destroy(op);
    return status;
}

/* Adds an op of `kind` with the given ports (no attributes). */
static inline pygraph_status tu_add_plain_op(pygraph_graph *graph, uint64_t id, const char *kind, const char *name,
                                             size_t num_inputs, const pygraph_logical_tensor *inputs,
                                             size_t num_outputs, const pygraph_logical_tensor *outputs) {
    pygraph_op *op = NULL;
    REQUIRE_OK(pygraph_op_create(&op, id, kind, name));
    for (size_t i = 0; i < num_inputs; i++) REQUIRE_OK(pygraph_op_add_input(op, &inputs[i]));
    for (size_t i = 0; i < num_outputs; i++) REQUIRE_OK(pygraph_op_add_output(op, &outputs[i]));
    pygraph_status status = pygraph_graph_add_op(graph, op);
    tu_save_message(status);
    pygraph_op_destroy(op);
    return status;
}

/* The partitions of a finalized graph: *parts is malloc'ed, entries owned by
 * the caller (tu_destroy_partitions). */
static inline size_t tu_partitions(const pygraph_graph *graph, pygraph_partition_policy policy,
                                   pygraph_partition ***parts) {
    size_t num = 0;
    REQUIRE_OK(pygraph_graph_get_partition_num(graph, policy, &num));
    *parts = tu_malloc((num == 0 ? 1 : num) * sizeof **parts);
    REQUIRE_OK(pygraph_graph_get_partitions(graph, policy, num, *parts));
    return num;
}

static inline void tu_destroy_partitions(pygraph_partition **parts, size_t num) {
    for (size_t i = 0; i < num; i++) REQUIRE_OK(pygraph_partition_destroy(parts[i]));
    free(parts);
}

/* Compiles a fused chain of LeakyReLU ops (tensor ids 100, 101, ...; op ids
 * 1, 2, ...) whose graph tensors have unknown dims of rank src->ndims, for
 * the concrete src and dst descriptions given (their ids are replaced by the
 * chain's first and last tensor id).  Returns the compiled partition. */
static inline pygraph_compiled_partition *tu_compile_chain(const pygraph_engine *engine, const float *alphas,
                                                           size_t num_alphas, pygraph_logical_tensor src,
                                                           pygraph_logical_tensor dst) {
    pygraph_graph *graph = NULL;
    REQUIRE_OK(pygraph_graph_create(&graph, pygraph_engine_kind_cpu));
    int64_t unknown_dims[PYGRAPH_MAX_NDIMS];
    for (int i = 0; i < PYGRAPH_MAX_NDIMS; i++) unknown_dims[i] = PYGRAPH_UNKNOWN_DIM;
    for (size_t i = 0; i < num_alphas; i++) {
        pygraph_logical_tensor in = tu_lt(100 + i, src.data_type, src.ndims, unknown_dims, pygraph_layout_type_any);
        pygraph_logical_tensor out =
            tu_lt(101 + i, src.data_type, src.ndims, unknown_dims, pygraph_layout_type_any);
        REQUIRE_OK(tu_add_lrelu(graph, 1 + i, NULL, alphas[i], &in, &out));
    }
    REQUIRE_OK(pygraph_graph_finalize(graph));
    pygraph_partition **parts = NULL;
    size_t num = tu_partitions(graph, pygraph_partition_policy_fusion, &parts);
    REQUIRE(num == 1);
    src.id = 100;
    dst.id = 100 + num_alphas;
    pygraph_compiled_partition *compiled = NULL;
    REQUIRE_OK(pygraph_partition_compile(parts[0], &compiled, 1, &src, 1, &dst, engine));
    tu_destroy_partitions(parts, num);
    REQUIRE_OK(pygraph_graph_destroy(graph));
    return compiled;
}

/* Executes a one-input one-output compiled partition. */
static inline pygraph_status tu_execute1(const pygraph_compiled_partition *compiled, const pygraph_stream *stream,
                                         const pygraph_logical_tensor *src_desc, const void *src,
                                         const pygraph_logical_tensor *dst_desc, void *dst) {
    pygraph_tensor input = {*src_desc, (void *)src};
    pygraph_tensor output = {*dst_desc, dst};
    return pygraph_compiled_partition_execute(compiled, stream, 1, &input, 1, &output);
}

#endif /* PYGRAPH_TESTS_TEST_UTIL_H */
