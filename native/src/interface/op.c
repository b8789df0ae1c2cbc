/*
 * op.c — building an op: kind, name, attributes, ports.  Nothing is checked
 * against the schema here; pygraph_graph_add_op does that, so an op can be
 * assembled in any order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interface/error.h"
#include "interface/objects.h"
#include "schema/registry.h"

pygraph_status pygraph_op_create(pygraph_op **op, uint64_t id, const char *kind, const char *name) {
    pg_error_clear();
    if (op == NULL) return pg_error(pygraph_invalid_arguments, "op_create: op is NULL");
    *op = NULL;
    if (kind == NULL) return pg_error(pygraph_invalid_arguments, "op_create: op %" PRIu64 ": kind is NULL", id);
    const pg_schema *schema = pg_schema_find(kind);
    if (schema == NULL) return pg_schema_unknown_kind(kind);

    pygraph_op *created = calloc(1, sizeof *created);
    char *own_name;
    if (name != NULL) {
        own_name = malloc(strlen(name) + 1);
        if (own_name) strcpy(own_name, name);
    } else {
        /* "<kind>_<id>" */
        int length = snprintf(NULL, 0, "%s_%" PRIu64, schema->kind, id);
        own_name = length > 0 ? malloc((size_t)length + 1) : NULL;
        if (own_name) snprintf(own_name, (size_t)length + 1, "%s_%" PRIu64, schema->kind, id);
    }
    if (created == NULL || own_name == NULL) {
        free(created);
        free(own_name);
        return pg_error(pygraph_out_of_memory, "op_create: out of memory creating op %" PRIu64, id);
    }
    created->record.id = id;
    created->record.schema = schema;
    created->record.name = own_name;
    *op = created;
    return pygraph_success;
}

pygraph_status pygraph_op_destroy(pygraph_op *op) {
    /* No pg_error_clear(): a destroy may run from a garbage collector
     * between a failed call and the read of its message (header). */
    if (op != NULL) {
        pg_op_record_free(&op->record);
        free(op);
    }
    return pygraph_success;
}

/* Makes room for one more item in a growable array; 0 or -1 (unchanged). */
static int grow(void **items, size_t *capacity, size_t count, size_t item_size) {
    if (count < *capacity) return 0;
    size_t new_capacity = *capacity ? *capacity * 2 : 4;
    if (new_capacity > SIZE_MAX / item_size) return -1;
    void *resized = realloc(*items, new_capacity * item_size);
    if (resized == NULL) return -1;
    *items = resized;
    *capacity = new_capacity;
    return 0;
}

static pygraph_status add_port(pygraph_op *op, const pygraph_logical_tensor *lt, int is_output) {
    pg_error_clear();
    const char *direction = is_output ? "output" : "input";
    if (op == NULL || lt == NULL) {
        return pg_error(pygraph_invalid_arguments, "op_add_%s: %s is NULL", direction, op ? "lt" : "op");
    }
    pg_op_record *record = &op->record;
    pygraph_logical_tensor **ports = is_output ? &record->outputs : &record->inputs;
    size_t *count = is_output ? &record->num_outputs : &record->num_inputs;
    size_t *capacity = is_output ? &op->outputs_capacity : &op->inputs_capacity;
    if (grow((void **)ports, capacity, *count, sizeof **ports) != 0) {
        return pg_error(pygraph_out_of_memory, PG_OP_FMT ": out of memory adding %s %zu", PG_OP_ARGS(record),
                        direction, *count);
    }
    (*ports)[(*count)++] = *lt;
    return pygraph_success;
}

pygraph_status pygraph_op_add_input(pygraph_op *op, const pygraph_logical_tensor *lt) {
    return add_port(op, lt, 0);
}

pygraph_status pygraph_op_add_output(pygraph_op *op, const pygraph_logical_tensor *lt) {
    return add_port(op, lt, 1);
}

/* Stores `value` (whose string or array the op does not own yet) under
 * `name`, replacing an earlier value; the op is unchanged on failure. */
static pygraph_status set_attr(pygraph_op *op, const char *name, const pg_attr_value *value) {
    if (op == NULL || name == NULL) {
        return pg_error(pygraph_invalid_arguments, "op_set_attr: %s is NULL", op ? "name" : "op");
    }
    pg_op_record *record = &op->record;
    pg_attr_value copy;
    if (pg_attr_value_copy(&copy, value) != 0) {
        return pg_error(pygraph_out_of_memory, PG_OP_FMT ": out of memory setting attribute \"%" PG_ECHO_FMT "\"",
                        PG_OP_ARGS(record), PG_ECHO_ARGS(name));
    }
    for (size_t i = 0; i < record->num_attrs; ++i) {
        if (strcmp(record->attrs[i].name, name) == 0) {
            pg_attr_value_free(&record->attrs[i].value);
            record->attrs[i].value = copy;
            return pygraph_success;
        }
    }
    char *own_name = malloc(strlen(name) + 1);
    if (own_name == NULL ||
        grow((void **)&record->attrs, &op->attrs_capacity, record->num_attrs, sizeof *record->attrs) != 0) {
        free(own_name);
        pg_attr_value_free(&copy);
        return pg_error(pygraph_out_of_memory, PG_OP_FMT ": out of memory setting attribute \"%" PG_ECHO_FMT "\"",
                        PG_OP_ARGS(record), PG_ECHO_ARGS(name));
    }
    strcpy(own_name, name);
    record->attrs[record->num_attrs].name = own_name;
    record->attrs[record->num_attrs].value = copy;
    record->num_attrs++;
    return pygraph_success;
}

pygraph_status pygraph_op_set_attr_f32(pygraph_op *op, const char *name, float value) {
    pg_error_clear();
    pg_attr_value attr = {.type = pg_attr_f32, .count = 1, .as.f32 = value};
    return set_attr(op, name, &attr);
}

pygraph_status pygraph_op_set_attr_s64(pygraph_op *op, const char *name, int64_t value) {
    pg_error_clear();
    pg_attr_value attr = {.type = pg_attr_s64, .count = 1, .as.s64 = value};
    return set_attr(op, name, &attr);
}

pygraph_status pygraph_op_set_attr_bool(pygraph_op *op, const char *name, int value) {
    pg_error_clear();
    pg_attr_value attr = {.type = pg_attr_bool, .count = 1, .as.boolean = value != 0};
    return set_attr(op, name, &attr);
}

pygraph_status pygraph_op_set_attr_string(pygraph_op *op, const char *name, const char *value) {
    pg_error_clear();
    if (value == NULL) return pg_error(pygraph_invalid_arguments, "op_set_attr_string: value is NULL");
    pg_attr_value attr = {.type = pg_attr_string, .count = 1, .as.string = value};
    return set_attr(op, name, &attr);
}

pygraph_status pygraph_op_set_attr_f32s(pygraph_op *op, const char *name, const float *values, size_t num) {
    pg_error_clear();
    if (values == NULL && num > 0) {
        return pg_error(pygraph_invalid_arguments, "op_set_attr_f32s: values is NULL but num is %zu", num);
    }
    pg_attr_value attr = {.type = pg_attr_f32s, .count = num, .as.f32s = values};
    return set_attr(op, name, &attr);
}

pygraph_status pygraph_op_set_attr_s64s(pygraph_op *op, const char *name, const int64_t *values, size_t num) {
    pg_error_clear();
    if (values == NULL && num > 0) {
        return pg_error(pygraph_invalid_arguments, "op_set_attr_s64s: values is NULL but num is %zu", num);
    }
    pg_attr_value attr = {.type = pg_attr_s64s, .count = num, .as.s64s = values};
    return set_attr(op, name, &attr);
}

pygraph_status pygraph_op_get_id(const pygraph_op *op, uint64_t *id) {
    pg_error_clear();
    if (op == NULL || id == NULL) return pg_error(pygraph_invalid_arguments, "op_get_id: %s is NULL", op ? "id" : "op");
    *id = op->record.id;
    return pygraph_success;
}

pygraph_status pygraph_op_get_kind(const pygraph_op *op, const char **kind) {
    pg_error_clear();
    if (kind != NULL) *kind = NULL;
    if (op == NULL || kind == NULL) {
        return pg_error(pygraph_invalid_arguments, "op_get_kind: %s is NULL", op ? "kind" : "op");
    }
    *kind = op->record.schema->kind;
    return pygraph_success;
}

pygraph_status pygraph_op_get_name(const pygraph_op *op, const char **name) {
    pg_error_clear();
    if (name != NULL) *name = NULL;
    if (op == NULL || name == NULL) {
        return pg_error(pygraph_invalid_arguments, "op_get_name: %s is NULL", op ? "name" : "op");
    }
    *name = op->record.name;
    return pygraph_success;
}
