/*
 * op_record.h — an op as every internal layer sees it.
 *
 * The public pygraph_op handle wraps one of these while it is being built;
 * a graph and a partition keep their own deep copies.  The schema registry
 * validates it, the partitioner reads its ports, compile reads its
 * attributes.
 */
#ifndef PYGRAPH_SCHEMA_OP_RECORD_H
#define PYGRAPH_SCHEMA_OP_RECORD_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "pygraph/pygraph.h"

/* The attribute types of oneDNN graph files.  Their names ("f32", "f32[]",
 * ...) are generated from native/tools/gen_schema_tables.py into
 * pg_attr_type_names. */
typedef enum pg_attr_type {
    pg_attr_f32,
    pg_attr_s64,
    pg_attr_bool,
    pg_attr_string,
    pg_attr_f32s,
    pg_attr_s64s
} pg_attr_type;

/* A typed attribute value.  `count` is the number of elements of an array
 * type and 1 for a scalar. */
typedef struct pg_attr_value {
    pg_attr_type type;
    size_t count;
    union {
        float f32;
        int64_t s64;
        int boolean;
        const char *string;
        const float *f32s;
        const int64_t *s64s;
    } as;
} pg_attr_value;

/* An attribute set on an op; the record owns `name` and the string or
 * array the value points to. */
typedef struct pg_attr {
    char *name;
    pg_attr_value value;
} pg_attr;

struct pg_schema;

typedef struct pg_op_record {
    uint64_t id;
    const struct pg_schema *schema; /* static storage: the generated tables */
    char *name;                     /* owned; never NULL */
    size_t num_attrs;
    pg_attr *attrs;
    size_t num_inputs;
    pygraph_logical_tensor *inputs;
    size_t num_outputs;
    pygraph_logical_tensor *outputs;
} pg_op_record;

/* Messages echo caller-chosen strings (op names, kinds, attribute names)
 * shortened to PG_ECHO_MAX bytes, cut at a UTF-8 character boundary and
 * marked with "...", so the facts after them still fit in the message:
 * printf("%" PG_ECHO_FMT, PG_ECHO_ARGS(text)) -- i.e. "%.*s%s". */
#define PG_ECHO_MAX 120
#define PG_ECHO_FMT ".*s%s"
#define PG_ECHO_ARGS(text) pg_echo_length(text), (text), pg_echo_suffix(text)
int pg_echo_length(const char *text);
const char *pg_echo_suffix(const char *text);

/* How messages name an op: `op 3 (LeakyReLU "relu3")`. */
#define PG_OP_FMT "op %" PRIu64 " (%s \"%" PG_ECHO_FMT "\")"
#define PG_OP_ARGS(op) (op)->id, (op)->schema->kind, PG_ECHO_ARGS((op)->name)

/* Deep copy of `src` into `*dst` with exact-size arrays.  Returns
 * pygraph_out_of_memory (with `*dst` zeroed, nothing leaked) on failure. */
pygraph_status pg_op_record_copy(pg_op_record *dst, const pg_op_record *src);

/* Frees what the record owns (not the record itself); safe on a zeroed
 * record. */
void pg_op_record_free(pg_op_record *record);

/* Frees the string or array an attribute value owns. */
void pg_attr_value_free(pg_attr_value *value);

/* Deep copy of a value (strings and arrays duplicated).  0 on success, -1
 * when out of memory (then `*dst` owns nothing). */
int pg_attr_value_copy(pg_attr_value *dst, const pg_attr_value *src);

/* The attribute `name` of the record, or NULL. */
const pg_attr *pg_op_record_find_attr(const pg_op_record *record, const char *name);

#endif /* PYGRAPH_SCHEMA_OP_RECORD_H */
