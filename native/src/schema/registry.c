/*
 * registry.c — lookups over the generated schema tables and the validation
 * of an op against its schema.  Everything here is driven by the tables;
 * adding an op kind means adding schemas/<Kind>.json (plus its kernel).
 */
#include "schema/registry.h"

#include <stdio.h>
#include <string.h>

#include "interface/error.h"

const pg_schema *pg_schema_find(const char *kind) {
    if (kind == NULL) return NULL;
    for (size_t i = 0; i < pg_num_schemas; ++i) {
        if (strcmp(pg_schemas[i].kind, kind) == 0) return &pg_schemas[i];
    }
    return NULL;
}

/* Appends `text` to buf (NUL-terminated, truncating). */
static void append(char *buf, size_t size, const char *text) {
    size_t used = strlen(buf);
    if (used + 1 >= size) return;
    snprintf(buf + used, size - used, "%s", text);
}

pygraph_status pg_schema_unknown_kind(const char *kind) {
    char known[512] = "";
    for (size_t i = 0; i < pg_num_schemas; ++i) {
        if (i > 0) append(known, sizeof known, ", ");
        append(known, sizeof known, pg_schemas[i].kind);
    }
    return pg_error(pygraph_invalid_arguments, "unknown op kind \"%" PG_ECHO_FMT "\": known kinds are %s",
                    PG_ECHO_ARGS(kind), known);
}

static const pg_schema_port *port_at(const pg_schema_port *ports, size_t num_listed, size_t index) {
    if (num_listed == 0) return NULL;
    return &ports[index < num_listed ? index : num_listed - 1];
}

const pg_schema_port *pg_schema_input(const pg_schema *schema, size_t index) {
    return port_at(schema->inputs, schema->num_listed_inputs, index);
}

const pg_schema_port *pg_schema_output(const pg_schema *schema, size_t index) {
    return port_at(schema->outputs, schema->num_listed_outputs, index);
}

const char *pg_schema_input_name(const pg_schema *schema, size_t index) {
    const pg_schema_port *port = pg_schema_input(schema, index);
    return port ? port->name : "?";
}

const char *pg_schema_output_name(const pg_schema *schema, size_t index) {
    const pg_schema_port *port = pg_schema_output(schema, index);
    return port ? port->name : "?";
}

const pg_schema_attr *pg_schema_find_attr(const pg_schema *schema, const char *name) {
    for (size_t i = 0; i < schema->num_attributes; ++i) {
        if (strcmp(schema->attributes[i].name, name) == 0) return &schema->attributes[i];
    }
    return NULL;
}

/* "exactly 1", "at least 0", "between 1 and 3" */
static void describe_count(char *buf, size_t size, size_t min, size_t max) {
    if (min == max) {
        snprintf(buf, size, "exactly %zu", min);
    } else if (max == PG_SCHEMA_UNBOUNDED) {
        snprintf(buf, size, "at least %zu", min);
    } else {
        snprintf(buf, size, "between %zu and %zu", min, max);
    }
}

static pygraph_status check_count(const pg_op_record *op, const char *what, size_t got, size_t min, size_t max) {
    if (got >= min && got <= max) return pygraph_success;
    char expected[64];
    describe_count(expected, sizeof expected, min, max);
    return pg_error(pygraph_invalid_graph_op, PG_OP_FMT ": expected %s %s%s, got %zu", PG_OP_ARGS(op), expected,
                    what, (min == 1 && max == 1) ? "" : "s", got);
}

static pygraph_status check_attributes(const pg_op_record *op) {
    const pg_schema *schema = op->schema;
    for (size_t i = 0; i < op->num_attrs; ++i) {
        const pg_attr *attr = &op->attrs[i];
        const pg_schema_attr *def = pg_schema_find_attr(schema, attr->name);
        if (def == NULL) {
            char defined[512] = "";
            for (size_t k = 0; k < schema->num_attributes; ++k) {
                if (k > 0) append(defined, sizeof defined, ", ");
                append(defined, sizeof defined, schema->attributes[k].name);
            }
            if (schema->num_attributes == 0) {
                return pg_error(pygraph_invalid_graph_op,
                                PG_OP_FMT ": attribute \"%" PG_ECHO_FMT "\" is not defined: %s takes no attributes",
                                PG_OP_ARGS(op), PG_ECHO_ARGS(attr->name), schema->kind);
            }
            return pg_error(pygraph_invalid_graph_op,
                            PG_OP_FMT ": attribute \"%" PG_ECHO_FMT "\" is not defined by the %s schema (defined: %s)",
                            PG_OP_ARGS(op), PG_ECHO_ARGS(attr->name), schema->kind, defined);
        }
        if (def->type != attr->value.type) {
            return pg_error(pygraph_invalid_graph_op, PG_OP_FMT ": attribute \"%s\" must be of type %s, got %s",
                            PG_OP_ARGS(op), attr->name, pg_attr_type_names[def->type],
                            pg_attr_type_names[attr->value.type]);
        }
    }
    for (size_t k = 0; k < schema->num_attributes; ++k) {
        const pg_schema_attr *def = &schema->attributes[k];
        if (def->required && pg_op_record_find_attr(op, def->name) == NULL) {
            return pg_error(pygraph_invalid_graph_op, PG_OP_FMT ": required attribute \"%s\" (%s) is missing",
                            PG_OP_ARGS(op), def->name, pg_attr_type_names[def->type]);
        }
    }
    return pygraph_success;
}

/* One port of the op, for the type checks. */
typedef struct port_view {
    const char *direction; /* "input" / "output" */
    size_t index;
    const char *name;
    int type_var;
    pygraph_data_type data_type;
} port_view;

static port_view view_port(const pg_op_record *op, int is_output, size_t index) {
    const pg_schema *schema = op->schema;
    const pg_schema_port *port = is_output ? pg_schema_output(schema, index) : pg_schema_input(schema, index);
    port_view view = {
        .direction = is_output ? "output" : "input",
        .index = index,
        .name = port ? port->name : "?",
        .type_var = port ? port->type_var : PG_SCHEMA_TYPE_ANY,
        .data_type = is_output ? op->outputs[index].data_type : op->inputs[index].data_type,
    };
    return view;
}

static const char *type_name(pygraph_data_type data_type) {
    const char *name = pygraph_data_type_name(data_type);
    return name ? name : "(invalid)";
}

static pygraph_status check_types(const pg_op_record *op) {
    const pg_schema *schema = op->schema;
    size_t num_ports = op->num_inputs + op->num_outputs;
    for (size_t p = 0; p < num_ports; ++p) {
        int is_output = p >= op->num_inputs;
        port_view port = view_port(op, is_output, is_output ? p - op->num_inputs : p);
        if (port.type_var == PG_SCHEMA_TYPE_ANY) continue;
        const pg_type_constraint *constraint = &schema->type_constraints[port.type_var];
        int allowed = 0;
        for (size_t t = 0; t < constraint->num_types; ++t) allowed |= constraint->types[t] == port.data_type;
        if (!allowed) {
            char list[256] = "";
            for (size_t t = 0; t < constraint->num_types; ++t) {
                if (t > 0) append(list, sizeof list, ", ");
                append(list, sizeof list, type_name(constraint->types[t]));
            }
            return pg_error(pygraph_invalid_data_type,
                            PG_OP_FMT ": %s %zu (%s) has data type %s, expected one of %s (type %s)", PG_OP_ARGS(op),
                            port.direction, port.index, port.name, type_name(port.data_type), list, constraint->name);
        }
        /* The first port bound to this variable pins it. */
        for (size_t q = 0; q < p; ++q) {
            int q_output = q >= op->num_inputs;
            port_view first = view_port(op, q_output, q_output ? q - op->num_inputs : q);
            if (first.type_var != port.type_var) continue;
            if (first.data_type != port.data_type) {
                return pg_error(pygraph_invalid_data_type,
                                PG_OP_FMT ": %s %zu (%s) is %s but %s %zu (%s) is %s: ports of type %s must share one "
                                "data type",
                                PG_OP_ARGS(op), first.direction, first.index, first.name, type_name(first.data_type),
                                port.direction, port.index, port.name, type_name(port.data_type), constraint->name);
            }
            break;
        }
    }
    return pygraph_success;
}

pygraph_status pg_schema_validate_op(const pg_op_record *op) {
    const pg_schema *schema = op->schema;
    pygraph_status status = check_count(op, "input", op->num_inputs, schema->min_inputs, schema->max_inputs);
    if (status == pygraph_success) {
        status = check_count(op, "output", op->num_outputs, schema->min_outputs, schema->max_outputs);
    }
    if (status == pygraph_success) status = check_attributes(op);
    if (status == pygraph_success) status = check_types(op);
    return status;
}
