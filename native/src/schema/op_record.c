/*
 * op_record.c — ownership of op records and attribute values.
 */
#include "schema/op_record.h"

#include <stdlib.h>
#include <string.h>

static char *duplicate_string(const char *text) {
    size_t size = strlen(text) + 1;
    char *copy = malloc(size);
    if (copy) memcpy(copy, text, size);
    return copy;
}

/* malloc(count * size) that returns a valid pointer for count 0 too, so
 * that NULL always means "out of memory". */
static void *duplicate_array(const void *items, size_t count, size_t size) {
    if (count > SIZE_MAX / size) return NULL;
    void *copy = malloc(count ? count * size : 1);
    if (copy && count) memcpy(copy, items, count * size);
    return copy;
}

void pg_attr_value_free(pg_attr_value *value) {
    switch (value->type) {
    case pg_attr_string: free((void *)value->as.string); value->as.string = NULL; break;
    case pg_attr_f32s: free((void *)value->as.f32s); value->as.f32s = NULL; break;
    case pg_attr_s64s: free((void *)value->as.s64s); value->as.s64s = NULL; break;
    default: break;
    }
}

int pg_attr_value_copy(pg_attr_value *dst, const pg_attr_value *src) {
    pg_attr_value copy = *src;
    switch (src->type) {
    case pg_attr_string:
        copy.as.string = duplicate_string(src->as.string);
        if (copy.as.string == NULL) return -1;
        break;
    case pg_attr_f32s:
        copy.as.f32s = duplicate_array(src->as.f32s, src->count, sizeof(float));
        if (copy.as.f32s == NULL) return -1;
        break;
    case pg_attr_s64s:
        copy.as.s64s = duplicate_array(src->as.s64s, src->count, sizeof(int64_t));
        if (copy.as.s64s == NULL) return -1;
        break;
    default: break;
    }
    *dst = copy;
    return 0;
}

void pg_op_record_free(pg_op_record *record) {
    for (size_t i = 0; i < record->num_attrs; ++i) {
        free(record->attrs[i].name);
        pg_attr_value_free(&record->attrs[i].value);
    }
    free(record->attrs);
    free(record->inputs);
    free(record->outputs);
    free(record->name);
    memset(record, 0, sizeof *record);
}

pygraph_status pg_op_record_copy(pg_op_record *dst, const pg_op_record *src) {
    pg_op_record copy = {.id = src->id, .schema = src->schema};
    copy.name = duplicate_string(src->name);
    copy.inputs = duplicate_array(src->inputs, src->num_inputs, sizeof *src->inputs);
    copy.outputs = duplicate_array(src->outputs, src->num_outputs, sizeof *src->outputs);
    copy.attrs = calloc(src->num_attrs ? src->num_attrs : 1, sizeof *copy.attrs);
    int failed = !copy.name || !copy.inputs || !copy.outputs || !copy.attrs;
    if (!failed) {
        copy.num_inputs = src->num_inputs;
        copy.num_outputs = src->num_outputs;
        for (size_t i = 0; i < src->num_attrs && !failed; ++i) {
            pg_attr *attr = &copy.attrs[i];
            attr->name = duplicate_string(src->attrs[i].name);
            if (attr->name == NULL || pg_attr_value_copy(&attr->value, &src->attrs[i].value) != 0) {
                free(attr->name);
                attr->name = NULL;
                failed = 1;
                break;
            }
            copy.num_attrs = i + 1;
        }
    }
    if (failed) {
        pg_op_record_free(&copy);
        memset(dst, 0, sizeof *dst);
        return pygraph_out_of_memory;
    }
    *dst = copy;
    return pygraph_success;
}

int pg_echo_length(const char *text) {
    size_t length = strlen(text);
    if (length <= PG_ECHO_MAX) return (int)length;
    length = PG_ECHO_MAX;
    /* Step back over UTF-8 continuation bytes to a character start. */
    while (length > 0 && ((unsigned char)text[length] & 0xC0) == 0x80) --length;
    return (int)length;
}

const char *pg_echo_suffix(const char *text) {
    return strlen(text) > PG_ECHO_MAX ? "..." : "";
}

const pg_attr *pg_op_record_find_attr(const pg_op_record *record, const char *name) {
    for (size_t i = 0; i < record->num_attrs; ++i) {
        if (strcmp(record->attrs[i].name, name) == 0) return &record->attrs[i];
    }
    return NULL;
}
