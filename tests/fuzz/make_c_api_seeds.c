/*
 * make_c_api_seeds.c — writes the committed seed corpus of fuzz_c_api.c.
 *
 * Each seed is a short, meaningful program in the byte language of
 * c_api_protocol.h (a working graph of each shape SPEC §3 names, every
 * layout family, and one program per kind of misuse), so the fuzzer starts
 * from inputs that already reach compile and execute and mutates outward.
 *
 *   cc -Inative/include -Itests/fuzz tests/fuzz/make_c_api_seeds.c -o /tmp/make_seeds
 *   /tmp/make_seeds tests/fuzz/corpus/c_api
 *
 * Needs only the header (not the library).  Re-run it after changing the
 * protocol; the files it writes are committed.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pygraph/pygraph.h"

#include "c_api_protocol.h"

typedef struct program {
    uint8_t bytes[8192];
    size_t length;
} program;

static void put(program *p, int byte) {
    if (p->length >= sizeof p->bytes) {
        fprintf(stderr, "seed program too long\n");
        exit(1);
    }
    p->bytes[p->length++] = (uint8_t)byte;
}

static void put_u64(program *p, uint64_t value) {
    for (int i = 0; i < 8; ++i) put(p, (int)((value >> (8 * i)) & 0xFF));
}

/* The operand bytes that make a pick_* decoder return `value`: a small
 * value is its own byte (value - small_min), a listed special value the
 * byte `special_base` + its index, anything else 0xFF and 8 raw bytes. */
static void put_operand(program *p, int64_t value, int64_t small_min, int64_t small_max, const int64_t *specials,
                        int num_specials, int special_base) {
    if (value >= small_min && value <= small_max) {
        put(p, (int)(value - small_min));
        return;
    }
    for (int i = 0; i < num_specials; ++i) {
        if (specials[i] == value && special_base + i < 0xFF) {
            put(p, special_base + i);
            return;
        }
    }
    put(p, 0xFF);
    put_u64(p, (uint64_t)value);
}

/* The operand byte that makes pick_dim() return `value`. */
static void put_dim(program *p, int64_t value) {
    put_operand(p, value, 0, 5, fuzz_special_dims, FUZZ_SPECIAL_DIMS_LEN, FUZZ_SMALL_DIM_LIMIT);
}

/* The operand byte that makes pick_stride() return `value`. */
static void put_stride(program *p, int64_t value) {
    put_operand(p, value, -8, 8, fuzz_special_strides, FUZZ_SPECIAL_STRIDES_LEN, FUZZ_SMALL_STRIDE_LIMIT);
}

enum { DT_F32 = 0, DT_BF16 = 1, DT_F16 = 2, DT_UNDEF = 3, DT_S32 = 4 };

/* lt slot := a strided tensor with row-major strides (pygraph_logical_tensor_init). */
static void lt_dense(program *p, int slot, int id, int dtype, int ndims, const int64_t *dims) {
    put(p, FUZZ_LT_INIT);
    put(p, slot);
    put(p, id);
    put(p, dtype);
    put(p, ndims + 1);
    for (int d = 0; d < ndims; ++d) put_dim(p, dims[d]);
    put(p, pygraph_layout_type_strided);
    put(p, pygraph_property_type_variable);
    put(p, 0); /* no NULL arguments */
}

/* lt slot := rank unknown, layout any (an output whose shape compile infers). */
static void lt_unknown(program *p, int slot, int id, int dtype) {
    put(p, FUZZ_LT_INIT);
    put(p, slot);
    put(p, id);
    put(p, dtype);
    put(p, 0); /* ndims -1 */
    put(p, pygraph_layout_type_any);
    put(p, pygraph_property_type_variable);
    put(p, 0);
}

static void op_create(program *p, int slot, int id, int kind_index) {
    put(p, FUZZ_OP_CREATE);
    put(p, slot);
    put(p, id);
    put(p, kind_index); /* 0 LeakyReLU, 1 Wildcard, 2 End */
    put(p, 0);          /* name NULL: the library names it */
    put(p, 0);          /* out-parameter given */
}

static void set_alpha(program *p, int op_slot, int f32_table_index) {
    put(p, FUZZ_OP_SET_ATTR);
    put(p, op_slot);
    put(p, 0); /* "alpha" */
    put(p, FUZZ_ATTR_F32);
    put(p, f32_table_index);
}

static void add_input(program *p, int op_slot, int lt_slot) {
    put(p, FUZZ_OP_ADD_INPUT);
    put(p, op_slot);
    put(p, lt_slot);
}

static void add_output(program *p, int op_slot, int lt_slot) {
    put(p, FUZZ_OP_ADD_OUTPUT);
    put(p, op_slot);
    put(p, lt_slot);
}

static void graph_create(program *p, int slot) {
    put(p, FUZZ_GRAPH_CREATE);
    put(p, slot);
    put(p, 0); /* cpu */
    put(p, 0);
}

static void add_op(program *p, int graph_slot, int op_slot) {
    put(p, FUZZ_GRAPH_ADD_OP);
    put(p, graph_slot);
    put(p, op_slot);
}

/* A LeakyReLU op in `op_slot`, from lt slot `in` to lt slot `out`, added to graph 0. */
static void lrelu(program *p, int op_slot, int id, int in, int out, int alpha_index) {
    op_create(p, op_slot, id, 0);
    set_alpha(p, op_slot, alpha_index);
    add_input(p, op_slot, in);
    add_output(p, op_slot, out);
    add_op(p, 0, op_slot);
}

static void finalize(program *p, int graph_slot) {
    put(p, FUZZ_GRAPH_FINALIZE);
    put(p, graph_slot);
}

static void get_partitions(program *p, int graph_slot, int policy_index) {
    put(p, FUZZ_GRAPH_GET_PARTITIONS);
    put(p, graph_slot);
    put(p, policy_index); /* 0 fusion, 1 debug */
    put(p, 0);            /* exactly the count get_partition_num gives */
    put(p, 0);            /* starting at partition slot 0 */
    put(p, 0);
}

/* Compile partition `part` into compiled slot `slot`, for a partition with
 * one input of known rank `ndims` and one output. */
static void compile_one(program *p, int part, int slot, int mutation, int ndims, int stride_mode, int which,
                        int out_mode) {
    put(p, FUZZ_PARTITION_COMPILE);
    put(p, part);
    put(p, slot);
    put(p, 0); /* engine slot 0 */
    put(p, mutation);
    put(p, stride_mode);
    if (ndims > 0) put(p, which);
    if (stride_mode == FUZZ_STRIDES_RAW) {
        for (int d = 0; d < ndims; ++d) put_stride(p, d == ndims - 1 ? -1 : 5);
    }
    put(p, out_mode);
    if (out_mode == FUZZ_OUT_PADDED) put(p, 1);
    if (out_mode == FUZZ_OUT_RAW) {
        for (int d = 0; d < ndims; ++d) put_stride(p, 1);
    }
    if (out_mode == FUZZ_OUT_WRONG_DIMS && ndims > 0) put(p, 0);
}

static void execute(program *p, int slot, int mutation, int choice, int seed) {
    put(p, FUZZ_EXECUTE);
    put(p, slot);
    put(p, 0); /* stream slot 0 */
    put(p, mutation);
    put(p, choice);
    put(p, seed);
}

static void execute_buffers(program *p, int slot, int mutation) {
    put(p, FUZZ_EXECUTE_BUFFERS);
    put(p, slot);
    put(p, 0);
    put(p, mutation);
    put(p, 0);
    put(p, 7);
}

static void global(program *p, int which, int value) {
    put(p, FUZZ_GLOBAL);
    put(p, which);
    put(p, value);
}

static const char *output_dir;
static int seeds_written;

static void write_seed(const char *name, const program *p) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", output_dir, name);
    FILE *file = fopen(path, "wb");
    if (file == NULL || fwrite(p->bytes, 1, p->length, file) != p->length || fclose(file) != 0) {
        perror(path);
        exit(1);
    }
    ++seeds_written;
}

/* One LeakyReLU from lt 0 to lt 1 of `dims`, compiled with the given
 * layouts, executed plainly, lean, and in place. */
static void single_op_seed(const char *name, int dtype, int ndims, const int64_t *dims, int stride_mode, int which,
                           int out_mode, int alpha_index) {
    program p = {0};
    lt_dense(&p, 0, 0, dtype, ndims, dims);
    lt_unknown(&p, 1, 1, dtype);
    graph_create(&p, 0);
    lrelu(&p, 0, 0, 0, 1, alpha_index);
    finalize(&p, 0);
    get_partitions(&p, 0, 0);
    compile_one(&p, 0, 0, FUZZ_COMPILE_VALID, ndims, stride_mode, which, out_mode);
    execute(&p, 0, FUZZ_EXEC_VALID, 0, 1);
    execute_buffers(&p, 0, FUZZ_EXEC_VALID);
    execute(&p, 0, FUZZ_EXEC_IN_PLACE, 0, 2);
    write_seed(name, &p);
}

/* A chain 0 -> 1 -> 2 -> 3 of three LeakyReLU ops (one fused partition
 * under fusion, three under debug). */
static void chain(program *p, int dtype) {
    const int64_t dims[] = {4, 5};
    lt_dense(p, 0, 0, dtype, 2, dims);
    lt_dense(p, 1, 1, dtype, 2, dims);
    lt_dense(p, 2, 2, dtype, 2, dims);
    lt_unknown(p, 3, 3, dtype);
    graph_create(p, 0);
    lrelu(p, 0, 10, 0, 1, 0);
    lrelu(p, 1, 11, 1, 2, 3);
    lrelu(p, 2, 12, 2, 3, 7);
}

static void misuse_seed(const char *name, void (*build)(program *)) {
    program p = {0};
    build(&p);
    write_seed(name, &p);
}

static void build_missing_alpha(program *p) {
    const int64_t dims[] = {2, 3};
    lt_dense(p, 0, 0, DT_F32, 2, dims);
    lt_dense(p, 1, 1, DT_F32, 2, dims);
    graph_create(p, 0);
    op_create(p, 0, 0, 0);
    add_input(p, 0, 0);
    add_output(p, 0, 1);
    add_op(p, 0, 0);
    finalize(p, 0);
    get_partitions(p, 0, 0);
}

static void build_mismatched_dtypes(program *p) {
    const int64_t dims[] = {2, 3};
    lt_dense(p, 0, 0, DT_F32, 2, dims);
    lt_dense(p, 1, 1, DT_BF16, 2, dims);
    graph_create(p, 0);
    lrelu(p, 0, 0, 0, 1, 0);
    lt_dense(p, 2, 2, DT_S32, 2, dims);
    lt_dense(p, 3, 3, DT_S32, 2, dims);
    lrelu(p, 1, 1, 2, 3, 0);
}

static void build_duplicate_id_and_cycle(program *p) {
    const int64_t dims[] = {3};
    lt_dense(p, 0, 0, DT_F32, 1, dims);
    lt_dense(p, 1, 1, DT_F32, 1, dims);
    graph_create(p, 0);
    lrelu(p, 0, 5, 0, 1, 0);
    lrelu(p, 1, 5, 1, 0, 0); /* duplicate op id */
    lrelu(p, 2, 6, 1, 0, 0); /* closes the cycle 0 -> 1 -> 0 */
    lrelu(p, 3, 7, 0, 1, 0); /* tensor 1 produced twice */
    finalize(p, 0);
    get_partitions(p, 0, 0);
}

static void build_wrong_state(program *p) {
    const int64_t dims[] = {2, 2};
    lt_dense(p, 0, 0, DT_F32, 2, dims);
    lt_dense(p, 1, 1, DT_F32, 2, dims);
    graph_create(p, 0);
    get_partitions(p, 0, 0); /* before finalize */
    lrelu(p, 0, 0, 0, 1, 0);
    finalize(p, 0);
    finalize(p, 0);          /* idempotent */
    lrelu(p, 1, 1, 1, 2, 0); /* after finalize */
    put(p, FUZZ_GRAPH_MARK_OUTPUT);
    put(p, 0);
    put(p, 1);
    get_partitions(p, 0, 0);
    put(p, FUZZ_GRAPH_GET_PARTITIONS); /* a count that is one too many */
    put(p, 0);
    put(p, 0);
    put(p, 1);
    put(p, 2);
    put(p, 0);
    execute(p, 3, FUZZ_EXEC_VALID, 0, 0); /* nothing compiled in slot 3 */
}

static void build_absurd_dims(program *p) {
    const int64_t huge[] = {INT64_MAX, 2};
    const int64_t overflow[] = {(int64_t)1 << 32, (int64_t)1 << 32, 65536};
    lt_dense(p, 0, 0, DT_F32, 2, huge);
    put(p, FUZZ_LT_MEM_SIZE);
    put(p, 0);
    put(p, 0);
    lt_dense(p, 1, 1, DT_F32, 3, overflow);
    for (int slot = 4; slot < 8; ++slot) lt_unknown(p, slot, slot, DT_F32);
    put(p, FUZZ_LT_SET_FIELD); /* ndims 13 */
    put(p, 2);
    put(p, 1);
    put(p, 0);
    put(p, 14);
    put(p, FUZZ_LT_INIT_WITH_STRIDES); /* strides of 2^40 */
    put(p, 3);
    put(p, 3);
    put(p, DT_F32);
    put(p, 3);
    put_dim(p, 1000);
    put_dim(p, 1000);
    put_stride(p, (int64_t)1 << 40);
    put_stride(p, INT64_MAX);
    put(p, pygraph_property_type_variable);
    put(p, 0);
    put(p, FUZZ_LT_MEM_SIZE);
    put(p, 3);
    put(p, 0);
    graph_create(p, 0);
    lrelu(p, 0, 0, 0, 4, 0);
    lrelu(p, 1, 1, 1, 5, 0);
    lrelu(p, 2, 2, 2, 6, 0);
    lrelu(p, 3, 3, 3, 7, 0);
    finalize(p, 0);
    get_partitions(p, 0, 0);
    for (int part = 0; part < 4; ++part) {
        put(p, FUZZ_PARTITION_COMPILE);
        put(p, part);
        put(p, part);
        put(p, 0);
        put(p, FUZZ_COMPILE_VALID);
        put(p, FUZZ_STRIDES_AS_PORT);
        put(p, 0);
        put(p, FUZZ_OUT_UNKNOWN_ANY);
        execute(p, part, FUZZ_EXEC_VALID, 0, 0);
    }
}

static void build_null_arguments(program *p) {
    put(p, FUZZ_LT_INIT); /* NULL lt and NULL dims */
    put(p, FUZZ_NULL_SLOT);
    put(p, 0);
    put(p, DT_F32);
    put(p, 3);
    put(p, 2);
    put(p, 2);
    put(p, pygraph_layout_type_strided);
    put(p, pygraph_property_type_variable);
    put(p, 3);
    put(p, FUZZ_OP_CREATE); /* NULL kind (index 6) */
    put(p, 0);
    put(p, 0);
    put(p, 6);
    put(p, 0);
    put(p, 0);
    op_create(p, 1, 1, 0);
    put(p, FUZZ_OP_SET_ATTR); /* NULL attribute name */
    put(p, 1);
    put(p, 5);
    put(p, FUZZ_ATTR_F32);
    put(p, 0);
    add_input(p, 1, FUZZ_NULL_SLOT);
    add_output(p, FUZZ_NULL_SLOT, 0);
    put(p, FUZZ_OP_QUERY);
    put(p, 1);
    put(p, 7);
    add_op(p, FUZZ_NULL_SLOT, 1);
    finalize(p, FUZZ_NULL_SLOT);
    put(p, FUZZ_PARTITION_QUERY);
    put(p, FUZZ_NULL_SLOT);
    put(p, 0x3F);
    put(p, FUZZ_COMPILED_QUERY);
    put(p, FUZZ_NULL_SLOT);
    put(p, 0);
    put(p, 0x0F);
    put(p, FUZZ_STREAM); /* stream on no engine */
    put(p, 1);
    put(p, 0);
    put(p, 1);
    put(p, FUZZ_ENGINE); /* gpu engine */
    put(p, 1);
    put(p, 0);
    put(p, 2);
    put(p, 0);
    for (int which = 0; which < 12; ++which) global(p, which, 0xF5);
}

static void build_odd_attributes(program *p) {
    const int64_t dims[] = {8};
    lt_dense(p, 0, 0, DT_F16, 1, dims);
    lt_dense(p, 1, 1, DT_F16, 1, dims);
    graph_create(p, 0);
    op_create(p, 0, 0, 0);
    put(p, FUZZ_OP_SET_ATTR); /* alpha as s64 */
    put(p, 0);
    put(p, 0);
    put(p, FUZZ_ATTR_S64);
    put(p, 3);
    put(p, FUZZ_OP_SET_ATTR); /* an attribute LeakyReLU does not define */
    put(p, 0);
    put(p, 1);
    put(p, FUZZ_ATTR_STRING);
    put(p, 1);
    put(p, 3);
    put(p, 'a');
    put(p, 'b');
    put(p, 'c');
    put(p, FUZZ_OP_SET_ATTR); /* f32[] with 3 values */
    put(p, 0);
    put(p, 0);
    put(p, FUZZ_ATTR_F32S);
    put(p, 3);
    put(p, 1);
    put(p, 2);
    put(p, 7);
    add_input(p, 0, 0);
    add_output(p, 0, 1);
    add_op(p, 0, 0);
    set_alpha(p, 0, 7); /* replaced by a NaN f32: now valid */
    add_op(p, 0, 0);
    finalize(p, 0);
    get_partitions(p, 0, 0);
    compile_one(p, 0, 0, FUZZ_COMPILE_VALID, 1, FUZZ_STRIDES_NEGATIVE, 0, FUZZ_OUT_DIMS_ANY);
    execute(p, 0, FUZZ_EXEC_VALID, 0, 9);
}

static void build_wildcard_end(program *p) {
    const int64_t dims[] = {3, 4};
    lt_dense(p, 0, 0, DT_F32, 2, dims);
    lt_dense(p, 1, 1, DT_F32, 2, dims);
    lt_dense(p, 2, 2, DT_F32, 2, dims);
    graph_create(p, 0);
    op_create(p, 0, 0, 1); /* Wildcard: 0 -> 1 */
    add_input(p, 0, 0);
    add_output(p, 0, 1);
    add_op(p, 0, 0);
    lrelu(p, 1, 1, 1, 2, 0);
    op_create(p, 2, 2, 2); /* End consumes 2 */
    add_input(p, 2, 2);
    add_op(p, 0, 2);
    finalize(p, 0);
    get_partitions(p, 0, 0);
    for (int part = 0; part < 3; ++part) {
        put(p, FUZZ_PARTITION_QUERY);
        put(p, part);
        put(p, 0);
        compile_one(p, part, part, FUZZ_COMPILE_VALID, 2, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_ROW_MAJOR);
        execute(p, part, FUZZ_EXEC_VALID, 0, 3);
    }
    put(p, FUZZ_GRAPH_DESTROY); /* partitions and compiled partitions outlive their graph */
    put(p, 0);
    execute(p, 1, FUZZ_EXEC_REVERSED_ORDER, 0, 4);
}

static void build_branch(program *p) {
    const int64_t dims[] = {2, 3, 4};
    lt_dense(p, 0, 0, DT_BF16, 3, dims);
    lt_dense(p, 1, 1, DT_BF16, 3, dims);
    lt_unknown(p, 2, 2, DT_BF16);
    lt_unknown(p, 3, 3, DT_BF16);
    graph_create(p, 0);
    lrelu(p, 0, 0, 0, 1, 0);
    lrelu(p, 1, 1, 1, 2, 4);
    lrelu(p, 2, 2, 1, 3, 5);
    finalize(p, 0);
    get_partitions(p, 0, 0);
    for (int part = 0; part < 3; ++part) {
        compile_one(p, part, part, FUZZ_COMPILE_VALID, 3, FUZZ_STRIDES_PERMUTED, 1, FUZZ_OUT_UNKNOWN_ANY);
        execute(p, part, FUZZ_EXEC_VALID, 0, 5);
    }
}

static void build_marked_output(program *p) {
    chain(p, DT_F16);
    put(p, FUZZ_GRAPH_MARK_OUTPUT); /* the chain ends at tensor 2 */
    put(p, 0);
    put(p, 2);
    finalize(p, 0);
    get_partitions(p, 0, 0);
    compile_one(p, 0, 0, FUZZ_COMPILE_VALID, 2, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_AS_PORT);
    compile_one(p, 1, 1, FUZZ_COMPILE_VALID, 2, FUZZ_STRIDES_COL_MAJOR, 0, FUZZ_OUT_DIMS_ANY);
    execute(p, 0, FUZZ_EXEC_VALID, 0, 1);
    execute(p, 1, FUZZ_EXEC_VALID, 0, 1);
}

static void build_unknown_input_dims(program *p) {
    put(p, FUZZ_LT_INIT); /* rank 3, every dim unknown, layout any */
    put(p, 0);
    put(p, 0);
    put(p, DT_F32);
    put(p, 4);
    put_dim(p, PYGRAPH_UNKNOWN_DIM);
    put_dim(p, PYGRAPH_UNKNOWN_DIM);
    put_dim(p, PYGRAPH_UNKNOWN_DIM);
    put(p, pygraph_layout_type_any);
    put(p, pygraph_property_type_undef);
    put(p, 0);
    lt_unknown(p, 1, 1, DT_F32);
    graph_create(p, 0);
    lrelu(p, 0, 0, 0, 1, 1);
    finalize(p, 0);
    get_partitions(p, 0, 0);
    put(p, FUZZ_PARTITION_COMPILE);
    put(p, 0);
    put(p, 0);
    put(p, 0);
    put(p, FUZZ_COMPILE_VALID);
    put(p, 3); /* dims 3, 4, 5 */
    put(p, 4);
    put(p, 5);
    put(p, FUZZ_STRIDES_PADDED);
    put(p, 2);
    put(p, FUZZ_OUT_PADDED);
    put(p, 2);
    execute(p, 0, FUZZ_EXEC_VALID, 0, 11);
    execute_buffers(p, 0, FUZZ_EXEC_VALID);
}

static void build_isa_and_threads(program *p) {
    const int64_t dims[] = {64, 1000};
    lt_dense(p, 0, 0, DT_F32, 2, dims);
    lt_unknown(p, 1, 1, DT_F32);
    graph_create(p, 0);
    lrelu(p, 0, 0, 0, 1, 0);
    finalize(p, 0);
    get_partitions(p, 0, 0);
    compile_one(p, 0, 0, FUZZ_COMPILE_VALID, 2, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY);
    static const int isa_values[] = {1, 2, 3, 0};
    for (int i = 0; i < 4; ++i) {
        global(p, 5, isa_values[i]); /* scalar, avx2, avx512, best */
        global(p, 7, i);             /* 0..3 threads */
        execute(p, 0, FUZZ_EXEC_VALID, 0, i);
        execute(p, 0, FUZZ_EXEC_IN_PLACE, 0, i);
    }
    for (int which = 0; which < 12; ++which) global(p, which, 1);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    output_dir = argv[1];

    const int64_t d23[] = {2, 3};
    const int64_t d12[] = {1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 3};
    const int64_t d0[] = {0, 3};
    const int64_t d_odd[] = {7, 17, 33};
    single_op_seed("single_f32", DT_F32, 2, d23, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY, 0);
    single_op_seed("single_bf16", DT_BF16, 2, d23, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_DIMS_ANY, 3);
    single_op_seed("single_f16", DT_F16, 2, d23, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_ROW_MAJOR, 4);
    single_op_seed("col_major_f32", DT_F32, 3, d_odd, FUZZ_STRIDES_COL_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY, 5);
    single_op_seed("permuted_bf16", DT_BF16, 3, d_odd, FUZZ_STRIDES_PERMUTED, 0, FUZZ_OUT_STRIDED_UNKNOWN, 6);
    single_op_seed("negative_stride_f16", DT_F16, 3, d_odd, FUZZ_STRIDES_NEGATIVE, 1, FUZZ_OUT_UNKNOWN_ANY, 7);
    single_op_seed("zero_stride_f32", DT_F32, 3, d_odd, FUZZ_STRIDES_ZERO, 2, FUZZ_OUT_ROW_MAJOR, 8);
    single_op_seed("padded_f32", DT_F32, 2, d23, FUZZ_STRIDES_PADDED, 1, FUZZ_OUT_PADDED, 9);
    single_op_seed("raw_strides_f32", DT_F32, 2, d23, FUZZ_STRIDES_RAW, 0, FUZZ_OUT_RAW, 10);
    single_op_seed("twelve_dims_f16", DT_F16, 12, d12, FUZZ_STRIDES_PERMUTED, 5, FUZZ_OUT_UNKNOWN_ANY, 11);
    single_op_seed("zero_size_f32", DT_F32, 2, d0, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY, 0);
    single_op_seed("scalar_bf16", DT_BF16, 0, d23, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY, 2);
    single_op_seed("wrong_output_dims", DT_F32, 2, d23, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_WRONG_DIMS, 0);

    for (int mutation = 0; mutation < FUZZ_EXEC_MUTATIONS; ++mutation) {
        program p = {0};
        lt_dense(&p, 0, 0, DT_F32, 2, d23);
        lt_unknown(&p, 1, 1, DT_F32);
        graph_create(&p, 0);
        lrelu(&p, 0, 0, 0, 1, 3);
        finalize(&p, 0);
        get_partitions(&p, 0, 0);
        compile_one(&p, 0, 0, FUZZ_COMPILE_VALID, 2, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY);
        execute(&p, 0, mutation, 1, mutation);
        execute_buffers(&p, 0, mutation);
        char name[64];
        snprintf(name, sizeof name, "execute_mutation_%02d", mutation);
        write_seed(name, &p);
    }
    for (int mutation = 1; mutation < FUZZ_COMPILE_MUTATIONS; ++mutation) {
        program p = {0};
        lt_dense(&p, 0, 0, DT_BF16, 2, d23);
        lt_unknown(&p, 1, 1, DT_BF16);
        graph_create(&p, 0);
        lrelu(&p, 0, 0, 0, 1, 0);
        finalize(&p, 0);
        get_partitions(&p, 0, 0);
        compile_one(&p, 0, 0, mutation, 2, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY);
        char name[64];
        snprintf(name, sizeof name, "compile_mutation_%02d", mutation);
        write_seed(name, &p);
    }

    program fused = {0};
    chain(&fused, DT_F32);
    finalize(&fused, 0);
    get_partitions(&fused, 0, 0);
    compile_one(&fused, 0, 0, FUZZ_COMPILE_VALID, 2, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_UNKNOWN_ANY);
    execute(&fused, 0, FUZZ_EXEC_VALID, 0, 1);
    execute(&fused, 0, FUZZ_EXEC_IN_PLACE, 0, 1);
    write_seed("chain_fused", &fused);

    program debug = {0};
    chain(&debug, DT_BF16);
    finalize(&debug, 0);
    get_partitions(&debug, 0, 1);
    for (int part = 0; part < 3; ++part) {
        compile_one(&debug, part, part, FUZZ_COMPILE_VALID, 2, FUZZ_STRIDES_ROW_MAJOR, 0, FUZZ_OUT_AS_PORT);
        execute(&debug, part, FUZZ_EXEC_VALID, 0, 1);
    }
    write_seed("chain_debug_policy", &debug);

    misuse_seed("misuse_missing_alpha", build_missing_alpha);
    misuse_seed("misuse_mismatched_dtypes", build_mismatched_dtypes);
    misuse_seed("misuse_duplicate_id_and_cycle", build_duplicate_id_and_cycle);
    misuse_seed("misuse_wrong_state", build_wrong_state);
    misuse_seed("misuse_absurd_dims", build_absurd_dims);
    misuse_seed("misuse_null_arguments", build_null_arguments);
    misuse_seed("odd_attributes", build_odd_attributes);
    misuse_seed("wildcard_lrelu_end", build_wildcard_end);
    misuse_seed("branch_bf16", build_branch);
    misuse_seed("marked_output_f16", build_marked_output);
    misuse_seed("unknown_input_dims", build_unknown_input_dims);
    misuse_seed("isa_and_threads", build_isa_and_threads);

    printf("wrote %d seeds to %s\n", seeds_written, output_dir);
    return 0;
}
