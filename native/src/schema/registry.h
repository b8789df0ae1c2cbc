/*
 * registry.h — the op schemas, as tables generated at build time from
 * schemas/<Kind>.json by native/tools/gen_schema_tables.py, and the validation
 * of an op against its schema, driven entirely by those tables: no op kind
 * is named in code here.
 */
#ifndef PYGRAPH_SCHEMA_REGISTRY_H
#define PYGRAPH_SCHEMA_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "pygraph/pygraph.h"
#include "schema/op_record.h"

/* Port type that is no type variable ("any"): unconstrained, not pinned. */
#define PG_SCHEMA_TYPE_ANY (-1)
/* max_inputs / max_outputs of a kind with any number of ports. */
#define PG_SCHEMA_UNBOUNDED SIZE_MAX

typedef enum pg_shape_inference {
    pg_shape_inference_none,     /* outputs are not derived from inputs */
    pg_shape_inference_identity  /* every output has the shape of input 0 */
} pg_shape_inference;

typedef struct pg_schema_port {
    const char *name;
    int type_var; /* index into type_constraints, or PG_SCHEMA_TYPE_ANY */
} pg_schema_port;

typedef struct pg_schema_attr {
    const char *name;
    pg_attr_type type;
    int required;
    int has_default;
    pg_attr_value default_value; /* meaningful when has_default */
} pg_schema_attr;

typedef struct pg_type_constraint {
    const char *name;
    size_t num_types;
    const pygraph_data_type *types;
} pg_type_constraint;

typedef struct pg_schema_inplace {
    size_t input;
    size_t output;
} pg_schema_inplace;

typedef struct pg_schema {
    const char *kind;
    int version;
    /* Ports past the listed ones reuse the last listed port. */
    size_t num_listed_inputs;
    const pg_schema_port *inputs;
    size_t min_inputs, max_inputs;
    size_t num_listed_outputs;
    const pg_schema_port *outputs;
    size_t min_outputs, max_outputs;
    size_t num_attributes;
    const pg_schema_attr *attributes;
    size_t num_type_constraints;
    const pg_type_constraint *type_constraints;
    pg_shape_inference shape_inference;
    size_t num_inplace;
    const pg_schema_inplace *inplace;
    int supported; /* pygraph compiles and executes this kind */
    const char *json; /* schemas/<kind>.json, minified */
} pg_schema;

/* The generated tables, sorted by kind. */
extern const size_t pg_num_schemas;
extern const pg_schema pg_schemas[];
extern const char *const pg_schema_kinds[];
extern const char *const pg_attr_type_names[];

/* The schema of `kind`, or NULL when no such kind exists. */
const pg_schema *pg_schema_find(const char *kind);

/* Sets the message "unknown op kind \"X\": known kinds are ..." and
 * returns pygraph_invalid_arguments. */
pygraph_status pg_schema_unknown_kind(const char *kind);

/* The schema port describing input (output) `index` of an op of this kind:
 * the listed port, or the last listed one for ports past the list.  NULL
 * when the kind lists no ports. */
const pg_schema_port *pg_schema_input(const pg_schema *schema, size_t index);
const pg_schema_port *pg_schema_output(const pg_schema *schema, size_t index);

/* Name of a port for messages ("src"; "?" for a port the kind cannot have). */
const char *pg_schema_input_name(const pg_schema *schema, size_t index);
const char *pg_schema_output_name(const pg_schema *schema, size_t index);

/* The schema's definition of attribute `name`, or NULL. */
const pg_schema_attr *pg_schema_find_attr(const pg_schema *schema, const char *name);

/* Checks `op` against op->schema: port counts and attributes
 * (pygraph_invalid_graph_op), data types against the type constraints and
 * ports bound to one type variable sharing one data type
 * (pygraph_invalid_data_type).  The message names the op, the attribute or
 * port and expected vs got. */
pygraph_status pg_schema_validate_op(const pg_op_record *op);

#endif /* PYGRAPH_SCHEMA_REGISTRY_H */
