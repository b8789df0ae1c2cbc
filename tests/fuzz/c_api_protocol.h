/*
 * c_api_protocol.h — the byte language of the C API fuzzer.
 *
 * fuzz_c_api.c reads its input as a program: a sequence of commands, each
 * one opcode byte (taken modulo FUZZ_CMD_COUNT) followed by the operand bytes
 * that command reads.  A read past the end of the input yields 0, so every
 * byte string is a valid program and libFuzzer's mutations always mean
 * something.  make_c_api_seeds.c writes the committed seed corpus in this
 * language; both include this header so an opcode or a table entry has one
 * definition.
 *
 * Handles live in small pools of slots (a slot byte is taken modulo the pool
 * size).  A command on an empty slot passes NULL to the library, which must
 * answer pygraph_invalid_arguments; a handle is never used after it was
 * destroyed, because the contract does not promise to detect that.
 */
#ifndef PYGRAPH_FUZZ_C_API_PROTOCOL_H
#define PYGRAPH_FUZZ_C_API_PROTOCOL_H

#include <stdint.h>

#include "pygraph/pygraph.h"

enum {
    FUZZ_NUM_LTS = 8,        /* logical tensor values (plain structs) */
    FUZZ_NUM_OPS = 4,
    FUZZ_NUM_GRAPHS = 2,
    FUZZ_NUM_PARTITIONS = 8,
    FUZZ_NUM_COMPILED = 4,
    FUZZ_NUM_ENGINES = 2,    /* slot 0 starts with a cpu engine */
    FUZZ_NUM_STREAMS = 2,    /* slot 0 starts with a stream on it */
    FUZZ_MAX_COMMANDS = 400, /* per input: bounds the time of one execution */
};

/* Opcodes.  Operands are listed as the bytes each command reads, in order. */
enum fuzz_command {
    /* lt, id, dtype, ndims, dims..., layout, property, null_flags
     * -> pygraph_logical_tensor_init */
    FUZZ_LT_INIT,
    /* lt, id, dtype, ndims, dims..., strides..., property, null_flags
     * -> pygraph_logical_tensor_init_with_strides */
    FUZZ_LT_INIT_WITH_STRIDES,
    /* lt, field, index, value...: writes one raw field of the plain struct
     * (users may fill it by hand), e.g. ndims 13 or a dtype outside the enum */
    FUZZ_LT_SET_FIELD,
    /* lt, null_flags -> pygraph_logical_tensor_get_mem_size */
    FUZZ_LT_MEM_SIZE,
    /* op, id, kind, name -> pygraph_op_create (an occupied slot is destroyed first) */
    FUZZ_OP_CREATE,
    /* op -> pygraph_op_destroy */
    FUZZ_OP_DESTROY,
    /* op, attr_name, type, value... -> pygraph_op_set_attr_<type> */
    FUZZ_OP_SET_ATTR,
    /* op, lt (FUZZ_NULL_SLOT: NULL) -> pygraph_op_add_input */
    FUZZ_OP_ADD_INPUT,
    /* op, lt -> pygraph_op_add_output */
    FUZZ_OP_ADD_OUTPUT,
    /* op, null_flags -> pygraph_op_get_id / get_kind / get_name */
    FUZZ_OP_QUERY,
    /* graph, engine_kind -> pygraph_graph_create (occupied slot destroyed first) */
    FUZZ_GRAPH_CREATE,
    /* graph -> pygraph_graph_destroy */
    FUZZ_GRAPH_DESTROY,
    /* graph, op -> pygraph_graph_add_op */
    FUZZ_GRAPH_ADD_OP,
    /* graph, id -> pygraph_graph_mark_output */
    FUZZ_GRAPH_MARK_OUTPUT,
    /* graph -> pygraph_graph_finalize, then pygraph_graph_is_finalized */
    FUZZ_GRAPH_FINALIZE,
    /* graph, policy, count_adjust, first_slot, null_flags
     * -> get_partition_num + get_partitions into the partition pool */
    FUZZ_GRAPH_GET_PARTITIONS,
    /* partition, null_flags -> get_id, is_supported, get_ops, get_*_ports */
    FUZZ_PARTITION_QUERY,
    /* partition -> pygraph_partition_destroy */
    FUZZ_PARTITION_DESTROY,
    /* partition, compiled, engine, mutation, then per input port: shape
     * bytes, stride mode; per output port: output mode
     * -> pygraph_partition_compile */
    FUZZ_PARTITION_COMPILE,
    /* compiled, id, null_flags -> query_logical_tensor, get_inplace_ports,
     * get_input_ports, get_output_ports */
    FUZZ_COMPILED_QUERY,
    /* compiled -> pygraph_compiled_partition_destroy */
    FUZZ_COMPILED_DESTROY,
    /* compiled, stream, mutation, seed -> pygraph_compiled_partition_execute */
    FUZZ_EXECUTE,
    /* compiled, stream, mutation, seed -> pygraph_compiled_partition_execute_buffers
     * (or execute_unary, for one input and one output) */
    FUZZ_EXECUTE_BUFFERS,
    /* engine, action, kind, index -> engine create / destroy / get_kind */
    FUZZ_ENGINE,
    /* stream, action, engine -> stream create / destroy / wait */
    FUZZ_STREAM,
    /* which, value... -> the library-wide functions (version, names, sizes,
     * cpu features and isa, kernel names, threads, schemas) */
    FUZZ_GLOBAL,
    FUZZ_CMD_COUNT
};

/* A slot byte equal to this means "pass NULL" wherever a handle or struct
 * pointer is read. */
#define FUZZ_NULL_SLOT 0xFF

/* Data types: a byte below FUZZ_DTYPE_TABLE_LEN picks from the table (the
 * three LeakyReLU types first, so small bytes build working graphs); any
 * other byte is cast as is, so values outside the enum reach the library. */
static const int32_t fuzz_dtype_table[] = {
    pygraph_data_type_f32,  pygraph_data_type_bf16,    pygraph_data_type_f16,     pygraph_data_type_undef,
    pygraph_data_type_s32,  pygraph_data_type_s8,      pygraph_data_type_u8,      pygraph_data_type_boolean,
    pygraph_data_type_f8_e5m2, pygraph_data_type_f8_e4m3, pygraph_data_type_s4,   pygraph_data_type_u4,
    7 /* oneDNN's f64, not a pygraph type */, -1, 13, 0x7fffffff,
};
#define FUZZ_DTYPE_TABLE_LEN ((int)(sizeof fuzz_dtype_table / sizeof fuzz_dtype_table[0]))

/* Dims: a byte below FUZZ_SMALL_DIM_LIMIT is the dim (byte % 6: 0..5);
 * above, it picks from this table of absurd and edge values. */
#define FUZZ_SMALL_DIM_LIMIT 200
static const int64_t fuzz_special_dims[] = {
    PYGRAPH_UNKNOWN_DIM, -1, -2, INT64_MAX, INT64_MAX / 2, (int64_t)1 << 31, (int64_t)1 << 32,
    (int64_t)1 << 62, 65536, 1000, 7, 16, 17, 33, 64,
};
#define FUZZ_SPECIAL_DIMS_LEN ((int)(sizeof fuzz_special_dims / sizeof fuzz_special_dims[0]))

/* Strides: a byte below FUZZ_SMALL_STRIDE_LIMIT is (byte % 17) - 8, i.e.
 * -8..8 (zero and negative included); above, this table. */
#define FUZZ_SMALL_STRIDE_LIMIT 200
static const int64_t fuzz_special_strides[] = {
    PYGRAPH_UNKNOWN_DIM, INT64_MAX, INT64_MIN + 1, (int64_t)1 << 40, -((int64_t)1 << 40), (int64_t)1 << 62,
    1, 2, 12, 60, -12, 0, 4096,
};
#define FUZZ_SPECIAL_STRIDES_LEN ((int)(sizeof fuzz_special_strides / sizeof fuzz_special_strides[0]))

/* ndims: a byte below 14 is byte - 1 (-1..12, -1 = unknown); 14 and up are
 * out of range in both directions. */
static const int32_t fuzz_bad_ndims[] = {13, -2, 64, INT32_MIN, INT32_MAX, -1000};
#define FUZZ_BAD_NDIMS_LEN ((int)(sizeof fuzz_bad_ndims / sizeof fuzz_bad_ndims[0]))

/* Op kinds and attribute names (NULL reaches the library as NULL). */
static const char *const fuzz_kinds[] = {"LeakyReLU", "Wildcard", "End", "leakyrelu", "", "Convolution", NULL};
#define FUZZ_KINDS_LEN ((int)(sizeof fuzz_kinds / sizeof fuzz_kinds[0]))
static const char *const fuzz_attr_names[] = {"alpha", "beta", "", "alpha\xff", "min", NULL};
#define FUZZ_ATTR_NAMES_LEN ((int)(sizeof fuzz_attr_names / sizeof fuzz_attr_names[0]))

/* Attribute value types of FUZZ_OP_SET_ATTR. */
enum { FUZZ_ATTR_F32, FUZZ_ATTR_S64, FUZZ_ATTR_BOOL, FUZZ_ATTR_STRING, FUZZ_ATTR_F32S, FUZZ_ATTR_S64S, FUZZ_ATTR_TYPES };

/* f32 attribute values: a byte below FUZZ_F32_TABLE_LEN picks from the
 * table (every special alpha of SPEC §2); otherwise 4 raw bytes follow. */
#define FUZZ_F32_BITS_TABLE                                                                                 \
    {0x3c23d70a /* 0.01 */, 0x00000000 /* +0 */, 0x80000000 /* -0 */, 0xbf800000 /* -1 */,               \
     0x40000000 /* 2 */, 0x7f800000 /* +inf */, 0xff800000 /* -inf */, 0x7fc00000 /* qNaN */,            \
     0x7f800001 /* sNaN */, 0x00000001 /* min subnormal */, 0x7f7fffff /* max */, 0x3e800000 /* 0.25 */}
#define FUZZ_F32_TABLE_LEN 12

/* Stride modes of FUZZ_PARTITION_COMPILE for an input port. */
enum {
    FUZZ_STRIDES_ROW_MAJOR,
    FUZZ_STRIDES_COL_MAJOR,
    FUZZ_STRIDES_PERMUTED,  /* dense in a random dim order */
    FUZZ_STRIDES_NEGATIVE,  /* dense, one dim walked backwards */
    FUZZ_STRIDES_ZERO,      /* dense, one dim broadcast (stride 0) */
    FUZZ_STRIDES_PADDED,    /* row-major with gaps between rows */
    FUZZ_STRIDES_RAW,       /* one stride byte per dim */
    FUZZ_STRIDES_AS_PORT,   /* whatever the partition's port says (may be unknown) */
    FUZZ_STRIDE_MODES
};

/* Output modes of FUZZ_PARTITION_COMPILE for an output port. */
enum {
    FUZZ_OUT_UNKNOWN_ANY,   /* ndims unknown, layout any */
    FUZZ_OUT_DIMS_ANY,      /* the input's dims, layout any */
    FUZZ_OUT_STRIDED_UNKNOWN,
    FUZZ_OUT_ROW_MAJOR,
    FUZZ_OUT_PADDED,
    FUZZ_OUT_RAW,           /* dims of the input, one stride byte per dim */
    FUZZ_OUT_WRONG_DIMS,
    FUZZ_OUT_AS_PORT,
    FUZZ_OUT_MODES
};

/* Compile mutations (first operand byte after the engine). */
enum {
    FUZZ_COMPILE_VALID,
    FUZZ_COMPILE_DROP_INPUT,
    FUZZ_COMPILE_DUPLICATE_INPUT,
    FUZZ_COMPILE_WRONG_INPUT_ID,
    FUZZ_COMPILE_WRONG_DTYPE,
    FUZZ_COMPILE_NULL_INPUTS,
    FUZZ_COMPILE_NULL_OUTPUTS,
    FUZZ_COMPILE_NULL_OUT_HANDLE,
    FUZZ_COMPILE_DROP_OUTPUT,
    FUZZ_COMPILE_MUTATIONS
};

/* Execute mutations.  The harness knows which of them the contract forbids
 * and aborts if the library accepts one of those. */
enum {
    FUZZ_EXEC_VALID,
    FUZZ_EXEC_IN_PLACE,        /* each output aliases its in-place input */
    FUZZ_EXEC_PARTIAL_OVERLAP, /* an output starts one element into an input */
    FUZZ_EXEC_WRONG_DTYPE,
    FUZZ_EXEC_WRONG_DIM,
    FUZZ_EXEC_WRONG_ID,
    FUZZ_EXEC_DUPLICATE_INPUT,
    FUZZ_EXEC_NULL_DATA,
    FUZZ_EXEC_NULL_ARRAY,
    FUZZ_EXEC_MISSING_INPUT,
    FUZZ_EXEC_WRONG_STRIDE,
    FUZZ_EXEC_NULL_STREAM,
    FUZZ_EXEC_NULL_COMPILED,
    FUZZ_EXEC_REVERSED_ORDER,  /* ports in reverse order: matched by id, still valid */
    FUZZ_EXEC_OUTPUTS_ALIAS,   /* two outputs share memory */
    FUZZ_EXEC_UNIT_DIM_STRIDE, /* a stride of an extent-1 dim changed: never compared, still valid */
    FUZZ_EXEC_MUTATIONS
};

#endif /* PYGRAPH_FUZZ_C_API_PROTOCOL_H */
