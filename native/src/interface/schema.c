/*
 * schema.c — the public view of the schema registry.
 */
#include "interface/error.h"
#include "pygraph/pygraph.h"
#include "schema/registry.h"

pygraph_status pygraph_schema_list(size_t *num_kinds, const char *const **kinds) {
    pg_error_clear();
    if (kinds != NULL) *kinds = NULL;
    if (num_kinds == NULL || kinds == NULL) {
        return pg_error(pygraph_invalid_arguments, "schema_list: %s is NULL", num_kinds ? "kinds" : "num_kinds");
    }
    *num_kinds = pg_num_schemas;
    *kinds = pg_schema_kinds;
    return pygraph_success;
}

pygraph_status pygraph_schema_get_json(const char *kind, const char **json) {
    pg_error_clear();
    if (json != NULL) *json = NULL;
    if (kind == NULL || json == NULL) {
        return pg_error(pygraph_invalid_arguments, "schema_get_json: %s is NULL", kind ? "json" : "kind");
    }
    const pg_schema *schema = pg_schema_find(kind);
    if (schema == NULL) return pg_schema_unknown_kind(kind);
    *json = schema->json;
    return pygraph_success;
}
