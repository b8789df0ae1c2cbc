/*
 * objects.h — what the public handles are, and the logical-tensor helpers
 * the entry points share.  Internal to the interface layer.
 */
#ifndef PYGRAPH_INTERFACE_OBJECTS_H
#define PYGRAPH_INTERFACE_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/leaky_relu.h"
#include "partition/graph_model.h"
#include "partition/partition.h"
#include "pygraph/pygraph.h"
#include "schema/op_record.h"

struct pygraph_engine {
    pygraph_engine_kind kind;
    size_t index;
};

struct pygraph_stream {
    pygraph_engine_kind engine_kind;
};

/* An op being built: the record plus the spare capacity of its arrays. */
struct pygraph_op {
    pg_op_record record;
    size_t attrs_capacity;
    size_t inputs_capacity;
    size_t outputs_capacity;
};

struct pygraph_graph {
    pygraph_engine_kind engine_kind;
    int finalized;
    pg_graph_model model;
    uint64_t *marked_outputs; /* ids given to mark_output, without repeats */
    size_t num_marked_outputs;
    size_t marked_outputs_capacity;
};

/* An independent copy of a part of a graph. */
struct pygraph_partition {
    size_t id;
    int supported;
    pygraph_engine_kind engine_kind;
    size_t num_ops;
    pg_op_record *ops; /* in execution order */
    uint64_t *op_ids;
    size_t num_inputs;
    pygraph_logical_tensor *inputs;
    size_t num_outputs;
    pygraph_logical_tensor *outputs;
};

/* Where a port's elements lie, in bytes relative to its data pointer:
 * [lowest, highest) (empty for a tensor with zero elements). */
typedef struct pg_byte_range {
    int64_t lowest;
    int64_t highest;
} pg_byte_range;

/* A compiled LeakyReLU chain: one input port (the chain's src) and one output
 * port (its dst).  Immutable after compile, so execute may run on it from
 * any number of threads. */
struct pygraph_compiled_partition {
    pygraph_logical_tensor input;  /* concrete: known dims, strided */
    pygraph_logical_tensor output; /* concrete: known dims, strided */
    pg_byte_range input_range;
    pg_byte_range output_range;
    int64_t num_elements;
    /* src and dst strides agree on every dim of extent > 1, so executing
     * with equal data pointers is exact in-place aliasing. */
    int same_layout;
    const char *input_name;  /* schema names of the ports ("src", "dst") */
    const char *output_name;
    /* "input 0 (src)", "output 0 (dst)": formatted once, at compile, so
     * that execute formats nothing unless it fails. */
    char input_label[48];
    char output_label[48];
    int has_inplace; /* whether `inplace` is a pair the chain allows */
    pygraph_inplace_pair inplace;
    float *alphas; /* owned; the plan borrows it */
    size_t num_alphas;
    pg_lrelu_plan plan;
};

/* "cpu", "gpu", "any" (engine.c). */
const char *pg_engine_kind_name(pygraph_engine_kind kind);

/* ---- logical tensor helpers (logical_tensor.c) ---- */

/* Checks that `lt` is well formed: enums in range
 * (pygraph_invalid_arguments), ndims in -1..PYGRAPH_MAX_NDIMS and every
 * known dim >= 0 (pygraph_invalid_shape).  `context` starts the message,
 * e.g. `op 3 (LeakyReLU "r") input 0 (src)`. */
pygraph_status pg_lt_check(const pygraph_logical_tensor *lt, const char *context);

/* 1 when the element count is known (ndims and every dim known). */
int pg_lt_dims_known(const pygraph_logical_tensor *lt);

/* Whether two descriptions of one tensor id can describe the same tensor:
 * same data type; ndims equal unless one is unknown; dims equal where both
 * are known; layout and property equal unless one is undef; for two
 * strided descriptions, strides equal where both are known (dims of
 * extent 0 or 1 skipped).  Returns 1 when compatible; otherwise 0 and a
 * description of the first difference in `why`. */
int pg_lt_compatible(const pygraph_logical_tensor *here, const pygraph_logical_tensor *before, char *why,
                     size_t why_size);

/* Refines `merged` with what `more` knows (both compatible). */
void pg_lt_merge(pygraph_logical_tensor *merged, const pygraph_logical_tensor *more);

/* "[2, 3]", "[?, 3]" for unknown dims, "[]" for a scalar, "(unknown rank)". */
void pg_format_dims(char *buf, size_t size, int32_t ndims, const int64_t *dims);

/* Element count of known dims, overflow-checked: 0 on success, -1 when it
 * does not fit in int64_t. */
int pg_num_elements(int32_t ndims, const int64_t *dims, int64_t *count);

/* Byte range spanned by known dims and strides, overflow-checked: 0 on
 * success, -1 on overflow.  Zero elements give the empty range [0, 0). */
int pg_byte_range_of(int32_t ndims, const int64_t *dims, const int64_t *strides, size_t element_size,
                     pg_byte_range *range);

/* ---- partitions (partition.c) ---- */

/* Builds the independent partition `p` of a finalized graph. */
pygraph_status pg_partition_create(pygraph_partition **partition, const pygraph_graph *graph,
                                   const pg_partitioning *partitioning, size_t p);

#endif /* PYGRAPH_INTERFACE_OBJECTS_H */
