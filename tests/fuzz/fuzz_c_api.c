/*
 * fuzz_c_api.c — libFuzzer target: random programs over the public C API.
 *
 * Each input is a program in the byte language of c_api_protocol.h: create,
 * mutate, add, finalize, partition, compile, execute and destroy in any
 * order, with NULLs, absurd dims and strides, out-of-enum values and calls in
 * the wrong state.  Built with -fsanitize=fuzzer,address,undefined against
 * the library sources (see .ci/fuzz.sh), so a crash, an out-of-bounds access,
 * undefined behaviour or a leak is a finding.
 *
 * Beyond "does not crash", the harness checks the promises of pygraph.h that
 * hold for every call, and abort()s with "CONTRACT VIOLATION" when one
 * breaks (libFuzzer then saves the input like any crash):
 *   - the status is one of the enum's values, never the two oneDNN-parity
 *     values documented as not returned;
 *   - a failure leaves a non-empty message, a success an empty one;
 *   - a failed call sets its handle out-parameters to NULL, leaves value
 *     out-parameters untouched and changes no byte of any buffer;
 *   - execute writes only the elements of its outputs, never an input that
 *     is not aliased to an output, and rejects every request the header
 *     forbids (a missing or duplicate port, a wrong dtype/dim/stride, NULL
 *     data, a partial overlap);
 *   - mem_size agrees with the definition in the header.
 * Handles are never used after destruction: the contract does not promise
 * to detect that.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pygraph/pygraph.h"

#include "c_api_protocol.h"

/* Execute allocates real memory for every tensor it passes; tensors larger
 * than this are not executed (the library is free to accept them, and the
 * harness cannot back them with memory cheaply). */
#define FUZZ_MAX_TENSOR_ELEMENTS ((int64_t)1 << 16)
#define FUZZ_MAX_TENSOR_BYTES ((int64_t)1 << 20)
/* Ports per compile/execute request the harness builds (a Wildcard can have
 * as many as the program adds). */
#define FUZZ_MAX_PORTS 64
#define FUZZ_MAX_STRING 400

/* ------------------------------------------------------------------------- */
/* Reading the program                                                        */
/* ------------------------------------------------------------------------- */

typedef struct byte_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
} byte_reader;

static bool reader_done(const byte_reader *reader) { return reader->pos >= reader->size; }

static uint8_t take_u8(byte_reader *reader) {
    return reader->pos < reader->size ? reader->data[reader->pos++] : 0;
}

static uint32_t take_u32(byte_reader *reader) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value |= (uint32_t)take_u8(reader) << (8 * i);
    return value;
}

static uint64_t take_u64(byte_reader *reader) {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= (uint64_t)take_u8(reader) << (8 * i);
    return value;
}

static uint64_t pick_id(byte_reader *reader) {
    uint8_t selector = take_u8(reader);
    if (selector == 0xFF) return take_u64(reader);
    if (selector == 0xFE) return UINT64_MAX;
    return selector % 16;
}

static pygraph_data_type pick_dtype(byte_reader *reader) {
    uint8_t selector = take_u8(reader);
    int32_t value = selector < FUZZ_DTYPE_TABLE_LEN ? fuzz_dtype_table[selector] : (int32_t)selector;
    return (pygraph_data_type)value;
}

static int32_t pick_ndims(byte_reader *reader) {
    uint8_t selector = take_u8(reader);
    if (selector < 14) return (int32_t)selector - 1;
    return fuzz_bad_ndims[(selector - 14) % FUZZ_BAD_NDIMS_LEN];
}

static int64_t pick_dim(byte_reader *reader) {
    uint8_t selector = take_u8(reader);
    if (selector < FUZZ_SMALL_DIM_LIMIT) return selector % 6;
    if (selector == 0xFF) return (int64_t)take_u64(reader);
    return fuzz_special_dims[(selector - FUZZ_SMALL_DIM_LIMIT) % FUZZ_SPECIAL_DIMS_LEN];
}

static int64_t pick_stride(byte_reader *reader) {
    uint8_t selector = take_u8(reader);
    if (selector < FUZZ_SMALL_STRIDE_LIMIT) return (int64_t)(selector % 17) - 8;
    if (selector == 0xFF) return (int64_t)take_u64(reader);
    return fuzz_special_strides[(selector - FUZZ_SMALL_STRIDE_LIMIT) % FUZZ_SPECIAL_STRIDES_LEN];
}

static float pick_f32(byte_reader *reader) {
    static const uint32_t table[FUZZ_F32_TABLE_LEN] = FUZZ_F32_BITS_TABLE;
    uint8_t selector = take_u8(reader);
    uint32_t bits = selector < FUZZ_F32_TABLE_LEN ? table[selector] : take_u32(reader);
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* A string operand: one length byte, then that many bytes (a NUL among them
 * just ends the string early).  Length 255 makes a long name. */
static const char *pick_string(byte_reader *reader, char *buffer) {
    uint8_t length = take_u8(reader);
    if (length == 255) {
        memset(buffer, 'x', FUZZ_MAX_STRING - 1);
        buffer[FUZZ_MAX_STRING - 1] = '\0';
        return buffer;
    }
    for (uint8_t i = 0; i < length; ++i) buffer[i] = (char)take_u8(reader);
    buffer[length] = '\0';
    return buffer;
}

/* ------------------------------------------------------------------------- */
/* Contract checks                                                            */
/* ------------------------------------------------------------------------- */

static void contract_violation(const char *call, const char *what) {
    fprintf(stderr, "CONTRACT VIOLATION in %s: %s\n", call, what);
    fflush(stderr);
    abort();
}

/* PYGRAPH_FUZZ_TRACE=1 prints every command and call with its status: run
 * the binary on one input file to read a finding as a program. */
static bool trace_enabled;

/* Checks the status and message conventions and returns the status. */
static pygraph_status check_call(pygraph_status status, const char *call) {
    if (trace_enabled) {
        fprintf(stderr, "    %s -> %s%s%s\n", call, pygraph_status_name(status), status ? ": " : "",
                status ? pygraph_last_error_message() : "");
    }
    if ((int)status < 0 || (int)status > (int)pygraph_invalid_data_type) {
        contract_violation(call, "status outside pygraph_status");
    }
    if (status == pygraph_last_impl_reached || status == pygraph_not_required) {
        contract_violation(call, "status documented as never returned");
    }
    const char *message = pygraph_last_error_message();
    if (message == NULL) contract_violation(call, "pygraph_last_error_message() returned NULL");
    size_t length = strlen(message); /* ASan checks the string is terminated */
    /* Destroys leave the message as it was (header: a garbage collector may
     * run one between a failed call and the read of its message). */
    bool is_destroy = strstr(call, "_destroy") != NULL;
    if (status == pygraph_success && length != 0 && !is_destroy) contract_violation(call, "success left a message");
    if (status != pygraph_success && length == 0) contract_violation(call, "failure without a message");
    return status;
}

/* A non-NULL value the harness stores in handle out-parameters before a
 * call: a failed call must overwrite it with NULL, a successful one with a
 * real handle. */
static char poison_target;
#define POISON_HANDLE ((void *)&poison_target)

static void check_handle_out(pygraph_status status, const void *handle, const char *call) {
    if (status != pygraph_success && handle != NULL) contract_violation(call, "failure did not set the handle to NULL");
    if (status == pygraph_success && (handle == NULL || handle == POISON_HANDLE)) {
        contract_violation(call, "success without a handle");
    }
}

/* ------------------------------------------------------------------------- */
/* Tensor geometry (the harness's own, independent of the library)            */
/* ------------------------------------------------------------------------- */

/* The element offsets a fully known strided description reaches. */
typedef struct element_span {
    bool known;       /* ndims in range, every dim >= 0 and known, every needed stride known */
    bool fits;        /* count and offsets are small enough to be exact below */
    __int128 count;   /* number of elements */
    __int128 lowest;  /* lowest element offset (elements, relative to element 0) */
    __int128 highest; /* highest element offset */
} element_span;

/* Saturation bound keeping every intermediate in __int128 exact. */
#define SPAN_LIMIT ((__int128)1 << 100)

static element_span span_of(const pygraph_logical_tensor *lt) {
    element_span span = {.known = false, .fits = true, .count = 1, .lowest = 0, .highest = 0};
    if (lt->ndims < 0 || lt->ndims > PYGRAPH_MAX_NDIMS) return span;
    for (int d = 0; d < lt->ndims; ++d) {
        if (lt->dims[d] < 0) return span; /* unknown or negative */
    }
    for (int d = 0; d < lt->ndims; ++d) {
        /* Saturate before multiplying: SPAN_LIMIT times a dim near 2^63
         * would overflow even __int128 (found by this fuzzer's UBSan). */
        __int128 dim = lt->dims[d];
        if (dim != 0 && span.count > SPAN_LIMIT / dim) {
            span.count = SPAN_LIMIT;
            span.fits = false;
        } else {
            span.count *= dim;
        }
    }
    span.known = true;
    if (span.count == 0) return span;
    for (int d = 0; d < lt->ndims; ++d) {
        if (lt->dims[d] == 1) continue; /* its stride is never used */
        if (lt->strides[d] == PYGRAPH_UNKNOWN_DIM) {
            span.known = false;
            return span;
        }
        /* |reach| < 2^126; clamped so that twelve of them still add up
         * exactly (anything beyond SPAN_LIMIT does not fit anyway). */
        __int128 reach = (__int128)(lt->dims[d] - 1) * lt->strides[d];
        if (reach > SPAN_LIMIT) reach = SPAN_LIMIT + 1;
        if (reach < -SPAN_LIMIT) reach = -SPAN_LIMIT - 1;
        if (reach > 0) span.highest += reach;
        else span.lowest += reach;
    }
    if (span.highest > SPAN_LIMIT || span.lowest < -SPAN_LIMIT) span.fits = false;
    return span;
}

static size_t element_size(pygraph_data_type data_type) {
    switch (data_type) {
    case pygraph_data_type_f32:
    case pygraph_data_type_s32: return 4;
    case pygraph_data_type_f16:
    case pygraph_data_type_bf16: return 2;
    case pygraph_data_type_s8:
    case pygraph_data_type_u8:
    case pygraph_data_type_boolean:
    case pygraph_data_type_f8_e5m2:
    case pygraph_data_type_f8_e4m3: return 1;
    default: return 0;
    }
}

/* Row-major dense strides for `dims`, each dim padded by `pad` elements in
 * its inner extent (pad 0: dense).  Saturates instead of overflowing. */
static void dense_strides(int ndims, const int64_t *dims, const int *order, int64_t pad, int64_t *strides) {
    int64_t step = 1;
    for (int i = ndims - 1; i >= 0; --i) {
        int d = order[i];
        strides[d] = step;
        int64_t extent = dims[d] > 1 ? dims[d] : 1;
        if (i == ndims - 1 && __builtin_add_overflow(extent, pad, &extent)) extent = INT64_MAX;
        if (__builtin_mul_overflow(step, extent, &step)) step = INT64_MAX;
    }
}

/* A value different from `value` that never overflows. */
static int64_t other_than(int64_t value) { return value == INT64_MAX ? value - 1 : value + 1; }

static void row_major_order(int ndims, int *order) {
    for (int d = 0; d < ndims; ++d) order[d] = d;
}

/* ------------------------------------------------------------------------- */
/* State of one program                                                       */
/* ------------------------------------------------------------------------- */

typedef struct fuzz_state {
    pygraph_logical_tensor lts[FUZZ_NUM_LTS];
    pygraph_op *ops[FUZZ_NUM_OPS];
    pygraph_graph *graphs[FUZZ_NUM_GRAPHS];
    pygraph_partition *partitions[FUZZ_NUM_PARTITIONS];
    pygraph_compiled_partition *compiled[FUZZ_NUM_COMPILED];
    pygraph_engine *engines[FUZZ_NUM_ENGINES];
    pygraph_stream *streams[FUZZ_NUM_STREAMS];
    uint64_t rng;
} fuzz_state;

static uint64_t next_random(fuzz_state *state) {
    /* splitmix64: fills buffers with every bit pattern (NaNs, subnormals) */
    uint64_t z = (state->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define SLOT_OF(byte, pool_size) ((byte) % (pool_size))

static pygraph_logical_tensor *pick_lt(fuzz_state *state, byte_reader *reader) {
    uint8_t slot = take_u8(reader);
    return slot == FUZZ_NULL_SLOT ? NULL : &state->lts[SLOT_OF(slot, FUZZ_NUM_LTS)];
}

/* The handle in a slot, or NULL for FUZZ_NULL_SLOT or an empty slot. */
#define PICK_HANDLE(state, reader, pool, pool_size)                                                      \
    (__extension__({                                                                                      \
        uint8_t slot_byte_ = take_u8(reader);                                                             \
        slot_byte_ == FUZZ_NULL_SLOT ? NULL : (state)->pool[SLOT_OF(slot_byte_, pool_size)];              \
    }))

static void default_lt(pygraph_logical_tensor *lt, uint64_t id) {
    memset(lt, 0, sizeof *lt);
    lt->id = id;
    lt->ndims = 2;
    lt->dims[0] = 2;
    lt->dims[1] = 3;
    lt->data_type = pygraph_data_type_f32;
    lt->property = pygraph_property_type_variable;
    lt->layout_type = pygraph_layout_type_strided;
    lt->strides[0] = 3;
    lt->strides[1] = 1;
}

static void trace_lt(const char *label, const pygraph_logical_tensor *lt) {
    if (!trace_enabled) return;
    fprintf(stderr, "      %s: id %llu dtype %d ndims %d layout %d dims [", label, (unsigned long long)lt->id,
            (int)lt->data_type, (int)lt->ndims, (int)lt->layout_type);
    for (int d = 0; d < lt->ndims && d < PYGRAPH_MAX_NDIMS; ++d) fprintf(stderr, d ? ", %lld" : "%lld", (long long)lt->dims[d]);
    fprintf(stderr, "] strides [");
    for (int d = 0; d < lt->ndims && d < PYGRAPH_MAX_NDIMS; ++d) {
        fprintf(stderr, d ? ", %lld" : "%lld", (long long)lt->strides[d]);
    }
    fprintf(stderr, "]\n");
}

/* ------------------------------------------------------------------------- */
/* Logical tensors                                                            */
/* ------------------------------------------------------------------------- */

static void run_lt_init(fuzz_state *state, byte_reader *reader, bool with_strides) {
    pygraph_logical_tensor *lt = pick_lt(state, reader);
    uint64_t id = pick_id(reader);
    pygraph_data_type data_type = pick_dtype(reader);
    int32_t ndims = pick_ndims(reader);
    int64_t dims[PYGRAPH_MAX_NDIMS] = {0};
    int64_t strides[PYGRAPH_MAX_NDIMS] = {0};
    int count = ndims < 0 ? 0 : ndims > PYGRAPH_MAX_NDIMS ? PYGRAPH_MAX_NDIMS : ndims;
    for (int d = 0; d < count; ++d) dims[d] = pick_dim(reader);
    if (with_strides) {
        for (int d = 0; d < count; ++d) strides[d] = pick_stride(reader);
    }
    /* Raw enum bytes: 0..3 are the real layouts, 0..2 the real properties,
     * anything larger is outside the enum. */
    pygraph_layout_type layout = (pygraph_layout_type)(with_strides ? 0 : take_u8(reader));
    pygraph_property_type property = (pygraph_property_type)take_u8(reader);
    uint8_t null_flags = take_u8(reader);
    const int64_t *dims_arg = (null_flags & 2) ? NULL : dims;
    const int64_t *strides_arg = (null_flags & 4) ? NULL : strides;
    if (null_flags & 1) lt = NULL;

    pygraph_logical_tensor before;
    if (lt) before = *lt;
    pygraph_status status;
    const char *call;
    if (with_strides) {
        call = "pygraph_logical_tensor_init_with_strides";
        status = pygraph_logical_tensor_init_with_strides(lt, id, data_type, ndims, dims_arg, strides_arg, property);
    } else {
        call = "pygraph_logical_tensor_init";
        status = pygraph_logical_tensor_init(lt, id, data_type, ndims, dims_arg, layout, property);
    }
    check_call(status, call);
    if (lt == NULL && status == pygraph_success) contract_violation(call, "accepted a NULL logical tensor");
    if (ndims > 0 && status == pygraph_success && (dims_arg == NULL || (with_strides && strides_arg == NULL))) {
        contract_violation(call, "accepted NULL dims or strides with ndims > 0");
    }
    if (lt && status != pygraph_success && memcmp(&before, lt, sizeof before) != 0) {
        contract_violation(call, "failure changed the logical tensor");
    }
    if (lt && status == pygraph_success && lt->ndims != ndims) contract_violation(call, "ndims not stored");
}

static void run_lt_set_field(fuzz_state *state, byte_reader *reader) {
    pygraph_logical_tensor *lt = &state->lts[SLOT_OF(take_u8(reader), FUZZ_NUM_LTS)];
    uint8_t field = take_u8(reader) % 7;
    int index = take_u8(reader) % PYGRAPH_MAX_NDIMS;
    switch (field) {
    case 0: lt->id = pick_id(reader); break;
    case 1: lt->ndims = pick_ndims(reader); break;
    case 2: lt->dims[index] = pick_dim(reader); break;
    case 3: lt->data_type = pick_dtype(reader); break;
    case 4: lt->property = (pygraph_property_type)take_u8(reader); break;
    case 5: lt->layout_type = (pygraph_layout_type)take_u8(reader); break;
    default: lt->strides[index] = pick_stride(reader); break;
    }
}

static bool moderate_values(const pygraph_logical_tensor *lt) {
    const int64_t limit = (int64_t)1 << 31;
    for (int d = 0; d < lt->ndims; ++d) {
        if (lt->dims[d] > limit || lt->strides[d] > limit || lt->strides[d] < -limit) return false;
    }
    return true;
}

static void run_lt_mem_size(fuzz_state *state, byte_reader *reader) {
    pygraph_logical_tensor *lt = pick_lt(state, reader);
    uint8_t null_flags = take_u8(reader);
    size_t size = 12345;
    size_t *size_arg = (null_flags & 1) ? NULL : &size;
    const char *call = "pygraph_logical_tensor_get_mem_size";
    if (lt) trace_lt("measured", lt);
    pygraph_status status = check_call(pygraph_logical_tensor_get_mem_size(lt, size_arg), call);
    if ((lt == NULL || size_arg == NULL) && status == pygraph_success) contract_violation(call, "accepted NULL");
    if (status != pygraph_success && size != 12345) contract_violation(call, "failure wrote the size");
    if (lt == NULL || size_arg == NULL) return;
    size_t element_bytes = element_size(lt->data_type);
    if (lt->layout_type != pygraph_layout_type_strided || element_bytes == 0) return;
    bool strides_known = true;
    for (int d = 0; d < lt->ndims && d < PYGRAPH_MAX_NDIMS; ++d) {
        if (lt->strides[d] == PYGRAPH_UNKNOWN_DIM) strides_known = false;
    }
    element_span span = span_of(lt);
    if (!span.known || !strides_known) return;
    __int128 expected = span.count == 0 ? 0 : (span.highest - span.lowest + 1) * (__int128)element_bytes;
    bool representable = span.fits && expected <= (__int128)SIZE_MAX;
    if (status == pygraph_success) {
        if (!representable) contract_violation(call, "a size that overflows was reported as success");
        if ((__int128)size != expected) contract_violation(call, "size differs from the header's definition");
    } else if (representable && moderate_values(lt) && (unsigned)lt->property <= pygraph_property_type_constant) {
        /* A known strided tensor of moderate dims and strides whose size
         * fits must be measurable (huge dims multiplied by a zero dim, and
         * fields outside their enums, are left to the library's judgement). */
        contract_violation(call, "failed on a known strided tensor whose size fits");
    }
}

/* ------------------------------------------------------------------------- */
/* Ops and graphs                                                             */
/* ------------------------------------------------------------------------- */

static void run_op_create(fuzz_state *state, byte_reader *reader) {
    int slot = SLOT_OF(take_u8(reader), FUZZ_NUM_OPS);
    uint64_t id = pick_id(reader);
    const char *kind = fuzz_kinds[take_u8(reader) % FUZZ_KINDS_LEN];
    char name_buffer[FUZZ_MAX_STRING];
    const char *name = take_u8(reader) % 2 ? pick_string(reader, name_buffer) : NULL;
    bool null_out = take_u8(reader) & 1;
    check_call(pygraph_op_destroy(state->ops[slot]), "pygraph_op_destroy");
    state->ops[slot] = NULL;
    pygraph_op *op = POISON_HANDLE;
    pygraph_status status = check_call(pygraph_op_create(null_out ? NULL : &op, id, kind, name), "pygraph_op_create");
    if (null_out) {
        if (status == pygraph_success) contract_violation("pygraph_op_create", "accepted a NULL out-parameter");
        return;
    }
    check_handle_out(status, op, "pygraph_op_create");
    if (kind == NULL && status == pygraph_success) contract_violation("pygraph_op_create", "accepted a NULL kind");
    if (status == pygraph_success) state->ops[slot] = op;
}

static void run_op_set_attr(fuzz_state *state, byte_reader *reader) {
    pygraph_op *op = PICK_HANDLE(state, reader, ops, FUZZ_NUM_OPS);
    char name_buffer[FUZZ_MAX_STRING];
    uint8_t name_selector = take_u8(reader);
    const char *name = name_selector < FUZZ_ATTR_NAMES_LEN ? fuzz_attr_names[name_selector]
                                                           : pick_string(reader, name_buffer);
    pygraph_status status;
    const char *call;
    switch (take_u8(reader) % FUZZ_ATTR_TYPES) {
    case FUZZ_ATTR_F32:
        call = "pygraph_op_set_attr_f32";
        status = pygraph_op_set_attr_f32(op, name, pick_f32(reader));
        break;
    case FUZZ_ATTR_S64:
        call = "pygraph_op_set_attr_s64";
        status = pygraph_op_set_attr_s64(op, name, pick_dim(reader));
        break;
    case FUZZ_ATTR_BOOL:
        call = "pygraph_op_set_attr_bool";
        status = pygraph_op_set_attr_bool(op, name, (int)(int8_t)take_u8(reader));
        break;
    case FUZZ_ATTR_STRING: {
        char value_buffer[FUZZ_MAX_STRING];
        const char *value = take_u8(reader) % 4 ? pick_string(reader, value_buffer) : NULL;
        call = "pygraph_op_set_attr_string";
        status = pygraph_op_set_attr_string(op, name, value);
        break;
    }
    case FUZZ_ATTR_F32S: {
        float values[8];
        uint8_t count_byte = take_u8(reader);
        size_t count = count_byte % 9;
        for (size_t i = 0; i < count; ++i) values[i] = pick_f32(reader);
        /* count_byte >= 0xF0: NULL values (legal only for count 0) */
        call = "pygraph_op_set_attr_f32s";
        status = pygraph_op_set_attr_f32s(op, name, count_byte >= 0xF0 ? NULL : values, count);
        if (count_byte >= 0xF0 && count > 0 && status == pygraph_success) {
            contract_violation(call, "accepted NULL values with a nonzero count");
        }
        break;
    }
    default: {
        int64_t values[8];
        uint8_t count_byte = take_u8(reader);
        size_t count = count_byte % 9;
        for (size_t i = 0; i < count; ++i) values[i] = pick_dim(reader);
        call = "pygraph_op_set_attr_s64s";
        status = pygraph_op_set_attr_s64s(op, name, count_byte >= 0xF0 ? NULL : values, count);
        if (count_byte >= 0xF0 && count > 0 && status == pygraph_success) {
            contract_violation(call, "accepted NULL values with a nonzero count");
        }
        break;
    }
    }
    check_call(status, call);
    if ((op == NULL || name == NULL) && status == pygraph_success) contract_violation(call, "accepted NULL");
}

static void run_op_add_port(fuzz_state *state, byte_reader *reader, bool output) {
    pygraph_op *op = PICK_HANDLE(state, reader, ops, FUZZ_NUM_OPS);
    const pygraph_logical_tensor *lt = pick_lt(state, reader);
    const char *call = output ? "pygraph_op_add_output" : "pygraph_op_add_input";
    pygraph_status status = output ? pygraph_op_add_output(op, lt) : pygraph_op_add_input(op, lt);
    check_call(status, call);
    if ((op == NULL || lt == NULL) && status == pygraph_success) contract_violation(call, "accepted NULL");
}

static void run_op_query(fuzz_state *state, byte_reader *reader) {
    const pygraph_op *op = PICK_HANDLE(state, reader, ops, FUZZ_NUM_OPS);
    uint8_t null_flags = take_u8(reader);
    uint64_t id = 77;
    const char *kind = NULL, *name = NULL;
    pygraph_status status = check_call(pygraph_op_get_id(op, (null_flags & 1) ? NULL : &id), "pygraph_op_get_id");
    if (status != pygraph_success && id != 77) contract_violation("pygraph_op_get_id", "failure wrote the id");
    status = check_call(pygraph_op_get_kind(op, (null_flags & 2) ? NULL : &kind), "pygraph_op_get_kind");
    if (status == pygraph_success && (kind == NULL || strlen(kind) == 0)) {
        contract_violation("pygraph_op_get_kind", "success without a kind");
    }
    status = check_call(pygraph_op_get_name(op, (null_flags & 4) ? NULL : &name), "pygraph_op_get_name");
    if (status == pygraph_success && name == NULL) contract_violation("pygraph_op_get_name", "success without a name");
    if (name) (void)strlen(name);
}

static void run_graph_create(fuzz_state *state, byte_reader *reader) {
    int slot = SLOT_OF(take_u8(reader), FUZZ_NUM_GRAPHS);
    static const int32_t kinds[] = {pygraph_engine_kind_cpu, pygraph_engine_kind_any, pygraph_engine_kind_gpu, 77, -1};
    pygraph_engine_kind kind = (pygraph_engine_kind)kinds[take_u8(reader) % 5];
    bool null_out = take_u8(reader) % 16 == 15;
    check_call(pygraph_graph_destroy(state->graphs[slot]), "pygraph_graph_destroy");
    state->graphs[slot] = NULL;
    pygraph_graph *graph = POISON_HANDLE;
    pygraph_status status = check_call(pygraph_graph_create(null_out ? NULL : &graph, kind), "pygraph_graph_create");
    if (null_out) {
        if (status == pygraph_success) contract_violation("pygraph_graph_create", "accepted a NULL out-parameter");
        return;
    }
    check_handle_out(status, graph, "pygraph_graph_create");
    if (status == pygraph_success) state->graphs[slot] = graph;
}

static void run_graph_finalize(fuzz_state *state, byte_reader *reader) {
    pygraph_graph *graph = PICK_HANDLE(state, reader, graphs, FUZZ_NUM_GRAPHS);
    int was_finalized = -1;
    if (graph) check_call(pygraph_graph_is_finalized(graph, &was_finalized), "pygraph_graph_is_finalized");
    pygraph_status status = check_call(pygraph_graph_finalize(graph), "pygraph_graph_finalize");
    if (graph == NULL) {
        if (status == pygraph_success) contract_violation("pygraph_graph_finalize", "accepted NULL");
        return;
    }
    if (was_finalized == 1 && status != pygraph_success) {
        contract_violation("pygraph_graph_finalize", "finalizing a finalized graph failed (must be idempotent)");
    }
    int finalized = -1;
    check_call(pygraph_graph_is_finalized(graph, &finalized), "pygraph_graph_is_finalized");
    if (finalized != (status == pygraph_success ? 1 : was_finalized)) {
        contract_violation("pygraph_graph_finalize", "is_finalized disagrees with finalize's status");
    }
    if (check_call(pygraph_graph_is_finalized(graph, NULL), "pygraph_graph_is_finalized") == pygraph_success) {
        contract_violation("pygraph_graph_is_finalized", "accepted a NULL out-parameter");
    }
}

static void store_partition(fuzz_state *state, int slot, pygraph_partition *partition) {
    check_call(pygraph_partition_destroy(state->partitions[slot]), "pygraph_partition_destroy");
    state->partitions[slot] = partition;
}

static void run_graph_get_partitions(fuzz_state *state, byte_reader *reader) {
    const pygraph_graph *graph = PICK_HANDLE(state, reader, graphs, FUZZ_NUM_GRAPHS);
    static const int32_t policies[] = {pygraph_partition_policy_fusion, pygraph_partition_policy_debug, 0, 77};
    pygraph_partition_policy policy = (pygraph_partition_policy)policies[take_u8(reader) % 4];
    uint8_t adjust = take_u8(reader) % 5;
    int first_slot = SLOT_OF(take_u8(reader), FUZZ_NUM_PARTITIONS);
    uint8_t null_flags = take_u8(reader);

    size_t num = 9999;
    pygraph_status status = check_call(
        pygraph_graph_get_partition_num(graph, policy, (null_flags & 1) ? NULL : &num), "pygraph_graph_get_partition_num");
    bool num_known = status == pygraph_success;
    if (!num_known) {
        if (num != 9999) contract_violation("pygraph_graph_get_partition_num", "failure wrote num");
        num = 0;
    }
    size_t requested = num;
    switch (adjust) {
    case 1: requested = num + 1; break;
    case 2: requested = num > 0 ? num - 1 : 0; break;
    case 3: requested = 0; break;
    case 4: requested = 64; break;
    default: break;
    }
    if (requested > 64) requested = 64; /* the array below has `requested` entries, as the header asks */
    pygraph_partition **partitions = malloc((requested + 1) * sizeof *partitions);
    for (size_t i = 0; i <= requested; ++i) partitions[i] = POISON_HANDLE;
    bool null_array = null_flags & 2;
    status = check_call(pygraph_graph_get_partitions(graph, policy, requested, null_array ? NULL : partitions),
                        "pygraph_graph_get_partitions");
    if (partitions[requested] != POISON_HANDLE) {
        contract_violation("pygraph_graph_get_partitions", "wrote past the `num` entries it was given");
    }
    if (status != pygraph_success) {
        for (size_t i = 0; i < requested && !null_array; ++i) {
            if (partitions[i] != NULL) contract_violation("pygraph_graph_get_partitions", "failure left an entry non-NULL");
        }
        free(partitions);
        return;
    }
    if (null_array && requested > 0) contract_violation("pygraph_graph_get_partitions", "accepted a NULL array");
    if (num_known && requested != num) {
        contract_violation("pygraph_graph_get_partitions", "accepted a num other than get_partition_num's answer");
    }
    for (size_t i = 0; i < requested; ++i) {
        check_handle_out(status, partitions[i], "pygraph_graph_get_partitions");
        size_t id = 9999;
        check_call(pygraph_partition_get_id(partitions[i], &id), "pygraph_partition_get_id");
        if (id != i) contract_violation("pygraph_partition_get_id", "id is not the position in topological order");
        if (i < FUZZ_NUM_PARTITIONS) {
            store_partition(state, (first_slot + (int)i) % FUZZ_NUM_PARTITIONS, partitions[i]);
        } else {
            check_call(pygraph_partition_destroy(partitions[i]), "pygraph_partition_destroy");
        }
    }
    free(partitions);
}

/* ------------------------------------------------------------------------- */
/* Partitions and compile                                                     */
/* ------------------------------------------------------------------------- */

static void read_ports(const pygraph_logical_tensor *ports, size_t num) {
    /* Touch every byte the library handed out: ASan checks it is valid. */
    volatile uint64_t sink = 0;
    for (size_t i = 0; i < num; ++i) sink += ports[i].id + (uint64_t)ports[i].ndims;
    (void)sink;
}

static void run_partition_query(fuzz_state *state, byte_reader *reader) {
    const pygraph_partition *partition = PICK_HANDLE(state, reader, partitions, FUZZ_NUM_PARTITIONS);
    uint8_t null_flags = take_u8(reader);
    size_t id = 0;
    check_call(pygraph_partition_get_id(partition, (null_flags & 1) ? NULL : &id), "pygraph_partition_get_id");
    int supported = -1;
    pygraph_status status = check_call(pygraph_partition_is_supported(partition, (null_flags & 2) ? NULL : &supported),
                                       "pygraph_partition_is_supported");
    if (status == pygraph_success && supported != 0 && supported != 1) {
        contract_violation("pygraph_partition_is_supported", "neither 0 nor 1");
    }
    size_t num = 0;
    const uint64_t *op_ids = NULL;
    status = check_call(pygraph_partition_get_ops(partition, (null_flags & 4) ? NULL : &num, (null_flags & 8) ? NULL : &op_ids),
                        "pygraph_partition_get_ops");
    if (status == pygraph_success) {
        if (num == 0 || op_ids == NULL) contract_violation("pygraph_partition_get_ops", "a partition without ops");
        volatile uint64_t sink = 0;
        for (size_t i = 0; i < num; ++i) sink += op_ids[i];
        (void)sink;
    }
    const pygraph_logical_tensor *ports = NULL;
    status = check_call(pygraph_partition_get_input_ports(partition, (null_flags & 16) ? NULL : &num, &ports),
                        "pygraph_partition_get_input_ports");
    if (status == pygraph_success) read_ports(ports, num);
    status = check_call(pygraph_partition_get_output_ports(partition, &num, (null_flags & 32) ? NULL : &ports),
                        "pygraph_partition_get_output_ports");
    if (status == pygraph_success) read_ports(ports, num);
}

static void choose_input_layout(fuzz_state *state, byte_reader *reader, pygraph_logical_tensor *lt) {
    if (lt->ndims < 0 || lt->ndims > PYGRAPH_MAX_NDIMS) {
        uint8_t rank = take_u8(reader);
        lt->ndims = rank < 200 ? rank % 5 : rank % (PYGRAPH_MAX_NDIMS + 1);
    }
    for (int d = 0; d < lt->ndims; ++d) {
        if (lt->dims[d] == PYGRAPH_UNKNOWN_DIM) lt->dims[d] = pick_dim(reader);
    }
    lt->layout_type = pygraph_layout_type_strided;
    int order[PYGRAPH_MAX_NDIMS];
    row_major_order(lt->ndims, order);
    uint8_t mode = take_u8(reader) % FUZZ_STRIDE_MODES;
    uint8_t which = lt->ndims > 0 ? take_u8(reader) % lt->ndims : 0;
    switch (mode) {
    case FUZZ_STRIDES_ROW_MAJOR: dense_strides(lt->ndims, lt->dims, order, 0, lt->strides); break;
    case FUZZ_STRIDES_COL_MAJOR:
        for (int d = 0; d < lt->ndims; ++d) order[d] = lt->ndims - 1 - d;
        dense_strides(lt->ndims, lt->dims, order, 0, lt->strides);
        break;
    case FUZZ_STRIDES_PERMUTED:
        for (int d = lt->ndims - 1; d > 0; --d) {
            int j = (int)(next_random(state) % (uint64_t)(d + 1));
            int swap = order[d];
            order[d] = order[j];
            order[j] = swap;
        }
        dense_strides(lt->ndims, lt->dims, order, 0, lt->strides);
        break;
    case FUZZ_STRIDES_NEGATIVE:
        dense_strides(lt->ndims, lt->dims, order, 0, lt->strides);
        if (lt->ndims > 0) lt->strides[which] = -lt->strides[which];
        break;
    case FUZZ_STRIDES_ZERO:
        dense_strides(lt->ndims, lt->dims, order, 0, lt->strides);
        if (lt->ndims > 0) lt->strides[which] = 0;
        break;
    case FUZZ_STRIDES_PADDED: dense_strides(lt->ndims, lt->dims, order, 1 + which % 3, lt->strides); break;
    case FUZZ_STRIDES_RAW:
        for (int d = 0; d < lt->ndims; ++d) lt->strides[d] = pick_stride(reader);
        break;
    default: break; /* FUZZ_STRIDES_AS_PORT */
    }
}

static void choose_output_layout(byte_reader *reader, pygraph_logical_tensor *lt, const pygraph_logical_tensor *input) {
    uint8_t mode = take_u8(reader) % FUZZ_OUT_MODES;
    int order[PYGRAPH_MAX_NDIMS];
    if (mode == FUZZ_OUT_AS_PORT) return;
    if (mode == FUZZ_OUT_UNKNOWN_ANY || input == NULL) {
        lt->ndims = PYGRAPH_UNKNOWN_NDIMS;
        for (int d = 0; d < PYGRAPH_MAX_NDIMS; ++d) lt->dims[d] = lt->strides[d] = PYGRAPH_UNKNOWN_DIM;
        lt->layout_type = pygraph_layout_type_any;
        return;
    }
    lt->ndims = input->ndims;
    memcpy(lt->dims, input->dims, sizeof lt->dims);
    for (int d = 0; d < PYGRAPH_MAX_NDIMS; ++d) lt->strides[d] = PYGRAPH_UNKNOWN_DIM;
    row_major_order(lt->ndims, order);
    switch (mode) {
    case FUZZ_OUT_DIMS_ANY: lt->layout_type = pygraph_layout_type_any; break;
    case FUZZ_OUT_STRIDED_UNKNOWN: lt->layout_type = pygraph_layout_type_strided; break;
    case FUZZ_OUT_ROW_MAJOR:
        lt->layout_type = pygraph_layout_type_strided;
        dense_strides(lt->ndims, lt->dims, order, 0, lt->strides);
        break;
    case FUZZ_OUT_PADDED:
        lt->layout_type = pygraph_layout_type_strided;
        dense_strides(lt->ndims, lt->dims, order, 1 + take_u8(reader) % 3, lt->strides);
        break;
    case FUZZ_OUT_RAW:
        lt->layout_type = pygraph_layout_type_strided;
        for (int d = 0; d < lt->ndims; ++d) lt->strides[d] = pick_stride(reader);
        break;
    default: /* FUZZ_OUT_WRONG_DIMS */
        lt->layout_type = pygraph_layout_type_any;
        if (lt->ndims > 0) {
            int64_t *dim = &lt->dims[take_u8(reader) % lt->ndims];
            *dim = other_than(*dim);
        }
        else lt->ndims = 1, lt->dims[0] = 2;
        break;
    }
}

static bool same_shape(const pygraph_logical_tensor *a, const pygraph_logical_tensor *b) {
    if (a->ndims != b->ndims) return false;
    for (int d = 0; d < a->ndims && d < PYGRAPH_MAX_NDIMS; ++d) {
        if (a->dims[d] != b->dims[d]) return false;
    }
    return true;
}

static void check_compiled(const pygraph_compiled_partition *compiled, size_t num_inputs,
                           const pygraph_logical_tensor *inputs, size_t num_outputs) {
    const char *call = "pygraph_partition_compile";
    size_t num_in = 0, num_out = 0;
    const pygraph_logical_tensor *in_ports = NULL, *out_ports = NULL;
    check_call(pygraph_compiled_partition_get_input_ports(compiled, &num_in, &in_ports),
               "pygraph_compiled_partition_get_input_ports");
    check_call(pygraph_compiled_partition_get_output_ports(compiled, &num_out, &out_ports),
               "pygraph_compiled_partition_get_output_ports");
    if (num_in != num_inputs || num_out != num_outputs) contract_violation(call, "compiled port counts differ from the request");
    for (size_t i = 0; i < num_out; ++i) {
        const pygraph_logical_tensor *port = &out_ports[i];
        element_span span = span_of(port);
        if (port->layout_type != pygraph_layout_type_strided || !span.known) {
            contract_violation(call, "a compiled output is not concrete (strided, known dims and strides)");
        }
        pygraph_logical_tensor queried;
        check_call(pygraph_compiled_partition_query_logical_tensor(compiled, port->id, &queried),
                   "pygraph_compiled_partition_query_logical_tensor");
        if (!same_shape(&queried, port)) contract_violation(call, "query_logical_tensor disagrees with the output ports");
    }
    /* A LeakyReLU chain maps its one input to its one output: identity shape. */
    if (num_in == 1 && num_out == 1) {
        if (!same_shape(&in_ports[0], &out_ports[0])) contract_violation(call, "output shape is not the input shape");
        if (!same_shape(&in_ports[0], &inputs[0])) contract_violation(call, "compiled input shape differs from the request");
    }
}

static void run_partition_compile(fuzz_state *state, byte_reader *reader) {
    const pygraph_partition *partition = PICK_HANDLE(state, reader, partitions, FUZZ_NUM_PARTITIONS);
    int compiled_slot = SLOT_OF(take_u8(reader), FUZZ_NUM_COMPILED);
    const pygraph_engine *engine = PICK_HANDLE(state, reader, engines, FUZZ_NUM_ENGINES);
    uint8_t mutation = take_u8(reader) % FUZZ_COMPILE_MUTATIONS;

    size_t num_in = 0, num_out = 0;
    const pygraph_logical_tensor *in_ports = NULL, *out_ports = NULL;
    int supported = 0;
    if (partition) {
        check_call(pygraph_partition_get_input_ports(partition, &num_in, &in_ports), "pygraph_partition_get_input_ports");
        check_call(pygraph_partition_get_output_ports(partition, &num_out, &out_ports), "pygraph_partition_get_output_ports");
        check_call(pygraph_partition_is_supported(partition, &supported), "pygraph_partition_is_supported");
    }
    if (num_in > FUZZ_MAX_PORTS) num_in = FUZZ_MAX_PORTS;
    if (num_out > FUZZ_MAX_PORTS) num_out = FUZZ_MAX_PORTS;
    pygraph_logical_tensor *inputs = calloc(num_in + 1, sizeof *inputs);
    pygraph_logical_tensor *outputs = calloc(num_out + 1, sizeof *outputs);
    for (size_t i = 0; i < num_in; ++i) {
        inputs[i] = in_ports[i];
        choose_input_layout(state, reader, &inputs[i]);
    }
    for (size_t i = 0; i < num_out; ++i) {
        outputs[i] = out_ports[i];
        choose_output_layout(reader, &outputs[i], num_in > 0 ? &inputs[0] : NULL);
    }
    size_t pass_in = num_in, pass_out = num_out;
    const pygraph_logical_tensor *inputs_arg = inputs, *outputs_arg = outputs;
    const char *forbidden = partition == NULL ? "a NULL partition" : engine == NULL ? "a NULL engine" : !supported ? "an unsupported partition" : NULL;
    pygraph_compiled_partition *compiled = POISON_HANDLE;
    pygraph_compiled_partition **compiled_arg = &compiled;
    switch (mutation) {
    case FUZZ_COMPILE_DROP_INPUT:
        if (num_in > 0) pass_in = num_in - 1, forbidden = "an input port missing";
        break;
    case FUZZ_COMPILE_DUPLICATE_INPUT:
        if (num_in > 0) inputs[num_in] = inputs[0], pass_in = num_in + 1, forbidden = "an input port given twice";
        break;
    case FUZZ_COMPILE_WRONG_INPUT_ID:
        if (num_in > 0) inputs[0].id ^= (uint64_t)1 << 40, forbidden = "an input whose id is no port";
        break;
    case FUZZ_COMPILE_WRONG_DTYPE:
        if (num_in > 0 && inputs[0].data_type != pygraph_data_type_undef) {
            inputs[0].data_type =
                inputs[0].data_type == pygraph_data_type_f32 ? pygraph_data_type_bf16 : pygraph_data_type_f32;
            forbidden = "an input whose data type contradicts the graph";
        }
        break;
    case FUZZ_COMPILE_NULL_INPUTS:
        inputs_arg = NULL;
        if (num_in > 0) forbidden = "a NULL inputs array with a nonzero count";
        break;
    case FUZZ_COMPILE_NULL_OUTPUTS:
        outputs_arg = NULL;
        if (num_out > 0) forbidden = "a NULL outputs array with a nonzero count";
        break;
    case FUZZ_COMPILE_NULL_OUT_HANDLE: compiled_arg = NULL, forbidden = "a NULL out-parameter"; break;
    case FUZZ_COMPILE_DROP_OUTPUT:
        if (num_out > 0) pass_out = num_out - 1, forbidden = "an output port missing";
        break;
    default: break;
    }
    const char *call = "pygraph_partition_compile";
    for (size_t i = 0; i < pass_in && inputs_arg; ++i) trace_lt("compile input", &inputs[i]);
    for (size_t i = 0; i < pass_out && outputs_arg; ++i) trace_lt("compile output", &outputs[i]);
    pygraph_status status =
        check_call(pygraph_partition_compile(partition, compiled_arg, pass_in, inputs_arg, pass_out, outputs_arg, engine), call);
    if (compiled_arg != NULL) check_handle_out(status, compiled, call);
    if (status == pygraph_success) {
        if (forbidden) contract_violation(call, forbidden);
        check_compiled(compiled, pass_in, inputs, pass_out);
        check_call(pygraph_compiled_partition_destroy(state->compiled[compiled_slot]), "pygraph_compiled_partition_destroy");
        state->compiled[compiled_slot] = compiled;
    }
    free(inputs);
    free(outputs);
}

static void run_compiled_query(fuzz_state *state, byte_reader *reader) {
    const pygraph_compiled_partition *compiled = PICK_HANDLE(state, reader, compiled, FUZZ_NUM_COMPILED);
    uint64_t id = pick_id(reader);
    uint8_t null_flags = take_u8(reader);
    pygraph_logical_tensor lt, before;
    memset(&lt, 0x5A, sizeof lt);
    before = lt;
    const char *call = "pygraph_compiled_partition_query_logical_tensor";
    pygraph_status status =
        check_call(pygraph_compiled_partition_query_logical_tensor(compiled, id, (null_flags & 1) ? NULL : &lt), call);
    if (status != pygraph_success && memcmp(&lt, &before, sizeof lt) != 0) contract_violation(call, "failure wrote the tensor");
    size_t num = 0;
    const pygraph_inplace_pair *pairs = NULL;
    status = check_call(pygraph_compiled_partition_get_inplace_ports(compiled, (null_flags & 2) ? NULL : &num, &pairs),
                        "pygraph_compiled_partition_get_inplace_ports");
    if (status == pygraph_success) {
        for (size_t i = 0; i < num; ++i) {
            pygraph_logical_tensor port;
            if (check_call(pygraph_compiled_partition_query_logical_tensor(compiled, pairs[i].input_id, &port), call) != pygraph_success ||
                check_call(pygraph_compiled_partition_query_logical_tensor(compiled, pairs[i].output_id, &port), call) != pygraph_success) {
                contract_violation("pygraph_compiled_partition_get_inplace_ports", "a pair names an id that is not a port");
            }
        }
    }
    const pygraph_logical_tensor *ports = NULL;
    status = check_call(pygraph_compiled_partition_get_input_ports(compiled, &num, (null_flags & 4) ? NULL : &ports),
                        "pygraph_compiled_partition_get_input_ports");
    if (status == pygraph_success) read_ports(ports, num);
    status = check_call(pygraph_compiled_partition_get_output_ports(compiled, (null_flags & 8) ? NULL : &num, &ports),
                        "pygraph_compiled_partition_get_output_ports");
    if (status == pygraph_success) read_ports(ports, num);
}

/* ------------------------------------------------------------------------- */
/* Execute                                                                    */
/* ------------------------------------------------------------------------- */

/* Byte roles in a buffer, to check what execute may write. */
enum { ROLE_INPUT = 1, ROLE_OUTPUT = 2, ROLE_OUTPUT_TWICE = 4 };

typedef struct exec_buffer {
    uint8_t *base;
    size_t size;
    uint8_t *before; /* copy taken just before the call */
    uint8_t *roles;  /* ROLE_* per byte */
} exec_buffer;

typedef struct exec_tensor {
    pygraph_tensor tensor;
    int buffer;         /* index into the buffer list, -1 for none (NULL data) */
    element_span span;
    size_t element_bytes;
} exec_tensor;

typedef struct exec_request {
    exec_tensor inputs[FUZZ_MAX_PORTS + 1];
    exec_tensor outputs[FUZZ_MAX_PORTS + 1];
    size_t num_inputs, num_outputs;
    exec_buffer buffers[2 * FUZZ_MAX_PORTS + 2];
    int num_buffers;
} exec_request;

/* Whether the harness can back the tensor with memory. */
static bool allocatable(const exec_tensor *t) {
    if (!t->span.known || !t->span.fits || t->element_bytes == 0) return false;
    if (t->span.count > FUZZ_MAX_TENSOR_ELEMENTS) return false;
    __int128 bytes = (t->span.highest - t->span.lowest + 1) * (__int128)t->element_bytes;
    return bytes <= FUZZ_MAX_TENSOR_BYTES;
}

/* Gives the tensor its own buffer, filled with random bits. */
static void place_alone(fuzz_state *state, exec_request *request, exec_tensor *t) {
    exec_buffer *buffer = &request->buffers[request->num_buffers];
    int64_t span_elements = t->span.count == 0 ? 1 : (int64_t)(t->span.highest - t->span.lowest + 1);
    buffer->size = (size_t)span_elements * t->element_bytes;
    buffer->base = malloc(buffer->size);
    for (size_t i = 0; i < buffer->size; ++i) buffer->base[i] = (uint8_t)next_random(state);
    t->buffer = request->num_buffers++;
    t->tensor.data = buffer->base + (size_t)(-(int64_t)t->span.lowest) * t->element_bytes;
}

/* Puts `output` in `input`'s buffer, its element 0 `shift` elements after
 * the input's, growing the buffer so both fit. */
static void place_shared(fuzz_state *state, exec_request *request, exec_tensor *input, exec_tensor *output, int64_t shift) {
    exec_buffer *buffer = &request->buffers[request->num_buffers];
    size_t es = input->element_bytes;
    int64_t in_lo = (int64_t)input->span.lowest, in_hi = (int64_t)input->span.highest;
    int64_t out_lo = (int64_t)output->span.lowest + shift, out_hi = (int64_t)output->span.highest + shift;
    int64_t origin = -(in_lo < out_lo ? in_lo : out_lo);
    int64_t end = (in_hi > out_hi ? in_hi : out_hi) + origin + 1;
    buffer->size = (size_t)end * es;
    buffer->base = malloc(buffer->size);
    for (size_t i = 0; i < buffer->size; ++i) buffer->base[i] = (uint8_t)next_random(state);
    input->buffer = output->buffer = request->num_buffers++;
    input->tensor.data = buffer->base + (size_t)origin * es;
    output->tensor.data = (uint8_t *)input->tensor.data + shift * (int64_t)es;
}

/* Marks the bytes of every element of `t` with `role`; returns false when
 * an output element lands on bytes an output already holds. */
static bool mark_elements(exec_request *request, const exec_tensor *t, int role) {
    if (t->buffer < 0 || t->span.count == 0) return true;
    exec_buffer *buffer = &request->buffers[t->buffer];
    const pygraph_logical_tensor *desc = &t->tensor.desc;
    int64_t index[PYGRAPH_MAX_NDIMS] = {0};
    bool disjoint = true;
    ptrdiff_t origin = (uint8_t *)t->tensor.data - buffer->base;
    for (int64_t n = 0; n < (int64_t)t->span.count; ++n) {
        int64_t offset = 0;
        for (int d = 0; d < desc->ndims; ++d) {
            if (desc->dims[d] > 1) offset += index[d] * desc->strides[d];
        }
        ptrdiff_t at = origin + (ptrdiff_t)offset * (ptrdiff_t)t->element_bytes;
        for (size_t b = 0; b < t->element_bytes; ++b) {
            uint8_t *r = &buffer->roles[at + (ptrdiff_t)b];
            if (role == ROLE_OUTPUT && (*r & ROLE_OUTPUT)) {
                *r |= ROLE_OUTPUT_TWICE;
                disjoint = false;
            }
            *r |= (uint8_t)role;
        }
        for (int d = desc->ndims - 1; d >= 0; --d) {
            if (++index[d] < desc->dims[d]) break;
            index[d] = 0;
        }
    }
    return disjoint;
}

static bool same_layout(const pygraph_logical_tensor *a, const pygraph_logical_tensor *b) {
    if (!same_shape(a, b) || a->data_type != b->data_type) return false;
    for (int d = 0; d < a->ndims; ++d) {
        if (a->dims[d] > 1 && a->strides[d] != b->strides[d]) return false;
    }
    return true;
}

static exec_tensor *find_by_id(exec_tensor *tensors, size_t num, uint64_t id) {
    for (size_t i = 0; i < num; ++i) {
        if (tensors[i].tensor.desc.id == id) return &tensors[i];
    }
    return NULL;
}

static void run_execute(fuzz_state *state, byte_reader *reader, bool lean) {
    const pygraph_compiled_partition *compiled = PICK_HANDLE(state, reader, compiled, FUZZ_NUM_COMPILED);
    const pygraph_stream *stream = PICK_HANDLE(state, reader, streams, FUZZ_NUM_STREAMS);
    uint8_t mutation = take_u8(reader) % FUZZ_EXEC_MUTATIONS;
    uint8_t choice = take_u8(reader);
    state->rng ^= take_u8(reader);
    const char *call = lean ? "pygraph_compiled_partition_execute_buffers" : "pygraph_compiled_partition_execute";

    if (compiled == NULL) {
        pygraph_status status = lean ? pygraph_compiled_partition_execute_buffers(NULL, stream, 0, NULL, 0, NULL)
                                     : pygraph_compiled_partition_execute(NULL, stream, 0, NULL, 0, NULL);
        if (check_call(status, call) == pygraph_success) contract_violation(call, "accepted a NULL compiled partition");
        return;
    }
    size_t num_in = 0, num_out = 0;
    const pygraph_logical_tensor *in_ports = NULL, *out_ports = NULL;
    check_call(pygraph_compiled_partition_get_input_ports(compiled, &num_in, &in_ports), "pygraph_compiled_partition_get_input_ports");
    check_call(pygraph_compiled_partition_get_output_ports(compiled, &num_out, &out_ports), "pygraph_compiled_partition_get_output_ports");
    if (num_in > FUZZ_MAX_PORTS || num_out > FUZZ_MAX_PORTS) return;

    exec_request *request = calloc(1, sizeof *request);
    request->num_inputs = num_in;
    request->num_outputs = num_out;
    for (size_t i = 0; i < num_in; ++i) request->inputs[i].tensor.desc = in_ports[i];
    for (size_t i = 0; i < num_out; ++i) request->outputs[i].tensor.desc = out_ports[i];
    const char *forbidden = stream == NULL ? "a NULL stream" : NULL;
    exec_tensor *first = num_in > 0 ? &request->inputs[0] : num_out > 0 ? &request->outputs[0] : NULL;

    /* Description mutations: applied before memory is laid out, so the
     * memory backs what the (wrong) description reaches. */
    if (first && !lean) {
        pygraph_logical_tensor *desc = &first->tensor.desc;
        switch (mutation) {
        case FUZZ_EXEC_WRONG_DTYPE:
            desc->data_type = desc->data_type == pygraph_data_type_f32 ? pygraph_data_type_bf16 : pygraph_data_type_f32;
            forbidden = "a port with the wrong data type";
            break;
        case FUZZ_EXEC_WRONG_DIM:
            if (desc->ndims > 0) desc->dims[choice % desc->ndims] = other_than(desc->dims[choice % desc->ndims]);
            else desc->ndims = 1, desc->dims[0] = 1, desc->strides[0] = 1;
            forbidden = "a port with the wrong dims";
            break;
        case FUZZ_EXEC_WRONG_ID:
            desc->id ^= (uint64_t)1 << 40;
            forbidden = "a tensor whose id is no port (and a port missing)";
            break;
        case FUZZ_EXEC_WRONG_STRIDE:
            /* a tensor with zero elements has no stride constraint */
            for (int k = 0; k < desc->ndims && span_of(desc).count > 0; ++k) {
                int d = (choice + k) % desc->ndims;
                if (desc->dims[d] > 1) {
                    desc->strides[d] = other_than(desc->strides[d]);
                    forbidden = "a port with the wrong strides";
                    break;
                }
            }
            break;
        case FUZZ_EXEC_UNIT_DIM_STRIDE:
            for (int d = 0; d < desc->ndims; ++d) {
                if (desc->dims[d] <= 1) {
                    desc->strides[d] = desc->strides[d] == 7 ? 8 : 7;
                    break;
                }
            }
            break;
        default: break;
        }
    }
    for (size_t i = 0; i < num_in + num_out; ++i) {
        exec_tensor *t = i < num_in ? &request->inputs[i] : &request->outputs[i - num_in];
        t->span = span_of(&t->tensor.desc);
        t->element_bytes = element_size(t->tensor.desc.data_type);
        t->buffer = -1;
        if (!allocatable(t)) goto done; /* too large to back with memory here */
    }

    /* Memory layout. */
    pygraph_inplace_pair const *pairs = NULL;
    size_t num_pairs = 0;
    check_call(pygraph_compiled_partition_get_inplace_ports(compiled, &num_pairs, &pairs),
               "pygraph_compiled_partition_get_inplace_ports");
    if (mutation == FUZZ_EXEC_IN_PLACE) {
        for (size_t p = 0; p < num_pairs; ++p) {
            exec_tensor *in = find_by_id(request->inputs, num_in, pairs[p].input_id);
            exec_tensor *out = find_by_id(request->outputs, num_out, pairs[p].output_id);
            if (in && out && in->buffer < 0 && out->buffer < 0 && in->element_bytes == out->element_bytes) {
                place_shared(state, request, in, out, 0);
            }
        }
    }
    if (mutation == FUZZ_EXEC_PARTIAL_OVERLAP && num_in > 0 && num_out > 0 &&
        request->inputs[0].element_bytes == request->outputs[0].element_bytes) {
        place_shared(state, request, &request->inputs[0], &request->outputs[0], 1 + choice % 3);
    }
    for (size_t i = 0; i < num_in + num_out; ++i) {
        exec_tensor *t = i < num_in ? &request->inputs[i] : &request->outputs[i - num_in];
        if (t->buffer < 0) place_alone(state, request, t);
    }
    if (mutation == FUZZ_EXEC_OUTPUTS_ALIAS && num_out >= 2 &&
        request->outputs[0].element_bytes == request->outputs[1].element_bytes) {
        request->outputs[1].tensor.data = request->outputs[0].tensor.data;
        request->outputs[1].buffer = request->outputs[0].buffer;
    }
    for (int b = 0; b < request->num_buffers; ++b) {
        exec_buffer *buffer = &request->buffers[b];
        buffer->roles = calloc(buffer->size, 1);
    }
    bool outputs_disjoint = true;
    for (size_t i = 0; i < num_in; ++i) mark_elements(request, &request->inputs[i], ROLE_INPUT);
    for (size_t i = 0; i < num_out; ++i) outputs_disjoint &= mark_elements(request, &request->outputs[i], ROLE_OUTPUT);
    if (!outputs_disjoint) forbidden = "an output overlapping itself or another output";
    /* A partial overlap of an output with an input must be refused; the
     * exact alias of same-layout tensors (in place) is allowed. */
    for (size_t o = 0; o < num_out; ++o) {
        for (size_t i = 0; i < num_in; ++i) {
            exec_tensor *out = &request->outputs[o], *in = &request->inputs[i];
            if (out->buffer != in->buffer || out->span.count == 0 || in->span.count == 0) continue;
            bool exact = out->tensor.data == in->tensor.data && same_layout(&out->tensor.desc, &in->tensor.desc);
            if (exact) continue;
            exec_buffer *buffer = &request->buffers[out->buffer];
            for (size_t k = 0; k < buffer->size; ++k) {
                if ((buffer->roles[k] & (ROLE_INPUT | ROLE_OUTPUT)) == (ROLE_INPUT | ROLE_OUTPUT)) {
                    forbidden = "an output partially overlapping an input";
                    break;
                }
            }
        }
    }

    /* Request mutations. */
    size_t pass_in = num_in, pass_out = num_out;
    bool null_inputs_array = false;
    if (mutation == FUZZ_EXEC_DUPLICATE_INPUT && num_in > 0 && !lean) {
        request->inputs[num_in] = request->inputs[0];
        pass_in = num_in + 1;
        forbidden = "an input port given twice";
    }
    if (mutation == FUZZ_EXEC_DUPLICATE_INPUT && lean) {
        pass_in = num_in + 1; /* the extra pointer is never read: the count is wrong */
        request->inputs[num_in].tensor.data = request->inputs[0].tensor.data;
        forbidden = "more input buffers than ports";
    }
    if (mutation == FUZZ_EXEC_MISSING_INPUT && num_in > 0) pass_in = num_in - 1, forbidden = "an input port missing";
    if (mutation == FUZZ_EXEC_NULL_DATA && first && first->span.count > 0) first->tensor.data = NULL, forbidden = "NULL data for a non-empty tensor";
    if (mutation == FUZZ_EXEC_NULL_ARRAY && num_in > 0) null_inputs_array = true, forbidden = "a NULL inputs array with a nonzero count";
    if (mutation == FUZZ_EXEC_NULL_STREAM) stream = NULL, forbidden = "a NULL stream";
    if (mutation == FUZZ_EXEC_NULL_COMPILED) compiled = NULL, forbidden = "a NULL compiled partition";
    if (mutation == FUZZ_EXEC_REVERSED_ORDER && !lean) {
        for (size_t i = 0; i < num_in / 2; ++i) {
            exec_tensor swap = request->inputs[i];
            request->inputs[i] = request->inputs[num_in - 1 - i];
            request->inputs[num_in - 1 - i] = swap;
        }
    }

    for (int b = 0; b < request->num_buffers; ++b) {
        exec_buffer *buffer = &request->buffers[b];
        buffer->before = malloc(buffer->size);
        memcpy(buffer->before, buffer->base, buffer->size);
    }
    if (trace_enabled) {
        fprintf(stderr, "      mutation %d\n", (int)mutation);
        for (size_t i = 0; i < num_in; ++i) trace_lt("compiled input", &in_ports[i]);
        for (size_t i = 0; i < num_out; ++i) trace_lt("compiled output", &out_ports[i]);
        for (size_t i = 0; i < pass_in && !lean; ++i) trace_lt("given input", &request->inputs[i].tensor.desc);
        for (size_t i = 0; i < pass_out && !lean; ++i) trace_lt("given output", &request->outputs[i].tensor.desc);
    }
    pygraph_status status;
    if (lean) {
        void *in_data[FUZZ_MAX_PORTS + 1], *out_data[FUZZ_MAX_PORTS + 1];
        for (size_t i = 0; i <= num_in; ++i) in_data[i] = request->inputs[i].tensor.data;
        for (size_t i = 0; i <= num_out; ++i) out_data[i] = request->outputs[i].tensor.data;
        if (pass_in == 1 && pass_out == 1 && !null_inputs_array && (choice & 0x80)) {
            /* The single-port form takes the same two pointers without the
             * arrays, under the same contract. */
            call = "pygraph_compiled_partition_execute_unary";
            status = pygraph_compiled_partition_execute_unary(compiled, stream, in_data[0], out_data[0]);
        } else {
            status = pygraph_compiled_partition_execute_buffers(compiled, stream, pass_in,
                                                                null_inputs_array ? NULL : in_data, pass_out, out_data);
        }
    } else {
        pygraph_tensor in_tensors[FUZZ_MAX_PORTS + 1], out_tensors[FUZZ_MAX_PORTS + 1];
        for (size_t i = 0; i <= num_in; ++i) in_tensors[i] = request->inputs[i].tensor;
        for (size_t i = 0; i <= num_out; ++i) out_tensors[i] = request->outputs[i].tensor;
        status = pygraph_compiled_partition_execute(compiled, stream, pass_in, null_inputs_array ? NULL : in_tensors,
                                                    pass_out, out_tensors);
    }
    check_call(status, call);
    if (status == pygraph_success && forbidden) contract_violation(call, forbidden);
    /* A request that breaks no rule (the compiled ports, their own memory,
     * any order, or exact in-place aliasing) must run. */
    bool plain = mutation == FUZZ_EXEC_VALID || mutation == FUZZ_EXEC_REVERSED_ORDER ||
                 mutation == FUZZ_EXEC_IN_PLACE || mutation == FUZZ_EXEC_UNIT_DIM_STRIDE;
    if (plain && !forbidden && status != pygraph_success && status != pygraph_runtime_error) {
        fprintf(stderr, "status %s: %s\n", pygraph_status_name(status), pygraph_last_error_message());
        contract_violation(call, "refused a valid request");
    }
    for (int b = 0; b < request->num_buffers; ++b) {
        exec_buffer *buffer = &request->buffers[b];
        for (size_t k = 0; k < buffer->size; ++k) {
            if (buffer->base[k] == buffer->before[k]) continue;
            if (status != pygraph_success) contract_violation(call, "failure changed a buffer");
            if (!(buffer->roles[k] & ROLE_OUTPUT)) contract_violation(call, "wrote a byte that is no output element");
        }
    }

done:
    for (int b = 0; b < request->num_buffers; ++b) {
        free(request->buffers[b].base);
        free(request->buffers[b].before);
        free(request->buffers[b].roles);
    }
    free(request);
}

/* ------------------------------------------------------------------------- */
/* Engines, streams, library-wide functions                                   */
/* ------------------------------------------------------------------------- */

static void run_engine(fuzz_state *state, byte_reader *reader) {
    int slot = SLOT_OF(take_u8(reader), FUZZ_NUM_ENGINES);
    uint8_t action = take_u8(reader) % 3;
    static const int32_t kinds[] = {pygraph_engine_kind_cpu, pygraph_engine_kind_any, pygraph_engine_kind_gpu, 77};
    pygraph_engine_kind kind = (pygraph_engine_kind)kinds[take_u8(reader) % 4];
    static const size_t indices[] = {0, 1, SIZE_MAX};
    size_t index = indices[take_u8(reader) % 3];
    if (action == 0) {
        check_call(pygraph_engine_destroy(state->engines[slot]), "pygraph_engine_destroy");
        state->engines[slot] = NULL;
        pygraph_engine *engine = POISON_HANDLE;
        pygraph_status status = check_call(pygraph_engine_create(&engine, kind, index), "pygraph_engine_create");
        check_handle_out(status, engine, "pygraph_engine_create");
        if (status == pygraph_success) {
            if (kind != pygraph_engine_kind_cpu || index != 0) {
                contract_violation("pygraph_engine_create", "an engine other than (cpu, 0) was created");
            }
            state->engines[slot] = engine;
        }
    } else if (action == 1) {
        check_call(pygraph_engine_destroy(state->engines[slot]), "pygraph_engine_destroy");
        state->engines[slot] = NULL;
    } else {
        pygraph_engine_kind got = (pygraph_engine_kind)99;
        pygraph_status status = check_call(pygraph_engine_get_kind(state->engines[slot], &got), "pygraph_engine_get_kind");
        if (status == pygraph_success && got != pygraph_engine_kind_cpu) {
            contract_violation("pygraph_engine_get_kind", "a cpu engine reports another kind");
        }
    }
}

static void run_stream(fuzz_state *state, byte_reader *reader) {
    int slot = SLOT_OF(take_u8(reader), FUZZ_NUM_STREAMS);
    uint8_t action = take_u8(reader) % 3;
    const pygraph_engine *engine = PICK_HANDLE(state, reader, engines, FUZZ_NUM_ENGINES);
    if (action == 0) {
        check_call(pygraph_stream_destroy(state->streams[slot]), "pygraph_stream_destroy");
        state->streams[slot] = NULL;
        pygraph_stream *stream = POISON_HANDLE;
        pygraph_status status = check_call(pygraph_stream_create(&stream, engine), "pygraph_stream_create");
        check_handle_out(status, stream, "pygraph_stream_create");
        if (status == pygraph_success) state->streams[slot] = stream;
    } else if (action == 1) {
        check_call(pygraph_stream_destroy(state->streams[slot]), "pygraph_stream_destroy");
        state->streams[slot] = NULL;
    } else {
        pygraph_status status = check_call(pygraph_stream_wait(state->streams[slot]), "pygraph_stream_wait");
        if (state->streams[slot] == NULL && status == pygraph_success) {
            contract_violation("pygraph_stream_wait", "accepted NULL");
        }
    }
}

static void run_global(byte_reader *reader) {
    uint8_t which = take_u8(reader) % 12;
    uint8_t value = take_u8(reader);
    bool null_out = value >= 0xF0;
    const char *text = NULL;
    switch (which) {
    case 0:
        if (pygraph_version() == NULL) contract_violation("pygraph_version", "NULL");
        break;
    case 1: {
        const char *name = pygraph_status_name((pygraph_status)(int8_t)value);
        if (name == NULL) contract_violation("pygraph_status_name", "NULL");
        (void)strlen(name);
        break;
    }
    case 2: {
        const char *name = pygraph_data_type_name((pygraph_data_type)(int8_t)value);
        if (name) (void)strlen(name);
        size_t size = pygraph_data_type_size((pygraph_data_type)(int8_t)value);
        if (size > 8) contract_violation("pygraph_data_type_size", "absurd size");
        break;
    }
    case 3: {
        pygraph_status status = check_call(pygraph_get_cpu_features(null_out ? NULL : &text), "pygraph_get_cpu_features");
        if (status == pygraph_success) (void)strlen(text);
        break;
    }
    case 4: {
        pygraph_status status = check_call(pygraph_get_cpu_isa(null_out ? NULL : &text), "pygraph_get_cpu_isa");
        if (status == pygraph_success) (void)strlen(text);
        break;
    }
    case 5: {
        static const char *const isas[] = {"best", "scalar", "avx2", "avx512", "", "AVX512_BF16", "sse", NULL};
        const char *isa = isas[value % 8];
        pygraph_status status = check_call(pygraph_set_max_cpu_isa(isa), "pygraph_set_max_cpu_isa");
        /* "AVX512_BF16" may be accepted (names may be case-insensitive, as oneDNN's are) */
        bool unknown = isa == NULL || strcmp(isa, "") == 0 || strcmp(isa, "sse") == 0;
        if (unknown && status == pygraph_success) contract_violation("pygraph_set_max_cpu_isa", "accepted an unknown name");
        break;
    }
    case 6: {
        pygraph_data_type data_type = (pygraph_data_type)fuzz_dtype_table[value % FUZZ_DTYPE_TABLE_LEN];
        pygraph_status status = check_call(pygraph_get_kernel_name(data_type, null_out ? NULL : &text), "pygraph_get_kernel_name");
        if (status == pygraph_success) (void)strlen(text);
        break;
    }
    case 7: {
        /* at most 3 threads: the fuzzer shares a 2-core machine */
        static const int counts[] = {0, 1, 2, 3, -1, INT32_MIN};
        int count = counts[value % 6];
        pygraph_status status = check_call(pygraph_set_num_threads(count), "pygraph_set_num_threads");
        if (count < 0 && status == pygraph_success) contract_violation("pygraph_set_num_threads", "accepted a negative count");
        break;
    }
    case 8: {
        int threads = -7;
        pygraph_status status = check_call(pygraph_get_num_threads(null_out ? NULL : &threads), "pygraph_get_num_threads");
        if (status == pygraph_success && threads < 1) contract_violation("pygraph_get_num_threads", "fewer than one thread");
        break;
    }
    case 9: {
        size_t num = 0;
        const char *const *kinds = NULL;
        pygraph_status status = check_call(pygraph_schema_list(&num, null_out ? NULL : &kinds), "pygraph_schema_list");
        for (size_t i = 0; status == pygraph_success && i < num; ++i) {
            const char *json = NULL;
            if (check_call(pygraph_schema_get_json(kinds[i], &json), "pygraph_schema_get_json") != pygraph_success) {
                contract_violation("pygraph_schema_get_json", "a listed kind has no schema");
            }
            (void)strlen(json);
        }
        break;
    }
    default: {
        const char *kind = fuzz_kinds[value % FUZZ_KINDS_LEN];
        pygraph_status status = check_call(pygraph_schema_get_json(kind, null_out ? NULL : &text), "pygraph_schema_get_json");
        if (status == pygraph_success) (void)strlen(text);
        break;
    }
    }
}

/* ------------------------------------------------------------------------- */
/* Entry point                                                                */
/* ------------------------------------------------------------------------- */

static void destroy_everything(fuzz_state *state) {
    /* Children before parents is not required (lifetimes are independent):
     * destroy parents first to exercise exactly that. */
    for (int i = 0; i < FUZZ_NUM_GRAPHS; ++i) check_call(pygraph_graph_destroy(state->graphs[i]), "pygraph_graph_destroy");
    for (int i = 0; i < FUZZ_NUM_ENGINES; ++i) check_call(pygraph_engine_destroy(state->engines[i]), "pygraph_engine_destroy");
    for (int i = 0; i < FUZZ_NUM_PARTITIONS; ++i) {
        check_call(pygraph_partition_destroy(state->partitions[i]), "pygraph_partition_destroy");
    }
    for (int i = 0; i < FUZZ_NUM_OPS; ++i) check_call(pygraph_op_destroy(state->ops[i]), "pygraph_op_destroy");
    for (int i = 0; i < FUZZ_NUM_COMPILED; ++i) {
        check_call(pygraph_compiled_partition_destroy(state->compiled[i]), "pygraph_compiled_partition_destroy");
    }
    for (int i = 0; i < FUZZ_NUM_STREAMS; ++i) check_call(pygraph_stream_destroy(state->streams[i]), "pygraph_stream_destroy");
    /* Library-wide settings must not leak into the next input. */
    check_call(pygraph_set_max_cpu_isa("best"), "pygraph_set_max_cpu_isa");
    check_call(pygraph_set_num_threads(0), "pygraph_set_num_threads");
}

static const char *const command_names[FUZZ_CMD_COUNT] = {
    "LT_INIT", "LT_INIT_WITH_STRIDES", "LT_SET_FIELD", "LT_MEM_SIZE", "OP_CREATE", "OP_DESTROY", "OP_SET_ATTR",
    "OP_ADD_INPUT", "OP_ADD_OUTPUT", "OP_QUERY", "GRAPH_CREATE", "GRAPH_DESTROY", "GRAPH_ADD_OP",
    "GRAPH_MARK_OUTPUT", "GRAPH_FINALIZE", "GRAPH_GET_PARTITIONS", "PARTITION_QUERY", "PARTITION_DESTROY",
    "PARTITION_COMPILE", "COMPILED_QUERY", "COMPILED_DESTROY", "EXECUTE", "EXECUTE_BUFFERS", "ENGINE", "STREAM",
    "GLOBAL",
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *trace = getenv("PYGRAPH_FUZZ_TRACE");
    trace_enabled = trace != NULL && trace[0] == '1';
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    byte_reader reader = {.data = data, .size = size, .pos = 0};
    fuzz_state state;
    memset(&state, 0, sizeof state);
    state.rng = 0x5eed;
    for (int i = 0; i < FUZZ_NUM_LTS; ++i) default_lt(&state.lts[i], (uint64_t)i);
    check_handle_out(check_call(pygraph_engine_create(&state.engines[0], pygraph_engine_kind_cpu, 0), "pygraph_engine_create"),
                     state.engines[0], "pygraph_engine_create");
    check_handle_out(check_call(pygraph_stream_create(&state.streams[0], state.engines[0]), "pygraph_stream_create"),
                     state.streams[0], "pygraph_stream_create");

    for (int step = 0; step < FUZZ_MAX_COMMANDS && !reader_done(&reader); ++step) {
        int command = take_u8(&reader) % FUZZ_CMD_COUNT;
        if (trace_enabled) fprintf(stderr, "[%d @%zu] %s\n", step, reader.pos - 1, command_names[command]);
        switch (command) {
        case FUZZ_LT_INIT: run_lt_init(&state, &reader, false); break;
        case FUZZ_LT_INIT_WITH_STRIDES: run_lt_init(&state, &reader, true); break;
        case FUZZ_LT_SET_FIELD: run_lt_set_field(&state, &reader); break;
        case FUZZ_LT_MEM_SIZE: run_lt_mem_size(&state, &reader); break;
        case FUZZ_OP_CREATE: run_op_create(&state, &reader); break;
        case FUZZ_OP_DESTROY: {
            int slot = SLOT_OF(take_u8(&reader), FUZZ_NUM_OPS);
            check_call(pygraph_op_destroy(state.ops[slot]), "pygraph_op_destroy");
            state.ops[slot] = NULL;
            break;
        }
        case FUZZ_OP_SET_ATTR: run_op_set_attr(&state, &reader); break;
        case FUZZ_OP_ADD_INPUT: run_op_add_port(&state, &reader, false); break;
        case FUZZ_OP_ADD_OUTPUT: run_op_add_port(&state, &reader, true); break;
        case FUZZ_OP_QUERY: run_op_query(&state, &reader); break;
        case FUZZ_GRAPH_CREATE: run_graph_create(&state, &reader); break;
        case FUZZ_GRAPH_DESTROY: {
            int slot = SLOT_OF(take_u8(&reader), FUZZ_NUM_GRAPHS);
            check_call(pygraph_graph_destroy(state.graphs[slot]), "pygraph_graph_destroy");
            state.graphs[slot] = NULL;
            break;
        }
        case FUZZ_GRAPH_ADD_OP: {
            pygraph_graph *graph = PICK_HANDLE(&state, &reader, graphs, FUZZ_NUM_GRAPHS);
            const pygraph_op *op = PICK_HANDLE(&state, &reader, ops, FUZZ_NUM_OPS);
            pygraph_status status = check_call(pygraph_graph_add_op(graph, op), "pygraph_graph_add_op");
            if ((graph == NULL || op == NULL) && status == pygraph_success) {
                contract_violation("pygraph_graph_add_op", "accepted NULL");
            }
            break;
        }
        case FUZZ_GRAPH_MARK_OUTPUT: {
            pygraph_graph *graph = PICK_HANDLE(&state, &reader, graphs, FUZZ_NUM_GRAPHS);
            check_call(pygraph_graph_mark_output(graph, pick_id(&reader)), "pygraph_graph_mark_output");
            break;
        }
        case FUZZ_GRAPH_FINALIZE: run_graph_finalize(&state, &reader); break;
        case FUZZ_GRAPH_GET_PARTITIONS: run_graph_get_partitions(&state, &reader); break;
        case FUZZ_PARTITION_QUERY: run_partition_query(&state, &reader); break;
        case FUZZ_PARTITION_DESTROY: store_partition(&state, SLOT_OF(take_u8(&reader), FUZZ_NUM_PARTITIONS), NULL); break;
        case FUZZ_PARTITION_COMPILE: run_partition_compile(&state, &reader); break;
        case FUZZ_COMPILED_QUERY: run_compiled_query(&state, &reader); break;
        case FUZZ_COMPILED_DESTROY: {
            int slot = SLOT_OF(take_u8(&reader), FUZZ_NUM_COMPILED);
            check_call(pygraph_compiled_partition_destroy(state.compiled[slot]), "pygraph_compiled_partition_destroy");
            state.compiled[slot] = NULL;
            break;
        }
        case FUZZ_EXECUTE: run_execute(&state, &reader, false); break;
        case FUZZ_EXECUTE_BUFFERS: run_execute(&state, &reader, true); break;
        case FUZZ_ENGINE: run_engine(&state, &reader); break;
        case FUZZ_STREAM: run_stream(&state, &reader); break;
        default: run_global(&reader); break;
        }
    }
    destroy_everything(&state);
    return 0;
}
